"""The vectorised renewal projection gives exactly the tables of the per-asset loop it replaced (issue 19), on
random demo-like registers, with the packaged unit costs and with a city's own, and past int64."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from renewal_reference import project_renewal_loop, random_register

from fm.domain.renewal.costs import SCENARIOS, UnitCost, load_unit_costs, with_unit_costs
from fm.domain.renewal.projection import project_renewal


def city_costs() -> dict:
    """A city's own unit costs (a building category of its own, odd yen), sewer pipes costed by diameter."""
    table = {
        "school": UnitCost(171_111, 333_333),
        "gym": UnitCost(123_457, 234_567),
        "bridge": UnitCost(None, 411_111, 499_999),
        "road": UnitCost(None, 4_701),
    }
    costs = with_unit_costs(load_unit_costs(), table)
    costs["sewer"]["by_diameter"] = True
    return costs


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize(("costs", "seed"), [(load_unit_costs(), 1), (city_costs(), 2)], ids=["packaged", "city"])
@pytest.mark.parametrize(("start", "years"), [(2026, 40), (2026, 3), (1990, 70)])
def test_the_same_tables_as_the_per_asset_loop(scenario, costs, seed, start, years):
    register = random_register(np.random.default_rng(seed), assets=1_500)
    register.loc[register.index[:40], "category"] = "gym"
    expected, expected_outside = project_renewal_loop(register, costs, scenario=scenario, start=start, years=years)
    table, outside = project_renewal(register, costs, scenario=scenario, start=start, years=years)
    pd.testing.assert_frame_equal(table, expected)
    assert (table.dtypes == "int64").all()
    assert outside == expected_outside


def test_empty_register_and_no_buildings():
    costs = load_unit_costs()
    empty = random_register(np.random.default_rng(3), assets=0)
    table, outside = project_renewal(empty, costs, scenario="simple", start=2026, years=5)
    assert table["total"].tolist() == [0] * 5 and outside == {}
    roads = pd.DataFrame([{"category": "road", "status": "in_service", "length_m": 150.0, "width_m": 10.0}])
    table, _ = project_renewal(roads, costs, scenario="simple", start=2026, years=2)
    pd.testing.assert_frame_equal(table, project_renewal_loop(roads, costs, scenario="simple", start=2026, years=2)[0])


def test_amounts_past_int64_are_added_up_exactly_in_python_integers():
    # A hundred buildings so large that one year's sum passes 2⁶³ yen: int64 would wrap; Python integers are exact.
    # m²: a rebuild of about 2⁶⁰ yen at 400,000 yen/m² (office). The area is the decimal its float prints as,
    # 2882303761517.1177 m², so the rebuild is 2882303761517.1177 × 400,000 = 1,152,921,504,606,847,080 yen
    # exactly (the float product rounded to 2⁶⁰ = …976, 104 yen less than the area written costs).
    huge = 2.0**60 / 400_000
    rebuild = 1_152_921_504_606_847_080
    offices = pd.DataFrame(
        [{"category": "office", "status": "in_service", "year_built": 1960, "floor_area_m2": huge}] * 100
    )
    table, _ = project_renewal(offices, load_unit_costs(), scenario="simple", start=2026, years=2)
    share = rebuild // 10  # the rebuild backlog over 10 years, in whole yen (a multiple of 10 here)
    assert rebuild % 10 == 0 and table["building"].tolist() == [100 * share] * 2
    assert table["total"].tolist()[0] == 100 * share > 2**63


def test_nullable_years_object_areas_and_missing_categories_as_before():
    # As a database read may give them: Int64 years with <NA>, areas with None, assets with no category.
    register = random_register(np.random.default_rng(7), assets=800)
    register["year_built"] = register["year_built"].astype("Int64")
    register["floor_area_m2"] = register["floor_area_m2"].astype(object).where(register["floor_area_m2"].notna(), None)
    register.loc[register.index[:30], "category"] = None
    for scenario in SCENARIOS:
        expected, expected_outside = project_renewal_loop(register, load_unit_costs(), scenario=scenario, start=2026)
        table, outside = project_renewal(register, load_unit_costs(), scenario=scenario, start=2026)
        pd.testing.assert_frame_equal(table, expected)
        assert outside == expected_outside
