"""Build response models from stored rows, field by field (nothing internal can slip through)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from sqlalchemy.orm import Session

from lucidscore.api import _domain
from lucidscore.api.schemas import (
    AnalystDisputeOut,
    ConsentOut,
    DisputeEventOut,
    DisputeOut,
    FamilyOut,
    HistoryPointOut,
    ReasonOut,
    RecourseStepOut,
    ScoreOut,
)
from lucidscore.policy import ALL_FAMILIES, FAMILY_LABELS, UNUSED_FAMILY
from lucidscore.store.service import Consent, Dispute, ScoreRecord


def score_out(record: ScoreRecord) -> ScoreOut:
    explanation = record.explanation or {}
    family_points = explanation.get("families") or {}
    families = [
        FamilyOut(
            family=f,
            label=FAMILY_LABELS[f],
            points=None if f == UNUSED_FAMILY else family_points.get(f),
            used=f != UNUSED_FAMILY,
        )
        for f in ALL_FAMILIES
    ]
    reasons = [
        ReasonOut(
            text=str(r.get("text", "")),
            characteristic=r.get("characteristic"),
            family=r.get("family"),
            points_lost=r.get("points_lost"),
        )
        for r in record.reasons
        if isinstance(r, dict)
    ]
    recourse = [RecourseStepOut(text=str(s.get("text", ""))) for s in explanation.get("recourse") or []]
    note = explanation.get("recourse_note")
    if not explanation:
        note = "a detailed breakdown is computed when your score is next refreshed"
    return ScoreOut(
        score=record.score,
        tier=record.tier,
        probability=record.probability,
        model_id=record.model_id,
        segment=record.segment,
        as_of=record.as_of,
        scored_at=_domain.aware(record.scored_at),
        families=families,
        reasons=reasons,
        recourse=recourse,
        recourse_note=note,
    )


def history_out(records: Sequence[ScoreRecord]) -> list[HistoryPointOut]:
    return [
        HistoryPointOut(
            as_of=r.as_of,
            score=r.score,
            tier=r.tier,
            model_id=r.model_id,
            scored_at=_domain.aware(r.scored_at),
        )
        for r in records
    ]


def consent_out(session: Session, consents: Sequence[Consent]) -> list[ConsentOut]:
    names = _domain.user_names(session, {c.merchant_id for c in consents})
    return [
        ConsentOut(
            id=c.id,
            merchant=names.get(c.merchant_id, "?"),
            purpose=c.purpose,
            created_at=_domain.aware(c.created_at),
            expires_at=_domain.aware(c.expires_at),
            revoked_at=_domain.aware(c.revoked_at) if c.revoked_at else None,
            status=_domain.consent_status(c),
        )
        for c in consents
    ]


def dispute_out(session: Session, dispute: Dispute, *, analyst: bool = False) -> DisputeOut:
    events = [
        DisputeEventOut(at=_domain.aware(e.at).astimezone(UTC), action=e.action, detail=e.detail)
        for e in _domain.events_of(session, dispute)
    ]
    fields = {
        "id": dispute.id,
        "record_table": dispute.record_table,
        "record_key": dispute.record_key,
        "reason": dispute.reason,
        "status": dispute.status,
        "resolution": dispute.resolution,
        "created_at": _domain.aware(dispute.created_at),
        "resolved_at": _domain.aware(dispute.resolved_at) if dispute.resolved_at else None,
        "events": events,
    }
    if analyst:
        return AnalystDisputeOut(consumer_id=dispute.consumer_id, **fields)
    return DisputeOut(**fields)
