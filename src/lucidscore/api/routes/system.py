"""Home page, health check and the local static files (CSS and plotly.js: no CDN, no network)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from lucidscore.api._errors import ApiError
from lucidscore.api._pages import STATIC, render
from lucidscore.api.deps import MaybeSignedIn, OneHopRoute, State
from lucidscore.api.schemas import OkOut

router = APIRouter(route_class=OneHopRoute)


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def home(request: Request, auth: MaybeSignedIn) -> Response:
    return render(request, "home.html", {}, auth=auth)


# Liveness and the do-nothing endpoint run on the event loop: they need no thread, so no flood of
# database requests can keep them waiting (issue 11).
@router.get("/healthz", tags=["system"], summary="Liveness")
async def health() -> OkOut:
    return OkOut()


@router.post("/v1/ping", tags=["system"], summary="Do nothing: the framework's ceiling in the load benchmark")
async def ping() -> OkOut:
    return OkOut()


@router.get("/static/plotly.js", include_in_schema=False)
def plotly_js(state: State) -> Response:
    if not state.plotly_js:
        from plotly.offline import get_plotlyjs

        state.plotly_js.append(get_plotlyjs())
    return Response(
        state.plotly_js[0],
        media_type="application/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, f"no static file {name!r}")
    return FileResponse(path)
