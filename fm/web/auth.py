"""Sign-in and sign-out, sessions that expire, and the role check in front of every write.

Every page and API call needs a signed-in account (a viewer reads everything); a view
that changes data is wrapped in :func:`writes`, which answers 403 to a role that may not
(fm.accounts.roles) before the view runs. Flask-Login keeps the account in the signed session
cookie; the session ends after ``FM_SESSION_IDLE_MINUTES`` (default 4 hours) without a request, ``SESSION_MAX`` after
sign-in, or when the account's password changes. Sign-in attempts are rate-limited per
address and per username (Flask-Limiter, in memory: one process per app, as fm serve runs).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from fm.app import tokens, users
from fm.web import context
from fm.web.api import json_response

SESSION_IDLE = timedelta(hours=4)
SESSION_MAX = timedelta(hours=12)
TOKEN_LOG = logging.getLogger("fm.tokens")
"""Every request made with an API token, and every token refused (``fm serve`` writes it to stderr)."""
PUBLIC = frozenset({"auth.sign_in", "static"})
"""Endpoints that answer without an account."""


def role_label(role: str) -> str:
    """A role's name in the page's language."""
    return {
        "viewer": _("Viewer"),
        "engineer": _("Engineer"),
        "facility_manager": _("Facility manager"),
        "finance": _("Finance"),
        "admin": _("Administrator"),
    }[role]


def subject_label(subject: str) -> str:
    """What a role may or may not change, in the page's language."""
    return {
        "assets": _("assets"),
        "parcels": _("land parcels"),
        "plans": _("individual plans"),
        "inspections": _("inspections"),
        "work_orders": _("work orders"),
        "targets": _("targets"),
        "budgets": _("budgets"),
        "users": _("accounts"),
        "audit": _("the audit trail"),
        "tokens": _("API tokens"),
        "ledger": _("the fixed-asset ledger"),
        "scenarios": _("portfolio scenarios"),
        "scenario_adoption": _("the adoption of portfolio scenarios"),
    }[subject]


blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", default_limits=[])


class Account(UserMixin):
    """The signed-in account, as the request sees it (no password hash)."""

    def __init__(self, user: users.User) -> None:
        self.id, self.username, self.role = user.id, user.username, user.role
        self.display_name, self.language = user.display_name or user.username, user.language

    def may_write(self, subject: str) -> bool:
        return users.may_write(self.role, subject)


def actor() -> str:
    """Who the audit trail names for this request's writes."""
    return current_user.username


def check_write(subject: str) -> None:
    """Stop the request with 403 unless the signed-in role may change ``subject``."""
    if not users.may_write(current_user.role, subject):
        abort(
            403,
            _(
                "Your role (%(role)s) may not change %(subject)s.",
                role=role_label(current_user.role),
                subject=subject_label(subject),
            ),
        )


