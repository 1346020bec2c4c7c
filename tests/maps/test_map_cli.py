"""fm map: standalone HTML files for each map, with everything inlined; bad options named."""

from __future__ import annotations

import gc
import json
import re

import numpy as np
import pandas as pd
import pytest
import shapely
from clirun import run

from fm.app import maps
from fm.db import Database
from fm.domain.maps import packed
from fm.domain.risk.config import load_config
from fm.io import risk as risk_store
from fm.io import store


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("risk", ["--district", "1", "--class", "very_high,high"]),
        ("plans", ["--fiscal-year", "2025"]),
        ("land", ["--fiscal-year", "2025", "--lang", "en"]),
        ("districts", ["--indicator", "aging_ratio", "--fiscal-year", "2024"]),
        ("repairs", ["--years", "3", "--fiscal-year", "2024"]),
    ],
)
def test_each_map_exports_one_self_contained_file(scored_demo_url, tmp_path, kind, options):
    out = tmp_path / f"{kind}.html"
    result = run(scored_demo_url, "map", kind, str(out), *options)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output and not (tmp_path / f"{kind}.html.partial").exists()
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=", html), "everything must be inlined"
    assert "L.map(" in html and "fmMap.legend" in html
    # The default basemap, credited (Folium writes the attribution with \u escapes).
    assert "cyberjapandata.gsi.go.jp/xyz/pale" in html and "ichiran.html" in html


def test_export_filters_are_the_page_filters(scored_demo_url, tmp_path):
    out = tmp_path / "risk.html"
    assert run(scored_demo_url, "map", "risk", str(out), "--class", "very_high").exit_code == 0
    html = out.read_text(encoding="utf-8")
    features = _packed(html)
    assert len(features["code"]) > 0 and set(features["classes"]) == {"very_high"}
    assert {card["risk_class"] for card in features["card"]} == {"very_high"}
    # The file's cards, made column by column, are the cards the app's card endpoint gives, one by one.
    database = Database(scored_demo_url)
    with database.session() as session:
        ids = [store.find_asset(session, code) for code in features["code"]]
        expected = maps.asset_cards(session, ids=ids, config=load_config(), lang="ja")
    database.dispose()
    assert features["card"] == json.loads(json.dumps(expected, default=str))


def _raw(html: str) -> dict:
    start = html.index('"packed":') + len('"packed":')  # the file's features, packed (fm/domain/maps/packed.py)
    return json.JSONDecoder().raw_decode(html, start)[0]


def _packed(html: str) -> dict:
    return packed.unpack(_raw(html))


def test_the_file_holds_every_held_asset_as_stored(scored_demo_url, tmp_path):
    """The whole risk map of the demo, decoded, against the database: each held asset with a geometry, in id order,
    its code, category, class and every vertex (to 1e-6°), and its card as the card endpoint gives it."""
    out = tmp_path / "risk.html"
    assert run(scored_demo_url, "map", "risk", str(out), "--basemap", "none").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0  # the collector, off while the map is made, is back
    raw = _raw(out.read_text(encoding="utf-8"))
    features = packed.unpack(raw)
    database = Database(scored_demo_url)
    with database.session() as session:
        run_id = risk_store.latest_run(session).id
        assets = store.read_assets(session, columns=("id", "code", "category", "status", "geom"))
        scores = store.read_table(session, "risk_scores", ("run_id", "asset_id", "risk_class"))
        cards = maps.asset_cards(session, ids=None, config=load_config(), lang="ja")
    database.dispose()
    held = assets[(assets["status"] != "disposed") & assets["geom"].notna()].sort_values("id")
    assert len(held) > 4000
    assert features["code"] == held["code"].tolist()
    assert features["categories"] == held["category"].tolist()
    classes = held["id"].map(scores[scores["run_id"] == run_id].set_index("asset_id")["risk_class"])
    assert features["classes"] == classes.fillna("unscored").tolist()
    geoms = held["geom"].to_numpy()
    kinds = pd.Series(shapely.get_type_id(geoms)).map({0: 0, 4: 0, 1: 1, 5: 1, 3: 2, 6: 2})
    assert features["kind"].tolist() == kinds.tolist()
    vertices = features["path_vertices"].astype(np.int64)[features["feature_paths"].astype(np.int64)]
    assert np.diff(vertices).tolist() == shapely.get_num_coordinates(geoms).tolist()
    coords = shapely.get_coordinates(geoms)
    west, south = np.floor(coords.min(axis=0) * packed.SCALE)
    assert raw["origin"] == [west, south]
    assert (features["x"] + west == np.round(coords[:, 0] * packed.SCALE)).all()
    assert (features["y"] + south == np.round(coords[:, 1] * packed.SCALE)).all()
    by_code = {card["code"]: card for card in cards}
    assert features["card"] == json.loads(json.dumps([by_code[c] for c in features["code"]], default=str))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["map", "castle", "x.html"], "Invalid value for '{risk|plans|land|districts|repairs}'"),
        (["map", "risk", "x.html", "--basemap", "osm"], "basemap must be gsi or none or an XYZ tile URL"),
        (["map", "risk", "x.html", "--basemap", "https://t.example.jp/{z}/{x}/{y}.png"], "set its attribution"),
        (["map", "risk", "x.html", "--class", "awful"], "class: unknown value 'awful'"),
        (["map", "repairs", "x.html", "--years", "0"], "years must be a whole number from 1 to 50"),
        (["map", "land", "x.html", "--fiscal-year", "20x5"], "fiscal_year must be a year such as 2025"),
    ],
)
def test_bad_options_are_named_and_nothing_is_written(scored_demo_url, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(scored_demo_url, *args)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.html").exists()
    assert gc.isenabled() and gc.get_freeze_count() == 0  # back on after a failure too
