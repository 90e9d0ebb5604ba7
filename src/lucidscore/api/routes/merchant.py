"""Merchant decisions: POST /v1/decisions with an API key and a consent token; the merchant demo page."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request, Response
from fastapi.responses import HTMLResponse

from lucidscore import service
from lucidscore.api import _views
from lucidscore.api._errors import ERROR_RESPONSES, ApiError, PageError, status_for
from lucidscore.api._pages import render
from lucidscore.api._shards import to_secrets_shard
from lucidscore.api.deps import Catalogue, Db, MaybeSignedIn, OneHopRoute, State, guess, merchant_for_key
from lucidscore.api.schemas import DecisionIn, DecisionOut


def _lock(state: State) -> AbstractContextManager[Any] | None:
    return state.write_lock if state.serialise_writes else None


router = APIRouter(tags=["merchant"], responses=ERROR_RESPONSES, route_class=OneHopRoute)


def _decide(
    state: State,
    request: Request,
    db: Db,
    merchant: service.MerchantRef | None,
    token: str,
    product: str,
    catalogue: service.CurrentCatalogue,
) -> dict[str, Any]:
    """The decision; unknown consent tokens are counted per client and merchant (429 when guessing).
    Without a merchant (an OAuth bearer token alone), the consent names the merchant."""
    # Per merchant only when the merchant is known (its API key): a bearer alone names nobody, and one shared
    # key would let anyone's wrong tokens slow every merchant's bearer calls.
    attempt = guess(state, request, *([("consent-token", merchant.id)] if merchant else []))
    try:
        outcome = service.decide(db, merchant, token, product, catalogue, _lock(state), state.contact)
    except service.UnknownSecret:
        attempt.failed()
        raise
    attempt.succeeded()
    return outcome


def to_consumers_shard(db: Db, state: State, token: str) -> None:
    """A service over several shards: the request's session on the shard holding the consent (its
    consumer's): the one the token's mark names, with no lookup; a token without a mark is looked for
    shard by shard, and on shard 0 when no shard has it. The decision then finds the token by its digest
    there or refuses it as unknown (a changed mark included)."""
    to_secrets_shard(db, state.shards, token, lambda s: service.holds_consent(s, token))


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "send 'Authorization: Bearer <consent token>'", field="Authorization")
    return value.strip()


@router.post("/v1/decisions", summary="Decide a product for a consumer who granted a consent")
def decision(
    body: DecisionIn,
    request: Request,
    db: Db,
    state: State,
    x_api_key: Annotated[str | None, Header(description="the merchant's API key")] = None,
    authorization: Annotated[
        str | None, Header(description="'Bearer <consent token>' from /oauth/token (instead of the body's)")
    ] = None,
) -> DecisionOut:
    """Score, tier and the benefit decision. When declined: the principal reasons (reason codes and
    adverse-action statements, never the applicant's data) and the adverse-action notice to send to the
    applicant. Every call is logged (with the benefit catalogue version it was made with) and shown to the
    consumer. 403 without a valid consent for this merchant and product.

    Either `X-API-Key` with `consent_token` in the body (a token the consumer gave you), or the access
    token from `/oauth/token` as `Authorization: Bearer lct_...` (the API key is then optional; the
    body's `consent_token`, when given, is the one used). A consent
    from OAuth allows a number of decisions (one by default); then 403."""
    # The body's token first, so that existing clients, whatever Authorization header they send, work as
    # before; the bearer only when the body has none.
    bearer = None if body.consent_token is not None else _bearer(authorization)
    if not x_api_key and bearer is None:
        raise ApiError(401, "send the merchant API key in the X-API-Key header", field="X-API-Key")
    token = body.consent_token if body.consent_token is not None else bearer
    if token is None:
        raise ApiError(
            422,
            "field consent_token: Field required (or the OAuth access token as 'Authorization: Bearer')",
            field="consent_token",
        )
    to_consumers_shard(db, state, token)
    # The catalogue's version is read in the decision's own transaction, not by a dependency in a thread
    # hop and transaction of its own: one connection checkout per decision (issue 11, latency).
    catalogue = state.catalogues.current(db)
    merchant = merchant_for_key(state, request, db, x_api_key) if x_api_key else None
    return _views.decision_out(_decide(state, request, db, merchant, token, body.product, catalogue))


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
        to_consumers_shard(db, state, consent_token.strip())
        merchant = merchant_for_key(state, request, db, api_key.strip())
        result = _decide(state, request, db, merchant, consent_token.strip(), product, catalogue)
        context["decision"] = _views.decision_out(result)
    except PageError as exc:
        status = status_for(exc)
        context["error"] = f"{status}: {exc}"
    return render(request, "merchant.html", context, auth=auth, status_code=status)
