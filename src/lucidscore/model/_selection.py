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
    for name in ranked:
        if iv[name] < iv_threshold:
            notes.append(f"{name}: IV {iv[name]:.3f} < {iv_threshold:g}; dropped")
            continue
        if max_characteristics is not None and len(kept) >= max_characteristics:
            notes.append(f"{name}: beyond max_characteristics={max_characteristics}; dropped")
            continue
        clash = _most_correlated(woe[name], [(k, woe[k]) for k in kept])
        if clash is not None and abs(clash[1]) > max_correlation:
            notes.append(
                f"{name}: |correlation| with {clash[0]} is {abs(clash[1]):.2f} > {max_correlation:g}; "
                "dropped (lower IV)"
            )
            continue
        kept.append(name)
    return kept, notes


def _most_correlated(
    x: npt.NDArray[np.float64], others: list[tuple[str, npt.NDArray[np.float64]]]
) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    sx = x.std()
    for name, z in others:
        sz = z.std()
        r = 0.0 if sx == 0 or sz == 0 else float(np.mean((x - x.mean()) * (z - z.mean())) / (sx * sz))
        if best is None or abs(r) > abs(best[1]):
            best = (name, r)
    return best
