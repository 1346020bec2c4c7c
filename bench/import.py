"""Time and peak memory of ``fm import`` of an N-asset GeoPackage into SQLite and PostGIS, against ogr2ogr.

The GeoPackage comes from the generator (``--scale N``) through ``fm demo --data`` and
``fm export assets``. fm imports it with every check on (headers, values, references,
geometry, CRS, duplicates) into a database holding only the districts; the reference
is GDAL's ``ogr2ogr -f PostgreSQL`` loading the same file into an empty PostGIS
database (no checks, COPY, into a new table with only a key and a GiST index). To tell
what no client can save, it also times PostgreSQL alone putting the same rows into fm's
assets table (foreign keys, CHECKs, unique and GiST indexes), and again loading it as fm's first import does (keys
checked and indexes built once the rows are in). Each step runs in its own process,
so its peak RSS is its own:

    python bench/import.py [--scale 100000] [--postgres-url URL] [--gpkg FILE --districts CSV] [--skip-sqlite]
                           [--profile N]

Without ``--postgres-url`` a throwaway server is started (tests/pgserver.py); with it, the databases the script makes
there are dropped at the end. ``--gpkg`` reuses a GeoPackage made before (with the generator's ``districts.csv``
beside it), skipping the generator and the export.

Beside the first import it times importing the same file again (nothing changed: nothing may be written)
a copy of it with every hundredth asset renamed (1 % changed) and a file of those assets alone (a small file
into a large register: nothing changed), and prints fm's time over PostgreSQL's
own ``INSERT … SELECT`` measured in the same run, against issue 19's goal (within 2×); the adding is timed again
as a user runs it after their first fm command, through a command server (fm/cli/commandserver.py) started here.
Each step prints its wall time and CPU seconds, and on PostgreSQL also its server processes' CPU seconds (read from
/proc, so the server must run on this machine), as does the ``INSERT … SELECT``: on a shared machine CPU seconds
compare across runs, wall times do not.

``--profile N`` then runs the adding once more, into a new PostGIS database, as ``python -m cProfile`` of the
whole ``fm import`` command (start-up and imports included; cProfile's clock is the wall clock there), and
prints its N costliest functions by own time and by cumulative time.

``--pairs N`` then measures N more pairs of the adding in its own process and ``INSERT … SELECT``, each on a new
database, back to back (the ratio of each, and their median with the first): on a shared machine whose speed
changes from minute to minute, one reference for every run is noise. ``--first-command N`` then times N pairs of
the adding in its own process, each into a new PostGIS database: alone, and beside a command server starting (as
the first command started one before it ran, until the thirteenth pass; now it starts one once it has ended), in
alternating order, with each pair's difference and the medians.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
FM = Path(sys.executable).with_name("fm")
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import pgserver
from command_server import cached_bytecode, start, timed  # bench/command_server.py, beside this script

import fm
from fm.db import Database, migrate
from fm.demo.scale import generate_scaled
from fm.io import importer
from fm.model import District, metadata

# Runs one command and prints the peak RSS and the CPU seconds (user + system) of its children, so each step's
# figures are its own: on a shared machine the CPU seconds compare across runs, the wall time does not.
PEAK = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "used = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(used.ru_maxrss, used.ru_utime + used.ru_stime, file=sys.stderr); sys.exit(code)"
)


OWN_PROCESS = {"FM_COMMAND_SERVER": "0"}
"""Each command in its own process, not a child of the command server (fm/cli/commandserver.py), whose CPU and memory
``PEAK`` would not count: the figures are the command's whole cost, start-up included."""


