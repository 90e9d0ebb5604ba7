"""Rendering server-side pages: Jinja2 templates shipped in the package, CSRF token in every form."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lucidscore.api._security import csrf_token

if TYPE_CHECKING:
    from lucidscore.api.deps import Auth

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def make_templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(TEMPLATES))


def render(
    request: Request, name: str, context: dict[str, Any], *, auth: Auth | None, status_code: int = 200
) -> HTMLResponse:
    state = request.app.state.lucid
    csrf = csrf_token(state.settings.secret_key.get_secret_value(), auth.token) if auth is not None else ""
    full = {"user": auth.user if auth else None, "csrf": csrf, "path": request.url.path, **context}
    response: HTMLResponse = state.templates.TemplateResponse(request, name, full, status_code=status_code)
    return response
