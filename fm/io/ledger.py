"""The fixed-asset ledger (固定資産台帳) in and out: ``fm import ledger`` / ``fm export ledger``.

The file is the ledger as a municipality keeps it under the unified standard (columns:
:data:`~fm.io.columns.LEDGER`), CSV (UTF-8 or cp932, full-width digits read as digits) or Excel. Every value is
checked by the importer's rules, then: accumulated depreciation not above the acquisition cost, book value =
cost − accumulated depreciation, each ledger number once. Rows are matched on the ledger number: a new number
adds a row, a known one updates it (its tie to a register asset stays). All or nothing; one audit entry per row
added or changed. The figures are as of the end of one fiscal year, given with the import.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.domain.fiscal import fiscal_year as fiscal_year_of
from fm.errors import FmError
from fm.io import bulk, files, store
from fm.io.columns import LEDGER, header
from fm.io.problems import Problem, Rejected
from fm.io.validate import References, validate
from fm.model import metadata

TABLE = "ledger_entries"
FIELDS = tuple(c.name for c in LEDGER.columns)


def last_closed_year(today: date) -> int:
    """The last fiscal year that has ended by ``today``: the year a ledger's figures are usually as of.

    >>> last_closed_year(date(2026, 3, 31)), last_closed_year(date(2026, 4, 1))
    (2024, 2025)
    """
    return fiscal_year_of(today) - 1


def import_ledger(
    session: Session,
    path: Path,
    *,
    fiscal_year: int | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Import the ledger ``path`` (figures as of the end of ``fiscal_year``, default the last one closed)."""
    today = today or date.today()
    year = fiscal_year if fiscal_year is not None else last_closed_year(today)
    table = files.read(path, sheet=sheet, encoding=encoding, kind="ledger")
    stored = pd.DataFrame(store.read_table(session, TABLE, ["id", "fiscal_year", *FIELDS]))
    checked = validate(
        LEDGER,
        table,
        references=References(keys=frozenset(stored["ledger_no"])),
        crs=None,
        today=today,
        source=path.name,
    )
    frame = checked.frame.reset_index(drop=True)
    rows = table.rows.reset_index(drop=True)
    _rules(frame, rows, checked.names, path.name)
    frame["fiscal_year"] = year
    if "accumulated_depreciation" in frame.columns:
        frame["accumulated_depreciation"] = frame["accumulated_depreciation"].fillna(0)
    merged = frame.merge(stored, how="left", on="ledger_no", suffixes=("", "_old"), indicator=True)
    new = (merged["_merge"] == "left_only").to_numpy()
    compared = [c for c in frame.columns if c != "ledger_no"]
    changed = np.zeros(len(merged), dtype=bool)
    for column in compared:
        now, old = bulk.objects(merged[column]), bulk.objects(merged[f"{column}_old"])
        changed |= ~(now == old).astype(bool)
    changed &= ~new
    if not dry_run:
        target = metadata.tables[TABLE]
        if new.any():
            bulk.insert(session, target, merged.loc[new, list(frame.columns)])
        if changed.any():
            bulk.update(session, target, merged.loc[changed, ["id", *compared]].astype({"id": int}))
        _audit(session, merged, new, changed, compared, actor or audit.cli_actor())
        session.flush()
    return {
        "kind": "ledger",
        "file": path.name,
        "format": table.format,
        "fiscal_year": year,
        "added": int(new.sum()),
        "updated": int(changed.sum()),
        "unchanged": int(len(merged) - new.sum() - changed.sum()),
        "dry_run": dry_run,
    }


def _rules(frame: pd.DataFrame, rows: pd.Series, names: dict[str, str], source: str) -> None:
    """Depreciation within the cost, and book value = cost − depreciation (where the file has the columns)."""
    problems = []
    cost = frame["acquisition_cost"] if "acquisition_cost" in frame.columns else None
    depreciation = frame.get("accumulated_depreciation")
    book = frame.get("book_value")
    if cost is not None and depreciation is not None:
        above = (depreciation > cost).fillna(False).to_numpy(dtype=bool)
        for n in np.flatnonzero(above):
            problems.append(
                Problem(
                    rows.iloc[n],
                    names["accumulated_depreciation"],
                    f"{int(depreciation.iloc[n]):,}",
                    f"is above the acquisition cost ({int(cost.iloc[n]):,} yen)",
                )
            )
    if cost is not None and book is not None:
        spent = depreciation.fillna(0) if depreciation is not None else pd.Series(0, index=frame.index)
        wrong = (book != cost - spent).fillna(False).to_numpy(dtype=bool)
        if depreciation is not None:
            wrong &= ~(depreciation > cost).fillna(False).to_numpy(dtype=bool)
        for n in np.flatnonzero(wrong):
            problems.append(
                Problem(
                    rows.iloc[n],
                    names["book_value"],
                    f"{int(book.iloc[n]):,}",
                    f"is not the acquisition cost less the accumulated depreciation "
                    f"({int(cost.iloc[n]):,} − {int(spent.iloc[n]):,} = {int(cost.iloc[n] - spent.iloc[n]):,} yen)",
                )
            )
    if problems:
        order = {label: n for n, label in enumerate(rows)}
        raise Rejected(source, sorted(problems, key=lambda p: order.get(p.row, -1)))


def _audit(
    session: Session, merged: pd.DataFrame, new: np.ndarray, changed: np.ndarray, compared: list[str], actor: str
) -> None:
    touched = new | changed
    if not touched.any():
        return
    ids = store.read_table(session, TABLE, ["id", "ledger_no"]).set_index("ledger_no")["id"]
    entries = []
    for n in np.flatnonzero(touched):
        row = merged.iloc[n]
        old = {} if new[n] else {c: row[f"{c}_old"] for c in compared}
        entries.append(
            {
                "action": "create" if new[n] else "update",
                "table_name": TABLE,
                "record_id": int(ids[row["ledger_no"]]),
                "record_code": row["ledger_no"],
                "changes": audit.diff(old, {c: row[c] for c in compared}),
            }
        )
    audit.record_many(session, pd.DataFrame(entries), actor=actor, source="import")


def read_ledger(session: Session) -> pd.DataFrame:
    """Every ledger row as stored, by ledger number."""
    return pd.DataFrame(store.read_table(session, TABLE)).sort_values("ledger_no").reset_index(drop=True)


def export_ledger(session: Session, path: Path, *, lang: str = "ja") -> dict[str, Any]:
    """Write the ledger to ``path`` (.csv or .xlsx) in the columns ``fm import ledger`` reads."""
    fmt = files.file_format(path)
    if fmt not in ("CSV", "Excel"):
        raise FmError(f"{path.name}: the ledger goes out as .csv or .xlsx")
    stored = read_ledger(session)
    out = pd.DataFrame(index=stored.index)
    for column in LEDGER.columns:
        values = stored[column.name]
        if column.type == "date" and fmt != "Excel":
            values = values.map(lambda d: d.isoformat(), na_action="ignore")
        elif column.type in ("integer", "yen"):
            values = values.astype("Int64")
        out[header(column, lang)] = values
    files.write(out, path, layer="ledger")
    years = sorted(set(stored["fiscal_year"]))
    return {"kind": "ledger", "file": str(path), "format": fmt, "records": len(out), "crs": None, "fiscal_years": years}
