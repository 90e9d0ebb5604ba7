"""The reference implementation of the scoring rule: plain numpy, slow and obviously correct.

Every engine (the compiled kernel, Spark, the SQL export) is tested against these functions, and fitting
uses them to place training rows in bins. They import no engine.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact._model import Characteristic, Condition, Segment, numeric_inputs
from lucidscore.artifact._scaling import MAX_SCORE, MIN_SCORE
from lucidscore.artifact._values import (
    canonical_number,
    category_codes,
    category_keys,
    numeric_columns,
    numeric_values,
)

IntArray = npt.NDArray[np.int64]


def bin_index(
    char: Characteristic,
    values: pd.Series,
    row_offset: int = 0,
    positions: npt.NDArray[np.int64] | None = None,
) -> IntArray:
    """Index into ``char.bins`` of each value's bin (junk in a numeric characteristic raises, naming the
    row: ``row_offset`` and ``positions`` as in ``numeric_values``)."""
    if char.dtype == "numeric":
        return bin_index_of_numbers(char, numeric_values(values, char.name, row_offset, positions))
    return bin_index_of_texts(char, *category_codes(values))


def bin_index_of_texts(
    char: Characteristic, codes: npt.NDArray[np.intp], texts: list[str | None]
) -> IntArray:
    """``bin_index`` of a categorical characteristic from its column read as ``category_codes`` reads it
    (each row's code into ``texts``, -1 missing): for callers reading one column for many cards."""
    bins = char.bins
    missing_at = next(i for i, b in enumerate(bins) if b.kind == "missing")
    lookup: dict[str, int] = {}
    for i, b in enumerate(bins):
        if b.kind == "categories":
            for c in b.categories:
                for key in category_keys(c):
                    lookup.setdefault(key, i)
    for i, b in enumerate(bins):  # special values override categories (the rule's order)
        if b.kind == "special" and b.special_value is not None:
            for key in category_keys(canonical_number(b.special_value)):
                lookup[key] = i
    per_text = [missing_at if t is None else lookup.get(t, missing_at) for t in texts]
    return np.asarray([*per_text, missing_at], dtype=np.int64)[codes]


def bin_index_of_numbers(char: Characteristic, x: npt.NDArray[np.float64]) -> IntArray:
    """``bin_index`` of a numeric characteristic from its values already read as numbers (``x``: float64,
    NaN for missing), as ``numeric_values`` reads a column: for callers holding the column as numbers."""
    bins = char.bins
    missing_at = next(i for i, b in enumerate(bins) if b.kind == "missing")
    out = np.full(x.shape[0], missing_at, dtype=np.int64)
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
    return out


_NUMERIC_OPS = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def condition_mask(cond: Condition, frame: pd.DataFrame, row_offset: int = 0) -> npt.NDArray[np.bool_]:
    """Rows matching ``column op value``; a missing value never matches (as NULL in SQL).

    A condition on text values compares category texts; one on numbers reads the column as numbers.
    """
    series = frame[cond.column]
    value = cond.value
    textual = isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))
    if textual:
        codes, texts = category_codes(series)
        wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        per_text = np.array([_text_matches(t, cond.op, wanted) for t in texts] + [False], dtype=bool)
        return per_text[codes]  # code -1 (missing) indexes the trailing False
    x = numeric_values(series, cond.column, row_offset)
    present = ~np.isnan(x)
    if cond.op == "in":
        return present & np.isin(x, np.asarray(value, dtype=np.float64))
    return present & _NUMERIC_OPS[cond.op](x, float(value))  # type: ignore[arg-type]


def _text_matches(text: str | None, op: str, wanted: list[str]) -> bool:
    if text is None:
        return False
    if op == "in":
        return text in wanted
    target = wanted[0]
    return {
        "==": text == target,
        "!=": text != target,
        "<": text < target,
        "<=": text <= target,
        ">": text > target,
        ">=": text >= target,
    }[op]


def segment_of_rows(segments: list[Segment], frame: pd.DataFrame, row_offset: int = 0) -> IntArray:
    """Index of each row's segment: the first whose condition matches, else the default (last)."""
    out = np.full(len(frame), len(segments) - 1, dtype=np.int64)
    undecided = np.ones(len(frame), dtype=np.bool_)
    for s, seg in enumerate(segments):
        if seg.condition is None:
            continue
        hit = condition_mask(seg.condition, frame, row_offset) & undecided
        out[hit] = s
        undecided &= ~hit
    return out


def raw_points(segments: list[Segment], frame: pd.DataFrame) -> IntArray:
    """Base points plus the points of each row's bins and interaction cells, before the 350-950 clip.

    A non-number in any column read as a number (``numeric_inputs``) makes its row unscoreable, whatever
    the row's segment: the first such row is named.
    """
    numeric_columns(frame, numeric_inputs(segments))
    seg_idx = segment_of_rows(segments, frame)
    raw = np.zeros(len(frame), dtype=np.int64)
    for s, seg in enumerate(segments):
        rows = seg_idx == s
        if not rows.any():
            continue
        positions = None if rows.all() else np.flatnonzero(rows)
        part = frame if positions is None else frame.iloc[positions]
        total = np.full(int(rows.sum()), seg.base_points, dtype=np.int64)
        at: dict[str, IntArray] = {}
        for ch in seg.characteristics:
            pts = np.array([b.points for b in ch.bins], dtype=np.int64)
            at[ch.name] = bin_index(ch, part[ch.name], positions=positions)
            total += pts[at[ch.name]]
        for inter in seg.interactions:
            grid = np.array(inter.points_by_bin(), dtype=np.int64)
            total += grid[at[inter.first], at[inter.second]]
        raw[rows] = total
    return raw


def reference_scores(segments: list[Segment], frame: pd.DataFrame) -> IntArray:
    """Scores by the artifact's scoring rule, clipped to 350-950."""
    return np.clip(raw_points(segments, frame), MIN_SCORE, MAX_SCORE)
