"""Optimal binning: properties that must hold for any data (Hypothesis) and optimality on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Bin, Characteristic, bin_index, category_values
from lucidscore.model import BinningOptions, bin_categorical, bin_numeric
from lucidscore.model._binning import prior_rows, shape_of, woe_of
from lucidscore.model._dp import ASCENDING, DESCENDING, FREE, PEAK, optimal_cuts

from ._sim import credit_table

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def columns(draw: st.DrawFn) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    n = draw(st.integers(60, 400))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["continuous", "discrete", "with_missing"]))
    x = rng.normal(size=n) if kind != "discrete" else rng.integers(-2, 6, size=n).astype(np.float64)
    if kind == "with_missing":
        x[rng.random(n) < 0.1] = np.nan
    logit = draw(st.floats(-2, 2)) * np.nan_to_num(x) + rng.normal(scale=0.5, size=n) - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    y[0], y[1] = 0, 1  # both classes present
    return x, y


def _intervals(col):  # type: ignore[no-untyped-def]
    return sorted(
        (b for b in col.bins if b.kind == "interval"), key=lambda b: -np.inf if b.lower is None else b.lower
    )


@SETTINGS
@given(
    data=columns(),
    trend=st.sampled_from(["auto", "ascending", "descending", "peak", "valley", "auto_monotone"]),
)
def test_bins_cover_the_line_without_gaps_or_overlaps(data, trend) -> None:  # type: ignore[no-untyped-def]
    x, y = data
    col = bin_numeric("x", x, y, BinningOptions(trend=trend))
    iv = _intervals(col)
    assert iv[0].lower is None and iv[-1].upper is None
    for a, b in itertools.pairwise(iv):
        assert a.upper is not None and a.upper == b.lower
    assert sum(b.kind == "missing" for b in col.bins) == 1
    assert sum(b.count for b in col.bins) == len(x)
    assert sum(b.bad_count for b in col.bins) == int(y.sum())
    missing = next(b for b in col.bins if b.kind == "missing")
    assert missing.count == int(np.isnan(x).sum())


@SETTINGS
@given(data=columns(), trend=st.sampled_from(["ascending", "descending", "peak", "valley"]))
def test_woe_follows_the_requested_trend(data, trend) -> None:  # type: ignore[no-untyped-def]
    x, y = data
    woes = [b.woe for b in _intervals(bin_numeric("x", x, y, BinningOptions(trend=trend)))]
    steps = np.sign(np.diff(woes))
    if trend == "ascending":
        assert (steps > 0).all()
    elif trend == "descending":
        assert (steps < 0).all()
    else:
        assert shape_of(woes) in ("flat", "ascending", "descending", trend)


@SETTINGS
@given(data=columns(), share=st.sampled_from([0.05, 0.1, 0.2]), max_bins=st.integers(2, 6))
def test_min_share_and_max_bins_respected(data, share, max_bins) -> None:  # type: ignore[no-untyped-def]
    x, y = data
    iv = _intervals(bin_numeric("x", x, y, BinningOptions(min_bin_share=share, max_bins=max_bins)))
    assert len(iv) <= max_bins
    if len(iv) > 1:
        assert all(b.count >= np.ceil(share * len(x)) for b in iv)


@SETTINGS
@given(data=columns())
def test_binning_is_deterministic(data) -> None:  # type: ignore[no-untyped-def]
    x, y = data
    assert bin_numeric("x", x, y, BinningOptions()) == bin_numeric("x", x.copy(), y.copy(), BinningOptions())


PR = 5.0  # pseudo-rows at the overall mix, as the binning passes them


def _iv(goods, bads, starts, tg, tb):  # type: ignore[no-untyped-def]
    bounds = [*starts, len(goods)]
    total = 0.0
    for a, b in itertools.pairwise(bounds):
        g, d = goods[a:b].sum(), bads[a:b].sum()
        w = np.log(((g + PR * tg / (tg + tb)) / tg) / ((d + PR * tb / (tg + tb)) / tb))
        total += (g / tg - d / tb) * w
    return total


@pytest.mark.parametrize("seed", range(6))
def test_dynamic_programme_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 8
    goods = rng.integers(5, 60, k).astype(np.float64)
    bads = rng.integers(1, 30, k).astype(np.float64)
    tg, tb = goods.sum(), bads.sum()
    for trend, max_bins in ((ASCENDING, 4), (DESCENDING, 5), (FREE, 3), (PEAK, 4)):
        best = -np.inf
        for m in range(1, max_bins + 1):
            for cuts in itertools.combinations(range(1, k), m - 1):
                starts = [0, *cuts]
                bounds = [*starts, k]
                counts = [goods[a:b].sum() + bads[a:b].sum() for a, b in itertools.pairwise(bounds)]
                if min(counts) < 40:
                    continue
                woes = []
                for a, b in itertools.pairwise(bounds):
                    g, d = goods[a:b].sum(), bads[a:b].sum()
                    woes.append(np.log(((g + PR * tg / (tg + tb)) / tg) / ((d + PR * tb / (tg + tb)) / tb)))
                steps = np.diff(woes)
                if trend == ASCENDING and not (steps > 0).all():
                    continue
                if trend == DESCENDING and not (steps < 0).all():
                    continue
                if trend == PEAK and shape_of(woes) not in ("ascending", "descending", "peak", "flat"):
                    continue
                if trend == PEAK and (steps == 0).any():
                    continue
                best = max(best, _iv(goods, bads, starts, tg, tb))
        found, iv, mono_starts, mono_iv = optimal_cuts(goods, bads, tg, tb, 40.0, max_bins, trend, PR)
        assert iv == pytest.approx(best)
        assert _iv(goods, bads, list(found), tg, tb) == pytest.approx(iv)
        if trend == PEAK:  # its no-turn optimum is the ascending one
            ascending = optimal_cuts(goods, bads, tg, tb, 40.0, max_bins, ASCENDING, PR)
            assert mono_iv == pytest.approx(ascending[1])
            assert _iv(goods, bads, list(mono_starts), tg, tb) == pytest.approx(mono_iv)


def test_special_values_and_missing_get_their_own_bins() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    x[:50] = -8.0
    x[50:80] = np.nan
    y = (rng.random(1000) < 0.2).astype(np.int8)
    y[:50] = 1
    col = bin_numeric("x", x, y, BinningOptions(special_values=(-7.0, -8.0)))
    special = [b for b in col.bins if b.kind == "special"]
    assert [(b.special_value, b.count, b.label) for b in special] == [(-8.0, 50, "code -8")]
    assert col.special_values == [-8.0]
    assert next(b for b in col.bins if b.kind == "missing").count == 30
    assert special[0].woe < -2  # all bad


def test_categorical_groups_by_bad_rate_and_pools_rare() -> None:
    rng = np.random.default_rng(2)
    cats = np.array(["A", "B", "C", "D"] * 500 + ["rare1", "rare2"] + [None] * 98, dtype=object)
    rate = {"A": 0.05, "B": 0.06, "C": 0.3, "D": 0.5, "rare1": 0.5, "rare2": 0.5, None: 0.2}
    y = np.array([rng.random() < rate[c] for c in cats], dtype=np.int8)
    col = bin_categorical("c", cats, y, BinningOptions())
    groups = [b.categories for b in col.bins if b.kind == "categories"]
    assert sorted(c for g in groups for c in g) == ["A", "B", "C", "D", "rare1", "rare2"]
    assert any({"rare1", "rare2"} <= set(g) for g in groups)
    woes = [b.woe for b in col.bins if b.kind == "categories"]
    assert woes == sorted(woes)
    assert next(b for b in col.bins if b.kind == "missing").count == 98


def test_empty_missing_bin_has_neutral_woe() -> None:
    x = np.arange(200.0)
    y = (x > 150).astype(np.int8)
    missing = next(b for b in bin_numeric("x", x, y, BinningOptions()).bins if b.kind == "missing")
    assert missing.count == 0 and missing.woe == pytest.approx(0.0)


# -- credible bins (issue 10): WOE shrunk toward 0 by the bin's own counts ---------------------------


@settings(max_examples=300, deadline=None)
@given(
    good=st.integers(0, 5000),
    bad=st.integers(0, 5000),
    other_good=st.integers(1, 100_000),
    other_bad=st.integers(1, 100_000),
    strength=st.floats(0.1, 50),
)
def test_credible_woe_never_exceeds_the_evidence(
    good: int, bad: int, other_good: int, other_bad: int, strength: float
) -> None:
    tg, tb = float(good + other_good), float(bad + other_bad)
    prior = prior_rows(tg, tb, strength)
    w = woe_of(good, bad, tg, tb, prior)
    n, rate = good + bad, tb / (tg + tb)
    # Never further from 0 than a bin of n rows can be: all good / all bad at the prior's strength.
    assert -np.log1p(n / (prior * rate)) - 1e-9 <= w <= np.log1p(n / (prior * (1 - rate))) + 1e-9
    if good and bad:  # shrunk toward 0 from the raw WOE, never past it
        raw = np.log((good / tg) / (bad / tb))
        assert abs(w) <= abs(raw) + 1e-9 and w * raw >= -1e-12
    # Less evidence, less WOE: the same shares in a bin a tenth the size move less far from 0.
    if good % 10 == 0 and bad % 10 == 0:
        assert abs(woe_of(good // 10, bad // 10, tg, tb, prior)) <= abs(w) + 1e-9


@pytest.mark.parametrize(("good", "bad"), [(90, 10), (30, 70), (500, 1)])
def test_shrinkage_vanishes_as_counts_grow(good: int, bad: int) -> None:
    tg, tb = 8000.0, 2000.0
    raw = np.log((good / tg) / (bad / tb))
    gaps = []
    for k in (1, 10, 100, 1000, 10_000):
        prior = prior_rows(k * tg, k * tb)  # the prior stays the same size while the data grow
        gaps.append(abs(woe_of(k * good, k * bad, k * tg, k * tb, prior) - raw))
    assert all(a > b for a, b in itertools.pairwise(gaps)) and gaps[-1] < 1e-3


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_code=st.integers(5, 150), seed=st.integers(0, 2**31))
def test_a_small_bin_without_bads_never_dominates_a_card(n_code: int, seed: int) -> None:
    """A bureau code held by a few rows, none bad, gets no more points than its rows can support:
    |points| <= factor * |coefficient| * ln(1 + n / (prior rows * share of goods)) + rounding."""
    from lucidscore.model import Scorecard

    table = credit_table(3000, seed=seed % 1000)
    rows = table.index[table["bad"] == 0][:n_code]
    table.loc[rows, "tenure_months"] = -7.0
    # The WOE card's points (refinement's small cells: tests/model/test_refine.py).
    card = Scorecard(special_values=[-7.0, -8.0], segment_search=False, refine=False)
    card.fit(table.drop(columns=["bad"]), table["bad"])
    seg = card.artifact_.segments[0]
    tenure = [c for c in seg.characteristics if c.name == "tenure_months"]
    if not tenure:
        return
    (code,) = [b for b in tenure[0].bins if b.special_value == -7.0]
    assert code.bad_count == 0 and code.count == n_code
    rate = float(table["bad"].mean())
    prior = prior_rows(len(table) * (1 - rate), len(table) * rate)
    most_woe = np.log1p(n_code / (prior * (1 - rate)))
    bound = card.artifact_.scaling.factor * abs(tenure[0].coefficient) * most_woe
    assert abs(code.points) <= bound + 0.5


@SETTINGS
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 3000),
    kind=st.sampled_from(["continuous", "discrete", "integers", "with_missing", "signed_zero"]),
    share=st.floats(0.05, 1.0),
    with_specials=st.booleans(),
)
def test_value_ranks_give_the_edges_and_bins_a_sort_gives(
    seed: int, n: int, kind: str, share: float, with_specials: bool
) -> None:
    """The searches' fold cards bin subsets of one sample with its ``value_ranks``: each subset's bins
    (edges, counts, WOE, codes) are those binning it without them, for every kind of column (a column
    holding 0.0 and -0.0 gets no ranks: which zero a sort keeps is the sort's choice)."""
    from lucidscore.model._binning import value_ranks

    rng = np.random.default_rng(seed)
    x: npt.NDArray[np.float64] | npt.NDArray[np.int64]
    if kind == "integers":
        x = rng.integers(-9, 40, size=n)
    elif kind == "discrete":
        x = rng.integers(-2, 6, size=n).astype(np.float64)
    else:
        x = np.round(rng.normal(size=n), 2)
        if kind == "with_missing":
            x[rng.random(n) < 0.2] = np.nan
        if kind == "signed_zero":  # both zeros, or only -0.0 (then ranks exist)
            x[rng.random(n) < 0.3] = 0.0
            x[rng.random(n) < 0.1] = -0.0
            if rng.random() < 0.5:
                x[x == 0] = -0.0
    y = (rng.random(n) < 0.3).astype(np.int8)
    ranks = value_ranks(x)
    zeros = x[x == 0]
    if np.signbit(zeros).any() and not np.signbit(zeros).all():
        assert ranks is None
        return
    assert ranks is not None
    rows = np.flatnonzero(rng.random(n) < share)
    if rows.size < 2:
        return
    y_rows = y[rows]
    y_rows[0], y_rows[1] = 0, 1
    specials = (-9.0, 2.0) if with_specials else ()
    opts = BinningOptions(special_values=specials, n_prebins=int(rng.integers(2, 40)), min_bin_share=0.02)
    for positions, target in ((rows, y_rows), (None, y)):
        if positions is None:
            target = target.copy()
            target[0], target[1] = 0, 1
        plain = bin_numeric("x", x, target, opts, positions)
        ranked = bin_numeric("x", x, target, opts, positions, ranks)
        assert ranked.bins == plain.bins
        assert np.array_equal(ranked.codes, plain.codes)
        assert np.array_equal(ranked.fine_codes, plain.fine_codes)


def _numpy_prebin_edges(
    values: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], n_prebins: int
) -> npt.NDArray[np.float64]:
    """``prebin_edges_from_counts`` as it was written in numpy before its cut points were compiled and
    its rounding done for all digit counts at once (the reference both must equal)."""
    size = int(counts.sum())
    if size == 0:
        return np.empty(0)
    cum = np.cumsum(counts)
    targets = np.ceil(np.linspace(0.0, 1.0, n_prebins + 1)[1:-1] * size)
    last = np.searchsorted(cum, targets, side="left")
    heavy = np.flatnonzero(counts * n_prebins >= size)
    starts = np.unique(np.concatenate([last + 1, heavy, heavy + 1]))
    starts = starts[(starts > 0) & (starts < values.size)]
    is_heavy = counts * n_prebins >= size
    floor = np.where(is_heavy[starts - 1], values[starts - 1], values[0])
    below, edges = values[starts - 1], values[starts]
    out = edges.copy()
    done = np.zeros(edges.size, dtype=np.bool_)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(edges)))
    magnitude[~np.isfinite(magnitude)] = 0.0
    for digits in range(1, 4):
        scale = 10.0 ** (digits - 1 - magnitude)
        rounded = np.floor(edges * scale) / scale
        ok = ~done & (rounded > below) & (rounded <= edges)
        out[ok] = rounded[ok]
        done |= ok
    scale = 10.0 ** (2 - magnitude)
    nearest = np.round(edges * scale) / scale
    ok = ~done & (nearest > floor)
    out[ok] = nearest[ok]
    return np.unique(out)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(0, 400),
    kind=st.sampled_from(["continuous", "discrete", "point_mass", "tiny", "huge"]),
    n_prebins=st.integers(2, 60),
)
def test_prebin_edges_equal_the_plain_numpy_formulation(seed: int, n: int, kind: str, n_prebins: int) -> None:
    """The compiled cut points and the rounding of all digit counts at once give exactly the edges of
    the plain numpy formulation, for any distinct values and counts (point masses, single values, empty
    columns, values near zero and far from it, values that need more than 3 digits)."""
    from lucidscore.model._binning import prebin_edges_from_counts

    rng = np.random.default_rng(seed)
    raw = {
        "continuous": rng.normal(scale=1000.0, size=n),
        "discrete": rng.integers(-3, 12, size=n).astype(np.float64),
        "point_mass": np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2.0, 50.0, size=n)),
        "tiny": rng.normal(scale=1e-6, size=n),
        "huge": rng.normal(scale=1e12, size=n),
    }[kind]
    values, counts = np.unique(raw, return_counts=True)
    counts = counts.astype(np.int64)
    if n and rng.random() < 0.2:
        counts[rng.random(counts.size) < 0.3] = 0  # counts of zero (a subset's ranks), all zero at times
    got = prebin_edges_from_counts(values, counts, n_prebins)
    want = _numpy_prebin_edges(values, counts, n_prebins)
    assert got.dtype == want.dtype and np.array_equal(got, want)


