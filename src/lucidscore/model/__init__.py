"""Binning, scorecard, scaling, reasons: from a table with a binary target to a 350-950 score."""

from lucidscore.model._artifact import (
    SCHEMA_VERSION,
    Bin,
    Characteristic,
    Condition,
    ScorecardArtifact,
    ScoreProbability,
    Segment,
    load_artifact,
)
from lucidscore.model._scaling import DEFAULT_TIERS, MAX_SCORE, MIN_SCORE, Scaling, Tier

__all__ = [
    "DEFAULT_TIERS",
    "MAX_SCORE",
    "MIN_SCORE",
    "SCHEMA_VERSION",
    "Bin",
    "Characteristic",
    "Condition",
    "Scaling",
    "ScoreProbability",
    "ScorecardArtifact",
    "Segment",
    "Tier",
    "load_artifact",
]
