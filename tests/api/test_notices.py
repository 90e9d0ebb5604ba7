"""Adverse-action notices (issue 10): every declined decision carries one a lender could send as it is; the
consumer sees the same notice under "decisions about me" and as a printable page, only their own — on
SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from lucidscore.store import make_engine
from lucidscore.store.service import ScoreRecord
from tests.api._world import ADVERSE_ACTION, PASSWORDS, World, explanation, reason
from tests.api.test_pages import post_signin


def decide(world: World, who: str, merchant: str, product: str) -> dict[str, Any]:
    token = world.signed_in(who).post("/v1/me/consents", json={"merchant": merchant, "purpose": product})
    assert token.status_code == 201, token.text
    r = world.merchant(merchant).post(
        "/v1/decisions", json={"consent_token": token.json()["token"], "product": product}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_declined_decision_carries_a_complete_notice(any_world: World) -> None:
    body = decide(any_world, "alice", "shop_x", "premium")  # 655 < 700
    notice = body["notice"]
    assert (
        notice["decision"] == "declined" and notice["title"] == "Notice of action taken on your application"
    )
    assert (notice["merchant"], notice["product"], notice["product_label"]) == (
        "Shop X",
        "premium",
        "Premium membership",
    )
    assert notice["decided_at"] == body["decided_at"]
    assert "Shop X has declined your application for Premium membership" in notice["summary"]
    assert "score of 655 (on a scale from 350 to 950)" in notice["summary"]
    assert notice["principal_reasons"] == [{"code": "CH02", "statement": ADVERSE_ACTION}]
    score = notice["score"]
    assert (score["score"], score["lowest_possible"], score["highest_possible"]) == (655, 350, 950)
    assert (score["tier"], score["model_id"], score["provider"]) == ("very good", "sc-test-1", "lucidscore")
    assert score["as_of"] == datetime.now(UTC).date().isoformat()
    assert score["key_factors"] == notice["principal_reasons"]
    titles = [r["title"] for r in notice["rights"]]
    assert titles == [
        "A free copy of your data",
        "Disputing what is wrong",
        "A person to review the decision",
        "Equal treatment",
    ]
    assert "60 days" in notice["rights"][0]["text"] and "review" in notice["rights"][2]["text"]
    assert notice["contact"] == {
        "name": "lucidscore consumer help",
        "email": "help@lucidscore.invalid",
        "address": "",
    }
    assert "Shop X made this decision" in notice["decision_made_by"]
    # Nothing personal reaches the merchant: not the consumer's statement, value or bin.
    text = str(body)
    assert "C0001" not in text and "30 or more" not in text and "days late" not in text


def test_approved_decision_has_no_notice(world: World) -> None:
    body = decide(world, "alice", "shop_x", "deposit_free_rental")
    assert body["approved"] is True and body["notice"] is None and body["reasons"] == []


def test_consumer_sees_decisions_about_them_with_the_notice_the_merchant_got(any_world: World) -> None:
    declined = decide(any_world, "alice", "shop_x", "premium")
    decide(any_world, "alice", "shop_y", "deposit_free_rental")
    alice = any_world.signed_in("alice")
    rows = alice.get("/v1/me/decisions").json()[:2]  # newest first (the module's world is shared)
    assert [(r["merchant"], r["product"], r["approved"], r["score"]) for r in rows] == [
        ("Shop Y", "deposit_free_rental", True, 655),
        ("Shop X", "premium", False, 655),
    ]
    assert rows[0]["notice"] is None
    assert rows[1]["notice"] == declined["notice"]
    one = alice.get(f"/v1/me/decisions/{rows[1]['id']}/notice")
    assert one.status_code == 200 and one.json() == declined["notice"]


def test_notice_is_the_one_given_even_after_a_rescore(any_world: World) -> None:
    declined = decide(any_world, "bob", "shop_x", "instant_credit_line")  # 560 < 600
    engine = make_engine(any_world.db_url)
    with Session(engine) as s:  # a later score, as after a dispute: the old notice must not change
        s.add(
            ScoreRecord(
                consumer_id="C0002",
                model_id="sc-test-1",
                as_of=datetime.now(UTC).date() + timedelta(days=1),
                score=640,
                tier="good",
                probability=0.05,
                segment="all",
                reasons=[reason("C0002-later").model_dump(mode="json")],
                explanation=explanation("C0002", 640, "good").model_dump(mode="json"),
            )
        )
        s.commit()
    engine.dispose()
    bob = any_world.signed_in("bob")
    assert bob.get("/v1/me/score").json()["score"] == 640
    row = bob.get("/v1/me/decisions").json()[0]
    assert row["notice"] == declined["notice"] and row["notice"]["score"]["score"] == 560
    assert bob.get(f"/v1/me/decisions/{row['id']}/notice").json() == declined["notice"]


def test_a_notice_is_only_its_consumers(any_world: World) -> None:
    decide(any_world, "alice", "shop_x", "premium")
    decide(any_world, "alice", "shop_y", "deposit_free_rental")
    rows = any_world.signed_in("alice").get("/v1/me/decisions").json()[:2]
    ids = {r["approved"]: r["id"] for r in rows}
    bob = any_world.signed_in("bob")
    r = bob.get(f"/v1/me/decisions/{ids[False]}/notice")
    assert (
        r.status_code == 404 and r.json()["error"]["message"] == f"you have no declined decision {ids[False]}"
    )
    assert not {r["id"] for r in bob.get("/v1/me/decisions").json()} & set(ids.values())
    alice = any_world.signed_in("alice")
    assert alice.get(f"/v1/me/decisions/{ids[True]}/notice").status_code == 404  # approved: no notice
    assert alice.get("/v1/me/decisions/999999/notice").status_code == 404
    assert alice.get(f"/v1/me/decisions/{2**40}/notice").status_code == 422
    assert any_world.client().get("/v1/me/decisions").status_code == 401
    assert any_world.merchant("shop_x").get(f"/v1/me/decisions/{ids[False]}/notice").status_code == 401


def test_pages_show_decisions_about_me_and_a_printable_notice(world: World) -> None:
    decide(world, "alice", "shop_x", "premium")
    browser = world.client()
    post_signin(browser, "alice", PASSWORDS["alice"])
    html = browser.get("/access").text
    assert "Decisions about me" in html and "Premium membership" in html and "declined" in html
    link = re.search(r'href="(/decisions/(\d+)/notice)"', html)
    assert link is not None and ADVERSE_ACTION in html
    page = browser.get(link.group(1))
    assert page.status_code == 200
    for text in (
        "Notice of action taken on your application",
        ADVERSE_ACTION,
        "(code CH02)",
        "from 350 to 950",
        "model sc-test-1",
        "A free copy of your data",
        "A person to review the decision",
        "help@lucidscore.invalid",
        'src="/static/print.js"',  # the print button, started by a static file (the CSP allows no inline)
        "data-print",
    ):
        assert text in page.text, text
    assert "onclick" not in page.text and "<script>" not in page.text and "style=" not in page.text
    assert "window.print()" in browser.get("/static/print.js").text
    other = world.client()
    post_signin(other, "bob", PASSWORDS["bob"])
    assert other.get(link.group(1)).status_code == 404
    assert world.client().get(link.group(1), follow_redirects=False).headers["location"] == "/signin"


def test_notice_names_the_configured_contact(tmp_path: Any) -> None:
    from tests.api._world import build_world

    world = build_world(
        f"sqlite:///{tmp_path / 'c.db'}", contact_name="Acme Score Desk", contact_address="1 Main St, Town"
    )
    notice = decide(world, "alice", "shop_x", "premium")["notice"]
    assert (
        notice["contact"]["name"] == "Acme Score Desk" and notice["contact"]["address"] == "1 Main St, Town"
    )
    assert "Acme Score Desk" in notice["rights"][0]["text"]
