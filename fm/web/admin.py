"""Administration: the whole audit trail and the accounts (admins only); each record's own history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fm import audit, users
from fm.errors import ValidationError
from fm.model.people import ACTIONS, LANGUAGES, ROLES, SOURCES
from fm.web.auth import actor, check_write, writes
from fm.web.context import session
from fm.web.downloads import table_response

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 100


def _filters() -> dict[str, Any]:
    """The trail's filters from the query, each checked."""
    found: dict[str, Any] = {}
    for name, allowed in (("source", SOURCES), ("action", ACTIONS)):
        value = request.args.get(name) or None
        if value is not None and value not in allowed:
            raise ValidationError(f"{name} must be one of {', '.join(allowed)}")
        found[name] = value
    found["table_name"] = request.args.get("table") or None
    found["actor"] = request.args.get("actor") or None
    record = request.args.get("record") or None
    if record is not None and not record.isdigit():
        raise ValidationError("record must be a record number")
    found["record_id"] = int(record) if record else None
    return found


def _page() -> int:
    text = request.args.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        raise ValidationError("page must be a whole number from 1")
    return int(text)


@blueprint.get("/audit")
def audit_trail() -> str:
    """Every change, newest first, filtered by table, record, actor, source and action."""
    check_write("audit")
    filters, page = _filters(), _page()
    with session() as active:
        entries, total = audit.history(active, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, **filters)
        known_tables = audit.tables(active)
    return render_template("admin/audit.html", entries=entries.to_dict("records"), total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), args=request.args, tables=known_tables,
                           sources=SOURCES, actions=ACTIONS)


@blueprint.get("/audit.<fmt>")
def audit_download(fmt: str) -> Response:
    """The filtered trail as CSV or Excel, one row per changed field."""
    check_write("audit")
    with session() as active:
        entries, _total = audit.history(active, limit=None, **_filters())
    return table_response(audit.flatten(entries), "audit-trail", fmt)


@blueprint.get("/users")
def accounts() -> str:
    """Every account; create one, change a role, reset a password, stop or restart an account."""
    check_write("users")
    with session() as active:
        listing = users.listing(active)
    return render_template("admin/users.html", accounts=listing.to_dict("records"), roles=ROLES,
                           languages=LANGUAGES, shown=None)


@blueprint.post("/users")
@writes("users")
def create_account() -> Any:
    """A new account with a generated password, shown once on the page that follows."""
    form = request.form
    password = users.generate_password()
    try:
        with session() as active:
            users.create(active, form.get("username", "").strip(), role=form.get("role", ""), password=password,
                         display_name=form.get("display_name") or None, language=form.get("language", "ja"),
                         actor=actor(), source="web")
    except ValidationError as exc:
        with session() as active:
            listing = users.listing(active)
        return render_template("admin/users.html", accounts=listing.to_dict("records"), roles=ROLES,
                               languages=LANGUAGES, shown=None, problems=exc.problems, form=form), 400
    return _shown(form["username"].strip(), password)


def _shown(username: str, password: str) -> str:
    with session() as active:
        listing = users.listing(active)
    return render_template("admin/users.html", accounts=listing.to_dict("records"), roles=ROLES,
                           languages=LANGUAGES, shown={"username": username, "password": password})


@blueprint.post("/users/<username>/role")
@writes("users")
def set_role(username: str) -> Response:
    with session() as active:
        users.set_role(active, username, request.form.get("role", ""), actor=actor(), source="web")
    flash(_("%(user)s: role changed.", user=username))
    return redirect(url_for("admin.accounts"))


@blueprint.post("/users/<username>/password")
@writes("users")
def reset_password(username: str) -> str:
    password = users.generate_password()
    with session() as active:
        users.set_password(active, username, password, actor=actor(), source="web")
    return _shown(username, password)


@blueprint.post("/users/<username>/active")
@writes("users")
def set_active(username: str) -> Response:
    if username == actor():
        raise ValidationError(_("You cannot stop your own account."))
    with session() as active:
        users.set_active(active, username, request.form.get("active") == "1", actor=actor(), source="web")
    flash(_("%(user)s: account updated.", user=username))
    return redirect(url_for("admin.accounts"))


@blueprint.app_template_global()
def record_history(table: str, record_id: int, limit: int = 20) -> dict[str, Any]:
    """The latest changes of one record, for ``{% include "record_history.html" %}`` on its page."""
    with session() as active:
        entries, total = audit.history(active, limit=limit, table_name=table, record_id=record_id)
    return {"entries": entries.to_dict("records"), "total": total, "table": table, "record_id": record_id}
