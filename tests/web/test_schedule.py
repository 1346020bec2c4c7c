"""The engineers' schedule on SQLite and PostGIS: order, filters against the database, downloads, and
starting and closing work orders (exact columns written, audit entry, field errors, stale versions)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from clirun import run
from dutysample import add_judged
from sample import add_sample

from fm.db import Database
from fm.domain.schedule import default_end
from fm.model import Inspection, WorkOrder

TODAY = date.today()


def seed(url: str) -> dict[str, int]:
    """The six-asset sample plus work orders around today and inspections with their next due dates.

    On the schedule by default (to the end of the third month ahead): W-OLD (overdue 40 days), the
    inspection of B-001 (due 2024-10-01), W-RUN (in progress, 3 days overdue), W-SOON (in 10 days),
    W-NEXT (in 45 days), the inspection of S-001 (in 20 days). Not on it: W-LATE (in 200 days),
    W-DONE (completed), W-NODATE (no planned date), the disposed X-001's inspection.
    """
    database = Database(url)
    with database.session() as session:
        ids = add_sample(session)
        day = lambda n: TODAY + timedelta(days=n)  # noqa: E731
        session.add_all(
            [
                WorkOrder(
                    code="W-OLD",
                    asset_id=ids["B-001"],
                    kind="preventive",
                    cause="planned",
                    description="塗装",
                    planned_on=day(-40),
                    planned_cost=1_200_000,
                    status="planned",
                ),
                WorkOrder(
                    code="W-RUN",
                    asset_id=ids["S-001"],
                    kind="reactive",
                    cause="sudden_failure",
                    planned_on=day(-3),
                    started_on=day(-2),
                    planned_cost=300_000,
                    status="in_progress",
                ),
                WorkOrder(
                    code="W-SOON",
                    asset_id=ids["B-002"],
                    kind="renewal",
                    planned_on=day(10),
                    planned_cost=45_000_000,
                    status="planned",
                ),
                WorkOrder(
                    code="W-NEXT",
                    asset_id=ids["R-001"],
                    kind="preventive",
                    planned_on=day(45),
                    planned_cost=800_000,
                    status="planned",
                ),
                WorkOrder(
                    code="W-LATE", asset_id=ids["R-001"], kind="preventive", planned_on=day(200), status="planned"
                ),
                WorkOrder(
                    code="W-DONE",
                    asset_id=ids["B-002"],
                    kind="preventive",
                    planned_on=day(-5),
                    completed_on=day(-1),
                    status="completed",
                ),
                WorkOrder(code="W-NODATE", asset_id=ids["B-002"], kind="preventive", status="planned"),
                Inspection(
                    asset_id=ids["S-001"], inspected_on=date(2024, 6, 1), condition_score=2, next_due_on=day(20)
                ),
                Inspection(
                    asset_id=ids["X-001"],
                    inspected_on=date(2019, 6, 1),
                    condition_score=4,
                    next_due_on=date(2020, 6, 1),
                ),
            ]
        )
    database.dispose()
    return ids


@pytest.fixture
def seeded(db_url):
    seed(db_url)
    return db_url


def _codes(rows: list[dict]) -> list[str]:
    return [row["code"] or f"insp:{row['asset_code']}" for row in rows]


def test_overdue_first_then_by_month(seeded, client):
    body = client.get("/api/schedule").get_json()
    assert body["to"] == default_end(TODAY).isoformat() and body["from"] is None
    rows = body["rows"]
    assert _codes(rows[:3]) == ["insp:B-001", "W-OLD", "W-RUN"]  # oldest first
    assert [r["group"] for r in rows[:3]] == ["overdue"] * 3
    assert [r["days_overdue"] for r in rows[:3]] == [(TODAY - date(2024, 10, 1)).days, 40, 3]
    rest = rows[3:]
    assert sorted(_codes(rest)) == ["W-NEXT", "W-SOON", "insp:S-001"]
    assert [r["due_on"] for r in rest] == sorted(r["due_on"] for r in rest)
    assert all(r["group"] == r["due_on"][:7] for r in rest)
    assert body["groups"][0] == {
        "key": "overdue",
        "overdue": True,
        "start": None,
        "end": None,
        "fiscal_year": None,
        "count": 3,
    }
    week = client.get("/api/schedule?by=week").get_json()
    assert _codes(week["rows"]) == _codes(rows)
    for row in week["rows"][3:]:
        year, number, _ = date.fromisoformat(row["due_on"]).isocalendar()
        assert row["group"] == f"{year}-W{number:02d}"


def test_page_shows_the_groups_in_order(seeded, client):
    page = client.get("/schedule?lang=en").get_data(as_text=True)
    assert page.index("Overdue") < page.index("W-OLD") < page.index("W-RUN") < page.index("W-SOON")
    assert "W-LATE" not in page and "W-DONE" not in page and "W-NODATE" not in page
    assert re.search(r'class="fy">FY\d{4}<', page)
    weeks = client.get("/schedule?lang=ja&by=week").get_data(as_text=True)
    assert re.search(r"\d{4}-W\d{2}", weeks) and "年度" in weeks
    assert "W-LATE" in client.get(f"/schedule?to={(TODAY + timedelta(days=400)).isoformat()}").get_data(as_text=True)


def _database_count(url: str, *, end: date, kind: str | None, category: str | None, district: str | None) -> int:
    """What the schedule should hold, counted in SQL: open dated work orders, and each held asset's latest
    inspection's next due date (every inspection of the seed has one)."""
    database = Database(url)
    where_asset = []
    if category:
        where_asset.append("a.category = :category")
    if district:
        where_asset.append("a.district_id = (SELECT id FROM districts WHERE code = :district)")
    extra = "".join(f" AND {w}" for w in where_asset)
    work = (
        "SELECT count(*) FROM work_orders w JOIN assets a ON a.id = w.asset_id WHERE w.status IN "
        "('planned', 'in_progress') AND w.planned_on IS NOT NULL AND w.planned_on <= :end" + extra
    )
    inspections = (
        "SELECT count(*) FROM inspections i JOIN assets a ON a.id = i.asset_id WHERE a.status <> "
        "'disposed' AND i.next_due_on <= :end AND i.inspected_on = (SELECT max(inspected_on) FROM "
        "inspections j WHERE j.asset_id = i.asset_id)" + extra
    )
    parameters = {"end": end, "category": category, "district": district}
    with database.session() as session:
        total = 0
        if kind in (None, "work_order"):
            total += session.execute(sa.text(work), parameters).scalar_one()
        if kind in (None, "inspection"):
            total += session.execute(sa.text(inspections), parameters).scalar_one()
    database.dispose()
    return total


