"""The one JSON serialiser: the API's bodies and ``fm … --format json`` print the same bytes."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import numpy as np
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
    ``compact`` on one line without spaces (map data, where size matters).

    Infinity and NaN are not JSON: a non-finite number is written as null (the encoder refuses them; only
    then is the data walked to replace them, so the common case costs nothing more).
    """
    encoder = _COMPACT if compact else _INDENTED
    try:
        return encoder.encode(data)
    except ValueError:
        return encoder.encode(_finite(data))


_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_default, separators=(",", ":"))
_INDENTED = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_default, indent=2)
"""Made once: an encoder made per call cost more than encoding a map feature's few properties."""


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (numpy's included) in it replaced by None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
