"""Analyst endpoints under /v1/analyst: models, the dispute queue, score monitoring."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter

from lucidscore import service
from lucidscore.api import _views
from lucidscore.api._errors import ERROR_RESPONSES, ApiError
from lucidscore.api._shards import merged_disputes
from lucidscore.api.deps import (
    AnalystAuth,
    AnalystWrite,
    AnyDispute,
    Db,
    OneHopRoute,
    Page,
    State,
    distribution_of,
    refuse_sharded_activation,
)
from lucidscore.api.schemas import (
    AcceptDisputeIn,
    AnalystDisputeOut,
    DisputeOut,
    DistributionOut,
    ModelOut,
    RejectDisputeIn,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/analyst", tags=["analyst"], responses=ERROR_RESPONSES, route_class=OneHopRoute)


@router.get("/models", summary="Models the service can score with")
def list_models(auth: AnalystAuth, db: Db, state: State) -> list[ModelOut]:
    return [_views.model_out(m, state.model_key) for m in service.models(db)]


@router.post("/models/{model_id}/activate", summary="Make a model the one every new decision uses")
def activate_model(model_id: str, auth: AnalystWrite, db: Db, state: State) -> ModelOut:
    """Activate a registered model (scoring everyone with it first if it has no scores). A service over
    several shards refuses (409): the model is activated in every shard by ``lucidscore model activate
    MODEL --shards MAP``."""
    refuse_sharded_activation(state, model_id)
    return _views.model_out(service.activate(db, state.rescorer, model_id, state.model_key), state.model_key)


@router.get("/disputes", summary="The dispute queue")
def queue(
    auth: AnalystAuth,
    db: Db,
    state: State,
    page: Page,
    status: Literal["open", "accepted", "rejected"] | None = "open",
) -> list[AnalystDisputeOut]:
    """Disputes, oldest first (of every shard when the service serves several)."""
    return merged_disputes(
        db,
        state.shards,
        lambda s, d: AnalystDisputeOut.model_validate(_views.dispute_out(s, d, analyst=True).model_dump()),
        status=status,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/disputes/{dispute_id}", summary="One dispute with its audit trail")
def one_dispute(dispute: AnyDispute, db: Db) -> AnalystDisputeOut:
    return AnalystDisputeOut.model_validate(_views.dispute_out(db, dispute, analyst=True).model_dump())


@router.post("/disputes/{dispute_id}/review", summary="Start the review: the consumer sees 'Under review'")
def review_dispute(dispute: AnyDispute, auth: AnalystWrite, db: Db) -> AnalystDisputeOut:
    """Record that an analyst took the dispute up (once; a second call changes nothing). Accepting or
    rejecting a dispute not yet under review records this step first."""
    service.start_review(db, dispute, auth.user)
    db.commit()
    return AnalystDisputeOut.model_validate(_views.dispute_out(db, dispute, analyst=True).model_dump())


@router.post("/disputes/{dispute_id}/accept", summary="Accept: correct the record and rescore")
def accept_dispute(
    body: AcceptDisputeIn, dispute: AnyDispute, auth: AnalystWrite, db: Db, state: State
) -> DisputeOut:
    service.accept_dispute(
        db, state.rescorer_for(db), dispute, auth.user, body.corrections, body.note, state.model_key
    )
    return _views.dispute_out(db, dispute, analyst=True)


@router.post("/disputes/{dispute_id}/reject", summary="Reject with a reason")
def reject_dispute(body: RejectDisputeIn, dispute: AnyDispute, auth: AnalystWrite, db: Db) -> DisputeOut:
    service.resolve_dispute(db, dispute, auth.user, "rejected", body.reason)
    db.commit()
    return _views.dispute_out(db, dispute, analyst=True)


@router.get("/monitoring/distribution", summary="Distribution of current scores of the active model")
def distribution(auth: AnalystAuth, db: Db, state: State) -> DistributionOut:
    model = service.active_model(db)
    if model is None:
        raise ApiError(404, "no active model; activate one with POST /v1/analyst/models/{model_id}/activate")
    return DistributionOut(**distribution_of(db, state, model.model_id))
