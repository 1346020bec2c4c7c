"""The statutory duties on a register: `fm duties` (all of them as of a day), the two measure rates for one
fiscal year, and the indicators' summary over every year, in CPU seconds (the machine is shared).

    .venv/bin/python bench/duties.py [--database-url URL]   # default: a fresh SQLite demo in a temp folder
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from fm.app import demo, duties, kpi
from fm.db import Database, migrate
from fm.domain.kpi import measure


def cpu(label: str, call, repeat: int = 5) -> None:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        result = call()
        times.append(time.process_time() - started)
    size = len(result) if hasattr(result, "__len__") else ""
    print(f"{label:55s} {min(times) * 1000:8.1f} ms CPU (best of {repeat}) {size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'fm.sqlite3'}"
        database = Database(url)
        with database.connect() as connection:
            migrate.upgrade(connection)
        with database.session() as session:
            demo.load_demo(session)
        database.dispose()
    database = Database(url)
    with database.session() as session:
        cpu("duties as of 2026-03-31 (read + compute)", lambda: duties.duty_frame(session, as_of=date(2026, 3, 31)))
        data = kpi.kpi_data(session)
        cpu("measures_started FY2025", lambda: measure("measures_started", data, fiscal_year=2025).records)
        cpu("measures_completed FY2025", lambda: measure("measures_completed", data, fiscal_year=2025).records)
        cpu("fm kpi: every indicator, every year", lambda: kpi.kpi_report(session)["indicators"], repeat=1)
    database.dispose()


if __name__ == "__main__":
    main()
