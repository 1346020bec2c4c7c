"""What a good file does: the forms of values accepted, Shift_JIS, updates and the dry run."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from clirun import run
from iosample import rows, seed


def test_forms_people_write_in_a_shift_jis_csv(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "excel_export.csv"
    pd.DataFrame(
        {
            "資産番号": ["N-1", "N-2"],
            "名称": ["新しい橋", "新しい校舎"],
            "施設区分": ["bridge", "SCHOOL"],
            "経度": ["139.551", "１３９．５５２"],
            "緯度": ["35.321", "35.322"],
            "取得日": ["2001/4/1", "2003年5月6日"],
            "取得価額": ["1,234,000", "￥5,000"],
            "避難所": ["はい", "○"],
            "状態": ["in_service", "Closed"],
            "休止日": ["", "2020.3.31"],
        }
    ).to_csv(path, index=False, encoding="cp932")
    result = run(db_url, "import", "assets", str(path))
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    assert rows(
        db_url,
        "SELECT code, category, acquisition_cost, is_evacuation_shelter, status FROM assets "
        "WHERE code LIKE 'N-%' ORDER BY code",
    ) == [("N-1", "bridge", 1_234_000, True, "in_service"), ("N-2", "school", 5_000, True, "closed")]
    found = rows(db_url, "SELECT acquisition_date, closed_on FROM assets WHERE code = 'N-2'")[0]
    assert [str(d) for d in found] == ["2003-05-06", "2020-03-31"]
    forced = run(db_url, "import", "assets", str(path), "--encoding", "cp932", "--dry-run")
    assert "0 added, 0 updated, 2 unchanged" in forced.output


def test_soundness_in_every_form(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "inspections.csv"
    pd.DataFrame(
        {
            "asset_code": ["B-001"] * 4,
            "inspected_on": ["2020-01-01", "2021-01-01", "2022-01-01", "2023-01-01"],
            "soundness": ["Ⅰ", "II", "3", "iv"],
        }
    ).to_csv(path, index=False)
    assert run(db_url, "import", "inspections", str(path)).exit_code == 0
    assert [
        r[0]
        for r in rows(
            db_url,
            "SELECT soundness FROM inspections WHERE inspected_on >= '2020-01-01' AND soundness IS NOT NULL "
            "ORDER BY inspected_on",
        )
    ] == [1, 2, 3, 4]


def test_upsert_updates_only_the_columns_given_and_dry_run_writes_nothing(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "changes.csv"
    pd.DataFrame(
        {
            "code": ["B-001", "B-002", "NEW-1"],
            "name": ["滑川橋（改）", "砂押橋", "新設橋"],
            "category": ["bridge", "bridge", "bridge"],
        }
    ).to_csv(path, index=False)
    before = rows(db_url, "SELECT * FROM assets ORDER BY id")
    dry = json.loads(run(db_url, "import", "assets", str(path), "--dry-run", "--format", "json").stdout)
    assert (dry["added"], dry["updated"], dry["unchanged"], dry["dry_run"]) == (1, 1, 1, True)
    assert rows(db_url, "SELECT * FROM assets ORDER BY id") == before
    assert run(db_url, "import", "assets", str(path)).exit_code == 0
    assert rows(db_url, "SELECT name, acquisition_cost, deck_area_m2 FROM assets WHERE code = 'B-001'") == [
        ("滑川橋（改）", 48_000_000, 120.0)
    ]  # columns the file lacks keep their values
    assert rows(db_url, "SELECT geom IS NULL, status FROM assets WHERE code = 'NEW-1'") == [(True, "in_service")]


def test_parcel_use_history_grows_from_a_file(db_url, tmp_path):
    seed(db_url)
    path = tmp_path / "parcels.csv"
    pd.DataFrame(
        {
            "code": ["LP-001"],
            "utilisation": ["unused"],
            "use_since": [str(date(2025, 1, 10))],
            "current_use": ["未利用"],
        }
    ).to_csv(path, index=False)
    result = run(db_url, "import", "parcels", str(path))
    assert result.exit_code == 0 and "1 updated" in result.output, result.output
    assert [
        r[1:] for r in rows(db_url, "SELECT valid_from, utilisation, current_use FROM parcel_uses ORDER BY valid_from")
    ] == [("in_use", "公共施設用地"), ("underused", "資材置場"), ("unused", "未利用")]


def test_the_same_file_again_writes_nothing(db_url, tmp_path):
    """A file imported twice: the second time every record is unchanged (on PostgreSQL the database compares
    them), and nothing is written: rows, versions and times as they were, no audit entry, the change counters
    where they were (so no kept figure is thrown away)."""
    seed(db_url)
    path = tmp_path / "twice.csv"
    pd.DataFrame(
        {
            "code": ["B-001", "NEW-1"],
            "name": ["滑川橋（改）", "新設橋"],
            "category": ["bridge", "bridge"],
            "lon": ["139.5512345678", "139.56"],
            "lat": ["35.32", "35.33"],
            "deck_area_m2": ["120.5", ""],
        }
    ).to_csv(path, index=False)
    first = json.loads(run(db_url, "import", "assets", str(path), "--format", "json").stdout)
    assert (first["added"], first["updated"]) == (1, 1)

    def state() -> tuple[list, list, list]:
        return (
            rows(db_url, "SELECT * FROM assets ORDER BY id"),
            rows(db_url, "SELECT count(*) FROM audit_log"),
            rows(db_url, "SELECT table_name, changes FROM data_changes ORDER BY table_name"),
        )

    before = state()
    again = json.loads(run(db_url, "import", "assets", str(path), "--format", "json").stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert state() == before


def test_each_audit_entry_names_its_record(db_url, tmp_path):
    """An import's audit entries carry the id and code of the record each is about: a changed record's id as the
    comparison found it, an added record's as the database gave it (PostgreSQL: returned by the insert; SQLite:
    looked up by key), in file order on both, also for records keyed by asset and day."""
    seed(db_url)
    assets, inspections = tmp_path / "assets.csv", tmp_path / "inspections.csv"
    pd.DataFrame(
        {
            "code": ["B-001", "NEW-1", "NEW-2"],
            "name": ["滑川橋（改）", "新設橋", "新設校舎"],
            "category": ["bridge"] * 3,
        }
    ).to_csv(assets, index=False)
    pd.DataFrame(
        {"asset_code": ["NEW-1", "B-001"], "inspected_on": ["2020-01-01", "2021-01-01"], "soundness": ["I", "II"]}
    ).to_csv(inspections, index=False)
    assert run(db_url, "import", "assets", str(assets)).exit_code == 0
    assert run(db_url, "import", "inspections", str(inspections)).exit_code == 0
    ids = dict(rows(db_url, "SELECT code, id FROM assets WHERE code IN ('B-001', 'NEW-1', 'NEW-2')"))
    days = dict(
        rows(
            db_url,
            "SELECT a.code, i.id FROM inspections i JOIN assets a ON a.id = i.asset_id "
            "WHERE i.inspected_on >= '2020-01-01'",
        )
    )
    entries = rows(
        db_url,
        "SELECT table_name, action, record_id, record_code FROM audit_log WHERE source = 'import' ORDER BY id",
    )
    changed = [("assets", "update", ids["B-001"], "B-001")]
    added = [("assets", "create", ids["NEW-1"], "NEW-1"), ("assets", "create", ids["NEW-2"], "NEW-2")]
    assert entries == [
        *changed,
        *added,
        ("inspections", "create", days["NEW-1"], None),
        ("inspections", "create", days["B-001"], None),
    ]
