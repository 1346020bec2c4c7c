"""Planner speed and quality: the MILP on the demo (5-year horizon), the heuristic's gap to the exact plan on
the demo and on small random registers, and the heuristic at 1,000,000 assets.

    python bench/plan.py [--assets 1000000] [--registers 500]

The demo part loads the shipped demo into a temporary SQLite database, plans with both methods
and prints their times and the heuristic's gap to the optimum (and the plain benefit-per-yen rule's).
The random part draws small registers (3–6 bridges, 1–3 years, budgets 20–60 % of renewing
everything) whose optimum is found by enumeration, and prints the gaps of both rules: mean, worst,
and the share within 5 %; then medium registers (13–59 bridges, 1–5 years) against the MILP. The
large part builds synthetic candidates (the demo's per-asset numbers
repeated) and times the heuristic alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from plansample import enumerate_best, random_register

from fm.app import demo
from fm.app import plan as planning
from fm.db import Database, migrate
from fm.domain.plan import benefit
from fm.domain.plan.optimise import solve_exact, solve_greedy
from fm.domain.plan.options import load_interventions
from fm.domain.risk.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--registers", type=int, default=500)
    parser.add_argument("--medium", type=int, default=40, help="registers of 13–59 bridges, optimum by the MILP")
    args = parser.parse_args()
    print(f"load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    random_registers(args.registers)
    medium_registers(args.medium)
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
        print(f"heuristic gap to the optimum on the demo: {plans['exact']['greedy_gap_percent']} %")
        with database.session() as session:
            assets, distributions, models = planning._plan_inputs(
                session, as_of=pd.Timestamp("2026-04-01").date(), config=config
            )
        table, _ = benefit.candidates(assets, distributions, models, settings, years=5)
        exact = table["benefit"].to_numpy()[solve_exact(table, np.full(5, 5e8))].sum()
        plain = table["benefit"].to_numpy()[solve_greedy(table, np.full(5, 5e8), passes=0)].sum()
        print(f"plain benefit-per-yen gap on the demo: {100 * (exact - plain) / exact:.3f} %")
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
    budgets = np.full(5, 500_000_000 * args.assets // len(assets))
    started = time.perf_counter()
    chosen = solve_greedy(large, budgets, passes=0)
    print(f"plain benefit-per-yen rule at {args.assets:,} assets: choice in {time.perf_counter() - started:.1f} s")
    plain = large["benefit"].to_numpy()[chosen].sum()
    value = large["benefit"].to_numpy()
    for search in (False, True):
        started = time.perf_counter()
        chosen = solve_greedy(large, budgets, search=search)
        print(
            f"heuristic{'' if search else ' without the search'} at {args.assets:,} assets: candidates "
            f"({len(large):,}) in {built:.1f} s, choice in {time.perf_counter() - started:.1f} s, "
            f"{chosen.sum():,} interventions, risk removed {value[chosen].sum():,.2f} (plain rule {plain:,.2f})"
        )


def random_registers(count: int) -> None:
    """Gaps of the heuristic and of the plain rule to the enumerated optimum on ``count`` small registers."""
    if count <= 0:
        return
    rng = np.random.default_rng(2026)
    gaps: dict[str, list[float]] = {"heuristic": [], "without the search": [], "plain benefit per yen": []}
    started = time.perf_counter()
    for _ in range(count):
        years = int(rng.integers(1, 4))
        assets = int(rng.integers(3, 7 if years < 3 else 6))  # at most 7⁵ combinations to enumerate
        table, budgets = random_register(rng, assets=assets, years=years)
        best = enumerate_best(table, budgets)
        if best <= 0:
            continue
        value = table["benefit"].to_numpy()
        gaps["heuristic"].append(1 - value[solve_greedy(table, budgets)].sum() / best)
        gaps["without the search"].append(1 - value[solve_greedy(table, budgets, search=False)].sum() / best)
        gaps["plain benefit per yen"].append(1 - value[solve_greedy(table, budgets, passes=0)].sum() / best)
    _print_gaps(gaps, "random registers")
    print(f"  ({time.perf_counter() - started:.0f} s with the enumeration)")


def medium_registers(count: int) -> None:
    """Gaps on ``count`` registers of 13–59 bridges over 1–5 years, too large for one enumerated set of the
    neighbourhood search; the optimum by the MILP (HiGHS, gap 10⁻⁹)."""
    if count <= 0:
        return
    rng = np.random.default_rng(7)
    gaps: dict[str, list[float]] = {"heuristic": [], "without the search": [], "plain benefit per yen": []}
    spent = 0.0
    for _ in range(count):
        table, budgets = random_register(rng, assets=int(rng.integers(13, 60)), years=int(rng.integers(1, 6)))
        value = table["benefit"].to_numpy()
        best = value[solve_exact(table, budgets, gap=1e-9)].sum()
        started = time.perf_counter()
        gaps["heuristic"].append(1 - value[solve_greedy(table, budgets)].sum() / best)
        spent += time.perf_counter() - started
        gaps["without the search"].append(1 - value[solve_greedy(table, budgets, search=False)].sum() / best)
        gaps["plain benefit per yen"].append(1 - value[solve_greedy(table, budgets, passes=0)].sum() / best)
    _print_gaps(gaps, "medium registers (13–59 bridges, 1–5 years; optimum by the MILP)")
    print(f"  (heuristic {spent / count * 1000:.0f} ms a register)")


def _print_gaps(gaps: dict[str, list[float]], what: str) -> None:
    for rule, found in gaps.items():
        found_array = np.array(found)
        print(
            f"{len(found)} {what}, {rule:22s}: gap mean {100 * found_array.mean():.2f} %, "
            f"worst {100 * found_array.max():.2f} %, within 5 % in {100 * np.mean(found_array <= 0.05):.1f} %"
        )


if __name__ == "__main__":
    main()
