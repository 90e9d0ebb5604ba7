"""``scripts/example_notice.py`` (issue 10): it prints the adverse-action notice of a declined decision on a
demo, as the service stores and serves it, and the example in docs/scoring.md has exactly its shape."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lucidscore.api import create_app
from lucidscore.demo import DemoBuild, demo_settings
from lucidscore.service import AdverseActionNotice

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _shape(value: Any) -> Any:
    """Keys and types, recursively: what the docs' example must share with the real notice."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_script_prints_the_notice_the_consumer_is_served(demo_build: DemoBuild) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "example_notice.py"), "--dir", str(demo_build.directory)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    notice = AdverseActionNotice.model_validate(printed)
    good = next(c for c in demo_build.logins.consumers if c["tier"] == "good")
    assert notice.merchant == "RentCo Apartments" and notice.product == "deposit_free_rental"
    assert notice.score.score < 650 and notice.principal_reasons

    # The consumer finds the same notice among the decisions about them.
    client = TestClient(create_app(demo_settings(demo_build)))
    r = client.post("/v1/session", json={"username": good["username"], "password": good["password"]})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    decisions = client.get("/v1/me/decisions").json()
    served = [d["notice"] for d in decisions if d["notice"] == printed]
    assert len(served) == 1

    # docs/scoring.md shows this script's output: the same fields, nested the same way.
    doc = (ROOT / "docs" / "scoring.md").read_text("utf-8")
    section = doc[doc.index("## Adverse-action notices") :]
    example = json.loads(re.search(r"```json\n(.*?)\n```", section, re.S).group(1))  # type: ignore[union-attr]
    assert _shape(example) == _shape(printed)
    assert "scripts/example_notice.py" in section
