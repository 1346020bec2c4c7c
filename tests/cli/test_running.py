"""``fm`` in its own process (``FM_COMMAND_SERVER=0``) ends as the command server's child does, without Python's
teardown (fm/cli/running.py): with Python's exit status, and its output whole even when it is more than a pipe holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FM = str(Path(sys.executable).with_name("fm"))


def _fm(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FM, *args],
        env={**os.environ, "FM_COMMAND_SERVER": "0", **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_its_exit_status_is_python_s():
    done = _fm("--version")
    assert (done.returncode, done.stdout.startswith("fm, version"), done.stderr) == (0, True, "")
    usage = _fm("nosuch")
    assert usage.returncode == 2 and "No such command 'nosuch'" in usage.stderr
    refused = _fm("--database-url", "nosuch://x", "stats")
    assert refused.returncode == 1 and refused.stderr.startswith("Error: fm supports SQLite and PostgreSQL")


@pytest.mark.parametrize("backend", ["sqlite"])  # how the process ends: the database plays no part
def test_output_larger_than_a_pipe_arrives_whole(demo_url):
    done = _fm("kpi", "--format", "json", FM_DATABASE_URL=demo_url)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.encode()) > 65_536  # more than a Linux pipe holds: the end waited for the reader
    assert json.loads(done.stdout)  # whole: it parses
