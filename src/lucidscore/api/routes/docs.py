"""The interactive API docs at /docs (Swagger UI), its script, style and icon served from the installed
``fastapi-offline`` package: no CDN, nothing fetched from the network.

There is no /redoc: ReDoc's page loads its "API docs by Redocly" logo from a CDN, whatever we serve."""

from __future__ import annotations

import importlib.util
import json
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request, Response
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


# FastAPI's get_swagger_ui_html starts Swagger UI with an inline script, which the Content-Security-Policy
# forbids: the page carries its parameters as data and /static/swagger-init.js starts it.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon.png">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui" data-parameters='{parameters}'></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    parameters = {
        "url": request.app.openapi_url,
        "dom_id": "#swagger-ui",
        "layout": "BaseLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
        **SWAGGER_UI_PARAMETERS,
    }
    # JSON with no single quote in it, inside a single-quoted attribute (escape() would also quote ").
    data = json.dumps(parameters).replace("&", "&amp;").replace("'", "&#x27;").replace("<", "&lt;")
    html = PAGE.format(assets=ASSETS_URL, title=escape(f"{request.app.title} - Swagger UI"), parameters=data)
    return HTMLResponse(html)


@router.get(ASSETS_URL + "/{name}", include_in_schema=False)
def docs_asset(name: str) -> Response:
    if name not in ASSETS:
        raise ApiError(404, f"no docs asset {name!r}")
    return FileResponse(assets_dir() / name, headers={"Cache-Control": "public, max-age=86400"})
