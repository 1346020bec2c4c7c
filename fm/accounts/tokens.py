"""API tokens: how a machine client (QGIS, GDAL's OAPIF driver, a script) acts for one account.

A token is ``fm_`` + 43 random URL-safe characters (256 bits), shown once when made; only its SHA-256
is stored (a token this long needs no slow hash: nobody can guess it, and a stolen table gives
nothing to replay). It carries its account's role as the account has it at each use, works until
``expires_at`` and stops at once when revoked or when its account is stopped. Making and revoking
are audited writes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.accounts.users import find
from fm.errors import Forbidden, NotFound, ValidationError
from fm.model import ApiToken, User

PREFIX = "fm_"
DEFAULT_DAYS = 90
MAX_DAYS = 366
USED_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often (not one write per request of a paging client)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite gives naive UTC
        return moment.replace(tzinfo=UTC)
    return moment


def create(
    session: Session, username: str, *, days: int = DEFAULT_DAYS, name: str = "", actor: str, source: str
) -> tuple[str, ApiToken]:
    """A new token for ``username``, valid ``days`` days (1–366): the token itself (to show once) and its row."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"expires: a token lives 1 to {MAX_DAYS} days, not {days}")
    name = name.strip()
    if len(name) > 100:
        raise ValidationError("name: at most 100 characters")
    user = find(session, username)
    if not user.active:
        raise ValidationError(f"the account {username!r} is stopped: it cannot have new tokens")
    token = PREFIX + secrets.token_urlsafe(32)
    made = audit.now()
    row = ApiToken(
        user_id=user.id,
        name=name or f"token {made:%Y-%m-%d %H:%M}",
        token_hash=digest(token),
        prefix=token[:10],
        created_at=made,
        expires_at=made + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="create",
        table="api_tokens",
        record_id=row.id,
        code=username,
        changes={"name": [None, row.name], "expires_at": [None, row.expires_at.isoformat()]},
    )
    return token, row


def authenticate(session: Session, token: str, *, username: str | None = None) -> tuple[User, ApiToken] | None:
    """The account and token row of a live ``token`` (of ``username``, if given), or None."""
    if not token.startswith(PREFIX):
        return None
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    moment = audit.now()
    if row.revoked_at is not None or _aware(row.expires_at) <= moment:  # type: ignore[operator]
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or (username is not None and user.username != username):
        return None
    last = _aware(row.last_used_at)
    if last is None or moment - last >= USED_EVERY:
        row.last_used_at = moment
    return user, row


def listing(session: Session, *, username: str | None = None) -> pd.DataFrame:
    """Tokens (of ``username`` only, if given), newest first, with their state: never the token."""
    query = (
        sa.select(
            ApiToken.id,
            User.username,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.created_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if username is not None:
        query = query.where(User.username == username)
    frame = pd.DataFrame(session.execute(query).all(), columns=list(query.selected_columns.keys()))
    moment = audit.now()
    for column in ("created_at", "expires_at", "last_used_at", "revoked_at"):
        frame[column] = pd.Series(
            [_aware(v) if isinstance(v, datetime) and not pd.isna(v) else None for v in frame[column]], dtype=object
        )
    frame["state"] = [
        "revoked" if revoked is not None else "expired" if expires <= moment else "active"
        for revoked, expires in zip(frame["revoked_at"], frame["expires_at"], strict=True)
    ]
    return frame


def revoke(session: Session, token_id: int, *, actor: str, source: str, owner: str | None = None) -> ApiToken:
    """Stop token ``token_id`` at once; with ``owner``, only if it is that account's (a person's own page)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    user = session.get(User, row.user_id)
    if owner is not None and (user is None or user.username != owner):
        raise Forbidden(f"API token {token_id} is not yours")
    if row.revoked_at is None:
        row.revoked_at = audit.now()
        audit.record(
            session,
            actor=actor,
            source=source,
            action="update",
            table="api_tokens",
            record_id=row.id,
            code=user.username if user else None,
            changes={"revoked_at": [None, row.revoked_at.isoformat()]},
        )
    return row
