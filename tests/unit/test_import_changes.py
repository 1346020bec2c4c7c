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
