"""Build response models from stored rows, field by field (nothing internal can slip through)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.api.schemas import (
    AnalystDisputeOut,
    ConsentOut,
    DisputeEventOut,
    DisputeOut,
    FamilyOut,
    HistoryPointOut,
    ModelOut,
    ReasonOut,
    RecourseStepOut,
    ScoreOut,
)
from lucidscore.artifact import Change, Recourse
from lucidscore.errors import LucidError
from lucidscore.policy import ALL_FAMILIES, FAMILY_LABELS, UNUSED_FAMILY
from lucidscore.store.service import Consent, Dispute, ModelRecord, ScoreRecord


def _change_text(change: Change) -> str:
    gained = f"+{change.points_gained} points"
    return f"{change.description}: from {change.from_label} to {change.to_label} ({gained})"


def _recourse_note(recourse: Recourse) -> str | None:
    if recourse.changes and recourse.target_tier and recourse.new_score is not None:
        together = "Together these changes" if len(recourse.changes) > 1 else "This change"
        return (
            f"{together} would reach {recourse.target_tier} "
            f"(score {recourse.new_score}, needs {recourse.target_score})."
        )
    return recourse.note or None


def score_out(record: ScoreRecord) -> ScoreOut:
    explanation = service.stored_explanation(record)
    family_points = explanation.families if explanation is not None else {}
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
        ReasonOut(text=r.text, characteristic=r.characteristic, family=r.family, points_lost=r.points_lost)
        for r in service.stored_reasons(record)
    ]
    if explanation is None:
        recourse: list[RecourseStepOut] = []
        note: str | None = "a detailed breakdown is computed when your score is next refreshed"
    else:
        recourse = [RecourseStepOut(text=_change_text(c)) for c in explanation.recourse.changes]
        note = _recourse_note(explanation.recourse)
    return ScoreOut(
        score=record.score,
        tier=record.tier,
        probability=record.probability,
        model_id=record.model_id,
        segment=record.segment,
        as_of=record.as_of,
        scored_at=service.aware(record.scored_at),
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
            scored_at=service.aware(r.scored_at),
        )
        for r in records
    ]


def consent_out(session: Session, consents: Sequence[Consent]) -> list[ConsentOut]:
    names = service.user_names(session, {c.merchant_id for c in consents})
    return [
        ConsentOut(
            id=c.id,
            merchant=names.get(c.merchant_id, "?"),
            purpose=c.purpose,
            created_at=service.aware(c.created_at),
            expires_at=service.aware(c.expires_at),
            revoked_at=service.aware(c.revoked_at) if c.revoked_at else None,
            status=service.consent_status(c),
        )
        for c in consents
    ]


def dispute_out(session: Session, dispute: Dispute, *, analyst: bool = False) -> DisputeOut:
    events = [
        DisputeEventOut(at=service.aware(e.at).astimezone(UTC), action=e.action, detail=e.detail)
        for e in service.events_of(session, dispute)
    ]
    fields = {
        "id": dispute.id,
        "record_table": dispute.record_table,
        "record_key": dispute.record_key,
        "reason": dispute.reason,
        "status": dispute.status,
        "resolution": dispute.resolution,
        "created_at": service.aware(dispute.created_at),
        "resolved_at": service.aware(dispute.resolved_at) if dispute.resolved_at else None,
        "events": events,
    }
    if analyst:
        return AnalystDisputeOut(consumer_id=dispute.consumer_id, **fields)
    return DisputeOut(**fields)


def model_out(model: ModelRecord, key: service.ModelKey | None) -> ModelOut:
    """A registered model as analysts see it, from its validated artifact (or why it is refused)."""
    fields = {
        "model_id": model.model_id,
        "content_hash": model.content_hash,
        "description": model.description,
        "active": model.active,
        "created_at": service.aware(model.created_at),
        "retired_at": None if model.retired_at is None else service.aware(model.retired_at),
    }
    try:
        artifact = service.model_artifact(model, key)
    except LucidError as exc:
        return ModelOut(**fields, segments=[], problem=exc.message)
    auc = artifact.training.get("metrics", {}).get("test_auc")
    return ModelOut(
        **fields,
        segments=[s.name for s in artifact.segments],
        test_auc=float(auc) if isinstance(auc, int | float) else None,
    )
