"""Use cases of the parcel page and the individual plan page: one record and what hangs on it, as plain data.

A land parcel: its attributes, its area in m² (measured in EPSG:6677, never stored) and
the history of its use, each use valid until the next one starts. An individual plan:
its attributes, the assets it covers, the works it schedules and its yearly budget
items with their execution rate.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.errors import NotFound
from fm.geo import STORAGE_CRS, area_m2
from fm.model import metadata


def _rows(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(query).mappings()]


def parcel_page(session: Session, code: str) -> dict[str, Any]:
    """The parcel ``code``: ``parcel`` (attributes, district names, ``area_m2``), ``uses`` (oldest first,
    each with ``valid_to``, the day the next one starts) and ``geometry`` (a GeoSeries for the map)."""
    parcels, districts, uses = (metadata.tables[n] for n in ("land_parcels", "districts", "parcel_uses"))
    query = (sa.select(parcels, districts.c.code.label("district"), districts.c.name.label("district_name"),
                       districts.c.name_en.label("district_name_en"))
             .outerjoin(districts, districts.c.id == parcels.c.district_id).where(parcels.c.code == code))
    found = _rows(session, query)
    if not found:
        raise NotFound(f"no land parcel with code {code!r}")
    parcel = found[0]
    geometry = gpd.GeoSeries([parcel.pop("geom")], crs=STORAGE_CRS)
    parcel["area_m2"] = float(area_m2(geometry).iloc[0])
    history = _rows(session, sa.select(uses.c.valid_from, uses.c.current_use, uses.c.utilisation)
                    .where(uses.c.parcel_id == parcel["id"]).order_by(uses.c.valid_from))
    for use, following in zip(history, [*history[1:], None]):
        use["valid_to"] = following["valid_from"] if following else None
    return {"parcel": parcel, "uses": history, "geometry": geometry}


def plan_page(session: Session, code: str) -> dict[str, Any]:
    """The individual plan ``code``: ``plan`` (attributes), ``assets`` (code, name, category and district
    names), ``works`` (fiscal year, asset, description, cost; ``works_total``) and ``budget`` (fiscal year,
    planned and executed amounts, ``rate`` executed/planned or None; ``budget_total``)."""
    plans, links, assets, categories, districts, works, budget = (metadata.tables[n] for n in (
        "individual_plans", "plan_assets", "assets", "asset_categories", "districts", "plan_works",
        "plan_budget_items"))
    found = _rows(session, sa.select(plans).where(plans.c.code == code))
    if not found:
        raise NotFound(f"no individual plan with code {code!r}")
    plan = found[0]
    covered = _rows(session, sa.select(assets.c.code, assets.c.name, assets.c.status,
                                       categories.c.name.label("category_name"),
                                       categories.c.name_en.label("category_name_en"),
                                       districts.c.name.label("district_name"),
                                       districts.c.name_en.label("district_name_en"))
                    .join(links, links.c.asset_id == assets.c.id)
                    .join(categories, categories.c.code == assets.c.category)
                    .outerjoin(districts, districts.c.id == assets.c.district_id)
                    .where(links.c.plan_id == plan["id"]).order_by(assets.c.code))
    scheduled = _rows(session, sa.select(works.c.fiscal_year, works.c.description, works.c.cost,
                                         assets.c.code.label("asset_code"), assets.c.name.label("asset_name"))
                      .outerjoin(assets, assets.c.id == works.c.asset_id)
                      .where(works.c.plan_id == plan["id"]).order_by(works.c.fiscal_year, works.c.id))
    items = _rows(session, sa.select(budget.c.fiscal_year, budget.c.planned_amount, budget.c.executed_amount)
                  .where(budget.c.plan_id == plan["id"]).order_by(budget.c.fiscal_year))
    for item in items:
        item["rate"] = item["executed_amount"] / item["planned_amount"] if item["planned_amount"] else None
    frame = pd.DataFrame(items, columns=["planned_amount", "executed_amount"])
    return {"plan": plan, "assets": covered, "works": scheduled,
            "works_total": int(sum(w["cost"] for w in scheduled)),
            "budget": items, "budget_total": {"planned_amount": int(frame["planned_amount"].sum()),
                                              "executed_amount": int(frame["executed_amount"].sum())}}


def asset_search(session: Session, query: str, *, limit: int = 20) -> list[dict[str, str]]:
    """Up to ``limit`` assets whose code or name contains ``query`` (codes first, then by code): what the
    plan form's asset picker offers."""
    assets = metadata.tables["assets"]
    words = query.strip()
    if not words:
        return []
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    starts = sa.case((assets.c.code.ilike(f"{escaped}%", escape="\\"), 0), else_=1)
    rows = session.execute(sa.select(assets.c.code, assets.c.name)
                           .where(sa.or_(assets.c.code.ilike(pattern, escape="\\"),
                                         assets.c.name.ilike(pattern, escape="\\")))
                           .order_by(starts, assets.c.code).limit(limit))
    return [{"code": code, "name": name} for code, name in rows]


def choices(session: Session, what: str, lang: str) -> list[tuple[str, str]]:
    """(code, name) of every ``category`` (in display order) or ``district``, named in ``lang``."""
    table = metadata.tables["asset_categories" if what == "category" else "districts"]
    name = table.c.name_en if lang == "en" else table.c.name
    order = (table.c.sort_order, table.c.code) if what == "category" else (table.c.id,)
    return [(code, label) for code, label in session.execute(sa.select(table.c.code, name).order_by(*order))]
