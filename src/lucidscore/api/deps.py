"""Shared dependencies as ``Annotated`` aliases: database session, settings, one per authorization rule.

Thread hops. FastAPI runs each plain ``def`` endpoint and dependency in its thread pool, one call (one
"hop") at a time. A database connection must never stay checked out between two hops: the next hop may
wait for a thread while the connection sits idle, and under load every thread ends up waiting for a
connection that only a waiting hop would give back (issue 11: 64 requests stalled the service for 30 s).
So: dependencies that need neither the database nor blocking work are ``async def`` (no hop at all);
each one that reads the database, and every endpoint (``OneHopRoute``), ends its session's transaction
before its hop returns (``ends_its_transactions``); and ``Db`` admits a bounded number of requests to the
database at once (``_admission``), queueing the rest on the event loop.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Form, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.api import _shards as shards
from lucidscore.api._errors import ApiError, SignInRequired
from lucidscore.api._limits import Attempt, Throttled
from lucidscore.api._security import csrf_token, same_secret
from lucidscore.api._settings import Settings
from lucidscore.api._shards import shard_in, split_id, to_secrets_shard
from lucidscore.api._state import ServiceState
from lucidscore.api.schemas import text_problem
from lucidscore.store.service import Consent, Dispute, User

F = TypeVar("F", bound=Callable[..., Any])


def ends_its_transactions(func: F) -> F:
    """``func`` (a plain ``def`` endpoint or dependency), changed to end the transaction of every session
    it is given before it returns: committed when it returns, rolled back when it raises. Its database
    connection then goes back to the pool within the thread hop that took it. Coroutines are unchanged."""
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        return func

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        sessions = [v for v in (*args, *kwargs.values()) if isinstance(v, Session)]
        try:
            result = func(*args, **kwargs)
        except BaseException:
            for session in sessions:
                session.rollback()
            raise
        for session in sessions:
            if session.in_transaction():
                session.commit()  # objects stay loaded: the session factory keeps them after commit
        return result

    return run  # type: ignore[return-value]


class OneHopRoute(APIRoute):
    """The route class of every router: its endpoint ends its transactions in its own thread hop."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, ends_its_transactions(endpoint), **kwargs)


async def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.lucid
    return state


async def _db(request: Request) -> AsyncIterator[Session]:
    """A session for this request, once the request is admitted to the database (503 when it cannot be)."""
    state = await _state(request)
    await state.admission.acquire()
    session = state.sessions()
    session.info.update(shard=0, count=state.shards.count)  # on shard 0 until routed (api._shards)
    try:
        yield session
    finally:
        try:
            if session.in_transaction():  # only when a hop raised before it could end it
                await run_in_threadpool(session.close)
            else:
                session.close()
        finally:
            state.admission.release()


async def _settings(request: Request) -> Settings:
    return (await _state(request)).settings


State = Annotated[ServiceState, Depends(_state)]
# "function" scope: the session is closed and the slot given back as soon as the endpoint returns, not
# after the response has been sent.
Db = Annotated[Session, Depends(_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]


@ends_its_transactions  # the read's connection goes back to the pool in this thread hop
def _catalogue(state: State, db: Db) -> service.CurrentCatalogue:
    return state.catalogues.current(db)


# The benefit catalogue's current version (read from the database on each request: no restart needed).
Catalogue = Annotated[service.CurrentCatalogue, Depends(_catalogue)]


@dataclass(frozen=True)
class Auth:
    """Who is calling, and how: a browser cookie (needs CSRF on unsafe requests) or a bearer token."""

    user: User
    token: str
    via: str  # "cookie" or "bearer"


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_unstorable_params(request: Request) -> None:
    """Every route: no path, query or form value may hold text a database cannot store (``text_problem``:
    NUL, lone surrogates); JSON bodies are checked by the input models."""
    items: list[tuple[str, object]] = [*request.path_params.items(), *request.query_params.multi_items()]
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        items += (await request.form()).multi_items()  # already parsed by FastAPI for form routes
    for name, value in items:
        problem = text_problem(value) if isinstance(value, str) else None
        if problem:
            raise ApiError(422, f"{name}: {problem}", field=name)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def require_json_bodies(request: Request) -> None:
    """Every route: a body sent to the JSON API (``/v1/...``) must say ``Content-Type: application/json``
    (415 otherwise). Another site's page can post a form, plain text or a typeless blob to us without
    asking; it cannot post JSON (the browser asks first, and we allow no other origin), so a JSON call,
    sign-in included, cannot be forged from another site (login CSRF)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.url.path.startswith("/v1/"):
        return
    if not await request.body():
        return
    if not _is_json(request.headers.get("content-type", "")):
        raise ApiError(415, "send the body as JSON, with the header Content-Type: application/json")


def _session_token(request: Request, settings: Settings) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), "bearer"
    cookie = request.cookies.get(settings.cookie_name)
    return (cookie, "cookie") if cookie else None


@ends_its_transactions
def optional_auth(request: Request, db: Db, state: State) -> Auth | None:
    """Who signed in, the request's session left on the shard holding their sign-in session (a
    consumer's: their own shard; an analyst's: shard 0): the one its token's mark names, else looked for."""
    found = _session_token(request, state.settings)
    if found is None:
        return None
    to_secrets_shard(db, state.shards, found[0], lambda s: service.holds_session(s, found[0]))
    user = service.user_for_session(db, found[0])
    return Auth(user, found[0], found[1]) if user is not None else None


