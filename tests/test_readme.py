"""The README stays true: its set-up commands come first, and it documents every CLI command."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from lucidscore.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _commands() -> set[str]:
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
    undocumented = sorted(c for c in _commands() - {"version"} if f"lucidscore {c}" not in README)
    assert not undocumented, f"commands missing from README.md: {undocumented}"


def test_readme_names_no_command_that_does_not_exist() -> None:
    code = "\n".join(re.findall(r"^```bash\n(.*?)^```", README, flags=re.S | re.M))
    named = set(re.findall(r"lucidscore ([a-z][a-z-]+)", code))
    assert {"demo", "train", "score", "ingest"} <= named
    assert named - _commands() == set()
