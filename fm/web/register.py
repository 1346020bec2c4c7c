"""The asset register: search, filter, sort and page every asset; download the filtered list.

``GET /assets`` (the page; ``?format=csv|xlsx`` downloads the whole filtered list) and
``GET /api/assets`` (one page as JSON) take the same parameters: see ``docs/register.md``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from fm.app import register
from fm.app.register import ASSET_STATUSES, PLAN, RISK
from fm.errors import ValidationError
from fm.web.api import json_response
from fm.web.context import session
from fm.web.downloads import table_response

pages = Blueprint("register", __name__)
api = Blueprint("register_api", __name__)
FORMATS = ("csv", "xlsx")
KEPT = 256  # rendered contents kept per process (fm.app.snapshots keeps as many pages), least recently used dropped

_rendered: OrderedDict[tuple[int, str, str], tuple[dict[str, Any], Markup]] = OrderedDict()
_guard = threading.Lock()


def _lang() -> str:
    return str(get_locale())


@pages.get("/assets")
def index() -> str | Response:
    """The register, one page; with ?format=csv or xlsx, every asset the filters keep as a file."""
    fmt = request.args.get("format")
    if fmt is not None:
        return _download(fmt)
    with session() as active:
        page = register.register_page(active, request.args, lang=_lang())
    return render_template("register.html", content=_content(page))


def _content(page: dict[str, Any]) -> Markup:
    """The page's content (filters, table, pager), rendered once for each kept page, language and mount point.

    :func:`fm.app.register.register_page` hands out the same kept page until a write, and the content depends on
    nothing else (the account, the CSRF token and the stale-figures note are base.html's): rendering its rows was
    half of a request's CPU. The entry holds the page itself, so its ``id`` is not reused while kept."""
    key = (id(page), _lang(), request.script_root)
    with _guard:
        kept = _rendered.get(key)
        if kept is not None and kept[0] is page:
            _rendered.move_to_end(key)
            return kept[1]
    content = Markup(
        render_template(
            "register_content.html",
            page=page,
            query=page["query"],
            columns=register.sql.COLUMNS,
            statuses=ASSET_STATUSES,
            risks=RISK,
            plans=PLAN,
            page_sizes=register.PAGE_SIZES,
            links=asset_links([row["code"] for row in page["assets"]]),
            **words(),
        )
    )
    with _guard:
        _rendered[key] = (page, content)
        while len(_rendered) > KEPT:
            _rendered.popitem(last=False)
    return content


def asset_links(codes: list[str]) -> dict[str, str]:
    """Each asset's page, as ``url_for("assets.page", code=…)`` writes it, for a whole page of rows at once
    (one ``url_for`` and the route's converter, not two ``url_for`` a row: a tenth of the page's time)."""
    prefix = url_for("assets.page", code="-")[:-1]
    to_url = current_app.url_map.converters["path"](current_app.url_map).to_url
    return {code: prefix + to_url(code) for code in codes}


@api.get("/assets")
def assets() -> Response:
    """One page of the register as JSON (same parameters as the page, and ?lang for names)."""
    lang = request.args.get("lang", "ja")
    if lang not in ("ja", "en"):
        raise ValidationError(f"lang must be ja or en, got {lang!r}")
    with session() as active:
        return json_response(register.register_page(active, request.args, lang=lang))


def words() -> dict[str, dict[str, str]]:
    """Translated names of the register's columns and coded values (the asset page uses them too)."""
    lang = _lang()
    return {
        "column_names": {
            "code": _("Code"),
            "name": _("Name"),
            "category": _("Category"),
            "district": _("District"),
            "status": _("Status"),
            "year_built": _("Built"),
            "risk": _("Risk"),
            "plan_status": _("Individual plan"),
        },
        "status_names": {"in_service": _("In service"), "closed": _("Closed"), "disposed": _("Disposed")},
        "risk_names": {c.key: c.label(lang) for c in RISK},
        "risk_colours": {c.key: c.colour for c in RISK},
        "plan_names": {c.key: c.label(lang) for c in PLAN},
    }


def _download(fmt: str) -> Response:
    if fmt not in FORMATS:
        raise ValidationError(f"format must be csv or xlsx, got {fmt!r}")
    with session() as active:
        frame = register.register_list(active, request.args, lang=_lang())
    return table_response(frame, "assets", fmt)
