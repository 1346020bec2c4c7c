"""``import_file(..., details=True)``: each record a run adds or updates, as the upload preview lists them;
without it the result (what ``fm import`` prints) is as before."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from clirun import run
from iosample import seed

from fm.db import Database
from fm.io.importer import import_file


def _import(url: str, kind: str, path, **options) -> dict:
    database = Database(url)
    with database.session() as session:
        result = import_file(session, kind, path, **options)
    database.dispose()
    return result


def test_rows_of_a_dry_run_are_the_changes_it_counts(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "inspections.csv"
    pd.DataFrame(
        {
            "資産番号": ["P-001", "B-001", "B-002"],
            "点検日": ["2024-11-05", "2025-01-10", "2025-02-01"],
            "状態評価": [3, 2, 4],
            "所見": ["異常なし", "ひび割れ", None],
        }
    ).to_csv(path, index=False)
    result = _import(db_url, "inspections", path, dry_run=True, details=10)
    assert (result["added"], result["updated"], result["unchanged"]) == (2, 1, 0)
    assert [(r["row"], r["action"], r["key"]) for r in result["rows"]] == [
        ("line 2", "update", "P-001 2024-11-05"),
        ("line 3", "add", "B-001 2025-01-10"),
        ("line 4", "add", "B-002 2025-02-01"),
    ]
    assert result["rows"][0]["changes"] == {"condition_score": [2, 3]}
    assert result["rows"][1]["changes"] == {"condition_score": [None, 2], "findings": [None, "ひび割れ"]}
    plain = _import(db_url, "inspections", path, dry_run=True)
    assert "rows" not in plain and plain == {k: v for k, v in result.items() if k not in ("rows", "digest")}
    first = _import(db_url, "inspections", path, dry_run=True, details=1)
    assert first["rows"] == result["rows"][:1] and first["digest"] == result["digest"]
    cli = run(db_url, "import", "inspections", str(path), "--dry-run")
    assert cli.output == "inspections.csv (inspections): 2 added, 1 updated, 0 unchanged (dry run: nothing written)\n"


def test_a_real_run_lists_what_it_wrote_and_parcel_uses_count(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "parcels.csv"
    pd.DataFrame(
        {
            "code": ["LP-001", "LP-002"],
            "name": ["常盤地内", "新しい名前"],
            "utilisation": ["unused", None],
            "use_since": ["2025-04-01", None],
        }
    ).to_csv(path, index=False)
    dry = _import(db_url, "parcels", path, dry_run=True, details=10)
    result = _import(db_url, "parcels", path, details=10, actor="someone")
    assert result["digest"] == dry["digest"] and result["rows"] == dry["rows"]
    assert (result["added"], result["updated"], result["unchanged"]) == (0, 2, 0)
    first, second = result["rows"]
    assert (first["key"], first["changes"]) == (
        "LP-001",
        {"use_since": [None, "2025-04-01"], "utilisation": [None, "unused"]},
    )
    assert (second["key"], second["changes"]) == ("LP-002", {"name": [None, "新しい名前"]})


def test_the_digest_changes_when_the_database_does(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "assets.csv"
    pd.DataFrame({"code": ["B-001", "B-002"], "name": ["滑川橋（改）", "砂押橋"], "category": "bridge"}).to_csv(
        path, index=False
    )
    before = _import(db_url, "assets", path, dry_run=True, details=10)
    assert before["digest"] == _import(db_url, "assets", path, dry_run=True, details=10)["digest"]
    database = Database(db_url)
    with database.session() as session:  # the same counts, another old value
        session.execute(sa.text("UPDATE assets SET name = '滑川橋（旧）' WHERE code = 'B-001'"))
    database.dispose()
    after = _import(db_url, "assets", path, dry_run=True, details=10)
    assert (after["added"], after["updated"]) == (before["added"], before["updated"]) == (0, 1)
    assert after["digest"] != before["digest"]
