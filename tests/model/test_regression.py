"""The fitting kernels under the scorecard: Newton logistic regression, row compression, pre-bin
counting and in-place segment binning must equal their plain references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from lucidscore.model import _newton
from lucidscore.model._card import compress_rows, fit_card, logistic_newton, model_columns
from lucidscore.model._dp import column_facts, prebin_counts
from lucidscore.model._frame import column_kind
from lucidscore.model._newton import bad_weight, distinct_keys, logistic_newton_binned
from lucidscore.model._params import ScorecardParams

from ._sim import credit_table


@pytest.mark.parametrize(("c", "k"), [(1.0, 1), (1.0, 6), (0.05, 4), (100.0, 3)])
def test_newton_matches_scikit_learn(c: float, k: int) -> None:
    rng = np.random.default_rng(k)
    x = rng.normal(size=(3000, k))
    t = (rng.random(3000) < 1 / (1 + np.exp(-(x @ rng.normal(size=k) - 1)))).astype(np.int8)
    w = rng.integers(1, 5, 3000).astype(np.float64)
    intercept, coef = logistic_newton(x, t, w, c)
    ref = LogisticRegression(C=c, solver="lbfgs", tol=1e-10, max_iter=10_000).fit(x, t, sample_weight=w)
    np.testing.assert_allclose(coef, ref.coef_[0], atol=1e-5)
    assert intercept == pytest.approx(float(ref.intercept_[0]), abs=1e-5)
    # A warm start from anywhere reaches the same optimum.
    again = logistic_newton(x, t, w, c, start=np.full(k + 1, 3.0))
    np.testing.assert_allclose(again[1], coef, atol=1e-6)


def test_compressed_rows_carry_the_same_likelihood() -> None:
    rng = np.random.default_rng(0)
    codes = [rng.integers(0, 4, 5000).astype(np.int16), rng.integers(0, 3, 5000).astype(np.int16)]
    y = rng.integers(0, 2, 5000).astype(np.int8)
    distinct, t, w = compress_rows(codes, y)
    assert w.sum() == 5000 and len(t) <= 4 * 3 * 2
    tables = [np.array([-1.0, 0.0, 0.5, 2.0]), np.array([0.3, -0.3, 0.0])]
    full = np.column_stack([tables[j][codes[j]] for j in range(2)])
    small = np.column_stack([tables[j][distinct[:, j]] for j in range(2)])
    a = logistic_newton(full, y, np.ones(5000), 1.0)
    b = logistic_newton(small, t, w, 1.0)
    assert a[0] == pytest.approx(b[0], abs=1e-9)
    np.testing.assert_allclose(a[1], b[1], atol=1e-9)


def _compressed_by_hashing(
    codes: list[np.ndarray], y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """compress_rows as it was first written (pandas hashing, then a sort of the distinct keys): the
    rows, their order and their counts must stay these, or every Newton fit would take another path."""
    key = y.astype(np.int64)
    radix = 2
    for c in codes:
        key += c.astype(np.int64) * radix
        radix *= int(c.max()) + 1
    inverse, uniques = pd.factorize(key, sort=True)
    row_of = np.empty(uniques.size, dtype=np.int64)
    row_of[inverse] = np.arange(y.size)
    stacked = np.column_stack(codes).astype(np.int16) if codes else np.empty((uniques.size, 0), np.int16)
    return stacked[row_of], y[row_of], np.bincount(inverse, minlength=uniques.size).astype(np.float64)


@settings(max_examples=80, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=9),
    rows=st.integers(1, 3000),
    seed=st.integers(0, 2**31),
)
def test_compress_rows_keeps_the_rows_order_and_counts(sizes: list[int], rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = [rng.integers(0, s, rows).astype(np.int16) for s in sizes]
    y = rng.integers(0, 2, rows).astype(np.int8)
    got, want = compress_rows(codes, y), _compressed_by_hashing(codes, y)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 2**62 - 1) | st.integers(0, 50), max_size=500))
def test_distinct_keys_is_numpy_unique(keys: list[int]) -> None:
    key = np.array(keys, dtype=np.int64)
    first, counts = distinct_keys(key)
    values, want_first, want_counts = np.unique(key, return_index=True, return_counts=True)
    assert np.array_equal(key[first], values) and np.array_equal(first, want_first)
    assert np.array_equal(counts, want_counts.astype(np.float64))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 40_000),  # BLAS's dot product runs on several threads above 10,000
    most=st.sampled_from([1, 7, 10**6]),
    scaled=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_bad_weight_is_the_dot_product_to_the_last_bit(n: int, most: int, scaled: bool, seed: int) -> None:
    """Row counts summed without BLAS give the very value of ``w @ t`` (whole numbers add up exactly in
    any order); scaled weights are left to the dot product itself."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, most + 1, n).astype(np.float64)
    if scaled:
        w *= 1.0 / 3.0
    t = (rng.random(n) < 0.3).astype(np.int8)
    got = bad_weight(w, t)
    assert got == float(w @ t)
    if not scaled:
        assert got == float(w.astype(np.int64)[t == 1].sum())


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(st.floats(-50, 50), max_size=200, unique=True).map(sorted),  # n_prebins <= 100
    seed=st.integers(0, 2**31),
)
def test_prebin_counts_match_searchsorted(edges: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-60, 60, 500).round(1)
    x[rng.random(500) < 0.1] = np.nan
    x[rng.random(500) < 0.05] = -8.0
    if edges:
        x[:20] = np.array(edges)[rng.integers(0, len(edges), 20)]  # values sitting on an edge
    y = rng.integers(0, 2, 500).astype(np.int8)
    e, specials = np.array(edges, dtype=np.float64), np.array([-8.0])
    codes, rows, bad = prebin_counts(x, np.empty(0, np.int64), False, y, e, specials)
    plain = ~np.isnan(x) & (x != -8.0)
    assert (codes[np.isnan(x)] == 0).all() and (codes[x == -8.0] == 1).all()
    assert (codes[plain] - 2 == np.searchsorted(e, x[plain], side="right")).all()
    assert rows.sum() == 500 and bad.sum() == y.sum()
    # The same rows named by position give the same cells, without a copy of the column.
    pick = np.sort(rng.choice(500, 200, replace=False))
    sub_codes, sub_rows, _ = prebin_counts(x, pick, True, y[pick], e, specials)
    assert (sub_codes == codes[pick]).all() and sub_rows.sum() == 200


