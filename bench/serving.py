"""CPU per request of the pages the load harness hammers, in-process through Flask's test client.

One process serves about 1 / (CPU seconds per request) requests a second, two cores at most twice that: this
prints the CPU milliseconds (``time.process_time``) and wall milliseconds of each request of bench/locustfile.py's
register and viewport mixes at the N-asset register (bench/registers.py builds it), and for the viewport how many
features it answers and how many bytes, beside what the goal of issue 19 allows (100 register requests/s on 2
cores: about 15 ms of CPU a request).

    python bench/serving.py --assets 100000 --folder /tmp/fm-bench [--no-postgis] [--repeat 20] [--profile NAME]

``--profile NAME`` (e.g. ``viewport-16``) prints cProfile's top functions for that request instead.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import registers  # noqa: I001
from webauth import signed_in

from fm.config import Config
from fm.web import create_app

WEST, SOUTH, EAST, NORTH = 139.50, 35.29, 139.58, 35.35  # Kamakura, as bench/locustfile.py
GOAL_MS = 1000 * 2 / 100  # 100 requests/s on 2 cores: at most 20 ms of CPU each, ~15 ms with the server's own


def viewport(zoom: int, rng: random.Random) -> str:
    """A viewport at ``zoom`` somewhere over the city, as the locustfile's facility managers pan."""
    width = (EAST - WEST) / 2 ** (zoom - 12)
    height = (NORTH - SOUTH) / 2 ** (zoom - 12)
    west = rng.uniform(WEST, EAST - width)
    south = rng.uniform(SOUTH, NORTH - height)
    return f"/api/map/risk?bbox={west:.5f},{south:.5f},{west + width:.5f},{south + height:.5f}&zoom={zoom}"


def requests(rng: random.Random) -> dict[str, list[str]]:
    """Each measured request by name: the paths asked in turn."""
    return {
        "register: first page": ["/assets"],
        "register: filtered": ["/assets?category=bridge&risk=very_high,high"],
        "register: search": ["/assets?q=" + word for word in ("橋", "公園", "トンネル", "道路")],
        "register API: first page": ["/api/assets"],
        **{f"viewport-{zoom}": [viewport(zoom, rng) for _ in range(20)] for zoom in (13, 14, 15, 16)},
        # asked once each, not warmed: their features' texts not kept yet, but where an earlier viewport of the
        # same zoom met them (fm.app.maps.KeptLayer)
        **{f"viewport-{zoom}, first time": [viewport(zoom, rng) for _ in range(20)] for zoom in (15, 16)},
    }


def measure(url: str, label: str, repeat: int, profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(Config(database_url=url, instance_path=Path(instance), secret_key="bench"))
        client = signed_in(app, "facility_manager", "bench-serving")
        rng = random.Random(19)
        print(f"{label} (load {os.getloadavg()[0]:.1f}), CPU ms per request (median of {repeat}, warm):")
        print(f"  {'request':<26} {'CPU ms':>7} {'wall ms':>8} {'bytes':>9} {'rows':>9}   goal: CPU ≤ {GOAL_MS:.0f} ms")
        for name, paths in requests(rng).items():
            for path in paths if not name.endswith("first time") else ():
                assert client.get(path).status_code == 200, path  # warm: kept figures, caches
            if profile == name:
                profiler = cProfile.Profile()
                profiler.enable()
                for n in range(repeat):
                    client.get(paths[n % len(paths)])
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
                continue
            cpu, wall, sizes, features = [], [], [], []
            for n in range(repeat if not name.endswith("first time") else len(paths)):
                path = paths[n % len(paths)]
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                body = response.get_data()
                cpu.append(time.process_time() - started_cpu)
                wall.append(time.perf_counter() - started)
                sizes.append(len(body))
                if response.is_json:
                    found = response.get_json()
                    features.append(len(found.get("features", found.get("assets", []))))
            shown = f"{statistics.median(features):>9.0f}" if features else f"{'':>9}"
            print(
                f"  {name:<26} {1000 * statistics.median(cpu):>7.1f} {1000 * statistics.median(wall):>8.1f} "
                f"{statistics.median(sizes):>9.0f} {shown}",
                flush=True,
            )
        app.extensions["fm.database"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    registers.arguments(parser)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", help="cProfile this request (a name printed by the bench) instead")
    args = parser.parse_args()
    for label, url, _ in registers.registers(args):
        measure(url, label, args.repeat, args.profile)


if __name__ == "__main__":
    main()
