"""Pairwise interactions as points grids (issue 14): the fitting side.

An additive card cannot say "late payments matter more when utilisation is high". A pair grid can, and
stays a points table: each axis is one characteristic of the card, its bins grouped by their points into
at most ``AXIS_GROUPS`` ordered groups (lowest to highest points), and each cell of the grid adds integer
points to the score of the rows that fall in it (``lucidscore.artifact.Interaction``).

How pairs are chosen (``segment_interactions``), per segment of a fitted card, on the card's training rows
that refinement reads too (``_refine.sample_positions``: all of them up to 40,000, else a seeded sample in
row order, so the Spark engine reads the same rows; a card of fewer than ``_refine.MIN_ROWS`` rows gets
none, as it gets no refinement: its held-out rows cannot tell a pattern from noise):

1. candidates: every pair of the segment's ``CANDIDATE_CHARACTERISTICS`` characteristics of highest IV
   (with at least two groups);
2. a cell's adjustment is the credible log odds ratio of observed to expected bads and goods, given the
   score so far: ``delta = ln((O + a) / (E + a)) - ln((G + a') / (EG + a'))`` with ``a`` = ``CELL_PRIOR``
   pseudo-bads and ``a'`` the pseudo-goods at the cell's expected odds, so an empty or small cell, or one
   the card already predicts well, adds nothing;
3. greedy forward selection guarded by ``FOLDS``-fold stratified cross-validation: at each step the pair
   whose grid, estimated on the fold's training rows, lowers the held-out log loss the most on average is
   added, if it lowers it on every fold, by at least ``MIN_GAIN`` per row on average and by more than the
   search's chance level (``chance_gain``: the best gain any candidate pair reaches when the bads are
   redrawn from the card's own probabilities, so it grows with the pairs looked at; its note gives it,
   and how many standard errors above zero the rows' held-out reductions stand, ``z_score``); at most
   ``max_pairs``; a characteristic joins one pair at most (the reason rule's units); a pair whose grid
   pays for a step against a characteristic's declared advice direction (``follows_directions``: the
   joint points run against it and the grid's own points too) is passed over, so no reason or plan
   points the wrong way, or lands in a cell the grid pays for standing against a declaration;
   the next step starts from the score with the pairs so far;
4. the kept grids are estimated on all the rows read and scaled to points like the card
   (points = round(-factor * delta)); ``first`` is the member listed first in the segment.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import Characteristic, Interaction, Scaling, Segment, bin_index
from lucidscore.model._refine import MIN_ROWS
from lucidscore.model._search import stratified_folds

# Groups per axis: on the 2x4-fold cross-validation inside the training parts (Taiwan; the other sets keep
# no grid), 3, 4, 5, 6 and 8 groups gave 0.7758, 0.7761, 0.7764, 0.7761 and 0.7758: 5, on no fold lower
# than 3.
AXIS_GROUPS = 5
CANDIDATE_CHARACTERISTICS = 6
CELL_PRIOR = 4.0
FOLDS = 3
MIN_GAIN = 0.0002  # held-out log loss per row (nats)
MAX_PAIRS = 5
# The chance level of the search (``chance_gain``): NULL_DRAWS redraws of the targets from the card's own
# probabilities; the level is the NULL_RANK-th largest of their best gains (1: the largest). Rank 1 and 2
# gave the same cross-validation (Taiwan 0.78034 / 0.78031, German and simulated equal); on the additive
# tables of benchmarks/bench_chance_grids.py rank 1 kept no grid, rank 2 one of 32 (4 of 32 without the
# level).
NULL_DRAWS = 8
NULL_RANK = 1
NULL_SEED = 0
# Experiment (issue 14, "stars"): let a characteristic join several grids, as EBM's pairs do. Off: the
# model file refuses it (``lucidscore.artifact._model.SHARED_CHARACTERISTICS``), and reasons, recourse,
# the compiled engine and the exports read a characteristic in one grid at most. Only for
# benchmarks/bench_levers.py, which then scores with the reference rule.
SHARED_CHARACTERISTICS = False


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
    [[5], [2, 0], [3, 4], [6], [1]]
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


def _pair_cells(
    a: tuple[npt.NDArray[np.int64], int], b: tuple[npt.NDArray[np.int64], int]
) -> tuple[npt.NDArray[np.int64], int]:
    return a[0] * b[1] + b[0], a[1] * b[1]


def _cv_gain(
    cell: npt.NDArray[np.int64],
    n_cells: int,
    y: npt.NDArray[np.int8],
    eta: npt.NDArray[np.float64],
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
) -> tuple[list[float], npt.NDArray[np.float64]]:
    """Held-out log loss each fold saves when the pair's grid, fitted on the fold's other rows, is added
    (mean per row), and what each row saves when it is held out (the folds' held-out rows in turn)."""
    gains = []
    saved = []
    for train, held in folds:
        p_bad = 1.0 / (1.0 + np.exp(-eta[train]))
        delta = cell_deltas(cell[train], n_cells, y[train], p_bad)
        per_row = _row_loss(y[held], eta[held]) - _row_loss(y[held], eta[held] + delta[cell[held]])
        gains.append(float(per_row.mean()))
        saved.append(per_row)
    return gains, np.concatenate(saved)


def _redrawn_gains(
    cell: npt.NDArray[np.int64],
    n_cells: int,
    fold_of: npt.NDArray[np.int64],
    held_rows: npt.NDArray[np.float64],
    p_bad: npt.NDArray[np.float64],
    redrawn: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """``_cv_gain``'s mean over the folds for each redraw of the targets (rows of ``redrawn``), from counts:
    a held-out row's saving ``-(log(1 + e^(eta + d)) - log(1 + e^eta) - y d)`` taken to fourth order in
    its cell's ``d`` (the cumulants of a Bernoulli(p): ``d (y - p) - d^2 k2 / 2 - d^3 k3 / 6 - d^4 k4 / 24``,
    ``k2 = p q``, ``k3 = p q (q - p)``, ``k4 = p q (1 - 6 p q)``), so a redraw needs the bads per fold and
    cell and nothing per row (the grids chance gives are small, where the expansion is close; a test
    checks it against ``_cv_gain``)."""
    k, draws = held_rows.size, redrawn.shape[0]
    index = fold_of * n_cells + cell
    size = k * n_cells
    rows = np.bincount(index, minlength=size).reshape(k, n_cells).astype(np.float64)
    expected = np.bincount(index, weights=p_bad, minlength=size).reshape(k, n_cells)
    pq = p_bad * (1.0 - p_bad)
    k2, k3, k4 = (
        np.bincount(index, weights=w, minlength=size).reshape(k, n_cells)
        for w in (pq, pq * (1.0 - 2.0 * p_bad), pq * (1.0 - 6.0 * pq))
    )
    offsets = (np.arange(draws) * size)[:, None] + index[None, :]
    bads = np.bincount(offsets.ravel(), weights=redrawn.ravel(), minlength=draws * size)
    bads = bads.reshape(draws, k, n_cells)
    # Each fold's grid from the other folds' sums (train = all - held), as cell_deltas computes it.
    o_tr = bads.sum(axis=1, keepdims=True) - bads
    e_tr = expected.sum(axis=0) - expected
    eg_tr = (rows - expected).sum(axis=0) - (rows - expected)
    g_tr = (rows.sum(axis=0) - rows)[None] - o_tr
    odds = np.where(e_tr > 0, eg_tr / np.maximum(e_tr, 1e-12), 1.0)
    prior_goods = CELL_PRIOR * odds
    delta = np.log((o_tr + CELL_PRIOR) / (e_tr + CELL_PRIOR)) - np.log(
        (g_tr + prior_goods) / (eg_tr + prior_goods)
    )
    d2 = delta * delta
    saved = delta * (bads - expected) - d2 * (k2 / 2.0 + delta * k3 / 6.0 + d2 * k4 / 24.0)
    saved = saved.sum(axis=2) / held_rows
    return np.asarray(saved.mean(axis=1), dtype=np.float64)


def chance_gain(
    axes: dict[str, tuple[npt.NDArray[np.int64], int]],
    pairs: list[tuple[str, str]],
    eta: npt.NDArray[np.float64],
    folds: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]],
    draws: int | None = None,
    rank: int | None = None,
) -> float:
    """The best held-out gain (mean per row over ``folds``) the search would find among the candidate
    ``pairs`` (of ``axes``: each characteristic's group of each row, and its number of groups) if there
    were no interaction: the targets redrawn ``draws`` times from the card's own probabilities of bad
    (``eta``, log odds: a parametric bootstrap, seeded, so the same rows give the same level), every pair's
    grid fitted on each fold's other rows as the search fits it (``cell_deltas``) and judged on the fold's
    held-out rows, and the best gain of each redraw kept; the level is the ``rank``-th largest of them
    (0.0 without candidates). Because it takes the best over every pair looked at, it grows with the
    number of pairs.

    >>> rng = np.random.default_rng(0)
    >>> axes = {n: (rng.integers(0, 4, 3000), 4) for n in "abc"}
    >>> eta = np.full(3000, -1.0)
    >>> folds = stratified_folds((rng.random(3000) < 0.27).astype(np.int8), 3, seed=0)
    >>> one = chance_gain(axes, [("a", "b")], eta, folds)
    >>> three = chance_gain(axes, [("a", "b"), ("a", "c"), ("b", "c")], eta, folds)
    >>> abs(one) < 0.01 and three >= one
    True
    """
    draws = NULL_DRAWS if draws is None else draws
    rank = NULL_RANK if rank is None else rank
    if not pairs or draws < 1 or not folds:
        return 0.0
    fold_of = np.zeros(eta.size, dtype=np.int64)
    held_rows = np.zeros(len(folds))
    for f, (_, held) in enumerate(folds):
        fold_of[held] = f
        held_rows[f] = held.size
    p_bad = 1.0 / (1.0 + np.exp(-eta))
    rng = np.random.default_rng(NULL_SEED)
    redrawn = (rng.random((draws, eta.size)) < p_bad[None, :]).astype(np.float64)
    best = np.full(draws, -np.inf)
    for a, b in pairs:
        gains = _redrawn_gains(*_pair_cells(axes[a], axes[b]), fold_of, held_rows, p_bad, redrawn)
        best = np.maximum(best, gains)
    return float(np.sort(best)[::-1][min(rank, draws) - 1])