def writes(*subjects: str) -> Callable:
    """Decorate a view that changes any of ``subjects``: 403 for roles that may change none of them.

    The view is marked (``fm_writes``) so that a test can try every write endpoint with every role.
    """
    for subject in subjects:
        if subject not in users.WRITERS:
            raise KeyError(f"unknown subject {subject!r}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not any(users.may_write(current_user.role, s) for s in subjects):
                check_write(subjects[0])
            return view(*args, **kwargs)

        checked.fm_writes = subjects  # type: ignore[attr-defined]
        return checked

    return decorate


@login_manager.user_loader
def _load(user_id: str) -> Account | None:
    started = session.get("signed_in_at")
    if started is None or g.get("database_down"):
        return None
    started_at = datetime.fromisoformat(started)
    if users.now() - started_at > SESSION_MAX:
        return None
    with context.session() as active:
        user = users.session_account(active, int(user_id), started_at, session.get("session_version"))
        return Account(user) if user is not None else None


def _token_credentials(req: Any) -> tuple[str, str | None] | None:
    """The token a request sends, and the username it names: ``Authorization: Bearer <token>``, or HTTP
    Basic with the username and the token as password (what GDAL's GDAL_HTTP_USERPWD and QGIS's basic
    authentication send); None without an Authorization header."""
    credentials = req.authorization
    if credentials is None:
        return None
    if credentials.type == "bearer":
        return credentials.token or "", None
    if credentials.type == "basic":
        return credentials.password or "", credentials.username or ""
    return "", None


@login_manager.request_loader
def _by_token(req: Any) -> Account | None:
    """The account of the API token the request carries; each use logged with the token's number."""
    credentials = _token_credentials(req)
    if credentials is None:
        return None
    token, username = credentials
    with context.session() as active:
        found = tokens.authenticate(active, token, username=username)
        if found is None:
            g.fm_token_refused = True
            TOKEN_LOG.warning(
                "API token refused (unknown, expired or revoked) for %s %s from %s",
                req.method,
                req.path,
                req.remote_addr,
            )
            return None
        user, row = found
        g.fm_token = row.id
        TOKEN_LOG.info(
            "API token %d (%s…) of %s: %s %s from %s",
            row.id,
            row.prefix,
            user.username,
            req.method,
            req.full_path.rstrip("?"),
            req.remote_addr,
        )
        return Account(user)


def _unauthorized() -> Response:
    """401 for a machine client: JSON (an OGC exception under /ogcapi), and how to authenticate."""
    message = _("Sign in first.")
    if g.get("fm_token_refused"):
        message = _("The API token is unknown, expired or revoked.")
    if request.path.startswith("/ogcapi"):
        body: dict[str, Any] = {"code": "Unauthorized", "description": message}
    else:
        body = {"error": {"status": 401, "message": message}}
    response = json_response(body, 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="fm", charset="UTF-8"'
    return response


def _wants_page() -> bool:
    if request.args.get("f") == "json":
        return False
    if request.args.get("f") == "html":
        return True
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of this app only (never another site)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


def _username_key() -> str:
    return "user:" + (request.form.get("username") or "").strip().casefold()


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FM"].sign_in_limit, methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"], key_func=_username_key)
def sign_in() -> Any:
    """The sign-in form; on success a new session, remembered for ``SESSION_IDLE`` without use."""
    error = None
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        with context.session() as active:
            user = users.sign_in(active, username, request.form.get("password") or "")
            if user is not None:
                account, version = Account(user), user.session_version
        if user is not None:
            session.clear()
            session.permanent = True
            session["signed_in_at"] = users.now().isoformat()
            session["session_version"] = version
            login_user(account)
            return redirect(_safe_next(request.form.get("next")))
        error = _("Wrong username or password.")
    return render_template("sign_in.html", error=error, next=request.values.get("next", ""))


@blueprint.post("/sign-out")
def sign_out() -> Response:
    """End the session on the server side too: a copy of its cookie stops working (as do the account's other
    sessions, which share its session version)."""
    if current_user.is_authenticated:
        with context.session() as active:
            users.end_sessions(active, current_user.id)
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.sign_in"))


def _too_many(exc: Any) -> tuple[str, int]:
    return render_template(
        "sign_in.html",
        error=_("Too many sign-in attempts. Wait a minute and try again."),
        next=request.values.get("next", ""),
    ), 429


def init_app(app: Flask) -> None:
    """Sessions, the account loader, the sign-in limit, and the sign-in check before every request."""
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["FM"].session_idle_minutes)
    secure = app.config["FM"].secure_cookies
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_REFRESH_EACH_REQUEST=True,
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    login_manager.init_app(app)
    limiter.init_app(app)
    app.register_error_handler(429, _too_many)
    app.register_blueprint(blueprint)

    @app.before_request
    def require_account() -> Any:
        if request.endpoint in PUBLIC:
            return None
        if request.authorization is not None:
            # A request that sends a token is judged by that token alone, even beside a session cookie: an
            # unknown, expired or revoked token is refused, and a live one acts as its own account.
            account = _by_token(request)
            if account is None:
                return _unauthorized()
            login_manager._update_request_context_with_user(account)
            return None
        if current_user.is_authenticated:
            return None
        machine = request.path.startswith("/ogcapi") and (request.authorization is not None or not _wants_page())
        if request.path.startswith("/api/") or machine:
            return _unauthorized()
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))

    @app.context_processor
    def account() -> dict[str, Any]:
        return {
            "current_user": current_user,
            "role_label": role_label,
            "has_endpoint": lambda name: name in app.view_functions,
        }
