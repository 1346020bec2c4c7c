"""Any list as a file: CSV (UTF-8 with BOM, so Excel opens Japanese text) or an Excel workbook."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
from flask import Response

from fm.app import exchange
from fm.errors import NotFound

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_response(frame: pd.DataFrame, name: str, fmt: str) -> Response:
    """``frame`` as an attachment ``name.fmt``; text starting with '=' stays text in Excel."""
    if fmt not in FORMATS:
        raise NotFound(f"download as csv or xlsx, not {fmt!r}")
    body = exchange.table_bytes(frame, fmt, sheet=name)
    filename = f"{name}.{fmt}"
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"},
    )
