"""The map's viewport keeps each feature's text per zoom level beside the kept points (fm.app.maps.KeptLayer): its
answer must be the one written without them (fm.domain.maps.geojson.features_text over the geometries read again),
byte for byte, whichever viewports were asked before, and again after a write changes a geometry or a class. On the
six-asset sample (tests/sample.py) with a hand-made risk run, both backends."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from sample import add_sample

from fm.app import maps
from fm.db import Database
from fm.domain.maps import geojson, style
from fm.domain.maps.viewport import apply_filter, cluster, meets, parse_viewport
from fm.io import risk as risk_store
from fm.model import Asset, IndividualPlan, PlanAsset, RiskScore
from fm.serialize import to_json

CITY = "139.50,35.28,139.60,35.38"
# a road zigzagging by 1.5e-5°: more than half a pixel at zoom 16, less at zoom 15 (geojson.tolerance)
WIGGLE = shapely.LineString([(139.54 + i * 2e-5, 35.31 + (i % 2) * 1.5e-5) for i in range(250)])


def _uncached(session, layer: str, args: dict[str, str]) -> str:
    """What map_layer answered before its texts were kept: the points read afresh, the geometries read by id."""
    viewport = parse_viewport(args["bbox"], args["zoom"])
    points = maps.layer_points(session, layer, fiscal_year=maps._year(args), boxes=True)
    boxes = (points[column].to_numpy() for column in maps.BOX)
    points = points[meets(*boxes, viewport.bbox)].drop(columns=list(maps.BOX))
    points = apply_filter(points, maps._filter(session, layer, args))
    points = maps._with_duties(session, points, layer, args)
    if len(points) > maps.MAX_FEATURES:
        order = [c.key for c in style.classes(layer)]
        cells = cluster(points, viewport.zoom, order)
        return to_json(geojson.clusters(cells, layer=layer, mode="clusters", total=len(points)), compact=True)
    return geojson.features_text(
        maps._shown(session, points),
        ["code", "category", "class"],
        zoom=viewport.zoom,
        layer=layer,
        mode="features",
        total=len(points),
    )


@pytest.fixture
def database(db_url: str):
    database = Database(db_url)
    with database.session() as session:
        ids = add_sample(session)
        session.execute(sa.update(Asset).where(Asset.code == "R-001").values(geom=WIGGLE))
        codes = ["B-001", "B-002", "S-001", "R-001"]  # L-001 unscored
        scores = pd.DataFrame({"id": [ids[code] for code in codes]})
        for name, kind in risk_store.FROM_SCORES.items():
            scores[name] = 1 if kind == "int2" else 0.5
        scores = scores.assign(
            risk_class=["very_high", "high", "medium", "low"], state=[1, 2, 3, 4], inspected_on=None, age=None
        )
        risk_store.write_run(session, scores, computed_on=date(2026, 4, 1), config={}, model={})
    yield database
    database.dispose()


ASKED = [  # in this order: each later one partly made of texts an earlier one kept
    {"bbox": "139.5445,35.3095,139.546,35.311", "zoom": "16"},
    {"bbox": CITY, "zoom": "16"},
    {"bbox": CITY, "zoom": "16", "class": "high,low", "category": "bridge,road"},
    {"bbox": CITY, "zoom": "12", "category": "road,library"},
    {"bbox": CITY, "zoom": "15", "condition": "1,4"},
    {"bbox": CITY, "zoom": "15"},
    {"bbox": "139.55,35.31,139.56,35.32", "zoom": "15", "district": "1"},
    {"bbox": CITY, "zoom": "15", "duty": "unmet"},
]


def _answers(database: Database, layer: str = "risk", **extra: str) -> list[tuple[str, str]]:
    with database.session() as session:
        return [
            (maps.map_layer(session, layer, {**args, **extra}), _uncached(session, layer, {**args, **extra}))
            for args in ASKED
        ]


def test_kept_feature_texts_are_the_answer_written_without_them(database):
    first = _answers(database)
    for kept, fresh in first:
        assert kept == fresh
    assert len({kept for kept, _ in first}) == len(ASKED)  # the viewports differ: the test compares something
    assert _answers(database) == first  # all kept now: the same bytes
    assert len(first[5][0]) < len(first[1][0])  # the city at zoom 15, at 16: a text is kept per zoom level

    with database.session() as session:  # a write moving the road and changing a bridge's class
        session.execute(
            sa.update(Asset).where(Asset.code == "R-001").values(geom=shapely.affinity.translate(WIGGLE, 0, 0.001))
        )
        session.execute(sa.update(RiskScore).where(RiskScore.risk_class == "very_high").values(risk_class="low"))
    after = _answers(database)
    for kept, fresh in after:
        assert kept == fresh
    assert after[1][0] != first[1][0] and '"very_high"' not in after[1][0] and '"very_high"' in first[1][0]
    assert "35.311" in after[1][0] and "35.311" not in first[1][0]  # the road's new place


def test_plan_status_texts_are_kept_per_fiscal_year(database):
    """The plans layer's class is the plan status at the end of the fiscal year asked: texts kept for one year
    are not served for another."""
    with database.session() as session:
        plan = IndividualPlan(code="P-1", title="学校の個別施設計画", adopted_on=date(2021, 3, 1))
        session.add(plan)
        session.flush()
        school = session.scalar(sa.select(Asset.id).where(Asset.code == "S-001"))
        session.add(PlanAsset(plan_id=plan.id, asset_id=school))
    answers = {}
    with database.session() as session:
        for year in ("2019", "2030", "2019"):
            args = {"bbox": CITY, "zoom": "16", "fiscal_year": year}
            answers[year] = maps.map_layer(session, "plans", args)
            assert answers[year] == _uncached(session, "plans", args)
    assert '"adopted"' in answers["2030"] and '"adopted"' not in answers["2019"]


def test_kept_clusters_are_the_ones_counted_without_them(database, monkeypatch):
    """Past MAX_FEATURES the answer is clusters, counted from each point's pixels at zoom 0 and class rank kept
    with the points: the same as counted from the points alone."""
    monkeypatch.setattr(maps, "MAX_FEATURES", 1)
    with database.session() as session:
        for zoom in ("10", "14", "17"):
            args = {"bbox": CITY, "zoom": zoom}
            answer = maps.map_layer(session, "risk", args)
            assert answer == _uncached(session, "risk", args)
            assert '"mode":"clusters"' in answer


def test_fm_serve_makes_the_texts_in_advance_so_that_no_pan_reads_a_geometry(database, monkeypatch):
    with database.session() as session:
        expected = {zoom: _uncached(session, "risk", {"bbox": CITY, "zoom": str(zoom)}) for zoom in maps.WARM_ZOOMS}
        maps.warm_features(session, "risk")

    def read(*_args, **_kwargs):
        raise AssertionError("a geometry read after warm_features")

    monkeypatch.setattr(maps, "_shown", read)
    with database.session() as session:
        for zoom, answer in expected.items():
            assert maps.map_layer(session, "risk", {"bbox": CITY, "zoom": str(zoom)}) == answer
