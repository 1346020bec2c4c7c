"""Use case of the full asset page: everything fm holds about one asset, read by its code.

Attributes, inspections, the latest risk with every reason, work orders, the individual
plans covering it with their works for it, and its depreciation by fiscal year (the
aging ratio's rules: :func:`fm.domain.depreciation.schedule`). Plain data out: frames and dicts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from fm.app import maps
from fm.app.duties import asset_duties
from fm.domain import depreciation
from fm.domain.fiscal import fiscal_year
from fm.domain.risk.config import RiskConfig
from fm.domain.risk.explain import ROMAN as ROMAN
from fm.domain.risk.explain import reasons
from fm.io import risk as risk_store
from fm.io import store
from fm.serialize import missing, records


def asset_page(
    session: Session,
    code: str,
    *,
    config: RiskConfig,
    lang: str = "ja",
    convention: str = "fiscal-year",
    today: date | None = None,
) -> dict[str, Any]:
    """Everything the asset page shows about asset ``code`` (NotFound when there is none).

    Keys: ``record`` (GeoDataFrame of the stored row), ``attributes`` (the row without
    geometry, as a dict), ``category`` and ``district`` (their rows as dicts, or None),
    ``card`` (:func:`fm.app.maps.asset_card`), ``risk`` (class, score, run date and every
    reason, or None when not scored), ``inspections`` (newest first), ``work_orders``
    (newest first), ``plans`` (each plan with its ``works`` for this asset), ``duties`` (the measures
    required by law after each Ⅲ/Ⅳ judgement, latest first: :func:`fm.app.duties.asset_duties`), ``depreciation``
    (see :func:`depreciation_table`).
    """
    today = today or date.today()
    asset_id = maps.asset_id(session, code)
    record = maps.asset_record(session, code)
    row = record.drop(columns="geom").iloc[0].to_dict()
    attributes = {k: (None if missing(v) else v) for k, v in row.items()}
    categories = store.read_categories(session).set_index("code", drop=False)
    category = categories.loc[attributes["category"]].to_dict()
    districts = store.read_table(session, "districts", ("id", "code", "name", "name_en")).set_index("id", drop=False)
    district_id = attributes["district_id"]
    district = districts.loc[int(district_id)].to_dict() if district_id is not None else None
    inspections = store.read_table(session, "inspections", asset_ids=[asset_id]).sort_values(
        ["inspected_on", "id"], ascending=False, ignore_index=True
    )
    work = store.read_table(session, "work_orders", asset_ids=[asset_id])
    work = (
        work.assign(_when=pd.to_datetime(work["completed_on"]).fillna(pd.to_datetime(work["planned_on"])))
        .sort_values(["_when", "code"], ascending=False, na_position="first", ignore_index=True)
        .drop(columns="_when")
    )
    return {
        "record": record,
        "attributes": attributes,
        "category": category,
        "district": district,
        "card": maps.asset_card(session, code, config=config, lang=lang),
        "risk": _risk(session, asset_id, scale=category["condition_scale"], lang=lang),
        "inspections": inspections,
        "work_orders": work,
        "plans": _plans(session, asset_id),
        "duties": asset_duties(session, asset_id, as_of=today),
        "depreciation": depreciation_table(attributes, category, today=today, convention=convention),
    }


def _risk(session: Session, asset_id: int, *, scale: str, lang: str) -> dict[str, Any] | None:
    run, scores = risk_store.read_latest(session, asset_ids=[asset_id])
    if run is None or scores.empty:
        return None
    score = scores.iloc[0]
    components = {k: (None if missing(v) else v) for k, v in score.items()}
    if components.get("inspected_on") is not None:
        components["inspected_on"] = pd.Timestamp(components["inspected_on"]).date().isoformat()
    return {
        "risk_class": score["risk_class"],
        "score": round(float(score["score"]), 3),
        "probability": float(score["probability"]),
        "consequence": float(score["consequence"]),
        "computed_on": run.computed_on,
        "reasons": reasons(components, scale=scale, users=components.get("annual_users"), lang=lang),
    }


def _plans(session: Session, asset_id: int) -> list[dict[str, Any]]:
    links = store.read_table(session, "plan_assets", asset_ids=[asset_id])
    works = store.read_table(session, "plan_works", asset_ids=[asset_id])
    ids = sorted(set(links["plan_id"].astype(int)) | set(works["plan_id"].astype(int)))
    if not ids:
        return []
    plans = store.read_table(session, "individual_plans")
    plans = plans[plans["id"].isin(ids)].sort_values("code")
    out = []
    for plan in records(plans):
        own = works[works["plan_id"] == plan["id"]].sort_values(["fiscal_year", "id"])
        out.append(
            {
                **plan,
                "adopted": plan["adopted_on"] is not None,
                "covers": plan["id"] in set(links["plan_id"]),
                "works": records(own[["fiscal_year", "description", "cost"]]),
            }
        )
    return out


def depreciation_table(
    asset: dict[str, Any], category: dict[str, Any], *, today: date, convention: str = "fiscal-year"
) -> dict[str, Any]:
    """The asset's depreciation by fiscal year, by the aging ratio's rules.

    Returns ``rows`` (:func:`fm.domain.depreciation.schedule`, or None), ``life`` (the asset's
    useful life, else its category's), and ``reason`` when there are no rows: ``no_data``
    (no acquisition date or no cost > 0: the aging ratio does not count it either) or
    ``not_yet`` (acquired after the last year shown). Rows run to the current fiscal year,
    or, for an asset disposed of, to the last year it was held at the year's end.
    """
    life = asset.get("useful_life_years") or category["useful_life_years"]
    acquired, cost = asset.get("acquisition_date"), asset.get("acquisition_cost")
    if acquired is None or not cost or cost <= 0:
        return {"rows": None, "life": life, "reason": "no_data", "convention": convention}
    last = fiscal_year(today)
    if asset.get("disposed_on") is not None:
        last = min(last, fiscal_year(asset["disposed_on"]) - 1)
    if last < fiscal_year(acquired):
        return {"rows": None, "life": life, "reason": "not_yet", "convention": convention}
    rows = depreciation.schedule(int(cost), acquired, int(life), last_fiscal_year=last, convention=convention)
    return {"rows": rows, "life": life, "reason": None, "convention": convention}


def geometry_of(page: dict[str, Any]) -> gpd.GeoSeries | None:
    """The asset's geometry for the small map, or None when it has none."""
    record = page["record"]
    return record.geometry if record.geometry.notna().all() else None
