"""The interactive API docs at /docs (Swagger UI), its script, style and icon served from the installed
``fastapi-offline`` package: no CDN, nothing fetched from the network.

There is no /redoc: ReDoc's page loads its "API docs by Redocly" logo from a CDN, whatever we serve."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from lucidscore.api._errors import ApiError
from lucidscore.api.deps import OneHopRoute

router = APIRouter(route_class=OneHopRoute)

ASSETS_URL = "/static/docs"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
# Swagger UI's default validator would send the spec to, and load a badge from, a public web service.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def assets_dir() -> Path:
    """Where ``fastapi-offline`` keeps its copy of Swagger UI (found without importing the package)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise ApiError(500, "the API docs need the fastapi-offline package: pip install fastapi-offline")
    return Path(spec.origin).parent / "static"


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
    )


@router.get(ASSETS_URL + "/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    if name not in ASSETS:
        raise ApiError(404, f"no docs asset {name!r}")
    return FileResponse(assets_dir() / name, headers={"Cache-Control": "public, max-age=86400"})
