"""Shared dependencies as ``Annotated`` aliases: database session, settings, one per authorization rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Header, Path, Request
from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.api._errors import ApiError, SignInRequired
from lucidscore.api._security import csrf_token, same_secret
from lucidscore.api._settings import Settings
from lucidscore.api._state import ServiceState
from lucidscore.api.schemas import text_problem
from lucidscore.store.service import Consent, Dispute, User


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.lucid
    return state


def _db(request: Request) -> Iterator[Session]:
    with _state(request).sessions() as session:
        yield session


def _settings(request: Request) -> Settings:
    return _state(request).settings


State = Annotated[ServiceState, Depends(_state)]
Db = Annotated[Session, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]


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


def _session_token(request: Request, settings: Settings) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), "bearer"
    cookie = request.cookies.get(settings.cookie_name)
    return (cookie, "cookie") if cookie else None


def optional_auth(request: Request, db: Db, settings: SettingsDep) -> Auth | None:
    found = _session_token(request, settings)
    if found is None:
        return None
    user = service.user_for_session(db, found[0])
    return Auth(user, found[0], found[1]) if user is not None else None


def _signed_in(auth: Annotated[Auth | None, Depends(optional_auth)]) -> Auth:
    if auth is None:
        raise ApiError(
            401, "sign in first: POST /v1/session, then send the cookie or 'Authorization: Bearer'"
        )
    return auth


MaybeSignedIn = Annotated[Auth | None, Depends(optional_auth)]
SignedIn = Annotated[Auth, Depends(_signed_in)]


def _consumer(auth: SignedIn) -> Auth:
    if auth.user.role != "consumer" or auth.user.consumer_id is None:
        raise ApiError(403, "this endpoint is for consumers")
    return auth


def _analyst(auth: SignedIn) -> Auth:
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


def _consumer_csrf(
    auth: ConsumerAuth, settings: SettingsDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> Auth:
    check_csrf(auth, x_csrf_token, settings)
    return auth


def _analyst_csrf(
    auth: AnalystAuth, settings: SettingsDep, x_csrf_token: Annotated[str | None, Header()] = None
) -> Auth:
    check_csrf(auth, x_csrf_token, settings)
    return auth


ConsumerWrite = Annotated[Auth, Depends(_consumer_csrf)]
AnalystWrite = Annotated[Auth, Depends(_analyst_csrf)]


# Web pages: the same rules, but a visitor who is not signed in (or not in the page's role) is redirected
# to /signin (``SignInRequired``), and a form carries its CSRF token as a field instead of a header.


def _consumer_page(auth: MaybeSignedIn) -> Auth:
    if auth is None or auth.user.role != "consumer" or auth.user.consumer_id is None:
        raise SignInRequired
    return auth


def _analyst_page(auth: MaybeSignedIn) -> Auth:
    if auth is None or auth.user.role != "analyst":
        raise SignInRequired
    return auth


ConsumerPage = Annotated[Auth, Depends(_consumer_page)]
AnalystPage = Annotated[Auth, Depends(_analyst_page)]
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=200)]  # the hidden field of every form


def _consumer_form(auth: ConsumerPage, settings: SettingsDep, token: CsrfField = "") -> Auth:
    check_csrf(auth, token, settings)
    return auth


def _analyst_form(auth: AnalystPage, settings: SettingsDep, token: CsrfField = "") -> Auth:
    check_csrf(auth, token, settings)
    return auth


ConsumerForm = Annotated[Auth, Depends(_consumer_form)]
AnalystForm = Annotated[Auth, Depends(_analyst_form)]


def consumer_id(auth: Auth) -> str:
    """The signed-in consumer's id, which the consumer rules (JSON and page) guarantee."""
    assert auth.user.consumer_id is not None
    return auth.user.consumer_id


def _merchant(
    db: Db, x_api_key: Annotated[str | None, Header(description="the merchant's API key")] = None
) -> service.MerchantRef:
    if not x_api_key:
        raise ApiError(401, "send the merchant API key in the X-API-Key header", field="X-API-Key")
    merchant = service.merchant_for_key(db, x_api_key)
    if merchant is None:
        raise ApiError(401, "the API key is not valid", field="X-API-Key")
    return merchant


MerchantUser = Annotated[service.MerchantRef, Depends(_merchant)]


ConsentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def find_own_consent(db: Session, consumer_id: str | None, consent_id: int) -> Consent:
    """The signed-in consumer's consent (JSON and pages); another consumer's is a 404, like a missing one."""
    consent = db.get(Consent, consent_id)
    if consent is None or consent.consumer_id != consumer_id:
        raise ApiError(404, f"you have no consent {consent_id}", field="consent_id")
    return consent


def _own_consent(auth: ConsumerAuth, db: Db, consent_id: ConsentId) -> Consent:
    return find_own_consent(db, auth.user.consumer_id, consent_id)


def _own_dispute(auth: ConsumerAuth, db: Db, dispute_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Dispute:
    dispute = db.get(Dispute, dispute_id)
    if dispute is None or dispute.consumer_id != auth.user.consumer_id:
        raise ApiError(404, f"you have no dispute {dispute_id}", field="dispute_id")
    return dispute


DisputeId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def find_dispute(db: Session, dispute_id: int) -> Dispute:
    """Any consumer's dispute, for analysts (JSON and pages); 404 when there is none."""
    dispute = db.get(Dispute, dispute_id)
    if dispute is None:
        raise ApiError(404, f"no dispute {dispute_id}", field="dispute_id")
    return dispute


def _any_dispute(auth: AnalystAuth, db: Db, dispute_id: DisputeId) -> Dispute:
    return find_dispute(db, dispute_id)


OwnConsent = Annotated[Consent, Depends(_own_consent)]
OwnDispute = Annotated[Dispute, Depends(_own_dispute)]
AnyDispute = Annotated[Dispute, Depends(_any_dispute)]
