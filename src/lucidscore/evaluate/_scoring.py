"""Score a table for evaluation, passing only the model's input columns to the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lucidscore.artifact import ScorecardArtifact
from lucidscore.errors import InputError
from lucidscore.score import score_frame


def check_inputs(artifact: ScorecardArtifact, frame: pd.DataFrame, name: str) -> None:
    """Refuse a table that lacks a column the model reads."""
    missing = [c for c in artifact.input_columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{name}: missing model input column(s) {', '.join(missing)}; "
            f"model {artifact.model_id} reads {', '.join(artifact.input_columns)}"
        )


def score_table(artifact: ScorecardArtifact, frame: pd.DataFrame, name: str = "data") -> pd.DataFrame:
    """Columns score, tier and probability for each row, from the model's input columns only."""
    check_inputs(artifact, frame, name)
    inputs = frame[list(artifact.input_columns)].reset_index(drop=True)
    inputs.attrs.update(frame.attrs)  # the file's first data row, so rows are named as in the file
    try:
        score = score_frame(artifact, inputs)["score"].to_numpy(dtype=np.int64)
    except InputError as exc:  # a cell the model cannot read: say which of the tables holds it
        if exc.message.startswith(f"{name}:"):
            raise
        raise InputError(f"{name}: {exc.message}") from None
    return pd.DataFrame(
        {
            "score": score,
            "tier": artifact.scaling.tier_of(score),
            "probability": artifact.scaling.probability_from_score(score),
        },
        index=frame.index,
    )
