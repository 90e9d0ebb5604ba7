"""Characteristic selection: information value threshold, then a correlation filter on WOE."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt


def select_characteristics(
    iv: Mapping[str, float],
    woe: Mapping[str, npt.NDArray[np.float64]],
    *,
    iv_threshold: float = 0.02,
    max_correlation: float = 0.8,
    max_characteristics: int | None = None,
) -> tuple[list[str], list[str]]:
    """Keep characteristics by IV, dropping the lower-IV one of each pair with |r| > ``max_correlation``.

    Returns the kept names (highest IV first) and one note per dropped characteristic.

    >>> x = np.array([0.0, 1.0, 0.0, 1.0])
    >>> select_characteristics({"a": 0.5, "b": 0.3, "c": 0.01}, {"a": x, "b": x, "c": x})
    (['a'], ['b: |correlation| with a is 1.00 > 0.8; dropped (lower IV)', 'c: IV 0.010 < 0.02; dropped'])
    """
    ranked = sorted(iv, key=lambda n: (-iv[n], n))
    notes: list[str] = []
    kept: list[str] = []
    corr = _correlations([woe[n] for n in ranked])
    at = {n: i for i, n in enumerate(ranked)}
    for name in ranked:
        if iv[name] < iv_threshold:
            notes.append(f"{name}: IV {iv[name]:.3f} < {iv_threshold:g}; dropped")
            continue
        if max_characteristics is not None and len(kept) >= max_characteristics:
            notes.append(f"{name}: beyond max_characteristics={max_characteristics}; dropped")
            continue
        if kept:
            r = corr[at[name], [at[k] for k in kept]]
            worst = int(np.argmax(np.abs(r)))
            if abs(r[worst]) > max_correlation:
                notes.append(
                    f"{name}: |correlation| with {kept[worst]} is {abs(r[worst]):.2f} > {max_correlation:g}; "
                    "dropped (lower IV)"
                )
                continue
        kept.append(name)
    return kept, notes


def _correlations(columns: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """Pearson correlation matrix in one matrix product (a constant column correlates 0 with all)."""
    if not columns:
        return np.zeros((0, 0))
    z = np.empty((columns[0].shape[0], len(columns)), dtype=np.float32)  # half the memory of float64
    for j, col in enumerate(columns):
        z[:, j] = col
    z -= z.mean(axis=0, dtype=np.float64).astype(np.float32)
    norms = np.sqrt((z * z).sum(axis=0))
    norms[norms == 0] = np.inf
    z /= norms
    corr: npt.NDArray[np.float64] = (z.T @ z).astype(np.float64)
    return corr
