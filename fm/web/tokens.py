"""The API tokens page: a signed-in person makes and revokes their own tokens (the new token shown once);
an admin sees and revokes everyone's."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fm.app import tokens
from fm.errors import ValidationError
from fm.web.auth import actor, writes
from fm.web.context import session

pages = Blueprint("tokens", __name__, url_prefix="/account")


def _is_admin() -> bool:
    from flask_login import current_user

    return current_user.role == "admin"


def _page(shown: str | None = None, error: str | None = None, status: int = 200) -> Any:
    from flask_login import current_user

    with session() as active:
        mine = tokens.listing(active, username=current_user.username)
        everyone = tokens.listing(active) if _is_admin() else None
    return render_template(
        "tokens.html",
        mine=mine.to_dict("records"),
        everyone=None if everyone is None else everyone.to_dict("records"),
        shown=shown,
        error=error,
        default_days=tokens.DEFAULT_DAYS,
        max_days=tokens.MAX_DAYS,
        service=url_for("ogcapi.landing", _external=True),
    ), status


@pages.get("/tokens")
def index() -> Any:
    """Your tokens (and, for an admin, everyone's)."""
    return _page()


@pages.post("/tokens")
@writes("tokens")
def create() -> Any:
    """A new token for the signed-in account, shown once on the page that follows."""
    from flask_login import current_user

    raw = (request.form.get("days") or str(tokens.DEFAULT_DAYS)).strip()
    try:
        if not raw.isdigit():
            raise ValidationError(_("Days must be a whole number from 1 to %(max)s.", max=tokens.MAX_DAYS))
        with session() as active:
            token, _row = tokens.create(
                active,
                current_user.username,
                days=int(raw),
                name=request.form.get("name", ""),
                actor=actor(),
                source="web",
            )
    except ValidationError as exc:
        return _page(error=str(exc), status=400)
    return _page(shown=token)


@pages.post("/tokens/<int:token_id>/revoke")
@writes("tokens")
def revoke(token_id: int) -> Any:
    """Stop a token at once: your own, or (an admin) anyone's."""
    from flask_login import current_user

    with session() as active:
        tokens.revoke(
            active, token_id, actor=actor(), source="web", owner=None if _is_admin() else current_user.username
        )
    flash(_("API token %(id)s revoked.", id=token_id))
    return redirect(url_for("tokens.index"))
