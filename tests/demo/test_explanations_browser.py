"""Issue 10's browser journey, in real headless Chromium on the demo: a demo consumer whose tier is below a
product's minimum signs in, grants a merchant a consent, the merchant's decision is declined; the consumer's
page shows the reasons (consumer statements with their own values, points lost), the waterfall from the
model's base points through every family's points to the score, and advice only in a declared direction;
the printable adverse-action notice states the merchant's decision, the principal reasons (the statements
and codes the merchant got), the score and its range, the model, the rights and the contact. Screenshots go
to the test's tmp dir (never committed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from lucidscore.api import create_app
from lucidscore.artifact import load_artifact
from lucidscore.demo import DemoBuild, demo_rescorer, demo_settings
from tests.demo._server import running
from tests.demo.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRODUCT, MINIMUM = "deposit_free_rental", 650  # the default catalogue's minimum for it


def test_declined_consumer_sees_reasons_waterfall_advice_and_the_notice(
    demo_build: DemoBuild, browser_context: Any, tmp_path: Path
) -> None:
    artifact = load_artifact(demo_build.directory / "model.json")
    merchant = next(m for m in demo_build.logins.merchants if m["username"] == "rentco")
    consumer = next(c for c in demo_build.logins.consumers if c["tier"] == "fair")
    app = create_app(demo_settings(demo_build), rescorer=demo_rescorer(demo_build))
    browser_context.clear_cookies()
    page = browser_context.new_page()

    def snap(name: str) -> None:
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)

    with running(app) as base:
        sign_in(page, base, consumer["username"], consumer["password"])
        page.wait_for_url(f"{base}/dashboard")
        current = page.request.get(f"{base}/v1/me/score").json()
        assert current["score"] < MINIMUM and current["reasons"]

        # Reasons: the consumer statements in order, each with the points it loses, largest first.
        items = page.locator("#reasons li").all_inner_texts()
        assert len(items) == len(current["reasons"])
        lost = []
        for item, r in zip(items, current["reasons"], strict=True):
            m = re.fullmatch(r"(.*) \((\d+) points\)", item)
            assert m is not None and m.group(1) == r["text"] and int(m.group(2)) == r["points_lost"] >= 1
            lost.append(int(m.group(2)))
        assert lost[:4] == sorted(lost[:4], reverse=True)

        # Waterfall: the segment's base points from the model file, every used family (negative ones too),
        # adding up to the score.
        segment = next(s for s in artifact.segments if s.name == current["segment"])
        rows = page.locator("#score-steps tr[class^=step]")
        kinds = [c.removeprefix("step-") for c in rows.evaluate_all("rs => rs.map(r => r.className)")]
        points = [int(x) for x in rows.locator("td.num").all_inner_texts()]
        assert kinds[0] == "base" and points[0] == segment.base_points == current["base_points"]
        assert kinds[-1] == "total" and points[-1] == current["score"] == sum(points[:-1])
        families = [f["points"] for f in current["families"] if f["used"] and f["points"] is not None]
        assert [p for k, p in zip(kinds, points, strict=True) if k == "family"] == families
        page.wait_for_selector("#score-waterfall .main-svg")

        # Advice: the plan's steps as shown, each in its characteristic's declared direction.
        advice = {c.name: c.advice_direction for c in segment.characteristics}
        shown = page.locator("#recourse li").all_inner_texts()
        assert shown == [s["text"] for s in current["recourse"]]
        for step in current["recourse"]:
            assert step["direction"] == advice[step["characteristic"]] in ("lower", "higher")
        if not current["recourse"]:
            assert current["recourse_note"] and current["recourse_note"] in page.inner_text("#recourse")
        snap("consumer_page")

        page.goto(f"{base}/consents")
        page.select_option("#merchant", "rentco")
        page.select_option("#purpose", PRODUCT)
        page.click("form[action='/consents'] button[type=submit]")
        token = page.inner_text("#consent-token").strip()
        r = httpx.post(
            f"{base}/v1/decisions",
            headers={"X-API-Key": merchant["api_key"]},
            json={"consent_token": token, "product": PRODUCT},
        )
        assert r.status_code == 200, r.text
        decision = r.json()
        assert decision["approved"] is False and decision["notice"] is not None
        expected = decision["notice"]
        for reason in current["reasons"]:  # the merchant gets codes and statements, never the values
            assert reason["text"] not in r.text

        page.goto(f"{base}/access")
        assert "declined" in page.inner_text("#decisions")
        page.click("a.notice-link")
        page.wait_for_selector("#notice")
        notice = page.inner_text("#notice")
        assert page.inner_text("#notice-summary") == expected["summary"]
        assert f"credit score of {current['score']} (on a scale from 350 to 950)" in expected["summary"]
        listed = page.locator("#notice-reasons li").all_inner_texts()
        assert listed == [f"{p['statement']} (code {p['code']})" for p in expected["principal_reasons"]]
        codes = [x["code"] for x in decision["reasons"]]  # up to four, a fifth for recent inquiries
        assert (
            [p["code"] for p in expected["principal_reasons"]]
            == codes[:4]
            == [x["code"] for x in current["reasons"]][:4]
        )
        assert [p["code"] for p in expected["score"]["key_factors"]] == codes
        assert artifact.model_id in notice and "RentCo Apartments made this decision" in notice
        for right in expected["rights"]:
            assert right["title"] in notice
        assert expected["contact"]["email"] in page.inner_text("#notice-contact")
        snap("adverse_action_notice")
        page.emulate_media(media="print")
        assert not page.locator("header").is_visible()  # the printed notice is the letter alone
        page.emulate_media(media="screen")
    assert (tmp_path / "consumer_page.png").stat().st_size > 0
    assert (tmp_path / "adverse_action_notice.png").stat().st_size > 0
