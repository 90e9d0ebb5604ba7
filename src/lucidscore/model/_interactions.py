"""Pairwise interactions as points grids (prototype, issue 14): fitting side only, returns plain data.

An additive card cannot say "late payments matter more when utilisation is high". A pair grid can, and
stays a points table: each axis is one characteristic of the card, its bins grouped by their points into
at most ``AXIS_GROUPS`` ordered groups (low, middle, high points: monotone per axis by construction), and
each cell of the grid adds integer points to the score of the rows that fall in it.

How pairs are chosen (``find_interactions``), per segment of a fitted card and only on its training rows:

1. candidates: every pair of the segment's ``CANDIDATE_CHARACTERISTICS`` characteristics of highest IV;
2. a cell's adjustment is the credible log odds ratio of observed to expected bads and goods, given the
   card's own score: ``delta = ln((O + a) / (E + a)) - ln((G + a') / (EG + a'))`` with ``a`` =
   ``CELL_PRIOR`` pseudo-bads and ``a'`` the pseudo-goods at the cell's expected odds, so an empty or
   small cell, or one the card already predicts well, adds nothing;
3. greedy forward selection guarded by ``FOLDS``-fold stratified cross-validation: at each step the pair
   whose grid, estimated on the fold's training rows, raises the held-out AUC the most on average is
   added, if it raises it on every fold and by at least ``MIN_GAIN`` on average; at most ``MAX_PAIRS``;
   the next step starts from the score with the pairs so far;
4. the kept grids are re-estimated on all the segment's rows and scaled to points like the card
   (points = round(-factor * delta)).

Not wired into the artifact yet (the artifact, kernel, SQL and reasons must carry it first); the
benchmark measures what it would add (``bench_fit.py --only interactions``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import Characteristic, ScorecardArtifact, bin_index, segment_of_rows
from lucidscore.model._search import stratified_folds

AXIS_GROUPS = 3
CANDIDATE_CHARACTERISTICS = 6
CELL_PRIOR = 4.0
FOLDS = 3
MIN_GAIN = 0.0005
MAX_PAIRS = 5
SEARCH_ROWS = 50_000


@dataclass(frozen=True)
class PairGrid:
    """One interaction of a segment: ``points[i][j]`` are added for rows whose first characteristic's bin
    is in ``first_groups[i]`` (positions in that characteristic's ``bins``) and whose second one's is in
    ``second_groups[j]``; ``counts``/``bad_counts`` are the training rows behind each cell."""

    segment: str
    first: str
    second: str
    first_groups: list[list[int]]
    second_groups: list[list[int]]
    points: list[list[int]]
    counts: list[list[int]]
    bad_counts: list[list[int]]
    cv_gain: float


def axis_groups(ch: Characteristic) -> list[list[int]]:
    """The characteristic's bin positions in at most AXIS_GROUPS groups of neighbouring points (ordered
    by points, low first): a bin joins the group where the middle of its rows falls on the cumulative
    share of rows; a bin without training rows joins its neighbour in points order.

    >>> from lucidscore.artifact import Bin
    >>> edges = [None, 1.0, 2.0, 3.0, 4.0, 5.0, None]
    >>> bins = [Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=0)] + [
    ...     Bin(kind="interval", lower=edges[i], upper=edges[i + 1], label=str(i), count=100, bad_count=10,
    ...         woe=0.0, points=p)
    ...     for i, p in enumerate([30, -10, 5, 12, -20, 25])]
    >>> ch = Characteristic(name="x", family="credit_history", dtype="numeric", description="x",
    ...     iv=0.1, coefficient=-1.0, bins=bins)
    >>> axis_groups(ch)
    [[5, 2, 0], [3, 4], [6, 1]]
    """
    order = sorted(range(len(ch.bins)), key=lambda i: (ch.bins[i].points, i))
    counts = np.array([ch.bins[i].count for i in order], dtype=np.float64)
    total = max(counts.sum(), 1.0)
    middle = (np.cumsum(counts) - counts / 2.0) / total
    group_of = np.minimum((middle * AXIS_GROUPS).astype(int), AXIS_GROUPS - 1)
    filled = np.flatnonzero(counts > 0)
    for k in np.flatnonzero(counts == 0):  # the nearest bin with rows, the one before on a tie
        if filled.size:
            group_of[k] = group_of[filled[np.argmin(np.abs(filled - k + 0.5))]]
    groups = [[order[k] for k in np.flatnonzero(group_of == g)] for g in range(AXIS_GROUPS)]
    return [g for g in groups if g]


def _cell_of(codes: npt.NDArray[np.int64], groups: list[list[int]], n_bins: int) -> npt.NDArray[np.int64]:
    lut = np.zeros(n_bins, dtype=np.int64)
    for g, members in enumerate(groups):
        lut[members] = g
    return lut[codes]


def cell_deltas(
    cell: npt.NDArray[np.int64], n_cells: int, y: npt.NDArray[np.int8], p_bad: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Credible log odds ratio of bad per cell, given each row's probability of bad under the card.

    >>> cell_deltas(np.array([0, 0, 1, 1]), 2, np.array([1, 1, 0, 0], np.int8), np.full(4, 0.5)).round(3)
    array([ 0.405, -0.405])
    """
    observed = np.bincount(cell, weights=y, minlength=n_cells)
    expected = np.bincount(cell, weights=p_bad, minlength=n_cells)
    goods = np.bincount(cell, minlength=n_cells) - observed
    expected_goods = np.bincount(cell, weights=1.0 - p_bad, minlength=n_cells)
    odds = np.where(expected > 0, expected_goods / np.maximum(expected, 1e-12), 1.0)
    prior_goods = CELL_PRIOR * odds
    return np.log((observed + CELL_PRIOR) / (expected + CELL_PRIOR)) - np.log(
        (goods + prior_goods) / (expected_goods + prior_goods)
    )


