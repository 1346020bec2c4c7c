"""Use cases of the demo: load the Kamakura register and make one account per role (`fm demo`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import users
from fm.app import risk
from fm.demo import load as demo_load
from fm.demo.dataset import demo_folder
from fm.model import RiskRun, User


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


def score_demo(session: Session, *, actor: str, as_of: date | None = None) -> dict[str, Any] | None:
    """Score the register's risk for ``as_of`` (default today) unless a run is stored already, so that the
    risk map, the top risks and the plan are there at the first look; the run's summary, or None."""
    if session.scalar(sa.select(RiskRun.id).limit(1)) is not None:
        return None
    return risk.compute_risk(session, config=risk.load_config(), as_of=as_of or date.today(), actor=actor)
