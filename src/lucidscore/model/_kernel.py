"""The scoring kernel: an artifact compiled to flat arrays and scored by numba-compiled loops.

It follows the scoring rule at the top of ``_artifact.py`` exactly. Preparation (``prepare``) turns a
frame into one float64 matrix — numeric columns as values with NaN for missing, categorical columns as
codes into the model's category table with NaN for missing and unseen values — plus the segment of each
row; the kernels then read nothing but arrays.

>>> from lucidscore.model import score_frame  # doctest: +SKIP
>>> score_frame(artifact, frame, reasons=4)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from lucidscore.errors import InputError
from lucidscore.model._artifact import Characteristic, Condition, ScorecardArtifact
from lucidscore.model._reasons import MAX_PRINCIPAL_REASONS, bin_reason_texts, is_inquiry_characteristic
from lucidscore.model._scaling import MAX_SCORE, MIN_SCORE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------- kernels
# The value matrix is column-major and rows are taken in blocks. A numeric bin is found by counting, edge
# by edge, the rows whose value is at or above it: the inner loop runs over rows with a fixed edge, which
# the compiler turns into SIMD compares, and there is no data-dependent branch. NaN (missing or unseen
# category) and special values are then patched in with selects.

_BLOCK = 2048  # rows per block: the per-block buffers stay in L1/L2 cache


@njit(cache=True, nogil=True)
def _block_bins(
    x: FloatArray,
    r0: int,
    r1: int,
    c: int,
    col: IntArray,
    is_cat: npt.NDArray[np.bool_],
    missing_bin: IntArray,
    spec_start: IntArray,
    spec_vals: FloatArray,
    spec_bin: IntArray,
    bp_start: IntArray,
    bp: FloatArray,
    elem_bin: IntArray,
    lut_start: IntArray,
    lut: IntArray,
    idx: IntArray,
) -> None:
    """Global bin of characteristic ``c`` for rows r0..r1 into idx[0 : r1 - r0]."""
    m = r1 - r0
    v = x[r0:r1, col[c]]  # contiguous: the matrix is column-major
    miss = missing_bin[c]
    if is_cat[c]:
        base = lut_start[c]
        for t in range(m):
            idx[t] = miss if v[t] != v[t] else lut[base + int(v[t])]
        return
    lo = bp_start[c]
    hi = bp_start[c + 1]
    start = lo + c
    for t in range(m):
        idx[t] = start
    for k in range(lo, hi):
        edge = bp[k]
        for t in range(m):
            idx[t] += v[t] >= edge
    for t in range(m):
        idx[t] = elem_bin[idx[t]]
    for k in range(spec_start[c], spec_start[c + 1]):
        sv = spec_vals[k]
        sb = spec_bin[k]
        for t in range(m):
            if v[t] == sv:
                idx[t] = sb
    for t in range(m):
        if v[t] != v[t]:
            idx[t] = miss


@njit(cache=True, nogil=True)
def _score_kernel(
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    seg_start: IntArray,
    seg_base: IntArray,
    col: IntArray,
    is_cat: npt.NDArray[np.bool_],
    missing_pts: IntArray,
    spec_start: IntArray,
    spec_vals: FloatArray,
    spec_pts: IntArray,
    bp_start: IntArray,
    bp: FloatArray,
    elem_pts: IntArray,
    lut_start: IntArray,
    lut_pts: IntArray,
) -> npt.NDArray[np.int16]:
    """Scores only: base points of the row's segment plus the points of its bins, clipped.

    The same bin search as ``_block_bins``, with points tables in place of bin tables.
    """
    n = x.shape[0]
    n_seg = seg_start.shape[0] - 1
    out = np.empty(n, dtype=np.int16)
    idx = np.empty(_BLOCK, dtype=np.int64)
    pts = np.empty(_BLOCK, dtype=np.int64)
    total = np.empty(_BLOCK, dtype=np.int64)
    for r0 in range(0, n, _BLOCK):
        r1 = min(n, r0 + _BLOCK)
        m = r1 - r0
        for t in range(m):
            total[t] = seg_base[seg[r0 + t]]
        for s in range(n_seg):
            for c in range(seg_start[s], seg_start[s + 1]):
                v = x[r0:r1, col[c]]
                miss = missing_pts[c]
                if is_cat[c]:
                    base = lut_start[c]
                    for t in range(m):
                        pts[t] = miss if v[t] != v[t] else lut_pts[base + int(v[t])]
                else:
                    lo = bp_start[c]
                    hi = bp_start[c + 1]
                    for t in range(m):
                        idx[t] = lo + c
                    for k in range(lo, hi):
                        edge = bp[k]
                        for t in range(m):
                            idx[t] += v[t] >= edge
                    for t in range(m):
                        pts[t] = miss if v[t] != v[t] else elem_pts[idx[t]]
                    for k in range(spec_start[c], spec_start[c + 1]):
                        sv = spec_vals[k]
                        sp = spec_pts[k]
                        for t in range(m):
                            if v[t] == sv:
                                pts[t] = sp
                if n_seg == 1:
                    for t in range(m):
                        total[t] += pts[t]
                else:
                    for t in range(m):
                        total[t] += pts[t] * (seg[r0 + t] == s)
        for t in range(m):
            out[r0 + t] = min(max(total[t], MIN_SCORE), MAX_SCORE)
    return out


@njit(cache=True, nogil=True)
def _fill_bins(
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    r0: int,
    r1: int,
    seg_start: IntArray,
    col: IntArray,
    is_cat: npt.NDArray[np.bool_],
    missing_bin: IntArray,
    spec_start: IntArray,
    spec_vals: FloatArray,
    spec_bin: IntArray,
    bp_start: IntArray,
    bp: FloatArray,
    elem_bin: IntArray,
    lut_start: IntArray,
    lut: IntArray,
    idx: IntArray,
    out: npt.NDArray[np.int32],
) -> None:
    """Global bins of rows r0..r1 (out[row - r0, position in segment]; -1 past the segment's count)."""
    n_seg = seg_start.shape[0] - 1
    m = r1 - r0
    for t in range(m):
        for j in range(out.shape[1]):
            out[t, j] = -1
    for s in range(n_seg):
        first = seg_start[s]
        for c in range(first, seg_start[s + 1]):
            _block_bins(
                x, r0, r1, c, col, is_cat, missing_bin, spec_start, spec_vals, spec_bin, bp_start, bp,
                elem_bin, lut_start, lut, idx,
            )  # fmt: skip
            for t in range(m):
                if n_seg == 1 or seg[r0 + t] == s:
                    out[t, c - first] = idx[t]


@njit(cache=True, nogil=True)
def _bins_kernel(
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    seg_start: IntArray,
    col: IntArray,
    is_cat: npt.NDArray[np.bool_],
    missing_bin: IntArray,
    spec_start: IntArray,
    spec_vals: FloatArray,
    spec_bin: IntArray,
    bp_start: IntArray,
    bp: FloatArray,
    elem_bin: IntArray,
    lut_start: IntArray,
    lut: IntArray,
    width: int,
) -> npt.NDArray[np.int32]:
    n = x.shape[0]
    out = np.empty((n, width), dtype=np.int32)
    idx = np.empty(_BLOCK, dtype=np.int64)
    for r0 in range(0, n, _BLOCK):
        r1 = min(n, r0 + _BLOCK)
        _fill_bins(
            x, seg, r0, r1, seg_start, col, is_cat, missing_bin, spec_start, spec_vals, spec_bin, bp_start,
            bp, elem_bin, lut_start, lut, idx, out[r0:r1],
        )  # fmt: skip
    return out


@njit(cache=True, nogil=True)
def _reasons_kernel(
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    seg_start: IntArray,
    seg_base: IntArray,
    col: IntArray,
    is_cat: npt.NDArray[np.bool_],
    missing_bin: IntArray,
    spec_start: IntArray,
    spec_vals: FloatArray,
    spec_bin: IntArray,
    bp_start: IntArray,
    bp: FloatArray,
    elem_bin: IntArray,
    lut_start: IntArray,
    lut: IntArray,
    points: IntArray,
    best: IntArray,
    inquiry: npt.NDArray[np.bool_],
    k: int,
    width: int,
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Scores, and per row the top ``k`` characteristics by points lost (plus the inquiries slot)."""
    n = x.shape[0]
    scores = np.empty(n, dtype=np.int16)
    r_char = np.full((n, k + 1), -1, dtype=np.int32)
    r_bin = np.full((n, k + 1), -1, dtype=np.int32)
    block = np.empty((_BLOCK, width), dtype=np.int32)
    idx = np.empty(_BLOCK, dtype=np.int64)
    lost = np.empty(width, dtype=np.int64)
    for r0 in range(0, n, _BLOCK):
        r1 = min(n, r0 + _BLOCK)
        _fill_bins(
            x, seg, r0, r1, seg_start, col, is_cat, missing_bin, spec_start, spec_vals, spec_bin, bp_start,
            bp, elem_bin, lut_start, lut, idx, block,
        )  # fmt: skip
        for i in range(r0, r1):
            s = seg[i]
            first = seg_start[s]
            m = seg_start[s + 1] - first
            total = seg_base[s]
            for j in range(m):
                b = block[i - r0, j]
                total += points[b]
                lost[j] = best[first + j] - points[b]
            scores[i] = min(max(total, MIN_SCORE), MAX_SCORE)
            # Top k by points lost; ties go to the characteristic listed first (strict '>').
            for r in range(k):
                pick = -1
                top = 0
                for j in range(m):
                    if lost[j] > top:
                        top = lost[j]
                        pick = j
                if pick < 0:
                    break
                r_char[i, r] = first + pick
                r_bin[i, r] = block[i - r0, pick]
                lost[pick] = -lost[pick]  # taken: never picked again
            # A further reason when recent inquiries lost points but are not among the principal ones.
            for j in range(m):
                if inquiry[first + j] and lost[j] > 0:
                    r_char[i, k] = first + j
                    r_bin[i, k] = block[i - r0, j]
                    break
    return scores, r_char, r_bin


def _run(kernel: Any, *args: object) -> Any:
    """Call a numba dispatcher (its typed signature is numba's business, not mypy's)."""
    return kernel(*args)


# ------------------------------------------------------------------------------------------ preparation


def _canonical_number(value: float) -> str:
    """Text of a number as categories compare it: 1.0 -> '1', 2.5 -> '2.5'."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def as_category_text(value: object) -> str | None:
    """A raw cell as a category string, or None when it is missing (None, NaN, empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else _canonical_number(float(value))
    text = str(value).strip()
    return text or None


def category_keys(category: str) -> list[str]:
    """The texts that match a category: itself and, for a number written '1.0', also '1'."""
    keys = [category]
    try:
        number = float(category)
    except ValueError:
        return keys
    canon = _canonical_number(number)
    if canon != category and math.isfinite(number):
        keys.append(canon)
    return keys


def _row_label(row: int) -> str:
    return f"row {row:,}"


def numeric_column(series: pd.Series, name: str, row_offset: int = 0) -> FloatArray:
    """A column as float64 with NaN for missing; junk text raises ``InputError`` naming row and value."""
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    text = series.astype("string").str.strip()
    empty = text.isna() | (text == "")
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce")
    junk = (~empty) & numbers.isna()
    if bool(junk.any()):
        pos = int(np.flatnonzero(junk.to_numpy(dtype=bool))[0])
        raise InputError(
            f"column {name} {_row_label(row_offset + pos + 1)}: found {series.iloc[pos]!r}; "
            "expected a number (or an empty cell for missing)"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _text_uniques(series: pd.Series) -> tuple[npt.NDArray[np.intp], list[str | None]]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, [as_category_text(u) for u in uniques]


def _condition_mask(cond: Condition, series: pd.Series, row_offset: int) -> npt.NDArray[np.bool_]:
    """Rows matching ``column op value``; a missing value never matches (as NULL in SQL)."""
    value = cond.value
    textual = isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))
    if textual:
        codes, uniques = _text_uniques(series)
        wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        per_unique = np.array([_text_matches(u, cond.op, wanted) for u in uniques] + [False], dtype=bool)
        return per_unique[codes]  # code -1 (missing) indexes the trailing False
    x = numeric_column(series, cond.column, row_offset)
    present = ~np.isnan(x)
    if cond.op == "in":
        return present & np.isin(x, np.asarray(value, dtype=np.float64))
    v = float(value)  # type: ignore[arg-type]
    ops = {
        "==": np.equal,
        "!=": np.not_equal,
        "<": np.less,
        "<=": np.less_equal,
        ">": np.greater,
        ">=": np.greater_equal,
    }
    return present & ops[cond.op](x, v)


def _text_matches(text: str | None, op: str, wanted: list[str]) -> bool:
    if text is None:
        return False
    target = wanted[0]
    checks = {
        "==": text == target,
        "!=": text != target,
        "<": text < target,
        "<=": text <= target,
        ">": text > target,
        ">=": text >= target,
        "in": text in wanted,
    }
    return checks[op]


def _category_table(char: Characteristic, codes: dict[str, int], offset: int, missing: int) -> list[int]:
    """Global bin of each category code; specials override categories (the rule's order)."""
    table = [missing] * len(codes)
    for i, b in enumerate(char.bins):
        if b.kind == "categories":
            for cat in b.categories:
                for key in category_keys(cat):
                    if table[codes[key]] == missing:
                        table[codes[key]] = offset + i
    for i, b in enumerate(char.bins):
        if b.kind == "special" and b.special_value is not None:
            for key in category_keys(_canonical_number(b.special_value)):
                table[codes[key]] = offset + i
    return table


def _interval_table(char: Characteristic, offset: int, missing: int) -> tuple[list[float], list[int]]:
    """Sorted finite edges, and the global bin of each elementary interval between them.

    Elementary interval j covers [edges[j-1], edges[j]); its bin is the first interval bin that contains
    it, else the missing bin (a value that no interval covers).
    """
    intervals = [(b, offset + i) for i, b in enumerate(char.bins) if b.kind == "interval"]
    bounds = {e for b, _ in intervals for e in (b.lower, b.upper) if e is not None and math.isfinite(e)}
    edges = sorted(bounds)
    owners = []
    for j in range(len(edges) + 1):
        lo = -math.inf if j == 0 else edges[j - 1]
        hi = math.inf if j == len(edges) else edges[j]
        owner = missing
        for b, g in intervals:
            if (b.lower is None or b.lower <= lo) and (b.upper is None or hi <= b.upper):
                owner = g
                break
        owners.append(owner)
    return edges, owners


@dataclass(frozen=True)
class PreparedBatch:
    """A frame ready for the kernels: the value matrix (column-major), each row's segment, ignored columns."""

    values: FloatArray
    segment: npt.NDArray[np.int32]
    extra_columns: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])


@dataclass(frozen=True)
class ReasonCodes:
    """Scores and ranked reasons: global characteristic and bin indices, -1 where no reason applies.

    Column ``k`` (the last) holds the extra recent-inquiries reason, when one applies.
    """

    scores: npt.NDArray[np.int16]
    characteristic: npt.NDArray[np.int32]
    bin: npt.NDArray[np.int32]


@dataclass
class _Columns:
    """The matrix layout: one column per (input column, dtype) the model reads."""

    index: dict[tuple[str, str], int] = field(default_factory=dict)
    category_codes: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, dtype: str) -> int:
        return self.index.setdefault((name, dtype), len(self.index))


