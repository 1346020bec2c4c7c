"""Use cases of portfolio scenarios (施設再編の案): `fm portfolio scenario …`, `/portfolio/scenarios` and
`/api/portfolio/scenarios` (docs/portfolio.md#scenarios).

A scenario is saved (named, described, its author) with its actions; its figures are computed from the register
as it is now, side by side with doing nothing (:mod:`fm.domain.portfolio.scenario`). Every write is audited and
all or nothing: an action is checked with the scenario's others before anything is written; adopting writes the
planned disposals and work orders in one transaction.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.app import catchments
from fm.app.kpi import kpi_data
from fm.app.renewal import city_unit_costs
from fm.app.snapshots import snapshotted
from fm.domain.fiscal import fiscal_year as fiscal_year_of
from fm.domain.fiscal import fiscal_year_start
from fm.domain.kpi.measures import KpiData
from fm.domain.portfolio import scenario as domain
from fm.domain.renewal import projection as renewal
from fm.errors import Conflict, NotFound, ValidationError
from fm.io import files, store
from fm.model import Asset, LandParcel, ParcelUse, WorkOrder
from fm.model.portfolio import SERVICE_KINDS
from fm.model.scenarios import SCENARIO_ACTIONS as ACTIONS
from fm.model.scenarios import PortfolioScenario, ScenarioAction
from fm.serialize import missing

ADOPTERS = ("facility_manager", "admin")
"""Roles that may adopt a scenario (it writes disposals and work orders)."""
FIGURES = (
    "buildings",
    "floor_area_m2",
    "renewal_10_years",
    "renewal_40_years",
    "operating_cost_year",
    "operating_cost_40_years",
    "works_cost",
    "cost_40_years",
    "aging_ratio",
    "underused_land_m2",
)
"""The side-by-side table's rows, in order."""
LABELS = {
    "buildings": ("建物数", "Buildings"),
    "floor_area_m2": ("延床面積（m²）", "Floor area (m²)"),
    "renewal_10_years": ("更新費用 10年（円）", "Renewal cost, 10 years (yen)"),
    "renewal_40_years": ("更新費用 40年（円）", "Renewal cost, 40 years (yen)"),
    "operating_cost_year": ("運営費 年額（円）", "Operating cost a year (yen)"),
    "operating_cost_40_years": ("運営費 40年（円）", "Operating cost, 40 years (yen)"),
    "works_cost": ("解体・改修工事（円）", "Demolition and conversion works (yen)"),
    "cost_40_years": ("40年の費用 計（円）", "Cost over 40 years (yen)"),
    "aging_ratio": ("有形固定資産減価償却率 10年後（%）", "Aging ratio in 10 years (%)"),
    "underused_land_m2": ("低未利用地 10年後（m²）", "Underused land in 10 years (m²)"),
}
ACTION_LABELS = {
    "close": ("廃止", "Close"),
    "merge": ("統合（複合化）", "Merge"),
    "convert": ("用途転換", "Convert"),
    "sell": ("売却", "Sell"),
}


def _actor_scenario(session: Session, name: str) -> PortfolioScenario:
    found = session.scalar(sa.select(PortfolioScenario).where(PortfolioScenario.name == name))
    if found is None:
        raise NotFound(f"no scenario is named {name!r}")
    return found


def register(session: Session, *, today: date | None = None, figures: bool = True) -> domain.Register:
    """The register as it is: held buildings (with the disposals already planned: their closure years), services
    housed, usage, the indicators' records, unit costs, sites."""
    columns = ("id", "code", "name", "category", "district_id", "disposed_on", "geom", *renewal.COLUMNS)
    assets = store.read_assets(session, columns=tuple(dict.fromkeys(columns)))
    buildings = assets[(assets["status"] != "disposed") & assets["floor_area_m2"].notna()]
    disposed = pd.to_datetime(buildings["disposed_on"])
    buildings = buildings[disposed.isna() | (disposed > pd.Timestamp(today or date.today()))]
    planned = buildings[pd.to_datetime(buildings["disposed_on"]).notna()]  # a disposal planned (an adopted scenario)
    closed = pd.Series(
        fiscal_year_of(pd.to_datetime(planned["disposed_on"])).to_numpy(), index=planned["id"].to_numpy(), dtype="int64"
    )
    housed = store.read_table(session, "service_buildings", ("service_id", "asset_id", "floor_area_m2"))
    usage = store.read_table(session, "service_usage", ("service_id", "fiscal_year", "users", "operating_cost"))
    if figures:
        kpi = kpi_data(session)
    else:  # checking actions needs the land parcels alone, not every record the indicators read
        nothing = pd.DataFrame()
        parcels, uses = store.read_table(session, "land_parcels"), store.read_table(session, "parcel_uses")
        kpi = KpiData(nothing, nothing, nothing, nothing, nothing, parcels, uses, nothing)
    sites = domain.find_sites(gpd.GeoDataFrame(buildings, geometry="geom", crs=4326), kpi.parcels)
    return domain.Register(
        pd.DataFrame(buildings.drop(columns="geom")).reset_index(drop=True),
        housed,
        usage,
        kpi,
        city_unit_costs(session),
        sites,
        closed,
    )


