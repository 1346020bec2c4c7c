"""What happened to the demo assets from FY2014: inspections, work orders, plans, land use, usage.

All vectorised over the asset frame; the random generator makes it reproducible.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from fm.demo import places
from fm.demo.generate import (
    FIRST_FY,
    LAST_FY,
    _dates_in_fiscal_years,
    _rectangles,
    _sample_points,
)
from fm.domain.fiscal import fiscal_year_end

SOUNDNESS_CATEGORIES = ("bridge", "tunnel")
STATUTORY_CYCLE = 5  # years, 道路法施行規則 (2014)


def inspections(rng, assets: pd.DataFrame, *, first_id: int = 1) -> pd.DataFrame:
    """Bridges and tunnels on the statutory 5-year cycle (soundness Ⅰ–Ⅳ) from FY2014; the rest scored 1–5."""
    rows = []
    for category, group in assets.groupby("category", sort=True):
        soundness = category in SOUNDNESS_CATEGORIES
        cycle = {"sewer_pipe": 10, "road": 5}.get(category, STATUTORY_CYCLE if soundness else 3)
        first = FIRST_FY + rng.integers(0, cycle, len(group))
        age = (FIRST_FY - group["year_built"].to_numpy()).clip(0)
        state = np.clip(1 + (age / 25) + rng.normal(0, 0.7, len(group)), 1, 3).round().astype(int)
        if category == "sewer_pipe":  # TV-camera surveys of the older half only
            keep = group["year_built"].to_numpy() < 1985
        else:
            keep = np.ones(len(group), bool)
        for step in range(0, LAST_FY - FIRST_FY + 1, cycle):
            year = first + step
            due = keep & (year <= LAST_FY)
            worse = rng.random(len(group)) < (0.35 if soundness else 0.3)
            state = np.clip(state + worse, 1, 4 if soundness else 5)
            inspected = _dates_in_fiscal_years(rng, year[due])
            rows.append(
                pd.DataFrame(
                    {
                        "asset_id": group["id"].to_numpy()[due],
                        "inspected_on": inspected,
                        "inspector": np.where(
                            rng.random(due.sum()) < 0.6, "道路課 点検班", "委託（建設コンサルタント）"
                        ),
                        "method": ("close_visual" if soundness else "cctv" if category == "sewer_pipe" else "visual"),
                        "soundness": state[due] if soundness else pd.NA,
                        "condition_score": pd.NA if soundness else state[due],
                        "findings": np.where(state[due] >= 3, "ひび割れ・腐食あり。補修が望ましい。", "異常なし"),
                        "next_due_on": [d + timedelta(days=365 * cycle) for d in inspected],
                    }
                )
            )
    frame = pd.concat(rows, ignore_index=True).sort_values(["inspected_on", "asset_id"], ignore_index=True)
    frame.insert(0, "id", np.arange(first_id, first_id + len(frame)))
    return frame


def work_orders(rng, assets: pd.DataFrame, *, first_id: int = 1, scale: float = 1.0) -> pd.DataFrame:
    """Mostly reactive repairs after sudden failures early on, a growing preventive share later.

    ``scale`` multiplies the yearly numbers of works (1.0: the ~4,300-asset demo).
    """
    rows = []
    held = assets[assets["status"] != "disposed"]
    for year in range(FIRST_FY, LAST_FY + 1):
        progress = (year - FIRST_FY) / (LAST_FY - FIRST_FY)
        n_reactive = int(scale * (170 - 80 * progress + rng.integers(-10, 11)))
        n_preventive = int(scale * (15 + 100 * progress + rng.integers(-5, 6)))
        for kind, count in (("reactive", n_reactive), ("preventive", n_preventive), ("renewal", int(4 * scale))):
            chosen = held.iloc[rng.integers(0, len(held), count)]
            cost = {
                "reactive": rng.lognormal(14.3, 0.9, count),
                "preventive": rng.lognormal(15.4, 0.8, count),
                "renewal": rng.lognormal(18.0, 0.5, count),
            }[kind]
            completed = _dates_in_fiscal_years(rng, np.full(count, year))
            cause = (
                np.where(rng.random(count) < 0.75, "sudden_failure", "complaint")
                if kind == "reactive"
                else np.where(rng.random(count) < 0.6, "inspection_finding", "planned")
            )
            rows.append(
                pd.DataFrame(
                    {
                        "asset_id": chosen["id"].to_numpy(),
                        "kind": kind,
                        "cause": cause,
                        "description": {
                            "reactive": "突発的な不具合の修繕",
                            "preventive": "点検結果に基づく予防保全工事",
                            "renewal": "更新工事",
                        }[kind],
                        "planned_on": [d - timedelta(days=int(rng.integers(5, 120))) for d in completed],
                        "completed_on": completed,
                        "planned_cost": np.round(cost * rng.uniform(0.9, 1.1, count) / 1000).astype("int64") * 1000,
                        "actual_cost": np.round(cost / 1000).astype("int64") * 1000,
                        "status": "completed",
                    }
                )
            )
    # Preventive works planned for the current fiscal year, not yet done.
    count = int(60 * scale)
    chosen = held.iloc[rng.integers(0, len(held), count)]
    rows.append(
        pd.DataFrame(
            {
                "asset_id": chosen["id"].to_numpy(),
                "kind": "preventive",
                "cause": "planned",
                "description": "予防保全工事（計画）",
                "planned_on": _dates_in_fiscal_years(rng, np.full(count, LAST_FY + 1)),
                "completed_on": None,
                "planned_cost": np.round(rng.lognormal(15.4, 0.8, count) / 1000).astype("int64") * 1000,
                "actual_cost": pd.NA,
                "status": "planned",
            }
        )
    )
    frame = pd.concat(rows, ignore_index=True)
    frame.insert(0, "id", np.arange(first_id, first_id + len(frame)))
    frame.insert(1, "code", [f"WO-{i:07d}" for i in frame["id"]])
    return frame


BUILDING_PLANS = (  # category, title, adopted (None: being drafted)
    ("school", "鎌倉市学校施設長寿命化計画", date(2020, 3, 27)),
    ("childcare", "鎌倉市子ども関連施設個別施設計画", date(2021, 3, 26)),
    ("fire_station", "鎌倉市消防施設個別施設計画", date(2021, 3, 26)),
    ("office", "鎌倉市庁舎等個別施設計画", date(2022, 3, 25)),
    ("housing", "鎌倉市市営住宅長寿命化計画", None),
    ("community_centre", "鎌倉市集会施設個別施設計画", None),
    ("sports", "鎌倉市スポーツ施設個別施設計画", None),
    ("welfare", "鎌倉市保健福祉施設個別施設計画", None),
    ("hall", "鎌倉市文化施設個別施設計画", None),
    ("library", "鎌倉市図書館個別施設計画", None),
    ("plant", "鎌倉市供給処理施設個別施設計画", None),
    ("other_building", "鎌倉市その他施設個別施設計画", None),
)
INFRASTRUCTURE_PLANS = (  # category, title, adopted, yearly planned amount (yen)
    ("bridge", "鎌倉市橋梁長寿命化修繕計画", date(2013, 3, 29), 420_000_000),
    ("tunnel", "鎌倉市トンネル長寿命化修繕計画", date(2017, 3, 24), 60_000_000),
    ("road", "鎌倉市舗装個別施設計画", date(2018, 3, 23), 350_000_000),
    ("sewer_pipe", "鎌倉市下水道ストックマネジメント計画", date(2019, 3, 22), 900_000_000),
    ("park", "鎌倉市公園施設長寿命化計画", date(2016, 3, 25), 120_000_000),
    ("river", "鎌倉市河川施設個別施設計画", date(2020, 3, 27), 80_000_000),
)


def plans(rng, assets: pd.DataFrame, *, covered_at_end: int, coverage_year: int) -> dict[str, pd.DataFrame]:
    """Individual plans, the assets they cover, their works and yearly amounts.

    Of the facilities needing a plan, exactly ``covered_at_end`` (in the order of the
    building plans) are covered by a plan adopted by the end of ``coverage_year``;
    the category the cut falls in is split into an adopted first phase and a second
    phase still being drafted.
    """
    end = fiscal_year_end(coverage_year)
    need = assets[
        assets["needs_individual_plan"]
        & (pd.to_datetime(assets["disposed_on"]).isna() | (pd.to_datetime(assets["disposed_on"]) > pd.Timestamp(end)))
    ]
    order = {cat: i for i, (cat, _, _) in enumerate(BUILDING_PLANS)}
    need = need.assign(rank=need["category"].map(order)).sort_values(["rank", "id"])
    adopted_by_end = {cat for cat, _, when in BUILDING_PLANS if when and when <= end}
    plan_rows, links = [], []
    position = 0
    for cat, title, adopted in BUILDING_PLANS:
        members = need.loc[need["category"] == cat, "id"].to_list()
        if cat in adopted_by_end and position + len(members) > covered_at_end:
            raise ValueError("calibration: adopted plans cover more facilities than the published coverage")
        phases = [(title, adopted, members)]
        if cat not in adopted_by_end and position < covered_at_end:
            cut = covered_at_end - position
            phases = [
                (f"{title}（第1期）", date(end.year, 3, 13), members[:cut]),
                (f"{title}（第2期）", None, members[cut:]),
            ]
        for phase_title, when, ids in phases:
            if not ids:
                continue
            plan_id = len(plan_rows) + 1
            start_fy = (when.year if when and when.month >= 4 else when.year - 1) + 1 if when else LAST_FY + 1
            plan_rows.append(
                {
                    "id": plan_id,
                    "code": f"IP-{plan_id:03d}",
                    "title": phase_title,
                    "adopted_on": when,
                    "period_start_fy": start_fy,
                    "period_end_fy": start_fy + 9,
                    "under_infrastructure_plan": False,
                }
            )
            links += [{"plan_id": plan_id, "asset_id": a} for a in ids]
            if when and when <= end:
                position += len(ids)
    budget = []
    for cat, title, adopted, yearly in INFRASTRUCTURE_PLANS:
        plan_id = len(plan_rows) + 1
        start_fy = adopted.year  # adopted in March: the plan runs from the next fiscal year
        plan_rows.append(
            {
                "id": plan_id,
                "code": f"IP-{plan_id:03d}",
                "title": title,
                "adopted_on": adopted,
                "period_start_fy": start_fy,
                "period_end_fy": start_fy + 19,
                "under_infrastructure_plan": True,
            }
        )
        members = assets.loc[assets["category"] == cat, "id"]
        links += [{"plan_id": plan_id, "asset_id": a} for a in members.head(60 if cat == "bridge" else None)]
        for year in range(max(start_fy, 2016), LAST_FY + 1):
            planned = int(round(yearly * rng.uniform(0.8, 1.2), -3))
            budget.append(
                {
                    "plan_id": plan_id,
                    "fiscal_year": year,
                    "planned_amount": planned,
                    "executed_amount": int(round(planned * rng.uniform(0.35, 0.85), -3)),
                }
            )
    plan_frame = pd.DataFrame(plan_rows)
    works = []
    for plan in plan_rows:
        members = [link["asset_id"] for link in links if link["plan_id"] == plan["id"]][:8]
        for asset_id in members:
            works.append(
                {
                    "plan_id": plan["id"],
                    "asset_id": asset_id,
                    "fiscal_year": int(plan["period_start_fy"] + rng.integers(0, 10)),
                    "description": "長寿命化改修",
                    "cost": int(round(rng.lognormal(17.5, 0.6), -3)),
                }
            )
    budget_frame = pd.DataFrame(budget)
    budget_frame.insert(0, "id", np.arange(1, len(budget_frame) + 1))
    works_frame = pd.DataFrame(works)
    works_frame.insert(0, "id", np.arange(1, len(works_frame) + 1))
    return {
        "individual_plans": plan_frame,
        "plan_assets": pd.DataFrame(links).drop_duplicates(),
        "plan_works": works_frame,
        "plan_budget_items": budget_frame,
    }


def parcels(rng, boundary, district_of, count: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Public land parcels (EPSG:6677 geometries) and the history of their use since FY2014."""
    area = rng.lognormal(6.3, 0.9, count).clip(80, 6000)
    geoms = _rectangles(rng, _sample_points(rng, count, boundary), area)
    acquired = [
        date(int(y), 4, 1) + timedelta(days=int(d))
        for y, d in zip(rng.integers(1960, 2014, count), rng.integers(0, 365, count), strict=True)
    ]
    frame = pd.DataFrame(
        {
            "id": np.arange(1, count + 1),
            "code": [f"LP-{i:04d}" for i in range(1, count + 1)],
            "name": None,
            "owner_department": rng.choice(places.OWNER_DEPARTMENTS, count),
            "district_id": district_of(geoms),
            "geom": geoms,
            "acquired_on": acquired,
            "disposed_on": None,
        }
    )
    frame["name"] = [
        f"{places.PLACES[places.DISTRICTS[int(d) - 1][0]][i % 5]}地内 {c}"
        for i, (d, c) in enumerate(zip(frame["district_id"], frame["code"], strict=True))
    ]
    # Disposals (sold or transferred) in recent years.
    sold = rng.choice(count, 12, replace=False)
    frame.loc[sold, "disposed_on"] = _dates_in_fiscal_years(rng, rng.integers(2016, 2026, 12))
    uses = []
    initial = rng.choice(["in_use", "underused", "unused"], count, p=[0.86, 0.08, 0.06])
    for parcel_id, state, acquired_on in zip(frame["id"], initial, frame["acquired_on"], strict=True):
        uses.append((parcel_id, acquired_on, state))
        for year in range(2015, LAST_FY + 1):  # now and then a parcel's use changes
            if rng.random() < 0.025:
                state = rng.choice(["in_use", "underused", "unused"], p=[0.55, 0.25, 0.2])
                uses.append((parcel_id, _dates_in_fiscal_years(rng, [year])[0], state))
    use_frame = pd.DataFrame(uses, columns=["parcel_id", "valid_from", "utilisation"])
    use_frame = use_frame.drop_duplicates(["parcel_id", "valid_from"], keep="last").reset_index(drop=True)
    use_frame["current_use"] = [
        places.PARCEL_USES[u][rng.integers(len(places.PARCEL_USES[u]))] for u in use_frame["utilisation"]
    ]
    use_frame.insert(0, "id", np.arange(1, len(use_frame) + 1))
    return frame, use_frame


