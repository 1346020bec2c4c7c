"""The register the form tests start from: the six-asset sample, a park drawn as a polygon, a parcel with a
use, and an individual plan covering both bridges with its works and budget items."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sample import add_sample
from shapely import MultiPolygon, Polygon, box

from fm.db import Database
from fm.model import (
    Asset,
    IndividualPlan,
    LandParcel,
    ParcelUse,
    PlanAsset,
    PlanBudgetItem,
    PlanWork,
    metadata,
)

PARCEL = MultiPolygon([box(139.5221, 35.3340, 139.5225, 35.3343)])


def seed(url: str) -> None:
    """Fill the database at ``url``."""
    database = Database(url)
    with database.session() as session:
        ids = add_sample(session)
        session.add(
            Asset(
                code="P-001",
                name="源氏山公園",
                category="park",
                district_id=1,
                status="in_service",
                geom=Polygon([(139.5401, 35.3251), (139.5412, 35.3251), (139.5412, 35.3262)]),
            )
        )
        parcel = LandParcel(
            code="LP-001",
            name="常盤地内",
            owner_department="公的不動産活用課",
            district_id=1,
            geom=PARCEL,
            acquired_on=date(2002, 1, 15),
        )
        plan = IndividualPlan(
            code="PL-001",
            title="橋梁長寿命化修繕計画",
            adopted_on=date(2020, 3, 31),
            period_start_fy=2020,
            period_end_fy=2029,
            under_infrastructure_plan=True,
        )
        session.add_all([parcel, plan])
        session.flush()
        session.add_all(
            [
                ParcelUse(
                    parcel_id=parcel.id, valid_from=date(2002, 1, 15), current_use="公共施設用地", utilisation="in_use"
                ),
                ParcelUse(
                    parcel_id=parcel.id, valid_from=date(2021, 11, 22), current_use="資材置場", utilisation="underused"
                ),
                PlanAsset(plan_id=plan.id, asset_id=ids["B-001"]),
                PlanAsset(plan_id=plan.id, asset_id=ids["B-002"]),
                PlanWork(
                    plan_id=plan.id, asset_id=ids["B-001"], fiscal_year=2026, description="支承取替", cost=8_000_000
                ),
                PlanWork(
                    plan_id=plan.id, asset_id=None, fiscal_year=2027, description="点検計画の見直し", cost=500_000
                ),
                PlanBudgetItem(plan_id=plan.id, fiscal_year=2024, planned_amount=10_000_000, executed_amount=8_000_000),
                PlanBudgetItem(plan_id=plan.id, fiscal_year=2025, planned_amount=12_000_000, executed_amount=0),
            ]
        )
    database.dispose()


def contents(url: str) -> dict[str, list]:
    """Every row of every table but the accounts (whose language ``?lang=`` sets), ids and timestamps included:
    to prove that nothing was written."""
    database = Database(url)
    with database.connect() as connection:
        found = {
            table.name: connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            for table in metadata.sorted_tables
            if table.name != "users"
        }
    database.dispose()
    return found
