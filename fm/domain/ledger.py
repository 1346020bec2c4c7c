"""The fixed-asset ledger (固定資産台帳) beside the register: which asset each ledger row is, and the aging ratio
from the ledger's own figures next to fm's recomputation, the difference explained per row.

Plain functions over frames. The aging ratio (有形固定資産減価償却率) is accumulated depreciation over the gross
acquisition cost of the depreciable tangible assets: 減価償却累計額 ÷ (有形固定資産合計 − 土地等の非償却資産 +
減価償却累計額), which with book value = cost − accumulated depreciation is Σ accumulated ÷ Σ cost over the
depreciable rows. Rows the register does not hold (land, furniture) count in the totals as the financial
report counts them; land, standing timber and construction in progress are not depreciated.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from fm.domain.depreciation import MEMO_VALUE, accumulated_depreciation
from fm.domain.money import percent

NOT_DEPRECIATED = ("土地", "立木竹", "建設仮勘定")
OUTSIDE_REGISTER = ("土地", "立木竹", "建設仮勘定", "物品")
"""Accounts the asset register does not hold (its land is in the parcels; furniture is not registered): such
rows are left unmatched without being listed as doubtful."""


def _plain(text: Any) -> str:
    """Text as compared: NFKC, without spaces, case-folded (``鎌倉　小学校`` is ``鎌倉小学校``)."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def match(ledger: pd.DataFrame, assets: pd.DataFrame) -> pd.DataFrame:
    """Which register asset each ledger row is.

    ``ledger``: id, ledger_no, name, account, location, asset_id, match_status (as stored; ``confirmed`` and
    ``rejected`` rows were settled by a person and stay as they are). ``assets``: id, code, name, ledger_no,
    district_name. Returns, per ledger row in order: ``id``, ``asset_id`` (the asset, or NA), ``match_status``
    (``number``, ``name``, ``confirmed``, ``rejected`` or None), ``state`` (``matched``, ``doubtful``,
    ``unmatched`` or ``outside``: an account the register does not hold), ``candidates`` (asset codes) and
    ``reason``.

    First by the asset's ledger number; then by name, when exactly one asset has the row's name and the row's
    location names that asset's district (or gives no location); several assets of the name, or a location
    that names another district (the district an address names last, :func:`_last_district`), make the pair
    doubtful, for a person to settle.

    >>> ledger = pd.DataFrame({"id": [1, 2, 3, 4], "ledger_no": ["L1", "L2", "L3", "L4"],
    ...     "name": ["滑川橋", "第一小学校", "市民会館", "本庁舎敷地"], "account": ["工作物", "建物", "建物", "土地"],
    ...     "location": [None, "鎌倉市大船1-1", "鎌倉市御成町", None], "asset_id": [None] * 4,
    ...     "match_status": [None] * 4})
    >>> assets = pd.DataFrame({"id": [10, 11, 12], "code": ["B-1", "S-1", "H-1"],
    ...     "name": ["滑川橋", "第一 小学校", "市民会館"], "ledger_no": ["L1", None, None],
    ...     "district_name": ["鎌倉", "大船", "大船"]})
    >>> match(ledger, assets)[["asset_id", "match_status", "state"]].values.tolist()
    [[10, 'number', 'matched'], [11, 'name', 'matched'], [<NA>, None, 'doubtful'], [<NA>, None, 'outside']]
    """
    by_number: dict[str, int] = {}
    for asset_id, number in zip(assets["id"], assets["ledger_no"], strict=True):
        if _plain(number):
            by_number[_plain(number)] = int(asset_id)
    codes = dict(zip(assets["id"], assets["code"], strict=True))
    by_name: dict[str, list[int]] = {}
    for asset_id, name in zip(assets["id"], assets["name"], strict=True):
        by_name.setdefault(_plain(name), []).append(int(asset_id))
    districts = {int(i): _plain(d) for i, d in zip(assets["id"], assets["district_name"], strict=True)}
    names_of_districts = {d for d in districts.values() if d}
    out: list[dict[str, Any]] = []
    for row in ledger.itertuples(index=False):
        found: dict[str, Any] = {"id": row.id, "asset_id": pd.NA, "match_status": None, "candidates": [], "reason": ""}
        if row.match_status in ("confirmed", "rejected"):
            confirmed = row.match_status == "confirmed"
            found |= {
                "asset_id": row.asset_id if confirmed else pd.NA,
                "match_status": row.match_status,
                "state": "matched" if confirmed else "outside",
                "reason": "settled by a person" if confirmed else "settled by a person: not in the register",
            }
        elif _plain(row.ledger_no) in by_number:
            found |= {"asset_id": by_number[_plain(row.ledger_no)], "match_status": "number", "state": "matched"}
            found["reason"] = "the asset's ledger number"
        elif row.account in OUTSIDE_REGISTER:
            found |= {"state": "outside", "reason": f"{row.account}: not held in the asset register"}
        else:
            named = by_name.get(_plain(row.name), [])
            place = _plain(row.location)
            fits = [i for i in named if not place or _last_district(place, names_of_districts) == districts.get(i)]
            found["candidates"] = [codes[i] for i in named]
            if len(named) == 1 and len(fits) == 1:
                found |= {"asset_id": fits[0], "match_status": "name", "state": "matched"}
                found["reason"] = "the same name" + (" in its district" if place else "")
            elif not named:
                found |= {"state": "unmatched", "reason": "no asset of this name in the register"}
            elif len(named) == 1:
                found |= {"state": "doubtful", "reason": "the same name, but the location does not name its district"}
            else:
                found |= {"state": "doubtful", "reason": f"{len(named)} assets of this name"}
        out.append(found)
    frame = pd.DataFrame(out, columns=["id", "asset_id", "match_status", "state", "candidates", "reason"])
    frame["asset_id"] = frame["asset_id"].astype("Int64")
    frame["match_status"] = frame["match_status"].astype(object).where(frame["match_status"].notna(), None)
    return frame


