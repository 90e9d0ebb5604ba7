"""Less-discriminatory-alternative search: the maths.

Every candidate configuration (``_lda_space``) is fitted by ``lucidscore.model.Scorecard`` in
stratified K-fold cross-validation inside the given rows, so each row gets an out-of-fold score from a
card that never saw it. On those scores, pooled over the folds:

- AUC, with a percentile-bootstrap interval (``bootstrap_intervals``);
- the same approval rate as the base model (``approve_at_rate``): the base model approves a share of
  the rows at ``--cutoff``; every candidate approves exactly as many rows, its best-scored ones, so it
  serves the same volume of business. Integer scores tie: the rows tied at the candidate's cutoff score
  are approved in part, by a seeded lottery (the card cannot tell them apart). A candidate whose nearest
  integer cutoff (``cutoff_at_rate``) misses the share by more than ``RATE_TOLERANCE`` would leave too
  much to the lottery (a heavily regularised card bunches its scores, and a lottery approves groups
  alike): it is shown, but neither on the frontier nor chosen;
- with those approvals, per audit attribute and group, the approval rate, adverse impact ratio and
  true-positive rate (``fairness_table``); the worst group's adverse impact ratio over all attributes, and
  the largest TPR gap.

The Pareto frontier keeps the candidates holding the rate that no other beats on both AUC and worst
adverse impact ratio. The alternative is the candidate holding the rate with the highest worst ratio,
above the base configuration's, whose AUC is within ``max_auc_loss`` of the base configuration's (ties:
higher AUC, then fewer changes).

The search is staged: (1) the base configuration and every move alone; (2) pairs of the moves that
raised the worst ratio; (3) twice, the best alternative so far plus each of those moves. It stops at
``max_candidates``. Nothing is random but the folds, the bootstrap and the tie lottery, all seeded.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore import model  # its names load on use: Scorecard imports scikit-learn (evaluate, monitor)
from lucidscore.artifact import ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.evaluate._assign import reference_scores
from lucidscore.evaluate._fairness import MISSING, fairness_table
from lucidscore.evaluate._lda_space import (
    Candidate,
    Move,
    Space,
    base_configuration,
    combine,
    first_moves,
    params_record,
    proxy_ranking,
)
from lucidscore.evaluate._metrics import auc, bootstrap_intervals
from lucidscore.evaluate._scoring import check_inputs
from lucidscore.policy import check_model_inputs

IntArray = npt.NDArray[np.int64]
Progress = Callable[[int, int, str], None]  # (done, total so far, what is happening)

PROMISING = 6  # moves that raised the worst ratio, combined in stages 2 and 3
RATE_TOLERANCE = 0.005  # a candidate holds the approval rate when within half a percentage point
GREEDY_ROUNDS = 2


def cutoff_at_rate(scores: npt.ArrayLike, rate: float) -> int:
    """The score whose approval rate (share of scores at or above it) is closest to ``rate``; of two
    equally close, the higher. Only the distinct scores (and one above the top) are candidates: a cutoff
    between two scores approves the same rows as the higher score.

    >>> cutoff_at_rate([500, 600, 600, 700], 0.5)
    700
    >>> cutoff_at_rate([500, 600, 600, 700], 0.75)
    600
    """
    s = np.sort(np.asarray(scores, dtype=np.int64))
    if s.size == 0:
        raise ValueError("no scores to set a cutoff on")
    # A cutoff between two distinct scores approves the same rows as the higher one, so the distinct
    # scores and one above the top are every cutoff that matters.
    options = np.concatenate([np.unique(s), [s[-1] + 1]])
    share = 1.0 - np.searchsorted(s, options, side="left") / s.size
    gap = np.abs(share - rate)
    best = np.flatnonzero(gap <= gap.min() + 1e-12)
    return int(options[best[-1]])


def approve_at_rate(scores: npt.ArrayLike, rate: float, seed: int = 0) -> tuple[npt.NDArray[np.bool_], int]:
    """Approve the best-scored ``round(rate * n)`` rows, those tied at the lowest approved score by a
    seeded lottery; returns the approvals and that score (the cutoff).

    >>> approved, cutoff = approve_at_rate([500, 600, 600, 700], 0.5)
    >>> int(approved.sum()), cutoff, bool(approved[3]), int(approved[1] + approved[2])
    (2, 600, True, 1)
    """
    s = np.asarray(scores, dtype=np.int64)
    k = round(rate * s.size)
    lottery = np.random.default_rng(seed).permutation(s.size)
    order = np.lexsort((lottery, -s))  # best score first; ties in lottery order
    approved = np.zeros(s.size, dtype=np.bool_)
    approved[order[:k]] = True
    cutoff = int(s[order[k - 1]]) if k > 0 else int(s.max()) + 1
    return approved, cutoff


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """``a`` is at least as good as ``b`` on both (AUC, worst adverse impact ratio) and better on one."""
    return a[0] >= b[0] and a[1] >= b[1] and (a[0] > b[0] or a[1] > b[1])


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Positions of the points no other point dominates, by decreasing AUC.

    >>> pareto_frontier([(0.77, 0.80), (0.76, 0.85), (0.75, 0.82), (0.77, 0.79)])
    [0, 1]
    """
    keep = [i for i, p in enumerate(points) if not any(dominates(q, p) for q in points)]
    return sorted(keep, key=lambda i: (-points[i][0], -points[i][1], i))


