"""Use cases of the asset register: parse its parameters, ask :mod:`fm.io.register` for one page (or
the whole filtered list, for a download) and name what the codes stand for.

The page ``/assets``, the JSON ``/api/assets`` and the downloads take the same parameters
(see ``docs/register.md``) and go through :func:`parse_query`, so a bad one gets the same
message naming it everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm.app.snapshots import snapshot
from fm.domain import params
from fm.domain.fiscal import fiscal_year as to_fiscal_year
from fm.domain.maps.style import PLAN, RISK
from fm.errors import ValidationError
from fm.io import register as sql
from fm.io import risk as risk_store
from fm.io import store
from fm.model.assets import ASSET_STATUSES
from fm.serialize import missing

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
RISK_CLASSES = tuple(c.key for c in RISK)  # very_high … very_low, unscored
PLAN_STATUSES = tuple(c.key for c in PLAN)
MAX_SEARCH = 100
PARAMETERS = ("q", "category", "district", "status", "risk", "plan", "sort", "order", "page", "per_page")
"""Every parameter of the register, in the order links write them."""
DOWNLOAD_COLUMNS = (
    "code",
    "name",
    "category",
    "category_name",
    "district",
    "status",
    "year_built",
    "risk_class",
    "risk_score",
    "plan_status",
)


@dataclass(frozen=True)
class RegisterQuery:
    """A checked request for the register: what to keep, how to sort, which page."""

    filter: sql.RegisterFilter
    sort: str = "code"
    order: str = "asc"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE


def parse_query(args: Mapping[str, str], *, categories: Sequence[str], districts: Sequence[int]) -> RegisterQuery:
    """The register's query from request parameters, each checked; every problem found is named
    in one :class:`~fm.errors.ValidationError` (``"<parameter>: …"``).

    Lists are comma-separated (``category=road,bridge``); an empty value means no restriction.

    Examples
    --------
    >>> query = parse_query({"q": " 橋 ", "category": "bridge", "risk": "high,unscored", "sort": "risk",
    ...                      "order": "desc"}, categories=["bridge", "road"], districts=[1, 2])
    >>> query.filter.search, query.filter.risk_classes, query.sort, query.page
    ('橋', ('high', 'unscored'), 'risk', 1)
    >>> parse_query({"district": "9", "per_page": "7"}, categories=[], districts=[1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fm.errors.ValidationError: district: unknown value '9'; choose from 1; per_page must be one of ..., got '7'
    """
    problems: list[str] = []

    def listed(name: str, known: Sequence, convert=str) -> tuple | None:
        raw = args.get(name)
        if raw is None or not raw.strip():
            return None
        return params.listed(name, raw, known, problems, convert)

    def choice(name: str, choices: Sequence[str], default: str) -> str:
        value = args.get(name) or default
        if value not in choices:
            problems.append(f"{name} must be one of {', '.join(choices)}, got {value!r}")
            return default
        return value

    def whole(name: str, default: int, choices: Sequence[int] | None = None) -> int:
        raw = args.get(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"[0-9]{1,7}", raw) or int(raw) < 1 or (choices and int(raw) not in choices):
            problems.append(
                f"{name} must be one of {', '.join(map(str, choices))}, got {raw!r}"
                if choices
                else f"{name} must be a whole number from 1, got {raw!r}"
            )
            return default
        return int(raw)

    search = (args.get("q") or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH:
        problems.append(f"q: a search of at most {MAX_SEARCH} characters, got {len(search)}")
    found = sql.RegisterFilter(
        search=search,
        categories=listed("category", categories),
        districts=listed("district", districts, int),
        statuses=listed("status", ASSET_STATUSES),
        risk_classes=listed("risk", RISK_CLASSES),
        plan_statuses=listed("plan", PLAN_STATUSES),
    )
    sort = choice("sort", sql.COLUMNS, "code")
    order = choice("order", sql.ORDERS, "desc" if sort == "risk" and not args.get("order") else "asc")
    query = RegisterQuery(
        found, sort=sort, order=order, page=whole("page", 1), per_page=whole("per_page", DEFAULT_PAGE_SIZE, PAGE_SIZES)
    )
    if problems:
        raise ValidationError(problems)
    return query


def _names(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The categories and districts, read once and kept until a watched table changes (every register
    request names them)."""
    return snapshot(
        session,
        f"{__name__}._names",
        lambda own: (
            store.read_categories(own),
            store.read_table(own, "districts", ("id", "code", "name", "name_en")),
        ),
    )


def _count(session: Session, found: sql.RegisterFilter, *, run_id: int | None, fiscal_year: int) -> int:
    """:func:`fm.io.register.count`, kept until a watched table changes: the count reads every asset the
    filter keeps (for a search, every asset), while the page itself stops at its last row."""
    return snapshot(
        session,
        f"{__name__}._count",
        lambda own: sql.count(own, found, run_id=run_id, fiscal_year=fiscal_year),
        found,
        run_id,
        fiscal_year,
    )


def _context(session: Session, args: Mapping[str, str]) -> tuple[RegisterQuery, pd.DataFrame, pd.DataFrame, Any, int]:
    categories, districts = _names(session)
    query = parse_query(args, categories=categories["code"].tolist(), districts=districts["id"].tolist())
    run = risk_store.latest_run(session)
    return query, categories, districts, run, to_fiscal_year(date.today())


def _labelled(frame: pd.DataFrame, categories: pd.DataFrame, districts: pd.DataFrame, lang: str) -> pd.DataFrame:
    name = "name_en" if lang == "en" else "name"
    return frame.assign(
        category_name=frame["category"].map(categories.set_index("code")[name]),
        district=frame["district_id"].map(districts.set_index("id")[name]).astype(object),
    )


def register_page(session: Session, args: Mapping[str, str], *, lang: str = "ja") -> dict[str, Any]:
    """One page of the register for request parameters ``args`` (see :func:`parse_query`).

    Returns ``total`` (assets kept), ``page``, ``pages``, ``per_page``, ``sort``, ``order``,
    ``query`` (the parameters as understood, to build links), ``choices`` (the values each
    parameter accepts, with the names of categories and districts), ``plan_fiscal_year`` (plan
    status is at the end of that year, the current one), ``risk_computed_on`` (the run the
    risk classes come from, or None) and ``assets``: the rows, each with code, name, category,
    category_name, district_id, district (its name), status, year_built, risk_class,
    risk_score, plan_status. A page past the last is a ValidationError naming ``page``.

    Kept until a watched table changes (fm/app/snapshots.py), by the parameters of :data:`PARAMETERS` and
    ``lang``: the same page asked again (the first page, a common filter or search) costs one small query. The
    kept page itself is returned, not a copy (a deep copy was a tenth of a request's CPU): callers only read it.
    """
    understood_args = tuple((name, args.get(name)) for name in PARAMETERS)
    return snapshot(
        session, f"{__name__}.register_page", lambda own: _page(own, args, lang), understood_args, lang, shared=True
    )


def _page(session: Session, args: Mapping[str, str], lang: str) -> dict[str, Any]:
    query, categories, districts, run, year = _context(session, args)
    run_id = run.id if run else None
    total = _count(session, query.filter, run_id=run_id, fiscal_year=year)
    pages = max(1, math.ceil(total / query.per_page))
    if query.page > pages:
        raise ValidationError(f"page {query.page} does not exist: the list has {pages} page(s) of {query.per_page}")
    rows = sql.read(
        session,
        query.filter,
        run_id=run_id,
        fiscal_year=year,
        sort=query.sort,
        order=query.order,
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
    )
    name = "name_en" if lang == "en" else "name"
    choices = {
        "category": [
            {"value": code, "label": label} for code, label in zip(categories["code"], categories[name], strict=True)
        ],
        "district": [
            {"value": int(i), "label": label} for i, label in zip(districts["id"], districts[name], strict=True)
        ],
        "status": list(ASSET_STATUSES),
        "risk": list(RISK_CLASSES),
        "plan": list(PLAN_STATUSES),
        "sort": list(sql.COLUMNS),
        "per_page": list(PAGE_SIZES),
    }
    category_names = dict(zip(categories["code"], categories[name], strict=True))
    district_names = {int(i): label for i, label in zip(districts["id"], districts[name], strict=True)}
    return {
        "total": total,
        "page": query.page,
        "pages": pages,
        "per_page": query.per_page,
        "sort": query.sort,
        "order": query.order,
        "query": understood(query),
        "choices": choices,
        "plan_fiscal_year": year,
        "risk_computed_on": run.computed_on if run else None,
        "assets": _page_rows(rows, category_names, district_names),
    }


def _page_rows(rows: pd.DataFrame, categories: dict[str, str], districts: dict[int, str]) -> list[dict[str, Any]]:
    """A page's rows as plain dicts, named (a page is at most 200 rows: plain Python, not a frame's
    machinery, which costs more than the rows themselves)."""
    columns = ("code", "name", "category", "district_id", "status", "year_built", "risk_class", "risk_score")
    values = [[None if missing(v) else v for v in rows[column].tolist()] for column in columns]
    out = []
    for code, name, category, district, status, built, risk, score, plan in zip(
        *values, rows["plan_status"].tolist(), strict=True
    ):
        out.append(
            {
                "code": code,
                "name": name,
                "category": category,
                "category_name": categories.get(category),
                "district_id": district,
                "district": None if district is None else districts.get(district),
                "status": status,
                "year_built": built,
                "risk_class": risk,
                "risk_score": score,
                "plan_status": plan,
            }
        )
    return out


def register_list(session: Session, args: Mapping[str, str], *, lang: str = "ja") -> pd.DataFrame:
    """Every asset the parameters keep (all pages, in the page's order), columns
    :data:`DOWNLOAD_COLUMNS`: what a CSV or Excel download holds. ``page`` and ``per_page``
    are checked but do not cut the list."""
    query, categories, districts, run, year = _context(session, args)
    rows = sql.read(
        session, query.filter, run_id=run.id if run else None, fiscal_year=year, sort=query.sort, order=query.order
    )
    return _labelled(rows, categories, districts, lang)[list(DOWNLOAD_COLUMNS)].reset_index(drop=True)


def understood(query: RegisterQuery) -> dict[str, str]:
    """The query as parameters again (defaults left out): what links to other pages or sorts keep.

    >>> understood(RegisterQuery(sql.RegisterFilter(search="橋", districts=(1, 3)), sort="name"))
    {'q': '橋', 'district': '1,3', 'sort': 'name'}
    """
    found = query.filter
    lists = {
        "category": found.categories,
        "district": found.districts,
        "status": found.statuses,
        "risk": found.risk_classes,
        "plan": found.plan_statuses,
    }
    out = {"q": found.search} if found.search else {}
    out.update({name: ",".join(map(str, values)) for name, values in lists.items() if values is not None})
    default_order = "desc" if query.sort == "risk" else "asc"
    if query.sort != "code":
        out["sort"] = query.sort
    if query.order != default_order:
        out["order"] = query.order
    if query.per_page != DEFAULT_PAGE_SIZE:
        out["per_page"] = str(query.per_page)
    return out