def _last_district(place: str, names: set[str]) -> str | None:
    """The district an address names last: addresses go from the general to the particular, so
    ``鎌倉市大船2丁目`` is in 大船 even where a district is called 鎌倉 too.

    >>> _last_district("鎌倉市大船2丁目", {"鎌倉", "大船"}), _last_district("鎌倉市長谷", {"鎌倉", "大船"})
    ('大船', '鎌倉')
    """
    found = [(place.rfind(name), -len(name), name) for name in names if name in place]
    return max(found)[2] if found else None


def aging(ledger: pd.DataFrame, *, convention: str = "fiscal-year") -> tuple[pd.DataFrame, dict[str, Any]]:
    """The aging ratio from the ledger's own figures and from fm's recomputation, row by row.

    ``ledger``: ledger_no, name, account, acquired_on, acquisition_cost, useful_life_years,
    accumulated_depreciation, book_value, fiscal_year (the figures are as of that year's end). Returns the rows
    with ``depreciable``, ``recomputed`` (fm's accumulated depreciation by ``convention``, NA where the row lacks
    an acquisition date or a life), ``difference`` (ledger − fm) and ``reason``; and the totals: counts, the
    sums of cost, book value and accumulated depreciation (every row), the depreciable gross cost, and
    ``ledger_ratio`` and ``fm_ratio`` in % (fm's uses the ledger's figure where it cannot recompute).

    >>> rows, totals = aging(pd.DataFrame({"ledger_no": ["1", "2"], "name": ["庁舎", "敷地"],
    ...     "account": ["建物", "土地"], "acquired_on": [pd.Timestamp("2000-06-01"), pd.Timestamp("2000-06-01")],
    ...     "acquisition_cost": [1_000_000, 5_000_000], "useful_life_years": [50, None],
    ...     "accumulated_depreciation": [500_000, 0], "book_value": [500_000, 5_000_000], "fiscal_year": [2024, 2024]}))
    >>> rows["recomputed"].tolist(), rows["difference"].tolist(), totals["ledger_ratio"], totals["fm_ratio"]
    ([480000, 0], [20000, 0], 50.0, 48.0)
    """
    rows = ledger.copy().reset_index(drop=True)
    rows["depreciable"] = ~rows["account"].isin(NOT_DEPRECIATED)
    cost = rows["acquisition_cost"].astype("Int64")
    own = rows["accumulated_depreciation"].fillna(0).astype("Int64")
    acquired = pd.to_datetime(rows["acquired_on"])
    life = pd.to_numeric(rows["useful_life_years"]).astype("Int64")
    recomputable = rows["depreciable"] & acquired.notna() & life.notna() & (life > 0) & cost.notna()
    recomputed = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    recomputed[~rows["depreciable"]] = 0
    alternatives: dict[str, pd.Series] = {}
    for year, group in rows[recomputable].groupby("fiscal_year"):
        index = group.index
        recomputed[index] = accumulated_depreciation(
            cost[index], acquired[index], life[index], fiscal_year_of=int(year), convention=convention
        ).to_numpy()
        other = "daily" if convention == "fiscal-year" else "fiscal-year"
        alternatives.setdefault("other", pd.Series(pd.NA, index=rows.index, dtype="Int64"))[index] = (
            accumulated_depreciation(
                cost[index], acquired[index], life[index], fiscal_year_of=int(year), convention=other
            ).to_numpy()
        )
        alternatives.setdefault("early", pd.Series(pd.NA, index=rows.index, dtype="Int64"))[index] = (
            accumulated_depreciation(
                cost[index], acquired[index], life[index], fiscal_year_of=int(year) + 1, convention="fiscal-year"
            ).to_numpy()
        )
    rows["recomputed"] = recomputed
    rows["difference"] = (own - recomputed).astype("Int64")
    rows["reason"] = [_reason(rows, alternatives, i, convention) for i in rows.index]
    depreciable = rows["depreciable"]
    gross = int(cost[depreciable].sum())
    own_total = int(own[depreciable].sum())
    fm_total = int(recomputed.fillna(own)[depreciable].sum())
    totals = {
        "rows": len(rows),
        "depreciable_rows": int(depreciable.sum()),
        "recomputed_rows": int(recomputable.sum()),
        "acquisition_cost": int(cost.sum()),
        "book_value": int(rows["book_value"].astype("Int64").sum()),
        "accumulated_depreciation": int(own.sum()),
        "depreciable_cost": gross,
        "ledger_ratio": _percent(own_total, gross),
        "fm_ratio": _percent(fm_total, gross),
        "convention": convention,
    }
    return rows, totals


