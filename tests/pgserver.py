"""A throwaway PostgreSQL + PostGIS server in a temporary directory, for the test run.

PostgreSQL refuses to run as root, so when the tests run as root (as CI does) the
cluster directory is handed to the ``postgres`` system user and every server
command runs through ``runuser``. The server listens on 127.0.0.1 on a free port
with trust authentication; nothing outside the temporary directory is touched.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

PG_BINDIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
_names = itertools.count()


class ServerUnavailable(RuntimeError):
    """The PostgreSQL server could not be started; the message says why."""


def _bindir() -> Path:
    if override := os.environ.get("FM_TEST_PG_BINDIR"):
        if not (Path(override) / "initdb").exists():
            raise ServerUnavailable(f"FM_TEST_PG_BINDIR={override} has no initdb")
        return Path(override)
    for candidate in PG_BINDIRS:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ServerUnavailable("PostgreSQL server binaries not found: install postgresql-15 and postgresql-15-postgis-3")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    """A running server; ``url(dbname)`` gives a SQLAlchemy URL for one of its databases."""

    directory: Path
    port: int
    bindir: Path
    as_user: list[str] = field(default_factory=list)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def halt(self) -> None:
        """Stop the server as a crash or an administrator would (fast shutdown), keeping its data."""
        self._ctl("-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the halted server again, on the same port."""
        self._ctl("-l", str(self.directory / "server.log"), "-w", "-t", "60", "-o", self.options(), "start")

    def options(self) -> str:
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -F -c full_page_writes=off"

    def _ctl(self, *arguments: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ServerUnavailable(f"pg_ctl {arguments[-1]} failed: {(done.stderr or done.stdout).strip()}")

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start() -> PgServer:
    """Initialise and start a cluster; raise ServerUnavailable with the reason on failure."""
    bindir = _bindir()
    if not list(Path(bindir).parent.glob("lib/postgis*.so")):
        raise ServerUnavailable(
            f"PostGIS is not installed for {bindir.parent}: apt-get install postgresql-15-postgis-3"
        )
    directory = Path(tempfile.mkdtemp(prefix="fm-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ServerUnavailable("running as root and there is no 'postgres' user to run the server") from exc
        os.chown(directory, pg.pw_uid, pg.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    server = PgServer(directory, port, bindir, as_user)
    data, log = directory / "data", directory / "server.log"
    steps = [
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            server.options(),
            "start",
        ],
    ]
    for step in steps:
        done = subprocess.run([*as_user, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            server.stop()
            raise ServerUnavailable(f"{Path(step[0]).name} failed: {detail}")
    return server


def create_database(admin_url: str, *, template: str | None = None, postgis: bool = True) -> str:
    """Create a new database on the server (a copy of ``template``, or empty) and return its URL."""
    name = f"fm_test_{os.getpid()}_{next(_names)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    if postgis and not template:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("CREATE EXTENSION postgis"))
        engine.dispose()
    return url


def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url`` on the server of ``admin_url``, ending whatever connection a test left open."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {sa.make_url(url).database} WITH (FORCE)"))
    admin.dispose()


def drop_created(admin_url: str) -> None:
    """Drop every database :func:`create_database` made in this process on the server of ``admin_url`` (a bench run
    against a server it did not start leaves none behind)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        names = connection.execute(
            sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :made)"),
            {"made": f"fm_test_{os.getpid()}_"},
        ).scalars()
        for name in list(names):
            connection.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()
