"""The city's published indicator figures (``published.toml``), to mark beside the computed ones."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from fm.domain.kpi.measures import INDICATORS
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("published.toml")


def load_published(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """Per indicator: ``fiscal_year``, ``value`` and ``source`` of its published figure; every problem named.

    >>> load_published()["aging_ratio"]["value"]
    67.7
    """
    try:
        with open(path or DEFAULT, "rb") as handle:
            figures = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"published figures {path or DEFAULT}: cannot read them ({exc})") from None
    problems = []
    for key, figure in figures.items():
        if key not in INDICATORS:
            problems.append(f"unknown indicator {key!r}")
        elif not (
            isinstance(figure, dict)
            and isinstance(figure.get("fiscal_year"), int)
            and isinstance(figure.get("value"), (int, float))
            and not isinstance(figure.get("value"), bool)
            and isinstance(figure.get("source"), str)
        ):
            problems.append(f"{key}: needs fiscal_year (a year), value (a number) and source (text)")
    if problems:
        raise ValidationError([f"published figures {path or DEFAULT}: {p}" for p in problems])
    return figures
