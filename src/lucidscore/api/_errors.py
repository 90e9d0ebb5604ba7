"""One JSON error envelope for every error: ``{"error": {"status", "code", "message", "field"}}``; a browser
asking for a page (Accept: text/html, outside /v1 and the OAuth token endpoints) gets the same status and
message as a page in the site layout (issue 12)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from lucidscore.api._pages import error_page, wants_html
from lucidscore.errors import LucidError, ModelFileError, PolicyViolation
from lucidscore.service import Conflict, DomainError, Invalid, NotFound, Refused, Unavailable

log = logging.getLogger("lucidscore.api")

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


# The one place a domain error becomes a status code.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Refused: 403,
    Invalid: 422,
    Unavailable: 503,
}


def status_of(exc: LucidError) -> int:
    """The HTTP status of a domain or input error (a refused model file is a conflict, not bad input)."""
    for kind, status in DOMAIN_STATUS.items():
        if isinstance(exc, kind):
            return status
    if isinstance(exc, ModelFileError | PolicyViolation):
        return 409
    return 422


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorEnvelope(BaseModel):
    """What every 4xx and 5xx response carries."""

    error: ErrorBody


class ApiError(Exception):
    """An error a handler raises on purpose; becomes the envelope with this status and message."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers
        self.code = code or _CODES.get(status, "error")


PageError = (ApiError, LucidError)  # what a page handler shows to the person instead of failing


def status_for(exc: Exception) -> int:
    """The status of an error a page handler caught (``PageError``)."""
    return exc.status if isinstance(exc, ApiError) else status_of(exc) if isinstance(exc, LucidError) else 500


def error_response(
    status: int, message: str, *, code: str | None = None, field: str | None = None, headers: Any = None
) -> JSONResponse:
    body = ErrorBody(status=status, code=code or _CODES.get(status, "error"), message=message, field=field)
    return JSONResponse({"error": body.model_dump()}, status_code=status, headers=headers)


async def respond(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    field: str | None = None,
    headers: Any = None,
) -> Response:
    """The envelope, or for a browser asking for a page, the error page (same status and message)."""
    if wants_html(request):
        page = await error_page(request, status, message, headers)
        if page is not None:
            return page
    return error_response(status, message, code=code, field=field, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": code.replace("_", " ")}
    for status, code in _CODES.items()
    if status not in (405, 500)
}


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "the request is not valid", None
    first = errors[0]
    loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path", "header", "cookie")]
    field = ".".join(loc) or None
    msg = str(first.get("msg", "invalid value"))
    if first.get("type") == "json_invalid":
        return "the body is not valid JSON: " + str(first.get("ctx", {}).get("error", msg)), None
    if first.get("type") == "extra_forbidden":
        msg = "unknown field; remove it"
    where = f"field {field}: " if field else ""
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}{msg}{more}", field


def _unavailable(exc: DBAPIError) -> bool:
    """Whether a database error means 'not now' (unreachable, connection lost, locked, shutting down)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower()
    return not any(word in text for word in ("no such table", "no such column", "syntax error"))


class SignInRequired(Exception):
    """A web page needs a signed-in user of its role: the browser is sent to /signin instead."""


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the envelope (pages that need a sign-in redirect)."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return await respond(
            request, exc.status, exc.message, code=exc.code, field=exc.field, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _CODES.get(exc.status_code, "error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        if exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return await respond(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message, field = _validation_message(exc)
        return await respond(request, 422, message, field=field)

    def retry_after() -> dict[str, str]:
        return {"Retry-After": str(app.state.lucid.settings.retry_after_seconds)}

    @app.exception_handler(LucidError)
    async def _lucid(request: Request, exc: LucidError) -> Response:
        status = status_of(exc)
        headers = retry_after() if status == 503 else None
        return await respond(request, status, exc.message, field=getattr(exc, "field", None), headers=headers)

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(request: Request, exc: PoolTimeout) -> Response:
        log.warning("no database connection came free on %s %s", request.method, request.url.path)
        return await respond(
            request,
            503,
            "the service is busy: no database connection came free; try again shortly",
            headers=retry_after(),
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        """A database that cannot be reached, or refuses to work now (locked, shutting down): a 503 the
        caller can retry, logged with its cause; any other database error is a bug (500)."""
        if not _unavailable(exc):
            return await _unexpected(request, exc)
        log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return await respond(
            request, 503, "the database is unavailable; try again shortly", headers=retry_after()
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return await respond(request, 500, "internal error; it has been logged")
