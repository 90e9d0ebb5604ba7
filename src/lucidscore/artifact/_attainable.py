"""Which bins of a characteristic a row can reach without leaving its segment, and a value in each.

A reason's points lost are measured against the best bin a row could reach by changing that one value,
and recourse moves a value only into reachable bins. A value reaches a bin of a characteristic of segment
``s`` when it lies in the bin and, with every other cell unchanged, the row still falls in ``s``: it does
not match the condition of an earlier segment on the same column, and matches ``s``'s own condition if
that is on the same column (a missing value matches no condition). Conditions on other columns do not
move: the row did not match the earlier ones and matched its own.

The witnesses (values) are checked with the reference rule itself (``condition_mask``), among candidates
that include every condition threshold and its neighbours, so every piece of a bin that keeps the segment
holds a candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lucidscore.artifact._model import Bin, Characteristic, Condition, Segment
from lucidscore.artifact._reference import condition_mask
from lucidscore.errors import InputError

# Units whose values read best as whole numbers: a witness is a whole number when the bin has one.
_WHOLE = ("money", "months", "days", "count", "flag")

Value = float | str  # a number (NaN = missing) or a category text


@dataclass(frozen=True)
class Witness:
    """Values of one bin that keep the row in its segment: the smallest and the largest found (equal for a
    missing, special or category bin; NaN for the missing bin)."""

    low: Value
    high: Value


def _relevant(segments: list[Segment], s: int, column: str) -> list[tuple[int, Condition]]:
    return [
        (i, seg.condition)
        for i, seg in enumerate(segments[: s + 1])
        if seg.condition is not None and seg.condition.column == column
    ]


def _keeps_segment(conditions: list[tuple[int, Condition]], s: int, column: str, value: Value) -> bool:
    if not conditions:
        return True
    dtype = object if isinstance(value, str) else np.float64
    frame = pd.DataFrame({column: pd.Series([value], dtype=dtype)})
    for i, cond in conditions:
        try:
            hit = bool(condition_mask(cond, frame)[0])
        except InputError:  # a text value read by a numeric condition: the row could not be scored
            return False
        if hit != (i == s):
            return False
    return True


def _thresholds(conditions: list[tuple[int, Condition]]) -> list[float]:
    out: list[float] = []
    for _, cond in conditions:
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        for v in values:
            try:
                number = float(v)
            except ValueError:
                continue
            if math.isfinite(number):
                out.append(number)
    return out


def _interval_candidates(char: Characteristic, b: Bin, thresholds: list[float]) -> tuple[list[float], ...]:
    """(whole-number candidates, other candidates) inside [lower, upper), special values left out."""
    lo = -math.inf if b.lower is None else b.lower
    hi = math.inf if b.upper is None else b.upper
    anchors = [x for x in (b.lower, b.upper, *thresholds) if x is not None]
    points: list[float] = []
    if b.lower is not None:
        points.append(b.lower)
    else:
        points.append(min(anchors, default=0.0) - 1.0)
    if b.upper is not None:
        points.append(float(np.nextafter(b.upper, -math.inf)))
    else:
        points.append(max(anchors, default=0.0) + 1.0)
    for t in thresholds:
        points += [t, float(np.nextafter(t, -math.inf)), float(np.nextafter(t, math.inf))]
    whole = [float(math.floor(p)) + d for p in points for d in (-1, 0, 1, 2)]
    specials = set(char.special_values)

    def inside(xs: list[float]) -> list[float]:
        return sorted({x for x in xs if lo <= x < hi and math.isfinite(x) and x not in specials})

    return inside(whole), inside(points)


def bin_witnesses(segments: list[Segment], s: int, char: Characteristic) -> list[Witness | None]:
    """For each bin of ``char`` (a characteristic of segment ``s``): the values that reach it while keeping
    the row in ``s``, or None when no value can."""
    conditions = _relevant(segments, s, char.name)
    thresholds = _thresholds(conditions)

    def keeps(value: Value) -> bool:
        return _keeps_segment(conditions, s, char.name, value)

    out: list[Witness | None] = []
    for b in char.bins:
        found: list[Value] = []
        if b.kind == "missing":
            found = [math.nan] if keeps(math.nan) else []
        elif b.kind == "special" and b.special_value is not None:
            value: Value = b.special_value if char.dtype == "numeric" else str(b.special_value)
            found = [value] if keeps(value) else []
        elif b.kind == "categories":
            found += [c for c in b.categories if keeps(c)][:1]
        else:
            whole, other = _interval_candidates(char, b, thresholds)
            if char.unit in _WHOLE:
                found = [x for x in whole if keeps(x)]
            found = found or [x for x in other if keeps(x)]
        out.append(Witness(found[0], found[-1]) if found else None)
    return out


def attainable_bins(segments: list[Segment], s: int, char: Characteristic) -> list[Witness | None]:
    """``bin_witnesses`` less the bins no training row fell in (``count`` 0, such as the missing bin of a
    column that is never missing): their points rest on no evidence, so no reason is measured against them
    and no statement or plan points to them. (When every reachable bin is empty, they all stay.)"""
    reach = bin_witnesses(segments, s, char)
    kept = [w if b.count > 0 else None for b, w in zip(char.bins, reach, strict=True)]
    return kept if any(w is not None for w in kept) else reach


def best_reachable_points(segments: list[Segment], s: int, char: Characteristic) -> int:
    """The most points a row of segment ``s`` can get from ``char`` by changing only its value, among the
    bins it can attain (``attainable_bins``)."""
    witnesses = attainable_bins(segments, s, char)
    return max(b.points for b, w in zip(char.bins, witnesses, strict=True) if w is not None)
