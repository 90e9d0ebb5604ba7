"""Scores the service stores: one ``score_history`` row per consumer, with typed reasons and explanation.

Reasons are always structured (``lucidscore.artifact.Reason``: characteristic, family, bin, points lost,
text); the full ``Explanation`` (family points, reasons, recourse) is computed for the consumers asked for.
Both are stored as JSON and validated when the service reads them back.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.score._compiled import CompiledScorecard
from lucidscore.score._explain import explain_frame


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
    # The reason of every global bin, built once: a row's reasons are lookups.
    reason_of_bin: list[dict[str, Any]] = []
    for c, char in enumerate(compiled.characteristics):
        best = int(compiled.tables.best[c])
        for b in char.bins:
            reason_of_bin.append(
                {
                    "characteristic": char.name,
                    "family": char.family,
                    "bin_label": b.label,
                    "points_lost": best - b.points,
                    "text": compiled.bin_text[len(reason_of_bin)],
                }
            )
    ids = pdf[id_column].astype(str).tolist()
    wanted = (
        list(range(len(ids)))
        if explain_ids is None
        else [i for i, c in enumerate(ids) if c in set(explain_ids)]
    )
    explanations: dict[int, dict[str, Any]] = {}
    if wanted:
        subset = pdf.iloc[wanted].reset_index(drop=True)
        for pos, explanation in zip(wanted, explain_frame(artifact, subset), strict=True):
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
                "reasons": [reason_of_bin[b] for b in codes.bin[i] if b >= 0],
                "explanation": explanations.get(i),
            }
        )
    return rows
