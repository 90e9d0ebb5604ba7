"""Recourse: the fewest and smallest changes, each in its characteristic's declared direction, that lift a
score to the next tier.

The moves a row may make are fixed per bin and built once (``MoveTables``): from an interval bin of a
characteristic declared ``lower`` (``higher``), to each reachable interval bin on that side that scores
more points. A move never goes into or out of the missing bin or a special bin, never between category
groups, and never changes a characteristic declared ``none`` — whatever the points say, so recourse can
never advise borrowing more, applying for credit or using more of a limit when the declarations say
``lower`` for balances, inquiries and utilisation. Its ``steps`` are the interval bins crossed; its value
is the reachable value of the target bin nearest the row's (``artifact.attainable_bins``), so applying it
keeps the row in its segment.

``plan_kernel`` then finds, per row, the plan of at most ``max_changes`` moves (one per characteristic)
whose gain reaches the next tier's minimum, by a small dynamic programme over the row's characteristics:
for each (number of changes, total steps) the largest gain. The plan taken has the fewest changes, then the
fewest steps, then the largest gain (highest score); remaining ties go to the characteristics listed first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numba import njit

from lucidscore.artifact import MAX_SCORE, MIN_SCORE, Witness
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._kernel import run

IntArray = npt.NDArray[np.int64]

TOP_TIER = 1  # status codes of a row's plan
NOTHING_ACTIONABLE = 2
NO_PLAN = 3


@dataclass(frozen=True)
class MoveTables:
    """Allowed moves of every global bin: moves of bin b are ``start[b] .. start[b + 1]``."""

    start: IntArray
    to_bin: IntArray
    steps: IntArray
    gain: IntArray
    to_value: npt.NDArray[np.float64]
    actionable: npt.NDArray[np.bool_]  # per global characteristic: declares lower or higher
    max_steps: int


def _target_value(witness: Witness, direction: str) -> float:
    value = witness.high if direction == "lower" else witness.low
    return float(value)  # interval witnesses are numbers


def move_tables(compiled: CompiledScorecard) -> MoveTables:
    """Every bin's allowed moves, in the declared direction only (see the module docstring)."""
    points = compiled.points_of_bin
    start = [0]
    to_bin: list[int] = []
    steps: list[int] = []
    gain: list[int] = []
    to_value: list[float] = []
    actionable = []
    for c, (char, witnesses) in enumerate(zip(compiled.characteristics, compiled.witnesses, strict=True)):
        offset = int(compiled.bin_start[c])
        direction = char.advice_direction
        usable = direction != "none" and char.dtype == "numeric"
        actionable.append(direction != "none")
        order = sorted(
            (i for i, b in enumerate(char.bins) if b.kind == "interval"),
            key=lambda i: -math.inf if char.bins[i].lower is None else char.bins[i].lower,  # type: ignore[arg-type,return-value]
        )
        for i in range(len(char.bins)):
            if usable and i in order:
                pos = order.index(i)
                side = order[:pos][::-1] if direction == "lower" else order[pos + 1 :]
                for n, j in enumerate(side, start=1):
                    witness = witnesses[j]
                    if witness is None or points[offset + j] <= points[offset + i]:
                        continue
                    to_bin.append(offset + j)
                    steps.append(n)
                    gain.append(int(points[offset + j] - points[offset + i]))
                    to_value.append(_target_value(witness, direction))
            start.append(len(to_bin))
    return MoveTables(
        start=np.asarray(start, dtype=np.int64),
        to_bin=np.asarray(to_bin, dtype=np.int64),
        steps=np.asarray(steps, dtype=np.int64),
        gain=np.asarray(gain, dtype=np.int64),
        to_value=np.asarray(to_value, dtype=np.float64),
        actionable=np.asarray(actionable, dtype=np.bool_),
        max_steps=max(steps, default=0),
    )


