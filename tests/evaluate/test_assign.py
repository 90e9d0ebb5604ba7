"""Segment and bin placement follow the artifact's scoring rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Characteristic
from lucidscore.evaluate import bin_index, reference_scores, score_table, segment_index
from tests.evaluate.factory import make_artifact, make_frame


def _char(name: str) -> Characteristic:
    art = make_artifact(make_frame(500))
    return next(c for c in art.segments[0].characteristics if c.name == name)


def test_numeric_bins_missing_and_special() -> None:
    ch = _char("months_late")
    labels = [ch.bins[i].label for i in bin_index(ch, pd.Series([0.0, 1.0, 2.5, 6.0, -1.0, None, np.nan]))]
    assert labels == ["< 1.0", "1.0 to 2.0", "2.0 to 3.0", ">= 3.0", "code -1", "missing", "missing"]


def test_categorical_bins_compare_as_strings_and_unseen_is_missing() -> None:
    ch = _char("housing")
    labels = [ch.bins[i].label for i in bin_index(ch, pd.Series(["own", "free", "boat", "", None]))]
    assert labels == ["own", "rent, free", "missing", "missing", "missing"]


def test_segments_first_matching_condition_else_default() -> None:
    art = make_artifact(make_frame(500), segmented=True)
    frame = pd.DataFrame(
        {"months_late": [-1.0, 0.0, None], "utilisation": [0.1, 0.1, 0.1], "housing": ["own"] * 3}
    )
    assert list(segment_index(art, frame)) == [0, 1, 1]
    thin = art.segments[0]
    expected = (
        thin.base_points + thin.characteristics[0].bins[0].points + thin.characteristics[1].bins[0].points
    )
    assert reference_scores(art, frame)[0] == expected


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_scores_stay_in_range_and_match_a_row_by_row_sum(seed: int) -> None:
    frame = make_frame(50, seed=seed)
    art = make_artifact(make_frame(500))
    got = reference_scores(art, frame)
    assert ((got >= 350) & (got <= 950)).all()
    seg = art.segments[0]
    for i in range(0, 50, 7):
        total = seg.base_points
        for ch in seg.characteristics:
            total += ch.bins[int(bin_index(ch, frame[ch.name].iloc[[i]])[0])].points
        assert got[i] == min(max(total, 350), 950)


def test_score_table_reads_only_model_inputs() -> None:
    art = make_artifact(make_frame(500))
    frame = make_frame(200, seed=4)
    base = score_table(art, frame)
    scrambled = frame.assign(SEX=1, AGE=99, default=0)
    after = score_table(art, scrambled)
    np.testing.assert_array_equal(base["score"], after["score"])
    assert list(base.columns) == ["score", "tier", "probability"]
    np.testing.assert_array_equal(base["score"], reference_scores(art, frame))
