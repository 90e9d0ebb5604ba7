"""Recourse: the fewest and smallest changes, each in its characteristic's declared direction, that lift a
score to the next tier.

The moves a row may make are fixed per bin and built once (``MoveTables``): from an interval bin of a
characteristic declared ``lower`` (``higher``), to each reachable interval bin on that side. A move never
goes into or out of the missing bin or a special bin, never between category groups, and never changes a
characteristic declared ``none`` — whatever the points say, so recourse can never advise borrowing more,
applying for credit or using more of a limit when the declarations say ``lower`` for balances, inquiries
and utilisation. Its ``steps`` are the interval bins crossed; its value is the reachable value of the
target bin nearest the row's (``artifact.attainable_bins``), so applying it keeps the row in its segment.

The programme chooses among *units*, as reasons do (``artifact.reason_units``): a characteristic alone,
whose options are its moves to bins scoring more; or the pair of an interaction grid, standing where its
first is listed, whose options are the (bin a, bin b) combinations its members' moves reach — one member
moved (one change) or both (two changes; steps add up) — that raise the pair's joint points (points of
both bins plus the grid's cell). A member declared ``none`` stays where it is, but the other's gain still
counts the grid cell the row is in.

``plan_kernel`` then finds, per row, the plan of at most ``max_changes`` changes whose gain reaches the next
tier's minimum, by a small dynamic programme over the row's units: for each (number of changes, total
steps) the largest gain. The plan taken has the fewest changes, then the fewest steps, then the largest
gain (highest score); remaining ties go to the units listed first (and within a pair, to moving its first).
A change's own ``gain`` is what it gains by itself; with a pair's two members moved, the plan's gain is the
joint one, which the grid may make more (or less) than the sum of the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Characteristic,
    ScorecardArtifact,
    Witness,
    attainable_bins,
)
from lucidscore.score._kernel import run

IntArray = npt.NDArray[np.int64]

TOP_TIER = 1  # status codes of a row's plan
NOTHING_ACTIONABLE = 2
NO_PLAN = 3


@dataclass(frozen=True)
class MoveTables:
    """What a plan may do, built once per model (see the module docstring).

    *Moves* are single changes, what a plan lists: move ``m`` sets one characteristic to global bin
    ``to_bin[m]`` (value ``to_value[m]``), crossing ``steps[m]`` interval bins and gaining ``gain[m]``
    points by itself (for a pair's member: the joint points of the pair with the other member where it
    is). *Units* are what the programme chooses among, in each segment's listing order: a characteristic
    alone, or the pair of an interaction at its first's place. A unit's *cell* is where a row is in it (a
    bin; for a pair, a (bin a, bin b) combination): cell ``c`` of unit ``u`` is ``cell_start[u] + a *
    unit_cols[u] + b`` (local bin positions; ``b`` = 0 alone), worth ``cell_points[c]``. Its *options*
    are ``option_start[c] .. option_start[c + 1]``: one move (``option_move[o, 1]`` = -1) or, for a pair,
    both members' moves, with their ``option_changes``, total ``option_steps`` and joint ``option_gain``.
    """

    to_bin: IntArray
    steps: IntArray
    gain: IntArray
    to_value: npt.NDArray[np.float64]
    move_char: IntArray  # global characteristic each move changes
    actionable: npt.NDArray[np.bool_]  # per global characteristic: declares lower or higher
    max_steps: int
    seg_start: IntArray  # global characteristics of segment s: seg_start[s] .. seg_start[s + 1]
    seg_base: IntArray
    bin_start: IntArray  # global bins of characteristic c: bin_start[c] .. bin_start[c + 1]
    unit_start: IntArray  # units of segment s: unit_start[s] .. unit_start[s + 1]
    unit_first: IntArray  # global characteristic of the unit (a pair's first)
    unit_second: IntArray  # a pair's second (-1 alone)
    unit_cols: IntArray
    cell_start: IntArray
    cell_points: IntArray
    option_start: IntArray
    option_move: IntArray  # (options x 2), -1 where a member does not move
    option_changes: IntArray
    option_steps: IntArray
    option_gain: IntArray
    tier_mins: IntArray
    width: int  # most units in one segment


def _target_value(witness: Witness, direction: str) -> float:
    value = witness.high if direction == "lower" else witness.low
    return float(value)  # interval witnesses are numbers


def _targets(char: Characteristic, witnesses: list[Witness | None]) -> list[list[tuple[int, int, float]]]:
    """Per bin of ``char``: the (bin, steps, value) it may move to in the declared direction, nearest
    first — interval to reachable interval bins only, nothing for ``none`` or a categorical."""
    direction = char.advice_direction
    out: list[list[tuple[int, int, float]]] = [[] for _ in char.bins]
    if direction == "none" or char.dtype != "numeric":
        return out
    order = sorted(
        (i for i, b in enumerate(char.bins) if b.kind == "interval"),
        key=lambda i: -math.inf if char.bins[i].lower is None else char.bins[i].lower,  # type: ignore[arg-type,return-value]
    )
    for pos, i in enumerate(order):
        side = order[:pos][::-1] if direction == "lower" else order[pos + 1 :]
        for n, j in enumerate(side, start=1):
            witness = witnesses[j]
            if witness is not None:
                out[i].append((j, n, _target_value(witness, direction)))
    return out


class _Builder:
    """Collects moves and options cell by cell."""

    def __init__(self) -> None:
        self.to_bin: list[int] = []
        self.steps: list[int] = []
        self.gain: list[int] = []
        self.to_value: list[float] = []
        self.move_char: list[int] = []
        self.option_start = [0]
        self.option_move: list[tuple[int, int]] = []
        self.option_changes: list[int] = []
        self.option_steps: list[int] = []
        self.option_gain: list[int] = []

    def move(self, char: int, to_bin: int, steps: int, gain: int, value: float) -> int:
        self.to_bin.append(to_bin)
        self.steps.append(steps)
        self.gain.append(gain)
        self.to_value.append(value)
        self.move_char.append(char)
        return len(self.to_bin) - 1

    def option(self, moves: tuple[int, int], gain: int) -> None:
        self.option_move.append(moves)
        self.option_changes.append(sum(m >= 0 for m in moves))
        self.option_steps.append(sum(self.steps[m] for m in moves if m >= 0))
        self.option_gain.append(gain)

    def end_cell(self) -> None:
        self.option_start.append(len(self.option_move))


def move_tables(
    artifact: ScorecardArtifact, witnesses: list[list[Witness | None]] | None = None
) -> MoveTables:
    """Every cell's options, in the declared directions only (see the module docstring). ``witnesses``:
    the attainable bins of every characteristic in global order (``CompiledScorecard.witnesses``),
    computed here when not given."""
    segments = artifact.segments
    chars = [c for seg in segments for c in seg.characteristics]
    if witnesses is None:
        witnesses = [
            attainable_bins(segments, s, c) for s, seg in enumerate(segments) for c in seg.characteristics
        ]
    bin_start = np.cumsum([0, *(len(c.bins) for c in chars)])
    seg_start = np.cumsum([0, *(len(seg.characteristics) for seg in segments)])
    targets = [_targets(c, w) for c, w in zip(chars, witnesses, strict=True)]
    b = _Builder()
    unit_start, unit_first, unit_second, unit_cols, cell_start = [0], [], [], [], [0]
    cell_points: list[int] = []
    for s, seg in enumerate(segments):
        first = int(seg_start[s])
        position = {c.name: first + i for i, c in enumerate(seg.characteristics)}
        pair_of = {inter.first: inter for inter in seg.interactions}
        seconds = {inter.second for inter in seg.interactions}
        for i, char in enumerate(seg.characteristics):
            c = first + i
            if char.name in seconds:
                continue
            own = [bn.points for bn in char.bins]
            inter = pair_of.get(char.name)
            if inter is None:  # a characteristic alone: a move to each target scoring more
                for a in range(len(char.bins)):
                    for to, steps, value in targets[c][a]:
                        if own[to] > own[a]:
                            m = b.move(c, int(bin_start[c]) + to, steps, own[to] - own[a], value)
                            b.option((m, -1), own[to] - own[a])
                    b.end_cell()
                unit_second.append(-1)
                unit_cols.append(1)
                cell_points += own
            else:  # a pair: (bin a, bin b) combinations, each member in its own direction
                d = position[inter.second]
                other = segments[s].characteristics[d - first]
                joint = (
                    np.asarray(own, dtype=np.int64)[:, None]
                    + np.asarray([bn.points for bn in other.bins], dtype=np.int64)[None, :]
                    + np.asarray(inter.points_by_bin(), dtype=np.int64)
                )
                for a in range(joint.shape[0]):
                    for e in range(joint.shape[1]):
                        here = int(joint[a, e])
                        ma = [  # (target bin or the bin itself, move or -1)
                            (to, b.move(c, int(bin_start[c]) + to, st, int(joint[to, e]) - here, v))
                            for to, st, v in targets[c][a]
                        ]
                        mb = [
                            (to, b.move(d, int(bin_start[d]) + to, st, int(joint[a, to]) - here, v))
                            for to, st, v in targets[d][e]
                        ]
                        # The first member's moves first (ties go to the characteristic listed first).
                        for to_a, move_a in [*ma, (a, -1)]:
                            for to_b, move_b in [(e, -1), *mb]:
                                gain = int(joint[to_a, to_b]) - here
                                if (move_a >= 0 or move_b >= 0) and gain > 0:
                                    b.option((move_a, move_b), gain)
                        b.end_cell()
                unit_second.append(d)
                unit_cols.append(joint.shape[1])
                cell_points += [int(x) for x in joint.ravel()]
            unit_first.append(c)
            cell_start.append(len(cell_points))
        unit_start.append(len(unit_first))

    def ints(values: npt.ArrayLike) -> IntArray:
        return np.asarray(values, dtype=np.int64)

    return MoveTables(
        to_bin=ints(b.to_bin),
        steps=ints(b.steps),
        gain=ints(b.gain),
        to_value=np.asarray(b.to_value, dtype=np.float64),
        move_char=ints(b.move_char),
        actionable=np.asarray([c.advice_direction != "none" for c in chars], dtype=np.bool_),
        max_steps=max(b.steps, default=0),
        seg_start=ints(seg_start),
        seg_base=ints([seg.base_points for seg in segments]),
        bin_start=ints(bin_start),
        unit_start=ints(unit_start),
        unit_first=ints(unit_first),
        unit_second=ints(unit_second),
        unit_cols=ints(unit_cols),
        cell_start=ints(cell_start[:-1]),
        cell_points=ints(cell_points),
        option_start=ints(b.option_start),
        option_move=np.asarray(b.option_move, dtype=np.int64).reshape(-1, 2),
        option_changes=ints(b.option_changes),
        option_steps=ints(b.option_steps),
        option_gain=ints(b.option_gain),
        tier_mins=ints([t.min_score for t in artifact.scaling.tiers]),
        width=max(1, int(np.diff(unit_start).max(initial=0))),
    )


@njit(cache=True, nogil=True)
def cells_kernel(
    bins: npt.NDArray[np.int32],
    seg: npt.NDArray[np.int32],
    seg_start: IntArray,
    seg_base: IntArray,
    bin_start: IntArray,
    unit_start: IntArray,
    unit_first: IntArray,
    unit_second: IntArray,
    unit_cols: IntArray,
    cell_start: IntArray,
    cell_points: IntArray,
    width: int,
) -> tuple[IntArray, IntArray]:
    """Per row: the cell of each unit of its segment (n x width, -1 past the segment's units) and the raw
    points (base points plus every unit's cell points: bins and grids), from its global bins."""
    n = bins.shape[0]
    cells = np.full((n, width), -1, dtype=np.int64)
    raw = np.empty(n, dtype=np.int64)
    for i in range(n):
        s = seg[i]
        first = seg_start[s]
        total = seg_base[s]
        for u in range(unit_start[s], unit_start[s + 1]):
            c = unit_first[u]
            a = bins[i, c - first] - bin_start[c]
            e = 0
            d = unit_second[u]
            if d >= 0:
                e = bins[i, d - first] - bin_start[d]
            cell = cell_start[u] + a * unit_cols[u] + e
            cells[i, u - unit_start[s]] = cell
            total += cell_points[cell]
        raw[i] = total
    return cells, raw


@njit(cache=True, nogil=True)
def plan_kernel(
    seg_start: IntArray,
    unit_start: IntArray,
    unit_first: IntArray,
    unit_second: IntArray,
    cells: IntArray,
    seg: npt.NDArray[np.int32],
    needed: IntArray,
    option_start: IntArray,
    option_move: IntArray,
    option_changes: IntArray,
    option_steps: IntArray,
    option_gain: IntArray,
    actionable: npt.NDArray[np.bool_],
    max_changes: int,
    max_steps: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Per row: the chosen moves (n x max_changes, -1 = none), their total gain and a status (0 = a plan;
    TOP_TIER when ``needed`` < 0; NOTHING_ACTIONABLE; NO_PLAN)."""
    n = cells.shape[0]
    width = cells.shape[1]
    k_max = max_changes
    s_max = max_changes * max_steps
    plan = np.full((n, k_max), -1, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    best = np.empty((width + 1, k_max + 1, s_max + 1), dtype=np.int64)
    choice = np.empty((width + 1, k_max + 1, s_max + 1), dtype=np.int64)
    for i in range(n):
        if needed[i] < 0:
            status[i] = 1
            continue
        s = seg[i]
        any_actionable = False
        for c in range(seg_start[s], seg_start[s + 1]):
            if actionable[c]:
                any_actionable = True
        if not any_actionable:
            status[i] = 2
            continue
        m = unit_start[s + 1] - unit_start[s]
        best[0, :, :] = -1
        best[0, 0, 0] = 0
        for j in range(m):
            best[j + 1, :, :] = best[j, :, :]
            choice[j + 1, :, :] = -1
            cell = cells[i, j]
            for op in range(option_start[cell], option_start[cell + 1]):
                ch = option_changes[op]
                st = option_steps[op]
                g = option_gain[op]
                for k in range(ch, k_max + 1):
                    for t in range(st, s_max + 1):
                        before = best[j, k - ch, t - st]
                        if before >= 0 and before + g > best[j + 1, k, t]:
                            best[j + 1, k, t] = before + g
                            choice[j + 1, k, t] = op
        pick_k = -1
        pick_t = -1
        for k in range(1, k_max + 1):
            for t in range(s_max + 1):
                if best[m, k, t] >= needed[i]:
                    pick_k = k
                    pick_t = t
                    break
            if pick_k >= 0:
                break
        if pick_k < 0:
            status[i] = 3
            continue
        total[i] = best[m, pick_k, pick_t]
        k = pick_k
        t = pick_t
        slot = 0
        for j in range(m - 1, -1, -1):
            op = choice[j + 1, k, t]
            if op >= 0:
                for r in range(2):
                    if option_move[op, r] >= 0:
                        plan[i, slot] = option_move[op, r]
                        slot += 1
                k -= option_changes[op]
                t -= option_steps[op]
    return plan, total, status


@dataclass(frozen=True)
class Plans:
    """Recourse for a batch: per row the moves taken (indices into ``MoveTables``, n x max_changes, -1 =
    none, in the model's characteristic order), the target tier index (-1 at the top), the new score, a
    status (0 = a plan; ``TOP_TIER``, ``NOTHING_ACTIONABLE``, ``NO_PLAN``) and the raw points the plan
    starts from (base points plus the points of every bin and grid: the score before the clip)."""

    moves: IntArray
    target_tier: IntArray
    target_score: IntArray
    new_score: IntArray
    status: npt.NDArray[np.int8]
    raw: IntArray


def plan_recourse(
    tables: MoveTables,
    bins: npt.NDArray[np.int32],
    segment: npt.NDArray[np.int32],
    scores: npt.ArrayLike,
    max_changes: int,
) -> Plans:
    """The plans of a batch, from its global bins (``CompiledScorecard.bins``, n x most characteristics
    in a segment) and scores."""
    cells, raw = run(
        cells_kernel,
        np.asarray(bins, dtype=np.int32),
        np.asarray(segment, dtype=np.int32),
        tables.seg_start,
        tables.seg_base,
        tables.bin_start,
        tables.unit_start,
        tables.unit_first,
        tables.unit_second,
        tables.unit_cols,
        tables.cell_start,
        tables.cell_points,
        tables.width,
    )
    mins = tables.tier_mins
    tier = np.searchsorted(mins, np.asarray(scores, dtype=np.int64), side="right") - 1
    top = tier >= len(mins) - 1
    target_tier = np.where(top, -1, tier + 1)
    target_score = np.where(top, -1, mins[np.minimum(tier + 1, len(mins) - 1)])
    needed = np.where(top, -1, np.maximum(target_score - raw, 0))
    moves, gain, status = run(
        plan_kernel,
        tables.seg_start,
        tables.unit_start,
        tables.unit_first,
        tables.unit_second,
        cells,
        np.asarray(segment, dtype=np.int32),
        needed.astype(np.int64),
        tables.option_start,
        tables.option_move,
        tables.option_changes,
        tables.option_steps,
        tables.option_gain,
        tables.actionable,
        max(1, max_changes),
        max(1, tables.max_steps),
    )
    # A plan lists its changes in the model's characteristic order (a pair's second may come after
    # characteristics listed between its members); without grids, moves are numbered in that order.
    unused = np.iinfo(np.int64).max
    char = np.append(tables.move_char, 0)[moves]
    key = np.where(moves >= 0, char * (len(tables.to_bin) + 1) + moves, unused)
    order = np.argsort(key, axis=1, kind="stable")
    moves = np.take_along_axis(moves, order, axis=1)
    new_score = np.where(status == 0, np.clip(raw + gain, MIN_SCORE, MAX_SCORE), -1)
    return Plans(moves, target_tier, target_score, new_score, status, raw)
