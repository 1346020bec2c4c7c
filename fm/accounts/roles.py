"""Roles and what each may change; everyone signed in reads everything.

viewer reads only; engineer records inspections and work orders; facility manager keeps
the register of assets, land parcels and individual plans, and the portfolio's services,
their buildings and usage, and district population; finance keeps valuations,
budgets and indicator targets; admin does everything and manages accounts.
"""

from __future__ import annotations

from fm.model.people import ROLES

WRITERS: dict[str, frozenset[str]] = {
    "assets": frozenset({"facility_manager", "admin"}),
    "parcels": frozenset({"facility_manager", "admin"}),
    "plans": frozenset({"facility_manager", "admin"}),
    "services": frozenset({"facility_manager", "admin"}),
    "service_buildings": frozenset({"facility_manager", "admin"}),
    "service_usage": frozenset({"facility_manager", "admin"}),
    "population": frozenset({"facility_manager", "admin"}),
    "scenarios": frozenset({"facility_manager", "finance", "admin"}),  # drafting portfolio scenarios
    "scenario_adoption": frozenset({"facility_manager", "admin"}),  # adopting one: disposals and work orders
    "inspections": frozenset({"engineer", "admin"}),
    "work_orders": frozenset({"engineer", "admin"}),
    "targets": frozenset({"finance", "admin"}),
    "budgets": frozenset({"finance", "admin"}),
    "ledger": frozenset({"facility_manager", "finance", "admin"}),
    "users": frozenset({"admin"}),
    "audit": frozenset({"admin"}),
    "tokens": frozenset(ROLES),  # one's own API tokens; an admin's, anyone's (fm.web.tokens)
}
"""Subject → the roles that may change it."""

__all__ = ["ROLES", "WRITERS", "may_write"]


def may_write(role: str | None, subject: str) -> bool:
    """Whether ``role`` may change ``subject`` (a key of :data:`WRITERS`).

    >>> may_write("engineer", "inspections"), may_write("engineer", "assets"), may_write(None, "assets")
    (True, False, False)
    """
    if subject not in WRITERS:
        raise KeyError(f"unknown subject {subject!r}; known: {', '.join(WRITERS)}")
    return role in WRITERS[subject]
