"""What the JSON API's areas share: one response whose body is what ``fm … --format json`` prints, and the
query parameters several areas read, each checked."""

from __future__ import annotations

import re

from flask import Response, request
from werkzeug.routing import IntegerConverter

from fm.app.conventions import CONVENTIONS
from fm.errors import ValidationError
from fm.serialize import to_json
from fm.web.i18n import LANGUAGES

MAX_ID = 2**31 - 1
"""The largest record number (PostgreSQL's ``integer``); a larger one in a path is 404, in a query 400."""


class RecordNumber(IntegerConverter):
    """``<int:…>`` in every route: a record number from 0 to :data:`MAX_ID` (a larger one matches no route)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def whole_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """Query parameter ``name``: a whole number from ``low`` to ``high`` (400 with a message otherwise)."""
    raw = request.args.get(name) or None
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}, got {raw[:30]!r}")
    return int(raw)


def json_response(data: object, status: int = 200) -> Response:
    """A response whose body is exactly what ``fm … --format json`` prints."""
    return Response(to_json(data), status=status, mimetype="application/json")


def fiscal_year_arg(required: bool = False) -> int | None:
    """Query parameter ``fiscal_year``, checked (shared by the API and the dashboard)."""
    raw = request.args.get("fiscal_year")
    if raw is None:
        if required:
            raise ValidationError("fiscal_year is required, e.g. ?fiscal_year=2025")
        return None
    if not re.fullmatch(r"[0-9]{4}", raw) or not 1900 <= int(raw) <= 2200:
        raise ValidationError(f"fiscal_year must be a year such as 2025, got {raw!r}")
    return int(raw)


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """Query parameter ``name``, one of ``choices`` (the first is the default)."""
    value = request.args.get(name, choices[0])
    if value not in choices:
        raise ValidationError(f"{name} must be {' or '.join(choices)}, got {value!r}")
    return value


def convention_arg() -> str:
    """Query parameter ``convention`` of the depreciation (shared by the API and the dashboard)."""
    return _choice("convention", CONVENTIONS)


def lang_arg() -> str:
    return _choice("lang", LANGUAGES)
