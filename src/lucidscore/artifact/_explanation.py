"""What an explanation of one score is: the typed form every engine produces and the service stores.

``score.explain_frame`` builds these; the service stores ``Reason`` and ``Explanation`` as JSON in
``score_history`` and validates them when it reads them back, so a renamed field fails loudly instead of
emptying a page. Fields added by issue 10 have defaults, so scores stored before it still read.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lucidscore.policy.families import Family


class Reason(BaseModel):
    """One reason a score is not higher: a characteristic and the points it loses against the best bin a
    row of its segment can reach by changing that value alone.

    ``text`` is the consumer statement (with the person's own value); ``adverse_action`` the statement a
    merchant passes on (no personal values); ``code`` the characteristic's stable reason code.

    A pair of an interaction grid (issue 14) is one reason: ``characteristic`` is ``"<first>+<second>"``
    (both columns), ``code`` ``"<first code>+<second code>"``, ``family`` the first's, ``bin_label`` both
    bins' labels, ``points_lost`` what changing the two values together wins back (docs/scoring.md,
    "Interactions"), and both statements name both characteristics.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    characteristic: str
    family: Family
    bin_label: str
    points_lost: int = Field(ge=1)
    text: str
    code: str = ""  # "" in scores stored before issue 10: use the characteristic's name
    adverse_action: str = ""  # "" in scores stored before issue 10

    @property
    def reason_code(self) -> str:
        return self.code or self.characteristic

    @property
    def merchant_statement(self) -> str:
        """What a merchant may see and pass on: never the person's value."""
        return self.adverse_action or self.characteristic


class Change(BaseModel):
    """Move one characteristic to a better bin, in its declared direction; ``score_alone`` is the score
    with this change only."""

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
    code: str = ""
    direction: Literal["lower", "higher"] | None = None  # None in explanations stored before issue 10
    from_text: str = ""  # the person's value, in words ("28%")
    to_text: str = ""  # the range to reach, in words ("under 15%")
    to_value: float | None = None  # a value in that range, nearest the person's: applying it reaches it


class Recourse(BaseModel):
    """The fewest and smallest changes, each in its characteristic's declared direction, that reach the
    next tier; or why there are none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_tier: str | None  # None at the top tier
    target_score: int | None
    changes: list[Change] = []
    new_score: int | None = None
    new_tier: str | None = None
    note: str = ""


class InteractionPoints(BaseModel):
    """The points one interaction grid adds to a score: the cell of the row's bins of its two
    characteristics (``label`` names both for the consumer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: str
    second: str
    label: str
    points: int


class Explanation(BaseModel):
    """Everything a consumer page shows about one scored row.

    ``base_points`` plus the family points plus each interaction grid's points (``interactions``, issue
    14; left out of the JSON when the row's segment has none, so explanations without grids are stored as
    before) is ``raw_points``, the score before the 350-950 clip.
    """

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
    raw_points: int | None = None  # None in explanations stored before issue 10: base + families
    # The grids of the row's segment, in its order; left out of the JSON when none, so explanations of
    # models without grids keep their bytes (and stored digests).
    interactions: list[InteractionPoints] = Field(default_factory=list, exclude_if=lambda v: v == [])

    @property
    def unclipped(self) -> int:
        """Base points plus every family's and every grid's points (the score before the clip to
        350-950)."""
        if self.raw_points is not None:
            return self.raw_points
        grids = sum(i.points for i in self.interactions)
        return self.base_points + sum(v for v in self.families.values() if v) + grids
