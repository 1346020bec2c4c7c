"""fm.app.forms without Flask: a form's strings checked by the importer's rules, saved through fm.accounts.edits.

On SQLite and PostGIS: every form's happy path writes exactly its row (and one audit entry);
every kind of bad value comes back next to its field with nothing written; the importer
refuses the same bad values with the same message; a second save over a changed record
is refused and keeps the first.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from formsample import contents, seed

from fm.accounts import audit
from fm.app import forms
from fm.app.forms import FORM, GEOMETRY, Invalid, Saved
from fm.db import Database
from fm.io.importer import import_file
from fm.io.problems import Rejected
from fm.model import metadata

TODAY = date(2026, 6, 1)


@pytest.fixture
def url(db_url: str) -> str:
    seed(db_url)
    return db_url


def submit(url: str, form: str, values: dict[str, str], **options):
    database = Database(url)
    with database.session() as session:
        result = forms.submit(session, form, values, actor="tanaka", today=TODAY, **options)
    database.dispose()
    return result


def load(url: str, form: str, key: str | int) -> forms.Loaded:
    database = Database(url)
    with database.session() as session:
        record_id = key if isinstance(key, int) else forms.find(session, form, key)
        loaded = forms.load(session, form, record_id)
    database.dispose()
    return loaded


def one(url: str, sql: str, **params) -> dict:
    database = Database(url)
    with database.connect() as connection:
        rows = connection.execute(sa.text(sql), params).mappings().all()
    database.dispose()
    assert len(rows) == 1, rows
    return dict(rows[0])


def history(url: str, table: str, record_id: int) -> pd.DataFrame:
    database = Database(url)
    with database.session() as session:
        found, _total = audit.history(session, table_name=table, record_id=record_id)
    database.dispose()
    return found


def changed_tables(before: dict, after: dict) -> set[str]:
    """The tables whose rows changed, but for the change counters that move with every write and the log of the
    assets whose inspections were written (fm/db/changes.py)."""
    return {name for name in before if before[name] != after[name]} - {"data_changes", "asset_changes"}


NEW = {
    "assets": (
        {
            "code": "N-001",
            "name": "新しい公民館",
            "category": "community_centre",
            "district": "kamakura",
            "year_built": "1998",
            "floor_area_m2": "1,200.5",
            "acquisition_date": "1998-04-01",
            "acquisition_cost": "250000000",
            "status": "in_service",
            "is_evacuation_shelter": "true",
            GEOMETRY: "139.55, 35.32",
        },
        "SELECT code, name, category, year_built, floor_area_m2, acquisition_cost, is_evacuation_shelter, "
        "status, version FROM assets WHERE code = 'N-001'",
        {
            "code": "N-001",
            "name": "新しい公民館",
            "category": "community_centre",
            "year_built": 1998,
            "floor_area_m2": 1200.5,
            "acquisition_cost": 250_000_000,
            "is_evacuation_shelter": True,
            "status": "in_service",
            "version": 1,
        },
        "assets",
    ),
    "parcels": (
        {
            "code": "LP-009",
            "name": "山崎地内",
            "district": "ofuna",
            "acquired_on": "2010-05-01",
            GEOMETRY: "POLYGON ((139.53 35.35, 139.531 35.35, 139.531 35.351, 139.53 35.35))",
        },
        "SELECT code, name, owner_department, acquired_on, version FROM land_parcels WHERE code = 'LP-009'",
        {"code": "LP-009", "name": "山崎地内", "owner_department": None, "acquired_on": date(2010, 5, 1), "version": 1},
        "land_parcels",
    ),
    "plans": (
        {
            "code": "PL-002",
            "title": "公園施設長寿命化計画",
            "adopted_on": "2024-03-29",
            "period_start_fy": "2024",
            "period_end_fy": "2033",
            "asset_codes": "P-001\nS-001, P-001",
        },
        "SELECT code, title, adopted_on, period_start_fy, period_end_fy, under_infrastructure_plan, version "
        "FROM individual_plans WHERE code = 'PL-002'",
        {
            "code": "PL-002",
            "title": "公園施設長寿命化計画",
            "adopted_on": date(2024, 3, 29),
            "period_start_fy": 2024,
            "period_end_fy": 2033,
            "under_infrastructure_plan": False,
            "version": 1,
        },
        "individual_plans",
    ),
    "inspections": (
        {
            "asset_code": "B-002",
            "inspected_on": "2026-05-20",
            "inspector": "山田",
            "method": "close_visual",
            "soundness": "3",
            "next_due_on": "2031-05-20",
        },
        "SELECT i.inspected_on, i.inspector, i.method, i.soundness, i.condition_score, i.version "
        "FROM inspections i JOIN assets a ON a.id = i.asset_id WHERE a.code = 'B-002'",
        {
            "inspected_on": date(2026, 5, 20),
            "inspector": "山田",
            "method": "close_visual",
            "soundness": 3,
            "condition_score": None,
            "version": 1,
        },
        "inspections",
    ),
    "work_orders": (
        {
            "code": "W-100",
            "asset_code": "R-001",
            "kind": "reactive",
            "cause": "sudden_failure",
            "description": "舗装の陥没補修",
            "planned_on": "2026-06-10",
            "planned_cost": "¥1,500,000",
            "status": "planned",
        },
        "SELECT code, kind, cause, planned_on, planned_cost, status, version FROM work_orders WHERE code = 'W-100'",
        {
            "code": "W-100",
            "kind": "reactive",
            "cause": "sudden_failure",
            "planned_on": date(2026, 6, 10),
            "planned_cost": 1_500_000,
            "status": "planned",
            "version": 1,
        },
        "work_orders",
    ),
}


def _dates(row: dict) -> dict:
    """Dates as dates on both backends (SQLite gives text through a raw query)."""
    return {
        k: date.fromisoformat(v) if isinstance(v, str) and k.endswith(("_on", "_date")) else v for k, v in row.items()
    }


@pytest.mark.parametrize("form", NEW)
def test_a_new_record_writes_its_row_and_one_audit_entry(url, form):
    values, query, expected, table = NEW[form]
    before = contents(url)
    result = submit(url, form, values)
    assert isinstance(result, Saved), result
    row = _dates(one(url, query))
    assert {k: (bool(v) if isinstance(expected[k], bool) else v) for k, v in row.items()} == expected
    after = contents(url)
    also = {"parcels": set(), "plans": {"plan_assets"}}.get(form, set())
    assert changed_tables(before, after) == {table, audit_table(), *also}
    assert len(after[table]) == len(before[table]) + 1
    entries = history(url, table, result.id)
    assert len(entries) == 1 and entries.iloc[0]["action"] == "create" and entries.iloc[0]["actor"] == "tanaka"


def audit_table() -> str:
    return next(name for name in metadata.tables if name.startswith("audit"))


def test_a_new_asset_point_typed_as_lon_lat_is_stored_as_a_point(url):
    result = submit(url, "assets", NEW["assets"][0])
    assert load(url, "assets", result.id).values[GEOMETRY] == "POINT (139.55 35.32)"


def test_a_plan_covers_the_listed_assets_once_each(url):
    submit(url, "plans", NEW["plans"][0])
    assert load(url, "plans", "PL-002").values["asset_codes"] == "P-001\nS-001"


def test_a_parcel_use_becomes_its_current_use(url):
    values = {
        **load(url, "parcels", "LP-001").values,
        "current_use": "駐車場",
        "utilisation": "in_use",
        "use_since": "2026-04-01",
    }
    result = submit(url, "parcels", values, record_id=load(url, "parcels", "LP-001").id, version="1")
    assert isinstance(result, Saved), result
    loaded = load(url, "parcels", "LP-001")
    assert (loaded.values["current_use"], loaded.values["use_since"]) == ("駐車場", "2026-04-01")
    assert one(url, "SELECT count(*) AS n FROM parcel_uses")["n"] == 3


@pytest.mark.parametrize(
    ("form", "key", "change"),
    [
        ("assets", "S-001", {"name": "第一小学校（新校舎）", "floor_area_m2": "6100"}),
        ("parcels", "LP-001", {"owner_department": "管財課"}),
        ("plans", "PL-001", {"period_end_fy": "2031", "asset_codes": "B-001"}),
        ("work_orders", "W-001", {"actual_cost": "3,300,000"}),
        ("work_orders", "W-001", {"state_after": "2"}),
    ],
)
def test_an_edit_changes_only_what_changed_and_audits_it(url, form, key, change):
    loaded = load(url, form, key)
    before = contents(url)
    result = submit(url, form, {**loaded.values, **change}, record_id=loaded.id, version=str(loaded.version))
    assert isinstance(result, Saved), result
    assert result.version == loaded.version + 1
    again = load(url, form, key)
    assert {k: again.values[k] for k in change} == {k: v.replace(",", "") for k, v in change.items()}
    table = forms.FORMS[form].table
    entries = history(url, table, loaded.id)
    assert len(entries) == 1 and entries.iloc[0]["action"] == "update"
    changed = set(entries.iloc[0]["changes"]) - {"asset_codes"}
    assert changed == set(change) - {"asset_codes"}
    assert changed_tables(before, contents(url)) <= {table, audit_table(), "plan_assets"}


def test_an_inspection_edit(url):
    database = Database(url)
    with database.connect() as connection:
        inspection = connection.execute(sa.text("SELECT id FROM inspections ORDER BY id")).scalar()
    database.dispose()
    loaded = load(url, "inspections", inspection)
    result = submit(
        url,
        "inspections",
        {**loaded.values, "findings": "支承部に腐食"},
        record_id=inspection,
        version=str(loaded.version),
    )
    assert isinstance(result, Saved) and result.page == "B-001"
    assert load(url, "inspections", inspection).values["findings"] == "支承部に腐食"


def test_saving_a_form_unchanged_changes_no_value(url):
    loaded = load(url, "assets", "P-001")
    submit(url, "assets", loaded.values, record_id=loaded.id, version=str(loaded.version))
    entries = history(url, "assets", loaded.id)
    assert all(not changes for changes in entries["changes"]) if len(entries) else True
    assert load(url, "assets", "P-001").values == loaded.values


# ------------------------------------------------------------------------------ bad values

BAD = [  # form, field, value, the validator's message (exactly), on top of a good record
    ("assets", "code", "", "required: must not be empty"),
    ("assets", "name", "長" * 201, "longer than 200 characters"),
    ("assets", "category", "castle", "unknown category; known: "),
    ("assets", "acquisition_cost", "-5", "must not be negative"),
    ("assets", "acquisition_cost", "高い", "not a number (whole yen)"),
    ("assets", "acquisition_cost", "12.5", "must be a whole number of yen"),
    ("assets", "floor_area_m2", "0", "must be greater than 0"),
    ("assets", "year_built", "1500", "must be at least 1600"),
    ("assets", "acquisition_date", "2024-13-45", "not a date (write it as 2025-04-01)"),
    ("assets", "acquisition_date", "2999-01-01", "is in the future (today is 2026-06-01)"),
    ("assets", "status", "closed", "a closed asset needs its closed_on"),
    ("assets", "status", "demolished", "not one of in_service, closed, disposed"),
    (
        "assets",
        GEOMETRY,
        "POLYGON ((139.5 35.3, 139.51 35.31, 139.51 35.3, 139.5 35.31, 139.5 35.3))",
        "invalid geometry: Self-intersection",
    ),
    (
        "assets",
        GEOMETRY,
        "LINESTRING (139.55 35.32, 139.56 35.33)",
        "a community_centre must be a point or a polygon, not a line",
    ),
    (
        "assets",
        GEOMETRY,
        "35.32, 139.55",
        "outside Japan: longitude and latitude look swapped (lon is 122–154, lat 20–46)",
    ),
    (
        "assets",
        GEOMETRY,
        "2.35, 48.85",
        "outside Japan (lon 122–154, lat 20–46 after reprojecting from EPSG:4326): is that the file's CRS?",
    ),
    ("assets", GEOMETRY, "POLYGON ((139.5 35.3, 139.51", "not valid WKT"),
    ("parcels", GEOMETRY, "", "required: no geometry"),
    ("parcels", GEOMETRY, "POINT (139.5 35.3)", "must be a polygon or multipolygon"),
    ("parcels", "use_since", "2020-01-01", "needs its utilisation too"),
    ("parcels", "disposed_on", "2001-01-01", "is before the acquisition date"),
    ("inspections", "soundness", "3", "give exactly one of soundness and condition_score"),
    ("inspections", "condition_score", "6", "must be at most 5"),
    ("inspections", "next_due_on", "2020-01-01", "is before the inspection"),
    ("inspections", "asset_code", "NOPE-1", "no asset with this code in the database"),
    ("work_orders", "cause", "", "a reactive work order needs its cause (e.g. sudden_failure)"),
    ("work_orders", "status", "completed", "a completed work order needs its completed_on"),
    ("work_orders", "planned_cost", "1.5", "must be a whole number of yen"),
    ("work_orders", "kind", "fix", "not one of preventive, reactive, renewal"),
    ("work_orders", "state_after", "Ⅵ", "not a condition state: soundness Ⅰ–Ⅳ (I–IV or 1–4) or a score 1–5"),
    (
        "work_orders",
        "state_after",
        "2",
        "only a completed work order records the condition after the work (its status is planned): "
        "set its status to completed, or leave this empty",
    ),
    ("work_orders", "state_after", "5", "asset B-001 is a bridge, whose condition is a soundness class Ⅰ–Ⅳ (1–4)"),
    ("plans", "period_end_fy", "2019", "is before period_start_fy"),
    ("plans", "asset_codes", "B-001, NOPE-1, NOPE-2", "no asset with these codes in the database: NOPE-1, NOPE-2"),
    ("plans", "title", "", "required: must not be empty"),
]
IDS = [f"{form}-{field}-{message[:30]}" for form, field, _value, message in BAD]
GOOD = {form: values for form, (values, *_rest) in NEW.items()}
GOOD["inspections"] = {**GOOD["inspections"], "inspected_on": "2026-05-20"}
GOOD["parcels"] = {**GOOD["parcels"], "disposed_on": ""}


def bad_values(form: str, field: str, value: str) -> dict[str, str]:
    values = {**GOOD[form], field: value}
    if (form, field) == ("inspections", "soundness"):
        values["condition_score"] = "2"
    if (form, field) == ("inspections", "condition_score"):
        values["soundness"] = ""
    if (form, field) == ("parcels", "disposed_on"):
        values["acquired_on"] = "2010-05-01"
    if (form, field, value) == ("work_orders", "state_after", "5"):  # a score on a bridge, done
        values.update(asset_code="B-001", status="completed", completed_on="2026-05-01")
    return values


@pytest.mark.parametrize(("form", "field", "value", "message"), BAD, ids=IDS)
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_written(url, form, field, value, message):
    before = contents(url)
    result = submit(url, form, bad_values(form, field, value))
    assert isinstance(result, Invalid) and not result.conflict
    assert list(result.errors) == [field], result.errors
    assert any(m.startswith(message) for m in result.errors[field]), result.errors
    assert contents(url) == before


IMPORTED = [case for case in BAD if case[0] != "plans"]


@pytest.mark.parametrize(
    ("form", "field", "value", "message"),
    IMPORTED,
    ids=[i for i, case in zip(IDS, BAD, strict=True) if case[0] != "plans"],
)
def test_the_importer_refuses_the_same_values_with_the_same_message(url, tmp_path, form, field, value, message):
    """The same record as a CSV row (English headers, the geometry as WKT in EPSG:4326)."""
    values = bad_values(form, field, value)
    form_errors = submit(url, form, values).errors
    row = {k: v for k, v in values.items() if k != GEOMETRY}
    if GEOMETRY in values:
        row["wkt (EPSG:4326)"] = (
            "POINT ({} {})".format(*values[GEOMETRY].split(", "))
            if forms._LONLAT.match(values[GEOMETRY])
            else values[GEOMETRY]
        )
    path = tmp_path / f"{form}.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    before = contents(url)
    database = Database(url)
    with database.session() as session, pytest.raises(Rejected) as refused:
        import_file(session, form, path, today=TODAY)
    database.dispose()
    assert contents(url) == before
    imported = {}
    for problem in refused.value.details:
        imported.setdefault(GEOMETRY if problem.field.startswith("wkt") else problem.field, []).append(problem.message)
    assert imported == form_errors


def test_a_taken_code_is_refused_by_the_form(url):
    before = contents(url)
    result = submit(url, "assets", {**GOOD["assets"], "code": "B-001"})
    assert result.errors == {"code": ["an asset with this code exists already"]}
    same_day = submit(
        url,
        "inspections",
        {**GOOD["inspections"], "asset_code": "B-001", "inspected_on": "2019-10-01", "next_due_on": ""},
    )
    assert same_day.errors == {"inspected_on": ["this asset has an inspection on this day already: edit that one"]}
    assert contents(url) == before


# ------------------------------------------------------------------------------ optimistic locking


def test_the_second_save_of_the_same_version_is_refused_and_the_first_kept(url):
    first, second = load(url, "assets", "S-001"), load(url, "assets", "S-001")
    saved = submit(
        url, "assets", {**first.values, "name": "第一小学校（甲）"}, record_id=first.id, version=str(first.version)
    )
    assert isinstance(saved, Saved)
    before = contents(url)
    refused = submit(
        url,
        "assets",
        {**second.values, "name": "第一小学校（乙）", "structure": "S"},
        record_id=second.id,
        version=str(second.version),
    )
    assert isinstance(refused, Invalid) and refused.conflict
    assert list(refused.errors) == [FORM] and "tanaka" in refused.errors[FORM][0]
    assert contents(url) == before
    assert load(url, "assets", "S-001").values["name"] == "第一小学校（甲）"


def test_a_form_without_its_version_is_refused(url):
    loaded = load(url, "assets", "S-001")
    result = submit(url, "assets", loaded.values, record_id=loaded.id, version="")
    assert isinstance(result, Invalid) and FORM in result.errors


# ------------------------------------------------------------------------------ messages


def test_every_message_a_form_can_show_is_in_the_catalogue():
    """Each bad value's message matches an entry of forms.MESSAGES (so it is translated)."""
    for _form, _field, _value, message in BAD:
        assert any(pattern.match(message) for pattern, _ in forms.MESSAGES), message


