"""The quantitative evaluation (一次評価) on four hand-made buildings, every figure worked out by hand
(docs/portfolio.md repeats this example), and the sharing of a service's figures over its buildings."""

from __future__ import annotations

import pandas as pd
import pytest

from fm.domain.portfolio.evaluation import evaluate, load_settings
from fm.domain.portfolio.usage import building_usage
from fm.errors import ValidationError

# Fiscal year 2025; every main service a library, so the four are each other's peers (4 ≥ min_peers 3).
BUILDINGS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "code": ["A", "B", "C", "D"],
        "name": ["甲", "乙", "丙", "丁"],
        "district_id": [1, 1, 2, 2],
        "floor_area_m2": [1000.0, 1000.0, 500.0, 2000.0],
        "year_built": [2005, 2015, 1965, 1970],
        "useful_life_years": [50, 50, 50, 50],
        "state": [1, 2, 4, 5],
        "scale": ["score"] * 4,
        "risk_class": ["low", "very_low", "high", None],
    }
)
HOUSED = pd.DataFrame(
    {
        "service_id": [10, 11, 20, 30, 40],
        "asset_id": [1, 1, 2, 3, 4],
        "floor_area_m2": [800.0, 200.0, 1000.0, 500.0, 2000.0],
        "kind": ["library", "community_centre", "library", "library", "library"],
    }
)
USAGE = pd.DataFrame(
    {
        "service_id": [10, 11, 20, 30, 40, 40],
        "fiscal_year": [2025, 2025, 2025, 2025, 2025, 2024],
        "users": [16_000, 4_000, 5_000, 15_000, 4_000, 9_999],
        "operating_cost": [16_000_000, 4_000_000, 20_000_000, 6_000_000, 50_000_000, 1],
    }
)


def test_quadrants_of_a_hand_made_set():
    """Performance = 100 × (0.4 condition + 0.3 life left + 0.3 risk):
    A: condition 1 → 1, age 20/50 → 0.6, low → 0.75: 40 + 18 + 22.5 = 80.5
    B: 2 → 0.75, 10/50 → 0.8, very_low → 1: 30 + 24 + 30 = 84.0
    C: 4 → 0.25, 60/50 → 0, high → 0.25: 10 + 0 + 7.5 = 17.5
    D: 5 → 0, 55/50 → 0, not scored → 0.5: 0 + 0 + 15 = 15.0
    Use = 100 × (0.5 × min(upm / median, 2) / 2 + 0.5 × min(median cpu / cpu, 2) / 2):
    users per m² 20, 5, 30, 2 (median 12.5): 0.8, 0.2, 1.0, 0.08;
    cost per user 1,000, 4,000, 400, 12,500 (median 2,500): 1.0, 0.3125, 1.0, 0.1;
    use 90.0, 25.6 (25.625), 100.0, 9.0."""
    found = evaluate(BUILDINGS, HOUSED, USAGE, settings=load_settings())
    assert found["code"].tolist() == ["A", "B", "C", "D"]
    assert found["kind"].tolist() == ["library"] * 4
    assert found["users"].tolist() == [20_000, 5_000, 15_000, 4_000]
    assert found["operating_cost"].tolist() == [20_000_000, 20_000_000, 6_000_000, 50_000_000]
    assert found["performance"].tolist() == [80.5, 84.0, 17.5, 15.0]
    assert found["use"].tolist() == [90.0, 25.6, 100.0, 9.0]
    assert found["quadrant"].tolist() == ["keep", "improve", "repurpose_merge", "consider_closing"]


def test_thresholds_are_settings(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[thresholds]\nuse = 95.0\n", encoding="utf-8")
    found = evaluate(BUILDINGS, HOUSED, USAGE, settings=load_settings(path))
    assert found["quadrant"].tolist() == ["improve", "improve", "repurpose_merge", "consider_closing"]
    path.write_text("[thresholds]\nuse = 150\n[use]\nsize = 1\n", encoding="utf-8")
    with pytest.raises(
        ValidationError,
        match=r"'thresholds.use' must be a number from 0 to 100.*unknown key 'use.size'|unknown key 'use.size'",
    ):
        load_settings(path)


def test_a_service_in_two_buildings_is_shared_by_floor_area_in_whole_yen():
    housed = pd.DataFrame({"service_id": [1, 1, 1], "asset_id": [1, 2, 3], "floor_area_m2": [100.0, 100.0, 100.0]})
    usage = pd.DataFrame({"service_id": [1], "fiscal_year": [2025], "users": [10], "operating_cost": [1_000_000]})
    found = building_usage(housed, usage)
    assert found["users"].tolist() == [4, 3, 3]
    assert found["operating_cost"].tolist() == [333_334, 333_333, 333_333]


def test_cost_per_user_is_whole_yen_rounded_half_up():
    # 2024: service 40 (building D alone) cost 1 yen for 9,999 users → 0 yen (0.0001 rounds down); and a cost of
    # 50,000,001 yen for 4,000 users is 12,500.00025 → 12,500: whole yen, as on the facility card, never a float.
    usage = USAGE.assign(operating_cost=[16_000_000, 4_000_000, 20_000_001, 6_000_000, 50_000_001, 1])
    found = evaluate(BUILDINGS, HOUSED, usage, settings=load_settings())
    assert str(found["cost_per_user"].dtype) == "Int64"
    assert found["cost_per_user"].tolist() == [1_000, 4_000, 400, 12_500]  # B: 20,000,001 ÷ 5,000 = 4,000.0002
    usage = USAGE.assign(users=[16_000, 4_000, 2, 15_000, 4_000, 9_999], operating_cost=[1] * 2 + [1_000_001] + [1] * 3)
    assert evaluate(BUILDINGS, HOUSED, usage, settings=load_settings())["cost_per_user"].tolist()[1] == 500_001
    assert (
        evaluate(BUILDINGS, HOUSED, USAGE, settings=load_settings(), fiscal_year=2024)["cost_per_user"].tolist()[3] == 0
    )
