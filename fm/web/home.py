"""The home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from fm.app import home
from fm.web.context import session

pages = Blueprint("home", __name__)


@pages.get("/")
def index() -> str:
    """Home: how many assets the city holds, by category and by district, this year's indicators, the worst risks."""
    with session() as active:
        page = home.home_page(active, lang=str(get_locale()))
    return render_template("index.html", **page)
