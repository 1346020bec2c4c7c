"""Individual facility plans (個別施設計画) in and out as one workbook or a folder of CSV files.

A plans file has up to four sheets (:data:`~fm.io.columns.PLAN_SHEETS`), named in Japanese or English:
計画 / plans (one row a plan), 対象資産 / assets (the assets each plan covers), 工事 / works (its works by fiscal
year) and 予算 / budget (planned and executed amounts by fiscal year). As CSV, a folder holds them as
``plans.csv``, ``assets.csv``, ``works.csv`` and ``budget.csv`` (or ``計画.csv`` …). Every sheet is checked by
the importer's rules (:func:`fm.io.validate.validate`), then across sheets: every plan code a line names is a
plan of the file or of the database, a work's (and a budget line's) fiscal year lies in its plan's period, a
work's asset is one its plan covers.

Plans are matched by code: a plan of the file is added or updated in the columns the file has. For each
sheet the file has, the lines of every plan it holds (the plans of the plans sheet, and those the sheet names)
are replaced by the file's: a sheet is the whole list of those plans' assets, works or budget lines. All or
nothing, in the caller's transaction; one audit entry per plan added or changed, with its lines' old and new.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.accounts import audit
from fm.errors import FmError
from fm.io import files, store
from fm.io.columns import PLAN_SHEETS, header, normalise
from fm.io.problems import Problem, Rejected
from fm.io.validate import References, spell_codes, validate
from fm.model import IndividualPlan, metadata

SHEETS = {kind.name: kind for kind in PLAN_SHEETS}
PLAN_FIELDS = tuple(c.name for c in SHEETS["plans"].columns)
LINES = {"assets": "plan_assets", "works": "plan_works", "budget": "plan_budget_items"}
"""Sheet → the table of its lines."""
LINE_FIELDS = {
    "assets": ("asset_code",),
    "works": ("fiscal_year", "asset_code", "description", "cost"),
    "budget": ("fiscal_year", "planned_amount", "executed_amount"),
}


def import_plans(
    session: Session,
    path: Path,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Import the plans workbook or folder ``path``, all or nothing; what was (dry run: would be) done."""
    tables = _read(path, encoding)
    stored = _stored(session)
    assets = store.read_table(session, "assets", ["id", "code"])
    asset_codes = frozenset(assets["code"])
    problems: list[Problem] = []
    checked: dict[str, pd.DataFrame] = {}
    rows: dict[str, pd.Series] = {}
    names: dict[str, dict[str, str]] = {}
    for name, (table, label) in tables.items():
        references = References(assets=asset_codes, keys=frozenset(stored["plans"]["code"]))
        try:
            found = validate(
                SHEETS[name], table, references=references, crs=None, today=today or date.today(), source=""
            )
        except Rejected as exc:
            problems += [_placed(p, label) for p in exc.details]
            continue
        checked[name], names[name] = found.frame.reset_index(drop=True), found.names
        rows[name] = (label + " " + table.rows.astype(str)).reset_index(drop=True)
    if problems:
        raise Rejected(path.name, problems)
    if "budget" in checked:  # an amount not executed (yet) is 0 yen executed
        budget = checked["budget"]
        budget["executed_amount"] = budget.get("executed_amount", pd.Series(0, index=budget.index)).fillna(0)
    _across(checked, rows, names, stored, problems)
    if problems:
        raise Rejected(path.name, problems)
    return _apply(session, path, tables, checked, stored, assets, dry_run=dry_run, actor=actor or audit.cli_actor())


def _placed(problem: Problem, label: str) -> Problem:
    return Problem(f"{label} {problem.row}".strip(), problem.field, problem.value, problem.message)


