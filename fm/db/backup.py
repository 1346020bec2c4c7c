"""``fm db backup`` and ``fm db restore``: one file that holds the whole database, checked before it is used.

A backup is a zip archive of two members:

- ``manifest.json``: what made it (``fm_version``), the schema revision, the backend, when (UTC), the data
  member's name, size and SHA-256;
- the data: on SQLite ``database.sqlite3``, an online copy made with SQLite's backup API (consistent while
  ``fm serve`` keeps writing: one step, under a read transaction); on PostgreSQL ``database.dump``,
  ``pg_dump --format=custom`` run with the connection fm has (host, port, user, password, database from
  its URL, passed in libpq's environment, never on the command line).

Restore checks everything before it touches the database: a zip with a manifest fm wrote, the checksum,
the backend, a schema revision this fm knows (a backup from a newer fm is refused), a database with no fm
data unless ``replace``, and on PostgreSQL no other session connected. Then it replaces the database in
one transaction (SQLite's backup API into the target; on PostgreSQL the dump's SQL and the drop of the old
tables through ``psql --single-transaction``), and migrates it up to this fm's schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import URL

from fm import __version__
from fm.db import Database, describe, migrate
from fm.errors import DatabaseError, FmError, ValidationError

FORMAT = "fm-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
LOCK_WAIT = 10.0
"""Seconds a SQLite backup or restore waits for another process's lock before it gives up."""
POSTGIS_OWNED = ("spatial_ref_sys",)
"""Tables of PostGIS itself: neither dropped nor restored (the extension brings them)."""


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself."""

    fm_version: str
    schema_revision: str | None
    backend: str
    created: str
    data: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, **self.__dict__}


def backup(database: Database, target: Path) -> Manifest:
    """Write a backup of ``database`` to ``target`` (written beside it, then renamed: never half a file)."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise FmError(f"cannot write {target}: the folder {target.parent} does not exist")
    with database.connect() as connection:
        revision = migrate.current_revision(connection)
    if revision is None:
        raise DatabaseError(f"{describe(database.url)} holds no fm schema: nothing to back up")
    backend = database.dialect
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fm-backup-") as work:
        data = Path(work) / DATA[backend]
        if backend == "sqlite":
            _sqlite_copy(database, data)
        else:
            _pg_dump(database.url, data)
        manifest = Manifest(
            fm_version=__version__,
            schema_revision=revision,
            backend=backend,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            data=data.name,
            size=data.stat().st_size,
            sha256=_sha256(data),
        )
        partial = Path(work) / "backup.zip"
        compression = zipfile.ZIP_DEFLATED if backend == "sqlite" else zipfile.ZIP_STORED  # a dump is compressed
        with zipfile.ZipFile(partial, "w", compression) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest.as_dict(), indent=2))
            archive.write(data, data.name)
        os.replace(partial, target)
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The manifest of the backup ``source``, after checking the archive and its checksum (FmError if bad)."""
    name = source.name
    if not source.is_file():
        raise FmError(f"{source}: no such file")
    if not zipfile.is_zipfile(source):
        raise FmError(f"{name} is not an fm backup (not a zip archive made by `fm db backup`; damaged or truncated?)")
    try:
        with zipfile.ZipFile(source) as archive:
            try:
                raw = json.loads(archive.read(MANIFEST))
            except KeyError:
                raise FmError(f"{name} is not an fm backup: it has no {MANIFEST}") from None
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise FmError(f"{name} is not an fm backup: its {MANIFEST} is not fm's")
            if raw.get("format_version") != FORMAT_VERSION:
                raise FmError(
                    f"{name} is a backup of format {raw.get('format_version')!r}; this fm reads format {FORMAT_VERSION}"
                )
            fields = {k: raw.get(k) for k in Manifest.__dataclass_fields__}
            manifest = Manifest(**fields)  # type: ignore[arg-type]
            digest = hashlib.sha256()
            with archive.open(manifest.data) as data:
                while chunk := data.read(1 << 20):
                    digest.update(chunk)
    except FmError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise FmError(f"{name} is damaged or truncated: {exc}") from None
    if digest.hexdigest() != manifest.sha256:
        raise FmError(f"{name} is damaged: the checksum of {manifest.data} does not match its manifest")
    return manifest


def restore(database: Database, source: Path, *, replace: bool = False) -> tuple[Manifest, str | None, str]:
    """Replace the contents of ``database`` with the backup ``source`` and migrate it up to this fm's schema.

    Returns the manifest, the revision the database was at before (None: empty) and the one it is at after.
    Nothing is changed when any check fails.
    """
    manifest = read_manifest(source)
    if manifest.backend != database.dialect:
        raise FmError(
            f"{source.name} is a backup of a {manifest.backend} database; {describe(database.url)} is "
            f"{database.dialect}. Restore it into a {manifest.backend} database."
        )
    _known_revision(source.name, manifest)
    with database.connect() as connection:
        before = migrate.current_revision(connection)
        holds = _fm_tables(connection)
    if holds and not replace:
        raise FmError(
            f"{describe(database.url)} already holds an fm database (schema {before or 'unknown'}); "
            "nothing was changed. Add --replace to overwrite it with the backup."
        )
    with tempfile.TemporaryDirectory(prefix="fm-restore-") as work:
        data = Path(work) / manifest.data
        with zipfile.ZipFile(source) as archive, archive.open(manifest.data) as member, data.open("wb") as out:
            shutil.copyfileobj(member, out, 1 << 20)
        if database.dialect == "sqlite":
            _sqlite_restore(database, data, source.name)
        else:
            _pg_restore(database, data, Path(work), holds)
    database.dispose()  # connections opened before hold the old schema's state
    with database.connect() as connection:
        migrate.upgrade(connection)
        after = migrate.current_revision(connection)
    assert after is not None
    return manifest, before, after


def _known_revision(name: str, manifest: Manifest) -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = manifest.schema_revision is not None and scripts.get_revision(manifest.schema_revision) is not None
    except CommandError:
        known = False
    if not known:
        raise FmError(
            f"{name} is from a newer fm ({manifest.fm_version}, schema {manifest.schema_revision}); this fm "
            f"({__version__}) knows schemas up to {migrate.head_revision()}. Upgrade fm first; nothing was changed."
        )


def _fm_tables(connection: sa.Connection) -> list[str]:
    names = sa.inspect(connection).get_table_names()
    return [n for n in names if n not in POSTGIS_OWNED and not n.startswith(("rtree_", "sqlite_"))]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# SQLite -----------------------------------------------------------------------------------------------------


def _sqlite_file(database: Database) -> str:
    path = database.url.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        raise FmError(f"{describe(database.url)}: only a SQLite database in a file can be backed up or restored")
    return path


def _sqlite_copy(database: Database, target: Path) -> None:
    """An online, consistent copy through SQLite's backup API (all pages in one step)."""
    source = sqlite3.connect(_sqlite_file(database), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, progress=_give_up_after(3 * LOCK_WAIT))
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, whatever the source's mode
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot back up {describe(database.url)}: {exc}") from None
    finally:
        copy.close()
        source.close()


