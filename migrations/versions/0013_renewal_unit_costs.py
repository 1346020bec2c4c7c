"""renewal unit costs as data: one row per category, seeded with the packaged defaults

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

The renewal projection's unit costs (fm/domain/renewal/unit_costs.toml) become data a city exports, edits and
imports (`fm export unit-costs` / `fm import unit-costs`). Seeded with the packaged values as of this revision
(the 総務省 公共施設等更新費用試算 costs, converted from 10,000 yen to yen), for the categories the database has.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fm.db.changes import unwatch, watch

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_CIVIC, _SPORTS, _SCHOOL, _HOUSING = (250_000, 400_000), (200_000, 360_000), (170_000, 330_000), (170_000, 280_000)
SEED = {
    # category: (refurbish_yen, renewal_yen, steel_renewal_yen)
    "community_centre": (*_CIVIC, None),
    "library": (*_CIVIC, None),
    "hall": (*_CIVIC, None),
    "office": (*_CIVIC, None),
    "fire_station": (*_CIVIC, None),
    "sports": (*_SPORTS, None),
    "welfare": (*_SPORTS, None),
    "plant": (*_SPORTS, None),
    "other_building": (*_SPORTS, None),
    "school": (*_SCHOOL, None),
    "childcare": (*_SCHOOL, None),
    "housing": (*_HOUSING, None),
    "road": (None, 4_700, None),
    "bridge": (None, 425_000, 500_000),
    "sewer_pipe": (None, 124_000, None),
}


def upgrade() -> None:
    op.create_table(
        "renewal_unit_costs",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("refurbish_yen", sa.BigInteger(), nullable=True, comment="buildings: 大規模改修, yen per m²"),
        sa.Column("renewal_yen", sa.BigInteger(), nullable=False, comment="建替え / 更新, yen per m² (sewer: per m)"),
        sa.Column("steel_renewal_yen", sa.BigInteger(), nullable=True, comment="bridges: steel, yen per m²"),
        sa.CheckConstraint("renewal_yen > 0", name=op.f("ck_renewal_unit_costs_renewal_yen_positive")),
        sa.CheckConstraint(
            "refurbish_yen IS NULL OR refurbish_yen > 0", name=op.f("ck_renewal_unit_costs_refurbish_yen_positive")
        ),
        sa.CheckConstraint(
            "steel_renewal_yen IS NULL OR steel_renewal_yen > 0",
            name=op.f("ck_renewal_unit_costs_steel_renewal_yen_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["category"], ["asset_categories.code"], name=op.f("fk_renewal_unit_costs_category_asset_categories")
        ),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_renewal_unit_costs")),
    )
    connection = op.get_bind()
    present = set(connection.scalars(sa.text("SELECT code FROM asset_categories")))
    rows = [
        {"category": c, "refurbish_yen": r, "renewal_yen": n, "steel_renewal_yen": s}
        for c, (r, n, s) in SEED.items()
        if c in present
    ]
    if rows:
        connection.execute(
            sa.text(
                "INSERT INTO renewal_unit_costs (category, refurbish_yen, renewal_yen, steel_renewal_yen) "
                "VALUES (:category, :refurbish_yen, :renewal_yen, :steel_renewal_yen)"
            ),
            rows,
        )
    watch(connection, "renewal_unit_costs")


def downgrade() -> None:
    unwatch(op.get_bind(), "renewal_unit_costs")
    op.drop_table("renewal_unit_costs")
