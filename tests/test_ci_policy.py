"""Under CI=true a PostGIS test that cannot have its database fails; elsewhere it skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGET = "tests/db/test_migrations.py::test_postgresql_without_postgis"


@pytest.mark.parametrize(("ci", "exit_code", "outcome"), [("true", 1, "1 error"), ("", 0, "1 skipped")])
def test_missing_postgis(ci, exit_code, outcome):
    env = {**os.environ, "CI": ci, "FM_TEST_PG_BINDIR": "/nonexistent"}
    env.pop("FM_TEST_POSTGRES_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", TARGET, "-p", "no:cacheprovider", "-q", "-n", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == exit_code, done.stdout
    assert outcome in done.stdout.splitlines()[-1]
    if ci:
        assert "PostGIS is required under CI=true" in done.stdout
