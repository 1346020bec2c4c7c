"""Planner speed and quality: the MILP on the demo (5-year horizon) and the greedy rule at 1,000,000 assets.

    python bench/plan.py [--assets 1000000]

The demo part loads the shipped demo into a temporary SQLite database, plans with both methods
and prints their times and the greedy rule's gap to the optimum. The large part builds synthetic
candidates (the demo's per-asset numbers repeated with noise) and times the greedy rule alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fm.app import demo
from fm.app import plan as planning
from fm.db import Database, migrate
from fm.domain.plan import benefit
from fm.domain.plan.optimise import solve_greedy
from fm.domain.plan.options import load_interventions
from fm.domain.risk.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1_000_000)
    args = parser.parse_args()
    settings, config = load_interventions(), load_config()
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'fm.sqlite3'}")
        with database.connect() as connection:
            migrate.upgrade(connection)
        with database.session() as session:
            demo.load_demo(session)
        plans = {}
        for method in ("exact", "greedy"):
            started = time.perf_counter()
            with database.session() as session:
                plans[method] = plan = planning.maintenance_plan(
                    session, start=2026, budgets=[500_000_000] * 5, method=method, settings=settings, config=config
                )
            print(
                f"demo, 5 years, ¥500M a year, {method:6s}: {time.perf_counter() - started:6.1f} s "
                f"({plan['candidates']:,} candidates, {len(plan['plan']):,} interventions, "
                f"risk removed {plan['risk_removed']:.3f} of {plan['risk_without_plan']:.3f})"
            )
        print(f"greedy gap to the optimum on the demo: {plans['exact']['greedy_gap_percent']} %")
        with database.session() as session:
            assets, distributions, models = planning._plan_inputs(
                session, as_of=pd.Timestamp("2026-04-01").date(), config=config
            )
        table, _ = benefit.candidates(assets, distributions, models, settings, years=5)
    # The demo's assets repeated to --assets: candidates (benefits) and the greedy choice, timed.
    repeat = int(np.ceil(args.assets / len(assets)))
    big = pd.concat([assets[["id", "category", "consequence", "replacement_cost"]]] * repeat, ignore_index=True)
    big = big.iloc[: args.assets]
    offsets = {category: rows for category, rows in big.groupby("category").groups.items()}
    big_distributions = {
        category: (offsets[category], np.tile(now, (repeat, 1))[: len(offsets[category])])
        for category, (rows, now) in distributions.items()
    }
    started = time.perf_counter()
    large, _ = benefit.candidates(big, big_distributions, models, settings, years=5)
    built = time.perf_counter() - started
    budgets = np.full(5, 500_000_000 * args.assets / len(assets))
    started = time.perf_counter()
    chosen = solve_greedy(large, budgets)
    print(
        f"greedy at {args.assets:,} assets: candidates ({len(large):,}) in {built:.1f} s, "
        f"choice in {time.perf_counter() - started:.1f} s, {chosen.sum():,} interventions"
    )


if __name__ == "__main__":
    main()
