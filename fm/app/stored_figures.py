"""Figures refreshed in the background kept in the database as well as in memory (table ``kept_figures``), so
that a server's first requests after it starts, and its other workers after a write, read the landing page's and
the dashboard's figures instead of computing them again from every record (3.5–7 s at 100,000 assets).

fm/app/snapshots.py reads a row when a figure it refreshes is not in memory, and writes one after each
computation. A row holds one use case's result for one set of arguments, pickled, with what it was computed at:
the day, the change counters (fm/db/changes.py), and fm's code (fm/identity.py) with the settings files in effect
(fm/domain/settings.py: after a risk configuration is changed and the server restarted, the figures are computed
again). It is current while all three are what a fresh computation would have; a row of the same day and code at
other counters is served, like figures kept in memory, as figures from before the latest write while the new ones
are computed. The rows live with the records
they were computed from: a backup holds both and a restore brings back both, so they never meet other records at
the same counters.

Unpickling runs code, so a row is unpickled only when its HMAC-SHA-256 signature is good, by a key derived from
the app's secret key: whoever can write to the database but does not have that key cannot make a server load
anything. A database's figures are kept only once :func:`keep_in` has been given its key (the web app does; the
CLI does not). A row that cannot be used is computed again and written anew.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import pickle
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from fm.domain import settings
from fm.identity import identity

log = logging.getLogger(__name__)

_keys: dict[str, bytes] = {}
"""The signing key of each database whose figures are kept, by its URL without the password."""

_UPSERT = sa.text(
    "INSERT INTO kept_figures (key, use_case, day, counters, code, computed_at, figures, signature) "
    "VALUES (:key, :use_case, :day, :counters, :code, :computed_at, :figures, :signature) "
    "ON CONFLICT (key) DO UPDATE SET use_case = excluded.use_case, day = excluded.day, counters = excluded.counters, "
    "code = excluded.code, computed_at = excluded.computed_at, figures = excluded.figures, "
    "signature = excluded.signature"
).bindparams(sa.bindparam("day", type_=sa.Date), sa.bindparam("computed_at", type_=sa.DateTime(timezone=True)))


_HEAD = sa.text("SELECT day, counters, code FROM kept_figures WHERE key = :key").columns(
    day=sa.Date, counters=sa.Text, code=sa.String
)
_BODY = sa.text("SELECT use_case, computed_at, figures, signature FROM kept_figures WHERE key = :key").columns(
    use_case=sa.String, computed_at=sa.DateTime(timezone=True), figures=sa.LargeBinary, signature=sa.LargeBinary
)
_PRUNE = sa.text("DELETE FROM kept_figures WHERE day < :today").bindparams(sa.bindparam("today", type_=sa.Date))


@dataclass(frozen=True)
class Kept:
    """A row found: its result, when it was computed, and whether at the counters asked for."""

    result: object
    computed_at: datetime
    current: bool


def keep_in(url: URL, secret: str) -> None:
    """Keep the figures of the database at ``url`` in it, signed with a key derived from ``secret``."""
    _keys[database(url)] = hmac.digest(secret.encode(), b"fm.kept_figures", "sha256")


def database(url: URL) -> str:
    """How a database is named here and in fm/app/snapshots.py's keys: its URL without the password."""
    return url.render_as_string(hide_password=True)


def read(session: Session, name: str, arguments: Hashable, counters: Hashable, *, earlier: bool) -> Kept | None:
    """The kept row of use case ``name`` with ``arguments`` when it is of today and of this fm's code, current at
    ``counters`` or (with ``earlier``) at other counters; else None."""
    secret = _keys.get(database(session.get_bind().url))
    if secret is None:
        return None
    key = _row_key(name, arguments)
    found = session.execute(_HEAD, {"key": key}).one_or_none()
    if found is None or found.code != _code() or found.day != date.today():
        return None
    current = found.counters == _counters(counters)
    if not (current or earlier):
        return None
    row = session.execute(_BODY, {"key": key}).one()
    figures = bytes(row.figures)
    expected = _sign(secret, key, row.use_case, date.today(), found.counters, found.code, figures)
    if not hmac.compare_digest(expected, bytes(row.signature)):
        log.warning("kept figures of %s not signed with this server's key: computed again", name)
        return None
    try:
        result = pickle.loads(figures)
    except Exception as error:  # signed by this key, yet unreadable: computed again and written anew
        log.warning("kept figures of %s unreadable (%r): computed again", name, error)
        return None
    return Kept(result, _aware(row.computed_at), current)


def write(
    session: Session, name: str, arguments: Hashable, counters: Hashable, computed_at: datetime, result: object
) -> None:
    """Keep ``result`` of use case ``name`` with ``arguments``, computed at ``counters`` (in ``session``'s
    transaction, with the rows of earlier days removed)."""
    secret = _keys.get(database(session.get_bind().url))
    if secret is None:
        return
    key, today, code, stamp = _row_key(name, arguments), date.today(), _code(), _counters(counters)
    figures = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    signature = _sign(secret, key, name, today, stamp, code, figures)
    session.execute(_PRUNE, {"today": today})
    session.execute(
        _UPSERT,
        {
            "key": key,
            "use_case": name,
            "day": today,
            "counters": stamp,
            "code": code,
            "computed_at": computed_at.astimezone(UTC),
            "figures": figures,
            "signature": signature,
        },
    )


@functools.cache
def _code() -> str:
    """fm's code and the settings files in effect, as this process started with them."""
    return hashlib.sha256(f"{identity()}\0{settings.fingerprint()}".encode()).hexdigest()


def _row_key(name: str, arguments: Hashable) -> str:
    return hashlib.sha256(repr((name, arguments)).encode()).hexdigest()


def _counters(counters: Hashable) -> str:
    return json.dumps(counters, separators=(",", ":"))


def _sign(secret: bytes, key: str, name: str, day: date, counters: str, code: str, figures: bytes) -> bytes:
    """The signature of everything that decides whether a row is used and what it gives."""
    header = json.dumps([key, name, day.isoformat(), counters, code]).encode()
    return hmac.digest(secret, len(header).to_bytes(8, "big") + header + figures, "sha256")


def _aware(moment: datetime) -> datetime:
    """``computed_at`` as read back, in local time: written in UTC, SQLite gives it back without its zone."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone()
