"""Proxy screening: how well the model's characteristics predict each audit attribute.

A characteristic is seen as the model sees it, through its bins. One at a time (``proxy_table``), two
measures per pair:
- Cramér's V of the bins x groups table (0 = unrelated, 1 = one determines the other);
- single-feature AUC: each bin's share of a group used as a predictor of membership (one group against
  the rest; the best group of at least ``MIN_GROUP`` rows is reported), in-sample, so 0.5 means no signal.
A pair is flagged "strong" (review before use) at V >= 0.3 or AUC >= 0.7, "moderate" at V >= 0.1 or
AUC >= 0.6.

Together (``joint_proxy_table``): characteristics that each say little may together stand in for an
attribute. For each group, a logistic regression on every characteristic's bins (one-hot) predicts
membership of that group against the rest; its out-of-fold probabilities (``JOINT_FOLDS``-fold
cross-validation, so no in-sample optimism) give the group's AUC, and the best group's is reported with
the same thresholds.
The score's own AUC for that group says how much of it reaches the final number. Above ``JOINT_ROWS``
rows a random sample of that many is used.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.evaluate._assign import bin_index, segment_index
from lucidscore.evaluate._fairness import MIN_GROUP, group_labels
from lucidscore.evaluate._metrics import auc

STRONG_V, MODERATE_V = 0.3, 0.1
STRONG_AUC, MODERATE_AUC = 0.7, 0.6
JOINT_FOLDS = 5
JOINT_ROWS = 50_000  # the joint screen uses a random sample of at most this many rows

Strength = Literal["strong", "moderate", "weak"]


def cramers_v(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cramér's V between two categorical arrays (without bias correction, like scipy's ``association``).

    >>> cramers_v([0, 0, 1, 1], [0, 0, 1, 1])
    1.0
    """
    _, ai = np.unique(np.asarray(a), return_inverse=True)
    _, bi = np.unique(np.asarray(b), return_inverse=True)
    r, c = int(ai.max()) + 1, int(bi.max()) + 1
    if r < 2 or c < 2:
        return 0.0
    table = np.bincount(ai * c + bi, minlength=r * c).reshape(r, c).astype(np.float64)
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))


def single_feature_auc(codes: npt.ArrayLike, member: npt.ArrayLike) -> float:
    """AUC of predicting membership (0/1) from each code's in-sample membership rate; >= 0.5."""
    cc = np.asarray(codes)
    mm = np.asarray(member, dtype=np.int64)
    if mm.min() == mm.max():
        return 0.5
    _, ci = np.unique(cc, return_inverse=True)
    rate = np.bincount(ci, weights=mm) / np.bincount(ci)
    value = auc(mm, rate[ci])
    return max(value, 1.0 - value)


def strength(v: float, best_auc: float) -> Strength:
    if v >= STRONG_V or best_auc >= STRONG_AUC:
        return "strong"
    if v >= MODERATE_V or best_auc >= MODERATE_AUC:
        return "moderate"
    return "weak"


def _bin_codes(artifact: ScorecardArtifact, frame: pd.DataFrame) -> dict[str, npt.NDArray[np.int64]]:
    """Each characteristic's bin per row, as the model places it (distinct codes per segment)."""
    seg = segment_index(artifact, frame)
    codes: dict[str, npt.NDArray[np.int64]] = {}
    for s, segment in enumerate(artifact.segments):
        rows = seg == s
        for ch in segment.characteristics:
            # A characteristic used by several segments gets distinct codes per segment.
            arr = codes.setdefault(ch.name, np.full(len(frame), -1, dtype=np.int64))
            arr[rows] = s * 1000 + bin_index(ch, frame.loc[rows, ch.name])
    return codes


def proxy_table(
    artifact: ScorecardArtifact, frame: pd.DataFrame, audit: dict[str, pd.Series]
) -> list[dict[str, Any]]:
    """One row per (characteristic, audit attribute): Cramér's V, best one-vs-rest AUC, strength.

    Strongest first: by strength, then by the larger of V and the AUC's distance from chance (2·AUC - 1).
    """
    codes = _bin_codes(artifact, frame)
    # Each attribute's groups once (sorting text labels again for every characteristic was most of
    # this table's time): their names, each row's group number and each group's size.
    grouped = {
        a: np.unique(group_labels(g), return_inverse=True, return_counts=True) for a, g in audit.items()
    }
    out: list[dict[str, Any]] = []
    for name, code in codes.items():
        for attribute, (names, inverse, sizes) in grouped.items():
            v = cramers_v(code, inverse)
            # Groups (or their complements) under MIN_GROUP rows are skipped: a handful of rows gives an
            # in-sample AUC far from 0.5 by chance alone.
            per_group = {
                str(g): single_feature_auc(code, inverse == i)
                for i, (g, k) in enumerate(zip(names, sizes, strict=True))
                if MIN_GROUP <= k <= inverse.size - MIN_GROUP
            }
            best_group = max(per_group, key=lambda g: per_group[g]) if per_group else None
            best = per_group[best_group] if best_group is not None else 0.5
            out.append(
                {
                    "characteristic": name,
                    "attribute": attribute,
                    "cramers_v": v,
                    "auc": best,
                    "auc_group": best_group,
                    "strength": strength(v, best),
                }
            )
    rank = {"strong": 0, "moderate": 1, "weak": 2}
    out.sort(key=lambda r: (rank[r["strength"]], -max(r["cramers_v"], 2 * (r["auc"] - 0.5))))
    return out


