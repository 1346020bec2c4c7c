"""Security headers on every response: a Content-Security-Policy that allows only the app itself
(and the configured tile server for map images), no framing, no content-type sniffing.

Inline scripts and ``<style>`` elements run only with the request's nonce (``csp_nonce()`` in
templates); Folium's own get it in :func:`with_nonce`. Style attributes are not allowed at all:
bars and swatches are SVG whose sizes and colours are attributes (:func:`bar`, :func:`swatch`),
and scripts style elements through the DOM.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from markupsafe import Markup

_SCRIPT = re.compile(r"<(script|style)(?![^>]*\bnonce=)")


def nonce() -> str:
    """This request's script nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def with_nonce(html: str) -> str:
    """``html`` (made by the app, e.g. Folium's output) with the nonce on each of its script and style tags."""
    return _SCRIPT.sub(lambda tag: f'<{tag.group(1)} nonce="{nonce()}"', html)


def bar(percent: float) -> Markup:
    """A horizontal bar ``percent`` wide, as SVG (its width an attribute, since the CSP allows no inline styles)."""
    width = max(0.0, min(100.0, float(percent)))
    return Markup(
        f'<svg viewBox="0 0 100 1" preserveAspectRatio="none" role="img" aria-label="{width:.0f}%">'
        f'<rect width="{width:.1f}" height="1"/></svg>'
    )


def swatch(colour: str) -> Markup:
    """A round colour swatch, as SVG (its colour a fill attribute, not a style)."""
    return Markup(
        '<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><circle cx="5" cy="5" r="5" fill="{}"/></svg>'
    ).format(colour)


def policy(tile_hosts: list[str], script_nonce: str) -> str:
    """The CSP header value."""
    images = " ".join(["'self'", "data:", "blob:", *tile_hosts])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{script_nonce}'",
            f"style-src 'self' 'nonce-{script_nonce}'",
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
    app.jinja_env.globals.update(csp_nonce=nonce, bar=bar, swatch=swatch)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy(hosts, nonce())
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":  # pages, JSON and downloads hold a signed-in user's data
            response.headers["Cache-Control"] = "no-store"
        return response
