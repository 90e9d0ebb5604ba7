"""Binning, scorecard, scaling, reasons: from a table with a binary target to a 350-950 score.

Names load on first use (PEP 562), so ``lucidscore train`` imports the fitting modules only, not the
scoring kernel or scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "SCHEMA_VERSION": "_artifact",
    "Bin": "_artifact",
    "Characteristic": "_artifact",
    "Condition": "_artifact",
    "ScorecardArtifact": "_artifact",
    "ScoreProbability": "_artifact",
    "Segment": "_artifact",
    "load_artifact": "_artifact",
    "bin_index": "_assign",
    "reference_scores": "_assign",
    "segment_of_rows": "_assign",
    "BinnedColumn": "_binning",
    "BinningOptions": "_binning",
    "BinStats": "_binning",
    "bin_categorical": "_binning",
    "bin_numeric": "_binning",
    "CompiledScorecard": "_kernel",
    "PreparedBatch": "_kernel",
    "ReasonCodes": "_kernel",
    "score_frame": "_kernel",
    "meta_for": "_meta",
    "ScorecardParams": "_params",
    "Reason": "_reasons",
    "Change": "_recourse",
    "Explanation": "_recourse",
    "Recourse": "_recourse",
    "explain_frame": "_recourse",
    "DEFAULT_TIERS": "_scaling",
    "MAX_SCORE": "_scaling",
    "MIN_SCORE": "_scaling",
    "Scaling": "_scaling",
    "Tier": "_scaling",
    "Scorecard": "_scorecard",
    "select_characteristics": "_selection",
    "to_sql": "_sql",
    "train_scorecard": "_train",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'lucidscore.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lucidscore.model.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


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
