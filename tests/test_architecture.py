"""The shape of the house: data flows one way between packages, nobody reaches into another package's
private modules, and the service starts without the scoring engines."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "lucidscore"

# What each package may import (besides itself). Upstream to downstream: records -> synth -> ingest ->
# store -> features -> model -> artifact <- score -> service -> api / cli; policy is consulted everywhere.
BASE = {"errors", "paths"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "paths": set(),
    "records": BASE,
    "tabular": BASE,
    "sparkenv": BASE,
    "numbaenv": BASE,
    "sparktable": BASE | {"sparkenv", "tabular"},
    "policy": BASE,
    "synth": BASE | {"records"},
    "store": BASE | {"records"},
    "ingest": BASE | {"records", "store", "tabular"},
    "features": BASE | {"policy", "records", "sparkenv", "store", "tabular"},
    "artifact": BASE | {"policy"},
    "score": BASE | {"artifact", "numbaenv", "policy", "sparkenv", "sparktable", "tabular"},
    "model": BASE | {"artifact", "numbaenv", "policy", "score", "sparkenv", "sparktable"},
    "evaluate": BASE | {"artifact", "model", "policy", "score", "tabular"},
    "service": BASE | {"artifact", "features", "ingest", "policy", "records", "score", "store"},
    "api": BASE | {"artifact", "policy", "records", "service", "store"},
    "demo": BASE
    | {"api", "artifact", "features", "ingest", "model", "policy", "score", "service", "store", "synth"},
}


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name != "__init__.py" else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every lucidscore import in a file, ``from lucidscore import x`` included."""
    tree = ast.parse(path.read_text("utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("lucidscore")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lucidscore"):
            if node.module == "lucidscore":  # packages by name; ``__version__`` and the like are not
                out += [
                    (node.lineno, f"lucidscore.{a.name}") for a in node.names if not a.name.startswith("__")
                ]
            else:
                out.append((node.lineno, node.module))
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_no_module_imports_another_packages_private_module() -> None:
    offences = []
    for path in _modules():
        own = _package_of(path)
        for line, module in _imports(path):
            parts = module.split(".")
            if len(parts) >= 3 and parts[1] != own and any(p.startswith("_") for p in parts[2:]):
                offences.append(f"{path.relative_to(SRC)}:{line} imports {module}")
    assert offences == []


def test_packages_import_only_upstream_or_alongside() -> None:
    offences = []
    for path in _modules():
        own = _package_of(path)
        if own in ("", "cli"):  # the top-level package and the CLI may use everything
            continue
        assert own in ALLOWED, f"new package {own}: add it to ALLOWED with the packages it may use"
        for line, module in _imports(path):
            target = module.split(".")[1] if "." in module else ""
            if target and target != own and target not in ALLOWED[own]:
                offences.append(f"{path.relative_to(SRC)}:{line}: {own} imports {target}")
    assert offences == []


def test_the_check_sees_a_private_import() -> None:
    """The scanner itself: a private import across packages is found (so an empty list means something)."""
    sample = SRC / "api" / "_views.py"
    assert any(m.startswith("lucidscore.service") for _, m in _imports(sample))


@pytest.mark.parametrize("package", ["lucidscore.artifact", "lucidscore.service", "lucidscore.api"])
def test_light_packages_load_neither_numba_nor_scikit_learn(package: str) -> None:
    """The service answers requests without the engines: they load only when something is scored."""
    code = (
        f"import sys, json, {package}; "
        "print(json.dumps([m for m in ('numba', 'sklearn', 'scipy') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