def test_messages_in_japanese():
    from babel.support import Translations

    from fm.web.i18n import TRANSLATIONS

    ja = Translations.load(str(TRANSLATIONS), ["ja"])
    assert forms.localise("a closed asset needs its closed_on", ja.gettext) == "休止中の資産には休止日が必要です"
    assert (
        forms.localise("a road must be a line, not a point", ja.gettext, names={"road": "道路"})
        == "道路の形状は線にしてください（点は不可）"
    )
    assert forms.localise("must be greater than 0", ja.gettext) == "0より大きい値にしてください"
    assert (
        forms.localise("a school must be a point or a polygon, not a line", ja.gettext)
        == "schoolの形状は点または面にしてください（線は不可）"
    )


def test_geometry_text_round_trips():
    assert forms.text(shapely.MultiPolygon([shapely.box(0, 0, 1, 1)])).startswith("MULTIPOLYGON (((")


def test_every_field_has_a_label_and_a_widget():
    for form in forms.FORMS.values():
        for name in form.fields:
            assert name in forms.LABELS, (form.name, name)
            assert forms.widget(form.column(name)) in (
                "text",
                "textarea",
                "select",
                "checkbox",
                "date",
                "number",
                "soundness",
                "codes",
                "geometry",
            )
            for value in getattr(form.column(name), "allowed", ()):
                assert value in forms.CHOICES, value
