"""The README stays true: its set-up commands come first, it documents every CLI command, and every command
block in it runs as written, in a fresh temporary directory (issue 12): here the set-up and every section
after the risk modellers', in order; the risk modellers' section in tests/test_readme_modellers.py. How the
blocks are run (a clone-like folder, scaled commands, ``serve`` and ``demo`` checked at ``/healthz``):
tests/_readme.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from lucidscore.cli.main import app
from tests._readme import MODELLERS, README, ROOT, SECTIONS, blocks, run, run_section, sandbox, serve_briefly


def _cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_readme_starts_with_the_two_setup_commands() -> None:
    first_block = README.split("```bash", 1)[1].split("```", 1)[0]
    lines = [line for line in first_block.strip().splitlines() if line.strip()]
    assert len(lines) == 2
    assert "lucidscore demo" in lines[0] and "pip install -e ." in lines[0]
    assert lines[1].startswith("scripts/test")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "exec scripts/test" in ci


def test_every_command_is_in_the_readme() -> None:
    undocumented = sorted(c for c in _cli_commands() - {"version"} if f"lucidscore {c}" not in README)
    assert not undocumented, f"commands missing from README.md: {undocumented}"


def test_readme_names_no_command_that_does_not_exist() -> None:
    code = "\n".join(re.findall(r"^```bash\n(.*?)^```", README, flags=re.S | re.M))
    named = set(re.findall(r"lucidscore ([a-z][a-z-]+)", code))
    assert {"demo", "train", "score", "ingest"} <= named
    assert named - _cli_commands() == set()


def test_every_section_of_commands_is_run() -> None:
    """The two tests below and tests/test_readme_modellers.py between them run every "For ..." section."""
    titles = re.findall(r"^## (For .+)$", README, flags=re.M)
    assert sorted(titles) == sorted([MODELLERS, *SECTIONS])


@pytest.mark.slow
@pytest.mark.timeout(1800)  # every README command in turn; a bound against a hang, not a speed goal
def test_the_readme_runs_as_written(tmp_path: Path) -> None:
    project, env = sandbox(tmp_path)
    setup = blocks(README, "bash")[0]
    assert "lucidscore demo" in setup
    # The set-up line installs and serves the demo; CI runs the install itself. Build the demo's database
    # (scaled down) without serving, then check that it serves, as a reader's first command does.
    run("lucidscore demo --consumers 500 --no-serve", project, env)
    serve_briefly("lucidscore demo --reuse", project, env)
    ran = sum(run_section(title, project, env) for title in SECTIONS)
    assert ran >= 15
