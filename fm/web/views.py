"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from fm import service
from fm.web.context import session

blueprint = Blueprint("views", __name__)


@blueprint.get("/")
def index() -> str:
    """Home: how many assets the city holds, by category and by district."""
    with session() as active:
        counts = service.asset_stats(active)
    return render_template("index.html", counts=counts)
