"""In real headless Chromium: a consumer signs in, sees score, reasons and history plot, grants a consent;
the merchant page decides with it; the consumer sees the access, revokes; the merchant is refused.
Screenshots of every page go to ``screenshot_dir``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lucidscore.api import create_app
from lucidscore.demo import DemoBuild, demo_settings
from lucidscore.demo._build import demo_rescorer
from tests.demo._server import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_consumer_and_merchant_journey(
    demo_build: DemoBuild, browser_context: Any, screenshot_dir: Path
) -> None:
    consumer = next(c for c in demo_build.logins.consumers if c["tier"] == "very good")
    merchant = next(m for m in demo_build.logins.merchants if m["username"] == "rentco")
    app = create_app(demo_settings(demo_build), rescorer=demo_rescorer(demo_build))
    page = browser_context.new_page()
    # Every page runs under a Content-Security-Policy with no inline script or style (issue 11): the
    # charts must still draw, and the browser must report no violation.
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    shot = 0

    def snap(name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=str(screenshot_dir / f"service_{shot:02d}_{name}.png"), full_page=True)

    with running(app) as base:
        page.goto(base)
        snap("home")
        sign_in(page, base, consumer["username"], "wrong password")
        assert "wrong username or password" in page.inner_text("[role=alert]")
        sign_in(page, base, consumer["username"], consumer["password"])
        page.wait_for_url(f"{base}/dashboard")
        # The demo is shared by the session's tests (a dispute test may have rescored someone), so the
        # page is checked against the consumer's own JSON view, read with the same session cookie.
        current = page.request.get(f"{base}/v1/me/score").json()
        history = page.request.get(f"{base}/v1/me/history").json()
        assert page.inner_text("#score-value") == str(current["score"])
        assert page.inner_text("#score-tier") == current["tier"]
        assert page.inner_text("#family-unused") == "not used"
        assert page.locator("#reasons li").count() >= 1
        page.wait_for_selector("#score-history .main-svg")
        assert len(history) >= 6  # the demo keeps six month ends of history
        assert page.locator("#score-history .scatterlayer .point").count() == len(history)
        page.wait_for_selector("#score-gauge .main-svg")
        snap("dashboard")
        page.goto(f"{base}/data")
        assert "Accounts" in page.inner_text("main")
        snap("my_data")

        page.goto(f"{base}/consents")
        page.select_option("#merchant", "rentco")
        page.select_option("#purpose", "deposit_free_rental")
        page.fill("#days", "7")
        page.click("form[action='/consents'] button[type=submit]")
        token = page.inner_text("#consent-token").strip()
        assert token.startswith("lct_")
        snap("consent_granted")

        merchant_page = browser_context.new_page()
        merchant_page.goto(f"{base}/merchant")
        merchant_page.fill("#api_key", merchant["api_key"])
        merchant_page.fill("#consent_token", token)
        merchant_page.select_option("#product", "deposit_free_rental")
        merchant_page.click("form[action='/merchant'] button[type=submit]")
        assert merchant_page.inner_text("#decision-result") == "Approved"  # very good >= 650
        merchant_page.screenshot(path=str(screenshot_dir / "service_merchant_decision.png"), full_page=True)

        page.goto(f"{base}/access")
        row = page.inner_text("#access-log")
        assert "RentCo Apartments" in row and "deposit_free_rental" in row and "approved" in row
        snap("who_looked")

        page.goto(f"{base}/consents")
        page.click("#consents button[type=submit]")
        assert "revoked" in page.inner_text("#consents")
        snap("consent_revoked")

        merchant_page.goto(f"{base}/merchant")
        merchant_page.fill("#api_key", merchant["api_key"])
        merchant_page.fill("#consent_token", token)
        merchant_page.select_option("#product", "deposit_free_rental")
        merchant_page.click("form[action='/merchant'] button[type=submit]")
        assert merchant_page.inner_text("#decision-error") == "403: the consent is revoked"
        merchant_page.screenshot(path=str(screenshot_dir / "service_merchant_refused.png"), full_page=True)
        merchant_page.close()

        page.goto(f"{base}/access")
        assert "refused: revoked" in page.inner_text("#access-log")

        page.goto(f"{base}/disputes")
        account = page.locator("#record option[value^='accounts:']").first.get_attribute("value")
        page.select_option("#record", account)
        page.fill("#reason", "I closed this account in 2024")
        page.click("form[action='/disputes'] button[type=submit]")
        assert "open" in page.inner_text("#disputes")
        assert account.split(":", 1)[1] in page.inner_text("#disputes")
        snap("disputes")

        page.click("header form button")  # sign out
        sign_in(page, base, demo_build.logins.analyst["username"], demo_build.logins.analyst["password"])
        page.wait_for_url(f"{base}/analyst")
        page.wait_for_selector("#score-distribution .main-svg")
        assert "active" in page.inner_text("#models")
        snap("analyst_models")
        page.goto(f"{base}/analyst/disputes")
        assert "I closed this account in 2024" in page.inner_text("main")
        snap("analyst_disputes")
    page.close()
    assert violations == [], "\n".join(violations)
