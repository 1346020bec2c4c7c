"""An fm command as a user runs it, in its own process and through the command server, alternately.

Each round runs the command (default ``fm score --as-of 2026-04-01``) once in its own process
(``FM_COMMAND_SERVER=0``), once through a command server started here (fm/cli/commandserver.py), and with
``--before DIR`` twice more with an earlier fm package (e.g. ``git archive`` of main), in its own process and
through a command server of its own. Prints each run's wall seconds and CPU seconds (user + system: the client's,
and the server's child's that ran the command, from /proc), the medians, the servers' start (wall, CPU) and their
memory, and the load average.

    python bench/command_server.py --database-url sqlite:///…/fm.db [--before DIR [--before-database-url URL]]
        [--rounds 4] [-- stats --format json]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FM = str(Path(sys.executable).with_name("fm"))
HERE = str(Path(__file__).resolve().parent.parent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--before", type=Path, help="a folder holding an earlier fm package (run in its own process and its own server)"
    )
    parser.add_argument(
        "--before-database-url",
        help="the database the earlier fm runs on (a copy at its revision, when a migration lies between)",
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("command", nargs="*", default=["score", "--as-of", "2026-04-01"])
    args = parser.parse_args()
    print(cached_bytecode(Path(HERE), *([args.before] if args.before else [])), flush=True)
    with tempfile.TemporaryDirectory(prefix="fm-bench-", dir="/tmp") as runtime:  # short: a Unix socket's path
        base = {**os.environ, "FM_DATABASE_URL": args.database_url, "XDG_RUNTIME_DIR": runtime, "PYTHONPATH": HERE}
        cases = {"in its own process": {**base, "FM_COMMAND_SERVER": "0"}}
        if args.before:
            before = {
                **base,
                "PYTHONPATH": str(args.before.resolve()),
                "FM_DATABASE_URL": args.before_database_url or args.database_url,
            }
            cases["before, own process"] = {**before, "FM_COMMAND_SERVER": "0"}
            cases["before, command server"] = {**before, "FM_COMMAND_SERVER": "1"}
        cases["command server"] = {**base, "FM_COMMAND_SERVER": "1"}
        servers = {name: start(env) for name, env in cases.items() if env["FM_COMMAND_SERVER"] == "1"}
        try:
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for _ in range(args.rounds):
                for name, environment in cases.items():
                    wall, client, child = timed(args.command, environment, servers[name].pid if name in servers else 0)
                    results[name].append((wall, client + child))
                    print(
                        f"fm {' '.join(args.command)}, {name}: {wall:.2f} s, {client + child:.2f} s CPU "
                        f"(client {client:.2f}, command's child {child:.2f}); load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
        finally:
            for server in servers.values():
                server.terminate()
                server.wait()
    for name, runs in results.items():
        wall, cpu = (statistics.median(run[i] for run in runs) for i in (0, 1))
        print(f"median of {len(runs)}, {name}: {wall:.2f} s, {cpu:.2f} s CPU")


def cached_bytecode(*folders: Path) -> str:
    """Write the bytecode of the fm package in each folder beside its sources, as pip does when it installs fm, so
    that the processes a bench starts load fm as an installed fm does. Where ``PYTHONDONTWRITEBYTECODE`` is set (this
    machine) and nothing wrote it, every new process compiled fm's sources first: 0.15–0.2 s of each own-process
    figure. Returns the line the bench prints."""
    for folder in folders:
        compileall.compile_dir(str(folder / "fm"), quiet=1)
    return f"fm's bytecode written beside its sources in {', '.join(map(str, folders))} (as pip does at install)"


def start(environment: dict[str, str]) -> subprocess.Popen:
    """A command server for clients with ``environment``, once it answers (its start, CPU and memory printed)."""
    path = _socket(environment)
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-P", "-m", "fm.cli.commandserver", path], env=environment)
    while not answers(path):
        time.sleep(0.05)
    answering = time.perf_counter() - started
    time.sleep(1)  # for a spare child to be forked, if the server keeps one
    spares = idle_children(server.pid)
    print(
        f"command server answering {answering:.2f} s after its start, {children_cpu(server.pid, own=True):.2f} s CPU, "
        f"{_memory(server.pid, 'Rss') / 1024:.0f} MB resident"
        + "".join(
            f"; its spare child {cpu:.2f} s CPU, {_memory(pid, 'Rss') / 1024:.0f} MB resident of which "
            f"{(_memory(pid, 'Private_Clean') + _memory(pid, 'Private_Dirty')) / 1024:.0f} MB its own"
            for pid, cpu in spares.items()
        )
        + f"; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return server


def _memory(pid: int, field: str) -> int:
    """A field of a process's ``/proc/PID/smaps_rollup``, in kB."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith(f"{field}:"))


def _socket(environment: dict[str, str]) -> str:
    """The socket a client with ``environment`` looks for (asked of such a client: the fingerprint depends on it; with
    ``-P``, as the ``fm`` script, so that the fm of the current folder is not the one asked)."""
    code = "from fm.cli.client import fingerprint, socket_folder; print(f'{socket_folder()}/{fingerprint()}.sock')"
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def answers(path: str) -> bool:
    """Whether a command server listens at ``path``."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def timed(command: list[str], environment: dict[str, str], server: int) -> tuple[float, float, float]:
    """Wall seconds, the client's CPU seconds and the server's child's (0 when it ran in its own process: ``server``
    0). A server that keeps a spare child forked ahead: the spare's CPU before it took the command (its warm-up,
    paid while nobody waited) is not the command's."""
    spares = idle_children(server) if server else {}
    before, children = resource.getrusage(resource.RUSAGE_CHILDREN), children_cpu(server, wait=False) if server else 0.0
    started = time.perf_counter()
    subprocess.run([FM, *command], env=environment, capture_output=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if not server:
        return wall, client, 0.0
    return wall, client, children_cpu(server, spares) - children - sum(spares.values())


def idle_children(server: int) -> dict[int, float]:
    """The server's children once none is running (a spare waiting for a command, if the server keeps one): their
    CPU seconds so far."""
    deadline = time.monotonic() + 10
    while True:
        cpu = {pid: _stat(pid)[1] for pid in _children(server)}
        time.sleep(0.05)
        states = {pid: _stat(pid) for pid in cpu}
        if all(state == ("S", cpu[pid]) for pid, state in states.items()) or time.monotonic() > deadline:
            return cpu


def _stat(pid: int) -> tuple[str, float]:
    """A process's state letter and CPU seconds (user + system)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return "gone", 0.0
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int, spares: dict[int, float] | None = None, *, own: bool = False, wait: bool = True) -> float:
    """CPU seconds of process ``pid`` itself (``own``) or of its ended children, once it has collected them (with
    ``spares``, those: the spares forked since are not waited for)."""
    deadline = time.monotonic() + 10
    while wait and time.monotonic() < deadline and (_children(pid) & set(spares) if spares else _children(pid)):
        time.sleep(0.02)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    first = 11 if own else 13  # utime, stime; cutime, cstime
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> set[int]:
    """The children of process ``pid`` not yet collected (a thread that ends meanwhile has none)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return found


if __name__ == "__main__":
    main()
