"""The conventions every face shares: fiscal years (年度) and their labels, the depreciation conventions of
the aging ratio, and who is acting when a command is run. Faces take them from here, not from the domain."""

from __future__ import annotations

from datetime import datetime

from fm.accounts.audit import cli_actor as cli_actor
from fm.db import parse_url
from fm.domain.depreciation import CONVENTIONS as CONVENTIONS
from fm.domain.fiscal import fiscal_year as fiscal_year
from fm.domain.fiscal import fiscal_year_label as fiscal_year_label


def prepare() -> None:
    """What a fresh process does the first time it runs a command, done ahead by the command server before it forks
    one (fm/cli/commandserver.py): PROJ's look-ups of the stored and the plane CRS and of the transformation between
    them (:func:`fm.domain.geo.prepare`), the regular expressions of a database URL and of a day given as text,
    and the libraries fm imports only where they are needed but which common commands need: GeoAlchemy2 (every
    PostgreSQL engine, :func:`fm.db.create_engine`: 0.1–0.15 s of CPU), scipy's statistics (every fit of the
    deterioration models, :mod:`fm.domain.risk.markov`: half a second), openpyxl (every Excel file read or written,
    :mod:`fm.io.files`) and the books' importers (:func:`fm.app.exchange.import_records`). Opens no database and
    reads no setting."""
    import geoalchemy2  # noqa: F401
    import openpyxl  # noqa: F401
    import scipy.stats  # noqa: F401

    from fm.domain import geo  # geopandas: not for the commands that import this module and measure nothing
    from fm.io import categories, ledger, plans, unit_costs  # noqa: F401

    geo.prepare()
    parse_url("sqlite://")
    datetime.strptime("2026-04-01", "%Y-%m-%d")  # as click parses --as-of and the other days
