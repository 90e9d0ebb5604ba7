"""Fitting: from a table with a binary target to a scorecard artifact (``lucidscore.artifact``).

Optimal binning (``bin_numeric``, ``bin_categorical``), selection, a sign-constrained logistic regression
on WOE, PDO points and the segment search, composed in the scikit-learn estimator ``Scorecard``;
``train_scorecard`` adds a held-out split (``train_split`` also returns the held-out rows). Scoring an
artifact is ``lucidscore.score``'s job.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lucidscore.model._binning import BinnedColumn, BinningOptions, BinStats, bin_categorical, bin_numeric
    from lucidscore.model._meta import InferredMeta, characteristic_fields, is_declared, meta_for
    from lucidscore.model._params import ScorecardParams
    from lucidscore.model._scorecard import NotFittedYet, Scorecard
    from lucidscore.model._selection import select_characteristics
    from lucidscore.model._train import Trained, fit_artifact, train_scorecard, train_split
    from lucidscore.model._warm import load_kernels

# The module each public name lives in. Each loads on first use (PEP 562 ``__getattr__``): the fit's
# modules load numba (about a quarter of a second of CPU) and the estimator scikit-learn and the scoring
# engine, so that ``lucidscore train`` can build its options from ``ScorecardParams`` without them and load
# the fit on a second thread while it reads the table.
_HOMES = {
    "BinStats": "_binning",
    "BinnedColumn": "_binning",
    "BinningOptions": "_binning",
    "bin_categorical": "_binning",
    "bin_numeric": "_binning",
    "InferredMeta": "_meta",
    "characteristic_fields": "_meta",
    "is_declared": "_meta",
    "meta_for": "_meta",
    "ScorecardParams": "_params",
    "NotFittedYet": "_scorecard",
    "Scorecard": "_scorecard",
    "select_characteristics": "_selection",
    "Trained": "_train",
    "fit_artifact": "_train",
    "train_scorecard": "_train",
    "train_split": "_train",
    "load_kernels": "_warm",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'lucidscore.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lucidscore.model.{home}"), name)
    globals()[name] = value  # found directly from now on
    return value


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
    "fit_artifact",
    "is_declared",
    "load_kernels",
    "meta_for",
    "select_characteristics",
    "train_scorecard",
    "train_split",
]