@pytest.mark.parametrize("kind", [None, "work_order", "inspection"])
def test_filters_equal_counts_in_the_database(seeded, client, kind):
    end = TODAY + timedelta(days=400)
    for category in (None, "bridge", "school", "road"):
        for district in (None, "kamakura", "ofuna"):
            query = {"to": end.isoformat(), "kind": kind or "", "category": category or "", "district": district or ""}
            rows = client.get("/api/schedule", query_string=query).get_json()["rows"]
            expected = _database_count(seeded, end=end, kind=kind, category=category, district=district)
            assert len(rows) == expected, query
            assert all(
                (r["kind"] == kind or kind is None)
                and (r["category"] == category or category is None)
                and (r["district"] == district or district is None)
                for r in rows
            )
    assert _database_count(seeded, end=end, kind=None, category=None, district=None) == 7


def test_window_from(seeded, client):
    rows = client.get("/api/schedule", query_string={"from": TODAY.isoformat()}).get_json()["rows"]
    assert sorted(_codes(rows)) == ["W-NEXT", "W-SOON", "insp:S-001"]


def test_downloads_list_the_same_rows(seeded, client):
    rows = client.get("/api/schedule?by=week").get_json()["rows"]
    response = client.get("/schedule/export.csv?by=week")
    assert response.mimetype == "text/csv" and response.data.startswith(b"\xef\xbb\xbf")
    listed = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["asset_code"] for r in listed] == [r["asset_code"] for r in rows]
    assert [r["group"] for r in listed] == [r["group"] for r in rows]
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/schedule/export.xlsx?by=week").data)).active
    values = list(sheet.values)
    assert values[0][:4] == ("group", "kind", "due_on", "days_overdue") and len(values) == len(rows) + 1
    assert client.get("/schedule/export.pdf").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "by=year",
        "from=2026-13-01",
        "to=tomorrow",
        "category=castle",
        "district=mars",
        "kind=party",
        "from=2030-01-01&to=2029-01-01",
    ],
)
def test_bad_parameters_are_400(seeded, client, query):
    response = client.get(f"/api/schedule?{query}")
    assert response.status_code == 400, query
    assert query.split("=")[0] in response.get_json()["error"]["message"]