@dataclass
class Result:
    """One candidate's fit and figures (``figures`` empty when it could not be fitted)."""

    candidate: Candidate
    params: dict[str, Any]
    error: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    characteristics: list[str] = field(default_factory=list)  # used by any fold's card
    scores: IntArray | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def comparable(self) -> bool:
        """Fitted, and its cutoff approves the base model's share of rows (within the tolerance)."""
        return self.ok and bool(self.figures["rate_held"])

    @property
    def point(self) -> tuple[float, float]:
        return (float(self.figures["auc"]), float(self.figures["worst_air"]))


def choose_alternative(results: Sequence[Result], base: Result, max_auc_loss: float) -> Result | None:
    """The candidate holding the approval rate with the highest worst adverse impact ratio above the
    base's, within ``max_auc_loss`` of the base's AUC; ties by higher AUC, then fewer moves. None when
    there is none."""
    floor = float(base.figures["auc"]) - max_auc_loss
    eligible = [
        r
        for r in results
        if r.comparable
        and r is not base
        and r.figures["auc"] >= floor - 1e-12
        and r.figures["worst_air"] > base.figures["worst_air"] + 1e-12
    ]
    if not eligible:
        return None
    return max(eligible, key=lambda r: (r.figures["worst_air"], r.figures["auc"], -len(r.candidate.moves)))


def _slim(table: dict[str, Any]) -> dict[str, Any]:
    keys = ("group", "rows", "approval_rate", "adverse_impact_ratio", "tpr", "small", "four_fifths_flag")
    return {
        "reference_group": table["reference_group"],
        "min_adverse_impact_ratio": table["min_adverse_impact_ratio"],
        "tpr_gap": table["tpr_gap"],
        "four_fifths_flagged": table["four_fifths_flagged"],
        "groups": [{k: g[k] for k in keys} for g in table["groups"]],
    }


