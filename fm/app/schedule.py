"""Use cases of the engineers' schedule: read it from the database, and start or close a work order.

:func:`schedule` loads open work orders and each held asset's next inspection and calls
:func:`fm.domain.schedule.build_schedule`; the page, its downloads and ``GET /api/schedule`` all
read it. :func:`start_work` and :func:`finish_work` check the values with the importer's
rules (:func:`fm.io.validate.validate` on a one-row table, as an imported row would be) and
write through :func:`fm.accounts.edits.update`, which refuses a stale version and records the audit
entry.
"""

from __future__ import annotations

import calendar
import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import edits
from fm.app.duties import duty_frame
from fm.app.snapshots import snapshot
from fm.db.changes import assets_changed
from fm.domain import schedule as domain
from fm.domain.risk.config import RiskConfig
from fm.domain.risk.inspections import next_inspections
from fm.domain.schedule import GROUPINGS as GROUPINGS
from fm.domain.schedule import KINDS as KINDS
from fm.domain.schedule import OVERDUE as OVERDUE
from fm.domain.schedule import page as page
from fm.domain.schedule import pages as pages
from fm.errors import NotFound, ValidationError
from fm.io import store
from fm.io.columns import WORK_ORDERS
from fm.io.files import Table
from fm.io.problems import Rejected
from fm.io.validate import References, state_after_problem, validate
from fm.model import Asset, AssetCategory, Inspection, WorkOrder
from fm.model.assets import WORK_CAUSES as WORK_CAUSES
from fm.model.assets import WORK_KINDS as WORK_KINDS

EXPORT_COLUMNS = (
    "group",
    "kind",
    "due_on",
    "days_overdue",
    "asset_code",
    "asset_name",
    "category",
    "district",
    "code",
    "work_kind",
    "cause",
    "description",
    "last_inspected_on",
    "planned_cost",
    "status",
)
"""Columns of the schedule's CSV and Excel downloads, in order."""


@dataclass(frozen=True)
class Filters:
    """What the schedule shows: grouping, window and filters (codes as the user gives them)."""

    by: str = "month"
    start: date | None = None
    end: date | None = None
    kind: str | None = None
    category: str | None = None
    district: str | None = None


def schedule(
    session: Session,
    *,
    today: date,
    filters: Filters,
    config: RiskConfig,
    size: int | None = None,
    group: str | None = None,
    number: int = 1,
) -> dict[str, Any]:
    """The schedule for ``filters``: its window, its groups (:func:`fm.domain.schedule.groups`), its row ``count``
    and its rows: all of them, or with ``size`` only a page's (:func:`fm.domain.schedule.page`: ``size`` rows of each
    group, page ``number`` of ``group``).

    Rows carry the district's code and names and the category's names beside the asset (named only for the rows
    given). The grouped rows are kept per filter until a write to any table (:func:`fm.app.snapshots.snapshot`),
    so a page asked for again only pages and names. Unknown category or district codes are a ValidationError
    naming the parameter.
    """
    categories, districts = _codes(session)
    _known("category", filters.category, categories["code"])
    _known("district", filters.district, districts["code"])
    if filters.kind is not None and filters.kind not in domain.KINDS:
        raise ValidationError(f"kind must be {' or '.join(domain.KINDS)}, got {filters.kind!r}")
    if filters.by not in domain.GROUPINGS:
        raise ValidationError(f"by must be {' or '.join(domain.GROUPINGS)}, got {filters.by!r}")
    end = filters.end or domain.default_end(today)
    if filters.start is not None and filters.start > end:
        raise ValidationError(f"from ({filters.start}) is after to ({end})")
    district_ids = None
    if filters.district is not None:
        district_ids = districts.loc[districts["code"] == filters.district, "id"].tolist()
    config_key = json.dumps(config.as_dict(), sort_keys=True)
    kinds = None if filters.kind is None else (filters.kind,)
    codes = None if filters.category is None else (filters.category,)
    ids = None if district_ids is None else tuple(district_ids)
    start = filters.start

    def grouped(own: Session) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        items = snapshot(
            own,
            "schedule.items",
            lambda own: _items(own, config, end, today=today),
            end,
            today,
            config_key,
            shared=True,
        )
        rows = domain.build_schedule(
            items, today=today, by=filters.by, start=start, end=end, kinds=kinds, categories=codes, district_ids=ids
        )
        return rows, domain.groups(rows)

    # kept on every table's counter, as the items are: read only, the page's rows selected from it (never changed)
    rows, groups = snapshot(
        session, "schedule.rows", grouped, end, today, config_key, filters.by, start, kinds, codes, ids, shared=True
    )
    shown = rows if size is None else domain.page(rows, size, group=group, number=number)
    return {
        "today": today,
        "by": filters.by,
        "start": filters.start,
        "end": end,
        "kind": filters.kind,
        "category": filters.category,
        "district": filters.district,
        "groups": [dict(g) for g in groups],
        "count": len(rows),
        "rows": _names(shown, categories, districts),
    }


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The schedule's rows as its downloads list them (:data:`EXPORT_COLUMNS`)."""
    return rows[list(EXPORT_COLUMNS)].reset_index(drop=True)