def measure(label: str, command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command``; print its wall time, CPU seconds and peak RSS, and with ``FM_DATABASE_URL`` on PostgreSQL
    the CPU seconds of its server processes; return the wall time (s) and peak (MiB)."""
    url = (env or {}).get("FM_DATABASE_URL", "")
    watching = threading.Event()
    used: dict[int, float] = {}
    watcher = threading.Thread(target=backends, args=(url, used, watching)) if url.startswith("postgresql") else None
    if watcher:
        watcher.start()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *command],
        env={**os.environ, **(env or {}), **OWN_PROCESS},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    watching.set()
    if watcher:
        watcher.join()
    if done.returncode != 0:
        raise SystemExit(f"{label} failed:\n{done.stdout}\n{done.stderr}")
    rss, cpu = done.stderr.strip().splitlines()[-1].split()
    peak = int(rss) / 1024
    server = f"   server {sum(used.values()):5.1f} s CPU" if watcher else ""
    print(f"{label:44s} {elapsed:7.1f} s   {float(cpu):6.1f} s CPU   peak RSS {peak:6.0f} MiB{server}", flush=True)
    return elapsed, peak


def backends(url: str, used: dict[int, float], done: threading.Event) -> None:
    """Until ``done``, the CPU seconds (user + system) of every server process connected to ``url``'s database,
    by process id, from /proc every 0.1 s (the server must run on this machine; its last reading is kept)."""
    database = sa.make_url(url).database
    engine = sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    tick = os.sysconf("SC_CLK_TCK")
    with engine.connect() as connection:
        while not done.wait(0.1):
            query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name")
            for (pid,) in connection.execute(query, {"name": database}):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                used[pid] = (int(fields[11]) + int(fields[12])) / tick
    engine.dispose()


def fm_database(url: str, districts: Path) -> None:
    """Migrate ``url`` and load the districts the assets name (nothing else)."""
    database = Database(url)
    with database.connect() as connection:
        migrate.upgrade(connection)
    frame = pd.read_csv(districts)
    with database.session() as session:
        session.add_all(
            District(
                code=r.code, name=r.name, name_en=r.name_en, population=int(r.population), geom=shapely.from_wkt(r.geom)
            )
            for r in frame.itertuples()
        )
    database.dispose()


def constraint_floor(url: str) -> tuple[float, float]:
    """Seconds PostgreSQL itself takes to put the imported rows into fm's assets table again (foreign keys,
    CHECKs, unique and GiST indexes), with no client work: the part of an import no client can save; and its
    server process's CPU seconds (from /proc: the server must run on this machine), in one process as fm's."""
    engine = sa.create_engine(url)
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(pid: int) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    with engine.begin() as connection:
        connection.execute(sa.text("SET max_parallel_workers_per_gather = 0"))
        connection.execute(sa.text("CREATE TEMP TABLE held AS SELECT * FROM assets"))
        connection.execute(sa.text("DELETE FROM assets"))
        pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        before, started = cpu(pid), time.perf_counter()
        connection.execute(sa.text("INSERT INTO assets SELECT * FROM held"))
        elapsed, used = time.perf_counter() - started, cpu(pid) - before
    engine.dispose()
    return elapsed, used


def built_after_floor(url: str) -> float:
    """Seconds PostgreSQL alone takes to put the imported rows into fm's empty assets table as a first import does:
    the foreign keys and the indexes that hold no rule dropped first and made again once the rows are in
    (``fm.io.importer._built_after``, the bulk loading PostgreSQL's manual advises): what no client can save there."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("SET max_parallel_workers_per_gather = 0"))
        connection.execute(sa.text("CREATE TEMP TABLE held AS SELECT * FROM assets"))
        connection.execute(sa.text("DELETE FROM assets"))
        cursor = connection.connection.driver_connection.cursor()
        started = time.perf_counter()
        statements = importer._built_after(cursor, metadata.tables["assets"])
        cursor.execute("INSERT INTO assets SELECT * FROM held")
        importer._build(cursor, statements)
        elapsed = time.perf_counter() - started
        connection.rollback()
    engine.dispose()
    return elapsed


def libpq(url: str) -> str:
    parsed = sa.make_url(url)
    return f"PG:host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--postgres-url", help="superuser URL of a PostGIS server (default: start one)")
    parser.add_argument("--gpkg", type=Path, help="a GeoPackage of assets made before (skips generating one)")
    parser.add_argument("--districts", type=Path, help="with --gpkg: the generator's districts.csv")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostGIS only")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile adding into PostGIS: top N")
    parser.add_argument(
        "--first-command", type=int, default=0, metavar="N", help="N pairs: alone / beside a server starting"
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        metavar="N",
        help="N more (adding, INSERT … SELECT) pairs, each on a new database",
    )
    args = parser.parse_args()
    if args.gpkg and not args.districts:
        parser.error("--gpkg needs --districts (the generator's districts.csv)")
    server = None if args.postgres_url else pgserver.start()
    admin = args.postgres_url or server.url()
    print(f"load average at the start: {' '.join(f'{n:.1f}' for n in os.getloadavg())}", flush=True)
    print(cached_bytecode(Path(fm.__file__).resolve().parents[1]), flush=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(
                Path(folder),
                args.scale,
                admin,
                gpkg=args.gpkg,
                districts=args.districts,
                sqlite=not args.skip_sqlite,
                profile=args.profile,
                first=args.first_command,
                pairs=args.pairs,
            )
    finally:
        if server:
            server.stop()
        else:
            pgserver.drop_created(admin)
    print(f"load average at the end: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")


def exported(folder: Path, scale: int) -> tuple[Path, Path]:
    """A GeoPackage of ``scale`` generated assets (``fm export`` of ``fm demo --data``) and its districts.csv."""
    generate_scaled(scale, folder / "data")
    source = f"sqlite:///{folder / 'source.sqlite3'}"
    subprocess.run(
        [str(FM), "db", "upgrade"],
        env={**os.environ, "FM_DATABASE_URL": source, **OWN_PROCESS},
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [str(FM), "demo", "--data", str(folder / "data")],
        env={**os.environ, "FM_DATABASE_URL": source, **OWN_PROCESS},
        check=True,
        capture_output=True,
    )
    gpkg = folder / "assets.gpkg"
    measure(
        f"fm export assets ({scale:,}) to GeoPackage",
        [str(FM), "export", "assets", str(gpkg), "--lang", "en"],
        {"FM_DATABASE_URL": source},
    )
    return gpkg, folder / "data" / "districts.csv"


def one_in_a_hundred(gpkg: Path, target: Path, part: Path) -> int:
    """``gpkg`` copied to ``target`` with every hundredth asset renamed, and those alone to ``part``; how many."""
    frame = pyogrio.read_dataframe(gpkg)
    rows = frame.index[::100]
    frame.loc[rows, "name"] = frame.loc[rows, "name"].astype(str) + "（改）"
    pyogrio.write_dataframe(frame, target, layer="assets")
    pyogrio.write_dataframe(frame.loc[rows], part, layer="assets")
    return len(rows)


def run(
    folder: Path,
    scale: int,
    admin: str,
    *,
    gpkg: Path | None,
    districts: Path | None,
    sqlite: bool,
    profile: int = 0,
    first: int = 0,
    pairs: int = 0,
) -> None:
    if gpkg is None or districts is None:
        gpkg, districts = exported(folder, scale)
    print(f"{'':44s} {gpkg.stat().st_size / 2**20:7.0f} MiB GeoPackage")
    changed, part = folder / "changed.gpkg", folder / "part.gpkg"
    renamed = one_in_a_hundred(gpkg, changed, part)
    postgis = pgserver.create_database(admin)
    fm_database(postgis, districts)
    command = [str(FM), "import", "assets"]
    pg_time, pg_peak = measure("fm import into PostGIS", [*command, str(gpkg)], {"FM_DATABASE_URL": postgis})
    again, _ = measure(
        "fm import again into PostGIS (all unchanged)", [*command, str(gpkg)], {"FM_DATABASE_URL": postgis}
    )
    once, _ = measure(
        f"fm import, {renamed:,} renamed (1 %), PostGIS", [*command, str(changed)], {"FM_DATABASE_URL": postgis}
    )
    measure(
        f"fm import of those {renamed:,} alone (unchanged), PostGIS",
        [*command, str(part)],
        {"FM_DATABASE_URL": postgis},
    )
    served = served_adding(folder, admin, districts, [*command, str(gpkg)])
    floor, floor_cpu = constraint_floor(postgis)
    label = "PostgreSQL alone: the same rows into assets"
    print(f"{label:44s} {floor:7.1f} s   server {floor_cpu:5.1f} s CPU (INSERT … SELECT: keys, checks, indexes)")
    bulk = built_after_floor(postgis)
    label = "PostgreSQL alone, as a first import loads"
    print(f"{label:44s} {bulk:7.1f} s   (keys checked and indexes built after the rows)")
    ogr_time, ogr_peak = measure(
        "ogr2ogr -f PostgreSQL (reference)",
        ["ogr2ogr", "-f", "PostgreSQL", libpq(pgserver.create_database(admin)), str(gpkg), "-nln", "assets_ogr"],
    )
    print(
        f"fm / INSERT … SELECT into PostGIS: {pg_time / floor:.2f}× (goal: within 2×, "
        f"{'met' if pg_time <= 2 * floor else 'NOT met'}); again, unchanged: {again / floor:.2f}×; "
        f"1 % changed: {once / floor:.2f}×; fm / PostgreSQL loading as a first import does: {pg_time / bulk:.2f}×",
        flush=True,
    )
    print(
        f"fm / INSERT … SELECT, adding through the command server (a user's path after the first fm command): "
        f"{served / floor:.2f}× (goal: within 2×, {'met' if served <= 2 * floor else 'NOT met'})",
        flush=True,
    )
    print(f"fm / ogr2ogr into PostGIS: {pg_time / ogr_time:.2f}× the time, {pg_peak / ogr_peak:.1f}× the memory")
    if profile:
        profiled(folder, admin, districts, gpkg, profile)
    if first:
        beside_a_server(admin, districts, [*command, str(gpkg)], first)
    if pairs:
        paired(admin, districts, [*command, str(gpkg)], pg_time / floor, pairs)
    if sqlite:
        target = f"sqlite:///{folder / 'target.sqlite3'}"
        fm_database(target, districts)
        lite, lite_peak = measure("fm import into SQLite", [*command, str(gpkg)], {"FM_DATABASE_URL": target})
        measure("fm import again into SQLite (all unchanged)", [*command, str(gpkg)], {"FM_DATABASE_URL": target})
        measure(f"fm import, {renamed:,} renamed (1 %), SQLite", [*command, str(changed)], {"FM_DATABASE_URL": target})
        measure(
            f"fm import of those {renamed:,} alone (unchanged), SQLite",
            [*command, str(part)],
            {"FM_DATABASE_URL": target},
        )
        print(f"fm / ogr2ogr into SQLite: {lite / ogr_time:.2f}× the time, {lite_peak / ogr_peak:.1f}× the memory")


def served_adding(folder: Path, admin: str, districts: Path, command: list[str]) -> float:
    """``command`` (the adding) into a new PostGIS database holding the districts, run as a user runs it after their
    first fm command: handed to a command server (fm/cli/commandserver.py) started here beforehand. Prints its wall
    time and CPU seconds (the client's and the server's child's; no peak RSS: the child's is not the client's),
    with its database's server processes' CPU; returns the wall time."""
    url = pgserver.create_database(admin)
    fm_database(url, districts)
    with tempfile.TemporaryDirectory(prefix="fm-bench-", dir="/tmp") as runtime:  # short: a Unix socket's path
        environment = {**os.environ, "FM_DATABASE_URL": url, "XDG_RUNTIME_DIR": runtime, "FM_COMMAND_SERVER": "1"}
        server = start(environment)
        watching, used = threading.Event(), {}
        watcher = threading.Thread(target=backends, args=(url, used, watching))
        watcher.start()
        try:
            wall, client, child = timed(command[1:], environment, server.pid)  # (timed runs fm itself)
        finally:
            watching.set()
            watcher.join()
            server.terminate()
            server.wait()
    label = "fm import into PostGIS, through the command server"
    print(f"{label:44s} {wall:7.1f} s   {client + child:6.1f} s CPU   {'':17s}server {sum(used.values()):5.1f} s CPU")
    return wall


def paired(admin: str, districts: Path, command: list[str], first: float, pairs: int) -> None:
    """``pairs`` more of the adding in its own process, each into a new PostGIS database and followed by the
    ``INSERT … SELECT`` of its rows there: the ratio of each pair, and with ``first`` (the first adding's) their
    median. On a machine whose speed changes from minute to minute (a shared VM), a pair measured back to back
    compares better than one reference for every run."""
    ratios = [first]
    for pair in range(pairs):
        url = pgserver.create_database(admin)
        fm_database(url, districts)
        spent, _ = measure(f"fm import into PostGIS, pair {pair + 2}", command, {"FM_DATABASE_URL": url})
        floor, _ = constraint_floor(url)
        ratios.append(spent / floor)
        print(f"{'':44s} INSERT … SELECT {floor:5.1f} s: {ratios[-1]:.2f}×", flush=True)
    ordered = sorted(ratios)
    print(
        f"fm / INSERT … SELECT, adding in its own process, {len(ratios)} pairs: "
        + " ".join(f"{ratio:.2f}×" for ratio in ratios)
        + f"; median {ordered[len(ordered) // 2]:.2f}× (goal: within 2×; met in {sum(r <= 2 for r in ratios)} of "
        f"{len(ratios)})",
        flush=True,
    )


def beside_a_server(admin: str, districts: Path, command: list[str], pairs: int) -> None:
    """``command`` (the adding) in its own process into a new PostGIS database, ``pairs`` times alone and as many
    beside a command server started with it (what a user's first command paid while it started the server before
    running), alternately; prints each run, each pair's difference and the medians."""
    spent: dict[str, list[float]] = {"alone": [], "beside a server starting": []}
    for pair in range(pairs):
        order = list(spent) if pair % 2 else list(reversed(spent))
        for case in order:
            url = pgserver.create_database(admin)
            fm_database(url, districts)
            environment = {**os.environ, "FM_DATABASE_URL": url, **OWN_PROCESS}
            with tempfile.TemporaryDirectory(prefix="fm-bench-", dir="/tmp") as runtime:  # short: a socket's path
                started = time.perf_counter()
                server = None
                if case != "alone":
                    socket = os.path.join(runtime, "fm", "bench.sock")
                    server = subprocess.Popen(
                        [sys.executable, "-P", "-m", "fm.cli.commandserver", socket],
                        env=environment,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                subprocess.run(command, env=environment, check=True, capture_output=True)
                spent[case].append(time.perf_counter() - started)
                if server is not None:
                    server.kill()
                    server.wait()
            print(f"fm import, own process, {case:26s} {spent[case][-1]:7.2f} s", flush=True)
        print(
            f"{'':26s} pair {pair + 1}: {spent['beside a server starting'][-1] - spent['alone'][-1]:+.2f} s", flush=True
        )
    medians = {case: sorted(times)[len(times) // 2] for case, times in spent.items()}
    differences = sorted(b - a for a, b in zip(spent["alone"], spent["beside a server starting"], strict=True))
    print(
        f"fm import, own process: median alone {medians['alone']:.2f} s, beside a server starting "
        f"{medians['beside a server starting']:.2f} s; median difference {differences[len(differences) // 2]:+.2f} s "
        f"(slower beside it in {sum(d > 0 for d in differences)} of {pairs} pairs)",
        flush=True,
    )


def profiled(folder: Path, admin: str, districts: Path, gpkg: Path, top: int) -> None:
    """``fm import`` adding every asset of ``gpkg`` into a new PostGIS database, under cProfile: the top ``top``."""
    url = pgserver.create_database(admin)
    fm_database(url, districts)
    out = folder / "import-add.prof"
    # the command run by fm.cli.running.run, which returns: fm's own entry point ends the process with os._exit,
    # before `python -m cProfile` would write its figures
    command = "import cProfile, sys; from fm.cli.running import run; cProfile.run('run(sys.argv[2:])', sys.argv[1])"
    measure(
        "fm import into PostGIS, under cProfile",
        [sys.executable, "-c", command, str(out), "import", "assets", str(gpkg)],
        {"FM_DATABASE_URL": url},
    )
    stats = pstats.Stats(str(out)).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    main()