async def _signed_in(auth: Annotated[Auth | None, Depends(optional_auth)]) -> Auth:
    if auth is None:
        raise ApiError(
            401, "sign in first: POST /v1/session, then send the cookie or 'Authorization: Bearer'"
        )
    return auth


MaybeSignedIn = Annotated[Auth | None, Depends(optional_auth)]
SignedIn = Annotated[Auth, Depends(_signed_in)]


async def _consumer(auth: SignedIn) -> Auth:
    if auth.user.role != "consumer" or auth.user.consumer_id is None:
        raise ApiError(403, "this endpoint is for consumers")
    return auth


async def _analyst(auth: SignedIn) -> Auth:
    if auth.user.role != "analyst":
        raise ApiError(403, "this endpoint is for analysts")
    return auth


ConsumerAuth = Annotated[Auth, Depends(_consumer)]
AnalystAuth = Annotated[Auth, Depends(_analyst)]


def check_csrf(auth: Auth, given: str | None, settings: Settings) -> None:
    """Unsafe requests authenticated by the browser cookie must carry the session's CSRF token."""
    if auth.via != "cookie":
        return
    expected = csrf_token(settings.secret_key.get_secret_value(), auth.token)
    if not given or not same_secret(given, expected):
        raise ApiError(403, "missing or wrong CSRF token; reload the page and try again", code="csrf")


