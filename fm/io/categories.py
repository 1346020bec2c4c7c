"""Asset categories as data: ``fm export categories`` and ``fm import categories``.

A city starts from the built-in categories (names, group, how they are inspected, default useful life) and
changes them as a file: export, edit in Excel, import. Checked by the importer's rules; a category its assets
use keeps its condition scale (their inspections were recorded on it) and is never removed by a file (rows
left out stay). All or nothing; one audit entry per category added or changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.errors import FmError
from fm.io import files, keyed, store
from fm.io.columns import CATEGORIES, header
from fm.io.problems import Problem, Rejected
from fm.io.validate import References, validate
from fm.model import Asset, AssetCategory

FIELDS = tuple(c.name for c in CATEGORIES.columns if c.name != "code")


def import_categories(
    session: Session,
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Add or update the categories of ``path`` by code; what was (dry run: would be) done."""
    table = files.read(path, sheet=sheet, encoding=encoding, kind="categories")
    stored = {c.code: c for c in session.scalars(sa.select(AssetCategory))}
    checked = validate(
        CATEGORIES,
        table,
        references=References(keys=frozenset(stored)),
        crs=None,
        today=today or date.today(),
        source=path.name,
    )
    frame = checked.frame.reset_index(drop=True)
    rows = table.rows.reset_index(drop=True)
    used = set(session.scalars(sa.select(Asset.category).distinct()))
    problems = []
    if "condition_scale" in frame.columns:
        for n, row in frame.iterrows():
            old = stored.get(row["code"])
            if old is not None and row["code"] in used and old.condition_scale != row["condition_scale"]:
                problems.append(
                    Problem(
                        rows.iloc[n],
                        checked.names["condition_scale"],
                        str(row["condition_scale"]),
                        f"assets of {row['code']} were inspected on the {old.condition_scale} scale: "
                        "a category in use keeps its scale",
                    )
                )
    if problems:
        raise Rejected(path.name, problems)
    given = [f for f in FIELDS if f in frame.columns]
    added, updated = keyed.apply_by_key(
        session,
        (_category_values(row, given, stored.get(row["code"])) for _, row in frame.iterrows()),
        stored,
        create=lambda code, values: AssetCategory(code=code, **{k: v for k, v in values.items() if v is not None}),
        table="asset_categories",
        dry_run=dry_run,
        actor=actor,
    )
    return {
        "kind": "categories",
        "file": path.name,
        "format": table.format,
        "added": added,
        "updated": updated,
        "unchanged": len(frame) - added - updated,
        "dry_run": dry_run,
    }


def _category_values(row: pd.Series, given: list[str], old: AssetCategory | None) -> tuple[str, dict[str, Any]]:
    """A row's code and values as stored: whole numbers as int, an empty sort order keeps the stored one."""
    values = {f: (None if pd.isna(row[f]) else row[f]) for f in given}
    for field in ("useful_life_years", "sort_order"):
        if values.get(field) is not None:
            values[field] = int(values[field])
    if old is not None and values.get("sort_order") is None and "sort_order" in values:
        values["sort_order"] = old.sort_order
    return str(row["code"]), values


def export_categories(session: Session, path: Path, *, lang: str = "ja") -> dict[str, Any]:
    """Write every category to ``path`` (.csv or .xlsx) in the columns ``fm import categories`` reads."""
    fmt = files.file_format(path)
    if fmt not in ("CSV", "Excel"):
        raise FmError(f"{path.name}: categories go out as .csv or .xlsx")
    stored = store.read_categories(session)
    out = pd.DataFrame({header(c, lang): stored[c.name].to_numpy() for c in CATEGORIES.columns})
    files.write(out, path, layer="categories")
    return {"kind": "categories", "file": str(path), "format": fmt, "records": len(out), "crs": None, "lang": lang}
