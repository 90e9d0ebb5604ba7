"""Recourse: the fewest and smallest changes, each in its characteristic's declared direction, that reach
the next tier — never into or out of missing, never against the declaration whatever the points say;
applying a plan and rescoring reaches its score; proved against a brute force on Hypothesis-built cards."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Characteristic, ScorecardArtifact, raw_points, segment_of_rows
from lucidscore.errors import InputError
from lucidscore.features import FEATURE_CATALOGUE
from lucidscore.model import characteristic_fields
from lucidscore.score import explain_frame, score_frame
from tests.score.cards import artifact, interval, missing, one_card
from tests.score.strategies import bins_of, candidate_values, cards, frame_for

BEST = {"months_late": 0, "utilisation": 0.1, "checking": "A13", "inquiries_6m": 0, "months_at_address": 40}


def explain(art: ScorecardArtifact, max_changes: int = 2, **changes: object):  # type: ignore[no-untyped-def]
    return explain_frame(art, pd.DataFrame([{**BEST, **changes}]), max_changes=max_changes)[0]


def test_one_adjacent_step_is_enough() -> None:
    e = explain(one_card(), months_late=1)
    assert (e.score, e.tier) == (630, "good")
    assert e.recourse.target_tier == "very good" and e.recourse.target_score == 650
    [change] = e.recourse.changes
    assert (change.characteristic, change.from_label, change.to_label, change.steps) == (
        "months_late",
        "1 to 2",
        "0",
        1,
    )
    assert (change.direction, change.from_text, change.to_text, change.to_value) == (
        "lower",
        "1 month",
        "under 1 month",
        0.0,
    )
    assert (change.to_lower, change.to_upper) == (None, 1.0)
    assert (change.points_gained, change.score_alone) == (60, 690)
    assert (e.recourse.new_score, e.recourse.new_tier) == (690, "very good")


def test_adjacent_bin_preferred_over_the_best_bin() -> None:
    e = explain(one_card(), months_late=3, utilisation=0.7)  # 490 poor; fair needs +60
    assert e.score == 490
    [change] = e.recourse.changes
    assert (change.characteristic, change.to_label, change.steps) == ("months_late", "1 to 2", 1)
    assert (change.to_text, change.to_value) == ("from 1 to under 3 months", 2.0)
    assert e.recourse.new_score == 550


def test_fewest_changes_first_then_fewest_steps() -> None:
    # 450 needs +100: months_late two steps (+120) beats late one step + utilisation one step (+100).
    e = explain(one_card(base=210), months_late=3, utilisation=0.7)
    assert e.score == 450
    [change] = e.recourse.changes
    assert (change.characteristic, change.steps, change.to_label) == ("months_late", 2, "0")
    assert e.recourse.new_score == 570


def test_two_changes_when_one_is_not_enough() -> None:
    e = explain(one_card(base=210), months_late=3, utilisation=0.95)  # 400; needs +150
    assert [c.characteristic for c in e.recourse.changes] == ["months_late", "utilisation"]
    assert sum(c.steps for c in e.recourse.changes) == 3  # the cheapest two-change plans take 3 steps
    assert e.recourse.new_score == 570  # of those, the one scoring most: late 2 steps, utilisation 1
    assert explain(one_card(base=210), max_changes=1, months_late=3, utilisation=0.95).recourse.changes == []


def test_top_tier_needs_no_recourse() -> None:
    e = explain(one_card(base=300))
    assert e.tier == "excellent"
    assert e.recourse.changes == [] and e.recourse.target_tier is None
    assert e.recourse.note == "already in the top tier"


def test_unreachable_says_so() -> None:
    e = explain(one_card(), checking="A11")  # 620; actionable characteristics already at their best
    assert e.recourse.changes == []
    assert e.recourse.note == (
        "no change to up to 2 characteristic(s), each in its declared direction, reaches very good (650+)"
    )


def test_model_declaring_no_direction_advises_nothing() -> None:
    art = one_card()
    seg = art.segments[0]
    # A model file from before issue 10: actionable, but no direction: recourse does not guess one.
    chars = [c.model_copy(update={"advice": None}) for c in seg.characteristics]
    art = art.model_copy(update={"segments": [seg.model_copy(update={"characteristics": chars})]})
    assert explain(art, months_late=3).recourse.note == (
        "no characteristic of this score declares a direction a person could move it"
    )


def test_family_contributions_and_reasons() -> None:
    e = explain(one_card(), months_late=1, checking="A11")
    assert e.families == {
        "credit_history": 60 + 50,
        "payment_behaviour": 0,
        "fulfilment_capacity": 150 + 10,
        "stability_identity": 40,
        "interpersonal_relationships": None,
    }
    assert e.base_points + sum(v for v in e.families.values() if v) == e.raw_points == e.score
    assert [(r.characteristic, r.points_lost) for r in e.reasons] == [("checking", 70), ("months_late", 60)]
    assert (
        e.reasons[0].text == "Checking account status: A11; A12, A13 or A14, or not reported scores higher."
    )


def test_a_missing_value_is_never_moved() -> None:
    # months_late missing (30 points) could gain 90 by reporting 0; recourse never moves out of (or into)
    # missing, so the plan lowers utilisation instead.
    e = explain(one_card(), months_late=math.nan, utilisation=0.7)  # 250+30+70+80+50+40 = 520
    assert e.score == 520
    [change] = e.recourse.changes
    assert (change.characteristic, change.from_text, change.to_text) == (
        "utilisation",
        "70%",
        "from 30% to under 60%",
    )


def test_never_advises_borrowing_more_whatever_the_points_say() -> None:
    # vic's case: the card gives higher balances more points; the declaration says lower.
    meta = FEATURE_CATALOGUE["total_credit_balance"]
    char = Characteristic(
        name=meta.name, dtype="numeric", iv=0.1, coefficient=-1.0,
        bins=[interval(None, 5000, 0), interval(5000, 12500, 20), interval(12500, 79300, 60),
              interval(79300, None, 90), missing(0)],
        **characteristic_fields(meta),
    )  # fmt: skip
    seg = one_card().segments[0].model_copy(update={"characteristics": [char], "base_points": 500})
    art = artifact([seg])
    for balance in (100.0, 5050.0, 20000.0, 90000.0):
        [e] = explain_frame(art, pd.DataFrame({"total_credit_balance": [balance]}))
        assert e.recourse.changes == []  # the only move that scores more is owing more
        out = score_frame(art, pd.DataFrame({"total_credit_balance": [balance]}), reasons=1, recourse=True)
        assert out["recourse_1_characteristic"].iloc[0] is None


def test_max_changes_must_be_positive() -> None:
    with pytest.raises(InputError, match="max_changes is 0; expected 1 or more"):
        explain_frame(one_card(), pd.DataFrame([BEST]), max_changes=0)


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) utilisation"):
        explain_frame(one_card(), pd.DataFrame([BEST]).drop(columns=["utilisation"]))


def test_score_columns_agree_with_the_explanation() -> None:
    rows = pd.DataFrame([{**BEST, "months_late": 3, "utilisation": 0.95}, {**BEST, "months_late": 1}, BEST])
    out = score_frame(one_card(base=210), rows, reasons=4, recourse=True)
    explained = explain_frame(one_card(base=210), rows)
    for i, e in enumerate(explained):
        row = out.iloc[i]
        assert row["recourse_target_tier"] == e.recourse.target_tier
        assert (
            None if pd.isna(row["recourse_score"]) else int(row["recourse_score"])
        ) == e.recourse.new_score
        for k, change in enumerate(e.recourse.changes, start=1):
            assert (
                row[f"recourse_{k}_characteristic"],
                row[f"recourse_{k}_from"],
                row[f"recourse_{k}_to"],
            ) == (
                change.characteristic,
                change.from_text,
                change.to_text,
            )
        assert (row["recourse_note"] or "") == e.recourse.note


# ---- properties over Hypothesis-built cards ----------------------------------------------------------


def _apply(frame: pd.DataFrame, i: int, changes: dict[str, float]) -> pd.DataFrame:
    row = frame.iloc[[i]].copy()
    for name, value in changes.items():
        row[name] = value
    return row


def _moves(
    art: ScorecardArtifact, frame: pd.DataFrame, i: int, seg: int, base: int
) -> dict[str, list[tuple[int, int, float]]]:
    """Brute force: per characteristic, the (steps, gain, value) of every value in its declared direction
    that lands in another interval bin and keeps the segment (best gain per bin). ``base``: row ``i``'s
    raw points."""
    row = frame.iloc[[i]]
    tried: list[tuple[Characteristic, Any, list[Any], list[float]]] = []
    variants: list[pd.DataFrame] = []
    for char in art.segments[seg].characteristics:
        x = row[char.name].iloc[0]
        if char.advice_direction == "none" or char.dtype != "numeric" or x is None or pd.isna(x):
            continue
        order = sorted(
            (b for b in char.bins if b.kind == "interval"),
            key=lambda b: -math.inf if b.lower is None else b.lower,
        )
        now = char.bins[int(bins_of(art, row, seg, char.name)[0])]
        if now.kind != "interval":
            continue
        values = [
            v
            for v in candidate_values(art, char.name)
            if isinstance(v, float) and not math.isnan(v) and v not in char.special_values
            and (char.advice_direction == "lower") == (v < x)
        ]  # fmt: skip
        if not values:
            continue
        # Row i once per value, the value set; every copy is read by the reference rules as a row alone.
        changed = row.iloc[np.zeros(len(values), dtype=np.int64)].reset_index(drop=True)
        changed[char.name] = values
        tried.append((char, now, order, values))
        variants.append(changed)
    if not variants:
        return {}
    every = pd.concat(variants, ignore_index=True)
    segs = segment_of_rows(art.segments, every)
    gains = raw_points(art.segments, every) - base
    out: dict[str, list[tuple[int, int, float]]] = {}
    at = 0
    for (char, now, order, values), changed in zip(tried, variants, strict=True):
        bins = bins_of(art, changed, seg, char.name)
        best: dict[int, tuple[int, int, float]] = {}
        for k, v in enumerate(values):
            if int(segs[at + k]) != seg:
                continue
            target = char.bins[int(bins[k])]
            gain = int(gains[at + k])
            if target.kind != "interval" or target is now or gain <= 0:
                continue
            steps = abs(order.index(target) - order.index(now))
            key = order.index(target)
            if key not in best or gain > best[key][1]:
                best[key] = (steps, gain, v)
        at += len(values)
        if best:
            out[char.name] = list(best.values())
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards(max_characteristics=4), st.integers(0, 2**32 - 1), st.integers(1, 2))
def test_recourse_is_safe_faithful_and_minimal(art: ScorecardArtifact, seed: int, max_changes: int) -> None:
    frame = frame_for(art, 60, seed)
    explained = explain_frame(art, frame, max_changes=max_changes)
    segments = segment_of_rows(art.segments, frame)
    raws = raw_points(art.segments, frame)
    for i, e in enumerate(explained):
        rec = e.recourse
        seg = int(segments[i])
        by_name = {c.name: c for c in art.segments[seg].characteristics}
        for change in rec.changes:  # each step in its declared direction, from a value to a value
            char = by_name[change.characteristic]
            now = frame[change.characteristic].iloc[i]
            assert change.direction == char.advice_direction != "none"
            assert now is not None and not pd.isna(now) and now not in char.special_values
            assert change.to_value is not None and change.to_value not in char.special_values
            assert (change.to_value < now) if change.direction == "lower" else (change.to_value > now)
        moves = _moves(art, frame, i, seg, int(raws[i]))
        needed = None if rec.target_score is None else rec.target_score - int(raws[i])
        best = None  # brute force: (changes, steps, -gain) of the cheapest plan reaching the target
        if needed is not None:
            for size in range(1, max_changes + 1):
                for names in itertools.combinations(moves, size):
                    for combo in itertools.product(*(moves[n] for n in names)):
                        gain = sum(g for _, g, _ in combo)
                        if gain >= needed:
                            key = (size, sum(s for s, _, _ in combo), -gain)
                            best = key if best is None or key < best else best
        if not rec.changes:
            assert best is None and rec.note
            continue
        assert best is not None and rec.new_score is not None and rec.target_score is not None
        changed = _apply(frame, i, {c.characteristic: float(c.to_value) for c in rec.changes})  # type: ignore[arg-type]
        assert int(segment_of_rows(art.segments, changed)[0]) == seg  # never leaves the segment
        rescored = int(np.clip(raw_points(art.segments, changed)[0], 350, 950))
        assert rescored == rec.new_score >= rec.target_score > e.score
        for c in rec.changes:
            alone = _apply(frame, i, {c.characteristic: float(c.to_value)})  # type: ignore[arg-type]
            assert int(np.clip(raw_points(art.segments, alone)[0], 350, 950)) == c.score_alone
        assert (len(rec.changes), sum(c.steps for c in rec.changes)) == best[:2]  # fewest, then smallest
        assert rec.new_score == int(np.clip(raws[i] - best[2], 350, 950))  # and of those, the highest score
