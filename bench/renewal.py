"""The 40-year renewal projection in-process (``fm.domain.renewal.projection.project_renewal``, both scenarios, as
the dashboard, ``fm renewal``, the facility card and the scenarios call it) on N synthetic assets, against the
per-asset Python loop it replaced (issue 19; kept frozen in tests/renewal_reference.py), checking both give
the same table.

    python bench/renewal.py [--assets 10000 100000] [--repeat 3]

The register is tests/renewal_reference.py's random one: every projected category and some outside the
method, ages from new to past two cycles, some unknown years and sizes, some disposed. Prints the best of
``--repeat`` runs of each, beside the goal (the dashboard's whole recomputation under 1 s, so the projection
a small part of it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from renewal_reference import project_renewal_loop, random_register

from fm.domain.renewal.costs import SCENARIOS, load_unit_costs
from fm.domain.renewal.projection import project_renewal

GOAL_S = 0.1  # both scenarios at 100,000 assets: a tenth of the dashboard's 1 s at p95


def best(function, register: pd.DataFrame, costs: dict, repeat: int) -> tuple[float, list[pd.DataFrame]]:
    times, tables = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        tables = [function(register, costs, scenario=scenario, start=2026)[0] for scenario in SCENARIOS]
        times.append(time.perf_counter() - began)
    return min(times), tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    costs = load_unit_costs()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; best of {args.repeat}, both scenarios")
    print(f"{'assets':>9} | {'per-asset loop':>14} | {'vectorised':>10} | {'speed-up':>8} | goal at 100,000 | same")
    for n in args.assets:
        register = random_register(np.random.default_rng(19), assets=n)
        loop, expected = best(project_renewal_loop, register, costs, 1)
        fast, got = best(project_renewal, register, costs, args.repeat)
        same = all(a.equals(b) for a, b in zip(expected, got, strict=True))
        print(f"{n:>9,} | {loop:>12.3f} s | {fast:>8.3f} s | {loop / fast:>7.0f}× | under {GOAL_S} s | {same}")


if __name__ == "__main__":
    main()
