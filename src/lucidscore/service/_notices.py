"""The adverse-action notice of a declined decision, in lucidscore's own words.

Modelled on what a notice of adverse action must carry in the US (Regulation B, 12 CFR 1002.9 and its
model form C-1; FCRA section 615(a) when a credit score was used) and on the EU Consumer Credit Directive
2023/2225, Art. 18 (an explanation of an automated assessment, the right to human review, to express one's
point of view and to contest the decision): the decision and the product, the principal reasons (the
merchant's adverse-action statements: no personal values), the score with its range and date, the model
that produced it, the key factors, the consumer's rights (a free copy of their data, how to dispute, how to
ask for a person to review the decision) and whom to contact. A lender could send it as it is.

The merchant gets it in the decision response; the consumer sees it under "decisions about me" and as a
printable page, rebuilt from the append-only access log and score history (``service.decision_notice``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from lucidscore.artifact import MAX_PRINCIPAL_REASONS, MAX_SCORE, MIN_SCORE, Reason


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoticeReason(_Frozen):
    """A reason as a notice states it: the stable code and the adverse-action statement."""

    code: str
    statement: str


class ScoreDisclosure(_Frozen):
    """The credit score used in the decision and what it rests on (FCRA section 615(a)(2))."""

    score: int
    lowest_possible: int = MIN_SCORE
    highest_possible: int = MAX_SCORE
    tier: str
    scored_on: date  # the date the score was created
    as_of: date  # the records it was computed from were dated on or before this day
    model_id: str
    provider: str = "lucidscore"
    key_factors: list[NoticeReason]  # what lowered the score most, largest first (up to 4, 5 with inquiries)


class ConsumerRight(_Frozen):
    title: str
    text: str


class NoticeContact(_Frozen):
    """Whom the consumer contacts about the score, their data, a dispute or a review."""

    name: str = "lucidscore consumer help"
    email: str = "help@lucidscore.invalid"
    address: str = ""


class AdverseActionNotice(_Frozen):
    """Everything a declined applicant must be told, as structured data (rendered as a printable page)."""

    title: str = "Notice of action taken on your application"
    decision: Literal["declined"] = "declined"
    merchant: str
    product: str
    product_label: str
    decided_at: datetime
    summary: str
    principal_reasons: list[NoticeReason]
    score: ScoreDisclosure
    rights: list[ConsumerRight]
    contact: NoticeContact
    decision_made_by: str


def notice_reasons(reasons: Sequence[Reason]) -> list[NoticeReason]:
    """Stored reasons as a notice (or a merchant) may state them: code and statement, no personal values."""
    return [NoticeReason(code=r.reason_code, statement=r.merchant_statement) for r in reasons]


def _rights(contact: NoticeContact) -> list[ConsumerRight]:
    where = f"{contact.name} ({contact.email})" if contact.email else contact.name
    return [
        ConsumerRight(
            title="A free copy of your data",
            text="You may have, free of charge, a copy of every record lucidscore holds about you and used "
            "for this score. Ask within 60 days of this notice, or see it at any time under 'My data' in "
            f"your lucidscore account, or ask {where}.",
        ),
        ConsumerRight(
            title="Disputing what is wrong",
            text="If any record is inaccurate or incomplete, you may dispute it, free of charge, under "
            f"'Disputes' in your lucidscore account or by writing to {where}. It is investigated; a record "
            "found wrong is corrected and your score is computed again.",
        ),
        ConsumerRight(
            title="A person to review the decision",
            text="This decision was made automatically from your score. You may ask for a person to "
            "review it, to give your point of view, and to have the assessment and its outcome explained to "
            "you. Ask the merchant who made the decision, or ask lucidscore to pass your request on.",
        ),
        ConsumerRight(
            title="Equal treatment",
            text="Lenders may not refuse or treat an applicant less well because of race, colour, religion, "
            "national origin, sex, marital status or age (when old enough to contract), because the "
            "applicant's income comes from public assistance, or because the applicant has used a "
            "consumer-credit right in good faith. lucidscore's score uses none of these.",
        ),
    ]


def adverse_action_notice(
    *,
    merchant: str,
    product: str,
    product_label: str,
    decided_at: datetime,
    score: int,
    tier: str,
    scored_at: datetime,
    as_of: date,
    model_id: str,
    reasons: Sequence[Reason],
    contact: NoticeContact | None = None,
) -> AdverseActionNotice:
    """The notice of one declined decision (``reasons``: the score's stored reasons, largest loss first)."""
    who = contact or NoticeContact()
    factors = notice_reasons(reasons)
    return AdverseActionNotice(
        merchant=merchant,
        product=product,
        product_label=product_label,
        decided_at=decided_at,
        summary=(
            f"{merchant} has declined your application for {product_label} of {decided_at:%d %B %Y}. "
            f"The decision was based on your lucidscore credit score of {score} (on a scale from {MIN_SCORE} "
            f"to {MAX_SCORE}), which did not reach the minimum {merchant} set for this product."
        ),
        principal_reasons=factors[:MAX_PRINCIPAL_REASONS],
        score=ScoreDisclosure(
            score=score,
            tier=tier,
            scored_on=scored_at.date(),
            as_of=as_of,
            model_id=model_id,
            key_factors=factors,
        ),
        rights=_rights(who),
        contact=who,
        decision_made_by=(
            f"{merchant} made this decision. lucidscore provided the score and its reasons, did not make the "
            "decision and cannot say why the merchant set the minimum it did."
        ),
    )
