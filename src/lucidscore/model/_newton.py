"""Logistic regression on WOE straight from each row's bins, compiled with numba.

The regression of bad on WOE has a categorical design: row i's value of characteristic j is
``tables[j][codes[i, j]]``. ``logistic_newton_binned`` minimises the same objective as
``_card.logistic_newton`` (scikit-learn's ``LogisticRegression(C=c)``: weighted log-loss plus
|beta|^2 / (2c), intercept unpenalised) without ever building the rows x characteristics WOE matrix:
one fused pass per Newton step reads each row's bin codes and accumulates the loss, the gradient and
the (k+1)^2 Hessian in place, on all cores for large tables. Rows are the distinct (bins, target)
combinations with their counts as weights (``_card.compress_rows``). Where rows no longer compress
(real, noisy data) the O(k^2) Hessian comes from a strided subset of at most ``HESSIAN_ROWS`` rows,
while the loss and gradient, and so the optimum, use every row: each step costs one O(rows x k) pass.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
from numba import njit

# Above this many rows the Hessian comes from an evenly strided subset of rows. The gradient and the loss
# always use every row, so the optimum is the same; only the path to it is a little longer.
HESSIAN_ROWS = 1 << 16
# The curvature (the O(k^2) part of a pass) is evaluated on every REFRESH-th step only (a chord Newton
# method): in between, the last Hessian serves, and a step costs O(rows x k).
REFRESH = 3
CHUNKS = 8  # row blocks accumulated separately, then added in order: the same sums for any thread count
PARALLEL_ROWS = 50_000  # from this many rows the blocks run on all cores (the kernel drops the GIL)


@njit(cache=True, nogil=True)
def _log1pexp(z: float) -> float:
    # log(1 + exp(z)) without overflow (np.logaddexp(0, z) in one scalar).
    if z > 0:
        return z + np.log1p(np.exp(-z))
    return np.log1p(np.exp(z))


@njit(cache=True, nogil=True)
def _pass(
    codes: npt.NDArray[np.int16],
    cols: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
    lo: int,
    hi: int,
    curvature: bool,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Loss and gradient of the unpenalised weighted log-loss at beta over rows [lo, hi), and its
    Hessian (upper triangle) over those of them on every ``every``-th row, scaled up (exact when
    ``every`` is 1)."""
    k = cols.shape[0]
    d = k + 1
    g = np.zeros(d)
    h = np.zeros((d, d))
    x = np.empty(d)
    x[0] = 1.0
    loss = 0.0
    due = -(-lo // every) * every  # the next row of the Hessian's: a multiple of ``every``
    for i in range(lo, hi):
        z = beta[0]
        for j in range(k):
            x[j + 1] = flat[offsets[j] + codes[i, cols[j]]]
            z += beta[j + 1] * x[j + 1]
        loss += w[i] * (_log1pexp(z) - t[i] * z)
        p = 1.0 / (1.0 + np.exp(-z))
        r = w[i] * (p - t[i])
        for a in range(d):
            g[a] += r * x[a]
        if curvature and i == due:
            due += every
            v = every * w[i] * p * (1.0 - p)
            for a in range(d):  # the whole square (the lower triangle is dropped): a loop the
                va = v * x[a]  # compiler vectorises, the upper triangle's sums as they always were
                for b in range(d):
                    h[a, b] += va * x[b]
    return loss, g, h


DIGIT_BITS = 11  # radix sort digit: 2,048 buckets, whose counters stay in the L1 cache


@njit(cache=True, nogil=True)
def distinct_keys(key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The distinct values of ``key`` (non-negative) in increasing order, as one position in ``key`` of
    each (the first) and how many times each occurs: ``np.unique(key, return_index=True,
    return_counts=True)`` by a least-significant-digit radix sort, linear in the rows (the rows of a
    1,000,000-row table that no longer compress are sorted in a third of the time a hash table and a
    comparison sort take)."""
    n = key.size
    top = 0
    for i in range(n):
        top = max(top, key[i])
    a, pos = key.copy(), np.arange(n)
    b, pos_b = np.empty(n, np.int64), np.empty(n, np.int64)
    buckets = 1 << DIGIT_BITS
    shift = 0
    while shift == 0 or (top >> shift) > 0:  # stable passes, least significant digit first
        start = np.zeros(buckets + 1, np.int64)
        for i in range(n):
            start[((a[i] >> shift) & (buckets - 1)) + 1] += 1
        for d in range(buckets):
            start[d + 1] += start[d]
        for i in range(n):
            d = (a[i] >> shift) & (buckets - 1)
            b[start[d]] = a[i]
            pos_b[start[d]] = pos[i]
            start[d] += 1
        a, b, pos, pos_b = b, a, pos_b, pos
        shift += DIGIT_BITS
    m = 0
    for i in range(n):
        if i == 0 or a[i] != a[i - 1]:
            m += 1
    first = np.empty(m, np.int64)
    counts = np.zeros(m, np.float64)
    u = -1
    for i in range(n):
        if i == 0 or a[i] != a[i - 1]:
            u += 1
            first[u] = pos[i]
        counts[u] += 1.0
    return first, counts


@njit(cache=True, nogil=True)
def _blocks(
    codes: npt.NDArray[np.int16],
    cols: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
    bounds: npt.NDArray[np.int64],
    curvature: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``_pass`` over each block of rows ``bounds[b, 0]`` to ``bounds[b, 1]`` in one compiled call: each
    block's loss, gradient and Hessian, as ``_pass`` gives them (a small table's pass is a millisecond,
    of which calling the kernel once per block was a good part)."""
    m = bounds.shape[0]
    d = cols.shape[0] + 1
    losses = np.zeros(m)
    grads = np.zeros((m, d))
    hessians = np.zeros((m, d, d))
    for b in range(m):
        lo, hi = bounds[b, 0], bounds[b, 1]
        loss, g, h = _pass(codes, cols, offsets, flat, t, w, beta, every, lo, hi, curvature)
        losses[b] = loss
        grads[b] = g
        hessians[b] = h
    return losses, grads, hessians


@njit(cache=True, nogil=True)
def _pairwise8(r: npt.NDArray[np.float64]) -> float:
    return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))


