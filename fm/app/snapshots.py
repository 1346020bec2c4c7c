"""Figures computed once and served again until a write moves the tables they were computed from.

A use case wraps its expensive body in :func:`snapshot`: the result is kept under the
database, the use case's name and arguments, today's date (fiscal-year defaults and
"as of today" figures depend on it) and the change counters of fm/db/changes.py. A
later call with the same key reads the counters (one small query) and returns a copy of
the kept result; any write to a watched table, by any process, moves the counters and
the next call computes afresh. While one request computes a figure, others asking for
the same one wait for it instead of computing it again.

**Computing in the background** (``refresh=True``, the landing page and the dashboard): after
a write the new figures are computed in a thread of their own, with a session of their own.
A caller waits for them at most :data:`patience` seconds (set per request by the web app from
``Config.figures_wait``; unset, as in the CLI and the use cases' tests, it waits for them
however long they take). When they are not ready by then and figures from before the write
are kept, those are returned instead and :func:`served_stale` says from when they are, so
that the page can say so; the next request after the computation ends gets the new ones.
With nothing kept yet the caller waits.

**Kept in the database too** (``refresh=True`` only, for a database the web app keeps figures in): a result
computed in the background is also written to ``kept_figures`` (fm/app/stored_figures.py), and a figure not in
memory is looked for there before it is computed. So the first request after the server starts, and each other
worker after one has computed the figures, read them instead of computing them again.
"""

from __future__ import annotations

import copy
import functools
import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from fm.app import stored_figures
from fm.db.changes import version

T = TypeVar("T")

LIMIT = 256  # results kept per process, the least recently used dropped first

log = logging.getLogger(__name__)

_kept: OrderedDict[Hashable, object] = OrderedDict()
_computing: dict[Hashable, threading.Lock] = {}
_guard = threading.Lock()
# refreshed figures: the latest result per key without the version, with when it was computed
_latest: OrderedDict[Hashable, tuple[Hashable, datetime, object]] = OrderedDict()
_running: dict[Hashable, _Run] = {}

patience: ContextVar[float | None] = ContextVar("fm_figures_patience", default=None)
_stale: ContextVar[datetime | None] = ContextVar("fm_figures_stale", default=None)


class _Run:
    """One background computation: its thread's outcome, and an event set when it ends."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: object = None
        self.error: BaseException | None = None


def served_stale() -> datetime | None:
    """When the oldest figures served in this context from before the latest write were computed (else None)."""
    return _stale.get()


def start_request(wait: float | None) -> None:
    """Begin a request's context: wait at most ``wait`` seconds for refreshed figures (None: always wait)."""
    patience.set(wait)
    _stale.set(None)


def snapshot(
    session: Session,
    name: str,
    compute: Callable[[Session], T],
    *arguments: Hashable,
    refresh: bool = False,
    tables: tuple[str, ...] | None = None,
    shared: bool = False,
) -> T:
    """``compute(session)``, or a copy of its result from an earlier call with the same key (see the module).

    With ``tables``, the key holds the change counters of those tables only: for a ``compute`` that reads
    nothing else, which then outlives writes to the other tables. With ``shared``, the kept result itself is
    returned, not a copy (for a large frame read on every request, e.g. a map's points: the caller must only
    read it, as pandas' copy-on-write keeps it when a caller selects from it)."""
    base = (stored_figures.database(session.get_bind().url), name, arguments, date.today())
    key = (*base, version(session, tables))
    if refresh:
        return _refreshed(session, base, key, compute)
    with _guard:
        lock = _computing.setdefault(key, threading.Lock())
    with lock:
        with _guard:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key] if shared else copy.deepcopy(_kept[key])  # type: ignore[return-value]
        try:
            result = compute(session)
            _keep(key, result, shared=shared)
        finally:
            with _guard:
                _computing.pop(key, None)
        return result


def _keep(key: Hashable, result: object, *, shared: bool = False) -> None:
    with _guard:
        _kept[key] = result if shared else copy.deepcopy(result)
        while len(_kept) > LIMIT:
            _kept.popitem(last=False)


