"""What comes in (``*In``, unknown fields refused) and what goes out (``*Out``) of the HTTP API.

Stored rows (``lucidscore.store.service``) are never returned directly: each response is built field by
field from these models, so hashes, raw features and other consumers' data cannot leak into it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lucidscore.records import MAX_AMOUNT  # a correction carries no number a record could not hold

NUL = "\x00"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None: the NUL character (no database column takes it; PostgreSQL
    refuses it outright) or a lone surrogate (not valid Unicode, so not encodable as UTF-8)."""
    if NUL in text:
        return "must not contain the NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (found a lone surrogate such as \\ud800)"
    return None


def refuse_unstorable(value: Any) -> Any:
    """Input text (also inside a dict, keys included) must be storable: see ``text_problem``."""
    texts = [value] if isinstance(value, str) else []
    if isinstance(value, dict):
        texts = [t for kv in value.items() for t in kv if isinstance(t, str)]
    for text in texts:
        problem = text_problem(text)
        if problem:
            raise ValueError(problem)
    return value


class _In(BaseModel):
    # strict: a number is a JSON number and text is a JSON string — "30", 30.0 and true are not 30 days
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return refuse_unstorable(value)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- inputs -------------------------------------------------------------------------------------


class SignInIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ConsentIn(_In):
    merchant: str = Field(min_length=1, max_length=64, description="the merchant's username")
    purpose: str = Field(min_length=1, max_length=40, description="a product of the benefit catalogue")
    days: int = Field(default=30, ge=1, le=3650, description="how long the consent lasts")


class DisputeIn(_In):
    record_table: Literal["consumers", "accounts", "statements", "inquiries", "public_records", "income"]
    record_key: str = Field(min_length=1, max_length=200, description="the record's key, parts joined by '|'")
    reason: str = Field(min_length=3, max_length=2000)


class DecisionIn(_In):
    consent_token: str | None = Field(
        default=None, min_length=1, max_length=200, description="unless sent as 'Authorization: Bearer'"
    )
    product: str = Field(min_length=1, max_length=40)


class AcceptDisputeIn(_In):
    corrections: dict[str, str | float | int | bool | None] = Field(
        default_factory=dict,
        max_length=50,
        description=f"corrected values of the record's columns (numbers within ±{MAX_AMOUNT:.0e})",
    )
    note: str = Field(default="", max_length=2000)

    @field_validator("corrections")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        for column, v in value.items():
            if len(column) > 64:
                raise ValueError(f"column name {column[:20]!r}...: longer than 64 characters")
            if isinstance(v, str) and len(v) > 200:
                raise ValueError(f"{column}: the value is longer than 200 characters")
            if isinstance(v, int | float) and not isinstance(v, bool) and not abs(v) <= MAX_AMOUNT:
                raise ValueError(
                    f"{column}: {v!r} is out of range; expected a number within ±{MAX_AMOUNT:.0e}"
                )
        return value


class RejectDisputeIn(_In):
    reason: str = Field(min_length=3, max_length=2000)


# ---- outputs ------------------------------------------------------------------------------------


class SessionOut(_Out):
    token: str = Field(description="shown once; send as the session cookie or as 'Authorization: Bearer'")
    role: str
    expires_at: datetime


class MeOut(_Out):
    username: str
    display_name: str
    consumer_id: str


class ReasonOut(_Out):
    text: str = Field(description="the consumer statement, with your own value and what scores higher")
    code: str | None = Field(default=None, description="the characteristic's stable reason code")
    characteristic: str | None = None
    family: str | None = None
    points_lost: int | None = None


class FamilyOut(_Out):
    family: str
    label: str
    points: int | None
    used: bool


class InteractionOut(_Out):
    label: str = Field(description="the two characteristics of an interaction grid, in words")
    first: str
    second: str
    points: int = Field(description="the points the grid's cell of your two values adds (or takes away)")


class RecourseStepOut(_Out):
    text: str
    characteristic: str | None = None
    direction: Literal["lower", "higher"] | None = None
    from_value: str | None = Field(default=None, description="your value now, in words")
    to_range: str | None = Field(default=None, description="the range to reach, in words")
    points_gained: int | None = None


