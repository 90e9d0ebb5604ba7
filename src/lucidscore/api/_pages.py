"""Rendering server-side pages: Jinja2 templates shipped in the package, CSRF token in every form, the
plain-language filters of ``_format`` (issue 12), and HTML error pages for browsers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lucidscore.api import _format
from lucidscore.api._security import csrf_token

if TYPE_CHECKING:
    from lucidscore.api.deps import Auth

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(
        {
            "number": _format.number,
            "day": _format.day,
            "month": _format.month,
            "when": _format.when,
            "yes_no": _format.yes_no,
            "code_label": _format.code_label,
            "field_label": _format.field_label,
            "table_label": _format.table_label,
            "zip": zip,
        }
    )
    return templates


def render(
    request: Request, name: str, context: dict[str, Any], *, auth: Auth | None, status_code: int = 200
) -> HTMLResponse:
    state = request.app.state.lucid
    csrf = csrf_token(state.settings.secret_key.get_secret_value(), auth.token) if auth is not None else ""
    currency = state.settings.currency
    full = {
        "user": auth.user if auth else None,
        "csrf": csrf,
        "path": request.url.path,
        "currency": currency,
        "money": lambda value: _format.money(value, currency),
        **context,
    }
    response: HTMLResponse = state.templates.TemplateResponse(request, name, full, status_code=status_code)
    return response


# Paths whose answers stay JSON whatever the caller accepts: the API and the OAuth protocol endpoints.
_JSON_ONLY = ("/v1/", "/oauth/token", "/oauth/revoke", "/openapi.json")

_TITLES = {
    400: "That request could not be read",
    401: "Please sign in",
    403: "You cannot see this page",
    404: "Page not found",
    405: "That cannot be done here",
    409: "That cannot be done now",
    413: "That is too large",
    422: "Something in the form is not right",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "The service is busy",
}


def wants_html(request: Request) -> bool:
    """Whether the caller is a browser asking for a page (Accept prefers text/html), outside the API."""
    path = request.url.path
    if path.startswith(_JSON_ONLY) or path == "/v1":
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


@dataclass(frozen=True)
class PageUser:
    """Who the menu of an error page is for (read from the session cookie; never for a 5xx)."""

    role: str
    display_name: str


def _page_user(state: Any, token: str) -> PageUser | None:
    from lucidscore import service

    try:
        with state.sessions() as db:
            user = service.user_for_session(db, token)
            return PageUser(user.role, user.display_name) if user is not None else None
    except Exception:  # the error page is shown anyway, with the signed-out menu
        return None


async def error_page(request: Request, status: int, message: str, headers: Any = None) -> HTMLResponse | None:
    """The error as a page in the site layout, with the person's own menu (and "Sign out") when they are
    signed in; None when the app has no templates (then: JSON)."""
    state = getattr(request.app.state, "lucid", None)
    if state is None:
        return None
    token = request.cookies.get(state.settings.cookie_name)
    user = await run_in_threadpool(_page_user, state, token) if token and status < 500 else None
    secret = state.settings.secret_key.get_secret_value()
    context = {
        "user": user,
        "csrf": csrf_token(secret, token) if user is not None and token else "",
        "path": request.url.path,
        "status": status,
        "title": _TITLES.get(status, "Something went wrong"),
        "message": message,
    }
    response: HTMLResponse = state.templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
    return response
