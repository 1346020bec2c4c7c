"""Figures computed once and served again until a write moves the tables they were computed from.

A use case wraps its expensive body in :func:`snapshot`: the result is kept under the
database, the use case's name and arguments, today's date (fiscal-year defaults and
"as of today" figures depend on it) and the change counters of fm/db/changes.py. A
later call with the same key reads the counters (one small query) and returns a copy of
the kept result; any write to a watched table, by any process, moves the counters and
the next call computes afresh. While one request computes a figure, others asking for
the same one wait for it instead of computing it again.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from fm.db.changes import version

T = TypeVar("T")

LIMIT = 256  # results kept per process, the least recently used dropped first

_kept: OrderedDict[Hashable, object] = OrderedDict()
_computing: dict[Hashable, threading.Lock] = {}
_guard = threading.Lock()


def snapshot(session: Session, name: str, compute: Callable[[], T], *arguments: Hashable) -> T:
    """``compute()``, or a copy of its result from an earlier call with the same key (see the module)."""
    bind = session.get_bind()
    key = (bind.url.render_as_string(hide_password=True), name, arguments, date.today(), version(session))
    with _guard:
        lock = _computing.setdefault(key, threading.Lock())
    with lock:
        with _guard:
            if key in _kept:
                _kept.move_to_end(key)
                return copy.deepcopy(_kept[key])  # type: ignore[return-value]
        try:
            result = compute()
            with _guard:
                _kept[key] = copy.deepcopy(result)
                while len(_kept) > LIMIT:
                    _kept.popitem(last=False)
        finally:
            with _guard:
                _computing.pop(key, None)
        return result


def snapshotted(use_case: Callable[..., T]) -> Callable[..., T]:
    """A use case ``f(session, *args, **kwargs)`` whose result is a :func:`snapshot` keyed by its arguments."""

    @functools.wraps(use_case)
    def kept(session: Session, *args: Hashable, **kwargs: object) -> T:
        arguments = (args, tuple(sorted((name, _hashable(value)) for name, value in kwargs.items())))
        name = f"{use_case.__module__}.{use_case.__qualname__}"
        return snapshot(session, name, lambda: use_case(session, *args, **kwargs), arguments)

    return kept


def _hashable(value: object) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_hashable(item) for item in value)
    return value  # type: ignore[return-value]
