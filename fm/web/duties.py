"""The statutory measures as JSON: ``GET /api/duties`` = ``fm duties --format json``."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, request

from fm.app import duties
from fm.errors import ValidationError
from fm.web.api import json_response
from fm.web.context import session

api = Blueprint("duties", __name__)


def _as_of() -> date:
    raw = request.args.get("as_of")
    if raw is None:
        return date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"as_of must be a date such as 2026-04-01, got {raw!r}") from None


@api.get("/duties")
def duty_list() -> Response:
    """Every duty after a Ⅲ/Ⅳ judgement (?as_of=, ?state=, ?overdue=1), overdue first."""
    overdue = request.args.get("overdue", "0")
    if overdue not in ("0", "1", "true", "false"):
        raise ValidationError(f"overdue must be 1 or 0, got {overdue!r}")
    with session() as active:
        return json_response(
            duties.list_duties(
                active, as_of=_as_of(), state=request.args.get("state"), overdue=overdue in ("1", "true")
            )
        )
