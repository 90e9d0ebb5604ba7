"""Scores as a table: score, tier, probability of bad, segment, reasons and recourse, one row per input row.

>>> from lucidscore.score import score_frame  # doctest: +SKIP
>>> score_frame(artifact, frame, reasons=4, recourse=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lucidscore.artifact import MAX_SCORE, MIN_SCORE, ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.score._columns import batch_recourse, reason_columns, recourse_columns
from lucidscore.score._compiled import CompiledScorecard, PreparedBatch

DEFAULT_MAX_CHANGES = 2


def score_frame(
    artifact: ScorecardArtifact,
    frame: pd.DataFrame,
    reasons: int = 0,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> pd.DataFrame:
    """Score every row of ``frame`` with ``artifact``.

    Parameters
    ----------
    artifact : the model.
    frame : one row per applicant; extra columns are ignored, missing ones raise ``InputError``.
    reasons : how many principal reasons to give. Each reason j has four columns: ``reason_j`` (the
        consumer statement, with the person's own value), ``reason_j_code`` (the characteristic's stable
        code), ``reason_j_characteristic`` (its column) and ``reason_j_points`` (points lost, >= 1; empty
        where no reason applies). With reasons > 0 and a model that has a recent-inquiries characteristic,
        reason k+1 holds that reason when it lost points but is not among the first k. The pair of an
        interaction grid is one reason: code ``"<first code>+<second code>"``, characteristic
        ``"<first>+<second>"``, one statement naming both (docs/scoring.md, "Interactions").
    recourse : add ``recourse_target_tier``, ``recourse_score``, ``recourse_note`` and, per change k up to
        ``max_changes``, ``recourse_k_characteristic``, ``recourse_k_from`` and ``recourse_k_to``.
    max_changes : most characteristics a recourse plan may change.

    Returns
    -------
    DataFrame with ``score`` (int16), ``tier``, ``probability`` (of bad), ``segment``, the reasons and the
    recourse, on ``frame``'s index.
    """
    compiled = CompiledScorecard.from_artifact(artifact)
    return compiled_score_frame(
        compiled,
        compiled.prepare(frame),
        reasons,
        index=frame.index,
        recourse=recourse,
        max_changes=max_changes,
    )


def reason_width(compiled: CompiledScorecard, reasons: int) -> int:
    """Reason slots a table has: ``reasons``, plus one for recent inquiries when the model has them."""
    return reasons + 1 if reasons and compiled.has_inquiry_characteristic else reasons


def extra_columns(
    compiled: CompiledScorecard, reasons: int, recourse: bool = False, max_changes: int = DEFAULT_MAX_CHANGES
) -> list[tuple[str, str]]:
    """The reason and recourse columns of a scores table, in order, with their kind: ``text`` (a
    dictionary-encoded string), ``points`` (a small integer, may be empty) or ``tier``."""
    out: list[tuple[str, str]] = []
    for j in range(1, reason_width(compiled, reasons) + 1):
        out += [(f"reason_{j}", "text"), (f"reason_{j}_code", "text")]
        out += [(f"reason_{j}_characteristic", "text"), (f"reason_{j}_points", "points")]
    if recourse:
        out += [("recourse_target_tier", "tier"), ("recourse_score", "points"), ("recourse_note", "text")]
        for k in range(1, max_changes + 1):
            out += [(f"recourse_{k}_{field}", "text") for field in ("characteristic", "from", "to")]
    return out


def compiled_score_frame(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    reasons: int = 0,
    index: pd.Index | None = None,
    categorical_reasons: bool = False,
    recourse: bool = False,
    max_changes: int = DEFAULT_MAX_CHANGES,
) -> pd.DataFrame:
    """``score_frame`` on an already compiled model and prepared batch (used by the batch engines).

    With ``categorical_reasons`` the text columns are categoricals (missing = NaN) instead of objects
    (missing = None): much faster to build and to write to Parquet.
    """
    if reasons < 0:
        raise InputError(f"reasons is {reasons}; expected 0 or more")
    if recourse and max_changes < 1:
        raise InputError(f"max_changes is {max_changes}; expected 1 or more")
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
    columns: dict[str, pd.Series] = {}
    if codes is not None:
        width = reason_width(compiled, reasons)
        columns |= reason_columns(compiled, batch, codes, width, categorical_reasons, out.index)
    if recourse:
        plans = batch_recourse(compiled, batch, scores, max_changes)
        columns |= recourse_columns(compiled, batch, plans, max_changes, categorical_reasons, out.index)
    if columns:
        out = pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1)
    return out
