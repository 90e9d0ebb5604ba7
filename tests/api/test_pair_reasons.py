"""Issue 14 in the service: a consumer scored by a model with an interaction grid sees the pair as one
reason (both characteristics named, with both values, and the points the pair loses) and the grid's
points as a step of the score's waterfall, which still adds up to the score; the API gives the same. The
stored rows come from the real engine (``score_consumers``) and every expected figure from the reference
rule (``reference_reasons``, ``raw_points``), not from hand-written numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from lucidscore.artifact import (
    Bin,
    Characteristic,
    Interaction,
    ScorecardArtifact,
    raw_points,
    reference_reasons,
)
from lucidscore.score import score_consumers
from lucidscore.service import activate_model, record_scores, register_model
from lucidscore.store import make_engine
from tests.api._world import PASSWORDS, World, build_world, tiny_artifact
from tests.api.test_notices import decide
from tests.demo._server import running

BOB = {"consumer_id": "C0002", "worst_dpd_12m": 45.0, "utilisation": 0.8}


def paired_artifact() -> ScorecardArtifact:
    """The API world's tiny model with a second characteristic and a grid on the two."""
    base = tiny_artifact("sc-pairs-1")
    utilisation = Characteristic(
        name="utilisation",
        family="fulfilment_capacity",
        dtype="numeric",
        description="Share of credit limits in use",
        actionable=True,
        advice="lower",
        unit="percent",
        code="UT01",
        iv=0.2,
        coefficient=1.0,
        bins=[
            Bin(kind="interval", upper=0.5, label="under 50%", count=60, bad_count=3, woe=0.4, points=40),
            Bin(kind="interval", lower=0.5, label="50% or more", count=40, bad_count=9, woe=-0.4, points=0),
            Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=10),
        ],
        declared=True,
    )
    grid = Interaction(
        first="worst_dpd_12m",
        second="utilisation",
        first_groups=[[0], [1, 2]],
        second_groups=[[0], [1, 2]],
        points=[[10, 0], [0, -25]],
    )
    segment = base.segments[0]
    segment = segment.model_copy(
        update={"characteristics": [*segment.characteristics, utilisation], "interactions": [grid]}
    )
    return base.model_copy(
        update={"segments": [segment], "input_columns": ["worst_dpd_12m", "utilisation"]}
    ).with_hash()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The API world, with the paired model active and Bob scored by it (as a publish would)."""
    world = build_world(f"sqlite:///{tmp_path_factory.mktemp('pairs') / 'service.db'}")
    artifact = paired_artifact()
    engine = make_engine(world.db_url)
    with Session(engine) as s:
        activate_model(s, register_model(s, artifact, description="with a grid"))
        s.commit()
    rows = score_consumers(artifact, pd.DataFrame([BOB]), datetime.now(UTC).date())
    with engine.begin() as conn:
        record_scores(conn, rows)
    engine.dispose()
    return world


def _expected() -> tuple[list[tuple[str, int]], int]:
    artifact, frame = paired_artifact(), pd.DataFrame([BOB])
    return reference_reasons(artifact.segments, frame)[0], int(raw_points(artifact.segments, frame)[0])


def test_the_api_gives_a_pair_reason_and_the_grid_points(world: World) -> None:
    score = world.signed_in("bob").get("/v1/me/score").json()
    reasons, raw = _expected()
    assert [(r["code"], r["points_lost"]) for r in score["reasons"]] == reasons
    pair = next(r for r in score["reasons"] if "+" in r["code"])
    assert pair["code"] == "CH02+UT01" and pair["characteristic"] == "worst_dpd_12m+utilisation"
    assert "45 days" in pair["text"] and "80%" in pair["text"] and "together with" in pair["text"]
    grids = [(g["first"], g["second"]) for g in score["interactions"]]
    assert grids == [("worst_dpd_12m", "utilisation")]
    families = sum(f["points"] for f in score["families"] if f["used"] and f["points"] is not None)
    parts = score["base_points"] + families + sum(g["points"] for g in score["interactions"])
    assert parts == score["unclipped_points"] == raw
    assert score["score"] == min(max(raw, 350), 950)


@pytest.fixture(scope="module")
def base(world: World) -> Iterator[str]:
    with running(world.app) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_the_consumer_page_shows_the_pair_reason_and_its_waterfall_step(
    world: World, base: str, browser_context: Any
) -> None:
    browser_context.clear_cookies()
    page = browser_context.new_page()
    try:
        page.goto(f"{base}/signin")
        page.fill("#username", "bob")
        page.fill("#password", PASSWORDS["bob"])
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/dashboard")
        score = page.request.get(f"{base}/v1/me/score").json()
        pair = next(r for r in score["reasons"] if "+" in r["code"])
        items = page.locator("#reasons li").all_inner_texts()
        assert f"{pair['text']} ({pair['points_lost']} points)" in items
        assert (
            "45 days" in pair["text"] and "together with share of credit limits in use: 80%" in pair["text"]
        )

        rows = page.locator("#score-steps tr[class^=step]")
        kinds = [c.removeprefix("step-") for c in rows.evaluate_all("rs => rs.map(r => r.className)")]
        points = [int(x) for x in rows.locator("td.num").all_inner_texts()]
        labels = rows.locator("td:first-child").all_inner_texts()
        assert kinds[-1] == "total" and points[-1] == score["score"] == sum(points[:-1])
        shown = [(label, p) for k, label, p in zip(kinds, labels, points, strict=True) if k == "interaction"]
        assert shown == [(g["label"], g["points"]) for g in score["interactions"]]
        bar = page.query_selector("tr.step-interaction .bar-fill")
        assert bar is not None
        box = bar.bounding_box()
        assert box is not None and box["width"] > 0
        page.wait_for_selector("#score-waterfall .main-svg")
    finally:
        page.close()


def test_a_merchant_gets_the_pair_code_and_statement_without_the_values(world: World) -> None:
    body = decide(world, "bob", "shop_x", "premium")
    assert body["approved"] is False
    reasons, _ = _expected()
    assert [r["code"] for r in body["reasons"]] == [code for code, _ in reasons][: len(body["reasons"])]
    pair = next(r for r in body["reasons"] if r["code"] == "CH02+UT01")
    assert "together with" in pair["statement"] and "share of credit limits in use" in pair["statement"]
    assert "45" not in pair["statement"] and "80%" not in pair["statement"]
