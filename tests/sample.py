"""A tiny hand-made register for tests: two districts, six assets, their children.

Counts worth knowing: six assets, one of them disposed, one with no district;
held: 2 bridges, 1 school, 1 road, 1 library; 鎌倉 holds 3, 大船 holds 1.
"""

from __future__ import annotations

from datetime import date

from shapely import LineString, Point, box
from sqlalchemy.orm import Session

from fm.model import Asset, District, Inspection, WorkOrder

KAMAKURA = box(139.53, 35.29, 139.58, 35.34)
OFUNA = box(139.51, 35.34, 139.56, 35.37)


def add_sample(session: Session) -> dict[str, int]:
    """Insert the sample and return the ids of its assets by code."""
    kamakura = District(code="kamakura", name="鎌倉", name_en="Kamakura", population=45000, geom=KAMAKURA)
    ofuna = District(code="ofuna", name="大船", name_en="Ofuna", population=60000, geom=OFUNA)
    session.add_all([kamakura, ofuna])
    session.flush()
    assets = [
        Asset(
            code="B-001",
            name="滑川橋",
            category="bridge",
            district_id=kamakura.id,
            geom=Point(139.5531, 35.3122),
            year_built=1968,
            deck_area_m2=120.0,
            length_m=15.0,
            acquisition_date=date(1968, 3, 1),
            acquisition_cost=48_000_000,
            replacement_cost=54_000_000,
        ),
        Asset(
            code="B-002",
            name="砂押橋",
            category="bridge",
            district_id=ofuna.id,
            geom=Point(139.5310, 35.3500),
            year_built=1975,
            deck_area_m2=80.0,
            on_emergency_road=True,
        ),
        Asset(
            code="S-001",
            name="第一小学校",
            category="school",
            district_id=kamakura.id,
            geom=Point(139.5500, 35.3200),
            year_built=1972,
            floor_area_m2=5400.0,
            is_evacuation_shelter=True,
            needs_individual_plan=True,
        ),
        Asset(
            code="R-001",
            name="市道001号線",
            category="road",
            district_id=kamakura.id,
            geom=LineString([(139.54, 35.31), (139.545, 35.315)]),
            length_m=700.0,
        ),
        Asset(
            code="L-001",
            name="中央図書館",
            category="library",
            district_id=None,
            geom=Point(139.5470, 35.3190),
            status="closed",
            closed_on=date(2024, 3, 31),
        ),
        Asset(
            code="X-001",
            name="旧倉庫",
            category="other_building",
            district_id=ofuna.id,
            geom=Point(139.5200, 35.3600),
            status="disposed",
            disposed_on=date(2020, 6, 1),
        ),
    ]
    session.add_all(assets)
    session.flush()
    ids = {a.code: a.id for a in assets}
    session.add_all(
        [
            Inspection(
                asset_id=ids["B-001"],
                inspected_on=date(2019, 10, 1),
                method="close_visual",
                soundness=2,
                next_due_on=date(2024, 10, 1),
            ),
            Inspection(asset_id=ids["S-001"], inspected_on=date(2023, 6, 1), method="visual", condition_score=3),
            WorkOrder(
                code="W-001",
                asset_id=ids["B-001"],
                kind="reactive",
                cause="sudden_failure",
                status="completed",
                completed_on=date(2021, 2, 1),
                actual_cost=3_200_000,
            ),
        ]
    )
    return ids
