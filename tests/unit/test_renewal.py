"""The renewal projection on a two-building, one-bridge, one-pipe inventory worked out by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from fm.domain.renewal.costs import load_unit_costs
from fm.domain.renewal.projection import project_renewal
from fm.errors import ValidationError

INVENTORY = pd.DataFrame(
    [
        # school (学校教育系: 17 / 33 万円/m²), 1,000 m², 26 years old in FY2026
        {"category": "school", "status": "in_service", "year_built": 2000, "floor_area_m2": 1000.0},
        # office (行政系: 25 / 40 万円/m²), 500 m², 66 years old: past its rebuild
        {"category": "office", "status": "in_service", "year_built": 1960, "floor_area_m2": 500.0},
        # RC bridge, 100 m² of deck, 56 years old: renewed at 60, in FY2030
        {"category": "bridge", "status": "in_service", "year_built": 1970, "deck_area_m2": 100.0, "structure": "RC"},
        # sewer pipe, 50 m, 56 years old: past its 50-year renewal
        {"category": "sewer_pipe", "status": "in_service", "year_built": 1970, "length_m": 50.0, "diameter_mm": 250.0},
        # left out: disposed, and a tunnel (outside the method)
        {"category": "office", "status": "disposed", "year_built": 1950, "floor_area_m2": 9999.0},
        {"category": "tunnel", "status": "in_service", "year_built": 1970, "length_m": 200.0},
    ]
)


def project(scenario):
    table, outside = project_renewal(INVENTORY, load_unit_costs(), scenario=scenario, start=2026, years=12)
    return table.set_index("fiscal_year"), outside


def test_simple_renewal_by_hand():
    table, outside = project("simple")
    building = {year: 0 for year in range(2026, 2038)}
    for year in range(2026, 2036):  # office rebuild backlog: 500 m² × 400,000 ÷ 10 years
        building[year] += 20_000_000
    for year in (2030, 2031):  # school refurbishment at 30: 1,000 m² × 170,000 over 2 years
        building[year] += 85_000_000
    assert table["building"].to_dict() == building
    assert table["bridge"].to_dict() == {year: 42_500_000 if year == 2030 else 0 for year in range(2026, 2038)}
    assert table["sewer"].to_dict() == {year: 620_000 if year <= 2035 else 0 for year in range(2026, 2038)}
    assert table["road"].sum() == 0
    assert outside == {"tunnel": 1}
    assert table["total"].sum() == 200_000_000 + 170_000_000 + 42_500_000 + 6_200_000


def test_life_extension_by_hand():
    table, _ = project("extended")
    # school, 26: its age-20 repair (0.30 × 330,000 × 1,000 m²) in the backlog; next event at 40 is FY2040
    # office, 66: its age-60 repair (0.30 × 400,000 × 500 m²) in the backlog; rebuild at 80 is FY2040
    assert table["building"].to_dict() == {
        year: (9_900_000 + 6_000_000 if year <= 2035 else 0) for year in range(2026, 2038)
    }
    assert table["bridge"].sum() == 0 and table["sewer"].sum() == 0  # 100- and 75-year cycles


def test_unknown_year_costs_an_even_share_every_year():
    bridge = pd.DataFrame(
        [{"category": "bridge", "status": "in_service", "year_built": None, "deck_area_m2": 60.0, "structure": "S"}]
    )
    table, _ = project_renewal(bridge, load_unit_costs(), scenario="simple", start=2026, years=3)
    assert table["bridge"].tolist() == [500_000] * 3  # 60 m² × 500,000 (steel) ÷ 60 years


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[road]\nyen_per_m2 = -4700\n", "'road.yen_per_m2' must be a positive number"),
        ("[building_cost]\ncivic = [25]\n", "'building_cost.civic' must be [refurbish, rebuild]"),
        ('[scenario.simple]\nbuilding = [[60, "rebuild", 3], [30, "refurbish", 2]]\n', "ages must increase"),
        ("colour = 1\n", "unknown key 'colour'"),
    ],
)
def test_bad_unit_costs_are_refused_naming_the_key(tmp_path, text, named):
    path = tmp_path / "costs.toml"
    path.write_text(text)
    with pytest.raises(ValidationError, match=re.escape(named)):
        load_unit_costs(path)


def test_work_due_exactly_this_year_is_not_backlog():
    # A school exactly 30 in FY2026: its refurbishment (1,000 m² × 170,000) falls in 2026–2027, not over 10 years.
    school = pd.DataFrame([{"category": "school", "status": "in_service", "year_built": 1996, "floor_area_m2": 1000.0}])
    table, _ = project_renewal(school, load_unit_costs(), scenario="simple", start=2026, years=3)
    assert table["building"].tolist() == [85_000_000, 85_000_000, 0]


def test_backlog_per_year_does_not_depend_on_the_horizon():
    old = pd.DataFrame([{"category": "office", "status": "in_service", "year_built": 1950, "floor_area_m2": 100.0}])
    short, _ = project_renewal(old, load_unit_costs(), scenario="simple", start=2026, years=3)
    long, _ = project_renewal(old, load_unit_costs(), scenario="simple", start=2026, years=40)
    assert short["building"].tolist() == long["building"].tolist()[:3] == [4_000_000] * 3


def test_missing_sizes_cost_nothing_rather_than_garbage():
    bridge = pd.DataFrame(
        [{"category": "bridge", "status": "in_service", "year_built": 1950, "deck_area_m2": None, "structure": "RC"}]
    )
    table, _ = project_renewal(bridge, load_unit_costs(), scenario="simple", start=2026, years=2)
    assert table["bridge"].tolist() == [0, 0]


def test_cycles_restart_after_the_rebuild_over_a_century():
    # A school of 1,000 m² built 2000 (17 / 33 万円/m²) and an office of 100 m² built 1960 (25 / 40 万円/m²), past
    # its rebuild: its cycle runs from FY2031, half-way through the 10 backlog years. Worked out by hand.
    two = pd.DataFrame(
        [
            {"category": "school", "status": "in_service", "year_built": 2000, "floor_area_m2": 1000.0},
            {"category": "office", "status": "in_service", "year_built": 1960, "floor_area_m2": 100.0},
        ]
    )
    table, _ = project_renewal(two, load_unit_costs(), scenario="simple", start=2026, years=100)
    expected = dict.fromkeys(range(2026, 2126), 0)
    for year in range(2026, 2036):  # the office's rebuild backlog: 40,000,000 ÷ 10
        expected[year] += 4_000_000
    for year in (2030, 2031, 2090, 2091):  # the school's refurbishments at 30 and 90: 170,000,000 over 2 years
        expected[year] += 85_000_000
    for year in (2060, 2061, 2062, 2120, 2121, 2122):  # its rebuilds at 60 and 120: 330,000,000 over 3
        expected[year] += 110_000_000
    for year in (2061, 2062, 2121, 2122):  # the office's refurbishments, 30 years after 2031 and 2091: 25,000,000
        expected[year] += 12_500_000
    for year, amount in zip((2091, 2092, 2093), (13_333_334, 13_333_333, 13_333_333), strict=True):
        expected[year] += amount  # its rebuild at 60 after 2031: 40,000,000 over 3, the first year the remainder
    assert table.set_index("fiscal_year")["building"].to_dict() == expected
