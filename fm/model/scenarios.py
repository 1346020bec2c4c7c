"""Portfolio scenarios (施設再編の案): a named set of actions on buildings, compared with doing nothing and,
once adopted, turned into planned disposals and work orders (docs/portfolio.md#scenarios)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, Timestamped, Versioned, Yen, not_negative, one_of

SCENARIO_STATUSES = ("draft", "adopted")
SCENARIO_ACTIONS = ("close", "merge", "convert", "sell")
"""close: the building closes and its services end; merge: its services move into ``target`` (which must have
room); convert: the building is put to another use (``new_use``, a service kind); sell: its site is sold."""


class PortfolioScenario(Versioned, Timestamped, Base):
    """A named scenario: draft while it is worked on, adopted once turned into disposals and work orders."""

    __tablename__ = "portfolio_scenarios"
    __table_args__ = (one_of("status", SCENARIO_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), server_default="draft")
    created_by: Mapped[str] = mapped_column(sa.String(100), comment="the account (or CLI user) that made it")
    adopted_by: Mapped[str | None] = mapped_column(sa.String(100))
    adopted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ScenarioAction(Base):
    """One action of a scenario on one building, from the fiscal year ``fiscal_year`` (1 April)."""

    __tablename__ = "scenario_actions"
    __table_args__ = (
        one_of("action", SCENARIO_ACTIONS),
        sa.UniqueConstraint("scenario_id", "asset_id", "action"),
        *not_negative("works_cost"),
        sa.CheckConstraint("action <> 'merge' OR target_asset_id IS NOT NULL", name="merge_has_target"),
        sa.CheckConstraint("action <> 'convert' OR new_use IS NOT NULL", name="convert_has_use"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("portfolio_scenarios.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(sa.String(16))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer, comment="closure, conversion or sale year (from 1 April)")
    target_asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assets.id", ondelete="CASCADE"), comment="merge: the building the services move into"
    )
    new_use: Mapped[str | None] = mapped_column(sa.String(32), comment="convert: the kind of service it will house")
    parcel_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("land_parcels.id", ondelete="SET NULL"), comment="the site; default the parcel under it"
    )
    works_cost: Mapped[int | None] = mapped_column(Yen, comment="demolition or conversion works, yen")
    notes: Mapped[str | None] = mapped_column(sa.Text)
