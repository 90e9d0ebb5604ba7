"""What the operator's actions do to the running service (issue 15), on SQLite and PostgreSQL: a revoked
account is shut out at once, a revoked merchant takes no new consents, every decision names the catalogue
version it was made with (refused ones too), and the default catalogue is stored as version 1."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from lucidscore.service import AccountSpec, create_account, revoke_account
from lucidscore.store import make_engine
from tests.api._world import PASSWORDS, World


def test_the_default_catalogue_is_version_1_and_decisions_record_it(any_world: World) -> None:
    r = any_world.signed_in("bob").post(
        "/v1/me/consents", json={"merchant": "shop_y", "purpose": "premium", "days": 30}
    )
    token = r.json()["token"]
    r = any_world.merchant("shop_y").post(
        "/v1/decisions", json={"consent_token": token, "product": "premium"}
    )
    assert r.status_code == 200 and r.json()["catalogue_version"] == 1
    r = any_world.merchant("shop_x").post(
        "/v1/decisions", json={"consent_token": token, "product": "premium"}
    )
    assert r.status_code == 403
    engine = make_engine(any_world.db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT result, catalogue_version FROM access_log WHERE consumer_id = 'C0002' ORDER BY id")
        ).all()
        source = conn.execute(text("SELECT source FROM benefit_catalogues")).scalar_one()
    engine.dispose()
    assert [tuple(r) for r in rows][-2:] == [("declined", 1), ("refused: other merchant", 1)]
    assert source == "default"


def test_revoked_accounts_are_shut_out_at_once(any_world: World) -> None:
    engine = make_engine(any_world.db_url)
    with Session(engine) as s:
        merchant = create_account(s, AccountSpec("merchant", "shop_z", "Shop Z"))
        create_account(s, AccountSpec("analyst", "ann2"))
        s.commit()
    consumer = any_world.signed_in("alice")
    assert "shop_z" in [m["username"] for m in consumer.get("/v1/me/merchants").json()]
    token = consumer.post(
        "/v1/me/consents", json={"merchant": "shop_z", "purpose": "premium", "days": 30}
    ).json()["token"]
    shop = any_world.client()
    shop.headers["X-API-Key"] = merchant.secret
    assert shop.post("/v1/decisions", json={"consent_token": token, "product": "premium"}).status_code == 200

    analyst = any_world.signed_in("ann")
    assert analyst.get("/v1/analyst/models").status_code == 200
    with Session(engine) as s:
        revoke_account(s, "shop_z")
        revoke_account(s, "ann")
        s.commit()
    engine.dispose()
    assert shop.post("/v1/decisions", json={"consent_token": token, "product": "premium"}).status_code == 401
    assert analyst.get("/v1/analyst/models").status_code == 401  # its session ended
    r = any_world.client().post("/v1/session", json={"username": "ann", "password": PASSWORDS["ann"]})
    assert r.status_code == 401
    assert "shop_z" not in [m["username"] for m in consumer.get("/v1/me/merchants").json()]
    r = consumer.post("/v1/me/consents", json={"merchant": "shop_z", "purpose": "premium", "days": 30})
    assert r.status_code == 422 and r.json()["error"]["message"] == "no merchant named 'shop_z'"
