"""Explanations: per row the score, family contributions, reasons and recourse to the next tier.

Reasons are the reason units (a characteristic, or the pair of an interaction grid) that lose the most
points against the best a row of their segment can reach (``CompiledScorecard.score_with_reasons``), each
with its consumer statement, merchant statement and code. The family points, the base points and each
grid's points (``interactions``) add up to the score before the clip. Recourse is the plan of
``score._recourse``: the fewest and smallest changes, each in its
characteristic's declared direction, that reach the next tier (or a note saying why there is none).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lucidscore.artifact import (
    MAX_PRINCIPAL_REASONS,
    MAX_SCORE,
    MIN_SCORE,
    Explanation,
    Reason,
    ScorecardArtifact,
    adverse_action_of,
    pair_adverse_action,
    pair_label,
)
from lucidscore.errors import InputError
from lucidscore.policy.families import ALL_FAMILIES, UNUSED_FAMILY
from lucidscore.score._columns import Lookups, batch_recourse, lookups, recourse_notes, take
from lucidscore.score._compiled import CompiledScorecard, PreparedBatch, ReasonCodes
from lucidscore.score._recourse import Plans
from lucidscore.score._statements import ValueTexts


def _texts(texts: ValueTexts, keys: np.ndarray, values: np.ndarray) -> list[str | None]:
    codes, distinct = texts.codes(keys, values)
    table = np.asarray([*distinct, None], dtype=object)
    return list(table[codes])


def reason_lists(compiled: CompiledScorecard, batch: PreparedBatch, codes: ReasonCodes) -> list[list[Reason]]:
    """Each row's reasons as typed ``Reason`` objects (statements, code, points lost), largest loss first."""
    return [[Reason.model_validate(r) for r in row] for row in reason_dicts(compiled, batch, codes)]


def reason_dicts(
    compiled: CompiledScorecard, batch: PreparedBatch, codes: ReasonCodes
) -> list[list[dict[str, Any]]]:
    """``reason_lists`` as the dicts ``Reason.model_dump(mode="json")`` gives (the same keys in the same
    order, the same types), without building the objects: what a published score stores."""
    look = lookups(compiled)
    out: list[list[dict[str, Any]]] = [[] for _ in range(batch.n_rows)]
    chars_of = compiled.characteristics
    for j in range(codes.characteristic.shape[1]):
        chars, bins, seconds = codes.characteristic[:, j], codes.bin[:, j], codes.second_bin[:, j]
        text_codes, texts = look.statement_codes(batch, codes, j)
        lost = codes.points_lost[:, j]
        for i in np.flatnonzero(chars >= 0):
            c, b = int(chars[i]), int(bins[i])
            char = chars_of[c]
            bin_ = char.bins[b - int(compiled.bin_start[c])]
            if seconds[i] < 0:
                out[i].append(
                    {
                        "characteristic": char.name,
                        "family": char.family,
                        "bin_label": bin_.label,
                        "points_lost": int(lost[i]),
                        "text": texts[text_codes[i]],
                        "code": char.reason_code,
                        "adverse_action": adverse_action_of(char, bin_),
                    }
                )
                continue
            pair = compiled.pair_of_first[c]
            other = chars_of[pair.second]
            other_bin = other.bins[int(seconds[i]) - int(compiled.bin_start[pair.second])]
            out[i].append(
                {
                    "characteristic": f"{char.name}+{other.name}",
                    "family": char.family,
                    "bin_label": f"{bin_.label}; {other_bin.label}",
                    "points_lost": int(lost[i]),
                    "text": texts[text_codes[i]],
                    "code": f"{char.reason_code}+{other.reason_code}",
                    "adverse_action": pair_adverse_action(char, bin_, other, other_bin),
                }
            )
    return out


