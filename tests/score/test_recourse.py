"""Explanations and recourse: the smallest actionable changes that reach the next tier."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Change, ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.score import explain_frame, score_frame
from tests.score.cards import one_card

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
    assert (change.to_lower, change.to_upper) == (None, 1.0)
    assert (change.points_gained, change.score_alone) == (60, 690)
    assert (e.recourse.new_score, e.recourse.new_tier) == (690, "very good")


def test_adjacent_bin_preferred_over_the_best_bin() -> None:
    e = explain(one_card(), months_late=3, utilisation=0.7)  # 490 poor; fair needs +60
    assert e.score == 490
    [change] = e.recourse.changes
    assert (change.characteristic, change.to_label, change.steps) == ("months_late", "1 to 2", 1)
    assert e.recourse.new_score == 550


def test_fewer_characteristics_break_a_tie_in_steps() -> None:
    # 450 needs +100: months_late two steps (+120) beats late one step + utilisation one step (+100).
    e = explain(one_card(base=210), months_late=3, utilisation=0.7)
    assert e.score == 450
    [change] = e.recourse.changes
    assert (change.characteristic, change.steps, change.to_label) == ("months_late", 2, "0")
    assert e.recourse.new_score == 570


def test_two_changes_when_one_is_not_enough() -> None:
    e = explain(one_card(base=210), months_late=3, utilisation=0.95)  # 400; needs +150
    assert [c.characteristic for c in e.recourse.changes] == ["months_late", "utilisation"]
    assert e.recourse.new_score is not None and e.recourse.new_score >= 550
    assert explain(one_card(base=210), max_changes=1, months_late=3, utilisation=0.95).recourse.changes == []


def test_top_tier_needs_no_recourse() -> None:
    e = explain(one_card(base=300))
    assert e.tier == "excellent"
    assert e.recourse.changes == [] and e.recourse.target_tier is None
    assert e.recourse.note == "already in the top tier"


def test_unreachable_says_so() -> None:
    e = explain(one_card(), checking="A11")  # 620; actionable characteristics already at their best
    assert e.recourse.changes == []
    assert e.recourse.note == "no change to up to 2 actionable characteristic(s) reaches very good (650+)"


def test_model_without_actionable_characteristics() -> None:
    art = one_card()
    seg = art.segments[0]
    chars = [c.model_copy(update={"actionable": False}) for c in seg.characteristics]
    art = art.model_copy(update={"segments": [seg.model_copy(update={"characteristics": chars})]})
    assert (
        explain(art, months_late=3).recourse.note
        == "none of this model's characteristics is marked actionable"
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
    assert e.base_points + sum(v for v in e.families.values() if v) == e.score
    assert [(r.characteristic, r.points_lost) for r in e.reasons] == [("checking", 70), ("months_late", 60)]
    assert e.reasons[0].text == "Checking account status: A11 — A13, A14 would score higher"


def test_missing_value_recourse_is_reporting_it() -> None:
    e = explain(one_card(), months_late=math.nan, utilisation=0.7)  # 250+30+70+80+50+40 = 520
    assert e.score == 520
    [change] = e.recourse.changes
    assert (change.characteristic, change.from_label, change.steps) == ("months_late", "missing", 1)


def test_missing_column_is_named() -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) utilisation"):
        explain_frame(one_card(), pd.DataFrame([BEST]).drop(columns=["utilisation"]))


def _value_in(change: Change) -> float:
    if change.to_lower is not None:
        return change.to_lower
    assert change.to_upper is not None
    return change.to_upper - 0.5


rows = st.fixed_dictionaries(
    {
        "months_late": st.sampled_from([0.0, 1.0, 2.0, 4.0, -8.0, math.nan]),
        "utilisation": st.sampled_from([0.1, 0.4, 0.7, 0.95, math.nan]),
        "checking": st.sampled_from(["A11", "A12", "A13", None]),
        "inquiries_6m": st.sampled_from([0.0, 2.0, 5.0]),
        "months_at_address": st.sampled_from([1.0, 20.0, 50.0]),
    }
)


@settings(max_examples=80, deadline=None)
@given(rows, st.integers(150, 330), st.integers(1, 2))
def test_recourse_claims_hold_when_rescored(row: dict[str, object], base: int, max_changes: int) -> None:
    art = one_card(base=base)
    e = explain_frame(art, pd.DataFrame([row]), max_changes=max_changes)[0]
    rec = e.recourse
    if not rec.changes:
        assert rec.note
        return
    assert rec.target_score is not None and rec.new_score is not None
    assert len(rec.changes) <= max_changes
    changed = dict(row)
    for change in rec.changes:
        alone = score_frame(art, pd.DataFrame([{**row, change.characteristic: _value_in(change)}]))
        assert int(alone["score"].iloc[0]) == change.score_alone
        changed[change.characteristic] = _value_in(change)
    rescored = int(score_frame(art, pd.DataFrame([changed]))["score"].iloc[0])
    assert rescored == rec.new_score
    assert rescored >= rec.target_score > e.score