def _actions(session: Session, scenario_id: int) -> pd.DataFrame:
    """The scenario's actions with codes (building, target, parcel), in the order added."""
    asset, target, parcel = Asset.__table__.alias("a"), Asset.__table__.alias("t"), LandParcel.__table__
    act = ScenarioAction.__table__
    query = (
        sa.select(
            act.c.id,
            asset.c.code.label("building"),
            asset.c.name,
            act.c.action,
            act.c.fiscal_year,
            target.c.code.label("target"),
            act.c.new_use,
            parcel.c.code.label("parcel"),
            act.c.works_cost,
            act.c.notes,
        )
        .join(asset, asset.c.id == act.c.asset_id)
        .outerjoin(target, target.c.id == act.c.target_asset_id)
        .outerjoin(parcel, parcel.c.id == act.c.parcel_id)
        .where(act.c.scenario_id == scenario_id)
        .order_by(act.c.id)
    )
    rows = session.execute(query).mappings().all()
    columns = ["id", "building", "name", "action", "fiscal_year", "target", "new_use", "parcel", "works_cost", "notes"]
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    return frame.astype({"works_cost": "Int64"}) if len(frame) else frame


def _summary(row: PortfolioScenario, count: int) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "status": row.status,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "adopted_by": row.adopted_by,
        "adopted_at": row.adopted_at,
        "actions": count,
    }


def scenarios(session: Session) -> list[dict[str, Any]]:
    """`fm portfolio scenario list` and `GET /api/portfolio/scenarios`: every scenario, newest first."""
    query = sa.select(ScenarioAction.scenario_id, sa.func.count()).group_by(ScenarioAction.scenario_id)
    counts = {int(s): int(n) for s, n in session.execute(query).all()}
    rows = session.scalars(sa.select(PortfolioScenario).order_by(PortfolioScenario.id.desc()))
    return [_summary(r, counts.get(r.id, 0)) for r in rows]