def _known(name: str, value: str | None, codes: pd.Series) -> None:
    if value is not None and value not in set(codes):
        raise ValidationError(f"unknown {name} {value!r}; known: {', '.join(codes)}")


def _items(session: Session, config: RiskConfig, end: date, *, today: date) -> pd.DataFrame:
    """The statutory duties unmet ``today``, open work orders with their asset, and the next inspection of each
    asset held (those due by ``end``)."""
    # Kept apart, keyed by the assets table alone: a work order or inspection write does not re-read 100,000 assets.
    assets = snapshot(
        session,
        "schedule.assets",
        lambda own: store.read_assets(own, columns=("code", "name", "category", "district_id", "status")),
        tables=("assets",),
        shared=True,  # read only; the same object until the assets are written (_next_due relies on it)
    )
    work = pd.DataFrame(
        session.execute(
            sa.select(
                WorkOrder.id,
                WorkOrder.code,
                WorkOrder.version,
                WorkOrder.asset_id,
                WorkOrder.kind,
                WorkOrder.cause,
                WorkOrder.description,
                WorkOrder.planned_on,
                WorkOrder.planned_cost,
                WorkOrder.status,
            ).where(
                WorkOrder.status.in_(domain.OPEN_WORK), WorkOrder.planned_on.is_not(None), WorkOrder.planned_on <= end
            )
        ).all(),
        columns=[
            "id",
            "code",
            "version",
            "asset_id",
            "kind",
            "cause",
            "description",
            "planned_on",
            "planned_cost",
            "status",
        ],
    )
    by_id = assets.rename(columns={"id": "asset_id", "code": "asset_code", "name": "asset_name"})
    work = work.merge(by_id.drop(columns=["status"]), on="asset_id", how="left")
    # Kept apart, keyed by the two tables it reads: closing a work order does not make it read every inspection.
    next_due = snapshot(
        session,
        "schedule.next_inspections",
        lambda own: _next_due(own, config, end, assets),
        end,
        json.dumps(config.as_dict(), sort_keys=True),
        tables=("assets", "inspections"),
    )
    duties = duty_frame(session, as_of=today, config=config)
    duties["district_id"] = duties["asset_id"].map(assets.set_index("id")["district_id"])
    return domain.schedule_items(work, next_due, duties[pd.to_datetime(duties["deadline"]) <= pd.Timestamp(end)])


def _next_due(session: Session, config: RiskConfig, end: date, assets: pd.DataFrame) -> pd.DataFrame:
    """The next inspection of each asset held that is due by ``end`` (reads the inspections only; ``assets``: every
    asset's code, name, category, district_id and status, as the caller keeps them).

    The database finds each asset's latest inspection and keeps those that may fall due by ``end``
    (:func:`_latest_inspections`, a few thousand of 100,000); :func:`next_inspections` then dates them exactly.

    Both are kept with the ``asset_changes`` log id they were read at: after a write to the inspections the
    database is asked again only for the assets whose inspections were written since
    (:func:`fm.db.changes.assets_changed`), and only those are dated again while ``assets`` is the same kept frame
    (else all are). An asset's row depends on its own inspections and its own record alone, so the rows are those
    of a full reading, in another order (the schedule sorts them). Read in full the first time and when the log
    cannot tell (a TRUNCATE, a log pruned past the kept id)."""
    query = _latest_inspections(config, end)
    key = (session.get_bind().url.render_as_string(hide_password=True), end, json.dumps(config.as_dict()))
    with _latest_guard:
        kept = _latest_kept.get(key)
    log, written = assets_changed(session, "inspections", None if kept is None else kept[0])
    if kept is None or written is None:
        latest = store.read_query(session, query)
        due = _dated(latest, assets, config, end)
    else:
        _, latest, dated_for, due = kept
        if written:
            ids = sorted(written)
            fresh = store.read_query(session, query.where(Inspection.asset_id.in_(ids)))
            latest = latest[~latest["asset_id"].isin(ids)]
            latest = pd.concat([latest, fresh], ignore_index=True) if len(fresh) else latest
        if dated_for is not assets:  # the assets were written: every asset dated again
            due = _dated(latest, assets, config, end)
        elif written:
            mine = latest[latest["asset_id"].isin(ids)]
            due = pd.concat([due[~due["asset_id"].isin(ids)], _dated(mine, assets, config, end)], ignore_index=True)
    with _latest_guard:
        _latest_kept[key] = (log, latest, assets, due)
        _latest_kept.move_to_end(key)
        while len(_latest_kept) > _LATEST_LIMIT:
            _latest_kept.popitem(last=False)
    return due


