"""The individual plan page: attributes, the assets it covers, its works and its yearly budget items."""

from __future__ import annotations

from flask import Blueprint, render_template

from fm import records
from fm.web.context import session

blueprint = Blueprint("plans", __name__)


@blueprint.get("/plans/<path:code>")
def page(code: str) -> str:
    """The individual plan ``code``."""
    with session() as active:
        data = records.plan_page(active, code)
    return render_template("plan.html", **data)