def test_column_facts_on_rows() -> None:
    x = np.array([1.0, np.nan, 1.0, 2.0])
    assert column_facts(x, np.empty(0, np.int64), False) == (1, False)
    assert column_facts(x, np.array([0, 2]), True) == (0, True)
    assert column_facts(x, np.array([1]), True) == (1, False)
    assert column_facts(np.array([5, 5, 5]), np.empty(0, np.int64), False) == (0, True)


def test_a_segment_binned_in_place_equals_one_binned_from_a_copy() -> None:
    table = credit_table(4000, seed=2)
    x = table.drop(columns=["bad"])
    y = table["bad"].to_numpy(np.int8)
    kinds = {c: column_kind(x[c], c) for c in x.columns}
    p = ScorecardParams()
    rows = np.flatnonzero(x["n_credit_accounts"].to_numpy() >= 2)
    in_place, notes_a, scores_a = fit_card("s", None, model_columns(x, kinds), y[rows], kinds, p, rows=rows)
    copied = x.iloc[rows].reset_index(drop=True)
    from_copy, notes_b, scores_b = fit_card("s", None, model_columns(copied, kinds), y[rows], kinds, p)
    assert in_place == from_copy and notes_a == notes_b
    assert (scores_a == scores_b).all()


def test_integer_columns_bin_as_their_float_values() -> None:
    table = credit_table(3000, seed=4)
    x = table.drop(columns=["bad"]).assign(
        n_credit_accounts=lambda f: f["n_credit_accounts"].astype(np.int64)
    )
    y = table["bad"].to_numpy(np.int8)
    kinds = {c: column_kind(x[c], c) for c in x.columns}
    as_int = model_columns(x, kinds)
    assert as_int["n_credit_accounts"].dtype == np.int64  # taken as stored, no conversion
    as_float = {**as_int, "n_credit_accounts": as_int["n_credit_accounts"].astype(np.float64)}
    p = ScorecardParams(iv_threshold=0.0)
    a = fit_card("s", None, as_int, y, kinds, p)[0]
    b = fit_card("s", None, as_float, y, kinds, p)[0]
    assert a == b
    assert isinstance(pd.Series(as_int["housing"]).iloc[0], str)


