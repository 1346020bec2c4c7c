"""The fixed-asset ledger page: its aging ratio beside fm's, and the pairs a person settles."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fm.app import ledger
from fm.errors import ValidationError
from fm.serialize import records
from fm.web.api import convention_arg, json_response
from fm.web.auth import actor, writes
from fm.web.context import session

pages = Blueprint("ledger", __name__, url_prefix="/ledger")
api = Blueprint("ledger_api", __name__)


@api.get("/ledger/aging")
def aging_json() -> Response:
    """The ledger's aging ratio beside fm's, every row with its difference: the JSON of `fm ledger aging`."""
    with session() as active:
        result = ledger.aging(active, convention=convention_arg())
    return json_response({"totals": result["totals"], "rows": records(result["rows"])})


@api.get("/ledger/pairs")
def pairs_json() -> Response:
    """The counts by state and the rows to settle, as `fm ledger match --format json` lists them (read only)."""
    with session() as active:
        listing = ledger.pairs(active)
    return json_response({"counts": listing["counts"], "rows": records(listing["rows"])})


def _reason(text: str | None) -> str:
    """A reason of the matching or the aging comparison (the domain says them in English) in the page's
    language."""
    if not text:
        return ""
    fixed = {
        "settled by a person": _("settled by a person"),
        "settled by a person: not in the register": _("settled by a person: not in the register"),
        "the asset's ledger number": _("the asset's ledger number"),
        "the same name": _("the same name"),
        "the same name in its district": _("the same name in its district"),
        "no asset of this name in the register": _("no asset of this name in the register"),
        "the same name, but the location does not name its district": _(
            "the same name, but the location does not name its district"
        ),
        "the ledger depreciates day by day from acquisition": _("the ledger depreciates day by day from acquisition"),
        "the ledger depreciates by whole fiscal years": _("the ledger depreciates by whole fiscal years"),
        "the ledger depreciates from the fiscal year of acquisition": _(
            "the ledger depreciates from the fiscal year of acquisition"
        ),
        "the ledger keeps no 1-yen memo value": _("the ledger keeps no 1-yen memo value"),
        "not recomputed: the row has no acquisition date or no useful life": _(
            "not recomputed: the row has no acquisition date or no useful life"
        ),
        "no convention gives the ledger's figure: an impairment, a revaluation, another life, or an error": _(
            "no convention gives the ledger's figure: an impairment, a revaluation, another life, or an error"
        ),
    }
    if text in fixed:
        return fixed[text]
    if found := re.fullmatch(r"(.+): not held in the asset register", text):
        return _("%(account)s: not held in the asset register", account=found[1])
    if found := re.fullmatch(r"(\d+) assets of this name", text):
        return _("%(n)s assets of this name", n=found[1])
    if found := re.fullmatch(r"(.+) is not depreciated, and the ledger depreciates it", text):
        return _("%(account)s is not depreciated, and the ledger depreciates it", account=found[1])
    return text


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
        pairs=[dict(p, reason=_reason(p["reason"])) for p in listing["rows"].to_dict("records")],
        totals=aging["totals"],
        differing=[dict(r, reason=_reason(r["reason"])) for r in differing.head(200).to_dict("records")],
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
