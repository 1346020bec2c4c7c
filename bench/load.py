"""Several people at once on an N-asset register: locust (headless) against `fm serve`, on SQLite and PostGIS.

Loads and scores the register like bench/register.py (``--folder`` keeps and reuses it), adds
64 accounts per role (bench-viewer-0 …) with one password, starts ``fm serve`` (waitress,
``--threads``) on a free port and runs the mixes of bench/locustfile.py (viewers on the
register and asset pages, facility managers panning the risk map, engineers on the schedule,
finance on the dashboard) at each ``--users`` count for ``--seconds``, after a warm-up. Prints,
per page, requests, requests/s, p50/p95/p99 and failures; any failure or 5xx is printed as such.

    python bench/load.py --assets 100000 --folder /tmp/fm-bench [--users 8 32] [--seconds 60] [--no-postgis]

Needs the bench extra (``pip install -e '.[bench]'``: locust).
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import registers  # noqa: I001  (bench/registers.py: the registers, loaded and scored once)

from fm.accounts import users
from fm.db import Database
from fm.errors import NotFound

ROLES = ("viewer", "facility_manager", "engineer", "finance")
BIN = Path(sys.executable).parent


def accounts(url: str, password: str) -> None:
    """64 accounts per role, bench-<role>-<n>, all with ``password`` (made once, reset every run)."""
    database = Database(url)
    with database.session() as session:
        for role in ROLES:
            for n in range(64):
                name = f"bench-{role.replace('_', '-')}-{n}"
                try:
                    users.find(session, name)
                except NotFound:
                    users.create(session, name, role=role, password=password, actor="bench", source="cli")
                else:
                    users.set_password(session, name, password, actor="bench", source="cli")
    database.dispose()


def codes(url: str, folder: Path) -> Path:
    """A file of 2,000 asset codes spread over the register, for the asset pages."""
    database = Database(url)
    with database.connect() as connection:
        rows = connection.execute(sa.text("SELECT code FROM assets ORDER BY id")).scalars().all()
    database.dispose()
    path = folder / "codes.txt"
    path.write_text("\n".join(rows[:: max(1, len(rows) // 2000)]))
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(url: str, label: str, folder: Path, users_counts: list[int], seconds: int, threads: int) -> None:
    password = secrets.token_urlsafe(16)
    accounts(url, password)
    port = _free_port()
    environment = {
        **os.environ,
        "FM_DATABASE_URL": url,
        "FM_SECRET_KEY": secrets.token_hex(16),
        "FM_SIGN_IN_LIMIT": "10000 per minute",
        "FM_BASEMAP": "none",
        "FM_BENCH_PASSWORD": password,
        "FM_BENCH_CODES": str(codes(url, folder)),
    }
    server = subprocess.Popen(
        [BIN / "fm", "serve", "--port", str(port), "--threads", str(threads)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"{label}, fm serve --threads {threads} (load {os.getloadavg()[0]:.1f}):", flush=True)
        _warm_up(port, password)
        for count in users_counts:
            prefix = folder / f"locust-{count}"
            subprocess.run(
                [
                    BIN / "locust",
                    "-f",
                    Path(__file__).with_name("locustfile.py"),
                    "--headless",
                    "--users",
                    str(count),
                    "--spawn-rate",
                    str(count),
                    "--run-time",
                    f"{seconds}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--loglevel",
                    "ERROR",
                ],
                env=environment,
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _report(prefix, count, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


WARM_UP = ("/", "/dashboard", "/dashboard/aging_ratio", "/schedule", "/schedule?by=week", "/api/risk?top=50")


def _warm_up(port: int, password: str) -> None:
    """Each page once, signed in as finance (an account locust does not use), before the people come: the
    first request after the server starts, which waits for what ``fm serve`` computes at start."""
    import re

    import requests

    client = requests.Session()
    base = f"http://127.0.0.1:{port}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{base}/sign-in").text).group(1)
    answer = client.post(
        f"{base}/sign-in",
        data={"username": "bench-finance-63", "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.status_code
    for path in WARM_UP:
        started = time.perf_counter()
        status = client.get(f"{base}{path}", timeout=900).status_code
        print(f"  first request after start: {path:<24} {time.perf_counter() - started:7.1f} s ({status})", flush=True)


def _report(prefix: Path, count: int, seconds: int) -> None:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    print(f"  {count} people, {seconds} s:", flush=True)
    print(f"    {'page':<28} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'failures':>8}")
    for row in rows:
        print(
            f"    {row['Name']:<28} {int(row['Request Count']):>8} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>5}ms {row['95%']:>5}ms {row['99%']:>5}ms {int(row['Failure Count']):>8}",
            flush=True,
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        for row in list(csv.DictReader(failures.open(encoding="utf-8")))[:10]:
            print(f"    failed: {row['Name']} {row['Error']} × {row['Occurrences']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    registers.arguments(parser)
    parser.add_argument("--users", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    for label, url, folder in registers.registers(args):
        run(url, label, folder, args.users, args.seconds, args.threads)


if __name__ == "__main__":
    main()
