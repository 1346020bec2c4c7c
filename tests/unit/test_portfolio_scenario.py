"""Scenarios (fm/domain/portfolio/scenario.py): every figure equals fm's existing function run on the changed
register, built here by hand; bad actions refused naming the action, the building and the field.

Three buildings on three parcels of 50 m × 40 m (2,000 m² each, in EPSG:6677), FY2026 the current year:

| building | category | floor m² | built | services (m²) | site |
|---|---|---|---|---|---|
| A | library | 1,000 | 1970 | S1 library 1,000; S4 youth 0 shared with C | PA |
| B | community_centre | 2,000 | 2000 | S2 community 800 | PB |
| C | library | 500 | 1990 | S3 library 300, S4 youth 200 | PC |

The scenario: A merged into B in FY2028 (B has 2,000 − 800 = 1,200 m² free for A's 1,000), C closed in FY2030,
A's parcel sold in FY2032.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from fm.domain.geo import PLANE_CRS, STORAGE_CRS, area_m2
from fm.domain.kpi.measures import KpiData, measure
from fm.domain.kpi.whatif import aging_whatif
from fm.domain.portfolio import scenario
from fm.domain.portfolio.usage import building_usage
from fm.domain.renewal.costs import load_unit_costs
from fm.domain.renewal.projection import project_renewal

START = 2027
KINDS = ("library", "community_centre", "youth", "elderly_care")
PLANE = {"A": (0, 0), "B": (1000, 0), "C": (2000, 0)}


def _register() -> scenario.Register:
    buildings = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "code": ["A", "B", "C"],
            "name": ["a", "b", "c"],
            "category": ["library", "community_centre", "library"],
            "status": "in_service",
            "floor_area_m2": [1000.0, 2000.0, 500.0],
            "year_built": [1970, 2000, 1990],
        }
    )
    assets = buildings[["id", "code", "name", "category"]].assign(
        acquisition_date=[pd.Timestamp("1970-06-01"), pd.Timestamp("2000-06-01"), pd.Timestamp("1990-06-01")],
        acquisition_cost=[500_000_000, 900_000_000, 300_000_000],
        useful_life_years=[50, 50, 50],
        disposed_on=[None, None, None],
    )
    categories = pd.DataFrame(
        {
            "code": ["library", "community_centre"],
            "name": ["図書館", "集会所"],
            "name_en": ["Library", "Community centre"],
            "useful_life_years": [50, 50],
        }
    )
    plane = gpd.GeoSeries([box(x - 25, y - 20, x + 25, y + 20) for x, y in PLANE.values()], crs=PLANE_CRS)
    parcels = gpd.GeoDataFrame(
        {
            "id": [11, 12, 13],
            "code": ["PA", "PB", "PC"],
            "name": ["pa", "pb", "pc"],
            "owner_department": "管財課",
            "acquired_on": [date(1960, 4, 1)] * 3,
            "disposed_on": [None] * 3,
        },
        geometry=plane.to_crs(STORAGE_CRS).to_numpy(),
        crs=STORAGE_CRS,
    )
    uses = pd.DataFrame(
        {
            "parcel_id": [11, 12, 13],
            "valid_from": [date(1960, 4, 1)] * 3,
            "current_use": "施設",
            "utilisation": "in_use",
        }
    )
    work = pd.DataFrame(columns=["asset_id", "kind", "status", "planned_on", "planned_cost", "code"])
    kpi = KpiData(assets, categories, None, None, None, parcels, uses, work)  # type: ignore[arg-type]
    points = gpd.GeoDataFrame(
        {"id": [1, 2, 3]}, geometry=gpd.GeoSeries([Point(p) for p in PLANE.values()], crs=PLANE_CRS).to_crs(4326)
    )
    housed = pd.DataFrame(
        {"service_id": [1, 4, 2, 3, 4], "asset_id": [1, 1, 2, 3, 3], "floor_area_m2": [1000.0, None, 800.0, 300, 200]}
    )
    usage = pd.DataFrame(
        {
            "service_id": [1, 2, 3, 4],
            "fiscal_year": 2025,
            "users": [10_000, 5_000, 3_000, 1_000],
            "operating_cost": [30_000_001, 20_000_000, 9_000_000, 4_000_000],
        }
    )
    sites = scenario.find_sites(points, parcels)
    return scenario.Register(buildings, housed, usage, kpi, load_unit_costs(), sites)


ACTIONS = pd.DataFrame(
    {
        "building": ["A", "C", "A"],
        "action": ["merge", "close", "sell"],
        "fiscal_year": [2028, 2030, 2032],
        "target": ["B", None, None],
        "works_cost": [50_000_000, 30_000_000, None],
    }
)


@pytest.fixture(scope="module")
def register() -> scenario.Register:
    return _register()


def test_sites_are_the_parcels_under_the_buildings(register):
    assert register.sites.to_dict() == {1: 11, 2: 12, 3: 13}


def test_the_actions_are_accepted(register):
    assert scenario.check(register, ACTIONS, current_year=2026, kinds=KINDS) == []


def test_renewal_equals_the_projection_of_the_changed_register(register):
    costs, b = register.costs, register.buildings
    kept, _ = project_renewal(b[b["code"] == "B"], costs, scenario="simple", start=START, years=40)
    a, _ = project_renewal(b[b["code"] == "A"], costs, scenario="simple", start=START, years=40)
    c, _ = project_renewal(b[b["code"] == "C"], costs, scenario="simple", start=START, years=40)
    # A counted in FY2027 only (merged on 1 April 2028), C in FY2027–2029
    expected = kept["total"].sum() + a["total"].iloc[:1].sum() + c["total"].iloc[:3].sum()
    every, _ = project_renewal(b, costs, scenario="simple", start=START, years=40)
    got = scenario.figures(register, ACTIONS, start=START, usage_year=2025)
    nothing = scenario.figures(register, ACTIONS.iloc[:0], start=START, usage_year=2025)
    assert got["renewal_40_years"] == int(expected)
    assert nothing["renewal_40_years"] == int(every["total"].sum())
    assert got["renewal_10_years"] == int(
        kept["total"].iloc[:10].sum() + a["total"].iloc[:1].sum() + c["total"].iloc[:3].sum()
    )
    assert isinstance(got["renewal_40_years"], int)


def test_operating_cost_follows_the_services(register):
    changed = scenario.apply(register, ACTIONS)
    # S1 and S4 moved into B with S2; S3 ended with C (its only building); S4 had a building in A, so it goes on
    assert sorted(map(tuple, changed.housed[["service_id", "asset_id"]].to_numpy().tolist())) == [
        (1, 2),
        (2, 2),
        (4, 2),
    ]
    after = building_usage(changed.housed, register.usage)["operating_cost"].sum()
    assert after == 30_000_001 + 20_000_000 + 4_000_000
    got = scenario.figures(register, ACTIONS, start=START, usage_year=2025)
    assert got["operating_cost_year"] == 54_000_001
    # FY2027–2029 all four services (63,000,001: S1, S4 move into B, S3 stays in C); from FY2030 54,000,001
    assert got["operating_cost_40_years"] == 3 * 63_000_001 + 37 * 54_000_001
    assert got["works_cost"] == 80_000_000
    assert got["cost_40_years"] == got["renewal_40_years"] + got["operating_cost_40_years"] + 80_000_000


def test_aging_ratio_equals_the_whatif_on_the_changed_register(register):
    assets = register.kpi.assets.copy()
    assets.loc[assets["code"] == "A", "disposed_on"] = date(2028, 4, 1)
    assets.loc[assets["code"] == "C", "disposed_on"] = date(2030, 4, 1)
    by_hand = aging_whatif(dataclasses.replace(register.kpi, assets=assets), fiscal_year=2026, years=10).as_dict()
    nothing = aging_whatif(register.kpi, fiscal_year=2026, years=10).as_dict()
    got = scenario.figures(register, ACTIONS, start=START, usage_year=2025)
    none = scenario.figures(register, ACTIONS.iloc[:0], start=START, usage_year=2025)
    assert [y["aging_ratio"] for y in got["years"]] == [y["planned_value"] for y in by_hand["years"]]
    assert [y["aging_ratio"] for y in none["years"]] == [y["planned_value"] for y in nothing["years"]]
    # FY2028 on: A (built 1970, fully depreciated) is gone, so the ratio falls below doing nothing's
    assert got["years"][1]["aging_ratio"] < none["years"][1]["aging_ratio"]


def test_underused_land_moves_the_wrong_way_until_the_site_is_sold(register):
    parcels, uses = register.kpi.parcels.copy(), register.kpi.parcel_uses
    parcels.loc[parcels["code"] == "PA", "disposed_on"] = date(2032, 4, 1)
    uses = pd.concat(
        [
            uses,
            pd.DataFrame(
                {
                    "parcel_id": [11, 13],
                    "valid_from": [date(2028, 4, 1), date(2030, 4, 1)],
                    "current_use": "旧施設跡地",
                    "utilisation": "unused",
                }
            ),
        ],
        ignore_index=True,
    )
    by_hand = dataclasses.replace(register.kpi, parcels=parcels, parcel_uses=uses)
    got = scenario.figures(register, ACTIONS, start=START, usage_year=2025)
    for row in got["years"]:
        expected = measure("underused_land", by_hand, fiscal_year=row["fiscal_year"]).value
        assert row["underused_land_m2"] == pytest.approx(expected, abs=0.005)
    site = float(area_m2(register.kpi.parcels).iloc[0])
    assert site == pytest.approx(2000.0, abs=0.01)  # 50 m × 40 m
    by_year = {row["fiscal_year"]: row["underused_land_m2"] for row in got["years"]}
    assert by_year[2027] == 0
    assert by_year[2028] == pytest.approx(2000.0, abs=0.01)  # A's site unused: the indicator goes up
    assert by_year[2030] == pytest.approx(4000.0, abs=0.01)  # and C's
    assert by_year[2032] == pytest.approx(2000.0, abs=0.01)  # A's parcel sold
    none = scenario.figures(register, ACTIONS.iloc[:0], start=START, usage_year=2025)
    assert {row["underused_land_m2"] for row in none["years"]} == {0}


def test_floor_area(register):
    got = scenario.figures(register, ACTIONS, start=START, usage_year=2025)
    assert got["floor_area_m2"] == 2000.0
    assert got["buildings"] == 1
    assert [row["floor_area_m2"] for row in got["years"][:4]] == [3500.0, 2500.0, 2500.0, 2000.0]


def _problems(register, **columns):
    return scenario.check(register, pd.DataFrame(columns), current_year=2026, kinds=KINDS)


def test_bad_actions_are_refused_naming_the_action_and_field(register):
    assert _problems(register, building=["Z"], action=["close"], fiscal_year=[2027]) == [
        "action 1 (Z), building: no held building has the code 'Z'"
    ]
    assert _problems(
        register, building=["A", "A"], action=["close", "merge"], fiscal_year=[2027, 2028], target=[None, "B"]
    ) == ["action 2 (A), building: A is closed twice (actions 1 and 2)"]
    assert _problems(register, building=["B"], action=["merge"], fiscal_year=[2027], target=["C"]) == [
        "action 1 (B), target: C has 0.0 m² free, 800.0 m² would move in (floor area 500.0 m², its services 500.0 m², "
        "merged in by earlier actions 0.0 m²)"
    ]
    assert _problems(
        register, building=["C", "B"], action=["merge", "close"], fiscal_year=[2027, 2029], target=["B", None]
    ) == ["action 1 (C), target: B is itself closed (action 2)"]
    assert _problems(register, building=["C"], action=["sell"], fiscal_year=[2025]) == [
        "action 1 (C), fiscal_year: 2025 is in the past (the current fiscal year is 2026)"
    ]
    assert _problems(register, building=["C"], action=["convert"], fiscal_year=[2027], new_use=["casino"])[
        0
    ].startswith("action 1 (C), new_use: 'casino' is not a kind of service")
    assert _problems(register, building=["C", "C"], action=["close", "sell"], fiscal_year=[2029, 2028]) == [
        "action 2 (C), fiscal_year: the sale (2028) comes before the closure (action 1)"
    ]
    assert _problems(register, building=["C"], action=["close"], fiscal_year=[2027], works_cost=[-1]) == [
        "action 1 (C), works_cost: -1 is not a whole number of yen, 0 or more"
    ]


def test_two_merges_share_the_room_of_their_target(register):
    # B has 1,200 m² free: A's 1,000 fits, then C's 500 does not
    assert _problems(
        register, building=["A", "C"], action=["merge", "merge"], fiscal_year=[2027, 2027], target=["B", "B"]
    ) == [
        "action 2 (C), target: B has 200.0 m² free, 500.0 m² would move in (floor area 2000.0 m², its services "
        "800.0 m², merged in by earlier actions 1000.0 m²)"
    ]


def test_a_site_shared_by_two_buildings_is_unused_only_once_both_close(register):
    shared = dataclasses.replace(register, sites=pd.Series({1: 11, 2: 11, 3: 13}))
    one = scenario.apply(shared, pd.DataFrame({"building": ["A"], "action": ["close"], "fiscal_year": [2027]}))
    assert len(one.kpi.parcel_uses) == 3
    both = scenario.apply(
        shared, pd.DataFrame({"building": ["A", "B"], "action": ["close", "close"], "fiscal_year": [2027, 2029]})
    )
    added = both.kpi.parcel_uses.iloc[3:]
    assert added[["parcel_id", "valid_from"]].to_dict("records") == [{"parcel_id": 11, "valid_from": date(2029, 4, 1)}]
