"""Sign in and out (JSON and form), rate limited per client and username."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lucidscore import service
from lucidscore.api._errors import ERROR_RESPONSES, ApiError
from lucidscore.api._pages import render
from lucidscore.api.deps import Db, MaybeSignedIn, OneHopRoute, SignedIn, State
from lucidscore.api.schemas import OkOut, SessionOut, SignInIn
from lucidscore.store.service import User

router = APIRouter(responses=ERROR_RESPONSES, route_class=OneHopRoute)

HOME_OF_ROLE = {"consumer": "/dashboard", "analyst": "/analyst", "merchant": "/merchant"}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _check_password(state: State, db: Db, request: Request, username: str, password: str) -> User:
    client = _client(request)
    wait = state.limiter.retry_after(client, username)
    if wait:
        raise ApiError(429, f"too many failed sign-ins; try again in {wait} seconds")
    user = service.authenticate(db, username, password)
    if user is None:
        state.limiter.failed(client, username)
        raise ApiError(401, "wrong username or password")
    state.limiter.succeeded(client, username)
    return user


def _set_cookie(response: Response, state: State, token: str) -> None:
    s = state.settings
    response.set_cookie(
        s.cookie_name,
        token,
        max_age=s.session_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=s.cookie_secure,
    )


@router.post("/v1/session", tags=["session"], summary="Sign in (consumers and analysts)")
def sign_in(body: SignInIn, request: Request, response: Response, db: Db, state: State) -> SessionOut:
    user = _check_password(state, db, request, body.username, body.password)
    token, expires = service.open_session(db, user, state.settings.session_minutes)
    db.commit()
    _set_cookie(response, state, token)
    return SessionOut(token=token, role=user.role, expires_at=expires)


@router.delete("/v1/session", tags=["session"], summary="Sign out")
def sign_out(auth: SignedIn, response: Response, db: Db, state: State) -> OkOut:
    service.close_session(db, auth.token)
    db.commit()
    response.delete_cookie(state.settings.cookie_name)
    return OkOut()


@router.get("/signin", include_in_schema=False, response_class=HTMLResponse)
def sign_in_page(request: Request, auth: MaybeSignedIn) -> Response:
    if auth is not None:
        return RedirectResponse(HOME_OF_ROLE[auth.user.role], status_code=303)
    return render(request, "signin.html", {"error": None}, auth=None)


@router.post("/signin", include_in_schema=False, response_class=HTMLResponse)
def sign_in_form(
    request: Request,
    db: Db,
    state: State,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    try:
        user = _check_password(state, db, request, username.strip(), password)
    except ApiError as exc:
        return render(request, "signin.html", {"error": exc.message}, auth=None, status_code=exc.status)
    token, _ = service.open_session(db, user, state.settings.session_minutes)
    db.commit()
    response = RedirectResponse(HOME_OF_ROLE[user.role], status_code=303)
    _set_cookie(response, state, token)
    return response


@router.post("/signout", include_in_schema=False)
def sign_out_form(request: Request, auth: MaybeSignedIn, db: Db, state: State) -> Response:
    if auth is not None:
        service.close_session(db, auth.token)
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(state.settings.cookie_name)
    return response
