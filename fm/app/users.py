"""Use cases of the accounts: `fm users`, the accounts page, signing in, and each person's language.

Creating, changing and stopping accounts are :mod:`fm.accounts.users`' own audited writes,
offered here as they are; signing in adds its entry to the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.accounts import users as accounts
from fm.accounts.audit import now as now
from fm.accounts.roles import WRITERS as WRITERS
from fm.accounts.roles import may_write as may_write
from fm.accounts.users import create as create
from fm.accounts.users import end_sessions as end_sessions
from fm.accounts.users import generate_password as generate_password
from fm.accounts.users import listing as listing
from fm.accounts.users import set_active as set_active
from fm.accounts.users import set_language as set_language
from fm.accounts.users import set_password as set_password
from fm.accounts.users import set_role as set_role
from fm.model import User as User
from fm.model.people import LANGUAGES as LANGUAGES
from fm.model.people import ROLES as ROLES


def sign_in(session: Session, username: str, password: str) -> User | None:
    """The account ``username`` when ``password`` is its own, with a sign-in entry in the audit trail; else None
    (in the same time whether the name is unknown or the password wrong)."""
    user = accounts.authenticate(session, username, password)
    if user is not None:
        audit.record(
            session,
            actor=user.username,
            source="web",
            action="sign_in",
            table="users",
            record_id=user.id,
            code=user.username,
            changes={},
        )
    return user


def session_account(session: Session, user_id: int, signed_in_at: datetime, version: int | None) -> User | None:
    """The account a browser session signed in to at ``signed_in_at`` with session ``version``; None when it is
    gone, stopped, signed out since, or its password has changed since (each ends every session it had)."""
    user = session.get(User, user_id)
    if (
        user is None
        or not user.active
        or version != user.session_version
        or accounts.signed_in_before_password_change(user, signed_in_at)
    ):
        return None
    return user


def reader(username: str, lang: str) -> User:
    """A viewer ``username`` that is not stored: who a page rendered outside a request (``fm report``) is for."""
    return User(id=0, username=username, role="viewer", language=lang)
