"""What every command shares: the database from --database-url, options and printing of frames."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from fm.config import Config
from fm.db import Database
from fm.errors import FmError
from fm.serialize import records, to_json

if TYPE_CHECKING:
    from fm.app.risk import RiskConfig


class FmGroup(click.Group):
    """A click group that reports FmError as a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FmError as exc:
            raise click.ClickException(str(exc)) from None


@contextmanager
def without_collector() -> Iterator[None]:
    """Python's cycle collector off while a command builds what lives until it ends, what exists before frozen out
    of its reach: a map of 100,000 assets makes millions of objects (rows, texts, cards) and the collector walked
    them over two thousand times (about 0.8 s of CPU, a sixth of ``fm map``; importing Folium and GeoPandas made it
    run hundreds of times more); ``fm import`` of 100,000 assets paid four full passes (about 0.3 s) while reading
    the file and checking its first rows, before the database could start. Nothing made here outlives the command."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def open_database(ctx: click.Context, *, check: bool = True) -> Database:
    """The database of ``--database-url``, closed with the command; unless ``check`` is false, checked to be
    reachable and at the current schema."""
    config: Config = ctx.obj
    config.prepare_instance()
    database = Database(config.database_url)
    ctx.call_on_close(database.dispose)
    if check:
        database.check()
    return database


def fiscal_year_option(required: bool = False) -> Any:
    """The ``--fiscal-year`` option every command that takes one shares."""
    return click.option(
        "--fiscal-year",
        "fiscal_year",
        type=click.IntRange(1900, 2200),
        required=required,
        help="Fiscal year (年度, April–March) by the year it starts in, e.g. 2025.",
    )


def print_frame(frame: pd.DataFrame, fmt: str) -> None:
    """``frame`` as a table, CSV, or the JSON the API returns for it."""
    if fmt == "json":
        click.echo(to_json(records(frame)))
    elif fmt == "csv":
        click.echo(frame.drop(columns="geom", errors="ignore").to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        from tabulate import tabulate  # only where a table is printed: every command imports this module

        click.echo(tabulate(frame.drop(columns="geom", errors="ignore"), headers="keys", showindex=False))


def risk_config(path: Path | None) -> RiskConfig:
    """The risk settings: the packaged defaults, with the keys of ``path`` over them."""
    from fm.app.risk import load_config  # scoring's use cases (audit, the model) only for the commands that use them

    return load_config(path)


def indicator_number(value: float | None, indicator: str) -> str:
    """``value`` with the decimals ``indicator`` is published with; a dash when missing."""
    from fm.app.kpi import INDICATORS  # the indicators' definitions: not every command needs them

    return "—" if value is None else f"{value:,.{INDICATORS[indicator].decimals}f}"
