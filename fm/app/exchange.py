"""Use cases of records in and out as files: `fm import`, `fm export`, and any list downloaded as CSV or Excel."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from fm.io import exporter, files, importer
from fm.io.columns import KINDS as KINDS
from fm.io.problems import Rejected as Rejected


def import_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Import a file of ``kind`` all or nothing (see :func:`fm.io.importer.import_file`): added, updated, unchanged."""
    return importer.import_file(session, kind, path, **options)


def export_records(session: Session, kind: str, path: Path, **options: Any) -> dict[str, Any]:
    """Write the records of ``kind`` to a file (see :func:`fm.io.exporter.export_file`)."""
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