class CompiledScorecard:
    """An artifact compiled into flat arrays, with kernels for scores, bins and reasons."""

    def __init__(self, artifact: ScorecardArtifact) -> None:
        self.artifact = artifact
        self.characteristics: list[Characteristic] = [c for s in artifact.segments for c in s.characteristics]
        self.segment_names: list[str] = [s.name for s in artifact.segments]
        self._columns = _Columns()
        self._compile()

    @classmethod
    def from_artifact(cls, artifact: ScorecardArtifact) -> CompiledScorecard:
        """Compile ``artifact``; cheap (milliseconds), the kernels themselves are cached on disk by numba."""
        return cls(artifact)

    # -- compilation ---------------------------------------------------------------------------------

    def _compile(self) -> None:
        art = self.artifact
        cols = self._columns
        for char in self.characteristics:
            cols.add(char.name, char.dtype)
            if char.dtype == "categorical":
                codes = cols.category_codes.setdefault(char.name, {})
                for b in char.bins:
                    for cat in b.categories:
                        for key in category_keys(cat):
                            codes.setdefault(key, len(codes))
                for b in char.bins:
                    if b.kind == "special" and b.special_value is not None:
                        for key in category_keys(_canonical_number(b.special_value)):
                            codes.setdefault(key, len(codes))
        seg_start = [0]
        for seg in art.segments:
            seg_start.append(seg_start[-1] + len(seg.characteristics))
        self.seg_start = np.asarray(seg_start, dtype=np.int64)
        self.seg_base = np.asarray([s.base_points for s in art.segments], dtype=np.int64)
        self.width = max(1, max(len(s.characteristics) for s in art.segments))

        col, is_cat, missing, best, inquiry = [], [], [], [], []
        spec_start, spec_vals, spec_bin = [0], [], []
        bp_start, bp, elem_bin = [0], [], []
        lut_start, lut = [0], []
        points: list[int] = []
        bin_start = [0]
        for char in self.characteristics:
            offset = len(points)
            points.extend(b.points for b in char.bins)
            bin_start.append(len(points))
            missing_global = offset + next(i for i, b in enumerate(char.bins) if b.kind == "missing")
            col.append(cols.index[(char.name, char.dtype)])
            is_cat.append(char.dtype == "categorical")
            missing.append(missing_global)
            best.append(char.best_points)
            inquiry.append(is_inquiry_characteristic(char))
            specials = [(b.special_value, offset + i) for i, b in enumerate(char.bins) if b.kind == "special"]
            if char.dtype == "categorical":
                lut.extend(_category_table(char, cols.category_codes[char.name], offset, missing_global))
                elem_bin.append(missing_global)  # one elementary interval, never used
            else:
                for special_value, g in specials:
                    if special_value is not None:
                        spec_vals.append(float(special_value))
                        spec_bin.append(g)
                edges, owners = _interval_table(char, offset, missing_global)
                bp.extend(edges)
                elem_bin.extend(owners)
            spec_start.append(len(spec_vals))
            bp_start.append(len(bp))
            lut_start.append(len(lut))

        self.col = np.asarray(col, dtype=np.int64)
        self.is_cat = np.asarray(is_cat, dtype=np.bool_)
        self.missing_bin = np.asarray(missing, dtype=np.int64)
        self.best = np.asarray(best, dtype=np.int64)
        self.inquiry = np.asarray(inquiry, dtype=np.bool_)
        self.spec_start = np.asarray(spec_start, dtype=np.int64)
        self.spec_vals = np.asarray(spec_vals, dtype=np.float64)
        self.spec_bin = np.asarray(spec_bin, dtype=np.int64)
        self.bp_start = np.asarray(bp_start, dtype=np.int64)
        self.bp = np.asarray(bp, dtype=np.float64)
        self.elem_bin = np.asarray(elem_bin, dtype=np.int64)
        self.lut_start = np.asarray(lut_start, dtype=np.int64)
        self.lut = np.asarray(lut, dtype=np.int64)
        self.points_of_bin = np.asarray(points, dtype=np.int64)
        self.bin_start = np.asarray(bin_start, dtype=np.int64)
        texts: list[str | None] = [t for char in self.characteristics for t in bin_reason_texts(char)]
        self.bin_text = np.asarray([*texts, None], dtype=object)  # index -1 -> None
        unique = list(dict.fromkeys(t for t in texts if t is not None))
        position = {t: i for i, t in enumerate(unique)}
        self.reason_categories = pd.Index(unique, dtype=object)
        self._text_code = np.asarray([position[t] for t in texts if t is not None] + [-1], dtype=np.int32)

    # -- public --------------------------------------------------------------------------------------

    @property
    def required_columns(self) -> list[str]:
        """Every column scoring reads: characteristics and segment conditions, in first-use order."""
        names = [name for name, _ in self._columns.index]
        names += [s.condition.column for s in self.artifact.segments if s.condition is not None]
        return list(dict.fromkeys(names))

    def extra_columns(self, columns: Sequence[str]) -> list[str]:
        """Columns of the input that the model does not read (ignored; worth a note to the user)."""
        known = set(self.required_columns) | set(self.artifact.input_columns)
        return [c for c in columns if c not in known]

    def check_columns(self, columns: Sequence[str], source: str = "the scoring data") -> None:
        """Raise ``InputError`` naming every column the model needs that ``columns`` lacks."""
        have = set(columns)
        lacking = [c for c in self.required_columns if c not in have]
        if lacking:
            raise InputError(
                f"{source}: missing column(s) {', '.join(lacking)} that model {self.artifact.model_id} "
                f"needs; expected columns {', '.join(self.required_columns)}"
            )

    def prepare(
        self, frame: pd.DataFrame, row_offset: int = 0, source: str = "the scoring data"
    ) -> PreparedBatch:
        """Columns to one column-major float64 matrix (values or category codes) and each row's segment.

        ``row_offset`` numbers rows in error messages when ``frame`` is a chunk of a larger file.
        """
        self.check_columns(list(frame.columns), source)
        n = len(frame)
        values = np.empty((n, max(1, len(self._columns.index))), dtype=np.float64, order="F")
        for (name, dtype), j in self._columns.index.items():
            if dtype == "categorical":
                values[:, j] = self._category_codes(frame[name], name)
            else:
                values[:, j] = numeric_column(frame[name], name, row_offset)
        segment = np.full(n, len(self.artifact.segments) - 1, dtype=np.int32)
        conditional = [(i, s.condition) for i, s in enumerate(self.artifact.segments) if s.condition]
        for i, cond in reversed(conditional):  # first matching segment wins
            segment[_condition_mask(cond, frame[cond.column], row_offset)] = i
        return PreparedBatch(values, segment, tuple(self.extra_columns(list(frame.columns))))

    def _category_codes(self, series: pd.Series, name: str) -> FloatArray:
        codes_of = self._columns.category_codes[name]
        codes, uniques = _text_uniques(series)
        mapped = [codes_of.get(u, np.nan) if u is not None else np.nan for u in uniques]
        table = np.asarray([*mapped, np.nan], dtype=np.float64)
        return table[codes]

    def _kernel_args(self) -> tuple[npt.NDArray[np.generic], ...]:
        return (
            self.col, self.is_cat, self.missing_bin, self.spec_start, self.spec_vals, self.spec_bin,
            self.bp_start, self.bp, self.elem_bin, self.lut_start, self.lut,
        )  # fmt: skip

    def score(self, batch: PreparedBatch) -> npt.NDArray[np.int16]:
        """Integer scores 350-950 (the points-only path)."""
        pts = self.points_of_bin
        return _run(
            _score_kernel,
            batch.values,
            batch.segment,
            self.seg_start,
            self.seg_base,
            self.col,
            self.is_cat,
            pts[self.missing_bin],
            self.spec_start,
            self.spec_vals,
            pts[self.spec_bin],
            self.bp_start,
            self.bp,
            pts[self.elem_bin],
            self.lut_start,
            pts[self.lut],
        )

    def bins(self, batch: PreparedBatch) -> npt.NDArray[np.int32]:
        """Global bin index of each row's characteristics (n x width, -1 past the segment's count)."""
        return _run(
            _bins_kernel, batch.values, batch.segment, self.seg_start, *self._kernel_args(), self.width
        )

    def points(self, batch: PreparedBatch) -> npt.NDArray[np.int64]:
        """Points of each row's characteristics (n x width, 0 past the segment's count)."""
        b = self.bins(batch)
        return np.where(b >= 0, self.points_of_bin[np.maximum(b, 0)], 0)

    def score_with_reasons(self, batch: PreparedBatch, k: int = MAX_PRINCIPAL_REASONS) -> ReasonCodes:
        """Scores and the top ``k`` reasons by points lost, plus the recent-inquiries reason slot."""
        if k < 0:
            raise ValueError(f"reasons must be >= 0, got {k}")
        scores, r_char, r_bin = _run(
            _reasons_kernel,
            batch.values, batch.segment, self.seg_start, self.seg_base, *self._kernel_args(),
            self.points_of_bin, self.best, self.inquiry, k, self.width,
        )  # fmt: skip
        return ReasonCodes(scores, r_char, r_bin)

    @property
    def has_inquiry_characteristic(self) -> bool:
        return bool(self.inquiry.any())

    def reason_texts(self, codes: ReasonCodes) -> npt.NDArray[np.object_]:
        """Reason sentences (n x k+1 objects, None where no reason applies)."""
        texts: npt.NDArray[np.object_] = self.bin_text[codes.bin]
        return texts

    def score_frame(
        self,
        batch: PreparedBatch,
        reasons: int = 0,
        index: pd.Index | None = None,
        categorical_reasons: bool = False,
    ) -> pd.DataFrame:
        """``score_frame`` on a prepared batch: score, tier, probability, segment and reasons.

        With ``categorical_reasons`` the reason columns are categoricals (missing = NaN) instead of
        objects (missing = None): much faster to build and to write to Parquet.
        """
        return compiled_score_frame(self, batch, reasons, index, categorical_reasons)

    def reason_categoricals(self, codes: ReasonCodes) -> list[pd.Categorical]:
        """Reason columns as categoricals over ``reason_categories`` (no per-row strings: fast to write)."""
        text_codes = self._text_code[codes.bin]
        return [
            pd.Categorical.from_codes(text_codes[:, j], categories=self.reason_categories)
            for j in range(text_codes.shape[1])
        ]


