"""Nothing scored is hidden (issue 13): the consumer page lists every characteristic of the consumer's
model segment with its family and description, and the analyst cannot activate a model that does not
declare every characteristic, or a forged one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from lucidscore.store import make_engine
from lucidscore.store.service import ModelRecord
from tests.api._world import PASSWORDS, World, build_world
from tests.api.test_pages import post_signin
from tests.service.test_model_doors import forged, undeclared


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("declared") / "service.db"
    built = build_world(f"sqlite:///{path}")
    engine = make_engine(built.db_url)
    with Session(engine) as s:
        for art in (undeclared("sc-undeclared"), forged("sc-religion", name="religion")):
            s.add(
                ModelRecord(
                    model_id=art.model_id, content_hash=art.content_hash, artifact_json=art.model_dump_json()
                )
            )
        s.commit()
    engine.dispose()
    return built


def test_the_consumer_page_lists_what_the_score_uses(world: World) -> None:
    client = world.client()
    r = post_signin(client, "alice", PASSWORDS["alice"])  # the form, its CSRF token included
    assert r.url.path == "/dashboard"
    html = r.text
    assert '<div class="card" id="uses"><h2>What this score uses</h2>' in html
    assert "<tr><td>Worst delinquency in the last 12 months (days)</td><td>Credit history</td></tr>" in html


def test_activating_an_undeclared_model_is_refused_listing_its_characteristics(world: World) -> None:
    analyst = world.signed_in("ann")
    r = analyst.post("/v1/analyst/models/sc-undeclared/activate")
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["field"] == "model_id"
    assert "2 characteristic(s) are undeclared" in error["message"]
    assert "worst_dpd_12m, PAY_AMT1" in error["message"]
    models = {m["model_id"]: m for m in analyst.get("/v1/analyst/models").json()}
    assert models["sc-test-1"]["active"] and not models["sc-undeclared"]["active"]
    assert "undeclared" in models["sc-undeclared"]["problem"]  # the analyst sees why before trying


def test_activating_a_forged_model_is_refused(world: World) -> None:
    analyst = world.signed_in("ann")
    r = analyst.post("/v1/analyst/models/sc-religion/activate")
    assert r.status_code == 409, r.text
    assert "column religion: protected attribute (religion)" in r.json()["error"]["message"]
    active = [m["model_id"] for m in analyst.get("/v1/analyst/models").json() if m["active"]]
    assert active == ["sc-test-1"]
