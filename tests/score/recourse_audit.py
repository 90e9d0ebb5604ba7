"""An audit of recourse over a whole population, pairs of interaction grids included, by the plain reference
rule only (``lucidscore.artifact``): for every consumer and every step of their plan,

- the step moves its characteristic in its declared advice direction only (``lower`` or ``higher``: never a
  characteristic declared ``none``, never up for a balance, a limit's use, debt or applications), from a
  value that is neither missing nor a special code, to a value inside the range the step names;
- rescoring the consumer with that step's value alone gives its ``score_alone`` and ``points_gained``, and
  with every step's value the plan's ``new_score`` (at least the target), in the same segment: the points
  claimed are the points the card pays, the grid's cells included;
- no plan relies on a grid cell that pays for a step against a declaration: where a plan changes a member
  of a grid, the cell it lands in is worth no more than any cell the consumer could reach from it by moving
  a declared member further in its declared direction, whenever the grid's own points are what make it
  worth more (a card's own bins that run against a declaration are not the grid's doing, and no step
  moves towards them: the first check).

Shared by ``tests/score/test_population.py`` and ``benchmarks/bench_explain.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Characteristic,
    Explanation,
    ScorecardArtifact,
    attainable_bins,
    bin_index,
    raw_points,
    segment_of_rows,
)

# Never advised upwards, whatever a card learned: more debt, more credit, more applications, more of a limit.
NEVER_MORE = {"total_credit_balance", "revolving_utilisation", "utilisation_trend", "debt_to_income",
              "inquiries_6m", "inquiries_12m", "accounts_opened_12m"}  # fmt: skip


@dataclass
class Audit:
    """What the audit saw, and every violation found (one line each, naming the row and the step)."""

    consumers: int = 0
    plans: int = 0
    steps: int = 0
    pair_plans: int = 0  # plans changing a member of a grid
    both_members: int = 0  # plans changing both members of one grid
    grid_counted: int = 0  # plans whose points the grid changes (their gain without the grid differs)
    violations: list[str] = field(default_factory=list)


def _interval_order(char: Characteristic, segments: ScorecardArtifact, s: int) -> list[int]:
    """The characteristic's attainable interval bins, lowest values first."""
    reach = attainable_bins(segments.segments, s, char)
    order = [i for i, b in enumerate(char.bins) if b.kind == "interval" and reach[i] is not None]
    return sorted(order, key=lambda i: -math.inf if char.bins[i].lower is None else char.bins[i].lower)  # type: ignore[arg-type,return-value]


def _further(char: Characteristic, order: list[int], at: int) -> list[int]:
    """The attainable interval bins beyond bin ``at`` in the characteristic's declared direction."""
    if at not in order or char.advice_direction not in ("lower", "higher"):
        return []
    k = order.index(at)
    return order[:k] if char.advice_direction == "lower" else order[k + 1 :]


def _with_values(frame: pd.DataFrame, values: list[tuple[int, str, float]]) -> pd.DataFrame:
    """A copy of ``frame`` with the cell (row position, column) set to each value."""
    out = frame.copy()
    by_column: dict[str, tuple[list[int], list[float]]] = {}
    for i, name, value in values:
        rows, cells = by_column.setdefault(name, ([], []))
        rows.append(i)
        cells.append(value)
    for name, (rows, cells) in by_column.items():
        column = out[name].to_numpy(dtype=np.float64, copy=True)
        column[rows] = cells
        out[name] = column
    return out