def _row_loss(y: npt.NDArray[np.int8], eta: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each row's log loss under log-odds of bad ``eta``.

    >>> _row_loss(np.array([0, 1], np.int8), np.zeros(2)).round(4)
    array([0.6931, 0.6931])
    """
    return np.logaddexp(0.0, eta) - y * eta


def z_score(saved: npt.NDArray[np.float64]) -> float:
    """Mean of the rows' held-out log-loss reductions ``saved`` over its standard error (0 for fewer than
    two rows; +inf / -inf for a constant nonzero reduction)."""
    if saved.size < 2:
        return 0.0
    mean = float(np.mean(saved))
    # equal values have no spread: numpy's two-pass deviation of three equal values can come out ~1e-17
    # (their float mean is not exactly the value), which would make z ~1e16 instead of +-inf
    sd = 0.0 if float(np.ptp(saved)) == 0.0 else float(np.std(saved, ddof=1))
    if sd == 0.0:
        return 0.0 if mean == 0.0 else float(np.copysign(np.inf, mean))
    return mean / (sd / float(np.sqrt(saved.size)))


def follows_directions(
    first: Characteristic, second: Characteristic, grid_by_bin: npt.NDArray[np.int64]
) -> bool:
    """False when the grid pays for a step against a member's declared advice direction: for some bin of
    the other member, one of the member's interval bins is worth more joint points (its own, the other's
    and the grid's) than a bin further in the declared direction, and the grid pays it more too. Where the
    member's own points follow the direction, that is any place the grid makes the joint points run against
    it; where they do not (the card learned otherwise, and no plan moves it), the grid may not add to it —
    else a plan moving the other member could land in a cell the grid pays for standing against the
    declaration (found by the population audit of recourse, tests/score/recourse_audit.py).

    >>> from lucidscore.artifact import Bin
    >>> def char(name, points, advice):
    ...     bins = [Bin(kind="missing", label="missing", count=0, bad_count=0, woe=0.0, points=0)] + [
    ...         Bin(kind="interval", lower=lo, upper=hi, label=name, count=10, bad_count=1, woe=0.0, points=p)
    ...         for lo, hi, p in [(None, 1.0, points[0]), (1.0, None, points[1])]]
    ...     return Characteristic(name=name, family="credit_history", dtype="numeric", description=name,
    ...         iv=0.1, coefficient=-1.0, bins=bins, advice=advice, actionable=advice != "none")
    >>> late, util = char("late", [20, 0], "lower"), char("util", [5, 0], "none")
    >>> follows_directions(late, util, np.zeros((3, 3), np.int64))
    True
    >>> grid = np.zeros((3, 3), np.int64); grid[2, 1] = 30  # many late payments, low utilisation: +30
    >>> follows_directions(late, util, grid)
    False
    >>> learned = char("late", [0, 20], "lower")  # the card's own points rise with late payments
    >>> follows_directions(learned, util, grid)  # the grid adds to that: passed over
    False
    >>> grid = np.zeros((3, 3), np.int64); grid[1, 1] = 30  # +30 for no late payments: kept
    >>> follows_directions(learned, util, grid)
    True
    """
    own_a = np.array([b.points for b in first.bins], dtype=np.int64)
    own_b = np.array([b.points for b in second.bins], dtype=np.int64)
    joint = own_a[:, None] + own_b[None, :] + grid_by_bin
    for char, along, grid in ((first, joint, grid_by_bin), (second, joint.T, grid_by_bin.T)):
        if char.advice_direction not in ("lower", "higher"):
            continue
        order = sorted(
            (i for i, b in enumerate(char.bins) if b.kind == "interval"),
            key=lambda i: -np.inf if char.bins[i].lower is None else float(char.bins[i].lower),  # type: ignore[arg-type]
        )
        if char.advice_direction == "lower":
            order = order[::-1]  # further along the list = further in the declared direction
        j, g = along[order, :], grid[order, :]
        # [p, q, column]: bin q (after p) is worth fewer joint points and the grid pays it less.
        against = (j[None, :, :] < j[:, None, :]) & (g[None, :, :] < g[:, None, :])
        if np.any(np.triu(np.ones((len(order), len(order)), dtype=bool), k=1)[:, :, None] & against):
            return False
    return True


def segment_interactions(
    segment: Segment,
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    scaling: Scaling,
    max_pairs: int = MAX_PAIRS,
) -> tuple[list[Interaction], list[str]]:
    """Pair grids for one segment of a fitted card from the training rows ``frame``/``y`` it reads
    (module docstring), and a note per grid kept. Deterministic; reads nothing but the rows given."""
    chars = segment.characteristics
    if max_pairs < 1 or len(chars) < 2 or y.size < MIN_ROWS or y.min() == y.max():
        return [], []
    factor = scaling.factor
    position = {c.name: i for i, c in enumerate(chars)}
    codes = {c.name: bin_index(c, frame[c.name]).astype(np.int64) for c in chars}
    points = np.full(y.size, float(segment.base_points))
    for c in chars:
        points += np.array([b.points for b in c.bins], dtype=np.float64)[codes[c.name]]
    eta = -(points - scaling.offset) / factor  # the log-odds of bad the card's points imply
    groups = {c.name: axis_groups(c) for c in chars}
    names = [
        c.name for c in sorted(chars, key=lambda c: (-c.iv, position[c.name])) if len(groups[c.name]) > 1
    ][:CANDIDATE_CHARACTERISTICS]
    axes = {n: (_cell_of(codes[n], groups[n], len(chars[position[n]].bins)), len(groups[n])) for n in names}
    folds = stratified_folds(y, FOLDS, seed=0)
    remaining = sorted(itertools.combinations(names, 2), key=lambda p: (position[p[0]], position[p[1]]))
    remaining = [p if position[p[0]] < position[p[1]] else (p[1], p[0]) for p in remaining]
    level = chance_gain(axes, remaining, eta, folds)
    out: list[Interaction] = []
    notes: list[str] = []
    while remaining and len(out) < max_pairs:
        ranked: list[tuple[float, float, tuple[str, str]]] = []
        for pair in remaining:
            cell, n_cells = _pair_cells(axes[pair[0]], axes[pair[1]])
            gains, saved = _cv_gain(cell, n_cells, y, eta, folds)
            mean = float(np.mean(gains))
            if min(gains) > 0 and mean >= MIN_GAIN and mean > level:
                ranked.append((mean, z_score(saved), pair))
        ranked.sort(key=lambda t: -t[0])  # stable: equal gains keep the listing order
        kept = None
        for gain, z, (first, second) in ranked:
            cell, n_cells = _pair_cells(axes[first], axes[second])
            delta = cell_deltas(cell, n_cells, y, 1.0 / (1.0 + np.exp(-eta)))
            g1, g2 = axes[first][1], axes[second][1]
            grid = np.rint(-factor * delta).astype(np.int64).reshape(g1, g2)
            bads = np.bincount(cell, weights=y, minlength=n_cells).round().astype(int)
            inter = Interaction(
                first=first,
                second=second,
                first_groups=groups[first],
                second_groups=groups[second],
                points=grid.tolist(),
                counts=np.bincount(cell, minlength=n_cells).reshape(g1, g2).tolist(),
                bad_counts=bads.reshape(g1, g2).tolist(),
            )
            by_bin = np.asarray(inter.points_by_bin(), dtype=np.int64)
            if not follows_directions(chars[position[first]], chars[position[second]], by_bin):
                remaining.remove((first, second))
                continue
            kept = (gain, z, inter, by_bin)
            break
        if kept is None:
            break
        gain, z, inter, by_bin = kept
        eta = eta - by_bin[codes[inter.first], codes[inter.second]] / factor
        out.append(inter)
        notes.append(
            f"interaction {inter.first} x {inter.second}: held-out log loss {gain:.5f} lower per row "
            f"(chance level {level:.5f}), {z:.1f} standard errors above zero ({FOLDS}-fold "
            f"cross-validation on {y.size:,} training rows); kept as a "
            f"{len(inter.first_groups)} x {len(inter.second_groups)} points grid"
        )
        used = {inter.first, inter.second}
        if SHARED_CHARACTERISTICS:
            remaining = [p for p in remaining if p != (inter.first, inter.second)]
        else:
            remaining = [p for p in remaining if not used & set(p)]
    out.sort(key=lambda i: position[i.first])
    return out, notes
