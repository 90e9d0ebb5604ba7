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
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact._model import Bin, Characteristic, Condition, Segment
from lucidscore.artifact._reference import bin_index, condition_mask, segment_of_rows
from lucidscore.artifact._texts import MAX_PRINCIPAL_REASONS, is_inquiry_characteristic
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


@dataclass(frozen=True)
class ReasonUnit:
    """What one reason names (docs/scoring.md, "Interactions"): a characteristic alone, or the pair of an
    interaction, which stands where its ``first`` characteristic is listed.

    ``points`` are the unit's points by bin: shape (bins,) for a characteristic; (first's bins, second's
    bins) for a pair, its joint points points(a) + points(b) + grid cell of (a, b). ``attainable`` has the
    same shape: the bins (pairs of bins) a row of the segment can reach by changing the unit's values
    alone (a pair: both bins attainable; its two columns move independently)."""

    members: tuple[int, ...]  # positions in the segment's characteristics: (i,) or (first, second)
    interaction: int | None  # position in the segment's interactions, for a pair
    code: str
    points: npt.NDArray[np.int64]
    attainable: npt.NDArray[np.bool_]
    inquiry: bool

    @property
    def best(self) -> int:
        """The most points a row of the segment can get from the unit by changing its values alone."""
        return int(self.points[self.attainable].max())


def reason_units(segments: list[Segment], s: int) -> list[ReasonUnit]:
    """The reason units of segment ``s``, in the order ties are broken (the segment's listing order)."""
    seg = segments[s]
    chars = seg.characteristics
    position = {c.name: i for i, c in enumerate(chars)}
    pair_of = {inter.first: k for k, inter in enumerate(seg.interactions)}
    seconds = {inter.second for inter in seg.interactions}
    reach = [np.array([w is not None for w in attainable_bins(segments, s, c)]) for c in chars]
    own = [np.array([b.points for b in c.bins], dtype=np.int64) for c in chars]
    units: list[ReasonUnit] = []
    for i, char in enumerate(chars):
        if char.name in seconds:
            continue
        if char.name not in pair_of:
            units.append(
                ReasonUnit((i,), None, char.reason_code, own[i], reach[i], is_inquiry_characteristic(char))
            )
            continue
        k = pair_of[char.name]
        inter = seg.interactions[k]
        j = position[inter.second]
        joint = own[i][:, None] + own[j][None, :] + np.array(inter.points_by_bin(), dtype=np.int64)
        units.append(
            ReasonUnit(
                (i, j),
                k,
                f"{char.reason_code}+{chars[j].reason_code}",
                joint,
                reach[i][:, None] & reach[j][None, :],
                is_inquiry_characteristic(char) or is_inquiry_characteristic(chars[j]),
            )
        )
    return units


def reference_reasons(
    segments: list[Segment], frame: pd.DataFrame, k: int = MAX_PRINCIPAL_REASONS
) -> list[list[tuple[str, int]]]:
    """Each row's reasons by the rule, slowly: (code, points lost) of the ``k`` units that lost the most
    points (largest first; ties to the unit listed first; none that lost nothing), then the first
    recent-inquiries unit that lost points but is not among them, if any."""
    seg_idx = segment_of_rows(segments, frame)
    out: list[list[tuple[str, int]]] = [[] for _ in range(len(frame))]
    for s, seg in enumerate(segments):
        rows = np.flatnonzero(seg_idx == s)
        if rows.size == 0:
            continue
        part = frame.iloc[rows]
        at = [bin_index(c, part[c.name], positions=rows) for c in seg.characteristics]
        units = reason_units(segments, s)
        lost = np.stack(
            [unit.best - unit.points[tuple(at[m] for m in unit.members)] for unit in units], axis=1
        )
        for row, losses in zip(rows, lost, strict=True):
            order = sorted((u for u in range(len(units)) if losses[u] > 0), key=lambda u: (-losses[u], u))
            picked = order[:k]
            out[row] = [(units[u].code, int(losses[u])) for u in picked]
            extra = next((u for u in range(len(units)) if units[u].inquiry and u in order[k:]), None)
            if extra is not None:
                out[row].append((units[extra].code, int(losses[extra])))
    return out