@pytest.mark.parametrize(("n", "c"), [(3000, 1.0), (3000, 0.05), (150_000, 1.0)])
def test_newton_on_bin_codes_matches_the_dense_regression(n: int, c: float) -> None:
    """The fused pass on codes (with the strided Hessian above HESSIAN_ROWS rows) reaches the optimum
    of the dense reference, for any subset of the characteristics, warm-started or not."""
    rng = np.random.default_rng(n)
    tables = [rng.normal(size=int(rng.integers(2, 9))) for _ in range(6)]
    codes = np.column_stack([rng.integers(0, t.size, n) for t in tables]).astype(np.int16)
    x = np.column_stack([t[codes[:, j]] for j, t in enumerate(tables)])
    t = (rng.random(n) < 1 / (1 + np.exp(-(x @ rng.normal(size=6) * 0.5 - 1)))).astype(np.int8)
    w = rng.integers(1, 4, n).astype(np.float64)
    for cols in ([0, 1, 2, 3, 4, 5], [4, 1]):
        dense = logistic_newton(x[:, cols], t, w, c)
        binned = logistic_newton_binned(codes, cols, [tables[j] for j in cols], t, w, c)
        assert binned[0] == pytest.approx(dense[0], abs=1e-6)
        np.testing.assert_allclose(binned[1], dense[1], atol=1e-6)
        again = logistic_newton_binned(
            codes, cols, [tables[j] for j in cols], t, w, c, np.full(len(cols) + 1, 2.0)
        )
        np.testing.assert_allclose(again[1], dense[1], atol=1e-6)


def _suppressed(seed: int, n: int, k: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Bin codes, WOE tables and targets where the later characteristics copy the first with noise:
    given the first, their WOE can take the wrong sign (the suppressor effects the sign rule drops)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 6, n)
    codes = [base.astype(np.int16)]
    for _ in range(k - 1):
        noisy = np.where(rng.random(n) < 0.7, base, rng.integers(0, 6, n))
        codes.append(noisy.astype(np.int16))
    extra = rng.integers(0, 4, n)
    codes.append(extra.astype(np.int16))
    logit = -2.0 + 0.5 * base - 0.3 * extra
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    tables = []
    for c in codes:
        bad = np.bincount(c, weights=y, minlength=c.max() + 1) + 0.5
        good = np.bincount(c, weights=1 - y, minlength=c.max() + 1) + 0.5
        tables.append(np.log((good / good.sum()) / (bad / bad.sum())))
    return codes, tables, y


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 5), margin=st.sampled_from([0.0, 0.02, 0.5]))
def test_screened_sign_drops_keep_the_rule_on_every_row(seed: int, k: int, margin: float) -> None:
    """Whatever the sample drops, the fit returned has every coefficient negative on all rows, keeps
    a subset of the characteristics, and is the full fit of what it keeps; the same every time."""
    import lucidscore.model._card as card

    codes, tables, y = _suppressed(seed, 3000, k)
    distinct, t, w = compress_rows(codes, y)
    names = [f"c{j}" for j in range(len(codes))]
    old = card.SCREEN_ROWS, card.SCREEN_SAMPLE, card.SCREEN_MARGIN
    card.SCREEN_ROWS, card.SCREEN_SAMPLE, card.SCREEN_MARGIN = 10, 200, margin
    try:
        keep, intercept, coef, notes = card.sign_safe_fit(distinct, t, w, tables, names, 1.0)
        again = card.sign_safe_fit(distinct, t, w, tables, names, 1.0)
    finally:
        card.SCREEN_ROWS, card.SCREEN_SAMPLE, card.SCREEN_MARGIN = old
    assert keep == again[0] and coef.tolist() == again[2].tolist() and notes == again[3]
    assert set(keep) <= set(range(len(names))) and len(notes) == len(names) - len(keep)
    if keep:
        assert (coef < 0).all()
        b0, b = logistic_newton_binned(distinct, keep, [tables[j] for j in keep], t, w, 1.0)
        np.testing.assert_allclose(coef, b, atol=1e-5)
        assert intercept == pytest.approx(b0, abs=1e-5)


