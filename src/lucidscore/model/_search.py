"""Segment search: should one scorecard become two, split on a strong characteristic?

Scorecard practice splits a population whose risk drivers differ (on-time payers and revolvers, thin and
thick files) and fits one card per part. When the modeller names no segmentation, ``search_segment``
tries a few candidate splits and keeps one only if cross-validation inside the training rows says the
two cards rank held-out rows better than one card, on every fold:

1. fit one card on (a stratified sample of at most ``SEARCH_ROWS`` of) the training rows;
2. candidates: for its ``SEARCH_CHARACTERISTICS`` characteristics of highest IV, ``column >= edge`` at
   each interval edge of a numeric one and ``column in {...}`` for each leading run of a categorical
   one's bins, where each side holds ``MIN_SIDE_SHARE`` of the rows and satisfies ``min_segment_rows`` /
   ``min_segment_bads``; at most ``MAX_CANDIDATES``, highest IV first;
3. ``SEARCH_FOLDS``-fold stratified cross-validation of one card against each two-card split (every
   fold card quickly refined when the fit refines: ``fold_card``), fold by fold: a candidate stops at
   its first fold where the two cards do not rank better;
4. of the candidates better on every fold, the one with the largest mean AUC gain is kept if that gain
   is at least ``MIN_GAIN``; otherwise one card.

Nothing here reads data outside the rows given to ``fit``; the result is deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    MAX_SCORE,
    MIN_SCORE,
    Characteristic,
    Condition,
    Segment,
    bin_index,
    bin_index_of_numbers,
    condition_mask,
)
from lucidscore.errors import InputError
from lucidscore.model import _refine
from lucidscore.model._binning import ValueRanks, value_ranks
from lucidscore.model._card import Column, Columns, fit_card, model_columns
from lucidscore.model._frame import Kind
from lucidscore.model._metrics import discrimination
from lucidscore.model._params import ScorecardParams

SEARCH_ROWS = 20_000
SEARCH_FOLDS = 3
SEARCH_CHARACTERISTICS = 3
MAX_CANDIDATES = 3
MIN_SIDE_SHARE = 0.15
MIN_GAIN = 0.002

Progress = Callable[[str], None]


@dataclass
class SearchResult:
    """What the search tried and found: the split kept (or None), the one-card AUC per fold, and per
    candidate its AUC gain on each fold it reached (it stops at its first fold without a gain)."""

    chosen: Condition | None
    rows: int
    tried: list[str] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    gains: dict[str, list[float]] = field(default_factory=dict)

    def note(self) -> str:
        """One line for the training notes."""
        if not self.tried:
            return "segment search: no characteristic splits the rows into two large enough parts; one card"
        where = f"{SEARCH_FOLDS}-fold cross-validation on {self.rows:,} rows"
        if self.chosen is None:
            return (
                f"segment search: no split ({', '.join(self.tried)}) raised the AUC on every fold of "
                f"{where} by {MIN_GAIN:g} on average; one card"
            )
        name = rule_name(self.chosen)
        base = float(np.mean(self.baseline))
        return (
            f"segment search: {name} raised the AUC on every fold of {where}, from {base:.4f} to "
            f"{base + float(np.mean(self.gains[name])):.4f} on average; one card for each side"
        )


def rule_name(cond: Condition) -> str:
    """``PAY_0>=0``, ``housing in {free, rent}``: a segment's name from its condition."""
    if isinstance(cond.value, list):
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in cond.value)
        return f"{cond.column} in {{{shown}}}"
    value = f"{cond.value:g}" if isinstance(cond.value, float) else cond.value
    return f"{cond.column}{cond.op}{value}"


