"""Explanations: per row the score, family contributions, reasons and recourse to the next tier.

Recourse is the smallest set of changes to characteristics marked ``actionable`` that lifts the score to
the next tier's minimum. A change moves a characteristic from its bin to a better-scoring one: along the
ordered interval bins one step per adjacent bin, or one step from a missing/special bin (reporting a
value) or between category groups. Plans are ranked by total steps, then by the number of
characteristics changed, then by the higher resulting score, then by the model's characteristic order,
so the answer is deterministic. The row's segment is kept as it is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pandas as pd

from lucidscore.artifact import (
    MAX_PRINCIPAL_REASONS,
    MAX_SCORE,
    MIN_SCORE,
    Change,
    Characteristic,
    Explanation,
    Reason,
    Recourse,
    ScorecardArtifact,
)
from lucidscore.policy.families import ALL_FAMILIES, UNUSED_FAMILY
from lucidscore.score._compiled import CompiledScorecard


@dataclass(frozen=True)
class _Option:
    char: int  # global characteristic index
    to_bin: int  # global bin index
    steps: int
    gain: int


def _options(compiled: CompiledScorecard, c: int, b: int) -> list[_Option]:
    """Better bins a row in global bin ``b`` of characteristic ``c`` could move to."""
    char = compiled.characteristics[c]
    offset = int(compiled.bin_start[c])
    pts = compiled.points_of_bin
    current = char.bins[b - offset]
    if current.kind == "interval":
        order = sorted(
            (i for i, x in enumerate(char.bins) if x.kind == "interval"),
            key=lambda i: float("-inf") if char.bins[i].lower is None else char.bins[i].lower,  # type: ignore[arg-type, return-value]
        )
        pos = order.index(b - offset)
        moves = [(offset + i, abs(p - pos)) for p, i in enumerate(order) if p != pos]
    else:
        kinds = ("categories",) if char.dtype == "categorical" else ("interval",)
        if current.kind == "categories":
            moves = [
                (offset + i, 1) for i, x in enumerate(char.bins) if x.kind == "categories" and i != b - offset
            ]
        else:
            moves = [(offset + i, 1) for i, x in enumerate(char.bins) if x.kind in kinds]
    better = sorted(
        (_Option(c, to, steps, int(pts[to] - pts[b])) for to, steps in moves if pts[to] > pts[b]),
        key=lambda o: (o.steps, -o.gain, o.to_bin),
    )
    # Keep the frontier: a move with more steps is only worth considering if it gains more points.
    frontier: list[_Option] = []
    for option in better:
        if not frontier or option.gain > frontier[-1].gain:
            frontier.append(option)
    return frontier


def _clip(raw: int) -> int:
    return min(max(raw, MIN_SCORE), MAX_SCORE)


def _plan(
    options: list[list[_Option]], raw: int, needed: int, max_changes: int
) -> tuple[_Option, ...] | None:
    """The cheapest combination (one option per characteristic) with total gain >= needed."""
    best: tuple[tuple[int, int, int, tuple[int, ...]], tuple[_Option, ...]] | None = None
    for size in range(1, max_changes + 1):
        for group in itertools.combinations(options, size):
            for combo in itertools.product(*group):
                gain = sum(o.gain for o in combo)
                if gain < needed:
                    continue
                key = (sum(o.steps for o in combo), size, -_clip(raw + gain), tuple(o.char for o in combo))
                if best is None or key < best[0]:
                    best = (key, combo)
    return None if best is None else best[1]


def _recourse(
    compiled: CompiledScorecard, row_bins: list[int], chars: range, raw: int, score: int, max_changes: int
) -> Recourse:
    scaling = compiled.artifact.scaling
    nxt = scaling.next_tier(score)
    if nxt is None:
        return Recourse(target_tier=None, target_score=None, note="already in the top tier")
    actionable = [c for c in chars if compiled.characteristics[c].actionable]
    if not actionable:
        return Recourse(
            target_tier=nxt.name,
            target_score=nxt.min_score,
            note="none of this model's characteristics is marked actionable",
        )
    options = [
        opts
        for c, b in zip(chars, row_bins, strict=True)
        if c in actionable
        if (opts := _options(compiled, c, b))
    ]
    plan = _plan(options, raw, nxt.min_score - raw, max_changes)
    if plan is None:
        return Recourse(
            target_tier=nxt.name,
            target_score=nxt.min_score,
            note=f"no change to up to {max_changes} actionable characteristic(s) reaches "
            f"{nxt.name} ({nxt.min_score}+)",
        )
    changes = []
    for o in plan:
        char: Characteristic = compiled.characteristics[o.char]
        offset = int(compiled.bin_start[o.char])
        frm = char.bins[row_bins[chars.index(o.char)] - offset]
        to = char.bins[o.to_bin - offset]
        changes.append(
            Change(
                characteristic=char.name,
                description=char.description,
                family=char.family,
                from_label=frm.label,
                to_label=to.label,
                to_lower=to.lower,
                to_upper=to.upper,
                to_categories=list(to.categories),
                steps=o.steps,
                points_gained=o.gain,
                score_alone=_clip(raw + o.gain),
            )
        )
    new_score = _clip(raw + sum(o.gain for o in plan))
    return Recourse(
        target_tier=nxt.name,
        target_score=nxt.min_score,
        changes=changes,
        new_score=new_score,
        new_tier=str(scaling.tier_of([new_score])[0]),
    )


def explain_frame(
    artifact: ScorecardArtifact,
    frame: pd.DataFrame,
    max_changes: int = 2,
    reasons: int = MAX_PRINCIPAL_REASONS,
) -> list[Explanation]:
    """Explain every row of ``frame``: score, family contributions, reasons and recourse.

    Parameters
    ----------
    artifact : the model.
    frame : rows to explain (extra columns ignored; missing ones raise ``InputError``).
    max_changes : most characteristics a recourse plan may change.
    reasons : principal reasons per row (plus one for recent inquiries when it applies).
    """
    compiled = CompiledScorecard.from_artifact(artifact)
    batch = compiled.prepare(frame)
    codes = compiled.score_with_reasons(batch, reasons)
    bins = compiled.bins(batch)
    texts = compiled.reason_texts(codes)
    scaling = artifact.scaling
    probs = scaling.probability_from_score(codes.scores)
    tiers = scaling.tier_of(codes.scores)
    out = []
    for i in range(batch.n_rows):
        s = int(batch.segment[i])
        seg = artifact.segments[s]
        chars = range(int(compiled.tables.seg_start[s]), int(compiled.tables.seg_start[s + 1]))
        row_bins = [int(b) for b in bins[i, : len(chars)]]
        row_points = [int(compiled.points_of_bin[b]) for b in row_bins]
        families: dict[str, int | None] = {f: 0 for f in ALL_FAMILIES}
        families[UNUSED_FAMILY] = None
        for c, p in zip(chars, row_points, strict=True):
            fam = compiled.characteristics[c].family
            families[fam] = (families[fam] or 0) + p
        reasons_out = []
        for j in range(codes.characteristic.shape[1]):
            c, b = int(codes.characteristic[i, j]), int(codes.bin[i, j])
            if c < 0:
                continue
            char = compiled.characteristics[c]
            reasons_out.append(
                Reason(
                    characteristic=char.name,
                    family=char.family,
                    bin_label=char.bins[b - int(compiled.bin_start[c])].label,
                    points_lost=int(compiled.tables.best[c] - compiled.points_of_bin[b]),
                    text=str(texts[i, j]),
                )
            )
        raw = seg.base_points + sum(row_points)
        score = int(codes.scores[i])
        out.append(
            Explanation(
                row=i,
                score=score,
                tier=str(tiers[i]),
                probability=float(probs[i]),
                segment=seg.name,
                base_points=seg.base_points,
                families=families,
                reasons=reasons_out,
                recourse=_recourse(compiled, row_bins, chars, raw, score, max_changes),
            )
        )
    return out
