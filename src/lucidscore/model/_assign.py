"""Find each row's bin in a characteristic, by the artifact's scoring rule (vectorised, pure numpy).

Used at fit time (WOE matrix for the regression), by ``Scorecard.transform`` and as the reference
scorer when the compiled kernel is not available.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.model._artifact import Characteristic, Condition, Segment
from lucidscore.model._kernel import _condition_mask, as_category_text


def numeric_values(values: pd.Series) -> npt.NDArray[np.float64]:
    """Values as float64 with NaN for missing (anything that is not a number scores as missing)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def category_values(values: pd.Series) -> npt.NDArray[np.object_]:
    """Values as category text, None for missing, exactly as the scoring kernel reads them (2.0 -> '2')."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([as_category_text(u) for u in uniques] + [None], dtype=object)
    return texts[codes]  # code -1 (missing) picks the trailing None


def bin_index(char: Characteristic, values: pd.Series) -> npt.NDArray[np.int64]:
    """Index into ``char.bins`` of each value's bin."""
    bins = char.bins
    missing_at = next(i for i, b in enumerate(bins) if b.kind == "missing")
    out = np.full(len(values), missing_at, dtype=np.int64)
    if char.dtype == "numeric":
        x = numeric_values(values)
        regular = ~np.isnan(x)
        for i, b in enumerate(bins):
            if b.kind == "special":
                hit = x == b.special_value
                out[hit] = i
                regular &= ~hit
        intervals = [(i, b) for i, b in enumerate(bins) if b.kind == "interval"]
        intervals.sort(key=lambda t: -np.inf if t[1].lower is None else t[1].lower)
        if intervals:
            edges = np.array([b.lower for _, b in intervals[1:]], dtype=np.float64)
            ids = np.array([i for i, _ in intervals], dtype=np.int64)
            out[regular] = ids[np.searchsorted(edges, x[regular], side="right")]
    else:
        lookup = {c: i for i, b in enumerate(bins) if b.kind == "categories" for c in b.categories}
        cats = category_values(values)
        out = np.fromiter(
            (missing_at if v is None else lookup.get(v, missing_at) for v in cats),
            dtype=np.int64,
            count=len(cats),
        )
    return out


def condition_mask(cond: Condition, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Rows matching ``column op value``; a missing value never matches (the kernel's own rule)."""
    return _condition_mask(cond, frame[cond.column], 0)


def segment_of_rows(segments: list[Segment], frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Index of each row's segment: the first whose condition matches, else the default (last)."""
    out = np.full(len(frame), len(segments) - 1, dtype=np.int64)
    undecided = np.ones(len(frame), dtype=np.bool_)
    for s, seg in enumerate(segments):
        if seg.condition is None:
            continue
        hit = condition_mask(seg.condition, frame) & undecided
        out[hit] = s
        undecided &= ~hit
    return out


def reference_scores(segments: list[Segment], frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Scores by the artifact's scoring rule, clipped to 350-950 (a slow, obviously-correct reference)."""
    seg_idx = segment_of_rows(segments, frame)
    raw = np.zeros(len(frame), dtype=np.int64)
    for s, seg in enumerate(segments):
        rows = seg_idx == s
        if not rows.any():
            continue
        part = frame if rows.all() else frame.loc[rows]
        total = np.full(int(rows.sum()), seg.base_points, dtype=np.int64)
        for ch in seg.characteristics:
            pts = np.array([b.points for b in ch.bins], dtype=np.int64)
            total += pts[bin_index(ch, part[ch.name])]
        raw[rows] = total
    return np.clip(raw, 350, 950)
