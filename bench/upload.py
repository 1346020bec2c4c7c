"""The upload preview of a register's every asset (a CSV of ~21 MiB at 100,000 assets), against issue 19's goal.

Loads an N-asset register like the other page benches (bench/registers.py; ``--folder`` reuses it), exports its
assets to CSV with one asset in ten renamed (what a person sends back after editing), then:

- **in-process**: ``fm.app.uploads.preview`` with the importer's stages timed (wall and CPU seconds): where the
  time goes;
- **through the app** (Flask's test client, a signed-in facility manager, as the page's script does it): the
  POST of the file (kept, the preview started in the background), the preview followed through
  ``/upload/<token>/progress.json`` until it is ready (asked every ``--poll`` seconds, 0.4 as the page does:
  again at once after an answer the server held that long, and how many answers said "running"),
  and the preview page itself; end to end beside the goal (4 s) and the reference (11.8 s, issue 19, before).
  Before each run a fixed pure-Python loop is timed on the CPU clock (``machine``): on the shared 2-core machine
  the same work takes up to 60 % more CPU seconds when other processes crowd it, so a run whose loop took longer
  was slowed by the machine, not by fm.

    python bench/upload.py --assets 100000 [--folder /tmp/fm-bench] [--no-postgis] [--repeat 3] [--profile N]

``--profile N`` runs the in-process preview under cProfile on the CPU clock (which about doubles the cost of
Python-level loops; the stages' figures are those of the run without it) and prints its N costliest functions
by own time and fm's functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import registers  # noqa: I001  (bench/registers.py: the registers, loaded once)

from fm import progress
from fm.app import uploads
from fm.config import Config
from fm.db import Database
from fm.io import exporter

GOAL, REFERENCE = 4.0, 11.8


def machine() -> float:
    """CPU milliseconds of a fixed pure-Python loop (about 0.1 s on the idle machine): how crowded the machine is."""
    started, total = time.process_time(), 0
    for number in range(1_500_000):
        total += number * number
    return 1000 * (time.process_time() - started)


def edited_csv(url: str, folder: Path, assets: int) -> Path:
    """Every asset as ``fm export`` writes it (Japanese headers), one in ten renamed; made once per folder."""
    path = folder / f"assets-{assets}-edited.csv"
    if not path.exists():
        database = Database(url)
        plain = folder / f"assets-{assets}.csv"
        with database.session() as session:
            exporter.export_file(session, "assets", plain, lang="ja")
        database.dispose()
        frame = pd.read_csv(plain, dtype=str, keep_default_na=False)
        frame.iloc[::10, 1] = frame.iloc[::10, 1] + "（改）"  # the name column
        path.write_bytes(frame.to_csv(index=False).encode("utf-8"))
    return path


def in_process(url: str, csv: Path, root: Path, profile: int = 0) -> None:
    """The preview use case with the importer's stages timed (and, with ``profile``, under cProfile)."""
    database = Database(url)
    upload = uploads.save(root, "assets", csv.name, csv.open("rb"), owner="bench")
    marks: list[tuple[str, float, float]] = []

    def reporter(what: str, done: int, total: int) -> None:
        marks.append((what, time.perf_counter(), time.process_time()))

    profiler = cProfile.Profile(time.process_time) if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    with progress.reporting(reporter), database.session() as session:
        if profiler is not None:
            profiler.enable()
        result = uploads.preview(session, upload)
        if profiler is not None:
            profiler.disable()
    marks.append(("end", time.perf_counter(), time.process_time()))
    uploads.discard(upload)
    database.dispose()
    stages, (previous, wall0, cpu0) = [], ("start", started, cpu)
    for what, wall, spent in marks:
        stages.append(f"{previous} {wall - wall0:.2f} s ({spent - cpu0:.2f} CPU)")
        previous, wall0, cpu0 = what, wall, spent
    print(f"  in-process preview: {time.perf_counter() - started:.2f} s, {time.process_time() - cpu:.2f} s CPU")
    print(f"    added/updated/unchanged {result['added']:,} / {result['updated']:,} / {result['unchanged']:,}")
    print("    " + " · ".join(stages[1:]))
    if profiler is not None:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(r"fm/|importer|validate|store|files|coordinates", profile)


def through_the_app(url: str, folder: Path, csv: Path, repeat: int, poll: float) -> None:
    from webauth import signed_in

    from fm.app import snapshots
    from fm.web import create_app

    app = create_app(Config(database_url=url, instance_path=folder / "instance", secret_key="bench", basemap="none"))
    app.config["FM"] = dataclasses.replace(app.config["FM"], figures_wait=0.1)  # as `fm serve`
    client = signed_in(app, "facility_manager")
    snapshots.settle()  # the garbage collector as `fm serve` sets it once started
    body = csv.read_bytes()
    totals = []
    for _ in range(repeat):
        loop = machine()
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(
            "/upload",
            data={"kind": "assets", "file": (io.BytesIO(body), "assets.csv")},
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 202, response.get_data(as_text=True)[:300]
        where = response.get_json()
        sent = time.perf_counter()
        running = 0
        while True:
            asked = time.perf_counter()
            if (state := client.get(where["progress"]).get_json())["state"] != "running":
                break
            running += 1
            assert time.perf_counter() - started < 600, state
            time.sleep(max(0.0, poll - (time.perf_counter() - asked)))  # the page's script: the rest of its interval
        checked = time.perf_counter()
        assert state["state"] == "done", state
        page = client.get(where["preview"])
        assert page.status_code == 200, page.status_code
        ended = time.perf_counter()
        totals.append(ended - started)
        print(
            f"  through the app: sent and kept {sent - started:.2f} s, checked {checked - sent:.2f} s "
            f"({running} progress answers said running), preview page {ended - checked:.2f} s "
            f"({len(page.data) / 1024:,.0f} KiB): {ended - started:.2f} s, {time.process_time() - cpu:.2f} s CPU "
            f"(machine: the fixed loop {loop:.0f} ms before it)"
        )
        client.post(f"{where['preview']}/cancel")
    app.extensions["fm.database"].dispose()
    print(
        f"  upload + preview of {len(body) / 2**20:.1f} MiB, median of {repeat}: {statistics.median(totals):.2f} s "
        f"(goal {GOAL:.0f} s; reference {REFERENCE} s before issue 19's change; load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    registers.arguments(parser)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--app-only", action="store_true", help="only through the app")
    parser.add_argument("--poll", type=float, default=0.4, help="seconds between two progress questions (the page's)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile the in-process preview: top N")
    args = parser.parse_args()
    for label, url, folder in registers.registers(args):
        csv = edited_csv(url, folder, args.assets)
        print(f"{label} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):", flush=True)
        if not args.app_only:
            in_process(url, csv, uploads.folder(folder / "instance"), args.profile)
        through_the_app(url, folder, csv, args.repeat, args.poll)


if __name__ == "__main__":
    main()