async def _consumer_csrf(
    auth: ConsumerAuth, settings: SettingsDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> Auth:
    check_csrf(auth, x_csrf_token, settings)
    return auth


async def _analyst_csrf(
    auth: AnalystAuth, settings: SettingsDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> Auth:
    check_csrf(auth, x_csrf_token, settings)
    return auth


async def _signed_in_csrf(
    auth: SignedIn, settings: SettingsDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> Auth:
    check_csrf(auth, x_csrf_token, settings)
    return auth


SignedInWrite = Annotated[Auth, Depends(_signed_in_csrf)]
ConsumerWrite = Annotated[Auth, Depends(_consumer_csrf)]
AnalystWrite = Annotated[Auth, Depends(_analyst_csrf)]


# Web pages: the same rules, but a visitor who is not signed in (or not in the page's role) is redirected
# to /signin (``SignInRequired``), and a form carries its CSRF token as a field instead of a header.


async def _consumer_page(auth: MaybeSignedIn) -> Auth:
    if auth is None or auth.user.role != "consumer" or auth.user.consumer_id is None:
        raise SignInRequired
    return auth


async def _analyst_page(auth: MaybeSignedIn) -> Auth:
    if auth is None or auth.user.role != "analyst":
        raise SignInRequired
    return auth


ConsumerPage = Annotated[Auth, Depends(_consumer_page)]
AnalystPage = Annotated[Auth, Depends(_analyst_page)]
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=200)]  # the hidden field of every form


async def _consumer_form(auth: ConsumerPage, settings: SettingsDep, token: CsrfField = "") -> Auth:
    check_csrf(auth, token, settings)
    return auth


async def _analyst_form(auth: AnalystPage, settings: SettingsDep, token: CsrfField = "") -> Auth:
    check_csrf(auth, token, settings)
    return auth


ConsumerForm = Annotated[Auth, Depends(_consumer_form)]
AnalystForm = Annotated[Auth, Depends(_analyst_form)]


def consumer_id(auth: Auth) -> str:
    """The signed-in consumer's id, which the consumer rules (JSON and page) guarantee."""
    assert auth.user.consumer_id is not None
    return auth.user.consumer_id


def client_of(request: Request) -> str:
    """The client's address: the connection's peer, or what a trusted proxy said (``forwarded_allow_ips``)."""
    return request.client.host if request.client else "unknown"


def guess(state: ServiceState, request: Request, *keys: Hashable) -> Attempt:
    """Reserve a try at a secret (API key, consent token) for this client and ``keys``; 429 while throttled.

    Not atomic (``atomic=False``): one client may send many valid requests at once; the secrets are 256
    random bits, so what the throttle bounds is the rate of guessing, not a few extra guesses.
    """
    limit = state.settings.guess_max_failures
    try:
        return state.throttle.begin(
            [(("guess", client_of(request)), limit), *((key, limit) for key in keys)], atomic=False
        )
    except Throttled as exc:
        raise ApiError(
            429,
            f"too many wrong keys or tokens; try again in {exc.retry_after} seconds",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None


def merchant_for_key(state: ServiceState, request: Request, db: Session, key: str) -> service.MerchantRef:
    """The merchant whose API key this is (JSON and the merchant page); 401 if none, 429 when guessing."""
    attempt = guess(state, request)
    merchant = service.merchant_for_key(db, key)
    if merchant is None:
        attempt.failed()
        raise ApiError(401, "the API key is not valid", field="X-API-Key")
    attempt.succeeded()
    return merchant


@ends_its_transactions
def _merchant(
    request: Request,
    db: Db,
    state: State,
    x_api_key: Annotated[str | None, Header(description="the merchant's API key")] = None,
) -> service.MerchantRef:
    if not x_api_key:
        raise ApiError(401, "send the merchant API key in the X-API-Key header", field="X-API-Key")
    return merchant_for_key(state, request, db, x_api_key)


MerchantUser = Annotated[service.MerchantRef, Depends(_merchant)]


ConsentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def find_own_consent(db: Session, consumer_id: str | None, consent_id: int) -> Consent:
    """The signed-in consumer's consent (JSON and pages); another consumer's is a 404, like a missing one."""
    consent = db.get(Consent, consent_id)
    if consent is None or consent.consumer_id != consumer_id:
        raise ApiError(404, f"you have no consent {consent_id}", field="consent_id")
    return consent


@ends_its_transactions
def _own_consent(auth: ConsumerAuth, db: Db, consent_id: ConsentId) -> Consent:
    return find_own_consent(db, auth.user.consumer_id, consent_id)


@ends_its_transactions
def _own_dispute(
    auth: ConsumerAuth, db: Db, state: State, dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Dispute:
    index, local = split_id(dispute_id, state.shards.count)
    dispute = db.get(Dispute, local) if index == shard_in(db) and local >= 1 else None
    if dispute is None or dispute.consumer_id != auth.user.consumer_id:
        raise ApiError(404, f"you have no dispute {dispute_id}", field="dispute_id")
    return dispute


DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DecisionId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # an access-log row: one decision about a consumer


def find_dispute(db: Session, state: ServiceState, dispute_id: int) -> Dispute:
    """Any consumer's dispute, for analysts (JSON and pages), the request's session left on its shard;
    404 when there is none."""
    dispute = shards.find_dispute(db, state.shards, dispute_id)
    if dispute is None:
        raise ApiError(404, f"no dispute {dispute_id}", field="dispute_id")
    return dispute


@ends_its_transactions
def _any_dispute(auth: AnalystAuth, db: Db, state: State, dispute_id: DisputeId) -> Dispute:
    return find_dispute(db, state, dispute_id)


def refuse_sharded_activation(state: ServiceState, model_id: str) -> None:
    """409 from a service over several shards: a model is activated in every shard by the CLI."""
    if state.shards.sharded:
        raise ApiError(
            409,
            f"this service serves {state.shards.count} shards: activate the model in every shard with "
            f"lucidscore model activate {model_id} --shards MAP",
            field="model_id",
        )


def distribution_of(db: Session, state: ServiceState, model_id: str) -> dict[str, Any]:
    """The current scores' distribution (of every shard's consumers when the service serves several)."""
    if not state.shards.sharded:
        return service.score_distribution(db, model_id)
    return shards.merged_distribution(db, state.shards, model_id, service.score_distribution)


OwnConsent = Annotated[Consent, Depends(_own_consent)]
OwnDispute = Annotated[Dispute, Depends(_own_dispute)]
AnyDispute = Annotated[Dispute, Depends(_any_dispute)]


@dataclass(frozen=True)
class PageOf:
    """Which part of a list to return: at most ``limit`` items after the first ``offset``."""

    limit: int
    offset: int


MAX_PAGE = 500


async def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="at most this many items")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many items first")] = 0,
) -> PageOf:
    return PageOf(limit, offset)


Page = Annotated[PageOf, Depends(_page)]
