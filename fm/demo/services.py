"""The demo's services (機能) in its buildings, their yearly usage, and district population by age class.

Every building in the register houses at least one service named after it; a few house several, as
Kamakura's do (a 子どもの家 and a 子ども会館 under one roof, a branch library and a learning centre in a
行政センター, the citizens' counter in the city hall and the 市民サービスコーナー). Usage FY2019–FY2025
follows a trend per kind of service and district (fewer children where the population ages, more elderly
care), with the 2020–21 pandemic dip. Drawn from a random generator of its own, so the other tables of
the register stay byte for byte as they were.

Population: the counts by district and the share aged 65+ are the ones in the project's domain notes
(total 172,938; to check against the city's 地域別人口), the 0–14 share is the city's order of magnitude
applied to every district (derived), and the projection to 2050 is **derived** (fm demo), not the city's
or the national institute's series: a decline with a rising share aged 65+.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from fm.demo.places import AGED_SHARE, DISTRICTS, POPULATION
from fm.domain.fiscal import fiscal_year_end
from fm.domain.money import measured, priced

FIRST_FY, LAST_FY = 2019, 2025

KIND_OF_CATEGORY = {
    "school": "school",
    "community_centre": "community_centre",
    "library": "library",
    "hall": "culture",
    "office": "office",
    "sports": "sports",
    "welfare": "welfare",
    "childcare": "child_care",
    "housing": "housing",
    "fire_station": "fire",
    "plant": "utility",
    "other_building": "other",
}

TREND = {  # change of users a year, by kind of service
    "child_care": -0.02,
    "youth": -0.035,
    "school": -0.015,
    "library": -0.01,
    "community_centre": -0.015,
    "culture": 0.0,
    "sports": -0.005,
    "elderly_care": 0.035,
    "welfare": 0.02,
    "health": 0.01,
}
AGEING = {1: -0.01, 2: -0.02, 3: -0.005, 4: 0.01, 5: 0.0}
"""Extra change of users a year by district id (腰越 ages fastest, 大船 grows)."""

COST_PER_M2 = {  # operating cost a year per m² occupied, yen
    "citizen_counter": 38_000,
    "office": 22_000,
    "library": 30_000,
    "community_centre": 14_000,
    "culture": 26_000,
    "sports": 18_000,
    "child_care": 45_000,
    "youth": 16_000,
    "elderly_care": 32_000,
    "welfare": 24_000,
    "health": 28_000,
    "school": 9_000,
    "housing": 3_000,
    "fire": 20_000,
    "utility": 60_000,
    "other": 6_000,
}

EXTRA = (
    # (building code, service code, name, kind, share of the building's floor area, opening hours)
    ("BL-00002", "SV-L02", "腰越図書館", "library", 0.25, "9:00-17:00 (月休)"),
    ("BL-00002", "SV-C02", "腰越学習センター", "community_centre", 0.25, "9:00-21:30"),
    ("BL-00003", "SV-L03", "深沢図書館", "library", 0.2, "9:00-17:00 (月休)"),
    ("BL-00003", "SV-C03", "深沢学習センター", "community_centre", 0.3, "9:00-21:30"),
    ("BL-00004", "SV-C04", "大船学習センター", "community_centre", 0.35, "9:00-21:30"),
    ("BL-00005", "SV-L05", "玉縄図書館", "library", 0.2, "9:00-17:00 (月休)"),
    ("BL-00006", "SV-Q01", "市民課窓口", "citizen_counter", 0.3, "8:30-17:15 (平日)"),
    ("BL-00009", "SV-K09", "だいにこどもの家", "child_care", 0.015, "放課後-19:00"),
    ("BL-00020", "SV-K20", "いまいずみこどもの家", "child_care", 0.02, "放課後-19:00"),
    ("BL-00057", "SV-C57", "鎌倉芸術館 集会室", "community_centre", 0.08, "9:00-22:00"),
    ("BL-00072", "SV-E72", "老人福祉センター", "elderly_care", 0.45, "9:00-16:30"),
    ("BL-00075", "SV-E75", "深沢 高齢者デイサービス", "elderly_care", 0.4, "9:00-16:30"),
    ("BL-00076", "SV-H76", "玉縄 保健相談室", "health", 0.2, "8:30-17:15 (平日)"),
)
"""Further services in buildings that house their own: real names of Kamakura's services, their housing here
is the demo's (synthetic)."""