def _dated(latest: pd.DataFrame, assets: pd.DataFrame, config: RiskConfig, end: date) -> pd.DataFrame:
    """The next inspection due by ``end`` of each held asset of ``assets`` with a row in ``latest``."""
    held = assets[(assets["status"] != "disposed") & assets["id"].isin(latest["asset_id"])].reset_index(drop=True)
    due = next_inspections(held, latest, config=config)
    # the unit dates read as date objects give (text parses to microseconds): the same items either way
    due = due.astype({"last_inspected_on": "datetime64[s]", "due_on": "datetime64[s]"})
    by_end = (due["due_on"] <= pd.Timestamp(end)).to_numpy()
    held, due = held[by_end], due[by_end]
    return pd.DataFrame(
        {
            "asset_id": held["id"],
            "asset_code": held["code"],
            "asset_name": held["name"],
            "category": held["category"],
            "district_id": held["district_id"],
            "last_inspected_on": due["last_inspected_on"],
            "due_on": due["due_on"],
        }
    ).reset_index(drop=True)


_LATEST_LIMIT = 16  # readings kept per process (databases × windows × settings), the least recently used dropped
# per database, window and settings: the asset_changes log id, the latest inspections, the assets frame they were
# dated with (the kept one itself) and the next inspections due
_latest_kept: OrderedDict[Hashable, tuple[int, pd.DataFrame, pd.DataFrame, pd.DataFrame]] = OrderedDict()
_latest_guard = threading.Lock()


def _months(config: RiskConfig) -> int:
    """The shortest inspection cycle, in months."""
    return min(round(years * 12) for years in config.inspection_cycle_years.values())


