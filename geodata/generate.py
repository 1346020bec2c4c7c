"""Make the demo data: ``python geodata/generate.py`` rewrites geodata/kamakura/ (same seed, same bytes).

``--scale N`` writes an N-asset register (up to 1,000,000) for benchmarks instead,
into ``--out`` (required then); it keeps the demo's proportions and histories but is
not calibrated to the published figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fm.demo.build import build
from fm.demo.dataset import demo_folder, write
from fm.demo.generate import SEED
from fm.demo.scale import generate_scaled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (default: geodata/kamakura)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    parser.add_argument("--scale", type=int, metavar="N", help="write N assets for benchmarks instead")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.scale is not None:
        if args.out is None:
            parser.error("--scale needs --out (the shipped demo stays as it is)")
        written = generate_scaled(args.scale, args.out, seed=args.seed)
    else:
        tables = build(seed=args.seed)
        write(tables, args.out or demo_folder())
        written = {name: len(frame) for name, frame in tables.items()}
    print(
        ", ".join(f"{name} {count:,}" for name, count in written.items()),
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
