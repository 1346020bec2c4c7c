"""An asset at a glance — what a map popup and the asset page show: condition, last and next
inspection, risk with its main reasons, and the work planned. Frames in, plain dicts out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from fm.domain.maps.style import RISK, UNSCORED
from fm.domain.risk.explain import ROMAN, reasons
from fm.serialize import missing, records

WORK_KINDS = {
    "preventive": ("予防保全", "preventive"),
    "renewal": ("更新", "renewal"),
    "reactive": ("事後保全", "reactive repair"),
}
RISK_LABELS = {c.key: c for c in RISK}
MAX_REASONS = 3


def condition_text(state: float | None, scale: str, lang: str) -> str | None:
    """The latest inspection's state in words: soundness Ⅰ–Ⅳ or a 1–5 condition score.

    Examples
    --------
    >>> condition_text(3, "soundness", "ja"), condition_text(2, "score", "en")
    ('健全性Ⅲ', 'condition 2/5')
    """
    if state is None or pd.isna(state):
        return None
    if scale == "soundness":
        return f"健全性{ROMAN[int(state)]}" if lang == "ja" else f"soundness {ROMAN[int(state)]}"
    return f"状態 {int(state)}/5" if lang == "ja" else f"condition {int(state)}/5"


def asset_cards(
    assets: pd.DataFrame,
    *,
    categories: pd.DataFrame,
    districts: pd.DataFrame,
    inspections: pd.DataFrame,
    scores: pd.DataFrame,
    planned: pd.DataFrame,
    lang: str = "ja",
) -> list[dict[str, Any]]:
    """One card per row of ``assets`` (id, code, name, category, district_id).

    ``inspections`` is :func:`fm.domain.risk.inspections.next_inspections` with the latest ``state``,
    indexed by asset id; ``scores`` the latest risk run's rows (id, risk_class, score,
    components, annual_users); ``planned`` is :func:`planned_work`.
    """
    name_column = "name_en" if lang == "en" else "name"
    category = categories.set_index("code")
    scales = category["condition_scale"].to_dict()
    names = category[name_column].to_dict()
    district = districts.set_index("id")[name_column].to_dict()
    work = {asset_id: records(rows.drop(columns="asset_id")) for asset_id, rows in planned.groupby("asset_id")}
    # Plain dicts and tuples, looked up by id: a pandas lookup per asset cost most of a 100,000-asset map.
    seen = {
        asset_id: (state, last, due)
        for asset_id, state, last, due in zip(
            inspections.index.tolist(),
            inspections["state"].tolist(),
            inspections["last_inspected_on"].tolist(),
            inspections["due_on"].tolist(),
            strict=True,
        )
    }
    scored: dict[Any, dict[str, Any]] = {}
    if len(scores):
        fields = [c for c in scores.columns if c != "id"]
        for asset_id, *values in zip(scores["id"].tolist(), *(scores[c].tolist() for c in fields), strict=True):
            scored[asset_id] = {k: (None if missing(v) else v) for k, v in zip(fields, values, strict=True)}
    unscored = RISK_LABELS[UNSCORED]
    cards = []
    for row in assets.itertuples(index=False):
        scale = scales[row.category]
        state, last, due = seen.get(row.id, (None, None, None))
        card: dict[str, Any] = {
            "code": row.code,
            "name": row.name,
            "category": names[row.category],
            "district": None if pd.isna(row.district_id) else district.get(int(row.district_id)),
            "condition": condition_text(state, scale, lang),
            "last_inspected_on": _date(last),
            "next_due_on": _date(due),
            "risk_class": UNSCORED,
            "risk": unscored.label(lang),
            "risk_colour": unscored.colour,
            "score": None,
            "reasons": [],
            "planned": work.get(row.id, []),
        }
        components = scored.get(row.id)
        if components is not None:
            risk = RISK_LABELS[components["risk_class"]]
            card.update(
                risk_class=risk.key,
                risk=risk.label(lang),
                risk_colour=risk.colour,
                score=round(float(components["score"]), 3),
                reasons=reasons(components, scale=scale, users=components.get("annual_users"), lang=lang)[:MAX_REASONS],
            )
        cards.append(card)
    return cards


def _kind(kind: str, lang: str) -> str:
    ja, en = WORK_KINDS.get(kind, (kind, kind))
    return en if lang == "en" else ja


def _date(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    if type(value) is date:
        return value.isoformat()
    return pd.Timestamp(value).date().isoformat()


def planned_work(
    work_orders: pd.DataFrame, plan_works: pd.DataFrame, plans: pd.DataFrame, *, from_fiscal_year: int, lang: str = "ja"
) -> pd.DataFrame:
    """Work not yet done, per asset: planned work orders, and the works of individual plans from
    ``from_fiscal_year`` on. Columns asset_id, due (date, or the fiscal year of a plan work), kind,
    cost (yen), reference (work order or plan code), in due order.

    Examples
    --------
    >>> orders = pd.DataFrame({"asset_id": [1], "code": ["WO-1"], "kind": ["preventive"], "status": ["planned"],
    ...                        "planned_on": [pd.Timestamp("2026-07-01")], "planned_cost": [500000]})
    >>> works = pd.DataFrame({"plan_id": [9], "asset_id": [1], "fiscal_year": [2027], "description": ["外壁改修"],
    ...                       "cost": [9000000]})
    >>> planned_work(orders, works, pd.DataFrame({"id": [9], "code": ["P-9"]}), from_fiscal_year=2026)[
    ...     ["due", "kind", "reference"]].values.tolist()
    [['2026-07-01', '予防保全', 'WO-1'], ['2027年度', '外壁改修', 'P-9']]
    """
    orders = work_orders[work_orders["status"] == "planned"]
    order_due = pd.to_datetime(orders["planned_on"])
    works = plan_works[plan_works["asset_id"].notna() & (plan_works["fiscal_year"] >= from_fiscal_year)]
    year = works["fiscal_year"].astype(int)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "asset_id": orders["asset_id"],
                    "_order": order_due,
                    "due": order_due.dt.date.map(lambda d: d.isoformat(), na_action="ignore"),
                    "kind": orders["kind"].map(lambda k: _kind(k, lang)),
                    "cost": orders["planned_cost"],
                    "reference": orders["code"],
                }
            ),
            pd.DataFrame(
                {
                    "asset_id": works["asset_id"].astype(int),
                    "_order": pd.to_datetime(year.astype(str) + "-04-01"),
                    "due": year.map(lambda y: f"FY{y}" if lang == "en" else f"{y}年度"),
                    "kind": works["description"],
                    "cost": works["cost"],
                    "reference": works["plan_id"].map(plans.set_index("id")["code"]),
                }
            ),
        ],
        ignore_index=True,
    )
    return frame.sort_values(["asset_id", "_order"], na_position="last").drop(columns="_order").reset_index(drop=True)
