"""Place rows in a model's segments and bins, following the scoring rule of ``model/_artifact.py``.

The evaluation needs each row's bin (for CSI and proxy checks), not just its score, so it applies the
same rule the scoring engines do: missing -> the missing bin, special code -> its special bin, numeric ->
the interval with lower <= value < upper, categorical -> the bin listing the value (as a string); a value
no bin holds falls in the missing bin.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.model import Characteristic, Condition, ScorecardArtifact

IntArray = npt.NDArray[np.int64]


def _missing_mask(values: pd.Series) -> npt.NDArray[np.bool_]:
    mask = values.isna().to_numpy().copy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        mask |= values.astype(str).str.strip().eq("").to_numpy()
    return np.asarray(mask, dtype=bool)


def _category_text(value: object) -> str:
    """A cell as categories compare it: numbers in canonical form (1.0 -> '1'), text stripped."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    number: float | None = None
    if isinstance(value, float | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value.strip()
    if number is not None and np.isfinite(number) and number == int(number) and abs(number) < 2**53:
        return str(int(number))
    return str(value).strip()


def bin_index(characteristic: Characteristic, values: pd.Series) -> IntArray:
    """Position in ``characteristic.bins`` of each value's bin."""
    bins = characteristic.bins
    missing_pos = next(i for i, b in enumerate(bins) if b.kind == "missing")
    out = np.full(len(values), -1, dtype=np.int64)
    is_missing = _missing_mask(values)
    if characteristic.dtype == "numeric":
        num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        is_missing |= np.isnan(num)
        free = ~is_missing
        for i, b in enumerate(bins):
            if b.kind == "special" and b.special_value is not None:
                hit = free & (num == b.special_value)
                out[hit] = i
                free &= ~hit
        for i, b in enumerate(bins):
            if b.kind != "interval":
                continue
            lo = -np.inf if b.lower is None else b.lower
            hi = np.inf if b.upper is None else b.upper
            hit = free & (num >= lo) & (num < hi)
            out[hit] = i
            free &= ~hit
    else:
        lookup = {
            key: i
            for i, b in enumerate(bins)
            if b.kind == "categories"
            for cat in b.categories
            for key in {cat, _category_text(cat)}
        }
        text = pd.Series([_category_text(v) for v in values.to_numpy(dtype=object)], dtype=object)
        codes = text.map(lookup).to_numpy(dtype=np.float64, na_value=np.nan)
        found = ~np.isnan(codes) & ~is_missing
        out[found] = codes[found].astype(np.int64)
    out[out < 0] = missing_pos
    return out


def _condition_mask(condition: Condition, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    column = frame[condition.column]
    value = condition.value
    if condition.op == "in":
        items = value if isinstance(value, list) else [value]
        if all(isinstance(v, (int, float)) for v in items):
            num = pd.to_numeric(column, errors="coerce")
            return np.asarray(num.isin(items).to_numpy(), dtype=bool)
        return np.asarray(column.astype(str).isin([str(v) for v in items]).to_numpy(), dtype=bool)
    if isinstance(value, (int, float)):
        left: pd.Series = pd.to_numeric(column, errors="coerce")
        right: float | str = float(value)
    else:
        left, right = column.astype(str), str(value)
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "==": operator.eq,
        "!=": operator.ne,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }
    result = ops[condition.op](left, right)
    return np.asarray(result.fillna(False).to_numpy(dtype=bool), dtype=bool)


def segment_index(artifact: ScorecardArtifact, frame: pd.DataFrame) -> IntArray:
    """Position in ``artifact.segments`` of each row's segment: the first whose condition matches."""
    out = np.full(len(frame), len(artifact.segments) - 1, dtype=np.int64)
    unset = np.ones(len(frame), dtype=bool)
    for i, seg in enumerate(artifact.segments[:-1]):
        assert seg.condition is not None  # the artifact validator guarantees it for all but the last
        hit = unset & _condition_mask(seg.condition, frame)
        out[hit] = i
        unset &= ~hit
    return out


def reference_scores(artifact: ScorecardArtifact, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Scores by the artifact's rule, computed here from the bins: a cross-check on any engine."""
    seg = segment_index(artifact, frame)
    total = np.zeros(len(frame), dtype=np.int64)
    for s, segment in enumerate(artifact.segments):
        rows = seg == s
        if not rows.any():
            continue
        part = np.full(int(rows.sum()), segment.base_points, dtype=np.int64)
        sub = frame.loc[rows]
        for ch in segment.characteristics:
            points = np.array([b.points for b in ch.bins], dtype=np.int64)
            part += points[bin_index(ch, sub[ch.name])]
        total[rows] = part
    return np.clip(total, 350, 950)
