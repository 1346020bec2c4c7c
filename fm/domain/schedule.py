"""The engineers' schedule: unmet statutory duties, open work orders and inspections due, overdue first, then by
month or ISO week.

Plain pandas, no database. A schedule row is a statutory duty whose measure has not started (after a
soundness Ⅲ/Ⅳ judgement, due on its deadline: see :func:`fm.domain.duties.find_duties`), a work
order (planned or in progress, due on its ``planned_on``) or an asset's next inspection (due on
its latest inspection's ``next_due_on``, or that inspection's date plus the category's cycle:
see :func:`fm.domain.risk.inspections.next_inspections`). Rows due before ``today`` are *overdue*:
they form one group at the top, whatever the grouping. In every group the duties come first (they
are legal obligations, not one priority among others), then the other rows oldest first. The other rows fall
in calendar months (``2026-01``) or ISO 8601 weeks (``2026-W01``, Monday to Sunday, the
week belonging to the year of its Thursday), each group with the fiscal year (年度, from
1 April) of its first day.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import numpy as np
import pandas as pd

from fm.domain.fiscal import fiscal_year

KINDS = ("duty", "work_order", "inspection")
"""What a schedule row is."""
GROUPINGS = ("month", "week")
OVERDUE = "overdue"
"""The key of the group of rows due before today."""
OPEN_WORK = ("planned", "in_progress")
"""Statuses of work orders that are on the schedule."""
DEFAULT_MONTHS = 3
ITEM_COLUMNS = (
    "kind",
    "record_id",
    "code",
    "version",
    "asset_id",
    "asset_code",
    "asset_name",
    "category",
    "district_id",
    "work_kind",
    "cause",
    "description",
    "last_inspected_on",
    "due_on",
    "planned_cost",
    "status",
)


def default_end(today: date, months: int = DEFAULT_MONTHS) -> date:
    """The last day of the month ``months`` after today's: the schedule's window ends there by default.

    Examples
    --------
    >>> default_end(date(2026, 11, 25)), default_end(date(2026, 1, 31), 1)
    (datetime.date(2027, 2, 28), datetime.date(2026, 2, 28))
    """
    month = today.year * 12 + today.month - 1 + months + 1  # the month after the last one shown
    return date(month // 12, month % 12 + 1, 1) - timedelta(days=1)


def schedule_items(
    work_orders: pd.DataFrame, next_due: pd.DataFrame, duties: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Unmet duties, work orders and inspections due as rows of one frame (columns :data:`ITEM_COLUMNS`).

    Parameters
    ----------
    work_orders
        ``id``, ``code``, ``version``, ``asset_id``, ``kind``, ``cause``, ``description``,
        ``planned_on``, ``planned_cost``, ``status`` and the asset's ``asset_code``,
        ``asset_name``, ``category`` and ``district_id``. Only open ones (:data:`OPEN_WORK`)
        with a planned date are kept.
    next_due
        Per asset: ``asset_id``, ``asset_code``, ``asset_name``, ``category``, ``district_id``,
        ``last_inspected_on`` and ``due_on``; assets without a due date (never inspected) are left out.
    duties
        Duties as :func:`fm.domain.duties.find_duties` gives them, with the asset's ``district_id``;
        those whose measure has not started (state ``none`` or ``planned``) are kept, due on their
        ``deadline``, with the class judged (Ⅲ, Ⅳ) as ``description``, the inspection as
        ``last_inspected_on`` and their state as ``status``.
    """
    open_work = work_orders[work_orders["status"].isin(OPEN_WORK) & work_orders["planned_on"].notna()]
    work = pd.DataFrame(
        {
            "kind": "work_order",
            "record_id": open_work["id"],
            "code": open_work["code"],
            "version": open_work["version"],
            "asset_id": open_work["asset_id"],
            "asset_code": open_work["asset_code"],
            "asset_name": open_work["asset_name"],
            "category": open_work["category"],
            "district_id": open_work["district_id"],
            "work_kind": open_work["kind"],
            "cause": open_work["cause"],
            "description": open_work["description"],
            "last_inspected_on": None,
            "due_on": open_work["planned_on"],
            "planned_cost": open_work["planned_cost"],
            "status": open_work["status"],
        },
        index=open_work.index,
    )
    due = next_due[next_due["due_on"].notna()]
    inspections = pd.DataFrame(
        {
            "kind": "inspection",
            "record_id": None,
            "code": None,
            "version": None,
            "asset_id": due["asset_id"],
            "asset_code": due["asset_code"],
            "asset_name": due["asset_name"],
            "category": due["category"],
            "district_id": due["district_id"],
            "work_kind": None,
            "cause": None,
            "description": None,
            "last_inspected_on": due["last_inspected_on"],
            "due_on": due["due_on"],
            "planned_cost": None,
            "status": "due",
        },
        index=due.index,
    )
    unmet = duties[duties["measure_started_on"].isna()] if duties is not None else pd.DataFrame()
    duty_rows = pd.DataFrame(
        {
            "kind": "duty",
            "record_id": unmet.get("inspection_id"),
            "code": None,
            "version": None,
            "asset_id": unmet.get("asset_id"),
            "asset_code": unmet.get("code"),
            "asset_name": unmet.get("name"),
            "category": unmet.get("category"),
            "district_id": unmet.get("district_id"),
            "work_kind": None,
            "cause": None,
            "description": unmet.get("soundness"),
            "last_inspected_on": unmet.get("inspected_on"),
            "due_on": unmet.get("deadline"),
            "planned_cost": None,
            "status": unmet.get("state"),
        },
        index=unmet.index,
    )
    return _stacked([frame for frame in (duty_rows, work, inspections) if len(frame)])


