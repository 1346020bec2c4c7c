"""Each indicator on small hand-made records whose answers are worked out here, by hand."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from fm.domain.kpi.measures import KpiData, measure
from fm.domain.kpi.summary import _on_track

D = pd.Timestamp


def data(**frames) -> KpiData:
    empty = pd.DataFrame()
    fields = [name for name, spec in KpiData.__dataclass_fields__.items() if spec.init]
    return KpiData(**{name: frames.get(name, empty) for name in fields})


CATEGORIES = pd.DataFrame(
    {
        "code": ["school", "bridge"],
        "name": ["学校", "橋梁"],
        "name_en": ["School", "Bridge"],
        "useful_life_years": [47, 10],
    }
)


def assets(rows):
    columns = [
        "id",
        "code",
        "name",
        "category",
        "acquisition_date",
        "acquisition_cost",
        "useful_life_years",
        "disposed_on",
        "needs_individual_plan",
    ]
    return pd.DataFrame(rows, columns=columns)


class TestAgingRatio:
    # FY2024 ends on 2025-03-31. Whole fiscal years of depreciation, none in the year of acquisition.
    ROWS = [
        (1, "A", "a", "school", D("2015-06-01"), 1_000_000, 10, None, False),  # FY2015: 9 years → 900,000
        (2, "B", "b", "school", D("1990-04-01"), 2_000_000, 20, None, False),  # past its life → 1,999,999
        (3, "C", "c", "school", D("2024-10-01"), 500_000, 10, None, False),  # bought mid-FY2024 → 0
        (4, "D", "d", "school", D("2010-04-01"), 3_000_000, 50, D("2024-12-01"), False),  # disposed mid-year: out
        (5, "E", "e", "school", D("2025-04-01"), 800_000, 10, None, False),  # 1 April: next year, out
        (6, "F", "f", "school", D("2025-03-31"), 600_000, 10, None, False),  # 31 March: in FY2024 → 0
        (7, "G", "g", "bridge", D("2020-05-01"), 1_000_000, None, D("2025-04-01"), False),  # default life 10,
        # disposed after the year's end: held; FY2020 → 4 years → 400,000
        (8, "H", "h", "school", None, 9_000_000, 10, None, False),  # no acquisition date: out
    ]

    def test_ratio_and_counted_records(self):
        result = measure("aging_ratio", data(assets=assets(self.ROWS), categories=CATEGORIES), fiscal_year=2024)
        assert result.numerator == 900_000 + 1_999_999 + 400_000
        assert result.denominator == 1_000_000 + 2_000_000 + 500_000 + 600_000 + 1_000_000
        assert result.value == pytest.approx(100 * 3_299_999 / 5_100_000)
        assert result.rounded() == 64.7
        assert sorted(result.records["code"]) == ["A", "B", "C", "F", "G"]
        assert result.records.set_index("code").at["B", "book_value"] == 1  # memo value
        by_category = {row["category"]: row["value"] for row in result.breakdown}
        assert by_category == {"school": round(100 * 2_899_999 / 4_100_000, 1), "bridge": 40.0}

    def test_daily_convention(self):
        rows = [(1, "A", "a", "school", D("2024-04-01"), 3_652_500, 10, None, False)]
        result = measure(
            "aging_ratio", data(assets=assets(rows), categories=CATEGORIES), fiscal_year=2024, convention="daily"
        )
        assert result.numerator == 364_000  # 364 days of 3,652.5

    def test_nothing_held_is_undefined(self):
        result = measure("aging_ratio", data(assets=assets([]), categories=CATEGORIES), fiscal_year=2024)
        assert result.value is None and "undefined" in result.note


class TestPlanCoverage:
    ASSETS = assets(
        [
            (1, "a", "a", "school", None, None, None, None, True),
            (2, "b", "b", "school", None, None, None, None, True),
            (3, "c", "c", "school", None, None, None, D("2025-10-01"), True),  # disposed in FY2025: out
            (4, "d", "d", "school", D("2026-04-01"), None, None, None, True),  # acquired in FY2026
            (5, "e", "e", "school", None, None, None, None, False),  # needs no plan
        ]
    )
    PLANS = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "code": ["P1", "P2", "P3"],
            "adopted_on": [D("2026-03-31"), D("2026-04-01"), D("2015-03-01")],
            "period_start_fy": [2026, 2026, 2015],
            "period_end_fy": [2035, 2035, 2024],  # P3 has expired
        }
    )
    LINKS = pd.DataFrame({"plan_id": [1, 2, 3, 2], "asset_id": [1, 2, 2, 4]})

    def records(self, year):
        return measure(
            "plan_coverage", data(assets=self.ASSETS, plans=self.PLANS, plan_assets=self.LINKS), fiscal_year=year
        )

    def test_fiscal_year_2025(self):
        result = self.records(2025)  # a covered by P1 (adopted on the last day); b's plans: not yet, expired
        assert (result.numerator, result.denominator, result.value) == (1, 2, 50.0)
        assert dict(zip(result.records["code"], result.records["covered"], strict=True)) == {"a": True, "b": False}

    def test_fiscal_year_2026(self):
        result = self.records(2026)  # P2 now counts: a, b and d (acquired on 1 April 2026) covered
        assert (result.numerator, result.denominator) == (3, 3)

    def test_nothing_needed_is_undefined(self):
        result = measure(
            "plan_coverage",
            data(assets=self.ASSETS.assign(needs_individual_plan=False), plans=self.PLANS, plan_assets=self.LINKS),
            fiscal_year=2025,
        )
        assert result.value is None and "undefined" in result.note


class TestUnderusedLand:
    @staticmethod
    def parcels():
        # Squares drawn in EPSG:6677 (metres), stored in EPSG:4326 as fm stores them.
        squares = {"X": 100, "Y": 0, "Z": 30, "W": 20, "V": 10}
        geoms = [
            box(0, 0, 100, 100),
            box(1000, 0, 1050, 40),
            box(2000, 0, 2030, 30),
            box(3000, 0, 3020, 20),
            box(4000, 0, 4010, 10),
        ]
        frame = gpd.GeoDataFrame(
            {
                "id": [1, 2, 3, 4, 5],
                "code": list(squares),
                "name": list(squares),
                "owner_department": "管財課",
                "acquired_on": [D("2000-01-01")] * 5,
                "disposed_on": [None, None, None, D("2025-06-01"), None],
            },
            geometry=geoms,
            crs="EPSG:6677",
        ).rename_geometry("geom")
        return frame.to_crs("EPSG:4326")

    USES = pd.DataFrame(
        [
            (1, D("2010-04-01"), "in_use", "公共施設用地"),
            (1, D("2025-10-01"), "unused", "旧施設跡地"),  # changed in-year
            (2, D("2020-04-01"), "underused", "暫定駐車場"),  # straddles a district boundary: counted once
            (3, D("2018-04-01"), "unused", "未利用地"),
            (3, D("2026-03-31"), "in_use", "公園用地"),  # in use at year end
            (4, D("2019-04-01"), "unused", "未利用地"),  # disposed of in FY2025
            (5, D("2026-04-01"), "underused", "資材置場"),  # from FY2026
        ],
        columns=["parcel_id", "valid_from", "utilisation", "current_use"],
    )

    def test_fiscal_year_2025(self):
        result = measure("underused_land", data(parcels=self.parcels(), parcel_uses=self.USES), fiscal_year=2025)
        assert result.value == pytest.approx(10_000 + 2_000, abs=1e-3)
        assert sorted(result.records["code"]) == ["X", "Y"]
        assert result.records.set_index("code").at["X", "since"] == date(2025, 10, 1)

    def test_fiscal_year_2026_and_2024(self):
        parcels = self.parcels()
        assert measure(
            "underused_land", data(parcels=parcels, parcel_uses=self.USES), fiscal_year=2026
        ).value == pytest.approx(10_000 + 2_000 + 100, abs=1e-3)
        assert measure(
            "underused_land", data(parcels=parcels, parcel_uses=self.USES), fiscal_year=2024
        ).value == pytest.approx(2_000 + 900 + 400, abs=1e-3)


class TestExecutionRate:
    PLANS = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "code": ["T1", "T2", "N"],
            "title": ["橋", "道", "建物"],
            "under_infrastructure_plan": [True, True, False],
        }
    )
    ITEMS = pd.DataFrame(
        {
            "plan_id": [1, 2, 3, 1],
            "fiscal_year": [2024, 2024, 2024, 2023],
            "planned_amount": [1_000_000, 500_000, 9_999_999, 0],
            "executed_amount": [300_000, 420_000, 0, 0],
        }
    )

    def test_fiscal_year_2024(self):
        result = measure("execution_rate", data(plans=self.PLANS, budget_items=self.ITEMS), fiscal_year=2024)
        assert (result.numerator, result.denominator, result.value) == (720_000, 1_500_000, 48.0)
        assert sorted(result.records["plan_code"]) == ["T1", "T2"]

    def test_zero_planned_is_undefined_not_an_error(self):
        result = measure("execution_rate", data(plans=self.PLANS, budget_items=self.ITEMS), fiscal_year=2023)
        assert result.value is None and result.rounded() is None
        assert "nothing was planned" in result.note


class TestRepairs:
    WORK = pd.DataFrame(
        [
            (1, "p1", 1, "preventive", "planned", D("2024-04-01"), 600_000, "completed"),
            (2, "r1", 1, "reactive", "sudden_failure", D("2025-03-31"), 300_000, "completed"),
            (3, "r2", 2, "reactive", "complaint", D("2024-05-01"), 100_000, "completed"),
            (4, "x", 2, "renewal", "planned", D("2024-06-01"), 5_000_000, "completed"),  # not a repair
            (5, "p2", 3, "preventive", "planned", D("2025-04-01"), 999, "completed"),  # FY2025
            (6, "c1", 3, "preventive", "planned", D("2024-07-01"), 777, "cancelled"),
            (7, "p3", 3, "preventive", "planned", None, None, "planned"),
        ],
        columns=["id", "code", "asset_id", "kind", "cause", "completed_on", "actual_cost", "status"],
    )

    def test_preventive_share(self):
        result = measure("preventive_share", data(work_orders=self.WORK), fiscal_year=2024)
        assert (result.numerator, result.denominator, result.value) == (600_000, 1_000_000, 60.0)

    def test_reactive_repairs_after_sudden_failure(self):
        result = measure("reactive_repairs", data(work_orders=self.WORK), fiscal_year=2024)
        assert result.value == 1 and list(result.records["code"]) == ["r1"]

    def test_no_repairs_is_undefined(self):
        result = measure("preventive_share", data(work_orders=self.WORK), fiscal_year=2020)
        assert result.value is None and "undefined" in result.note


def test_unknown_indicator_is_named():
    with pytest.raises(ValueError, match="unknown indicator 'happiness'"):
        measure("happiness", data(), fiscal_year=2024)


@pytest.mark.parametrize(
    ("value", "change", "target", "direction", "expected"),
    [
        (52.3, 8.2, {"value": 100.0, "fiscal_year": 2030}, "up", False),  # needs (100-52.3)/5 = 9.54 a year
        (52.3, 10.0, {"value": 100.0, "fiscal_year": 2030}, "up", True),
        (100.0, 0.0, {"value": 100.0, "fiscal_year": 2030}, "up", True),  # reached
        (90.0, 5.0, {"value": 100.0, "fiscal_year": 2025}, "up", False),  # target year passed
        (9039.08, -23.5, None, "down", True),
        (9039.08, 23.5, None, "down", False),
        (9039.08, None, None, "down", None),
        (None, None, None, "up", None),
    ],
)
def test_on_track(value, change, target, direction, expected):
    assert _on_track(value, change, target, direction, 2025) is expected


def test_a_passed_target_is_the_latest_one():
    from fm.domain.kpi.summary import _target

    targets = pd.DataFrame(
        {
            "indicator": ["plan_coverage"] * 2,
            "target_year": [2025, 2030],
            "target_value": [80.0, 95.0],
            "source": [None, None],
        }
    )
    assert _target(targets, "plan_coverage", 2027)["value"] == 95.0  # the nearest ahead
    assert _target(targets, "plan_coverage", 2031)["value"] == 95.0  # all passed: the latest
    assert _on_track(85.0, 1.0, _target(targets, "plan_coverage", 2031), "up", 2031) is False


def test_rounding_and_shares_have_one_definition():
    """Half-up rounding, the share in % and the JSON form of a total are each written once and shared."""
    from fm.app import dashboard
    from fm.domain.kpi import breakdown, measures, whatif

    assert measures.half_up(2.25, 1) == 2.3 and measures.ratio(1, 8) == 12.5 and measures.ratio(1, 0) is None
    assert whatif.half_up is measures.half_up
    assert breakdown.published is dashboard.published is measures.published  # ratios of whole numbers: exact
    assert breakdown.ratio is measures.ratio and dashboard.plain_number is breakdown.plain_number
    assert not any(
        hasattr(module, name) for module in (breakdown, dashboard, measures) for name in ("_number", "_ratio")
    )
    assert breakdown.value_of("execution_rate", 13, 10) == 130.0 and breakdown.value_of("plan_coverage", 0, 0) is None
