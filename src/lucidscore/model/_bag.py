"""Bagged points for small cards (issue 14): a card of fewer than ``_refine.MIN_ROWS`` rows is the
average of cards fitted on bootstrap samples of its rows, as one points card.

A small table's card is a high-variance estimate: which characteristics pass the IV threshold and the
correlation filter, where the optimal binning cuts, and the regression's coefficients all move with a few
rows. Refinement (``_refine``) cannot help there: its held-out share is too small to stop boosting at the
right round (docs/model.md 7b). Bagging reduces the variance instead, the way an Explainable Boosting
Machine averages its outer bags, and needs no held-out rows:

1. ``BAGS`` bootstrap samples of the card's rows (seeded, sorted, so row order is kept) are fitted as the
   card is (binning, selection, regression with the sign rule), unrefined; a bag no card can be fitted on
   is left out of the average;
2. each bag's points are read on the card's own rows and averaged per *cell* of the card's binning of
   that column (numeric: missing, each special value, each quantile pre-bin; categorical: its bins, the
   a finer binning of the column, ``_card.finer_categories``): the bag's step function on
   the card's finest cells. A characteristic a bag did not keep counts as 0 points there; the base points
   are the bags' mean;
3. each characteristic's cell points are the mean over the bags, rounded; a numeric one keeps at most
   ``_refine.REFINED_BINS_PER_BIN`` times ``max_bins`` interval bins (as refined ones do) and equal
   neighbours merge, so the result is a points card like any other. Cells without rows keep the card's
   own points.

Only characteristics refinement would touch are averaged (undeclared, trend ``auto`` or ``none``): a
declared one keeps the card's points, so reasons and advice keep their declared direction; a
characteristic the card left out joins only if the bags' mean gives it points somewhere. Deterministic:
the bootstrap samples come from fixed seeds. Both engines call ``bag_sample`` on the same rows in the same
order (the Spark engine collects a small segment's rows; they are fewer than ``_refine.MIN_ROWS``).

Medium cards (``MIN_ROWS`` to ``MEDIUM_ROWS`` rows, ``_card.BAG_MEDIUM`` bags) are bagged the same way with
fewer bags, then refined once from the bagged cells' points (``_card.bag_medium``, docs/model.md 7c).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    Characteristic,
    Scaling,
    Segment,
    bin_index_of_numbers,
    bin_index_of_texts,
    category_codes,
    numeric_values,
)
from lucidscore.errors import InputError
from lucidscore.model._binning import BinnedColumn, prior_rows
from lucidscore.model._refine import MIN_ROWS, _refined_characteristic, refinable

# Bootstrap cards averaged. On German's 2x4-fold cross-validation inside the training parts, against 0.77272
# for the single card: 20 bags 0.7709 / 0.7758 / 0.7757 / 0.7733 (bootstrap seeds 0-3), 50 bags 0.7739 /
# 0.7756 (seeds 0, 1), 100 bags 0.7761 / 0.7754, 200 bags 0.7750: the average settles as bags are added
# (BENCHMARKS.md, "Bagged small cards"). About 17 ms of CPU a bag on German's 525-row fold cards.
BAGS = 100
SEED = 0
# Cards of at least ``MIN_ROWS`` and fewer than this many rows are bagged, then refined, when
# ``_card.BAG_MEDIUM`` is not 0 (``_card.bag_medium``): a bound by rows, so that no card of a
# 1,000,000-row fit (the segment search keeps 15% a side) changes, and the Spark engine collects at most
# this many rows of a card.
MEDIUM_ROWS = 100_000


def bagged_size(n_rows: int, n_bad: int) -> bool:
    """Whether a card of ``n_rows`` rows, ``n_bad`` of them bad, is bagged: fewer than ``MIN_ROWS`` rows,
    both classes present.

    >>> bagged_size(500, 100), bagged_size(500, 0), bagged_size(5000, 100)
    (True, False, False)
    """
    return 0 < n_bad < n_rows < MIN_ROWS


def medium_size(n_rows: int, n_bad: int) -> bool:
    """Whether a card of ``n_rows`` rows, ``n_bad`` of them bad, is bagged, then refined
    (``_card.bag_medium``): at least ``MIN_ROWS`` and fewer than ``MEDIUM_ROWS`` rows, both classes present.

    >>> medium_size(500, 100), medium_size(5000, 100), medium_size(10**6, 10**5), medium_size(5000, 0)
    (False, True, False, False)
    """
    return MIN_ROWS <= n_rows < MEDIUM_ROWS and 0 < n_bad < n_rows


FitBag = Callable[[npt.NDArray[np.int64]], Segment]


@dataclass(frozen=True)
class Bagged:
    """The bagged card: its characteristics (the card's, then those added), the binnings they are read
    on, each averaged characteristic's points per cell (by position), the base points, and how many bags
    were averaged."""

    characteristics: list[Characteristic]
    columns: list[BinnedColumn]
    cell_points: dict[int, npt.NDArray[np.int64]]
    base_points: int
    bags: int
    added: list[str]


def bootstrap(n: int, b: int) -> npt.NDArray[np.int64]:
    """Bag ``b``'s row positions: ``n`` drawn with replacement from ``range(n)``, sorted (seeded).

    >>> bootstrap(5, 0).tolist() == sorted(bootstrap(5, 0).tolist())
    True
    """
    return np.sort(np.random.default_rng([SEED, b]).integers(0, n, n)).astype(np.int64)


def bag_notes(bagged: Bagged, medium: bool = False) -> list[str]:
    """The training notes on a bagged card (``medium``: one refined after bagging, ``_card.bag_medium``)."""
    if not bagged.bags:
        return []
    why = (
        f", then refined (a card of {MIN_ROWS:,} to {MEDIUM_ROWS - 1:,} rows)"
        if medium
        else f" (a card of fewer than {MIN_ROWS:,} rows is bagged instead of refined)"
    )
    notes = [
        f"points of {len(bagged.cell_points)} characteristic(s) averaged over {bagged.bags} bootstrap "
        f"cards{why}"
    ]
    if bagged.added:
        notes.append(
            f"bagging added {', '.join(bagged.added)} (left out of the card, kept by bootstrap cards)"
        )
    return notes


def bag_sample(
    chars: list[Characteristic],
    columns: list[BinnedColumn],
    n_card: int,
    cells: Sequence[npt.NDArray[np.integer[Any]]],
    values: pd.DataFrame,
    ys: npt.NDArray[np.int8],
    scaling: Scaling,
    woe_prior: float,
    trends: Sequence[str],
    max_bins: int,
    fit_bag: FitBag,
    n_bags: int = 0,
    join_share: float = 0.0,
) -> Bagged:
    """The bagged card (module docstring). ``chars``/``columns``: the card's characteristics and their
    binnings followed by those selection left out at zero points (``_card.with_left_out``), of which the
    first ``n_card`` are the card's; ``cells`` each one's cell of every row, ``values`` the rows' column
    values and ``ys`` their targets, in row order; ``fit_bag`` fits the card, unrefined, on the given
    positions of these rows; a characteristic the card left out joins only if at least ``join_share`` of
    the bags kept it (``_card.MEDIUM_JOIN_SHARE``)."""
    n = ys.size
    todo = set(refinable(chars, trends))
    where = {c.name: k for k, c in enumerate(chars)}
    size = [col.fine_counts.size for col in columns]
    counts = [np.bincount(np.asarray(c, np.int64), minlength=m) for c, m in zip(cells, size, strict=True)]
    sums = [np.zeros(m) for m in size]
    kept_by = np.zeros(len(chars), dtype=np.int64)  # bags that kept each characteristic
    # Each column read once (as ``bin_index`` reads it), then placed in every bag's bins.
    numbers = {c.name: numeric_values(values[c.name], c.name) for c in chars if c.dtype == "numeric"}
    texts = {c.name: category_codes(values[c.name]) for c in chars if c.dtype != "numeric"}

    def index_of(ch: Characteristic) -> npt.NDArray[np.int64]:
        if ch.dtype == "numeric":
            return bin_index_of_numbers(ch, numbers[ch.name])
        return bin_index_of_texts(ch, *texts[ch.name])

    def one(b: int) -> Segment | None:
        pos = bootstrap(n, b)
        if ys[pos].min() == ys[pos].max():
            return None  # a sample of one class (a tiny card): no card to average
        try:
            return fit_bag(pos)
        except InputError:
            return None  # no card on this sample (every characteristic dropped): it is not averaged

    # The bags are independent fits: two at a time (the kernels release the GIL); averaged in bag order.
    with ThreadPoolExecutor(max_workers=2) as pool:
        fitted = [seg for seg in pool.map(one, range(n_bags or BAGS)) if seg is not None]
    bags = len(fitted)
    base_sum = float(sum(seg.base_points for seg in fitted))
    for seg in fitted:
        for ch in seg.characteristics:
            k = where.get(ch.name)
            if k is None or k not in todo:
                continue  # declared, or a sign-rule drop of the card: not averaged
            kept_by[k] += 1
            table = np.asarray([bn.points for bn in ch.bins], dtype=np.float64)
            row_points = table[index_of(ch)]
            cell = np.asarray(cells[k], np.int64)
            sums[k] += np.bincount(cell, weights=row_points, minlength=size[k]) / np.maximum(counts[k], 1)
    if not bags:
        return Bagged(chars[:n_card], columns[:n_card], {}, 0, 0, [])
    n_rows = float(columns[0].fine_counts.sum())
    total_bad = float(columns[0].fine_bads.sum())
    totals = (n_rows - total_bad, total_bad)
    prior = prior_rows(*totals, woe_prior)
    out_chars: list[Characteristic] = []
    out_cols: list[BinnedColumn] = []
    cell_points: dict[int, npt.NDArray[np.int64]] = {}
    added: list[str] = []
    for k, (ch, col) in enumerate(zip(chars, columns, strict=True)):
        if k not in todo:
            if k < n_card:
                out_chars.append(ch)
                out_cols.append(col)
            continue
        own = np.asarray([bn.points for bn in ch.bins], dtype=np.float64)[col.fine_bin]
        mean = np.where(counts[k] > 0, sums[k] / bags, own)
        refined, per_cell = _refined_characteristic(
            ch, col, (own - mean) / scaling.factor, scaling, totals, prior, max_bins
        )
        if k >= n_card:
            if not np.any(per_cell[counts[k] > 0]):
                continue  # left out of the card, and the bags' mean gives it no points: stays out
            if kept_by[k] < join_share * bags:
                continue  # left out of the card, and too few bags kept it: stays out
            added.append(ch.name)
        cell_points[len(out_chars)] = per_cell
        out_chars.append(refined)
        out_cols.append(col)
    return Bagged(out_chars, out_cols, cell_points, round(base_sum / bags), bags, added)
