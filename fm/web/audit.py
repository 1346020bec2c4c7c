"""The audit trail (admins only) and each record's own history on its page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from fm.app import audit
from fm.errors import ValidationError
from fm.web.api import MAX_ID, whole_arg
from fm.web.auth import check_write
from fm.web.context import session
from fm.web.downloads import table_response

pages = Blueprint("audit", __name__, url_prefix="/admin")
PER_PAGE = 100


def _filters() -> dict[str, Any]:
    """The trail's filters from the query, each checked."""
    found: dict[str, Any] = {}
    for name, allowed in (("source", audit.SOURCES), ("action", audit.ACTIONS)):
        value = request.args.get(name) or None
        if value is not None and value not in allowed:
            raise ValidationError(f"{name} must be one of {', '.join(allowed)}")
        found[name] = value
    found["table_name"] = request.args.get("table") or None
    found["actor"] = request.args.get("actor") or None
    found["record_id"] = whole_arg("record", None, 1, MAX_ID)
    return found


def _page() -> int:
    page = whole_arg("page", 1, 1, 1_000_000)
    return 1 if page is None else page


@pages.get("/audit")
def audit_trail() -> str:
    """Every change, newest first, filtered by table, record, actor, source and action."""
    check_write("audit")
    filters, page = _filters(), _page()
    with session() as active:
        entries, total = audit.history(active, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, **filters)
        known_tables = audit.tables(active)
    return render_template(
        "admin/audit.html",
        entries=entries.to_dict("records"),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=request.args,
        tables=known_tables,
        sources=audit.SOURCES,
        actions=audit.ACTIONS,
    )


@pages.get("/audit.<fmt>")
def audit_download(fmt: str) -> Response:
    """The filtered trail as CSV or Excel, one row per changed field."""
    check_write("audit")
    with session() as active:
        entries, _total = audit.history(active, limit=None, **_filters())
    return table_response(audit.flatten(entries), "audit-trail", fmt)


@pages.app_template_global()
def record_history(table: str, record_id: int, limit: int = 20) -> dict[str, Any]:
    """The latest changes of one record, for ``{% include "record_history.html" %}`` on its page."""
    with session() as active:
        entries, total = audit.history(active, limit=limit, table_name=table, record_id=record_id)
    return {"entries": entries.to_dict("records"), "total": total, "table": table, "record_id": record_id}
