"""The fixed-asset ledger (固定資産台帳): imported from a cp932 CSV with full-width digits, refused when wrong,
tied to the register, and its aging ratio worked out by hand beside fm's recomputation."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sqlalchemy as sa
from clirun import run
from sample import add_sample

from fm.db import Database

HEADER = "資産番号,資産名称,勘定科目,取得年月日,取得価額等,耐用年数,減価償却累計額,期末簿価,所在地\r\n"
LEDGER = [
    # A bridge of the register, tied by the ledger number fm holds on the asset (B-001).
    'L-0001,滑川橋,工作物,1968-03-01,"48,000,000",60,"45,600,000","2,400,000",鎌倉市長谷',
    # The school, depreciated from its year of acquisition (25/50; fm: 24/50); full-width digits, as typed.
    "L-0002,第一　小学校,建物,２０００年６月１日,１００，０００，０００,５０,"
    "５０，０００，０００,５０，０００，０００,鎌倉市大船",
    # Land and construction in progress: not depreciated, not in the register, in the totals.
    'L-0003,本庁舎敷地,土地,1950-04-01,"200,000,000",,0,"200,000,000",鎌倉市御成町',
    # Furniture, fully depreciated to its 1-yen memo value.
    'L-0004,事務机一式,物品,2010-04-01,"1,000,000",5,"999,999",1,鎌倉市御成町',
    'L-0005,新庁舎建設工事,建設仮勘定,2024-05-01,"20,000,000",,0,"20,000,000",鎌倉市御成町',
]


def _write(path, lines) -> None:
    path.write_bytes((HEADER + "\r\n".join(lines) + "\r\n").encode("cp932"))


def _sample(url: str) -> None:
    database = Database(url)
    with database.session() as session:
        add_sample(session)
        session.execute(sa.text("UPDATE assets SET ledger_no = 'L-0001' WHERE code = 'B-001'"))
    database.dispose()


def test_five_rows_aging_ratio_by_hand(db_url, tmp_path):
    _sample(db_url)
    path = tmp_path / "台帳.csv"
    _write(path, LEDGER)
    done = run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["added"] == 5
    again = json.loads(run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024", "--format", "json").stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 5)

    aging = json.loads(run(db_url, "ledger", "aging", "--format", "json").stdout)
    totals, rows = aging["totals"], {r["ledger_no"]: r for r in aging["rows"]}
    # By hand, at the end of FY2024 (31 March 2025). Depreciable: the bridge, the school, the furniture.
    #   ledger: (45,600,000 + 50,000,000 + 999,999) / (48,000,000 + 100,000,000 + 1,000,000) = 64.83 %
    #   fm: the bridge FY1967 → 57 of 60 years = 45,600,000; the school FY2000 → 24 of 50 = 48,000,000;
    #       the furniture beyond its 5 years = 999,999: 94,599,999 / 149,000,000 = 63.49 %
    ledger_ratio = Fraction(45_600_000 + 50_000_000 + 999_999, 149_000_000) * 100
    fm_ratio = Fraction(45_600_000 + 48_000_000 + 999_999, 149_000_000) * 100
    assert totals["ledger_ratio"] == round(float(ledger_ratio), 1) == 64.8
    assert totals["fm_ratio"] == round(float(fm_ratio), 1) == 63.5
    # Land and construction in progress count in the totals as the balance sheet counts them.
    assert totals["acquisition_cost"] == 48_000_000 + 100_000_000 + 200_000_000 + 1_000_000 + 20_000_000
    assert totals["book_value"] == 2_400_000 + 50_000_000 + 200_000_000 + 1 + 20_000_000
    assert totals["depreciable_cost"] == 149_000_000
    assert [rows[n]["difference"] for n in sorted(rows)] == [0, 2_000_000, 0, 0, 0]
    assert rows["L-0002"]["reason"] == "the ledger depreciates from the fiscal year of acquisition"
    assert rows["L-0002"]["acquired_on"] == "2000-06-01"
    assert totals["in_register"] == 1  # the bridge, by its ledger number

    match = json.loads(run(db_url, "ledger", "match", "--format", "json").stdout)
    assert match["counts"] == {"matched": 1, "doubtful": 1, "unmatched": 0, "outside": 3}
    (doubtful,) = match["rows"]
    assert (doubtful["ledger_no"], doubtful["candidates"], doubtful["state"]) == ("L-0002", "S-001", "doubtful")
    assert run(db_url, "ledger", "settle", "L-0002", "S-001").exit_code == 0
    match = json.loads(run(db_url, "ledger", "match", "--format", "json").stdout)
    assert match["counts"] == {"matched": 2, "doubtful": 0, "unmatched": 0, "outside": 3} and match["rows"] == []
    aging = json.loads(run(db_url, "ledger", "aging", "--format", "json").stdout)
    assert aging["totals"]["in_register"] == 2

    out = tmp_path / "out.xlsx"
    assert run(db_url, "export", "ledger", str(out), "--lang", "en").exit_code == 0
    back = json.loads(run(db_url, "import", "ledger", str(out), "--fiscal-year", "2024", "--format", "json").stdout)
    assert (back["added"], back["updated"], back["unchanged"]) == (0, 0, 5)


@pytest.mark.parametrize("backend", ["sqlite"])  # the file's checks, before any write
def test_bad_ledgers_refused(db_url, tmp_path):
    _sample(db_url)
    path = tmp_path / "bad.csv"
    _write(
        path,
        [
            LEDGER[0],
            'L-0002,第一小学校,建物,2000-06-01,"100,000,000",50,"120,000,000",0,',
            'L-0003,本庁舎敷地,土地,1950-04-01,"200,000,000",,0,"-5",',
            'l-0001,滑川橋(重複),工作物,1968-03-01,"48,000,000",60,"45,600,000","2,400,001",',
        ],
    )
    result = run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "line 4, 期末簿価: '-5' must not be negative",
        "line 5, 資産番号: 'l-0001' duplicate: the same ledger_no as line 2",
    ]
    _write(path, [LEDGER[0], 'L-0002,第一小学校,建物,2000-06-01,"100,000,000",50,"120,000,000",0,', LEDGER[2]])
    result = run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024")
    assert result.output.splitlines()[1:] == [
        "line 3, 減価償却累計額: '120,000,000' is above the acquisition cost (100,000,000 yen)",
    ]
    _write(path, [LEDGER[0].replace('"2,400,000"', '"2,400,001"')])
    result = run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024")
    assert result.output.splitlines()[1:] == [
        "line 2, 期末簿価: '2,400,001' is not the acquisition cost less the accumulated depreciation "
        "(48,000,000 − 45,600,000 = 2,400,000 yen)",
    ]
    database = Database(db_url)
    with database.session() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM ledger_entries")) == 0
    database.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_ledger_page_settles_a_pair(db_url, tmp_path, app, client_as):
    _sample(db_url)
    path = tmp_path / "台帳.csv"
    _write(path, LEDGER)
    assert run(db_url, "import", "ledger", str(path), "--fiscal-year", "2024").exit_code == 0
    viewer = client_as("viewer")
    page = viewer.get("/ledger?lang=en").get_data(as_text=True)
    assert "64.8 %" in page and "63.5 %" in page and "L-0002" in page
    assert "the ledger depreciates from the fiscal year of acquisition" in page
    assert 'name="asset_code"' not in page  # a viewer sees the pairs, settles none
    # The API answers what the CLI prints.
    for cli, url in ((["ledger", "aging", "--format", "json"], "/api/ledger/aging"),):
        assert viewer.get(url).get_json() == json.loads(run(db_url, *cli).stdout)
    assert viewer.get("/api/ledger/pairs").get_json()["counts"]["doubtful"] == 1
    assert viewer.post("/ledger/settle/L-0002", data={"asset_code": "S-001"}).status_code == 403
    finance = client_as("finance", "suzuki")
    bad = finance.post("/ledger/settle/L-0002?lang=en", data={"asset_code": "S-404"})
    assert bad.status_code == 400 and "no asset with code" in bad.get_data(as_text=True)
    assert finance.post("/ledger/settle/L-0002", data={"asset_code": "S-001"}).status_code == 302
    assert "Nothing to settle." in finance.get("/ledger?lang=en").get_data(as_text=True)
    database = Database(db_url)
    with database.session() as session:
        entry = session.execute(
            sa.text("SELECT actor, changes FROM audit_log WHERE record_code = 'L-0002' ORDER BY id DESC")
        ).first()
    database.dispose()
    changes = entry[1] if isinstance(entry[1], dict) else json.loads(entry[1])
    assert entry[0] == "suzuki" and changes == {"asset": [None, "S-001"], "match_status": [None, "confirmed"]}
