"""Issue 11, the smaller findings: security headers on every page, no inline script or style, strict input
types, pagination, one open dispute per record, 413 for an oversized chunked body, bounded amounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.api._world import World, build_world
from tests.api.test_errors import assert_envelope
from tests.api.test_pages import form_sign_in

PAGES = {
    "anonymous": ["/", "/signin", "/merchant", "/docs"],
    "alice": ["/dashboard", "/data", "/access", "/consents", "/disputes"],
    "ann": ["/analyst", "/analyst/disputes"],
}


def _pages(world: World) -> Iterator[tuple[str, str, str]]:
    for who, paths in PAGES.items():
        client = world.client() if who == "anonymous" else form_sign_in(world, who)
        for path in paths:
            r = client.get(path)  # type: ignore[attr-defined]
            assert r.status_code == 200, (who, path, r.text[:300])
            yield who, path, r


class _Inline(HTMLParser):
    """Inline script and style: <script> without src, <style>, style="", on*="" handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names and dict(attrs).get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name.startswith("on")]


def test_every_page_has_the_security_headers_and_no_inline_script_or_style(world: World) -> None:
    for who, path, r in _pages(world):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp, path
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store", (who, path)
        parser = _Inline()
        parser.feed(r.text)
        assert parser.found == [], (who, path, parser.found)


@pytest.mark.parametrize(
    "path", ["/v1/me/score", "/v1/me/data", "/v1/me/access-log", "/v1/me/consents", "/v1/nothing"]
)
def test_personal_data_and_errors_are_not_cached(world: World, path: str) -> None:
    r = world.signed_in("alice").get(path)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_static_assets_keep_their_own_caching(world: World) -> None:
    assert world.client().get("/static/plotly.js").headers["cache-control"] == "public, max-age=86400"


def test_charts_are_data_drawn_by_a_static_script(world: World) -> None:
    html = form_sign_in(world, "alice").get("/dashboard").text  # type: ignore[attr-defined]
    assert re.search(r'<div class="plot plot-gauge" id="score-gauge" data-figure="\{', html)
    assert world.client().get("/static/charts.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("days", ["30", 30.0, True, 1e3])
def test_numbers_must_be_json_numbers_of_the_right_type(world: World, days: object) -> None:
    r = world.signed_in("alice").post(
        "/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium", "days": days}
    )
    e = assert_envelope(r, 422)
    assert e["field"] == "days"


def test_text_must_be_a_json_string(world: World) -> None:
    r = world.merchant("shop_x").post("/v1/decisions", json={"consent_token": 12345, "product": "premium"})
    assert assert_envelope(r, 422)["field"] == "consent_token"


@pytest.mark.parametrize("value", [1e300, -1e13, 10**15])
def test_correction_amounts_are_bounded(world: World, value: float) -> None:
    ann = world.signed_in("ann")
    queue = ann.get("/v1/analyst/disputes").json()
    if not queue:
        body = {"record_table": "statements", "record_key": "A1|2026-05", "reason": "wrong balance"}
        queue = [world.signed_in("alice").post("/v1/me/disputes", json=body).json()]
    r = ann.post(
        f"/v1/analyst/disputes/{queue[0]['id']}/accept", json={"corrections": {"credit_limit": value}}
    )
    e = assert_envelope(r, 422)
    assert "out of range; expected a number within ±1e+12" in e["message"]


def test_lists_are_paged(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 's.db'}")
    alice, shop = world.signed_in("alice"), world.merchant("shop_x")
    token = alice.post("/v1/me/consents", json={"merchant": "shop_x", "purpose": "premium"}).json()["token"]
    for _ in range(5):
        shop.post("/v1/decisions", json={"consent_token": token, "product": "premium"})
    full = alice.get("/v1/me/access-log").json()
    assert len(full) == 5
    assert alice.get("/v1/me/access-log?limit=2").json() == full[:2]
    assert alice.get("/v1/me/access-log?limit=2&offset=4").json() == full[4:]
    assert len(alice.get("/v1/me/history?limit=1").json()) == 1
    data = alice.get("/v1/me/data?limit=1").json()
    assert len(data["statements"]) == 1 and len(data["accounts"]) == 1
    assert alice.get("/v1/me/data?limit=1&offset=1").json()["statements"] != data["statements"]
    for path in ("/v1/me/consents", "/v1/me/disputes", "/v1/analyst/disputes"):
        client = world.signed_in("ann") if "analyst" in path else alice
        assert client.get(path + "?limit=1").status_code == 200, path
        assert_envelope(client.get(path + "?limit=0"), 422)
        assert_envelope(client.get(path + "?limit=501"), 422)
        assert_envelope(client.get(path + "?offset=-1"), 422)


def test_a_record_has_one_open_dispute_at_a_time(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 's.db'}")
    alice = world.signed_in("alice")
    body = {"record_table": "accounts", "record_key": "A1", "reason": "not mine"}
    first = alice.post("/v1/me/disputes", json=body)
    assert first.status_code == 201
    e = assert_envelope(alice.post("/v1/me/disputes", json=body), 409)
    assert e["message"] == (
        f"accounts record 'A1' already has an open dispute ({first.json()['id']}); "
        "wait for its answer before contesting it again"
    )
    world.signed_in("ann").post(
        f"/v1/analyst/disputes/{first.json()['id']}/reject", json={"reason": "checked"}
    )
    assert alice.post("/v1/me/disputes", json=body).status_code == 201  # answered: it can be contested again


def test_an_oversized_chunked_body_is_413(world: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"consent_token": "'
        for _ in range(world.settings.max_body_bytes // 1000 + 2):
            yield b"x" * 1000
        yield b'", "product": "premium"}'

    r = world.merchant("shop_x").post(
        "/v1/decisions", content=chunks(), headers={"content-type": "application/json"}
    )
    e = assert_envelope(r, 413)
    assert e["message"] == f"the request body is larger than {world.settings.max_body_bytes} bytes"
    assert r.headers["x-content-type-options"] == "nosniff"