def _read(path: Path, encoding: str | None) -> dict[str, tuple[files.Table, str]]:
    """Each sheet the file has: its table and the label its rows are named by (the sheet's or file's name)."""
    if not path.exists():
        raise FmError(f"{path}: no such file or folder")
    found: dict[str, tuple[files.Table, str]] = {}
    if path.is_dir():
        for kind in PLAN_SHEETS:
            for stem in (kind.name, kind.ja):
                csv = path / f"{stem}.csv"
                if csv.is_file():
                    if kind.name in found:
                        raise FmError(f"{path}: both {kind.name}.csv and {kind.ja}.csv: keep one")
                    found[kind.name] = (
                        files.read(csv, encoding=encoding, kind=kind.name, empty_ok=True),
                        csv.name,
                    )
        if not found:
            raise FmError(f"{path} holds none of {', '.join(f'{k.name}.csv' for k in PLAN_SHEETS)}")
        return found
    if path.suffix.lower() != ".xlsx":
        sheets_ja, csvs = ", ".join(k.ja for k in PLAN_SHEETS), ", ".join(f"{k.name}.csv" for k in PLAN_SHEETS)
        raise FmError(
            f"{path.name}: plans come as an Excel workbook (.xlsx, a sheet each: {sheets_ja}) "
            f"or a folder of CSV files ({csvs})"
        )
    sheets = {normalise(k.name): k for k in PLAN_SHEETS} | {normalise(k.ja): k for k in PLAN_SHEETS}
    for sheet in files.sheet_names(path):
        kind = sheets.get(normalise(sheet))
        if kind is None:
            expected = ", ".join(f"{k.ja} ({k.name})" for k in PLAN_SHEETS)
            raise FmError(f"{path.name}: unknown sheet {sheet!r}; a plans workbook has the sheets {expected}")
        if kind.name in found:
            raise FmError(f"{path.name}: two sheets of {kind.ja} ({kind.name}): keep one")
        found[kind.name] = (files.read(path, sheet=sheet, kind=kind.name, empty_ok=True), sheet)
    return found


def _stored(session: Session) -> dict[str, pd.DataFrame]:
    """The plans the database holds and their lines, plans named by code and assets by code."""
    plans = pd.DataFrame(store.read_table(session, "individual_plans"))
    codes = plans.set_index("id")["code"]
    assets = store.read_table(session, "assets", ["id", "code"]).set_index("id")["code"]
    lines = {}
    for sheet, table in LINES.items():
        frame = pd.DataFrame(store.read_table(session, table))
        frame["plan_code"] = frame["plan_id"].map(codes)
        if "asset_id" in frame.columns:
            frame["asset_code"] = frame["asset_id"].map(assets).astype(object)
            frame["asset_code"] = frame["asset_code"].where(frame["asset_code"].notna(), None)
        lines[sheet] = frame
    return {"plans": plans, **lines}


