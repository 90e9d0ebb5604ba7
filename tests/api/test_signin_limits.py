"""Issue 11, sign-in limits: an atomic throttle, X-Forwarded-For only from configured proxies, per-account
delays that cannot lock the owner out, throttled key and token guessing, CSRF on sign-in and sign-out.

Clients come from chosen addresses (httpx's ASGI transport); the throttle's clock is replaced by one the
test moves, so delays are checked without waiting for them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api._loop import run as run_on_own_loop
from tests.api._world import PASSWORDS, World, build_world

WRONG = {"username": "alice", "password": "not-her-password"}
RIGHT = {"username": "alice", "password": PASSWORDS["alice"]}


def _client(world: World, ip: str = "10.0.0.9") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=world.app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://service")


def _run(test: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return run_on_own_loop(test())


class Clock:
    def __init__(self, world: World) -> None:
        self.now = 1000.0
        world.app.state.lucid.throttle.clock = lambda: self.now


@pytest.fixture
def fresh(tmp_path: Path) -> World:
    """A world of its own (the throttle is per app), with small limits."""
    return build_world(
        f"sqlite:///{tmp_path / 's.db'}",
        signin_account_max_failures=6,
        signin_max_delay_seconds=40,
        guess_max_failures=3,
    )


def test_100_parallel_wrong_passwords_get_only_the_allowed_checks(fresh: World) -> None:
    async def flood() -> list[httpx.Response]:
        async with _client(fresh) as c:
            return list(await asyncio.gather(*(c.post("/v1/session", json=WRONG) for _ in range(100))))

    statuses = sorted(r.status_code for r in _run(flood))
    # Before issue 11 the limit was checked before the password and recorded after it: 43 checks.
    assert statuses == [401] * fresh.settings.signin_max_failures + [429] * (
        100 - fresh.settings.signin_max_failures
    )


def test_x_forwarded_for_is_not_trusted_by_default(fresh: World) -> None:
    async def attempts() -> list[int]:
        async with _client(fresh) as c:
            return [
                (
                    await c.post("/v1/session", json=WRONG, headers={"X-Forwarded-For": f"192.0.2.{i}"})
                ).status_code
                for i in range(4)
            ]

    assert _run(attempts) == [401, 401, 401, 429]


def test_x_forwarded_for_is_trusted_from_a_configured_proxy_only(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 's.db'}", forwarded_allow_ips="10.0.0.1")

    async def attempts(ip: str) -> list[int]:
        async with _client(world, ip) as c:
            return [
                (
                    await c.post("/v1/session", json=WRONG, headers={"X-Forwarded-For": f"192.0.2.{i}"})
                ).status_code
                for i in range(4)
            ]

    assert _run(lambda: attempts("10.0.0.1")) == [401] * 4  # four clients behind the proxy
    assert _run(lambda: attempts("10.0.0.2")) == [401, 401, 401, 429]  # not a proxy: its header is ignored


def test_an_attacker_cannot_lock_the_owner_out(fresh: World) -> None:
    clock = Clock(fresh)
    max_delay = fresh.settings.signin_max_delay_seconds

    async def story() -> None:
        async with _client(fresh, "10.0.0.5") as owner_browser:
            r = await owner_browser.post("/v1/session", json=RIGHT)
            assert r.status_code == 200 and "lucid_session_device" in r.cookies  # a known device now
            # The attacker guesses from many addresses: each is slowed after 3 failures, the account (for
            # devices it has not seen) after 6.
            statuses = []
            for i in range(12):
                async with _client(fresh, f"198.51.100.{i}") as attacker:
                    statuses.append((await attacker.post("/v1/session", json=WRONG)).status_code)
            assert statuses[:6] == [401] * 6 and set(statuses[6:]) == {429}
            # The owner's known device is not delayed by any of it.
            r = await owner_browser.post("/v1/session", json=RIGHT)
            assert r.status_code == 200, r.text
        async with _client(fresh, "10.0.0.6") as new_device:
            r = await new_device.post("/v1/session", json=RIGHT)
            assert r.status_code == 429
            wait = int(r.headers["Retry-After"])
            assert 1 <= wait <= max_delay  # a short, bounded delay ...
            clock.now += wait
            r = await new_device.post("/v1/session", json=RIGHT)
            assert r.status_code == 200, r.text  # ... then the right password works from a new device too

    _run(story)


def test_delays_grow_and_stay_bounded(fresh: World) -> None:
    clock = Clock(fresh)
    waits = []

    async def story() -> None:
        async with _client(fresh) as c:
            for _ in range(10):
                r = await c.post("/v1/session", json=WRONG)
                if r.status_code == 429:
                    waits.append(int(r.headers["Retry-After"]))
                    clock.now += waits[-1]
                    r = await c.post("/v1/session", json=WRONG)
                assert r.status_code == 401

    _run(story)
    assert waits == sorted(waits) and waits[0] >= 1 and max(waits) <= fresh.settings.signin_max_delay_seconds
    assert waits[-1] == fresh.settings.signin_max_delay_seconds


def test_api_key_guessing_is_throttled(fresh: World) -> None:
    async def attempts() -> list[httpx.Response]:
        async with _client(fresh) as c:
            return [
                await c.post(
                    "/v1/decisions",
                    json={"consent_token": "lct_x", "product": "premium"},
                    headers={"X-API-Key": f"lsk_{i:012d}_guess"},
                )
                for i in range(5)
            ]

    responses = _run(attempts)
    assert [r.status_code for r in responses] == [401, 401, 401, 429, 429]
    assert int(responses[3].headers["Retry-After"]) >= 1
    assert responses[3].json()["error"]["message"].startswith("too many wrong keys or tokens; try again in ")


def test_consent_token_guessing_is_throttled(fresh: World) -> None:
    async def attempts() -> list[int]:
        async with _client(fresh) as c:
            headers = {"X-API-Key": fresh.api_keys["shop_x"]}
            body = {"product": "premium"}
            return [
                (
                    await c.post(
                        "/v1/decisions", json=body | {"consent_token": f"lct_guess{i}"}, headers=headers
                    )
                ).status_code
                for i in range(5)
            ]

    assert _run(attempts) == [403, 403, 403, 429, 429]


def test_json_sign_in_must_be_sent_as_json(world: World) -> None:
    client = world.client()
    body = json.dumps(RIGHT)
    # A page on another site can send a typeless blob or plain text without asking first: refused.
    for headers in (
        {},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ):
        r = client.post("/v1/session", content=body, headers=headers)
        assert r.status_code == 415, (headers, r.text)
        assert r.json()["error"]["message"] == (
            "send the body as JSON, with the header Content-Type: application/json"
        )
    assert client.post("/v1/session", json=RIGHT).status_code == 200


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, html
    return found.group(1)


def test_the_sign_in_form_needs_its_csrf_token(world: World) -> None:
    forged = world.client().post("/signin", data={"username": "alice", "password": PASSWORDS["alice"]})
    assert forged.status_code == 403
    assert "the form has expired or was not sent by this site" in forged.text
    assert "lucid_session" not in forged.cookies
    browser = world.client()
    token = _csrf(browser.get("/signin").text)
    r = browser.post(
        "/signin",
        data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    # another browser's token (bound to another pre-session cookie) does not work here
    other = world.client()
    other.get("/signin")
    r = other.post("/signin", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": token})
    assert r.status_code == 403


def test_sign_out_needs_the_csrf_token(world: World) -> None:
    browser = world.browser("bob")
    r = browser.post("/signout", follow_redirects=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    assert browser.get("/v1/me").status_code == 200  # still signed in: a forged sign-out did nothing
    assert browser.delete("/v1/session").status_code == 403  # the JSON sign-out by cookie needs it too
    token = _csrf(browser.get("/dashboard").text)
    r = browser.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert browser.get("/v1/me").status_code == 401