def _sqlite_restore(database: Database, data: Path, name: str) -> None:
    """Check the copy in the backup, then write it over the database in one transaction (SQLite's backup API)."""
    copy = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise FmError(f"{name}: the database inside fails SQLite's integrity check ({verdict})")
        target = sqlite3.connect(_sqlite_file(database), timeout=LOCK_WAIT)
        try:
            copy.backup(target, progress=_give_up_after(LOCK_WAIT))
        except (sqlite3.OperationalError, TimeoutError) as exc:
            raise DatabaseError(
                f"cannot restore into {describe(database.url)}: {exc}. Is fm serve (or another fm) using it? "
                "Stop it and try again; nothing was changed."
            ) from None
        finally:
            target.close()
    except sqlite3.DatabaseError as exc:
        raise FmError(f"{name}: the database inside is damaged ({exc})") from None
    finally:
        copy.close()


def _give_up_after(seconds: float) -> Any:
    """A progress callback for ``sqlite3.Connection.backup`` that stops it once it has waited ``seconds`` for a
    lock (Python's backup otherwise retries a busy database for ever)."""
    deadline = time.monotonic() + seconds

    def progress(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise TimeoutError(f"the database stayed locked for {seconds:g} s")

    return progress


# PostgreSQL -------------------------------------------------------------------------------------------------


def _libpq_environment(url: URL) -> dict[str, str]:
    """The connection of ``url`` as libpq's environment variables (so that no password is on a command line)."""
    env = {**os.environ}
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FmError(f"{name} not found: install PostgreSQL's client tools (Debian: postgresql-client-15)")
    return found


def _run(arguments: list[str], url: URL, what: str) -> None:
    done = subprocess.run(arguments, env=_libpq_environment(url), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise DatabaseError(f"{what} failed for {describe(url)}: {message[-1] if message else done.returncode}")


def _pg_dump(url: URL, target: Path) -> None:
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"], url, "pg_dump")


def _pg_restore(database: Database, dump: Path, work: Path, old_tables: list[str]) -> None:
    """The dump's SQL (without PostGIS's own objects) after dropping the old tables, in one transaction."""
    url = database.url
    with database.connect() as connection:
        migrate.ensure_postgis(connection, create=True)
        connection.commit()
        others = _other_clients(connection)
    if others:
        raise DatabaseError(
            f"{describe(url)} is in use ({others} other connection(s): fm serve?). Stop them and try again; "
            "nothing was changed."
        )
    listing = subprocess.run([_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise FmError(f"{dump.name} in the backup is not a dump pg_restore reads: {listing.stderr.strip()}")
    kept = [
        line
        for line in listing.stdout.splitlines()
        if not any(f" {kind} " in line for kind in ("EXTENSION", "SCHEMA -"))
        and not any(f" {table} " in line for table in POSTGIS_OWNED)
        and " SCHEMA - public " not in line
    ]
    (work / "toc.list").write_text("\n".join(kept) + "\n")
    script = work / "restore.sql"
    tool = [_tool("pg_restore"), "--no-owner", "--no-privileges", f"--use-list={work / 'toc.list'}"]
    _run([*tool, f"--file={script}", str(dump)], url, "pg_restore")
    drops = "".join(f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n' for name in old_tables)
    functions = [
        line.split(" FUNCTION public ", 1)[1].rsplit(")", 1)[0] + ")" for line in kept if " FUNCTION public " in line
    ]
    drops += "".join(f"DROP FUNCTION IF EXISTS public.{signature} CASCADE;\n" for signature in functions)
    (work / "drop.sql").write_text(drops)
    _run(
        [
            _tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={work / 'drop.sql'}",
            f"--file={script}",
        ],
        url,
        "restoring with psql",
    )


def _other_clients(connection: sa.Connection) -> int:
    """How many other clients are connected to this database, after waiting up to LOCK_WAIT for them to leave:
    autovacuum and other server workers do not count, and a client that just disconnected may still be listed
    for a moment while its backend ends."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        others = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        ).scalar_one()
        connection.rollback()  # a fresh snapshot of pg_stat_activity next time
        if not others or time.monotonic() > deadline:
            return int(others)
        time.sleep(0.1)


def check_integrity(database: Database) -> None:
    """Raise DatabaseError unless the database passes its backend's integrity check (SQLite's
    ``PRAGMA integrity_check`` and ``foreign_key_check``; on PostgreSQL, that every table can be read)."""
    with database.connect() as connection:
        if database.dialect == "sqlite":
            verdict = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if verdict != "ok" or broken:
                raise DatabaseError(f"{describe(database.url)} fails its integrity check: {verdict}; {broken[:5]}")
        else:
            for table in _fm_tables(connection):
                connection.execute(sa.text(f'SELECT count(*) FROM "{table}"'))


__all__ = ["Manifest", "ValidationError", "backup", "check_integrity", "read_manifest", "restore"]
