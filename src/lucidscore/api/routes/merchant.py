"""Merchant decisions: POST /v1/decisions with an API key and a consent token; the merchant demo page."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from lucidscore import service
from lucidscore.api import _views
from lucidscore.api._errors import ERROR_RESPONSES, PageError, status_for
from lucidscore.api._pages import render
from lucidscore.api.deps import (
    Catalogue,
    Db,
    MaybeSignedIn,
    MerchantUser,
    OneHopRoute,
    State,
    guess,
    merchant_for_key,
)
from lucidscore.api.schemas import DecisionIn, DecisionOut


def _lock(state: State) -> AbstractContextManager[Any] | None:
    return state.write_lock if state.serialise_writes else None


router = APIRouter(tags=["merchant"], responses=ERROR_RESPONSES, route_class=OneHopRoute)


def _decide(
    state: State,
    request: Request,
    db: Db,
    merchant: service.MerchantRef,
    token: str,
    product: str,
    catalogue: service.CurrentCatalogue,
) -> dict[str, Any]:
    """The decision; unknown consent tokens are counted per client and merchant (429 when guessing)."""
    attempt = guess(state, request, ("consent-token", merchant.id))
    try:
        outcome = service.decide(db, merchant, token, product, catalogue, _lock(state), state.contact)
    except service.UnknownSecret:
        attempt.failed()
        raise
    attempt.succeeded()
    return outcome


@router.post("/v1/decisions", summary="Decide a product for a consumer who granted a consent")
def decision(
    body: DecisionIn, request: Request, merchant: MerchantUser, db: Db, state: State, catalogue: Catalogue
) -> DecisionOut:
    """Score, tier and the benefit decision. When declined: the principal reasons (reason codes and
    adverse-action statements, never the applicant's data) and the adverse-action notice to send to the
    applicant. Every call is logged (with the benefit catalogue version it was made with) and shown to the
    consumer. 403 without a valid consent for this merchant and product."""
    result = _decide(state, request, db, merchant, body.consent_token, body.product, catalogue)
    return _views.decision_out(result)


@router.get("/merchant", include_in_schema=False, response_class=HTMLResponse)
def merchant_page(request: Request, auth: MaybeSignedIn, catalogue: Catalogue) -> Response:
    return render(request, "merchant.html", {"catalogue": catalogue.catalogue}, auth=auth)


@router.post("/merchant", include_in_schema=False, response_class=HTMLResponse)
def merchant_form(
    request: Request,
    auth: MaybeSignedIn,
    db: Db,
    state: State,
    catalogue: Catalogue,
    api_key: Annotated[str, Form(max_length=200)],
    consent_token: Annotated[str, Form(max_length=200)],
    product: Annotated[str, Form(max_length=40)],
) -> Response:
    context: dict[str, object] = {"catalogue": catalogue.catalogue}
    status = 200
    try:
        merchant = merchant_for_key(state, request, db, api_key.strip())
        result = _decide(state, request, db, merchant, consent_token.strip(), product, catalogue)
        context["decision"] = _views.decision_out(result)
    except PageError as exc:
        status = status_for(exc)
        context["error"] = f"{status}: {exc}"
    return render(request, "merchant.html", context, auth=auth, status_code=status)
