"""fm map: standalone HTML files for each map, with everything inlined; bad options named."""

from __future__ import annotations

import json
import re

import pytest
from clirun import run

from fm.app import maps
from fm.db import Database
from fm.domain.maps import packed
from fm.domain.risk.config import load_config
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
    start = html.index('"packed":') + len('"packed":')  # the file's features, packed (fm/domain/maps/packed.py)
    features = packed.unpack(json.JSONDecoder().raw_decode(html, start)[0])
    assert len(features["code"]) > 0 and set(features["classes"]) == {"very_high"}
    assert {card["risk_class"] for card in features["card"]} == {"very_high"}
    # The file's cards, made column by column, are the cards the app's card endpoint gives, one by one.
    database = Database(scored_demo_url)
    with database.session() as session:
        ids = [store.find_asset(session, code) for code in features["code"]]
        expected = maps.asset_cards(session, ids=ids, config=load_config(), lang="ja")
    database.dispose()
    assert features["card"] == json.loads(json.dumps(expected, default=str))


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
