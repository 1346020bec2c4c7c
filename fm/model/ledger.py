"""The fixed-asset ledger (固定資産台帳) a municipality keeps under the unified standard (統一的な基準)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fm.model.base import Base, Timestamped, Versioned, Yen, not_negative, one_of

MATCH_STATES = ("number", "name", "confirmed", "rejected")
"""How a ledger row is tied to a register asset: by the asset's ledger number, by name and location (both
found by ``fm ledger match``), or settled by a person (``confirmed``; ``rejected``: no asset of the register)."""


class LedgerEntry(Versioned, Timestamped, Base):
    """One row of the fixed-asset ledger, with the ledger's own figures as of the end of ``fiscal_year``."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        *not_negative("acquisition_cost", "accumulated_depreciation", "book_value"),
        sa.CheckConstraint("accumulated_depreciation <= acquisition_cost", name="depreciation_within_cost"),
        sa.CheckConstraint("useful_life_years > 0", name="useful_life_years_positive"),
        one_of("match_status", MATCH_STATES),
        sa.Index("ix_ledger_entries_asset_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ledger_no: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="資産番号 of the ledger")
    name: Mapped[str] = mapped_column(sa.String(200), comment="資産名称")
    account: Mapped[str] = mapped_column(sa.String(20), comment="勘定科目: 土地, 建物, 工作物, 物品, …")
    asset_type: Mapped[str | None] = mapped_column(sa.String(20), comment="事業用資産, インフラ資産 or 物品")
    acquired_on: Mapped[date | None] = mapped_column(sa.Date, comment="取得年月日")
    in_service_on: Mapped[date | None] = mapped_column(sa.Date, comment="供用開始年月日")
    acquisition_cost: Mapped[int] = mapped_column(Yen, comment="取得価額等, yen")
    useful_life_years: Mapped[int | None] = mapped_column(sa.Integer, comment="耐用年数")
    accumulated_depreciation: Mapped[int] = mapped_column(Yen, server_default="0", comment="減価償却累計額, yen")
    book_value: Mapped[int] = mapped_column(Yen, comment="期末簿価, yen")
    area_m2: Mapped[float | None] = mapped_column(sa.Float, comment="数量（面積）")
    location: Mapped[str | None] = mapped_column(sa.String(200), comment="所在地")
    department: Mapped[str | None] = mapped_column(sa.String(100), comment="所管部署")
    purpose: Mapped[str | None] = mapped_column(sa.String(100), comment="用途")
    fiscal_year: Mapped[int] = mapped_column(sa.Integer, comment="the figures are as of this fiscal year's end")
    asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assets.id", ondelete="SET NULL"), comment="the register asset, when matched"
    )
    match_status: Mapped[str | None] = mapped_column(sa.String(12), comment="number, name, confirmed, rejected")