def _refreshed(
    session: Session, base: tuple[Hashable, ...], key: tuple[Hashable, ...], compute: Callable[[Session], T]
) -> T:
    with _guard:
        if key in _kept:
            _kept.move_to_end(key)
            return copy.deepcopy(_kept[key])  # type: ignore[return-value]
        running, earlier = key in _running, base not in _latest
    # not in memory: kept in the database by another worker or before a restart (fm/app/stored_figures.py)?
    stored = None if running else stored_figures.read(session, base[1], base[2], key[-1], earlier=earlier)
    if stored is not None and stored.current:
        _keep(key, stored.result)
        with _guard:
            _remember(base, key, stored.computed_at, stored.result)
        return stored.result  # type: ignore[return-value]  (unpickled for this caller alone)
    with _guard:
        if stored is not None and base not in _latest:
            _remember(base, None, stored.computed_at, stored.result)
        if key in _kept:
            return copy.deepcopy(_kept[key])  # type: ignore[return-value]
        run = _running.get(key)
        if run is None:
            run = _running[key] = _Run()
            engine = session.get_bind()
            thread = threading.Thread(
                target=_compute, args=(engine, base, key, compute, run), name=f"fm-figures-{base[1]}", daemon=True
            )
            thread.start()
        previous = _latest.get(base)
    wait = patience.get()
    if run.done.wait(None if wait is None or previous is None else wait):
        if run.error is not None:
            raise run.error
        return copy.deepcopy(run.result)  # type: ignore[return-value]
    assert previous is not None
    _, computed_at, result = previous
    oldest = _stale.get()
    _stale.set(computed_at if oldest is None else min(oldest, computed_at))
    return copy.deepcopy(result)  # type: ignore[return-value]


def _remember(base: Hashable, key: Hashable, computed_at: datetime, result: object) -> None:
    """Keep ``result`` as the latest figures of ``base`` (the caller holds ``_guard``)."""
    _latest[base] = (key, computed_at, copy.deepcopy(result))
    _latest.move_to_end(base)
    while len(_latest) > LIMIT:
        _latest.popitem(last=False)


def _compute(
    engine: Any, base: tuple[Hashable, ...], key: tuple[Hashable, ...], compute: Callable[[Session], object], run: _Run
) -> None:
    """The body of a background computation: a session of its own, the result kept (in memory and in the
    database), the waiters woken."""
    started = datetime.now().astimezone()
    try:
        with Session(engine) as own:
            run.result = compute(own)
        _keep(key, run.result)
        with _guard:
            _remember(base, key, started, run.result)
        _store(engine, base, key, started, run.result)
    except BaseException as error:  # handed to whoever waits; a request served older figures retries next time
        run.error = error
        log.warning("computing %s failed: %r", base[1], error)
    finally:
        with _guard:
            _running.pop(key, None)
        run.done.set()


def _store(
    engine: Any, base: tuple[Hashable, ...], key: tuple[Hashable, ...], started: datetime, result: object
) -> None:
    """Keep ``result`` in the database too; failing that, it is only computed again after a restart."""
    try:
        with Session(engine) as own, own.begin():
            stored_figures.write(own, base[1], base[2], key[-1], started, result)
    except Exception as error:
        log.warning("keeping %s in the database failed: %r", base[1], error)


def snapshotted(use_case: Callable[..., T] | None = None, *, refresh: bool = False) -> Any:
    """A use case ``f(session, *args, **kwargs)`` whose result is a :func:`snapshot` keyed by its arguments
    (``@snapshotted``, or ``@snapshotted(refresh=True)`` to compute it again in the background after a write)."""

    def decorate(use_case: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(use_case)
        def kept(session: Session, *args: Hashable, **kwargs: object) -> T:
            arguments = (args, tuple(sorted((name, _hashable(value)) for name, value in kwargs.items())))
            name = f"{use_case.__module__}.{use_case.__qualname__}"
            return snapshot(session, name, lambda own: use_case(own, *args, **kwargs), arguments, refresh=refresh)

        return kept

    return decorate if use_case is None else decorate(use_case)


def _hashable(value: object) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_hashable(item) for item in value)
    return value  # type: ignore[return-value]


def settle() -> None:
    """Take what the process holds now (modules, the app, the kept figures) out of the garbage collector's full
    passes (:func:`gc.freeze`), after collecting what is already garbage.

    A long-running server calls it once its first figures are kept (``fm serve``). A full pass walks every object
    the collector tracks: at 100,000 assets one fell inside a request after a write and took 130–340 ms of it;
    afterwards a pass walks only what was made since. Objects frozen are still freed when nothing refers to them
    (reference counting); only cycles among them wait for the process to end."""
    gc.collect()
    gc.freeze()
    # and young objects collected every 50,000 allocations rather than 700: a request that builds frames of tens of
    # thousands of rows no longer pays a dozen passes over objects that reference counting frees anyway
    gc.set_threshold(50_000, 20, 100)