def _interactions(
    compiled: CompiledScorecard, bins: np.ndarray, segment: np.ndarray
) -> list[list[dict[str, Any]]]:
    """Each row's grid points (``InteractionPoints.model_dump(mode="json")``), in its segment's order."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(len(segment))]
    if not compiled.has_interactions:
        return out
    cells = compiled.interaction_points(bins, segment)
    chars = compiled.characteristics
    by_segment: dict[int, list[tuple[str, str, str]]] = {}
    for p in compiled.pairs:
        first, second = chars[p.first], chars[p.second]
        by_segment.setdefault(p.segment, []).append((first.name, second.name, pair_label(first, second)))
    for i, s in enumerate(segment.tolist()):
        for k, (first_name, second_name, label) in enumerate(by_segment.get(s, [])):
            out[i].append(
                {"first": first_name, "second": second_name, "label": label, "points": int(cells[i, k])}
            )
    return out


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _changes(
    compiled: CompiledScorecard,
    look: Lookups,
    batch: PreparedBatch,
    plans: Plans,
    bins: np.ndarray,
    raw: np.ndarray,
) -> list[list[dict[str, Any]]]:
    moves = look.moves
    out: list[list[dict[str, Any]]] = [[] for _ in range(batch.n_rows)]
    t = compiled.tables
    for k in range(plans.moves.shape[1]):
        mv = plans.moves[:, k]
        has = mv >= 0
        to_bin = take(moves.to_bin, mv)
        chars = take(look.bin_char, to_bin)
        from_texts = _texts(look.values, chars, look.cell_values(batch, chars))
        for i in np.flatnonzero(has):
            c, m, to = int(chars[i]), int(mv[i]), int(to_bin[i])
            char = compiled.characteristics[c]
            offset = int(compiled.bin_start[c])
            first = int(t.seg_start[batch.segment[i]])
            frm = int(bins[i, c - first])
            target = char.bins[to - offset]
            gain = int(moves.gain[m])
            out[i].append(  # Change.model_dump(mode="json"): its fields in order, floats as floats
                {
                    "characteristic": char.name,
                    "description": char.description,
                    "family": char.family,
                    "from_label": char.bins[frm - offset].label,
                    "to_label": target.label,
                    "to_lower": _float(target.lower),
                    "to_upper": _float(target.upper),
                    "to_categories": [],
                    "steps": int(moves.steps[m]),
                    "points_gained": gain,
                    "score_alone": int(np.clip(raw[i] + gain, MIN_SCORE, MAX_SCORE)),
                    "code": char.reason_code,
                    "direction": char.advice_direction,  # moves exist only for lower and higher
                    "from_text": str(from_texts[i]),
                    "to_text": str(look.ranges[int(look.range_of[to])]),
                    "to_value": float(moves.to_value[m]),
                }
            )
    return out


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
    return explain_batch(compiled, compiled.prepare(frame), max_changes, reasons)


def explain_batch(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    max_changes: int = 2,
    reasons: int = MAX_PRINCIPAL_REASONS,
) -> list[Explanation]:
    """``explain_frame`` on an already compiled model and prepared batch."""
    return [Explanation.model_validate(e) for e in explanation_dicts(compiled, batch, max_changes, reasons)]


def explanation_dicts(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    max_changes: int = 2,
    reasons: int = MAX_PRINCIPAL_REASONS,
) -> list[dict[str, Any]]:
    """``explain_batch`` as the dicts ``Explanation.model_dump(mode="json")`` gives (the same keys in the
    same order, the same types), without building the objects: a publish stores them as they are, and
    ``explain_batch`` validates them into ``Explanation`` objects."""
    if max_changes < 1:
        raise InputError(f"max_changes is {max_changes}; expected 1 or more")
    artifact = compiled.artifact
    look = lookups(compiled)
    codes = compiled.score_with_reasons(batch, reasons)
    rec = batch_recourse(compiled, batch, codes.scores, max_changes)
    plans = rec.plans
    reason_rows = reason_dicts(compiled, batch, codes)
    grid_rows = _interactions(compiled, rec.bins, batch.segment)
    change_rows = _changes(compiled, look, batch, plans, rec.bins, rec.raw)
    note_codes, notes = recourse_notes(compiled, plans, max_changes)
    scaling = artifact.scaling
    probs = scaling.probability_from_score(codes.scores)
    tiers = scaling.tier_of(codes.scores)
    tier_names = [t.name for t in scaling.tiers]
    points = np.where(rec.bins >= 0, compiled.points_of_bin[np.maximum(rec.bins, 0)], 0)
    family_of = [c.family for c in compiled.characteristics]
    out = []
    for i in range(batch.n_rows):
        s = int(batch.segment[i])
        first = int(compiled.tables.seg_start[s])
        families: dict[str, int | None] = {f: 0 for f in ALL_FAMILIES}
        families[UNUSED_FAMILY] = None
        for j in range(int(compiled.tables.seg_start[s + 1]) - first):
            fam = family_of[first + j]
            families[fam] = (families[fam] or 0) + int(points[i, j])
        target = int(plans.target_tier[i])
        new_score = int(plans.new_score[i]) if plans.status[i] == 0 else None
        explanation = {
            "row": i,
            "score": int(codes.scores[i]),
            "tier": str(tiers[i]),
            "probability": float(probs[i]),
            "segment": str(compiled.segment_names[s]),
            "base_points": int(compiled.tables.seg_base[s]),
            "families": families,
            "reasons": reason_rows[i],
            "recourse": {
                "target_tier": tier_names[target] if target >= 0 else None,
                "target_score": int(plans.target_score[i]) if target >= 0 else None,
                "changes": change_rows[i],
                "new_score": new_score,
                "new_tier": str(scaling.tier_of([new_score])[0]) if new_score is not None else None,
                "note": notes[note_codes[i]] if note_codes[i] >= 0 else "",
            },
            "raw_points": int(rec.raw[i]),
        }
        if grid_rows[i]:  # left out when the segment has no grid (Explanation's serializer)
            explanation["interactions"] = grid_rows[i]
        out.append(explanation)  # Explanation.model_dump(mode="json"): its fields in order
    return out
