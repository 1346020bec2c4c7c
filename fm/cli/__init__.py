"""The ``fm`` command: its entry point, kept free of heavy imports so that it can hand the command to the command
server before loading anything.

The click group and its commands are in :mod:`fm.cli.group`; every command reads the database from
``--database-url`` or ``FM_DATABASE_URL`` (default: the SQLite file under ``instance/``). On Linux and macOS the
command runs in a child of the command server (:mod:`fm.cli.commandserver`, which has imported fm already) when one
answers, else in this process, as it always did (``FM_COMMAND_SERVER=0``: always here).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Console-script entry point: the command run by the command server, or here when none answers (then ended
    without Python's teardown, as the server's child ends: :mod:`fm.cli.running`)."""
    from fm.cli.client import delegate, start_for_next

    code = delegate(sys.argv[1:])
    if code is None:
        from fm.cli.running import run

        code = run(sys.argv[1:])
        start_for_next(sys.argv[1:])
        os._exit(code)
    sys.exit(code)
