"""Deployment settings: secrets from files, the trusted proxies, the idle session expiry."""

from __future__ import annotations

import pytest
from databases import new_database
from webauth import PASSWORD, SignedInClient, ensure_user

from fm.config import Config
from fm.errors import ValidationError


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    return new_database("sqlite", tmp_path_factory.mktemp("deployment"))


def test_the_secret_key_and_the_database_password_come_from_files(tmp_path, monkeypatch):
    (tmp_path / "key").write_text("s3cret-key-from-a-file\n")
    (tmp_path / "password").write_text("pa:ss/word\n")
    monkeypatch.setenv("FM_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("FM_DATABASE_URL", "postgresql+psycopg://fm_app@db.example:5432/fm")
    monkeypatch.setenv("FM_DATABASE_PASSWORD_FILE", str(tmp_path / "password"))
    config = Config.from_env()
    assert config.secret_key == "s3cret-key-from-a-file"
    assert config.database_url == "postgresql+psycopg://fm_app:pa%3Ass%2Fword@db.example:5432/fm"
    monkeypatch.setenv("FM_SECRET_KEY", "the environment wins")
    assert Config.from_env().secret_key == "the environment wins"
    monkeypatch.setenv("FM_DATABASE_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValidationError, match="FM_DATABASE_PASSWORD_FILE: cannot read .*missing"):
        Config.from_env()


def _client(url, folder, **settings):
    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder, secret_key="t", **settings))
    app.test_client_class = SignedInClient
    client = app.test_client()
    client.refresh_token()
    return app, client


@pytest.mark.parametrize(("proxies", "second"), [(0, 429), (1, 200)])
def test_forwarded_addresses_are_believed_only_from_the_trusted_proxies(url, tmp_path, proxies, second):
    app, client = _client(url, tmp_path, trusted_proxies=proxies, sign_in_limit="3 per minute")

    def attempt(address):
        return client.post(
            "/sign-in",
            data={"username": "x", "password": "y" * 12},
            headers={"X-Forwarded-For": address, "X-Forwarded-Proto": "https", "Referer": "https://localhost/sign-in"},
        ).status_code

    assert [attempt("203.0.113.1") for _ in range(4)] == [200, 200, 200, 429]
    assert attempt("203.0.113.2") == second  # another person behind the proxy, or a forged header
    app.extensions["fm.database"].dispose()


def test_sessions_expire_after_the_idle_setting(url, tmp_path, monkeypatch):
    import itsdangerous.timed

    app, client = _client(url, tmp_path, session_idle_minutes=5)
    assert app.permanent_session_lifetime.total_seconds() == 300
    ensure_user(url, "idle", "viewer")
    assert client.post("/sign-in", data={"username": "idle", "password": PASSWORD}).status_code == 302
    assert client.get("/api/stats").status_code == 200
    now = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: now(self) + 301)
    assert client.get("/api/stats").status_code == 401  # 5 minutes and 1 second later, nothing in between
    app.extensions["fm.database"].dispose()


@pytest.mark.postgis
def test_the_app_runs_as_a_role_that_cannot_alter_the_schema_or_the_audit_log(
    postgres_admin_url, postgis_template, tmp_path
):
    import itertools
    import os

    import pgserver
    import sqlalchemy as sa
    from clirun import run
    from webauth import signed_in

    owner_url = pgserver.create_database(postgres_admin_url, template=postgis_template)
    role = f"fm_app_{os.getpid()}_{next(itertools.count())}_{tmp_path.name[-6:].lower()}".replace("-", "_")
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    admin.dispose()
    granted = run(owner_url, "db", "grant-app", role)
    assert granted.exit_code == 0, granted.output
    app_url = sa.make_url(owner_url).set(username=role).render_as_string(hide_password=False)

    from fm.web import create_app

    app = create_app(Config(database_url=app_url, instance_path=tmp_path, secret_key="t"))
    ensure_user(owner_url, "viewer", "viewer")
    client = signed_in(app, "viewer")  # signing in adds to the audit log, as the app's role
    assert client.get("/api/stats").status_code == 200
    app.extensions["fm.database"].dispose()
    engine = sa.create_engine(app_url)
    for statement, refusal in [
        ("ALTER TABLE assets ADD COLUMN x integer", "must be owner"),
        ("CREATE TABLE extra (id integer)", "permission denied for schema public"),
        ("UPDATE audit_log SET actor = 'someone else'", "permission denied for table audit_log"),
        ("DELETE FROM audit_log", "permission denied for table audit_log"),
        ("DROP TABLE users", "must be owner"),
    ]:
        with engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError, match=refusal):
            connection.execute(sa.text(statement))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'sign_in'")).scalar() == 1
    engine.dispose()
