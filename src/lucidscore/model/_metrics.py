"""Discrimination metrics on scores (higher score = lower risk): AUC, Gini, KS."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score, roc_curve


def discrimination(y_bad: npt.ArrayLike, score: npt.ArrayLike) -> dict[str, float]:
    """AUC, Gini = 2 AUC - 1 and the Kolmogorov-Smirnov statistic of bads vs goods by score.

    >>> discrimination([1, 1, 0, 0], [400, 500, 600, 700])
    {'auc': 1.0, 'gini': 1.0, 'ks': 1.0}
    """
    y = np.asarray(y_bad)
    risk = -np.asarray(score, dtype=np.float64)
    if y.min() == y.max():
        return {}
    auc = float(roc_auc_score(y, risk))
    fpr, tpr, _ = roc_curve(y, risk)
    return {"auc": auc, "gini": 2 * auc - 1, "ks": float(np.max(tpr - fpr))}
