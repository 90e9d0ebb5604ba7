"""Security headers on every response, pages and API alike (issue 11; the OAuth consent page's form-action,
issue 12).

The Content-Security-Policy allows scripts, styles, images and connections from this origin only — no
inline script or style at all (charts and Swagger UI are started by static files), no plugin, no
``<base>``, forms posting back here only, and no framing (also ``X-Frame-Options`` for older browsers).
Responses that do not say otherwise are ``Cache-Control: no-store``: scores, records, consents and
tokens must not stay in a browser's or a proxy's cache; the static assets say their own caching.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The two <style> elements plotly.js (pinned, served from /static/plotly.js) adds when it loads, allowed by
# their hashes and nothing else: its own stylesheet, created empty and filled through the CSSOM (which a
# CSP does not restrict), and maplibre's stylesheet for map charts, which lucidscore does not draw. The
# browser journey (tests/demo/test_browser.py) fails on any violation, so a new plotly.js shows here.
PLOTLY_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty string
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # .maplibregl-map{font:12px/20px ...
)


def content_security_policy(form_action: tuple[str, ...] = ()) -> str:
    """The policy; ``form_action`` adds origins a form may lead to (the OAuth consent page's form answers
    with a redirect to the merchant, which ``form-action`` also governs)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' " + " ".join(PLOTLY_STYLE_HASHES),
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_action]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecurityHeaders:
    """ASGI middleware: ``HEADERS`` on every HTTP response, and ``Cache-Control: no-store`` by default."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name == "Content-Security-Policy" and name in headers:
                        continue  # the OAuth consent page sets its own: this policy with a wider form-action
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
