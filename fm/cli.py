"""The ``fm`` command: a thin click layer over fm.service, fm.db and the web app.

Every command reads the database from ``--database-url`` or ``FM_DATABASE_URL``
(default: the SQLite file under ``instance/``). Errors fm expects (a bad URL, a
database that is down or behind) print one line and exit with status 1.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import click
import pandas as pd
from tabulate import tabulate

from fm import __version__, service, users
from fm.audit import cli_actor
from fm.config import Config
from fm.db import Database, migrate
from fm.depreciation import CONVENTIONS
from fm.errors import FmError
from fm.fiscal import fiscal_year as fiscal_year_of
from fm.fiscal import fiscal_year_label
from fm.io.columns import KINDS
from fm.io.problems import Rejected
from fm.kpi import INDICATORS
from fm.serialize import records, to_json


class FmGroup(click.Group):
    """A click group that reports FmError as a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FmError as exc:
            raise click.ClickException(str(exc)) from None


def _database(ctx: click.Context, *, check: bool = True) -> Database:
    config: Config = ctx.obj
    config.prepare_instance()
    database = Database(config.database_url)
    ctx.call_on_close(database.dispose)
    if check:
        database.check()
    return database


@click.group(cls=FmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar="FM_DATABASE_URL", metavar="URL",
              help="Database URL (env FM_DATABASE_URL). Default: sqlite under ./instance/.")
@click.version_option(__version__, prog_name="fm")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """fm: facility management and infrastructure risk for Japanese municipalities.

    Start with `fm db upgrade` to create the database, then `fm serve`.
    """
    ctx.obj = Config.from_env(database_url=database_url)


