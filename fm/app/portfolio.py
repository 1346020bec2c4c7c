"""Use cases of the portfolio review: the quantitative evaluation (`fm portfolio evaluate`,
`/api/portfolio/evaluation`, `/portfolio`) and the facility card (`fm portfolio card`,
`/api/portfolio/cards/<code>`, `/portfolio/cards/<code>`). docs/portfolio.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm.app.renewal import city_unit_costs
from fm.domain.cards import RISK_LABELS, condition_text
from fm.domain.fiscal import fiscal_year as fiscal_year_of
from fm.domain.portfolio import card as cards
from fm.domain.portfolio.evaluation import QUADRANT_LABELS as QUADRANT_LABELS
from fm.domain.portfolio.evaluation import QUADRANTS as QUADRANTS
from fm.domain.portfolio.evaluation import EvaluationSettings, evaluate
from fm.domain.portfolio.evaluation import load_settings as load_settings
from fm.domain.portfolio.usage import building_usage
from fm.domain.renewal import projection as renewal
from fm.errors import NotFound
from fm.io import risk as risk_store
from fm.io import store
from fm.model.portfolio import SERVICE_KINDS as SERVICE_KINDS
from fm.serialize import missing, records

BUILDING_COLUMNS = (
    "id",
    "code",
    "name",
    "category",
    "district_id",
    "floor_area_m2",
    "year_built",
    "useful_life_years",
    "acquisition_date",
    "acquisition_cost",
    "needs_individual_plan",
    *renewal.COLUMNS,
)


def _buildings(session: Session, ids: list[int] | None = None) -> pd.DataFrame:
    """Held buildings with their useful life, latest inspected state (and its scale) and latest risk class."""
    assets = store.read_assets(session, columns=tuple(dict.fromkeys(BUILDING_COLUMNS)), ids=ids)
    assets = assets[(assets["status"] != "disposed") & assets["floor_area_m2"].notna()].copy()
    categories = store.read_categories(session).set_index("code")
    assets["useful_life_years"] = assets["useful_life_years"].fillna(
        assets["category"].map(categories["useful_life_years"])
    )
    assets["scale"] = assets["category"].map(categories["condition_scale"])
    inspections = store.read_table(
        session, "inspections", ("asset_id", "inspected_on", "soundness", "condition_score"), asset_ids=ids
    )
    latest = inspections.sort_values(["asset_id", "inspected_on"], kind="stable").drop_duplicates(
        "asset_id", keep="last"
    )
    latest = latest.set_index("asset_id")
    assets["state"] = assets["id"].map(latest["soundness"].fillna(latest["condition_score"]))
    assets["inspected_on"] = assets["id"].map(latest["inspected_on"])
    run, scores = risk_store.read_latest(session, asset_ids=ids)
    scored = scores.set_index("id") if len(scores) else pd.DataFrame(columns=["risk_class", "score"])
    assets["risk_class"] = assets["id"].map(scored["risk_class"]).astype(object)
    assets["risk_score"] = assets["id"].map(scored["score"]).astype(float)
    assets.attrs["risk_computed_on"] = None if run is None else run.computed_on
    return assets.reset_index(drop=True)


def _services(session: Session) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    services = store.read_table(session, "services", ("id", "code", "name", "kind"))
    housed = store.read_table(
        session, "service_buildings", ("service_id", "asset_id", "floor_area_m2", "opening_hours", "hours_per_week")
    ).merge(services.rename(columns={"id": "service_id"})[["service_id", "kind"]], on="service_id")
    usage = store.read_table(session, "service_usage", ("service_id", "fiscal_year", "users", "operating_cost"))
    return services, housed, usage


def evaluation_frame(
    session: Session, *, settings: EvaluationSettings | None = None, fiscal_year: int | None = None
) -> pd.DataFrame:
    """Every building housing a service on both axes, with its quadrant (:func:`evaluate`)."""
    _services_, housed, usage = _services(session)
    return evaluate(_buildings(session), housed, usage, settings=settings or load_settings(), fiscal_year=fiscal_year)


def evaluation(
    session: Session, *, settings: EvaluationSettings | None = None, fiscal_year: int | None = None
) -> list[dict[str, Any]]:
    """`fm portfolio evaluate --format json` and `/api/portfolio/evaluation`: a row per building with its
    code, name, main kind of service, figures, ``performance`` and ``use`` (0–100) and ``quadrant``."""
    return records(evaluation_frame(session, settings=settings, fiscal_year=fiscal_year))


def usage_years(session: Session) -> list[int]:
    """The fiscal years with recorded service usage, newest first (the evaluation page's choices)."""
    years = store.read_table(session, "service_usage", ("fiscal_year",))["fiscal_year"]
    return sorted({int(y) for y in years}, reverse=True)


def settings_of(path: Path | str | None = None) -> EvaluationSettings:
    return load_settings(path)


def card(session: Session, code: str, *, service: bool = False, lang: str = "ja", today: date | None = None) -> dict:
    """The facility card (施設カルテ) of building ``code`` (or, with ``service``, or when no building has that
    code, of service ``code``); NotFound when there is neither."""
    today = today or date.today()
    services, housed, usage = _services(session)
    asset_id = None if service else store.find_asset(session, code)
    if asset_id is None:
        found = services[services["code"] == code]
        if found.empty:
            raise NotFound(f"no building or service with the code {code!r}")
        return _service_card(session, found.iloc[0].to_dict(), housed, usage, lang=lang, today=today)
    return _building_card(session, int(asset_id), services, housed, usage, lang=lang, today=today)


def _last_year(usage: pd.DataFrame, today: date) -> int:
    current = fiscal_year_of(today)
    recorded = usage.loc[usage["fiscal_year"] <= current, "fiscal_year"]
    return int(recorded.max()) if len(recorded) else current - 1


def _renewal(buildings: pd.DataFrame, start: int, costs: dict[str, Any]) -> dict[int, pd.Series]:
    out = {}
    for index in buildings.index:
        table, _outside = renewal.project_renewal(
            buildings.loc[[index]], costs, scenario="simple", start=start, years=40
        )
        out[int(buildings.at[index, "id"])] = table["total"]
    return out


def _plans(session: Session, asset_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    links = store.read_table(session, "plan_assets", asset_ids=asset_ids)
    plans = store.read_table(session, "individual_plans", ("id", "code", "title", "adopted_on")).set_index("id")
    out: dict[int, list[dict[str, Any]]] = {a: [] for a in asset_ids}
    for link in links.itertuples():
        plan = plans.loc[int(link.plan_id)]
        out[int(link.asset_id)].append(
            {"code": plan["code"], "title": plan["title"], "adopted": not missing(plan["adopted_on"])}
        )
    return out


def _district(session: Session, district_id: Any, lang: str) -> dict[str, Any] | None:
    """The building's district with its population by age class, counted and projected, oldest year first."""
    if missing(district_id):
        return None
    districts = store.read_table(session, "districts", ("id", "code", "name", "name_en")).set_index("id")
    if int(district_id) not in districts.index:
        return None
    row = districts.loc[int(district_id)]
    people = store.read_table(
        session,
        "district_population",
        ("district_id", "fiscal_year", "age_0_14", "age_15_64", "age_65_over", "projected"),
    )
    people = people[people["district_id"] == int(district_id)].sort_values("fiscal_year").drop(columns="district_id")
    people["total"] = people["age_0_14"] + people["age_15_64"] + people["age_65_over"]
    people["share_65_over"] = (100 * people["age_65_over"] / people["total"].where(people["total"] > 0)).round(1)
    return {"code": row["code"], "name": row["name_en" if lang == "en" else "name"], "population": records(people)}


def _building_facts(row: dict[str, Any], *, year: int, lang: str, risk_on: Any) -> dict[str, Any]:
    state = None if missing(row["state"]) else int(row["state"])
    return {
        "code": row["code"],
        "name": row["name"],
        "category": row["category"],
        "floor_area_m2": float(row["floor_area_m2"]),
        "year_built": None if missing(row["year_built"]) else int(row["year_built"]),
        "age": None if missing(row["year_built"]) else year - int(row["year_built"]),
        "useful_life_years": None if missing(row["useful_life_years"]) else int(row["useful_life_years"]),
        "condition": {
            "state": state,
            "scale": row["scale"],
            "text": condition_text(state, row["scale"], lang),
            "inspected_on": None if missing(row["inspected_on"]) else pd.Timestamp(row["inspected_on"]).date(),
        },
        "risk": None
        if missing(row["risk_class"])
        else {
            "risk_class": row["risk_class"],
            "label": RISK_LABELS[row["risk_class"]].label(lang) if row["risk_class"] in RISK_LABELS else None,
            "score": round(float(row["risk_score"]), 3),
            "computed_on": risk_on,
        },
        "aging_ratio": cards.aging_ratio(row, fiscal_year=year),
    }


def _building_card(
    session: Session,
    asset_id: int,
    services: pd.DataFrame,
    housed: pd.DataFrame,
    usage: pd.DataFrame,
    *,
    lang: str,
    today: date,
) -> dict[str, Any]:
    buildings = _buildings(session, ids=[asset_id])
    if buildings.empty:
        raise NotFound("this asset is not a held building (no floor area, or disposed): it has no facility card")
    row = buildings.iloc[0].to_dict()
    year = _last_year(usage, today)
    here = housed[housed["asset_id"] == asset_id].merge(
        services.rename(columns={"id": "service_id", "kind": "_kind"}), on="service_id"
    )
    figures = building_usage(housed[housed["service_id"].isin(here["service_id"])], usage)
    figures = figures[figures["asset_id"] == asset_id]
    area = float(row["floor_area_m2"])
    occupied = float(here["floor_area_m2"].fillna(0).sum())
    plans = _plans(session, [asset_id])[asset_id]
    totals = _renewal(buildings, fiscal_year_of(today) + 1, city_unit_costs(session))[asset_id]
    return {
        "type": "building",
        **_building_facts(row, year=year, lang=lang, risk_on=buildings.attrs["risk_computed_on"]),
        "occupied_m2": round(occupied, 1),
        "occupied_share": round(100 * occupied / area, 1) if area else None,
        "services": [
            {
                "code": s["code"],
                "name": s["name"],
                "kind": s["kind"],
                "floor_area_m2": None if missing(s["floor_area_m2"]) else float(s["floor_area_m2"]),
                "share": None if missing(s["floor_area_m2"]) else round(100 * float(s["floor_area_m2"]) / area, 1),
                "opening_hours": None if missing(s["opening_hours"]) else s["opening_hours"],
            }
            for s in here.sort_values("floor_area_m2", ascending=False, na_position="last").to_dict("records")
        ],
        "years": cards.yearly(figures, area=area, last_year=year),
        "renewal": {"start": fiscal_year_of(today) + 1, **cards.renewal_due(totals)},
        "plans": plans,
        "plan_status": cards.plan_status(plans, needs_plan=bool(row["needs_individual_plan"])),
        "district": _district(session, row["district_id"], lang),
    }


def _service_card(
    session: Session,
    service: dict[str, Any],
    housed: pd.DataFrame,
    usage: pd.DataFrame,
    *,
    lang: str,
    today: date,
) -> dict[str, Any]:
    here = housed[housed["service_id"] == service["id"]]
    ids = [int(a) for a in here["asset_id"]]
    buildings = _buildings(session, ids=ids) if ids else pd.DataFrame(columns=list(BUILDING_COLUMNS))
    year = _last_year(usage, today)
    start = fiscal_year_of(today) + 1
    totals = _renewal(buildings, start, city_unit_costs(session)) if len(buildings) else {}
    plans = _plans(session, ids) if ids else {}
    rows = []
    due = {"next_10_years": 0, "next_40_years": 0}
    for building in buildings.to_dict("records"):
        link = here[here["asset_id"] == building["id"]].iloc[0]
        occupied = None if missing(link["floor_area_m2"]) else float(link["floor_area_m2"])
        # the service's part of the building's renewal: its floor area over the building's, in hundredths of m²
        share = (round(100 * (occupied or 0.0)), round(100 * float(building["floor_area_m2"])))
        part = cards.renewal_due(totals[int(building["id"])], share=share)
        due = {k: due[k] + part[k] for k in due}
        rows.append(
            {
                **_building_facts(building, year=year, lang=lang, risk_on=buildings.attrs.get("risk_computed_on")),
                "occupied_m2": occupied,
                "share": None if occupied is None else round(100 * occupied / float(building["floor_area_m2"]), 1),
                "opening_hours": None if missing(link["opening_hours"]) else link["opening_hours"],
                "renewal": part,
                "plan_status": cards.plan_status(
                    plans.get(int(building["id"]), []), needs_plan=bool(building["needs_individual_plan"])
                ),
            }
        )
    area = float(here["floor_area_m2"].fillna(0).sum()) or None
    own = usage[usage["service_id"] == service["id"]]
    return {
        "type": "service",
        "code": service["code"],
        "name": service["name"],
        "kind": service["kind"],
        "floor_area_m2": None if area is None else round(area, 1),
        "buildings": rows,
        "years": cards.yearly(own, area=area, last_year=year),
        "renewal": {"start": start, **due},
    }


__all__ = ["QUADRANTS", "QUADRANT_LABELS", "SERVICE_KINDS", "card", "evaluation", "evaluation_frame"]
