"""The less-discriminatory-alternative search (issue 13): its maths proved over generated cases, and a
whole search on the simulated table checked for the properties a fair-lending reviewer relies on."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sklearn.model_selection import StratifiedKFold

from lucidscore.artifact import Condition, load_artifact
from lucidscore.errors import InputError, PolicyViolation
from lucidscore.evaluate import (
    LdaOutcome,
    align_audit,
    approve_at_rate,
    auc,
    choose_alternative,
    cutoff_at_rate,
    dominates,
    lda_provenance,
    lda_refit,
    lda_report,
    lda_search,
    pareto_frontier,
    reference_scores,
    write_lda_report,
)
from lucidscore.evaluate._lda_search import Result, figures
from lucidscore.evaluate._lda_space import Candidate, Move, combine
from lucidscore.model import Scorecard, train_scorecard
from lucidscore.score import score_frame
from tests.evaluate.factory import assert_figure_matches, make_frame

# -- the maths, over generated cases ---------------------------------------------------------------

scores_st = st.lists(st.integers(350, 950), min_size=1, max_size=300)


@given(scores_st, st.floats(0, 1))
def test_cutoff_at_rate_is_the_closest_whole_score(scores: list[int], rate: float) -> None:
    s = np.asarray(scores)
    best = cutoff_at_rate(s, rate)
    gap = abs(np.mean(s >= best) - rate)
    for c in range(min(scores) - 1, max(scores) + 2):
        assert gap <= abs(np.mean(s >= c) - rate) + 1e-12


@given(scores_st, st.floats(0, 1), st.integers(0, 3))
def test_approve_at_rate_approves_exactly_the_share_best_scores_first(
    scores: list[int], rate: float, seed: int
) -> None:
    s = np.asarray(scores)
    approved, cutoff = approve_at_rate(s, rate, seed)
    assert approved.sum() == round(rate * s.size)
    if approved.any() and not approved.all():
        assert s[approved].min() >= s[~approved].max()  # nobody declined scores above anybody approved
        assert cutoff == s[approved].min()
        assert (approved[s > cutoff]).all() and not approved[s < cutoff].any()
    again, _ = approve_at_rate(s, rate, seed)
    assert (again == approved).all()  # the tie lottery is seeded


points_st = st.lists(
    st.tuples(st.sampled_from([0.70, 0.71, 0.72, 0.73]), st.sampled_from([0.5, 0.6, 0.7, 0.8, 0.9])),
    min_size=1,
    max_size=25,
)


@given(points_st)
def test_the_frontier_is_exactly_the_undominated_points(points: list[tuple[float, float]]) -> None:
    front = pareto_frontier(points)
    for i in front:
        assert not any(dominates(q, points[i]) for q in points)
    for j in set(range(len(points))) - set(front):
        assert any(dominates(points[i], points[j]) for i in front)
    assert [points[i][0] for i in front] == sorted((points[i][0] for i in front), reverse=True)


def _result(i: int, auc_value: float, air: float, held: bool = True, moves: int = 1) -> Result:
    cand = Candidate(id=f"c{i:03d}", stage=1, moves=tuple(Move("x", f"m{k}", ()) for k in range(moves)))
    return Result(cand, {}, figures={"auc": auc_value, "worst_air": air, "rate_held": held})


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.floats(0.6, 0.8), st.floats(0, 1), st.booleans()), max_size=20), st.floats(0, 0.02)
)
def test_the_alternative_is_the_fairest_card_within_the_budget(
    cards: list[tuple[float, float, bool]], budget: float
) -> None:
    base = _result(0, 0.75, 0.5, moves=0)
    results = [base, *(_result(i + 1, a, r, h) for i, (a, r, h) in enumerate(cards))]
    chosen = choose_alternative(results, base, budget)
    eligible = [
        r
        for r in results[1:]
        if r.comparable and r.figures["auc"] >= 0.75 - budget and r.figures["worst_air"] > 0.5
    ]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None and chosen.comparable
    assert chosen.figures["auc"] >= 0.75 - budget - 1e-12
    assert chosen.figures["worst_air"] == max(r.figures["worst_air"] for r in eligible)


def test_the_worst_ratio_is_over_groups_with_a_value_and_of_30_rows() -> None:
    """Groups: a (100 rows, 60% approved), b (100, 30%), c (10 rows, none approved), missing (50, none)."""
    labels = ["a"] * 100 + ["b"] * 100 + ["c"] * 10 + ["missing"] * 50
    scores = np.array([700] * 60 + [400] * 40 + [700] * 30 + [400] * 70 + [400] * 60)
    y = np.zeros(260, dtype=np.int64)
    y[::7] = 1
    out = figures(scores, y, {"G": pd.Series(labels)}, float(np.mean(scores >= 600)), n_resamples=10)
    assert out["approval_rate"] == pytest.approx(90 / 260)
    assert (out["worst_attribute"], out["worst_group"]) == ("G", "b")
    assert out["worst_air"] == pytest.approx(0.3 / 0.6)
    assert out["rate_held"] and out["cutoff"] == 700 and out["tied_approved"] == 1.0


def test_moves_combine_drops_and_refuse_conflicts() -> None:
    base = {"exclude": ("id",), "max_bins": 8, "segment_rule": Condition(column="PAY_0", op=">=", value=0.0)}
    drop_a = Move("characteristics", "drop a", (("exclude", ("a",)),))
    drop_pay = Move("characteristics", "drop PAY_0", (("exclude", ("PAY_0",)),))
    bins5, bins3 = Move("max_bins", "5", (("max_bins", 5),)), Move("max_bins", "3", (("max_bins", 3),))
    params, notes = combine(base, (drop_a, bins5))
    assert params is not None and params["exclude"] == ("id", "a") and params["max_bins"] == 5
    assert params["segment_rule"] == base["segment_rule"] and notes == ()
    assert combine(base, (bins5, bins3))[0] is None
    params, notes = combine(base, (drop_a, drop_pay))
    assert params is not None and params["exclude"] == ("id", "a", "PAY_0") and params["segment_rule"] is None
    assert notes == ("one card: the segment column PAY_0 was dropped",)


# -- a whole search on the simulated table ----------------------------------------------------------

BUDGET = 0.02
FOLDS = 2  # two folds: half the fits of three, and the search still runs to its end within MAX_CANDIDATES
MAX_CANDIDATES = 40


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A base card fitted on the simulated table (housing was generated from age: a proxy), searched."""
    frame = make_frame(4000, seed=5).drop(columns=["id"])
    base = train_scorecard(frame, "default", audit_columns=["SEX", "AGE"], seed=0)
    groups, how = align_audit(frame, None, ["SEX", "AGE"], model_inputs=base.input_columns)
    y = frame["default"].to_numpy()
    cutoff = int(np.percentile(reference_scores(base, frame), 60))
    outcome = lda_search(
        base, frame, y, "default", groups, cutoff=cutoff, max_auc_loss=BUDGET, folds=FOLDS, n_resamples=50,
        max_candidates=MAX_CANDIDATES,
    )  # fmt: skip
    return {"frame": frame, "base": base, "groups": groups, "how": how, "y": y, "cutoff": cutoff,
            "outcome": outcome, "dir": tmp_path_factory.mktemp("lda")}  # fmt: skip


