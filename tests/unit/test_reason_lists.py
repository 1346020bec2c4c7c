"""A map's reasons made column-wise (reason_lists) say exactly what one asset's (reasons) say."""

from __future__ import annotations

import itertools
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from fm.domain.maps import packed
from fm.domain.risk.explain import reason_lists, reasons


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_column_wise_reasons_equal_one_by_one(lang):
    grid = itertools.product(
        [None, 1, 3, 4],  # state
        [None, date(2021, 6, 1), "2019-11-30"],  # inspected_on
        [0.0, 1.0, None],  # emergency road
        [0.0, 1.0],  # railway
        [None, 0.0, 1.0],  # shelter
        [None, 0, 12000.0, 1234567.4],  # annual users
        [None, 0.5, 0.8, 0.97],  # p_age
    )
    rows = [
        dict(zip(("state", "inspected_on", "c_emergency_road", "c_railway", "c_evacuation_shelter",
                  "annual_users", "p_age"), values, strict=True))
        for values in grid
    ]  # fmt: skip
    scales = ["soundness" if n % 2 else "score" for n in range(len(rows))]
    for limit in (None, 3):
        offsets, items = reason_lists(pd.DataFrame(rows), scales=scales, lang=lang, limit=limit)
        for n, (row, scale) in enumerate(zip(rows, scales, strict=True)):
            expected = reasons(row, scale=scale, users=row["annual_users"], lang=lang)[:limit]
            assert items[offsets[n] : offsets[n + 1]] == expected, row
    assert reason_lists(pd.DataFrame(columns=["state"]), scales=[], lang=lang)[0].tolist() == [0]


def test_card_columns_read_back_from_a_packed_file():
    columns = {
        "code": ["A", "B", "C"],
        "district": ["大船", None, "大船"],
        "score": [0.5, None, 0.25],
        "reasons": {"offsets": [0, 2, 2, 3], "items": ["x", "y", "z"]},
        "planned": {"offsets": [0, 0, 1, 1], "items": {"due": ["2027年度"], "cost": [1200]}},
    }
    frame = pd.DataFrame({"code": ["A", "B", "C"], "category": "road", "class": "low"})
    layer = gpd.GeoDataFrame(frame, geometry=[shapely.Point(139.5, 35.3)] * 3, crs=4326)
    back = packed.unpack(packed.pack(layer, categories=["road"], classes=["low"], cards=columns))
    assert back["card"] == [
        {"code": "A", "district": "大船", "score": 0.5, "reasons": ["x", "y"], "planned": []},
        {"code": "B", "district": None, "score": None, "reasons": [], "planned": [{"due": "2027年度", "cost": 1200}]},
        {"code": "C", "district": "大船", "score": 0.25, "reasons": ["z"], "planned": []},
    ]


def test_a_column_of_few_texts_is_packed_as_values_and_an_index_each():
    column = ["高い", None, "低い", "高い"] * 3
    encoded = packed._encoded(column)
    assert encoded == {"values": ["高い", "低い"], "codes": [0, -1, 1, 0] * 3}
    assert packed._decoded(encoded, len(column)) == column
    assert packed._encoded(["a", "b", "c"]) == ["a", "b", "c"]  # as many texts as cards: as they are
