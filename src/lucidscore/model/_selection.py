"""Characteristic selection: information value threshold and chance level, then a correlation filter on
WOE."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from lucidscore.model._binning import (
    BinnedColumn,
    BinningOptions,
    bin_categorical_from_counts,
    bin_numeric_from_cells,
)

# The chance level of a characteristic's IV (``chance_iv``): the CHANCE_LEVEL quantile of the IV its own
# binning reaches on its own cells when the target has no effect at all, from CHANCE_DRAWS redraws of the
# bads over the cells (a scaled chi-square matched to their mean and variance gives the quantile). A fixed
# threshold is not size-aware: the chance IV of a column of k cells at n rows grows like (k - 1) / n, so
# on 5,000 rows a 30-category column with no effect reached IV 0.023-0.037 and entered every card
# (benchmarks/bench_shapes.py, BENCHMARKS.md "Tables shaped like other public credit data").
CHANCE_LEVEL = 0.5
CHANCE_DRAWS = 12
CHANCE_SEED = 0
SAMPLE_ROWS = 100_000  # correlations come from an evenly strided sample of at most this many rows


@njit(cache=True, nogil=True)
def woe_moments(
    codes: npt.NDArray[np.int16], offsets: npt.NDArray[np.int64], flat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Sum and cross-products of the rows' WOE: row ``i``'s WOE of characteristic ``j`` is
    ``flat[offsets[j] + codes[i, j]]`` (``codes`` rows x characteristics). Each sum runs over the rows in
    order, in the calling thread. The BLAS product it replaces woke OpenBLAS's threads for every card,
    beside the fit's own two: on a loaded 2-core machine 55-125 ms of CPU for a fold card's 13,333 rows x
    18 characteristics against 2 ms here, 41-520 ms against 13 ms at 100,000 rows; the whole 1,000,000-
    row ``lucidscore train`` about 2.4 CPU-s (BENCHMARKS.md, issue 14). Sums in row order also make
    the correlation independent of the BLAS library and its thread count."""
    n, k = codes.shape
    total = np.zeros(k)
    cross = np.zeros((k, k))
    woe = np.empty(k)
    for i in range(n):
        for j in range(k):
            woe[j] = flat[offsets[j] + codes[i, j]]
        for j in range(k):
            total[j] += woe[j]
            for m in range(k):
                cross[j, m] += woe[j] * woe[m]
    return total, cross