def test_screening_drops_what_every_row_drops() -> None:
    """A sample of every other distinct row drops what it finds wrong-signed by more than the margin
    (here +0.046 on every row), every row decides the rest: the same drops (perhaps in another order)
    and the same coefficients as fitting every row after each drop; the notes say which drop a sample
    decided."""
    import lucidscore.model._card as card

    codes, tables, y = _suppressed(1, 20_000, 4)
    distinct, t, w = compress_rows(codes, y)
    names = [f"c{j}" for j in range(len(codes))]
    exact = card.sign_safe_fit(distinct, t, w, tables, names, 1.0)
    assert exact[3], "the case needs a drop"
    old = card.SCREEN_ROWS, card.SCREEN_SAMPLE
    card.SCREEN_ROWS, card.SCREEN_SAMPLE = 100, 1000
    try:
        screened = card.sign_safe_fit(distinct, t, w, tables, names, 1.0)
    finally:
        card.SCREEN_ROWS, card.SCREEN_SAMPLE = old
    assert screened[0] == exact[0]
    np.testing.assert_allclose(screened[2], exact[2], atol=1e-6)
    assert "evenly strided" in screened[3][0]
    assert sorted(n.split(":")[0] for n in screened[3]) == sorted(n.split(":")[0] for n in exact[3])


@settings(max_examples=200)
@given(
    n=st.integers(1, 600),
    sizes=st.lists(st.integers(1, 12), min_size=0, max_size=12),
    every=st.integers(1, 4),
    curvature=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_one_compiled_objective_is_the_numpy_sums_to_the_last_bit(
    n: int, sizes: list[int], every: int, curvature: bool, seed: int
) -> None:
    """``_newton._blocks_summed`` (a fit's objective without a pool) adds the blocks' loss, gradient and
    Hessian exactly as ``_derivatives`` does with numpy: the same bits, so the same fit."""
    rng = np.random.default_rng(seed)
    k = len(sizes)
    codes = np.stack([rng.integers(0, s, n) for s in sizes] or [np.zeros(n, int)], axis=1).astype(np.int16)
    cols = np.arange(k, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if k else np.zeros(0, np.int64)
    flat = rng.normal(size=sum(sizes))
    t = rng.integers(0, 2, n).astype(np.int8)
    w = rng.integers(1, 9, n).astype(np.float64) * rng.choice([1.0, 0.37], n)
    beta = rng.normal(size=k + 1) * rng.choice([0.0, 1.0, 30.0])
    want = _newton._derivatives(codes, cols, offsets, flat, t, w, beta, every, curvature, None)
    got = _newton._blocks_summed(codes, cols, offsets, flat, t, w, beta, every, _newton._bounds(n), curvature)
    assert np.float64(got[0]).tobytes() == np.float64(want[0]).tobytes()
    assert got[1].tobytes() == want[1].tobytes()
    assert got[2].tobytes() == want[2].tobytes()