def audit_recourse(art: ScorecardArtifact, frame: pd.DataFrame, explained: list[Explanation]) -> Audit:
    """Audit every consumer's plan (module docstring); ``explained`` is ``explain_frame(art, frame, ...)``."""
    out = Audit(consumers=len(frame))
    segments = art.segments
    raw = raw_points(segments, frame)
    seg = segment_of_rows(segments, frame)
    by_name = [{c.name: c for c in s.characteristics} for s in segments]
    member_of = [{n: k for k, i in enumerate(s.interactions) for n in (i.first, i.second)} for s in segments]
    steps: list[tuple[int, str, float, int, int]] = []  # row, characteristic, value, score alone, gain
    planned = np.zeros(len(frame), dtype=bool)
    for i, e in enumerate(explained):
        s = int(seg[i])
        for c in e.recourse.changes:
            name = c.characteristic
            char = by_name[s][name]
            now = frame[name].iloc[i]
            where = f"row {i} step {name}"
            advice = char.advice_direction
            if advice not in ("lower", "higher") or c.direction != advice:
                out.violations.append(f"{where}: direction {c.direction}, declared {advice}")
            if name in NEVER_MORE and c.direction != "lower":
                out.violations.append(f"{where}: advises more ({c.direction})")
            to = c.to_value
            if pd.isna(now) or now in char.special_values or to is None or math.isnan(to):
                out.violations.append(f"{where}: from {now!r} to {to!r} (missing or special)")
                continue
            if not ((to < now) if advice == "lower" else (to > now)):
                out.violations.append(f"{where}: {now} -> {to} is not {advice}")
            lo = -math.inf if c.to_lower is None else c.to_lower
            hi = math.inf if c.to_upper is None else c.to_upper
            if not lo <= to < hi:
                out.violations.append(f"{where}: value {to} outside the range named [{lo}, {hi})")
            steps.append((i, name, to, c.score_alone, c.points_gained))
        if e.recourse.changes:
            planned[i] = True
            out.plans += 1
            grids = [member_of[s].get(c.characteristic) for c in e.recourse.changes]
            touched = {k for k in grids if k is not None}
            out.pair_plans += bool(touched)
            out.both_members += any(grids.count(k) == 2 for k in touched)
    out.steps = len(steps)
    if steps:  # each step alone: one copy of its row with that value changed
        at = np.asarray([r for r, *_ in steps])
        alone = _with_values(
            frame.iloc[at].reset_index(drop=True), [(k, n, v) for k, (_, n, v, *_) in enumerate(steps)]
        )
        after = raw_points(segments, alone)
        moved = segment_of_rows(segments, alone)
        for k, (i, name, _, score_alone, gained) in enumerate(steps):
            got = int(np.clip(after[k], MIN_SCORE, MAX_SCORE))
            if got != score_alone or after[k] - raw[i] != gained or moved[k] != seg[i]:
                out.violations.append(
                    f"row {i} step {name}: claims {gained:+d} (score {score_alone}); rescored "
                    f"{after[k] - raw[i]:+d} (score {got}, segment {moved[k]} for {seg[i]})"
                )
    changed = _with_values(frame, [(i, n, v) for i, n, v, *_ in steps])
    after = raw_points(segments, changed)
    stated = np.asarray([e.recourse.new_score if e.recourse.new_score is not None else -1 for e in explained])
    target = np.asarray([e.recourse.target_score or 0 for e in explained])
    rescored = np.clip(after, MIN_SCORE, MAX_SCORE)
    for i in np.flatnonzero(planned & ((rescored != stated) | (stated < target))):
        out.violations.append(
            f"row {i}: plan claims {stated[i]} (target {target[i]}); rescored {rescored[i]}"
        )
    for i in np.flatnonzero(planned & (segment_of_rows(segments, changed) != seg)):
        out.violations.append(f"row {i}: the plan moves the consumer out of segment {seg[i]}")
    gridless = [seg_.model_copy(update={"interactions": []}) for seg_ in segments]
    plain_gain = raw_points(gridless, changed) - raw_points(gridless, frame)
    out.grid_counted = int((planned & (plain_gain != after - raw)).sum())
    out.violations += _grid_cells(art, changed, seg, planned, frame)
    return out


def _grid_cells(
    art: ScorecardArtifact, changed: pd.DataFrame, seg: np.ndarray, planned: np.ndarray, frame: pd.DataFrame
) -> list[str]:
    """Plans that land, in a grid they change, in a cell the grid pays for standing against a declaration."""
    found: list[str] = []
    for s, segment in enumerate(art.segments):
        chars = {c.name: c for c in segment.characteristics}
        rows = np.flatnonzero((seg == s) & planned)
        for inter in segment.interactions:
            first, second = chars[inter.first], chars[inter.second]
            a0, b0 = bin_index(first, frame[first.name]), bin_index(second, frame[second.name])
            a1, b1 = bin_index(first, changed[first.name]), bin_index(second, changed[second.name])
            grid = np.asarray(inter.points_by_bin(), dtype=np.int64)
            joint = (
                np.asarray([b.points for b in first.bins])[:, None]
                + np.asarray([b.points for b in second.bins])[None, :]
                + grid
            )
            orders = (_interval_order(first, art, s), _interval_order(second, art, s))
            for i in rows:
                a, b = int(a1[i]), int(b1[i])
                if (a, b) == (int(a0[i]), int(b0[i])):
                    continue  # the plan does not change this grid's cell
                beyond = [(x, b) for x in _further(first, orders[0], a)]
                beyond += [(a, y) for y in _further(second, orders[1], b)]
                for x, y in beyond:
                    if joint[x, y] < joint[a, b] and grid[x, y] < grid[a, b]:
                        found.append(
                            f"row {i}: lands in {first.name} {first.bins[a].label} x {second.name} "
                            f"{second.bins[b].label} ({joint[a, b]} points), which the grid pays more than "
                            f"{first.name} {first.bins[x].label} x {second.name} {second.bins[y].label}, "
                            f"further in the declared directions ({joint[x, y]} points)"
                        )
    return found
