"""One function per indicator: frames of records in, a :class:`Measure` out.

Every measure is evaluated at the end of a fiscal year (31 March) and carries the
records it counted (``Measure.records``), so a figure can always be traced back.
Definitions, what is counted and the edge cases: ``docs/indicators.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from fm.domain.depreciation import accumulated_depreciation
from fm.domain.duties import STARTED, DutySettings, find_duties
from fm.domain.duties import load_settings as load_duty_settings
from fm.domain.fiscal import fiscal_year as to_fiscal_year
from fm.domain.fiscal import fiscal_year_end
from fm.domain.geo import area_m2
from fm.domain.money import percent, total

UNDERUSED = ("underused", "unused")
REPAIR_KINDS = ("preventive", "reactive")


@dataclass(frozen=True)
class Indicator:
    """What an indicator is: names, unit, the direction that is better, published precision."""

    key: str
    name: str
    name_en: str
    unit: str
    direction: str  # "up" or "down": which way is better
    decimals: int


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator("plan_coverage", "個別施設計画の策定率", "Individual facility plan coverage", "%", "up", 1),
        Indicator("underused_land", "公有地における低未利用地の面積", "Underused public land", "m²", "down", 2),
        Indicator(
            "aging_ratio", "有形固定資産減価償却率", "Aging ratio (accumulated depreciation / cost)", "%", "down", 1
        ),
        Indicator(
            "execution_rate",
            "社会基盤施設マネジメント計画に紐づく各個別計画の総執行率",
            "Execution rate of the infrastructure individual plans",
            "%",
            "up",
            1,
        ),
        Indicator(
            "preventive_share", "修繕費に占める予防保全の割合", "Preventive share of repair spending", "%", "up", 1
        ),
        Indicator(
            "reactive_repairs",
            "突発的な故障による事後修繕の件数",
            "Reactive repairs after sudden failure",
            "件",
            "down",
            0,
        ),
        Indicator(
            "measures_started",
            "判定区分Ⅲ・Ⅳの施設の措置着手率",
            "Measures started on structures judged III or IV",
            "%",
            "up",
            1,
        ),
        Indicator(
            "measures_completed",
            "判定区分Ⅲ・Ⅳの施設の措置完了率",
            "Measures completed on structures judged III or IV",
            "%",
            "up",
            1,
        ),
    )
}
CYCLE_YEARS = 5  # the periodic inspection cycle: the cohort of the measure rates (docs/indicators.md)


@dataclass(frozen=True)
class KpiData:
    """The records the indicators read, as frames with the database's column names."""

    assets: pd.DataFrame
    categories: pd.DataFrame
    plans: pd.DataFrame
    plan_assets: pd.DataFrame
    budget_items: pd.DataFrame
    parcels: gpd.GeoDataFrame
    parcel_uses: pd.DataFrame
    work_orders: pd.DataFrame
    inspections: pd.DataFrame | None = None
    restrictions: pd.DataFrame | None = None
    duty_settings: DutySettings | None = None
    inspection_cycle: Callable[[str], float] | None = None
    # what the two measure rates of a year share (their structures, from one find_duties), kept with the records
    shared: dict[Any, pd.DataFrame] = field(default_factory=dict, init=False, compare=False, repr=False)


@dataclass(frozen=True)
class Measure:
    """One indicator in one fiscal year. ``value`` is None when undefined, and ``note`` says why."""

    indicator: str
    fiscal_year: int
    value: float | None
    numerator: float
    denominator: float | None
    records: pd.DataFrame = field(repr=False)
    note: str | None = None
    breakdown: list[dict[str, Any]] | None = None

    def rounded(self) -> float | None:
        """The value at the indicator's published precision (half up): a ratio of whole numbers (yen, counts) from
        its exact fraction, any other value from its decimal repr."""
        return published(self.value, self.numerator, self.denominator, INDICATORS[self.indicator].decimals)


