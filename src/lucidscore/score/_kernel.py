"""The numba-compiled scoring loops. They read one named structure of flat arrays (``Tables``), built by
``_compiled`` from an artifact, and a prepared value matrix; they follow the scoring rule of
``lucidscore.artifact`` exactly.

The value matrix is column-major and rows are taken in blocks. A numeric bin is found by counting, edge by
edge, the rows whose value is at or above it: the inner loop runs over rows with a fixed edge, which the
compiler turns into SIMD compares, and there is no data-dependent branch. NaN (missing or unseen
category) and special values are then patched in with selects.

Interaction grids (issue 14) add the points of the row's cell of each grid of its segment. For reasons a
pair is one unit standing at its ``first`` characteristic's position, with joint points points(a) +
points(b) + grid(a, b); its ``second`` is no unit of its own (``lucidscore.artifact.reason_units``). A
model without grids runs ``score_kernel`` and ``reasons_kernel``, the loops from before grids on the same
``Tables``, so it does the same work as before; a model with grids runs the ``*_grids_kernel``s, which
also read its ``Grids``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from lucidscore.artifact import MAX_SCORE, MIN_SCORE
from lucidscore.numbaenv import numba_without_scipy_linalg

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
    best: IntArray  # best attainable points of each reason unit (a pair's: at its first characteristic)
    inquiry: BoolArray  # recent-inquiries reason units (a pair: either member; at its first characteristic)
    width: int  # most characteristics in one segment


class Grids(NamedTuple):
    """A compiled model's interaction grids, numbered across segments (``q``), for the ``*_grids_kernel``s
    (apart from ``Tables``, so the kernels of models without grids take exactly the tables they took
    before grids)."""

    bin_start: IntArray  # bins of characteristic c: bin_start[c] .. bin_start[c + 1]
    inter_start: IntArray  # grids of segment s: inter_start[s] .. inter_start[s + 1]
    inter_first: IntArray  # global characteristic of grid q's first (its rows) and second (its columns)
    inter_second: IntArray
    grid_start: IntArray  # grid[grid_start[q] + a * grid_cols[q] + b]: points of local bins a, b
    grid_cols: IntArray
    grid: IntArray
    member_slot: IntArray  # per characteristic: 2q (first of grid q), 2q + 1 (second) or -1


_READY = False  # whether numba's first-call set-up was made here (``numbaenv``)


def run(kernel: Any, *args: object) -> Any:
    """Call a numba dispatcher (its typed signature is numba's business, not mypy's). Before the first
    call, numba's set-up is made without SciPy's linalg (``numbaenv.numba_without_scipy_linalg``)."""
    global _READY
    if not _READY:
        numba_without_scipy_linalg()
        _READY = True
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
    """Scores only: base points of the row's segment plus the points of its bins, clipped; for a model
    without interaction grids (``score_grids_kernel`` adds them; kept apart so that grid-free models run
    exactly this loop).

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
def score_grids_kernel(
    t: Tables,
    g: Grids,
    x: FloatArray,
    seg: npt.NDArray[np.int32],
    missing_pts: IntArray,
    spec_pts: IntArray,
    elem_pts: IntArray,
    lut_pts: IntArray,
) -> npt.NDArray[np.int16]:
    """``score_kernel`` for a model with interaction grids: base points plus the points of the row's bins
    and of its grids' cells, clipped. A member of a grid is binned with the bin tables (its bin is kept
    for the cell); the others as in ``score_kernel``."""
    n = x.shape[0]
    n_seg = t.seg_start.shape[0] - 1
    out = np.empty(n, dtype=np.int16)
    idx = np.empty(BLOCK, dtype=np.int64)
    pts = np.empty(BLOCK, dtype=np.int64)
    total = np.empty(BLOCK, dtype=np.int64)
    member_bins = np.empty((2 * g.inter_first.shape[0], BLOCK), np.int64)
    for r0 in range(0, n, BLOCK):
        r1 = min(n, r0 + BLOCK)
        m = r1 - r0
        for i in range(m):
            total[i] = t.seg_base[seg[r0 + i]]
        for s in range(n_seg):
            for c in range(t.seg_start[s], t.seg_start[s + 1]):
                v = x[r0:r1, t.col[c]]
                miss = missing_pts[c]
                slot = g.member_slot[c]
                if slot >= 0:  # in a grid: its bins are kept for the grid's cell
                    _block_bins(t, x, r0, r1, c, idx)
                    for i in range(m):
                        member_bins[slot, i] = idx[i] - g.bin_start[c]
                        pts[i] = t.points[idx[i]]
                elif t.is_cat[c]:
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
            for q in range(g.inter_start[s], g.inter_start[s + 1]):
                g0 = g.grid_start[q]
                cols = g.grid_cols[q]
                for i in range(m):
                    cell = g.grid[g0 + member_bins[2 * q, i] * cols + member_bins[2 * q + 1, i]]
                    total[i] += cell if n_seg == 1 else cell * (seg[r0 + i] == s)
        for i in range(m):
            out[r0 + i] = min(max(total[i], MIN_SCORE), MAX_SCORE)
    return out


