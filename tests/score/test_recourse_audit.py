"""The population audit of recourse (``tests.score.recourse_audit``) can fail: it passes the plans of a card
with a grid whose cells follow the declarations, and names every kind of fault put into a plan — a step
against its declaration, on a characteristic declared ``none``, points or scores claimed that rescoring
does not give — and a plan that lands in a grid cell paying for a step against a declaration (a card
``train`` would not write: its interaction search passes such a grid over)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Explanation, Interaction, ScorecardArtifact
from lucidscore.model._interactions import follows_directions
from lucidscore.score import explain_frame
from tests.score.cards import one_card
from tests.score.recourse_audit import audit_recourse
from tests.score.strategies import cards, frame_for, with_interactions


def _paired(grid: list[list[int]]) -> ScorecardArtifact:
    """``one_card`` with a grid on months_late x utilisation (both declared lower), a cell per bin pair:
    rows 0 | 1 to 2 | 3 or more | missing | code -8, columns under 30% | 30% to 60% | 60% to 90% |
    90% or more | missing."""
    art = one_card(base=210)
    seg = art.segments[0]
    inter = Interaction(
        first="months_late",
        second="utilisation",
        first_groups=[[i] for i in range(5)],
        second_groups=[[j] for j in range(5)],
        points=grid,
    )
    return art.model_copy(update={"segments": [seg.model_copy(update={"interactions": [inter]})]}).with_hash()


FRAME = pd.DataFrame(
    [
        {"months_late": m, "utilisation": u, "checking": "A13", "inquiries_6m": 0, "months_at_address": t}
        for m in (1.0, 3.0)
        for u in (0.5, 0.95)
        for t in (5.0, 40.0)
    ]
)


def test_plans_of_a_card_whose_grid_follows_the_declarations_pass() -> None:
    # 40 more points for no late payments at utilisation under 60%: better on both axes pays more.
    art = _paired([[40 if i == 0 and j < 2 else 0 for j in range(5)] for i in range(5)])
    audit = audit_recourse(art, FRAME, explain_frame(art, FRAME))
    assert audit.violations == []
    assert audit.plans == audit.pair_plans == len(FRAME) and audit.grid_counted > 0


def _tamper(e: Explanation, **change: object) -> Explanation:
    first = e.recourse.changes[0].model_copy(update=change)
    return e.model_copy(update={"recourse": e.recourse.model_copy(update={"changes": [first]})})


@pytest.mark.parametrize(
    ("fault", "found"),
    [
        ({"to_value": 2.5}, r"row 0 step months_late: 1.0 -> 2.5 is not lower"),
        ({"direction": "higher"}, r"row 0 step months_late: direction higher, declared lower"),
        (
            {"characteristic": "inquiries_6m", "to_value": 0.0},
            r"inquiries_6m: direction lower, declared none",
        ),
        ({"score_alone": 999}, r"row 0 step months_late: claims \+\d+ \(score 999\); rescored"),
        ({"points_gained": 1}, r"row 0 step months_late: claims \+1 "),
        ({"to_upper": -1.0}, r"row 0 step months_late: value 0.0 outside the range named"),
    ],
)
def test_each_fault_put_into_a_step_is_named(fault: dict[str, object], found: str) -> None:
    art = _paired([[0] * 5 for _ in range(5)])
    explained = explain_frame(art, FRAME)
    assert audit_recourse(art, FRAME, explained).violations == []
    assert explained[0].recourse.changes[0].characteristic == "months_late"
    explained[0] = _tamper(explained[0], **fault)
    violations = audit_recourse(art, FRAME, explained).violations
    assert any(re.search(found, v) for v in violations), violations


def test_a_new_score_that_rescoring_does_not_give_is_named() -> None:
    art = _paired([[0] * 5 for _ in range(5)])
    explained = explain_frame(art, FRAME)
    e = explained[1]
    explained[1] = e.model_copy(update={"recourse": e.recourse.model_copy(update={"new_score": 700})})
    assert audit_recourse(art, FRAME, explained).violations == [
        f"row 1: plan claims 700 (target {e.recourse.target_score}); rescored {e.recourse.new_score}"
    ]


def test_a_plan_landing_in_a_cell_the_grid_pays_against_a_declaration_is_named() -> None:
    # The grid pays 100 for utilisation of 90% or more once there are no late payments: a plan that
    # clears the late payments of someone at 95% lands in a cell worth more than lower utilisation.
    art = _paired([[100 if (i, j) == (0, 3) else 0 for j in range(5)] for i in range(5)])
    audit = audit_recourse(art, FRAME, explain_frame(art, FRAME))
    at_95 = [i for i in range(len(FRAME)) if FRAME["utilisation"].iloc[i] == 0.95]
    named = sorted({int(v.split(":")[0].removeprefix("row ")) for v in audit.violations})
    assert named == at_95
    assert all(
        "utilisation 90% or more (240 points), which the grid pays more than" in v for v in audit.violations
    )


def _guarded(art: ScorecardArtifact) -> ScorecardArtifact:
    """``art`` keeping only the grids the interaction search could keep (``follows_directions``)."""
    segments = []
    for seg in art.segments:
        chars = {c.name: c for c in seg.characteristics}
        kept = [
            i
            for i in seg.interactions
            if follows_directions(
                chars[i.first], chars[i.second], np.asarray(i.points_by_bin(), dtype=np.int64)
            )
        ]
        segments.append(seg.model_copy(update={"interactions": kept}))
    return art.model_copy(update={"segments": segments}).with_hash()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    art=cards(max_characteristics=4, min_edges=2).flatmap(with_interactions), seed=st.integers(0, 2**32 - 1)
)
def test_no_plan_of_a_card_train_could_write_lands_in_a_cell_paid_against_a_declaration(
    art: ScorecardArtifact, seed: int
) -> None:
    # Generated cards, their characteristics' own points with or against their declarations, keeping the
    # grids that pass the training guard: the audit finds nothing in their plans.
    art = _guarded(art)
    assume(any(seg.interactions for seg in art.segments))
    frame = frame_for(art, 60, seed)
    audit = audit_recourse(art, frame, explain_frame(art, frame))
    assert audit.violations == []
