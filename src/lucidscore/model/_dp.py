"""The exact dynamic programme behind optimal binning, compiled with numba.

Given pre-bins (contiguous, ordered) with their good and bad counts, choose which neighbours to merge so
that the information value of the merged bins is as large as possible, subject to: every bin holds at
least ``min_count`` rows, at most ``max_bins`` bins, and the weight of evidence follows a trend.

State: ``best[m, p, i, j]`` is the largest IV of a partition of pre-bins ``[0, j)`` into ``m + 1`` bins
whose last bin is ``[i, j)``, in phase ``p`` (0 = still rising, 1 = falling, for peak shapes). A new bin
``[j, l)`` may follow when its WOE compares correctly with the last bin's. The search is exhaustive over
contiguous partitions, so the answer is optimal, in O(max_bins * K^3) for K pre-bins.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

# Trend codes for the compiled kernel: sign applied to WOE, and whether one turn is allowed.
ASCENDING, DESCENDING, PEAK, VALLEY, FREE = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def _woe_iv(g: float, b: float, total_g: float, total_b: float, prior: float) -> tuple[float, float]:
    # ``prior`` pseudo-rows at the overall bad rate shrink the WOE of small or empty cells toward 0.
    share_g = (g + prior * total_g / (total_g + total_b)) / total_g
    share_b = (b + prior * total_b / (total_g + total_b)) / total_b
    woe = np.log(share_g / share_b)
    return woe, (g / total_g - b / total_b) * woe


@njit(cache=True, nogil=True)
def optimal_cuts(
    goods: npt.NDArray[np.float64],
    bads: npt.NDArray[np.float64],
    total_goods: float,
    total_bads: float,
    min_count: float,
    max_bins: int,
    trend: int,
    prior: float,
) -> tuple[npt.NDArray[np.int64], float, npt.NDArray[np.int64], float]:
    """Where merged bins start (always beginning with 0) and the partition's IV, for the best partition
    under ``trend`` and for the best that never turns (phase 0: the ascending, or with the descending
    sign the descending, optimum; for PEAK and VALLEY this gives the monotone answer for free)."""
    k = goods.shape[0]
    cg = np.zeros(k + 1)
    cb = np.zeros(k + 1)
    for t in range(k):
        cg[t + 1] = cg[t] + goods[t]
        cb[t + 1] = cb[t] + bads[t]
    woe = np.zeros((k + 1, k + 1))
    iv = np.zeros((k + 1, k + 1))
    ok = np.zeros((k + 1, k + 1), dtype=np.bool_)
    for i in range(k):
        for j in range(i + 1, k + 1):
            g = cg[j] - cg[i]
            b = cb[j] - cb[i]
            w, v = _woe_iv(g, b, total_goods, total_bads, prior)
            woe[i, j] = w
            iv[i, j] = v
            ok[i, j] = g + b >= min_count
    sign = 1.0
    if trend == DESCENDING or trend == VALLEY:  # noqa: SIM109 (numba: keep plain comparisons)
        sign = -1.0
    may_turn = PEAK <= trend <= VALLEY
    neg = -np.inf
    best = np.full((max_bins, 2, k + 1, k + 1), neg)
    parent = np.full((max_bins, 2, k + 1, k + 1), -1, dtype=np.int64)
    parent_phase = np.zeros((max_bins, 2, k + 1, k + 1), dtype=np.int64)
    for j in range(1, k + 1):
        if ok[0, j]:
            best[0, 0, 0, j] = iv[0, j]
    for m in range(max_bins - 1):
        for p in range(2):
            for i in range(k):
                for j in range(i + 1, k):
                    here = best[m, p, i, j]
                    if here == neg:
                        continue
                    last = sign * woe[i, j]
                    for ll in range(j + 1, k + 1):
                        if not ok[j, ll]:
                            continue
                        nxt = sign * woe[j, ll]
                        if trend == FREE or (p == 0 and nxt > last):
                            q = 0
                        elif nxt < last and (p == 1 or may_turn):
                            q = 1
                        else:
                            continue
                        cand = here + iv[j, ll]
                        if cand > best[m + 1, q, j, ll]:
                            best[m + 1, q, j, ll] = cand
                            parent[m + 1, q, j, ll] = i
                            parent_phase[m + 1, q, j, ll] = p
    top, bm, bp, bi = neg, 0, 0, 0
    mono, mm, mi = neg, 0, 0
    for m in range(max_bins):
        for p in range(2):
            for i in range(k):
                if best[m, p, i, k] > top + 1e-12:
                    top = best[m, p, i, k]
                    bm, bp, bi = m, p, i
                if p == 0 and best[m, 0, i, k] > mono + 1e-12:
                    mono = best[m, 0, i, k]
                    mm, mi = m, i
    if top == neg:  # not even one bin meets min_count: keep everything together
        one = np.zeros(1, dtype=np.int64)
        return one, iv[0, k], one.copy(), iv[0, k]
    return (
        _backtrack(parent, parent_phase, bm, bp, bi, k),
        top,
        _backtrack(parent, parent_phase, mm, 0, mi, k),
        mono,
    )


@njit(cache=True, nogil=True)
def _backtrack(
    parent: npt.NDArray[np.int64], parent_phase: npt.NDArray[np.int64], bm: int, bp: int, bi: int, k: int
) -> npt.NDArray[np.int64]:
    starts = np.zeros(bm + 1, dtype=np.int64)
    j = k
    i = bi
    p = bp
    for m in range(bm, -1, -1):
        starts[m] = i
        if m == 0:
            break
        pi = parent[m, p, i, j]
        pp = parent_phase[m, p, i, j]
        j = i
        i = pi
        p = pp
    return starts


@njit(cache=True, nogil=True)
def prebin_counts(
    x: npt.NDArray[np.float64] | npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    use_rows: bool,
    y: npt.NDArray[np.int8],
    edges: npt.NDArray[np.float64],
    specials: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """One pass over a column (its rows ``rows`` when ``use_rows``; ``y`` is aligned with those rows):
    each row's cell (0 missing, 1..S special value s, S+1.. pre-bin by ``edges`` as [lower, upper)) and
    the row and bad counts per cell."""
    n_special = specials.shape[0]
    m = edges.shape[0]
    cells = 1 + n_special + m + 1
    n = rows.shape[0] if use_rows else x.shape[0]
    codes = np.empty(n, dtype=np.int16)
    counts = np.zeros(cells, dtype=np.int64)
    bad = np.zeros(cells, dtype=np.int64)
    for r in range(n):
        v = x[rows[r]] if use_rows else x[r]
        c = -1
        if np.isnan(v):
            c = 0
        else:
            for t in range(n_special):
                if v == specials[t]:
                    c = 1 + t
                    break
            if c < 0:
                # Edges <= v (searchsorted side="right": the edges increase strictly), counted over all
                # edges: a loop the compiler vectorises, 4-5x faster than a binary search's chain of
                # dependent loads for the few dozen edges a column has (at most ~2 * n_prebins).
                found = 0
                for e in range(m):
                    found += edges[e] <= v
                c = 1 + n_special + found
        codes[r] = c
        counts[c] += 1
        bad[c] += y[r]
    return codes, counts.astype(np.float64), bad.astype(np.float64)


@njit(cache=True, nogil=True)
def column_facts(
    x: npt.NDArray[np.float64] | npt.NDArray[np.int64], rows: npt.NDArray[np.int64], use_rows: bool
) -> tuple[int, bool]:
    """Missing values among the rows, and whether every row holds the same present value."""
    n = rows.shape[0] if use_rows else x.shape[0]
    missing = 0
    constant = True
    first = np.nan
    for r in range(n):
        v = x[rows[r]] if use_rows else x[r]
        if np.isnan(v):
            missing += 1
            constant = False
        elif np.isnan(first):
            first = v
        elif v != first:
            constant = False
    return missing, constant and n > 0


@njit(cache=True, nogil=True)
def prebin_cut_points(
    values: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
    fractions: npt.NDArray[np.float64],
    n_prebins: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The unrounded pre-bin edges of ``_binning.prebin_edges_from_counts`` in one compiled pass (a
    column of a small card or bag is binned in a fraction of a millisecond, where a dozen numpy calls
    cost more than their work): each edge, the distinct value just below it, and the floor its rounding
    may not pass (that value where it is a point mass, else the smallest value). ``values`` strictly
    increasing with their row ``counts`` (total above 0); ``fractions`` the interior quantiles j/K as
    ``np.linspace`` gives them. An edge starts after each value holding a quantile, and around each value
    holding at least 1/K of the rows; the same integer and float operations as the numpy version, so the
    same edges."""
    n = values.shape[0]
    size = 0
    for t in range(n):
        size += counts[t]
    start = np.zeros(n + 2, dtype=np.bool_)
    # Index of the value holding each quantile: the first whose cumulative count reaches ceil(q * size).
    cum = 0
    t = 0
    for q in range(fractions.shape[0]):
        target = np.ceil(fractions[q] * size)
        while t < n and cum + counts[t] < target:
            cum += counts[t]
            t += 1
        start[t + 1] = True
    for t in range(n):
        if counts[t] * n_prebins >= size:
            start[t] = True
            start[t + 1] = True
    m = 0
    for s in range(1, n):
        if start[s]:
            m += 1
    below = np.empty(m)
    edges = np.empty(m)
    floor = np.empty(m)
    k = 0
    for s in range(1, n):
        if start[s]:
            below[k] = values[s - 1]
            edges[k] = values[s]
            floor[k] = values[s - 1] if counts[s - 1] * n_prebins >= size else values[0]
            k += 1
    return below, edges, floor
