"""Time and peak memory of the demo generator (default and ``--scale N``) and of ``fm demo``.

Each step runs in its own process so that its peak memory (ru_maxrss) is its own:

    python bench/demo.py [--scale 1000000] [--postgres-url URL]

``--postgres-url`` names an empty PostGIS database that the load step fills.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FM = Path(sys.executable).with_name("fm")


# Runs one command and prints the peak RSS of its children, so each step's peak is its own.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command],
        env={**os.environ, **(env or {}), "FM_COMMAND_SERVER": "0"},  # its own process: its peak is the command's
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stderr}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    print(f"{label:42s} {elapsed:8.1f} s   peak RSS {peak_kib / 1024:8.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        generate = [sys.executable, str(ROOT / "geodata" / "generate.py")]
        measure("generate the demo (~4,300 assets)", [*generate, "--out", str(folder / "demo")])
        sqlite = f"sqlite:///{folder / 'fm.sqlite3'}"
        subprocess.run(
            [str(FM), "db", "upgrade"], env={**os.environ, "FM_DATABASE_URL": sqlite}, check=True, capture_output=True
        )
        measure("fm demo into SQLite", [str(FM), "demo"], {"FM_DATABASE_URL": sqlite})
        if args.postgres_url:
            subprocess.run(
                [str(FM), "db", "upgrade"],
                env={**os.environ, "FM_DATABASE_URL": args.postgres_url},
                check=True,
                capture_output=True,
            )
            measure("fm demo into PostGIS", [str(FM), "demo", "--reset"], {"FM_DATABASE_URL": args.postgres_url})
        measure(
            f"generate --scale {args.scale:,}", [*generate, "--scale", str(args.scale), "--out", str(folder / "scaled")]
        )
        size = sum(f.stat().st_size for f in (folder / "scaled").iterdir())
        print(f"{'':42s} {size / 2**20:8.0f} MiB of CSV")


if __name__ == "__main__":
    main()
