"""Issue 17: every yen exact and every odd cell caught, on SQLite and PostGIS.

Money goes from the file to the database and back as integers (never through float64); an odd cell is
refused with its row, field, value and reason and the database left exactly as it was, or stored as
the user meant it.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from clirun import run
from databases import new_database
from iosample import seed

from fm.db import Database

MOST = 2**63 - 1
BIG = 12_345_678_901_234_567  # above 2**53: float64 would store 12,345,678,901,234,568


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def url(request, tmp_path_factory) -> str:
    """A seeded database per backend, for the refusals (none of which may change it)."""
    url = new_database(request.param, tmp_path_factory.mktemp("exact"), request)
    seed(url)
    return url


@pytest.fixture
def fresh(db_url) -> str:
    """A seeded database per test, for the imports that write."""
    seed(db_url)
    return db_url


def sql(url: str, query: str) -> list[tuple]:
    database = Database(url)
    with database.connect() as connection:
        found = connection.execute(sa.text(query)).all()
    database.dispose()
    return found


def everything(url: str) -> dict[str, list]:
    return {
        name: sql(url, f"SELECT * FROM {name} ORDER BY id")
        for name in ("assets", "work_orders", "inspections", "land_parcels", "parcel_uses", "districts")
    }


def rejected(url: str, kind: str, path: Path) -> str:
    """Import ``path``, expect it refused with nothing written; return the message."""
    before = everything(url)
    result = run(url, "import", kind, str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert everything(url) == before
    return result.stderr


def imported(url: str, kind: str, path: Path, *options: str) -> str:
    result = run(url, "import", kind, str(path), *options)
    assert result.exit_code == 0, result.output
    return result.stdout


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows, dtype=str).to_csv(path, index=False)
    return path


NEW = {"code": "N-001", "name": "新規施設", "category": "school", "lon": "139.55", "lat": "35.32"}


# ---- money: integer yen end to end -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_large_amounts_are_stored_and_exported_to_the_yen(fresh, tmp_path, suffix):
    rows = [
        {**NEW, "acquisition_cost": str(BIG), "replacement_cost": str(MOST)},
        {
            **NEW,
            "code": "N-002",
            "acquisition_cost": "１２，３４５，６７８，９０１，２３４，５６７円",
            "replacement_cost": "",
        },
        {**NEW, "code": "N-003", "acquisition_cost": "9007199254740993", "replacement_cost": "1,000"},
    ]
    path = tmp_path / f"big{suffix}"
    if suffix == ".csv":
        write_csv(path, rows)
    else:  # Excel's numbers are doubles: 17 digits are typed as text there, small amounts as numbers
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(rows[0]))
        for record in rows:
            sheet.append(
                [int(v) if v.isascii() and v.isdigit() and len(v) < 10 else (v or None) for v in record.values()]
            )
        book.save(path)
    imported(fresh, "assets", path)
    expected = [("N-001", BIG, MOST), ("N-002", BIG, None), ("N-003", 2**53 + 1, 1000)]
    query = "SELECT code, acquisition_cost, replacement_cost FROM assets WHERE code LIKE 'N-%' ORDER BY code"
    assert sql(fresh, query) == expected
    out = tmp_path / f"out{suffix}"
    assert run(fresh, "export", "assets", str(out), "--lang", "en").exit_code == 0
    if suffix == ".csv":
        back = pd.read_csv(out, dtype=str).set_index("code")
        values = [
            (c, back.at[c, "acquisition_cost"], back.at[c, "replacement_cost"]) for c in ("N-001", "N-002", "N-003")
        ]
    else:
        sheet = openpyxl.load_workbook(out, read_only=True).active
        table = list(sheet.iter_rows(values_only=True))
        columns = [str(h).split(" (")[0] for h in table[0]]
        found = {row[columns.index("code")]: row for row in table[1:]}
        values = [
            (c, found[c][columns.index("acquisition_cost")], found[c][columns.index("replacement_cost")])
            for c in ("N-001", "N-002", "N-003")
        ]
    assert [(c, str(a), None if pd.isna(r) else str(r)) for c, a, r in values] == [
        (c, str(a), None if r is None else str(r)) for c, a, r in expected
    ]
    # and the exported file imports back as it is: nothing changes
    assert "0 added, 0 updated" in imported(fresh, "assets", out)
    assert sql(fresh, query) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1e20", "too large (at most 9,223,372,036,854,775,807)"),
        (str(MOST + 1), "too large (at most 9,223,372,036,854,775,807)"),
        ("100000000000000000000000", "too large"),
        ("12.5", "must be a whole number of yen"),
        ("-1", "must not be negative"),
    ],
)
def test_an_amount_the_column_cannot_hold_is_refused_with_its_line_and_field(url, tmp_path, value, words):
    path = tmp_path / "a.csv"
    pd.DataFrame([{**NEW, "code": "N-009", "取得価額": "1000"}, {**NEW, "取得価額": value}], dtype=str).to_csv(
        path, index=False
    )
    message = rejected(url, "assets", path)
    assert f"line 3, 取得価額: '{value}' {words}" in message, message
    assert "1 problem(s)" in message


def test_a_count_beyond_an_integer_column_is_refused(url, tmp_path):
    message = rejected(url, "assets", write_csv(tmp_path / "a.csv", [{**NEW, "annual_users": str(2**31)}]))
    assert "line 2, annual_users: '2147483648' too large (at most 2,147,483,647)" in message, message
