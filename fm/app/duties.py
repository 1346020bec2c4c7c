"""Use cases of the statutory measures after Ⅲ / Ⅳ: `fm duties`, `/api/duties`, `fm restrictions`."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import edits
from fm.app.snapshots import snapshot
from fm.db.changes import assets_changed
from fm.domain import duties as duty_rules
from fm.domain.duties import STATES as STATES
from fm.domain.duties import DutySettings
from fm.domain.duties import load_settings as load_settings
from fm.domain.risk.config import RiskConfig
from fm.domain.risk.config import load_config as load_risk_config
from fm.errors import NotFound, ValidationError
from fm.io import store
from fm.model import Asset, Inspection, TrafficRestriction
from fm.model.duties import RESTRICTION_KINDS as RESTRICTION_KINDS

DUTY_KEYS = tuple(c for c in duty_rules.COLUMNS if c not in ("asset_id", "inspection_id"))
"""What `fm duties --format json` and `/api/duties` give for each duty: the domain's columns less the ids."""
RESTRICTION_COLUMNS = ("code", "asset_code", "kind", "starts_on", "ends_on", "inspected_on", "notes")


def duty_frame(
    session: Session,
    *,
    as_of: date,
    settings: DutySettings | None = None,
    config: RiskConfig | None = None,
    asset_ids: list[int] | None = None,
) -> pd.DataFrame:
    """Every duty as of ``as_of`` (:func:`fm.domain.duties.find_duties`), overdue first; with ``asset_ids``,
    those of these assets only, reading only their records (an asset's duties depend on its records alone).

    Without ``asset_ids`` only the records of the assets that may owe a duty are read: those with an
    inspection up to ``as_of`` that may be judged Ⅲ or Ⅳ (:func:`judged_assets`, run by the database; at
    100,000 assets about 3 % of them). Each table's records are kept until a write to it (or to the
    inspections or assets, which choose the assets), and the duties are kept too: after a write only
    the assets whose records differ from the kept ones have their duties computed again
    (:func:`fm.domain.duties.changed_assets`), the same duties as computing them all.
    """
    settings = settings or load_settings()
    config = config or load_risk_config()
    categories = store.read_categories(session)
    if asset_ids is not None:
        records = tuple(_read(session, table, asset_ids) for table in READS)
        return duty_rules.find_duties(*records, categories, settings=settings, cycle=config.cycle, as_of=as_of)
    return duty_rules.duty_table(_kept_duties(session, as_of, settings, config, categories))


READS = {
    "assets": ("id", "code", "name", "category", "status", "disposed_on"),
    "inspections": ("id", "asset_id", "inspected_on", "soundness", "condition_score", "next_due_on"),
    "work_orders": ("id", "asset_id", "code", "status", "planned_on", "started_on", "completed_on"),
    "traffic_restrictions": ("id", "asset_id", "inspection_id", "starts_on", "ends_on"),
}
"""What the duties read of each table, each with its key (so that :func:`fm.domain.duties.changed_assets` can
tell any two rows apart)."""

_KEPT_LIMIT = 16  # kept duties per process (databases × dates × settings), the least recently used dropped first
# per database, date and settings: the records read, the duties by asset, the asset_changes log id and the assets chosen
_kept: OrderedDict[Hashable, tuple[tuple[pd.DataFrame, ...], dict[int, list[dict[str, Any]]], int, frozenset[int]]] = (
    OrderedDict()
)
_guard = threading.Lock()


def _read(session: Session, table: str, ids: list[int] | sa.Select) -> pd.DataFrame:
    if table == "assets":
        return store.read_assets(session, columns=READS[table], ids=ids)
    return store.read_table(session, table, READS[table], asset_ids=ids)