def score_frame(artifact: ScorecardArtifact, frame: pd.DataFrame, reasons: int = 0) -> pd.DataFrame:
    """Score every row of ``frame`` with ``artifact``.

    Parameters
    ----------
    artifact : the model.
    frame : one row per applicant; extra columns are ignored, missing ones raise ``InputError``.
    reasons : how many principal reasons to give (``reason_1`` .. ``reason_k``). With reasons > 0 and a
        model that has a recent-inquiries characteristic, ``reason_{k+1}`` holds that reason when it lost
        points but is not among the first k.

    Returns
    -------
    DataFrame with ``score`` (int16), ``tier``, ``probability`` (of bad), ``segment`` and the reasons,
    on ``frame``'s index.
    """
    compiled = CompiledScorecard.from_artifact(artifact)
    return compiled_score_frame(compiled, compiled.prepare(frame), reasons, index=frame.index)


def compiled_score_frame(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    reasons: int = 0,
    index: pd.Index | None = None,
    categorical_reasons: bool = False,
) -> pd.DataFrame:
    """``score_frame`` on an already compiled model and prepared batch (used by the batch engines).

    With ``categorical_reasons`` the reason columns are categoricals (missing = NaN) instead of objects
    (missing = None): much faster to build and to write to Parquet.
    """
    if reasons < 0:
        raise InputError(f"reasons is {reasons}; expected 0 or more")
    scaling = compiled.artifact.scaling
    codes = compiled.score_with_reasons(batch, reasons) if reasons else None
    scores = codes.scores if codes is not None else compiled.score(batch)
    # Scores are integers 350-950: tier and probability are lookups in 601-entry tables.
    grid = np.arange(MIN_SCORE, MAX_SCORE + 1)
    tier_mins = np.asarray([t.min_score for t in scaling.tiers])
    tier_table = (np.searchsorted(tier_mins, grid, side="right") - 1).astype(np.int8)
    offset = scores.astype(np.intp) - MIN_SCORE
    out = pd.DataFrame(
        {
            "score": scores,
            "tier": pd.Categorical.from_codes(
                tier_table[offset], categories=pd.Index([t.name for t in scaling.tiers])
            ),
            "probability": scaling.probability_from_score(grid)[offset],
            "segment": pd.Categorical.from_codes(batch.segment, categories=pd.Index(compiled.segment_names)),
        },
        index=index,
    )
    if codes is None:
        return out
    width = reasons + 1 if compiled.has_inquiry_characteristic else reasons
    if categorical_reasons:
        for j, column in enumerate(compiled.reason_categoricals(codes)[:width]):
            out[f"reason_{j + 1}"] = pd.Series(column, index=out.index)
        return out
    for j in range(width):
        texts = compiled.bin_text[codes.bin[:, j]]  # one contiguous object column, no further copy
        out[f"reason_{j + 1}"] = pd.Series(texts, index=out.index, dtype=object, copy=False)
    return out
