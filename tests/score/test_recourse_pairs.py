"""Recourse with interaction grids: a pair is one unit whose options are the (bin a, bin b) combinations its
members' moves reach (one member moved is one change, both two), each member only in its own declared
direction, and every gain, ``score_alone`` and ``new_score`` counts the grid's points. Proved on
Hypothesis-built cards with grids against a brute force that rescores every allowed combination of values
with the reference rule (``lucidscore.artifact``)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Interaction,
    ScorecardArtifact,
    bin_index,
    raw_points,
    reference_scores,
    segment_of_rows,
)
from lucidscore.model import Scorecard
from lucidscore.policy import FeatureMeta
from lucidscore.score import explain_frame
from lucidscore.score._recourse import MoveTables, move_tables, plan_recourse
from tests.score.cards import one_card
from tests.score.strategies import SPECIAL, candidate_values, cards, frame_for, with_interactions


@st.composite
def paired_cards(draw: st.DrawFn) -> ScorecardArtifact:
    """Cards with at least one grid, and bins to move to."""
    art = draw(with_interactions(draw(cards(max_characteristics=4, min_edges=2))))
    assume(any(seg.interactions for seg in art.segments))
    return art


@dataclass(frozen=True)
class Step:
    """One change of a plan, as both paths give it."""

    characteristic: str
    direction: str
    to_value: float
    steps: int
    score_alone: int


@dataclass(frozen=True)
class Plan:
    target_score: int | None
    new_score: int | None
    changes: list[Step]


def _clip(x: np.ndarray | int) -> np.ndarray:
    return np.clip(x, MIN_SCORE, MAX_SCORE)


def _reachable(art: ScorecardArtifact, frame: pd.DataFrame) -> list[dict[str, dict[int, tuple[int, float]]]]:
    """Brute force, per row and characteristic: every other interval bin a value in its declared direction
    reaches while the row keeps its segment, with the interval bins crossed and one such value."""
    seg = segment_of_rows(art.segments, frame)
    out: list[dict[str, dict[int, tuple[int, float]]]] = [{} for _ in range(len(frame))]
    for name in art.input_columns:
        for v in candidate_values(art, name):
            if not isinstance(v, float) or math.isnan(v) or v == SPECIAL:
                continue
            changed = frame.copy()
            changed[name] = v
            stays = segment_of_rows(art.segments, changed) == seg
            for s, segment in enumerate(art.segments):
                char = next((c for c in segment.characteristics if c.name == name), None)
                if char is None or char.advice_direction == "none" or char.dtype != "numeric":
                    continue
                order = sorted(
                    (i for i, b in enumerate(char.bins) if b.kind == "interval"),
                    key=lambda i: -math.inf if char.bins[i].lower is None else char.bins[i].lower,  # type: ignore[arg-type,return-value]
                )
                now, to = bin_index(char, frame[name]), bin_index(char, changed[name])
                x = frame[name].to_numpy(dtype=np.float64)
                way = (v < x) if char.advice_direction == "lower" else (v > x)
                for i in np.flatnonzero((seg == s) & stays & way):
                    a, b = int(now[i]), int(to[i])
                    if a != b and a in order and b in order:
                        steps = abs(order.index(b) - order.index(a))
                        out[i].setdefault(name, {}).setdefault(b, (steps, v))
    return out


def brute_best(
    art: ScorecardArtifact, frame: pd.DataFrame, needed: np.ndarray, max_changes: int
) -> list[tuple[int, int, int] | None]:
    """Per row: (changes, steps, -gain) of the cheapest plan whose rescored gain reaches ``needed`` (None
    where none does), over every combination of up to ``max_changes`` characteristics and their bins."""
    reach = _reachable(art, frame)
    rows: list[int] = []
    plans: list[dict[str, float]] = []
    cost: list[tuple[int, int]] = []
    for i in np.flatnonzero(needed >= 0):
        for size in range(1, max_changes + 1):
            for names in itertools.combinations(reach[i], size):
                for combo in itertools.product(*(reach[i][n].values() for n in names)):
                    rows.append(int(i))
                    plans.append({n: v for n, (_, v) in zip(names, combo, strict=True)})
                    cost.append((size, sum(s for s, _ in combo)))
    best: list[tuple[int, int, int] | None] = [None] * len(frame)
    if not rows:
        return best
    changed = frame.iloc[rows].reset_index(drop=True)
    for name in art.input_columns:
        col = changed[name].to_numpy(copy=True)
        for k, plan in enumerate(plans):
            if name in plan:
                col[k] = plan[name]
        changed[name] = col
    seg = segment_of_rows(art.segments, frame)
    assert (segment_of_rows(art.segments, changed) == seg[rows]).all()  # combined moves keep the segment
    gain = raw_points(art.segments, changed) - raw_points(art.segments, frame)[rows]
    for k, i in enumerate(rows):
        if gain[k] >= needed[i]:
            key = (*cost[k], -int(gain[k]))
            best[i] = key if best[i] is None or key < best[i] else best[i]  # type: ignore[operator]
    return best


def _apply(frame: pd.DataFrame, i: int, changes: dict[str, float]) -> pd.DataFrame:
    row = frame.iloc[[i]].copy()
    for name, value in changes.items():
        row[name] = value
    return row


def check_plans(art: ScorecardArtifact, frame: pd.DataFrame, plans: list[Plan], max_changes: int) -> None:
    """Every plan is safe (each step in its declared direction), faithful (its values rescore to its
    scores) and minimal (fewest changes, then steps, then highest score, as the brute force finds)."""
    raw = raw_points(art.segments, frame)
    seg = segment_of_rows(art.segments, frame)
    mins = np.asarray([t.min_score for t in art.scaling.tiers])
    tier = np.searchsorted(mins, _clip(raw), side="right") - 1
    needed = np.where(tier >= len(mins) - 1, -1, mins[np.minimum(tier + 1, len(mins) - 1)] - raw)
    best = brute_best(art, frame, needed, max_changes)
    for i, plan in enumerate(plans):
        if needed[i] < 0:
            assert plan.target_score is None and not plan.changes
            continue
        assert plan.target_score == raw[i] + needed[i]
        if not plan.changes:
            assert best[i] is None, f"row {i}: the brute force finds {best[i]}"
            continue
        key = best[i]
        assert key is not None and plan.new_score is not None
        by_name = {c.name: c for c in art.segments[int(seg[i])].characteristics}
        for step in plan.changes:
            char = by_name[step.characteristic]
            now = frame[step.characteristic].iloc[i]
            assert step.direction == char.advice_direction != "none"  # never a member declared none
            assert not pd.isna(now) and now not in char.special_values
            assert (step.to_value < now) if step.direction == "lower" else (step.to_value > now)
            alone = _apply(frame, i, {step.characteristic: step.to_value})
            assert int(reference_scores(art.segments, alone)[0]) == step.score_alone
        changed = _apply(frame, i, {s.characteristic: s.to_value for s in plan.changes})
        assert int(segment_of_rows(art.segments, changed)[0]) == seg[i]
        assert int(reference_scores(art.segments, changed)[0]) == plan.new_score >= plan.target_score
        assert (len(plan.changes), sum(s.steps for s in plan.changes)) == key[:2], f"row {i}"
        assert plan.new_score == int(_clip(raw[i] - key[2])), f"row {i}"


def reference_bins(art: ScorecardArtifact, tables: MoveTables, frame: pd.DataFrame) -> np.ndarray:
    """Global bins of every row's characteristics by the reference rule (what ``CompiledScorecard.bins``
    gives)."""
    seg = segment_of_rows(art.segments, frame)
    width = max(len(s.characteristics) for s in art.segments)
    bins = np.full((len(frame), width), -1, dtype=np.int32)
    for s, segment in enumerate(art.segments):
        rows = seg == s
        for j, char in enumerate(segment.characteristics):
            offset = tables.bin_start[tables.seg_start[s] + j]
            bins[rows, j] = offset + bin_index(char, frame[char.name])[rows]
    return bins


def planned(art: ScorecardArtifact, frame: pd.DataFrame, max_changes: int) -> list[Plan]:
    """The planner's plans on reference bins and scores (no compiled kernel needed)."""
    tables = move_tables(art)
    seg = segment_of_rows(art.segments, frame).astype(np.int32)
    plans = plan_recourse(
        tables, reference_bins(art, tables, frame), seg, reference_scores(art.segments, frame), max_changes
    )
    np.testing.assert_array_equal(plans.raw, raw_points(art.segments, frame))  # grid points counted
    chars = [c for s in art.segments for c in s.characteristics]
    out = []
    for i in range(len(frame)):
        steps = [
            Step(
                chars[int(tables.move_char[m])].name,
                chars[int(tables.move_char[m])].advice_direction,
                float(tables.to_value[m]),
                int(tables.steps[m]),
                int(_clip(plans.raw[i] + tables.gain[m])),
            )
            for m in plans.moves[i]
            if m >= 0
        ]
        target = int(plans.target_score[i])
        new = int(plans.new_score[i])
        out.append(Plan(None if target < 0 else target, new if plans.status[i] == 0 else None, steps))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**32 - 1), max_changes=st.sampled_from([2, 3, 1]))
