"""Fitting: from a table with a binary target to a scorecard artifact (``lucidscore.artifact``).

Optimal binning (``bin_numeric``, ``bin_categorical``), selection, a sign-constrained logistic regression
on WOE, PDO points and the segment search, composed in the scikit-learn estimator ``Scorecard``;
``train_scorecard`` adds a held-out split (``train_split`` also returns the held-out rows). Scoring an
artifact is ``lucidscore.score``'s job.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lucidscore.model._binning import BinnedColumn, BinningOptions, BinStats, bin_categorical, bin_numeric
from lucidscore.model._meta import InferredMeta, characteristic_fields, is_declared, meta_for
from lucidscore.model._params import ScorecardParams
from lucidscore.model._selection import select_characteristics
from lucidscore.model._train import Trained, train_scorecard, train_split
from lucidscore.model._warm import load_kernels

if TYPE_CHECKING:
    from lucidscore.model._scorecard import NotFittedYet, Scorecard


def __getattr__(name: str) -> Any:
    # The estimator loads scikit-learn and the scoring engine: only when it is used, so
    # ``lucidscore train`` (train_scorecard) starts without them.
    if name in ("NotFittedYet", "Scorecard"):
        return getattr(importlib.import_module("lucidscore.model._scorecard"), name)
    raise AttributeError(f"module 'lucidscore.model' has no attribute {name!r}")


__all__ = [
    "BinStats",
    "BinnedColumn",
    "BinningOptions",
    "InferredMeta",
    "NotFittedYet",
    "Scorecard",
    "ScorecardParams",
    "Trained",
    "bin_categorical",
    "bin_numeric",
    "characteristic_fields",
    "is_declared",
    "load_kernels",
    "meta_for",
    "select_characteristics",
    "train_scorecard",
    "train_split",
]
