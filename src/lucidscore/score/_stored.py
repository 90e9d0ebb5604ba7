"""Scores the service stores: one ``score_history`` row per consumer, with typed reasons and explanation.

Reasons are always structured (``lucidscore.artifact.Reason``: characteristic, code, family, bin, points
lost, the consumer statement with the person's value and the merchant's adverse-action statement; a pair of
an interaction grid is one reason, docs/scoring.md "Interactions"); the full ``Explanation`` (family
points, each grid's points, reasons, recourse) is computed for the consumers asked for. Both are built
as the JSON-ready dicts those models dump to (``explanation_dicts``: no objects per consumer), stored as
JSON and validated when the service reads them back.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._explain import explanation_dicts, reason_dicts


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
    ids = pdf[id_column].astype(str).tolist()
    explanations: dict[int, dict[str, Any]] = {}
    if explain_ids is None:  # everyone (a publish): each explanation holds the row's reasons
        for pos, explanation in enumerate(explanation_dicts(compiled, batch) if ids else []):
            explanations[pos] = _as_stored(explanation)
        reasons = [explanations[i]["reasons"] for i in range(len(ids))]
    else:
        reasons = reason_dicts(compiled, batch, codes)
        explain = set(explain_ids)
        wanted = [i for i, c in enumerate(ids) if c in explain]
        if wanted:
            subset = compiled.prepare(pdf.iloc[wanted].reset_index(drop=True))
            for pos, explanation in zip(wanted, explanation_dicts(compiled, subset), strict=True):
                explanations[pos] = _as_stored(explanation)
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
                "reasons": reasons[i],
                "explanation": explanations.get(i),
            }
        )
    return rows


def _as_stored(explanation: dict[str, Any]) -> dict[str, Any]:
    """An explanation as stored: its ``row`` 0 (the position in a batch means nothing later).

    The stored row's ``reasons`` is this dict's ``reasons`` list itself (the same reasons, the same
    order): ``lucidscore.service.record_scores`` then encodes them once for both.
    """
    explanation["row"] = 0
    return explanation
