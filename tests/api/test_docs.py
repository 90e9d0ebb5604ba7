"""docs/service.md stays true: every setting, every JSON endpoint and every page is documented."""

from __future__ import annotations

from pathlib import Path

from lucidscore.api import Settings
from tests.api._world import World
from tests.api.test_errors import all_routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def test_every_setting_is_documented() -> None:
    text = DOC.read_text()
    missing = [name for name in Settings.model_fields if f"| `{name}` |" not in text]
    assert missing == []


def test_every_route_is_documented(world: World) -> None:
    text = DOC.read_text()
    missing = sorted({path for _, path in all_routes(world) if f"`{path}`" not in text and path != "/"})
    assert missing == []
