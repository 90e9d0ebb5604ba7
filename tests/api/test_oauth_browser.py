"""In real headless Chromium (issue 12): a merchant's OAuth client sends a consumer to /oauth/authorize; the
consumer signs in, reads who asks and for what, approves; the browser lands on the merchant's callback
with a code, the merchant exchanges it for a consent token and makes a decision; the consumer sees it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy.orm import Session

from lucidscore.service import add_redirect_uri
from lucidscore.store import make_engine
from tests.api._world import PASSWORDS, build_world
from tests.demo._server import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CALLBACK = "http://127.0.0.1:9/shop-x/callback"  # nothing listens there: the test answers for the merchant


def test_consumer_approves_in_chromium_and_the_merchant_decides(
    tmp_path: Path, browser_context: Any, screenshot_dir: Path
) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'service.db'}")
    engine = make_engine(world.db_url)
    with Session(engine) as s:
        add_redirect_uri(s, "shop_x", CALLBACK)
        s.commit()
    engine.dispose()
    merchant = OAuth2Client(
        "shop_x",
        world.api_keys["shop_x"],
        redirect_uri=CALLBACK,
        scope="deposit_free_rental",
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    browser_context.clear_cookies()
    page = browser_context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    landed: list[str] = []

    def merchant_callback(route: Any) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p id='merchant'>Shop X received it</p>")

    page.route(CALLBACK + "*", merchant_callback)
    try:
        with running(world.app) as base:
            url, state = merchant.create_authorization_url(base + "/oauth/authorize", code_verifier=verifier)
            page.goto(url)
            page.wait_for_url(f"{base}/signin?next=*")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORDS["alice"])
            page.click("main button[type=submit]")
            page.wait_for_selector("#oauth-consent")
            assert page.inner_text("#oauth-merchant") == "Shop X"
            assert page.inner_text("#oauth-product") == "Deposit-free rental"
            assert page.inner_text("#oauth-days") == "30 days"
            assert page.inner_text("#oauth-decisions") == "1 decision"
            assert "never sees your records" in page.inner_text("#oauth-consent")
            assert page.inner_text("#oauth-back-to") == "127.0.0.1:9"
            page.screenshot(path=str(screenshot_dir / "oauth_consent.png"), full_page=True)
            page.click("#oauth-approve")
            page.wait_for_selector("#merchant")
            assert len(landed) == 1 and landed[0].startswith(CALLBACK + "?")
            assert parse_qs(urlsplit(landed[0]).query)["state"] == [state]

            token = merchant.fetch_token(
                base + "/oauth/token", authorization_response=landed[0], code_verifier=verifier, state=state
            )
            decision = merchant.post(base + "/v1/decisions", json={"product": "deposit_free_rental"})
            assert decision.status_code == 200, decision.text
            assert decision.json()["score"] == 655 and decision.json()["approved"] is True
            assert token["access_token"].startswith("lct_")

            page.goto(f"{base}/access")
            assert "Shop X" in page.inner_text("main") and "approved" in page.inner_text("main")
            page.goto(f"{base}/consents")
            assert "Shop X" in page.inner_text("#consents")
            page.screenshot(path=str(screenshot_dir / "oauth_consents_after.png"), full_page=True)
    finally:
        page.close()
    assert violations == []