_DATES = ("due_on", "last_inspected_on")
_INTEGERS = ("record_id", "version", "asset_id", "district_id", "planned_cost")


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``frames`` one under the other, column by column: dates as ``datetime.date`` (None where missing), the ids,
    versions and costs as Int64, the rest as objects (no frame turned into objects whole: its dates would become
    Timestamps one by one)."""
    columns: dict[str, object] = {}
    for column in ITEM_COLUMNS:
        if column in _DATES:
            days = [pd.to_datetime(frame[column]).to_numpy(dtype="datetime64[D]") for frame in frames]
            stacked = np.concatenate(days) if days else np.empty(0, dtype="datetime64[D]")
            columns[column] = pd.Series(stacked.astype(object), dtype=object)  # dates, NaT as None
        elif column in _INTEGERS:
            parts = [_integers(frame[column]) for frame in frames]
            columns[column] = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="Int64")
        else:
            values = [frame[column].to_numpy(dtype=object) for frame in frames]
            columns[column] = pd.Series(np.concatenate(values) if values else [], dtype=object)
    return pd.DataFrame(columns, columns=list(ITEM_COLUMNS))


def _integers(values: pd.Series) -> pd.Series:
    """``values`` as Int64: a numeric column as it is, a column of None at once, other objects parsed."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("Int64").reset_index(drop=True)
    if values.isna().all():
        return pd.Series(pd.NA, index=range(len(values)), dtype="Int64")
    return pd.to_numeric(values.astype(object)).astype("Int64").reset_index(drop=True)


