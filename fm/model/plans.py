"""Individual facility plans (個別施設計画), their works, and the yearly amounts of the infrastructure plan."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, Versioned, Yen, not_negative


class IndividualPlan(Versioned, Base):
    """A 個別施設計画. Adopted when ``adopted_on`` is set; it covers the assets in ``plan_assets``."""

    __tablename__ = "individual_plans"
    __table_args__ = (sa.CheckConstraint("period_end_fy >= period_start_fy", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200), comment="Japanese title")
    adopted_on: Mapped[date | None] = mapped_column(sa.Date, comment="NULL while not adopted")
    period_start_fy: Mapped[int | None] = mapped_column(sa.Integer)
    period_end_fy: Mapped[int | None] = mapped_column(sa.Integer)
    under_infrastructure_plan: Mapped[bool] = mapped_column(
        sa.Boolean, server_default=sa.false(), comment="tied to the 社会基盤施設マネジメント計画"
    )


class PlanAsset(Base):
    """Which assets an individual plan covers."""

    __tablename__ = "plan_assets"

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("individual_plans.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True, index=True)


class PlanWork(Base):
    """A work an individual plan schedules: fiscal year and cost, for one asset or the whole plan."""

    __tablename__ = "plan_works"
    __table_args__ = (*not_negative("cost"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("individual_plans.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assets.id", ondelete="SET NULL"))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str | None] = mapped_column(sa.Text)
    cost: Mapped[int] = mapped_column(Yen, comment="yen")


class PlanBudgetItem(Base):
    """Planned and executed amount of one individual plan in one fiscal year (for the execution rate)."""

    __tablename__ = "plan_budget_items"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "fiscal_year"),
        *not_negative("planned_amount", "executed_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("individual_plans.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    planned_amount: Mapped[int] = mapped_column(Yen, comment="yen")
    executed_amount: Mapped[int] = mapped_column(Yen, server_default="0", comment="yen")
