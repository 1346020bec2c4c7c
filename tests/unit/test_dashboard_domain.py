"""The dashboard's domain functions on hand-made records: breakdowns, drill-down pages, the aging what-if."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from fm.domain.kpi.breakdown import attributed, breakdown
from fm.domain.kpi.drilldown import PageOutOfRange, filtered, sorted_page
from fm.domain.kpi.measures import KpiData, measure
from fm.domain.kpi.whatif import aging_whatif

D = pd.Timestamp
CATEGORIES = pd.DataFrame(
    {
        "code": ["school", "bridge"],
        "name": ["学校", "橋梁"],
        "name_en": ["School", "Bridge"],
        "useful_life_years": [47, 60],
    }
)
WORK_COLUMNS = [
    "id",
    "code",
    "asset_id",
    "kind",
    "cause",
    "status",
    "planned_on",
    "planned_cost",
    "completed_on",
    "actual_cost",
]


def data(assets: list[tuple], work: list[tuple] = ()) -> KpiData:
    frame = pd.DataFrame(
        assets,
        columns=[
            "id",
            "code",
            "name",
            "category",
            "district_id",
            "acquisition_date",
            "acquisition_cost",
            "useful_life_years",
            "disposed_on",
        ],
    )
    return KpiData(
        assets=frame,
        categories=CATEGORIES,
        plans=None,
        plan_assets=None,
        budget_items=None,
        parcels=None,
        parcel_uses=None,
        work_orders=pd.DataFrame(list(work), columns=WORK_COLUMNS),
    )


class TestAgingWhatIf:
    """Two assets, base year FY2025 (ends 2026-03-31), fiscal-year convention, worked out by hand.

    A: ¥1,000,000 bought in FY2016, life 10: fully depreciated from FY2026 (memo value 1 yen:
       999,999). Renewal planned in FY2027 at ¥1,500,000 (bought 2027-07-01): 150,000 a year
       from FY2028.
    B: ¥3,000,000 bought in FY2006, life 30: 100,000 a year, 2,000,000 at the end of FY2026.
       Disposal planned on 2029-09-30 (FY2029): gone from the end of FY2029.
    """

    ASSETS = [
        (1, "A", "体育館", "school", 1, D("2016-06-01"), 1_000_000, 10, None),
        (2, "B", "橋", "bridge", 2, D("2006-05-01"), 3_000_000, 30, D("2029-09-30")),
    ]
    WORK = [
        (1, "W-R", 1, "renewal", "planned", "planned", D("2027-07-01"), 1_500_000, None, None),
        (2, "W-X", 2, "renewal", "planned", "cancelled", D("2027-07-01"), 9_000_000, None, None),  # not open
        (3, "W-Y", 2, "renewal", "planned", "planned", D("2040-07-01"), 9_000_000, None, None),  # past horizon
        (4, "W-Z", 2, "renewal", "planned", "planned", None, 9_000_000, None, None),
    ]  # no date

    def test_two_curves(self):
        result = aging_whatif(data(self.ASSETS, self.WORK), fiscal_year=2025, years=10)
        years = result.years.set_index("fiscal_year")
        b = {year: 100_000 * (year - 2006) for year in range(2026, 2036)}
        # Doing nothing: both assets kept; A stays at 999,999.
        for year in range(2026, 2036):
            assert years.at[year, "nothing_numerator"] == 999_999 + b[year]
            assert years.at[year, "nothing_denominator"] == 4_000_000
        # Planned: FY2026 as doing nothing; FY2027 A renewed (new, not yet depreciated); FY2029 B gone.
        expected = {
            2026: (2_999_999, 4_000_000),
            2027: (0 + 2_100_000, 4_500_000),
            2028: (150_000 + 2_200_000, 4_500_000),
            2029: (300_000, 1_500_000),
            2030: (450_000, 1_500_000),
            2035: (1_200_000, 1_500_000),
        }
        for year, (numerator, denominator) in expected.items():
            assert (years.at[year, "planned_numerator"], years.at[year, "planned_denominator"]) == (
                numerator,
                denominator,
            )
            assert years.at[year, "planned_value"] == pytest.approx(100 * numerator / denominator)
        shown = {row["fiscal_year"]: (row["planned_value"], row["nothing_value"]) for row in result.as_dict()["years"]}
        assert shown[2027] == (46.7, 77.5) and shown[2029] == (20.0, 82.5) and shown[2035] == (80.0, 97.5)
        assert result.renewals[["fiscal_year", "asset_code", "planned_cost"]].values.tolist() == [
            [2027, "A", 1_500_000]
        ]
        assert result.disposals[["fiscal_year", "code"]].values.tolist() == [[2029, "B"]]

    def test_nothing_planned_gives_one_curve(self):
        result = aging_whatif(data(self.ASSETS[:1]), fiscal_year=2025, years=2)
        assert (result.years["planned_value"] == result.years["nothing_value"]).all()

    def test_horizon_is_checked(self):
        with pytest.raises(ValueError, match="years must be from 1 to 50"):
            aging_whatif(data(self.ASSETS), fiscal_year=2025, years=0)


class TestBreakdownAndList:
    ASSETS = [
        (1, "A", "a", "school", 1, D("2015-06-01"), 1_000_000, 10, None),
        (2, "B", "b", "school", 2, D("2020-06-01"), 2_000_000, 20, None),
        (3, "C", "c", "bridge", 1, D("2015-06-01"), 4_000_000, 40, None),
        (4, "D", "d", "bridge", None, D("2024-06-01"), 500_000, 10, None),
    ]

    def frame(self):
        records = data(self.ASSETS)
        return attributed(measure("aging_ratio", records, fiscal_year=2024), records)

    def test_groups_add_up_to_the_indicator(self):
        # FY2024: A 9/10 → 900,000; B 4/20 → 400,000; C 9/40 → 900,000; D bought in FY2024 → 0.
        records = data(self.ASSETS)
        result = measure("aging_ratio", records, fiscal_year=2024)
        labels = CATEGORIES.rename(columns={"code": "key"})
        rows = breakdown(self.frame(), "aging_ratio", "category", labels)
        assert [(r["key"], r["numerator"], r["denominator"], r["value"]) for r in rows] == [
            ("school", 1_300_000, 3_000_000, 43.3),
            ("bridge", 900_000, 4_500_000, 20.0),
        ]
        assert sum(r["numerator"] for r in rows) == result.numerator
        districts = pd.DataFrame({"key": [2, 1], "name": ["大船", "鎌倉"], "name_en": ["Ofuna", "Kamakura"]})
        by_district = breakdown(self.frame(), "aging_ratio", "district", districts)
        assert [(r["key"], r["records"]) for r in by_district] == [("2", 1), ("1", 2), (None, 1)]

    def test_unknown_dimension(self):
        with pytest.raises(ValueError, match="breaks down by category or district"):
            breakdown(self.frame(), "aging_ratio", "plan", CATEGORIES)

    def test_filter_sort_and_pages(self):
        frame = self.frame()
        page = sorted_page(frame, "aging_ratio", per_page=3)
        assert (
            page.rows["code"].tolist() == ["A", "C", "B"]
            and page.pages == 2
            and page.sort == "accumulated_depreciation"
        )
        assert sorted_page(frame, "aging_ratio", per_page=3, page=2).rows["code"].tolist() == ["D"]
        assert sorted_page(frame, "aging_ratio", sort="code").rows["code"].tolist() == ["A", "B", "C", "D"]
        schools = filtered(frame, "aging_ratio", {"category": "school"})
        assert sorted_page(schools, "aging_ratio").numerator == 1_300_000
        assert filtered(frame, "aging_ratio", {"district": "none"})["code"].tolist() == ["D"]
        with pytest.raises(PageOutOfRange, match="page 3 does not exist"):
            sorted_page(frame, "aging_ratio", per_page=3, page=3)
        with pytest.raises(ValueError, match="sort must be one of"):
            sorted_page(frame, "aging_ratio", sort="secret")
        with pytest.raises(ValueError, match="order must be asc or desc"):
            sorted_page(frame, "aging_ratio", order="up")


def _dots_inside(svg: str, height: int) -> bool:
    """Every point of a chart is drawn within its plotting area (between the top and bottom margins)."""
    from fm.web.charts import BOTTOM, TOP

    ys = [float(y) for y in re.findall(r'<circle [^>]*cy="([-\d.]+)"', svg)]
    return bool(ys) and all(TOP - 0.05 <= y <= height - BOTTOM + 0.05 for y in ys)


def _ticks(svg: str) -> list[str]:
    return [t for t in re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', svg) if t.endswith("%")]


class TestPercentCharts:
    """A share over 100 % (more executed than planned) stays inside its chart; 100 % stays the top otherwise."""

    @staticmethod
    def trend(*values: float) -> dict:
        return {
            "series": [{"fiscal_year": 2021 + i, "value": v} for i, v in enumerate(values)],
            "target": None,
            "published": None,
            "name": "総執行率",
            "unit": "%",
            "decimals": 1,
        }

    def test_an_execution_rate_of_130_percent_is_drawn_inside(self):
        from fm.web.figures import trend_chart

        svg = trend_chart(self.trend(80.0, 130.0, 95.0), height=170)
        assert _dots_inside(svg, 170) and _ticks(svg)[-1] == "200 %"

    def test_a_share_up_to_100_percent_keeps_100_as_top(self):
        from fm.web.figures import trend_chart

        svg = trend_chart(self.trend(40.0, 100.0), height=170)
        assert _dots_inside(svg, 170) and _ticks(svg) == ["0 %", "25 %", "50 %", "75 %", "100 %"]

    def test_whatif_over_100_percent_is_drawn_inside(self):
        from fm.web.figures import whatif_chart

        rows = [
            {"fiscal_year": 2026 + i, "planned_value": 90.0 + i, "nothing_value": 100.0 + 10 * i} for i in range(4)
        ]  # doing nothing reaches 130 %
        svg = whatif_chart({"years": rows}, height=260)
        assert _dots_inside(svg, 260) and _ticks(svg)[-1] == "200 %"
