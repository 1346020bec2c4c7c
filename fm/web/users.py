"""The accounts page (admins only): create an account, change its role, reset its password, stop it."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from fm.app import users
from fm.errors import ValidationError
from fm.web.auth import actor, check_write, writes
from fm.web.context import session

pages = Blueprint("users", __name__, url_prefix="/admin")


@pages.get("/users")
def accounts() -> str:
    """Every account; create one, change a role, reset a password, stop or restart an account."""
    check_write("users")
    with session() as active:
        listing = users.listing(active)
    return render_template(
        "admin/users.html",
        accounts=listing.to_dict("records"),
        roles=users.ROLES,
        languages=users.LANGUAGES,
        shown=None,
    )


@pages.post("/users")
@writes("users")
def create_account() -> Any:
    """A new account with a generated password, shown once on the page that follows."""
    form = request.form
    password = users.generate_password()
    try:
        with session() as active:
            users.create(
                active,
                form.get("username", "").strip(),
                role=form.get("role", ""),
                password=password,
                display_name=form.get("display_name") or None,
                language=form.get("language", "ja"),
                actor=actor(),
                source="web",
            )
    except ValidationError as exc:
        with session() as active:
            listing = users.listing(active)
        return render_template(
            "admin/users.html",
            accounts=listing.to_dict("records"),
            roles=users.ROLES,
            languages=users.LANGUAGES,
            shown=None,
            problems=exc.problems,
            form=form,
        ), 400
    return _shown(form["username"].strip(), password)


def _shown(username: str, password: str) -> str:
    with session() as active:
        listing = users.listing(active)
    return render_template(
        "admin/users.html",
        accounts=listing.to_dict("records"),
        roles=users.ROLES,
        languages=users.LANGUAGES,
        shown={"username": username, "password": password},
    )


@pages.post("/users/<username>/role")
@writes("users")
def set_role(username: str) -> Response:
    with session() as active:
        users.set_role(active, username, request.form.get("role", ""), actor=actor(), source="web")
    flash(_("%(user)s: role changed.", user=username))
    return redirect(url_for("users.accounts"))


@pages.post("/users/<username>/password")
@writes("users")
def reset_password(username: str) -> str:
    password = users.generate_password()
    with session() as active:
        users.set_password(active, username, password, actor=actor(), source="web")
    return _shown(username, password)


@pages.post("/users/<username>/active")
@writes("users")
def set_active(username: str) -> Response:
    if username == actor():
        raise ValidationError(_("You cannot stop your own account."))
    with session() as active:
        users.set_active(active, username, request.form.get("active") == "1", actor=actor(), source="web")
    flash(_("%(user)s: account updated.", user=username))
    return redirect(url_for("users.accounts"))