# Starting and closing ---------------------------------------------------------------------------


def _work_order(url: str, code: str) -> dict:
    database = Database(url)
    with database.session() as session:
        row = session.execute(sa.select(WorkOrder.__table__).where(WorkOrder.code == code)).mappings().one()
        row = dict(row)
    database.dispose()
    return row


def _audit(url: str, record_id: int) -> list[dict]:
    database = Database(url)
    with database.session() as session:
        rows = (
            session.execute(
                sa.text(
                    "SELECT actor, source, action, table_name, changes FROM audit_log WHERE "
                    "table_name = 'work_orders' AND record_id = :id ORDER BY id"
                ),
                {"id": record_id},
            )
            .mappings()
            .all()
        )
        rows = [dict(r) for r in rows]
    database.dispose()
    return rows


def _changed(before: dict, after: dict) -> set[str]:
    return {k for k in before if before[k] != after[k]} - {"updated_at"}


def test_start_writes_status_and_date_and_an_audit_entry(seeded, client_as):
    engineer = client_as("engineer")
    before = _work_order(seeded, "W-SOON")
    day = TODAY - timedelta(days=1)
    response = engineer.post(
        f"/schedule/work-orders/{before['code']}/start",
        data={"version": before["version"], "started_on": day.isoformat()},
    )
    assert response.status_code == 302
    after = _work_order(seeded, "W-SOON")
    assert _changed(before, after) == {"status", "started_on", "version"}
    assert (after["status"], after["started_on"], after["version"]) == ("in_progress", day, before["version"] + 1)
    entries = _audit(seeded, before["id"])
    assert len(entries) == 1
    entry = entries[0]
    changes = entry["changes"] if isinstance(entry["changes"], dict) else __import__("json").loads(entry["changes"])
    assert (entry["actor"], entry["source"], entry["action"]) == ("engineer", "web", "update")
    assert changes == {"status": ["planned", "in_progress"], "started_on": [None, day.isoformat()]}


def test_start_defaults_to_today(seeded, client_as):
    before = _work_order(seeded, "W-NEXT")
    client_as("engineer").post(f"/schedule/work-orders/{before['code']}/start", data={"version": before["version"]})
    assert _work_order(seeded, "W-NEXT")["started_on"] == TODAY


