"""In real headless Chromium: a consumer signs in, sees score, reasons (statements with their own values),
advice and the waterfall of family points, and history; grants consents; the merchant page decides with
them (approved; declined with codes, statements and the adverse-action notice); the consumer sees who
looked and the decisions about them, opens the printable notice, revokes; the merchant is refused.
Screenshots of every page go to ``screenshot_dir``."""

from __future__ import annotations

import re
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
        # Reasons are the consumer statements, in order; the waterfall adds up to the score.
        reasons = page.locator("#reasons li").all_inner_texts()
        shown = [re.sub(r" \(\d+ points\)$", "", r) for r in reasons]
        assert shown == [r["text"] for r in current["reasons"]]
        assert all("scores higher" in r or "Other values score higher" in r for r in reasons)
        page.wait_for_selector("#score-waterfall .main-svg")
        steps = page.locator("#score-steps tr[class^=step] td.num").all_inner_texts()
        assert int(steps[-1]) == current["score"] == sum(int(x) for x in steps[:-1])
        for step in current["recourse"]:  # advice only in the declared direction
            assert step["direction"] in ("lower", "higher")
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

        # A product above the consumer's tier (premium needs 700): declined, with the notice.
        page.goto(f"{base}/consents")
        page.select_option("#merchant", "rentco")
        page.select_option("#purpose", "premium")
        page.click("form[action='/consents'] button[type=submit]")
        premium = page.inner_text("#consent-token").strip()
        merchant_page.goto(f"{base}/merchant")
        merchant_page.fill("#api_key", merchant["api_key"])
        merchant_page.fill("#consent_token", premium)
        merchant_page.select_option("#product", "premium")
        merchant_page.click("form[action='/merchant'] button[type=submit]")
        assert merchant_page.inner_text("#decision-result") == "Declined"
        codes = merchant_page.locator("#decision-reasons li").all_inner_texts()
        assert codes and all(c.endswith(")") and "(" in c for c in codes)  # statement (code)
        assert "has declined your application for Premium membership" in merchant_page.inner_text(
            "#decision-notice"
        )
        for r in current["reasons"]:  # the consumer's own values never reach the merchant
            assert r["text"] not in merchant_page.inner_text("main")
        merchant_page.screenshot(path=str(screenshot_dir / "service_merchant_declined.png"), full_page=True)

        page.goto(f"{base}/access")
        row = page.inner_text("#access-log")
        assert "RentCo Apartments" in row and "Deposit-free rental" in row and "approved" in row
        decisions = page.inner_text("#decisions")
        assert "Premium membership" in decisions and "declined" in decisions and "approved" in decisions
        snap("who_looked_and_decisions")
        page.click("a.notice-link")
        page.wait_for_selector("#notice")
        notice = page.inner_text("#notice")
        for text in ("Notice of action taken on your application", "Principal reasons", "from 350 to 950",
                     "A free copy of your data", "Disputing what is wrong", "A person to review the decision",
                     "RentCo Apartments made this decision"):  # fmt: skip
            assert text in notice, text
        assert page.locator("#notice-reasons li").count() == len(codes)
        snap("adverse_action_notice")
        page.emulate_media(media="print")
        assert not page.locator("header").is_visible()  # the printed notice is the letter alone
        page.pdf(path=str(screenshot_dir / "adverse_action_notice.pdf"))
        page.emulate_media(media="screen")

        page.goto(f"{base}/consents")
        page.locator("#consents tr", has_text="Deposit-free rental").locator("button[type=submit]").click()
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

        page.goto(f"{base}/disputes")  # in steps (issue 12): an account, the account itself, the field
        page.locator("input[name=about][value^='account:']").first.check()
        page.click("#contest button[type=submit]")
        record = page.locator("input[name=record][value^='accounts:']")
        account = record.get_attribute("value")
        record.check()
        page.click("#contest button[type=submit]")
        page.select_option("#field", "closed")
        page.fill("#reason", "I closed this account in 2024")
        page.click("form[action='/disputes'] button[type=submit]")
        assert "Waiting for review" in page.inner_text("#disputes")  # until an analyst takes it up
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