def figures(
    scores: IntArray,
    y: npt.NDArray[np.int64],
    audit: Mapping[str, pd.Series],
    rate: float,
    *,
    folds: Sequence[IntArray] = (),
    n_resamples: int = 200,
    seed: int = 0,
    cutoff: int | None = None,
    tolerance: float = RATE_TOLERANCE,
) -> dict[str, Any]:
    """AUC with its interval; the approvals at ``rate`` (``approve_at_rate``; or at the ``cutoff`` given),
    whether the nearest integer cutoff holds the rate within ``tolerance``; per audit attribute the groups'
    approval, adverse impact ratio and TPR; the worst ratio (groups of 30 rows or more), the largest TPR
    gap. The ``missing`` group (rows without an audit value) is shown but not counted in the worst ratio."""
    risk = -scores.astype(np.float64)
    lo, hi = bootstrap_intervals(y, risk, n_resamples=n_resamples, seed=seed)["auc"]
    if cutoff is None:
        approved, cutoff = approve_at_rate(scores, rate, seed)
        nearest = float(np.mean(scores >= cutoff_at_rate(scores, rate)))
    else:
        approved = scores >= cutoff
        nearest = float(np.mean(approved))
    at_cutoff = scores == cutoff
    # fairness_table approves a row when its "score" reaches the cutoff: the approvals as 1/0, cutoff 1.
    decision = approved.astype(np.int64)
    fairness = {attr: _slim(fairness_table(groups, decision, y, 1)) for attr, groups in audit.items()}
    worst: tuple[float, str | None, str | None] = (1.0, None, None)
    for attr, table in fairness.items():
        for g in table["groups"]:
            air = g["adverse_impact_ratio"]
            if g["small"] or g["group"] == MISSING:  # rows without a value are shown, not optimised for
                continue
            value = 0.0 if air is None else float(air)
            if value < worst[0] or worst[1] is None:
                worst = (value, attr, g["group"])
    gaps = [t["tpr_gap"] for t in fairness.values() if t["tpr_gap"] is not None]
    return {
        "auc": auc(y, risk),
        "auc_ci": [lo, hi],
        "fold_auc": [auc(y[f], risk[f]) for f in folds],
        "cutoff": cutoff,
        "approval_rate": float(np.mean(approved)),
        "tied_at_cutoff": float(np.mean(at_cutoff)),  # share of rows scoring exactly the cutoff
        "tied_approved": float(approved[at_cutoff].mean()) if at_cutoff.any() else None,
        "nearest_cutoff_rate": nearest,
        "rate_held": bool(abs(nearest - rate) <= tolerance + 1e-12),
        "worst_air": worst[0] if worst[1] is not None else 1.0,
        "worst_attribute": worst[1],
        "worst_group": worst[2],
        "tpr_gap": max(gaps) if gaps else None,
        "fairness": fairness,
    }


class _Fitter:
    """The rows, target and folds every candidate is fitted on (one per worker process)."""

    def __init__(self, x: pd.DataFrame, y_raw: pd.Series, folds: list[tuple[IntArray, IntArray]]) -> None:
        self.x, self.y_raw, self.folds = x, y_raw, folds

    def oof_scores(self, params: dict[str, Any]) -> tuple[IntArray, list[str]] | str:
        """Out-of-fold scores and the characteristics used, or why the candidate cannot be fitted."""
        scores = np.zeros(len(self.x), dtype=np.int64)
        used: list[str] = []
        for train, held in self.folds:
            try:
                art = model.fit_artifact(self.x.iloc[train], self.y_raw.iloc[train], **params)
            except InputError as exc:
                return exc.message
            scores[held] = reference_scores(art, self.x.iloc[held])
            used += [ch.name for s in art.segments for ch in s.characteristics if ch.name not in used]
        return scores, used


_WORKER: _Fitter | None = None  # set once in each worker process by _start_worker


def _start_worker(x: pd.DataFrame, y_raw: pd.Series, folds: list[tuple[IntArray, IntArray]]) -> None:
    global _WORKER
    _WORKER = _Fitter(x, y_raw, folds)


def _fit_in_worker(params: dict[str, Any]) -> tuple[IntArray, list[str]] | str:
    assert _WORKER is not None, "worker started without data"
    return _WORKER.oof_scores(params)


@dataclass
class Outcome:
    """Everything the search found, for the tables and the page."""

    space: Space
    results: list[Result]
    base: Result
    frontier: list[Result]
    alternative: Result | None
    approval_rate: float  # the base model's, at the cutoff, on the given rows
    cutoff: int
    given: dict[str, Any]  # the base model as given, scored on all the rows at the cutoff (no refit)
    folds: int
    rows: int
    max_auc_loss: float
    max_candidates: int
    stopped_early: bool
    seconds: float


