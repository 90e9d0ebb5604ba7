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


def test_passwords_are_hashed_at_the_documented_costs() -> None:
    """The service hashes with argon2id at OWASP's minimum costs (t=2, m=19 MiB, p=1); the suite's cheaper
    hashes (tests/fixtures/passwords.py) verify under it and its hashes under the suite's check."""
    from lucidscore.service._secrets import verify_password
    from tests.fixtures.passwords import PRODUCTION_HASHER, cheap_hasher

    production = PRODUCTION_HASHER()
    stored = production.hash("correct horse")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(stored, "correct horse") and not verify_password(stored, "correct horsE")
    assert production.verify(cheap_hasher().hash("battery staple"), "battery staple")
    assert production.check_needs_rehash(cheap_hasher().hash("x"))  # the cheap hash is not the service's
