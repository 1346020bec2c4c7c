"""The one JSON serialiser: the API's bodies and ``fm … --format json`` print the same bytes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd


def _default(value: Any) -> Any:
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def to_json(data: Any, *, compact: bool = False) -> str:
    """JSON text with Japanese kept readable (no \\u escapes) and dates as ISO 8601; indented, or with
    ``compact`` on one line without spaces (map data, where size matters)."""
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default)
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as dicts for JSON: missing values become None, geometry is left out."""
    frame = frame.drop(columns=[c for c in ("geom", "geometry") if c in frame.columns])
    return [{k: (None if missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA; False for anything else (lists included)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