def _auc(y: npt.NDArray[np.int8], log_odds_bad: npt.NDArray[np.float64]) -> float:
    """AUC of bads ranked above goods (ties count one half), by ranks: O(n log n), no scikit-learn.

    >>> _auc(np.array([0, 1, 0, 1], np.int8), np.array([0.1, 0.9, 0.5, 0.5]))
    0.875
    """
    _, inverse, counts = np.unique(log_odds_bad, return_inverse=True, return_counts=True)
    rank = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]  # average rank of ties, from 1
    n_bad = float(y.sum())
    n_good = float(y.size) - n_bad
    if n_bad == 0 or n_good == 0:
        return 0.5
    return float((rank[y == 1].sum() - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good))


def _pair_cells(
    a: tuple[npt.NDArray[np.int64], int], b: tuple[npt.NDArray[np.int64], int]
) -> tuple[npt.NDArray[np.int64], int]:
    return a[0] * b[1] + b[0], a[1] * b[1]


def _search(
    axes: dict[str, tuple[npt.NDArray[np.int64], int]],
    names: list[str],
    y: npt.NDArray[np.int8],
    eta: npt.NDArray[np.float64],
) -> list[tuple[str, str, float]]:
    """Greedy CV-guarded forward selection of pairs on (a sample of) the segment's rows."""
    folds = stratified_folds(y, FOLDS, seed=0)
    chosen: list[tuple[str, str, float]] = []
    current = eta.copy()
    remaining = list(itertools.combinations(names, 2))
    while remaining and len(chosen) < MAX_PAIRS:
        best: tuple[float, tuple[str, str]] | None = None
        for pair in remaining:
            cell, n_cells = _pair_cells(axes[pair[0]], axes[pair[1]])
            gains = []
            for train, held in folds:
                p_bad = 1.0 / (1.0 + np.exp(-current[train]))
                delta = cell_deltas(cell[train], n_cells, y[train], p_bad)
                gains.append(_auc(y[held], current[held] + delta[cell[held]]) - _auc(y[held], current[held]))
            if (
                min(gains) > 0
                and float(np.mean(gains)) >= MIN_GAIN
                and (best is None or np.mean(gains) > best[0])
            ):
                best = (float(np.mean(gains)), pair)
        if best is None:
            break
        gain, pair = best
        cell, n_cells = _pair_cells(axes[pair[0]], axes[pair[1]])
        current = current + cell_deltas(cell, n_cells, y, 1.0 / (1.0 + np.exp(-current)))[cell]
        chosen.append((pair[0], pair[1], gain))
        remaining.remove(pair)
    return chosen


