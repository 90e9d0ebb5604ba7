"""Analyst endpoints under /v1/analyst: models, the dispute queue, score monitoring."""

from __future__ import annotations

import json
import logging
from typing import Literal

from fastapi import APIRouter

from lucidscore.api import _domain, _views
from lucidscore.api._errors import ERROR_RESPONSES, ApiError
from lucidscore.api.deps import AnalystAuth, AnalystWrite, AnyDispute, Db, State
from lucidscore.api.schemas import (
    AcceptDisputeIn,
    AnalystDisputeOut,
    DisputeOut,
    DistributionOut,
    ModelOut,
    RejectDisputeIn,
)
from lucidscore.store.service import Dispute, ModelRecord, User

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/analyst", tags=["analyst"], responses=ERROR_RESPONSES)


def model_out(model: ModelRecord) -> ModelOut:
    artifact = json.loads(model.artifact_json)
    segments = [str(s.get("name")) for s in artifact.get("segments", [])]
    training = artifact.get("training", {})
    auc = training.get("test_auc", (training.get("metrics") or {}).get("test_auc"))
    return ModelOut(
        model_id=model.model_id,
        content_hash=model.content_hash,
        description=model.description,
        active=model.active,
        created_at=_domain.aware(model.created_at),
        segments=segments,
        test_auc=float(auc) if isinstance(auc, int | float) else None,
    )


@router.get("/models", summary="Models the service can score with")
def list_models(auth: AnalystAuth, db: Db) -> list[ModelOut]:
    return [model_out(m) for m in _domain.models(db)]


def activate(db: Db, state: State, model_id: str) -> ModelRecord:
    """Make ``model_id`` the active model, scoring everyone with it first if it has no scores yet."""
    model = _domain.activate_model(db, model_id)
    if state.rescorer is not None and _domain.score_distribution(db, model_id)["consumers"] == 0:
        state.rescorer.score_everyone(db, model)
    db.commit()
    return model


@router.post("/models/{model_id}/activate", summary="Make a model the one every new decision uses")
def activate_model(model_id: str, auth: AnalystWrite, db: Db, state: State) -> ModelOut:
    return model_out(activate(db, state, model_id))


@router.get("/disputes", summary="The dispute queue")
def queue(
    auth: AnalystAuth, db: Db, status: Literal["open", "accepted", "rejected"] | None = "open"
) -> list[AnalystDisputeOut]:
    return [
        AnalystDisputeOut.model_validate(_views.dispute_out(db, d, analyst=True).model_dump())
        for d in _domain.disputes_of(db, status=status)
    ]


@router.get("/disputes/{dispute_id}", summary="One dispute with its audit trail")
def one_dispute(dispute: AnyDispute, db: Db) -> AnalystDisputeOut:
    return AnalystDisputeOut.model_validate(_views.dispute_out(db, dispute, analyst=True).model_dump())


def accept(db: Db, state: State, dispute: Dispute, analyst: User, body: AcceptDisputeIn) -> Dispute:
    """Correct the record (a new version in the store), rescore the consumer, keep the audit trail."""
    if dispute.status != "open":
        raise ApiError(409, f"dispute {dispute.id} is already {dispute.status}")
    rescorer = state.rescorer
    if body.corrections:
        if rescorer is None:
            raise ApiError(
                409, "this service cannot correct records (no rescorer configured)", field="corrections"
            )
        # The store writes the correction on its own connection: end this session's read snapshot first, or
        # SQLite refuses this session's later writes. The trail records the correction at once, in its own
        # commit, so it never loses a correction the store has made, whatever happens next.
        db.commit()
        row = rescorer.correct_record(
            dispute.record_table, dispute.record_key, dispute.consumer_id, body.corrections
        )
        _domain.add_event(db, dispute, analyst, "corrected", {"corrections": body.corrections, "record": row})
        db.commit()
    model = _domain.active_model(db)
    if rescorer is not None and model is not None and body.corrections:
        try:
            record = rescorer.rescore_consumer(db, dispute.consumer_id, model)
        except Exception as exc:  # the correction stands; say so, keep the dispute open for a retry
            db.rollback()
            logger.exception("rescoring consumer %s after dispute %s failed", dispute.consumer_id, dispute.id)
            raise ApiError(
                503,
                f"the record was corrected, but rescoring failed ({type(exc).__name__}); dispute "
                f"{dispute.id} stays open: accept it again to rescore",
            ) from None
        if record is not None:
            _domain.add_event(
                db,
                dispute,
                analyst,
                "rescored",
                {"model_id": model.model_id, "score": record.score, "tier": record.tier},
            )
    _domain.resolve_dispute(db, dispute, analyst, "accepted", body.note or "record corrected")
    db.commit()
    return dispute


@router.post("/disputes/{dispute_id}/accept", summary="Accept: correct the record and rescore")
def accept_dispute(
    body: AcceptDisputeIn, dispute: AnyDispute, auth: AnalystWrite, db: Db, state: State
) -> DisputeOut:
    accept(db, state, dispute, auth.user, body)
    return _views.dispute_out(db, dispute, analyst=True)


@router.post("/disputes/{dispute_id}/reject", summary="Reject with a reason")
def reject_dispute(body: RejectDisputeIn, dispute: AnyDispute, auth: AnalystWrite, db: Db) -> DisputeOut:
    _domain.resolve_dispute(db, dispute, auth.user, "rejected", body.reason)
    db.commit()
    return _views.dispute_out(db, dispute, analyst=True)


@router.get("/monitoring/distribution", summary="Distribution of current scores of the active model")
def distribution(auth: AnalystAuth, db: Db) -> DistributionOut:
    model = _domain.active_model(db)
    if model is None:
        raise ApiError(404, "no active model; activate one with POST /v1/analyst/models/{model_id}/activate")
    return DistributionOut(**_domain.score_distribution(db, model.model_id))
