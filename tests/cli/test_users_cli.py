"""`fm users` and the demo accounts: hashed passwords shown once, roles checked, every change audited."""

from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner
from clirun import run

from fm.cli.group import cli
from fm.db import Database
from fm.model import AuditEntry, User


def _stdin(url: str, text: str, *args: str):
    return CliRunner().invoke(cli, list(args), input=text, env={"FM_DATABASE_URL": url}, catch_exceptions=False)


def test_create_list_set_role_and_password(db_url):
    assert (
        _stdin(
            db_url, "a long password 1\n", "users", "create", "alice", "--role", "engineer", "--password-stdin"
        ).exit_code
        == 0
    )
    assert run(db_url, "users", "set-role", "alice", "finance").exit_code == 0
    changed = run(db_url, "users", "set-password", "alice", "--generate")
    new_password = changed.output.rsplit(": ", 1)[1].strip()
    listing = json.loads(run(db_url, "users", "list", "--format", "json").output)
    assert [(u["username"], u["role"]) for u in listing] == [("alice", "finance")]
    assert "password" not in json.dumps(listing)
    database = Database(db_url)
    with database.session() as session:
        user = session.scalar(sa.select(User))
        assert new_password not in user.password_hash and user.password_hash.startswith("scrypt:")
        trail = session.execute(sa.select(AuditEntry.action, AuditEntry.changes).order_by(AuditEntry.id)).all()
    database.dispose()
    assert [t.action for t in trail] == ["create", "update", "update"]
    assert trail[1].changes == {"role": ["engineer", "finance"]} and new_password not in json.dumps(trail[2].changes)


def test_bad_requests_say_what_and_change_nothing(db_url):
    short = _stdin(db_url, "short\n", "users", "create", "bob", "--role", "viewer", "--password-stdin")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    bad_name = _stdin(db_url, "a long password 1\n", "users", "create", "bo b", "--role", "viewer", "--password-stdin")
    assert bad_name.exit_code == 1 and "username" in bad_name.output
    assert "no user 'ghost'" in run(db_url, "users", "set-role", "ghost", "admin").output
    assert "no accounts yet" in run(db_url, "users").output


def test_demo_makes_one_account_per_role_and_shows_passwords_once(db_url):
    first = run(db_url, "demo", "--no-score")
    for role in ("viewer", "engineer", "facility_manager", "finance", "admin"):
        assert f"demo-{role.replace('_', '-')}" in first.output
    second = run(db_url, "demo", "--no-score")
    assert "Demo accounts" not in second.output
    listing = json.loads(run(db_url, "users", "list", "--format", "json").output)
    assert sorted(u["role"] for u in listing) == ["admin", "engineer", "facility_manager", "finance", "viewer"]


def test_demo_passwords_from_the_environment(db_url):
    result = CliRunner().invoke(
        cli, ["demo", "--no-score"], env={"FM_DATABASE_URL": db_url, "FM_DEMO_PASSWORD": "demo password 2026"}
    )
    assert result.exit_code == 0 and result.output.count("demo password 2026") == 5