def _percent(part: int, whole: int) -> float | None:
    """``part / whole`` in %, rounded half up to 0.1 from the exact fraction (never through a float sum)."""
    return percent(part, whole)


def _reason(rows: pd.DataFrame, alternatives: dict[str, pd.Series], i: int, convention: str) -> str:
    row = rows.loc[i]
    own, fm, cost = row["accumulated_depreciation"], row["recomputed"], row["acquisition_cost"]
    own = 0 if pd.isna(own) else int(own)
    if not row["depreciable"]:
        return "" if own == 0 else f"{row['account']} is not depreciated, and the ledger depreciates it"
    if pd.isna(fm):
        return "not recomputed: the row has no acquisition date or no useful life"
    if own == fm:
        return ""
    if "other" in alternatives and own == alternatives["other"].loc[i]:
        other = "day by day from acquisition" if convention == "fiscal-year" else "by whole fiscal years"
        return f"the ledger depreciates {other}"
    if "early" in alternatives and own == alternatives["early"].loc[i] and convention == "fiscal-year":
        return "the ledger depreciates from the fiscal year of acquisition"
    if own == int(cost) and int(fm) == int(cost) - MEMO_VALUE:
        return "the ledger keeps no 1-yen memo value"
    return "no convention gives the ledger's figure: an impairment, a revaluation, another life, or an error"