@given(woes=st.lists(st.floats(-5, 5) | st.sampled_from([0.0, -0.0, 1.0, float("nan")]), max_size=12))
def test_shape_of_reads_the_steps_as_numpy_does(woes: list[float]) -> None:
    """``shape_of`` in plain Python names the shape the numpy formulation (signs of the differences,
    zeros dropped, sign changes counted) names, NaN and signed zeros included."""
    steps = np.sign(np.diff(woes))
    steps = steps[steps != 0]
    if steps.size == 0:
        want = "flat"
    else:
        turns = int(np.count_nonzero(np.diff(steps)))
        rising = steps[0] > 0
        want = (
            ("ascending" if rising else "descending")
            if turns == 0
            else ("peak" if rising else "valley")
            if turns == 1
            else "none"
        )
    assert shape_of(woes) == want


@SETTINGS
@given(
    words=st.lists(
        st.text(alphabet=st.sampled_from(["a", "A", "\x00", "\x01", " ", "é", "0"]), min_size=1, max_size=3),
        min_size=2,
        max_size=6,
        unique=True,
    ),
    seed=st.integers(0, 2**31),
)
def test_every_training_text_scores_in_the_bin_it_was_counted_in(words: list[str], seed: int) -> None:
    """Categories are texts compared whole: ``"A\\x00"`` and ``"A"`` are two categories (numpy's
    fixed-width text type, which binning sorted with, drops trailing NUL characters, so training counted
    ``"A\\x00"`` in ``"A"``'s bin while scoring, which compares texts whole, put it in the missing bin). Each
    row's bin as training coded it is the bin ``bin_index`` finds for its text, and each bin lists the
    texts counted in it."""
    rng = np.random.default_rng(seed)
    cells = np.asarray(rng.choice(np.asarray(words, dtype=object), 300), dtype=object)
    cells[rng.random(300) < 0.05] = None
    y = (rng.random(300) < np.where(cells == words[0], 0.5, 0.15)).astype(np.int8)
    if y.min() == y.max():
        return
    x = category_values(pd.Series(cells))  # the texts training bins (stripped, as scoring reads them)
    col = bin_categorical("c", x, y, BinningOptions(min_bin_share=0.01))
    ch = Characteristic(
        name="c",
        family="payment_behaviour",
        description="c",
        dtype="categorical",
        iv=col.iv,
        coefficient=1.0,
        bins=[
            Bin(
                kind=b.kind,
                categories=list(b.categories),
                label=b.label,
                count=b.count,
                bad_count=b.bad_count,
                woe=b.woe,
                points=k,
            )
            for k, b in enumerate(col.bins)
        ],
    )
    assert bin_index(ch, pd.Series(cells)).tolist() == col.codes.tolist()
    for k, b in enumerate(col.bins):
        counted = {v for v in x[col.codes == k] if v is not None}
        assert counted == set(b.categories) & set(x[x != None])  # noqa: E711 - elementwise
