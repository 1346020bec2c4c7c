"""Portfolio scenarios on the demo (or ``--database-url``): reading the register, the figures of doing nothing and
of a scenario closing the buildings the evaluation puts in "consider closing". Prints seconds; run with the
project's venv:

    .venv/bin/python bench/scenarios.py [--database-url URL]

Without a URL the demo is loaded into a temporary SQLite file first (not timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from fm.app import portfolio, scenarios
from fm.cli.group import cli
from fm.db import Database
from fm.domain.fiscal import fiscal_year
from fm.domain.portfolio import scenario as domain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    url = options.database_url
    if url is None:
        folder = Path(tempfile.mkdtemp())
        url = f"sqlite:///{folder / 'fm.sqlite3'}"
        runner = CliRunner()
        for args in (["db", "upgrade"], ["demo"]):
            result = runner.invoke(cli, args, env={"FM_DATABASE_URL": url})
            assert result.exit_code == 0, result.output
    database = Database(url)
    today = date.today()
    start = fiscal_year(today) + 1
    with database.session() as session:
        closing = portfolio.evaluation_frame(session)
        codes = closing.loc[closing["quadrant"] == "consider_closing", "code"].tolist()
        times: dict[str, list[float]] = {"read the register": [], "doing nothing": [], "scenario": []}
        for _ in range(options.repeat):
            t = time.perf_counter()
            register = scenarios.register(session, today=today)
            times["read the register"].append(time.perf_counter() - t)
            usage_year = int(register.usage["fiscal_year"].max())
            actions = pd.DataFrame({"building": codes, "action": "close", "fiscal_year": start})
            t = time.perf_counter()
            domain.figures(register, pd.DataFrame(), start=start, usage_year=usage_year)
            times["doing nothing"].append(time.perf_counter() - t)
            t = time.perf_counter()
            domain.figures(register, actions, start=start, usage_year=usage_year)
            times["scenario"].append(time.perf_counter() - t)
    database.dispose()
    print(
        f"{len(register.buildings)} buildings, scenario closing {len(codes)} (consider closing), median of "
        f"{options.repeat}:"
    )
    for what, values in times.items():
        print(f"  {what:20s} {sorted(values)[len(values) // 2]:.2f} s")


if __name__ == "__main__":
    main()
