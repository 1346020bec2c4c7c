import pandas as pd
import pytest

from fm.domain.stats import asset_counts

CATEGORIES = pd.DataFrame(
    {
        "code": ["school", "bridge", "road"],
        "name": ["学校", "橋梁", "道路"],
        "name_en": ["School", "Bridge", "Road"],
        "asset_group": ["facility", "infrastructure", "infrastructure"],
    }
)
DISTRICTS = pd.DataFrame(
    {"id": [1, 2], "code": ["kamakura", "ofuna"], "name": ["鎌倉", "大船"], "name_en": ["Kamakura", "Ofuna"]}
)


def counts(rows):
    return asset_counts(pd.DataFrame(rows, columns=["category", "district_id", "status"]), CATEGORIES, DISTRICTS)


def test_empty_register_counts_zero_everywhere():
    result = counts([])
    assert result["total"] == 0
    assert [row["count"] for row in result["by_category"]] == [0, 0, 0]
    assert [row["count"] for row in result["by_district"]] == [0, 0]
    assert result["by_group"] == {"facility": 0, "infrastructure": 0}
    assert result["by_status"] == {"in_service": 0, "closed": 0, "disposed": 0}


def test_counts_held_assets_and_leaves_disposed_out():
    result = counts(
        [
            ("bridge", 1, "in_service"),
            ("bridge", 2, "in_service"),
            ("bridge", 2, "disposed"),
            ("school", 1, "closed"),
            ("road", None, "in_service"),
        ]
    )
    assert result["total"] == 4
    assert {r["code"]: r["count"] for r in result["by_category"]} == {"school": 1, "bridge": 2, "road": 1}
    assert [(r["code"], r["count"]) for r in result["by_district"]] == [("kamakura", 2), ("ofuna", 1), (None, 1)]
    assert result["by_group"] == {"facility": 1, "infrastructure": 3}
    assert result["by_status"] == {"in_service": 3, "closed": 1, "disposed": 1}


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="status"):
        asset_counts(pd.DataFrame({"category": [], "district_id": []}), CATEGORIES, DISTRICTS)
