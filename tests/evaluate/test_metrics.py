"""Discrimination and calibration metrics against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve

from lucidscore.evaluate import (
    auc,
    band_edges,
    band_table,
    bootstrap_intervals,
    brier,
    curves,
    discrimination,
    gini,
    hosmer_lemeshow,
    ks,
)
from lucidscore.evaluate._metrics import group_table


def test_auc_gini_ks_by_hand() -> None:
    # bads at risk 0.35 and 0.8; goods at 0.1 and 0.4: 3 of 4 pairs ordered -> AUC 0.75.
    y, risk = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    assert auc(y, risk) == pytest.approx(0.75)
    assert gini(y, risk) == pytest.approx(0.5)
    # cumulative bad/good shares after each value: (0, .5), (.5, .5), (.5, 1), (1, 1) -> KS 0.5
    assert ks(y, risk) == pytest.approx(0.5)


def test_ties_count_one_half() -> None:
    assert auc([0, 1], [0.3, 0.3]) == pytest.approx(0.5)
    assert auc([0, 0, 1], [0.2, 0.5, 0.5]) == pytest.approx(0.75)


def test_perfect_and_reversed_ranking() -> None:
    y = [0, 0, 0, 1, 1]
    assert auc(y, [1, 2, 3, 4, 5]) == 1.0
    assert auc(y, [5, 4, 3, 2, 1]) == 0.0
    assert ks(y, [1, 2, 3, 4, 5]) == 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(-20, 20)), min_size=2, max_size=200).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_auc_and_ks_match_scikit_learn(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows])
    risk = np.array([r[1] for r in rows], dtype=float)
    assert auc(y, risk) == pytest.approx(roc_auc_score(y, risk))
    fpr, tpr, _ = roc_curve(y, risk, drop_intermediate=False)
    assert ks(y, risk) == pytest.approx(float(np.max(np.abs(tpr - fpr))))
    assert ks(y, risk) == pytest.approx(ks_2samp(risk[y == 1], risk[y == 0]).statistic)


def test_curves_match_scikit_learn_roc() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    risk = rng.integers(0, 40, 300) + 5 * y
    c = curves(y, risk)
    fpr, tpr, _ = roc_curve(y, risk, drop_intermediate=False)
    np.testing.assert_allclose(c.fpr, fpr)
    np.testing.assert_allclose(c.tpr, tpr)


def test_brier_matches_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(500)
    y = (rng.random(500) < p).astype(int)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)


def test_target_must_be_binary() -> None:
    with pytest.raises(ValueError, match="only 0 \\(good\\) and 1 \\(bad\\)"):
        auc([0, 2, 1], [1, 2, 3])


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 2000)
    risk = rng.normal(size=2000) + y
    a = bootstrap_intervals(y, risk, n_resamples=200, seed=11)
    b = bootstrap_intervals(y, risk, n_resamples=200, seed=11)
    c = bootstrap_intervals(y, risk, n_resamples=200, seed=12)
    assert a == b
    assert a != c
    point = auc(y, risk)
    lo, hi = a["auc"]
    assert lo < point < hi
    assert hi - lo < 0.08
    assert a["gini"] == pytest.approx((2 * lo - 1, 2 * hi - 1))
    assert a["ks"][0] < ks(y, risk) < a["ks"][1]


def test_bootstrap_matches_a_loop_over_resamples() -> None:
    """The batched bincount gives what resampling row by row with the same draws gives."""
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    risk = rng.integers(0, 30, 300) + 4 * y
    p = rng.random(300)
    got = bootstrap_intervals(y, risk, p, n_resamples=40, seed=9, batch=7, level=0.9)
    draws = np.random.default_rng(9)
    aucs, kss, bs = [], [], []
    done = 0
    while done < 40:
        b = min(7, 40 - done)
        idx = draws.integers(0, 300, size=(b, 300))
        for row in idx:
            aucs.append(roc_auc_score(y[row], risk[row]))
            kss.append(ks(y[row], risk[row]))
            bs.append(brier(y[row], p[row]))
        done += b
    assert got["auc"] == pytest.approx(tuple(np.percentile(aucs, [5, 95])))
    assert got["ks"] == pytest.approx(tuple(np.percentile(kss, [5, 95])))
    assert got["brier"] == pytest.approx(tuple(np.percentile(bs, [5, 95])))


def test_discrimination_of_a_score_uses_higher_is_better() -> None:
    y = np.array([1, 1, 0, 0])
    score = np.array([400, 500, 600, 700])
    out = discrimination(y, score, [0.5, 0.4, 0.2, 0.1], n_resamples=20)
    assert out["auc"] == 1.0
    assert out["rows"] == 4 and out["bads"] == 2
    assert set(out["ci"]) == {"auc", "gini", "ks", "brier"}


def test_band_table_counts_rates_and_keeps_950_in_the_top_band() -> None:
    edges = band_edges(300)
    assert edges == [350, 650, 951]
    rows = band_table([1, 0, 0, 1], [350, 649, 950, 700], [0.5, 0.3, 0.01, 0.1], edges)
    assert [r["band"] for r in rows] == ["350–649", "650–950"]
    assert [r["rows"] for r in rows] == [2, 2]
    assert rows[0]["observed_bad_rate"] == 0.5
    assert rows[0]["predicted_bad_rate"] == pytest.approx(0.4)
    assert rows[1]["predicted_bad_rate"] == pytest.approx(0.055)


def test_group_table_keeps_empty_groups() -> None:
    rows = group_table([1, 0, 0], ["poor", "good", "good"], ["poor", "fair", "good"])
    assert [(r["group"], r["rows"], r["bad_rate"]) for r in rows] == [
        ("poor", 1, 1.0),
        ("fair", 0, None),
        ("good", 2, 0.0),
    ]


def test_hosmer_lemeshow_by_hand() -> None:
    # three groups of 4 rows at p = 0.25, 0.5, 0.75 with 1, 3 and 2 bads (1, 2 and 3 expected):
    # 0 + (3 - 2)^2 / (2 * 0.5) + (2 - 3)^2 / (3 * 0.25) = 1 + 4/3, on 1 degree of freedom
    y = [0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0]  # groups of 4
    p = [0.25] * 4 + [0.5] * 4 + [0.75] * 4
    out = hosmer_lemeshow(y, p, groups=3)
    assert out["statistic"] == pytest.approx(7 / 3)
    assert out["dof"] == 1
    assert out["p_value"] == pytest.approx(chi2.sf(7 / 3, 1))


def test_hosmer_lemeshow_separates_calibrated_from_miscalibrated() -> None:
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.02, 0.6, 20_000)
    calibrated = hosmer_lemeshow((rng.random(20_000) < probs).astype(int), probs)
    assert calibrated["p_value"] > 0.001
    off = hosmer_lemeshow((rng.random(20_000) < probs * 1.5).astype(int), probs)
    assert off["p_value"] < 1e-6
    with pytest.raises(ValueError, match="at least 10 rows for 10 groups"):
        hosmer_lemeshow([0, 1], [0.1, 0.2])
