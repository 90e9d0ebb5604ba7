"""``Scorecard`` is a real scikit-learn estimator: the library's own checks, and the tools people use."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from lucidscore.model import NotFittedYet, Scorecard, ScorecardParams
from tests.model._sim import credit_table

# Checks that cannot apply to a scorecard, and why (pytest reports them as expected failures).
EXPECTED_FAILURES = {
    "check_classifiers_classes": (
        "text labels ('one', 'two') need bad_value: guessing which label is bad would silently invert the "
        "score, so a scorecard refuses to guess"
    ),
}


@parametrize_with_checks([Scorecard()], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_scikit_learn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return credit_table(4000, seed=3)


def test_cross_val_score_gives_an_auc_per_fold(table: pd.DataFrame) -> None:
    X, y = table.drop(columns=["bad"]), table["bad"]
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(Scorecard(segment_search=False), X, y, cv=folds)
    assert scores.shape == (3,) and scores.dtype == np.float64
    assert ((scores > 0.6) & (scores <= 1.0)).all()  # the simulated table has real signal


def test_score_is_the_auc_of_predict_proba(table: pd.DataFrame) -> None:
    from sklearn.metrics import roc_auc_score

    X, y = table.drop(columns=["bad"]), table["bad"]
    card = Scorecard(segment_search=False).fit(X, y)
    assert card.score(X, y) == pytest.approx(roc_auc_score(y, card.predict_proba(X)[:, 1]))
    # Inverting the target inverts the ranking: score is a real measure, not a constant.
    assert card.score(X, 1 - y) == pytest.approx(1 - card.score(X, y))


def test_grid_search_and_pipeline_and_clone(table: pd.DataFrame) -> None:
    X, y = table.drop(columns=["bad"]), table["bad"]
    search = GridSearchCV(
        Scorecard(segment_search=False),
        {"max_bins": [2, 6]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["max_bins"] in (2, 6)
    assert all(0.5 < s <= 1 for s in search.cv_results_["mean_test_score"])
    pipe = Pipeline(
        [("identity", FunctionTransformer(validate=False)), ("card", Scorecard(segment_search=False))]
    )
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)
    copy = clone(search.best_estimator_)
    assert copy.get_params() == search.best_estimator_.get_params() and not hasattr(copy, "artifact_")


def test_labels_other_than_0_1(table: pd.DataFrame) -> None:
    """Numeric labels: the greater is bad (classes_[1]); text labels need bad_value."""
    X = table.drop(columns=["bad"])
    card = Scorecard(segment_search=False).fit(X, table["bad"] + 1)
    assert card.classes_.tolist() == [1, 2]
    assert set(card.predict(X)) <= {1, 2}
    texts = table["bad"].map({0: "good", 1: "bad"})
    with pytest.raises(
        ValueError, match=r"^parameter bad_value: target .* not numbers; say which value means bad"
    ):
        Scorecard().fit(X, texts)
    named = Scorecard(bad_value="bad", segment_search=False).fit(X, texts)
    assert named.classes_.tolist() == ["good", "bad"]
    assert named.score(X, texts) == pytest.approx(card.score(X, table["bad"] + 1))


def test_not_fitted_is_scikit_learns_error() -> None:
    with pytest.raises(NotFittedYet, match="not fitted yet"):
        Scorecard().predict_proba(pd.DataFrame({"x": [1.0]}))


def test_the_parameters_are_declared_once() -> None:
    """Scorecard's __init__ takes exactly the fields of ScorecardParams, with the same defaults."""
    signature = inspect.signature(Scorecard.__init__).parameters
    fields = ScorecardParams.model_fields
    assert [n for n in signature if n != "self"] == list(fields)
    declared = ScorecardParams()
    for name, parameter in signature.items():
        if name == "self":
            continue
        default = parameter.default
        expected = getattr(declared, name)
        if default is None and name == "scaling":
            continue  # None means ScorecardParams' own default, Scaling()
        assert (tuple(default) if isinstance(default, list | tuple) else default) == expected, name
