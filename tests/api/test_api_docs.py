"""/docs (Swagger UI) is self-contained: every script, style and icon it loads is served by the service itself
from the installed fastapi-offline package, and in real Chromium it renders the operations without a single
request leaving the service. /redoc is off (ReDoc loads a logo from a CDN)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api._world import World
from tests.api.test_errors import assert_envelope
from tests.demo._server import running

KINDS = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class _Links(HTMLParser):
    """The URLs a page loads by itself: <script src> and <link href>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        value = dict(attrs).get(wanted) if wanted else None
        if value is not None:
            self.urls.append(value)


def loaded_urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def test_docs_page_loads_only_local_assets(world: World) -> None:
    client = world.client()
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "http" not in r.text  # no absolute URL at all: no CDN, no fonts, no validator
    urls = loaded_urls(r.text)
    assert set(urls) == {
        "/static/docs/swagger-ui-bundle.js",
        "/static/docs/swagger-ui.css",
        "/static/docs/favicon.png",
        "/static/swagger-init.js",  # starts Swagger UI: the CSP allows no inline script
    }
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", "") and url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > (1000 if url.startswith("/static/docs/") else 100), url
        kind = next(kind for ext, kind in KINDS.items() if url.endswith(ext))
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
    assert "/openapi.json" in r.text


def test_swagger_ui_is_told_not_to_call_the_public_validator(world: World) -> None:
    assert '"validatorUrl": null' in world.client().get("/docs").text


def test_only_the_known_docs_assets_are_served(world: World) -> None:
    client = world.client()
    for name in ("nope.js", "redoc.standalone.js", "METADATA", "..%2Fcore.py"):
        r = client.get(f"/static/docs/{name}")
        assert r.status_code == 404, name
        assert_envelope(r, 404)
    assert "no docs asset 'nope.js'" in client.get("/static/docs/nope.js").text


def test_fastapi_cdn_routes_are_not_mounted(world: World) -> None:
    assert world.app.docs_url is None and world.app.redoc_url is None
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert world.client().get(path).status_code == 404, path


def _watch(page: Any, base: str) -> tuple[list[str], list[str]]:
    """Record every URL the page requests outside the service, and every request that failed."""
    foreign: list[str] = []
    failed: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(base + "/") else foreign.append(req.url))
    page.on("requestfailed", lambda req: failed.append(f"{req.url} {req.failure}"))
    page.on("response", lambda res: failed.append(f"{res.url} {res.status}") if res.status >= 400 else None)
    return foreign, failed


@pytest.mark.browser
def test_swagger_ui_renders_offline_in_chromium(world: World, browser_context: Any) -> None:
    page = browser_context.new_page()
    violations: list[str] = []  # the Content-Security-Policy allows no inline script or style (issue 11)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    with running(world.app) as base:
        foreign, failed = _watch(page, base)
        page.goto(f"{base}/docs", wait_until="networkidle")
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = {
            text.replace("\u200b", "").strip()
            for text in page.locator(".opblock-summary-path").all_inner_texts()
        }
        assert {"/v1/decisions", "/v1/me/score", "/healthz"} <= paths
        assert page.locator(".errors-wrapper").count() == 0  # Swagger UI's "unable to render" box
    page.close()
    assert foreign == []
    assert failed == []
    assert violations == [], "\n".join(violations)