def test_the_whole_search_runs_to_its_end(sim: dict[str, Any]) -> None:
    """The shared search is the whole staged search, not one cut short (the README's run stops at a few
    candidates): single moves, then pairs of the helpful ones, and it ends before the cap."""
    outcome: LdaOutcome = sim["outcome"]
    stages = [r.candidate.stage for r in outcome.results]
    assert stages == sorted(stages) and {0, 1, 2} <= set(stages)
    assert not outcome.stopped_early and len(outcome.results) < MAX_CANDIDATES
    pairs = [r for r in outcome.results if r.candidate.stage == 2]
    assert all(len(r.candidate.moves) == 2 for r in pairs)


def test_the_strongest_proxy_is_dropped_first(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    top = outcome.space.proxies[0]
    assert (top["characteristic"], top["attribute"]) == ("housing", "AGE")
    first_drop = next(m for m in outcome.space.moves if m.dimension == "characteristics")
    assert first_drop.as_dict() == {"exclude": ("housing",)}


def test_every_candidate_approves_the_base_models_share(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    n = len(sim["frame"])
    base_rate = float(np.mean(reference_scores(sim["base"], sim["frame"]) >= sim["cutoff"]))
    assert outcome.approval_rate == base_rate
    for r in outcome.results:
        if r.ok:
            assert r.figures["approval_rate"] * n == round(base_rate * n)
            for table in r.figures["fairness"].values():
                assert sum(g["rows"] for g in table["groups"]) == n
                approved = sum(g["rows"] * g["approval_rate"] for g in table["groups"])
                assert approved == pytest.approx(round(base_rate * n))


def test_the_frontier_is_pareto_optimal_among_comparable_cards(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    comparable = [r for r in outcome.results if r.comparable or r is outcome.base]
    assert outcome.frontier
    for f in outcome.frontier:
        assert not any(dominates(r.point, f.point) for r in comparable)
    for r in comparable:
        assert r in outcome.frontier or any(dominates(f.point, r.point) for f in outcome.frontier)


def test_the_alternative_is_within_budget_and_fairer(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    alt, base = outcome.alternative, outcome.base
    assert alt is not None  # dropping the age proxy costs little AUC on this table
    assert alt.comparable and alt in outcome.frontier
    assert alt.figures["auc"] >= base.figures["auc"] - BUDGET
    assert alt.figures["worst_air"] > base.figures["worst_air"]
    better = [
        r for r in outcome.results
        if r.comparable and r.figures["auc"] >= base.figures["auc"] - BUDGET
        and r.figures["worst_air"] > alt.figures["worst_air"]
    ]  # fmt: skip
    assert better == []


def test_no_audit_column_enters_any_card(sim: dict[str, Any]) -> None:
    for r in sim["outcome"].results:
        assert not {"SEX", "AGE"} & set(r.characteristics)
        assert {"SEX", "AGE"} <= set(r.params["audit_columns"])


def test_the_base_figures_are_those_of_a_plain_cross_validation(sim: dict[str, Any]) -> None:
    """Refit the base configuration fold by fold by hand: the search's out-of-fold AUC is that one."""
    outcome: LdaOutcome = sim["outcome"]
    frame, y = sim["frame"], sim["y"]
    x = frame.drop(columns=["default"])
    params = outcome.space.params_of(outcome.base.candidate)
    assert params is not None
    scores = np.zeros(len(frame), dtype=np.int64)
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        card = Scorecard(**params).fit(x.iloc[train], frame["default"].iloc[train])
        scores[held] = reference_scores(card.artifact_, x.iloc[held])
    assert outcome.base.figures["auc"] == pytest.approx(auc(y, -scores))
    assert outcome.base.scores is not None and (outcome.base.scores == scores).all()


def test_the_alternatives_model_file_loads_scores_and_records_the_search(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    assert outcome.alternative is not None
    params = outcome.space.params_of(outcome.alternative.candidate)
    assert params is not None
    fitted = lda_refit(params, sim["frame"], "default")
    art = fitted.model_copy(
        update={"training": {**fitted.training, "lda": lda_provenance(outcome, sim["base"], "sim")}}
    )
    path = art.save(sim["dir"] / "alternative.json")
    loaded = load_artifact(path)
    assert loaded.training["lda"]["candidate"] == outcome.alternative.candidate.id
    assert loaded.training["lda"]["base_content_hash"] == sim["base"].compute_hash()
    assert not {"SEX", "AGE"} & set(loaded.input_columns)
    scored = score_frame(loaded, sim["frame"][loaded.input_columns])
    assert len(scored) == len(sim["frame"]) and scored["score"].between(350, 950).all()
    sim["alternative"], sim["alternative_path"] = loaded, path


def test_the_report_page_shows_the_json_figures(sim: dict[str, Any]) -> None:
    outcome: LdaOutcome = sim["outcome"]
    report = lda_report(
        outcome, sim["base"], data_name="sim.csv", target="default", y=sim["y"], audit_join=sim["how"],
        n_resamples=50, seed=0, alternative=sim.get("alternative"), alternative_path="alt.json",
        frame=sim["frame"],
    )  # fmt: skip
    html, js = write_lda_report(report, sim["dir"] / "lda.html")
    data = json.loads(js.read_text("utf-8"))
    assert data == json.loads(json.dumps(report))
    assert outcome.alternative is not None
    assert data["choice"]["found"] and data["choice"]["candidate"] == outcome.alternative.candidate.id
    assert set(data["frontier"]) == {r.candidate.id for r in outcome.frontier}
    page = html.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="plot-frontier"' in page
    assert page.count("plotly.js v") == 1 and "<script src" not in page  # plotly.js inlined once
    outside_plotly = re.sub(r"<script>.*?</script>", "", page, count=1, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", outside_plotly)  # nothing is fetched
    spans = re.findall(
        r'<span class="fig" data-key="([^"]+)" data-digits="(\d+)"( data-pct="1")?>([^<]*)</span>', page
    )
    assert len(spans) > 100
    for key, digits, pct, text in spans:
        assert_figure_matches(data, key, text, int(digits), bool(pct))
    assert str(escape(data["choice"]["statement"])) in page


def test_jobs_in_worker_processes_give_the_same_search(sim: dict[str, Any]) -> None:
    """Five candidates fitted in two worker processes: the same candidates and figures as the first five
    of ``sim``'s search (one process, the same settings but for ``max_candidates``: stage 1 plans the same
    candidates in the same order, and the cap stops the search after the first five)."""
    kw: dict[str, Any] = {
        "cutoff": sim["cutoff"],
        "max_auc_loss": BUDGET,
        "folds": FOLDS,
        "n_resamples": 50,
        "max_candidates": 5,
    }
    one = sim["outcome"].results[:5]
    assert [r.candidate.stage for r in one] == [0, 1, 1, 1, 1]  # all planned in stage 1
    two = lda_search(sim["base"], sim["frame"], sim["y"], "default", sim["groups"], jobs=2, **kw)
    assert [r.candidate.id for r in one] == [r.candidate.id for r in two.results]
    for a, b in zip(one, two.results, strict=True):
        assert a.figures == b.figures


def test_a_protected_column_left_in_the_data_is_refused_before_any_fit(sim: dict[str, Any]) -> None:
    frame = sim["frame"].assign(gender=np.where(sim["frame"]["SEX"] == 1, "f", "m"))
    with pytest.raises(PolicyViolation, match=r"column gender: protected attribute \(sex\)"):
        lda_search(sim["base"], frame, sim["y"], "default", sim["groups"], cutoff=sim["cutoff"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cutoff": 950}, r"at cutoff 950 the base model approves no row of the data"),
        ({"cutoff": 350}, r"at cutoff 350 the base model approves every row of the data"),
        ({"max_auc_loss": -0.1}, r"^parameter max_auc_loss: -0.1 is below 0; expected 0 or more"),
        ({"exclude": ["nope"]}, r"^parameter exclude: column\(s\) nope not in the data"),
        ({"folds": 1}, r"^parameter folds: 1 is under 2; expected 2 or more"),
        ({"groups": {}}, r"^parameter audit: no audit columns"),
    ],
)
def test_bad_settings_are_one_clear_error(sim: dict[str, Any], change: dict[str, Any], message: str) -> None:
    kw: dict[str, Any] = {"cutoff": sim["cutoff"], "groups": sim["groups"], **change}
    groups = kw.pop("groups")
    with pytest.raises(InputError, match=message):
        lda_search(sim["base"], sim["frame"], sim["y"], "default", groups, **kw)


def test_missing_model_inputs_are_named(sim: dict[str, Any]) -> None:
    frame = sim["frame"].drop(columns=["housing"])
    with pytest.raises(InputError, match=r"sim.csv: missing model input column\(s\) housing"):
        lda_search(
            sim["base"], frame, sim["y"], "default", sim["groups"], cutoff=sim["cutoff"], data_name="sim.csv"
        )


def test_frames_with_a_gap_in_their_index_are_searched_by_position(sim: dict[str, Any]) -> None:
    frame = sim["frame"].set_axis(np.arange(len(sim["frame"])) * 3 + 7)
    groups = {k: v.set_axis(frame.index) for k, v in sim["groups"].items()}
    out = lda_search(sim["base"], frame, sim["y"], "default", groups, cutoff=sim["cutoff"], folds=FOLDS,
                     n_resamples=20, max_candidates=2)  # fmt: skip
    base = sim["outcome"].base.figures
    assert out.base.figures["auc"] == pytest.approx(base["auc"])
    assert out.base.figures["worst_air"] == pytest.approx(base["worst_air"])
    assert not math.isnan(out.base.figures["auc"])


def test_the_refit_keeps_what_the_base_declared_and_nothing_more() -> None:
    """An alternative card refits with the base's declarations; a characteristic the base only guessed
    stays undeclared, so the service refuses the alternative as it refuses the base (issue 13)."""
    from lucidscore.evaluate._lda_space import base_configuration
    from lucidscore.model import is_declared
    from tests.api._world import tiny_artifact
    from tests.service.test_model_doors import undeclared

    for art, declared in ((tiny_artifact("sc-declared"), True), (undeclared(), False)):
        base, _ = base_configuration(art, art.input_columns, [])
        meta = base["feature_meta"]
        assert set(meta) == {c.name for s in art.segments for c in s.characteristics}
        assert all(is_declared(m) == declared for m in meta.values()), (art.model_id, meta)
        first = art.segments[0].characteristics[0]
        assert meta[first.name].family == first.family and meta[first.name].advice == first.advice_direction
