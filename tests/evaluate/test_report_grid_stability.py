"""The evaluation report's stability section shows every interaction grid over its cells, as the drift
report does (issue 14): the same figures as ``interaction_stability`` of the test table against the
baseline table (or, without one, against the training counts the model file records), a heat map of the
share changes, every figure on the page equal to report.json, a shifted grid named among the model card's
limitations; a model without grids gets the report it got before, and a report.json written before grids
were reported still reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lucidscore.artifact import ScorecardArtifact
from lucidscore.evaluate import (
    EvaluationReport,
    Table,
    _plots,
    evaluation_report,
    interaction_stability,
    read_report,
    write_report,
)
from tests.evaluate.factory import assert_figure_matches, make_artifact, make_frame
from tests.evaluate.test_drift_interactions import _into_one_cell
from tests.evaluate.test_report import _Figures
from tests.evaluate.test_report_interactions import _with_grids


@pytest.fixture(params=[False, True], ids=["one card", "segmented"])
def art(request: pytest.FixtureRequest) -> ScorecardArtifact:
    return _with_grids(make_artifact(make_frame(3000), segmented=request.param))


def test_a_shifted_grid_is_reported_flagged_and_shown_with_figures_equal_to_the_json(
    art: ScorecardArtifact, tmp_path: Path
) -> None:
    baseline = make_frame(3000, seed=1)
    test = _into_one_cell(make_frame(3000, seed=2), 0.3, 0)
    report = evaluation_report(
        art, Table(test, "jun.parquet"), baseline=Table(baseline, "jan.parquet"), n_resamples=20
    )
    expected = interaction_stability(art, test, baseline)
    got = [g.model_dump() for g in report.stability.interactions]
    assert [(g["segment"], g["first"], g["second"]) for g in got] == [
        (g["segment"], g["first"], g["second"]) for g in expected
    ]
    for g, e in zip(got, expected, strict=True):
        assert g["current_rows"] == e["current_rows"] and g["baseline_rows"] == e["baseline_rows"]
        assert g["psi"] == pytest.approx(e["psi"]) and g["flag"] == e["flag"]
    shifted = [g.name for g in report.stability.interactions if g.flag == "shifted"]
    assert shifted  # the grid over utilisation x months_late takes the moved rows
    assert f"Interaction grids shifted against the baseline: {', '.join(shifted)}." in (
        report.model_card.limitations
    )

    html_path, json_path = write_report(report, tmp_path / "report.html")
    html = html_path.read_text("utf-8")
    assert 'id="interaction-stability"' in html and f"Flagged: {', '.join(shifted)}." in html
    parser = _Figures()
    parser.feed(html)
    saved = json.loads(json_path.read_text("utf-8"))
    for k, g in enumerate(report.stability.interactions):
        assert f'id="plot-grid-shift-{k}"' in html and f'id="grid-stability-{k}"' in html
        [heat] = _plots.grid_shift(g.model_dump()).data
        np.testing.assert_allclose(
            np.asarray(heat.z, dtype=float),
            100 * (np.asarray(g.current_share) - np.asarray(g.baseline_share)),
        )
        shown = {key for key, *_ in parser.figures if key.startswith(f"stability/interactions/{k}/")}
        known = g.training_psi is not None
        cells = len(g.first_labels) * len(g.second_labels)
        assert len(shown) == 2 + known + cells * (4 + known)
    for key, text, digits, pct in parser.figures:
        assert_figure_matches(saved, key, text, digits, pct)
    assert read_report(json_path) == report


def test_without_a_baseline_the_grids_compare_with_the_training_counts(art: ScorecardArtifact) -> None:
    test = make_frame(2000, seed=3)
    report = evaluation_report(art, Table(test, "test.parquet"), n_resamples=20)
    recorded = [(seg.name, i) for seg in art.segments for i in seg.interactions if i.counts]
    assert [(g.segment, g.first, g.second) for g in report.stability.interactions] == [
        (name, i.first, i.second) for name, i in recorded
    ]  # a grid whose counts the model file does not record cannot be compared, and is left out
    for g, (_, inter) in zip(report.stability.interactions, recorded, strict=True):
        assert g.baseline_rows == inter.counts
        assert g.training_psi == pytest.approx(g.psi)


def test_a_model_without_grids_gets_the_stability_section_it_got_before(tmp_path: Path) -> None:
    art = make_artifact(make_frame(3000))
    report = evaluation_report(
        art, Table(make_frame(2000, seed=1), "test"), baseline=Table(make_frame(2000, seed=2), "jan")
    )
    assert report.stability.interactions == []
    html_path, json_path = write_report(report, tmp_path / "report.html")
    saved = json.loads(json_path.read_text("utf-8"))
    assert "interactions" not in saved["stability"]
    html = html_path.read_text("utf-8")
    assert "interaction-stability" not in html and "plot-grid-shift" not in html
    assert read_report(json_path) == report


def test_a_report_json_written_before_grid_stability_still_reads(
    art: ScorecardArtifact, tmp_path: Path
) -> None:
    report = evaluation_report(art, Table(make_frame(2000, seed=3), "test"), n_resamples=20)
    assert report.stability.interactions
    _, json_path = write_report(report, tmp_path / "report.html")
    data = json.loads(json_path.read_text("utf-8"))
    del data["stability"]["interactions"]
    json_path.write_text(json.dumps(data), "utf-8")
    old = read_report(json_path)
    assert isinstance(old, EvaluationReport)
    assert old == report.model_copy(
        update={"stability": report.stability.model_copy(update={"interactions": []})}
    )
