"""A small, fully known world for the API tests: two consumers, two merchants, an analyst, a model,
scores and raw records — built directly, without the synth/features/model pipeline (tests/demo covers it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from lucidscore.api import Settings, create_app
from lucidscore.artifact import (
    Bin,
    Change,
    Characteristic,
    Explanation,
    Reason,
    Recourse,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
)
from lucidscore.ingest import ingest_frame
from lucidscore.service import create_api_key, create_user
from lucidscore.store import make_engine
from lucidscore.store.service import ModelRecord, ScoreRecord
from tests.fixtures.databases import migrated

ADVERSE_ACTION = "Late payment on credit accounts in the last 12 months"
PASSWORDS = {"alice": "alice-pass-1234", "bob": "bob-pass-5678", "ann": "analyst-pass-9012"}
CONSUMERS = {"alice": "C0001", "bob": "C0002"}


def tiny_artifact(model_id: str = "sc-test-1") -> ScorecardArtifact:
    bins = [
        Bin(kind="interval", upper=30, label="under 30", count=50, bad_count=2, woe=0.5, points=60),
        Bin(kind="interval", lower=30, label="30 or more", count=50, bad_count=10, woe=-0.5, points=0),
        Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=10),
    ]
    char = Characteristic(
        name="worst_dpd_12m",
        family="credit_history",
        dtype="numeric",
        description="Worst delinquency in the last 12 months (days)",
        actionable=True,
        advice="lower",
        unit="days",
        code="CH02",
        statement="Your most overdue credit payment in the last 12 months was {value} late; "
        "{better} scores higher.",
        adverse_action=ADVERSE_ACTION,
        iv=0.3,
        coefficient=1.0,
        bins=bins,
        declared=True,
    )
    segment = Segment(
        name="all", intercept=0.0, base_points=580, characteristics=[char], n_train=100, bad_rate=0.12
    )
    return ScorecardArtifact(
        model_id=model_id,
        target="bad",
        input_columns=["worst_dpd_12m"],
        segments=[segment],
        score_probability=[ScoreProbability(score=600, probability=0.09)],
        training={"metrics": {"test_auc": 0.75}},
    ).with_hash()


def reason(consumer_id: str) -> Reason:
    """A stored reason; its text holds the consumer's own value (here their id, to spot any leak)."""
    return Reason(
        characteristic="worst_dpd_12m",
        family="credit_history",
        bin_label="30 or more",
        points_lost=60,
        text=f"Your most overdue credit payment was {consumer_id} days late; under 30 days scores higher.",
        code="CH02",
        adverse_action=ADVERSE_ACTION,
    )


def explanation(consumer_id: str, score: int, tier: str) -> Explanation:
    change = Change(
        characteristic="worst_dpd_12m",
        description="Worst delinquency in the last 12 months (days)",
        family="credit_history",
        from_label="30 or more",
        to_label="under 30",
        steps=1,
        points_gained=60,
        score_alone=score + 60,
        code="CH02",
        direction="lower",
        from_text="45 days",
        to_text="under 30 days",
        to_value=29.0,
    )
    return Explanation(
        row=0,
        score=score,
        tier=tier,
        probability=0.1,
        segment="all",
        base_points=580,
        families={"credit_history": score - 590, "payment_behaviour": 10},  # base 580: they add up
        reasons=[reason(consumer_id)],
        recourse=Recourse(target_tier="excellent", target_score=700, changes=[change], new_score=score + 60),
        raw_points=score,
    )


@dataclass
class FakeRescorer:
    """Records calls; appends a fixed better score, as if the correction had helped."""

    calls: list[tuple[str, ...]] = field(default_factory=list)

    def correct_record(
        self, table: str, key: str, consumer_id: str, corrections: dict[str, Any]
    ) -> dict[str, Any]:
        self.calls.append(("correct", table, key, consumer_id))
        return {"table": table, "key": key, **corrections}

    def rescore_consumer(self, session: Session, consumer_id: str, model: ModelRecord) -> ScoreRecord | None:
        self.calls.append(("rescore", consumer_id, model.model_id))
        record = ScoreRecord(
            consumer_id=consumer_id,
            model_id=model.model_id,
            as_of=datetime.now(UTC).date(),
            score=701,
            tier="excellent",
            probability=0.03,
            segment="all",
            reasons=[],
            explanation=None,
        )
        session.add(record)
        session.flush()
        return record

    def score_everyone(self, session: Session, model: ModelRecord) -> int:
        self.calls.append(("everyone", model.model_id))
        return 0


