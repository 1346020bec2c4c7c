"""Statutory measures (措置) after an inspection judged Ⅲ or Ⅳ: each duty, its deadline and its state.

Under the 2014 road-structure inspection rules (道路法施行規則; 平成26年国土交通省告示第426号) a
structure judged Ⅳ (緊急措置段階) needs urgent measures at once: repair, or restricting or closing
traffic; one judged Ⅲ (早期措置段階) needs measures before its next periodic inspection, within five
years. These are duties, not risk weights; see docs/duties.md.

A **duty** opens at an inspection judged Ⅲ or Ⅳ. A later inspection judging the asset Ⅲ or Ⅳ again
before any measure was completed belongs to the same duty (a Ⅳ then makes it a Ⅳ duty with the
earlier of the two deadlines); after a completed measure it opens a new one. The **measures** of a
duty are the asset's work orders (not cancelled) dated from its inspection until the next duty of
the asset opens, its traffic restrictions over the same span (or naming the inspection), and the
asset's disposal (removal is a measure).

**State**, the furthest the measures have got by ``as_of``: ``completed`` (a work order completed, or
the asset disposed), ``started`` (a work order started), ``restricted`` (traffic restricted or closed),
``planned`` (a work order planned), else ``none``. A duty is **met** once a measure has started
(a work order started or completed, a restriction in force, the asset disposed) on or before its
deadline; an unmet duty past its deadline is **overdue** by that many days.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fm.domain.settings import load_overlaid
from fm.errors import ValidationError

DEFAULT = Path(__file__).with_name("duties.toml")
CLASS_LABELS = {3: "Ⅲ", 4: "Ⅳ"}
STATES = ("none", "planned", "restricted", "started", "completed")
STARTED = ("restricted", "started", "completed")
COLUMNS = (
    "asset_id",
    "code",
    "name",
    "category",
    "inspection_id",
    "inspected_on",
    "soundness",
    "deadline",
    "state",
    "measure_started_on",
    "completed_on",
    "restricted_since",
    "met",
    "overdue",
)


@dataclass(frozen=True)
class DutySettings:
    """Validated duty settings (``duties.toml`` overlaid with a user's file)."""

    grace_days: int
    score_categories: tuple[str, ...]
    score_classes: dict[int, int]


def load_settings(path: Path | str | None = None) -> DutySettings:
    """The packaged settings overlaid with ``path`` (or ``FM_DUTIES``), every problem named at once."""
    path = path or os.environ.get("FM_DUTIES")
    settings, problems = load_overlaid(DEFAULT, path, "duty settings")
    grace = settings["grace_days"]
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 365:
        problems.append(f"'grace_days' must be a whole number of days from 0 to 365, got {grace!r}")
    categories = settings["score_categories"]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        problems.append(f"'score_categories' must be a list of category codes, got {categories!r}")
    classes = {}
    for key, value in settings["score_classes"].items():
        if key not in {"1", "2", "3", "4", "5"}:
            problems.append(f"'score_classes.{key}' must be a condition score from 1 to 5")
        elif value not in (3, 4) or isinstance(value, bool):
            problems.append(f"'score_classes.{key}' must be 3 (Ⅲ) or 4 (Ⅳ), got {value!r}")
        else:
            classes[int(key)] = int(value)
    if problems:
        raise ValidationError([f"duty settings {path or DEFAULT}: {p}" for p in problems])
    return DutySettings(grace_days=grace, score_categories=tuple(categories), score_classes=classes)


def judged_class(inspections: pd.DataFrame, category: pd.Series, scale: pd.Series, settings: DutySettings) -> pd.Series:
    """Soundness class 3 (Ⅲ) or 4 (Ⅳ) each inspection judged, else NA.

    ``category`` and ``scale`` (``soundness`` or ``score``) are aligned with ``inspections``.
    Scores count only for the categories in ``settings.score_categories``.

    Examples
    --------
    >>> s = DutySettings(grace_days=0, score_categories=("wall",), score_classes={4: 3, 5: 4})
    >>> i = pd.DataFrame({"soundness": [4, 2, None, None], "condition_score": [None, None, 5, 5]})
    >>> judged_class(i, pd.Series(["bridge", "bridge", "wall", "park"]),
    ...              pd.Series(["soundness", "soundness", "score", "score"]), s).tolist()
    [4, <NA>, 4, <NA>]
    """
    # Both as nullable floats (a column of the database is Int64, one of a file float64): one dtype to fill from.
    soundness = pd.to_numeric(inspections["soundness"], errors="coerce").astype("Float64")
    score = pd.to_numeric(inspections["condition_score"], errors="coerce")
    from_soundness = soundness.where((scale == "soundness").to_numpy() & (soundness >= 3).fillna(False).to_numpy())
    mapped = score.map(settings.score_classes).astype("Float64")
    mapped = mapped.where(category.isin(settings.score_categories).to_numpy())
    return from_soundness.fillna(mapped).astype("Int64")


def find_duties(
    assets: pd.DataFrame,
    inspections: pd.DataFrame,
    work_orders: pd.DataFrame,
    restrictions: pd.DataFrame,
    categories: pd.DataFrame,
    *,
    settings: DutySettings,
    cycle: Callable[[str], float],
    as_of: date,
) -> pd.DataFrame:
    """Every duty opened by an inspection up to ``as_of``, with its deadline, state and days overdue.

    ``assets``: id, code, name, category, disposed_on; ``inspections``: id, asset_id, inspected_on,
    soundness, condition_score, next_due_on; ``work_orders``: asset_id, status, planned_on, started_on,
    completed_on; ``restrictions``: asset_id, inspection_id, starts_on, ends_on; ``categories``: code,
    condition_scale; ``cycle(category)``: years between periodic inspections. Rows: :data:`COLUMNS`,
    overdue first (most days first), then by deadline.
    """
    return duty_table(
        duties_by_asset(
            assets, inspections, work_orders, restrictions, categories, settings=settings, cycle=cycle, as_of=as_of
        )
    )


def duties_by_asset(
    assets: pd.DataFrame,
    inspections: pd.DataFrame,
    work_orders: pd.DataFrame,
    restrictions: pd.DataFrame,
    categories: pd.DataFrame,
    *,
    settings: DutySettings,
    cycle: Callable[[str], float],
    as_of: date,
) -> dict[int, list[dict[str, Any]]]:
    """The duties of :func:`find_duties` as rows (dicts of :data:`COLUMNS`) by asset id, each asset's in the order
    its duties opened; assets without a duty are left out. An asset's duties depend on its own records alone, so
    those of a few assets can be computed again from their records and put in place of the kept ones."""
    held = assets.set_index("id")
    scales = categories.set_index("code")["condition_scale"]
    seen = inspections[pd.to_datetime(inspections["inspected_on"]) <= pd.Timestamp(as_of)]
    seen = seen[seen["asset_id"].isin(held.index)]
    category = seen["asset_id"].map(held["category"])
    judged = seen.assign(judged=judged_class(seen, category, category.map(scales), settings).to_numpy())
    judged = judged[judged["judged"].notna()].sort_values(["asset_id", "inspected_on", "id"])
    ids = set(judged["asset_id"])
    orders = work_orders[(work_orders["status"] != "cancelled") & work_orders["asset_id"].isin(ids)]
    orders_by_asset = _by_asset(orders, ("status", "planned_on", "started_on", "completed_on"))
    restrictions_by_asset = _by_asset(
        restrictions[restrictions["asset_id"].isin(ids)], ("inspection_id", "starts_on", "ends_on")
    )
    mine_held = held[held.index.isin(list(ids))]  # only the judged assets, as plain lists (no per-cell pandas)
    facts = {
        int(i): (code, name, kind, _day(disposed))
        for i, code, name, kind, disposed in zip(
            mine_held.index.tolist(),
            mine_held["code"].tolist(),
            mine_held["name"].tolist(),
            mine_held["category"].tolist(),
            mine_held["disposed_on"].astype(object).tolist(),
            strict=True,
        )
    }
    inspected = _by_asset(judged.rename(columns={"id": "inspection_id"}), ("inspection_id", "inspected_on"))
    classes = [int(v) for v in judged["judged"]]
    next_due = [_day(v) for v in judged["next_due_on"]]
    found: dict[int, list[dict[str, Any]]] = {}
    position = 0
    for asset_id, group in inspected.items():
        code, name, kind, disposed_on = facts[asset_id]
        judgements = [
            {
                "id": int(inspection_id),
                "inspected_on": day,
                "judged": classes[position + n],
                "next_due_on": next_due[position + n],
            }
            for n, (inspection_id, day) in enumerate(group)
        ]
        position += len(group)
        mine = orders_by_asset.get(asset_id, [])
        episodes = _episodes(judgements, mine, as_of)
        for number, episode in enumerate(episodes):
            ends = episodes[number + 1]["inspected_on"] if number + 1 < len(episodes) else None
            first = episode["inspected_on"]
            deadline = _deadline(episode, kind, settings, cycle)
            measures = _measures(
                mine, restrictions_by_asset.get(asset_id, []), episode["ids"], first, ends, disposed_on, as_of
            )
            started = measures["measure_started_on"]
            met = started is not None and started <= deadline
            overdue = (as_of - deadline).days if started is None and as_of > deadline else 0
            found.setdefault(asset_id, []).append(
                {
                    "asset_id": asset_id,
                    "code": code,
                    "name": name,
                    "category": kind,
                    "inspection_id": episode["ids"][0],
                    "inspected_on": first,
                    "soundness": CLASS_LABELS[episode["judged"]],
                    "deadline": deadline,
                    **measures,
                    "met": met,
                    "overdue": overdue,
                }
            )
    return found


def duty_table(by_asset: dict[int, list[dict[str, Any]]]) -> pd.DataFrame:
    """The rows of :func:`duties_by_asset` as :func:`find_duties` gives them: overdue first (most days first), then
    by deadline, then by asset code (unique: the order never depends on the order of ``by_asset``)."""
    frame = pd.DataFrame([row for rows in by_asset.values() for row in rows], columns=list(COLUMNS))
    if not len(frame):
        return frame
    frame = frame.sort_values(["overdue", "deadline", "code"], ascending=[False, True, True], kind="stable")
    return frame.reset_index(drop=True)


def changed_assets(before: pd.DataFrame, after: pd.DataFrame, column: str = "asset_id") -> set[int]:
    """The ids in ``column`` of the rows found in one of two readings of a table and not in the other, each row
    compared on all its columns (which must hold the table's key, so that no two rows are alike): the assets
    whose records in that table were added, changed or removed between the two readings.

    Examples
    --------
    >>> a = pd.DataFrame({"id": [1, 2, 3], "asset_id": [10, 10, 20], "status": ["planned", "planned", "completed"]})
    >>> b = pd.DataFrame({"id": [1, 2, 4], "asset_id": [10, 30, 40], "status": ["planned", "planned", "planned"]})
    >>> sorted(changed_assets(a, b))
    [10, 20, 30, 40]
    """
    if before.equals(after):  # the common case (a table nobody wrote to), without hashing
        return set()
    old = pd.util.hash_pandas_object(before, index=False).to_numpy()
    new = pd.util.hash_pandas_object(after, index=False).to_numpy()
    gone = before[column].to_numpy()[~np.isin(old, new)]
    came = after[column].to_numpy()[~np.isin(new, old)]
    return {int(i) for i in gone} | {int(i) for i in came}


def _day(value: Any) -> date | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _by_asset(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[int, list[tuple]]:
    """Rows of ``frame`` as tuples of ``columns`` (dates as ``date`` or None) by ``asset_id``, in frame order."""
    values = [[_day(v) for v in frame[c]] if c.endswith("_on") else frame[c].astype(object).tolist() for c in columns]
    grouped: dict[int, list[tuple]] = {}
    for asset_id, *row in zip(frame["asset_id"].tolist(), *values, strict=True):
        grouped.setdefault(int(asset_id), []).append(tuple(row))
    return grouped


def _episodes(judgements: list[dict[str, Any]], orders: list[tuple], as_of: date) -> list[dict[str, Any]]:
    """Judged inspections of one asset merged into duties: a new duty only after a completed measure."""
    completions = sorted(done for _, _, _, done in orders if done is not None and done <= as_of)
    episodes: list[dict[str, Any]] = []
    for row in judgements:
        day, klass = row["inspected_on"], row["judged"]
        if episodes:
            last = episodes[-1]
            closed = any(last["inspected_on"] <= done < day for done in completions)
            if not closed:
                if klass == 4 and last["judged"] == 3:
                    last.update(judged=4, fourth_on=day)
                last["ids"].append(row["id"])
                continue
        episodes.append(
            {
                "ids": [row["id"]],
                "inspected_on": day,
                "judged": klass,
                "next_due_on": row["next_due_on"],
                "fourth_on": day,
            }
        )
    return episodes


def _deadline(episode: dict[str, Any], category: str, settings: DutySettings, cycle: Callable[[str], float]) -> date:
    """Ⅳ: the (first Ⅳ) inspection plus the grace days; Ⅲ: the next periodic inspection."""
    if episode["judged"] == 4:
        return episode["fourth_on"] + timedelta(days=settings.grace_days)
    if episode["next_due_on"] is not None:
        return episode["next_due_on"]
    first: date = episode["inspected_on"]
    months = round(cycle(category) * 12)
    year, month = divmod(first.month - 1 + months, 12)
    target = date(first.year + year, month + 1, 1)
    last_day = (date(target.year + (target.month == 12), target.month % 12 + 1, 1) - timedelta(days=1)).day
    return target.replace(day=min(first.day, last_day))


def _measures(
    orders: list[tuple],
    restrictions: list[tuple],
    inspection_ids: list[int],
    first: date,
    ends: date | None,
    disposed: date | None,
    as_of: date,
) -> dict[str, Any]:
    """State of one duty from the measures within its span, as of ``as_of``."""

    def within(day: date | None) -> bool:
        return day is not None and first <= day <= as_of and (ends is None or day < ends)

    planned = False
    starts: list[date] = []
    completions: list[date] = []
    for status, planned_on, started, completed in orders:
        if completed is not None and within(completed):
            completions.append(completed)
            starts.append(started if started is not None and within(started) else completed)
        elif started is not None and within(started):
            starts.append(started)
        elif status in ("planned", "in_progress") and (planned_on is None or planned_on >= first):
            planned = planned or ends is None or (planned_on is not None and planned_on < ends)
    restricted: list[date] = []
    for inspection_id, day, _ in restrictions:
        named = inspection_id is not None and not pd.isna(inspection_id) and int(inspection_id) in inspection_ids
        if day is not None and day <= as_of and (named or within(day)):
            restricted.append(day)
    if disposed is not None and within(disposed):
        completions.append(disposed)
        starts.append(disposed)
    state = (
        "completed"
        if completions
        else "started"
        if starts
        else "restricted"
        if restricted
        else "planned"
        if planned
        else "none"
    )
    all_starts = starts + restricted
    return {
        "state": state,
        "measure_started_on": min(all_starts) if all_starts else None,
        "completed_on": min(completions) if completions else None,
        "restricted_since": min(restricted) if restricted else None,
    }


def check_restriction(
    restriction: dict[str, Any], *, inspection: dict[str, Any] | None, code: str
) -> list[tuple[str, str]]:
    """Problems with one restriction before it is written: (field, message), each naming the record.

    Examples
    --------
    >>> check_restriction({"starts_on": date(2025, 5, 1), "ends_on": date(2025, 4, 1)}, inspection=None, code="R-1")
    [('ends_on', 'restriction R-1: ends_on 2025-04-01 is before starts_on 2025-05-01')]
    """
    problems = []
    starts, ends = restriction.get("starts_on"), restriction.get("ends_on")
    if starts is None:
        problems.append(("starts_on", f"restriction {code}: starts_on is required"))
    if starts is not None and ends is not None and ends < starts:
        problems.append(("ends_on", f"restriction {code}: ends_on {ends} is before starts_on {starts}"))
    if inspection is not None and starts is not None and starts < inspection["inspected_on"]:
        problems.append(
            (
                "starts_on",
                f"restriction {code}: starts_on {starts} is before the inspection of {inspection['inspected_on']} "
                f"that required it (inspection {inspection['id']})",
            )
        )
    return problems
