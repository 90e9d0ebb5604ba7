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
CHUNKS = 8  # row blocks accumulated separately, then added in order: the same sums for any thread count
PARALLEL_ROWS = 200_000  # from this many rows the blocks run on all cores (the kernel drops the GIL)


@njit(cache=True, nogil=True)
def _log1pexp(z: float) -> float:
    # log(1 + exp(z)) without overflow (np.logaddexp(0, z) in one scalar).
    if z > 0:
        return z + np.log1p(np.exp(-z))
    return np.log1p(np.exp(z))


@njit(cache=True, nogil=True)
def _pass(
    codes: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
    lo: int,
    hi: int,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Loss and gradient of the unpenalised weighted log-loss at beta over rows [lo, hi), and its
    Hessian (upper triangle) over those of them on every ``every``-th row, scaled up (exact when
    ``every`` is 1)."""
    k = codes.shape[1]
    d = k + 1
    g = np.zeros(d)
    h = np.zeros((d, d))
    x = np.empty(d)
    x[0] = 1.0
    loss = 0.0
    for i in range(lo, hi):
        z = beta[0]
        for j in range(k):
            x[j + 1] = flat[offsets[j] + codes[i, j]]
            z += beta[j + 1] * x[j + 1]
        loss += w[i] * (_log1pexp(z) - t[i] * z)
        p = 1.0 / (1.0 + np.exp(-z))
        r = w[i] * (p - t[i])
        for a in range(d):
            g[a] += r * x[a]
        if i % every == 0:
            v = every * w[i] * p * (1.0 - p)
            for a in range(d):
                va = v * x[a]
                for b in range(a, d):
                    h[a, b] += va * x[b]
    return loss, g, h


def _derivatives(
    codes: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    flat: npt.NDArray[np.float64],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    every: int,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``_pass`` over all rows, in CHUNKS blocks added in a fixed order (on all cores when large)."""
    n = codes.shape[0]
    size = -(-n // CHUNKS)
    bounds = [(c * size, min(n, (c + 1) * size)) for c in range(CHUNKS)]
    if n >= PARALLEL_ROWS:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            parts = list(pool.map(lambda b: _pass(codes, offsets, flat, t, w, beta, every, *b), bounds))
    else:
        parts = [_pass(codes, offsets, flat, t, w, beta, every, *b) for b in bounds]
    loss = sum(part[0] for part in parts)
    grad = np.sum([part[1] for part in parts], axis=0)
    hess = np.sum([part[2] for part in parts], axis=0)
    return loss, grad, np.triu(hess) + np.triu(hess, 1).T


def logistic_newton_binned(
    codes: npt.NDArray[np.int64],
    tables: list[npt.NDArray[np.float64]],
    t: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    c: float,
    start: npt.NDArray[np.float64] | None = None,
) -> tuple[float, npt.NDArray[np.float64]]:
    """Intercept and coefficients of the L2 logistic regression of ``t`` on ``tables[j][codes[:, j]]``
    (weights ``w``, C = ``c``), by Newton's method with step halving; ``start`` (intercept first)
    warm-starts a refit.

    >>> codes = np.array([[0], [1]]); t = np.array([0, 1], np.int8)
    >>> b0, b = logistic_newton_binned(codes, [np.array([0.0, 1.0])], t, np.ones(2), 1e6)
    >>> round(b0, 1) < -5 and float(b[0]) > 10
    True
    """
    k = codes.shape[1]
    offsets = np.zeros(k, dtype=np.int64)
    if k:
        offsets[1:] = np.cumsum([tab.size for tab in tables])[:-1]
    flat = np.concatenate(tables).astype(np.float64) if k else np.zeros(0)
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    every = max(1, codes.shape[0] // HESSIAN_ROWS)
    penalty = np.full(k + 1, 1.0 / c)
    penalty[0] = 0.0
    if start is None:  # all coefficients 0 and the intercept at the mean rate: one step closer
        beta = np.zeros(k + 1)
        rate = float(np.clip((w @ t) / w.sum(), 1e-6, 1 - 1e-6))
        beta[0] = np.log(rate / (1.0 - rate))
    else:
        beta = start.astype(np.float64).copy()

    Vec = npt.NDArray[np.float64]

    def objective(b: Vec) -> tuple[float, Vec, Vec]:
        # Loss with its derivatives in the same pass: the first trial step is nearly always taken.
        loss, grad, hess = _derivatives(codes, offsets, flat, t, w, b, every)
        return loss + 0.5 * float(penalty @ (b * b)), grad, hess

    current, grad, hess = objective(beta)
    for _ in range(100):
        hessian = hess + np.diag(penalty)
        hessian[np.diag_indices_from(hessian)] += 1e-12  # a column of one value stays solvable
        step = np.linalg.solve(hessian, grad + penalty * beta)
        size = 1.0
        while True:  # halve the step until the objective does not rise (Newton can overshoot)
            trial = beta - size * step
            value, trial_grad, trial_hess = objective(trial)
            if value <= current + 1e-12 * abs(current) or size < 1e-6:
                break
            size /= 2
        beta, current, grad, hess = trial, value, trial_grad, trial_hess
        if float(np.max(np.abs(size * step))) < 1e-7:
            break
    return float(beta[0]), beta[1:]
