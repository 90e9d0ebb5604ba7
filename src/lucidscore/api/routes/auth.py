"""Sign in and out (JSON and form): throttled, CSRF-protected, with known-device cookies.

The throttle (``_limits.Throttle``, docs/service.md "Sign-in limits") counts failures per client address
and username, per account from devices it has not seen, and per known device. A browser that signed in to
an account before carries a signed known-device cookie: its attempts are counted on their own, so
nobody else's failures delay the owner there.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api._errors import ERROR_RESPONSES, ApiError
from lucidscore.api._limits import Throttled
from lucidscore.api._pages import render
from lucidscore.api._security import device_of, new_device_cookie, same_secret, signin_csrf_token
from lucidscore.api._shards import issuing_shard, to_account_shard
from lucidscore.api.deps import (
    CsrfField,
    Db,
    MaybeSignedIn,
    OneHopRoute,
    SignedInWrite,
    State,
    check_csrf,
    client_of,
)
from lucidscore.api.schemas import OkOut, SessionOut, SignInIn
from lucidscore.store.service import User

router = APIRouter(responses=ERROR_RESPONSES, route_class=OneHopRoute)

HOME_OF_ROLE = {"consumer": "/dashboard", "analyst": "/analyst", "merchant": "/merchant"}


def device_cookie(state: State) -> str:
    return f"{state.settings.cookie_name}_device"


def pre_session_cookie(state: State) -> str:
    return f"{state.settings.cookie_name}_pre"


def _check_password(state: State, db: Db, request: Request, username: str, password: str) -> User:
    """The user, if the password is right and no throttle is closed; 401 or 429 otherwise."""
    s = state.settings
    secret = s.secret_key.get_secret_value()
    name = username.lower()
    device = device_of(secret, name, request.cookies.get(device_cookie(state)))
    keys: list[tuple[Hashable, int]]
    clear: list[Hashable]  # whose failures a success wipes (not the account's: the attacker's are there)
    if device is not None:
        keys = [(("device", device), s.signin_max_failures)]
        clear = [keys[0][0]]
    else:
        keys = [
            (("source", client_of(request), name), s.signin_max_failures),
            (("account", name), s.signin_account_max_failures),
        ]
        clear = [keys[0][0]]
    try:
        attempt = state.throttle.begin(keys)
    except Throttled as exc:
        raise ApiError(
            429,
            f"too many failed sign-ins; try again in {exc.retry_after} seconds",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    try:
        if state.shards.sharded:  # the shard the directory (shard 0) lists the account in
            to_account_shard(db, state.shards, username)
        user = service.authenticate(db, username, password)
    except BaseException:
        attempt.abandoned()
        raise
    if user is None:
        attempt.failed()
        raise ApiError(401, "wrong username or password")
    attempt.succeeded(clear=clear)
    return user


def _signed_in_response(response: Response, state: State, request: Request, user: User, token: str) -> None:
    """Set the session cookie, and a known-device cookie unless the browser has one for ``user``."""
    s = state.settings
    response.set_cookie(
        s.cookie_name,
        token,
        max_age=s.session_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=s.cookie_secure,
    )
    secret = s.secret_key.get_secret_value()
    if device_of(secret, user.username, request.cookies.get(device_cookie(state))) is None:
        response.set_cookie(
            device_cookie(state),
            new_device_cookie(secret, user.username),
            max_age=s.device_days * 86_400,
            httponly=True,
            samesite="lax",
            secure=s.cookie_secure,
        )
    response.delete_cookie(pre_session_cookie(state))


@router.post("/v1/session", tags=["session"], summary="Sign in (consumers and analysts)")
def sign_in(body: SignInIn, request: Request, response: Response, db: Db, state: State) -> SessionOut:
    user = _check_password(state, db, request, body.username, body.password)
    token, expires = service.open_session(db, user, state.settings.session_minutes, shard=issuing_shard(db))
    db.commit()
    _signed_in_response(response, state, request, user, token)
    return SessionOut(token=token, role=user.role, expires_at=expires)


@router.delete("/v1/session", tags=["session"], summary="Sign out")
def sign_out(auth: SignedInWrite, response: Response, db: Db, state: State) -> OkOut:
    service.close_session(db, auth.token)
    db.commit()
    response.delete_cookie(state.settings.cookie_name)
    return OkOut()


def safe_next(target: str | None) -> str | None:
    """Where to go after signing in (the OAuth consent page sends people here with ``next``): a path on this
    site only, never another site (``//host``, ``/\\host``, ``https://...``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\\\r\n\t") or len(target) > 4000:
        return None
    return target


def _signin_page(
    request: Request, state: State, error: str | None, status_code: int = 200, next_page: str | None = None
) -> Response:
    """The sign-in form, with a CSRF token bound to the browser's pre-session cookie (set here if new)."""
    pre = request.cookies.get(pre_session_cookie(state)) or secrets.token_urlsafe(24)
    csrf = signin_csrf_token(state.settings.secret_key.get_secret_value(), pre)
    context = {"error": error, "csrf": csrf, "next": safe_next(next_page)}
    response = render(request, "signin.html", context, auth=None, status_code=status_code)
    response.set_cookie(
        pre_session_cookie(state),
        pre,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=state.settings.cookie_secure,
    )
    return response


@router.get("/signin", include_in_schema=False, response_class=HTMLResponse)
def sign_in_page(request: Request, auth: MaybeSignedIn, state: State, next: str | None = None) -> Response:
    if auth is not None:
        return RedirectResponse(safe_next(next) or HOME_OF_ROLE[auth.user.role], status_code=303)
    return _signin_page(request, state, None, next_page=next)


@router.post("/signin", include_in_schema=False, response_class=HTMLResponse)
def sign_in_form(
    request: Request,
    db: Db,
    state: State,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    token: CsrfField = "",
    next_page: Annotated[str, Form(alias="next", max_length=4000)] = "",
) -> Response:
    pre = request.cookies.get(pre_session_cookie(state), "")
    expected = signin_csrf_token(state.settings.secret_key.get_secret_value(), pre)
    if not pre or not token or not same_secret(token, expected):
        return _signin_page(
            request,
            state,
            "the form has expired or was not sent by this site; try again",
            status_code=403,
            next_page=next_page,
        )
    try:
        user = _check_password(state, db, request, username.strip(), password)
    except ApiError as exc:
        return _signin_page(request, state, exc.message, status_code=exc.status, next_page=next_page)
    token, _ = service.open_session(db, user, state.settings.session_minutes, shard=issuing_shard(db))
    db.commit()
    response = RedirectResponse(safe_next(next_page) or HOME_OF_ROLE[user.role], status_code=303)
    _signed_in_response(response, state, request, user, token)
    return response


@router.post("/signout", include_in_schema=False)
def sign_out_form(
    request: Request, auth: MaybeSignedIn, db: Db, state: State, token: CsrfField = ""
) -> Response:
    if auth is not None:
        check_csrf(auth, token, state.settings)
        service.close_session(db, auth.token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(state.settings.cookie_name)
    return response