def test_done_records_date_cost_and_kind(seeded, client_as):
    before = _work_order(seeded, "W-OLD")
    response = client_as("admin").post(
        f"/schedule/work-orders/{before['code']}/done",
        data={
            "version": before["version"],
            "completed_on": TODAY.isoformat(),
            "actual_cost": "1,350,000",
            "kind": "reactive",
            "cause": "inspection_finding",
            "state_after": "1",
        },
    )
    assert response.status_code == 302
    after = _work_order(seeded, "W-OLD")
    assert _changed(before, after) == {
        "status",
        "completed_on",
        "actual_cost",
        "kind",
        "cause",
        "state_after",
        "version",
    }
    assert (after["status"], after["completed_on"], after["actual_cost"], after["kind"], after["cause"]) == (
        "completed",
        TODAY,
        1_350_000,
        "reactive",
        "inspection_finding",
    )
    assert after["state_after"] == 1
    assert len(_audit(seeded, before["id"])) == 1
    rows = client_as("viewer").get("/api/schedule").get_json()["rows"]
    assert "W-OLD" not in _codes(rows)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"actual_cost": "-5", "completed_on": "TODAY"}, "actual_cost", "must not be negative"),
        ({"actual_cost": "12.5", "completed_on": "TODAY"}, "actual_cost", "whole number"),
        ({"actual_cost": "abc", "completed_on": "TODAY"}, "actual_cost", "not a number"),
        ({"actual_cost": "100", "completed_on": ""}, "completed_on", "a completed work order needs its"),
        ({"actual_cost": "100", "completed_on": "TOMORROW"}, "completed_on", "is in the future"),
        ({"actual_cost": "100", "completed_on": "2025-02-30"}, "completed_on", "not a date"),
        (
            {"actual_cost": "100", "completed_on": "TODAY", "kind": "reactive", "cause": ""},
            "cause",
            "a reactive work order needs its",
        ),
        ({"actual_cost": "100", "completed_on": "TODAY", "kind": "fixed"}, "kind", "not one of"),
        ({"completed_on": "TODAY", "state_after": "5"}, "state_after", "asset B-001 is a bridge, whose condition"),
        ({"completed_on": "TODAY", "state_after": "good"}, "state_after", "not a condition state"),
        (
            {"actual_cost": "100", "completed_on": "TODAY", "started_on_before": True},
            "completed_on",
            "before the start date",
        ),
    ],
)
def test_bad_values_show_the_message_and_write_nothing(seeded, client_as, form, field, message):
    form = dict(form)  # the parameter is shared by both backends' runs
    code = "W-RUN" if form.pop("started_on_before", False) else "W-OLD"
    before = _work_order(seeded, code)
    days = {"TODAY": TODAY, "TOMORROW": TODAY + timedelta(days=1)}
    form["completed_on"] = days.get(form["completed_on"], form["completed_on"])
    if code == "W-RUN":
        form["completed_on"] = (TODAY - timedelta(days=5)).isoformat()  # started two days ago
    data = {"version": before["version"], "kind": before["kind"], "cause": before["cause"] or "", **form}
    response = client_as("engineer").post(f"/schedule/work-orders/{before['code']}/done?lang=en", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    found = re.search(rf'<span class="field-error" id="error-{field}">([^<]*)</span>', page)
    assert found and message in found.group(1), page
    assert 'aria-invalid="true"' in page
    assert _work_order(seeded, code) == before
    assert _audit(seeded, before["id"]) == []


def test_future_start_is_refused(seeded, client_as):
    before = _work_order(seeded, "W-SOON")
    response = client_as("engineer").post(
        f"/schedule/work-orders/{before['code']}/start",
        data={"version": before["version"], "started_on": (TODAY + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400 and 'id="error-started_on"' in response.get_data(as_text=True)
    assert _work_order(seeded, "W-SOON") == before


def test_stale_version_is_409_and_the_first_edit_stays(seeded, client_as):
    first, second = client_as("engineer"), client_as("admin")
    before = _work_order(seeded, "W-SOON")
    assert (
        first.post(
            f"/schedule/work-orders/{before['code']}/start",
            data={"version": before["version"], "started_on": TODAY.isoformat()},
        ).status_code
        == 302
    )
    kept = _work_order(seeded, "W-SOON")
    response = second.post(
        f"/schedule/work-orders/{before['code']}/done?lang=en",
        data={"version": before["version"], "completed_on": TODAY.isoformat(), "actual_cost": "5", "kind": "renewal"},
    )
    assert response.status_code == 409
    assert "changed by engineer" in response.get_data(as_text=True)
    assert _work_order(seeded, "W-SOON") == kept
    assert len(_audit(seeded, before["id"])) == 1


def test_viewer_may_not_start_and_nothing_changes(seeded, client, client_as):
    before = _work_order(seeded, "W-SOON")
    response = client.post(f"/schedule/work-orders/{before['code']}/start", data={"version": before["version"]})
    assert response.status_code in (400, 403)  # the viewer client sends no CSRF token: either refusal
    viewer = client_as("viewer", "viewer-2")
    assert (
        viewer.post(f"/schedule/work-orders/{before['code']}/start", data={"version": before["version"]}).status_code
        == 403
    )
    assert _work_order(seeded, "W-SOON") == before
    page = viewer.get("/schedule").get_data(as_text=True)
    assert "/start" not in page and "W-SOON" in page


def test_closed_work_order_cannot_be_started(seeded, client_as):
    done = _work_order(seeded, "W-DONE")
    response = client_as("engineer").post(
        f"/schedule/work-orders/{done['code']}/start?lang=en", data={"version": done["version"]}
    )
    assert response.status_code == 400 and "only a planned work order" in response.get_data(as_text=True)
    assert _work_order(seeded, "W-DONE") == done


def test_action_page_and_unknown_work_order(seeded, client_as):
    engineer = client_as("engineer")
    record = _work_order(seeded, "W-RUN")
    page = engineer.get(f"/schedule/work-orders/{record['code']}?lang=en").get_data(as_text=True)
    assert "Close the work" in page and "Start the work" not in page
    assert f'name="version" value="{record["version"]}"' in page
    assert engineer.get("/schedule/work-orders/W-NONE").status_code == 404


def _group_rows(page: str, key: str) -> tuple[str, list[str]]:
    """The HTML of a group's section and the codes in its rows (asset code, then work order code where there is one)."""
    section = re.search(rf'<section class="schedule-group[^"]*" id="group-{key}">(.*?)</section>', page, re.S).group(1)
    rows = section.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    return section, [re.search(r">([A-Z]+-[A-Z0-9]+)</a>", row).group(1) for row in rows]


def test_the_page_shows_a_page_of_rows_a_group(seeded, client, monkeypatch):
    """Two rows a group: the overdue group's three rows on two pages, in the order the JSON lists them, with the
    filters kept; the other groups stay on their first page; a page past the last shows the last; bad pages are 400."""
    import fm.web.schedule

    monkeypatch.setattr(fm.web.schedule, "SHOWN", {"month": 2, "week": 2})
    found = client.get("/api/schedule").get_json()
    assert len(found["rows"]) == 6  # the JSON and downloads keep them all
    overdue = [r["asset_code"] for r in found["rows"] if r["group"] == "overdue"]
    assert len(overdue) == 3 and found["groups"][0] == {**found["groups"][0], "key": "overdue", "count": 3}
    page = client.get("/schedule?lang=en").get_data(as_text=True)
    section, codes = _group_rows(page, "overdue")
    assert codes == overdue[:2] and "Rows 1–2 of 3" in section and "Page 1 of 2" in section
    following = re.search(r'href="([^"]+)" rel="next"', section).group(1).replace("&amp;", "&")
    assert "group=overdue" in following and "page=2" in following and following.endswith("#group-overdue")
    second = client.get(following).get_data(as_text=True)
    section, codes = _group_rows(second, "overdue")
    assert codes == overdue[2:] and "Rows 3–3 of 3" in section and 'rel="next"' not in section
    assert 'rel="prev"' in section
    others = [g for g in found["groups"] if g["key"] != "overdue"]
    for group in others:  # the other groups on their first page, in both
        assert _group_rows(second, group["key"])[1] == _group_rows(page, group["key"])[1]
        assert len(_group_rows(page, group["key"])[1]) == min(group["count"], 2)
    beyond = client.get("/schedule?lang=en&group=overdue&page=9").get_data(as_text=True)
    assert _group_rows(beyond, "overdue")[1] == overdue[2:]
    # the filters and the window apply before paging, and stay in its links
    monkeypatch.setattr(fm.web.schedule, "SHOWN", {"month": 1, "week": 1})
    rows = client.get("/api/schedule?kind=work_order").get_json()["rows"]
    late = [r["code"] for r in rows if r["group"] == "overdue"]
    first = client.get("/schedule?lang=en&kind=work_order").get_data(as_text=True)
    following = re.search(r'href="([^"]+)" rel="next"', _group_rows(first, "overdue")[0]).group(1).replace("&amp;", "&")
    assert "kind=work_order" in following and "Rows 1–1 of 2" in first and len(late) == 2
    assert late[1] in client.get(following).get_data(as_text=True) and late[1] not in first
    for bad in ("0", "x", "-1"):
        assert client.get(f"/schedule?group=overdue&page={bad}").status_code == 400


def test_unmet_duties_come_first_with_days_overdue(db_url, client):
    """B-001 judged Ⅳ (deadline 2024-07-01) and B-002 judged Ⅲ (deadline 2025-05-01, a renewal only planned):
    both duties unmet, so they open the overdue group before the overdue inspections, with their days overdue."""
    add_judged(db_url)
    rows = client.get("/api/schedule").get_json()["rows"]
    duties = [r for r in rows if r["kind"] == "duty"]
    assert [(r["asset_code"], r["description"], r["due_on"], r["status"]) for r in duties] == [
        ("B-001", "Ⅳ", "2024-07-01", "none"),
        ("B-002", "Ⅲ", "2025-05-01", "planned"),
    ]
    assert rows[: len(duties)] == duties and all(r["group"] == "overdue" for r in duties)
    assert [r["days_overdue"] for r in duties] == [
        (date.today() - date(2024, 7, 1)).days,
        (date.today() - date(2025, 5, 1)).days,
    ]
    page = client.get("/schedule?kind=duty").get_data(as_text=True)
    assert page.count('class="kind-tag duty"') == 2 and "B-001" in page


def test_a_met_duty_leaves_the_schedule(db_url, client):
    add_judged(db_url)
    result = run(db_url, "restrictions", "add", "TR-1", "--asset", "B-001", "--kind", "closed", "--from", "2024-06-03")
    assert result.exit_code == 0, result.output
    rows = client.get("/api/schedule").get_json()["rows"]
    assert [r["asset_code"] for r in rows if r["kind"] == "duty"] == ["B-002"]


def test_next_inspections_outlive_a_work_order_write_not_an_inspection_write(seeded, client_as, monkeypatch):
    """The next inspection of every asset is kept apart, keyed by the assets' and inspections' counters alone:
    closing or starting a work order does not make the next page read every inspection again; a new
    inspection does, and shows."""
    from fm.app import schedule as use_cases

    calls = []
    real = use_cases._next_due
    monkeypatch.setattr(use_cases, "_next_due", lambda *args: calls.append(1) or real(*args))
    engineer = client_as("engineer")
    codes = _codes(engineer.get("/api/schedule").get_json()["rows"])
    assert "insp:S-001" in codes and len(calls) == 1
    soon = _work_order(seeded, "W-SOON")
    started = engineer.post("/schedule/work-orders/W-SOON/start", data={"version": soon["version"]})
    assert started.status_code == 302
    rows = engineer.get("/api/schedule").get_json()["rows"]
    assert next(r["status"] for r in rows if r["code"] == "W-SOON") == "in_progress"  # the work orders are new
    assert len(calls) == 1  # the next inspections were not computed again
    database = Database(seeded)
    with database.session() as session:
        asset = session.execute(sa.text("SELECT id FROM assets WHERE code = 'S-001'")).scalar_one()
        session.add(Inspection(asset_id=asset, inspected_on=TODAY, condition_score=1))
    database.dispose()
    codes = _codes(engineer.get("/api/schedule").get_json()["rows"])
    assert "insp:S-001" not in codes and len(calls) == 2  # inspected today: next due years ahead


def _fresh_rows(client) -> list[dict]:
    """The schedule computed from the records alone, nothing kept (what the kept path must equal)."""
    from fm.app import duties, schedule, snapshots

    with snapshots._guard:
        snapshots._kept.clear()
    with duties._guard:
        duties._kept.clear()
    with schedule._latest_guard:
        schedule._latest_kept.clear()
    return client.get("/api/schedule").get_json()["rows"]


def test_a_recorded_inspection_moves_only_that_assets_rows(db_url, client):
    """After an inspection is recorded the next page (computed again from what was kept) moves that asset's
    inspection row or duty and nothing else, and equals the schedule computed from nothing kept."""
    add_judged(db_url)
    database = Database(db_url)
    with database.session() as session:
        ids = {code: id_ for code, id_ in session.execute(sa.text("SELECT code, id FROM assets"))}
        session.add(
            Inspection(
                asset_id=ids["S-001"],
                inspected_on=date(2024, 6, 1),
                condition_score=2,
                next_due_on=TODAY + timedelta(days=20),
            )
        )

    def by_asset(rows: list[dict]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        for row in rows:
            found.setdefault(row["asset_code"], []).append(row)
        return found

    before = by_asset(client.get("/api/schedule").get_json()["rows"])
    assert [(r["kind"], r["due_on"]) for r in before["S-001"]] == [
        ("inspection", (TODAY + timedelta(days=20)).isoformat())
    ]
    with database.session() as session:  # S-001 inspected again: due in 10 days, not 20
        session.add(
            Inspection(asset_id=ids["S-001"], inspected_on=TODAY, condition_score=2, next_due_on=TODAY + timedelta(10))
        )
    after = by_asset(client.get("/api/schedule").get_json()["rows"])
    assert [(r["kind"], r["due_on"], r["last_inspected_on"]) for r in after["S-001"]] == [
        ("inspection", (TODAY + timedelta(days=10)).isoformat(), TODAY.isoformat())
    ]
    assert {code: rows for code, rows in after.items() if code != "S-001"} == {
        code: rows for code, rows in before.items() if code != "S-001"
    }
    assert by_asset(_fresh_rows(client)) == after

    with database.session() as session:  # B-002 (a Ⅲ duty, its renewal planned) judged Ⅳ today: a new duty
        session.add(Inspection(asset_id=ids["B-002"], inspected_on=TODAY, soundness=4))
    again = by_asset(client.get("/api/schedule").get_json()["rows"])
    assert again["B-002"] != after["B-002"]
    assert ("duty", "Ⅳ") in [(r["kind"], r["description"]) for r in again["B-002"]]
    assert {code: rows for code, rows in again.items() if code != "B-002"} == {
        code: rows for code, rows in after.items() if code != "B-002"
    }
    assert by_asset(_fresh_rows(client)) == again

    with database.session() as session:  # S-001 inspected once more, a day later: next due in three years
        session.add(
            Inspection(
                asset_id=ids["S-001"],
                inspected_on=TODAY + timedelta(days=1),
                condition_score=1,
                next_due_on=TODAY + timedelta(days=3 * 365),
            )
        )
    last = by_asset(client.get("/api/schedule").get_json()["rows"])
    assert "S-001" not in last and last == {code: rows for code, rows in again.items() if code != "S-001"}
    assert by_asset(_fresh_rows(client)) == last
    database.dispose()


def test_edited_moved_and_deleted_inspections_give_the_fresh_schedule(db_url, client):
    """The latest inspections and the judged assets' inspections (the duties) are kept and read again only for the
    assets whose inspections were written (fm.db.changes.assets_changed): an older inspection deleted, the latest
    edited, one moved to another asset, the latest deleted, a judgement edited away and back, a judged asset's
    inspections deleted and then every inspection deleted each give the schedule computed from nothing kept."""
    from fm.app import schedule

    add_judged(db_url)
    database = Database(db_url)
    with database.session() as session:
        ids = {code: id_ for code, id_ in session.execute(sa.text("SELECT code, id FROM assets"))}
        for day, due in ((date(2023, 7, 1), 5), (date(2024, 6, 1), 20)):
            session.add(
                Inspection(
                    asset_id=ids["S-001"], inspected_on=day, condition_score=2, next_due_on=TODAY + timedelta(due)
                )
            )
    client.get("/api/schedule")  # kept: the latest inspections of every asset
    reads = []
    real = schedule.store.read_query
    edits = (
        ("DELETE FROM inspections WHERE inspected_on = '2023-07-01'", None),
        ("UPDATE inspections SET next_due_on = :soon WHERE inspected_on = '2024-06-01'", "insp:S-001"),
        ("UPDATE inspections SET asset_id = :p WHERE inspected_on = '2024-06-01'", "insp:R-001"),
        ("DELETE FROM inspections WHERE asset_id = :p", None),
        ("UPDATE inspections SET soundness = 2 WHERE asset_id = :b1", None),  # B-001's Ⅳ duty gone
        ("UPDATE inspections SET soundness = 4 WHERE asset_id = :b1", None),  # and back
        ("DELETE FROM inspections WHERE asset_id = :b2", None),  # B-002's Ⅲ duty gone
        ("DELETE FROM inspections", None),
    )
    for statement, shown in edits:
        with database.connect() as connection, connection.begin():
            connection.execute(
                sa.text(statement),
                {"soon": TODAY + timedelta(days=3), "p": ids["R-001"], "b1": ids["B-001"], "b2": ids["B-002"]},
            )
        reads.clear()
        schedule.store.read_query = lambda session, query: reads.append(str(query)) or real(session, query)
        try:
            kept = client.get("/api/schedule").get_json()["rows"]
        finally:
            schedule.store.read_query = real
        assert len([q for q in reads if "inspected_on" in q]) == 1 and " IN (" in reads[0]  # only what changed
        assert kept == _fresh_rows(client), statement
        assert shown is None or shown in _codes(kept)
    assert not any(row["kind"] in ("inspection", "duty") for row in kept)
    database.dispose()
