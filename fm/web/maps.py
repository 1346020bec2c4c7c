"""Map pages, the viewport endpoint their script reads, and asset cards (the asset page is fm.web.asset_page)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from fm.app import maps
from fm.app.maps import DISTRICT_INDICATORS, classes
from fm.app.risk import load_config
from fm.serialize import to_json
from fm.web.context import session
from fm.web.security import with_nonce

pages = Blueprint("maps", __name__)
api = Blueprint("map_api", __name__)


def _lang() -> str:
    return str(get_locale())


def static_url(path: str) -> str:
    return url_for("static", filename=path)


def embed(m: Any) -> dict[str, str]:
    """A Folium map's head, body and script, to place inside one of the app's pages."""
    root = m.get_root()
    root.render()
    return {
        "head": with_nonce(root.header.render()),
        "body": with_nonce(root.html.render()),
        "script": root.script.render(),
    }


@pages.get("/maps")
def maps_home() -> Response:
    """The maps start with the risk map."""
    query = request.query_string.decode()
    return redirect(url_for("maps.page", kind="risk") + (f"?{query}" if query else ""))


@pages.get("/maps/<kind>")
def page(kind: str) -> str:
    """One map (risk, plans, land, districts, repairs) with its filters."""
    urls = {layer: url_for("map_api.layer", layer=layer) for layer in maps.LAYERS}
    urls["card"] = url_for("map_api.card", code="__CODE__")
    with session() as active:
        m = maps.build_map(
            active,
            kind,
            request.args,
            tiles=current_app.config["FM_TILES"],
            static=static_url,
            urls=urls,
            config=load_config(),
            lang=_lang(),
        )
        districts = maps.district_names(active)
    return render_template(
        "map.html",
        kind=kind,
        kinds=maps.KINDS,
        map=embed(m),
        args=request.args,
        districts=districts.to_dict("records"),
        classes=classes(kind) if kind in maps.LAYERS else (),
        indicators=DISTRICT_INDICATORS,
        title=maps.title(kind, _lang()),
    )


@api.get("/map/<layer>")
def layer(layer: str) -> Response:
    """The features (or clusters) of a map layer in ?bbox at ?zoom, filtered: what the map draws."""
    with session() as active:
        text = maps.map_layer(active, layer, request.args)
    return Response(text, mimetype="application/geo+json")


@api.get("/map/cards/<path:code>")
def card(code: str) -> Response:
    """An asset's card for a map popup, with the link to its page."""
    with session() as active:
        data = maps.asset_card(active, code, config=load_config(), lang=_lang())
    return Response(to_json({**data, "url": url_for("assets.page", code=code)}), mimetype="application/json")
