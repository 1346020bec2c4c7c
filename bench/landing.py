"""The pages a person opens first, at N assets: cold (the first request after a write) and warm.

Loads and scores an N-asset register like bench/register.py (same ``--folder`` reuse), then
asks the app, signed in as finance (who sees every page), for the landing page, the dashboard,
an indicator's page, the risk list and the engineers' schedule: once right after a write to a
table the figures read (the counters of fm/db/changes.py move, so every kept figure is
computed again) and ``--repeat`` times after it (served from what was kept). Prints the cold
time, the warm median and p95, beside the goal.

    python bench/landing.py --assets 100000 [--folder /tmp/fm-bench] [--postgres-url URL] [--no-postgis]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import registers  # noqa: I001  (bench/registers.py: the registers, loaded and scored once)

from fm.config import Config
from fm.db import Database

CASES = (
    ("landing page /", "/", 300),
    ("dashboard", "/dashboard", 300),
    ("an indicator's page", "/dashboard/aging_ratio", 300),
    ("risk list, top 50 (JSON)", "/api/risk?top=50", 100),
    ("schedule by month", "/schedule", 300),
    ("schedule by week", "/schedule?by=week", 300),
)


def _write(url: str) -> None:
    """One write to a watched table, as a finance person setting a target would make."""
    database = Database(url)
    with database.connect() as connection, connection.begin():
        connection.execute(sa.text("DELETE FROM indicator_targets WHERE target_year = 2099"))
        connection.execute(
            sa.text(
                "INSERT INTO indicator_targets (indicator, target_year, target_value, source) "
                "VALUES ('aging_ratio', 2099, 60, 'bench')"
            )
        )
    database.dispose()


def measure(url: str, label: str, folder: Path, repeat: int) -> None:
    from webauth import signed_in

    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder, secret_key="bench", basemap="none"))
    client = signed_in(app, "finance")
    print(f"{label}:", flush=True)
    for name, path, goal in CASES:
        _write(url)
        started = time.perf_counter()
        response = client.get(path)
        cold = time.perf_counter() - started
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - started)
        times.sort()
        print(
            f"  {name:<28} cold {cold * 1000:9.1f} ms   warm median {statistics.median(times) * 1000:7.1f} ms, "
            f"p95 {times[int(0.95 * (len(times) - 1))] * 1000:7.1f} ms   (goal {goal} ms)",
            flush=True,
        )
    app.extensions["fm.database"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    registers.arguments(parser)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for label, url, folder in registers.registers(args):
        measure(url, label, folder, args.repeat)


if __name__ == "__main__":
    main()
