"""Accounts: create, list, change role or password, and check a password at sign-in.

Passwords are hashed with Werkzeug's ``generate_password_hash`` (scrypt, salted), the
library Flask itself ships; fm never stores or logs a password. Every change is audited.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from fm.accounts import audit
from fm.errors import NotFound, ValidationError
from fm.model import User
from fm.model.people import LANGUAGES, ROLES

MIN_PASSWORD = 10
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,60}$")
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))
"""Checked against when the user is unknown, so a wrong name takes as long as a wrong password."""


def check_password(password: str, *, username: str = "") -> None:
    """Refuse a password that is too short or is the username."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"password: at least {MIN_PASSWORD} characters")
    if username and password.casefold() == username.casefold():
        problems.append("password: must not be the username")
    if problems:
        raise ValidationError(problems)


def generate_password() -> str:
    """A random password of 16 characters that is easy to type (no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return role


def find(session: Session, username: str) -> User:
    """The account called ``username``."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def create(
    session: Session,
    username: str,
    *,
    role: str,
    password: str,
    display_name: str | None = None,
    language: str = "ja",
    actor: str,
    source: str,
) -> User:
    """Add an account; the username must be new, the role known and the password long enough."""
    problems = []
    if not USERNAME.match(username):
        problems.append("username: 2–60 letters, digits or . _ @ -")
    elif session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        problems.append(f"username: {username!r} is taken")
    if role not in ROLES:
        problems.append(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        problems.append(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    try:
        check_password(password, username=username)
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError(problems)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        language=language,
        password_hash=generate_password_hash(password),
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="create",
        table="users",
        record_id=user.id,
        code=username,
        changes=audit.diff({}, {"role": role, "display_name": display_name, "language": language}),
    )
    return user


def listing(session: Session) -> pd.DataFrame:
    """Every account (no password hashes), by username."""
    rows = session.execute(
        sa.select(
            User.username,
            User.display_name,
            User.role,
            User.language,
            User.active,
            User.created_at,
            User.last_sign_in_at,
        ).order_by(User.username)
    )
    frame = pd.DataFrame(
        rows.all(), columns=["username", "display_name", "role", "language", "active", "created_at", "last_sign_in_at"]
    )
    return frame.astype(object).where(frame.notna(), None)


def set_role(session: Session, username: str, role: str, *, actor: str, source: str) -> None:
    """Give ``username`` another role."""
    user = find(session, username)
    if user.role != _role(role):
        audit.record(
            session,
            actor=actor,
            source=source,
            action="update",
            table="users",
            record_id=user.id,
            code=username,
            changes={"role": [user.role, role]},
        )
        user.role = role


def set_password(session: Session, username: str, password: str, *, actor: str, source: str) -> None:
    """Give ``username`` a new password; its sessions signed in before now end."""
    user = find(session, username)
    check_password(password, username=username)
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = audit.now()
    end_sessions(session, user.id)
    audit.record(
        session,
        actor=actor,
        source=source,
        action="update",
        table="users",
        record_id=user.id,
        code=username,
        changes={"password": ["(hidden)", "(changed)"]},
    )


def set_language(session: Session, user_id: int, language: str) -> None:
    """Remember the language ``user_id`` chose for their pages."""
    if language not in LANGUAGES:
        raise ValidationError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    session.execute(sa.update(User).where(User.id == user_id).values(language=language))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active account with this username and password, or None (same work either way)."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_sign_in_at = audit.now()
    return user


def signed_in_before_password_change(user: User, signed_in_at: datetime) -> bool:
    """Whether a session from ``signed_in_at`` predates the account's last password change."""
    changed = user.password_changed_at
    if changed is None:
        return False
    if changed.tzinfo is None:  # SQLite gives naive UTC
        changed = changed.replace(tzinfo=signed_in_at.tzinfo)
    return signed_in_at < changed


def set_active(session: Session, username: str, active: bool, *, actor: str, source: str) -> None:
    """Let ``username`` sign in again, or stop it (its sessions end at their next request)."""
    user = find(session, username)
    if user.active != active:
        audit.record(
            session,
            actor=actor,
            source=source,
            action="update",
            table="users",
            record_id=user.id,
            code=username,
            changes={"active": [user.active, active]},
        )
        user.active = active
        if not active:
            end_sessions(session, user.id)


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of ``user_id`` (each browser, and any copy of its cookie) on the server side."""
    session.execute(
        sa.update(User).where(User.id == user_id).values(session_version=User.session_version + 1),
        execution_options={"synchronize_session": "fetch"},
    )