YOUNG_SHARE = 0.115
POPULATION_SOURCE = "住民基本台帳による地域別人口（二次資料、要確認）"
PROJECTION_SOURCE = "fm デモの推計（5年ごとに 0–14歳 ×0.93、15–64歳 ×0.95、65歳以上 ×1.03）：公表値ではない"
SPARE_CLASSROOMS = 0.12
"""Share of a school's floor area its school does not occupy (spare classrooms, 余裕教室: fm's assumption)."""
STEP = {"age_0_14": 0.93, "age_15_64": 0.95, "age_65_over": 1.03}


def tables(assets: pd.DataFrame, *, seed: int) -> dict[str, pd.DataFrame]:
    """``services``, ``service_buildings``, ``service_usage`` and ``district_population`` of the demo."""
    rng = np.random.default_rng(seed + 16)
    housed = _housed(assets)
    services = housed.drop_duplicates("service_code")[["service_code", "name", "kind"]].rename(
        columns={"service_code": "code"}
    )
    services.insert(0, "id", np.arange(1, len(services) + 1))
    ids = services.set_index("code")["id"]
    buildings = pd.DataFrame(
        {
            "id": np.arange(1, len(housed) + 1),
            "service_id": housed["service_code"].map(ids).to_numpy(),
            "asset_id": housed["asset_id"].to_numpy(),
            # down to 0.1 m², so that the shares of a building never add up to more than its floor area; a school
            # leaves spare classrooms (余裕教室) unoccupied, the room a merge (複合化) moves another service into
            "floor_area_m2": np.floor(
                housed["floor_area_m2"].to_numpy()
                * np.where(housed["kind"] == "school", 1 - SPARE_CLASSROOMS, 1.0)
                * 10
                + 1e-6
            )
            / 10,
            "opening_hours": housed["opening_hours"].to_numpy(),
            "hours_per_week": housed["hours_per_week"].to_numpy(),
        }
    )
    return {
        "services": services,
        "service_buildings": buildings,
        "service_usage": _usage(rng, housed, ids),
        "district_population": population(),
    }


def _housed(assets: pd.DataFrame) -> pd.DataFrame:
    """One row per service and building: the building's own service takes what the others leave."""
    held = assets[
        assets["floor_area_m2"].notna()
        & assets["category"].isin(list(KIND_OF_CATEGORY))
        & assets["deck_area_m2"].isna()
    ]
    rows = []
    by_code = held.set_index("code")
    extra = pd.DataFrame(EXTRA, columns=["asset_code", "service_code", "name", "kind", "share", "opening_hours"])
    taken = extra.groupby("asset_code")["share"].sum()
    for asset in held.itertuples():
        kind = KIND_OF_CATEGORY[asset.category]
        name = asset.name
        if kind == "office" and "行政センター" in name:
            kind = "citizen_counter"
        if asset.code == "BL-00001":
            kind, name = "citizen_counter", "市民窓口（本庁舎・市民サービスコーナー）"
        parts = _split_children(name) if kind == "child_care" else None
        own = 1.0 - float(taken.get(asset.code, 0.0))
        if parts:
            rows.append((asset, f"SV-{asset.code[3:]}", parts[0], "child_care", own * 0.6, "放課後-19:00"))
            rows.append((asset, f"SV-{asset.code[3:]}Y", parts[1], "youth", own * 0.4, "9:30-17:00"))
        else:
            rows.append((asset, f"SV-{asset.code[3:]}", name, kind, own, _hours(kind)))
    for item in extra[extra["asset_code"].isin(by_code.index)].itertuples():
        rows.append((by_code.loc[[item.asset_code]].reset_index().iloc[0], *list(item)[2:]))
    # The citizens' counter of the city hall is one service in two buildings (本庁舎 and the コーナー).
    counter = next((r for r in rows if r[1] == "SV-00001"), (None, "", ""))
    frame = pd.DataFrame(
        [
            {
                "asset_id": int(a.id),
                "asset_code": a.code,
                "district_id": a.district_id,
                "disposed_on": a.disposed_on,
                "annual_users": a.annual_users,
                "service_code": "SV-00001" if code == "SV-Q01" else code,
                "name": counter[2] if code == "SV-Q01" else name,
                "kind": kind,
                "floor_area_m2": float(a.floor_area_m2) * share,
                "user_share": share,
                "opening_hours": hours,
                "hours_per_week": _weekly(hours),
            }
            for a, code, name, kind, share, hours in rows
        ]
    )
    return frame.sort_values(["service_code", "asset_id"], kind="stable").reset_index(drop=True)


def _split_children(name: str) -> tuple[str, str] | None:
    """``だいいち子どもの家・第一子ども会館`` → the 子どもの家 and the 子ども会館 (None if not both)."""
    for separator in ("・", " ", "\u3000"):
        if separator in name:
            first, second = name.split(separator, 1)
            if "の家" in first and "会館" in second:
                return first, second
    return None


