"""Approval rate, adverse impact ratio, four-fifths flag and TPR gap, by hand and against fairlearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

from lucidscore.evaluate import age_bands, audit_groups, fairlearn_summary, fairness_table


def _groups(labels: list[str]) -> pd.Series:
    return pd.Series(labels, dtype=object)


def test_by_hand_adverse_impact_and_four_fifths() -> None:
    # group A: 40 rows, 30 approved (0.75); group B: 40 rows, 20 approved (0.5) -> AIR 0.5/0.75
    groups = _groups(["A"] * 40 + ["B"] * 40)
    score = np.array([650] * 30 + [500] * 10 + [650] * 20 + [500] * 20)
    bad = np.zeros(80, dtype=int)
    bad[[30, 31, 60, 61]] = 1  # bads among the declined only
    out = fairness_table(groups, score, bad, cutoff=600)
    rows = {g["group"]: g for g in out["groups"]}
    assert out["reference_group"] == "A"
    assert rows["A"]["approval_rate"] == 0.75
    assert rows["B"]["adverse_impact_ratio"] == pytest.approx(0.5 / 0.75)
    assert rows["B"]["four_fifths_flag"] is True
    assert rows["A"]["four_fifths_flag"] is False
    assert out["four_fifths_flagged"] == ["B"]
    # TPR: approvals among goods, A 30/38, B 20/38
    assert rows["A"]["tpr"] == pytest.approx(30 / 38)
    assert out["tpr_gap"] == pytest.approx(10 / 38)
    assert rows["A"]["mean_score"] == pytest.approx((30 * 650 + 10 * 500) / 40)


def test_air_at_exactly_four_fifths_is_not_flagged() -> None:
    groups = _groups(["A"] * 50 + ["B"] * 50)
    score = np.array([700] * 50 + [700] * 40 + [400] * 10)
    out = fairness_table(groups, score, np.zeros(100, dtype=int), cutoff=600)
    assert out["min_adverse_impact_ratio"] == pytest.approx(0.8)
    assert out["four_fifths_flagged"] == []


def test_small_groups_are_shown_but_neither_reference_nor_flagged() -> None:
    groups = _groups(["A"] * 50 + ["B"] * 50 + ["C"] * 5)
    score = np.array([700] * 40 + [400] * 10 + [700] * 20 + [400] * 30 + [700] * 5)
    out = fairness_table(groups, score, np.zeros(105, dtype=int), cutoff=600)
    rows = {g["group"]: g for g in out["groups"]}
    assert out["reference_group"] == "A"  # C approves all but has 5 rows
    assert rows["C"]["small"] is True and rows["C"]["four_fifths_flag"] is False
    assert rows["B"]["four_fifths_flag"] is True


def test_matches_fairlearn_on_random_data() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    groups = _groups(list(rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])))
    score = rng.integers(350, 951, n)
    bad = (rng.random(n) < 0.2).astype(int)
    out = fairness_table(groups, score, bad, cutoff=620)
    approved = (score >= 620).astype(int)
    frame = MetricFrame(
        metrics={"sel": selection_rate, "tpr": true_positive_rate},
        y_true=1 - bad,
        y_pred=approved,
        sensitive_features=groups.to_numpy(),
    )
    for g in out["groups"]:
        assert g["approval_rate"] == pytest.approx(frame.by_group.loc[g["group"], "sel"])
        assert g["tpr"] == pytest.approx(frame.by_group.loc[g["group"], "tpr"])
    summary = fairlearn_summary(groups, score, bad, 620)
    assert out["min_adverse_impact_ratio"] == pytest.approx(summary["demographic_parity_ratio"])
    assert out["tpr_gap"] == pytest.approx(summary["equal_opportunity_difference"])


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (18, "<25"),
        (24.9, "<25"),
        (25, "25–34"),
        (34, "25–34"),
        (35, "35–44"),
        (54, "45–54"),
        (55, "55+"),
        (90, "55+"),
    ],
)
def test_age_bands(age: float, band: str) -> None:
    assert age_bands(pd.Series([age]))[0] == band


def test_audit_groups_by_kind_of_column() -> None:
    assert list(age_bands(pd.Series([30, None, "x"]))) == ["25–34", "missing", "missing"]
    assert list(audit_groups(pd.Series([1, 2, None], name="SEX"))) == ["1", "2", "missing"]
    assert list(audit_groups(pd.Series([1.5, 2, None], name="SEX"))) == ["1.5", "2", "missing"]
    assert list(audit_groups(pd.Series(["f", "", "m"], name="sex"))) == ["f", "missing", "m"]
    assert list(audit_groups(pd.Series([20, 60], name="AGE"))) == ["<25", "55+"]
    many = audit_groups(pd.Series(np.arange(100, dtype=float), name="income"))
    assert many.nunique() == 5