@njit(cache=True, nogil=True)
def grid_points(t: Tables, g: Grids, bins: npt.NDArray[np.int32], seg: npt.NDArray[np.int32]) -> IntArray:
    """Points of each row's cell of every grid of its segment (n x most grids in a segment, 0 past the
    segment's count), from the rows' global bins (``bins_kernel``)."""
    n = bins.shape[0]
    n_seg = t.seg_start.shape[0] - 1
    most = 0
    for s in range(n_seg):
        most = max(most, g.inter_start[s + 1] - g.inter_start[s])
    out = np.zeros((n, most), dtype=np.int64)
    for i in range(n):
        s = seg[i]
        first = t.seg_start[s]
        for q in range(g.inter_start[s], g.inter_start[s + 1]):
            a = g.inter_first[q]
            b = g.inter_second[q]
            la = bins[i, a - first] - g.bin_start[a]
            lb = bins[i, b - first] - g.bin_start[b]
            out[i, q - g.inter_start[s]] = g.grid[g.grid_start[q] + la * g.grid_cols[q] + lb]
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
    """Scores, and per row the top ``k`` characteristics by points lost (plus the inquiries slot), for a
    model without interaction grids (``reasons_grids_kernel`` adds them; kept apart so that grid-free
    models run exactly this loop)."""
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


@njit(cache=True, nogil=True)
def reasons_grids_kernel(
    t: Tables, g: Grids, x: FloatArray, seg: npt.NDArray[np.int32], k: int
) -> tuple[
    npt.NDArray[np.int16], npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32], IntArray
]:
    """Scores, and per row the top ``k`` reason units by points lost (plus the inquiries slot): each
    slot's characteristic (a pair's first), its bin, the pair's second bin (-1 for a characteristic alone)
    and the points lost. For a model with grids; ``reasons_kernel`` is the same without them."""
    n = x.shape[0]
    scores = np.empty(n, dtype=np.int16)
    r_char = np.full((n, k + 1), -1, dtype=np.int32)
    r_bin = np.full((n, k + 1), -1, dtype=np.int32)
    r_bin2 = np.full((n, k + 1), -1, dtype=np.int32)
    r_lost = np.zeros((n, k + 1), dtype=np.int64)
    block = np.empty((BLOCK, t.width), dtype=np.int32)
    idx = np.empty(BLOCK, dtype=np.int64)
    lost = np.empty(t.width, dtype=np.int64)
    second = np.full(t.width, -1, dtype=np.int64)  # a pair's second's position, at its first's position
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
            for q in range(g.inter_start[s], g.inter_start[s + 1]):
                ja = g.inter_first[q] - first
                jb = g.inter_second[q] - first
                ba = block[i - r0, ja]
                bb = block[i - r0, jb]
                cell = g.grid[
                    g.grid_start[q]
                    + (ba - g.bin_start[first + ja]) * g.grid_cols[q]
                    + (bb - g.bin_start[first + jb])
                ]
                total += cell
                lost[ja] = t.best[first + ja] - (t.points[ba] + t.points[bb] + cell)  # the pair's unit
                lost[jb] = 0  # no unit of its own: never a reason
                second[ja] = jb
            scores[i] = min(max(total, MIN_SCORE), MAX_SCORE)
            # Top k by points lost; ties go to the unit listed first (strict '>').
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
                r_lost[i, r] = top
                lost[pick] = -lost[pick]  # taken: never picked again
            # A further reason when recent inquiries lost points but are not among the principal ones.
            for j in range(m):
                if t.inquiry[first + j] and lost[j] > 0:
                    r_char[i, k] = first + j
                    r_bin[i, k] = block[i - r0, j]
                    r_lost[i, k] = lost[j]
                    break
            if g.inter_start[s + 1] > g.inter_start[s]:
                for r in range(k + 1):
                    if r_char[i, r] >= 0 and second[r_char[i, r] - first] >= 0:
                        r_bin2[i, r] = block[i - r0, second[r_char[i, r] - first]]
                for q in range(g.inter_start[s], g.inter_start[s + 1]):
                    second[g.inter_first[q] - first] = -1
    return scores, r_char, r_bin, r_bin2, r_lost
