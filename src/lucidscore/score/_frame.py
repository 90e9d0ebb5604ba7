"""Scores as a table: score, tier, probability of bad, segment and reasons, one row per input row.

>>> from lucidscore.score import score_frame  # doctest: +SKIP
>>> score_frame(artifact, frame, reasons=4)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lucidscore.artifact import MAX_SCORE, MIN_SCORE, ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.score._compiled import CompiledScorecard, PreparedBatch


def score_frame(artifact: ScorecardArtifact, frame: pd.DataFrame, reasons: int = 0) -> pd.DataFrame:
    """Score every row of ``frame`` with ``artifact``.

    Parameters
    ----------
    artifact : the model.
    frame : one row per applicant; extra columns are ignored, missing ones raise ``InputError``.
    reasons : how many principal reasons to give (``reason_1`` .. ``reason_k``). With reasons > 0 and a
        model that has a recent-inquiries characteristic, ``reason_{k+1}`` holds that reason when it lost
        points but is not among the first k.

    Returns
    -------
    DataFrame with ``score`` (int16), ``tier``, ``probability`` (of bad), ``segment`` and the reasons,
    on ``frame``'s index.
    """
    compiled = CompiledScorecard.from_artifact(artifact)
    return compiled_score_frame(compiled, compiled.prepare(frame), reasons, index=frame.index)


def compiled_score_frame(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    reasons: int = 0,
    index: pd.Index | None = None,
    categorical_reasons: bool = False,
) -> pd.DataFrame:
    """``score_frame`` on an already compiled model and prepared batch (used by the batch engines).

    With ``categorical_reasons`` the reason columns are categoricals (missing = NaN) instead of objects
    (missing = None): much faster to build and to write to Parquet.
    """
    if reasons < 0:
        raise InputError(f"reasons is {reasons}; expected 0 or more")
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
    if codes is None:
        return out
    width = reasons + 1 if compiled.has_inquiry_characteristic else reasons
    if categorical_reasons:
        for j, column in enumerate(compiled.reason_categoricals(codes)[:width]):
            out[f"reason_{j + 1}"] = pd.Series(column, index=out.index)
        return out
    for j in range(width):
        texts = compiled.bin_text[codes.bin[:, j]]  # one contiguous object column, no further copy
        out[f"reason_{j + 1}"] = pd.Series(texts, index=out.index, dtype=object, copy=False)
    return out
