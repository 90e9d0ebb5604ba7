"""The less-discriminatory-alternative report as one plain dict (-> lda.json); the page is rendered from
it alone, so the two cannot disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore import __version__
from lucidscore.artifact import ScorecardArtifact
from lucidscore.evaluate._assign import reference_scores
from lucidscore.evaluate._lda_search import RATE_TOLERANCE, Outcome, Result, cutoff_at_rate
from lucidscore.evaluate._lda_space import describe
from lucidscore.evaluate._report_data import clean

LDA_KIND = "lucidscore.lda"
LDA_VERSION = 1

METHOD = (
    "Each candidate is a card lucidscore can fit: the base model's recorded configuration with one or more "
    "changes. It is fitted by lucidscore.model.Scorecard in stratified {folds}-fold cross-validation inside "
    "the {rows:,} given rows, so every row is scored by a card that never saw it. On these out-of-fold "
    "scores: the AUC with a {level:.0%} bootstrap interval ({resamples} resamples); approvals of exactly "
    "the share of rows the base model approves at {cutoff} ({rate:.2%}), the candidate's best-scored rows, "
    "with the rows tied at its lowest approved score (its cutoff) approved in part by a seeded lottery, "
    "since the card cannot tell them apart; a candidate whose nearest whole-score cutoff misses that share "
    "by more than {tolerance:.1%} would leave too much to the lottery and is not compared. With those "
    "approvals, for every audit group: the approval rate, the adverse impact ratio (the group's approval "
    "rate over the most-approved group's) and the true-positive rate (approval among good outcomes). The "
    "worst ratio is the lowest over every attribute's groups of at least 30 rows (rows without an audit "
    "value are shown, not counted). The base configuration is fitted and judged the same way, so every "
    "comparison is like for like."
)
LIMITS = (
    "The search covers only the space listed: another card outside it may do better.",
    "Figures are cross-validated on the given rows; choosing the best of many candidates on the same rows "
    "flatters the winner a little. Evaluate the alternative's model file on held-out rows "
    "(lucidscore evaluate) before using it.",
    "Differences of a few thousandths in AUC or a hundredth in an adverse impact ratio are within the "
    "noise of one sample: read them with the AUC intervals and group sizes shown.",
    "Adverse impact ratios describe outcomes at one approval rate; they do not establish the absence of "
    "disparate treatment.",
)


def _candidate(r: Result, frontier_ids: set[str], budget_floor: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.candidate.id,
        "stage": r.candidate.stage,
        "label": r.candidate.label,
        "changes": [m.label for m in r.candidate.moves],
        "notes": list(r.candidate.notes),
        "params": r.params,
        "status": "ok" if r.ok else "failed",
        "error": r.error,
        "characteristics": r.characteristics,
        "pareto": r.candidate.id in frontier_ids,
        "within_budget": r.ok and r.figures["auc"] >= budget_floor - 1e-12,
        "comparable": r.comparable,
    }
    out.update(r.figures)
    return out


def _alternative_model(
    art: ScorecardArtifact, frame: pd.DataFrame, rate: float, path: str | None
) -> dict[str, Any]:
    """The refitted alternative on all rows: where it was written and the cutoff holding the rate."""
    scores = reference_scores(art, frame.reset_index(drop=True))
    cutoff = cutoff_at_rate(scores, rate)
    return {
        "path": path,
        "model_id": art.model_id,
        "content_hash": art.content_hash or art.compute_hash(),
        "input_columns": list(art.input_columns),
        "segments": [s.name for s in art.segments],
        "cutoff": cutoff,
        "approval_rate": float(np.mean(scores >= cutoff)),
    }


def statement(outcome: Outcome) -> str:
    """One plain sentence: the alternative and what it changes, or that none was found in the space."""
    base, alt = outcome.base.figures, outcome.alternative
    tried = sum(1 for r in outcome.results if r.ok)
    if alt is None:
        return (
            f"No less discriminatory alternative was found in the searched space ({tried} cards fitted, "
            f"listed below): none raised the worst adverse impact ratio above the base configuration's "
            f"{base['worst_air']:.3f} with an AUC within {outcome.max_auc_loss:g} of its {base['auc']:.4f}, "
            "at the same approval rate."
        )
    f = alt.figures
    return (
        f"Less discriminatory alternative {alt.candidate.id} ({alt.candidate.label}): worst adverse impact "
        f"ratio {f['worst_air']:.3f} against the base configuration's {base['worst_air']:.3f} "
        f"({f['worst_attribute']} {f['worst_group']}), AUC {f['auc']:.4f} against {base['auc']:.4f} "
        f"(loss {base['auc'] - f['auc']:.4f}, budget {outcome.max_auc_loss:g}), at the same approval rate "
        f"of {outcome.approval_rate:.2%}."
    )


def lda_report(
    outcome: Outcome,
    artifact: ScorecardArtifact,
    *,
    data_name: str,
    target: str,
    y: npt.NDArray[np.int64],
    audit_join: str,
    n_resamples: int,
    seed: int,
    alternative: ScorecardArtifact | None = None,
    alternative_path: str | None = None,
    frame: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Every figure of the LDA report, JSON-safe: settings, the base model as given and as refitted in
    cross-validation, the searched space, every candidate, the frontier and the choice."""
    frontier_ids = {r.candidate.id for r in outcome.frontier}
    floor = float(outcome.base.figures["auc"]) - outcome.max_auc_loss
    alt = outcome.alternative
    choice: dict[str, Any] = {
        "found": alt is not None,
        "candidate": None if alt is None else alt.candidate.id,
        "statement": statement(outcome),
        "model": None,
    }
    if alt is not None:
        choice["auc_loss"] = outcome.base.figures["auc"] - alt.figures["auc"]
        choice["air_gain"] = alt.figures["worst_air"] - outcome.base.figures["worst_air"]
        if alternative is not None and frame is not None:
            choice["model"] = _alternative_model(alternative, frame, outcome.approval_rate, alternative_path)
    report = {
        "kind": LDA_KIND,
        "version": LDA_VERSION,
        "lucidscore_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": {
            "model_id": artifact.model_id,
            "content_hash": artifact.content_hash or artifact.compute_hash(),
            "input_columns": list(artifact.input_columns),
            "segments": [s.name for s in artifact.segments],
        },
        "data": {
            "name": data_name,
            "rows": outcome.rows,
            "target": target,
            "bad_rate": float(np.mean(y)),
            "audit_columns": list(outcome.base.figures["fairness"]),
            "audit_join": audit_join,
        },
        "settings": {
            "cutoff": outcome.cutoff,
            "approval_rate": outcome.approval_rate,
            "max_auc_loss": outcome.max_auc_loss,
            "folds": outcome.folds,
            "resamples": n_resamples,
            "seed": seed,
            "max_candidates": outcome.max_candidates,
            "rate_tolerance": RATE_TOLERANCE,
        },
        "method": METHOD.format(
            folds=outcome.folds,
            rows=outcome.rows,
            level=0.95,
            resamples=n_resamples,
            cutoff=outcome.cutoff,
            rate=outcome.approval_rate,
            tolerance=RATE_TOLERANCE,
        ),
        "given": outcome.given,
        "space": {
            "dimensions": describe(outcome.space),
            "segmentation": outcome.space.segmentation,
            "proxies": outcome.space.proxies,
            "candidates": len(outcome.results),
            "fitted": sum(1 for r in outcome.results if r.ok),
            "failed": sum(1 for r in outcome.results if not r.ok),
            "stopped_at_max_candidates": outcome.stopped_early,
        },
        "base": _candidate(outcome.base, frontier_ids, floor),
        "candidates": [_candidate(r, frontier_ids, floor) for r in outcome.results],
        "frontier": [r.candidate.id for r in outcome.frontier],
        "auc_floor": floor,
        "choice": choice,
        "limits": list(LIMITS),
        "seconds": outcome.seconds,
    }
    return dict(clean(report))


def provenance(outcome: Outcome, artifact: ScorecardArtifact, data_name: str) -> dict[str, Any]:
    """What the alternative's model file records about the search that chose it (``training.lda``)."""
    alt = outcome.alternative
    assert alt is not None
    return dict(
        clean(
            {
                "base_model_id": artifact.model_id,
                "base_content_hash": artifact.content_hash or artifact.compute_hash(),
                "candidate": alt.candidate.id,
                "changes": [m.label for m in alt.candidate.moves],
                "data": data_name,
                "rows": outcome.rows,
                "folds": outcome.folds,
                "cv_auc": alt.figures["auc"],
                "cv_worst_air": alt.figures["worst_air"],
                "base_cv_auc": outcome.base.figures["auc"],
                "base_cv_worst_air": outcome.base.figures["worst_air"],
                "approval_rate": outcome.approval_rate,
                "base_cutoff": outcome.cutoff,
            }
        )
    )
