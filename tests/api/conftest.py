"""A fresh world per test module, on SQLite; modules that also run on PostgreSQL ask for ``pg_world``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api._world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("api") / "service.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def any_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The same world on SQLite and on a real PostgreSQL server the tests start."""
    if request.param == "sqlite":
        return build_world(f"sqlite:///{tmp_path_factory.mktemp('api') / 'service.db'}")
    url: str = request.getfixturevalue("postgres_url")
    return build_world(url)
