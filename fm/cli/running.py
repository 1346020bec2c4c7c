"""``fm`` run to its exit status, as the console script runs it: shared by the command in its own process and the
command server's child, which both then end with :func:`os._exit`.

Python's own exit after a large command frees every object and module one by one (0.3–0.5 s after an import of
100,000 assets, bench/README.md) while the user waits for the prompt; :func:`os._exit` lets the system take the
memory back at once. Nothing is lost by it: the output is flushed here, click closes the database with the command,
and fm registers nothing to run at exit (its worker threads are joined before the command ends or are daemons, and
its temporary folders are closed by their ``with`` blocks).
"""

from __future__ import annotations

import sys
import traceback


def run(argv: list[str]) -> int:
    """``fm ARGV`` as the console script runs it, its output flushed; its exit status."""
    from fm.cli.group import cli

    try:
        cli.main(args=argv, prog_name="fm")
        code = 0
    except SystemExit as stop:
        code = _status(stop.code)
    except BaseException:  # as Python reports what nothing caught
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            code = code or 120  # Python's status when the output cannot be flushed at exit
    return code


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives a process."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
