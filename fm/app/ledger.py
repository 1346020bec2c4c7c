"""Use cases of the fixed-asset ledger (固定資産台帳): `fm ledger match|settle|aging` and the /ledger page.

Import and export go through :mod:`fm.app.exchange` (`fm import ledger`, `fm export ledger`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.domain import ledger as domain
from fm.errors import NotFound, ValidationError
from fm.io import store
from fm.io.ledger import read_ledger
from fm.model import Asset, LedgerEntry

STATES = ("matched", "doubtful", "unmatched", "outside")
LISTED = ("ledger_no", "name", "account", "location", "state", "asset_code", "candidates", "reason")


def _assets(session: Session) -> pd.DataFrame:
    assets = pd.DataFrame(store.read_table(session, "assets", ["id", "code", "name", "ledger_no", "district_id"]))
    districts = store.read_table(session, "districts", ["id", "name"]).set_index("id")["name"]
    assets["district_name"] = assets["district_id"].map(districts)
    return assets


def _matched(session: Session) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    stored = read_ledger(session)
    assets = _assets(session)
    found = domain.match(stored, assets)
    return stored, assets, found


def match(session: Session, *, actor: str, source: str = "cli") -> dict[str, Any]:
    """Tie each ledger row to its register asset (by the asset's ledger number, then by name and location) and
    store the ties found; rows settled by a person stay. Returns the counts by state and the rows a person
    should look at (doubtful, then unmatched), each with its candidates and the reason."""
    stored, assets, found = _matched(session)
    codes = assets.set_index("id")["code"]
    before = stored.set_index("id")
    for row in found.itertuples(index=False):
        if row.match_status in ("confirmed", "rejected"):
            continue
        old = before.loc[row.id]
        new_asset = None if pd.isna(row.asset_id) else int(row.asset_id)
        old_asset = None if pd.isna(old["asset_id"]) else int(old["asset_id"])
        old_status = None if pd.isna(old["match_status"]) else old["match_status"]
        if (new_asset, row.match_status) == (old_asset, old_status):
            continue
        entry = session.get(LedgerEntry, int(row.id))
        assert entry is not None
        entry.asset_id, entry.match_status = new_asset, row.match_status
        entry.version += 1
        audit.record(
            session,
            actor=actor,
            source=source,
            action="update",
            table="ledger_entries",
            record_id=int(row.id),
            code=str(old["ledger_no"]),
            changes={
                "asset": [codes.get(old_asset) if old_asset else None, codes.get(new_asset) if new_asset else None],
                "match_status": [old_status, row.match_status],
            },
        )
    session.flush()
    return _listing(stored, assets, found)


def pairs(session: Session) -> dict[str, Any]:
    """What :func:`match` would list, without storing anything: the page's view."""
    stored, assets, found = _matched(session)
    return _listing(stored, assets, found)


def _listing(stored: pd.DataFrame, assets: pd.DataFrame, found: pd.DataFrame) -> dict[str, Any]:
    codes = assets.set_index("id")["code"]
    rows = stored[["id", "ledger_no", "name", "account", "location"]].merge(found, on="id")
    rows["asset_code"] = rows["asset_id"].map(lambda i: None if pd.isna(i) else codes.get(int(i)))
    rows["candidates"] = rows["candidates"].map(" ".join)
    counts = {state: int((rows["state"] == state).sum()) for state in STATES}
    order = {"doubtful": 0, "unmatched": 1}
    listed = rows[rows["state"].isin(order)].copy()
    listed["order"] = listed["state"].map(order)
    listed = listed.sort_values(["order", "ledger_no"])[list(LISTED)]
    return {"counts": counts, "rows": listed.reset_index(drop=True), "all": rows[list(LISTED)]}


def settle(session: Session, ledger_no: str, asset_code: str | None, *, actor: str, source: str) -> None:
    """A person settles a ledger row: it is the asset ``asset_code``, or (None) no asset of the register.
    Audited with the old and the new tie; ``fm ledger match`` keeps it from then on."""
    entry = session.scalar(sa.select(LedgerEntry).where(LedgerEntry.ledger_no == ledger_no))
    if entry is None:
        raise NotFound(f"no ledger row {ledger_no!r}")
    asset = None
    if asset_code:
        asset = session.scalar(sa.select(Asset).where(Asset.code == asset_code.strip()))
        if asset is None:
            raise ValidationError(f"{ledger_no}: asset: no asset with code {asset_code!r} in the register")
    old_code = session.scalar(sa.select(Asset.code).where(Asset.id == entry.asset_id)) if entry.asset_id else None
    changes = audit.diff(
        {"asset": old_code, "match_status": entry.match_status},
        {"asset": asset.code if asset else None, "match_status": "confirmed" if asset else "rejected"},
    )
    if not changes:
        return
    entry.asset_id = asset.id if asset else None
    entry.match_status = "confirmed" if asset else "rejected"
    entry.version += 1
    session.flush()
    audit.record(
        session,
        actor=actor,
        source=source,
        action="update",
        table="ledger_entries",
        record_id=entry.id,
        code=ledger_no,
        changes=changes,
    )


def aging(session: Session, *, convention: str = "fiscal-year") -> dict[str, Any]:
    """The aging ratio from the ledger's own figures and fm's recomputation: ``rows`` (one per ledger row,
    with the register asset it is tied to, the difference and its reason) and ``totals``."""
    stored, assets, found = _matched(session)
    rows, totals = domain.aging(stored, convention=convention)
    codes = assets.set_index("id")["code"]
    tied = found.set_index("id")["asset_id"]  # the stored ties, and those `fm ledger match` would store
    rows["asset_code"] = rows["id"].map(tied).map(lambda i: None if pd.isna(i) else codes.get(int(i)))
    totals["in_register"] = int(rows["asset_code"].notna().sum())
    columns = [
        "ledger_no",
        "name",
        "account",
        "asset_code",
        "acquired_on",
        "useful_life_years",
        "acquisition_cost",
        "accumulated_depreciation",
        "recomputed",
        "difference",
        "book_value",
        "fiscal_year",
        "reason",
    ]
    return {"rows": rows[columns], "totals": totals}
