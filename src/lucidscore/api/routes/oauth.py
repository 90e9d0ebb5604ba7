"""OAuth 2.0 for merchants (issue 12): the consumer's consent page (``/oauth/authorize``), the token
endpoint (``/oauth/token``) and token revocation (``/oauth/revoke``, RFC 7009). The protocol is Authlib's
(``api._oauth``); docs/oauth.md walks a merchant's developer through it.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api._errors import ApiError
from lucidscore.api._headers import content_security_policy
from lucidscore.api._oauth import Server, StarletteOAuth2Request
from lucidscore.api._pages import render
from lucidscore.api._shards import to_secrets_shard
from lucidscore.api.deps import Auth, Db, MaybeSignedIn, OneHopRoute, State, check_csrf, guess

router = APIRouter(tags=["oauth"], route_class=OneHopRoute)


def _form_body(fields: dict[str, str], required: list[str]) -> dict[str, Any]:
    """OpenAPI for a form-encoded body (the endpoints read the form themselves, as OAuth defines it)."""
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


_OAUTH_ERROR = {
    "description": "RFC 6749 section 5.2 error",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
                "required": ["error"],
            }
        }
    },
}
_CLIENT_AUTH = {
    "client_id": "the merchant's username, unless sent with HTTP Basic",
    "client_secret": "one of the merchant's API keys, unless sent with HTTP Basic",
}
TOKEN_OPENAPI: dict[str, Any] = {
    "requestBody": _form_body(
        {
            "grant_type": "authorization_code",
            "code": "the code from the redirect",
            "redirect_uri": "the redirect_uri of the authorization request",
            "code_verifier": "the PKCE verifier behind the code_challenge",
            **_CLIENT_AUTH,
        },
        ["grant_type"],
    ),
    "responses": {
        "200": {
            "description": "the consent token",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string"},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                            "decisions": {"type": "integer"},
                        },
                        "required": ["access_token", "token_type", "expires_in", "scope"],
                    }
                }
            },
        },
        "400": _OAUTH_ERROR,
        "401": _OAUTH_ERROR,
    },
}
REVOKE_OPENAPI: dict[str, Any] = {
    "requestBody": _form_body(
        {"token": "the consent token", "token_type_hint": "access_token", **_CLIENT_AUTH}, ["token"]
    ),
    "responses": {
        "200": {"description": "revoked, or no such token", "content": {"application/json": {"schema": {}}}},
        "400": _OAUTH_ERROR,
        "401": _OAUTH_ERROR,
    },
}

# What the merchant sees with a consent: shown to the consumer before they approve.
MERCHANT_SEES = (
    "your score",
    "your tier",
    "the decision (approved or not)",
    "the principal reasons when not",
)


OWN_FIELDS = ("csrf_token", "decision")  # the consent form's own fields, never taken from the request


async def _form(request: Request) -> list[tuple[str, str]]:
    """The form fields of the request (parsed once by Starlette; files are ignored)."""
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


FormItems = Annotated[list[tuple[str, str]], Depends(_form)]


def _error_page(request: Request, auth: Auth | None, status: int, error: str, description: str) -> Response:
    context = {"error_code": error, "description": description}
    return render(request, "oauth_error.html", context, auth=auth, status_code=status)


def _refusal(request: Request, server: Server, error: OAuth2Error, auth: Auth | None) -> Response:
    """An authorization request refused: back to the client when its redirect URI is known and valid (with
    ``error`` and ``state``), otherwise an error page here (RFC 6749 section 4.1.2.1)."""
    if error.redirect_uri:
        response: Response = server.handle_response(*error())
        return response
    return _error_page(request, auth, 400, error.error or "invalid_request", error.description or "")


def _oauth_request(request: Request, form: list[tuple[str, str]]) -> StarletteOAuth2Request:
    return StarletteOAuth2Request(request, form)


@router.get("/oauth/authorize", include_in_schema=False, response_class=HTMLResponse)
def authorize_page(request: Request, auth: MaybeSignedIn, db: Db, state: State) -> Response:
    """Check the merchant's request; then (signed in as a consumer) show who asks, for what, how long."""
    server = Server(db, state)
    try:
        grant = server.get_consent_grant(_oauth_request(request, []), end_user=None)
    except OAuth2Error as error:
        return _refusal(request, server, error, auth)
    if auth is None:
        here = request.url.path + "?" + request.url.query
        return RedirectResponse("/signin?" + urlencode({"next": here}), status_code=303)
    if auth.user.role != "consumer" or auth.user.consumer_id is None:
        return _error_page(
            request, auth, 403, "access_denied", "Only a consumer can grant a consent; sign in as one."
        )
    client = grant.client.ref
    product = grant.request.scope
    benefit = next(b for b in state.catalogues.current(db).catalogue.benefits if b.product == product)
    redirect_uri = grant.redirect_uri
    target = urlsplit(redirect_uri)
    s = state.settings
    context = {
        "merchant": client.display_name,
        "client_id": client.client_id,
        "product": benefit.label,
        "days": min(s.oauth_consent_days, s.consent_max_days),
        "decisions": s.oauth_decisions,
        "sees": MERCHANT_SEES,
        "back_to": target.netloc,
        "fields": [(k, v) for k, v in request.query_params.multi_items() if k not in OWN_FIELDS],
    }
    response = render(request, "oauth_consent.html", context, auth=auth)
    origin = f"{target.scheme}://{target.netloc}"
    response.headers["Content-Security-Policy"] = content_security_policy((origin,))
    return response


