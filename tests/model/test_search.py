"""Segment search: a split is kept only when cross-validation inside the training rows says so."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.model_selection import StratifiedKFold

from lucidscore.artifact import Condition
from lucidscore.model import Scorecard
from lucidscore.model._frame import column_kind
from lucidscore.model._params import ScorecardParams
from lucidscore.model._search import MIN_GAIN, SEARCH_FOLDS, search_segment, stratified_folds

from ._sim import credit_table, two_populations


def _search(table: pd.DataFrame):  # type: ignore[no-untyped-def]
    x = table.drop(columns=["bad"])
    kinds = {c: column_kind(x[c], c) for c in x.columns}
    return search_segment(x, table["bad"].to_numpy(np.int8), kinds, ScorecardParams())


def test_search_finds_the_split_between_two_populations() -> None:
    table = two_populations()
    card = Scorecard().fit(table.drop(columns=["bad"]), table["bad"])
    segments = card.artifact_.segments
    assert [s.name for s in segments] == ["payment_status>=0", "default"]
    assert segments[0].condition == Condition(column="payment_status", op=">=", value=0.0)
    # Each side's card uses that side's drivers.
    first = {c.name for c in segments[0].characteristics}
    assert "utilisation" in first
    assert "tenure_months" in {c.name for c in segments[1].characteristics}
    note = next(n for n in card.notes_ if n.startswith("segment search:"))
    assert "payment_status>=0 raised the AUC on every fold" in note
    assert note in card.artifact_.training["notes"]

    found = _search(table)
    gains = found.gains["payment_status>=0"]
    assert len(gains) == SEARCH_FOLDS and min(gains) > 0 and np.mean(gains) >= MIN_GAIN
    # And it is worth it on rows the search never saw.
    fresh = two_populations(seed=11)
    one = Scorecard(segment_search=False).fit(table.drop(columns=["bad"]), table["bad"])
    from sklearn.metrics import roc_auc_score

    auc_two = roc_auc_score(fresh["bad"], -card.score_table(fresh.drop(columns=["bad"]))["score"])
    auc_one = roc_auc_score(fresh["bad"], -one.score_table(fresh.drop(columns=["bad"]))["score"])
    assert auc_two > auc_one + 0.01


def test_additive_risk_keeps_one_card() -> None:
    table = credit_table(12000, seed=1)
    card = Scorecard().fit(table.drop(columns=["bad"]), table["bad"])
    assert [s.name for s in card.artifact_.segments] == ["default"]
    note = next(n for n in card.notes_ if n.startswith("segment search:"))
    assert note.startswith("segment search: no split (") and note.endswith("; one card")
    found = _search(table)
    assert found.chosen is None and found.tried
    # A candidate stops at its first fold without a gain, so none reached every fold with one.
    assert all(len(g) < SEARCH_FOLDS or np.mean(g) < MIN_GAIN for g in found.gains.values())


def test_search_can_be_turned_off_and_never_overrides_the_modeller() -> None:
    table = two_populations()
    x, y = table.drop(columns=["bad"]), table["bad"]
    off = Scorecard(segment_search=False).fit(x, y)
    assert [s.name for s in off.artifact_.segments] == ["default"]
    assert not any(n.startswith("segment search:") for n in off.notes_)
    rule = Condition(column="tenure_months", op="<", value=60.0)
    named = Scorecard(segment_rule=rule).fit(x, y)
    assert [s.name for s in named.artifact_.segments] == ["tenure_months<60", "default"]
    assert not any(n.startswith("segment search:") for n in named.notes_)


def test_small_tables_skip_the_search() -> None:
    table = two_populations(n=1500)  # fewer than two segments' worth of rows (min_segment_rows 1000)
    card = Scorecard().fit(table.drop(columns=["bad"]), table["bad"])
    assert [s.name for s in card.artifact_.segments] == ["default"]
    assert not any(n.startswith("segment search:") for n in card.notes_)


def test_search_is_deterministic_and_samples_large_tables() -> None:
    table = two_populations(n=30000, seed=5)
    first, second = _search(table), _search(table)
    assert first == second
    assert first.rows == 20000  # a stratified sample of SEARCH_ROWS rows
    a = Scorecard().fit(table.drop(columns=["bad"]), table["bad"]).artifact_
    b = Scorecard().fit(table.drop(columns=["bad"]), table["bad"]).artifact_
    assert a.segments == b.segments


@pytest.mark.parametrize("share", [0.05, 0.1])
def test_candidates_leave_both_sides_large_enough(share: float) -> None:
    # A split whose small side holds under 15% of rows is never tried, however strong.
    table = two_populations()
    rng = np.random.default_rng(0)
    flag = (rng.random(len(table)) < share).astype(float)
    table.insert(0, "rare_flag", flag)
    table.loc[flag == 1, "bad"] = 1
    found = _search(table)
    assert not any(t.startswith("rare_flag") for t in found.tried)


def test_a_categorical_characteristic_can_split_the_population() -> None:
    import sqlite3

    from lucidscore.artifact import reference_scores
    from lucidscore.score import score_frame, to_sql

    rng = np.random.default_rng(8)
    n = 16000
    channel = rng.choice(["branch", "broker", "online", "phone"], n, p=[0.35, 0.15, 0.35, 0.15])
    util = rng.beta(2, 3, n)
    tenure = rng.integers(0, 240, n).astype(float)
    remote = np.isin(channel, ["online", "phone"])
    logit = np.where(remote, -0.6 + 4.0 * (util - 0.4), -2.0 - 0.015 * (tenure - 120))
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x = pd.DataFrame({"channel": channel, "utilisation": util, "tenure_months": tenure})
    card = Scorecard().fit(x, pd.Series(bad, name="bad"))
    first = card.artifact_.segments[0]
    assert first.condition is not None and first.condition.op == "in"
    assert set(first.condition.value) in ({"online", "phone"}, {"branch", "broker"})  # type: ignore[arg-type]
    assert first.name.startswith("channel in {")
    # Every engine places rows by the condition the same way.
    probe = x.head(500).copy()
    probe.loc[:9, "channel"] = None  # missing never matches a condition: the default card
    kernel = score_frame(card.artifact_, probe)
    assert (kernel["score"].to_numpy() == reference_scores(card.artifact_.segments, probe)).all()
    assert (kernel["segment"].iloc[:10] == "default").all()
    with sqlite3.connect(":memory:") as con:
        probe.to_sql("input", con, index=False)
        sql = pd.read_sql_query(to_sql(card.artifact_), con)
    assert sql["score"].tolist() == kernel["score"].tolist()
    assert sql["segment"].tolist() == kernel["segment"].astype(str).tolist()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(12, 400), rate=st.floats(0.1, 0.9), k=st.integers(2, 5), seed=st.integers(0, 100))
def test_stratified_folds_are_scikit_learns(n: int, rate: float, k: int, seed: int) -> None:
    y = (np.random.default_rng(seed).random(n) < rate).astype(np.int8)
    assume(min(int(y.sum()), n - int(y.sum())) >= k)
    ours = stratified_folds(y, k, seed)
    theirs = StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(n), y)
    for (a, b), (c, d) in zip(ours, theirs, strict=True):
        assert a.tolist() == c.tolist() and b.tolist() == d.tolist()


def test_shape_search_records_what_it_compared_and_what_it_kept() -> None:
    table = two_populations(8000, seed=5)
    x, y = table.drop(columns=["bad"]), table["bad"]
    card = Scorecard().fit(x, y)
    (note,) = [n for n in card.notes_ if n.startswith("shape search:")]
    kept = note.endswith("; kept")
    assert re.search(r"3-fold cross-validation on 8,000 rows", note)
    assert card.artifact_.training["params"]["min_bin_share"] == (0.02 if kept else 0.05)
    off = Scorecard(shape_search=False).fit(x, y)
    assert not any(n.startswith("shape search:") for n in off.notes_)
    assert off.artifact_.training["params"]["min_bin_share"] == 0.05
    # Bins already as fine as the candidate: nothing to compare.
    fine = Scorecard(min_bin_share=0.02).fit(x, y)
    assert not any(n.startswith("shape search:") for n in fine.notes_)


def test_the_segment_search_on_the_shape_searchs_rows_finds_what_it_finds_alone() -> None:
    """The shape search hands its drawn rows (``SearchSample``) to the segment search, which then fits
    the same cards on the same rows as when it draws them itself; rows drawn for other columns are not
    taken."""
    from lucidscore.model._search import search_sample
    from lucidscore.model._shape import choose_shape

    table = two_populations()
    x = table.drop(columns=["bad"])
    y = table["bad"].to_numpy(np.int8)
    kinds = {c: column_kind(x[c], c) for c in x.columns}
    shape = choose_shape(x, y, kinds, ScorecardParams())
    assert shape.sample is not None and shape.sample.kinds == kinds
    assert set(shape.sample.ranks) == {c for c, k in kinds.items() if k == "numeric"}
    alone = search_segment(x, y, kinds, shape.params, None, shape.baseline)
    shared = search_segment(x, y, kinds, shape.params, None, shape.baseline, shape.sample)
    assert (shared.chosen, shared.gains, shared.baseline, shared.rows) == (
        alone.chosen,
        alone.gains,
        alone.baseline,
        alone.rows,
    )
    assert alone.chosen is not None
    fewer = {c: k for c, k in kinds.items() if c != "utilisation"}
    other = search_sample(x, y, fewer)
    assert search_segment(x, y, kinds, shape.params, None, shape.baseline, other).gains == alone.gains


@pytest.mark.parametrize("table", ["two populations", "additive"])
def test_card_by_card_scheduling_judges_each_candidate_fold_by_fold(table: str) -> None:
    """The search runs every fold card as its own task on all cores (``_candidate_gains``); what it finds
    must be what judging each candidate fold by fold, one card after another, finds: the same gains on
    the same folds, stopping at the same first fold without a gain, and the same one-card AUCs. The
    additive table's candidates stop early (at folds 1 and 3), the two populations' go through."""
    from lucidscore.artifact import condition_mask
    from lucidscore.model._search import (
        candidate_splits,
        fit_card,
        fold_auc,
        rule_name,
        search_sample,
        unrefined,
    )

    rows = two_populations(seed=3) if table == "two populations" else credit_table(12000, seed=1)
    x = rows.drop(columns=["bad"])
    y = rows["bad"].to_numpy(np.int8)
    kinds = {c: column_kind(x[c], c) for c in x.columns}
    p = ScorecardParams()
    found = search_segment(x, y, kinds, p)
    s = search_sample(x, y, kinds)
    base = fit_card("default", None, s.columns, s.y, kinds, unrefined(p), ranks=s.ranks)[0]
    candidates = candidate_splits(base, s.frame, s.y, p)
    assert len(candidates) >= 2  # more than one candidate, so the tasks interleave
    one = [fold_auc(s, k, p, None) for k in range(SEARCH_FOLDS)]
    assert found.baseline == [v for v in one if v is not None]
    for cond in candidates:
        split = (cond, condition_mask(cond, s.frame))
        expected: list[float] = []
        for k in range(SEARCH_FOLDS):
            base, two = one[k], fold_auc(s, k, p, split)
            if base is None or two is None or two <= base:
                break
            expected.append(two - base)
        assert found.gains[rule_name(cond)] == expected
