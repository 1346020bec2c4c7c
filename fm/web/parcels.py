"""The land parcel page: attributes, area in m² (EPSG:6677), the history of its use and a small map."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from fm.app import forms, parcels
from fm.app.maps import mini_map
from fm.web.context import session
from fm.web.maps import embed, static_url

pages = Blueprint("parcels", __name__)


@pages.get("/parcels/<path:code>")
def page(code: str) -> str:
    """The parcel ``code``."""
    with session() as active:
        data = parcels.parcel_page(active, code)
    mini = mini_map(data["geometry"], colour="#2f6f9f", tiles=current_app.config["FM_TILES"], static=static_url)
    return render_template(
        "parcel.html", parcel=data["parcel"], uses=data["uses"], map=embed(mini), choices=forms.CHOICES
    )
