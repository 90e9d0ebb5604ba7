"""Consumer web pages: dashboard, my data, who looked and decisions about me (with printable adverse-action
notices), consents, disputes (forms carry a CSRF token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api import _format, _plots, _views
from lucidscore.api._errors import PageError
from lucidscore.api._pages import render
from lucidscore.api._shards import issuing_shard
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
            "widths": _views.bar_widths(steps),
            "history_plot": _plots.history([(h.as_of, h.score) for h in history]),
            "uses": _views.uses_out(db, record),
        }
    return render(request, "dashboard.html", context, auth=auth)


@router.get("/data")
def data_page(request: Request, auth: ConsumerPage, db: Db, settings: SettingsDep) -> Response:
    records = service.records_of(db, consumer_id(auth))
    tables = _views.record_tables(records, settings.currency)
    return render(request, "data.html", {"tables": tables}, auth=auth)


@router.get("/access")
def access_page(request: Request, auth: ConsumerPage, db: Db, state: State, catalogue: Catalogue) -> Response:
    context = {
        "rows": service.access_log_of(db, consumer_id(auth)),
        "decisions": _views.decisions_out(db, consumer_id(auth), catalogue.catalogue, state.contact),
        "products": {b.product: b.label for b in catalogue.catalogue.benefits},
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
        "products": {b.product: b.label for b in state.catalogues.current(db).catalogue.benefits},
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
            shard=issuing_shard(db),
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


_GROUP_TABLES = ("inquiries", "public_records", "income")


def _dispute_groups(records: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """Step 1 of contesting: what the dispute is about (your details, one account, or a group)."""
    groups = [("consumers", "Your details (identity, address)")]
    groups += [(f"account:{a['account_id']}", _views.account_title(a)) for a in records["accounts"]]
    groups += [(t, _format.table_label(t)) for t in _GROUP_TABLES if records.get(t)]
    return groups


def _dispute_records(
    records: dict[str, list[dict[str, Any]]], about: str, currency: str
) -> list[tuple[str, str]]:
    """Step 2: the records of the chosen account (the account itself, then each month) or group."""
    if about.startswith("account:"):
        account = about.removeprefix("account:")
        rows = [("accounts", a) for a in records["accounts"] if str(a["account_id"]) == account]
        rows += [("statements", s) for s in records["statements"] if str(s["account_id"]) == account]
    elif about in _GROUP_TABLES:
        rows = [(about, r) for r in records.get(about, [])]
    else:
        return []
    return [(f"{t}:{_views.record_key(t, r)}", _views.record_summary(t, r, currency)) for t, r in rows]


def _find_record(records: dict[str, list[dict[str, Any]]], record: str) -> tuple[str, dict[str, Any]] | None:
    table, _, key = record.partition(":")
    if table not in service.RECORD_KEYS:
        return None
    rows = records["consumer"] if table == "consumers" else records.get(table, [])
    found = next((r for r in rows if _views.record_key(table, r) == key), None)
    return (table, found) if found is not None else None


@router.get("/disputes")
def disputes_page(
    request: Request,
    auth: ConsumerPage,
    db: Db,
    settings: SettingsDep,
    about: Annotated[str | None, Query(max_length=120)] = None,
    record: Annotated[str | None, Query(max_length=250)] = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """Contesting in steps (each a plain form, no script): what it is about, which record, which field."""
    records = service.records_of(db, consumer_id(auth))
    currency = settings.currency
    accounts = {str(a["account_id"]): _views.account_title(a) for a in records["accounts"]}
    if about == "consumers":
        record = (
            f"consumers:{_views.record_key('consumers', records['consumer'][0])}"
            if records["consumer"]
            else None
        )
    chosen = _find_record(records, record) if record else None
    if record and chosen is None and error is None:
        error = "that record is not one of yours any more; choose again"
    step: dict[str, Any] = {}
    if chosen is not None:
        table, row = chosen
        step = {
            "record": record,
            "record_title": _views.record_title(table, _views.record_key(table, row), accounts),
            "fields": _views.disputable_fields(table),
            "values": [
                (label, _format.value_text(table, column, row.get(column), currency))
                for column, label in _views.disputable_fields(table)
            ],
        }
    elif about:
        step = {"about": about, "records": _dispute_records(records, about, currency)}
    disputes = [_views.dispute_out(db, d) for d in service.disputes_of(db, consumer_id(auth))]
    context = {
        "groups": _dispute_groups(records),
        "step": step,
        "disputes": [
            {
                "id": d.id,
                "title": _views.record_title(d.record_table, d.record_key, accounts),
                "reason": d.reason,
                "status": _views.status_label(d),
                "open": d.status == "open",
                "history": _views.dispute_history(d, currency),
            }
            for d in reversed(disputes)
        ],
        "error": error,
    }
    return render(request, "disputes.html", context, auth=auth, status_code=status_code)


@router.post("/disputes")
def contest_form(
    request: Request,
    auth: ConsumerForm,
    db: Db,
    settings: SettingsDep,
    record: Annotated[str, Form(max_length=250)],
    reason: Annotated[str, Form(max_length=2000)],
    field: Annotated[str, Form(max_length=40)] = "",
    should_be: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """File the dispute: the record, the field that is wrong, what is wrong (and what it should be)."""
    table, _, key = record.partition(":")
    fields = dict(_views.disputable_fields(table)) if table in service.RECORD_KEYS else {}
    problem = None
    if not fields:
        problem = "choose a record first"
    elif field not in fields:
        problem = "choose the field that is wrong"
    elif len(reason.strip()) < 3:
        problem = "say what is wrong (3 characters or more)"
    if problem is not None:
        return disputes_page(request, auth, db, settings, record=record, error=problem, status_code=422)
    text = f"{fields[field]}: {reason.strip()}"
    if should_be.strip():
        text += f" (should be: {should_be.strip()})"
    try:
        service.open_dispute(db, auth.user, table, key, text)
        db.commit()
    except PageError as exc:
        db.rollback()
        return disputes_page(request, auth, db, settings, record=record, error=str(exc), status_code=422)
    return RedirectResponse("/disputes", status_code=303)
