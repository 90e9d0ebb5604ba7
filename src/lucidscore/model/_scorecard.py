"""``Scorecard``: the scikit-learn face of the fitting (``_fit.fit_table``), and of the scoring engine.

A composition: per segment, optimal binning (``_binning``) -> selection (``_selection``) -> logistic
regression on WOE with sign checks and PDO points (``_card``), run by ``_fit``; the learned state is one
``ScorecardArtifact`` in ``artifact_``. Predictions, score tables and explanations come from
``lucidscore.score``, the one engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from lucidscore import score as engine
from lucidscore.artifact import (
    MAX_INTERACTIONS,
    Condition,
    Explanation,
    Scaling,
    ScorecardArtifact,
    bin_index,
    segment_of_rows,
)
from lucidscore.errors import InputError
from lucidscore.model._fit import Progress, as_frame, fit_table, target_labels, validated_params
from lucidscore.model._frame import binary_target
from lucidscore.model._params import REFINE_ROWS, ScorecardParams
from lucidscore.model._trend import WOE_PRIOR, Trend
from lucidscore.policy import FeatureMeta


class NotFittedYet(InputError, NotFittedError):
    """A fitted scorecard's method called before ``fit`` (scikit-learn's ``NotFittedError`` too)."""


class Scorecard(ClassifierMixin, TransformerMixin, BaseEstimator):
    """A credit scorecard on the 350-950 scale, fitted from any table with a binary target.

    Parameters are stored as given and validated at ``fit`` by :class:`ScorecardParams` (see
    docs/model.md). Learned state: ``artifact_`` (the model file's content), ``feature_names_in_``,
    ``n_features_in_``, ``input_columns_`` (columns the model reads), ``notes_`` (columns skipped or
    dropped, and why), ``classes_`` (0 = good, 1 = bad).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"late_payments": rng.integers(0, 6, 2000)})
    >>> y = pd.Series(rng.random(2000) < 0.05 + 0.1 * X["late_payments"], name="bad").astype(int)
    >>> card = Scorecard().fit(X, y)
    >>> bool(card.score_table(X)["score"].between(350, 950).all())
    True
    """

    def __init__(
        self,
        *,
        bad_value: float | str | None = None,
        exclude: Sequence[str] = (),
        audit_columns: Sequence[str] = (),
        special_values: Sequence[float] = (),
        monotonic_trend: Trend | Mapping[str, Trend] = "auto",
        min_bin_share: float = 0.05,
        max_bins: int = 8,
        n_prebins: int = 30,
        iv_threshold: float = 0.02,
        max_correlation: float = 0.8,
        max_characteristics: int | None = None,
        segment_by: str | None = None,
        segment_rule: Condition | None = None,
        segment_search: bool = True,
        shape_search: bool = True,
        refine: bool = True,
        refine_rows: int = REFINE_ROWS,
        interactions: int = MAX_INTERACTIONS,
        min_segment_rows: int = 1000,
        min_segment_bads: int = 50,
        regularization: float = 1.0,
        woe_prior: float = WOE_PRIOR,
        scaling: Scaling | None = None,
        feature_meta: Mapping[str, FeatureMeta] | None = None,
    ) -> None:
        self.bad_value = bad_value
        self.exclude = exclude
        self.audit_columns = audit_columns
        self.special_values = special_values
        self.monotonic_trend = monotonic_trend
        self.min_bin_share = min_bin_share
        self.max_bins = max_bins
        self.n_prebins = n_prebins
        self.iv_threshold = iv_threshold
        self.max_correlation = max_correlation
        self.max_characteristics = max_characteristics
        self.segment_by = segment_by
        self.segment_rule = segment_rule
        self.segment_search = segment_search
        self.shape_search = shape_search
        self.refine = refine
        self.refine_rows = refine_rows
        self.interactions = interactions
        self.min_segment_rows = min_segment_rows
        self.min_segment_bads = min_segment_bads
        self.regularization = regularization
        self.woe_prior = woe_prior
        self.scaling = scaling
        self.feature_meta = feature_meta

    # -- fitting -----------------------------------------------------------------------------------

    def _validated_params(self) -> ScorecardParams:
        return validated_params(self.get_params(deep=False))

    def fit(self, X: Any, y: Any, progress: Progress | None = None) -> Scorecard:
        """Fit the scorecard; ``y`` is the target (the greater of two numbers is bad, unless
        ``bad_value`` says which value is)."""
        fitted = fit_table(X, y, self._validated_params(), progress)
        self.artifact_ = fitted.artifact
        if fitted.named:
            self.feature_names_in_ = np.array(fitted.feature_names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_in_ = len(fitted.feature_names)
        self.input_columns_ = list(self.artifact_.input_columns)
        self.notes_ = fitted.notes
        self.classes_ = np.array(fitted.classes)  # [good, bad]
        return self

    # -- using a fitted scorecard --------------------------------------------------------------------
    # Every method below evaluates the model through ``lucidscore.score``, the one engine: the same rows
    # get the same scores from predict_proba, score_table, explain, the SQL export and Spark.

    def _check_fitted(self) -> ScorecardArtifact:
        if not hasattr(self, "artifact_"):
            raise NotFittedYet("this Scorecard is not fitted yet; call fit(X, y) first")
        return self.artifact_

    def _checked_frame(self, X: Any) -> pd.DataFrame:
        art = self._check_fitted()
        frame = as_frame(X)
        if not hasattr(X, "columns") and frame.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {frame.shape[1]} features, but Scorecard is expecting {self.n_features_in_} "
                "features as input"
            )
        missing = [c for c in art.input_columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"the data lacks column(s) the model needs: {', '.join(missing)}; "
                f"the model reads {', '.join(art.input_columns)}"
            )
        return frame.reset_index(drop=True)

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        """The characteristics ``transform`` gives the WOE of, in input order."""
        art = self._check_fitted()
        scored = {ch.name for s in art.segments for ch in s.characteristics}
        return np.array([c for c in art.input_columns if c in scored], dtype=object)

    def transform(self, X: Any) -> Any:
        """WOE of each row's bin per characteristic (NaN where the row's segment lacks it): an array, or a
        DataFrame with ``set_output(transform="pandas")``."""
        art = self._check_fitted()
        frame = self._checked_frame(X)
        seg_of = segment_of_rows(art.segments, frame)
        names = list(self.get_feature_names_out())
        out = pd.DataFrame(np.nan, index=frame.index, columns=names, dtype=np.float64)
        for i, seg in enumerate(art.segments):
            rows = seg_of == i
            if not rows.any():
                continue
            positions = np.flatnonzero(rows)
            part = frame.iloc[positions]
            for ch in seg.characteristics:
                woe = np.array([b.woe for b in ch.bins])
                out.loc[rows, ch.name] = woe[bin_index(ch, part[ch.name], positions=positions)]
        return out.to_numpy()

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """n x 2 array: probability of good (``classes_[0]``) and of bad (``classes_[1]``), as the
        350-950 score implies."""
        table = self.score_table(X)
        bad = table["probability"].to_numpy(dtype=np.float64)
        return np.column_stack([1.0 - bad, bad])

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The bad class (``classes_[1]``) where the probability of bad is at least one half, else good."""
        bad = self.predict_proba(X)[:, 1] >= 0.5
        return np.asarray(self.classes_)[bad.astype(np.int64)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """ROC AUC of the scores against ``y`` (1.0 ranks every bad below every good; 0.5 is chance).

        scikit-learn's ``cross_val_score`` and ``GridSearchCV`` maximise this; for the table of scores,
        tiers and reasons, see ``score_table``.
        """
        target = target_labels(y)
        p = self._validated_params()
        yb = binary_target(target.reset_index(drop=True), str(target.name or "target"), p.bad_value)
        return float(roc_auc_score(yb, self.predict_proba(X)[:, 1], sample_weight=sample_weight))

    def score_table(self, X: Any, reasons: int = 0) -> pd.DataFrame:
        """One row per input row: score (350-950), tier, probability of bad, segment and, with
        ``reasons`` > 0, the principal reasons ranked by points lost."""
        art = self._check_fitted()
        return engine.score_frame(art, self._checked_frame(X), reasons=reasons)

    def explain(self, X: Any) -> list[Explanation]:
        """Per row: score, family contributions, reasons and the smallest actionable changes that reach
        the next tier (``lucidscore.artifact.Explanation``)."""
        art = self._check_fitted()
        return engine.explain_frame(art, self._checked_frame(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values score in their own bin
        tags.input_tags.string = True  # categorical characteristics may be text
        tags.classifier_tags.multi_class = False  # a credit target is good or bad
        tags.classifier_tags.poor_score = True
        tags.transformer_tags.preserves_dtype = ["float64"]  # WOE is float64 whatever the input
        return tags