class _Runner:
    """Fits batches of candidates (in worker processes when ``jobs`` > 1) and keeps their results."""

    def __init__(
        self,
        fitter: _Fitter,
        jobs: int,
        figures_of: Callable[[IntArray], dict[str, Any]],
        progress: Progress | None,
    ) -> None:
        self.fitter, self.jobs, self.figures_of, self.progress = fitter, jobs, figures_of, progress
        self.results: list[Result] = []
        self.seen: set[str] = set()
        self.planned = 0
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        if self.jobs > 1:
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded process
                initializer=_start_worker,
                initargs=(self.fitter.x, self.fitter.y_raw, self.fitter.folds),
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def key(self, params: Mapping[str, Any]) -> str:
        return json.dumps(params_record(params), sort_keys=True)

    def run(self, batch: list[tuple[Candidate, dict[str, Any]]], stage: str) -> list[Result]:
        fresh = []
        for cand, params in batch:
            k = self.key(params)
            if k not in self.seen:
                self.seen.add(k)
                fresh.append((cand, params))
        self.planned += len(fresh)
        done: list[Result] = []

        def finish(cand: Candidate, params: dict[str, Any], out: tuple[IntArray, list[str]] | str) -> None:
            result = Result(cand, params_record(params))
            if isinstance(out, str):
                result.error = out
            else:
                result.scores, result.characteristics = out
                result.figures = self.figures_of(out[0])
            done.append(result)
            if self.progress is not None:
                self.progress(len(self.results) + len(done), self.planned, f"{stage}: {cand.label}")

        if self.pool is None:
            for cand, params in fresh:
                finish(cand, params, self.fitter.oof_scores(params))
        else:
            futures: dict[Future[tuple[IntArray, list[str]] | str], tuple[Candidate, dict[str, Any]]] = {
                self.pool.submit(_fit_in_worker, params): (cand, params) for cand, params in fresh
            }
            for fut in as_completed(futures):
                cand, params = futures[fut]
                finish(cand, params, fut.result())
        done.sort(key=lambda r: int(r.candidate.id[1:]))  # the order they were planned in
        self.results += done
        return done


