"""Security headers on every response: a Content-Security-Policy that allows only the app itself
(and the configured tile server for map images), no framing, no content-type sniffing.

Inline scripts run only with the request's nonce (``csp_nonce()`` in templates); Folium's
own inline scripts get it in :func:`with_nonce`.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

_SCRIPT = re.compile(r"<script(?![^>]*\bnonce=)")


def nonce() -> str:
    """This request's script nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_nonce(html: str) -> str:
    """``html`` (made by the app, e.g. Folium's output) with the nonce on each of its script tags."""
    return _SCRIPT.sub(f'<script nonce="{nonce()}"', html)


def policy(tile_hosts: list[str], script_nonce: str) -> str:
    """The CSP header value."""
    images = " ".join(["'self'", "data:", "blob:", *tile_hosts])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{script_nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response of ``app``."""
    hosts = sorted(
        {
            f"{p.scheme}://{p.netloc}".replace("{s}", "*")
            for t in app.config["FM_TILES"]
            if (p := urlsplit(t.url)).netloc
        }
    )
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy(hosts, nonce())
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":  # pages, JSON and downloads hold a signed-in user's data
            response.headers["Cache-Control"] = "no-store"
        return response
