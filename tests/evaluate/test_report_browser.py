"""The reports in real headless Chromium: every section rendered and non-empty, plots drawn, no network,
and every key figure on the page equal to report.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lucidscore.artifact import load_artifact
from lucidscore.evaluate import Table, align_audit, drift_report, evaluation_report, write_report
from tests.evaluate.factory import assert_figure_matches, make_artifact, make_frame, taiwan_model_and_test
from tests.evaluate.test_report_interactions import _with_grids
from tests.fixtures.taiwan import TaiwanSample

pytestmark = pytest.mark.browser

REPORT_SECTIONS = {
    "discrimination": 2,  # section id -> plots it must draw
    "calibration": 1,
    "distribution": 1,
    "characteristics": 0,
    "stability": 1,
    "fairness": 1,
    "proxies": 0,
    "model-card": 0,
}
DRIFT_SECTIONS = {"score": 1, "characteristics": 1}
DRIFT_GRID_SECTIONS = {**DRIFT_SECTIONS, "interactions": 1}  # a heat map per grid

FIGURES_JS = """() => Array.from(document.querySelectorAll('span.fig')).map(e => [
    e.dataset.key, e.textContent.trim(), Number(e.dataset.digits), e.dataset.pct === '1'])"""


def _synthetic(out: Path) -> Path:
    test = make_frame(2000, seed=1)
    art = make_artifact(make_frame(3000, seed=0))
    groups, how = align_audit(test, None, ["SEX", "AGE"], model_inputs=art.input_columns)
    report = evaluation_report(
        art,
        Table(test, "synthetic test", groups),
        cutoff=540,
        baseline=Table(make_frame(2000, seed=2), "synthetic baseline"),
        audit_join=how,
        n_resamples=100,
    )
    return write_report(report, out / "synthetic.html")[0]


def _taiwan(out: Path, sample: TaiwanSample) -> Path:
    model_path, test = taiwan_model_and_test(out, sample)
    art = load_artifact(model_path)
    groups, how = align_audit(test, None, ["SEX", "MARRIAGE", "AGE"], model_inputs=art.input_columns)
    report = evaluation_report(art, Table(test, "taiwan test sample", groups), cutoff=600, audit_join=how)
    return write_report(report, out / "taiwan.html")[0]


def _drift(out: Path) -> Path:
    art = make_artifact(make_frame(3000, seed=0))
    report = drift_report(
        art,
        Table(make_frame(2000, seed=1), "jan"),
        Table(make_frame(2000, seed=2, utilisation_shift=0.35), "jun"),
    )
    return write_report(report, out / "drift.html")[0]


def _drift_with_grids(out: Path) -> Path:
    art = _with_grids(make_artifact(make_frame(3000, seed=0)))
    current = make_frame(2000, seed=2)
    moved = np.random.default_rng(0).random(len(current)) < 0.3  # into one cell of the grid
    current.loc[moved, ["utilisation", "months_late"]] = [0.5, 1.5]
    report = drift_report(art, Table(make_frame(2000, seed=1), "jan"), Table(current, "jun"))
    return write_report(report, out / "drift-grids.html")[0]


def _check_page(context: Any, html: Path, sections: dict[str, int], screenshot_dir: Path, name: str) -> None:
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(html.as_uri())
        total = sum(sections.values())
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {total}", timeout=20_000
        )
        for sid, n_plots in sections.items():
            section = page.locator(f"section#{sid}")
            section.screenshot(path=str(screenshot_dir / f"evaluate-{name}-{sid}.png"))
            text = section.inner_text()
            assert len(text.strip()) > 80, (sid, text)
            box = section.bounding_box()
            assert box is not None and box["height"] > 100, sid
            drawn = section.locator(".js-plotly-plot").count()
            assert drawn >= n_plots, (sid, drawn)
            for i in range(drawn):
                drawn_traces = section.locator(".js-plotly-plot").nth(i).locator("g.trace, g.hm image")
                assert drawn_traces.count() >= 1, (sid, i)  # a heat map is an image, other traces g.trace
        saved = json.loads(html.with_suffix(".json").read_text("utf-8"))
        figures = page.evaluate(FIGURES_JS)
        assert len(figures) > 50
        for key, text, digits, pct in figures:
            assert_figure_matches(saved, key, text, digits, pct)
        assert errors == []
        assert all(u.startswith(("file://", "data:", "blob:")) for u in requests), requests
    finally:
        page.close()


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report_browser")


def test_synthetic_report_in_chromium(browser_context: Any, out_dir: Path, screenshot_dir: Path) -> None:
    _check_page(browser_context, _synthetic(out_dir), REPORT_SECTIONS, screenshot_dir, "synthetic")


@pytest.mark.slow
def test_taiwan_report_in_chromium(
    browser_context: Any, out_dir: Path, screenshot_dir: Path, taiwan_sample: TaiwanSample
) -> None:
    _check_page(browser_context, _taiwan(out_dir, taiwan_sample), REPORT_SECTIONS, screenshot_dir, "taiwan")


def test_drift_report_in_chromium(browser_context: Any, out_dir: Path, screenshot_dir: Path) -> None:
    _check_page(browser_context, _drift(out_dir), DRIFT_SECTIONS, screenshot_dir, "drift")


def test_drift_report_with_grids_in_chromium(
    browser_context: Any, out_dir: Path, screenshot_dir: Path
) -> None:
    page = _drift_with_grids(out_dir)
    _check_page(browser_context, page, DRIFT_GRID_SECTIONS, screenshot_dir, "drift-grids")
    html = page.read_text("utf-8")
    assert "Flagged: utilisation × months_late." in html and 'id="plot-grid-shift-0"' in html
