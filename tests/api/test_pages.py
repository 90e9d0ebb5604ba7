"""Server-rendered pages in-process: sign-in redirects, CSRF on every form and on cookie-authenticated
JSON writes, local plotly.js (no CDN), pages refuse the wrong audience."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lucidscore.api._security import csrf_token
from tests.api._world import PASSWORDS, World


def post_signin(client: Any, username: str, password: str, **kwargs: Any) -> Any:
    """Sign in through the form as a browser does: load it (pre-session cookie and CSRF token), post it."""
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/signin").text)
    assert token is not None
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/signin", data=data, **kwargs)


def form_sign_in(world: World, username: str) -> object:
    client = world.client()
    r = post_signin(client, username, PASSWORDS[username], follow_redirects=False)
    assert r.status_code == 303
    return client


def test_pages_redirect_to_sign_in(world: World) -> None:
    client = world.client()
    for path in ("/dashboard", "/data", "/access", "/consents", "/disputes", "/analyst", "/analyst/disputes"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/signin", path


def test_wrong_password_on_the_form_says_so(world: World) -> None:
    r = post_signin(world.client(), "alice", "nope")
    assert r.status_code == 401 and "wrong username or password" in r.text


def test_dashboard_shows_score_families_reasons_and_history(world: World) -> None:
    client = world.client()
    r = post_signin(client, "alice", PASSWORDS["alice"])
    assert r.url.path == "/dashboard"
    html = r.text
    assert '<div class="big" id="score-value">655</div>' in html
    assert 'id="family-unused">not used<' in html
    assert "Your most overdue credit payment was C0001 days late; under 30 days scores higher." in html
    assert (
        "Worst delinquency in the last 12 months (days): from 45 days to under 30 days (+60 points)" in html
    )
    assert 'id="score-history"' in html and 'id="score-gauge"' in html and 'id="score-waterfall"' in html
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    assert scripts == ["/static/plotly.js", "/static/charts.js"]  # no inline script: the CSP allows none
    js = client.get("/static/plotly.js")
    assert js.status_code == 200 and "plotly" in js.text[:2000].lower()
    assert client.get("/static/style.css").status_code == 200


_STEP = re.compile(
    r'<tr class="step-(\w+)"><td>([^<]+)</td>\s*<td class="num">([+-]?\d+)</td>\s*'
    r'<td class="bar-cell"><div class="bar-track"><div class="bar-fill pct-(\d+) (bar-\w+)">'
)


def _steps(html: str) -> list[tuple[str, str, int]]:
    """The waterfall table's rows: (kind, label, points)."""
    return [(kind, label, int(points)) for kind, label, points, _, _ in _STEP.findall(html)]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_every_family_has_a_bar_negative_ones_too(world: World, who: str) -> None:
    """Issue 12: a family that takes points away is drawn (red, as long as a gain of its size), never an
    empty bar; the base points are shown."""
    html = post_signin(world.client(), who, PASSWORDS[who]).text
    bars = {label: (int(points), int(width), kind) for _, label, points, width, kind in _STEP.findall(html)}
    assert bars["Base points"][0] == 580
    for label, (points, width, kind) in bars.items():
        if label in ("Credit history", "Payment behaviour"):
            assert width >= 1 and kind == ("bar-neg" if points < 0 else "bar-pos"), (label, bars)
    if who == "bob":  # -30 against +10: the loss is the longest move
        assert bars["Credit history"] == (-30, 100, "bar-neg")
        assert bars["Payment behaviour"][1] == 33


@pytest.mark.parametrize(("who", "score"), [("alice", 655), ("bob", 560)])
def test_family_points_and_base_points_add_up_to_the_score(world: World, who: str, score: int) -> None:
    html = post_signin(world.client(), who, PASSWORDS[who]).text
    steps = _steps(html)
    assert steps[0] == ("base", "Base points", 580)
    assert steps[-1] == ("total", "Your score", score)
    assert sum(points for kind, _, points in steps[:-1]) == score
    families = {label: points for kind, label, points in steps if kind == "family"}
    assert families["Credit history"] == score - 590  # bob's is negative: it still counts
    assert families["Payment behaviour"] == 10


