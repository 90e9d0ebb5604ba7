"""Pairwise-interaction prototype: grids found by a CV-guarded search, as plain data (not in the artifact)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from lucidscore.model import Scorecard
from lucidscore.model._interactions import axis_groups, cell_deltas, find_interactions, interaction_points


def _interacting(n: int, seed: int) -> pd.DataFrame:
    """Late payments hurt far more when utilisation is high: no additive card can say so."""
    rng = np.random.default_rng(seed)
    late = rng.poisson(0.6, n).astype(float)
    util = rng.beta(2, 2, n)
    tenure = rng.integers(0, 200, n).astype(float)
    logit = -2.0 + 0.2 * late + 0.5 * util + 2.2 * late * (util > 0.6) - 0.004 * tenure
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"months_late": late, "utilisation": util, "tenure_months": tenure, "bad": bad})


def test_the_interacting_pair_is_found_and_helps_on_fresh_rows() -> None:
    train, fresh = _interacting(12000, 1), _interacting(40000, 2)
    x, y = train.drop(columns=["bad"]), train["bad"]
    card = Scorecard(segment_search=False).fit(x, y)
    grids = find_interactions(card.artifact_, x, y.to_numpy(np.int8))
    assert grids and {grids[0].first, grids[0].second} == {"months_late", "utilisation"}
    assert len(grids) <= 5 and all(g.cv_gain > 0 for g in grids)
    seg_rows = card.artifact_.segments[0].n_train
    assert sum(map(sum, grids[0].counts)) == seg_rows
    fx = fresh.drop(columns=["bad"])
    score = card.score_table(fx)["score"].to_numpy().astype(np.int64)
    plain = roc_auc_score(fresh["bad"], -score)
    with_pairs = roc_auc_score(fresh["bad"], -(score + interaction_points(card.artifact_, grids, fx)))
    assert with_pairs > plain + 0.005


def test_the_search_is_deterministic() -> None:
    train = _interacting(6000, 3)
    x, y = train.drop(columns=["bad"]), train["bad"].to_numpy(np.int8)
    card = Scorecard(segment_search=False).fit(x, y)
    assert find_interactions(card.artifact_, x, y) == find_interactions(card.artifact_, x.copy(), y.copy())


@settings(max_examples=60, deadline=None)
@given(
    n_cells=st.integers(1, 12),
    seed=st.integers(0, 2**31),
    rate=st.floats(0.02, 0.6),
)
def test_a_cell_the_card_already_predicts_adds_nothing_and_small_cells_little(
    n_cells: int, seed: int, rate: float
) -> None:
    rng = np.random.default_rng(seed)
    cell = rng.integers(0, n_cells, 400)
    y = (rng.random(400) < rate).astype(np.int8)
    # Probabilities that match each cell's bad rate exactly: the card is right, so no cell moves.
    observed = np.bincount(cell, weights=y, minlength=n_cells) / np.maximum(
        np.bincount(cell, minlength=n_cells), 1
    )
    delta = cell_deltas(cell, n_cells, y, observed[cell])
    np.testing.assert_allclose(delta, 0.0, atol=1e-9)
    # One row that the card called certain-good but was bad moves its cell by at most ln(1 + 1/prior).
    one = cell_deltas(np.zeros(1, np.int64), 1, np.ones(1, np.int8), np.full(1, 1e-9))
    assert 0 < one[0] <= np.log1p(1 / 4.0) + 1e-9


def test_axis_groups_partition_the_bins_in_points_order() -> None:
    card = Scorecard(segment_search=False).fit(*_split(_interacting(4000, 5)))
    for ch in card.artifact_.segments[0].characteristics:
        groups = axis_groups(ch)
        assert sorted(i for g in groups for i in g) == list(range(len(ch.bins)))
        pts = [[ch.bins[i].points for i in g] for g in groups]
        assert all(max(a) <= min(b) for a, b in itertools.pairwise(pts)) and len(groups) <= 3


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return table.drop(columns=["bad"]), table["bad"]
