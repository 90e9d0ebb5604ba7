"""The drift report shows every interaction grid over its cells, as it shows a characteristic over its bins
(issue 14): each row of a segment counted in exactly one cell (Hypothesis over generated cards with grids),
the PSI of the cells' shares by the same definition and flags, the points shift; a population shifted into
one cell raises that grid's PSI and the page shows it, as a heat map and figures equal to drift.json; a
grid can shift while neither of its characteristics does; a model without grids gets the report it got
before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import ScorecardArtifact, bin_index, segment_of_rows
from lucidscore.evaluate import (
    DriftReport,
    Table,
    _plots,
    drift_report,
    interaction_stability,
    psi,
    read_report,
    write_report,
)
from tests.evaluate.factory import assert_figure_matches, make_artifact, make_frame
from tests.evaluate.test_report import _Figures
from tests.evaluate.test_report_interactions import _with_grids
from tests.score.strategies import cards, frame_for, with_interactions


def _reference_cells(art: ScorecardArtifact, frame: pd.DataFrame, s: int, k: int) -> np.ndarray:
    """Rows of ``frame`` per cell of grid ``k`` of segment ``s``, counted cell by cell by the rule."""
    seg = art.segments[s]
    inter = seg.interactions[k]
    first, second = (next(c for c in seg.characteristics if c.name == n) for n in (inter.first, inter.second))
    a, b = bin_index(first, frame[first.name]), bin_index(second, frame[second.name])
    in_segment = segment_of_rows(art.segments, frame) == s
    return np.array(
        [
            [int((in_segment & np.isin(a, rows) & np.isin(b, cols)).sum()) for cols in inter.second_groups]
            for rows in inter.first_groups
        ]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=cards(max_characteristics=4).flatmap(with_interactions), seed=st.integers(0, 2**32 - 1))
def test_every_row_is_counted_in_exactly_one_cell_of_each_grid(art: ScorecardArtifact, seed: int) -> None:
    base, cur = frame_for(art, 60, seed), frame_for(art, 45, seed + 1)
    out = interaction_stability(art, cur, base)
    expected = []
    for s, seg in enumerate(art.segments):
        for k in range(len(seg.interactions)):
            b, c = _reference_cells(art, base, s, k), _reference_cells(art, cur, s, k)
            if b.sum() and c.sum():  # as a characteristic: a segment without rows on a side is left out
                expected.append((seg.name, k, b, c))
    assert len(out) == len(expected)
    for g, (name, k, b, c) in zip(out, expected, strict=True):
        inter = next(s for s in art.segments if s.name == name).interactions[k]
        assert (g["segment"], g["first"], g["second"]) == (name, inter.first, inter.second)
        assert g["baseline_rows"] == b.tolist() and g["current_rows"] == c.tolist()
        seg_rows = int(
            (segment_of_rows(art.segments, cur) == [s.name for s in art.segments].index(name)).sum()
        )
        assert sum(map(sum, g["current_rows"])) == seg_rows  # each row of the segment in one cell
        assert np.sum(g["current_share"]) == pytest.approx(1.0)
        assert np.sum(g["baseline_share"]) == pytest.approx(1.0)
        assert g["psi"] == pytest.approx(psi(b.ravel(), c.ravel()))  # the CSI's definition
        assert g["points_shift"] == pytest.approx(np.sum(g["cell_points_shift"]))
        shares = np.asarray(g["current_share"]) - np.asarray(g["baseline_share"])
        np.testing.assert_allclose(g["cell_points_shift"], shares * np.asarray(inter.points), atol=1e-12)
        assert g["training_share"] == [] and g["training_psi"] is None  # generated grids record no counts


def _into_one_cell(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """``frame`` with a ``share`` of its rows moved into the cell (utilisation 0.4 and over, months_late 1
    to 2) of the grids of ``_with_grids``."""
    out = frame.copy()
    rows = np.random.default_rng(seed).random(len(out)) < share
    out.loc[rows, "utilisation"] = 0.5
    out.loc[rows, "months_late"] = 1.5
    return out


@pytest.fixture(params=[False, True], ids=["one card", "segmented"])
def art(request: pytest.FixtureRequest) -> ScorecardArtifact:
    return _with_grids(make_artifact(make_frame(3000), segmented=request.param))


def test_a_population_shifted_into_one_cell_raises_that_grids_psi_and_the_page_shows_it(
    art: ScorecardArtifact, tmp_path: Path
) -> None:
    base = make_frame(3000, seed=1)
    steady = drift_report(art, Table(base, "jan"), Table(make_frame(3000, seed=2), "feb"))
    shifted = drift_report(
        art, Table(base, "jan"), Table(_into_one_cell(make_frame(3000, seed=2), 0.3, 0), "jun")
    )
    checked = 0
    for before, after in zip(steady.interactions, shifted.interactions, strict=True):
        s = [seg.name for seg in art.segments].index(after.segment)
        if after.second != "months_late":  # the thin segment's grid (utilisation x housing, 90 rows)
            continue
        checked += 1
        assert after.psi >= 0.25 > 0.1 > before.psi and after.flag == "shifted"
        change = np.asarray(after.current_share) - np.asarray(after.baseline_share)
        assert np.unravel_index(np.argmax(change), change.shape) == (1, 1) and change[1, 1] > 0.15
        cur = _into_one_cell(make_frame(3000, seed=2), 0.3, 0)
        assert after.current_rows == _reference_cells(art, cur, s, 0).tolist()
    assert checked == 1
    html_path, json_path = write_report(shifted, tmp_path / "drift.html")
    html = html_path.read_text("utf-8")
    parser = _Figures()
    parser.feed(html)
    assert parser.sections == ["score", "characteristics", "interactions"]
    flagged = [g.name for g in shifted.interactions if g.flag != "stable"]
    assert flagged and f"Flagged: {', '.join(flagged)}." in html
    saved = json.loads(json_path.read_text("utf-8"))
    for k, g in enumerate(shifted.interactions):
        assert f'id="plot-grid-shift-{k}"' in html
        [heat] = _plots.grid_shift(g.model_dump()).data
        assert heat.type == "heatmap" and list(heat.y) == g.first_labels and list(heat.x) == g.second_labels
        expected = 100 * (np.asarray(g.current_share) - np.asarray(g.baseline_share))
        np.testing.assert_allclose(np.asarray(heat.z, dtype=float), expected)
        shown = {key for key, *_ in parser.figures if key.startswith(f"interactions/{k}/")}
        cells = len(g.first_labels) * len(g.second_labels)
        # psi, points shift (training psi); per cell two shares, points, points shift (training share)
        known = g.training_psi is not None
        assert known == bool(g.training_share)
        assert len(shown) == 2 + known + cells * (4 + known)
    for key, text, digits, pct in parser.figures:
        assert_figure_matches(saved, key, text, digits, pct)
    assert read_report(json_path) == shifted


def test_a_grid_shifts_while_neither_of_its_characteristics_does() -> None:
    # The same values, paired differently: high utilisation now goes with late payments. Each column's
    # distribution is exactly as before, so their CSIs are 0; only the grid sees the change.
    art = _with_grids(make_artifact(make_frame(3000)))
    base = make_frame(3000, seed=1)
    cur = base.copy()
    by_utilisation = np.argsort(cur["utilisation"].fillna(-1.0).to_numpy(), kind="stable")
    cur.loc[cur.index[by_utilisation], "months_late"] = np.sort(cur["months_late"].to_numpy())
    out = drift_report(art, Table(base, "jan"), Table(cur, "jun"))
    assert out.flagged == [] and all(c.csi == pytest.approx(0.0, abs=1e-12) for c in out.characteristics)
    [grid] = out.interactions
    assert grid.flag == "shifted" and grid.psi >= 0.25


def test_without_a_baseline_the_cells_compare_with_the_training_counts(art: ScorecardArtifact) -> None:
    frame = make_frame(2000, seed=3)
    out = interaction_stability(art, frame)
    recorded = [(seg.name, i) for seg in art.segments for i in seg.interactions if i.counts]
    assert [(g["segment"], g["first"], g["second"]) for g in out] == [
        (name, i.first, i.second) for name, i in recorded
    ]  # a grid whose counts the model file does not record is left out
    for g, (_, inter) in zip(out, recorded, strict=True):
        assert g["baseline_rows"] == inter.counts
        counts = np.asarray(inter.counts, dtype=float)
        np.testing.assert_allclose(g["training_share"], counts / counts.sum())
        assert g["training_psi"] == pytest.approx(g["psi"])


def test_a_model_without_grids_gets_the_report_it_got_before(tmp_path: Path) -> None:
    art = make_artifact(make_frame(3000))
    out = drift_report(art, Table(make_frame(2000, seed=1), "jan"), Table(make_frame(2000, seed=2), "jun"))
    assert out.interactions == []
    html_path, json_path = write_report(out, tmp_path / "drift.html")
    assert "interactions" not in json.loads(json_path.read_text("utf-8"))  # drift.json as before
    html = html_path.read_text("utf-8")
    assert 'id="interactions"' not in html and "plot-grid-shift" not in html
    assert read_report(json_path) == out


def test_a_drift_json_with_grids_reads_back_and_one_written_before_grids_reads_as_none(
    tmp_path: Path,
) -> None:
    art = _with_grids(make_artifact(make_frame(3000)))
    out = drift_report(art, Table(make_frame(2000, seed=1), "jan"), Table(make_frame(2000, seed=2), "jun"))
    _, json_path = write_report(out, tmp_path / "drift.html")
    assert isinstance(read_report(json_path), DriftReport) and read_report(json_path) == out
    data = json.loads(json_path.read_text("utf-8"))
    data["interactions"][0]["cell_points"] = data["interactions"][0].pop("cell_points_shift")
    json_path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(Exception, match=r"field interactions\.0\.cell_points_shift: Field required"):
        read_report(json_path)
    del data["interactions"]
    json_path.write_text(json.dumps(data), "utf-8")
    assert read_report(json_path) == out.model_copy(update={"interactions": []})