def _latest_inspections(config: RiskConfig, end: date) -> sa.Select:
    """Each asset's latest inspection (by date, then the last recorded: :func:`next_inspections`' choice) that may
    fall due by ``end``, as a query: its ``id``, ``asset_id``, ``inspected_on`` and ``next_due_on``.

    Kept: those whose next due date is recorded and by ``end``, and those without one inspected early enough that
    the shortest inspection cycle would bring them due by ``end`` (a superset of the assets due, dated exactly by
    the caller). The covering index ``ix_inspections_latest`` (asset_id, inspected_on, next_due_on) answers it
    without reading the inspections' rows."""
    later = sa.orm.aliased(Inspection)
    superseded = sa.exists().where(
        later.asset_id == Inspection.asset_id,
        sa.or_(
            later.inspected_on > Inspection.inspected_on,
            sa.and_(later.inspected_on == Inspection.inspected_on, later.id > Inspection.id),
        ),
    )
    months = _months(config)
    # inspected after the last day of the month `months` before end's: due (by the shortest cycle) after end
    back = end.year * 12 + end.month - 1 - months
    cutoff = date(back // 12, back % 12 + 1, calendar.monthrange(back // 12, back % 12 + 1)[1])
    may_fall_due = sa.or_(
        Inspection.next_due_on <= end,
        sa.and_(Inspection.next_due_on.is_(None), Inspection.inspected_on <= cutoff),
    )
    return sa.select(Inspection.id, Inspection.asset_id, Inspection.inspected_on, Inspection.next_due_on).where(
        may_fall_due, ~superseded
    )


def _names(rows: pd.DataFrame, categories: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Beside each row: its district's code and names, its category's names (None where there is none)."""
    rows = rows.copy()
    lookups = {
        "district": ("district_id", districts.set_index("id"), "code"),
        "district_name": ("district_id", districts.set_index("id"), "name"),
        "district_name_en": ("district_id", districts.set_index("id"), "name_en"),
        "category_name": ("category", categories.set_index("code"), "name"),
        "category_name_en": ("category", categories.set_index("code"), "name_en"),
    }
    for name, (key, table, column) in lookups.items():
        values = rows[key].map(table[column]).astype(object)
        rows[name] = values.where(values.notna(), None)
    return rows


# Starting and closing a work order -------------------------------------------------------------


class FieldErrors(ValidationError):
    """Values of a form that break the importer's rules; ``fields`` maps each field to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__([f"{field}: {message}" for field, messages in fields.items() for message in messages])


def filter_choices(session: Session) -> dict[str, list[dict[str, Any]]]:
    """What the schedule's filters offer: every ``categories`` row and every district's code and names."""
    categories, districts = _codes(session)
    return {
        "categories": categories.to_dict("records"),
        "districts": districts[["code", "name", "name_en"]].to_dict("records"),
    }


def _codes(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every category, and every district's id, code and names: kept until either table is written (read only)."""
    return snapshot(
        session,
        "schedule.codes",
        lambda own: (store.read_categories(own), store.read_table(own, "districts", ["id", "code", "name", "name_en"])),
        tables=("asset_categories", "districts"),
        shared=True,
    )


def work_order(session: Session, code: str) -> dict[str, Any]:
    """A work order with its asset's code, name, category and condition scale, for the start and close forms."""
    row = (
        session.execute(
            sa.select(
                WorkOrder.__table__,
                Asset.code.label("asset_code"),
                Asset.name.label("asset_name"),
                Asset.category.label("asset_category"),
                AssetCategory.condition_scale,
            )
            .join(Asset, Asset.id == WorkOrder.asset_id)
            .join(AssetCategory, AssetCategory.code == Asset.category)
            .where(WorkOrder.code == code)
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"no work order {code!r}")
    return dict(row)


def start_work(session: Session, code: str, version: int, form: dict[str, str], *, actor: str, today: date) -> int:
    """Mark a planned work order in progress from ``form["started_on"]``; its new version.

    Raises FieldErrors (nothing written) when the date breaks a rule, Conflict when ``version``
    is stale.
    """
    current = work_order(session, code)
    if current["status"] != "planned":
        raise FieldErrors({"status": ["only a planned work order can be started"]})
    given = {"status": "in_progress", "started_on": form.get("started_on", "")}
    if not given["started_on"].strip():
        given["started_on"] = today.isoformat()  # the form's default
    values = _checked(current, given, today=today, status_field="started_on")
    return edits.update(
        session,
        "work_orders",
        current["id"],
        version,
        {"status": "in_progress", "started_on": values["started_on"]},
        actor=actor,
        source="web",
    )


def finish_work(session: Session, code: str, version: int, form: dict[str, str], *, actor: str, today: date) -> int:
    """Close an open work order: completed on ``completed_on`` at ``actual_cost`` yen, its repair kind
    (and cause) confirmed or corrected, the asset's condition after the work if judged (``state_after``, on
    the asset's scale); its new version. Errors as :func:`start_work`."""
    current = work_order(session, code)
    if current["status"] not in domain.OPEN_WORK:
        raise FieldErrors({"status": ["only a planned or started work order can be closed"]})
    fields = ("completed_on", "actual_cost", "kind", "cause", "state_after")
    given = {"status": "completed", **{f: form.get(f, "") for f in fields}}
    values = _checked(current, given, today=today, status_field="completed_on")
    if values.get("state_after") is not None:
        problem = state_after_problem(
            int(values["state_after"]),
            status="completed",
            scale=current["condition_scale"],
            asset=current["asset_code"],
            category=current["asset_category"],
        )
        if problem:
            raise FieldErrors({"state_after": [problem]})
    return edits.update(
        session,
        "work_orders",
        current["id"],
        version,
        {f: values[f] for f in ("status", *fields)},
        actor=actor,
        source="web",
    )


def _checked(current: dict[str, Any], given: dict[str, str], *, today: date, status_field: str) -> dict[str, Any]:
    """``given`` checked by the importer's rules as one row of a work-order file (with the record's key, and
    its stored kind, cause and start date where the form does not give them); the typed values.

    The status is the action's, not the user's: a rule the validator reports on it (a completed
    work order needs its completion date) is shown next to ``status_field``.
    """
    row = {
        "code": current["code"],
        "asset_code": current["asset_code"],
        "kind": current["kind"],
        "cause": current["cause"],
        "started_on": current["started_on"],
        **given,
    }
    text = {k: "" if v is None else (v.isoformat() if isinstance(v, date) else str(v).strip()) for k, v in row.items()}
    frame = pd.DataFrame([text], dtype=object).replace("", None)
    table = Table(frame=frame, rows=pd.Series(["form"]), geometry=None, format="form")
    try:
        checked = validate(
            WORK_ORDERS,
            table,
            references=References(assets=frozenset({current["asset_code"]})),
            crs=None,
            today=today,
            source="form",
        )
    except Rejected as exc:
        fields: dict[str, list[str]] = {}
        for problem in exc.details:
            field = status_field if problem.field in ("status", "") else problem.field
            fields.setdefault(field, []).append(problem.message)
        raise FieldErrors(fields) from None
    values = checked.frame.iloc[0].to_dict()
    return {k: (None if pd.isna(v) else v) for k, v in values.items()}
