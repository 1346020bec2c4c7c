"""Query parameters shared by the pages that filter lists: comma-separated choices, checked."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

_TOKEN = re.compile(r"[0-9A-Za-z_\-]{1,40}")


def listed(name: str, raw: str, known: Sequence, problems: list[str], convert: Callable[[str], Any] = str) -> tuple:
    """The values of the comma-separated ``raw`` that ``known`` holds, in order and once each; each other
    item adds a problem naming ``name`` (codes are ASCII: ``１`` is not ``1``).

    >>> problems = []
    >>> listed("district", "2, 1,2,x", [1, 2], problems, int), problems
    ((2, 1), ["district: unknown value 'x'; choose from 1, 2"])
    """
    values = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        try:
            value = convert(item) if _TOKEN.fullmatch(item) else None
        except ValueError:
            value = None
        if value not in known:
            problems.append(f"{name}: unknown value {item!r}; choose from {', '.join(map(str, known))}")
        else:
            values.append(value)
    return tuple(dict.fromkeys(values))
