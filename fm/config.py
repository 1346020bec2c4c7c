"""Settings shared by the web app and the CLI: environment variables with defaults.

``FM_DATABASE_URL``  SQLAlchemy URL of the database. Default: the embedded SQLite
                     file ``<instance>/fm.sqlite3``. PostgreSQL + PostGIS:
                     ``postgresql+psycopg://user:password@host:5432/dbname``.
``FM_INSTANCE_PATH`` folder for local state (the SQLite file). Default: ``./instance``.
``FM_SECRET_KEY``    key that signs the web session cookie. Default: a random key
                     made once and kept in ``<instance>/secret_key``.
``FM_BASEMAP``       background tiles of the maps: ``gsi`` (地理院タイル, default), ``none``
                     (closed networks without a tile server), or an XYZ URL template.
``FM_BASEMAP_ATTRIBUTION`` the credit an XYZ URL's provider requires (HTML allowed).
``FM_UPLOAD_MAX_MB`` the largest file (request) the web upload accepts, in MB. Default: 50.
``FM_SIGN_IN_LIMIT`` sign-in attempts allowed from one address, e.g. ``10 per minute`` (default);
                     raise it when every user comes through one proxy address.
``FM_SECRET_KEY_FILE`` a file holding the key (e.g. a systemd credential or a Docker secret); wins over the
                     default, loses to ``FM_SECRET_KEY``.
``FM_DATABASE_PASSWORD_FILE`` a file holding the database password, put into ``FM_DATABASE_URL`` (which
                     then carries no password), so that the password is in no environment listing.
``FM_TRUSTED_PROXIES`` how many reverse proxies stand in front of fm (default 0): their
                     ``X-Forwarded-For/-Proto/-Host`` headers are believed, anybody else's are not.
``FM_SESSION_IDLE_MINUTES`` minutes without a request after which a session ends (default 240).
``FM_BUSY_TIMEOUT``  seconds a SQLite write waits for another process's lock (an import, a backup) before
                     the page says "the database is busy, try again" (503). Default: 10.
``FM_SECURE_COOKIES`` ``1`` (or ``true``/``yes``/``on``): the session, remember and language cookies are
                     sent over HTTPS only (``Secure``). Set it behind a TLS proxy. Default: off.
``FM_COMMAND_SERVER`` ``0`` (or ``false``/``no``/``off``): every ``fm`` command runs in its own process and
                     no command server is started. Read by the ``fm`` entry point before anything else
                     (fm/cli/client.py), not here. Default: on (Linux and macOS).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from fm.errors import ValidationError

SQLITE_FILENAME = "fm.sqlite3"


def _instance_path() -> Path:
    return Path(os.environ.get("FM_INSTANCE_PATH", "instance")).resolve()


def _default_database_url() -> str:
    return f"sqlite:///{_instance_path() / SQLITE_FILENAME}"


def _read_secret(name: str, path: str) -> str:
    """The first line of the file ``path`` (a key or a password), or a ValidationError naming the setting."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValidationError(f"{name}: cannot read {path}: {exc.strerror}") from None
    if not text:
        raise ValidationError(f"{name}: {path} is empty")
    return text.splitlines()[0]


def _with_password(url: str, password: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False)


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ValidationError(f"{name} must be a number of seconds from 0 to 3600, got {text!r}")
    return value


def _switch(name: str, text: str) -> bool:
    """An on/off setting: 1/true/yes/on or 0/false/no/off (or empty)."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValidationError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {text!r}")


@dataclass(frozen=True)
class Config:
    """Resolved settings; ``Config.from_env()`` reads them, tests build one directly."""

    database_url: str = field(default_factory=_default_database_url)
    instance_path: Path = field(default_factory=_instance_path)
    secret_key: str | None = None
    basemap: str = "gsi"
    basemap_attribution: str | None = None
    upload_max_mb: int = 50
    sign_in_limit: str = "10 per minute"
    secure_cookies: bool = False
    busy_timeout: float = 10.0
    trusted_proxies: int = 0
    session_idle_minutes: int = 240
    # seconds a page waits for its figures recomputed after a write before showing the earlier ones with a
    # notice (fm/app/snapshots.py); None: always wait (`fm serve` sets 0.1, FM_FIGURES_WAIT)
    figures_wait: float | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Settings from the environment; keyword ``overrides`` that are not None win."""
        values: dict[str, object] = {}
        if url := os.environ.get("FM_DATABASE_URL"):
            values["database_url"] = url
        if key_file := os.environ.get("FM_SECRET_KEY_FILE"):
            values["secret_key"] = _read_secret("FM_SECRET_KEY_FILE", key_file)
        if key := os.environ.get("FM_SECRET_KEY"):
            values["secret_key"] = key
        if password_file := os.environ.get("FM_DATABASE_PASSWORD_FILE"):
            url = str(values.get("database_url") or _default_database_url())
            values["database_url"] = _with_password(url, _read_secret("FM_DATABASE_PASSWORD_FILE", password_file))
        if tiles := os.environ.get("FM_BASEMAP"):
            values["basemap"] = tiles
        if credit := os.environ.get("FM_BASEMAP_ATTRIBUTION"):
            values["basemap_attribution"] = credit
        if limit := os.environ.get("FM_SIGN_IN_LIMIT"):
            values["sign_in_limit"] = limit
        if size := os.environ.get("FM_UPLOAD_MAX_MB"):
            if not size.isdigit() or int(size) < 1:
                raise ValidationError(f"FM_UPLOAD_MAX_MB must be a whole number of megabytes (1 or more), got {size!r}")
            values["upload_max_mb"] = int(size)
        for name, setting, low, high in (
            ("FM_TRUSTED_PROXIES", "trusted_proxies", 0, 5),
            ("FM_SESSION_IDLE_MINUTES", "session_idle_minutes", 1, 7 * 24 * 60),
        ):
            if (raw := os.environ.get(name)) is not None:
                if not raw.strip().isdigit() or not low <= int(raw) <= high:
                    raise ValidationError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
                values[setting] = int(raw)
        if wait := os.environ.get("FM_BUSY_TIMEOUT"):
            values["busy_timeout"] = _seconds("FM_BUSY_TIMEOUT", wait)
        if figures := os.environ.get("FM_FIGURES_WAIT"):
            values["figures_wait"] = _seconds("FM_FIGURES_WAIT", figures)
        if (secure := os.environ.get("FM_SECURE_COOKIES")) is not None:
            values["secure_cookies"] = _switch("FM_SECURE_COOKIES", secure)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def prepare_instance(self) -> None:
        """Create the instance folder when the database is the default SQLite file inside it."""
        if self.database_url == f"sqlite:///{self.instance_path / SQLITE_FILENAME}":
            self.instance_path.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The configured key, or the one kept in the instance folder (made on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_path / "secret_key"
        if not path.exists():
            self.instance_path.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()
