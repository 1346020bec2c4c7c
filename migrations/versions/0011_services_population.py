"""services apart from buildings, their yearly usage, and population by district and age class

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

施設と機能の分離: a service (機能) is a record of its own, housed in one or more buildings with the
floor area it occupies; users and operating cost are recorded per service and fiscal year. The rows of
``facility_usage`` (per building) become one service per building that had any (code and name of the
building, kind from its category), housed in the whole building, with the same yearly figures; and
``facility_usage`` becomes a view giving each building's share of its services' figures (by the floor
area each service occupies there), so what read it still reads the same numbers.
Population per district and fiscal year in three age classes, counted or projected.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KINDS = (
    "citizen_counter",
    "community_centre",
    "library",
    "culture",
    "sports",
    "child_care",
    "youth",
    "elderly_care",
    "welfare",
    "health",
    "school",
    "office",
    "housing",
    "fire",
    "utility",
    "other",
)
KIND_OF_CATEGORY = {
    "school": "school",
    "community_centre": "community_centre",
    "library": "library",
    "hall": "culture",
    "office": "office",
    "sports": "sports",
    "welfare": "welfare",
    "childcare": "child_care",
    "housing": "housing",
    "fire_station": "fire",
    "plant": "utility",
}

PER_BUILDING = """
SELECT sb.asset_id AS asset_id, su.fiscal_year AS fiscal_year,
       CAST(ROUND(SUM(su.users * sb.floor_area_m2 / t.total)) AS INTEGER) AS users,
       CAST(ROUND(SUM(su.operating_cost * sb.floor_area_m2 / t.total)) AS BIGINT) AS operating_cost
FROM service_usage su
JOIN service_buildings sb ON sb.service_id = su.service_id
JOIN (SELECT service_id, SUM(floor_area_m2) AS total FROM service_buildings
      WHERE floor_area_m2 IS NOT NULL GROUP BY service_id) t ON t.service_id = su.service_id
WHERE sb.floor_area_m2 IS NOT NULL
GROUP BY sb.asset_id, su.fiscal_year
"""
"""Each building's share of its services' users and cost: a service's figures split over its buildings by the
floor area it occupies in each (a service in one building: its figures whole)."""


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False, comment="the city's service number"),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Japanese name"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name=op.f("ck_services_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("code", name=op.f("uq_services_code")),
    )
    op.create_table(
        "service_buildings",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("floor_area_m2", sa.Float(), nullable=True, comment="floor area the service occupies"),
        sa.Column("opening_hours", sa.String(length=100), nullable=True, comment="as the city states them"),
        sa.Column("hours_per_week", sa.Float(), nullable=True),
        sa.CheckConstraint("floor_area_m2 > 0", name=op.f("ck_service_buildings_floor_area_m2_positive")),
        sa.CheckConstraint("hours_per_week > 0", name=op.f("ck_service_buildings_hours_per_week_positive")),
        sa.CheckConstraint("hours_per_week <= 168", name=op.f("ck_service_buildings_hours_per_week_range")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_service_buildings_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_buildings_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_buildings")),
        sa.UniqueConstraint("service_id", "asset_id", name=op.f("uq_service_buildings_service_id_asset_id")),
    )
    with op.batch_alter_table("service_buildings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_buildings_asset_id"), ["asset_id"], unique=False)
    op.create_table(
        "service_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("operating_cost", sa.BigInteger(), nullable=True, comment="yen"),
        sa.CheckConstraint("operating_cost >= 0", name=op.f("ck_service_usage_operating_cost_not_negative")),
        sa.CheckConstraint("users >= 0", name=op.f("ck_service_usage_users_not_negative")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_service_usage_service_id_services"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_usage")),
        sa.UniqueConstraint("service_id", "fiscal_year", name=op.f("uq_service_usage_service_id_fiscal_year")),
    )
    op.create_table(
        "district_population",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("age_0_14", sa.Integer(), nullable=False),
        sa.Column("age_15_64", sa.Integer(), nullable=False),
        sa.Column("age_65_over", sa.Integer(), nullable=False),
        sa.Column(
            "projected", sa.Boolean(), server_default=sa.false(), nullable=False, comment="a projection, not a count"
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.CheckConstraint("age_0_14 >= 0", name=op.f("ck_district_population_age_0_14_not_negative")),
        sa.CheckConstraint("age_15_64 >= 0", name=op.f("ck_district_population_age_15_64_not_negative")),
        sa.CheckConstraint("age_65_over >= 0", name=op.f("ck_district_population_age_65_over_not_negative")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_district_population_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_population")),
        sa.UniqueConstraint("district_id", "fiscal_year", name=op.f("uq_district_population_district_id_fiscal_year")),
    )
    kind = " ".join(f"WHEN '{c}' THEN '{k}'" for c, k in KIND_OF_CATEGORY.items())
    op.execute(
        "INSERT INTO services (code, name, kind) "
        f"SELECT a.code, a.name, CASE a.category {kind} ELSE 'other' END FROM assets a "
        "WHERE a.id IN (SELECT asset_id FROM facility_usage)"
    )
    op.execute(
        "INSERT INTO service_buildings (service_id, asset_id, floor_area_m2) "
        "SELECT s.id, a.id, a.floor_area_m2 FROM services s JOIN assets a ON a.code = s.code"
    )
    op.execute(
        "INSERT INTO service_usage (service_id, fiscal_year, users, operating_cost) "
        "SELECT s.id, f.fiscal_year, f.users, f.operating_cost "
        "FROM facility_usage f JOIN assets a ON a.id = f.asset_id JOIN services s ON s.code = a.code"
    )
    op.drop_table("facility_usage")
    op.execute(f"CREATE VIEW facility_usage AS {PER_BUILDING}")


def downgrade() -> None:
    op.execute("DROP VIEW facility_usage")
    op.create_table(
        "facility_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("operating_cost", sa.BigInteger(), nullable=True, comment="yen"),
        sa.CheckConstraint("operating_cost >= 0", name=op.f("ck_facility_usage_operating_cost_not_negative")),
        sa.CheckConstraint("users >= 0", name=op.f("ck_facility_usage_users_not_negative")),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_facility_usage_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_usage")),
        sa.UniqueConstraint("asset_id", "fiscal_year", name=op.f("uq_facility_usage_asset_id_fiscal_year")),
    )
    op.execute(f"INSERT INTO facility_usage (asset_id, fiscal_year, users, operating_cost) {PER_BUILDING}")
    op.drop_table("district_population")
    op.drop_table("service_usage")
    with op.batch_alter_table("service_buildings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_buildings_asset_id"))
    op.drop_table("service_buildings")
    op.drop_table("services")