def published(value: float | None, numerator: Any, denominator: Any, decimals: int) -> float | None:
    """``value`` at ``decimals`` places, half up: exactly :func:`fm.domain.money.percent` of its parts when they are
    whole numbers (so a sum of yen past 2⁵³ is not first turned into a float), else :func:`half_up`.

    >>> published(0.35, 7, 2_000, 1), published(9039.0812, 9039.0812, None, 2)
    (0.4, 9039.08)
    """
    if value is None:
        return None
    whole = (int, np.integer)
    if isinstance(numerator, whole) and isinstance(denominator, whole) and not isinstance(numerator, bool):
        return percent(int(numerator), int(denominator), decimals)
    return half_up(value, decimals)


def half_up(value: float, decimals: int) -> float:
    """``value`` at ``decimals`` places, rounded half up as the published figures are.

    >>> half_up(2.25, 1), round(2.25, 1)
    (2.3, 2.2)
    """
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator`` as a share of ``denominator`` in %, unrounded; None when the denominator is 0.

    >>> ratio(1, 8), ratio(3, 0)
    (12.5, None)
    """
    return 100.0 * numerator / denominator if denominator else None


def _held(frame: pd.DataFrame, acquired: str, disposed: str, end: pd.Timestamp) -> pd.Series:
    """True for rows acquired by ``end`` (or of unknown date) and not disposed of by it."""
    acquired_on, disposed_on = pd.to_datetime(frame[acquired]), pd.to_datetime(frame[disposed])
    return (acquired_on.isna() | (acquired_on <= end)) & (disposed_on.isna() | (disposed_on > end))


def _end(fiscal_year: int) -> pd.Timestamp:
    return pd.Timestamp(fiscal_year_end(fiscal_year))


def plan_coverage(data: KpiData, *, fiscal_year: int) -> Measure:
    """個別施設計画の策定率: facilities needing a plan that one adopted, in-force plan covers, in %.

    Counted: assets flagged ``needs_individual_plan`` and held at the year's end. Covered:
    linked to a plan adopted on or before the year's end whose period has not ended
    before the year.

    Examples
    --------
    >>> assets = pd.DataFrame({"id": [1, 2], "code": ["A", "B"], "name": ["a", "b"], "category": ["school"] * 2,
    ...     "needs_individual_plan": [True, True], "acquisition_date": [None, None], "disposed_on": [None, None]})
    >>> plans = pd.DataFrame({"id": [7], "code": ["P"], "adopted_on": [pd.Timestamp("2025-06-01")],
    ...                       "period_start_fy": [2025], "period_end_fy": [2034]})
    >>> data = KpiData(assets, None, plans, pd.DataFrame({"plan_id": [7], "asset_id": [1]}), None, None, None, None)
    >>> plan_coverage(data, fiscal_year=2025).value, plan_coverage(data, fiscal_year=2024).value
    (50.0, 0.0)
    """
    end = _end(fiscal_year)
    assets = data.assets
    need = assets[assets["needs_individual_plan"].astype(bool) & _held(assets, "acquisition_date", "disposed_on", end)]
    plans = data.plans
    adopted = pd.to_datetime(plans["adopted_on"])
    in_force = plans[
        adopted.notna() & (adopted <= end) & (plans["period_end_fy"].isna() | (plans["period_end_fy"] >= fiscal_year))
    ]
    links = data.plan_assets.merge(
        in_force[["id", "code"]].rename(columns={"id": "plan_id", "code": "plan_code"}), on="plan_id"
    )
    first_plan = links.sort_values("plan_code").drop_duplicates("asset_id").set_index("asset_id")["plan_code"]
    records = need[["id", "code", "name", "category"]].copy()
    records["plan_code"] = records["id"].map(first_plan)
    records["covered"] = records["plan_code"].notna()
    covered, needed = int(records["covered"].sum()), len(records)
    return Measure(
        "plan_coverage",
        fiscal_year,
        ratio(covered, needed),
        covered,
        needed,
        records,
        None if needed else "no facility needs an individual plan: the coverage is undefined",
    )


def underused_land(data: KpiData, *, fiscal_year: int) -> Measure:
    """公有地における低未利用地の面積: area in m² (EPSG:6677) of held parcels underused or unused at the year's end.

    A parcel's state at the year's end is its latest ``parcel_uses`` row dated on or
    before that day; a parcel straddling a district boundary counts once, whole.
    """
    end = _end(fiscal_year)
    parcels = data.parcels[_held(data.parcels, "acquired_on", "disposed_on", end)]
    uses = data.parcel_uses.assign(valid_from=pd.to_datetime(data.parcel_uses["valid_from"]))
    state = (
        uses[uses["valid_from"] <= end]
        .sort_values(["parcel_id", "valid_from"])
        .drop_duplicates("parcel_id", keep="last")[["parcel_id", "utilisation", "current_use", "valid_from"]]
    )
    flagged = parcels.merge(state[state["utilisation"].isin(UNDERUSED)], left_on="id", right_on="parcel_id")
    records = pd.DataFrame(
        {
            "id": flagged["id"],
            "code": flagged["code"],
            "name": flagged["name"],
            "owner_department": flagged["owner_department"],
            "utilisation": flagged["utilisation"],
            "current_use": flagged["current_use"],
            "since": flagged["valid_from"].dt.date,
            "area_m2": area_m2(gpd.GeoDataFrame(flagged, geometry=parcels.geometry.name, crs=parcels.crs)),
        }
    )
    total = float(records["area_m2"].sum())
    return Measure("underused_land", fiscal_year, total, total, None, records)


def aging_ratio(data: KpiData, *, fiscal_year: int, convention: str = "fiscal-year") -> Measure:
    """有形固定資産減価償却率: accumulated depreciation / acquisition cost of the depreciable assets held, in %.

    Counted: assets held at the year's end with an acquisition date and a cost > 0
    (land is not an asset here, so none is counted). Useful life: the asset's own, else
    its category's. Depreciation: :func:`fm.domain.depreciation.accumulated_depreciation`.
    """
    end = _end(fiscal_year)
    assets = data.assets
    acquired = pd.to_datetime(assets["acquisition_date"])
    counted = assets[
        _held(assets, "acquisition_date", "disposed_on", end)
        & acquired.notna()
        & (assets["acquisition_cost"].fillna(0) > 0)
    ]
    default_life = counted["category"].map(data.categories.set_index("code")["useful_life_years"])
    life = counted["useful_life_years"].fillna(default_life).astype("int64")
    accumulated = accumulated_depreciation(
        counted["acquisition_cost"],
        pd.to_datetime(counted["acquisition_date"]),
        life,
        fiscal_year_of=fiscal_year,
        convention=convention,
    )
    records = (
        counted[["id", "code", "name", "category", "acquisition_date", "acquisition_cost"]]
        .assign(
            useful_life_years=life,
            accumulated_depreciation=accumulated,
            book_value=counted["acquisition_cost"].astype("int64") - accumulated,
        )
        .reset_index(drop=True)
    )
    # exact totals in Python integers (an int64 sum wraps round silently past 9.2 × 10¹⁸ yen)
    cost, depreciated = total(records["acquisition_cost"]), total(records["accumulated_depreciation"])
    by_category = records.groupby("category", sort=False)[["acquisition_cost", "accumulated_depreciation"]].agg(
        lambda amounts: total(amounts)
    )
    names = data.categories.set_index("code")
    breakdown = [
        {
            "category": code,
            "name": names.at[code, "name"],
            "name_en": names.at[code, "name_en"],
            "acquisition_cost": int(row.acquisition_cost),
            "accumulated_depreciation": int(row.accumulated_depreciation),
            "value": percent(int(row.accumulated_depreciation), int(row.acquisition_cost)),
        }
        for code, row in by_category.loc[[c for c in names.index if c in by_category.index]].iterrows()
    ]
    return Measure(
        "aging_ratio",
        fiscal_year,
        ratio(depreciated, cost),
        depreciated,
        cost,
        records,
        None if cost else "no depreciable asset is held: the ratio is undefined",
        breakdown,
    )


def execution_rate(data: KpiData, *, fiscal_year: int) -> Measure:
    """総執行率: executed / planned amount of the plans tied to the infrastructure management plan, in %.

    Counted: ``plan_budget_items`` of the fiscal year whose plan is
    ``under_infrastructure_plan``. With nothing planned the rate is undefined.
    """
    tied = data.plans.loc[data.plans["under_infrastructure_plan"].astype(bool), ["id", "code", "title"]]
    items = data.budget_items[data.budget_items["fiscal_year"] == fiscal_year]
    records = items.merge(tied.rename(columns={"id": "plan_id", "code": "plan_code"}), on="plan_id")[
        ["plan_id", "plan_code", "title", "fiscal_year", "planned_amount", "executed_amount"]
    ]
    planned, executed = int(records["planned_amount"].sum()), int(records["executed_amount"].sum())
    note = None if planned else f"nothing was planned for fiscal year {fiscal_year}: the rate is undefined"
    return Measure(
        "execution_rate", fiscal_year, ratio(executed, planned), executed, planned, records.reset_index(drop=True), note
    )


def _completed_in(work_orders: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    done = work_orders[work_orders["status"] == "completed"]
    return done[to_fiscal_year(pd.to_datetime(done["completed_on"])) == fiscal_year]


def preventive_share(data: KpiData, *, fiscal_year: int) -> Measure:
    """Preventive share of repair spending: preventive / (preventive + reactive) actual cost, in %.

    Counted: work orders completed in the fiscal year, of kind preventive or reactive,
    with an actual cost (renewals are not repairs and are left out).
    """
    done = _completed_in(data.work_orders, fiscal_year)
    records = done[done["kind"].isin(REPAIR_KINDS) & done["actual_cost"].notna()][
        ["id", "code", "asset_id", "kind", "cause", "completed_on", "actual_cost"]
    ].reset_index(drop=True)
    preventive = int(records.loc[records["kind"] == "preventive", "actual_cost"].sum())
    total = int(records["actual_cost"].sum())
    note = None if total else f"no repair was completed in fiscal year {fiscal_year}: the share is undefined"
    return Measure("preventive_share", fiscal_year, ratio(preventive, total), preventive, total, records, note)


def reactive_repairs(data: KpiData, *, fiscal_year: int) -> Measure:
    """Reactive repairs after a sudden failure completed in the fiscal year (a count)."""
    done = _completed_in(data.work_orders, fiscal_year)
    records = done[(done["kind"] == "reactive") & (done["cause"] == "sudden_failure")][
        ["id", "code", "asset_id", "kind", "cause", "completed_on", "actual_cost"]
    ].reset_index(drop=True)
    return Measure("reactive_repairs", fiscal_year, float(len(records)), len(records), None, records)


def _judged_structures(data: KpiData, fiscal_year: int) -> pd.DataFrame:
    """The structures judged Ⅲ or Ⅳ in the inspection cycle of the five fiscal years ending with
    ``fiscal_year``, each once (its latest duty of the cycle), with the state of its measures at the
    year's end (:func:`fm.domain.duties.find_duties`)."""
    end = fiscal_year_end(fiscal_year)
    if data.inspections is None:
        raise ValueError("the measure rates need the inspections (KpiData.inspections)")
    restrictions = (
        data.restrictions
        if data.restrictions is not None
        else pd.DataFrame(columns=["asset_id", "inspection_id", "starts_on", "ends_on"])
    )
    if data.inspection_cycle is not None:
        cycle = data.inspection_cycle
    else:
        from fm.domain.risk.config import load_config

        cycle = load_config().cycle
    duties = find_duties(
        data.assets,
        data.inspections,
        data.work_orders,
        restrictions,
        data.categories,
        settings=data.duty_settings or load_duty_settings(),
        cycle=cycle,
        as_of=end,
    )
    first = pd.Timestamp(fiscal_year_end(fiscal_year - CYCLE_YEARS) + pd.Timedelta(days=1))
    cohort = duties[pd.to_datetime(duties["inspected_on"]) >= first]
    cohort = cohort.sort_values(["asset_id", "inspected_on"]).drop_duplicates("asset_id", keep="last")
    records = cohort[
        ["asset_id", "code", "name", "category", "inspected_on", "soundness", "deadline", "state"]
        + ["measure_started_on", "completed_on", "restricted_since"]
    ].rename(columns={"asset_id": "id"})
    return records.assign(
        started=records["state"].isin(STARTED), completed=records["state"] == "completed"
    ).reset_index(drop=True)


