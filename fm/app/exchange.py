"""Use cases of records in and out as files: `fm import`, `fm export`, and any list downloaded as CSV or Excel."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm.errors import FmError
from fm.io import exporter, files, importer
from fm.io.columns import KINDS as KINDS
from fm.io.problems import Rejected as Rejected

BOOKS = ("plans", "ledger", "categories", "unit-costs")
"""Kinds with an importer of their own: plans (a workbook of several sheets, or a folder of CSV files) and the
fixed-asset ledger (keyed by its ledger number, its figures as of a fiscal year), the asset categories (the
built-in ones are the starting values a city edits) and the renewal unit costs per category (likewise)."""
IMPORTABLE = (*(k for k, v in KINDS.items() if v.importable), *BOOKS)
EXPORTABLE = (*(k for k, v in KINDS.items() if v.exportable), *BOOKS)


def import_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Import a file of ``kind`` all or nothing (see :func:`fm.io.importer.import_file`, and for plans
    :func:`fm.io.plans.import_plans`): added, updated, unchanged. The books' modules (:data:`BOOKS`) are imported
    when their kind is asked for, so that importing records spends no start-up on them."""
    fiscal_year = options.pop("fiscal_year", None)
    if kind == "ledger":
        for option in ("layer", "crs"):
            if options.pop(option, None) is not None:
                raise FmError(f"--{option} does not apply to the ledger (a CSV or Excel table)")
        from fm.io import ledger

        return ledger.import_ledger(session, path, fiscal_year=fiscal_year, **options)
    if fiscal_year is not None:
        raise FmError("--fiscal-year applies to the ledger only")
    if kind == "categories":
        for option in ("layer", "crs"):
            if options.pop(option, None) is not None:
                raise FmError(f"--{option} does not apply to categories (a CSV or Excel table)")
        from fm.io import categories

        return categories.import_categories(session, path, **options)
    if kind == "unit-costs":
        for option in ("layer", "crs"):
            if options.pop(option, None) is not None:
                raise FmError(f"--{option} does not apply to unit costs (a CSV or Excel table)")
        from fm.io import unit_costs

        return unit_costs.import_unit_costs(session, path, **options)
    if kind == "plans":
        for option in ("layer", "sheet", "crs"):
            if options.pop(option, None) is not None:
                raise FmError(f"--{option} does not apply to plans (a workbook of known sheets, or a folder of CSVs)")
        from fm.io import plans

        return plans.import_plans(session, path, **options)
    return importer.import_file(session, kind, path, **options)


def export_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Write the records of ``kind`` to a file (see :func:`fm.io.exporter.export_file`; plans:
    :func:`fm.io.plans.export_plans`)."""
    if kind == "categories":
        if options.get("crs") or options.get("categories") or options.get("districts"):
            raise FmError("--crs, --category and --district do not apply to categories")
        from fm.io import categories

        return categories.export_categories(session, path, lang=options.get("lang", "ja"))
    if kind == "unit-costs":
        if options.get("crs") or options.get("categories") or options.get("districts"):
            raise FmError("--crs, --category and --district do not apply to unit costs")
        from fm.io import unit_costs

        return unit_costs.export_unit_costs(session, path, lang=options.get("lang", "ja"))
    if kind == "ledger":
        if options.get("crs") or options.get("categories") or options.get("districts"):
            raise FmError("--crs, --category and --district do not apply to the ledger")
        from fm.io import ledger

        return ledger.export_ledger(session, path, lang=options.get("lang", "ja"))
    if kind == "plans":
        if options.get("crs") or options.get("categories") or options.get("districts"):
            raise FmError("--crs, --category and --district do not apply to plans")
        from fm.io import plans

        return plans.export_plans(session, path, lang=options.get("lang", "ja"))
    return exporter.export_file(session, kind, path, **options)


def table_bytes(frame: pd.DataFrame, fmt: str, *, sheet: str) -> bytes:
    """Any list as a file's bytes: ``csv`` (UTF-8 with BOM, so Excel opens Japanese text; CRLF) or ``xlsx``
    (one sheet named ``sheet``). Text that a spreadsheet would take for a formula (starting with = + - @, a
    tab or a carriage return) is prefixed with ``'`` in both (OWASP's advice against formula injection)."""
    frame = files.neutralise_formulas(frame)
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    buffer = io.BytesIO()
    files.write_excel(frame, buffer, sheet[:31])
    return buffer.getvalue()
