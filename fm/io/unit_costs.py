"""Renewal unit costs as data: ``fm export unit-costs`` and ``fm import unit-costs``.

A city starts from the packaged unit costs of the renewal projection (seeded into ``renewal_unit_costs`` by
migration 0013) and changes them as a file: export, edit in Excel, import. Checked by the importer's rules (a
cost is a whole number of yen greater than 0; the category must be one fm has), then by what each category is
costed on: a building needs its refurbishment cost, only bridges have a steel cost, and only buildings, roads,
bridges and sewer pipes are projected. Matched by category; rows left out stay. All or nothing; one audit entry
per category added or changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.domain.renewal.costs import INFRASTRUCTURE
from fm.errors import FmError
from fm.io import files, keyed
from fm.io.columns import UNIT_COSTS, header
from fm.io.problems import Problem, Rejected
from fm.io.validate import References, validate
from fm.model import AssetCategory, RenewalUnitCost

FIELDS = ("refurbish_yen", "renewal_yen", "steel_renewal_yen")


def import_unit_costs(
    session: Session,
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Add or update the unit costs of ``path`` by category; what was (dry run: would be) done."""
    table = files.read(path, sheet=sheet, encoding=encoding, kind="unit-costs")
    categories = {c.code: c for c in session.scalars(sa.select(AssetCategory))}
    stored = {c.category: c for c in session.scalars(sa.select(RenewalUnitCost))}
    checked = validate(
        UNIT_COSTS,
        table,
        references=References(categories=frozenset(categories), keys=frozenset(stored)),
        crs=None,
        today=today or date.today(),
        source=path.name,
    )
    frame = checked.frame.reset_index(drop=True)
    rows = table.rows.reset_index(drop=True)
    problems = []
    for n, row in frame.iterrows():
        category = row["category"]
        merged = {f: _value(row, f) if f in frame.columns else getattr(stored.get(category), f, None) for f in FIELDS}

        group = categories[category].asset_group
        refusal = None
        if category not in INFRASTRUCTURE and group != "facility":
            refusal = ("category", "the renewal projection costs buildings, road, bridge and sewer_pipe only")
        elif category not in INFRASTRUCTURE and merged["refurbish_yen"] is None:
            refusal = ("refurbish_yen", "a building needs its refurbishment (大規模改修) cost per m²")
        elif category in INFRASTRUCTURE and merged["refurbish_yen"] is not None:
            refusal = ("refurbish_yen", f"{category} has no refurbishment in the projection: leave it empty")
        elif category != "bridge" and merged["steel_renewal_yen"] is not None:
            refusal = ("steel_renewal_yen", "only bridges have a steel cost: leave it empty")
        if refusal is not None:
            field, why = refusal
            value = category if field == "category" else merged[field]
            problems.append(Problem(rows.iloc[n], checked.names.get(field, field), str(value), why))
    if problems:
        raise Rejected(path.name, problems)
    given = [f for f in FIELDS if f in frame.columns]
    added, updated = keyed.apply_by_key(
        session,
        ((str(row["category"]), {f: _value(row, f) for f in given}) for _, row in frame.iterrows()),
        stored,
        create=lambda category, values: RenewalUnitCost(category=category, **values),
        table="renewal_unit_costs",
        dry_run=dry_run,
        actor=actor,
    )
    return {
        "kind": "unit-costs",
        "file": path.name,
        "format": table.format,
        "added": added,
        "updated": updated,
        "unchanged": len(frame) - added - updated,
        "dry_run": dry_run,
    }


def _value(row: pd.Series, field: str) -> int | None:
    return None if pd.isna(row[field]) else int(row[field])


def export_unit_costs(session: Session, path: Path, *, lang: str = "ja") -> dict[str, Any]:
    """Write every unit cost to ``path`` (.csv or .xlsx) in the columns ``fm import unit-costs`` reads."""
    fmt = files.file_format(path)
    if fmt not in ("CSV", "Excel"):
        raise FmError(f"{path.name}: unit costs go out as .csv or .xlsx")
    order = sa.select(RenewalUnitCost).join(AssetCategory).order_by(AssetCategory.sort_order, AssetCategory.code)
    stored = list(session.scalars(order))
    out = pd.DataFrame(
        {
            header(c, lang): pd.array(
                [getattr(r, c.name) for r in stored], dtype="string" if c.type == "text" else "Int64"
            )
            for c in UNIT_COSTS.columns
        }
    )
    files.write(out, path, layer="unit-costs")
    return {"kind": "unit-costs", "file": str(path), "format": fmt, "records": len(out), "crs": None, "lang": lang}