def _across(
    checked: dict[str, pd.DataFrame],
    rows: dict[str, pd.Series],
    names: dict[str, dict[str, str]],
    stored: dict[str, pd.DataFrame],
    problems: list[Problem],
) -> None:
    """The rules across sheets (see the module's docstring); plan codes of the lines spelt as the plans'."""
    plans = checked.get("plans")
    in_file = frozenset(plans["code"]) if plans is not None else frozenset()
    known = in_file | frozenset(stored["plans"]["code"])
    periods = stored["plans"].set_index("code")[["period_start_fy", "period_end_fy"]].astype(object)
    if plans is not None:
        given = [c for c in ("period_start_fy", "period_end_fy") if c in plans.columns]
        for _, plan in plans.iterrows():
            if plan["code"] not in periods.index:
                periods.loc[plan["code"]] = [None, None]
            for column in given:
                periods.at[plan["code"], column] = plan[column]
    coverage: dict[str, set[str]] = {}
    for code, group in stored["assets"].groupby("plan_code"):
        coverage[str(code)] = set(group["asset_code"].dropna())
    if "assets" in checked:
        lines = checked["assets"]
        lines["plan_code"] = spell_codes(lines["plan_code"].astype("string"), known).astype(object)
        for code in set(lines["plan_code"]) | (in_file & set(coverage)):
            coverage[code] = set(lines.loc[lines["plan_code"] == code, "asset_code"])
    for sheet in ("assets", "works", "budget"):
        if sheet not in checked:
            continue
        lines, header_of, where = checked[sheet], names[sheet], rows[sheet]
        lines["plan_code"] = spell_codes(lines["plan_code"].astype("string"), known).astype(object)
        for n, line in lines.iterrows():
            code = line["plan_code"]
            if code not in known:
                unknown = "no plan with this code in the file or the database"
                problems.append(Problem(where[n], header_of["plan_code"], str(code), unknown))
                continue
            if sheet == "assets":
                continue
            start, end = periods.at[code, "period_start_fy"], periods.at[code, "period_end_fy"]
            year = int(line["fiscal_year"])
            if (pd.notna(start) and year < start) or (pd.notna(end) and year > end):
                problems.append(
                    Problem(
                        where[n],
                        header_of["fiscal_year"],
                        str(year),
                        f"outside the plan's period, FY{_year(start)}–FY{_year(end)}",
                    )
                )
            asset = line.get("asset_code")
            if sheet == "works" and asset is not None and pd.notna(asset) and asset not in coverage.get(code, set()):
                problems.append(
                    Problem(
                        where[n],
                        header_of["asset_code"],
                        str(asset),
                        f"plan {code} does not cover this asset: add it to the plan's assets (対象資産)",
                    )
                )
    order = {label: n for n, label in enumerate(pd.concat(list(rows.values())) if rows else [])}
    problems.sort(key=lambda p: order.get(p.row, -1))


def _year(value: Any) -> str:
    return "?" if value is None or pd.isna(value) else str(int(value))


def _line_values(frame: pd.DataFrame, sheet: str) -> list[tuple]:
    """A plan's lines as sorted tuples, the form they are compared and audited in."""
    fields = LINE_FIELDS[sheet]
    values = []
    for _, line in frame.iterrows():
        values.append(tuple(None if (v := line.get(f)) is None or pd.isna(v) else v for f in fields))
    return sorted(values, key=lambda t: tuple("" if v is None else str(v).zfill(20) for v in t))


def _shown(lines: list[tuple], sheet: str) -> list[str]:
    """Lines as the audit trail shows them: ``2026 S-001 屋上防水 12,000,000`` (amounts in yen grouped)."""
    amounts = [f not in ("fiscal_year", "asset_code", "description") for f in LINE_FIELDS[sheet]]
    return [
        " ".join(
            "" if v is None else (f"{int(v):,}" if amount else str(v)) for v, amount in zip(line, amounts, strict=True)
        )
        for line in lines
    ]