@dataclass
class World:
    app: FastAPI
    db_url: str
    api_keys: dict[str, str]
    rescorer: FakeRescorer
    settings: Settings

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)

    def signed_in(self, username: str) -> TestClient:
        """A client holding ``username``'s session as a bearer token (no CSRF needed)."""
        c = self.client()
        r = c.post("/v1/session", json={"username": username, "password": PASSWORDS[username]})
        assert r.status_code == 200, r.text
        c.cookies.clear()
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return c

    def browser(self, username: str) -> TestClient:
        """A client signed in with the session cookie, as a browser is (CSRF needed on writes)."""
        c = self.client()
        r = c.post("/v1/session", json={"username": username, "password": PASSWORDS[username]})
        assert r.status_code == 200, r.text
        return c

    def merchant(self, name: str) -> TestClient:
        c = self.client()
        c.headers["X-API-Key"] = self.api_keys[name]
        return c


def _raw_records(engine: Any) -> None:
    reported = "2026-07-01T00:00:00"
    frames = {
        "consumers": pl.DataFrame(
            {
                "consumer_id": ["C0001", "C0002"],
                "identity_verified": ["true", "true"],
                "address_since": ["2019-03-01", "2024-01-15"],
                "reported_at": [reported] * 2,
            }
        ),
        "accounts": pl.DataFrame(
            {
                "account_id": ["A1", "A2"],
                "consumer_id": ["C0001", "C0002"],
                "kind": ["revolving", "instalment"],
                "opened": ["2018-01-01", "2023-05-01"],
                "closed": [None, None],
                "credit_limit": ["5000", None],
                "original_amount": [None, "12000"],
                "reported_at": [reported] * 2,
            }
        ),
        "statements": pl.DataFrame(
            {
                "account_id": ["A1", "A1", "A2"],
                "period": ["2026-05", "2026-06", "2026-06"],
                "balance": ["1200", "1100", "9000"],
                "amount_due": ["50", "50", "300"],
                "amount_paid": ["50", "50", "0"],
                "days_past_due": ["0", "0", "45"],
                "reported_at": [reported] * 3,
            }
        ),
    }
    for table, frame in frames.items():
        report = ingest_frame(frame, table, engine, source=f"test {table}")
        assert report.quarantined == 0, report.problems


def build_world(db_url: str, *, as_served: bool = False, **settings: Any) -> World:
    """A migrated database holding the world's records, accounts and models, and the app on it. The app
    shares the engine that built the world, unless ``as_served``: then it opens the database itself, as
    ``lucidscore serve`` does (pool size, pool timeout and SQLite's busy timeout from the settings)."""
    engine = make_engine(migrated(db_url))  # a copy of a migrated database, when db_url is a new one
    _raw_records(engine)
    artifact = tiny_artifact()
    keys: dict[str, str] = {}
    with Session(engine) as s:
        for name, cid in CONSUMERS.items():
            create_user(s, name, "consumer", PASSWORDS[name], display_name=name.capitalize(), consumer_id=cid)
        create_user(s, "ann", "analyst", PASSWORDS["ann"], display_name="Ann Analyst")
        for name in ("shop_x", "shop_y"):
            m = create_user(
                s, name, "merchant", "unused-" + name, display_name=name.replace("_", " ").title()
            )
            keys[name] = create_api_key(s, m)
        s.add(
            ModelRecord(
                model_id=artifact.model_id,
                content_hash=artifact.content_hash,
                artifact_json=artifact.model_dump_json(),
                description="tiny test model",
                active=True,
            )
        )
        second = tiny_artifact("sc-test-2")
        s.add(
            ModelRecord(
                model_id="sc-test-2",
                content_hash=second.content_hash,
                artifact_json=second.model_dump_json(),
                description="second",
                active=False,
            )
        )
        today = datetime.now(UTC)
        for months_ago, (a_score, b_score) in enumerate([(655, 560), (640, 575), (630, 590)]):
            as_of = (today - timedelta(days=30 * months_ago)).date()
            for cid, score, tier in (("C0001", a_score, "very good"), ("C0002", b_score, "fair")):
                s.add(
                    ScoreRecord(
                        consumer_id=cid,
                        model_id=artifact.model_id,
                        as_of=as_of,
                        score=score,
                        tier=tier,
                        probability=0.1,
                        segment="all",
                        reasons=[reason(cid).model_dump(mode="json")],
                        explanation=explanation(cid, score, tier).model_dump(mode="json"),
                    )
                )
        s.commit()
    rescorer = FakeRescorer()
    cfg = Settings(db_url=db_url, secret_key="test-secret", signin_max_failures=3, **settings)
    if as_served:
        engine.dispose()
        app = create_app(cfg, rescorer=rescorer)
    else:
        app = create_app(cfg, engine=engine, rescorer=rescorer)
    return World(app=app, db_url=db_url, api_keys=keys, rescorer=rescorer, settings=cfg)
