"""Database work done in order on one thread behind the caller, which meanwhile makes what comes next: the adding's
COPYs (:func:`fm.io.importer._add_in_chunks`), so that the server stores rows while the client checks the next ones
and can have more than one chunk ready when it runs ahead."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

WAITING = 2
"""The most jobs :meth:`Behind.put` leaves waiting before it waits itself (what the caller made ahead, in memory)."""


class Behind:
    """Jobs run one at a time on a thread of their own, in the order given. The first job that raises stops the rest
    (they are skipped, not run) and its error is raised here, by the next :meth:`put` or :meth:`waiting`, or when the
    ``with`` block ends; a block left by an error of its own waits for the running job and skips the others."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1)
        self._jobs: deque[tuple[Future[None], str | None]] = deque()
        self._failed = threading.Event()

    def __enter__(self) -> Behind:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if error is not None:
            self._failed.set()  # the caller's error is the one to raise; the jobs' are dropped
        try:
            if error is None:
                while self._jobs:
                    self._jobs.popleft()[0].result()
        finally:
            self._failed.set()
            self._pool.shutdown(wait=True)

    def put(self, job: Callable[[], object], tag: str | None = None) -> None:
        """Run ``job`` (of the kind ``tag``, if given) after those given before; first wait while :data:`WAITING`
        jobs wait already."""
        while self.waiting() >= WAITING:
            self._jobs[0][0].exception()  # wait for the oldest one to end (its error raised by waiting())
        self._jobs.append((self._pool.submit(self._run, job), tag))

    def waiting(self, tag: str | None = None) -> int:
        """How many jobs (of the kind ``tag``, if given) wait behind the one the thread runs or is about to run."""
        while self._jobs and self._jobs[0][0].done():
            self._jobs.popleft()[0].result()
        return sum(1 for _, kind in list(self._jobs)[1:] if tag is None or kind == tag)

    def _run(self, job: Callable[[], object]) -> None:
        if self._failed.is_set():
            return
        try:
            job()
        except BaseException:
            self._failed.set()
            raise