@cli.group()
def db() -> None:
    """Create and migrate the database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create the schema, or bring it up to date (creates PostGIS on PostgreSQL)."""
    database = _database(ctx, check=False)
    with database.connect() as connection:
        before = migrate.current_revision(connection)
        migrate.upgrade(connection, revision)
        after = migrate.current_revision(connection)
    click.echo(f"database {database.url.render_as_string(hide_password=True)}: "
               f"{before or 'empty'} -> {after}" if before != after else f"database already at {after}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Take the schema back to REVISION ('base' removes every fm table and its data)."""
    with _database(ctx, check=False).connect() as connection:
        migrate.downgrade(connection, revision)
        click.echo(f"database at {migrate.current_revision(connection) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the schema revision of the database and the one this fm expects."""
    with _database(ctx, check=False).connect() as connection:
        click.echo(f"database: {migrate.current_revision(connection) or 'empty'}\n"
                   f"expected: {migrate.head_revision()}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """(Developers) autogenerate a migration from the difference between models and database."""
    from alembic import command

    with _database(ctx).connect() as connection:
        command.revision(migrate.alembic_config(connection), message=message, autogenerate=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader and debugger.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, debug: bool) -> None:
    """Serve the web app and the JSON API (waitress; --debug for Flask's server)."""
    from fm.web import create_app

    _database(ctx).dispose()
    app = create_app(ctx.obj)
    click.echo(f"fm serving on http://{host}:{port}/ (Ctrl+C to stop)")
    if debug:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, ident="fm")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for programs (same body as GET /api/stats).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
              help="Language of the table's labels.")
@click.pass_context
def stats(ctx: click.Context, fmt: str, lang: str) -> None:
    """Count the assets the city holds, by category and by district."""
    with _database(ctx).session() as session:
        counts = service.asset_stats(session)
    if fmt == "json":
        click.echo(to_json(counts))
        return
    label = "name" if lang == "ja" else "name_en"
    headers = {"ja": ("区分", "件数", "地域", "合計"), "en": ("Category", "Assets", "District", "Total")}[lang]
    click.echo(tabulate([(row[label], row["count"]) for row in counts["by_category"]] +
                        [(headers[3], counts["total"])], headers=headers[:2], colalign=("left", "right")))
    click.echo()
    click.echo(tabulate([(row[label], row["count"]) for row in counts["by_district"]] +
                        [(headers[3], counts["total"])], headers=(headers[2], headers[1]),
                        colalign=("left", "right")))


@cli.command()
@click.option("--reset", is_flag=True, help="Erase every record first (categories stay), then load.")
@click.option("--data", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="DIR",
              help="Load this folder of CSV files instead of the shipped demo (e.g. from geodata/generate.py).")
@click.pass_context
def demo(ctx: click.Context, reset: bool, data: Path | None) -> None:
    """Load the Kamakura demo register and make one account per role (idempotent: a second run changes nothing).

    The accounts' passwords are generated and printed once, or all set to FM_DEMO_PASSWORD.
    """
    started = time.perf_counter()
    with _database(ctx).session() as session:
        counts = service.load_demo(session, reset=reset, folder=data)
        accounts = service.demo_accounts(session, password=os.environ.get("FM_DEMO_PASSWORD") or None,
                                         actor=cli_actor())
    if counts:
        click.echo(", ".join(f"{name} {count:,}" for name, count in counts.items())
                   + f" loaded in {time.perf_counter() - started:.1f} s")
    else:
        click.echo("demo data already loaded: nothing to do (use --reset to load it afresh)")
    if accounts:
        click.echo("\nDemo accounts (sign in at http://127.0.0.1:5000/sign-in). The passwords are shown only "
                   "now; change one with `fm users set-password NAME`:")
        click.echo(tabulate(accounts, headers="keys"))


@cli.command("import")
@click.argument("kind", type=click.Choice([k for k, v in KINDS.items() if v.importable]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layer", help="GeoPackage layer (default: the only one, or the one named KIND).")
@click.option("--sheet", help="Excel sheet (default: the only one, or the one named KIND).")
@click.option("--crs", type=int, metavar="EPSG", help="CRS of a file that states none (e.g. 6677).")
@click.option("--encoding", help="CSV encoding (default: UTF-8 with or without BOM, else cp932).")
@click.option("--dry-run", is_flag=True, help="Check and count what would be added, updated and left alone; "
              "write nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def import_(ctx: click.Context, kind: str, file: Path, layer: str | None, sheet: str | None, crs: int | None,
            encoding: str | None, dry_run: bool, fmt: str) -> None:
    """Import FILE (.gpkg, .geojson, .csv, .xlsx) as KIND, all or nothing; existing codes are updated.

    Every problem is listed, one a line, with its row, column, value and what is wrong;
    then nothing is written. Columns: docs/import-export.md.
    """
    try:
        with _database(ctx).session() as session:
            result = service.import_records(session, kind, file, layer=layer, sheet=sheet, crs=crs,
                                            encoding=encoding, dry_run=dry_run)
    except Rejected as exc:
        if fmt != "json":
            raise
        click.echo(to_json({"kind": kind, "file": file.name, "problems": [asdict(p) for p in exc.details]}))
        ctx.exit(1)
    if fmt == "json":
        click.echo(to_json(result))
        return
    click.echo(f"{result['file']} ({result['kind']}): {result['added']:,} added, {result['updated']:,} updated, "
               f"{result['unchanged']:,} unchanged" + (" (dry run: nothing written)" if dry_run else ""))


@cli.command("export")
@click.argument("kind", type=click.Choice([k for k, v in KINDS.items() if v.exportable]))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True, help="Header language.")
@click.option("--crs", type=int, metavar="EPSG", help="CRS of the geometry (default 4326; 6677 for survey work).")
@click.option("--category", multiple=True, help="Only assets of this category (repeatable); also for their "
              "inspections and work orders.")
@click.option("--district", multiple=True, help="Only records in this district (code, repeatable).")
@click.pass_context
def export(ctx: click.Context, kind: str, file: Path, lang: str, crs: int | None, category: tuple[str, ...],
           district: tuple[str, ...]) -> None:
    """Write KIND to FILE (.gpkg, .geojson, .csv, .xlsx) in the documented column format."""
    with _database(ctx).session() as session:
        result = service.export_records(session, kind, file, lang=lang, crs=crs, categories=category,
                                        districts=district)
    click.echo(f"wrote {result['records']:,} {kind} to {file} ({result['format']}"
               + (f", {result['crs']}" if result["crs"] else "") + f", {lang} headers)")


def _fiscal_year_option(required: bool = False):
    return click.option("--fiscal-year", "fiscal_year", type=click.IntRange(1900, 2200), required=required,
                        help="Fiscal year (年度, April–March) by the year it starts in, e.g. 2025.")


@cli.command()
@_fiscal_year_option()
@click.option("--records", "indicator", type=click.Choice(list(INDICATORS)), metavar="INDICATOR",
              help="Print the records INDICATOR counted (needs --fiscal-year): "
                   + ", ".join(INDICATORS) + ".")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="fiscal-year", show_default=True,
              help="Depreciation convention of the aging ratio.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def kpi(ctx: click.Context, fiscal_year: int | None, indicator: str | None, convention: str, fmt: str,
        lang: str) -> None:
    """The facility-management indicators per fiscal year, with targets and trend.

    Without --fiscal-year: every year with data. JSON is the body of GET /api/kpi.
    """
    with _database(ctx).session() as session:
        if indicator:
            if fiscal_year is None:
                raise click.UsageError("--records needs --fiscal-year")
            _print_frame(service.kpi_records(session, indicator, fiscal_year=fiscal_year,
                                             convention=convention), fmt)
            return
        report = service.kpi_report(session, fiscal_year=fiscal_year, convention=convention)
    if fmt == "json":
        click.echo(to_json(report))
        return
    if fmt == "csv":
        flat = [{**{k: v for k, v in row.items() if k not in ("breakdown", "target")},
                 "target_value": (row["target"] or {}).get("value"),
                 "target_year": (row["target"] or {}).get("fiscal_year")} for row in report["indicators"]]
        columns = [k for k in (report["indicators"][0] if flat else {}) if k not in ("breakdown", "target")]
        frame = pd.DataFrame(flat, columns=(columns or ["indicator", "fiscal_year", "value"])
                             + ["target_value", "target_year"])
        click.echo(frame.astype({"target_year": "Int64"}).to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if not report["indicators"]:
        click.echo("no data: load records first (fm demo)")
        return
    label = "name" if lang == "ja" else "name_en"
    track = {True: "○", False: "×", None: "－"} if lang == "ja" else {True: "yes", False: "no", None: "-"}
    headers = (("年度", "指標", "値", "単位", "前年差", "目標", "順調") if lang == "ja"
               else ("FY", "indicator", "value", "unit", "change", "target", "on track"))
    table = [(fiscal_year_label(row["fiscal_year"], lang), row[label], _number(row["value"], row["indicator"]), row["unit"],
              "" if row["change"] is None else "+" * (row["change"] > 0) + _number(row["change"], row["indicator"]),
              _target_text(row["target"], row["direction"]), track[row["on_track"]])
             for row in report["indicators"]]
    click.echo(tabulate(table, headers=headers, disable_numparse=True, colalign=("left", "left", "right")))


def _number(value: float | None, indicator: str) -> str:
    return "—" if value is None else f"{value:,.{INDICATORS[indicator].decimals}f}"


def _target_text(target: dict | None, direction: str) -> str:
    arrow = "↑" if direction == "up" else "↓"
    if not target or target["value"] is None:
        return arrow
    return f"{arrow} {target['value']:g} ({target['fiscal_year']})"


def _print_frame(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json(records(frame)))
    elif fmt == "csv":
        click.echo(frame.drop(columns="geom", errors="ignore").to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        click.echo(tabulate(frame.drop(columns="geom", errors="ignore"), headers="keys", showindex=False))


@cli.group(invoke_without_command=True)
@click.pass_context
def targets(ctx: click.Context) -> None:
    """List the indicator targets (data a city edits), or change one with `fm targets set`."""
    if ctx.invoked_subcommand is None:
        with _database(ctx).session() as session:
            click.echo(tabulate(service.targets(session).drop(columns="id"), headers="keys", showindex=False))


@targets.command("set")
@click.argument("indicator", type=click.Choice(list(INDICATORS)))
@_fiscal_year_option(required=True)
@click.option("--value", type=float, help="Target value; leave out to remove the target of that year.")
@click.option("--source", help="Where the target comes from (plan, decision).")
@click.pass_context
def targets_set(ctx: click.Context, indicator: str, fiscal_year: int, value: float | None,
                source: str | None) -> None:
    """Set the target of INDICATOR for a fiscal year."""
    with _database(ctx).session() as session:
        service.set_target(session, indicator, fiscal_year=fiscal_year, value=value, source=source,
                           actor=cli_actor())
    click.echo(f"{indicator} FY{fiscal_year}: " + ("removed" if value is None else f"target {value:g}"))


@cli.group("users", invoke_without_command=True)
@click.pass_context
def users_group(ctx: click.Context) -> None:
    """List the accounts of the web app; create one or change its role or password with the subcommands."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(users_list)


@users_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def users_list(ctx: click.Context, fmt: str = "table") -> None:
    """Every account with its role, language and last sign-in (never a password)."""
    with _database(ctx).session() as session:
        frame = users.listing(session)
    if fmt == "json":
        click.echo(to_json(records(frame)))
    else:
        click.echo(tabulate(frame, headers="keys", showindex=False) if len(frame) else "no accounts yet: "
                   "fm users create NAME --role admin")


def _password(generate: bool, from_stdin: bool) -> tuple[str, bool]:
    """A new password: generated (and so to be shown), read from stdin, or typed twice at a hidden prompt."""
    if generate:
        return users.generate_password(), True
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


_PASSWORD_OPTIONS = (
    click.option("--generate", is_flag=True, help="Generate a password and print it once."),
    click.option("--password-stdin", "from_stdin", is_flag=True, help="Read the password from the first line of stdin."),
)


def _password_options(command):
    for option in reversed(_PASSWORD_OPTIONS):
        command = option(command)
    return command


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(users.ROLES), required=True, help="What the account may change.")
@click.option("--name", "display_name", help="Name shown in the app (default: the username).")
@click.option("--language", type=click.Choice(users.LANGUAGES), default="ja", show_default=True)
@_password_options
@click.pass_context
def users_create(ctx: click.Context, username: str, role: str, display_name: str | None, language: str,
                 generate: bool, from_stdin: bool) -> None:
    """Create the account USERNAME (asks for its password unless --generate or --password-stdin)."""
    password, show = _password(generate, from_stdin)
    with _database(ctx).session() as session:
        users.create(session, username, role=role, password=password, display_name=display_name,
                     language=language, actor=cli_actor(), source="cli")
    click.echo(f"account {username} created with role {role}" + (f"; password (shown once): {password}"
                                                                  if show else ""))


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(users.ROLES))
@click.pass_context
def users_set_role(ctx: click.Context, username: str, role: str) -> None:
    """Give USERNAME another ROLE."""
    with _database(ctx).session() as session:
        users.set_role(session, username, role, actor=cli_actor(), source="cli")
    click.echo(f"{username}: role {role}")


@users_group.command("set-password")
@click.argument("username")
@_password_options
@click.pass_context
def users_set_password(ctx: click.Context, username: str, generate: bool, from_stdin: bool) -> None:
    """Give USERNAME a new password; the account's open sessions end."""
    password, show = _password(generate, from_stdin)
    with _database(ctx).session() as session:
        users.set_password(session, username, password, actor=cli_actor(), source="cli")
    click.echo(f"{username}: password changed" + (f"; new password (shown once): {password}" if show else ""))


def _config(path: Path | None):
    from fm.risk.config import load_config

    return load_config(path)


@cli.command()
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Score for this day (default: today).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Risk settings (TOML) over the defaults; env FM_RISK_CONFIG. See docs/risk.md.")
@click.option("--top", type=click.IntRange(1), metavar="N", help="List the N worst of the latest run.")
@click.option("--explain", "code", metavar="CODE", help="Say why asset CODE ranks where it does.")
@click.option("--model", "show_model", is_flag=True,
              help="Per category: deterioration hazards and expected years in each state.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def score(ctx: click.Context, as_of, config_path: Path | None, top: int | None, code: str | None,
          show_model: bool, fmt: str, lang: str) -> None:
    """Score every asset's risk (probability × consequence) and store the run.

    With --top, --explain or --model it reads instead of computing.
    """
    config = _config(config_path)
    with _database(ctx).session() as session:
        if show_model:
            models = service.risk_models(session, config=config)
            if fmt == "json":
                click.echo(to_json(models))
            else:
                frame = pd.DataFrame([{"category": m["category"], "pairs": m["pairs"],
                                       "expected_years": " / ".join(f"{y:g}" for y in m["expected_years"]),
                                       "source": m["source"]} for m in models])
                _print_frame(frame, fmt)
            return
        if code:
            explained = service.risk_explanation(session, code, lang=lang)
            if fmt == "json":
                click.echo(to_json(explained))
            else:
                click.echo(f"{explained['code']} {explained['name']}: {explained['risk_class']} "
                           f"(score {explained['score']:.3f} = P {explained['probability']:.3f} × "
                           f"C {explained['consequence']:.3f}), #{explained['rank']} of {explained['of']} "
                           f"on {explained['computed_on']}")
                for reason in explained["reasons"]:
                    click.echo(f"  - {reason}")
            return
        if top:
            ranking = service.risk_ranking(session, top=top, lang=lang)
            if fmt == "json":
                click.echo(to_json(ranking))
            else:
                _print_frame(pd.DataFrame([{k: ("; ".join(v) if k == "reasons" else v) for k, v in row.items()
                                            if k != "components"} for row in ranking["scores"]]), fmt)
            return
        day = as_of.date() if as_of else date.today()
        started = time.perf_counter()
        summary = service.compute_risk(session, config=config, as_of=day, actor=cli_actor())
    if fmt == "json":
        click.echo(to_json(summary))
    else:
        click.echo(f"{summary['assets']:,} assets scored for {day} in {time.perf_counter() - started:.1f} s: "
                   + ", ".join(f"{k} {v:,}" for k, v in summary["by_class"].items()))


@cli.command()
@click.option("--overdue", is_flag=True, required=True, expose_value=False,
              help="List inspections overdue or due (required: the only listing there is).")
@_fiscal_year_option()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Risk settings with the inspection cycles (TOML).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def inspections(ctx: click.Context, fiscal_year: int | None, config_path: Path | None, fmt: str) -> None:
    """Inspections overdue or due in a fiscal year (default: the current one), worst risk first.

    Bridges and tunnels are due every 5 years by statute; other categories by the configured cycles.
    """
    year = fiscal_year or fiscal_year_of(date.today())
    with _database(ctx).session() as session:
        _print_frame(service.inspections_due(session, fiscal_year=year, config=_config(config_path)), fmt)


@cli.command()
@click.option("--start", type=click.IntRange(1900, 2200), help="First fiscal year (default: the next one).")
@click.option("--years", type=click.IntRange(1, 100), default=40, show_default=True)
@click.option("--unit-costs", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Unit costs and cycles (TOML) over the packaged ones (fm/renewal/unit_costs.toml).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the csv or xlsx here (xlsx needs it).")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.png|svg",
              help="Also draw the annual bars by group with the average lines.")
@click.option("--scenario", type=click.Choice(["simple", "extended"]), default="simple", show_default=True,
              help="Scenario the chart and the table's bars show.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def renewal(ctx: click.Context, start: int | None, years: int, unit_costs: Path | None, fmt: str,
            output: Path | None, chart: Path | None, scenario: str, lang: str) -> None:
    """Project renewal costs per fiscal year (総務省 更新費用試算 style): simple renewal vs life extension."""
    from fm.renewal import report as renewal_report
    from fm.renewal.costs import load_unit_costs

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError("--chart must end in .png or .svg")
    first = start or fiscal_year_of(date.today()) + 1
    costs = load_unit_costs(unit_costs)
    with _database(ctx).session() as session:
        result = service.renewal_projection(session, start=first, years=years, unit_costs=costs)
    if chart is not None:
        renewal_report.chart(result, chart, scenario=scenario, lang=lang)
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "xlsx":
        renewal_report.workbook(result, output)
    elif fmt == "csv":
        frames = [pd.DataFrame(data["rows"]).assign(scenario=name) for name, data in result["scenarios"].items()]
        text = pd.concat(frames).to_csv(index=False, lineterminator="\n")
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    else:
        simple, extended = (pd.DataFrame(result["scenarios"][n]["rows"]) for n in ("simple", "extended"))
        table = [(str(y), f"{s / 1e8:,.2f}", f"{e / 1e8:,.2f}") for y, s, e in
                 zip(simple["fiscal_year"], simple["total"], extended["total"])]
        headers = ("年度", "単純更新（億円）", "長寿命化（億円）") if lang == "ja" else (
            "FY", "simple (100M yen)", "extended (100M yen)")
        click.echo(tabulate(table, headers=headers, disable_numparse=True, colalign=("left", "right", "right")))
        for name in ("simple", "extended"):
            data = result["scenarios"][name]
            click.echo(f"{name}: total {data['total'] / 1e8:,.1f} 億円, annual average {data['annual_average'] / 1e8:,.2f} 億円")
        click.echo(f"life extension saves {result['difference']['total'] / 1e8:,.1f} 億円 "
                   f"({result['difference']['annual_average'] / 1e8:,.2f} 億円 a year)")
        if result["not_projected"]:
            click.echo("not projected (outside the method): "
                       + ", ".join(f"{k} {v}" for k, v in result["not_projected"].items()))
    for written in (output if fmt == "xlsx" else None, chart):
        if written:
            click.echo(f"wrote {written}", err=True)


def _budgets(raw: str, start: int, years: int) -> list[int]:
    """``--budget`` as one figure for every year, or ``2026=5e8,2027=4e8`` per fiscal year."""
    try:
        if "=" not in raw:
            given = dict.fromkeys(range(start, start + years), int(float(raw)))
        else:
            given = {int(k): int(float(v)) for k, v in (part.split("=") for part in raw.split(","))}
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{raw!r}: give yen, e.g. 500000000, or FY=yen pairs like 2026=5e8,2027=4e8",
                                 param_hint="--budget") from None
    negative = [f"{year}: {value:,}" for year, value in given.items() if value < 0]
    if negative:
        raise click.BadParameter(f"budgets must not be negative ({', '.join(negative)})", param_hint="--budget")
    missing = [y for y in range(start, start + years) if y not in given]
    if missing:
        raise click.BadParameter(f"no budget for fiscal year(s) {', '.join(map(str, missing))}",
                                 param_hint="--budget")
    return [given[y] for y in range(start, start + years)]


@cli.command()
@click.option("--budget", required=True, metavar="YEN|FY=YEN,…", help="Annual budget, one figure or per year.")
@click.option("--start", type=click.IntRange(1900, 2200), help="First fiscal year (default: the next one).")
@click.option("--years", type=click.IntRange(0, 50), default=5, show_default=True, help="Horizon in fiscal years.")
@click.option("--method", type=click.Choice(["auto", "exact", "greedy"]), default="auto", show_default=True,
              help="exact: MILP (HiGHS); greedy: risk removed per yen; auto: exact up to 100,000 candidates.")
@click.option("--interventions", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Intervention costs and effects (TOML) over fm/plan/interventions.toml.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Risk settings (TOML).")
@click.option("--create-work-orders", is_flag=True, help="Write the first year's interventions as planned "
              "work orders (running again adds none twice).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write csv or xlsx here (xlsx needs it).")
@click.pass_context
def plan(ctx: click.Context, budget: str, start: int | None, years: int, method: str, interventions: Path | None,
         config_path: Path | None, create_work_orders: bool, fmt: str, output: Path | None) -> None:
    """Plan preventive repairs and renewals for the next years within the budget (most risk removed)."""
    from fm.plan.options import load_interventions

    if years == 0:
        raise click.BadParameter("the horizon must be at least one fiscal year", param_hint="--years")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx needs --output FILE.xlsx")
    first = start or fiscal_year_of(date.today()) + 1
    budgets = _budgets(budget, first, years)
    with _database(ctx).session() as session:
        result = service.maintenance_plan(session, start=first, budgets=budgets, method=method,
                                          settings=load_interventions(interventions), config=_config(config_path))
        created = (service.create_planned_work_orders(session, result, actor=cli_actor()) if create_work_orders
                   else None)
    rows = pd.DataFrame(result["plan"])
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "xlsx":
        with pd.ExcelWriter(output, engine="openpyxl") as writer:
            pd.DataFrame(result["per_year"]).to_excel(writer, sheet_name="years", index=False)
            rows.to_excel(writer, sheet_name="plan", index=False)
            pd.DataFrame(result["backlog"]).to_excel(writer, sheet_name="backlog", index=False)
    elif fmt == "csv":
        text = rows.to_csv(index=False, lineterminator="\n")
        output.write_text(text, encoding="utf-8") if output else click.echo(text, nl=False)
    else:
        click.echo(tabulate([(str(y["fiscal_year"]), f"{y['budget']:,}", f"{y['spent']:,}", y["used_percent"],
                              y["interventions"], f"{y['risk_without_plan']:.2f}", f"{y['risk_with_plan']:.2f}")
                             for y in result["per_year"]],
                            headers=("FY", "budget (yen)", "spent (yen)", "used %", "interventions", "risk without",
                                     "risk with plan"),
                            disable_numparse=True, colalign=("left",) + ("right",) * 6))
        click.echo(f"{len(rows):,} interventions ({result['method']}, {result['candidates']:,} candidates): "
                   f"risk removed {result['risk_removed']:.3f} of {result['risk_without_plan']:.3f}"
                   + (f"; greedy would remove {result['greedy_risk_removed']:.3f} "
                      f"({result['greedy_gap_percent']} % less)" if result["greedy_gap_percent"] is not None else ""))
        click.echo(f"backlog: {result['backlog_assets']:,} assets that would benefit are left for later")
        if len(rows):
            shown = rows.head(20).assign(fiscal_year=rows["fiscal_year"].astype(str),
                                         cost=rows["cost"].map("{:,}".format))
            click.echo(tabulate(shown, headers="keys", showindex=False, disable_numparse=True))
    if created is not None:
        click.echo(f"{created} planned work orders created for FY{first}", err=True)


@cli.command()
@click.option("--asset", "code", metavar="CODE", help="One asset.")
@click.option("--category", help="One category (e.g. bridge).")
@click.option("--years", type=click.IntRange(1, 200), help="Years simulated (default from the settings: 50).")
@click.option("--discount-rate", type=click.FloatRange(0, 1), help="Default from the settings: 0.04.")
@click.option("--monte-carlo", type=click.IntRange(1, 100_000), metavar="N", help="Also simulate N histories.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--interventions", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def lcc(ctx: click.Context, code: str | None, category: str | None, years: int | None,
        discount_rate: float | None, monte_carlo: int | None, seed: int, interventions: Path | None,
        config_path: Path | None, fmt: str) -> None:
    """Life-cycle cost of preventive against reactive maintenance (one asset, a category, or all)."""
    from fm.plan.options import load_interventions

    if code and category:
        raise click.UsageError("give --asset or --category, not both")
    settings = load_interventions(interventions)
    years = years or settings["lcc_years"]
    rate = settings["discount_rate"] if discount_rate is None else discount_rate
    with _database(ctx).session() as session:
        result = service.life_cycle_cost(session, code=code, category=category, years=years, rate=rate,
                                         settings=settings, config=_config(config_path),
                                         monte_carlo=monte_carlo, seed=seed, as_of=date.today())
    if fmt == "json":
        click.echo(to_json(result))
        return
    yearly = pd.DataFrame({"year": range(1, years + 1),
                           **{s: result["strategies"][s]["yearly"] for s in ("preventive", "reactive")}})
    if fmt == "csv":
        click.echo(yearly.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    for strategy, data in result["strategies"].items():
        extra = (f"; Monte Carlo p5/p50/p95 ¥{data['monte_carlo']['p5']:,} / ¥{data['monte_carlo']['p50']:,} / "
                 f"¥{data['monte_carlo']['p95']:,}" if "monte_carlo" in data else "")
        click.echo(f"{strategy:10s} total ¥{data['total']:,}, discounted ({rate:.0%}) ¥{data['discounted_total']:,}"
                   + extra)
    saving = result["saving"]
    click.echo(f"preventive saves ¥{saving['discounted_total']:,} discounted ({saving['percent']} %) over {years} "
               f"years on {result['assets']:,} assets: repairs one state before failure avoid emergency "
               "renewals and failure costs")


@cli.command()
@_fiscal_year_option(required=True)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def report(ctx: click.Context, fiscal_year: int, output: Path, lang: str) -> None:
    """Write the one-page yearly report to OUTPUT (.html, or .pdf printed by headless Chromium)."""
    from fm.report import write_report

    _database(ctx).dispose()
    ctx.obj.prepare_instance()
    write_report(ctx.obj, output, fiscal_year=fiscal_year, lang=lang)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@_fiscal_year_option(required=True)
@click.option("--years", type=click.IntRange(1, 50), default=10, show_default=True, help="Fiscal years ahead.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="fiscal-year", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def whatif(ctx: click.Context, fiscal_year: int, years: int, convention: str, fmt: str) -> None:
    """The aging ratio after the fiscal year: planned renewals and disposals carried out against doing nothing.

    JSON is the body of GET /api/kpi/aging_ratio/whatif.
    """
    from fm import dashboard

    with _database(ctx).session() as session:
        result = dashboard.whatif(session, fiscal_year=fiscal_year, years=years, convention=convention)
    if fmt == "json":
        click.echo(to_json(result))
        return
    frame = pd.DataFrame(result["years"])
    if fmt == "csv":
        click.echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    click.echo(tabulate([(fiscal_year_label(row["fiscal_year"]), _number(row["planned_value"], "aging_ratio"),
                          _number(row["nothing_value"], "aging_ratio")) for row in result["years"]],
                        headers=("年度", "計画実施 %", "何もしない %"), disable_numparse=True,
                        colalign=("left", "right", "right")))
    click.echo(f"planned: {len(result['renewals'])} renewals, {len(result['disposals'])} disposals")


@cli.command("map")
@click.argument("kind", type=click.Choice(["risk", "plans", "land", "districts", "repairs"]))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--district", metavar="IDS", help="risk, plans: only these district ids (comma-separated).")
@click.option("--class", "cls", metavar="CLASSES", help="risk, plans: only these classes (comma-separated).")
@click.option("--condition", metavar="STATES", help="risk, plans: only these latest states, 1–5 (comma-separated).")
@click.option("--category", metavar="CODES", help="risk, plans: only these categories (comma-separated).")
@click.option("--fiscal-year", "fiscal_year", metavar="YEAR", help="plans, land, districts, repairs: the fiscal "
              "year (default: the current one).")
@click.option("--indicator", default="risk", show_default=True,
              type=click.Choice(["risk", "aging_ratio", "plan_coverage", "reactive_repairs"]), help="districts: "
              "the indicator.")
@click.option("--years", metavar="N", help="repairs: fiscal years back from --fiscal-year.  [default: 5]")
@click.option("--basemap", envvar="FM_BASEMAP", default="gsi", show_default=True,
              help="gsi, none, or an XYZ tile URL (env FM_BASEMAP).")
@click.option("--basemap-attribution", envvar="FM_BASEMAP_ATTRIBUTION", help="Credit of an XYZ tile URL.")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@click.pass_context
def map_export(ctx: click.Context, kind: str, out: Path, district: str | None, cls: str | None,
               condition: str | None, category: str | None, fiscal_year: str | None, indicator: str,
               years: str | None, basemap: str, basemap_attribution: str | None, lang: str) -> None:
    """Write map KIND as one standalone HTML file OUT that opens offline (e.g. to send to the council).

    Leaflet, fm's script and every feature are inlined; only the background tiles come from
    the tile server (none with --basemap none).
    """
    from fm import map_service
    from fm.maps.basemap import basemap as tile_layers

    tiles = tile_layers(basemap, basemap_attribution)
    given = {"district": district, "class": cls, "condition": condition, "category": category,
             "fiscal_year": fiscal_year, "indicator": indicator if kind == "districts" else None, "years": years}
    args = {key: value for key, value in given.items() if value is not None}
    with _database(ctx).session() as session:
        m = map_service.build_map(session, kind, args, tiles=tiles, static=None, urls=None, config=_config(None),
                                  lang=lang)
    html = m.get_root().render()
    partial = out.with_name(out.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(out)
    click.echo(f"wrote {out} ({len(html.encode()) / 1e6:.1f} MB)")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="fm")
