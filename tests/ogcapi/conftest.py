"""A served-once sample for the OGC API tests: the six-asset register plus a parcel and a plan, on each backend
(module scope: the tests only read it)."""

from __future__ import annotations

from datetime import date

import pytest
from databases import new_database
from sample import add_sample
from shapely import MultiPolygon, box

from fm.config import Config
from fm.db import Database
from fm.model import IndividualPlan, LandParcel, ParcelUse, PlanAsset


def add_extras(session, ids: dict[str, int]) -> None:
    """A parcel used as a car park since 2020 and left unused since 2024, and one adopted plan covering two assets."""
    parcel = LandParcel(
        code="LP-001",
        name="旧駐車場",
        owner_department="管財課",
        geom=MultiPolygon([box(139.55, 35.31, 139.551, 35.311)]),
    )
    session.add(parcel)
    session.flush()
    session.add_all(
        [
            ParcelUse(parcel_id=parcel.id, valid_from=date(2020, 4, 1), current_use="駐車場", utilisation="in_use"),
            ParcelUse(parcel_id=parcel.id, valid_from=date(2024, 4, 1), current_use="未利用", utilisation="unused"),
        ]
    )
    plan = IndividualPlan(
        code="P-001",
        title="橋梁長寿命化修繕計画",
        adopted_on=date(2021, 3, 1),
        period_start_fy=2021,
        period_end_fy=2030,
    )
    session.add(plan)
    session.flush()
    session.add_all(
        [PlanAsset(plan_id=plan.id, asset_id=ids["B-001"]), PlanAsset(plan_id=plan.id, asset_id=ids["B-002"])]
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample_url(request, tmp_path_factory) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("postgis_template")
    url = new_database(request.param, tmp_path_factory.mktemp("ogc"), request)
    database = Database(url)
    with database.session() as session:
        add_extras(session, add_sample(session))
    database.dispose()
    return url


@pytest.fixture(scope="module")
def ogc_app(sample_url, tmp_path_factory):
    from fm.web import create_app

    app = create_app(Config(database_url=sample_url, instance_path=tmp_path_factory.mktemp("i"), secret_key="test"))
    app.config.update(TESTING=True)
    yield app
    app.extensions["fm.database"].dispose()


@pytest.fixture(scope="module")
def viewer(ogc_app):
    from webauth import signed_in

    return signed_in(ogc_app, "viewer")