def test_plans_with_grids_are_safe_faithful_and_minimal(
    art: ScorecardArtifact, seed: int, max_changes: int
) -> None:
    frame = frame_for(art, 40, seed)
    check_plans(art, frame, planned(art, frame, max_changes), max_changes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=cards(max_characteristics=4), seed=st.integers(0, 2**32 - 1), max_changes=st.integers(1, 2))
def test_without_grids_the_planner_gives_the_explanations_plans(
    art: ScorecardArtifact, seed: int, max_changes: int
) -> None:
    frame = frame_for(art, 40, seed)
    explained = explain_frame(art, frame, max_changes=max_changes)
    for plan, e in zip(planned(art, frame, max_changes), explained, strict=True):
        rec = e.recourse
        assert (plan.target_score, plan.new_score) == (rec.target_score, rec.new_score)
        got = [(c.characteristic, c.to_value, c.steps, c.score_alone) for c in rec.changes]
        assert [(s.characteristic, s.to_value, s.steps, s.score_alone) for s in plan.changes] == got


def _pair_card(grid: list[list[int]]) -> ScorecardArtifact:
    """The hand-made card of ``tests.score.cards`` with a grid on months_late x utilisation (both
    ``lower``): rows are months_late's bins 0 | 1 to 2 | 3+, missing; columns utilisation's."""
    art = one_card(base=210)
    seg = art.segments[0]
    late, util = (next(c for c in seg.characteristics if c.name == n) for n in ("months_late", "utilisation"))
    inter = Interaction(
        first="months_late",
        second="utilisation",
        first_groups=[[i] for i in range(len(late.bins))],
        second_groups=[list(range(len(util.bins)))],
        points=grid,
    )
    return art.model_copy(update={"segments": [seg.model_copy(update={"interactions": [inter]})]}).with_hash()


