"""The LDA report in real headless Chromium: every section rendered, the frontier plot drawn with its
points, no network, and every key figure on the page equal to lda.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lucidscore.evaluate import align_audit, lda_report, lda_search, reference_scores, write_lda_report
from lucidscore.model import train_scorecard
from tests.evaluate.factory import assert_figure_matches, make_frame

pytestmark = pytest.mark.browser

SECTIONS = ("summary", "frontier", "groups", "given", "space", "candidates", "method")
FIGURES_JS = """() => Array.from(document.querySelectorAll('span.fig')).map(e => [
    e.dataset.key, e.textContent.trim(), Number(e.dataset.digits), e.dataset.pct === '1'])"""


def test_lda_report_in_chromium(browser_context: Any, tmp_path: Path, screenshot_dir: Path) -> None:
    frame = make_frame(3000, seed=5).drop(columns=["id"])
    base = train_scorecard(frame, "default", audit_columns=["SEX", "AGE"], seed=0)
    groups, how = align_audit(frame, None, ["SEX", "AGE"], model_inputs=base.input_columns)
    y = frame["default"].to_numpy()
    cutoff = int(np.percentile(reference_scores(base, frame), 60))
    outcome = lda_search(
        base, frame, y, "default", groups, cutoff=cutoff, max_auc_loss=0.02, folds=3, n_resamples=30,
        max_candidates=15,
    )  # fmt: skip
    report = lda_report(
        outcome, base, data_name="sim", target="default", y=y, audit_join=how, n_resamples=30, seed=0
    )
    html, js = write_lda_report(report, tmp_path / "lda.html")
    page = browser_context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(html.as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=20_000
        )
        for sid in SECTIONS:
            section = page.locator(f"section#{sid}")
            section.screenshot(path=str(screenshot_dir / f"lda-{sid}.png"))
            assert len(section.inner_text().strip()) > 80, sid
        plot = page.locator("#plot-frontier")
        ok = [c for c in report["candidates"] if c["status"] == "ok"]
        drawn = plot.locator("g.trace.scatter g.points path").count()
        assert drawn >= len(ok)  # every fitted candidate is a point (frontier and markers come on top)
        saved = json.loads(js.read_text("utf-8"))
        figures = page.evaluate(FIGURES_JS)
        assert len(figures) > 50
        for key, text, digits, pct in figures:
            assert_figure_matches(saved, key, text, digits, pct)
        assert errors == []
        assert all(u.startswith(("file://", "data:", "blob:")) for u in requests), requests
    finally:
        page.close()
