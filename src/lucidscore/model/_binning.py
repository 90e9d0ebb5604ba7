"""Optimal binning of one characteristic: pre-bins, then the IV-maximising monotone merge of ``_dp``.

Numeric columns are pre-binned at quantiles; categorical columns are ordered by bad rate (rare categories
pooled) and cut into pre-bins along that order. Missing values get their own bin, as does each declared
special value (bureau codes such as -7/-8/-9) seen in training. Output: the artifact's ``Bin`` statistics,
without points (points come from the regression and the scaling).
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from lucidscore.model import _dp
from lucidscore.model._trend import WOE_PRIOR, Trend

_TREND_CODES: dict[str, int] = {
    "ascending": _dp.ASCENDING,
    "descending": _dp.DESCENDING,
    "peak": _dp.PEAK,
    "valley": _dp.VALLEY,
    "none": _dp.FREE,
}
# A peak or valley replaces the best monotone binning only when its extra IV is significant: with
# N rows at bad rate r, chi-square ~= N r (1 - r) IV; the test is at 0.1%, Bonferroni-corrected for
# the number of pre-bins where the turn could be (17.2 for 30 pre-bins).
SHAPE_ALPHA = 0.001
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
    # Each training row's position in ``bins`` (compare=False: arrays have no plain equality).
    codes: npt.NDArray[np.int16] = field(
        default_factory=lambda: np.empty(0, np.int16), compare=False, repr=False
    )
    # The cells the bins were merged from, for the refinement of points (``_refine``): each training row's
    # cell, each cell's position in ``bins``, and what the cells are. Numeric: cell 0 missing, 1..S the
    # declared special values (``fine_specials``), then the pre-bins split at ``fine_edges``; categorical:
    # the bins themselves. Empty where the rows were not seen (the Spark engine counts cells only).
    fine_codes: npt.NDArray[np.int16] = field(
        default_factory=lambda: np.empty(0, np.int16), compare=False, repr=False
    )
    fine_bin: npt.NDArray[np.int16] = field(
        default_factory=lambda: np.empty(0, np.int16), compare=False, repr=False
    )
    fine_edges: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.empty(0), compare=False, repr=False
    )
    fine_specials: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.empty(0), compare=False, repr=False
    )
    # Rows and bads of each cell (all the rows binned, whichever engine counted them).
    fine_counts: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.empty(0, np.int64), compare=False, repr=False
    )
    fine_bads: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.empty(0, np.int64), compare=False, repr=False
    )
    # A categorical column's distinct categories (sorted) with their row and bad counts, before rare ones
    # are pooled and runs merged: what its binning is found from (``_selection.chance_iv`` redraws them).
    category_names: npt.NDArray[np.object_] = field(
        default_factory=lambda: np.empty(0, object), compare=False, repr=False
    )
    category_counts: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.empty(0), compare=False, repr=False
    )
    category_bads: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.empty(0), compare=False, repr=False
    )


@dataclass(frozen=True)
class BinningOptions:
    """The knobs of one column's binning (validated upstream by the estimator's parameter model)."""

    trend: Trend = "auto"
    min_bin_share: float = 0.05
    max_bins: int = 8
    n_prebins: int = 30
    special_values: tuple[float, ...] = ()
    woe_prior: float = WOE_PRIOR


def prior_rows(total_good: float, total_bad: float, strength: float = WOE_PRIOR) -> float:
    """Pseudo-rows at the overall mix worth ``strength`` rows of the rarer class.

    >>> prior_rows(800.0, 200.0, 4.0)
    20.0
    """
    total = total_good + total_bad
    return strength * total / max(min(total_good, total_bad), 1.0)


def woe_of(good: float, bad: float, total_good: float, total_bad: float, prior: float) -> float:
    """Credible WOE: ln(share of goods / share of bads) after adding ``prior`` pseudo-rows at the overall
    mix to the bin (the posterior mean odds under a Beta prior centred on the overall bad rate). Shrunk
    toward 0, never past it; a bin of n rows stays within [-ln(1 + n / (prior * r)),
    ln(1 + n / (prior * (1 - r)))] for overall bad rate r, however lopsided its counts; the shrinkage
    vanishes as its counts grow. The same formula as the compiled programme's, kept in plain Python to
    avoid a JIT load.

    >>> round(woe_of(79, 0, 900, 100, prior_rows(900, 100)), 3)  # 79 rows, no bads: ln(1 + 79 / 36)
    1.161
    """
    total = total_good + total_bad
    share_g = (good + prior * total_good / total) / total_good
    share_b = (bad + prior * total_bad / total) / total_bad
    return math.log(share_g / share_b)


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
    """Merge pre-bins optimally under ``trend``; 'auto_monotone' keeps the better of ascending and
    descending, 'auto' also takes a peak or valley when its IV gain is significant (SHAPE_CHI2)."""
    min_count = float(math.ceil(opts.min_bin_share * n_rows))
    prior = prior_rows(totals[0], totals[1], opts.woe_prior)

    def run(code: int) -> tuple[tuple[npt.NDArray[np.int64], float], tuple[npt.NDArray[np.int64], float]]:
        any_starts, any_iv, mono_starts, mono_iv = _dp.optimal_cuts(
            goods, bads, totals[0], totals[1], min_count, opts.max_bins, code, prior
        )
        return (any_starts, float(any_iv)), (mono_starts, float(mono_iv))

    if trend not in ("auto", "auto_monotone"):
        starts, iv = run(_TREND_CODES[trend])[0]
        return starts, iv, trend
    peak, ascending = run(_dp.PEAK)  # the peak programme's no-turn states are the ascending one
    valley, descending = run(_dp.VALLEY)
    best = (*ascending, "ascending") if ascending[1] >= descending[1] else (*descending, "descending")
    if trend == "auto":
        weight = totals[0] * totals[1] / (totals[0] + totals[1])  # N r (1 - r)
        critical = _critical(max(len(goods), 1))
        for name, cand in (("peak", peak), ("valley", valley)):
            if weight * (cand[1] - best[1]) > critical:
                best = (*cand, name)
    return best


@functools.cache
def _critical(n_prebins: int) -> float:
    """Chi-square(1) critical value at SHAPE_ALPHA, Bonferroni-corrected for ``n_prebins`` turn points:
    the square of the standard normal's two-sided quantile (the stdlib's, which spares importing
    scipy.stats, half a second of every fit).

    >>> round(_critical(30), 1)
    17.2
    """
    return statistics.NormalDist().inv_cdf(1.0 - SHAPE_ALPHA / n_prebins / 2.0) ** 2


def shape_of(woes: list[float]) -> str:
    """The shape a WOE sequence actually has: ascending, descending, peak, valley, flat or none.

    >>> shape_of([-1.0, 0.5, 0.2]), shape_of([0.3, -0.1])
    ('peak', 'descending')
    """
    # Plain Python over a handful of bins (called for every column of every bag): the signs of the steps
    # as np.sign(np.diff(...)) gives them (NaN stays NaN), zeros dropped, then the sign changes counted.
    steps = [_sign(b - a) for a, b in itertools.pairwise(woes)]
    steps = [s for s in steps if s != 0]
    if not steps:
        return "flat"
    turns = sum(1 for a, b in itertools.pairwise(steps) if b - a != 0)
    if turns == 0:
        return "ascending" if steps[0] > 0 else "descending"
    if turns == 1:
        return "peak" if steps[0] > 0 else "valley"
    return "none"


def _sign(d: float) -> float:
    return 1.0 if d > 0 else -1.0 if d < 0 else d  # 0.0 for zero, NaN for NaN, as np.sign


def _finish(
    name: str,
    dtype: Literal["numeric", "categorical"],
    bins: list[BinStats],
    totals: tuple[float, float],
    trend: str,
    specials: list[float],
    woe_prior: float,
) -> BinnedColumn:
    total_good, total_bad = totals
    prior = prior_rows(total_good, total_bad, woe_prior)
    iv = 0.0
    for b in bins:
        g = b.count - b.bad_count
        b.woe = woe_of(g, b.bad_count, total_good, total_bad, prior)
        iv += (g / total_good - b.bad_count / total_bad) * b.woe
    return BinnedColumn(name, dtype, bins, max(iv, 0.0), trend, specials)


@functools.cache
def _declared(special_values: tuple[float, ...]) -> npt.NDArray[np.float64]:
    """The declared special values, sorted and distinct: one array shared by every call, never written
    (a column keeps a copy)."""
    return np.array(sorted(set(special_values)), dtype=np.float64)


SAMPLE_ROWS = 50_000  # pre-bin edges come from an evenly strided sample of at most this many rows


def prebin_edges(x: npt.NDArray[np.float64], n_prebins: int) -> npt.NDArray[np.float64]:
    """Left edges of pre-bins 2..K: after each value that holds a quantile j/K (so ties never straddle
    an edge), and around any value holding at least 1/K of the rows, which gets a pre-bin of its own (a
    point mass such as "paid 0" is often the most telling value of a column).

    >>> prebin_edges(np.arange(100.0), 4).tolist()
    [25.0, 50.0, 75.0]
    >>> prebin_edges(np.array([0.0] * 30 + list(range(1, 71))), 4).tolist()
    [1.0, 21.0, 46.0]
    """
    if x.size == 0:
        return np.empty(0)
    values, counts = np.unique(x, return_counts=True)
    return prebin_edges_from_counts(values, counts.astype(np.int64), n_prebins)


@dataclass(frozen=True)
class ValueRanks:
    """A numeric column's distinct present values (increasing) and each row's position among them, from 1
    (0: missing), found once for rows whose subsets are binned many times (the searches' fold cards): the
    distinct values and counts of any subset then come from a count per position instead of a sort."""

    values: npt.NDArray[np.float64]
    rank: npt.NDArray[np.int64]


def value_ranks(x: npt.NDArray[np.float64] | npt.NDArray[np.int64]) -> ValueRanks | None:
    """``ValueRanks`` of a column; None where they could disagree with ``np.unique`` on a subset: a column
    holding both 0.0 and -0.0 (equal, and which one a sort keeps is the sort's choice).

    >>> r = value_ranks(np.array([2.0, np.nan, 1.0, 2.0]))
    >>> r.values.tolist(), r.rank.tolist()
    ([1.0, 2.0], [2, 0, 1, 2])
    """
    xf = x.astype(np.float64)
    present = ~np.isnan(xf)
    zero = xf == 0.0
    if zero.any() and np.signbit(xf[zero]).any() and not np.signbit(xf[zero]).all():
        return None
    values, inverse = np.unique(xf[present], return_inverse=True)
    rank = np.zeros(xf.size, dtype=np.int64)
    rank[present] = inverse + 1
    return ValueRanks(values, rank)


def _edges_from_ranks(
    ranks: ValueRanks, picked: npt.NDArray[np.int64], declared: npt.NDArray[np.float64], n_prebins: int
) -> npt.NDArray[np.float64]:
    """``prebin_edges`` of the present, undeclared values at positions ``picked`` of the ranked column:
    the same distinct values and counts ``np.unique`` finds there, counted per position."""
    counts = np.bincount(ranks.rank[picked], minlength=ranks.values.size + 1)[1:]
    if declared.size:
        counts[np.isin(ranks.values, declared)] = 0
    seen = np.flatnonzero(counts)
    if seen.size == 0:
        return np.empty(0)
    return prebin_edges_from_counts(ranks.values[seen], counts[seen].astype(np.int64), n_prebins)


def prebin_edges_from_counts(
    values: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], n_prebins: int
) -> npt.NDArray[np.float64]:
    """``prebin_edges`` from the distinct values (strictly increasing) and their row counts: the exact
    sufficient statistics, which any engine (e.g. a Spark ``groupBy``) can aggregate.

    >>> prebin_edges_from_counts(np.array([0.0, 1.0, 2.0, 3.0]), np.array([30, 30, 20, 20]), 4).tolist()
    [1.0, 2.0, 3.0]
    """
    if counts.sum() == 0:
        return np.empty(0)
    # A rounded edge may move past values close to it, but never past a point mass or the smallest value.
    values, counts = np.asarray(values, dtype=np.float64), np.asarray(counts, dtype=np.int64)
    below, edges, floor = _dp.prebin_cut_points(values, counts, _fractions(n_prebins), n_prebins)
    return round_edges(below, edges, floor)


@functools.cache
def _fractions(n_prebins: int) -> npt.NDArray[np.float64]:
    """The interior quantiles j/K of ``n_prebins`` pre-bins, as ``np.linspace`` gives them: one array shared
    by every call, never written."""
    return np.linspace(0.0, 1.0, n_prebins + 1)[1:-1].copy()


def cells_from_value_counts(
    values: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    bads: npt.NDArray[np.int64],
    edges: npt.NDArray[np.float64],
    specials: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row and bad counts per cell (0 missing, 1..S special value, S+1.. pre-bin [lower, upper) by
    ``edges``) from per-distinct-value counts (NaN = missing) — the cells ``_dp.prebin_counts`` counts
    row by row, so an engine that aggregates by value (Spark) gets the same pre-bin statistics.

    >>> cells_from_value_counts(np.array([np.nan, -1.0, 0.0, 5.0]), np.array([2, 1, 3, 4]),
    ...                         np.array([1, 0, 1, 2]), np.array([5.0]), np.array([-1.0]))[0].tolist()
    [2, 1, 3, 4]
    """
    n_special = specials.size
    cell = np.empty(values.size, dtype=np.int64)
    missing = np.isnan(values)
    special_at = np.searchsorted(specials, values) if n_special else np.zeros(values.size, dtype=np.int64)
    is_special = ~missing & (special_at < n_special)
    is_special[is_special] = specials[special_at[is_special]] == values[is_special]
    cell[missing] = 0
    cell[is_special] = 1 + special_at[is_special]
    plain = ~missing & ~is_special
    cell[plain] = 1 + n_special + np.searchsorted(edges, values[plain], side="right")
    cells = 1 + n_special + edges.size + 1
    return (
        np.bincount(cell, weights=rows, minlength=cells).astype(np.int64),
        np.bincount(cell, weights=bads, minlength=cells).astype(np.int64),
    )


_DIGITS_BELOW = np.array([[0.0], [1.0], [2.0]])  # significant digits - 1, as a column


def round_edges(
    below: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], floor: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``rounded_edges``, remembered for the last ``ROUNDED_KEPT`` different inputs: the bootstrap cards
    of a bagged card (``_bag``) round the same edges of the same column over and over (about half their
    calls on the demo's cards), and each call is a dozen numpy calls on a few values. A copy: the
    caller may keep or change it."""
    key = (np.asarray(below, np.float64).tobytes(), np.asarray(edges, np.float64).tobytes())
    return _rounded(*key, np.asarray(floor, np.float64).tobytes()).copy()


ROUNDED_KEPT = 4096


@functools.lru_cache(maxsize=ROUNDED_KEPT)
def _rounded(below: bytes, edges: bytes, floor: bytes) -> npt.NDArray[np.float64]:
    return rounded_edges(*(np.frombuffer(b, dtype=np.float64) for b in (below, edges, floor)))


def rounded_edges(
    below: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], floor: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Edges rounded for people: labels, reason texts and SQL read "1,630 to < 2,010", not
    "1633.12 to < 2014.73".

    An edge takes the fewest significant digits that still separate the same observed values
    (``below < rounded <= edge``); where that needs more than 3 digits (dense continuous data) it is
    rounded to 3 significant digits as long as it stays above ``floor`` — a point mass or the smallest
    value — so only a few rows next to an edge change pre-bin. Result strictly increasing.

    >>> below, edges = np.array([0.7, 10.0, 1630.5]), np.array([0.785762, 11.0, 1633.12])
    >>> rounded_edges(below, edges, np.zeros(3)).tolist()
    [0.78, 11.0, 1630.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(edges)))
    magnitude[~np.isfinite(magnitude)] = 0.0
    # 1, 2 and 3 significant digits at once (row d - 1), cut down; the first that separates wins. The
    # same element-wise operations as one digit count at a time, so the same values.
    scale = 10.0 ** (_DIGITS_BELOW - magnitude)
    rounded = np.floor(edges * scale) / scale
    ok = (rounded > below) & (rounded <= edges)
    first = ok.argmax(axis=0)
    separated = ok[first, np.arange(edges.size)]
    nearest = np.round(edges * scale[2]) / scale[2]  # 3 significant digits, to the nearest
    out = np.where(
        separated,
        rounded[first, np.arange(edges.size)],
        np.where(nearest > floor, nearest, edges),
    )
    return np.unique(out)


def bin_numeric(
    name: str,
    x: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    y: npt.NDArray[np.int8],
    opts: BinningOptions,
    rows: npt.NDArray[np.int64] | None = None,
    ranks: ValueRanks | None = None,
) -> BinnedColumn:
    """Bin a numeric column: quantile pre-bins, then the optimal monotone merge.

    Parameters
    ----------
    name : column name; x : values (float64 with NaN = missing, or int64); y : 1 = bad, 0 = good,
    both present; rows : the positions in ``x`` to bin (``y`` is aligned with them), None for all — a
    segment is binned in place, without a copy of its column; ranks : ``value_ranks(x)``, if known (the
    same edges, found without sorting the rows' values).

    Returns
    -------
    BinnedColumn whose interval bins cover the whole line as [lower, upper), None = unbounded.

    >>> col = bin_numeric("x", np.arange(100.0), (np.arange(100) > 70).astype(np.int8), BinningOptions())
    >>> [b.label for b in col.bins if b.kind == "interval"]
    ['< 70', '>= 70']
    """
    declared = _declared(opts.special_values)
    # Edges from an evenly strided sample of at most SAMPLE_ROWS rows; counts from every row.
    step = -(-y.size // SAMPLE_ROWS)
    if ranks is None:
        sample = (x[::step] if rows is None else x[rows[::step]]).astype(np.float64)
        keep = ~np.isnan(sample)
        if declared.size:
            keep &= ~np.isin(sample, declared)
        sample = sample[keep]
        edges = prebin_edges(sample, opts.n_prebins)
    else:
        picked = np.arange(0, x.shape[0], step) if rows is None else rows[::step]
        edges = _edges_from_ranks(ranks, picked, declared, opts.n_prebins)
    use_rows = rows is not None
    where = rows if rows is not None else np.empty(0, dtype=np.int64)
    cell, counts, bad = _dp.prebin_counts(x, where, use_rows, y, edges, declared)
    col, lut = bin_numeric_from_cells(name, edges, counts, bad, opts)
    col.codes = lut[cell]
    col.fine_codes = cell
    return col


def bin_numeric_from_cells(
    name: str,
    edges: npt.NDArray[np.float64],
    counts: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    bad: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    opts: BinningOptions,
) -> tuple[BinnedColumn, npt.NDArray[np.int16]]:
    """The optimal binning of a numeric column from its pre-bin statistics alone (cells as in
    ``cells_from_value_counts``: missing, each of ``opts.special_values`` sorted, each pre-bin) — the one
    path from counts onward, whichever engine counted. Returns the column (without row codes) and the
    map from cell to bin position."""
    declared = _declared(opts.special_values)
    counts, bad = np.asarray(counts, dtype=np.float64), np.asarray(bad, dtype=np.float64)
    s_count = declared.size
    pre_rows, pre_bad = counts[1 + s_count :], bad[1 + s_count :]
    k = edges.size + 1
    n_rows = round(float(counts.sum()))
    total_bad = float(bad.sum())
    totals = (float(n_rows) - total_bad, total_bad)
    starts, _, trend = _merge(pre_rows - pre_bad, pre_bad, totals, n_rows, opts, opts.trend)
    present = [t for t in range(s_count) if counts[1 + t] > 0]
    bins = [BinStats("missing", "missing", int(counts[0]), round(bad[0]))]
    lut = np.zeros(counts.size, dtype=np.int16)  # cell -> position in bins
    for pos, t in enumerate(present, start=1):
        v = float(declared[t])
        bins.append(
            BinStats("special", f"code {_fmt(v)}", int(counts[1 + t]), round(bad[1 + t]), special_value=v)
        )
        lut[1 + t] = pos
    lut[1 + s_count :] = np.searchsorted(starts, np.arange(k), side="right") + len(present)
    bounds = [*starts.tolist(), k]
    # Whole counts in float64: differences of running sums are exactly the slices' sums.
    rows_upto = [0.0, *np.cumsum(pre_rows).tolist()]
    bad_upto = [0.0, *np.cumsum(pre_bad).tolist()]
    for a, b in itertools.pairwise(bounds):
        lower = None if a == 0 else float(edges[a - 1])
        upper = None if b == k else float(edges[b - 1])
        bins.append(
            BinStats(
                "interval",
                interval_label(lower, upper),
                int(rows_upto[b] - rows_upto[a]),
                round(bad_upto[b] - bad_upto[a]),
                lower=lower,
                upper=upper,
            )
        )
    col = _finish(name, "numeric", bins, totals, trend, [float(declared[t]) for t in present], opts.woe_prior)
    col.trend = shape_of([b.woe for b in col.bins if b.kind == "interval"])
    col.fine_bin, col.fine_edges = lut, np.asarray(edges, dtype=np.float64)
    col.fine_specials = declared.copy()
    col.fine_counts, col.fine_bads = counts.round().astype(np.int64), bad.round().astype(np.int64)
    return col, lut


def bin_categorical(
    name: str, x: npt.NDArray[np.object_], y: npt.NDArray[np.int8], opts: BinningOptions
) -> BinnedColumn:
    """Bin a categorical column: categories ordered by bad rate, rare ones pooled, then merged optimally.

    ``x`` holds strings, with None for missing. Categories never seen in training score in the missing
    bin (the artifact's scoring rule).
    """
    return bin_categorical_codes(name, category_codes_of(x), None, y, opts)


def distinct_texts(x: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.intp]]:
    """The distinct texts of ``x`` (strings), sorted by code point as ``np.unique`` sorts them, and each
    value's position among them: the texts exactly as they are. ``np.unique`` over numpy's fixed-width text
    type (``x.astype(str)``) drops trailing NUL characters, so ``"A\\x00"`` became the category ``"A"`` in
    training while scoring, which compares texts whole, read it as a category never seen; hashing first
    (``pandas.factorize``) is also several times faster than sorting every row's text.

    >>> cats, inverse = distinct_texts(np.array(["b", "a\\x00", "a", "b"], dtype=object))
    >>> cats.tolist(), inverse.tolist()
    (['a', 'a\\x00', 'b'], [2, 1, 0, 2])
    """
    import pandas as pd

    inverse, cats = pd.factorize(x, sort=True)
    return np.asarray(cats, dtype=object), np.asarray(inverse, dtype=np.intp)


@dataclass(frozen=True)
class CategoryCodes:
    """A text column's distinct texts (sorted as ``np.unique`` sorts them) and each row's position among
    them (-1: missing), found once for rows whose subsets are binned many times (a small card's bootstrap
    cards, ``_card.card_columns``): a subset's categories and counts then come from a count per position
    instead of a sort of its texts (the same categories in the same order, since a subset of sorted texts
    is sorted)."""

    texts: npt.NDArray[np.object_]
    code: npt.NDArray[np.int64]


def category_codes_of(x: npt.NDArray[np.object_]) -> CategoryCodes:
    """``CategoryCodes`` of category texts (None for missing), as ``bin_categorical`` reads them.

    >>> c = category_codes_of(np.array(["b", None, "a", "b"], dtype=object))
    >>> c.texts.tolist(), c.code.tolist()
    (['a', 'b'], [1, -1, 0, 1])
    """
    missing = np.array([v is None for v in x], dtype=np.bool_)
    texts, inverse = distinct_texts(x[~missing])
    code = np.full(x.shape[0], -1, dtype=np.int64)
    code[~missing] = inverse
    return CategoryCodes(texts, code)


def bin_categorical_codes(
    name: str,
    known: CategoryCodes,
    rows: npt.NDArray[np.int64] | None,
    y: npt.NDArray[np.int8],
    opts: BinningOptions,
) -> BinnedColumn:
    """``bin_categorical`` of the rows ``rows`` (None: all) of a column whose ``CategoryCodes`` are
    known (``y``: those rows' targets), from a count per category: a bag's rows are binned so without
    sorting their texts again.

    >>> x = np.array(["b", None, "a", "b", "c", "a"] * 20, dtype=object)
    >>> y = np.array([1, 0, 0, 1, 0, 0] * 20, dtype=np.int8)
    >>> rows = np.arange(0, 120, 2)
    >>> o = BinningOptions()
    >>> a = bin_categorical("x", x[rows], y[rows], o)
    >>> b = bin_categorical_codes("x", category_codes_of(x), rows, y[rows], o)
    >>> [bn.label for bn in a.bins] == [bn.label for bn in b.bins], a.codes.tolist() == b.codes.tolist()
    (True, True)
    """
    code = known.code if rows is None else known.code[rows]
    missing = code < 0
    present = ~missing
    counts = np.bincount(code[present], minlength=known.texts.size)
    seen = counts > 0
    local = np.cumsum(seen) - 1  # each category's position among those of these rows
    inverse = local[code[present]]
    yr = y[present]
    n = counts[seen].astype(np.float64)
    nb = np.bincount(inverse, weights=yr, minlength=n.size).astype(np.float64)
    col, code_of = bin_categorical_from_counts(
        name, known.texts[seen], n, nb, int(missing.sum()), int(y[missing].sum()), opts
    )
    codes = np.zeros(code.shape[0], dtype=np.int16)  # position 0: the missing bin
    codes[present] = code_of[inverse]
    col.codes = codes
    col.fine_codes = codes
    return col


def bin_categorical_from_counts(
    name: str,
    cats: npt.NDArray[np.object_],
    n: npt.NDArray[np.float64],
    nb: npt.NDArray[np.float64],
    n_missing: int,
    bad_missing: int,
    opts: BinningOptions,
) -> tuple[BinnedColumn, npt.NDArray[np.int16]]:
    """``bin_categorical`` from its sufficient statistics: the distinct categories (sorted, as
    ``np.unique`` sorts them) with their row and bad counts, and the missing rows and bads — what any
    engine (a Spark ``groupBy``) can aggregate. Returns the column (without row codes) and each
    category's bin position."""
    n_rows = round(float(n.sum())) + n_missing
    total_bad = float(nb.sum()) + bad_missing
    totals = (float(n_rows) - total_bad, total_bad)
    rare = n < RARE_SHARE * n_rows
    # Groups: each common category alone, all rare categories together (if any).
    groups: list[list[int]] = [[int(i)] for i in np.flatnonzero(~rare)]
    if rare.any():
        groups.append([int(i) for i in np.flatnonzero(rare)])
    gn = np.array([n[g].sum() for g in groups])
    gb = np.array([nb[g].sum() for g in groups])
    prior = prior_rows(*totals, opts.woe_prior)
    gw = np.array([woe_of(a - b, b, *totals, prior) for a, b in zip(gn, gb, strict=True)])
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
        "ascending" if opts.trend in ("auto", "auto_monotone", "ascending", "descending") else opts.trend
    )
    starts, _, used = _merge(rn - rb, rb, totals, n_rows, opts, trend)
    bins = [BinStats("missing", "missing", n_missing, bad_missing)]
    run_of_cat = np.zeros(cats.size, dtype=np.int64)
    for r, run in enumerate(runs):
        for g in run:
            run_of_cat[groups[g]] = r
    code_of = np.searchsorted(starts, run_of_cat, side="right").astype(np.int16)
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
    col = _finish(name, "categorical", bins, totals, used, [], opts.woe_prior)
    col.fine_bin = np.arange(len(bins), dtype=np.int16)
    col.fine_counts = np.array([b.count for b in bins], dtype=np.int64)
    col.fine_bads = np.array([b.bad_count for b in bins], dtype=np.int64)
    col.category_names, col.category_counts, col.category_bads = cats, n, nb
    return col, code_of
