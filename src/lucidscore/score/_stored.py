"""Scores the service stores: one ``score_history`` row per consumer, with typed reasons and explanation.

Reasons are always structured (``lucidscore.artifact.Reason``: characteristic, code, family, bin, points
lost, the consumer statement with the person's value and the merchant's adverse-action statement); the full
``Explanation`` (family points, reasons, recourse) is computed for the consumers asked for. Both are stored
as JSON and validated when the service reads them back.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._explain import explain_batch, reason_lists


def _to_pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    converted: pd.DataFrame = frame.to_pandas()
    return converted


def score_consumers(
    artifact: ScorecardArtifact,
    frame: Any,
    as_of: date,
    *,
    explain_ids: Collection[str] | None = None,
    id_column: str = "consumer_id",
) -> list[dict[str, Any]]:
    """One ``score_history`` row (a dict of its columns) per consumer of ``frame`` (pandas or polars).

    ``explain_ids``: the consumers whose full explanation to compute (None: everyone; empty: nobody).
    """
    pdf = _to_pandas(frame).reset_index(drop=True)
    compiled = CompiledScorecard.from_artifact(artifact)
    batch = compiled.prepare(pdf)
    codes = compiled.score_with_reasons(batch)
    scaling = artifact.scaling
    scores = codes.scores
    tiers = scaling.tier_of(scores)
    probs = scaling.probability_from_score(scores)
    segments = np.asarray(compiled.segment_names, dtype=object)[batch.segment]
    reasons = reason_lists(compiled, batch, codes)
    ids = pdf[id_column].astype(str).tolist()
    wanted = (
        list(range(len(ids)))
        if explain_ids is None
        else [i for i, c in enumerate(ids) if c in set(explain_ids)]
    )
    explanations: dict[int, dict[str, Any]] = {}
    if wanted:
        subset = compiled.prepare(pdf.iloc[wanted].reset_index(drop=True))
        for pos, explanation in zip(wanted, explain_batch(compiled, subset), strict=True):
            explanations[pos] = explanation.model_copy(update={"row": 0}).model_dump(mode="json")
    rows = []
    for i, consumer_id in enumerate(ids):
        rows.append(
            {
                "consumer_id": consumer_id,
                "model_id": artifact.model_id,
                "as_of": as_of,
                "score": int(scores[i]),
                "tier": str(tiers[i]),
                "probability": float(probs[i]),
                "segment": str(segments[i]),
                "reasons": [r.model_dump(mode="json") for r in reasons[i]],
                "explanation": explanations.get(i),
            }
        )
    return rows
