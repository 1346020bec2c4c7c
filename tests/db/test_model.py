"""The model on both backends: geometry round trip, window queries, constraints, cascades."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from sample import add_sample
from shapely import LineString, MultiPolygon, Point, Polygon, box

from fm.errors import ValidationError
from fm.io import store
from fm.model import Asset, District, Inspection, LandParcel, ParcelUse, WorkOrder

PARK = Polygon([(139.55, 35.31), (139.552, 35.31), (139.552, 35.312), (139.55, 35.312), (139.55, 35.31)])


def test_geometries_round_trip_with_srid_4326(database):
    shapes = {
        "P": Point(139.5531234567, 35.3122345678),
        "L": LineString([(139.54, 35.31), (139.545, 35.315), (139.546, 35.316)]),
        "A": PARK,
    }
    with database.session() as session:
        add_sample(session)
        session.add_all(Asset(code=f"G-{k}", name="形", category="park", geom=g) for k, g in shapes.items())
    with database.session() as session:
        stored = dict(session.execute(sa.select(Asset.code, Asset.geom).where(Asset.code.like("G-%"))).all())
        for key, shape in shapes.items():
            assert stored[f"G-{key}"].equals_exact(shape, tolerance=0)
        if database.dialect == "postgresql":
            srids = session.execute(sa.text("SELECT DISTINCT ST_SRID(geom) FROM assets")).scalars().all()
            column_srid = session.execute(
                sa.text("SELECT srid FROM geometry_columns WHERE f_table_name = 'assets'")
            ).scalar()
            assert srids == [4326] and column_srid == 4326
        else:
            blob = session.execute(sa.text("SELECT geom FROM assets WHERE code = 'G-P'")).scalar()
            import shapely

            assert shapely.get_srid(shapely.from_wkb(blob)) == 4326


def test_polygon_goes_into_a_multipolygon_column(database):
    with database.session() as session:
        session.add(LandParcel(code="LP-1", geom=PARK))
    with database.session() as session:
        geom = session.scalar(sa.select(LandParcel.geom))
    assert isinstance(geom, MultiPolygon) and geom.equals(MultiPolygon([PARK]))


def test_window_query_finds_what_intersects_the_box(database):
    with database.session() as session:
        ids = add_sample(session)
    window = (139.535, 35.305, 139.556, 35.316)  # the road and 滑川橋, not the school at 35.32
    with database.session() as session:
        found = store.read_assets(session, columns=("code", "geom"), bbox=window)
        assert sorted(found["code"]) == ["B-001", "R-001"]
        assert found.crs == "EPSG:4326"
        # The index follows updates and deletes.
        session.get(Asset, ids["S-001"]).geom = Point(139.545, 35.31)
        session.delete(session.get(Asset, ids["R-001"]))
        session.flush()
        found = store.read_assets(session, columns=("code",), bbox=window)
        assert sorted(found["code"]) == ["B-001", "S-001"]
    with database.session() as session:
        empty = store.read_assets(session, columns=("code",), bbox=(0.0, 0.0, 1.0, 1.0))
        assert empty.empty


def test_window_query_needs_an_exact_intersection_not_just_a_bbox_overlap(database):
    diagonal = LineString([(139.50, 35.30), (139.60, 35.40)])
    with database.session() as session:
        session.add(Asset(code="D-1", name="斜め", category="road", geom=diagonal))
    with database.session() as session:
        # This box overlaps the line's bbox but lies off the line.
        assert store.read_assets(session, columns=("code",), bbox=(139.58, 35.30, 139.60, 35.32)).empty
        assert list(store.read_assets(session, columns=("code",), bbox=(139.54, 35.34, 139.56, 35.36))["code"]) == [
            "D-1"
        ]


BAD_ROWS = {
    "negative acquisition cost": (Asset, dict(code="N-1", name="x", category="school", acquisition_cost=-1)),
    "negative replacement cost": (Asset, dict(code="N-2", name="x", category="school", replacement_cost=-5)),
    "unknown category": (Asset, dict(code="N-3", name="x", category="castle")),
    "unknown status": (Asset, dict(code="N-4", name="x", category="school", status="lost")),
    "disposed without date": (Asset, dict(code="N-5", name="x", category="school", status="disposed")),
    "zero floor area": (Asset, dict(code="N-6", name="x", category="school", floor_area_m2=0.0)),
    "duplicate code": (Asset, dict(code="B-001", name="x", category="bridge")),
    "unknown district": (Asset, dict(code="N-7", name="x", category="school", district_id=999)),
    "soundness V": (Inspection, dict(inspected_on=date(2024, 5, 1), soundness=5)),
    "soundness 0": (Inspection, dict(inspected_on=date(2024, 5, 1), soundness=0)),
    "score 6": (Inspection, dict(inspected_on=date(2024, 5, 1), condition_score=6)),
    "both measures": (Inspection, dict(inspected_on=date(2024, 5, 1), soundness=2, condition_score=2)),
    "no measure": (Inspection, dict(inspected_on=date(2024, 5, 1))),
    "due before inspected": (
        Inspection,
        dict(inspected_on=date(2024, 5, 1), soundness=1, next_due_on=date(2024, 4, 1)),
    ),
    "negative work cost": (WorkOrder, dict(code="W-9", kind="preventive", planned_cost=-100)),
    "unknown work kind": (WorkOrder, dict(code="W-9", kind="magic")),
    "completed without date": (WorkOrder, dict(code="W-9", kind="reactive", status="completed")),
    "unknown utilisation": (ParcelUse, dict(valid_from=date(2024, 4, 1), utilisation="sort of")),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_database_refuses_bad_rows_and_keeps_what_was_there(database, case):
    with database.session() as session:
        ids = add_sample(session)
        session.add(LandParcel(code="LP-1", geom=PARK))
    model, values = BAD_ROWS[case]
    if model in (Inspection, WorkOrder):
        values = {"asset_id": ids["B-001"], **values}
    if model is ParcelUse:
        with database.session() as session:
            values = {"parcel_id": session.scalar(sa.select(LandParcel.id)), **values}
    with pytest.raises(sa.exc.IntegrityError), database.session() as session:
        session.add(model(**values))
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Asset)) == 6
        assert session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (Point(35.31, 139.55), "not longitude/latitude"),
        (Point(), "empty"),
        (LineString([(139.5, 35.3), (139.6, 35.4)]), "LineString"),
    ],
    ids=["swapped lat/lon", "empty", "line for a district"],
)
def test_geometry_is_checked_before_it_is_written(database, geom, message):
    with pytest.raises(sa.exc.StatementError) as caught, database.session() as session:
        session.add(
            District(
                code="x", name="x", name_en="x", geom=geom if message == "LineString" else box(139.5, 35.3, 139.6, 35.4)
            )
        )
        session.add(Asset(code="G-1", name="x", category="park", geom=geom))
    assert isinstance(caught.value.orig, ValidationError)
    assert message in str(caught.value.orig)
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(District)) == 0


def test_deleting_an_asset_removes_its_inspections_and_work_orders(database):
    with database.session() as session:
        ids = add_sample(session)
    with database.session() as session:
        session.execute(sa.delete(Asset).where(Asset.id == ids["B-001"]))
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Inspection)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 0


def test_money_is_integer_yen_beyond_32_bits(database):
    with database.session() as session:
        session.add(Asset(code="M-1", name="大規模施設", category="hall", acquisition_cost=12_345_678_901_234))
    with database.session() as session:
        cost = session.scalar(sa.select(Asset.acquisition_cost))
    assert cost == 12_345_678_901_234 and isinstance(cost, int)


def test_reading_gives_the_same_values_on_both_backends(database):
    from fm.model import IndividualPlan

    with database.session() as session:
        add_sample(session)
        session.add_all([IndividualPlan(code="P-1", title=""), IndividualPlan(code="P-2", title="計画")])
    with database.session() as session:
        plans = store.read_table(session, "individual_plans")
        assert plans.set_index("code")["title"].to_dict() == {"P-1": "", "P-2": "計画"}  # '' is not NULL
        assert plans["adopted_on"].tolist() == [None, None]
        work = store.read_table(session, "work_orders")
        assert str(work["planned_cost"].dtype) == "Int64" and work["planned_cost"].isna().all()
        assert work["actual_cost"].tolist() == [3_200_000]
        assets = store.read_table(session, "assets").set_index("code")
        assert assets.at["B-002", "on_emergency_road"] == True  # noqa: E712 (numpy/pandas booleans)
        assert assets.at["B-001", "acquisition_date"] == date(1968, 3, 1)
        assert pd.isna(assets.at["B-002", "acquisition_cost"])
