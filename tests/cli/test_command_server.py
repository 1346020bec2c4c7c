"""The command server (fm/cli/commandserver.py) and its client (fm/cli/client.py), as real processes.

A command handed to the server prints, exits and leaves the database exactly as the same command run in its own
process (``FM_COMMAND_SERVER=0``), on SQLite and PostGIS; a client that finds no server of its own fm runs the
command itself; Ctrl-C reaches the command, a killed client takes its command with it; only the user reaches the
socket. Each test starts its server in a folder of its own and stops it.
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fm.cli import client
from fm.db import PAUSE, Database

FM = str(Path(sys.executable).with_name("fm"))
DELEGATED = [
    sys.executable,
    "-c",
    "import sys; from fm.cli.client import delegate; c = delegate(sys.argv[1:]); sys.exit(97 if c is None else c)",
]
"""``fm ARGS`` that only delegates: exit status 97 when no server took the command."""
HERE = 97


def _environment(folder: Path, url: str, **more: str) -> dict[str, str]:
    return {**os.environ, "XDG_RUNTIME_DIR": str(folder), "FM_DATABASE_URL": url, "FM_COMMAND_SERVER": "1", **more}


def _start(environment: dict[str, str], path: str, idle: int = 120) -> subprocess.Popen:
    """A server listening at ``path``, once it answers."""
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "fm.cli.commandserver", path, "--idle", str(idle)],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the command server ended ({server.returncode}): {server.stderr.read()}")  # type: ignore[union-attr]
        probe = socket.socket(socket.AF_UNIX)
        try:
            probe.connect(path)
            return server
        except OSError:
            time.sleep(0.1)
        finally:
            probe.close()
    server.kill()
    pytest.fail("the command server did not answer within 120 s")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    assert server.wait(timeout=30) == 0


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A runtime folder of a path short enough for a Unix socket (pytest's own may be too long)."""
    folder = Path(tempfile.mkdtemp(prefix="fm-test-"))
    yield folder
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def server_folder() -> Iterator[Path]:
    """The runtime folder of one server for this module's tests (a server serves any database: the URL is the
    client's)."""
    folder = Path(tempfile.mkdtemp(prefix="fm-test-"))
    environment = _environment(folder, "sqlite://")
    server = _start(environment, _socket(environment))
    yield folder
    _stop(server)
    for pid in _pids():  # any other server a failed test's client started here
        if f"fm.cli.commandserver {folder}" in _cmdline(pid):
            os.kill(pid, signal.SIGTERM)
    assert not os.path.exists(_socket(environment)), "the server removes its socket when it stops"
    shutil.rmtree(folder)


@pytest.fixture
def served(server_folder: Path, demo_url: str) -> dict[str, str]:
    """The environment of a client whose server runs, the demo register's URL in it."""
    return _environment(server_folder, demo_url)


def _socket(environment: dict[str, str]) -> str:
    """The socket a client with ``environment`` looks for (same Python and package: same fingerprint)."""
    return os.path.join(environment["XDG_RUNTIME_DIR"], "fm", f"{client.fingerprint()}.sock")


def _run(command: list[str], environment: dict[str, str], *args: str, **more: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command, *args], env={**environment, **more}, capture_output=True, text=True, timeout=300, check=False
    )


def _scores(url: str) -> list[tuple]:
    database = Database(url)
    with database.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT r.computed_on, a.code, s.probability, s.consequence, s.score, s.risk_class "
                "FROM risk_scores s JOIN risk_runs r ON r.id = s.run_id JOIN assets a ON a.id = s.asset_id "
                "ORDER BY r.computed_on, a.code"
            )
        ).all()
    database.dispose()
    return [tuple(row) for row in rows]


VARYING = re.compile(r" in \d+\.\d s|\"run_id\": \d+")
"""What differs between two runs of a command however it runs: its time, a new run's id."""

