"""One error shape: JSON ``{"error": {"status", "message"}}`` under /api, an error page elsewhere."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, Response, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from fm.errors import (
    Conflict,
    DatabaseError,
    FmError,
    Forbidden,
    NotFound,
    ValidationError,
)
from fm.web.api import json_response
from fm.web.context import database


def error_response(status: int, message: str) -> Response | tuple[str, int]:
    """The error in the form the client asked for: JSON for the API, HTML for pages."""
    if request.path.startswith("/api/"):
        return json_response({"error": {"status": status, "message": message}}, status)
    return render_template("error.html", status=status, message=message), status


def busy(exc: sa.exc.DBAPIError) -> bool:
    """Whether ``exc`` is SQLite's lock held by another process past the busy timeout."""
    return isinstance(exc, sa.exc.OperationalError) and "database is locked" in str(exc.orig)


def init_app(app: Flask) -> None:
    """Register the handlers on ``app``, and check the database before the first request it serves."""

    @app.before_request
    def database_ready() -> None:
        # Until the database passes its check once, every request re-checks it, so the page
        # says "run fm db upgrade" instead of failing somewhere inside a query.
        if request.endpoint != "static" and not app.extensions.get("fm.database_ready"):
            database().check()
            app.extensions["fm.database_ready"] = True

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError):
        return error_response(400, str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_response(404, str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict):
        return error_response(409, str(exc))

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return error_response(403, str(exc))

    @app.errorhandler(CSRFError)
    def stale_form(exc: CSRFError):
        return error_response(
            400,
            _(
                "The form has expired or did not come from this app (%(reason)s). Reload the page and try again.",
                reason=exc.description,
            ),
        )

    @app.errorhandler(FmError)
    def unavailable(exc: FmError):
        if isinstance(exc, DatabaseError):
            g.database_down = True  # the error page is drawn without asking the database who is signed in
        return error_response(503, str(exc))

    @app.errorhandler(sa.exc.DBAPIError)
    def database_failure(exc: sa.exc.DBAPIError):
        if busy(exc):
            return error_response(
                503,
                _(
                    "The database is busy (another program, such as an import, is writing to it). Nothing was "
                    "saved: try again in a moment."
                ),
            )
        # Most database failures are a database not set up or not reachable: say which, and what to run.
        try:
            database().check()
        except DatabaseError as reason:
            g.database_down = True
            return error_response(503, str(reason))
        raise exc
