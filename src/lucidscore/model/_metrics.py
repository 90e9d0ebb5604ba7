"""Discrimination metrics on scores (higher score = lower risk): AUC, Gini, KS."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def discrimination(y_bad: npt.ArrayLike, score: npt.ArrayLike) -> dict[str, float]:
    """AUC, Gini = 2 AUC - 1 and the Kolmogorov-Smirnov statistic of bads vs goods by score.

    >>> discrimination([1, 1, 0, 0], [400, 500, 600, 700])
    {'auc': 1.0, 'gini': 1.0, 'ks': 1.0}
    """
    y = np.asarray(y_bad)
    s = np.asarray(score)
    if y.size == 0 or y.min() == y.max():
        return {}
    if np.issubdtype(s.dtype, np.integer) and s.min() >= 0 and s.max() <= 100_000:
        auc, ks = _from_histograms(y, s)
    else:
        from sklearn.metrics import roc_auc_score, roc_curve  # only for non-integer scores

        risk = -s.astype(np.float64)
        auc = float(roc_auc_score(y, risk))
        fpr, tpr, _ = roc_curve(y, risk)
        ks = float(np.max(tpr - fpr))
    return {"auc": auc, "gini": 2 * auc - 1, "ks": ks}


def _from_histograms(y: npt.NDArray[np.generic], score: npt.NDArray[np.integer]) -> tuple[float, float]:
    """Exact AUC (ties count one half) and KS of integer scores in O(n), by counting per score."""
    size = int(score.max()) + 1
    bad = np.bincount(score[y == 1], minlength=size).astype(np.float64)
    good = np.bincount(score[y != 1], minlength=size).astype(np.float64)
    goods_above = good.sum() - np.cumsum(good)
    auc = float((bad * (goods_above + 0.5 * good)).sum() / (bad.sum() * good.sum()))
    ks = float(np.max(np.abs(np.cumsum(bad) / bad.sum() - np.cumsum(good) / good.sum())))
    return auc, ks
