"""Consumer web pages: dashboard, my data, who looked and decisions about me (with printable adverse-action
notices), consents, disputes (forms carry a CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api import _plots, _views
from lucidscore.api._errors import PageError
from lucidscore.api._pages import render
from lucidscore.api.deps import (
    Catalogue,
    ConsentId,
    ConsumerForm,
    ConsumerPage,
    Db,
    DecisionId,
    OneHopRoute,
    SettingsDep,
    State,
    consumer_id,
    find_own_consent,
)

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse, route_class=OneHopRoute)


@router.get("/dashboard")
def dashboard(request: Request, auth: ConsumerPage, db: Db) -> Response:
    record = service.current_score(db, consumer_id(auth))
    context: dict[str, object] = {"score": None}
    if record is not None:
        score = _views.score_out(record)
        history = service.score_history(db, consumer_id(auth))
        steps = _views.waterfall_steps(score)
        context = {
            "score": score,
            "steps": steps,
            "gauge": _plots.gauge(score.score, score.tier),
            "waterfall": _plots.waterfall(steps) if steps else "",
            "history_plot": _plots.history([(h.as_of, h.score) for h in history]),
            "uses": _views.uses_out(db, record),
        }
    return render(request, "dashboard.html", context, auth=auth)


@router.get("/data")
def data_page(request: Request, auth: ConsumerPage, db: Db) -> Response:
    return render(request, "data.html", {"records": service.records_of(db, consumer_id(auth))}, auth=auth)


@router.get("/access")
def access_page(request: Request, auth: ConsumerPage, db: Db, state: State, catalogue: Catalogue) -> Response:
    context = {
        "rows": service.access_log_of(db, consumer_id(auth)),
        "decisions": _views.decisions_out(db, consumer_id(auth), catalogue.catalogue, state.contact),
    }
    return render(request, "access.html", context, auth=auth)


@router.get("/decisions/{decision_id}/notice")
def notice_page(
    request: Request, decision_id: DecisionId, auth: ConsumerPage, db: Db, state: State, catalogue: Catalogue
) -> Response:
    """One declined decision's adverse-action notice, laid out to print."""
    notice = service.decision_notice(db, consumer_id(auth), decision_id, catalogue.catalogue, state.contact)
    return render(request, "notice.html", {"notice": _views.notice_out(notice)}, auth=auth)


def _consents_context(db: Db, state: State, consumer_id: str) -> dict[str, object]:
    return {
        "consents": _views.consent_out(db, service.consents_of(db, consumer_id)),
        "merchants": service.merchants(db),
        "catalogue": state.catalogues.current(db).catalogue,
        "max_days": state.settings.consent_max_days,
    }


@router.get("/consents")
def consents_page(request: Request, auth: ConsumerPage, db: Db, state: State) -> Response:
    return render(request, "consents.html", _consents_context(db, state, consumer_id(auth)), auth=auth)


@router.post("/consents")
def grant_form(
    request: Request,
    auth: ConsumerForm,
    db: Db,
    state: State,
    settings: SettingsDep,
    merchant: Annotated[str, Form(max_length=64)],
    purpose: Annotated[str, Form(max_length=40)],
    days: Annotated[int, Form(ge=1, le=3650)] = 30,
) -> Response:
    extra: dict[str, object] = {}
    try:
        consent, token = service.grant_consent(
            db,
            consumer_id(auth),
            merchant,
            purpose,
            days,
            state.catalogues.current(db).catalogue,
            settings.consent_max_days,
        )
        db.commit()
        extra = {
            "new_token": token,
            "new_merchant": service.user_names(db, {consent.merchant_id})[consent.merchant_id],
        }
    except PageError as exc:
        db.rollback()
        extra = {"error": str(exc)}
    context = _consents_context(db, state, consumer_id(auth)) | extra
    return render(request, "consents.html", context, auth=auth, status_code=422 if "error" in extra else 200)


@router.post("/consents/{consent_id}/revoke")
def revoke_form(
    consent_id: ConsentId,
    auth: ConsumerForm,
    db: Db,
) -> Response:
    consent = find_own_consent(db, consumer_id(auth), consent_id)
    service.revoke_consent(db, consent)
    db.commit()
    return RedirectResponse("/consents", status_code=303)


def _dispute_choices(records: dict[str, list[dict[str, object]]]) -> list[tuple[str, str]]:
    choices = []
    for table, columns in service.RECORD_KEYS.items():
        source = records["consumer"] if table == "consumers" else records.get(table, [])
        for row in source[:300]:
            key = "|".join(str(row.get(c)) for c in columns)
            label_bits = [f"{k}={v}" for k, v in row.items() if k not in columns and k != "reported_at"][:3]
            choices.append((f"{table}:{key}", f"{table} {key} ({', '.join(label_bits)})"))
    return choices


@router.get("/disputes")
def disputes_page(request: Request, auth: ConsumerPage, db: Db, error: str | None = None) -> Response:
    records = service.records_of(db, consumer_id(auth))
    context = {
        "choices": _dispute_choices(records),
        "disputes": [_views.dispute_out(db, d) for d in service.disputes_of(db, consumer_id(auth))],
        "error": error,
    }
    return render(request, "disputes.html", context, auth=auth)


@router.post("/disputes")
def contest_form(
    request: Request,
    auth: ConsumerForm,
    db: Db,
    record: Annotated[str, Form(max_length=250)],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    table, _, key = record.partition(":")
    if table not in service.RECORD_KEYS or len(reason.strip()) < 3:
        return disputes_page(
            request, auth, db, error="choose a record and say what is wrong (3 characters or more)"
        )
    try:
        service.open_dispute(db, auth.user, table, key, reason.strip())
        db.commit()
    except PageError as exc:
        db.rollback()
        return disputes_page(request, auth, db, error=str(exc))
    return RedirectResponse("/disputes", status_code=303)