def _apply(
    session: Session,
    path: Path,
    tables: dict[str, tuple[files.Table, str]],
    checked: dict[str, pd.DataFrame],
    stored: dict[str, pd.DataFrame],
    assets: pd.DataFrame,
    *,
    dry_run: bool,
    actor: str,
) -> dict[str, Any]:
    plans = checked.get("plans", pd.DataFrame(columns=["code"]))
    known = {p.code: p for p in session.scalars(sa.select(IndividualPlan))}
    changes: dict[str, dict[str, list[Any]]] = {}
    added: set[str] = set()
    for _, row in plans.iterrows():
        code = str(row["code"])
        plan = known.get(code)
        values = {f: (None if pd.isna(row[f]) else row[f]) for f in PLAN_FIELDS if f in plans.columns and f != "code"}
        for field in ("period_start_fy", "period_end_fy"):
            if values.get(field) is not None:
                values[field] = int(values[field])
        if plan is None:
            added.add(code)
            changes[code] = audit.diff({}, values)
        else:
            changes[code] = audit.diff({f: getattr(plan, f) for f in values}, values)
        if not dry_run and (plan is None or changes[code]):
            if plan is None:
                plan = IndividualPlan(code=code, **values)
                session.add(plan)
                known[code] = plan
            else:
                for field, value in values.items():
                    setattr(plan, field, value)
                plan.version = plan.version + 1
    if not dry_run:
        session.flush()
    asset_ids = assets.set_index("code")["id"]
    counts = {}
    for sheet, table_name in LINES.items():
        if sheet not in checked:
            continue
        lines = checked[sheet]
        counts[sheet] = len(lines)
        touched = set(lines["plan_code"]) | set(plans["code"])
        for code in sorted(touched):
            old = _line_values(stored[sheet][stored[sheet]["plan_code"] == code], sheet)
            mine = lines[lines["plan_code"] == code]
            new = _line_values(mine, sheet)
            if old == new:
                continue
            changes.setdefault(code, {})[sheet] = [_shown(old, sheet), _shown(new, sheet)]
            if dry_run:
                continue
            plan_id = known[code].id
            table = metadata.tables[table_name]
            session.execute(sa.delete(table).where(table.c.plan_id == plan_id))
            records = [{"plan_id": plan_id, **dict(zip(LINE_FIELDS[sheet], line, strict=True))} for line in new]
            for record in records:
                if "asset_code" in record:
                    code_ = record.pop("asset_code")
                    record["asset_id"] = None if code_ is None else int(asset_ids[code_])
                if sheet == "budget" and record["executed_amount"] is None:
                    record["executed_amount"] = 0
            if records:
                session.execute(sa.insert(table), records)
    changed = {code: found for code, found in changes.items() if found}
    if not dry_run:
        for code, found in changed.items():
            plan = known[code]
            if code not in added and set(found) - set(LINES) == set():
                plan.version = plan.version + 1  # its lines changed: the plan did
            audit.record(
                session,
                actor=actor,
                source="import",
                action="create" if code in added else "update",
                table="individual_plans",
                record_id=plan.id,
                code=code,
                changes=found,
            )
        session.flush()
    in_file = set(plans["code"])
    return {
        "kind": "plans",
        "file": path.name,
        "format": "Excel" if path.is_file() else "CSV",
        "sheets": [tables[name][1] for name in tables],
        "added": len(added),
        "updated": len(set(changed) - added),
        "unchanged": len(in_file - set(changed)),
        "lines": counts,
        "dry_run": dry_run,
    }


def export_plans(session: Session, path: Path, *, lang: str = "ja") -> dict[str, Any]:
    """Write every plan and its lines to ``path``: a workbook (.xlsx), or a folder of CSV files (made if need
    be), in the layout :func:`import_plans` reads, headers in ``lang``."""
    stored = _stored(session)
    frames = {"plans": stored["plans"].sort_values("code")}
    for sheet in LINES:
        keys = ["plan_code", *[f for f in LINE_FIELDS[sheet] if f != "cost"]]
        frames[sheet] = stored[sheet].sort_values(keys, na_position="first")
    out: dict[str, pd.DataFrame] = {}
    excel = path.suffix.lower() == ".xlsx"
    for kind in PLAN_SHEETS:
        frame = frames[kind.name]
        sheet = pd.DataFrame(index=range(len(frame)))
        for column in kind.columns:
            values = frame[column.name].reset_index(drop=True)
            if column.type in ("integer", "yen"):
                values = values.astype("Int64")
            elif column.type == "date" and not excel:
                values = values.map(lambda d: d.isoformat(), na_action="ignore")
            sheet[header(column, lang)] = values
        out[kind.ja if lang == "ja" else kind.name] = sheet
    if excel:
        files.write_workbook(out, path)
    else:
        if path.suffix:
            raise FmError(f"{path.name}: plans go out as an Excel workbook (.xlsx) or a folder of CSV files")
        path.mkdir(parents=True, exist_ok=True)
        for name, sheet in out.items():
            files.write(sheet, path / f"{name}.csv", layer=name)
    return {
        "kind": "plans",
        "file": str(path),
        "format": "Excel" if excel else "CSV",
        "records": len(frames["plans"]),
        "lines": {sheet: len(frames[sheet]) for sheet in LINES},
        "crs": None,
        "lang": lang,
    }
