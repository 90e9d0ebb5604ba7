"""Issue 12: the pages in plain language — records labelled, money and dates in words, disputes filed in
steps (account, record, field) with their history shown to the consumer and, as rows, to the analyst;
errors as pages for browsers and JSON for API clients."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from lucidscore.records import TABLES_BY_NAME
from tests.api._world import PASSWORDS, World, build_world
from tests.api.test_pages import post_signin

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def test_my_data_reads_as_words(world: World) -> None:
    client = world.client()
    post_signin(client, "bob", PASSWORDS["bob"])
    html = client.get("/data").text
    for raw in ("00:00:00", "9000.0", "identity_verified", "amount_due", ">true<", ">instalment<"):
        assert raw not in html, raw
    for shown in (
        "€9,000",
        "€12,000",
        "June 2026",
        "Instalment loan",
        "45 days",
        "Identity verified",
        ">yes<",
    ):
        assert shown in html, shown
    # every column header is a label with its meaning from the record tables
    assert 'title="balance owed at statement date">Balance<' in html
    assert "1 July 2026" in html  # reported_at, a date


def test_codes_on_consents_and_money_setting(tmp_path: pytest.TempPathFactory) -> None:
    world = build_world(f"sqlite:///{tmp_path}/usd.db", currency="USD")
    client = world.client()
    post_signin(client, "bob", PASSWORDS["bob"])
    assert "$9,000" in client.get("/data").text
    page = client.get("/consents").text
    client.post("/consents", data={"merchant": "shop_x", "purpose": "premium", "csrf_token": _csrf(page)})
    consents = client.get("/consents").text
    table = consents[consents.index('id="consents"') :]
    assert ">premium<" not in table and "00:00" not in table


def test_a_dispute_is_filed_in_steps_and_its_history_is_shown(tmp_path: pytest.TempPathFactory) -> None:
    world = build_world(f"sqlite:///{tmp_path}/disputes.db")
    client = world.client()
    post_signin(client, "alice", PASSWORDS["alice"])
    first = client.get("/disputes").text
    assert "<select" not in first  # no drop-down of every record
    assert 'name="about" value="account:A1"' in first and "Credit card or revolving credit A1" in first
    second = client.get("/disputes", params={"about": "account:A1"}).text
    assert 'value="statements:A1|2026-06"' in second and "June 2026: balance €1,100" in second
    assert 'value="accounts:A1"' in second and "2026-05" not in re.sub(r'value="[^"]*"', "", second)
    third = client.get("/disputes", params={"record": "statements:A1|2026-06"}).text
    fields = re.findall(r'<option value="(\w+)">([^<]+)</option>', third)
    assert ("balance", "Balance") in fields and ("days_past_due", "Days past due") in fields
    assert "consumer_id" not in dict(fields) and "€1,100" in third
    form = {"record": "statements:A1|2026-06", "csrf_token": _csrf(third), "reason": "I paid it off"}
    r = client.post("/disputes", data=form)  # no field chosen
    assert r.status_code == 422 and "choose the field that is wrong" in r.text
    r = client.post("/disputes", data=form | {"field": "consumer_id"})
    assert r.status_code == 422
    r = client.post("/disputes", data=form | {"field": "balance", "should_be": "0"}, follow_redirects=False)
    assert r.status_code == 303
    mine = client.get("/disputes").text
    assert "Statement of June 2026 for Credit card or revolving credit A1" in mine
    assert "Balance: I paid it off (should be: 0)" in mine
    assert 'class="history-filed"' in mine and 'class="history-waiting"' in mine
    assert "Waiting for review" in mine
    assert 'class="history-under-review"' not in mine and 'class="history-closed"' not in mine

    analyst = world.client()
    post_signin(analyst, "ann", PASSWORDS["ann"])
    queue = analyst.get("/analyst/disputes").text
    dispute_id = re.search(r'action="/analyst/disputes/(\d+)/accept"', queue)
    assert dispute_id is not None
    # The analyst takes it up: from now the consumer sees "Under review", with when, and no longer waiting.
    review = f"/analyst/disputes/{dispute_id.group(1)}/review"
    assert f'action="{review}"' in queue
    r = analyst.post(review, data={"csrf_token": _csrf(queue)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    mine = client.get("/disputes").text
    assert 'class="history-under-review"' in mine and 'class="history-waiting"' not in mine
    assert "Waiting for review" not in mine
    queue = analyst.get("/analyst/disputes").text
    assert f'action="{review}"' not in queue  # once per dispute
    r = analyst.post(
        f"/analyst/disputes/{dispute_id.group(1)}/accept",
        data={"corrections": "balance=0", "note": "furnisher confirmed", "csrf_token": _csrf(queue)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    queue = analyst.get("/analyst/disputes").text
    assert "{" not in queue[queue.index("<main") :], "no raw dictionaries"
    rows = re.findall(r'<tr class="history-([\w-]+)"><td>([^<]+)</td>', queue)
    assert [step for step, _ in rows] == ["filed", "under-review", "corrected", "rescored", "closed"]
    assert "Balance set to €0" in queue and "New score 701 (excellent)" in queue

    mine = client.get("/disputes").text
    for step in ("filed", "under-review", "corrected", "rescored", "closed"):
        assert f'class="history-{step}"' in mine, step
    assert "Closed: record corrected" in mine and "furnisher confirmed" in mine


def test_every_record_table_can_be_disputed_field_by_field(world: World) -> None:
    from lucidscore.api._views import disputable_fields
    from lucidscore.service import RECORD_KEYS

    for table in RECORD_KEYS:
        fields = dict(disputable_fields(table))
        assert set(fields) == set(TABLES_BY_NAME[table].column_names) - {"consumer_id", "reported_at"}


@pytest.mark.parametrize("path", ["/no-such-page", "/decisions/999999/notice"])
def test_browsers_get_error_pages_and_api_clients_json(world: World, path: str) -> None:
    client = world.client()
    post_signin(client, "alice", PASSWORDS["alice"])
    page = client.get(path, headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'id="error-title">Page not found<' in page.text and 'href="/static/style.css"' in page.text
    assert 'id="sign-out"' in page.text and 'href="/dashboard"' in page.text  # the person's own menu
    anonymous = world.client().get("/no-such-page", headers=HTML)
    assert (
        anonymous.status_code == 404 and 'id="sign-in"' in anonymous.text and "sign-out" not in anonymous.text
    )
    api = client.get(path, headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["error"]["status"] == 404


def test_the_api_stays_json_even_for_a_browser(world: World) -> None:
    r = world.client().get("/v1/me", headers=HTML)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = world.client().get("/v1/" + quote("nothing-here"), headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")


def test_other_errors_are_pages_too(world: World) -> None:
    client = world.client()
    post_signin(client, "alice", PASSWORDS["alice"])
    r = client.get("/consents/1/revoke", headers=HTML)  # a form's address, opened as a page
    assert r.status_code == 405 and "text/html" in r.headers["content-type"]
    assert "That cannot be done here" in r.text and "method GET is not allowed" in r.text
    r = client.get("/consents/1/revoke")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