def find_interactions(art: ScorecardArtifact, frame: pd.DataFrame, y: npt.NDArray[np.int8]) -> list[PairGrid]:
    """Pair grids for each segment of a fitted card, from its training rows ``frame``/``y`` (module
    docstring). Deterministic; reads nothing but the rows given."""
    factor = art.scaling.factor
    seg_of = segment_of_rows(art.segments, frame)
    out: list[PairGrid] = []
    for s, seg in enumerate(art.segments):
        rows = np.flatnonzero(seg_of == s)
        ys = y[rows]
        if rows.size < 2 * FOLDS or ys.min() == ys.max() or len(seg.characteristics) < 2:
            continue
        part = frame.iloc[rows]
        codes = {ch.name: bin_index(ch, part[ch.name]).astype(np.int64) for ch in seg.characteristics}
        points = np.full(rows.size, float(seg.base_points))
        for ch in seg.characteristics:
            points += np.array([b.points for b in ch.bins], dtype=np.float64)[codes[ch.name]]
        eta = -(points - art.scaling.offset) / factor  # log-odds of bad that the card's points imply
        chars = {ch.name: ch for ch in seg.characteristics}
        names = [c.name for c in sorted(seg.characteristics, key=lambda c: -c.iv)][:CANDIDATE_CHARACTERISTICS]
        groups = {n: axis_groups(chars[n]) for n in names}
        axes = {n: (_cell_of(codes[n], groups[n], len(chars[n].bins)), len(groups[n])) for n in names}
        take = np.arange(rows.size)
        if rows.size > SEARCH_ROWS:
            take = np.sort(np.random.default_rng(0).choice(rows.size, SEARCH_ROWS, replace=False))
        sampled = {n: (a[0][take], a[1]) for n, a in axes.items()}
        current = eta.copy()
        for first, second, gain in _search(sampled, names, ys[take], eta[take]):
            cell, n_cells = _pair_cells(axes[first], axes[second])
            delta = cell_deltas(cell, n_cells, ys, 1.0 / (1.0 + np.exp(-current)))
            current = current + delta[cell]
            g1, g2 = len(groups[first]), len(groups[second])
            counts = np.bincount(cell, minlength=n_cells).reshape(g1, g2)
            bads = np.bincount(cell, weights=ys, minlength=n_cells).round().astype(int).reshape(g1, g2)
            out.append(
                PairGrid(
                    segment=seg.name,
                    first=first,
                    second=second,
                    first_groups=groups[first],
                    second_groups=groups[second],
                    points=np.rint(-factor * delta).astype(int).reshape(g1, g2).tolist(),
                    counts=counts.tolist(),
                    bad_counts=bads.tolist(),
                    cv_gain=gain,
                )
            )
    return out


def interaction_points(
    art: ScorecardArtifact, grids: list[PairGrid], frame: pd.DataFrame
) -> npt.NDArray[np.int64]:
    """Points the grids add to each row of ``frame`` (rows score on their segment's grids only)."""
    seg_of = segment_of_rows(art.segments, frame)
    names = [s.name for s in art.segments]
    out = np.zeros(len(frame), dtype=np.int64)
    for g in grids:
        s = names.index(g.segment)
        rows = np.flatnonzero(seg_of == s)
        chars = {ch.name: ch for ch in art.segments[s].characteristics}
        part = frame.iloc[rows]
        a = _cell_of(
            bin_index(chars[g.first], part[g.first]).astype(np.int64),
            g.first_groups,
            len(chars[g.first].bins),
        )
        b = _cell_of(
            bin_index(chars[g.second], part[g.second]).astype(np.int64),
            g.second_groups,
            len(chars[g.second].bins),
        )
        out[rows] += np.asarray(g.points, dtype=np.int64)[a, b]
    return out
