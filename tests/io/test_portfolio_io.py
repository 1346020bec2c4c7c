"""Services, the buildings housing them, their yearly usage and district population through files: the kinds
work in Japanese and English, and the bad cases of issue 16 are refused naming row and field, nothing written."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from clirun import run
from iosample import seed

from fm.db import Database


def rows(url: str, query: str) -> list[tuple]:
    database = Database(url)
    with database.connect() as connection:
        found = [tuple(r) for r in connection.execute(sa.text(query)).all()]
    database.dispose()
    return found


def csv(tmp_path, name: str, frame: dict) -> str:
    path = tmp_path / name
    pd.DataFrame(frame).to_csv(path, index=False)
    return str(path)


def test_services_buildings_usage_and_population_in_and_out(db_url, tmp_path):
    seed(db_url)  # S-001: a school of 5,400 m² in 鎌倉; districts kamakura and ofuna
    services = csv(
        tmp_path,
        "s.csv",
        {"機能番号": ["SV-1", "SV-2"], "名称": ["第一小学校", "放課後クラブ"], "機能の種類": ["school", "Child_Care"]},
    )
    assert run(db_url, "import", "services", services).exit_code == 0
    housed = {"service_code": ["SV-1", "SV-2"], "asset_code": ["S-001", "S-001"], "floor_area_m2 (m²)": [5000, 400]}
    assert run(db_url, "import", "service_buildings", csv(tmp_path, "b.csv", housed)).exit_code == 0
    usage = {
        "機能番号": ["SV-1", "SV-1", "SV-2"],
        "年度": [2024, 2025, 2025],
        "利用者数": [1000, 990, 40],
        "運営費（円）": ["1,200,000", "1,250,000", "300000"],
    }
    assert run(db_url, "import", "service_usage", csv(tmp_path, "u.csv", usage)).exit_code == 0
    people = {
        "district": ["kamakura", "ofuna"],
        "fiscal_year": [2050, 2050],
        "age_0_14": [4000, 5000],
        "age_15_64": [20000, 30000],
        "age_65_over": [15000, 16000],
        "projected": ["true", "true"],
    }
    assert run(db_url, "import", "population", csv(tmp_path, "p.csv", people)).exit_code == 0
    assert rows(db_url, "SELECT fiscal_year, users, operating_cost FROM service_usage ORDER BY fiscal_year, users") == [
        (2024, 1000, 1_200_000),
        (2025, 40, 300_000),
        (2025, 990, 1_250_000),
    ]
    # facility_usage (a view) gives the building its services' figures
    assert rows(db_url, "SELECT fiscal_year, users, operating_cost FROM facility_usage ORDER BY fiscal_year") == [
        (2024, 1000, 1_200_000),
        (2025, 1030, 1_550_000),
    ]
    assert rows(db_url, "SELECT count(*) FROM audit_log WHERE table_name = 'service_usage'") == [(3,)]
    again = run(db_url, "import", "service_usage", csv(tmp_path, "u.csv", usage), "--dry-run")
    assert "0 added, 0 updated, 3 unchanged" in again.output
    out = tmp_path / "out.csv"
    for kind, wanted in (
        ("service_usage", "機能番号"),
        ("population", "老年人口（65歳以上）"),
        ("service_buildings", "占有面積（m²）"),
    ):
        assert run(db_url, "export", kind, str(out)).exit_code == 0
        exported = pd.read_csv(out)
        assert wanted in exported.columns
        assert "0 added, 0 updated" in run(db_url, "import", kind, str(out), "--dry-run").output

    def refused(kind: str, frame: dict, *expected: str) -> None:
        before = rows(db_url, "SELECT count(*) FROM audit_log")
        result = run(db_url, "import", kind, csv(tmp_path, "bad.csv", frame))
        assert result.exit_code == 1
        for text in expected:
            assert text in result.output, result.output
        assert rows(db_url, "SELECT count(*) FROM audit_log") == before

    refused(
        "service_usage",
        {"機能番号": ["SV-1", "SV-9"], "年度": [2023, 2023], "利用者数": [5, 5]},
        "line 3, 機能番号: 'SV-9' no service with this code",
    )
    refused("service_usage", {"機能番号": ["SV-1"], "年度": [2023], "利用者数": [-5]}, "line 2, 利用者数: '-5'")
    refused(
        "service_buildings",
        {"service_code": ["SV-2"], "asset_code": ["S-001"], "floor_area_m2": [401]},
        "line 2, floor_area_m2: '401' the services of S-001 would occupy 5,401.0 m², 100.0 % of its 5,400.0 m²",
    )
    refused(
        "population",
        {"地域": ["kamakura"], "年度": [2030], "年少人口": [1], "生産年齢人口": [1], "老年人口": [1]},
        "line 2, 地域: fiscal year 2030 has no row for district ofuna",
    )
    assert rows(db_url, "SELECT count(*) FROM service_buildings") == [(2,)]
    assert rows(db_url, "SELECT count(*) FROM district_population") == [(2,)]
