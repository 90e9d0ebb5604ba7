"""Issue 12 in real headless Chromium (Debian's /usr/bin/chromium, no downloads): every consumer, merchant
and analyst page at a phone's 390x844 and a laptop's 1280x800 — no sideways scrolling, the menu and
"Sign out" reachable, the gauge inside its card, no Content-Security-Policy violation, and no serious or
critical axe-core violation. Screenshots go to pytest's tmp dir (never committed); their paths are printed.

axe-core comes from the PyPI package axe-playwright-python (it bundles axe.min.js and reads it from disk:
no network). It injects axe with ``page.evaluate`` (DevTools' Runtime.evaluate, which the page's CSP does
not govern), so the pages are checked with their CSP on; CSP violations are collected before axe runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.service import open_dispute
from lucidscore.store import make_engine
from lucidscore.store.service import User
from tests.api._world import PASSWORDS, World, build_world
from tests.api.test_notices import decide
from tests.api.test_pages import post_signin
from tests.demo._server import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = {"phone": (390, 844), "laptop": (1280, 800)}
ANONYMOUS = ["/", "/signin", "/merchant", "/no-such-page"]
CONSUMER = [
    "/dashboard",
    "/data",
    "/access",
    "/consents",
    "/disputes",
    "/disputes?about=account:A1",
    "/disputes?record=statements:A1|2026-06",
    "/decisions/999/notice",
]
ANALYST = ["/analyst", "/analyst/disputes"]

_WATCH_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


def _new_page(context: Any, width: int, height: int) -> tuple[Any, list[str]]:
    """A page at this size that records Content-Security-Policy violations (console and DOM events)."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(_WATCH_CSP)
    return page, console


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    world = build_world(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'service.db'}")
    engine = make_engine(world.db_url)
    with Session(engine) as s:  # a dispute, so the queue and the history have rows
        alice = s.scalars(select(User).where(User.username == "alice")).one()
        open_dispute(s, alice, "statements", "A1|2026-06", "Balance: I paid it off")
        s.commit()
    engine.dispose()
    decide(world, "alice", "shop_x", "premium")  # 655 < 700: declined, with a notice to show
    decide(world, "alice", "shop_y", "deposit_free_rental")
    return world


def _notice_path(world: World) -> str:
    client = world.client()
    post_signin(client, "alice", PASSWORDS["alice"])
    found = re.search(r'href="(/decisions/\d+/notice)"', client.get("/access").text)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module")
def base(world: World) -> Iterator[str]:
    with running(world.app) as url:
        yield url


def _sign_in(page: Any, base: str, who: str) -> None:
    page.goto(f"{base}/signin")
    page.fill("#username", who)
    page.fill("#password", PASSWORDS[who])
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def _check(
    page: Any, console: list[str], base: str, path: str, shots: Path, label: str, signed_in: bool
) -> list[str]:
    """Problems of one page at the page's current viewport (empty when none)."""
    from axe_playwright_python.sync_playwright import Axe

    problems: list[str] = []
    console.clear()
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    if width[0] > width[1]:
        problems.append(f"{path} scrolls sideways at {label}: {width[0]} > {width[1]}")
    if signed_in and not page.is_visible("#sign-out"):
        problems.append(f"{path}: Sign out is not visible at {label}")
    gauge = page.query_selector("#score-gauge")
    if gauge is not None:
        inner = gauge.bounding_box()
        card = page.evaluate("g => g.closest('.card').getBoundingClientRect().toJSON()", gauge)
        if inner["x"] < card["x"] or inner["x"] + inner["width"] > card["x"] + card["width"] + 0.5:
            problems.append(f"{path}: the gauge spills out of its card at {label}: {inner} in {card}")
    violations = page.evaluate("window.__csp") + console
    if violations:
        problems.append(f"{path}: CSP violations at {label}: {violations}")
    shot = shots / f"{label}{path.replace('/', '_').replace('?', '_').replace('|', '_') or '_home'}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    results = Axe().run(page)
    for v in results.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{path} at {label}: axe {v['id']} ({v['impact']}): {v['help']} {targets}")
    return problems


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_fits_has_its_menu_and_passes_axe(
    viewport: str, world: World, base: str, browser_context: Any, tmp_path: Path
) -> None:
    width, height = VIEWPORTS[viewport]
    problems: list[str] = []
    consumer = [*CONSUMER, _notice_path(world)]
    for who, paths in ((None, ANONYMOUS), ("alice", consumer), ("ann", ANALYST)):
        browser_context.clear_cookies()
        page, console = _new_page(browser_context, width, height)
        try:
            if who is not None:
                _sign_in(page, base, who)
            for path in paths:
                problems += _check(page, console, base, path, tmp_path, viewport, signed_in=who is not None)
        finally:
            page.close()
    assert not problems, "\n".join(problems)


def test_the_phone_menu_folds_and_unfolds_and_signs_out(base: str, browser_context: Any) -> None:
    browser_context.clear_cookies()
    page = browser_context.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    try:
        _sign_in(page, base, "alice")
        assert page.is_visible("header summary")  # the toggle shows on a phone
        page.click("header summary")
        assert not page.is_visible("#sign-out")
        page.keyboard.press("Enter")  # the toggle has the focus: the keyboard opens it again
        assert page.is_visible("#sign-out") and page.is_visible("nav >> text=My data")
        page.click("#sign-out")
        page.wait_for_load_state("networkidle")
        assert page.is_visible("#sign-in")
    finally:
        page.close()


def test_negative_families_are_drawn(base: str, browser_context: Any) -> None:
    """Bob's credit history takes 30 points away: its bar has a width, in the loss colour."""
    browser_context.clear_cookies()
    page = browser_context.new_page()
    try:
        _sign_in(page, base, "bob")
        page.goto(f"{base}/dashboard")
        bar = page.query_selector("tr.step-family:has-text('Credit history') .bar-fill")
        assert bar is not None
        box = bar.bounding_box()
        assert box is not None and box["width"] > 10
        colour = page.evaluate("b => getComputedStyle(b).backgroundColor", bar)
        assert colour == "rgb(192, 57, 43)"
        assert page.inner_text("tr.step-base td.num") == "580"
    finally:
        page.close()
