"""Scenarios written and adopted on SQLite and PostGIS alike: a merge into a building with room, a closure whose site
becomes unused and is sold, a refused action that writes nothing, and adoption in one transaction (planned disposal,
unused site, parcel sold, work order), audited, refused the second time."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from shapely import MultiPolygon, Point, box

from fm.app import scenarios
from fm.db import Database
from fm.errors import Conflict, ValidationError
from fm.model import Asset, AuditEntry, LandParcel, ParcelUse, Service, ServiceBuilding, ServiceUsage, WorkOrder

TODAY = date(2026, 12, 5)  # FY2026


def _seed(database: Database) -> None:
    with database.session() as session:
        a = Asset(
            code="A",
            name="旧公民館",
            category="community_centre",
            geom=Point(139.55, 35.32),
            year_built=1970,
            floor_area_m2=400.0,
            acquisition_date=date(1970, 6, 1),
            acquisition_cost=200_000_000,
        )
        b = Asset(
            code="B",
            name="学習センター",
            category="community_centre",
            geom=Point(139.56, 35.32),
            year_built=2005,
            floor_area_m2=1500.0,
            acquisition_date=date(2005, 6, 1),
            acquisition_cost=900_000_000,
        )
        session.add_all([a, b])
        session.flush()
        site = LandParcel(
            code="P-A",
            name="旧公民館敷地",
            geom=MultiPolygon([box(139.5495, 35.3195, 139.5505, 35.3205)]),
            acquired_on=date(1969, 4, 1),
        )
        session.add(site)
        session.flush()
        session.add(
            ParcelUse(parcel_id=site.id, valid_from=date(1969, 4, 1), current_use="公民館", utilisation="in_use")
        )
        one, two = (
            Service(code="SV-A", name="公民館", kind="community_centre"),
            Service(code="SV-B", name="学習センター", kind="community_centre"),
        )
        session.add_all([one, two])
        session.flush()
        session.add_all(
            [
                ServiceBuilding(service_id=one.id, asset_id=a.id, floor_area_m2=400.0),
                ServiceBuilding(service_id=two.id, asset_id=b.id, floor_area_m2=900.0),
                ServiceUsage(service_id=one.id, fiscal_year=2025, users=3_000, operating_cost=12_000_000),
                ServiceUsage(service_id=two.id, fiscal_year=2025, users=20_000, operating_cost=40_000_000),
            ]
        )


@pytest.fixture
def database(db_url):
    database = Database(db_url)
    _seed(database)
    yield database
    database.dispose()


def test_a_scenario_written_compared_and_adopted_once(database):
    with database.session() as session:
        scenarios.create(session, "集約", actor="t")
        scenarios.add_action(
            session,
            "集約",
            building="A",
            action="merge",
            fiscal_year=2027,
            target="B",
            works_cost="30,000,000",
            actor="t",
            today=TODAY,
        )
        scenarios.add_action(session, "集約", building="A", action="sell", fiscal_year=2029, actor="t", today=TODAY)
    with pytest.raises(ValidationError, match=r"action 3 \(A\), building: A is closed twice"):
        with database.session() as session:
            scenarios.add_action(
                session, "集約", building="A", action="close", fiscal_year=2028, actor="t", today=TODAY
            )
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(sa.table("scenario_actions"))) == 2
        shown = scenarios.show(session, "集約", today=TODAY)
    figures = {f["key"]: f for f in shown["comparison"]["figures"]}
    assert figures["floor_area_m2"]["nothing"] == 1900.0 and figures["floor_area_m2"]["scenarios"] == [1500.0]
    assert figures["operating_cost_year"]["scenarios"] == [52_000_000]  # the service moved, its cost with it
    years = {y["fiscal_year"]: y["underused_land_m2"] for y in shown["comparison"]["years"]["集約"]}
    assert years[2027] > 0 and years[2028] > 0 and years[2029] == 0  # unused from the merge until the sale
    with database.session() as session:
        counts = scenarios.adopt(session, "集約", actor="manager", today=TODAY)
    assert counts == {"disposals": 1, "unused_sites": 1, "parcels_sold": 1, "work_orders": 1}
    with database.session() as session:
        assert session.scalar(sa.select(Asset.disposed_on).where(Asset.code == "A")) == date(2027, 4, 1)
        assert session.scalar(sa.select(LandParcel.disposed_on).where(LandParcel.code == "P-A")) == date(2029, 4, 1)
        use = session.execute(
            sa.select(ParcelUse.valid_from, ParcelUse.utilisation).order_by(ParcelUse.valid_from)
        ).all()
        assert use[-1] == (date(2027, 4, 1), "unused")
        order = session.execute(sa.select(WorkOrder.planned_cost, WorkOrder.planned_on)).one()
        assert order == (30_000_000, date(2027, 4, 1))
        tables = set(session.scalars(sa.select(AuditEntry.table_name).where(AuditEntry.actor == "manager")))
        assert tables == {"assets", "parcel_uses", "land_parcels", "work_orders", "portfolio_scenarios"}
    with pytest.raises(Conflict, match="adopted already"), database.session() as session:
        scenarios.adopt(session, "集約", actor="manager", today=TODAY)
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1
