"""The numba-compiled scoring loops. They read one named structure of flat arrays (``Tables``), built by
``_compiled`` from an artifact, and a prepared value matrix; they follow the scoring rule of
``lucidscore.artifact`` exactly.

The value matrix is column-major and rows are taken in blocks. A numeric bin is found by counting, edge by
edge, the rows whose value is at or above it: the inner loop runs over rows with a fixed edge, which the
compiler turns into SIMD compares, and there is no data-dependent branch. NaN (missing or unseen
category) and special values are then patched in with selects.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from lucidscore.artifact import MAX_SCORE, MIN_SCORE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

BLOCK = 2048  # rows per block: the per-block buffers stay in L1/L2 cache


class Tables(NamedTuple):
    """A compiled model as flat arrays. Characteristics are numbered globally across segments (``c``),
    bins too (``b``, offset by ``bin_start[c]``)."""

    seg_start: IntArray  # characteristics of segment s: seg_start[s] .. seg_start[s + 1]
    seg_base: IntArray  # base points of each segment
    col: IntArray  # column of the value matrix each characteristic reads
    is_cat: BoolArray  # categorical (values are codes into ``lut``) or numeric
    missing_bin: IntArray  # global bin of a missing value
    spec_start: IntArray  # special values of c: spec_vals[spec_start[c] .. spec_start[c + 1]]
    spec_vals: FloatArray
    spec_bin: IntArray
    bp_start: IntArray  # finite interval edges of c: bp[bp_start[c] .. bp_start[c + 1]]
    bp: FloatArray
    elem_bin: IntArray  # global bin of each elementary interval (between consecutive edges)
    lut_start: IntArray  # categorical c: lut[lut_start[c] + code] = global bin of that category code
    lut: IntArray
    points: IntArray  # points of each global bin
    best: IntArray  # best attainable points of each characteristic
    inquiry: BoolArray  # recent-inquiries characteristics (may give a further reason)
    width: int  # most characteristics in one segment


def run(kernel: Any, *args: object) -> Any:
    """Call a numba dispatcher (its typed signature is numba's business, not mypy's)."""
    return kernel(*args)


@njit(cache=True, nogil=True)
def _block_bins(t: Tables, x: FloatArray, r0: int, r1: int, c: int, idx: IntArray) -> None:
    """Global bin of characteristic ``c`` for rows r0..r1 into idx[0 : r1 - r0]."""
    m = r1 - r0
    v = x[r0:r1, t.col[c]]  # contiguous: the matrix is column-major
    miss = t.missing_bin[c]
    if t.is_cat[c]:
        base = t.lut_start[c]
        for i in range(m):
            idx[i] = miss if v[i] != v[i] else t.lut[base + int(v[i])]
        return
    lo = t.bp_start[c]
    hi = t.bp_start[c + 1]
    start = lo + c
    for i in range(m):
        idx[i] = start
    for k in range(lo, hi):
        edge = t.bp[k]
        for i in range(m):
            idx[i] += v[i] >= edge
    for i in range(m):
        idx[i] = t.elem_bin[idx[i]]
    for k in range(t.spec_start[c], t.spec_start[c + 1]):
        sv = t.spec_vals[k]
        sb = t.spec_bin[k]
        for i in range(m):
            if v[i] == sv:
                idx[i] = sb
    for i in range(m):
        if v[i] != v[i]:
            idx[i] = miss


@njit(cache=True, nogil=True)
def score_kernel(
    t: Tables,
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    missing_pts: IntArray,
    spec_pts: IntArray,
    elem_pts: IntArray,
    lut_pts: IntArray,
) -> npt.NDArray[np.int16]:
    """Scores only: base points of the row's segment plus the points of its bins, clipped.

    The same bin search as ``_block_bins``, with points tables (``*_pts``: the points of the bins in the
    matching bin tables) in place of bin tables, which saves a lookup per cell.
    """
    n = x.shape[0]
    n_seg = t.seg_start.shape[0] - 1
    out = np.empty(n, dtype=np.int16)
    idx = np.empty(BLOCK, dtype=np.int64)
    pts = np.empty(BLOCK, dtype=np.int64)
    total = np.empty(BLOCK, dtype=np.int64)
    for r0 in range(0, n, BLOCK):
        r1 = min(n, r0 + BLOCK)
        m = r1 - r0
        for i in range(m):
            total[i] = t.seg_base[seg[r0 + i]]
        for s in range(n_seg):
            for c in range(t.seg_start[s], t.seg_start[s + 1]):
                v = x[r0:r1, t.col[c]]
                miss = missing_pts[c]
                if t.is_cat[c]:
                    base = t.lut_start[c]
                    for i in range(m):
                        pts[i] = miss if v[i] != v[i] else lut_pts[base + int(v[i])]
                else:
                    lo = t.bp_start[c]
                    hi = t.bp_start[c + 1]
                    for i in range(m):
                        idx[i] = lo + c
                    for k in range(lo, hi):
                        edge = t.bp[k]
                        for i in range(m):
                            idx[i] += v[i] >= edge
                    for i in range(m):
                        pts[i] = miss if v[i] != v[i] else elem_pts[idx[i]]
                    for k in range(t.spec_start[c], t.spec_start[c + 1]):
                        sv = t.spec_vals[k]
                        sp = spec_pts[k]
                        for i in range(m):
                            if v[i] == sv:
                                pts[i] = sp
                if n_seg == 1:
                    for i in range(m):
                        total[i] += pts[i]
                else:
                    for i in range(m):
                        total[i] += pts[i] * (seg[r0 + i] == s)
        for i in range(m):
            out[r0 + i] = min(max(total[i], MIN_SCORE), MAX_SCORE)
    return out


@njit(cache=True, nogil=True)
def _fill_bins(
    t: Tables,
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    r0: int,
    r1: int,
    idx: IntArray,
    out: npt.NDArray[np.int32],
) -> None:
    """Global bins of rows r0..r1 (out[row - r0, position in segment]; -1 past the segment's count)."""
    n_seg = t.seg_start.shape[0] - 1
    m = r1 - r0
    for i in range(m):
        for j in range(out.shape[1]):
            out[i, j] = -1
    for s in range(n_seg):
        first = t.seg_start[s]
        for c in range(first, t.seg_start[s + 1]):
            _block_bins(t, x, r0, r1, c, idx)
            for i in range(m):
                if n_seg == 1 or seg[r0 + i] == s:
                    out[i, c - first] = idx[i]


@njit(cache=True, nogil=True)
def bins_kernel(t: Tables, x: FloatArray, seg: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Global bin of each row's characteristics (n x width, -1 past the segment's count)."""
    n = x.shape[0]
    out = np.empty((n, t.width), dtype=np.int32)
    idx = np.empty(BLOCK, dtype=np.int64)
    for r0 in range(0, n, BLOCK):
        r1 = min(n, r0 + BLOCK)
        _fill_bins(t, x, seg, r0, r1, idx, out[r0:r1])
    return out


@njit(cache=True, nogil=True)
def reasons_kernel(
    t: Tables, x: FloatArray, seg: npt.NDArray[np.int32], k: int
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Scores, and per row the top ``k`` characteristics by points lost (plus the inquiries slot)."""
    n = x.shape[0]
    scores = np.empty(n, dtype=np.int16)
    r_char = np.full((n, k + 1), -1, dtype=np.int32)
    r_bin = np.full((n, k + 1), -1, dtype=np.int32)
    block = np.empty((BLOCK, t.width), dtype=np.int32)
    idx = np.empty(BLOCK, dtype=np.int64)
    lost = np.empty(t.width, dtype=np.int64)
    for r0 in range(0, n, BLOCK):
        r1 = min(n, r0 + BLOCK)
        _fill_bins(t, x, seg, r0, r1, idx, block)
        for i in range(r0, r1):
            s = seg[i]
            first = t.seg_start[s]
            m = t.seg_start[s + 1] - first
            total = t.seg_base[s]
            for j in range(m):
                b = block[i - r0, j]
                total += t.points[b]
                lost[j] = t.best[first + j] - t.points[b]
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
                if t.inquiry[first + j] and lost[j] > 0:
                    r_char[i, k] = first + j
                    r_bin[i, k] = block[i - r0, j]
                    break
    return scores, r_char, r_bin
