"""Population stability (PSI of the score) and characteristic stability (CSI of each model input).

PSI = sum over bins of (actual share - expected share) * ln(actual share / expected share). Conventions
(flagged in every report): below 0.1 stable, 0.1 to 0.25 worth monitoring, 0.25 and above shifted.
A bin empty on one side gets a share of ``EPSILON`` so the index stays finite.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.evaluate._assign import bin_index, segment_index

EPSILON = 1e-4
MONITOR_AT = 0.1
SHIFTED_AT = 0.25

Flag = Literal["stable", "monitor", "shifted"]


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike) -> float:
    """Population stability index between two distributions over the same bins (counts or shares).

    >>> round(psi([50, 50], [25, 75]), 4)
    0.2747
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape or e.ndim != 1:
        raise ValueError(f"expected and actual need the same bins; found {e.shape} and {a.shape}")
    if e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("both distributions need at least one row")
    e = np.maximum(e / e.sum(), EPSILON)
    a = np.maximum(a / a.sum(), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def flag(index: float) -> Flag:
    """Stability convention for a PSI or CSI value."""
    if index >= SHIFTED_AT:
        return "shifted"
    if index >= MONITOR_AT:
        return "monitor"
    return "stable"


def score_edges(baseline_scores: npt.ArrayLike, n_bins: int = 10) -> list[float]:
    """Inner edges at the baseline's deciles (distinct values only): bins are [e_i, e_i+1)."""
    s = np.asarray(baseline_scores, dtype=np.float64)
    qs = np.quantile(s, np.linspace(0, 1, n_bins + 1)[1:-1], method="higher")
    return [float(v) for v in np.unique(qs)]


def score_stability(baseline_scores: npt.ArrayLike, current_scores: npt.ArrayLike) -> dict[str, Any]:
    """PSI of the score over the baseline's decile bands, with the table behind it."""
    base = np.asarray(baseline_scores, dtype=np.float64)
    cur = np.asarray(current_scores, dtype=np.float64)
    inner = score_edges(base)
    bounds = [-np.inf, *inner, np.inf]
    k = len(bounds) - 1
    e = np.bincount(np.searchsorted(inner, base, side="right"), minlength=k)
    a = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=k)
    rows = []
    for i in range(k):
        lo, hi = bounds[i], bounds[i + 1]
        label = f"< {hi:g}" if lo == -np.inf else (f"≥ {lo:g}" if hi == np.inf else f"{lo:g}–{hi - 1:g}")
        rows.append(
            {
                "band": label,
                "baseline_share": float(e[i] / max(base.size, 1)),
                "current_share": float(a[i] / max(cur.size, 1)),
            }
        )
    value = psi(e, a)
    return {
        "psi": value,
        "flag": flag(value),
        "baseline_rows": int(base.size),
        "current_rows": int(cur.size),
        "baseline_mean": float(base.mean()),
        "current_mean": float(cur.mean()),
        "bands": rows,
    }


def characteristic_stability(
    artifact: ScorecardArtifact,
    current: pd.DataFrame,
    baseline: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """CSI of every characteristic of every segment, over the model's own bins.

    The baseline is a table scored the same way, or, when None, the training counts stored in the
    artifact's bins. ``points_shift`` is the change in average points the characteristic contributes.
    """
    cur_seg = segment_index(artifact, current)
    base_seg = None if baseline is None else segment_index(artifact, baseline)
    out: list[dict[str, Any]] = []
    for s, segment in enumerate(artifact.segments):
        cur_rows = current.loc[cur_seg == s]
        if base_seg is not None and baseline is not None:
            base_rows: pd.DataFrame | None = baseline.loc[base_seg == s]
        else:
            base_rows = None
        for ch in segment.characteristics:
            k = len(ch.bins)
            points = np.array([b.points for b in ch.bins], dtype=np.float64)
            a = np.bincount(bin_index(ch, cur_rows[ch.name]), minlength=k).astype(np.float64)
            if base_rows is None:
                e = np.array([b.count for b in ch.bins], dtype=np.float64)
            else:
                e = np.bincount(bin_index(ch, base_rows[ch.name]), minlength=k).astype(np.float64)
            if a.sum() == 0 or e.sum() == 0:
                continue
            value = psi(e, a)
            es, as_ = e / e.sum(), a / a.sum()
            out.append(
                {
                    "segment": segment.name,
                    "characteristic": ch.name,
                    "csi": value,
                    "flag": flag(value),
                    "points_shift": float(((as_ - es) * points).sum()),
                    "bins": [
                        {"label": b.label, "baseline_share": float(es[i]), "current_share": float(as_[i])}
                        for i, b in enumerate(ch.bins)
                    ],
                }
            )
    return out
