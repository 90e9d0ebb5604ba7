"""Population stability (PSI of the score), characteristic stability (CSI of each model input) and the
stability of each interaction grid's cells (issue 14).

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
from lucidscore.evaluate._assign import bin_index, grid_cells, segment_index

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


def _grid(values: npt.NDArray[Any], shape: tuple[int, int]) -> list[list[Any]]:
    out: list[list[Any]] = values.reshape(shape).tolist()
    return out


def interaction_stability(
    artifact: ScorecardArtifact,
    current: pd.DataFrame,
    baseline: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Stability of every interaction grid of every segment over its cells, as ``characteristic_stability``
    is over a characteristic's bins: the rows of the segment counted per cell (each row in exactly one),
    the PSI of the cells' shares, current against baseline, flagged by the same conventions, and the
    change in average points the grid adds (``points_shift``, per cell and in all).

    The baseline is a table, or, when None, the training rows behind each cell that the model file
    records (``Interaction.counts``; a grid without them is left out). When the file records them, each
    cell's training share and the PSI of the current rows against them (``training_psi``) come too.
    Cells are ``[i][j]``: the i-th group of ``first``'s bins down, the j-th of ``second``'s across.
    """
    cur_seg = segment_index(artifact, current)
    base_seg = None if baseline is None else segment_index(artifact, baseline)
    out: list[dict[str, Any]] = []
    for s, segment in enumerate(artifact.segments):
        by_name = {c.name: c for c in segment.characteristics}
        cur_pos = np.flatnonzero(cur_seg == s)
        base_pos = None if base_seg is None else np.flatnonzero(base_seg == s)
        for inter in segment.interactions:
            first, second = by_name[inter.first], by_name[inter.second]
            shape = (len(inter.first_groups), len(inter.second_groups))
            k = shape[0] * shape[1]
            cell, first_labels, second_labels = grid_cells(
                inter, first, second, current.iloc[cur_pos], cur_pos
            )
            a = np.bincount(cell, minlength=k).astype(np.float64)
            trained = np.asarray(inter.counts, dtype=np.float64).reshape(-1)
            if baseline is None or base_pos is None:
                e = trained
            else:
                base_cell, *_ = grid_cells(inter, first, second, baseline.iloc[base_pos], base_pos)
                e = np.bincount(base_cell, minlength=k).astype(np.float64)
            if e.size != k or a.sum() == 0 or e.sum() == 0:
                continue
            value = psi(e, a)
            es, as_ = e / e.sum(), a / a.sum()
            points = np.asarray(inter.points, dtype=np.float64).reshape(-1)
            shift = (as_ - es) * points
            known = trained.size == k and trained.sum() > 0
            training_psi = psi(trained, a) if known else None
            ts = trained / trained.sum() if known else None

            out.append(
                {
                    "segment": segment.name,
                    "first": inter.first,
                    "second": inter.second,
                    "first_labels": first_labels,
                    "second_labels": second_labels,
                    "psi": value,
                    "flag": flag(value),
                    "points_shift": float(shift.sum()),
                    "training_psi": training_psi,
                    "points": inter.points,
                    "baseline_rows": _grid(e.astype(np.int64), shape),
                    "current_rows": _grid(a.astype(np.int64), shape),
                    "baseline_share": _grid(es, shape),
                    "current_share": _grid(as_, shape),
                    "cell_points_shift": _grid(shift, shape),
                    "training_share": [] if ts is None else _grid(ts, shape),
                }
            )
    return out