COMMANDS = [
    ("score", "--as-of", "2026-04-01"),
    ("score", "--as-of", "2026-04-01", "--format", "json"),
    ("stats", "--format", "json"),
    ("score", "--top", "3", "--format", "csv"),
    ("score", "--explain", "XX-00000"),  # an error fm reports: one line, status 1
    ("score", "--top", "0"),  # a usage error: click's message, status 2
    ("--database-url", "nosuch://x", "stats"),  # the URL from the option, not the environment
    ("--version",),
]


def test_a_command_run_by_the_server_equals_it_run_in_process(served):
    url = served["FM_DATABASE_URL"]
    assert _run([FM], served, "score", "--as-of", "2026-04-01", FM_COMMAND_SERVER="0").returncode == 0  # fits
    statuses = set()
    for args in COMMANDS:
        here = _run([FM], served, *args, FM_COMMAND_SERVER="0")
        scores = _scores(url)
        there = _run(DELEGATED, served, *args)
        assert there.returncode != HERE, f"fm {' '.join(args)} was not taken by the server: {there.stderr}"
        assert (there.returncode, VARYING.sub("", there.stdout), there.stderr) == (
            here.returncode,
            VARYING.sub("", here.stdout),
            here.stderr,
        ), args
        assert _scores(url) == scores, args
        statuses.add(there.returncode)
    assert statuses == {0, 1, 2}
    # the client's working directory is honoured: the settings read are `elsewhere`'s
    elsewhere = Path(served["XDG_RUNTIME_DIR"]).parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "settings.toml").write_text("[consequence]\nrailway = -2\n")
    done = subprocess.run(
        [*DELEGATED, "score", "--config", "settings.toml"],
        env=served,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1 and "'consequence.railway' must be a number ≥ 0" in done.stderr, done.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_client_runs_the_command_itself_without_a_server_of_its_own(runtime, demo_url):
    environment = _environment(runtime, demo_url)
    path = _socket(environment)
    # another fm (another fingerprint: here a PYTHON* setting Python reads at start) at this client's socket
    other = _start({**environment, "PYTHONFMOTHER": "1"}, path)
    try:
        refused = _run(DELEGATED, environment, "stats", "--format", "json")
        assert refused.returncode == HERE and refused.stdout == refused.stderr == ""
        assert _run([FM], environment, "stats", "--format", "json").returncode == 0  # ran here instead
    finally:
        _stop(other)
    # none at all: the command runs here, and a server is started for the next ones
    here = _run([FM], environment, "stats", "--format", "json")
    assert (
        here.returncode == 0
        and here.stdout == _run([FM], environment, "stats", "--format", "json", FM_COMMAND_SERVER="0").stdout
    )
    deadline = time.monotonic() + 120
    while _run(DELEGATED, environment, "--version").returncode == HERE:
        assert time.monotonic() < deadline, "no server started by the first command"
        time.sleep(0.2)
    os.unlink(path)  # a server whose socket is gone ends (within client.CHECK_SECONDS)
    deadline = time.monotonic() + 60
    while any(f"fm.cli.commandserver {path}" in _cmdline(pid) for pid in _pids()):
        assert time.monotonic() < deadline, "the server outlived its socket"
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite"])  # when the server starts: the database plays no part
def test_the_first_command_starts_a_server_only_once_it_has_ended(runtime, demo_url):
    environment = _environment(runtime, demo_url)
    path = _socket(environment)
    first = _paused([FM], environment)  # no server: it runs here, and waits before its commit
    try:
        assert not _servers(path), "a server started beside the first command"
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    deadline = time.monotonic() + 120
    while _run(DELEGATED, environment, "--version").returncode == HERE:
        assert time.monotonic() < deadline, "no server started once the first command ended"
        time.sleep(0.2)
    for pid in _servers(path):
        os.kill(pid, signal.SIGTERM)


def _servers(path: str) -> list[int]:
    """The processes of the command servers listening at ``path``."""
    return [pid for pid in _pids() if f"fm.cli.commandserver {path}" in _cmdline(pid)]


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _paused(command: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """``fm score`` waiting just before its commit."""
    process = subprocess.Popen(
        [*command, "score", "--as-of", "2031-04-01"],
        env={**environment, PAUSE: "60"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,  # a job of its own, as a shell starts it (so that Ctrl-Z may stop it)
    )
    for line in process.stderr:  # type: ignore[union-attr]
        if "paused before commit" in line:
            return process
    pytest.fail(f"fm score ended ({process.wait()}) before it paused")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_ctrl_c_reaches_the_command_and_a_killed_client_takes_it_along(served):
    url = served["FM_DATABASE_URL"]
    before = _scores(url)
    interrupted = {}
    for how, environment in (("here", {**served, "FM_COMMAND_SERVER": "0"}), ("server", served)):
        process = _paused([FM], environment)
        process.send_signal(signal.SIGINT)
        interrupted[how] = (process.wait(timeout=60), process.stderr.read())  # type: ignore[union-attr]
    assert interrupted["server"] == interrupted["here"] and interrupted["here"][0] == 1
    # Ctrl-Z stops the command with its client, `fg` lets both go on
    child = _spare(_server_pid(served))  # the child that takes the next command
    process = _paused([FM], served)
    process.send_signal(signal.SIGTSTP)
    _wait_for_state({process.pid, child}, stopped=True)
    process.send_signal(signal.SIGCONT)
    _wait_for_state({process.pid, child}, stopped=False)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 1
    assert "Aborted!" in interrupted["here"][1]
    child = _spare(_server_pid(served))
    process = _paused(DELEGATED, served)
    process.kill()
    process.wait()
    _gone(child)  # the command ended with its killed client
    assert _scores(url) == before  # none of the interrupted runs was stored


@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_clients_at_once(served):
    """A command waiting for its commit does not keep a second client waiting: a child is forked for it at once."""
    first = _paused([FM], served)
    second = _run(DELEGATED, served, "stats", "--format", "json")
    assert second.returncode == 0 and '"total"' in second.stdout, second.stderr
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=60) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_spare_takes_one_command_and_ends_with_its_server(runtime, demo_url):
    """The server keeps a child forked ahead for the next command; each command gets a new one, and the spare ends
    when its server does (here idle)."""
    environment = _environment(runtime, demo_url)
    server = _start(environment, _socket(environment), idle=1)
    spares = [_spare(server.pid)]
    for _ in range(2):
        assert _run(DELEGATED, environment, "--version").returncode == 0
        _gone(spares[-1])
        spares.append(_spare(server.pid))
    assert len(set(spares)) == 3  # a spare never runs two commands
    assert server.wait(timeout=60) == 0  # idle for a second (looked at every client.CHECK_SECONDS)
    _gone(spares[-1])


def _children(pid: int) -> list[int]:
    """The processes ``pid`` has forked and not yet collected."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def _spare(server: int) -> int:
    """The server's spare child once every other child has ended: the one holding the listening socket (a
    command's child has closed it)."""
    listening = f"socket:[{_listening_inode(_cmdline(server).split()[-3])}]"
    deadline = time.monotonic() + 30
    while True:
        children = _children(server)
        if len(children) == 1 and listening in _descriptors(children[0]):
            return children[0]
        assert time.monotonic() < deadline, f"no lone spare: {children}"
        time.sleep(0.05)


def _listening_inode(path: str) -> str:
    """The inode of the Unix socket listening at ``path`` (/proc/net/unix: ... Inode Path)."""
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) == 8 and fields[7] == path and fields[5] == "01":  # SS_UNCONNECTED: the listener
            return fields[6]
    raise AssertionError(f"nothing listens at {path}")


def _descriptors(pid: int) -> set[str]:
    """What process ``pid``'s open descriptors point at (nothing once it has ended)."""
    found = set()
    try:
        listed = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process has ended
        return found
    for fd in listed:
        try:
            found.add(os.readlink(fd))
        except OSError:  # closed since it was listed
            continue
    return found


def _gone(pid: int) -> None:
    """Wait until process ``pid`` has ended."""
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _wait_for_state(pids: set[int], *, stopped: bool) -> None:
    deadline = time.monotonic() + 30
    while {Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T" for pid in pids} != {stopped}:
        assert time.monotonic() < deadline, f"not {'stopped' if stopped else 'running'}: {pids}"
        time.sleep(0.05)


def _server_pid(environment: dict[str, str]) -> int:
    path = _socket(environment)
    return next(pid for pid in _pids() if f"fm.cli.commandserver {path}" in _cmdline(pid))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_only_the_user_reaches_the_socket(served, server_folder, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(server_folder))
    folder = server_folder / "fm"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(_socket(served)).stat().st_mode) == 0o600
    folder.chmod(0o755)
    try:
        assert client.socket_folder() is None  # opened to others: not used
        assert _run(DELEGATED, served, "--version").returncode == HERE
    finally:
        folder.chmod(0o700)
    assert _run(DELEGATED, served, "--version").returncode == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_terminal_stays_a_terminal(served):
    """The progress bar a command draws on a terminal's stderr (fm/cli/progress.py) is drawn alike through the
    server: the child writes to the client's own terminal."""
    drawn = {}
    for how in ("0", "1"):
        leader, follower = pty.openpty()
        done = subprocess.run(
            [FM, "score", "--as-of", "2026-04-01"],
            env={**served, "FM_COMMAND_SERVER": how},
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=300,
            check=True,
        )
        os.close(follower)
        drawn[how] = _read_all(leader)
        assert b"assets scored" in done.stdout
    assert b"fm score  [" in drawn["0"] and drawn["1"] == drawn["0"]


def _read_all(fd: int) -> bytes:
    data = b""
    try:
        while chunk := os.read(fd, 65536):
            data += chunk
    except OSError:  # the terminal's other end closed: all read
        pass
    os.close(fd)
    return data


def test_what_always_runs_in_its_own_process(monkeypatch):
    monkeypatch.setenv("FM_COMMAND_SERVER", "1")
    assert client._command(["--database-url", "serve", "stats"]) == "stats"  # an option's value is no command
    assert not client._wanted(["--database-url=sqlite://", "serve", "--port", "5001"])  # it forks its own workers
    assert client._wanted(["score", "--top", "3"])
    for off in ("0", "off", "No", "false"):
        monkeypatch.setenv("FM_COMMAND_SERVER", off)
        assert not client._wanted(["score"])
    monkeypatch.setenv("FM_COMMAND_SERVER", "maybe")
    with pytest.raises(SystemExit, match="FM_COMMAND_SERVER must be 1 or 0"):
        client._wanted(["score"])


def test_a_command_that_ends_before_the_client_is_scheduled_again_gives_its_status():
    """A quick command (a usage error, ``--version``) may be read, run and answered, and its child gone, before the
    client runs again after sending its request: the client still takes the command's status. It sent the whole
    request at once and sends nothing more; an empty send there met the closed socket (EPIPE) and the client said
    that no server had taken the command (under load, about one run in five of the test above)."""
    # the handlers the client installs while the command runs (it passes these signals on), put back afterwards
    saved = {name: signal.getsignal(getattr(signal, name)) for name in (*client.FORWARDED, "SIGTSTP")}
    mine, theirs = socket.socketpair()
    gone = threading.Event()

    def child() -> None:
        header, ancillary, _, _ = theirs.recvmsg(client.HEADER.size, socket.CMSG_LEN(client.STREAMS.size))
        for _, _, data in ancillary:  # the client's standard streams, as the server's child gets them
            for fd in client.STREAMS.unpack(data):
                os.close(fd)
        assert client.receive(theirs, client.HEADER.unpack(header)[0]) is not None
        theirs.sendall(client.STATUS.pack(os.getpid()) + client.STATUS.pack(2))
        theirs.close()
        gone.set()

    class Descheduled:
        """The client's socket, its process not run again after its first send until the child has gone."""

        def sendmsg(self, *args):
            sent = mine.sendmsg(*args)
            assert gone.wait(30)
            return sent

        def __getattr__(self, name):
            return getattr(mine, name)

    answering = threading.Thread(target=child)
    answering.start()
    try:
        assert client._run(Descheduled(), ["score", "--top", "0"], "identity") == 2
    finally:
        answering.join(30)
        mine.close()
        for name, handler in saved.items():
            signal.signal(getattr(signal, name), handler)