def _hours(kind: str) -> str | None:
    return {
        "citizen_counter": "8:30-17:15 (平日)",
        "office": "8:30-17:15 (平日)",
        "library": "9:00-19:00 (月休)",
        "community_centre": "9:00-21:30",
        "culture": "9:00-17:00 (月休)",
        "sports": "9:00-21:00",
        "child_care": "7:00-19:00 (平日・土)",
        "elderly_care": "9:00-16:30",
        "welfare": "9:00-16:30",
        "school": "8:00-17:00 (授業日)",
    }.get(kind)


def _weekly(hours: str | None) -> float | None:
    """Hours a week from an ``H:MM-H:MM`` opening (6 days a week, 5 on weekdays only)."""
    if not hours or "-" not in hours or not hours[0].isdigit():
        return None
    start, end = (part.split(" ")[0] for part in hours.split("-", 1))
    try:
        (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
    except ValueError:
        return None
    days = 5 if "平日" in hours else 6
    return round(((h2 * 60 + m2) - (h1 * 60 + m1)) / 60 * days, 2)


def _usage(rng, housed: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """Users and operating cost a year per service, FY2019–FY2025, while one of its buildings is held."""
    per_service = housed.groupby("service_code", sort=True).agg(
        users=("annual_users", lambda u: 0.0),
        area=("floor_area_m2", "sum"),
        kind=("kind", "first"),
        district=("district_id", "first"),
        disposed=("disposed_on", "max"),
    )
    per_service["users"] = (
        (housed["annual_users"].fillna(0) * housed["user_share"]).groupby(housed["service_code"]).sum()
    )
    level = rng.uniform(0.7, 1.2, len(per_service))  # how busy each service is against its building's figure
    # Each service's own cost per m², whole yen drawn within ±15 % of its kind's (money never from a float).
    typical = per_service["kind"].map(COST_PER_M2).to_numpy(dtype="int64")
    unit = rng.integers(typical * 85 // 100, typical * 115 // 100, endpoint=True).tolist()
    area = measured(per_service["area"].to_numpy())
    service = np.arange(len(per_service))
    trend = per_service["kind"].map(TREND).fillna(0.0).to_numpy() + per_service["district"].map(AGEING).fillna(0.0)
    rows = []
    for year in range(FIRST_FY, LAST_FY + 1):
        held = pd.to_datetime(per_service["disposed"]).isna() | (
            pd.to_datetime(per_service["disposed"]) > pd.Timestamp(fiscal_year_end(year))
        )
        dip = {2020: 0.55, 2021: 0.75}.get(year, 1.0)
        growth = (1 + trend.to_numpy()) ** (year - FIRST_FY)
        users = per_service["users"].to_numpy() * level * growth * dip * rng.uniform(0.96, 1.04, len(per_service))
        # area × unit × 1.012^years rounded half up to the thousand yen, in integers
        thousands = priced(area, unit, which=service, share=Fraction(1012, 1000) ** (year - FIRST_FY) / 1000)
        rows.append(
            pd.DataFrame(
                {
                    "service_id": per_service.index.map(ids).to_numpy(),
                    "fiscal_year": year,
                    "users": np.round(users).astype("int64"),
                    "operating_cost": (thousands * 1000).astype("int64"),
                }
            )[held.to_numpy()]
        )
    frame = pd.concat(rows, ignore_index=True).sort_values(["service_id", "fiscal_year"], kind="stable")
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def population() -> pd.DataFrame:
    """Population by district (ids 1–5) for FY2024 (counted) and every fifth year 2030–2050 (projected)."""
    rows = []
    for district, (code, *_names) in enumerate(DISTRICTS, start=1):
        total, old_share = POPULATION[code], AGED_SHARE[code]
        young = round(total * YOUNG_SHARE)
        old = round(total * old_share)
        counts = {"age_0_14": young, "age_15_64": total - young - old, "age_65_over": old}
        rows.append({"district_id": district, "fiscal_year": 2024, **counts, "projected": False})
        rows[-1]["source"] = POPULATION_SOURCE
        for step, year in enumerate(range(2030, 2051, 5), start=1):
            projected = {k: round(v * STEP[k] ** step) for k, v in counts.items()}
            rows.append(
                {
                    "district_id": district,
                    "fiscal_year": year,
                    **projected,
                    "projected": True,
                    "source": PROJECTION_SOURCE,
                }
            )
    frame = pd.DataFrame(rows).sort_values(["district_id", "fiscal_year"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame
