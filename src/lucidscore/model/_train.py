"""``train_scorecard``: split, fit a ``Scorecard`` and record held-out metrics in the artifact;
``train_split`` also hands back the held-out rows, so they can be kept next to the model (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lucidscore.artifact import ScorecardArtifact, reference_scores, segment_of_rows
from lucidscore.errors import InputError
from lucidscore.model._fit import Progress, check_input_values, fit_table, validated_params
from lucidscore.model._frame import binary_target
from lucidscore.model._metrics import discrimination


@dataclass(frozen=True)
class Trained:
    """A fitted model and, when a share was held out, the held-out rows (every column, in input order)."""

    artifact: ScorecardArtifact
    heldout: pd.DataFrame | None


def train_scorecard(
    frame: pd.DataFrame,
    target: str,
    *,
    test_size: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    **params: Any,
) -> ScorecardArtifact:
    """Fit a scorecard on ``frame``; with ``test_size``, on a stratified split, with test metrics.

    ``params`` are :class:`Scorecard` parameters, validated the same way. Test AUC, Gini and KS go into
    each segment's ``metrics`` (``test_auc``...) and into ``training["metrics"]``; the split (sizes, seed)
    into ``training["split"]``. The model's ``fingerprint`` covers the training rows only.
    """
    return train_split(frame, target, test_size=test_size, seed=seed, progress=progress, **params).artifact


def fit_artifact(X: Any, y: Any, **params: Any) -> ScorecardArtifact:
    """The model ``Scorecard(**params).fit(X, y)`` fits (its ``artifact_``), without importing
    scikit-learn (1.1-1.5 s in a fresh process): what a worker process of the LDA search fits on each fold."""
    return fit_table(X, y, validated_params(params)).artifact


def train_split(
    frame: pd.DataFrame,
    target: str,
    *,
    test_size: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    **params: Any,
) -> Trained:
    """``train_scorecard``, with the held-out rows (None without ``test_size``)."""
    if target not in frame.columns:
        raise InputError(
            f"target column {target!r} not found; the columns are {', '.join(map(str, frame.columns))}"
        )
    if test_size is not None and not 0 < test_size < 1:
        raise InputError.about("test_size", f"{test_size} is not a fraction strictly between 0 and 1")
    frame = frame.reset_index(drop=True)
    y_all = frame[target]
    features = frame.drop(columns=[target])
    p = validated_params(params)  # the same parameters as Scorecard's, without importing scikit-learn
    if test_size is None:
        art = fit_table(features, y_all, p, progress).artifact
        return Trained(
            art.model_copy(update={"training": {**art.training, "split": None, "seed": seed}}), None
        )
    from sklearn.model_selection import train_test_split  # only when a test split is asked for

    yb = binary_target(y_all, target, params.get("bad_value"))
    check_input_values(features, target, p)
    try:
        train_idx, test_idx = train_test_split(
            np.arange(len(frame)), test_size=test_size, random_state=seed, stratify=yb
        )
    except ValueError as exc:
        raise InputError.about(
            "test_size", f"{test_size} cannot split {len(frame)} rows by class ({exc})"
        ) from None
    train_idx, test_idx = np.sort(train_idx), np.sort(test_idx)
    art = fit_table(features.iloc[train_idx], y_all.iloc[train_idx], p, progress).artifact
    test = features.iloc[test_idx].reset_index(drop=True)
    y_test = yb[test_idx]
    scores = reference_scores(art.segments, test)
    seg_of = segment_of_rows(art.segments, test)
    segments = [
        s.model_copy(
            update={
                "metrics": {
                    **s.metrics,
                    **{
                        f"test_{k}": v
                        for k, v in discrimination(y_test[seg_of == i], scores[seg_of == i]).items()
                    },
                }
            }
        )
        for i, s in enumerate(art.segments)
    ]
    metrics = {
        **art.training["metrics"],
        **{f"test_{k}": v for k, v in discrimination(y_test, scores).items()},
    }
    training = {
        **art.training,
        "metrics": metrics,
        "split": {
            "method": "stratified",
            "test_size": test_size,
            "train_rows": len(train_idx),
            "test_rows": len(test_idx),
        },
        "seed": seed,
    }
    heldout = frame.iloc[test_idx].reset_index(drop=True)
    return Trained(art.model_copy(update={"segments": segments, "training": training}), heldout)
