"""The scorecard's parameters, validated declaratively (one pydantic model, no if-chains)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lucidscore.artifact import MAX_INTERACTIONS, Condition, Scaling
from lucidscore.model._trend import WOE_PRIOR, Trend
from lucidscore.policy import FeatureMeta

Share = Annotated[float, Field(gt=0, lt=0.5)]

# Training rows refinement and the pair search read at most, shared by a model's cards (``refine_rows``;
# ``_refine.rows_per_card``). Here, not in ``_refine``, so that the parameters load without numba.
REFINE_ROWS = 40_000


class ScorecardParams(BaseModel):
    """Everything ``Scorecard`` can be told: the one declaration of the fitting parameters.

    ``Scorecard.__init__`` and the CLI's ``train`` options are checked against these fields by the tests
    (names, defaults, help texts); library errors name the parameter, and the CLI translates the name to
    its flag. See docs/model.md for what each one does.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    bad_value: float | str | None = Field(
        default=None, description="Target value meaning bad (default: 1 when the target is 0/1)."
    )
    exclude: tuple[str, ...] = Field(default=(), description="Columns to ignore.")
    audit_columns: tuple[str, ...] = Field(
        default=(), description="Protected columns kept out of the model, for the fairness audit only."
    )
    special_values: tuple[float, ...] = Field(
        default=(), description="Codes binned on their own, e.g. -7,-8,-9."
    )
    monotonic_trend: Trend | dict[str, Trend] = Field(
        default="auto",
        description="WOE trend: auto, auto_monotone, ascending, descending, peak, valley, none "
        "(one for all characteristics, or per characteristic).",
    )
    min_bin_share: Share = Field(default=0.05, description="Smallest share of rows in a bin.")
    max_bins: int = Field(
        default=8,
        ge=2,
        le=20,
        description="Most bins per characteristic (besides missing/special); refined points (--refine) may "
        "cut a characteristic into at most twice as many.",
    )
    n_prebins: int = Field(
        default=30, ge=2, le=100, description="Quantile pre-bins the optimal binning merges."
    )
    iv_threshold: float = Field(default=0.02, ge=0, description="Drop characteristics with a lower IV.")
    max_correlation: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Drop the lower-IV one of pairs of characteristics above this |r|.",
    )
    max_characteristics: int | None = Field(
        default=None, ge=1, description="Keep at most this many characteristics per card (highest IV first)."
    )
    segment_by: str | None = Field(default=None, description="One scorecard per value of this column.")
    segment_rule: Condition | None = Field(
        default=None, description="Two scorecards: rows matching COLUMN OP VALUE (e.g. 'n_accounts<2')."
    )
    segment_search: bool = Field(
        default=True,
        description="Without segment_by/segment_rule, try splitting on a strong characteristic and keep two "
        "cards if cross-validation inside the training rows favours them on every fold.",
    )
    shape_search: bool = Field(
        default=True,
        description="Try finer bins (2% minimum share) and keep them only when cross-validation inside the "
        "training rows favours them.",
    )
    refine: bool = Field(
        default=True,
        description="Refine each card's points on the pre-bins its bins were merged from, by boosting from "
        "the card's score and stopping where held-out training rows stop improving (trend auto or none); "
        "undeclared characteristics selection left out join where held-out rows support them; a card of "
        "fewer than 2,000 rows is bagged instead (the average of 100 bootstrap cards).",
    )
    refine_rows: int = Field(
        default=REFINE_ROWS,
        ge=2000,
        description="Training rows refinement and the pair search read at most (a seeded sample above "
        "that), shared by the cards, each reading at least 20,000 (or all of these): more rows give finer "
        "shapes for more CPU (on a 150,000-row table shaped like Give Me Some Credit, 110,000 rows gave "
        "+0.0011 AUC on fresh rows, at 2.5 times the fit's CPU).",
    )
    interactions: int = Field(
        default=MAX_INTERACTIONS,
        ge=0,
        le=MAX_INTERACTIONS,
        description="Most pairwise-interaction grids per card (0 = none): pairs of characteristics whose "
        "points grid lowers the held-out log loss on every fold of the card's training rows.",
    )
    min_segment_rows: int = Field(
        default=1000, ge=10, description="Fewest training rows a segment's card needs."
    )
    min_segment_bads: int = Field(
        default=50, ge=1, description="Fewest rows of each class a segment's card needs."
    )
    regularization: float = Field(
        default=1.0, gt=0, description="Inverse strength of the L2 penalty of the logistic regression (C)."
    )
    woe_prior: float = Field(
        default=WOE_PRIOR,
        gt=0,
        le=1000,
        description="Credible bins: each bin's WOE is shrunk by a Beta prior worth this many rows of the "
        "rarer class at the overall bad rate, so a small bin cannot claim more than its evidence.",
    )
    scaling: Scaling = Field(
        default_factory=Scaling,
        description="Score scaling: base score, base odds, points to double the odds.",
    )
    feature_meta: dict[str, FeatureMeta] | None = Field(
        default=None,
        description="Declared family, description and advice direction of each characteristic.",
    )

    @model_validator(mode="after")
    def _one_segmentation(self) -> ScorecardParams:
        if self.segment_by is not None and self.segment_rule is not None:
            raise ValueError("give segment_by or segment_rule, not both")
        return self

    def trend_of(self, column: str) -> Trend:
        if isinstance(self.monotonic_trend, dict):
            return self.monotonic_trend.get(column, "auto")
        return self.monotonic_trend
