"""Pairwise interactions (issue 14): grids found by a CV-guarded search on each card's training rows, kept
only where held-out rows gain, never against a declared advice direction, and stored in the model file."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from lucidscore.artifact import Bin, Characteristic, ScorecardArtifact, reference_scores
from lucidscore.model import Scorecard
from lucidscore.model._interactions import (
    AXIS_GROUPS,
    _cv_gain,
    _redrawn_gains,
    axis_groups,
    cell_deltas,
    chance_gain,
    follows_directions,
    z_score,
)
from lucidscore.model._search import stratified_folds
from lucidscore.policy import FeatureMeta


def _interacting(n: int, seed: int, late_alone: float = 0.2, together: float = 2.2) -> pd.DataFrame:
    """Late payments hurt far more (``together`` < 0: less, or even help) when utilisation is high: no
    additive card can say so."""
    rng = np.random.default_rng(seed)
    late = rng.poisson(0.6, n).astype(float)
    util = rng.beta(2, 2, n)
    tenure = rng.integers(0, 200, n).astype(float)
    logit = -2.0 + late_alone * late + 0.5 * util + together * late * (util > 0.6) - 0.004 * tenure
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"months_late": late, "utilisation": util, "tenure_months": tenure, "bad": bad})


def _fresh_auc(art: ScorecardArtifact, fresh: pd.DataFrame) -> float:
    return float(roc_auc_score(fresh["bad"], -reference_scores(art.segments, fresh)))


def test_the_interacting_pair_is_found_stored_and_helps_on_fresh_rows() -> None:
    train, fresh = _interacting(12000, 1), _interacting(40000, 2)
    plain = Scorecard(segment_search=False, interactions=0).fit(*_split(train)).artifact_
    paired = Scorecard(segment_search=False, interactions=5).fit(*_split(train)).artifact_
    (segment,) = paired.segments
    assert segment.interactions, paired.training["notes"]
    inter = segment.interactions[0]
    assert {inter.first, inter.second} == {"months_late", "utilisation"}
    assert sum(map(sum, inter.counts)) == segment.n_train == len(train)
    assert any(f"interaction {inter.first} x {inter.second}" in n for n in paired.training["notes"])
    assert segment.characteristics == plain.segments[0].characteristics  # the card itself is unchanged
    assert _fresh_auc(paired, fresh) > _fresh_auc(plain, fresh) + 0.005
    # The model file's training metrics and score table are those of the scores with the grids.
    train_auc = roc_auc_score(train["bad"], -reference_scores(paired.segments, train))
    assert paired.training["metrics"]["train_auc"] == pytest.approx(train_auc, abs=1e-9)


def test_no_grid_is_kept_where_nothing_interacts() -> None:
    rng = np.random.default_rng(7)
    n = 20000
    x = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(5)})
    logit = -2.0 + x.sum(axis=1) * 0.4
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="bad")
    art = Scorecard(segment_search=False, interactions=5).fit(x, y).artifact_
    assert [s.interactions for s in art.segments] == [[]]


def _additive(n: int, base: float, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    """Six characteristics acting on the log odds one by one, none together (a 30-region text column
    among them)."""
    x = pd.DataFrame(
        {
            "utilisation": rng.beta(2, 5, n),
            "months_late": rng.poisson(0.4, n).astype(float),
            "tenure_months": rng.integers(0, 240, n).astype(float),
            "inquiries": rng.poisson(1, n).astype(float),
            "income": rng.lognormal(10, 0.5, n),
            "region": rng.choice([f"R{i}" for i in range(30)], n),
        }
    )
    logit = (
        base
        + 1.6 * x.utilisation
        + 0.6 * x.months_late
        - 0.004 * x.tenure_months
        + 0.15 * x.inquiries
        - 0.3 * np.log(x.income / 22000)
    )
    return x, pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="bad")


def test_a_real_pair_on_a_small_table_is_found_and_its_note_gives_its_z() -> None:
    """3,000 rows where late payments hurt more at high utilisation (a weaker effect than the tests
    above)."""
    train, fresh = _interacting(3000, 0, together=1.2), _interacting(40000, 100, together=1.2)
    paired = Scorecard(segment_search=False, interactions=5).fit(*_split(train)).artifact_
    plain = Scorecard(segment_search=False, interactions=0).fit(*_split(train)).artifact_
    (inter,) = paired.segments[0].interactions
    assert {inter.first, inter.second} == {"months_late", "utilisation"}
    assert any("standard errors above zero" in n for n in paired.training["notes"])
    assert _fresh_auc(paired, fresh) > _fresh_auc(plain, fresh) + 0.003


@settings(max_examples=200, deadline=None)
@given(
    saved=st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=0, max_size=60),
    shift=st.floats(0.01, 0.5),
)
def test_z_is_the_mean_over_its_standard_error(saved: list[float], shift: float) -> None:
    arr = np.asarray(saved, dtype=np.float64)
    z = z_score(arr)
    if arr.size < 2:
        assert z == 0.0
    elif np.ptp(arr) == 0:  # equal values: no spread, the sign of their mean (Hypothesis found three
        # equal values whose numpy deviation was ~1e-17, not 0)
        assert z == (0.0 if arr[0] == 0 else np.copysign(np.inf, arr[0]))
    else:
        assert z == pytest.approx(arr.mean() / (arr.std(ddof=1) / np.sqrt(arr.size)))
        # A larger reduction on every row stands further above zero (where the rows differ by more than
        # rounding: adding the shift re-rounds differences of a few ulps, which can widen them)
        if np.ptp(arr) > 1e-9 and np.ptp(arr + shift) > 1e-9:
            assert z_score(arr + shift) > z
    assert z_score(-np.abs(arr)) <= 0.0  # no row saved anything


def test_a_grid_never_runs_against_a_declared_direction() -> None:
    # Here late payments hurt overall but help when utilisation is high: a grid would make the joint
    # points rise with late payments there. Undeclared, the pair is kept; declared "lower is better",
    # it is passed over (the card's own points do fall with late payments, so the check applies).
    train = _interacting(12000, 4, late_alone=1.0, together=-2.2)
    pair = {"months_late", "utilisation"}
    undeclared = Scorecard(segment_search=False, interactions=5).fit(*_split(train)).artifact_
    assert pair in [{i.first, i.second} for i in undeclared.segments[0].interactions]
    meta = {
        "months_late": FeatureMeta(
            name="months_late", family="payment_behaviour", description="Months late", advice="lower"
        )
    }
    seg = (
        Scorecard(segment_search=False, interactions=5, feature_meta=meta)
        .fit(*_split(train))
        .artifact_.segments[0]
    )
    chars = {c.name: c for c in seg.characteristics}
    late = [b.points for b in sorted(chars["months_late"].bins[1:], key=lambda b: b.lower or -np.inf)]
    assert late == sorted(late, reverse=True) and late[0] > late[-1]
    assert pair not in [{i.first, i.second} for i in seg.interactions]
    for inter in seg.interactions:
        by_bin = np.asarray(inter.points_by_bin(), dtype=np.int64)
        assert follows_directions(chars[inter.first], chars[inter.second], by_bin)


def test_the_search_is_deterministic() -> None:
    x, y = _split(_interacting(6000, 3))
    first = Scorecard(segment_search=False, interactions=5).fit(x, y).artifact_
    again = Scorecard(segment_search=False, interactions=5).fit(x.copy(), y.copy()).artifact_
    assert first.segments == again.segments


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


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(300, 3000),
    n_cells=st.integers(2, 25),
    seed=st.integers(0, 2**31),
    centre=st.floats(-4.0, 0.0),
    spread=st.floats(0.0, 1.5),
)
def test_the_chance_level_counts_give_the_searchs_held_out_gains(
    n: int, n_cells: int, seed: int, centre: float, spread: float
) -> None:
    """The chance level judges a redraw from counts per fold and cell; the search judges the real targets
    row by row (``_cv_gain``). On the same targets both give the same mean held-out gain."""
    rng = np.random.default_rng(seed)
    cell = rng.integers(0, n_cells, n)
    eta = rng.normal(centre, spread, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int8)
    y[:2] = [0, 1]
    folds = stratified_folds(y, 3, seed=0)
    fold_of = np.zeros(n, dtype=np.int64)
    for f, (_, held) in enumerate(folds):
        fold_of[held] = f
    held_rows = np.array([held.size for _, held in folds], dtype=np.float64)
    p_bad = 1.0 / (1.0 + np.exp(-eta))
    counted = _redrawn_gains(cell, n_cells, fold_of, held_rows, p_bad, y[None, :].astype(np.float64))
    exact = float(np.mean(_cv_gain(cell, n_cells, y, eta, folds)[0]))
    assert counted.shape == (1,)
    assert abs(counted[0] - exact) <= 0.02 * abs(exact) + 2e-5, (counted[0], exact)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), n_axes=st.integers(3, 5))
def test_the_chance_level_grows_with_the_pairs_looked_at_and_is_reproducible(seed: int, n_axes: int) -> None:
    rng = np.random.default_rng(seed)
    n = 1500
    axes = {f"x{i}": (rng.integers(0, 5, n), 5) for i in range(n_axes)}
    eta = rng.normal(-1.5, 0.7, n)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int8)
    folds = stratified_folds(y, 3, seed=0)
    pairs = list(itertools.combinations(sorted(axes), 2))
    levels = [chance_gain(axes, pairs[:k], eta, folds) for k in range(1, len(pairs) + 1)]
    assert levels == sorted(levels)  # the best over more pairs is never lower
    assert chance_gain(axes, pairs, eta.copy(), folds) == levels[-1]
    assert chance_gain(axes, [], eta, folds) == 0.0


def test_axis_groups_partition_the_bins_in_points_order() -> None:
    card = Scorecard(segment_search=False).fit(*_split(_interacting(4000, 5)))
    for ch in card.artifact_.segments[0].characteristics:
        groups = axis_groups(ch)
        assert sorted(i for g in groups for i in g) == list(range(len(ch.bins)))
        pts = [[ch.bins[i].points for i in g] for g in groups]
        assert all(max(a) <= min(b) for a, b in itertools.pairwise(pts)) and len(groups) <= AXIS_GROUPS


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.integers(-60, 60), min_size=2, max_size=16, unique=True),
    counts=st.lists(st.integers(1, 500), min_size=16, max_size=16),
)
def test_an_axis_has_as_many_groups_as_its_bins_allow_up_to_five(
    points: list[int], counts: list[int]
) -> None:
    """Up to AXIS_GROUPS (5, chosen by cross-validation over 3 to 8) groups of neighbouring points: a
    characteristic whose bins of distinct points hold equal rows gets min(bins, 5) groups, each of about a
    fifth of the rows; unequal bins never more than 5, every group of neighbouring points."""
    bins = [Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=0)] + [
        Bin(kind="interval", lower=None if i == 0 else float(i), upper=None if i == len(points) - 1
            else float(i + 1), label=str(i), count=100, bad_count=10, woe=0.0, points=p)
        for i, p in enumerate(points)
    ]  # fmt: skip
    ch = Characteristic(
        name="x", family="credit_history", dtype="numeric", description="x", iv=0.1, coefficient=-1.0,
        bins=bins,
    )  # fmt: skip
    groups = axis_groups(ch)
    assert len(groups) == min(len(points), 5)
    rows = [sum(ch.bins[i].count for i in g) for g in groups]
    assert max(rows) <= 100 * (len(points) // AXIS_GROUPS + 1)
    unequal = [b.model_copy(update={"count": c}) for b, c in zip(bins[1:], counts, strict=False)]
    other = axis_groups(ch.model_copy(update={"bins": [bins[0], *unequal]}))
    assert len(other) <= AXIS_GROUPS
    pts = [[[bins[0], *unequal][i].points for i in g] for g in other]
    assert all(max(a) <= min(b) for a, b in itertools.pairwise(pts))


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    return table.drop(columns=["bad"]), table["bad"]


def _star(n: int, seed: int) -> pd.DataFrame:
    """Late payments hurt more at high utilisation AND at short tenure: a star of two pairs around them."""
    rng = np.random.default_rng(seed)
    late = rng.poisson(0.6, n).astype(float)
    util = rng.beta(2, 2, n)
    tenure = rng.integers(0, 200, n).astype(float)
    logit = -2.2 + 0.2 * late + 0.5 * util - 0.004 * tenure + 1.8 * late * (util > 0.6)
    logit += 1.8 * late * (tenure < 60)
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"months_late": late, "utilisation": util, "tenure_months": tenure, "bad": bad})


def test_shared_characteristics_is_an_experiment_switch_off_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14's "stars" experiment: by default a characteristic sits in one grid at most; with both
    switches on, the search may put it in two, the model file takes that, and the compiled engine (which
    reads a characteristic in one grid) refuses the model by name rather than scoring it wrongly."""
    from lucidscore.artifact import _model
    from lucidscore.model import _interactions
    from lucidscore.score import CompiledScorecard

    x, y = _split(_star(12000, 5))
    default = Scorecard(segment_search=False, interactions=5).fit(x, y).artifact_
    members = [m for i in default.segments[0].interactions for m in (i.first, i.second)]
    assert members and len(members) == len(set(members))
    monkeypatch.setattr(_interactions, "SHARED_CHARACTERISTICS", True)
    monkeypatch.setattr(_model, "SHARED_CHARACTERISTICS", True)
    star = Scorecard(segment_search=False, interactions=5).fit(x, y).artifact_
    pairs = [{i.first, i.second} for i in star.segments[0].interactions]
    assert {"months_late", "utilisation"} in pairs and {"months_late", "tenure_months"} in pairs, pairs
    with pytest.raises(ValueError, match="a characteristic is in two interaction grids"):
        CompiledScorecard.from_artifact(star)
    monkeypatch.setattr(_model, "SHARED_CHARACTERISTICS", False)
    with pytest.raises(ValueError, match="already in another interaction"):
        ScorecardArtifact.model_validate(star.model_dump())
