"""What an explanation of one score is: the typed form every engine produces and the service stores.

``score.explain_frame`` builds these; the service stores ``Explanation`` as JSON in ``score_history`` and
validates it when it reads it back, so a renamed field fails loudly instead of emptying a page.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from lucidscore.policy.families import Family


class Reason(BaseModel):
    """One reason a score is not higher: a characteristic and the points it loses against its best bin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    characteristic: str
    family: Family
    bin_label: str
    points_lost: int = Field(ge=1)
    text: str


class Change(BaseModel):
    """Move one characteristic to a better bin; ``score_alone`` is the score with this change only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    characteristic: str
    description: str
    family: Family
    from_label: str
    to_label: str
    to_lower: float | None = None  # new value range (interval bins): lower <= value < upper
    to_upper: float | None = None
    to_categories: list[str] = []
    steps: int
    points_gained: int
    score_alone: int


class Recourse(BaseModel):
    """The smallest actionable changes reaching the next tier, or why there are none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_tier: str | None  # None at the top tier
    target_score: int | None
    changes: list[Change] = []
    new_score: int | None = None
    new_tier: str | None = None
    note: str = ""


class Explanation(BaseModel):
    """Everything a consumer page shows about one scored row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int  # position in the input frame
    score: int
    tier: str
    probability: float
    segment: str
    base_points: int
    families: dict[str, int | None]  # points per family; None = not used (interpersonal relationships)
    reasons: list[Reason]
    recourse: Recourse
