"""The command server: a resident process that has imported fm and forks a child per ``fm`` command.

Started by the first command that finds none (:func:`fm.cli.client.start_server`), as
``python -P -m fm.cli.commandserver SOCKET --idle SECONDS``; it ends after ``SECONDS`` without a command, or when
its socket is removed or replaced. It imports the CLI and every command but ``fm serve`` (pandas, SQLAlchemy, the
model, the use cases) and then only waits: it never reads fm's settings nor opens a database, so each child starts
clean and takes everything from its client (:func:`_adopt`): the standard streams' file descriptors, arguments,
environment, working directory, umask. The child answers its process id, runs the ordinary click group, flushes
and answers the exit status; it ends itself when its client goes away, so that a client killed mid-write leaves
the database as a killed in-process command does (the command's transaction never commits).

Only the user who owns the server is served: the socket's folder is theirs alone (mode 0700, checked by the
client), the socket is made with mode 0600, and each connection's peer is checked (``SO_PEERCRED``, Linux).
"""

from __future__ import annotations

import argparse
import array
import gc
import io
import json
import locale
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

from fm.cli.client import HEADER, IN_PROCESS, STATUS, fingerprint, receive, server_lock

PEER = struct.Struct("3i")
"""``struct ucred``: the peer's process, user and group ids."""

CHECK_SECONDS = 5.0
"""How often an idle server looks whether its socket is still its own."""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fm.cli.commandserver", description=__doc__)
    parser.add_argument("socket", help="path of the Unix socket to listen on")
    parser.add_argument("--idle", type=float, default=600.0, help="seconds without a command before ending")
    options = parser.parse_args()
    os.makedirs(os.path.dirname(options.socket), mode=0o700, exist_ok=True)
    lock = server_lock(options.socket)
    if lock is None:
        return  # another server is starting or running there
    key = fingerprint()
    _preload()
    os.chdir("/")  # holds no client's folder (each child goes to its own client's)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    listener = _listen(options.socket)
    ours = os.stat(options.socket).st_ino
    gc.freeze()  # what the imports made: never walked again by the collector, in the server or a child
    try:
        _serve(listener, lock, (options.socket, ours), key, options.idle)
    finally:
        listener.close()
        if _still(options.socket, ours):
            os.unlink(options.socket)


def _stop(number: int, frame: object) -> None:
    raise SystemExit(0)


def _preload() -> None:
    """Import the click group, every command that may run here and both databases' SQLAlchemy dialects (no
    connection), with the mappers configured, and do what a command does first in a process
    (:func:`fm.app.conventions.prepare`): what a child would otherwise do first."""
    import click
    from sqlalchemy.dialects import registry
    from sqlalchemy.orm import configure_mappers

    from fm.app.conventions import prepare
    from fm.cli.group import COMMANDS, cli

    context = click.Context(cli)
    for name in COMMANDS:
        if name not in IN_PROCESS:
            try:
                cli.get_command(context, name)
            except Exception:  # e.g. a missing optional library: that command, when run, says so itself
                continue
    for dialect in ("sqlite.pysqlite", "postgresql.psycopg"):
        registry.load(dialect)
    configure_mappers()
    prepare()


def _listen(path: str) -> socket.socket:
    """A socket listening at ``path``, mode 0600."""
    try:
        os.unlink(path)  # left by a server that was killed
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(mask)
    listener.listen(16)
    return listener


def _serve(listener: socket.socket, lock: int, socket_file: tuple[str, int], key: str, idle: float) -> None:
    """Accept commands until ``idle`` seconds pass without one, or the socket file (path, inode) is no longer
    ours."""
    last = time.monotonic()
    while True:
        ready, _, _ = select.select([listener], [], [], CHECK_SECONDS)
        _reap()
        if not ready:
            if time.monotonic() - last > idle or not _still(*socket_file):
                return
            continue
        connection, _ = listener.accept()
        last = time.monotonic()
        if not _same_user(connection):
            connection.close()
            continue
        if os.fork() == 0:
            listener.close()
            os.close(lock)  # held by the server alone: a long command does not keep the next server from starting
            _child(connection, key)
        connection.close()


def _still(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _same_user(connection: socket.socket) -> bool:
    """Whether the peer runs as this server's user (where the system says; elsewhere the folder's mode decides)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEER.size)
    _pid, uid, _gid = PEER.unpack(credentials)
    return uid == os.getuid()


def _reap() -> None:
    """Collect the children that have ended (their status went to their clients)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _child(connection: socket.socket, key: str) -> None:
    """In the forked child: take the client's command, run it, answer its status, end. Never returns."""
    code = 1
    try:
        request = _request(connection)
        if request is None or request["fingerprint"] != key:
            connection.sendall(STATUS.pack(0))  # not ours to run: the client runs it itself
            os._exit(0)
        _adopt(request)
        connection.sendall(STATUS.pack(os.getpid()))
        done = threading.Event()
        threading.Thread(target=_end_with_client, args=(connection, done), daemon=True).start()
        code = _run(request["argv"])
        done.set()
        connection.sendall(STATUS.pack(code))
    finally:
        os._exit(code)


def _request(connection: socket.socket) -> dict[str, Any] | None:
    """The client's request, its standard streams' descriptors in ``fds``."""
    fds = array.array("i")
    header, ancillary, _, _ = connection.recvmsg(HEADER.size, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    if len(header) < HEADER.size or len(fds) != 3:
        return None
    body = receive(connection, HEADER.unpack(header)[0])
    if body is None:
        return None
    request = json.loads(body)
    request["fds"] = list(fds)
    return request


def _adopt(request: dict[str, Any]) -> None:
    """Become the client's process as far as the command can tell: its standard streams (the same terminal or
    pipes, as Python itself would wrap them), arguments, environment, locale, time zone, folder and umask, and
    Python's own signal handling."""
    for target, fd in enumerate(request["fds"]):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    time.tzset()
    try:
        locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:  # a locale this system lacks: Python's own start ignores it too
        pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    streams = []
    for fd, (encoding, errors) in enumerate(request["streams"]):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        buffered = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        # as CPython at start-up: stdout line-buffered on a terminal, stderr always
        lines = fd == 2 or (fd == 1 and raw.isatty())
        streams.append(io.TextIOWrapper(buffered, encoding=encoding, errors=errors, line_buffering=lines))
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
    sys.argv = ["fm", *request["argv"]]


def _run(argv: list[str]) -> int:
    """``fm ARGV`` as the console script runs it; its exit status."""
    from fm.cli.group import cli

    try:
        cli.main(args=argv, prog_name="fm")
        code = 0
    except SystemExit as stop:
        code = _status(stop.code)
    except BaseException:  # as Python reports what nothing caught
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            code = code or 120  # Python's status when the output cannot be flushed at exit
    return code


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives a process."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _end_with_client(connection: socket.socket, done: threading.Event) -> None:
    """End this child as soon as its client goes away (killed, its terminal closed) before the command is done."""
    try:
        connection.recv(1)
    except OSError:
        pass
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