def build_schedule(
    items: pd.DataFrame,
    *,
    today: date,
    by: str = "month",
    start: date | None = None,
    end: date | None = None,
    kinds: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    district_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The rows of ``items`` due from ``start`` to ``end``, grouped and ordered for the schedule.

    Parameters
    ----------
    items
        Rows as :func:`schedule_items` makes them (at least ``kind``, ``category``,
        ``district_id``, ``asset_code`` and ``due_on``).
    today
        Rows due before it are overdue.
    by
        ``month`` or ``week`` (ISO 8601).
    start, end
        The window, both days included; no ``start``: every overdue row; no ``end``:
        :func:`default_end` of ``today``.
    kinds, categories, district_ids
        Keep only these (None: all).

    Returns
    -------
    DataFrame
        ``items``' columns plus ``group`` (``overdue``, ``2026-01`` or ``2026-W01``),
        ``group_start``, ``group_end`` and ``fiscal_year`` of the group (none for the
        overdue one) and ``days_overdue`` (0 when not overdue), overdue rows first, then by
        group; within a group the duties first, then by due date (oldest first), kind and asset code.

    Examples
    --------
    >>> items = pd.DataFrame({"kind": ["inspection", "work_order", "work_order", "duty"], "category": "bridge",
    ...                       "district_id": 1, "asset_code": ["B-1", "B-2", "B-3", "B-4"],
    ...                       "due_on": [date(2026, 3, 30), date(2026, 4, 2), date(2026, 3, 1), date(2026, 3, 9)]})
    >>> rows = build_schedule(items, today=date(2026, 3, 10), by="week")
    >>> rows[["asset_code", "group", "days_overdue", "fiscal_year"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['B-4', 'overdue', 1, <NA>], ['B-3', 'overdue', 9, <NA>], ['B-1', '2026-W14', 0, 2025],
     ['B-2', '2026-W14', 0, 2025]]
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    end = end or default_end(today)
    due = pd.to_datetime(items["due_on"])
    keep = due.notna() & (due <= pd.Timestamp(end))
    if start is not None:
        keep &= due >= pd.Timestamp(start)
    for column, wanted in (("kind", kinds), ("category", categories), ("district_id", district_ids)):
        if wanted is not None:
            keep &= items[column].isin(list(wanted))
    rows = items[keep.to_numpy()].copy()
    due = due[keep.to_numpy()]
    days = due.to_numpy(dtype="datetime64[D]")
    overdue = days < np.datetime64(today, "D")
    starts, ends, keys, years = _periods(days, by)
    missing = np.array(None, dtype=object)
    for column, values in (
        ("group", np.where(overdue, OVERDUE, keys)),
        ("group_start", np.where(overdue, missing, starts)),
        ("group_end", np.where(overdue, missing, ends)),
    ):
        rows[column] = pd.Series(values, index=rows.index, dtype=object)
    rows["fiscal_year"] = pd.array(np.where(overdue, missing, years), dtype="Int64")
    rows["days_overdue"] = np.maximum((np.datetime64(today, "D") - days).astype("int64"), 0)
    rows["_order"] = np.where(overdue, np.iinfo("int64").min, _first_days(days, by).astype("int64"))
    rows["_due"] = due
    rows["_duty"] = (rows["kind"] != "duty").astype(int)
    rows = rows.sort_values(["_order", "_duty", "_due", "kind", "asset_code"], kind="stable")
    return rows.drop(columns=["_order", "_duty", "_due"]).reset_index(drop=True)


def _first_days(days: np.ndarray, by: str) -> np.ndarray:
    """The first day of the month or ISO week (from Monday) of each of ``days`` (``datetime64[D]``)."""
    if by == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    return days - (days.astype("int64") + 3) % 7  # 1970-01-01, day 0, was a Thursday


def _periods(days: np.ndarray, by: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First day, last day (as dates), key and fiscal year of the month or ISO week of each of ``days``
    (``datetime64[D]``), as object arrays (the years integers).

    Each period is named once, however many rows fall in it: numpy finds the periods' first days, and only
    the distinct ones go through :meth:`datetime.date.isocalendar` or a format.

    Examples
    --------
    >>> days = np.array(["2026-01-01", "2027-01-03", "2026-03-31", "2026-01-01"], dtype="datetime64[D]")
    >>> [list(a) for a in _periods(days, "week")[2:]]
    [['2026-W01', '2026-W53', '2026-W14', '2026-W01'], [2025, 2026, 2025, 2025]]
    >>> [list(a) for a in _periods(days, "month")[2:]]
    [['2026-01', '2027-01', '2026-03', '2026-01'], [2025, 2026, 2025, 2025]]
    """
    firsts, where = np.unique(_first_days(days, by), return_inverse=True)
    starts = firsts.astype(object)  # datetime.date
    if by == "month":
        ends = ((firsts.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1).astype(object)
        keys = [f"{start.year:04d}-{start.month:02d}" for start in starts]
    else:
        ends = (firsts + 6).astype(object)
        keys = ["{:04d}-W{:02d}".format(*start.isocalendar()[:2]) for start in starts]
    years = [fiscal_year(start) for start in starts]
    column = np.asarray(keys, dtype=object) if len(keys) else np.empty(0, dtype=object)
    return starts[where], ends[where], column[where], np.asarray(years, dtype=object)[where]


def groups(rows: pd.DataFrame) -> list[dict]:
    """The groups of :func:`build_schedule`'s rows, in order: key, first and last day, fiscal year, row count.

    Examples
    --------
    >>> items = pd.DataFrame({"kind": "inspection", "category": "bridge", "district_id": 1,
    ...                       "asset_code": ["B-1", "B-2"], "due_on": [date(2026, 3, 1), date(2026, 4, 2)]})
    >>> [(g["key"], g["fiscal_year"], g["count"]) for g in groups(build_schedule(items, today=date(2026, 3, 10)))]
    [('overdue', None, 1), ('2026-04', 2026, 1)]
    """
    if not len(rows):
        return []
    first = rows.drop_duplicates("group")
    counts = rows["group"].value_counts()
    return [
        {
            "key": g.group,
            "overdue": g.group == OVERDUE,
            "start": g.group_start,
            "end": g.group_end,
            "fiscal_year": None if pd.isna(g.fiscal_year) else int(g.fiscal_year),
            "count": int(counts[g.group]),
        }
        for g in first.itertuples()
    ]


def page(rows: pd.DataFrame, size: int, *, group: str | None = None, number: int = 1) -> pd.DataFrame:
    """At most ``size`` rows of each group of :func:`build_schedule`'s ``rows``: the first ones, and for ``group`` its
    page ``number`` (from 1; past the last page, the last page), in the same order.

    Examples
    --------
    >>> rows = pd.DataFrame({"group": ["overdue"] * 3 + ["2026-04"] * 5, "asset_code": list("abcdefgh")})
    >>> page(rows, 2)["asset_code"].tolist()
    ['a', 'b', 'd', 'e']
    >>> page(rows, 2, group="2026-04", number=2)["asset_code"].tolist()
    ['a', 'b', 'f', 'g']
    >>> page(rows, 2, group="2026-04", number=9)["asset_code"].tolist()
    ['a', 'b', 'h']
    """
    if size < 1 or number < 1:
        raise ValueError(f"size and number must be at least 1, got {size} and {number}")
    position = rows.groupby("group", sort=False).cumcount().to_numpy()
    offset = np.zeros(len(rows), dtype="int64")
    if group is not None:
        chosen = (rows["group"] == group).to_numpy()
        last = max(int(chosen.sum()) - 1, 0) // size
        offset[chosen] = min(number - 1, last) * size
    return rows[(position >= offset) & (position < offset + size)]


def pages(count: int, size: int) -> int:
    """How many pages of ``size`` rows ``count`` rows fill (at least one).

    >>> pages(0, 25), pages(25, 25), pages(26, 25)
    (1, 1, 2)
    """
    return max(-(-count // size), 1)
