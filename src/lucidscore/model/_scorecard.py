"""``Scorecard``: the scikit-learn compatible estimator that fits a (segmented) scorecard artifact.

A composition: per segment, optimal binning (``_binning``) -> selection (``_selection``) -> logistic
regression on WOE with sign checks and PDO points (``_card``), run by ``_fit.fit_table``; the learned
state is one ``ScorecardArtifact`` in ``artifact_``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from lucidscore.errors import InputError
from lucidscore.model._artifact import Condition, ScorecardArtifact
from lucidscore.model._assign import (
    bin_index,
    reference_scores,
    segment_of_rows,
)
from lucidscore.model._binning import WOE_PRIOR, Trend
from lucidscore.model._fit import as_frame as _as_frame
from lucidscore.model._fit import fit_table, validated_params
from lucidscore.model._params import ScorecardParams
from lucidscore.model._recourse import Explanation
from lucidscore.model._scaling import Scaling
from lucidscore.policy import FeatureMeta

Progress = Callable[[str], None]
_segment_index = segment_of_rows


class Scorecard(ClassifierMixin, BaseEstimator):
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
    >>> bool(card.score(X)["score"].between(350, 950).all())
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
        """Fit the scorecard; ``y`` is the target (1 = bad unless ``bad_value`` says otherwise)."""
        fitted = fit_table(X, y, self._validated_params(), progress)
        self.artifact_ = fitted.artifact
        self.feature_names_in_ = np.array(fitted.feature_names, dtype=object)
        self.n_features_in_ = len(fitted.feature_names)
        self.input_columns_ = list(self.artifact_.input_columns)
        self.notes_ = fitted.notes
        self.classes_ = np.array([0, 1])
        return self

    # -- using a fitted scorecard --------------------------------------------------------------------

    def _check_fitted(self) -> ScorecardArtifact:
        if not hasattr(self, "artifact_"):
            raise InputError("this Scorecard is not fitted yet; call fit(X, y) first")
        return self.artifact_

    def _checked_frame(self, X: Any) -> pd.DataFrame:
        art = self._check_fitted()
        frame = _as_frame(X)
        missing = [c for c in art.input_columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"the data lacks column(s) the model needs: {', '.join(missing)}; "
                f"the model reads {', '.join(art.input_columns)}"
            )
        return frame.reset_index(drop=True)

    def transform(self, X: Any) -> pd.DataFrame:
        """WOE of each row's bin per characteristic (NaN where the row's segment lacks it)."""
        art = self._check_fitted()
        frame = self._checked_frame(X)
        seg_of = _segment_index(art.segments, frame)
        names = [
            c
            for c in art.input_columns
            if any(c == ch.name for s in art.segments for ch in s.characteristics)
        ]
        out = pd.DataFrame(np.nan, index=frame.index, columns=names, dtype=np.float64)
        for i, seg in enumerate(art.segments):
            rows = seg_of == i
            if not rows.any():
                continue
            part = frame.loc[rows]
            for ch in seg.characteristics:
                woe = np.array([b.woe for b in ch.bins])
                out.loc[rows, ch.name] = woe[bin_index(ch, part[ch.name])]
        return out

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        """n x 2 array: probability of good, probability of bad, as the 350-950 score implies."""
        art = self._check_fitted()
        bad = art.scaling.probability_from_score(reference_scores(art.segments, self._checked_frame(X)))
        return np.column_stack([1.0 - bad, bad])

    def predict(self, X: Any) -> npt.NDArray[np.int64]:
        """1 (bad) where the probability of bad is at least one half."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def score(self, X: Any, y: Any = None, reasons: int = 0) -> pd.DataFrame:
        """Scores by the compiled kernel: one row per input row (score, tier, probability, segment...)."""
        art = self._check_fitted()
        frame = self._checked_frame(X)
        from lucidscore.model._kernel import score_frame

        return score_frame(art, frame, reasons=reasons)

    def explain(self, X: Any) -> list[Explanation]:
        """Per row: score, family contributions, reasons and the smallest actionable changes that reach
        the next tier (``lucidscore.model.Explanation``)."""
        art = self._check_fitted()
        from lucidscore.model._recourse import explain_frame

        return explain_frame(art, self._checked_frame(X))
