"""Authorization on every object a caller can name: consumers see only their own, merchants use only
their own consents, analyst endpoints refuse consumers and merchants."""

from __future__ import annotations

import pytest

from tests.api._world import World


def test_me_endpoints_need_a_session(world: World) -> None:
    anon = world.client()
    for path in (
        "/v1/me",
        "/v1/me/score",
        "/v1/me/history",
        "/v1/me/data",
        "/v1/me/access-log",
        "/v1/me/consents",
    ):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthenticated"


def test_each_consumer_sees_only_their_own_score_data_and_history(any_world: World) -> None:
    alice, bob = any_world.signed_in("alice"), any_world.signed_in("bob")
    assert alice.get("/v1/me/score").json()["score"] == 655
    assert bob.get("/v1/me/score").json()["score"] == 560
    assert {h["score"] for h in bob.get("/v1/me/history").json()} == {560, 575, 590}
    a_data, b_data = alice.get("/v1/me/data").json(), bob.get("/v1/me/data").json()
    assert [a["account_id"] for a in a_data["accounts"]] == ["A1"]
    assert {s["account_id"] for s in a_data["statements"]} == {"A1"}
    assert [a["account_id"] for a in b_data["accounts"]] == ["A2"]
    assert "C0001" not in bob.get("/v1/me/data").text


def test_consumer_cannot_touch_another_consumers_consent(any_world: World) -> None:
    alice, bob = any_world.signed_in("alice"), any_world.signed_in("bob")
    r = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"})
    consent_id = r.json()["id"]
    r = bob.post(f"/v1/me/consents/{consent_id}/revoke")
    assert r.status_code == 404 and r.json()["error"]["message"] == f"you have no consent {consent_id}"
    assert all(c["id"] != consent_id for c in bob.get("/v1/me/consents").json())
    assert next(c for c in alice.get("/v1/me/consents").json() if c["id"] == consent_id)["status"] == "active"


def test_consumer_cannot_read_or_open_disputes_on_another_consumer(any_world: World) -> None:
    alice, bob = any_world.signed_in("alice"), any_world.signed_in("bob")
    r = alice.post(
        "/v1/me/disputes", json={"record_table": "accounts", "record_key": "A1", "reason": "not mine"}
    )
    assert r.status_code == 201, r.text
    dispute_id = r.json()["id"]
    assert bob.get(f"/v1/me/disputes/{dispute_id}").status_code == 404
    assert bob.get("/v1/me/disputes").json() == []
    r = bob.post(
        "/v1/me/disputes", json={"record_table": "accounts", "record_key": "A1", "reason": "let me see"}
    )
    assert r.status_code == 404 and "no current accounts record with key 'A1'" in r.json()["error"]["message"]


def test_access_log_is_per_consumer(any_world: World) -> None:
    alice = any_world.signed_in("alice")
    token = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"}).json()["token"]
    any_world.merchant("shop_x").post("/v1/decisions", json={"consent_token": token, "product": "premium"})
    assert any_world.signed_in("bob").get("/v1/me/access-log").json() == [] or all(
        row["purpose"] != "premium" or row["merchant"] != "Shop X"
        for row in any_world.signed_in("bob").get("/v1/me/access-log").json()
    )
    assert any(row["purpose"] == "premium" for row in alice.get("/v1/me/access-log").json())


ANALYST_ROUTES = [
    ("get", "/v1/analyst/models", None),
    ("post", "/v1/analyst/models/sc-test-1/activate", None),
    ("get", "/v1/analyst/disputes", None),
    ("get", "/v1/analyst/disputes/1", None),
    ("post", "/v1/analyst/disputes/1/accept", {"note": "x"}),
    ("post", "/v1/analyst/disputes/1/reject", {"reason": "nope"}),
    ("get", "/v1/analyst/monitoring/distribution", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ANALYST_ROUTES)
def test_analyst_routes_refuse_consumers_merchants_and_anonymous(
    world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    for client, status in (
        (world.signed_in("alice"), 403),
        (world.merchant("shop_x"), 401),
        (world.client(), 401),
    ):
        r = getattr(client, method)(path, **({"json": body} if body else {}))
        assert r.status_code == status, (path, r.text)
        assert r.json()["error"]["status"] == status


def test_consumer_routes_refuse_analysts(world: World) -> None:
    r = world.signed_in("ann").get("/v1/me/score")
    assert r.status_code == 403 and r.json()["error"]["message"] == "this endpoint is for consumers"


def test_merchants_cannot_sign_in_with_a_password(world: World) -> None:
    r = world.client().post("/v1/session", json={"username": "shop_x", "password": "unused-shop_x"})
    assert r.status_code == 401
