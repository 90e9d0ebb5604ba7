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
from lucidscore.model._assign import bin_index, reference_scores, segment_of_rows
from lucidscore.model._binning import BinnedColumn, BinningOptions, BinStats, bin_categorical, bin_numeric
from lucidscore.model._kernel import CompiledScorecard, PreparedBatch, ReasonCodes, score_frame
from lucidscore.model._meta import meta_for
from lucidscore.model._params import ScorecardParams
from lucidscore.model._reasons import Reason
from lucidscore.model._recourse import Change, Explanation, Recourse, explain_frame
from lucidscore.model._scaling import DEFAULT_TIERS, MAX_SCORE, MIN_SCORE, Scaling, Tier
from lucidscore.model._scorecard import Scorecard
from lucidscore.model._selection import select_characteristics
from lucidscore.model._sql import to_sql
from lucidscore.model._train import train_scorecard

__all__ = [
    "DEFAULT_TIERS",
    "MAX_SCORE",
    "MIN_SCORE",
    "SCHEMA_VERSION",
    "Bin",
    "BinStats",
    "BinnedColumn",
    "BinningOptions",
    "Change",
    "Characteristic",
    "CompiledScorecard",
    "Condition",
    "Explanation",
    "PreparedBatch",
    "Reason",
    "ReasonCodes",
    "Recourse",
    "Scaling",
    "ScoreProbability",
    "Scorecard",
    "ScorecardArtifact",
    "ScorecardParams",
    "Segment",
    "Tier",
    "bin_categorical",
    "bin_index",
    "bin_numeric",
    "explain_frame",
    "load_artifact",
    "meta_for",
    "reference_scores",
    "score_frame",
    "segment_of_rows",
    "select_characteristics",
    "to_sql",
    "train_scorecard",
]