def _one_hot(codes: dict[str, npt.NDArray[np.int64]]) -> Any:
    """Rows x (every characteristic's bins) indicator matrix (a SciPy CSR matrix)."""
    from scipy import sparse  # here, as scikit-learn below: a drift report (monitor) needs neither

    blocks = []
    for code in codes.values():
        _, inverse = np.unique(code, return_inverse=True)
        n_bins = int(inverse.max()) + 1
        blocks.append(
            sparse.csr_matrix(
                (np.ones(code.size), (np.arange(code.size), inverse)), shape=(code.size, n_bins)
            )
        )
    return sparse.hstack(blocks, format="csr")


def joint_proxy_table(
    artifact: ScorecardArtifact,
    frame: pd.DataFrame,
    audit: dict[str, pd.Series],
    score: npt.ArrayLike,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One row per audit attribute: the cross-validated AUC with which all characteristics together
    predict its best-predicted group (groups of ``MIN_GROUP`` rows or more, and their complements), the
    score's own AUC for that group, and the strength by the single-characteristic AUC thresholds."""
    # Imported here: ``lucidscore monitor`` reads this module (its drift report) but never fits, and
    # importing scikit-learn costs it about 2 s of CPU.
    from sklearn.model_selection import KFold

    codes = _bin_codes(artifact, frame)
    take = np.arange(len(frame))
    if take.size > JOINT_ROWS:  # the AUC of 50,000 rows is precise to about 0.003; fits stay seconds
        take = np.sort(np.random.default_rng(seed).choice(take.size, JOINT_ROWS, replace=False))
    x = _one_hot({name: code[take] for name, code in codes.items()})
    risk = np.asarray(score, dtype=np.float64)[take]
    out: list[dict[str, Any]] = []
    for attribute, groups in audit.items():
        lab = group_labels(groups)[take]
        names, inverse, sizes = np.unique(lab, return_inverse=True, return_counts=True)
        usable = [i for i, k in enumerate(sizes) if MIN_GROUP <= k <= lab.size - MIN_GROUP]
        row: dict[str, Any] = {"attribute": attribute, "auc": 0.5, "auc_group": None, "score_auc": 0.5}
        if usable and names.size >= 2:
            # Each usable group against the rest, on the same shuffled folds. Binary Newton fits take a
            # few steps each; one multinomial fit by L-BFGS took about 150 (about 20 s of a Taiwan
            # evaluation's 26, for the same AUCs to about 0.001).
            folds = list(KFold(JOINT_FOLDS, shuffle=True, random_state=seed).split(np.zeros(lab.size)))
            per_group = {i: _member_auc(x, (inverse == i).astype(np.int64), folds) for i in usable}
            best = max(per_group, key=lambda i: per_group[i])
            member = (inverse == best).astype(np.int64)
            score_auc = auc(member, risk)
            row |= {
                "auc": max(per_group[best], 0.5),
                "auc_group": str(names[best]),
                "score_auc": max(score_auc, 1.0 - score_auc),
            }
        row["characteristics"] = len(codes)
        row["strength"] = strength(0.0, row["auc"])
        out.append(row)
    return out


def _member_auc(x: Any, member: npt.NDArray[np.int64], folds: list[tuple[Any, Any]]) -> float:
    """The cross-validated AUC with which ``x`` predicts ``member`` (1 in the group, 0 out of it): an
    L2-penalised logistic regression (C = 1) fitted on each fold's other rows; a training part holding
    one class only predicts that class."""
    from sklearn.linear_model import LogisticRegression

    prob = np.zeros(member.size)
    for a, b in folds:
        seen = member[a]
        if seen.min() == seen.max():
            prob[b] = float(seen[0])
            continue
        model = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100).fit(x[a], seen)
        prob[b] = model.predict_proba(x[b])[:, 1]
    return auc(member, prob)
