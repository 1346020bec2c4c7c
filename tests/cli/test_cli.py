"""The fm command: help, db upgrade, stats in both formats, and one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sample import add_sample

from fm.cli.group import cli
from fm.db import Database, migrate


def run(*args: str, url: str | None = None):
    env = {"FM_DATABASE_URL": url} if url else {}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.mark.parametrize(
    "command",
    [[], ["db"], ["db", "upgrade"], ["db", "current"], ["db", "downgrade"], ["db", "revision"], ["serve"], ["stats"]],
)
def test_every_command_explains_itself(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output and len(result.output.splitlines()) > 4


def test_upgrade_creates_the_schema_then_stats_are_zero(empty_db_url):
    result = run("db", "upgrade", url=empty_db_url)
    assert result.exit_code == 0, result.output
    assert f"empty -> {migrate.head_revision()}" in result.output
    assert f"already at {migrate.head_revision()}" in run("db", "upgrade", url=empty_db_url).output
    result = run("stats", "--format", "json", url=empty_db_url)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["total"] == 0
    assert len(counts["by_category"]) == 19 and all(row["count"] == 0 for row in counts["by_category"])
    assert counts["by_district"] == []


def test_stats_table_lists_categories_and_districts(db_url):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    result = run("stats", url=db_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("橋梁") and line.split()[-1] == "2" for line in lines)
    assert any(line.startswith("鎌倉") and line.split()[-1] == "3" for line in lines)
    assert any(line.startswith("地域未設定") and line.split()[-1] == "1" for line in lines)
    english = run("stats", "--lang", "en", url=db_url).stdout
    assert "Bridge" in english and "Kamakura" in english


def test_stats_json_is_the_api_body(db_url, client):
    database = Database(db_url)
    with database.session() as session:
        add_sample(session)
    database.dispose()
    assert run("stats", "--format", "json", url=db_url).stdout == client.get("/api/stats").get_data(as_text=True) + "\n"


@pytest.mark.parametrize(
    ("url", "message"),
    [("garbage", "is not a database URL"), ("postgresql+psycopg://fm@127.0.0.1:1/fm", "cannot connect")],
)
def test_bad_database_is_one_line_not_a_traceback(url, message):
    result = run("stats", url=url)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_database_behind_tells_what_to_run(empty_db_url):
    result = run("stats", url=empty_db_url)
    assert result.exit_code == 1
    assert "run `fm db upgrade`" in result.stderr


def test_current_and_downgrade(db_url):
    assert f"database: {migrate.head_revision()}" in run("db", "current", url=db_url).output
    assert "database at base" in run("db", "downgrade", "base", url=db_url).output
    assert "database: empty" in run("db", "current", url=db_url).output


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_kpi_on_an_empty_register(db_url, fmt):
    result = run("kpi", "--format", fmt, url=db_url)
    assert result.exit_code == 0, result.output