def _measure_rate(data: KpiData, fiscal_year: int, key: str, column: str) -> Measure:
    if ("judged", fiscal_year) not in data.shared:  # the started and the completed rate count the same structures
        data.shared["judged", fiscal_year] = _judged_structures(data, fiscal_year)
    records = data.shared["judged", fiscal_year].copy()
    counted, judged = int(records[column].sum()), len(records)
    note = (
        None
        if judged
        else f"no structure was judged Ⅲ or Ⅳ in FY{fiscal_year - CYCLE_YEARS + 1}–{fiscal_year}: the rate is undefined"
    )
    return Measure(key, fiscal_year, ratio(counted, judged), counted, judged, records, note)


def measures_started(data: KpiData, *, fiscal_year: int) -> Measure:
    """措置着手率: structures judged Ⅲ or Ⅳ in the five fiscal years to ``fiscal_year`` whose measures had
    started by the year's end (a work order started or completed, a traffic restriction, a removal), in %.

    The national road-maintenance reports' figure (道路メンテナンス年報); definition and source in
    docs/indicators.md. Each structure counts once, by its latest duty of the cycle.

    Examples
    --------
    >>> assets = pd.DataFrame({"id": [1, 2], "code": ["A", "B"], "name": ["a", "b"], "category": "bridge",
    ...                        "disposed_on": None})
    >>> categories = pd.DataFrame({"code": ["bridge"], "condition_scale": ["soundness"]})
    >>> inspections = pd.DataFrame({"id": [1, 2], "asset_id": [1, 2], "inspected_on": [pd.Timestamp("2024-05-01")] * 2,
    ...     "soundness": [3, 4], "condition_score": None, "next_due_on": None})
    >>> orders = pd.DataFrame({"asset_id": [2], "status": ["completed"], "planned_on": [None],
    ...     "started_on": [pd.Timestamp("2024-06-01")], "completed_on": [pd.Timestamp("2025-02-01")]})
    >>> data = KpiData(assets, categories, None, None, None, None, None, orders, inspections,
    ...                inspection_cycle=lambda category: 5.0)
    >>> measures_started(data, fiscal_year=2024).value, measures_completed(data, fiscal_year=2024).value
    (50.0, 50.0)
    >>> measures_completed(data, fiscal_year=2023).note
    'no structure was judged Ⅲ or Ⅳ in FY2019–2023: the rate is undefined'
    """
    return _measure_rate(data, fiscal_year, "measures_started", "started")


def measures_completed(data: KpiData, *, fiscal_year: int) -> Measure:
    """措置完了率: the same structures as :func:`measures_started`, those whose measures were completed by
    the year's end (a work order completed, or the structure removed), in %."""
    return _measure_rate(data, fiscal_year, "measures_completed", "completed")


MEASURES: dict[str, Callable[..., Measure]] = {
    "plan_coverage": plan_coverage,
    "underused_land": underused_land,
    "aging_ratio": aging_ratio,
    "execution_rate": execution_rate,
    "preventive_share": preventive_share,
    "reactive_repairs": reactive_repairs,
    "measures_started": measures_started,
    "measures_completed": measures_completed,
}


def measure(indicator: str, data: KpiData, *, fiscal_year: int, **options: Any) -> Measure:
    """Compute ``indicator`` (a key of :data:`INDICATORS`) for ``fiscal_year``."""
    if indicator not in MEASURES:
        raise ValueError(f"unknown indicator {indicator!r}; choose from {', '.join(MEASURES)}")
    return MEASURES[indicator](data, fiscal_year=fiscal_year, **options)
