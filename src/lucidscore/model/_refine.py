"""Refined points (issue 14): a card's points per pre-bin, boosted from the card's own score.

The WOE regression gives every bin of a characteristic its univariate shape times one coefficient, on a
few merged bins: a characteristic's effect *given the others* can have another shape, and a merged bin
hides the slope inside it. Refinement keeps the card and corrects it, the way an Explainable Boosting
Machine builds its shapes:

1. each characteristic's cells are the pre-bins its bins were merged from (numeric: missing, each declared
   special value, each quantile pre-bin; categorical: its bins);
2. starting from the card's log-odds on the segment's training rows (a seeded sample of at most
   ``REFINE_ROWS``, shared by the model's cards: ``rows_per_card``; segments of fewer than
   ``MIN_ROWS`` rows keep their points), rounds of cyclic
   boosting add to every cell: per characteristic and round, one two-leaf split of its ordered cells
   (the Newton step of each side, times the learning rate), and a step of its own for the missing and
   special cells; all characteristics step together from the same gradients (a round costs one pass
   over the rows);
3. ``BAGS`` times, each with another
   stratified ``VALIDATION`` share of the rows held out, the rounds stop at the lowest held-out log
   loss (checked every few rounds, stopping some rounds after the best), so the correction is only as
   large as held-out rows support, and zero when they support none; the bags' corrections are averaged;
4. each cell's points are its bin's points plus the correction scaled like the card
   (``round(-factor * correction)``); neighbouring interval cells with equal points merge into one bin.

The characteristics selection left out (``_card.with_left_out``: IV below the threshold, or the lower-IV
one of a correlated pair; never the sign rule's drops) are boosted with the card from zero points; one
joins the card only where its bags' held-out rows support it (``held_out_gains`` above ``SUPPORT_GAIN``),
and the card is boosted again without those that do not (``without_unmoved`` then leaves them out).

A refined characteristic's points follow its effect *given the other characteristics*, which can run
against its own risk order in places (a safer bin earning fewer points than a riskier one: on Taiwan,
keeping every refined bin in risk order cancels the whole gain). So only characteristics whose meaning
nobody declared are refined: a declared one (family, risk direction and advice from a declaration or
the feature catalogue, ``Characteristic.declared``) or one with a declared trend (not ``auto`` or
``none``) keeps the card's points, so its reasons and advice keep their direction. Deterministic: the
sample and the held-out rows come from fixed seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from lucidscore.artifact import Bin, Characteristic, Scaling
from lucidscore.model._binning import (
    BinnedColumn,
    interval_label,
    prior_rows,
    shape_of,
    woe_of,
)
from lucidscore.model._params import REFINE_ROWS  # the default of ``refine_rows``

# Cards of one model share ``refine_rows`` (each reads refine_rows / cards), but each may read at least
# SHARED_ROWS: on the 1,000,000 noisy Taiwan rows a second card refined and searched on 40,000 rows of its
# own cost ~1 CPU-s more than one card (BENCHMARKS.md, issue 14); every card of the accuracy benchmarks
# has fewer rows than this, so reads all of them either way.
SHARED_ROWS = 20_000
# Fewer rows than this and the held-out share (15% of 2,000 = 300 rows) cannot tell a shape from noise:
# on the German credit data (700 training rows), bags stopped anywhere from round 0 to 310 from fold to
# fold and one fold lost 0.026 AUC; the card's points are kept as they are.
MIN_ROWS = 2000


# On Taiwan's and the simulated table's 4-fold cross-validation inside their 70% training parts, step
# 0.1 with patience 20 gave the AUC of step 0.05 with patience 50 (0.7759 and 0.7171 both) in fewer
# rounds; two bags instead of four lost 0.0003 and 0.0001.
BAGS = 4
LEARNING_RATE = 0.1
CHECK_EVERY = 5  # rounds between held-out checks
PATIENCE = 20  # rounds without a better held-out loss before a bag stops
VALIDATION = 0.15
MIN_HESSIAN = 2.0  # a leaf needs this much Newton weight (about 8+ rows at a 50% bad rate) to step
MAX_ROUNDS = 2000
REFINED_TRENDS = ("auto", "none")
# A refined numeric characteristic keeps at most this many times ``max_bins`` interval bins: in the 2x4-fold
# cross-validation inside the training parts, caps of 12, 16 and 40 bins gave the same AUC, above a cap of 8
# (simulated 0.7170 -> 0.7174, higher on every fold; Taiwan 0.7756 -> 0.7758; German is not refined).
REFINED_BINS_PER_BIN = 2
# The shape and segment searches compare quickly refined fold cards: one boosting run of this many rounds
# on all the card's rows (nothing held out, no bags). On the 2x4-fold cross-validation inside the training
# parts, 5 / 10 / 20 / 40 rounds gave Taiwan 0.7783 / 0.7785 / 0.7782 / 0.7772 when refined cards kept 8
# bins; with 16 bins and 5-group grids, 10 rounds give 0.7787 against 0.7764 for unrefined searches
# (simulated 0.7174 -> 0.7177, German unchanged); docs/model.md step 7b.
QUICK_ROUNDS = 10
# A characteristic selection left out joins a refined card where taking its correction out raises the
# held-out log loss of the bags by more than this per held-out row (nats; docs/model.md 7b).
SUPPORT_GAIN = 0.0


@njit(cache=True, nogil=True)
def boost_cells(
    codes: npt.NDArray[np.int16],
    cell_start: npt.NDArray[np.int64],
    n_plain: npt.NDArray[np.int64],
    y: npt.NDArray[np.int8],
    eta0: npt.NDArray[np.float64],
    held: npt.NDArray[np.bool_],
    learning_rate: float,
    min_hessian: float,
    max_rounds: int,
    check_every: int,
    patience: int,
) -> tuple[npt.NDArray[np.float64], int]:
    """Corrections (log-odds of bad) per global cell from cyclic two-leaf boosting on the rows not
    ``held``, stopped at the lowest log loss on the ``held`` rows; and the round it stopped at.

    ``codes[i, j]`` is row i's cell of characteristic j; its cells are ``cell_start[j] ..
    cell_start[j + 1]``, of which the first ``n_plain[j]`` (missing, specials) step alone and the rest
    are ordered and split in two. One pass over the rows a round: it applies the last round's steps,
    takes the held-out loss when due, and sums the next gradients.
    """
    n, p = codes.shape
    n_cells = cell_start[p]
    cell = np.empty((n, p), dtype=np.int32)
    for i in range(n):
        for j in range(p):
            cell[i, j] = cell_start[j] + codes[i, j]
    f = np.zeros(n_cells)
    best_f = np.zeros(n_cells)
    eta = eta0.copy()
    gh = np.zeros(2 * n_cells)  # gradient and Hessian sums of each cell, side by side
    step = np.zeros(n_cells)
    best_round = 0
    best_loss = 0.0  # held-out log loss of the card itself: a correction must beat it
    any_held = False
    for i in range(n):
        if held[i]:
            any_held = True
            q = 1.0 / (1.0 + np.exp(-eta[i]))
            best_loss -= np.log(q) if y[i] else np.log(1.0 - q)
    for r in range(1, max_rounds + 1):
        done = r - 1  # rounds of steps in f
        check = any_held and done > 0 and done % check_every == 0
        gh[:] = 0.0
        loss = 0.0
        for i in range(n):
            if done > 0:
                s = 0.0
                for j in range(p):
                    s += step[cell[i, j]]
                eta[i] += s
            if held[i]:
                if check:
                    q = 1.0 / (1.0 + np.exp(-eta[i]))
                    loss -= np.log(q) if y[i] else np.log(1.0 - q)
                continue
            q = 1.0 / (1.0 + np.exp(-eta[i]))
            g = y[i] - q
            h = q * (1.0 - q)
            for j in range(p):
                c = 2 * cell[i, j]
                gh[c] += g
                gh[c + 1] += h
        if check:
            if loss < best_loss:
                best_loss = loss
                best_round = done
                best_f[:] = f
            elif done - best_round >= patience:
                break
        for j in range(p):
            a = cell_start[j]
            b = cell_start[j + 1]
            o = a + n_plain[j]
            for c in range(a, o):
                hc = gh[2 * c + 1]
                step[c] = learning_rate * gh[2 * c] / hc if hc >= min_hessian else 0.0
            tg = 0.0
            th = 0.0
            for c in range(o, b):
                tg += gh[2 * c]
                th += gh[2 * c + 1]
            gl = 0.0
            hl = 0.0
            best_gain = -1.0
            split = -1
            for c in range(o, b - 1):
                gl += gh[2 * c]
                hl += gh[2 * c + 1]
                hr = th - hl
                if hl >= min_hessian and hr >= min_hessian:
                    gain = gl * gl / hl + (tg - gl) * (tg - gl) / hr
                    if gain > best_gain:
                        best_gain = gain
                        split = c
            if split < 0:
                for c in range(o, b):
                    step[c] = 0.0
                continue
            gl = 0.0
            hl = 0.0
            for c in range(o, split + 1):
                gl += gh[2 * c]
                hl += gh[2 * c + 1]
            left = learning_rate * gl / hl
            right = learning_rate * (tg - gl) / (th - hl)
            for c in range(o, b):
                step[c] = left if c <= split else right
        for c in range(n_cells):
            f[c] += step[c]
    if not any_held:  # nothing held out (a quick refinement): all ``max_rounds`` rounds
        return f, max_rounds
    return best_f, best_round


def held_out(y: npt.NDArray[np.int8], share: float, seed: int) -> npt.NDArray[np.bool_]:
    """A stratified random ``share`` of the rows (at least one row of each class when there are two).

    >>> held_out(np.array([0] * 10 + [1] * 10, np.int8), 0.2, 0).reshape(2, 10).sum(axis=1).tolist()
    [2, 2]
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(y.size, dtype=np.bool_)
    for cls in (0, 1):
        rows = np.flatnonzero(y == cls)
        if rows.size >= 2:
            take = max(1, round(share * rows.size))
            out[rng.choice(rows, take, replace=False)] = True
    return out


def held_out_gains(
    codes: npt.NDArray[np.int16],
    cell_start: npt.NDArray[np.int64],
    ys: npt.NDArray[np.int8],
    es: npt.NDArray[np.float64],
    bags: Sequence[tuple[npt.NDArray[np.float64], int]],
    held: Sequence[npt.NDArray[np.bool_]],
    which: Sequence[int],
) -> npt.NDArray[np.float64]:
    """For each characteristic ``which[i]`` (a column of ``codes``), how much taking its correction out of
    each bag's correction raises the bag's held-out log loss, summed over the bags, per held-out row
    (nats): what the held-out rows say it adds given the others.

    >>> codes = np.array([[0, 0], [1, 0], [0, 1], [1, 1]] * 50, np.int16)
    >>> ys = np.array([1, 0, 1, 0] * 50, np.int8)
    >>> f = np.array([2.0, -2.0, 0.5, -0.5])  # characteristic 0 sorts the targets, 1 does not
    >>> start, every = np.array([0, 2, 4]), [np.ones(200, bool)]
    >>> gains = held_out_gains(codes, start, ys, np.zeros(200), [(f, 5)], every, [0, 1])
    >>> bool(gains[0] > 0.5), bool(gains[1] < 0)
    (True, True)
    """
    out = np.zeros(len(which))
    rows = 0
    for (f, _), h in zip(bags, held, strict=True):
        y = ys[h]
        own = [f[cell_start[j] + codes[h, j].astype(np.int64)] for j in range(codes.shape[1])]
        eta = es[h] + np.sum(own, axis=0)
        loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        for i, j in enumerate(which):
            rest = eta - own[j]
            out[i] += float(np.sum(np.logaddexp(0.0, rest) - y * rest)) - loss
        rows += int(h.sum())
    return out / max(rows, 1)


@dataclass(frozen=True)
class Refined:
    """One segment's refined characteristics and the rounds each bag ran (for the notes)."""

    characteristics: list[Characteristic]
    rounds: list[int]
    refined: list[str]
    cell_points: dict[int, npt.NDArray[np.int64]]  # per refined position in the card: points of each cell
    added: list[str] = field(default_factory=list)  # characteristics selection left out, added (notes)


def refinement_notes(refined: Refined) -> list[str]:
    """The training notes on a segment's refinement (none when every bag stopped at round 0)."""
    if not any(refined.rounds):
        return []
    notes = [
        f"points of {len(refined.refined)} characteristic(s) refined on their pre-bins (boosting "
        f"stopped by held-out rows at rounds {', '.join(map(str, refined.rounds))})"
    ]
    if refined.added:
        notes.append(
            f"refinement added {', '.join(refined.added)} (left out by selection) from zero points: "
            "held-out rows supported their effect given the card"
        )
    return notes


def without_unmoved(
    refined: Refined, columns: Sequence[BinnedColumn], n_card: int
) -> tuple[Refined, list[BinnedColumn]]:
    """``refined`` and its ``columns`` without the characteristics after the card's first ``n_card``
    (those selection left out, started at zero points: ``_card.with_left_out``) that refinement left at
    zero points on every cell: a characteristic is in the card only where held-out rows moved it."""
    keep = list(range(n_card)) + [
        k for k in range(n_card, len(columns)) if k in refined.cell_points and refined.cell_points[k].any()
    ]
    if len(keep) == len(columns):
        added = [refined.characteristics[k].name for k in range(n_card, len(columns))]
        return replace(refined, added=added), list(columns)
    moved = {k: i for i, k in enumerate(keep)}
    return (
        Refined(
            [refined.characteristics[k] for k in keep],
            refined.rounds,
            [n for n in refined.refined if n in {refined.characteristics[k].name for k in keep}],
            {moved[k]: v for k, v in refined.cell_points.items() if k in moved},
            [refined.characteristics[k].name for k in keep[n_card:]],
        ),
        [columns[k] for k in keep],
    )


def n_cells(col: BinnedColumn) -> tuple[int, int]:
    """(cells, leading cells that step alone: missing and specials) of a column."""
    if col.dtype == "categorical":
        return len(col.bins), 1
    return 1 + col.fine_specials.size + col.fine_edges.size + 1, 1 + col.fine_specials.size


def refinable(chars: Sequence[Characteristic], trends: Sequence[str]) -> list[int]:
    """Positions of the characteristics refinement may change: undeclared, trend auto or none."""
    return [
        k
        for k, (ch, trend) in enumerate(zip(chars, trends, strict=True))
        if trend in REFINED_TRENDS and not ch.declared
    ]


def rows_per_card(cards: int, total: int = REFINE_ROWS) -> int:
    """How many rows refinement and the interaction search read at most in each card of a model of
    ``cards`` cards: ``total`` (``refine_rows``) shared, at least ``SHARED_ROWS`` each (or ``total``,
    if smaller).

    >>> rows_per_card(1), rows_per_card(2), rows_per_card(5)
    (40000, 20000, 20000)
    >>> rows_per_card(2, 150_000), rows_per_card(2, 10_000)
    (75000, 10000)
    """
    return max(total // max(cards, 1), min(SHARED_ROWS, total))


def sample_positions(n: int, limit: int = REFINE_ROWS) -> npt.NDArray[np.int64] | None:
    """Which of a segment's ``n`` rows (in row order) refinement reads: None for all of them, else a
    sorted seeded sample of ``limit`` (``rows_per_card``; every engine takes these positions)."""
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def refine_card(
    chars: list[Characteristic],
    columns: list[BinnedColumn],
    y: npt.NDArray[np.int8],
    base_points: int,
    scaling: Scaling,
    woe_prior: float,
    trends: Sequence[str],
    max_bins: int,
    quick_rounds: int | None = None,
    limit: int = REFINE_ROWS,
    added_from: int | None = None,
    start: dict[int, npt.NDArray[np.int64]] | None = None,
) -> Refined:
    """The card's characteristics with refined points (module docstring); ``columns`` are their
    binnings with each training row's cell, ``y`` the segment's training targets, aligned with them.
    ``quick_rounds``: the searches' quick refinement instead (``refine_sample``); ``limit``: rows read
    at most (``rows_per_card``)."""
    if not refinable(chars, trends) or y.size < MIN_ROWS or y.min() == y.max():
        return Refined(chars, [], [], {})
    take = sample_positions(y.size, limit)
    cells = [col.fine_codes if take is None else col.fine_codes[take] for col in columns]
    ys = y if take is None else y[take]
    return refine_sample(
        chars, columns, cells, ys, base_points, scaling, woe_prior, trends, max_bins, quick_rounds,
        added_from, start,
    )  # fmt: skip


def refine_sample(
    chars: list[Characteristic],
    columns: list[BinnedColumn],
    cells: Sequence[npt.NDArray[np.integer[Any]]],
    ys: npt.NDArray[np.int8],
    base_points: int,
    scaling: Scaling,
    woe_prior: float,
    trends: Sequence[str],
    max_bins: int,
    quick_rounds: int | None = None,
    added_from: int | None = None,
    start: dict[int, npt.NDArray[np.int64]] | None = None,
) -> Refined:
    """``refine_card`` from the rows ``sample_positions`` picks (each characteristic's cell of each, and
    their targets) and the columns' per-cell counts of all the segment's rows (``fine_counts``,
    ``fine_bads``): what the Spark engine collects.

    ``quick_rounds`` (the searches' fold cards, ``QUICK_ROUNDS``): one boosting run of that many rounds
    on every row read, nothing held out and no bags; milliseconds a card, so that the shape and segment
    searches compare cards as refinement will leave them."""
    todo = refinable(chars, trends)
    n_rows = int(columns[0].fine_counts.sum())
    if not todo or n_rows < MIN_ROWS or ys.min() == ys.max():
        return Refined(chars, [], [], {})
    points = np.full(ys.size, float(base_points), dtype=np.float64)
    own = _own_points(chars, columns, start)
    for k, cell in enumerate(cells):
        points += own[k][np.asarray(cell, dtype=np.int64)]
    es = (scaling.offset - points) / scaling.factor
    todo, bags, correction, cell_start = _boost(todo, columns, cells, ys, es, quick_rounds)
    if added_from is not None and quick_rounds is None and todo[-1] >= added_from:
        # The characteristics selection left out join only where the held-out rows of the bags support
        # them (``SUPPORT_GAIN``); the card is then boosted again without the others (their corrections
        # share effects with the card's: taken out afterwards, they cost Taiwan more than they added).
        held = [held_out(ys, VALIDATION, 1 + b) for b in range(BAGS)]
        added = [j for j, k in enumerate(todo) if k >= added_from]
        gains = held_out_gains(_codes(todo, cells, ys.size), cell_start, ys, es, bags, held, added)
        weak = {todo[j] for j, gain in zip(added, gains, strict=True) if not gain > SUPPORT_GAIN}
        if weak:
            todo = [k for k in todo if k not in weak]
            if not todo:
                return Refined(chars, [], [], {})
            todo, bags, correction, cell_start = _boost(todo, columns, cells, ys, es, None)
    out = list(chars)
    cell_points: dict[int, npt.NDArray[np.int64]] = {}
    total_bad = float(columns[0].fine_bads.sum())
    totals = (n_rows - total_bad, total_bad)
    prior = prior_rows(*totals, woe_prior)
    for j, k in enumerate(todo):
        delta = correction[cell_start[j] : cell_start[j + 1]]
        out[k], cell_points[k] = _refined_characteristic(
            chars[k], columns[k], delta, scaling, totals, prior, max_bins, own[k]
        )
    return Refined(out, [r for _, r in bags], [chars[k].name for k in todo], cell_points)


def _own_points(
    chars: Sequence[Characteristic],
    columns: Sequence[BinnedColumn],
    start: dict[int, npt.NDArray[np.int64]] | None,
) -> list[npt.NDArray[np.float64]]:
    """Each characteristic's points per cell: ``start[k]`` where given (a bagged card's cells), else its
    bin's points."""
    return [
        np.asarray(start[k], np.float64)
        if start is not None and k in start
        else np.array([b.points for b in ch.bins], dtype=np.float64)[col.fine_bin]
        for k, (ch, col) in enumerate(zip(chars, columns, strict=True))
    ]


def _codes(
    todo: Sequence[int], cells: Sequence[npt.NDArray[np.integer[Any]]], n: int
) -> npt.NDArray[np.int16]:
    codes = np.empty((n, len(todo)), dtype=np.int16)
    for j, k in enumerate(todo):
        codes[:, j] = cells[k]
    return codes


def _boost(
    todo: list[int],
    columns: Sequence[BinnedColumn],
    cells: Sequence[npt.NDArray[np.integer[Any]]],
    ys: npt.NDArray[np.int8],
    es: npt.NDArray[np.float64],
    quick_rounds: int | None,
) -> tuple[
    list[int], list[tuple[npt.NDArray[np.float64], int]], npt.NDArray[np.float64], npt.NDArray[np.int64]
]:
    """The boosting of ``refine_sample`` on the characteristics at positions ``todo``: ``todo``, each
    bag's corrections and stopping round, their mean, and where each characteristic's cells start."""
    sizes = [n_cells(columns[k]) for k in todo]
    cell_start = np.concatenate([[0], np.cumsum([s[0] for s in sizes])]).astype(np.int64)
    n_plain = np.array([s[1] for s in sizes], dtype=np.int64)
    codes = _codes(todo, cells, ys.size)

    def bag(b: int) -> tuple[npt.NDArray[np.float64], int]:
        out: tuple[npt.NDArray[np.float64], int] = boost_cells(
            codes, cell_start, n_plain, ys, es, held_out(ys, VALIDATION, 1 + b),
            LEARNING_RATE, MIN_HESSIAN, MAX_ROUNDS, CHECK_EVERY, PATIENCE,
        )  # fmt: skip
        return out

    if quick_rounds is not None:
        nothing_held = np.zeros(ys.size, dtype=np.bool_)
        quick: tuple[npt.NDArray[np.float64], int] = boost_cells(
            codes, cell_start, n_plain, ys, es, nothing_held,
            LEARNING_RATE, MIN_HESSIAN, quick_rounds, CHECK_EVERY, PATIENCE,
        )  # fmt: skip
        bags = [quick]
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:  # the kernel drops the GIL
            bags = list(pool.map(bag, range(BAGS)))
    return todo, bags, np.mean([f for f, _ in bags], axis=0), cell_start


def piecewise_groups(
    values: npt.NDArray[np.float64], weights: npt.NDArray[np.float64], k: int
) -> npt.NDArray[np.int64]:
    """The group (0, 1, ...) of each value when the sequence is cut into at most ``k`` runs of
    neighbours that lose the least weighted squared distance to their run's weighted mean (exact, by
    dynamic programming over the cuts; a few dozen values).

    >>> piecewise_groups(np.array([1.0, 1.1, 5.0, 5.2, 9.0]), np.ones(5), 3).tolist()
    [0, 0, 1, 1, 2]
    """
    n = values.size
    if n <= k:
        return np.arange(n, dtype=np.int64)
    w = np.maximum(weights, 1e-9)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cwx = np.concatenate([[0.0], np.cumsum(w * values)])
    cwxx = np.concatenate([[0.0], np.cumsum(w * values * values)])
    return _cut_runs(cw, cwx, cwxx, k)


@njit(cache=True, nogil=True)
def _cut_runs(
    cw: npt.NDArray[np.float64], cwx: npt.NDArray[np.float64], cwxx: npt.NDArray[np.float64], k: int
) -> npt.NDArray[np.int64]:
    """``piecewise_groups``' dynamic programme on the cumulative sums of weights, weighted values and
    weighted squares (compiled: it ran for every refined characteristic of every fold card)."""
    n = cw.size - 1
    best = np.full((k + 1, n + 1), np.inf)
    cut = np.zeros((k + 1, n + 1), dtype=np.int64)
    best[0, 0] = 0.0
    for g in range(1, k + 1):
        for b in range(g, n + 1):  # the last run is values start .. b-1
            at = g - 1
            low = np.inf
            for start in range(g - 1, b):
                sw = cw[b] - cw[start]
                sx = cwx[b] - cwx[start]
                total = best[g - 1, start] + (cwxx[b] - cwxx[start] - sx * sx / sw)
                if total < low:
                    low = total
                    at = start
            best[g, b] = low
            cut[g, b] = at
    groups = 1
    for g in range(2, k + 1):  # the first fewest runs of the lowest loss
        if best[g, n] < best[groups, n]:
            groups = g
    out = np.empty(n, dtype=np.int64)
    b = n
    for g in range(groups, 0, -1):
        a = cut[g, b]
        out[a:b] = g - 1
        b = a
    return out


def _refined_characteristic(
    ch: Characteristic,
    col: BinnedColumn,
    delta: npt.NDArray[np.float64],
    scaling: Scaling,
    totals: tuple[float, float],
    prior: float,
    max_bins: int,
    own: npt.NDArray[np.float64] | None = None,
) -> tuple[Characteristic, npt.NDArray[np.int64]]:
    """``ch`` with each cell's points (``own``; None: its bin's) corrected by ``delta`` (log-odds of
    bad), equal neighbours merged."""
    counts, bads = col.fine_counts, col.fine_bads
    if own is None:
        own = np.array([b.points for b in ch.bins], dtype=np.float64)[col.fine_bin]
    exact = own - scaling.factor * delta
    cell_points = np.rint(exact).astype(np.int64)
    if ch.dtype == "numeric":  # at most REFINED_BINS_PER_BIN * max_bins interval bins (docs/model.md 7b)
        first = 1 + col.fine_specials.size
        cap = REFINED_BINS_PER_BIN * max_bins
        group = piecewise_groups(exact[first:], counts[first:].astype(np.float64), cap)
        sums = np.bincount(group, weights=exact[first:] * np.maximum(counts[first:], 1e-9))
        means = sums / np.bincount(group, weights=np.maximum(counts[first:], 1e-9))
        cell_points[first:] = np.rint(means[group]).astype(np.int64)
    bins = _bins_of_cells(ch, col, cell_points, counts, bads, totals, prior)
    totals_good, totals_bad = totals
    iv = sum(((b.count - b.bad_count) / totals_good - b.bad_count / totals_bad) * b.woe for b in bins)
    shape = shape_of([float(b.points) for b in bins if b.kind in ("interval", "categories")])
    refined = ch.model_copy(update={"bins": bins, "iv": max(iv, 0.0), "monotonic_trend": shape})
    return refined, cell_points


def _bins_of_cells(
    ch: Characteristic,
    col: BinnedColumn,
    cell_points: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    bads: npt.NDArray[np.int64],
    totals: tuple[float, float],
    prior: float,
) -> list[Bin]:
    """The bins of ``ch`` given each cell's points (neighbouring interval cells of equal points form one
    bin)."""
    bins: list[Bin] = []

    def make(template: Bin, cells: list[int], **update: object) -> None:
        n, nb = int(counts[cells].sum()), int(bads[cells].sum())
        woe = woe_of(n - nb, nb, *totals, prior)
        points = int(cell_points[cells[0]])
        bins.append(
            template.model_copy(update={"count": n, "bad_count": nb, "woe": woe, "points": points} | update)
        )

    if ch.dtype == "categorical":
        for i, b in enumerate(ch.bins):
            make(b, [i])
        return bins
    n_cells = cell_points.size
    first_interval = 1 + col.fine_specials.size
    for b in ch.bins:
        if b.kind == "missing":
            make(b, [0])
        elif b.kind == "special" and b.special_value is not None:
            make(b, [1 + int(np.searchsorted(col.fine_specials, float(b.special_value)))])
    edges = col.fine_edges
    template = next(b for b in ch.bins if b.kind == "interval")
    run = [first_interval]
    for c in range(first_interval + 1, n_cells + 1):
        if c < n_cells and cell_points[c] == cell_points[run[0]]:
            run.append(c)
            continue
        a, z = run[0] - first_interval, run[-1] - first_interval + 1  # pre-bins a .. z-1
        lower = None if a == 0 else float(edges[a - 1])
        upper = None if z == edges.size + 1 else float(edges[z - 1])
        make(template, run, lower=lower, upper=upper, label=interval_label(lower, upper))
        run = [c]
    return bins
