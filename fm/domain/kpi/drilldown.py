"""The list behind a figure: the records an indicator counted, filtered by group, sorted and paged.

The list's totals (``numerator``, ``denominator``) are sums over every record that
passes the filter, not over the page shown, so an unfiltered list adds up to the
indicator's own numerator and denominator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from fm.domain.kpi.breakdown import COLUMN, DIMENSIONS, group_keys, value_of

# What each list shows. ``district`` is the district's name, which the service adds
# (:func:`with_district_names`); the list filters on ``district_id``.

COLUMNS: dict[str, tuple[str, ...]] = {
    "plan_coverage": ("code", "name", "category", "district", "covered", "plan_code"),
    "underused_land": (
        "code",
        "name",
        "district",
        "owner_department",
        "utilisation",
        "current_use",
        "since",
        "area_m2",
    ),
    "aging_ratio": (
        "code",
        "name",
        "category",
        "district",
        "acquisition_date",
        "useful_life_years",
        "acquisition_cost",
        "accumulated_depreciation",
        "book_value",
    ),
    "execution_rate": (
        "plan_code",
        "title",
        "category",
        "fiscal_year",
        "planned_amount",
        "executed_amount",
        "unexecuted_amount",
    ),
    "preventive_share": (
        "code",
        "asset_code",
        "asset_name",
        "category",
        "district",
        "kind",
        "cause",
        "completed_on",
        "actual_cost",
    ),
    "reactive_repairs": (
        "code",
        "asset_code",
        "asset_name",
        "category",
        "district",
        "cause",
        "completed_on",
        "actual_cost",
    ),
    "measures_started": (
        "code",
        "name",
        "category",
        "district",
        "soundness",
        "inspected_on",
        "deadline",
        "state",
        "started",
        "measure_started_on",
    ),
    "measures_completed": (
        "code",
        "name",
        "category",
        "district",
        "soundness",
        "inspected_on",
        "deadline",
        "state",
        "completed",
        "completed_on",
    ),
}
# The order a list opens in: what needs attention first.
DEFAULT_SORT: dict[str, tuple[str, str]] = {
    "plan_coverage": ("covered", "asc"),  # facilities with no plan first
    "underused_land": ("area_m2", "desc"),
    "aging_ratio": ("accumulated_depreciation", "desc"),  # the assets that push the ratio up most
    "execution_rate": ("unexecuted_amount", "desc"),
    "preventive_share": ("actual_cost", "desc"),
    "reactive_repairs": ("completed_on", "desc"),
    "measures_started": ("started", "asc"),  # the structures with no measure yet first
    "measures_completed": ("completed", "asc"),
}
# Which page a row links to, and the column holding its code. Parcels have no page yet, so
# underused land is listed without links; plan budget items have no page either.
LINKS: dict[str, tuple[str, str] | None] = {
    "plan_coverage": ("asset", "code"),
    "underused_land": None,
    "aging_ratio": ("asset", "code"),
    "execution_rate": None,
    "preventive_share": ("asset", "asset_code"),
    "reactive_repairs": ("asset", "asset_code"),
    "measures_started": ("asset", "code"),
    "measures_completed": ("asset", "code"),
}
ORDERS = ("asc", "desc")
MAX_PER_PAGE = 500


def with_district_names(frame: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``district`` column: the name of its ``district_id`` (when it has one)."""
    if "district_id" not in frame.columns:
        return frame
    return frame.assign(district=frame["district_id"].map(districts.set_index("id")["name"]))


class PageOutOfRange(LookupError):
    """A page number past the last page of a list."""


@dataclass(frozen=True)
class Page:
    """One page of a drill-down list and the totals of the whole (filtered) list."""

    rows: pd.DataFrame
    records: int
    page: int
    pages: int
    per_page: int
    sort: str
    order: str
    numerator: float
    denominator: float
    value: float | None


def filtered(frame: pd.DataFrame, indicator: str, groups: dict[str, str]) -> pd.DataFrame:
    """Rows of ``frame`` (from :func:`fm.domain.kpi.breakdown.attributed`) in the groups asked for.

    ``groups`` maps a dimension to a key as a breakdown gives it (``""`` or ``"none"``:
    records with no group).
    """
    for dimension, key in groups.items():
        if dimension not in DIMENSIONS[indicator]:
            raise ValueError(f"{indicator} is grouped by {' or '.join(DIMENSIONS[indicator])}, not {dimension!r}")
        frame = frame[group_keys(frame[COLUMN[dimension]]) == ("" if key == "none" else key)]
    return frame


def ordered(
    frame: pd.DataFrame, indicator: str, *, sort: str | None = None, order: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """``frame`` sorted by ``sort`` (a column of the list, :data:`COLUMNS`; default :data:`DEFAULT_SORT`).

    Ties are in the order of the list's first column; missing values go last. Returns the
    sorted frame with the column and order used. Raises ``ValueError`` for an unknown
    column or order.
    """
    columns = COLUMNS[indicator]
    default_sort, default_order = DEFAULT_SORT[indicator]
    sort, order = sort or default_sort, order or (default_order if sort in (None, default_sort) else "asc")
    if sort not in columns:
        raise ValueError(f"sort must be one of {', '.join(columns)}, got {sort!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be asc or desc, got {order!r}")
    result = frame.sort_values(columns[0], kind="mergesort", na_position="last").sort_values(
        sort, ascending=order == "asc", kind="mergesort", na_position="last"
    )
    return result, sort, order


def shown(frame: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The list's own columns of ``frame``, in their order."""
    return frame.reindex(columns=[c for c in COLUMNS[indicator] if c in frame.columns]).reset_index(drop=True)


def sorted_page(
    frame: pd.DataFrame,
    indicator: str,
    *,
    sort: str | None = None,
    order: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Sort ``frame`` (see :func:`ordered`) and cut page ``page`` (from 1) of ``per_page`` rows.

    Raises ``ValueError`` for a bad sort, order or page size and :class:`PageOutOfRange`
    past the last page (page 1 of an empty list is fine).

    Examples
    --------
    >>> frame = pd.DataFrame({"code": ["A", "B", "C"], "numerator": [5, 9, 1], "denominator": [0, 0, 0],
    ...                       "area_m2": [5.0, 9.0, 1.0]})
    >>> page = sorted_page(frame, "underused_land", per_page=2)
    >>> page.rows["code"].tolist(), page.pages, page.numerator
    (['B', 'A'], 2, 15.0)
    """
    result, sort, order = ordered(frame, indicator, sort=sort, order=order)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be from 1 to {MAX_PER_PAGE}, got {per_page}")
    pages = max(1, math.ceil(len(frame) / per_page))
    if not 1 <= page <= pages:
        raise PageOutOfRange(f"page {page} does not exist: the list has {pages} page(s) of {per_page}")
    numerator, denominator = float(frame["numerator"].sum()), float(frame["denominator"].sum())
    return Page(
        rows=shown(result.iloc[(page - 1) * per_page : page * per_page], indicator),
        records=len(frame),
        page=page,
        pages=pages,
        per_page=per_page,
        sort=sort,
        order=order,
        numerator=numerator,
        denominator=denominator,
        value=value_of(indicator, numerator, denominator),
    )
