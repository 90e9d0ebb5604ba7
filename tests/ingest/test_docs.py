"""docs/ingest.md stays true: every option of ``lucidscore ingest`` and every count is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from lucidscore.cli.main import app
from lucidscore.ingest import FileReport

DOC = Path(__file__).resolve().parents[2] / "docs" / "ingest.md"


def _ingest_options() -> list[str]:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    ingest = command.commands["ingest"]
    names: list[str] = []
    for param in ingest.params:
        names.extend(o for o in param.opts if o.startswith("--"))
        names.extend(o for o in getattr(param, "secondary_opts", []) if o.startswith("--"))
    return names


@pytest.mark.parametrize("option", _ingest_options())
def test_every_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC.read_text(encoding="utf-8") or f"/{option}`" in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("count", ["read", "accepted", "quarantined", "inserted", "superseded", "unchanged"])
def test_every_count_is_documented(count: str) -> None:
    assert count in FileReport.__dataclass_fields__
    assert f"| {count} |" in DOC.read_text(encoding="utf-8")