def restrictions(inspections: pd.DataFrame, work_orders: pd.DataFrame, *, first_id: int = 1) -> pd.DataFrame:
    """A traffic restriction (通行規制) after each soundness Ⅳ judgement, as a city records one: from 1–20
    days after the inspection (within the 30 days of grace), a load limit or, one time in three, a closure,
    until the asset's next completed work order (in force when there is none). A Ⅳ judged while a
    restriction is still in force adds none. Derived from the inspections and work orders alone (no
    random draw), so the other tables stay byte for byte as they were."""
    fourth = inspections[inspections["soundness"].astype("Float64") == 4].copy()
    fourth["inspected_on"] = pd.to_datetime(fourth["inspected_on"])
    done = work_orders[work_orders["status"] == "completed"].assign(
        completed_on=lambda w: pd.to_datetime(w["completed_on"])
    )
    completions = {a: sorted(g["completed_on"]) for a, g in done.groupby("asset_id")}
    rows: list[dict[str, object]] = []
    in_force_until: dict[int, pd.Timestamp | None] = {}
    for row in fourth.sort_values(["inspected_on", "id"]).itertuples():
        asset = int(row.asset_id)
        if asset in in_force_until and (in_force_until[asset] is None or in_force_until[asset] >= row.inspected_on):
            continue
        starts = row.inspected_on + pd.Timedelta(days=1 + asset % 20)
        later = [d for d in completions.get(asset, []) if d > starts]
        ends = later[0] if later else None
        in_force_until[asset] = ends
        rows.append(
            {
                "code": f"TR-{first_id + len(rows):04d}",
                "asset_id": asset,
                "inspection_id": int(row.id),
                "kind": "closed" if asset % 3 == 0 else "load_limit",
                "starts_on": starts.date(),
                "ends_on": None if ends is None else ends.date(),
                "notes": "点検で判定区分Ⅳ：緊急措置として通行規制",
            }
        )
    frame = pd.DataFrame(rows, columns=["code", "asset_id", "inspection_id", "kind", "starts_on", "ends_on", "notes"])
    return frame.assign(id=np.arange(first_id, first_id + len(frame)))