@router.post("/oauth/authorize", include_in_schema=False, response_class=HTMLResponse)
def authorize_decision(
    request: Request, auth: MaybeSignedIn, db: Db, state: State, form: FormItems
) -> Response:
    """The consumer's answer: approve (a code goes back to the merchant) or deny (``access_denied``)."""
    given = dict(form)
    fields = [(k, v) for k, v in form if k not in OWN_FIELDS]
    if auth is None or auth.user.role != "consumer":
        return _error_page(request, auth, 401, "access_denied", "Your session has ended; sign in again.")
    try:
        check_csrf(auth, given.get("csrf_token"), state.settings)
    except ApiError as exc:
        return _error_page(request, auth, 403, "csrf", exc.message)
    server = Server(db, state)
    try:
        oauth_request = _oauth_request(request, fields)
        grant = server.get_consent_grant(oauth_request, end_user=auth.user)
    except OAuth2Error as error:
        return _refusal(request, server, error, auth)
    approved = given.get("decision") == "approve"
    with _writes(state):
        response: Response = server.create_authorization_response(
            oauth_request, grant_user=auth.user if approved else None, grant=grant
        )
    return response


def _writes(state: State) -> AbstractContextManager[Any]:
    """SQLite: hold the process's write lock for a request that reads, then writes (redeeming a code,
    revoking a token); SQLite cannot turn a read snapshot into a write once another writer committed."""
    return state.write_lock if state.serialise_writes else nullcontext()


def _throttled_call(request: Request, state: State, form: list[tuple[str, str]], run: object) -> Response:
    """Run an endpoint that checks a client secret and a code or token: wrong secrets and unknown codes
    count as guesses per client address (429 while throttled, like API keys). Not per client id: anyone
    can name one, and must not be able to slow its owner down."""
    attempt = guess(state, request)
    try:
        assert callable(run)
        with _writes(state):
            response: Response = run()
    except BaseException:
        attempt.abandoned()
        raise
    error = json.loads(bytes(response.body)).get("error") if response.body else None
    if error in ("invalid_client", "invalid_grant"):
        attempt.failed()
    else:
        attempt.succeeded()
    return response


@router.post(
    "/oauth/token",
    summary="Exchange an authorization code (and PKCE verifier) for a consent token",
    openapi_extra=TOKEN_OPENAPI,
)
def token(request: Request, db: Db, state: State, form: FormItems) -> Response:
    """RFC 6749 section 4.1.3 with RFC 7636: `grant_type=authorization_code`, `code`, `redirect_uri`,
    `code_verifier`; the merchant authenticates as client `client_id` = its username with one of its API
    keys as `client_secret` (HTTP Basic or form). The access token is a consent token (`lct_...`) for
    `POST /v1/decisions`. Errors are RFC 6749 section 5.2 JSON (`invalid_grant`, `invalid_client`, ...)."""
    given = dict(form)
    if given.get("code"):  # the code is in its consumer's shard (the one its mark names)
        to_secrets_shard(db, state.shards, given["code"], lambda s: service.holds_code(s, given["code"]))
    server = Server(db, state)

    def run() -> Response:
        try:
            oauth_request = _oauth_request(request, form)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        return server.create_token_response(oauth_request)

    return _throttled_call(request, state, form, run)


@router.post("/oauth/revoke", summary="Revoke a consent token (RFC 7009)", openapi_extra=REVOKE_OPENAPI)
def revoke(request: Request, db: Db, state: State, form: FormItems) -> Response:
    """`token=lct_...`, with the same client authentication as `/oauth/token`. 200 whether or not the token
    existed (RFC 7009); a token of another merchant is refused (`invalid_grant`) and left alone."""
    given = dict(form)
    if given.get("token"):  # the consent is in its consumer's shard (the one its mark names)
        to_secrets_shard(db, state.shards, given["token"], lambda s: service.holds_consent(s, given["token"]))
    server = Server(db, state)

    def run() -> Response:
        try:
            oauth_request = _oauth_request(request, form)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        return server.create_endpoint_response("revocation", oauth_request)

    return _throttled_call(request, state, form, run)
