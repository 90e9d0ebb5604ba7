"""Fairness at a cutoff: approval rate, adverse impact ratio, four-fifths flag, equal opportunity.

A row is approved when its score is at or above the cutoff. For each audit column the rows are put in
groups (age in bands, other numbers with many values in quintiles, everything else by value, with a
"missing" group). Against the most-approved group (among groups of at least ``MIN_GROUP`` rows) each
group gets an adverse impact ratio; below 0.8 is flagged (the four-fifths rule of the US Uniform
Guidelines). Equal opportunity compares the true-positive rate: the approval rate among rows whose
outcome was good.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

FOUR_FIFTHS = 0.8
MIN_GROUP = 30
AGE_EDGES = (25, 35, 45, 55)
AGE_LABELS = ("<25", "25–34", "35–44", "45–54", "55+")
MISSING = "missing"


def age_bands(ages: pd.Series) -> pd.Series:
    """Age in years to the bands <25, 25–34, 35–44, 45–54, 55+ (non-numbers are 'missing')."""
    num = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    idx = np.searchsorted(np.asarray(AGE_EDGES, dtype=np.float64), num, side="right")
    labels = np.asarray(AGE_LABELS, dtype=object)[np.clip(idx, 0, len(AGE_LABELS) - 1)]
    labels[np.isnan(num)] = MISSING
    return pd.Series(labels, index=ages.index, name=ages.name, dtype=object)


def audit_groups(values: pd.Series) -> pd.Series:
    """Group labels for one audit column: age bands, quintiles for other many-valued numbers, or values."""
    name = str(values.name or "").lower()
    if name == "age" or name.startswith("age_") or name.endswith("_age"):
        return age_bands(values)
    num = pd.to_numeric(values, errors="coerce")
    if pd.api.types.is_numeric_dtype(values.dtype) and num.nunique() > 10:
        q = pd.qcut(num, 5, duplicates="drop")
        labels = q.astype(str).where(q.notna(), MISSING)
        return pd.Series(labels.to_numpy(dtype=object), index=values.index, name=values.name, dtype=object)
    text = values.astype(str).where(values.notna(), MISSING)
    text = text.where(text.str.strip() != "", MISSING)
    return pd.Series(text.to_numpy(dtype=object), index=values.index, name=values.name, dtype=object)


def _sort_key(label: str) -> tuple[int, float | str]:
    if label in AGE_LABELS:
        return (0, float(AGE_LABELS.index(label)))
    try:
        return (1, float(label))
    except ValueError:
        return (2 if label != MISSING else 3, label)


@dataclass
class GroupStats:
    """One group's figures at the cutoff."""

    group: str
    rows: int
    approval_rate: float
    bad_rate: float
    tpr: float | None  # approval rate among rows with a good outcome
    mean_score: float
    small: bool  # fewer than MIN_GROUP rows: shown, never the reference, never flagged
    adverse_impact_ratio: float | None = None
    four_fifths_flag: bool = False


def fairness_table(
    groups: pd.Series,
    score: npt.ArrayLike,
    bad: npt.ArrayLike,
    cutoff: int,
) -> dict[str, Any]:
    """Per-group approval, adverse impact ratio, four-fifths flag, TPR and mean score, and their gaps."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(bad, dtype=np.int64)
    approved = s >= cutoff
    lab = groups.to_numpy(dtype=object).astype(str)
    stats: list[GroupStats] = []
    for g in sorted(set(lab.tolist()), key=_sort_key):
        m = lab == g
        goods = m & (y == 0)
        stats.append(
            GroupStats(
                group=g,
                rows=int(m.sum()),
                approval_rate=float(approved[m].mean()),
                bad_rate=float(y[m].mean()),
                tpr=float(approved[goods].mean()) if goods.any() else None,
                mean_score=float(s[m].mean()),
                small=int(m.sum()) < MIN_GROUP,
            )
        )
    eligible = [g for g in stats if not g.small] or stats
    reference = max(eligible, key=lambda g: g.approval_rate)
    for g in stats:
        if reference.approval_rate > 0:
            g.adverse_impact_ratio = g.approval_rate / reference.approval_rate
            g.four_fifths_flag = g.adverse_impact_ratio < FOUR_FIFTHS and not g.small
    tprs = [g.tpr for g in eligible if g.tpr is not None]
    airs = [g.adverse_impact_ratio for g in eligible if g.adverse_impact_ratio is not None]
    means = [g.mean_score for g in eligible]
    return {
        "cutoff": cutoff,
        "reference_group": reference.group,
        "groups": [asdict(g) for g in stats],
        "min_adverse_impact_ratio": min(airs) if airs else None,
        "four_fifths_flagged": [g.group for g in stats if g.four_fifths_flag],
        "tpr_gap": (max(tprs) - min(tprs)) if tprs else None,
        "mean_score_gap": max(means) - min(means),
    }


def fairlearn_summary(
    groups: pd.Series, score: npt.ArrayLike, bad: npt.ArrayLike, cutoff: int
) -> dict[str, float]:
    """fairlearn's own figures on the same decision (positive = approved, true label = good outcome)."""
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equalized_odds_difference,
    )

    approved = (np.asarray(score, dtype=np.float64) >= cutoff).astype(int)
    good = 1 - np.asarray(bad, dtype=np.int64)
    sf = groups.to_numpy(dtype=object).astype(str)
    kw = {"sensitive_features": sf}
    return {
        "demographic_parity_difference": float(demographic_parity_difference(good, approved, **kw)),
        "demographic_parity_ratio": float(demographic_parity_ratio(good, approved, **kw)),
        "equal_opportunity_difference": float(equal_opportunity_difference(good, approved, **kw)),
        "equalized_odds_difference": float(equalized_odds_difference(good, approved, **kw)),
    }
