"""The schedule's grouping and order on hand-made rows (fm.domain.schedule: no database)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from fm.domain.schedule import (
    OVERDUE,
    build_schedule,
    default_end,
    groups,
    schedule_items,
)

TODAY = date(2026, 1, 10)


def _work(**rows) -> pd.DataFrame:
    base = {
        "id": 1,
        "code": "W-1",
        "version": 1,
        "asset_id": 1,
        "asset_code": "A-1",
        "asset_name": "橋",
        "category": "bridge",
        "district_id": 1,
        "kind": "preventive",
        "cause": None,
        "description": "塗装",
        "planned_on": date(2026, 2, 1),
        "planned_cost": 1000,
        "status": "planned",
    }
    return pd.DataFrame([{**base, **row} for row in rows.values()], columns=list(base))


def _due(*rows) -> pd.DataFrame:
    base = {
        "asset_id": 1,
        "asset_code": "A-1",
        "asset_name": "橋",
        "category": "bridge",
        "district_id": 1,
        "last_inspected_on": date(2021, 1, 1),
        "due_on": date(2026, 1, 1),
    }
    return pd.DataFrame([{**base, **row} for row in rows], columns=list(base))


# Dates chosen at the boundaries: 2025-12-29 (Monday) opens ISO week 2026-W01 but is in December;
# 2026-01-04 (Sunday) closes 2026-W01; 2026-01-05 opens W02; 2026-03-30 (Monday) opens W14, which
# runs into April, so into fiscal year 2026, while the week counts in FY2025 (its first day).
ITEMS = schedule_items(
    _work(
        a={"id": 1, "code": "W-1", "asset_code": "A-1", "planned_on": date(2026, 1, 4)},
        b={"id": 2, "code": "W-2", "asset_code": "A-2", "planned_on": date(2026, 1, 5), "status": "in_progress"},
        c={"id": 3, "code": "W-3", "asset_code": "A-3", "planned_on": date(2025, 11, 3)},
        d={"id": 4, "code": "W-4", "asset_code": "A-4", "planned_on": date(2026, 4, 2), "district_id": 2},
        e={"id": 5, "code": "W-5", "asset_code": "A-5", "planned_on": date(2026, 1, 20), "status": "completed"},
        f={"id": 6, "code": "W-6", "asset_code": "A-6", "planned_on": None},
        g={"id": 7, "code": "W-7", "asset_code": "A-7", "planned_on": date(2026, 3, 31), "category": "park"},
    ),
    _due(
        {"asset_id": 11, "asset_code": "B-1", "due_on": date(2025, 12, 29)},
        {"asset_id": 12, "asset_code": "B-2", "due_on": date(2026, 3, 30)},
        {"asset_id": 13, "asset_code": "B-3", "due_on": None, "last_inspected_on": None},
        {"asset_id": 14, "asset_code": "B-4", "due_on": date(2026, 1, 10)},
    ),
)


def test_items_keep_open_dated_work_and_dated_inspections():
    assert sorted(ITEMS["asset_code"]) == ["A-1", "A-2", "A-3", "A-4", "A-7", "B-1", "B-2", "B-4"]
    assert set(ITEMS.loc[ITEMS["kind"] == "inspection", "status"]) == {"due"}
    assert ITEMS["planned_cost"].dtype == "Int64"


def test_overdue_first_oldest_first_then_by_month():
    rows = build_schedule(ITEMS, today=TODAY, by="month", end=date(2026, 4, 30))
    assert rows["asset_code"].tolist() == ["A-3", "B-1", "A-1", "A-2", "B-4", "B-2", "A-7", "A-4"]
    assert rows["group"].tolist() == [OVERDUE] * 4 + ["2026-01", "2026-03", "2026-03", "2026-04"]
    assert rows["days_overdue"].tolist() == [68, 12, 6, 5, 0, 0, 0, 0]  # due today is not overdue


def test_iso_weeks_cross_months_and_years():
    rows = build_schedule(ITEMS, today=date(2025, 12, 1), by="week", end=date(2026, 4, 30))
    by_code = rows.set_index("asset_code")
    assert by_code.loc["B-1", "group"] == by_code.loc["A-1", "group"] == "2026-W01"  # 29 Dec and 4 Jan
    assert by_code.loc["B-1", "group_start"] == date(2025, 12, 29)
    assert by_code.loc["A-1", "group_end"] == date(2026, 1, 4)
    assert by_code.loc["A-2", "group"] == "2026-W02"
    month = build_schedule(ITEMS, today=date(2025, 12, 1), by="month", end=date(2026, 4, 30)).set_index("asset_code")
    assert month.loc["B-1", "group"] == "2025-12" and month.loc["A-1", "group"] == "2026-01"


def test_fiscal_year_of_each_group():
    weeks = build_schedule(ITEMS, today=TODAY, by="week", end=date(2026, 4, 30)).set_index("asset_code")
    # the week of 30 March – 5 April holds 30 and 31 March and 2 April: one group, FY of its Monday
    assert weeks.loc[["B-2", "A-7", "A-4"], "group"].tolist() == ["2026-W14"] * 3
    assert weeks.loc["A-4", "fiscal_year"] == 2025
    months = build_schedule(ITEMS, today=TODAY, by="month", end=date(2026, 4, 30)).set_index("asset_code")
    assert months.loc["A-7", "fiscal_year"] == 2025 and months.loc["A-4", "fiscal_year"] == 2026
    assert pd.isna(months.loc["A-3", "fiscal_year"])
    listed = groups(build_schedule(ITEMS, today=TODAY, by="month", end=date(2026, 4, 30)))
    assert [(g["key"], g["fiscal_year"], g["count"]) for g in listed] == [
        (OVERDUE, None, 4),
        ("2026-01", 2025, 1),
        ("2026-03", 2025, 2),
        ("2026-04", 2026, 1),
    ]
    assert listed[1]["start"] == date(2026, 1, 1) and listed[1]["end"] == date(2026, 1, 31)


def test_default_window_is_overdue_and_three_months():
    assert default_end(TODAY) == date(2026, 4, 30)
    assert default_end(date(2025, 11, 30)) == date(2026, 2, 28)
    rows = build_schedule(ITEMS, today=date(2025, 12, 31))
    assert rows["asset_code"].tolist() == ["A-3", "B-1", "A-1", "A-2", "B-4", "B-2", "A-7"]  # A-4 is in April


def test_window_and_filters():
    start = build_schedule(ITEMS, today=TODAY, start=date(2026, 1, 1), end=date(2026, 3, 30))
    assert start["asset_code"].tolist() == ["A-1", "A-2", "B-4", "B-2"]
    only = dict(today=TODAY, end=date(2026, 4, 30))
    assert build_schedule(ITEMS, kinds=["inspection"], **only)["asset_code"].tolist() == ["B-1", "B-4", "B-2"]
    assert build_schedule(ITEMS, categories=["park"], **only)["asset_code"].tolist() == ["A-7"]
    assert build_schedule(ITEMS, district_ids=[2], **only)["asset_code"].tolist() == ["A-4"]
    assert build_schedule(ITEMS, district_ids=[], **only).empty


def test_empty_and_bad_grouping():
    empty = schedule_items(_work(), _due())
    assert build_schedule(empty, today=TODAY).empty and groups(build_schedule(empty, today=TODAY)) == []
    with pytest.raises(ValueError, match="month, week"):
        build_schedule(ITEMS, today=TODAY, by="year")


@pytest.mark.parametrize("by", ["month", "week"])
def test_periods_equal_the_calendars_for_every_day(by):
    """The periods are found with numpy for each distinct month or week: every day from 2019 to 2032 (ISO years of
    53 weeks, weeks across new year, leap days) falls in the group a per-date calendar gives it."""
    days = pd.date_range("2019-12-01", "2033-01-31", freq="D").date
    items = pd.DataFrame(
        {"kind": "inspection", "category": "bridge", "district_id": 1, "asset_code": "A-1", "due_on": days}
    )
    rows = build_schedule(items, today=date(2019, 12, 1), by=by, end=date(2033, 1, 31))
    assert rows["due_on"].tolist() == list(days)  # one per day, in order
    if by == "month":
        starts = [d.replace(day=1) for d in days]
        keys = [d.strftime("%Y-%m") for d in days]
        ends = [(pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date() for d in days]
    else:
        starts = [d - pd.Timedelta(days=d.weekday()) for d in days]
        keys = ["{}-W{:02d}".format(*d.isocalendar()[:2]) for d in days]
        ends = [s + pd.Timedelta(days=6) for s in starts]
    assert rows["group"].tolist() == keys
    assert rows["group_start"].tolist() == starts and rows["group_end"].tolist() == ends
    assert rows["fiscal_year"].tolist() == [s.year - (s.month < 4) for s in starts]