def search(
    artifact: ScorecardArtifact,
    frame: pd.DataFrame,
    y: npt.NDArray[np.int64],
    target: str,
    audit: Mapping[str, pd.Series],
    *,
    cutoff: int,
    max_auc_loss: float = 0.002,
    exclude: Sequence[str] = (),
    folds: int = 5,
    n_resamples: int = 200,
    seed: int = 0,
    jobs: int = 1,
    max_candidates: int = 60,
    progress: Progress | None = None,
    data_name: str = "data",
) -> Outcome:
    """Search the cards lucidscore can fit for a less discriminatory alternative (module docstring).

    ``frame`` holds the target and the inputs (audit columns in it are kept out of every card); ``y`` is
    the target as 0/1; ``audit`` the audit group labels aligned to ``frame``'s rows (``align_audit``).
    """
    started = time.perf_counter()
    if not audit:
        raise InputError.about(
            "audit", "no audit columns: name the protected attributes to compare, e.g. SEX and AGE"
        )
    if max_auc_loss < 0:
        raise InputError.about(
            "max_auc_loss", f"{max_auc_loss} is below 0; expected 0 or more (an AUC difference, e.g. 0.002)"
        )
    if folds < 2:
        raise InputError.about("folds", f"{folds} is under 2; expected 2 or more")
    unknown = [c for c in exclude if c not in frame.columns]
    if unknown:
        raise InputError.about("exclude", f"column(s) {', '.join(unknown)} not in the data")
    check_inputs(artifact, frame, data_name)
    x = frame.drop(columns=[target, *exclude]).reset_index(drop=True)
    y_raw = frame[target].reset_index(drop=True)
    base_scores = reference_scores(artifact, frame.reset_index(drop=True))
    rate = float(np.mean(base_scores >= cutoff))
    if not 0 < rate < 1:
        who = "no row" if rate == 0 else "every row"
        raise InputError(
            f"at cutoff {cutoff} the base model approves {who} of the data; an alternative is judged at the "
            "same approval rate, so choose a cutoff that approves some rows and declines others"
        )
    base_params, segmentation = base_configuration(artifact, list(x.columns), audit)
    # The guard, before any fit: the same refusal `train` gives, naming every refused column.
    check_model_inputs(
        [c for c in x.columns if c not in base_params["exclude"]], base_params["audit_columns"], None
    )
    kept_groups = {k: v.reset_index(drop=True) for k, v in audit.items()}
    proxies = proxy_ranking(artifact, frame.reset_index(drop=True), kept_groups)
    proxies = [p for p in proxies if p["characteristic"] in x.columns]
    moves = first_moves(base_params, proxies, segmented=segmentation != "one card")
    space = Space(base=base_params, moves=moves, proxies=proxies, segmentation=segmentation)
    smallest = int(min(np.bincount(y, minlength=2)))
    if smallest < folds:
        raise InputError.about(
            "folds", f"{folds} folds, but the data has only {smallest} rows of one class; use fewer folds"
        )
    from sklearn.model_selection import StratifiedKFold  # here: the evaluate package's import stays light

    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    fold_rows = [
        (np.asarray(a, np.int64), np.asarray(b, np.int64)) for a, b in splitter.split(np.zeros(y.size), y)
    ]
    held = [b for _, b in fold_rows]
    given = figures(base_scores, y, kept_groups, rate, n_resamples=n_resamples, seed=seed, cutoff=cutoff)

    def figures_of(scores: IntArray) -> dict[str, Any]:
        return figures(scores, y, kept_groups, rate, folds=held, n_resamples=n_resamples, seed=seed)

    counter = itertools.count()

    def candidate(stage: int, moves: tuple[Move, ...]) -> tuple[Candidate, dict[str, Any]] | None:
        params, notes = combine(base_params, moves)
        if params is None:
            return None
        return Candidate(id=f"c{next(counter):03d}", stage=stage, moves=moves, notes=notes), params

    stopped = False
    with _Runner(_Fitter(x, y_raw, fold_rows), jobs, figures_of, progress) as runner:
        first = [c for c in [candidate(0, ()), *(candidate(1, (m,)) for m in moves)] if c is not None]
        runner.run(first[:max_candidates], "stage 1: one change at a time")
        stopped = len(first) > max_candidates
        base = runner.results[0]
        if not base.ok:
            raise InputError(f"the base configuration cannot be refitted on these rows: {base.error}")
        promising = _promising(runner.results, base)
        pairs = [
            c for a, b in itertools.combinations(promising, 2) if (c := candidate(2, (a, b))) is not None
        ]
        room = max_candidates - len(runner.results)
        stopped = stopped or len(pairs) > room
        runner.run(pairs[: max(room, 0)], "stage 2: pairs of helpful changes")
        for _ in range(GREEDY_ROUNDS):
            best = choose_alternative(runner.results, base, max_auc_loss)
            room = max_candidates - len(runner.results)
            if best is None or room <= 0:
                stopped = stopped or (best is not None and room <= 0)
                break
            extra = [
                c
                for m in promising
                if m not in best.candidate.moves
                and (c := candidate(3, (*best.candidate.moves, m))) is not None
            ]
            if not extra:
                break
            stopped = stopped or len(extra) > room
            runner.run(extra[:room], "stage 3: the best alternative plus one change")
        results = runner.results
    ok = [r for r in results if r.comparable or r is base]
    frontier_at = pareto_frontier([r.point for r in ok])
    return Outcome(
        space=space,
        results=results,
        base=base,
        frontier=[ok[i] for i in frontier_at],
        alternative=choose_alternative(results, base, max_auc_loss),
        approval_rate=rate,
        cutoff=cutoff,
        given=given,
        folds=folds,
        rows=len(frame),
        max_auc_loss=max_auc_loss,
        max_candidates=max_candidates,
        stopped_early=stopped,
        seconds=time.perf_counter() - started,
    )


def _promising(results: Sequence[Result], base: Result) -> list[Move]:
    """Single moves that raised the worst adverse impact ratio, best first (at most ``PROMISING``)."""
    singles = [
        r
        for r in results
        if r.comparable
        and len(r.candidate.moves) == 1
        and r.figures["worst_air"] > base.figures["worst_air"] + 1e-12
    ]
    singles.sort(key=lambda r: (-r.figures["worst_air"], -r.figures["auc"], r.candidate.id))
    return [r.candidate.moves[0] for r in singles[:PROMISING]]


def refit(
    params: Mapping[str, Any], frame: pd.DataFrame, target: str, exclude: Sequence[str] = ()
) -> ScorecardArtifact:
    """A candidate's card fitted on all the given rows: the model file of the alternative."""
    x = frame.drop(columns=list(exclude)).reset_index(drop=True)
    return model.train_scorecard(x, target, **dict(params))
