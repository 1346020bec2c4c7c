"""Progress of long work, reported by the use cases and shown by whoever asked for it.

A use case says how far it has got with :func:`report` (``progress.report("writing", 3, 4)``:
stage 3 of 4, or row 3,000 of 4,000); that costs nothing and shows nothing unless a face has
started :func:`reporting` in the same context (the CLI does, on a terminal:
fm/cli/progress.py). So the use cases keep their signatures, and a web request, a test or a
piped command sees no output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[str, int, int], None]
"""``reporter(what, done, total)``: ``done`` of ``total`` steps finished, now doing ``what``."""

_reporter: ContextVar[Reporter | None] = ContextVar("fm_progress", default=None)


def report(what: str, done: int, total: int) -> None:
    """``done`` of ``total`` steps are finished and the work is now doing ``what``."""
    if (reporter := _reporter.get()) is not None:
        reporter(what, done, total)


@contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send :func:`report` to ``reporter`` within the block."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)
