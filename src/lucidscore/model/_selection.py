"""Characteristic selection: information value threshold, then a correlation filter on WOE."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

CHUNK_ROWS = 1 << 18  # rows per block when accumulating the WOE cross-products
SAMPLE_ROWS = 100_000  # correlations come from an evenly strided sample of at most this many rows


def woe_correlation(
    names: Sequence[str], tables: Sequence[npt.NDArray[np.float64]], codes: Sequence[npt.NDArray[np.int16]]
) -> pd.DataFrame:
    """Pearson correlation of the characteristics' row WOE (``tables[j][codes[j]]``), accumulated in
    blocks so the full rows x characteristics WOE matrix never exists. Above SAMPLE_ROWS rows it uses
    an evenly strided sample (r then has a standard error near 0.001, ample for a 0.8 threshold).
    A constant WOE correlates 0.

    >>> c = [np.array([0, 1, 0, 1], np.int16), np.array([1, 0, 1, 0], np.int16)]
    >>> woe_correlation(["a", "b"], [np.array([-1.0, 1.0])] * 2, c).round(6).to_numpy().tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    k = len(names)
    step = -(-codes[0].shape[0] // SAMPLE_ROWS) if k else 1
    codes = [c[::step] for c in codes]
    n = codes[0].shape[0] if k else 0
    total = np.zeros(k)
    cross = np.zeros((k, k))
    for start in range(0, n, CHUNK_ROWS):
        block = np.empty((k, min(CHUNK_ROWS, n - start)))
        for j in range(k):
            block[j] = tables[j][codes[j][start : start + CHUNK_ROWS]]
        total += block.sum(axis=1)
        cross += block @ block.T
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
) -> tuple[list[str], list[str]]:
    """Keep characteristics by IV, dropping the lower-IV one of each pair with |r| > ``max_correlation``.

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
    for name in ranked:
        if iv[name] < iv_threshold:
            notes.append(f"{name}: IV {iv[name]:.4f} < {iv_threshold:g}; dropped")
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
    return kept, notes