def test_a_grid_can_make_a_plan_cheaper_and_its_points_count() -> None:
    # months_late's bins gain 60 a step without the grid; here the grid adds 100 more for reaching "0".
    art = one_card(base=210)
    late = next(c for c in art.segments[0].characteristics if c.name == "months_late")
    grid = [[100 if b.label == "0" else 0] for b in late.bins]
    paired = _pair_card(grid)
    frame = pd.DataFrame([{"months_late": 3, "utilisation": 0.95, "checking": "A13", "inquiries_6m": 0,
                           "months_at_address": 40}])  # fmt: skip
    [without] = planned(art, frame, 2)
    [with_grid] = planned(paired, frame, 2)
    assert len(without.changes) == 2  # two characteristics needed without the grid
    [step] = with_grid.changes  # one is enough with it
    assert (step.characteristic, step.steps) == ("months_late", 2)
    assert with_grid.new_score == int(
        reference_scores(paired.segments, _apply(frame, 0, {"months_late": step.to_value}))[0]
    )
    check_plans(paired, frame, [with_grid], 2)


def test_a_grid_never_buys_a_step_against_a_members_declaration() -> None:
    # months_late (declared lower) x inquiries_6m (declared none): the grid pays 300 for three months late
    # or more, or for no inquiries. Neither may be advised, so the plan lowers utilisation instead.
    art = one_card(base=210)
    seg = art.segments[0]
    grid = [[300 if i == 2 or j == 0 else 0 for j in range(4)] for i in range(5)]
    inter = Interaction(
        first="months_late",
        second="inquiries_6m",
        first_groups=[[i] for i in range(5)],
        second_groups=[[j] for j in range(4)],
        points=grid,
    )
    segments = [seg.model_copy(update={"interactions": [inter]})]
    paired = art.model_copy(update={"segments": segments}).with_hash()
    frame = pd.DataFrame([{"months_late": 0, "utilisation": 0.95, "checking": "A13", "inquiries_6m": 5,
                           "months_at_address": 40}])  # fmt: skip
    for max_changes in (1, 2):
        [plan] = planned(paired, frame, max_changes)
        assert [(s.characteristic, s.steps) for s in plan.changes] == [("utilisation", 2)]
        check_plans(paired, frame, [plan], max_changes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(art=paired_cards(), seed=st.integers(0, 2**32 - 1), max_changes=st.integers(1, 2))
def test_explanations_of_cards_with_grids_carry_the_planners_plans(
    art: ScorecardArtifact, seed: int, max_changes: int
) -> None:
    frame = frame_for(art, 40, seed)
    explained = explain_frame(art, frame, max_changes=max_changes)
    plans = [
        Plan(
            e.recourse.target_score,
            e.recourse.new_score,
            [
                Step(c.characteristic, str(c.direction), float(c.to_value or 0), c.steps, c.score_alone)
                for c in e.recourse.changes
            ],
        )
        for e in explained
    ]
    check_plans(art, frame, plans, max_changes)
    assert [e.raw_points for e in explained] == raw_points(art.segments, frame).tolist()


def test_plans_of_a_trained_card_with_a_grid_are_safe_faithful_and_minimal() -> None:
    # A card trained where late payments hurt far more at high utilisation, both declared "lower is
    # better": the interaction search keeps a months_late x utilisation grid, and every plan for fresh
    # rows equals the brute force's.
    rng = np.random.default_rng(11)
    n = 12000
    late = rng.poisson(0.6, n).astype(float)
    util = rng.beta(2, 2, n)
    tenure = rng.integers(0, 200, n).astype(float)
    logit = -2.0 + 0.2 * late + 0.5 * util + 2.2 * late * (util > 0.6) - 0.004 * tenure
    bad = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="bad")
    frame = pd.DataFrame({"months_late": late, "utilisation": util, "tenure_months": tenure})
    meta = {
        name: FeatureMeta(name=name, family=family, description=name, advice=advice)
        for name, family, advice in (
            ("months_late", "payment_behaviour", "lower"),
            ("utilisation", "fulfilment_capacity", "lower"),
            ("tenure_months", "stability_identity", "none"),
        )
    }
    art = Scorecard(segment_search=False, interactions=5, feature_meta=meta).fit(frame, bad).artifact_
    [seg] = art.segments
    assert [{i.first, i.second} for i in seg.interactions] == [{"months_late", "utilisation"}]
    fresh = frame.sample(2000, random_state=1).reset_index(drop=True)
    for max_changes in (1, 2):
        plans = planned(art, fresh, max_changes)
        both = [p for p in plans if {s.characteristic for s in p.changes} == {"months_late", "utilisation"}]
        assert bool(both) == (max_changes == 2)  # the pair's two members moved together
        check_plans(art, fresh, plans, max_changes)