@njit(cache=True, nogil=True)
def _blocks_summed(
    codes: npt.NDArray[np.int16],
    cols: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
    bounds: npt.NDArray[np.int64],
    curvature: bool,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``_derivatives`` without a pool in one compiled call: ``_blocks``, then the blocks' loss, gradient
    and Hessian added in block order and the upper triangle mirrored, with the same floating-point
    additions as the numpy version (a bag of a small card makes thousands of passes of a few hundred
    rows, where a dozen numpy calls a pass cost more than the pass)."""
    losses, grads, hessians = _blocks(codes, cols, offsets, flat, t, w, beta, every, bounds, curvature)
    m, d = grads.shape
    loss = 0.0
    for b in range(m):
        loss += losses[b]
    grad = np.zeros(d)
    hess = np.zeros((d, d))
    if d == 1 and m == CHUNKS:  # numpy sums one column of 8 pairwise (its unrolled 8-way loop)
        grad[0] = 0.0 + _pairwise8(grads[:, 0])
        hess[0, 0] = 0.0 + _pairwise8(hessians[:, 0, 0])
    else:  # several columns: numpy adds the blocks one after another, from 0.0
        for b in range(m):
            for a in range(d):
                grad[a] += grads[b, a]
                for c in range(d):
                    hess[a, c] += hessians[b, a, c]
    out = np.empty((d, d))
    for a in range(d):  # np.triu(hess) + np.triu(hess, 1).T: each entry plus an exact 0.0
        for c in range(d):
            out[a, c] = hess[a, c] + 0.0 if a <= c else 0.0 + hess[c, a]
    return loss, grad, out


def _bounds(n: int) -> npt.NDArray[np.int64]:
    """The CHUNKS blocks of ``n`` rows, as (first, end) pairs."""
    size = -(-n // CHUNKS)
    return np.array([(c * size, min(n, (c + 1) * size)) for c in range(CHUNKS)], dtype=np.int64)


def _derivatives(
    codes: npt.NDArray[np.int16],
    cols: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
    curvature: bool,
    pool: ThreadPoolExecutor | None,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``_pass`` over all rows, in CHUNKS blocks added in a fixed order (on ``pool``'s threads if any, a
    run of blocks each): the same sums whichever way the blocks ran."""
    args = (codes, cols, offsets, flat, t, w, beta, every)
    bounds = _bounds(codes.shape[0])
    if pool is not None:
        runs = np.array_split(bounds, min(CHUNKS, os.cpu_count() or 1))
        parts = list(pool.map(lambda b: _blocks(*args, b, curvature), runs))
        losses = np.concatenate([part[0] for part in parts])
        grads = np.concatenate([part[1] for part in parts])
        hessians = np.concatenate([part[2] for part in parts])
    else:
        losses, grads, hessians = _blocks(*args, bounds, curvature)
    loss = 0.0
    for value in losses.tolist():  # in block order, as the blocks' sums always were
        loss += value
    grad = np.sum(grads, axis=0)
    hess = np.sum(hessians, axis=0)
    return loss, grad, np.triu(hess) + np.triu(hess, 1).T


def bad_weight(w: npt.NDArray[np.float64], t: npt.NDArray[np.int8]) -> float:
    """``w @ t``, the bad rows' weight (``t`` is 0 or 1). Whole-number weights (row counts, as
    ``_card.compress_rows`` makes them) add up exactly in any order, so they are summed here: the same
    value without BLAS, whose dot product above 10,000 rows wakes OpenBLAS's threads, which then spin
    beside the fit's own (about 0.03 CPU-s per fold card of the searches on the loaded 2-core machine).
    Other weights (a screening sample's, scaled) keep the BLAS product and its rounding.

    >>> bad_weight(np.array([2.0, 3.0, 4.0]), np.array([1, 0, 1], np.int8))
    6.0
    """
    if np.array_equal(w, np.floor(w)) and float(w.sum()) < 2.0**53:
        return float(w[t == 1].sum())
    return float(w @ t)


def logistic_newton_binned(
    codes: npt.NDArray[np.int16],
    cols: list[int],
    tables: list[npt.NDArray[np.float64]],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    c: float,
    start: npt.NDArray[np.float64] | None = None,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Intercept and coefficients of the L2 logistic regression of ``t`` on
    ``tables[j][codes[:, cols[j]]]``
    (weights ``w``, C = ``c``), by Newton's method with step halving; ``start`` (intercept first)
    warm-starts a refit. ``cols`` picks the characteristics, so a refit never copies the codes.

    >>> codes = np.array([[0], [1]], np.int16); t = np.array([0, 1], np.int8)
    >>> b0, b = logistic_newton_binned(codes, [0], [np.array([0.0, 1.0])], t, np.ones(2), 1e6)
    >>> round(b0, 1) < -5 and float(b[0]) > 10
    True
    """
    k = len(cols)
    columns = np.asarray(cols, dtype=np.int64)
    offsets = np.zeros(k, dtype=np.int64)
    if k:
        offsets[1:] = np.cumsum([tab.size for tab in tables])[:-1]
    flat = np.concatenate(tables).astype(np.float64) if k else np.zeros(0)
    codes = np.ascontiguousarray(codes, dtype=np.int16)  # no copy when it already is
    every = max(1, codes.shape[0] // HESSIAN_ROWS)
    bounds = _bounds(codes.shape[0])
    penalty = np.full(k + 1, 1.0 / c)
    penalty[0] = 0.0
    if start is None:  # all coefficients 0 and the intercept at the mean rate: one step closer
        start_beta = np.zeros(k + 1)
        rate = float(np.clip(bad_weight(w, t) / w.sum(), 1e-6, 1 - 1e-6))
        start_beta[0] = np.log(rate / (1.0 - rate))
    else:
        start_beta = start.astype(np.float64).copy()

    Vec = npt.NDArray[np.float64]

    def solve(pool: ThreadPoolExecutor | None) -> Vec:
        beta = start_beta.copy()

        def objective(b: Vec, curvature: bool) -> tuple[float, Vec, Vec]:
            if pool is None:  # the same sums as ``_derivatives``, in one compiled call
                loss, grad, hess = _blocks_summed(
                    codes, columns, offsets, flat, t, w, b, every, bounds, curvature
                )
            else:
                loss, grad, hess = _derivatives(
                    codes, columns, offsets, flat, t, w, b, every, curvature, pool
                )
            return loss + 0.5 * float(penalty @ (b * b)), grad, hess

        def curvature_of(hess: Vec) -> Vec:
            # hess + diag(penalty), then 1e-12 more on the diagonal (a column of one value stays
            # solvable): the same additions, without building the diagonal matrix and its indexes.
            h = hess + 0.0
            h.flat[:: k + 2] = (np.diagonal(hess) + penalty) + 1e-12
            return h

        current, grad, hess = objective(beta, True)
        h = curvature_of(hess)
        stale = 0  # steps since the curvature was last evaluated
        for _ in range(200):
            step = np.linalg.solve(h, grad + penalty * beta)
            refresh = stale >= REFRESH - 1
            size = 1.0
            while True:  # halve the step until the objective does not rise (Newton can overshoot)
                trial = beta - size * step
                value, trial_grad, trial_hess = objective(trial, refresh)
                if value <= current + 1e-12 * abs(current) or size < 1e-6:
                    break
                size /= 2
            beta, current, grad = trial, value, trial_grad
            if refresh:
                h, stale = curvature_of(trial_hess), 0
            else:
                stale = REFRESH if size < 1.0 else stale + 1  # a halved step: fresh curvature next time
            if float(np.max(np.abs(size * step))) < 1e-7:
                break
        return beta

    if codes.shape[0] >= PARALLEL_ROWS:  # one pool for the whole fit, not one per pass
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            beta = solve(pool)
    else:
        beta = solve(None)
    return float(beta[0]), beta[1:]