@njit(cache=True, nogil=True)
def plan_kernel(
    seg_start: IntArray,
    bins: npt.NDArray[np.int32],
    seg: npt.NDArray[np.int32],
    needed: IntArray,
    move_start: IntArray,
    move_steps: IntArray,
    move_gain: IntArray,
    actionable: npt.NDArray[np.bool_],
    max_changes: int,
    max_steps: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Per row: the chosen moves (n x max_changes, -1 = none), their total gain and a status (0 = a plan;
    TOP_TIER when ``needed`` < 0; NOTHING_ACTIONABLE; NO_PLAN)."""
    n = bins.shape[0]
    width = bins.shape[1]
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
        first = seg_start[s]
        m = seg_start[s + 1] - first
        any_actionable = False
        for j in range(m):
            if actionable[first + j]:
                any_actionable = True
        if not any_actionable:
            status[i] = 2
            continue
        best[0, :, :] = -1
        best[0, 0, 0] = 0
        for j in range(m):
            best[j + 1, :, :] = best[j, :, :]
            choice[j + 1, :, :] = -1
            b = bins[i, j]
            for mv in range(move_start[b], move_start[b + 1]):
                st = move_steps[mv]
                g = move_gain[mv]
                for k in range(1, k_max + 1):
                    for t in range(st, s_max + 1):
                        before = best[j, k - 1, t - st]
                        if before >= 0 and before + g > best[j + 1, k, t]:
                            best[j + 1, k, t] = before + g
                            choice[j + 1, k, t] = mv
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
            mv = choice[j + 1, k, t]
            if mv >= 0:
                plan[i, slot] = mv
                slot += 1
                k -= 1
                t -= move_steps[mv]
    return plan, total, status


@dataclass(frozen=True)
class Plans:
    """Recourse for a batch: per row the moves taken (indices into ``MoveTables``, n x max_changes, -1 =
    none, in the model's characteristic order), the target tier index (-1 at the top), the new score and a
    status (0 = a plan; ``TOP_TIER``, ``NOTHING_ACTIONABLE``, ``NO_PLAN``)."""

    moves: IntArray
    target_tier: IntArray
    target_score: IntArray
    new_score: IntArray
    status: npt.NDArray[np.int8]


def plan_recourse(
    compiled: CompiledScorecard,
    tables: MoveTables,
    bins: npt.NDArray[np.int32],
    segment: npt.NDArray[np.int32],
    raw: IntArray,
    scores: npt.ArrayLike,
    max_changes: int,
) -> Plans:
    """The plans of a batch, from its bins (``CompiledScorecard.bins``), raw points and scores."""
    scaling = compiled.artifact.scaling
    mins = np.asarray([t.min_score for t in scaling.tiers], dtype=np.int64)
    tier = np.searchsorted(mins, np.asarray(scores, dtype=np.int64), side="right") - 1
    top = tier >= len(mins) - 1
    target_tier = np.where(top, -1, tier + 1)
    target_score = np.where(top, -1, mins[np.minimum(tier + 1, len(mins) - 1)])
    needed = np.where(top, -1, np.maximum(target_score - raw, 0))
    moves, gain, status = run(
        plan_kernel,
        compiled.tables.seg_start,
        bins,
        segment,
        needed.astype(np.int64),
        tables.start,
        tables.steps,
        tables.gain,
        tables.actionable,
        max(1, max_changes),
        max(1, tables.max_steps),
    )
    # Moves are numbered bin by bin in the model's characteristic order: sorting them (unused slots last)
    # lists a plan's changes in that order.
    unused = np.iinfo(np.int64).max
    ordered = np.sort(np.where(moves >= 0, moves, unused), axis=1)
    moves = np.where(ordered == unused, -1, ordered)
    new_score = np.where(status == 0, np.clip(raw + gain, MIN_SCORE, MAX_SCORE), -1)
    return Plans(moves, target_tier, target_score, new_score, status)
