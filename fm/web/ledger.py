"""The fixed-asset ledger page: its aging ratio beside fm's, and the pairs a person settles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fm.app import ledger
from fm.errors import ValidationError
from fm.web.auth import actor, writes
from fm.web.context import session

pages = Blueprint("ledger", __name__, url_prefix="/ledger")


def _page(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    with session() as active:
        listing = ledger.pairs(active)
        aging = ledger.aging(active)
    rows = aging["rows"].astype(object)
    rows = rows.where(rows.notna(), None)
    differing = rows[aging["rows"]["difference"].fillna(1).to_numpy() != 0]
    return render_template(
        "ledger.html",
        counts=listing["counts"],
        pairs=listing["rows"].to_dict("records"),
        totals=aging["totals"],
        differing=differing.head(200).to_dict("records"),
        differing_count=len(differing),
        errors=errors or {},
    ), status


@pages.get("")
def index() -> Any:
    """The ledger's totals and aging ratio beside fm's, the rows that differ, and the pairs to settle."""
    return _page()


@pages.post("/settle/<path:ledger_no>")
@writes("ledger")
def settle(ledger_no: str) -> Any:
    """Settle one ledger row: the asset typed (``asset_code``), or none of the register (``none``)."""
    code = None if request.form.get("none") else (request.form.get("asset_code") or "").strip()
    if code == "":
        return _page({ledger_no: _("give the asset's code, or choose: not in the register")}, 400)
    try:
        with session() as active:
            ledger.settle(active, ledger_no, code, actor=actor(), source="web")
    except ValidationError as exc:
        return _page({ledger_no: "; ".join(exc.problems)}, 400)
    flash(_("%(row)s settled.", row=ledger_no))
    return redirect(url_for("ledger.index"))
