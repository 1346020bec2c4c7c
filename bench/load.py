"""Several people at once on an N-asset register: locust (headless) against `fm serve`, on SQLite and PostGIS.

Loads and scores the register like bench/register.py (``--folder`` keeps and reuses it), adds
64 accounts per role (bench-viewer-0 …) with one password, starts ``fm serve`` (``--workers``
processes of ``--threads`` threads) on a free port and runs each ``--mix`` of bench/locustfile.py
at each ``--users`` count for ``--seconds``, after a warm-up:

- ``people``: viewers on the register and asset pages, facility managers panning the risk map,
  engineers on the schedule, finance on the dashboard, with think times (what an office asks);
- ``register`` / ``viewport``: capacity, every user asking again as soon as it is answered, already
  signed in (what the server can do: its requests/s is the throughput).

Prints, per page, requests, requests/s, p50/p95/p99 and failures beside issue 19's goal; any failure or
5xx is printed as such. Beside them, what compares across machines and loads: the **server's CPU
seconds per request** (its processes' utime + stime from /proc, all workers), locust's own CPU (it shares
the cores), and the load average before and after each run. ``--server-path DIR`` serves another checkout
of fm (e.g. the code before a change, ``git archive``'d into DIR) with this harness.

    python bench/load.py --assets 100000 --folder /tmp/fm-bench [--mix people register viewport] [--users 8 32]
        [--seconds 60] [--workers 2] [--threads 8] [--no-postgis | --no-sqlite] [--server-path DIR]

Needs the bench extra (``pip install -e '.[bench]'``: locust).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
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


def accounts(url: str, folder: Path) -> str:
    """64 accounts per role, bench-<role>-<n>, all with one password, returned: kept in ``folder`` beside the
    register it belongs to, so that a later run only adds missing accounts (hashing 256 passwords costs
    about 2 CPU-minutes); a new password, and every account reset to it, when there is none yet."""
    kept = folder / f"accounts-{sa.make_url(url).get_backend_name()}.txt"
    reset = not kept.exists()
    password = secrets.token_urlsafe(16) if reset else kept.read_text().strip()
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
                    if reset:
                        users.set_password(session, name, password, actor="bench", source="cli")
    database.dispose()
    kept.write_text(password)
    kept.chmod(0o600)
    return password


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


MIXES = {
    "people": ("Viewer", "FacilityManager", "Engineer", "Finance"),
    "register": ("RegisterCapacity",),
    "viewport": ("ViewportCapacity",),
}
"""Each mix and the locust user classes it runs (bench/locustfile.py)."""
CAPACITY_ROLE = {"register": "viewer", "viewport": "facility_manager"}
GOALS = {
    "landing page": "p95 < 1 s with 8 people",
    "register: first page": "p95 < 500 ms",
    "register: filtered": "p95 < 500 ms",
    "register: search": "p95 < 500 ms",
    "register: a later page": "p95 < 500 ms",
    "risk map: viewport": "p95 < 500 ms at 32",
    "risk list: top 50": "p50 < 100 ms",
    "schedule: by month": "p50 < 300 ms",
    "schedule: by week": "p50 < 300 ms",
}
"""Issue 19's goal for each page, printed beside its figures; the register's own: ≥ 100 requests/s at 32."""


def _secret_key(folder: Path) -> Path:
    """The folder's key, made once, as a deployment keeps its own: a server started again on the same database
    finds the figures it kept there (fm/app/stored_figures.py)."""
    path = folder / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return path


def run(url: str, label: str, folder: Path, args: argparse.Namespace) -> None:
    password = accounts(url, folder)
    port = _free_port()
    environment = {
        **os.environ,
        "FM_DATABASE_URL": url,
        "FM_SECRET_KEY_FILE": str(_secret_key(folder)),
        "FM_SIGN_IN_LIMIT": "10000 per minute",
        "FM_BASEMAP": "none",
        "FM_BENCH_PASSWORD": password,
        "FM_BENCH_CODES": str(codes(url, folder)),
    }
    command = [BIN / "fm", "serve", "--port", str(port), "--threads", str(args.threads)]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    served = dict(environment)
    if args.server_path:
        served["PYTHONPATH"] = os.pathsep.join([str(args.server_path), environment.get("PYTHONPATH", "")])
    # its messages to a file: a pipe nobody reads fills (64 kB of waitress's "Task queue depth" warnings under a
    # capacity mix) and then blocks every thread of the server that logs
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(command, env=served, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        code = f" (code from {args.server_path})" if args.server_path else ""
        print(
            f"{label}, {' '.join(str(c) for c in command[1:])}{code}: {os.cpu_count()} cores, load {_load()}",
            flush=True,
        )
        _warm_up(port, password)
        print(f"  served by {1 + len(_descendants(server.pid))} process(es) (a master and its workers)", flush=True)
        for mix in args.mix:
            for count in args.users:
                if mix in CAPACITY_ROLE:
                    cookies = folder / "cookies.txt"
                    cookies.write_text("\n".join(_sign_in(port, password, CAPACITY_ROLE[mix], count)))
                    environment["FM_BENCH_COOKIES"] = str(cookies)
                prefix = folder / f"locust-{mix}-{count}"
                load_before, server_before = _load(), _cpu_seconds(server.pid)
                locust_before = _children_cpu()
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
                        f"{args.seconds}s",
                        "--host",
                        f"http://127.0.0.1:{port}",
                        "--csv",
                        prefix,
                        "--only-summary",
                        "--loglevel",
                        "ERROR",
                        *MIXES[mix],
                    ],
                    env=environment,
                    check=False,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                used = {
                    "server": _cpu_seconds(server.pid) - server_before,
                    "locust": _children_cpu() - locust_before,
                }
                _report(prefix, mix, count, args.seconds, used, (load_before, _load()))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def _sign_in(port: int, password: str, role: str, count: int) -> list[str]:
    """``count`` accounts of ``role`` signed in beforehand: the Cookie header of each."""
    import re

    import requests

    def one(n: int) -> str:
        client = requests.Session()
        base = f"http://127.0.0.1:{port}"
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{base}/sign-in").text).group(1)
        answer = client.post(
            f"{base}/sign-in",
            data={"username": f"bench-{role.replace('_', '-')}-{n}", "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.status_code
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` (gunicorn's workers), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every process under it (and of its ended, reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def _report(prefix: Path, mix: str, count: int, seconds: int, used: dict[str, float], loads: tuple[str, str]) -> None:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    kind = "capacity (no think time, signed in beforehand)" if mix in CAPACITY_ROLE else "with think times"
    print(f"  mix {mix}, {kind}: {count} users, {seconds} s (load before {loads[0]}, after {loads[1]}):", flush=True)
    print(f"    {'page':<28} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'failures':>8}   goal")
    total = 0
    for row in rows:
        name = row["Name"]
        goal = GOALS.get(name, "")
        if name == "Aggregated":
            total = int(row["Request Count"])
            if mix == "register":
                goal = "≥ 100 req/s, p95 < 500 ms at 32 users"
        print(
            f"    {name:<28} {int(row['Request Count']):>8} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>5}ms {row['95%']:>5}ms {row['99%']:>5}ms {int(row['Failure Count']):>8}   {goal}",
            flush=True,
        )
    if total:
        print(
            f"    {total} requests in the {seconds} s run: {total / seconds:.1f} a second over the whole run (locust's "
            "req/s above counts from its first request)",
            flush=True,
        )
        print(
            f"    server CPU: {used['server']:.1f} s in all its processes, {1000 * used['server'] / total:.1f} ms a "
            f"request (capacity on 1 core ≈ {total / used['server'] if used['server'] else 0:.0f} req/s); "
            f"locust's own CPU: {used['locust']:.1f} s ({100 * used['locust'] / seconds:.0f} % of a core)",
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
    parser.add_argument("--threads", type=int, default=8, help="threads per process (fm serve --threads)")
    parser.add_argument("--workers", type=int, help="fm serve --workers (default: fm serve's, one per core)")
    parser.add_argument("--mix", nargs="+", choices=list(MIXES), default=["people"])
    parser.add_argument("--server-path", type=Path, help="serve the fm package found in this folder instead")
    args = parser.parse_args()
    for label, url, folder in registers.registers(args):
        run(url, label, folder, args)


if __name__ == "__main__":
    main()