class ScoreOut(_Out):
    score: int
    tier: str
    probability: float
    model_id: str
    segment: str
    as_of: date
    scored_at: datetime
    base_points: int | None = Field(default=None, description="points every score starts from")
    unclipped_points: int | None = Field(
        default=None,
        description="base points plus every family's and interaction's points; the score is this, kept in "
        "350-950",
    )
    families: list[FamilyOut]
    interactions: list[InteractionOut] = Field(
        default_factory=list, description="points of each interaction grid of the model (none in most models)"
    )
    reasons: list[ReasonOut]
    recourse: list[RecourseStepOut]
    recourse_note: str | None = None


class HistoryPointOut(_Out):
    as_of: date
    score: int
    tier: str
    model_id: str
    scored_at: datetime


class AccessOut(_Out):
    merchant: str
    purpose: str
    at: datetime
    result: str


class ConsentOut(_Out):
    id: int
    merchant: str
    purpose: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class ConsentCreatedOut(ConsentOut):
    token: str = Field(description="shown once: give it to the merchant")


class DisputeEventOut(_Out):
    at: datetime
    action: str
    detail: dict[str, Any]


class DisputeOut(_Out):
    id: int
    record_table: str
    record_key: str
    reason: str
    status: str
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None
    events: list[DisputeEventOut] = Field(default_factory=list)


class AnalystDisputeOut(DisputeOut):
    consumer_id: str
    # An accept in progress (it corrects, rescores and answers over a second or two): since when and by
    # whom; null when none is. Another action on the dispute meanwhile waits for its outcome.
    accepting_since: datetime | None = None
    accepting_by: str | None = None


class MerchantOut(_Out):
    username: str
    display_name: str


class RecordsOut(_Out):
    consumer: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    inquiries: list[dict[str, Any]]
    public_records: list[dict[str, Any]]
    income: list[dict[str, Any]]


class ReasonCodeOut(_Out):
    code: str = Field(description="the characteristic's stable reason code")
    statement: str = Field(description="the adverse-action statement to pass on; never the applicant's data")


class ScoreDisclosureOut(_Out):
    score: int
    lowest_possible: int
    highest_possible: int
    tier: str
    scored_on: date
    as_of: date
    model_id: str
    provider: str
    key_factors: list[ReasonCodeOut]


class ConsumerRightOut(_Out):
    title: str
    text: str


class NoticeContactOut(_Out):
    name: str
    email: str
    address: str


class NoticeOut(_Out):
    """An adverse-action notice: what a declined applicant must be told, ready to send."""

    title: str
    decision: Literal["declined"]
    merchant: str
    product: str
    product_label: str
    decided_at: datetime
    summary: str
    principal_reasons: list[ReasonCodeOut]
    score: ScoreDisclosureOut
    rights: list[ConsumerRightOut]
    contact: NoticeContactOut
    decision_made_by: str


class DecisionOut(_Out):
    product: str
    approved: bool
    score: int
    tier: str
    min_score: int
    model_id: str
    reasons: list[ReasonCodeOut] = Field(
        description="principal reasons when declined: codes and adverse-action statements, no personal values"
    )
    decided_at: datetime
    catalogue_version: int | None = Field(
        default=None, description="version of the benefit catalogue the decision was made with"
    )
    notice: NoticeOut | None = Field(default=None, description="the adverse-action notice, when declined")


class DecisionRecordOut(_Out):
    """One of my decisions: who decided what, when, with which score."""

    id: int
    merchant: str
    product: str
    product_label: str
    decided_at: datetime
    approved: bool
    score: int | None
    model_id: str | None
    catalogue_version: int | None = Field(
        default=None, description="version of the benefit catalogue the decision was made with"
    )
    notice: NoticeOut | None = Field(default=None, description="the adverse-action notice, when declined")


class ModelOut(_Out):
    model_id: str
    content_hash: str
    description: str
    active: bool
    created_at: datetime
    retired_at: datetime | None = Field(default=None, description="set when the model was retired")
    segments: list[str]
    test_auc: float | None = None
    problem: str | None = None  # why the service refuses to score with this model (edited, forged, refused)


class DistributionOut(_Out):
    model_id: str
    consumers: int
    bin_edges: list[int]
    counts: list[int]
    tiers: dict[str, int]


class OkOut(_Out):
    ok: bool = True


class CharacteristicUseOut(_Out):
    """One characteristic the consumer's score uses, as the consumer page lists it (issue 13)."""

    name: str
    family: str
    family_label: str
    description: str