def test_forms_need_the_csrf_token(world: World) -> None:
    client = world.client()
    post_signin(client, "bob", PASSWORDS["bob"])
    form = {"merchant": "shop_x", "purpose": "premium", "days": "5"}
    r = client.post("/consents", data=form)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    page = client.get("/consents").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert token is not None
    r = client.post("/consents", data=form | {"csrf_token": token.group(1)})
    assert r.status_code == 200 and 'id="consent-token">lct_' in r.text


def test_cookie_authenticated_json_writes_need_the_csrf_header(world: World) -> None:
    client = world.browser("alice")
    body = {"merchant": "shop_y", "purpose": "premium"}
    r = client.post("/v1/me/consents", json=body)
    assert r.status_code == 403 and r.json()["error"]["message"].startswith("missing or wrong CSRF token")
    session = client.cookies[world.settings.cookie_name]
    header = {"X-CSRF-Token": csrf_token(world.settings.secret_key.get_secret_value(), session)}
    assert client.post("/v1/me/consents", json=body, headers=header).status_code == 201


def test_merchant_page_decides_and_refuses(world: World) -> None:
    alice = world.signed_in("alice")
    token = alice.post(
        "/v1/me/consents", json={"merchant": "shop_x", "purpose": "instant_credit_line"}
    ).json()["token"]
    client = world.client()
    form = {"api_key": world.api_keys["shop_x"], "consent_token": token, "product": "instant_credit_line"}
    r = client.post("/merchant", data=form)
    assert r.status_code == 200 and 'id="decision-result">Approved<' in r.text
    r = client.post("/merchant", data=form | {"api_key": world.api_keys["shop_y"]})
    assert r.status_code == 403 and "403: the consent was granted to another merchant" in r.text


def test_analyst_pages(world: World) -> None:
    client = world.client()
    r = post_signin(client, "ann", PASSWORDS["ann"])
    assert r.url.path == "/analyst"
    assert "sc-test-1" in r.text and 'id="score-distribution"' in r.text
    assert client.get("/analyst/disputes").status_code == 200
    consumer = world.client()
    post_signin(consumer, "alice", PASSWORDS["alice"])
    assert consumer.get("/analyst", follow_redirects=False).headers["location"] == "/signin"


def test_analyst_dispute_forms_name_a_bad_or_unknown_dispute(world: World) -> None:
    client = world.client()
    post_signin(client, "ann", PASSWORDS["ann"])
    session = client.cookies[world.settings.cookie_name]
    token = csrf_token(world.settings.secret_key.get_secret_value(), session)
    for action, form in (("accept", {}), ("reject", {"reason": "not ours"})):
        r = client.post(f"/analyst/disputes/999999/{action}", data=form | {"csrf_token": token})
        assert r.status_code == 404 and r.json()["error"]["message"] == "no dispute 999999", action
        r = client.post(f"/analyst/disputes/{2**40}/{action}", data=form | {"csrf_token": token})
        assert r.status_code == 422 and r.json()["error"]["field"] == "dispute_id", action


def test_consent_revoke_form_refuses_another_consumers_or_a_bad_consent(world: World) -> None:
    alice = world.signed_in("alice")
    granted = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"}).json()
    bob = world.client()
    post_signin(bob, "bob", PASSWORDS["bob"])
    token = csrf_token(world.settings.secret_key.get_secret_value(), bob.cookies[world.settings.cookie_name])
    r = bob.post(f"/consents/{granted['id']}/revoke", data={"csrf_token": token})
    assert r.status_code == 404 and r.json()["error"]["field"] == "consent_id"
    r = bob.post(f"/consents/{2**40}/revoke", data={"csrf_token": token})
    assert r.status_code == 422 and r.json()["error"]["field"] == "consent_id"
    assert alice.get("/v1/me/consents").json()[0]["revoked_at"] is None
