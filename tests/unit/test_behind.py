"""Jobs done in order behind the caller (``fm.io.behind.Behind``, the adding's COPYs): in the order given, at most
two waiting, and the first error stops the rest, raised to the caller; a caller's own error waits for the running job
and skips the rest, so nothing touches the database after the block."""

from __future__ import annotations

import threading

import pytest

from fm.io.behind import WAITING, Behind


def test_jobs_run_in_the_order_given_on_one_thread_and_all_end_with_the_block():
    done: list[tuple[int, str]] = []
    with Behind() as behind:
        for n in range(20):
            behind.put(lambda n=n: done.append((n, threading.current_thread().name)))
    assert [n for n, _ in done] == list(range(20))
    assert len({name for _, name in done}) == 1 and done[0][1] != threading.current_thread().name


def test_put_waits_while_two_jobs_wait():
    release = threading.Event()
    with Behind() as behind:
        behind.put(release.wait)  # runs, holding the others back
        for _ in range(WAITING):
            behind.put(lambda: None)
        assert behind.waiting() == WAITING
        threading.Timer(0.1, release.set).start()
        behind.put(lambda: None)  # waits for the first to end, which only the timer lets end
        assert release.is_set()


def test_jobs_waiting_are_counted_by_kind():
    release = threading.Event()
    with Behind() as behind:
        behind.put(release.wait, "rows")  # runs: not waiting
        behind.put(lambda: None, "entries")
        behind.put(lambda: None, "rows")
        assert (behind.waiting(), behind.waiting("rows"), behind.waiting("entries")) == (2, 1, 1)
        release.set()


def test_the_first_error_stops_the_rest_and_is_raised():
    done: list[int] = []

    def fail() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        with Behind() as behind:
            behind.put(lambda: done.append(1))
            behind.put(fail)
            behind.put(lambda: done.append(3))
    assert done == [1]


def test_the_callers_error_waits_for_the_running_job_and_skips_the_rest():
    started, release, done = threading.Event(), threading.Event(), []

    def running() -> None:
        started.set()
        release.wait()
        done.append("running")

    with pytest.raises(KeyError):
        with Behind() as behind:
            behind.put(running)
            behind.put(lambda: done.append("skipped"))
            started.wait()
            threading.Timer(0.1, release.set).start()
            raise KeyError("the caller's")
    assert done == ["running"]
