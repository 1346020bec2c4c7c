"""The register the import/export tests round-trip: the six-asset sample plus every column filled somewhere.

Beyond tests/sample.py: a park drawn as a polygon with every asset attribute set and
a note that holds a comma, quotes and a line break; two parcels (one with a use
history of two rows, one with none); a planned work order and an inspection by score; the
sample's completed repair records the condition after it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import shapely
import sqlalchemy as sa
from sample import add_sample
from shapely import Polygon, box

from fm.db import Database
from fm.io import store
from fm.model import Asset, Inspection, LandParcel, ParcelUse, WorkOrder

KINDS = ("assets", "parcels", "inspections", "work_orders")
RECORD_TABLES = ("parcel_uses", "land_parcels", "work_orders", "inspections", "assets")


def rows(url: str, query: str) -> list[tuple]:
    """The rows ``query`` returns from the database at ``url``."""
    database = Database(url)
    with database.connect() as connection:
        found = connection.execute(sa.text(query)).all()
    database.dispose()
    return found


def seed(url: str) -> None:
    """Fill the database at ``url`` with the sample."""
    database = Database(url)
    with database.session() as session:
        ids = add_sample(session)
        park = Asset(
            code="P-001",
            name='源氏山公園, "北"\n広場',
            category="park",
            district_id=None,
            geom=Polygon([(139.5401, 35.3251), (139.5412, 35.3251), (139.5412, 35.3262)]),
            year_built=1964,
            structure="緑地",
            floor_area_m2=12.5,
            length_m=310.25,
            width_m=4.5,
            acquisition_date=date(1964, 5, 1),
            acquisition_cost=123_456_789,
            useful_life_years=30,
            replacement_cost=98_765_432_100,
            annual_users=54_321,
            is_evacuation_shelter=True,
            on_emergency_road=False,
            needs_individual_plan=True,
            status="in_service",
            notes='眺望あり、ベンチ"3基"\n2行目',
        )
        session.add(park)
        session.flush()
        session.add_all(
            [
                Inspection(
                    asset_id=park.id,
                    inspected_on=date(2024, 11, 5),
                    inspector="公園課, 点検班",
                    method="other",
                    condition_score=2,
                    findings="異常なし",
                    next_due_on=date(2027, 11, 5),
                ),
                WorkOrder(
                    code="W-002",
                    asset_id=ids["B-002"],
                    kind="preventive",
                    cause="planned",
                    description="塗装塗替え",
                    planned_on=date(2027, 4, 1),
                    planned_cost=12_000_000,
                    status="planned",
                ),
            ]
        )
        # the sample's completed reactive repair records the condition after it (Ⅱ), so files carry state_after
        session.execute(sa.update(WorkOrder).where(WorkOrder.code == "W-001").values(state_after=2))
        first = LandParcel(
            code="LP-001",
            name="常盤地内",
            owner_department="公的不動産活用課",
            district_id=1,
            geom=shapely.MultiPolygon([box(139.5221, 35.3340, 139.5225, 35.3343)]),
            acquired_on=date(2002, 1, 15),
        )
        second = LandParcel(
            code="LP-002",
            name=None,
            owner_department="道路課",
            district_id=None,
            geom=shapely.MultiPolygon(
                [box(139.5149, 35.3217, 139.5151, 35.3219), box(139.5153, 35.3217, 139.5155, 35.3219)]
            ),
            acquired_on=date(1960, 12, 15),
            disposed_on=date(2020, 3, 31),
        )
        session.add_all([first, second])
        session.flush()
        session.add_all(
            [
                ParcelUse(
                    parcel_id=first.id, valid_from=date(2002, 1, 15), current_use="公共施設用地", utilisation="in_use"
                ),
                ParcelUse(
                    parcel_id=first.id, valid_from=date(2021, 11, 22), current_use="資材置場", utilisation="underused"
                ),
            ]
        )
    database.dispose()


def clear(url: str) -> None:
    """Delete every record the kinds hold (districts and categories stay)."""
    database = Database(url)
    with database.session() as session:
        for name in RECORD_TABLES:
            session.execute(sa.text(f"DELETE FROM {name}"))
    database.dispose()


def snapshot(url: str) -> dict[str, pd.DataFrame]:
    """Every record by its key (of parcel uses, the current one), ids replaced by codes, without ids and
    timestamps."""
    database = Database(url)
    with database.session() as session:

        def read(name: str) -> pd.DataFrame:
            return pd.DataFrame(store.read_table(session, name))

        districts = read("districts").set_index("id")["code"]
        assets, parcels = read("assets"), read("land_parcels")
        codes = assets.set_index("id")["code"]
        tables = {
            "assets": assets.assign(district=assets["district_id"].map(districts)),
            "inspections": read("inspections").assign(asset=lambda f: f["asset_id"].map(codes)),
            "work_orders": read("work_orders").assign(asset=lambda f: f["asset_id"].map(codes)),
            "land_parcels": parcels.assign(district=parcels["district_id"].map(districts)),
            # A file holds a parcel's current use (its latest row); the history stays in fm.
            "parcel_uses": read("parcel_uses")
            .sort_values("valid_from")
            .drop_duplicates("parcel_id", keep="last")
            .assign(parcel=lambda f: f["parcel_id"].map(parcels.set_index("id")["code"])),
        }
    database.dispose()
    keys = {"inspections": ["asset", "inspected_on"], "parcel_uses": ["parcel", "valid_from"]}
    dropped = ["id", "asset_id", "district_id", "parcel_id", "created_at", "updated_at"]
    return {
        name: frame.drop(columns=[c for c in dropped if c in frame.columns])
        .sort_values(keys.get(name, ["code"]))
        .reset_index(drop=True)
        for name, frame in tables.items()
    }


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    """Every attribute equal, geometry equal within 1e-9 degrees (and of the same type)."""
    for name, old in before.items():
        new = after[name]
        assert len(new) == len(old), name
        if "geom" in old.columns:
            a, b = old["geom"].to_numpy(dtype=object), new["geom"].to_numpy(dtype=object)
            assert list(shapely.get_type_id(a)) == list(shapely.get_type_id(b)), name
            present = ~shapely.is_missing(a)
            assert (shapely.is_missing(b) == ~present).all(), name
            assert shapely.equals_exact(a[present], b[present], tolerance=1e-9).all(), name
        plain = [c for c in old.columns if c != "geom"]
        pd.testing.assert_frame_equal(
            old[plain].astype(object).where(old[plain].notna(), None),
            new[plain].astype(object).where(new[plain].notna(), None),
            obj=name,
        )
