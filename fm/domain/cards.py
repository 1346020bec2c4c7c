"""An asset at a glance — what a map popup and the asset page show: condition, last and next
inspection, risk with its main reasons, and the work planned. Frames in, plain dicts out."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from fm.domain.maps.style import RISK, UNSCORED
from fm.domain.risk import explain
from fm.domain.risk.explain import ROMAN

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


CARD_FIELDS = (
    "code",
    "name",
    "category",
    "district",
    "condition",
    "last_inspected_on",
    "next_due_on",
    "risk_class",
    "risk",
    "risk_colour",
    "score",
)
"""A card's one-value fields, in order; then ``reasons`` (texts) and ``planned`` (dicts of :data:`PLANNED_FIELDS`)."""
PLANNED_FIELDS = ("due", "kind", "cost", "reference")


def card_rows(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`card_columns` as one dict per card (what the card endpoint and the asset page give), with the keys
    of :data:`CARD_FIELDS`, then ``reasons`` (a list of texts) and ``planned`` (a list of dicts)."""
    reasons, planned = columns["reasons"], columns["planned"]
    work = [
        dict(zip(PLANNED_FIELDS, values, strict=True))
        for values in zip(*(planned["items"][f] for f in PLANNED_FIELDS), strict=True)
    ]
    cards = []
    for number, values in enumerate(zip(*(columns[f] for f in CARD_FIELDS), strict=True)):
        card = dict(zip(CARD_FIELDS, values, strict=True))
        card["reasons"] = reasons["items"][reasons["offsets"][number] : reasons["offsets"][number + 1]]
        card["planned"] = work[planned["offsets"][number] : planned["offsets"][number + 1]]
        cards.append(card)
    return cards


def card_columns(
    assets: pd.DataFrame,
    *,
    categories: pd.DataFrame,
    districts: pd.DataFrame,
    inspections: pd.DataFrame,
    scores: pd.DataFrame,
    planned: pd.DataFrame,
    lang: str = "ja",
) -> dict[str, Any]:
    """The card of each row of ``assets`` (id, code, name, category, district_id), column by column: a list per
    field of :data:`CARD_FIELDS` (None where missing), and ``reasons`` and ``planned`` each as
    ``{"offsets": [...], "items": ...}`` (the items of card *i* from ``offsets[i]`` to ``offsets[i + 1]``).

    ``inspections`` is :func:`fm.domain.risk.inspections.next_inspections` with the latest ``state``,
    indexed by asset id; ``scores`` the latest risk run's rows (id, risk_class, score,
    components, annual_users); ``planned`` is :func:`planned_work`. Computed column-wise: a map of
    100,000 assets makes them all at once.
    """
    name_column = "name_en" if lang == "en" else "name"
    ids = assets["id"].to_numpy()
    category = categories.set_index("code")
    scale = assets["category"].map(category["condition_scale"]).to_numpy(dtype=object)
    district = assets["district_id"].map(districts.set_index("id")[name_column])
    seen = inspections.reindex(ids)
    state = seen["state"]
    scored = scores.set_index("id").reindex(ids) if len(scores) else pd.DataFrame(index=ids, columns=["risk_class"])
    risk_class = scored["risk_class"].fillna(UNSCORED).to_numpy(dtype=object)
    risk = {key: (c.label(lang), c.colour) for key, c in RISK_LABELS.items()}
    condition = np.full(len(ids), None, dtype=object)
    for value in state.dropna().unique().tolist():
        for kind in set(scale[(state == value).to_numpy()].tolist()):
            condition[((state == value).to_numpy()) & (scale == kind)] = condition_text(value, kind, lang)
    has_score = scored["risk_class"].notna().to_numpy()
    score = np.full(len(ids), None, dtype=object)
    if has_score.any():
        score[has_score] = [round(v, 3) for v in scored["score"].to_numpy(dtype=float)[has_score].tolist()]
    offsets, items = explain.reason_lists(
        scored[has_score].reset_index(drop=True), scales=scale[has_score].tolist(), lang=lang, limit=MAX_REASONS
    )
    counts = np.zeros(len(ids), dtype=np.int64)
    counts[has_score] = np.diff(offsets)
    return {
        "code": assets["code"].tolist(),
        "name": _texts(assets["name"]),
        "category": assets["category"].map(category[name_column]).tolist(),
        "district": _texts(district),
        "condition": condition.tolist(),
        "last_inspected_on": _dates(seen["last_inspected_on"]),
        "next_due_on": _dates(seen["due_on"]),
        "risk_class": risk_class.tolist(),
        "risk": [risk[key][0] for key in risk_class.tolist()],
        "risk_colour": [risk[key][1] for key in risk_class.tolist()],
        "score": score.tolist(),
        "reasons": {"offsets": _starts(counts), "items": items},
        "planned": _listed(planned, ids),
    }


def _texts(values: pd.Series) -> list[Any]:
    return values.astype(object).where(values.notna(), None).tolist()


def _dates(values: pd.Series) -> list[str | None]:
    """ISO dates (None where missing), all at once."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    out = np.full(len(days), None, dtype=object)
    known = ~np.isnat(days)
    out[known] = np.datetime_as_string(days[known], unit="D")
    return out.tolist()


def _starts(counts: np.ndarray) -> list[int]:
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64).tolist()


def _listed(planned: pd.DataFrame, ids: np.ndarray) -> dict[str, Any]:
    """The planned work of each of ``ids`` (in due order), as offsets and one list per field."""
    at = pd.Index(ids).get_indexer(planned["asset_id"])
    rows = planned[at >= 0].assign(_at=at[at >= 0]).sort_values("_at", kind="stable")
    return {
        "offsets": _starts(np.bincount(rows["_at"].to_numpy(dtype=np.int64), minlength=len(ids))),
        "items": {field: _texts(rows[field]) for field in PLANNED_FIELDS},
    }


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
