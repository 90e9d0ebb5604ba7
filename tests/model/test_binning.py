"""Optimal binning: properties that must hold for any data (Hypothesis) and optimality on small cases."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.model import BinningOptions, bin_categorical, bin_numeric
from lucidscore.model._binning import shape_of
from lucidscore.model._dp import ASCENDING, DESCENDING, FREE, PEAK, optimal_cuts

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
