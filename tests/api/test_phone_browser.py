"""A consumer on a small phone (360x640) in real headless Chromium (Debian's /usr/bin/chromium): every
page's tap targets are at least 24 x 24 CSS px (WCAG 2.2, 2.5.8; links inside a sentence excepted), none
overlaps another or lies off screen, and the dispute form is filled and sent with the keyboard alone,
its refusal announced (an alert, and "Error:" first in the page's title)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_pages_browser import ANALYST, CONSUMER, _new_page, _sign_in, base, world

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["base", "world"]  # the module's fixtures: a world with a dispute and decisions, served

# Each visible target: too small, off screen (sideways), or overlapping a later one. A link within a line
# of text (an inline <a> in a paragraph, list item or cell) is excepted, as WCAG excepts it; so is the
# skip link, which is on screen only while it has the focus.
_TARGETS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const targets = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')]
    .filter(e => !e.classList.contains('skip'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0
                   && getComputedStyle(e).visibility !== 'hidden'; });
  const text = e => (e.textContent || e.value || e.id || '').trim().slice(0, 30);
  const name = e => `${e.tagName.toLowerCase()} "${text(e)}"`;
  for (const e of targets) {
    const r = e.getBoundingClientRect();
    const inText = e.tagName === 'A' && getComputedStyle(e).display === 'inline'
                   && e.closest('p, li, td, dd');
    if (!inText && (r.width < 23.5 || r.height < 23.5))
      problems.push(`${name(e)} is ${r.width.toFixed(1)} x ${r.height.toFixed(1)} px`);
    if (r.left < -0.5 || r.right > width + 0.5)
      problems.push(`${name(e)} is off screen: ${r.left.toFixed(0)}..${r.right.toFixed(0)} of ${width}`);
  }
  for (let i = 0; i < targets.length; i++) for (let j = i + 1; j < targets.length; j++) {
    const [a, b] = [targets[i], targets[j]];
    if (a.contains(b) || b.contains(a)) continue;
    const [p, q] = [a.getBoundingClientRect(), b.getBoundingClientRect()];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
      problems.push(`${name(a)} overlaps ${name(b)}`);
  }
  return problems;
}"""


@pytest.mark.parametrize(
    ("who", "paths"),
    [("alice", ["/", "/disputes?about=account:A1", *CONSUMER]), ("ann", ANALYST)],
    ids=["consumer", "analyst"],
)
def test_every_page_has_whole_tap_targets_on_a_small_phone(
    who: str, paths: list[str], base: str, browser_context: Any
) -> None:
    """The consumer's Revoke buttons and "Read the notice" links were off screen (a table scrolled
    sideways inside the page), the menu's links 23 px high and the dispute form's radio buttons 13 px;
    the analyst's pages (models, disputes to answer) are held to the same."""
    browser_context.clear_cookies()
    page, _ = _new_page(browser_context, 360, 640)
    problems: list[str] = []
    try:
        _sign_in(page, base, who)
        for path in paths:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.click("header details.menu > summary")  # the folded menu, open: its links measured too
            problems += [f"{path}: {p}" for p in page.evaluate(_TARGETS)]
    finally:
        page.close()
    assert not problems, "\n".join(problems)


def _tab_to(page: Any, selector: str) -> None:
    """Press Tab until ``selector`` has the focus (it must be reachable from the keyboard)."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} never received the focus from Tab")


def test_a_dispute_filed_with_the_keyboard_alone_and_its_refusal_announced(
    base: str, browser_context: Any
) -> None:
    browser_context.clear_cookies()
    page, _ = _new_page(browser_context, 360, 640)
    try:
        _sign_in(page, base, "alice")
        page.goto(f"{base}/disputes")
        _tab_to(page, "#about-1")
        page.keyboard.press("ArrowDown")  # the second group: accounts
        assert page.is_checked("#about-2")
        page.keyboard.press("Enter")
        page.wait_for_url("**/disputes?about=*")
        _tab_to(page, "#record-1")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")  # the third record: the statement of 2026-06, already disputed
        page.keyboard.press("Enter")
        page.wait_for_url("**/disputes?record=*")
        _tab_to(page, "#field")
        page.keyboard.press("ArrowDown")
        _tab_to(page, "#reason")
        page.keyboard.type("I paid this on time")
        _tab_to(page, "#contest button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        alert = page.get_by_role("alert")
        assert "already has an open dispute" in alert.inner_text()
        assert page.title().startswith("Error: Disputes")
    finally:
        page.close()
