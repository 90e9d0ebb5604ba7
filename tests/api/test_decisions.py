"""Merchant decisions with consent: approved, declined with reasons, 403 for every consent problem,
every call in the consumer's "who looked" — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from lucidscore.store import make_engine
from lucidscore.store.service import Consent
from tests.api._world import World


def grant(world: World, who: str, merchant: str, purpose: str, days: int = 30) -> dict[str, object]:
    r = world.signed_in(who).post(
        "/v1/me/consents", json={"merchant": merchant, "purpose": purpose, "days": days}
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_decision_approved_with_consent_and_logged(any_world: World) -> None:
    consent = grant(any_world, "alice", "shop_x", "deposit_free_rental")
    r = any_world.merchant("shop_x").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "deposit_free_rental"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["approved"], body["score"], body["tier"], body["min_score"]) == (True, 655, "very good", 650)
    assert body["reasons"] == [] and body["notice"] is None
    log = any_world.signed_in("alice").get("/v1/me/access-log").json()
    assert log[0]["merchant"] == "Shop X" and log[0]["purpose"] == "deposit_free_rental"
    assert log[0]["result"] == "approved"


def test_declined_decision_gives_principal_reasons(any_world: World) -> None:
    consent = grant(any_world, "alice", "shop_x", "premium")
    r = any_world.merchant("shop_x").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "premium"}
    )
    assert r.status_code == 200
    assert r.json()["approved"] is False
    assert r.json()["reasons"] == [
        {"code": "CH02", "statement": "Late payment on credit accounts in the last 12 months"}
    ]
    # The merchant gets codes and statements to pass on, never the applicant's values or bins.
    assert "C0001" not in r.text and "30 or more" not in r.text and "days late" not in r.text


def test_merchant_cannot_use_a_consent_granted_to_another_merchant(any_world: World) -> None:
    consent = grant(any_world, "bob", "shop_x", "instant_credit_line")
    r = any_world.merchant("shop_y").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "instant_credit_line"}
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "the consent was granted to another merchant"
    assert "score" not in r.text
    log = any_world.signed_in("bob").get("/v1/me/access-log").json()
    assert log[0]["merchant"] == "Shop Y" and log[0]["result"].startswith("refused")


def test_consent_is_for_one_purpose(any_world: World) -> None:
    consent = grant(any_world, "alice", "shop_y", "instant_credit_line")
    r = any_world.merchant("shop_y").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "premium"}
    )
    assert r.status_code == 403
    assert "is for 'instant_credit_line', not for 'premium'" in r.json()["error"]["message"]


def test_revoked_consent_is_refused(any_world: World) -> None:
    consent = grant(any_world, "alice", "shop_y", "deposit_free_rental")
    alice = any_world.signed_in("alice")
    r = alice.post(f"/v1/me/consents/{consent['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = any_world.merchant("shop_y").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "deposit_free_rental"}
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "the consent is revoked"
    assert alice.get("/v1/me/access-log").json()[0]["result"] == "refused: revoked"


def test_expired_consent_is_refused(any_world: World) -> None:
    consent = grant(any_world, "bob", "shop_y", "instant_credit_line", days=1)
    engine = make_engine(any_world.db_url)
    with Session(engine) as s:
        s.execute(
            update(Consent)
            .where(Consent.id == consent["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(1))
        )
        s.commit()
    engine.dispose()
    r = any_world.merchant("shop_y").post(
        "/v1/decisions", json={"consent_token": consent["token"], "product": "instant_credit_line"}
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "the consent is expired"


def test_missing_or_unknown_consent_and_key(any_world: World) -> None:
    shop = any_world.merchant("shop_x")
    r = shop.post("/v1/decisions", json={"consent_token": "lct_nope", "product": "premium"})
    assert r.status_code == 403 and "no consent with this token" in r.json()["error"]["message"]
    r = any_world.client().post("/v1/decisions", json={"consent_token": "lct_nope", "product": "premium"})
    assert r.status_code == 401 and r.json()["error"]["field"] == "X-API-Key"
    bad = any_world.client()
    bad.headers["X-API-Key"] = any_world.api_keys["shop_x"][:-2] + "zz"
    assert bad.post("/v1/decisions", json={"consent_token": "x", "product": "premium"}).status_code == 401
    r = shop.post("/v1/decisions", json={"consent_token": "x", "product": "yacht"})
    assert r.status_code == 422 and "'yacht' is not one of" in r.json()["error"]["message"]


def test_consent_grant_validation(world: World) -> None:
    alice = world.signed_in("alice")
    r = alice.post("/v1/me/consents", json={"merchant": "nobody", "purpose": "premium"})
    assert r.status_code == 422 and r.json()["error"]["message"] == "no merchant named 'nobody'"
    r = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "lottery"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "purpose"
    r = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium", "days": 400})
    assert r.status_code == 422 and "at most 365 days" in r.json()["error"]["message"]


def test_a_decision_holds_one_connection_for_its_reads_and_its_log_line(any_world: World) -> None:
    """Issue 11, latency: the catalogue version, API key, consent and score are read, and the access-log
    line written, on one pooled connection on PostgreSQL (one transaction); SQLite ends its reads before it
    waits for the write lock, so two. Each checkout costs a ping and a BEGIN/COMMIT pair of round trips."""
    consent = grant(any_world, "bob", "shop_y", "deposit_free_rental")
    engine = any_world.app.state.lucid.sessions().get_bind()
    checkouts: list[object] = []
    statements: list[str] = []

    def checked_out(*args: object) -> None:
        checkouts.append(args)

    def executed(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "before_cursor_execute", executed)
    try:
        r = any_world.merchant("shop_y").post(
            "/v1/decisions", json={"consent_token": consent["token"], "product": "deposit_free_rental"}
        )
    finally:
        event.remove(engine, "checkout", checked_out)
        event.remove(engine, "before_cursor_execute", executed)
    assert r.status_code == 200, r.text
    assert len(checkouts) == (1 if engine.dialect.name == "postgresql" else 2)
    assert any("benefit_catalogues" in s for s in statements)  # the version is still read on every call
    assert sum("INSERT INTO access_log" in s for s in statements) == 1


def test_a_consent_revoked_twice_at_once_keeps_its_first_revocation(any_world: World) -> None:
    """Concurrency: four taps on "revoke" at the same instant. Every answer shows the one stored moment of
    revocation, which a later revoke never moves (each used to write its own moment over the others', so
    the answers disagreed and the stored moment was the last one's)."""
    consent = grant(any_world, "alice", "shop_x", "deposit_free_rental")
    clients = [any_world.signed_in("alice") for _ in range(4)]
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def revoke(client: TestClient) -> None:
        start.wait(10)
        r = client.post(f"/v1/me/consents/{consent['id']}/revoke")
        answers.append((r.status_code, r.json().get("revoked_at")))

    threads = [threading.Thread(target=revoke, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    listed = clients[0].get("/v1/me/consents").json()
    (stored,) = [c["revoked_at"] for c in listed if c["id"] == consent["id"]]
    assert answers == [(200, stored)] * 4
    again = clients[0].post(f"/v1/me/consents/{consent['id']}/revoke")
    assert again.status_code == 200 and again.json()["revoked_at"] == stored
