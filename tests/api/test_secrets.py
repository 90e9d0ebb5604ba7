"""Passwords, API keys, session and consent tokens are shown once at creation, never again: not in later
responses, not in logs, not in the database."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from lucidscore.store import make_engine
from tests.api._world import PASSWORDS, World


def test_secrets_never_leave_after_creation(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alice = world.signed_in("alice")
    session_token = alice.headers["Authorization"].removeprefix("Bearer ")
    created = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "instant_credit_line"})
    consent_token = created.json()["token"]
    shop = world.merchant("shop_x")
    later = [
        alice.get("/v1/me/consents"),
        alice.get("/v1/me/access-log"),
        alice.get("/v1/me"),
        alice.get("/consents"),
        shop.post("/v1/decisions", json={"consent_token": consent_token, "product": "instant_credit_line"}),
        shop.post("/v1/decisions", json={"consent_token": consent_token, "product": "premium"}),
        world.signed_in("ann").get("/v1/analyst/disputes"),
        world.client().get("/openapi.json"),
    ]
    secrets = [consent_token, session_token, *world.api_keys.values(), *PASSWORDS.values()]
    for response in later:
        for secret in secrets:
            assert secret not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in logged
    engine = make_engine(world.db_url)
    with engine.connect() as conn:
        dumped = ""
        for table in ("users", "api_keys", "sessions", "consents", "access_log"):
            dumped += repr(conn.execute(text(f"SELECT * FROM {table}")).all())
    engine.dispose()
    for secret in secrets:
        assert secret not in dumped
    assert "$argon2id$" in dumped
