"""Time the importer's checks alone (``fm.io.validate.validate``) on N asset rows read from a CSV: the part of
an import that parses and checks every value, yen exactly (issue 17), with no database.

    .venv/bin/python bench/validate.py --rows 100000 [--repeat 3]

The file is made in memory: codes, names, categories, lon/lat, dates and three money columns, a third of
them amounts of more than 15 digits (the ones read as exact decimals rather than by the vectorised path).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fm.io import files
from fm.io.columns import ASSETS
from fm.io.validate import References, validate


def make(rows: int, folder: Path) -> Path:
    rng = np.random.default_rng(17)
    big = rng.integers(10**15, 9 * 10**18, rows).astype(str)
    small = rng.integers(1_000, 10**12, rows).astype(str)
    frame = pd.DataFrame(
        {
            "code": [f"BL-{n:07d}" for n in range(rows)],
            "name": [f"施設{n}" for n in range(rows)],
            "category": rng.choice(["school", "office", "library"], rows),
            "lon": rng.uniform(139.50, 139.58, rows).round(6),
            "lat": rng.uniform(35.30, 35.35, rows).round(6),
            "acquisition_date": "1990-04-01",
            "取得価額": np.where(np.arange(rows) % 3 == 0, big, small),
            "再調達価額": [f"{int(v):,}" for v in small],
            "useful_life_years": "50",
            "annual_users": rng.integers(0, 10**6, rows).astype(str),
        }
    )
    path = folder / "assets.csv"
    frame.to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = make(args.rows, Path(folder))
        table = files.read(path, kind="assets")
        references = References(categories=frozenset({"school", "office", "library"}))
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            validate(ASSETS, table, references=references, crs=None, today=date(2026, 12, 1), source=path.name)
            times.append(time.perf_counter() - started)
    print(f"validate {args.rows:,} asset rows: best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s")


if __name__ == "__main__":
    main()
