"""Analyst web pages: models (activate), score distribution plot, dispute queue (accept / reject)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api import _plots, _views
from lucidscore.api._errors import ApiError, PageError
from lucidscore.api._pages import render
from lucidscore.api._shards import merged_disputes
from lucidscore.api.deps import (
    AnalystForm,
    AnalystPage,
    Db,
    DisputeId,
    OneHopRoute,
    State,
    distribution_of,
    find_dispute,
    refuse_sharded_activation,
)
from lucidscore.api.schemas import AcceptDisputeIn, AnalystDisputeOut, DisputeOut

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse, route_class=OneHopRoute)


@router.get("/analyst")
def models_page(request: Request, auth: AnalystPage, db: Db, state: State) -> Response:
    model = service.active_model(db)
    dist = distribution_of(db, state, model.model_id) if model else None
    context = {
        "models": [_views.model_out(m, state.model_key) for m in service.models(db)],
        "dist": dist,
        "plot": _plots.distribution(dist["bin_edges"], dist["counts"]) if dist else "",
    }
    return render(request, "analyst.html", context, auth=auth)


@router.post("/analyst/models/{model_id}/activate")
def activate_form(
    model_id: str,
    auth: AnalystForm,
    db: Db,
    state: State,
) -> Response:
    refuse_sharded_activation(state, model_id)
    service.activate(db, state.rescorer, model_id, state.model_key)
    return RedirectResponse("/analyst", status_code=303)


@router.get("/analyst/disputes")
def queue_page(
    request: Request, auth: AnalystPage, db: Db, state: State, error: str | None = None
) -> Response:
    currency = state.settings.currency
    disputes = merged_disputes(
        db,
        state.shards,
        lambda s, d: _views.dispute_out(s, d, analyst=True),
        status=None,
        limit=None,
        offset=0,
    )
    disputes.sort(key=lambda d: (d.status != "open", -d.id))
    rows = [
        {
            "id": d.id,
            "consumer_id": getattr(d, "consumer_id", ""),
            "title": _views.record_title(d.record_table, d.record_key),
            "record_table": d.record_table,
            "record_key": d.record_key,
            "reason": d.reason,
            "open": d.status == "open",
            "in_review": any(e.action == service.REVIEW_STARTED for e in d.events),
            "accepting": _accepting(d),
            "status": _views.status_label(d),
            "resolution": d.resolution,
            "fields": _views.disputable_fields(d.record_table),
            "history": _views.dispute_history(d, currency),
        }
        for d in disputes
    ]
    return render(request, "analyst_disputes.html", {"disputes": rows, "error": error}, auth=auth)


def _accepting(d: DisputeOut) -> dict[str, str] | None:
    """Who is accepting the dispute since when (for the queue), or None when no accept is in progress."""
    if not isinstance(d, AnalystDisputeOut) or d.accepting_since is None:
        return None
    return {"by": d.accepting_by or "another analyst", "since": f"{d.accepting_since:%Y-%m-%d %H:%M:%S} UTC"}


def _parse_corrections(text: str) -> dict[str, str | float | int | bool | None]:
    out: dict[str, str | float | int | bool | None] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        column, sep, value = line.partition("=")
        if not sep or not column.strip():
            raise ApiError(422, f"correction {line.strip()!r}: expected column=value", field="corrections")
        out[column.strip()] = value.strip()
    return out


@router.post("/analyst/disputes/{dispute_id}/review")
def review_form(dispute_id: DisputeId, auth: AnalystForm, db: Db, state: State) -> Response:
    service.start_review(db, find_dispute(db, state, dispute_id), auth.user)
    db.commit()
    return RedirectResponse(f"/analyst/disputes#dispute-{dispute_id}", status_code=303)


@router.post("/analyst/disputes/{dispute_id}/accept")
def accept_form(
    request: Request,
    dispute_id: DisputeId,
    auth: AnalystForm,
    db: Db,
    state: State,
    corrections: Annotated[str, Form(max_length=4000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    dispute = find_dispute(db, state, dispute_id)
    try:
        body = AcceptDisputeIn(corrections=_parse_corrections(corrections), note=note)
        service.accept_dispute(
            db, state.rescorer_for(db), dispute, auth.user, body.corrections, body.note, state.model_key
        )
    except PageError as exc:
        db.rollback()
        return queue_page(request, auth, db, state, error=str(exc))
    return RedirectResponse("/analyst/disputes", status_code=303)


@router.post("/analyst/disputes/{dispute_id}/reject")
def reject_form(
    dispute_id: DisputeId,
    auth: AnalystForm,
    db: Db,
    state: State,
    reason: Annotated[str, Form(min_length=3, max_length=2000)],
) -> Response:
    dispute = find_dispute(db, state, dispute_id)
    service.resolve_dispute(db, dispute, auth.user, "rejected", reason)
    db.commit()
    return RedirectResponse("/analyst/disputes", status_code=303)