def create(session: Session, name: str, *, description: str | None = None, actor: str, source: str = "web") -> str:
    """A new draft scenario; refused (naming the field) when the name is empty or taken."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("scenario, name: a name is required")
    if name in ("compare", "propose") or name.startswith("export.") or "/" in name:
        raise ValidationError(f"scenario {name!r}, name: choose another name (it is a word of the pages' addresses)")
    if len(name) > 200:
        raise ValidationError("scenario, name: at most 200 characters")
    if session.scalar(sa.select(PortfolioScenario.id).where(PortfolioScenario.name == name)) is not None:
        raise ValidationError(f"scenario {name!r}, name: a scenario of that name exists already")
    row = PortfolioScenario(name=name, description=(description or "").strip() or None, created_by=actor)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="create",
        table="portfolio_scenarios",
        record_id=row.id,
        code=name,
        changes=audit.diff({}, {"name": name, "description": row.description, "status": "draft"}),
    )
    return name


def _number(value: Any, field: str, *, line: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        raise ValidationError(f"{line}, {field}: {value!r} is not a whole number") from None
    return number


def add_action(
    session: Session,
    name: str,
    *,
    building: str,
    action: str,
    fiscal_year: Any,
    target: str | None = None,
    new_use: str | None = None,
    parcel: str | None = None,
    works_cost: Any = None,
    notes: str | None = None,
    actor: str,
    source: str = "web",
    today: date | None = None,
) -> dict[str, Any]:
    """Add an action to draft scenario ``name``, checked together with its other actions (nothing is written when
    one is wrong: every problem is named with the action, its building and the field)."""
    row = _actor_scenario(session, name)
    if row.status != "draft":
        raise Conflict(f"scenario {name!r} is adopted: its actions can no longer change")
    existing = _actions(session, row.id)
    line = f"action {len(existing) + 1} ({building or '?'})"
    new = {
        "building": (building or "").strip() or None,
        "action": (action or "").strip(),
        "fiscal_year": _number(fiscal_year, "fiscal_year", line=line),
        "target": (target or "").strip() or None,
        "new_use": (new_use or "").strip() or None,
        "parcel": (parcel or "").strip() or None,
        "works_cost": _number(works_cost, "works_cost", line=line),
    }
    actions = pd.concat([existing, pd.DataFrame([new])], ignore_index=True)
    today = today or date.today()
    reg = register(session, today=today, figures=False)
    problems = domain.check(reg, actions, current_year=fiscal_year_of(today), kinds=SERVICE_KINDS)
    if problems:
        raise ValidationError(problems)
    ids = reg.buildings.set_index("code")["id"]
    parcel_id = (
        None
        if new["parcel"] is None
        else int(session.scalar(sa.select(LandParcel.id).where(LandParcel.code == new["parcel"])))
    )
    values = {
        "scenario_id": row.id,
        "asset_id": int(ids[new["building"]]),
        "action": new["action"],
        "fiscal_year": new["fiscal_year"],
        "target_asset_id": None if new["target"] is None else int(ids[new["target"]]),
        "new_use": new["new_use"],
        "parcel_id": parcel_id,
        "works_cost": new["works_cost"],
        "notes": (notes or "").strip() or None,
    }
    record = ScenarioAction(**values)
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="create",
        table="scenario_actions",
        record_id=record.id,
        code=name,
        changes=audit.diff({}, {**values, "building": new["building"], "target": new["target"]}),
    )
    return {**new, "id": record.id}


def remove_action(session: Session, name: str, action_id: int, *, actor: str, source: str = "web") -> None:
    """Take an action out of draft scenario ``name`` (audited)."""
    row = _actor_scenario(session, name)
    if row.status != "draft":
        raise Conflict(f"scenario {name!r} is adopted: its actions can no longer change")
    found = session.get(ScenarioAction, action_id)
    if found is None or found.scenario_id != row.id:
        raise NotFound(f"scenario {name!r} has no action {action_id}")
    kept = {c: getattr(found, c) for c in ("asset_id", "action", "fiscal_year", "target_asset_id", "works_cost")}
    session.delete(found)
    audit.record(
        session,
        actor=actor,
        source=source,
        action="delete",
        table="scenario_actions",
        record_id=action_id,
        code=name,
        changes={f: [old, None] for f, (_, old) in audit.diff({}, kept).items()},
    )


def delete(session: Session, name: str, *, actor: str, source: str = "web") -> None:
    """Delete draft scenario ``name`` and its actions (audited); an adopted one is kept (what it wrote stays)."""
    row = _actor_scenario(session, name)
    if row.status != "draft":
        raise Conflict(f"scenario {name!r} is adopted: it is kept as the record of what was decided")
    session.delete(row)
    audit.record(
        session,
        actor=actor,
        source=source,
        action="delete",
        table="portfolio_scenarios",
        record_id=row.id,
        code=name,
        changes={"name": [name, None]},
    )


def _years(today: date, usage: pd.DataFrame) -> tuple[int, int]:
    """The first fiscal year of the horizon (the next) and the latest fiscal year of recorded usage."""
    current = fiscal_year_of(today)
    recorded = usage.loc[usage["fiscal_year"] <= current, "fiscal_year"]
    return current + 1, int(recorded.max()) if len(recorded) else current - 1


def _action_rows(actions: pd.DataFrame, lang: str) -> list[dict[str, Any]]:
    rows = []
    for record in actions.to_dict("records"):
        rows.append(
            {
                "id": int(record["id"]),
                "building": record["building"],
                "name": record["name"],
                "action": record["action"],
                "label": ACTION_LABELS[record["action"]][lang == "en"],
                "fiscal_year": int(record["fiscal_year"]),
                "target": None if missing(record["target"]) else record["target"],
                "new_use": None if missing(record["new_use"]) else record["new_use"],
                "parcel": None if missing(record["parcel"]) else record["parcel"],
                "works_cost": None if missing(record["works_cost"]) else int(record["works_cost"]),
                "notes": None if missing(record["notes"]) else record["notes"],
            }
        )
    return rows


def compare(session: Session, names: list[str], *, lang: str = "ja", today: date | None = None) -> dict[str, Any]:
    """`fm portfolio scenario compare A B … --format json` and `GET /api/portfolio/scenarios/compare?name=…`:
    doing nothing and each scenario side by side, each figure a row, and year by year. Kept until a watched table
    changes (fm/app/snapshots.py): a page shown again, its JSON and its workbook are not computed again."""
    if not names:
        raise ValidationError("compare, name: give at least one scenario")
    return _compared(session, tuple(names), lang, today or date.today())


@snapshotted
def _compared(session: Session, names: tuple[str, ...], lang: str, today: date) -> dict[str, Any]:
    rows = [_actor_scenario(session, n) for n in names]
    reg = register(session, today=today)
    start, usage_year = _years(today, reg.usage)
    columns = [
        {"name": None, "status": None, **domain.figures(reg, pd.DataFrame(), start=start, usage_year=usage_year)}
    ]
    skipped: list[dict[str, Any]] = []
    held = set(reg.buildings["code"])
    for row in rows:
        actions = _actions(session, row.id)
        gone = ~actions["building"].isin(held) | (actions["target"].notna() & ~actions["target"].isin(held))
        for number, action in zip(actions.index[gone] + 1, actions[gone].to_dict("records"), strict=True):
            skipped.append({"scenario": row.name, "action": int(number), "building": action["building"]})
        actions = actions[~gone]
        columns.append(
            {
                "name": row.name,
                "status": row.status,
                **domain.figures(reg, actions, start=start, usage_year=usage_year),
            }
        )
    figures = [
        {
            "key": key,
            "label": LABELS[key][lang == "en"],
            "nothing": columns[0][key],
            "scenarios": [c[key] for c in columns[1:]],
            "differences": [
                None if c[key] is None or columns[0][key] is None else _minus(c[key], columns[0][key])
                for c in columns[1:]
            ],
        }
        for key in FIGURES
    ]
    return {
        "start": start,
        "base_year": start - 1,
        "usage_year": usage_year,
        "scenarios": [r.name for r in rows],
        "figures": figures,
        "years": {"nothing": columns[0]["years"], **{c["name"]: c["years"] for c in columns[1:]}},
        "skipped": skipped,
        "unsited": sorted({code for row in rows for code in _unsited(reg, _actions(session, row.id))}),
    }


def _minus(a: Any, b: Any) -> Any:
    return a - b if isinstance(a, int) and isinstance(b, int) else round(float(a) - float(b), 2)


def _unsited(reg: domain.Register, actions: pd.DataFrame) -> list[str]:
    """Buildings the scenario closes whose site is not in the land register (their land is not counted)."""
    ids = reg.buildings.set_index("code")["id"]
    closing = actions[actions["action"].isin(("close", "merge", "sell")) & actions["parcel"].isna()]
    return [c for c in closing["building"] if c in ids.index and int(ids[c]) not in reg.sites.index]


def show(session: Session, name: str, *, lang: str = "ja", today: date | None = None) -> dict[str, Any]:
    """`fm portfolio scenario show NAME --format json` and `GET /api/portfolio/scenarios/<name>`: the scenario,
    its actions and its figures side by side with doing nothing."""
    row = _actor_scenario(session, name)
    actions = _actions(session, row.id)
    return {
        "scenario": _summary(row, len(actions)),
        "actions": _action_rows(actions, lang),
        "comparison": compare(session, [name], lang=lang, today=today),
    }


def export(session: Session, names: list[str], *, lang: str = "ja", today: date | None = None) -> bytes:
    """An Excel workbook: the side-by-side figures, the years, and each scenario's actions (text that would be a
    formula is kept as text)."""
    result = compare(session, names, lang=lang, today=today)
    nothing = "何もしない" if lang == "ja" else "Doing nothing"
    figures = pd.DataFrame(
        [
            {
                "指標" if lang == "ja" else "Figure": f["label"],
                nothing: f["nothing"],
                **dict(zip(result["scenarios"], f["scenarios"], strict=True)),
            }
            for f in result["figures"]
        ]
    )
    years = pd.concat(
        [
            pd.DataFrame(rows).assign(scenario=key if key != "nothing" else nothing)
            for key, rows in result["years"].items()
        ],
        ignore_index=True,
    )
    sheets = {"比較" if lang == "ja" else "Comparison": figures, "年度別" if lang == "ja" else "Years": years}
    for index, name in enumerate(names, start=1):
        row = _actor_scenario(session, name)
        sheets[f"{index}. {name}"[:31]] = pd.DataFrame(_action_rows(_actions(session, row.id), lang)).drop(
            columns=["id"], errors="ignore"
        )
    buffer = io.BytesIO()
    files.write_sheets({k: files.neutralise_formulas(v) for k, v in sheets.items()}, buffer)
    return buffer.getvalue()


def adopt(session: Session, name: str, *, actor: str, source: str = "web", today: date | None = None) -> dict[str, int]:
    """Turn draft scenario ``name`` into planned disposals and work orders, in the caller's one transaction,
    audited: each closed building's ``disposed_on`` (1 April of its closure year: the what-if's planned disposal),
    its site marked unused from then (a ``parcel_uses`` row), a sold parcel's ``disposed_on``, and a planned work
    order for each action with works (demolition, conversion). Refused when adopted already or when its actions
    no longer hold on the register as it is now."""
    row = _actor_scenario(session, name)
    if row.status == "adopted":
        raise Conflict(f"scenario {name!r} was adopted already (by {row.adopted_by}): it is not adopted twice")
    actions = _actions(session, row.id)
    if actions.empty:
        raise ValidationError(f"scenario {name!r}: it has no actions to adopt")
    today = today or date.today()
    reg = register(session, today=today)
    problems = domain.check(reg, actions, current_year=fiscal_year_of(today), kinds=SERVICE_KINDS)
    if problems:
        raise ValidationError([f"scenario {name!r}: {p}" for p in problems])
    changed = domain.apply(reg, actions)
    counts = {"disposals": 0, "unused_sites": 0, "parcels_sold": 0, "work_orders": 0}
    for asset_id, year in changed.closed.items():
        if asset_id in reg.closed.index:
            continue  # planned already (another scenario adopted, or set by hand)
        asset = session.get(Asset, int(asset_id))
        assert asset is not None
        _dispose(session, asset, fiscal_year_start(int(year)), table="assets", actor=actor, source=source)
        counts["disposals"] += 1
    before = reg.kpi.parcel_uses
    added = changed.kpi.parcel_uses.iloc[len(before) :]
    for use in added.to_dict("records"):
        record = ParcelUse(
            parcel_id=int(use["parcel_id"]),
            valid_from=use["valid_from"],
            current_use=f"{domain.SITE_USE}（{name}）"[:200],
            utilisation="unused",
        )
        if session.scalar(
            sa.select(ParcelUse.id).where(
                ParcelUse.parcel_id == record.parcel_id, ParcelUse.valid_from == record.valid_from
            )
        ):
            raise Conflict(f"parcel {use['parcel_id']}: a use from {record.valid_from} is recorded already")
        session.add(record)
        session.flush()
        audit.record(
            session,
            actor=actor,
            source=source,
            action="create",
            table="parcel_uses",
            record_id=record.id,
            changes=audit.diff(
                {},
                {
                    "parcel_id": record.parcel_id,
                    "valid_from": record.valid_from,
                    "current_use": record.current_use,
                    "utilisation": "unused",
                },
            ),
        )
        counts["unused_sites"] += 1
    sold = changed.kpi.parcels[changed.kpi.parcels["disposed_on"].notna()]
    for parcel_row in sold.to_dict("records"):
        parcel = session.get(LandParcel, int(parcel_row["id"]))
        assert parcel is not None
        if parcel.disposed_on == parcel_row["disposed_on"]:
            continue
        _dispose(session, parcel, parcel_row["disposed_on"], table="land_parcels", actor=actor, source=source)
        counts["parcels_sold"] += 1
    ids = reg.buildings.set_index("code")["id"]
    for index, action in enumerate(actions.to_dict("records"), start=1):
        if missing(action["works_cost"]) or action["action"] == "sell":
            continue
        work = "用途転換工事" if action["action"] == "convert" else "解体工事"
        order = WorkOrder(
            code=f"SCN-{row.id}-{index}"[:40],
            asset_id=int(ids[action["building"]]),
            kind="preventive",
            cause="planned",
            description=f"{work}: 施設再編の案「{name}」（{ACTION_LABELS[action['action']][0]}）",
            planned_on=fiscal_year_start(int(action["fiscal_year"])),
            planned_cost=int(action["works_cost"]),
            status="planned",
        )
        session.add(order)
        session.flush()
        fields = ("asset_id", "kind", "cause", "description", "planned_on", "planned_cost", "status")
        audit.record(
            session,
            actor=actor,
            source=source,
            action="create",
            table="work_orders",
            record_id=order.id,
            code=order.code,
            changes=audit.diff({}, {f: getattr(order, f) for f in fields}),
        )
        counts["work_orders"] += 1
    row.status = "adopted"
    row.adopted_by = actor
    row.adopted_at = audit.now()
    row.version += 1
    audit.record(
        session,
        actor=actor,
        source=source,
        action="update",
        table="portfolio_scenarios",
        record_id=row.id,
        code=name,
        changes={"status": ["draft", "adopted"]},
    )
    return counts


def propose(
    session: Session,
    kind: str,
    *,
    distance_m: float | None,
    use_network: bool = False,
    fiscal_year: int | None = None,
    year: int | None = None,
    name: str | None = None,
    actor: str,
    source: str = "web",
    today: date | None = None,
) -> dict[str, Any]:
    """A draft scenario proposed by fm: the facility-location optimiser's answer for ``kind`` within
    ``distance_m`` (`fm portfolio optimise`), each site it drops closed from ``year`` (default: the next fiscal
    year). Its actions are checked together and written in one transaction, or none is."""
    today = today or date.today()
    result, _costs, _areas = catchments.optimise_result(
        session, kind, distance_m=distance_m, use_network=use_network, fiscal_year=fiscal_year, today=today
    )
    year = year or fiscal_year_of(today) + 1
    how = "along the road network" if use_network else "straight-line"
    name = (name or f"fm: {kind} {result.distance_m:,.0f} m").strip()
    description = (
        f"Proposed by fm's facility-location optimiser: keep {len(result.keep)} sites of {kind} so that every area "
        f"stays within {result.distance_m:,.0f} m ({how}) at the least 40-year cost; close {len(result.close)}, "
        f"saving {result.saving:,} yen over 40 years."
        + ("" if result.optimal else " Not proven optimal: the solver stopped at its time limit.")
    )
    services = store.read_table(session, "services", ("id", "name", "kind"))
    housed = store.read_table(session, "service_buildings", ("service_id", "asset_id")).merge(
        services.rename(columns={"id": "service_id"}), on="service_id"
    )
    codes = store.read_assets(session, columns=("code",))
    others = housed[housed["kind"] != kind].merge(codes.rename(columns={"id": "asset_id"}), on="asset_id")
    others = others[others["code"].isin(result.close)]
    if len(others):
        listed = "; ".join(f"{c}: {'・'.join(sorted(g['name']))}" for c, g in others.groupby("code"))
        description += f" Also housed in the sites closed (closing ends them there; consider a merge): {listed}."
    create(session, name, description=description, actor=actor, source=source)
    for code in result.close:
        add_action(
            session, name, building=code, action="close", fiscal_year=year, actor=actor, source=source, today=today
        )
    return {
        "name": name,
        "keep": result.keep,
        "close": result.close,
        "saving": result.saving,
        "optimal": result.optimal,
        "fiscal_year": year,
    }


__all__ = [
    "ACTIONS",
    "ADOPTERS",
    "SERVICE_KINDS",
    "adopt",
    "add_action",
    "compare",
    "create",
    "delete",
    "export",
    "show",
]


def _dispose(session: Session, record: Asset | LandParcel, on: date, *, table: str, actor: str, source: str) -> None:
    """Plan ``record``'s disposal on ``on`` (a new version), audited."""
    old = record.disposed_on
    record.disposed_on = on
    record.version += 1
    audit.record(
        session,
        actor=actor,
        source=source,
        action="update",
        table=table,
        record_id=record.id,
        code=record.code,
        changes={"disposed_on": [audit.plain(old), audit.plain(on)]},
    )