def _kept_duties(
    session: Session, as_of: date, settings: DutySettings, config: RiskConfig, categories: pd.DataFrame
) -> dict[int, list[dict[str, Any]]]:
    """The duties by asset (:func:`fm.domain.duties.duties_by_asset`) of the assets that may owe one, computed
    again only for the assets whose records changed since the last call with the same date and settings."""
    judged = judged_assets(settings, as_of)
    rules = (repr(settings), json.dumps(config.as_dict(), sort_keys=True))
    # The assets chosen, by the database (an index on soundness and date): each table's records are kept by its own
    # counter and these ids, so that an inspection that judges no new asset re-reads the inspections alone.
    chosen = tuple(sorted(set(session.scalars(judged))))
    key = (session.get_bind().url.render_as_string(hide_password=True), as_of, *rules, categories.to_json())
    with _guard:
        kept = _kept.get(key)
    latest, inspections, written = _judged_inspections(session, judged, chosen, kept)
    records = tuple(
        inspections
        if table == "inspections"
        else snapshot(
            session,
            f"duties.records.{table}",
            lambda own, table=table: _read(own, table, judged),  # type: ignore[misc]
            chosen,
            *rules,
            tables=(table,),
        )
        for table in READS
    )

    def find(frames: tuple[pd.DataFrame, ...]) -> dict[int, list[dict[str, Any]]]:
        return duty_rules.duties_by_asset(*frames, categories, settings=settings, cycle=config.cycle, as_of=as_of)

    if kept is None:
        found = find(records)
    else:
        before, found = kept[:2]
        changed: set[int] = set()
        for table, old, new in zip(READS, before, records, strict=True):
            if table == "inspections" and written is not None:
                changed |= written  # the assets the log names (read again), not found by comparing every row
            else:
                changed |= duty_rules.changed_assets(old, new, "id" if table == "assets" else "asset_id")
        if changed:
            ids = sorted(changed)
            mine = tuple(
                frame[frame["id" if table == "assets" else "asset_id"].isin(ids)]
                for table, frame in zip(READS, records, strict=True)
            )
            found = {asset: rows for asset, rows in found.items() if asset not in changed} | find(mine)
    with _guard:
        _kept[key] = (records, found, latest, frozenset(chosen))
        _kept.move_to_end(key)
        while len(_kept) > _KEPT_LIMIT:
            _kept.popitem(last=False)
    return found


def _judged_inspections(
    session: Session, judged: sa.Select, chosen: tuple[int, ...], kept: tuple | None
) -> tuple[int, pd.DataFrame, frozenset[int] | None]:
    """The ``asset_changes`` log id, the inspections of the ``chosen`` assets (``judged``, the query that chose
    them) and the assets whose inspections were written since ``kept`` was (None: not known, compare the readings).

    With ``kept`` (the last call's records, duties, log id and chosen assets) only the inspections of the assets
    the log names (:func:`fm.db.changes.assets_changed`) are read again and put in place of the kept ones: the rows
    of a full reading, in another order (:func:`fm.domain.duties.duties_by_asset` sorts them). Read in full the
    first time, when the log cannot tell, or when the assets chosen changed other than through those written."""
    mine = frozenset(chosen)
    latest, written = assets_changed(session, "inspections", None if kept is None else kept[2])
    if kept is None or written is None or not (mine ^ kept[3]) <= written:
        return latest, _read(session, "inspections", judged), None
    before = kept[0][list(READS).index("inspections")]
    if not written:
        return latest, before, written
    ids = sorted(written & mine)
    rest = before[~before["asset_id"].isin(list(written))]
    return latest, pd.concat([rest, _read(session, "inspections", ids)], ignore_index=True) if ids else rest, written


def judged_assets(settings: DutySettings, as_of: date) -> sa.Select:
    """The ids of the assets with an inspection up to ``as_of`` that may be judged Ⅲ or Ⅳ, as a query: soundness
    Ⅲ or Ⅳ, or for ``settings.score_categories`` a condition score that ``settings.score_classes`` maps to one.

    A superset of the assets :func:`fm.domain.duties.find_duties` finds duties of (it also checks the category's
    scale), so reading only their records gives the same duties."""
    judged = Inspection.soundness >= 3
    if settings.score_categories and settings.score_classes:
        scored = sa.select(Asset.id).where(Asset.category.in_(list(settings.score_categories)))
        judged = sa.or_(
            judged,
            sa.and_(Inspection.condition_score.in_(sorted(settings.score_classes)), Inspection.asset_id.in_(scored)),
        )
    return sa.select(Inspection.asset_id).where(judged, Inspection.inspected_on <= as_of)


def list_duties(
    session: Session,
    *,
    as_of: date,
    state: str | None = None,
    overdue: bool = False,
    settings: DutySettings | None = None,
) -> list[dict[str, Any]]:
    """The duties as JSON rows (``fm duties --format json`` = ``GET /api/duties``), optionally only
    those in ``state`` or only the overdue ones."""
    if state is not None and state not in STATES:
        raise ValidationError(f"state must be one of {', '.join(STATES)}, got {state!r}")
    frame = duty_frame(session, as_of=as_of, settings=settings)
    if state is not None:
        frame = frame[frame["state"] == state]
    if overdue:
        frame = frame[frame["overdue"] > 0]
    return [_row(row) for row in frame.to_dict("records")]