def stratified_folds(
    y: npt.NDArray[np.int8], k: int, seed: int
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(train, held-out) row positions of ``k`` shuffled stratified folds: the very folds of
    scikit-learn's ``StratifiedKFold(k, shuffle=True, random_state=seed)`` (a test checks), without
    importing scikit-learn (most of a second of every ``lucidscore train``).

    >>> [held.tolist() for _, held in stratified_folds(np.array([0, 0, 1, 1], np.int8), 2, seed=0)]
    [[1, 2], [0, 3]]
    """
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    _, order = np.unique(first, return_inverse=True)
    encoded = order[inverse]  # classes numbered by first appearance, as scikit-learn does
    n_classes = first.size
    ordered = np.sort(encoded)
    allocation = np.asarray([np.bincount(ordered[i::k], minlength=n_classes) for i in range(k)])
    rng = np.random.RandomState(seed)
    test_fold = np.empty(y.size, dtype=np.int64)
    for c in range(n_classes):
        folds_of_class = np.arange(k).repeat(allocation[:, c])
        rng.shuffle(folds_of_class)
        test_fold[encoded == c] = folds_of_class
    return [(np.flatnonzero(test_fold != i), np.flatnonzero(test_fold == i)) for i in range(k)]


def sample_rows(y: npt.NDArray[np.int8], limit: int) -> npt.NDArray[np.int64]:
    """At most ``limit`` row positions, the same share of each class, chosen reproducibly."""
    if y.size <= limit:
        return np.arange(y.size)
    rng = np.random.default_rng(0)
    picked = [
        rng.choice(np.flatnonzero(y == k), round(limit * float(np.mean(y == k))), replace=False)
        for k in (0, 1)
    ]
    return np.sort(np.concatenate(picked))


Fold = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
IntArray = npt.NDArray[np.int64]


@dataclass
class SearchSample:
    """The rows the shape and the segment searches read (``sample_rows`` of the training rows, of the
    columns ``kinds``), their model columns, their ``SEARCH_FOLDS`` folds and each numeric column's
    ``value_ranks``: drawn once for both searches, and each of their fold cards bins a subset of these
    rows without sorting its values again."""

    kinds: dict[str, Kind]
    frame: pd.DataFrame
    y: npt.NDArray[np.int8]
    columns: dict[str, Column]
    folds: list[Fold]
    ranks: dict[str, ValueRanks]


def search_sample(frame: pd.DataFrame, y: npt.NDArray[np.int8], kinds: dict[str, Kind]) -> SearchSample:
    """The searches' rows of ``frame`` (targets ``y``), as ``SearchSample``."""
    take = sample_rows(y, SEARCH_ROWS)
    sample = frame.iloc[take].reset_index(drop=True)
    ys = y[take]
    columns = model_columns(sample, kinds)
    ranks: dict[str, ValueRanks] = {}
    for c, kind in kinds.items():
        values = columns[c]
        if kind == "numeric" and isinstance(values, np.ndarray):
            found = value_ranks(values)
            if found is not None:
                ranks[c] = found
    folds = stratified_folds(ys, SEARCH_FOLDS, seed=0)
    return SearchSample(dict(kinds), sample, ys, columns, folds, ranks)


def _big_enough(
    rows: npt.NDArray[np.bool_], y: npt.NDArray[np.int8], p: ScorecardParams, share: float
) -> bool:
    n, bads = int(rows.sum()), int(y[rows].sum())
    return n >= max(p.min_segment_rows, share * rows.size) and min(bads, n - bads) >= p.min_segment_bads


def _splits_of(ch: Characteristic) -> list[Condition]:
    """Where a characteristic's bins could divide the rows: ``column >= edge`` at each interval edge of a
    numeric one; ``column in {...}`` for each leading run of a categorical one's bins (which are in
    bad-rate order)."""
    if ch.dtype == "numeric":
        return [
            Condition(column=ch.name, op=">=", value=b.lower)
            for b in ch.bins
            if b.kind == "interval" and b.lower is not None
        ]
    groups = [b.categories for b in ch.bins if b.kind == "categories"]
    return [
        Condition(column=ch.name, op="in", value=sorted(c for g in groups[:j] for c in g))
        for j in range(1, len(groups))
    ]


def candidate_splits(
    base: Segment, frame: pd.DataFrame, y: npt.NDArray[np.int8], p: ScorecardParams
) -> list[Condition]:
    """Splits of the base card's strongest characteristics where both sides of the sample are large
    enough (then so are both sides of all training rows, which hold the sample)."""
    strongest = sorted(base.characteristics, key=lambda c: -c.iv)[:SEARCH_CHARACTERISTICS]
    out: list[Condition] = []
    for ch in strongest:
        for cond in _splits_of(ch):
            inside = condition_mask(cond, frame)
            if _big_enough(inside, y, p, MIN_SIDE_SHARE) and _big_enough(~inside, y, p, MIN_SIDE_SHARE):
                out.append(cond)
    return out[:MAX_CANDIDATES]


def unrefined(p: ScorecardParams) -> ScorecardParams:
    """``p`` without refinement (``_refine``): the card the candidate splits are read from."""
    return p.model_copy(update={"refine": False}) if p.refine else p


def fold_card(
    name: str,
    cond: Condition | None,
    columns: Columns,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    p: ScorecardParams,
    rows: npt.NDArray[np.int64],
    ranks: dict[str, ValueRanks] | None = None,
) -> Segment:
    """A fold's card as the searches compare it: refined quickly (one boosting run of
    ``_refine.QUICK_ROUNDS`` rounds, nothing held out) when ``p.refine``, so that a split or shape is
    judged as refinement will leave it (``QUICK_ROUNDS`` 0: unrefined, as the searches were before)."""
    rounds = _refine.QUICK_ROUNDS
    if not p.refine or rounds <= 0:
        return fit_card(name, cond, columns, y, kinds, unrefined(p), rows=rows, ranks=ranks)[0]
    return fit_card(name, cond, columns, y, kinds, p, rows=rows, quick_rounds=rounds, ranks=ranks)[0]


Part = tuple[str, Condition | None, npt.NDArray[np.int64]]


def fold_parts(
    s: SearchSample, k: int, split: tuple[Condition, npt.NDArray[np.bool_]] | None
) -> list[Part] | None:
    """The cards fold ``k`` fits: one on its training rows (``split`` None) or one per side of a split (its
    condition and which sample rows meet it), each as (name, condition, sample rows); None when a part
    holds one class only, so no card can be fitted."""
    train, _ = s.folds[k]
    parts: list[Part]
    if split is None:
        parts = [("default", None, train)]
    else:
        cond, inside = split
        parts = [(rule_name(cond), cond, train[inside[train]]), ("default", None, train[~inside[train]])]
    for _, _, rows in parts:
        yy = s.y[rows]
        if yy.size == 0 or yy.min() == yy.max():
            return None
    return parts


def part_card(s: SearchSample, part: Part, p: ScorecardParams) -> Segment | None:
    """The fold card of one part (``fold_parts``); None if it cannot be fitted."""
    name, cond, rows = part
    try:
        return fold_card(name, cond, s.columns, s.y[rows], s.kinds, p, rows, s.ranks)
    except InputError:
        return None


def held_auc(s: SearchSample, k: int, segments: list[Segment | None]) -> float | None:
    """The AUC of fold ``k``'s cards on its held-out rows; None if a card could not be fitted."""
    fitted = [seg for seg in segments if seg is not None]
    if len(fitted) < len(segments):
        return None
    _, held = s.folds[k]
    return discrimination(s.y[held], sample_scores(s, held, fitted)).get("auc")


def sample_scores(s: SearchSample, rows: npt.NDArray[np.int64], segments: list[Segment]) -> IntArray:
    """``reference_scores(segments, s.frame.iloc[rows])``, read from the sample's model columns
    (``s.columns``: numeric ones already numbers) instead of a copy of the rows: the same segments, bins
    and points (a Hypothesis test checks), without pandas copying and re-reading ~6,700 rows x every
    column for each of the searches' ~20 held-out scorings. The sample's columns were read (and junk
    refused) when it was drawn."""
    seg_of = np.full(rows.size, len(segments) - 1, dtype=np.int64)
    undecided = np.ones(rows.size, dtype=np.bool_)
    for i, seg in enumerate(segments):
        if seg.condition is not None:
            hit = condition_mask(seg.condition, s.frame)[rows] & undecided
            seg_of[hit] = i
            undecided &= ~hit
    raw = np.zeros(rows.size, dtype=np.int64)
    for i, seg in enumerate(segments):
        mine = seg_of == i
        if not mine.any():
            continue
        at_rows = rows[mine]
        total = np.full(at_rows.size, seg.base_points, dtype=np.int64)
        at: dict[str, IntArray] = {}
        for ch in seg.characteristics:
            column = s.columns[ch.name]
            if ch.dtype == "numeric" and isinstance(column, np.ndarray):
                at[ch.name] = bin_index_of_numbers(ch, column[at_rows].astype(np.float64, copy=False))
            else:
                at[ch.name] = bin_index(ch, s.frame[ch.name].iloc[at_rows])
            total += np.array([b.points for b in ch.bins], dtype=np.int64)[at[ch.name]]
        for inter in seg.interactions:
            total += np.array(inter.points_by_bin(), dtype=np.int64)[at[inter.first], at[inter.second]]
        raw[mine] = total
    return np.clip(raw, MIN_SCORE, MAX_SCORE)


def fold_auc(
    s: SearchSample,
    k: int,
    p: ScorecardParams,
    split: tuple[Condition, npt.NDArray[np.bool_]] | None,
) -> float | None:
    """Held-out AUC on fold ``k`` of one card (``split`` None) or of a card per side of a split (its
    condition and which sample rows meet it), fitted on the fold's training rows; None if a card cannot
    be fitted."""
    parts = fold_parts(s, k, split)
    if parts is None:
        return None
    segments: list[Segment | None] = []
    for part in parts:
        seg = part_card(s, part, p)
        if seg is None:
            return None
        segments.append(seg)
    return held_auc(s, k, segments)


def search_segment(
    frame: pd.DataFrame,
    y: npt.NDArray[np.int8],
    kinds: dict[str, Kind],
    p: ScorecardParams,
    progress: Progress | None = None,
    baseline: dict[int, float | None] | None = None,
    drawn: SearchSample | None = None,
) -> SearchResult:
    """Cross-validate one card against a card per side of each candidate split (module docstring);
    ``baseline`` holds one-card fold AUCs already known (the shape search's); ``drawn``, the shape
    search's ``SearchSample`` of the same rows and columns, if there is one."""
    s = drawn if drawn is not None and drawn.kinds == kinds else search_sample(frame, y, kinds)
    sample, ys, columns = s.frame, s.y, s.columns
    result = SearchResult(chosen=None, rows=len(sample))
    if progress is not None:
        progress("segment search: one card on the sample")
    try:
        base, _, _ = fit_card("default", None, columns, ys, kinds, unrefined(p), ranks=s.ranks)
    except InputError:
        return result  # the real fit, on all rows, reports why no card can be fitted
    candidates = candidate_splits(base, sample, ys, p)
    result.tried = [rule_name(c) for c in candidates]
    if not candidates:
        return result
    if progress is not None:
        progress(f"segment search: {len(candidates)} candidate splits x {SEARCH_FOLDS} folds")
    known = dict(baseline or {})
    found = _candidate_gains(s, p, candidates, known)
    best_gain = MIN_GAIN
    for cond, gains in zip(candidates, found.gains, strict=True):
        result.gains[rule_name(cond)] = gains
        if len(gains) == SEARCH_FOLDS and float(np.mean(gains)) >= best_gain:
            best_gain = float(np.mean(gains))
            result.chosen = cond
    result.baseline = [float(v) for v in found.baseline if v is not None]
    return result


@dataclass
class _Found:
    """Each candidate's AUC gain per fold reached, and the one-card AUC of every fold."""

    gains: list[list[float]]
    baseline: list[float | None]


def _candidate_gains(
    s: SearchSample, p: ScorecardParams, candidates: list[Condition], known: dict[int, float | None]
) -> _Found:
    """Each candidate's gain on each fold it reaches (it stops at its first fold where its two cards do
    not rank the held-out rows better than one card), as ``search_segment`` reads them.

    Every card of the search is one task on all cores: the one-card fits not known yet first, then each
    candidate's two side cards of its first fold; when both sides of a fold are in, the fold is judged
    and, if the candidate goes on, its next fold's cards are queued. Cards, not candidates, are the unit
    (the kernels release the GIL), so two cores stay busy to the end whatever the number of candidates:
    with three candidates on two cores the third ran alone, one core idle for a quarter of the search.
    The cards fitted and the gains are those of judging each candidate fold by fold."""
    folds = range(SEARCH_FOLDS)
    splits = [(cond, condition_mask(cond, s.frame)) for cond in candidates]
    gains: list[list[float]] = [[] for _ in candidates]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        one_card: dict[int, Future[float | None]] = {}
        for k in folds:
            if k in known:
                one_card[k] = Future()
                one_card[k].set_result(known[k])
            else:
                one_card[k] = pool.submit(fold_auc, s, k, p, None)
        pending: dict[tuple[int, int], list[Future[Segment | None]]] = {}

        def start(i: int, k: int) -> None:
            parts = fold_parts(s, k, splits[i])
            if parts is not None:  # a side with one class only: the candidate stops here
                pending[(i, k)] = [pool.submit(part_card, s, part, p) for part in parts]

        for i in range(len(candidates)):
            start(i, 0)
        while pending:
            wait([f for fs in pending.values() for f in fs if not f.done()], return_when=FIRST_COMPLETED)
            for (i, k), fs in sorted(pending.items()):
                if not all(f.done() for f in fs):
                    continue
                del pending[(i, k)]
                one, two = one_card[k].result(), held_auc(s, k, [f.result() for f in fs])
                if one is None or two is None or two <= one:
                    continue
                gains[i].append(two - one)
                if k + 1 < SEARCH_FOLDS:
                    start(i, k + 1)
        baseline = [one_card[k].result() for k in folds]
    return _Found(gains, baseline)
