"""The evaluation report shows every interaction grid of every segment: a heat map of its points with both
axes labelled by the groups' bin labels, and the evaluated rows and bad rate of each cell, which equal a
count by the reference rule; the page's figures equal report.json, and a report.json written before
interactions still reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lucidscore.artifact import (
    Interaction,
    ScorecardArtifact,
    bin_index,
    segment_of_rows,
)
from lucidscore.evaluate import EvaluationReport, Table, _plots, evaluation_report, read_report, write_report
from tests.evaluate.factory import assert_figure_matches, make_artifact, make_frame
from tests.evaluate.test_report import SECTIONS, _Figures


def _with_grids(art: ScorecardArtifact) -> ScorecardArtifact:
    """``art`` with a grid in every segment: utilisation x months_late where both are scored, else
    utilisation x housing; the last segment's grid with training counts."""
    segments = []
    for k, seg in enumerate(art.segments):
        names = [c.name for c in seg.characteristics]
        second = "months_late" if "months_late" in names else "housing"
        other = next(c for c in seg.characteristics if c.name == second)
        rows = [[0, 1], [2, 3, 4], [5]]  # utilisation: under 0.4, 0.4 and over, missing
        cols = [[0], [1], list(range(2, len(other.bins)))]
        points = [[(10 * (k + 1) * (i - j)) for j in range(len(cols))] for i in range(len(rows))]
        # The last segment's grid records training counts (as train writes them), the others none.
        counts = [[50, 57, 64], [100, 107, 114], [150, 157, 0]]  # the last cell: no training rows
        counts = counts if k == len(art.segments) - 1 else []
        bads = [[(n // 5) * (j != 1) for j, n in enumerate(row)] for row in counts]
        inter = Interaction(
            first="utilisation",
            second=second,
            first_groups=rows,
            second_groups=cols,
            points=points,
            counts=counts,
            bad_counts=bads,
        )
        segments.append(seg.model_copy(update={"interactions": [inter]}))
    return art.model_copy(update={"segments": segments}).with_hash()


@pytest.fixture(params=[False, True], ids=["one card", "segmented"])
def graded(request: pytest.FixtureRequest) -> tuple[EvaluationReport, pd.DataFrame]:
    art = _with_grids(make_artifact(make_frame(3000), segmented=request.param))
    test = make_frame(2000, seed=1)
    return evaluation_report(art, Table(test, "test.parquet"), n_resamples=20), test


def test_every_grid_is_reported_with_its_cells_counted_by_the_reference_rule(
    graded: tuple[EvaluationReport, pd.DataFrame],
) -> None:
    report, test = graded
    art = _with_grids(make_artifact(make_frame(3000), segmented=len(report.model.segments) > 1))
    seg_of_row = segment_of_rows(art.segments, test)
    assert [(g.segment, g.first, g.second) for g in report.interactions] == [
        (seg.name, i.first, i.second) for seg in art.segments for i in seg.interactions
    ]
    for s, seg in enumerate(art.segments):
        [inter] = seg.interactions
        [grid] = [g for g in report.interactions if g.segment == seg.name]
        first, second = (
            next(c for c in seg.characteristics if c.name == n) for n in (inter.first, inter.second)
        )
        assert grid.points == inter.points
        assert grid.first_labels == [" | ".join(first.bins[i].label for i in g) for g in inter.first_groups]
        assert grid.second_labels == [
            " | ".join(second.bins[i].label for i in g) for g in inter.second_groups
        ]
        assert grid.train_rows == inter.counts
        assert grid.train_bad_rate == [
            [pytest.approx(b / n) if n else None for n, b in zip(rn, rb, strict=True)]
            for rn, rb in zip(inter.counts, inter.bad_counts, strict=True)
        ]
        a, b = bin_index(first, test[first.name]), bin_index(second, test[second.name])
        in_segment = seg_of_row == s
        bad = test["default"].to_numpy() == 1
        for i, rows_group in enumerate(inter.first_groups):
            for j, cols_group in enumerate(inter.second_groups):
                cell = in_segment & np.isin(a, rows_group) & np.isin(b, cols_group)
                assert grid.rows[i][j] == cell.sum()
                assert grid.bads[i][j] == (cell & bad).sum()
                expected = (cell & bad).sum() / cell.sum() if cell.any() else None
                assert grid.bad_rate[i][j] == pytest.approx(expected)
        assert sum(map(sum, grid.rows)) == in_segment.sum()  # every row of the segment in one cell


def test_the_page_shows_each_grid_as_a_labelled_heat_map_with_figures_equal_to_the_json(
    graded: tuple[EvaluationReport, pd.DataFrame], tmp_path: Path
) -> None:
    report, _ = graded
    html_path, json_path = write_report(report, tmp_path / "report.html")
    html = html_path.read_text("utf-8")
    saved = json.loads(json_path.read_text("utf-8"))
    parser = _Figures()
    parser.feed(html)
    assert parser.sections == SECTIONS  # the grids sit in the Characteristics section
    for k, grid in enumerate(report.interactions):
        assert f'id="plot-interaction-{k}"' in html
        fig = _plots.interaction(grid.model_dump())
        [heat] = fig.data
        assert heat.type == "heatmap"
        assert list(heat.x) == grid.second_labels and list(heat.y) == grid.first_labels
        assert [list(r) for r in heat.z] == grid.points
        assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (grid.second, grid.first)
        shown = {key for key, *_ in parser.figures if key.startswith(f"interactions/{k}/")}
        cells = len(grid.first_labels) * len(grid.second_labels)
        filled = sum(r is not None for row in grid.bad_rate for r in row)
        trained = sum(r is not None for row in grid.train_bad_rate for r in row)
        # points and rows of every cell, bad rate where it has rows; the same for training when known
        assert len(shown) == 2 * cells + filled + (cells if grid.train_rows else 0) + trained
        assert ("in training" in heat.text[0][0]) == bool(grid.train_rows)
    for key, text, digits, pct in parser.figures:
        assert_figure_matches(saved, key, text, digits, pct)


def test_a_report_written_before_interactions_still_reads(
    graded: tuple[EvaluationReport, pd.DataFrame], tmp_path: Path
) -> None:
    report, _ = graded
    _, json_path = write_report(report, tmp_path / "r.html")
    assert read_report(json_path) == report
    data = json.loads(json_path.read_text("utf-8"))
    del data["interactions"]
    json_path.write_text(json.dumps(data), "utf-8")
    assert read_report(json_path) == report.model_copy(update={"interactions": []})


def test_a_model_without_grids_reports_none(tmp_path: Path) -> None:
    art = make_artifact(make_frame(1000))
    report = evaluation_report(art, Table(make_frame(500, seed=1), "t"), n_resamples=10)
    assert report.interactions == []
    html, _ = write_report(report, tmp_path / "r.html")
    assert 'id="interactions"' not in html.read_text("utf-8")
