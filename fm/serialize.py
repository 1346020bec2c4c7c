"""The one JSON serialiser: the API's bodies and ``fm … --format json`` print the same bytes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def to_json(data: Any) -> str:
    """JSON text with Japanese kept readable (no \\u escapes) and dates as ISO 8601."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)
