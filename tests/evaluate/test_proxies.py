"""Cramér's V and single-feature AUC for proxy screening, against scipy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association
from sklearn.metrics import roc_auc_score

from lucidscore.evaluate import audit_groups, cramers_v, proxy_table, single_feature_auc
from tests.evaluate.factory import make_artifact, make_frame


def test_cramers_v_by_hand() -> None:
    assert cramers_v([0, 0, 1, 1], [0, 0, 1, 1]) == pytest.approx(1.0)
    assert cramers_v([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.0)
    assert cramers_v([0, 0, 0], [1, 2, 3]) == 0.0  # one row category: no association to measure


def test_cramers_v_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 4, 2000)
    b = (a + rng.integers(0, 3, 2000)) % 5
    table = pd.crosstab(a, b).to_numpy()
    assert cramers_v(a, b) == pytest.approx(association(table, method="cramer"))


def test_single_feature_auc_matches_scikit_learn_on_bin_rates() -> None:
    codes = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    member = np.array([1, 1, 0, 0, 0, 1, 0, 0])
    rates = np.array([2 / 3, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 1 / 3, 0, 0])
    assert single_feature_auc(codes, member) == pytest.approx(roc_auc_score(member, rates))
    assert single_feature_auc(codes, np.zeros(8)) == 0.5


def test_proxy_table_flags_the_built_in_proxy() -> None:
    frame = make_frame(4000, seed=3)
    art = make_artifact(frame)
    audit = {"AGE": audit_groups(frame["AGE"].rename("AGE")), "SEX": audit_groups(frame["SEX"].rename("SEX"))}
    rows = {(r["characteristic"], r["attribute"]): r for r in proxy_table(art, frame, audit)}
    assert len(rows) == 6
    # housing was generated from age; SEX was generated independently of everything
    assert rows[("housing", "AGE")]["cramers_v"] > rows[("utilisation", "AGE")]["cramers_v"]
    assert rows[("housing", "AGE")]["strength"] in {"strong", "moderate"}
    assert rows[("housing", "SEX")]["strength"] == "weak"
    assert rows[("utilisation", "SEX")]["auc"] < 0.6


def test_joint_screen_catches_a_combination_no_single_characteristic_shows() -> None:
    from lucidscore.evaluate import joint_proxy_table

    frame = make_frame(6000, seed=4)
    art = make_artifact(frame)
    rng = np.random.default_rng(0)
    # A made-up attribute that rides on utilisation and months_late together, each only partly.
    util = np.nan_to_num(frame["utilisation"].to_numpy(), nan=0.5)
    late = np.clip(frame["months_late"].to_numpy(), 0, None)
    z = 2.2 * (util - 0.5) + 1.1 * (late - 0.6) + rng.normal(scale=0.8, size=len(frame))
    group = pd.Series(np.where(z > 0, "g1", "g0"), name="GROUP")
    sex = audit_groups(frame["SEX"].rename("SEX"))
    audit = {"GROUP": group, "SEX": sex}
    singles = [r for r in proxy_table(art, frame, audit) if r["attribute"] == "GROUP"]
    rows = {r["attribute"]: r for r in joint_proxy_table(art, frame, audit, -np.arange(len(frame)))}
    assert rows["GROUP"]["auc"] > max(r["auc"] for r in singles) + 0.03
    assert rows["GROUP"]["strength"] == "strong" and rows["GROUP"]["characteristics"] == 3
    # Out-of-fold probabilities: an attribute unrelated to every characteristic stays near chance.
    assert rows["SEX"]["auc"] < 0.56 and rows["SEX"]["strength"] == "weak"
    assert rows["SEX"]["auc_group"] in {"1", "2"}


def test_joint_screen_reports_how_much_reaches_the_score() -> None:
    from sklearn.metrics import roc_auc_score

    from lucidscore.evaluate import joint_proxy_table, reference_scores

    frame = make_frame(4000, seed=5)
    art = make_artifact(frame)
    audit = {"AGE": audit_groups(frame["AGE"].rename("AGE"))}
    score = reference_scores(art, frame)
    (row,) = joint_proxy_table(art, frame, audit, -score)
    member = (audit["AGE"].astype(str) == row["auc_group"]).to_numpy()
    by_hand = roc_auc_score(member, -score)
    assert row["score_auc"] == pytest.approx(max(by_hand, 1 - by_hand))
    # housing was generated from age, so together the characteristics say more than chance about it
    assert row["auc"] > 0.6


def test_joint_screen_samples_large_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    import lucidscore.evaluate._proxies as proxies

    frame = make_frame(3000, seed=6)
    art = make_artifact(frame)
    audit = {"AGE": audit_groups(frame["AGE"].rename("AGE"))}
    full = proxies.joint_proxy_table(art, frame, audit, np.zeros(len(frame)))
    monkeypatch.setattr(proxies, "JOINT_ROWS", 1500)
    sampled = proxies.joint_proxy_table(art, frame, audit, np.zeros(len(frame)))
    assert sampled != full  # fitted on 1,500 rows, not 3,000
    assert abs(sampled[0]["auc"] - full[0]["auc"]) < 0.05 and sampled[0]["auc"] > 0.6
