"""The app is built by factories from settings; nothing is created at import."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from fastapi.testclient import TestClient

from lucidscore.api import app_from_environment
from lucidscore.service import PipelineRescorer
from tests.api._world import World


def test_app_from_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUCIDSCORE_DB_URL", world.db_url)
    monkeypatch.setenv("LUCIDSCORE_MAX_BODY_BYTES", "2048")
    app = app_from_environment()
    assert app.state.lucid.settings.max_body_bytes == 2048
    rescorer = app.state.lucid.rescorer  # always on: disputes rescore in the newest published month
    assert isinstance(rescorer, PipelineRescorer) and rescorer.as_of is None
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/healthz").json() == {"ok": True}
    assert client.post("/v1/decisions", content=b"x" * 3000).status_code == 413
    monkeypatch.setenv("LUCIDSCORE_AS_OF", "2026-06-30")
    assert app_from_environment().state.lucid.rescorer.as_of == date(2026, 6, 30)


def test_importing_the_service_creates_no_engine_or_settings() -> None:
    code = (
        "import sqlalchemy, lucidscore.api, lucidscore.demo, lucidscore.cli.service_cmds\n"
        "import gc\n"
        "from sqlalchemy.engine import Engine\n"
        "from lucidscore.api import Settings\n"
        "objs = gc.get_objects()\n"
        "print(sum(isinstance(o, Engine) for o in objs), sum(isinstance(o, Settings) for o in objs))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0"]
