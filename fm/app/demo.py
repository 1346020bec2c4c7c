"""Use cases of the demo: load the Kamakura register and make one account per role (`fm demo`)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import users
from fm.demo import load as demo_load
from fm.demo.dataset import demo_folder
from fm.model import User


def load_demo(session: Session, *, reset: bool = False, folder: Path | None = None) -> dict[str, int]:
    """Load the Kamakura demo register (see :func:`fm.demo.load.load`); empty dict when already loaded."""
    return demo_load.load(session, folder or demo_folder(), reset=reset)


DEMO_ROLES = ("viewer", "engineer", "facility_manager", "finance", "admin")


def demo_accounts(session: Session, *, password: str | None = None, actor: str) -> list[dict[str, str]]:
    """One account per role (``demo-<role>``) where missing; each new one's password, generated unless given.

    The passwords are returned once, to be shown once: only their hashes are stored.
    """
    made = []
    for role in DEMO_ROLES:
        username = f"demo-{role.replace('_', '-')}"
        if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            continue
        secret = password or users.generate_password()
        users.create(
            session, username, role=role, password=secret, display_name=f"demo {role}", actor=actor, source="cli"
        )
        made.append({"username": username, "role": role, "password": secret})
    return made
