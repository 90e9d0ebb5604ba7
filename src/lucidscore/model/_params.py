"""The scorecard's parameters, validated declaratively (one pydantic model, no if-chains)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lucidscore.model._artifact import Condition
from lucidscore.model._binning import WOE_PRIOR, Trend
from lucidscore.model._scaling import Scaling
from lucidscore.policy import FeatureMeta

Share = Annotated[float, Field(gt=0, lt=0.5)]


class ScorecardParams(BaseModel):
    """Everything ``Scorecard`` can be told; see docs/model.md for what each one does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bad_value: float | str | None = None
    exclude: tuple[str, ...] = ()
    audit_columns: tuple[str, ...] = ()
    special_values: tuple[float, ...] = ()
    monotonic_trend: Trend | dict[str, Trend] = "auto"
    min_bin_share: Share = 0.05
    max_bins: int = Field(default=8, ge=2, le=20)
    n_prebins: int = Field(default=30, ge=2, le=100)
    iv_threshold: float = Field(default=0.02, ge=0)
    max_correlation: float = Field(default=0.8, gt=0, le=1)
    max_characteristics: int | None = Field(default=None, ge=1)
    segment_by: str | None = None
    segment_rule: Condition | None = None
    segment_search: bool = True
    shape_search: bool = True
    min_segment_rows: int = Field(default=1000, ge=10)
    min_segment_bads: int = Field(default=50, ge=1)
    regularization: float = Field(default=1.0, gt=0)
    woe_prior: float = Field(default=WOE_PRIOR, gt=0, le=1000)
    scaling: Scaling = Field(default_factory=Scaling)
    feature_meta: dict[str, FeatureMeta] | None = None

    @model_validator(mode="after")
    def _one_segmentation(self) -> ScorecardParams:
        if self.segment_by is not None and self.segment_rule is not None:
            raise ValueError("give segment_by or segment_rule, not both")
        return self

    def trend_of(self, column: str) -> Trend:
        if isinstance(self.monotonic_trend, dict):
            return self.monotonic_trend.get(column, "auto")
        return self.monotonic_trend
