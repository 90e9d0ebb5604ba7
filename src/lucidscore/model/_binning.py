"""Optimal binning of one characteristic: pre-bins, then the IV-maximising monotone merge of ``_dp``.

Numeric columns are pre-binned at quantiles; categorical columns are ordered by bad rate (rare categories
pooled) and cut into pre-bins along that order. Missing values get their own bin, as does each declared
special value (bureau codes such as -7/-8/-9) seen in training. Output: the artifact's ``Bin`` statistics,
without points (points come from the regression and the scaling).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from lucidscore.model import _dp

Trend = Literal["auto", "auto_shape", "ascending", "descending", "peak", "valley", "none"]

_TREND_CODES: dict[str, int] = {
    "ascending": _dp.ASCENDING,
    "descending": _dp.DESCENDING,
    "peak": _dp.PEAK,
    "valley": _dp.VALLEY,
    "none": _dp.FREE,
}
_AUTO: dict[str, list[str]] = {
    "auto": ["ascending", "descending"],
    "auto_shape": ["ascending", "descending", "peak", "valley"],
}
PRIOR = 1.0  # pseudo-rows at the overall bad rate added to each cell's WOE (smoothing)
RARE_SHARE = 0.005  # categories holding less than this share of rows are pooled before grouping


@dataclass
class BinStats:
    """One bin as found in training: what it holds, its counts and its WOE."""

    kind: Literal["interval", "categories", "missing", "special"]
    label: str
    count: int
    bad_count: int
    woe: float = 0.0
    lower: float | None = None
    upper: float | None = None
    categories: list[str] = field(default_factory=list)
    special_value: float | None = None


@dataclass
class BinnedColumn:
    """The binning of one column: its bins (missing bin always present), IV and the trend imposed."""

    name: str
    dtype: Literal["numeric", "categorical"]
    bins: list[BinStats]
    iv: float
    trend: str
    special_values: list[float]


@dataclass(frozen=True)
class BinningOptions:
    """The knobs of one column's binning (validated upstream by the estimator's parameter model)."""

    trend: Trend = "auto"
    min_bin_share: float = 0.05
    max_bins: int = 8
    n_prebins: int = 20
    special_values: tuple[float, ...] = ()


def woe_of(good: float, bad: float, total_good: float, total_bad: float) -> float:
    """Smoothed WOE = ln(share of goods / share of bads), with PRIOR pseudo-rows at the overall mix."""
    return float(_dp._woe_iv(good, bad, total_good, total_bad, PRIOR)[0])


def _fmt(v: float) -> str:
    return f"{v:,.6g}" if abs(v) >= 1e4 else f"{v:.6g}"


def interval_label(lower: float | None, upper: float | None) -> str:
    """Human text for [lower, upper): '< 3', '3 to < 7', '>= 7', 'any value'."""
    if lower is None and upper is None:
        return "any value"
    if lower is None:
        return f"< {_fmt(upper)}"  # type: ignore[arg-type]
    if upper is None:
        return f">= {_fmt(lower)}"
    return f"{_fmt(lower)} to < {_fmt(upper)}"


def _categories_label(cats: list[str]) -> str:
    shown = ", ".join(cats[:6])
    return shown if len(cats) <= 6 else f"{shown} (+{len(cats) - 6} more)"


def _merge(
    goods: npt.NDArray[np.float64],
    bads: npt.NDArray[np.float64],
    totals: tuple[float, float],
    n_rows: int,
    opts: BinningOptions,
    trend: Trend,
) -> tuple[npt.NDArray[np.int64], float, str]:
    """Merge pre-bins optimally. 'auto' tries ascending and descending, 'auto_shape' also peak and
    valley, and each keeps the shape with the largest IV (ties go to the simpler shape)."""
    min_count = float(np.ceil(opts.min_bin_share * n_rows))
    candidates = _AUTO.get(trend, [trend])
    best: tuple[npt.NDArray[np.int64], float, str] | None = None
    for name in candidates:
        starts, iv = _dp.optimal_cuts(
            goods, bads, totals[0], totals[1], min_count, opts.max_bins, _TREND_CODES[name], PRIOR
        )
        if best is None or iv > best[1] + 1e-12:
            best = (starts, float(iv), name)
    assert best is not None
    return best


def shape_of(woes: list[float]) -> str:
    """The shape a WOE sequence actually has: ascending, descending, peak, valley, flat or none.

    >>> shape_of([-1.0, 0.5, 0.2]), shape_of([0.3, -0.1])
    ('peak', 'descending')
    """
    steps = np.sign(np.diff(woes))
    steps = steps[steps != 0]
    if steps.size == 0:
        return "flat"
    turns = int(np.count_nonzero(np.diff(steps)))
    if turns == 0:
        return "ascending" if steps[0] > 0 else "descending"
    if turns == 1:
        return "peak" if steps[0] > 0 else "valley"
    return "none"


def _side_bins(
    y: npt.NDArray[np.int8],
    missing: npt.NDArray[np.bool_],
    specials: list[tuple[float, npt.NDArray[np.bool_]]],
) -> list[BinStats]:
    out = [BinStats("missing", "missing", int(missing.sum()), int(y[missing].sum()))]
    for value, mask in specials:
        out.append(
            BinStats(
                "special", f"code {_fmt(value)}", int(mask.sum()), int(y[mask].sum()), special_value=value
            )
        )
    return out


def _finish(
    name: str,
    dtype: Literal["numeric", "categorical"],
    bins: list[BinStats],
    y: npt.NDArray[np.int8],
    trend: str,
    specials: list[float],
) -> BinnedColumn:
    total_bad = float(y.sum())
    total_good = float(y.shape[0]) - total_bad
    iv = 0.0
    for b in bins:
        g = b.count - b.bad_count
        b.woe = woe_of(g, b.bad_count, total_good, total_bad)
        iv += (g / total_good - b.bad_count / total_bad) * b.woe
    return BinnedColumn(name, dtype, bins, max(iv, 0.0), trend, specials)


def prebin_edges(x: npt.NDArray[np.float64], n_prebins: int) -> npt.NDArray[np.float64]:
    """Left edges of pre-bins 2..K: distinct quantiles of the values (so ties never straddle an edge).

    >>> prebin_edges(np.arange(100.0), 4).tolist()
    [24.0, 49.0, 74.0]
    """
    if x.size == 0:
        return np.empty(0)
    qs = np.linspace(0.0, 1.0, n_prebins + 1)[1:-1]
    edges = np.unique(np.quantile(x, qs, method="inverted_cdf"))
    return edges[edges > x.min()]  # an edge at the minimum would make an empty first pre-bin


def bin_numeric(
    name: str, x: npt.NDArray[np.float64], y: npt.NDArray[np.int8], opts: BinningOptions
) -> BinnedColumn:
    """Bin a numeric column: quantile pre-bins, then the optimal monotone merge.

    Parameters
    ----------
    name : column name; x : values (NaN = missing); y : 1 = bad, 0 = good, both present.

    Returns
    -------
    BinnedColumn whose interval bins cover the whole line as [lower, upper), None = unbounded.

    >>> col = bin_numeric("x", np.arange(100.0), (np.arange(100) > 70).astype(np.int8), BinningOptions())
    >>> [b.label for b in col.bins if b.kind == "interval"]
    ['< 69', '69 to < 74', '>= 74']
    """
    missing = np.isnan(x)
    specials: list[tuple[float, npt.NDArray[np.bool_]]] = []
    regular = ~missing
    for v in opts.special_values:
        mask = x == v
        if mask.any():
            specials.append((float(v), mask))
            regular &= ~mask
    xr = x[regular]
    yr = y[regular]
    edges = prebin_edges(xr, opts.n_prebins)
    idx = np.searchsorted(edges, xr, side="right")
    k = edges.size + 1
    n_all = np.bincount(idx, minlength=k).astype(np.float64)
    n_bad = np.bincount(idx, weights=yr, minlength=k).astype(np.float64)
    total_bad = float(y.sum())
    totals = (float(y.shape[0]) - total_bad, total_bad)
    starts, _, trend = _merge(n_all - n_bad, n_bad, totals, int(y.shape[0]), opts, opts.trend)
    bins = _side_bins(y, missing, specials)
    bounds = [*starts.tolist(), k]
    for a, b in itertools.pairwise(bounds):
        lower = None if a == 0 else float(edges[a - 1])
        upper = None if b == k else float(edges[b - 1])
        bins.append(
            BinStats(
                "interval",
                interval_label(lower, upper),
                int(n_all[a:b].sum()),
                round(n_bad[a:b].sum()),
                lower=lower,
                upper=upper,
            )
        )
    col = _finish(name, "numeric", bins, y, trend, [v for v, _ in specials])
    col.trend = shape_of([b.woe for b in col.bins if b.kind == "interval"])
    return col


def bin_categorical(
    name: str, x: npt.NDArray[np.object_], y: npt.NDArray[np.int8], opts: BinningOptions
) -> BinnedColumn:
    """Bin a categorical column: categories ordered by bad rate, rare ones pooled, then merged optimally.

    ``x`` holds strings, with None for missing. Categories never seen in training score in the missing
    bin (the artifact's scoring rule).
    """
    missing = np.array([v is None for v in x], dtype=np.bool_)
    present = ~missing
    cats, inverse = np.unique(x[present].astype(str), return_inverse=True)
    yr = y[present]
    n = np.bincount(inverse, minlength=cats.size).astype(np.float64)
    nb = np.bincount(inverse, weights=yr, minlength=cats.size).astype(np.float64)
    total_bad = float(y.sum())
    totals = (float(y.shape[0]) - total_bad, total_bad)
    rare = n < RARE_SHARE * y.shape[0]
    # Groups: each common category alone, all rare categories together (if any).
    groups: list[list[int]] = [[int(i)] for i in np.flatnonzero(~rare)]
    if rare.any():
        groups.append([int(i) for i in np.flatnonzero(rare)])
    gn = np.array([n[g].sum() for g in groups])
    gb = np.array([nb[g].sum() for g in groups])
    gw = np.array([woe_of(a - b, b, *totals) for a, b in zip(gn, gb, strict=True)])
    order = sorted(range(len(groups)), key=lambda i: (gw[i], cats[groups[i][0]]))
    # Too many groups for the cubic programme: cut the ordered groups into n_prebins runs of equal count.
    runs: list[list[int]] = [[i] for i in order]
    if len(order) > opts.n_prebins:
        cum = np.cumsum(gn[order]) / gn.sum()
        run_of = np.minimum((cum * opts.n_prebins - 1e-9).astype(int), opts.n_prebins - 1)
        runs = [[order[t] for t in np.flatnonzero(run_of == r)] for r in np.unique(run_of)]
    rn = np.array([gn[r].sum() for r in runs])
    rb = np.array([gb[r].sum() for r in runs])
    trend: Trend = (
        "ascending" if opts.trend in ("auto", "auto_shape", "ascending", "descending") else opts.trend
    )
    starts, _, used = _merge(rn - rb, rb, totals, int(y.shape[0]), opts, trend)
    bins = _side_bins(y, missing, [])
    bounds = [*starts.tolist(), len(runs)]
    for a, b in itertools.pairwise(bounds):
        members = sorted(str(cats[c]) for r in runs[a:b] for g in r for c in groups[g])
        bins.append(
            BinStats(
                "categories",
                _categories_label(members),
                int(rn[a:b].sum()),
                round(rb[a:b].sum()),
                categories=members,
            )
        )
    return _finish(name, "categorical", bins, y, used, [])