def woe_correlation(
    names: Sequence[str], tables: Sequence[npt.NDArray[np.float64]], codes: Sequence[npt.NDArray[np.int16]]
) -> pd.DataFrame:
    """Pearson correlation of the characteristics' row WOE (``tables[j][codes[j]]``), from their sums and
    cross-products (``woe_moments``): the rows x characteristics WOE matrix never exists. Above
    SAMPLE_ROWS rows it uses an evenly strided sample (r then has a standard error near 0.001, ample for
    a 0.8 threshold). A constant WOE correlates 0.

    >>> c = [np.array([0, 1, 0, 1], np.int16), np.array([1, 0, 1, 0], np.int16)]
    >>> woe_correlation(["a", "b"], [np.array([-1.0, 1.0])] * 2, c).round(6).to_numpy().tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    k = len(names)
    step = -(-codes[0].shape[0] // SAMPLE_ROWS) if k else 1
    n = -(-codes[0].shape[0] // step) if k else 0
    stacked = np.empty((n, k), dtype=np.int16)
    for j in range(k):
        stacked[:, j] = codes[j][::step]
    offsets = np.zeros(k, dtype=np.int64)
    if k:
        offsets[1:] = np.cumsum([table.size for table in tables])[:-1]
    flat = np.concatenate(tables).astype(np.float64) if k else np.zeros(0)
    total, cross = woe_moments(stacked, offsets, flat)
    mean = total / max(n, 1)
    cov = cross / max(n, 1) - np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    sd[sd < 1e-12] = np.inf
    corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    return pd.DataFrame(corr, index=list(names), columns=list(names))


def select_characteristics(
    iv: Mapping[str, float],
    correlation: pd.DataFrame,
    *,
    iv_threshold: float = 0.02,
    max_correlation: float = 0.8,
    max_characteristics: int | None = None,
    chance: Mapping[str, float] | None = None,
) -> tuple[list[str], list[str]]:
    """Keep characteristics by IV, dropping the lower-IV one of each pair with |r| > ``max_correlation``;
    ``chance``: each one's chance level (``chance_iv``), an IV no higher than which is dropped too, except
    that when no characteristic is left the highest-IV one within chance (above ``iv_threshold``) is kept:
    the chance level sharpens the threshold, it does not empty a card the threshold fills (a table of a
    few dozen rows, where every IV is within chance).

    Returns the kept names (highest IV first) and one note per dropped characteristic.

    >>> corr = pd.DataFrame(1.0, index=list("abc"), columns=list("abc"))
    >>> select_characteristics({"a": 0.5, "b": 0.3, "c": 0.01}, corr)
    (['a'], ['b: |correlation| with a is 1.00 > 0.8; dropped (lower IV)', 'c: IV 0.0100 < 0.02; dropped'])
    """
    ranked = sorted(iv, key=lambda n: (-iv[n], n))
    position = {n: i for i, n in enumerate(correlation.index)}
    matrix = correlation.to_numpy()  # positional lookups: label indexing costs a millisecond each
    notes: list[str] = []
    kept: list[str] = []
    within: list[tuple[str, int]] = []  # dropped as within chance, and where its note is
    for name in ranked:
        if iv[name] < iv_threshold:
            notes.append(f"{name}: IV {iv[name]:.4f} < {iv_threshold:g}; dropped")
            continue
        if chance is not None and iv[name] <= chance.get(name, 0.0):
            within.append((name, len(notes)))
            notes.append(
                f"{name}: IV {iv[name]:.4f} is within chance (with no effect at all, its binning of these "
                f"rows would reach {chance[name]:.4f} {1 - CHANCE_LEVEL:.0%} of the time); dropped"
            )
            continue
        if max_characteristics is not None and len(kept) >= max_characteristics:
            notes.append(f"{name}: beyond max_characteristics={max_characteristics}; dropped")
            continue
        if kept:
            r = matrix[position[name], [position[k] for k in kept]]
            worst = int(np.argmax(np.abs(r)))
            if abs(r[worst]) > max_correlation:
                notes.append(
                    f"{name}: |correlation| with {kept[worst]} is {abs(r[worst]):.2f} > {max_correlation:g}; "
                    "dropped (lower IV)"
                )
                continue
        kept.append(name)
    if not kept and within:
        name, at = within[0]
        kept.append(name)
        notes[at] = notes[at].replace(
            "; dropped", "; kept all the same, as the highest IV: no characteristic is above its chance level"
        )
    return kept, notes


def _chi2_quantile(df: float, level: float) -> float:
    """The ``level`` quantile of chi-square(df) by the Wilson-Hilferty cube (within 1% from df 3; the
    stdlib's normal quantile spares importing scipy.stats).

    >>> round(_chi2_quantile(29.0, 0.99), 1)
    49.6
    """
    z = statistics.NormalDist().inv_cdf(level)
    c = 2.0 / (9.0 * df)
    return float(df * (1.0 - c + z * np.sqrt(c)) ** 3)


def chance_iv(
    col: BinnedColumn, opts: BinningOptions, level: float | None = None, draws: int | None = None
) -> float:
    """The IV ``col``'s binning reaches by chance: its ``level`` quantile when the target has no effect,
    found by redrawing the bads over the column's cells (numeric: missing, special values, pre-bins;
    categorical: missing and each category) as a multivariate hypergeometric draw (seeded:
    ``CHANCE_SEED``), binning each draw as the column was binned (``opts``), and matching a scaled
    chi-square to the draws' mean and variance. From counts only, so every engine finds the same.

    Returns 0.0 without drawing where ``col.iv`` exceeds twice the ``level`` quantile of chi-square(cells
    - 1) / (N r (1 - r)), which bounds the IV of any merge of the cells by chance (N rows at bad rate r):
    large tables and strong columns cost nothing.

    >>> from lucidscore.model._binning import bin_categorical
    >>> rng = np.random.default_rng(1)
    >>> x = rng.choice([f"c{i}" for i in range(30)], 2000).astype(object)
    >>> col = bin_categorical("noise", x, (rng.random(2000) < 0.2).astype(np.int8), BinningOptions())
    >>> col.iv < chance_iv(col, BinningOptions(), level=0.99)  # no effect: within chance
    True
    """
    level = CHANCE_LEVEL if level is None else level
    draws = CHANCE_DRAWS if draws is None else draws
    if col.dtype == "numeric":
        counts = col.fine_counts.astype(np.int64)
        bads = col.fine_bads.astype(np.int64)
    else:
        counts = np.concatenate([[col.bins[0].count], col.category_counts]).round().astype(np.int64)
        bads = np.concatenate([[col.bins[0].bad_count], col.category_bads]).round().astype(np.int64)
    n, total_bad = int(counts.sum()), int(bads.sum())
    cells = int(np.count_nonzero(counts))
    if cells < 2 or total_bad in (0, n):
        return 0.0
    weight = total_bad * (n - total_bad) / n  # N r (1 - r)
    if col.iv > 2.0 * _chi2_quantile(cells - 1.0, level) / weight:
        return 0.0
    rng = np.random.default_rng(CHANCE_SEED)
    ivs = np.empty(draws)
    for d in range(draws):
        drawn = rng.multivariate_hypergeometric(counts, total_bad)
        if col.dtype == "numeric":
            ivs[d] = bin_numeric_from_cells(col.name, col.fine_edges, counts, drawn, opts)[0].iv
        else:
            ivs[d] = bin_categorical_from_counts(
                col.name,
                col.category_names,
                col.category_counts,
                drawn[1:].astype(np.float64),
                int(counts[0]),
                int(drawn[0]),
                opts,
            )[0].iv
    mean, var = float(ivs.mean()), float(ivs.var(ddof=1))
    if mean <= 0.0 or var <= 0.0:
        return float(ivs.max())
    df = 2.0 * mean * mean / var
    return float(var / (2.0 * mean) * _chi2_quantile(df, level))


def chance_levels(
    binned: Mapping[str, BinnedColumn], options: Callable[[str], BinningOptions]
) -> dict[str, float]:
    """``chance_iv`` of every binned column (``options``: each column's binning options)."""
    return {name: chance_iv(col, options(name)) for name, col in binned.items()}
