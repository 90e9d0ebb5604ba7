"""On the real pipeline: an accepted dispute corrects the record through the store (a new version, the old
one kept), recomputes the consumer's features, rescores in the newest published month (a changed score
supersedes that month's row; an unchanged one adds none) and keeps the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from lucidscore.api import create_app
from lucidscore.demo import DemoBuild, demo_settings
from lucidscore.demo._build import demo_rescorer
from lucidscore.store import history, make_engine


def signed_in(client: TestClient, username: str, password: str) -> TestClient:
    r = client.post("/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


def test_accepted_dispute_corrects_rescores_and_audits(demo_build: DemoBuild) -> None:
    app = create_app(demo_settings(demo_build), rescorer=demo_rescorer(demo_build))
    login = next(c for c in demo_build.logins.consumers if c["tier"] == "poor")
    consumer = signed_in(TestClient(app), login["username"], login["password"])
    analyst = signed_in(
        TestClient(app), demo_build.logins.analyst["username"], demo_build.logins.analyst["password"]
    )

    late = [s for s in consumer.get("/v1/me/data").json()["statements"] if s["days_past_due"] > 0]
    assert late, "the poor-tier demo consumer should have a late statement"
    worst = max(late, key=lambda s: (s["period"], s["days_past_due"]))
    key = f"{worst['account_id']}|{worst['period']}"
    before = consumer.get("/v1/me/history").json()
    rows_before = _score_rows(demo_build.db_url, login["consumer_id"])

    r = consumer.post(
        "/v1/me/disputes", json={"record_table": "statements", "record_key": key, "reason": "I paid on time"}
    )
    assert r.status_code == 201, r.text
    dispute_id = r.json()["id"]
    queue = analyst.get("/v1/analyst/disputes").json()
    assert any(d["id"] == dispute_id and d["consumer_id"] == login["consumer_id"] for d in queue)

    r = analyst.post(
        f"/v1/analyst/disputes/{dispute_id}/accept",
        json={
            "corrections": {"days_past_due": 0, "amount_paid": worst["amount_due"]},
            "note": "lender confirmed",
        },
    )
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert [e["action"] for e in events] == ["opened", "review_started", "corrected", "rescored", "accepted"]
    rescored = events[3]["detail"]

    engine = make_engine(demo_build.db_url)
    versions = history(engine, "statements", {"account_id": worst["account_id"], "period": worst["period"]})
    assert [v["days_past_due"] for v in versions] == [worst["days_past_due"], 0]
    assert versions[0]["_superseded_at"] is not None and versions[1]["_superseded_at"] is None
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM dispute_events WHERE dispute_id = :d"), {"d": dispute_id}
        ).scalar_one()
    engine.dispose()
    assert n == 5  # opened, review started, corrected, rescored, accepted

    after = consumer.get("/v1/me/history").json()
    assert len(after) == len(before)  # one point per month: the correction replaced the newest month's
    assert after[:-1] == before[:-1]
    assert after[-1]["as_of"] == before[-1]["as_of"] == rescored["as_of"]
    assert after[-1]["score"] == rescored["score"]
    score = consumer.get("/v1/me/score").json()
    assert score["score"] == rescored["score"] and score["model_id"] == rescored["model_id"]
    assert score["score"] >= int(login["score"])
    rows_after = _score_rows(demo_build.db_url, login["consumer_id"])
    assert rows_after[: len(rows_before)] == rows_before  # append-only
    added = rows_after[len(rows_before) :]
    # A row only when what the consumer is shown changed (a correction outside the card's bins adds none);
    # it supersedes the month's current row, which stays as the trail.
    assert len(added) <= 1
    assert added or rescored["score"] == before[-1]["score"]
    for as_of, _, supersedes, score in added:
        assert (as_of, supersedes, score) == (rescored["as_of"], rows_before[-1][1], rescored["score"])

    # A second accepted dispute that corrects the same values again rescores to the same score: no new row.
    r = consumer.post(
        "/v1/me/disputes", json={"record_table": "statements", "record_key": key, "reason": "again"}
    )
    again = r.json()["id"]
    r = analyst.post(
        f"/v1/analyst/disputes/{again}/accept",
        json={"corrections": {"days_past_due": 0, "amount_paid": worst["amount_due"]}},
    )
    assert r.status_code == 200, r.text
    assert _score_rows(demo_build.db_url, login["consumer_id"]) == rows_after
    mine = consumer.get(f"/v1/me/disputes/{dispute_id}").json()
    assert mine["status"] == "accepted" and mine["resolution"] == "lender confirmed"


def _score_rows(db_url: str, consumer_id: str) -> list[tuple[str, int, int | None, int]]:
    """(as_of, id, supersedes_id, score) of every score_history row of the consumer, oldest first."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT as_of, id, supersedes_id, score FROM score_history WHERE consumer_id = :c ORDER BY id"
            ),
            {"c": consumer_id},
        ).all()
    engine.dispose()
    return [(str(a)[:10], int(i), s, int(sc)) for a, i, s, sc in rows]


def test_model_activation_rescores_everyone(demo_build: DemoBuild) -> None:
    """Activating a model that has no scores yet scores every consumer with it first."""
    from sqlalchemy.orm import Session

    from lucidscore.artifact import load_artifact
    from lucidscore.service import load_model_key, register_model

    artifact = load_artifact(demo_build.directory / "model.json")
    copy = artifact.model_copy(update={"model_id": artifact.model_id + "-copy"}).with_hash()
    engine = make_engine(demo_build.db_url)
    assert demo_build.model_key_path is not None  # the demo serves with its key: models must be signed
    with Session(engine) as s:
        register_model(s, copy, load_model_key(demo_build.model_key_path))
        s.commit()
    engine.dispose()
    app = create_app(demo_settings(demo_build), rescorer=demo_rescorer(demo_build))
    analyst = signed_in(
        TestClient(app), demo_build.logins.analyst["username"], demo_build.logins.analyst["password"]
    )
    r = analyst.post(f"/v1/analyst/models/{copy.model_id}/activate")
    assert r.status_code == 200 and r.json()["active"] is True
    dist = analyst.get("/v1/analyst/monitoring/distribution").json()
    assert dist["model_id"] == copy.model_id and dist["consumers"] == 800
    models = analyst.get("/v1/analyst/models").json()
    assert [m["model_id"] for m in models if m["active"]] == [copy.model_id]
    r = analyst.post(f"/v1/analyst/models/{artifact.model_id}/activate")
    assert r.status_code == 200
