"""The searches score held-out rows from the sample's model columns, and ``with_interactions`` places rows
in bins from the table's model columns: both must give exactly what the reference rule gives on a copy of
the rows (``reference_scores``, ``bin_index``), or the search would judge splits on other scores and the
model file would change."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import ScorecardArtifact, bin_index, reference_scores
from lucidscore.model._card import model_columns
from lucidscore.model._fit import _bins_at
from lucidscore.model._frame import column_kind
from lucidscore.model._search import sample_scores, search_sample
from tests.score.strategies import SPECIAL, cards, frame_for, with_interactions


def _table(art: ScorecardArtifact, n: int, seed: int, whole: bool) -> pd.DataFrame:
    """``frame_for``'s rows; with ``whole``, numeric columns as int64 (no missing: the special value
    instead), as a Parquet file of whole numbers gives them and ``model_columns`` keeps them."""
    frame = frame_for(art, n, seed)
    if whole:
        for name in frame.columns:
            if frame[name].dtype == np.float64:
                frame[name] = np.floor(frame[name].fillna(SPECIAL)).astype(np.int64)
    return frame


@settings(max_examples=60, deadline=None)
@given(
    art=cards().flatmap(with_interactions),
    n=st.integers(1, 400),
    seed=st.integers(0, 2**16),
    whole=st.booleans(),
    share=st.floats(0.05, 1.0),
)
def test_sample_scores_equal_the_reference_rule_on_a_copy_of_the_rows(
    art: ScorecardArtifact, n: int, seed: int, whole: bool, share: float
) -> None:
    frame = _table(art, n, seed, whole)
    kinds = {c: column_kind(frame[c], c) for c in frame.columns}
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int8)
    s = search_sample(frame, y, kinds)
    rows = np.flatnonzero(rng.random(len(s.frame)) < share)
    expected = reference_scores(art.segments, s.frame.iloc[rows].reset_index(drop=True))
    got = sample_scores(s, rows, art.segments)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(
    art=cards(),
    n=st.integers(1, 400),
    seed=st.integers(0, 2**16),
    whole=st.booleans(),
    share=st.floats(0.05, 1.0),
)
def test_bins_from_model_columns_equal_bin_index_of_the_rows(
    art: ScorecardArtifact, n: int, seed: int, whole: bool, share: float
) -> None:
    frame = _table(art, n, seed, whole)
    kinds = {c: column_kind(frame[c], c) for c in frame.columns}
    columns = model_columns(frame, kinds)
    positions = np.flatnonzero(np.random.default_rng(seed).random(n) < share)
    for seg in art.segments:
        for char in seg.characteristics:
            expected = bin_index(char, frame[char.name].iloc[positions], positions=positions)
            np.testing.assert_array_equal(_bins_at(char, frame, positions, columns), expected)
            np.testing.assert_array_equal(_bins_at(char, frame, positions, None), expected)