def _row(row: dict[str, Any]) -> dict[str, Any]:
    out = {key: (None if row[key] is None or row[key] is pd.NaT else row[key]) for key in DUTY_KEYS}
    return {**out, "met": bool(row["met"]), "overdue": int(row["overdue"])}


def asset_duties(session: Session, asset_id: int, *, as_of: date) -> list[dict[str, Any]]:
    """The duties of one asset, latest first (the asset page)."""
    frame = duty_frame(session, as_of=as_of, asset_ids=[asset_id])  # at 100,000 assets 6 s for all, ms for one
    mine = frame[frame["asset_id"] == asset_id].sort_values("inspected_on", ascending=False)
    return [_row(row) for row in mine.to_dict("records")]


def add_restriction(
    session: Session,
    *,
    code: str,
    asset_code: str,
    kind: str,
    starts_on: date,
    ends_on: date | None = None,
    inspected_on: date | None = None,
    notes: str | None = None,
    actor: str,
    source: str = "cli",
) -> int:
    """Record a traffic restriction (audited); refused, naming the record and the field, when it ends
    before it starts, starts before the inspection that required it, or names no such asset or inspection.

    The inspection that required it is the asset's inspection of ``inspected_on`` when given, else the
    asset's latest inspection judged Ⅲ or Ⅳ on or before ``starts_on`` (or, when there is none, its
    first such inspection after it, which the check then refuses).
    """
    code = (code or "").strip()
    if not code:
        raise ValidationError("restriction: code is required")
    if kind not in RESTRICTION_KINDS:
        raise ValidationError(f"restriction {code}: kind must be one of {', '.join(RESTRICTION_KINDS)}, got {kind!r}")
    asset_id = store.find_asset(session, asset_code)
    if asset_id is None:
        raise NotFound(f"restriction {code}: asset_code {asset_code!r} is not in the register")
    if session.scalar(sa.select(TrafficRestriction.id).where(TrafficRestriction.code == code)) is not None:
        raise ValidationError(f"restriction {code}: code {code!r} is taken by another restriction")
    inspection = _requiring_inspection(session, asset_id, code=code, inspected_on=inspected_on, starts_on=starts_on)
    values = {"starts_on": starts_on, "ends_on": ends_on}
    problems = duty_rules.check_restriction(values, inspection=inspection, code=code)
    if problems:
        raise ValidationError([message for _, message in problems])
    return edits.insert(
        session,
        "traffic_restrictions",
        {
            "code": code,
            "asset_id": asset_id,
            "inspection_id": inspection["id"] if inspection else None,
            "kind": kind,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "notes": notes,
        },
        actor=actor,
        source=source,
    )


def _requiring_inspection(
    session: Session, asset_id: int, *, code: str, inspected_on: date | None, starts_on: date
) -> dict[str, Any] | None:
    query = sa.select(Inspection.id, Inspection.inspected_on).where(Inspection.asset_id == asset_id)
    if inspected_on is not None:
        row = session.execute(query.where(Inspection.inspected_on == inspected_on)).first()
        if row is None:
            raise ValidationError(
                f"restriction {code}: inspected_on {inspected_on}: no inspection of the asset that day"
            )
        return {"id": row.id, "inspected_on": row.inspected_on}
    judged = query.where(Inspection.soundness >= 3).order_by(Inspection.inspected_on.desc())
    before = session.execute(judged.where(Inspection.inspected_on <= starts_on).limit(1)).first()
    row = (
        before or session.execute(judged.order_by(None).order_by(Inspection.inspected_on).limit(1)).first()
    )  # only later ones: refused by the check
    return {"id": row.id, "inspected_on": row.inspected_on} if row else None


def list_restrictions(session: Session, *, asset_code: str | None = None) -> pd.DataFrame:
    """Traffic restrictions, latest first, with the asset's code and the date of the inspection behind each."""
    query = (
        sa.select(
            TrafficRestriction.code,
            Asset.code.label("asset_code"),
            TrafficRestriction.kind,
            TrafficRestriction.starts_on,
            TrafficRestriction.ends_on,
            Inspection.inspected_on,
            TrafficRestriction.notes,
        )
        .join(Asset, Asset.id == TrafficRestriction.asset_id)
        .outerjoin(Inspection, Inspection.id == TrafficRestriction.inspection_id)
        .order_by(TrafficRestriction.starts_on.desc(), TrafficRestriction.code)
    )
    if asset_code is not None:
        query = query.where(Asset.code == asset_code)
    return pd.DataFrame(session.execute(query).all(), columns=list(RESTRICTION_COLUMNS))
