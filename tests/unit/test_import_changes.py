"""The audit entries' JSON an import writes (made column by column) says what :func:`changes` says, record by
record: added records from nothing, updated ones in their changed fields only, every kind of value."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import shapely

from fm.io import importer


def test_changes_json_equals_the_changes_of_each_record():
    merged = pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "name": ['new "quoted"\tname', "same", "改名", None],
            "name_old": [None, "same", "旧名", "had one"],
            "cost": pd.array([2**63 - 1, 5, 6, None], dtype="Int64"),
            "cost_old": pd.array([None, 5, 7, 8], dtype="Int64"),
            "area": [1.5, 2.0, np.nan, 1 / 3],
            "area_old": [np.nan, 2.0, 3.0, 1 / 3],
            "shelter": [True, False, True, False],
            "shelter_old": [None, False, False, False],
            "built": [date(2020, 4, 1), None, date(1999, 1, 2), None],
            "built_old": [None, None, date(1999, 1, 1), None],
            "geom": [shapely.Point(139.1234567891, 35.1), None, shapely.Point(139, 35), None],
            "geom_old": [None, None, shapely.Point(139, 35.5), None],
        }
    )
    new = pd.Series([True, False, False, False])
    touched = pd.Series([False, True, True, True])
    compared = ["name", "cost", "area", "shelter", "built", "geom"]
    listed = importer.changes(merged, new, touched, compared, None)
    encoded = importer.changes_json(merged, new, touched, compared, None)
    assert list(encoded.index) == list(listed.index) == [0, 1, 2, 3]
    assert [json.loads(text) for text in encoded] == [json.loads(json.dumps(c)) for c in listed]
    assert json.loads(encoded[0])["cost"] == [None, 2**63 - 1] and json.loads(encoded[1]) == {}
    assert json.loads(encoded[3]) == {"name": ["had one", None], "cost": [8, None]}


def test_changes_json_is_the_text_json_dumps_writes_character_for_character():
    long = shapely.LineString([(139.5 + i * 1.234567e-4, 35.3 + (i % 7) * 3.3e-5) for i in range(40)])
    texts = ['"quoted"', "back\\slash", "tab\tline\nreturn\r", "\x01\x1f\x7f\u2028", "名前🏯", "", None, "plain"]
    merged = pd.DataFrame(
        {
            "code": [f"A{n}" for n in range(8)],
            "name": texts,
            "name_old": [None, "back\\slash", "old", None, "名前", "x", "was", "plain"],
            "area": [0.1, 1e-7, 123456789.125, 3.0, -0.0, 1e15, 2.5e16, 1e20],
            "area_old": [np.nan, 1e-7, 5e-324, 3, 0.0, np.nan, 2.5e16, 1e21],
            "cost": pd.array([2**63 - 1, -(2**63), 0, None, 5, 6, 7, 8], dtype="Int64"),
            "cost_old": pd.array([None, 1, 0, 4, None, 6, 7, 9], dtype="Int64"),
            "shelter": pd.array([True, False, None, True, False, True, False, True], dtype="boolean"),
            "shelter_old": pd.array([None, True, None, True, False, False, False, True], dtype="boolean"),
            "built": [date(2020, 4, 1), None, date(1999, 1, 2), date(2020, 4, 1), None, None, None, date(2001, 4, 1)],
            "built_old": [None, None, date(1999, 1, 1), date(2020, 4, 1), None, None, None, None],
            "mixed": [1, 2.5, "x", None, True, 10**20, 1.0, float("inf")],
            "mixed_old": [None, 2.5, "y", None, None, 10**20, 2, None],
            "geom": [shapely.Point(139.1234567891, 35.1), long, shapely.Point(), None, shapely.Point(139, 35)] * 1
            + [None, long, shapely.Polygon([(139, 35), (139.1, 35), (139.1, 35.1)])],
            "geom_old": [None, None, shapely.Point(139, 35.5), None, shapely.Point(139, 35), None, None, None],
        }
    )
    new = pd.Series([True, False, False, True, False, False, False, False])
    touched = pd.Series([False, True, True, False, True, True, True, True])
    uses = pd.DataFrame(
        {
            "valid_from": [None, date(2024, 4, 1), None, None, date(2025, 4, 1), None, None, None],
            "valid_from_old": [None, date(2023, 4, 1), None, None, date(2025, 4, 1), None, None, None],
            "current_use": [None, "事務所", None, None, '"q"', None, None, None],
            "current_use_old": [None, "倉庫", None, None, '"q"', None, None, None],
            "changed": [False, True, False, False, True, False, False, False],
        }
    )
    compared = ["name", "area", "cost", "shelter", "built", "mixed", "geom"]
    for given in (None, uses):
        listed = importer.changes(merged, new, touched, compared, given)
        encoded = importer.changes_json(merged, new, touched, compared, given)
        assert list(encoded) == [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in listed]
    assert '"area":[null,0.1]' in encoded[0] and '"area":[1e+21,1e+20]' not in encoded[7]
    assert '"area":[1000000000000000000000,100000000000000000000]' in encoded[7]
    assert '"name":["x",""]' in encoded[5] and '"use_since":["2023-04-01","2024-04-01"]' in encoded[1]


def _by_python_values(merged: pd.DataFrame, columns: list[str]) -> list[bool]:
    """What the comparison said before numbers were compared as arrays: each pair of Python values (None for
    every kind of missing) compared with ``==``."""
    differs = np.zeros(len(merged), dtype=bool)
    for column in columns:
        new = merged[column].astype(object).where(merged[column].notna(), None).tolist()
        old = merged[f"{column}_old"].astype(object).where(merged[f"{column}_old"].notna(), None).tolist()
        differs |= np.array([a != b for a, b in zip(new, old, strict=True)])
    return differs.tolist()


def test_numbers_and_flags_compare_as_their_python_values():
    big = 2**63 - 1
    merged = pd.DataFrame(
        {
            "cost": pd.array([big, big, 5, None, None, 7, 0], dtype="Int64"),
            "cost_old": pd.array([big, big - 1, 5, None, 5, None, 0], dtype="Int64"),
            "users": np.array([1, 2, 3, 4, 5, 6, 7], dtype="int64"),
            "users_old": pd.array([1, 2, 3, None, 5, 6, 8], dtype="Int64"),
            "area": pd.array([1.5, 1 / 3, None, 2.0, None, 0.1 + 0.2, -0.0], dtype="Float64"),
            "area_old": [1.5, 0.3333333333333333, np.nan, np.nan, 2.0, 0.3, 0.0],
            "shelter": [True, False, True, False, True, False, True],
            "shelter_old": pd.array([True, False, None, True, True, False, False], dtype="boolean"),
            "name": ["a", "b", None, "d", "e", "f", "g"],
            "name_old": ["a", "b", None, "d", "e", "f", "g"],
        }
    )
    for column in ("cost", "users", "area", "shelter", "name"):
        assert importer._differs(merged, [column]).tolist() == _by_python_values(merged, [column]), column
    every = ["cost", "users", "area", "shelter", "name"]
    assert importer._differs(merged, every).tolist() == _by_python_values(merged, every)


def test_the_digest_follows_every_value_it_covers():
    merged = pd.DataFrame(
        {
            "code": ["A", "B", "C"],
            "name": ["new", "same", "改名"],
            "name_old": [np.nan, "same", "旧名"],
            "cost": pd.array([2**63 - 1, 5, None], dtype="Int64"),
            "cost_old": pd.array([None, 5, 7], dtype="Int64"),
            "area": [1.5, 2.0, np.nan],
            "area_old": [np.nan, 2.0, 3.0],
            "shelter": [True, False, True],
            "shelter_old": [np.nan, False, False],
            "built": [date(2020, 4, 1), None, date(1999, 1, 2)],
            "built_old": [np.nan, None, date(1999, 1, 1)],
            "geom": [shapely.Point(139.1, 35.1), shapely.Point(139, 35), None],
            "geom_old": [np.nan, shapely.Point(139, 35), shapely.Point(139, 35.5)],  # the added record: NaN
        }
    )
    kind = importer.KINDS["assets"]
    new, touched = pd.Series([True, False, False]), pd.Series([False, True, True])
    compared = ["name", "cost", "area", "shelter", "built", "geom"]
    digest = importer.fingerprint(kind, merged, new, touched, compared, None)
    assert digest == importer.fingerprint(kind, merged.copy(), new, touched, compared, None)
    changed = {
        "name": "other",
        "name_old": "旧名２",
        "cost": 2**63 - 2,
        "cost_old": 8,
        "area_old": 3.0000000000000004,
        "shelter": False,
        "built_old": date(1999, 1, 3),
        "geom": shapely.Point(139.1, 35.100000001),
        "geom_old": shapely.Point(139, 35.5000000001),
    }
    for column, value in changed.items():
        other = merged.copy()
        other.loc[2 if column.endswith("_old") or column == "geom" else 0, column] = value
        assert importer.fingerprint(kind, other, new, touched, compared, None) != digest, column
    assert importer.fingerprint(kind, merged, pd.Series([False, False, False]), touched | new, compared, None) != digest
