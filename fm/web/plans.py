"""The individual plan page: attributes, the assets it covers, its works and its yearly budget items."""

from __future__ import annotations

from flask import Blueprint, render_template

from fm.app import plans
from fm.web.context import session

pages = Blueprint("plans", __name__)


@pages.get("/plans/<path:code>")
def page(code: str) -> str:
    """The individual plan ``code``."""
    with session() as active:
        data = plans.plan_page(active, code)
    return render_template("plan.html", **data)
