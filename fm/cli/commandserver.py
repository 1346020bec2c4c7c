"""The command server: a resident process that has imported fm and forks a child per ``fm`` command.

Started by the first command that finds none, once that command has ended (:func:`fm.cli.client.start_for_next`), as
``python -P -m fm.cli.commandserver SOCKET --idle SECONDS``; it ends after ``SECONDS`` without a command, or when
its socket is removed or replaced. It imports the CLI and every command but ``fm serve`` (pandas, SQLAlchemy, the
model, the use cases) and then only forks: it never reads fm's settings nor opens a database, so each child starts
clean and takes everything from its client (:func:`_adopt`): the standard streams' file descriptors, arguments,
environment, working directory, umask. The child answers its process id, runs the ordinary click group, flushes
and answers the exit status; it ends itself when its client goes away, so that a client killed mid-write leaves
the database as a killed in-process command does (the command's transaction never commits).

The next command's child is forked ahead (:func:`_serve`, as gunicorn's and Apache's pre-forked workers): a spare
that waits in ``accept`` on the listening socket, having paid meanwhile what every child pays first (the fork, fresh
heap memory), tells the server when it has taken a connection and runs that one command. It is forked when no
command runs (never beside one), or at once when a client waits and every child is busy.

Only the user who owns the server is served: the socket's folder is theirs alone (mode 0700, checked by the
client), the socket is made with mode 0600, and each connection's peer is checked (``SO_PEERCRED``, Linux).
"""

from __future__ import annotations

import argparse
import array
import ctypes
import gc
import io
import locale
import marshal
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from typing import Any

from fm.cli.client import HEADER, IN_PROCESS, STATUS, STREAMS, receive, server_lock
from fm.cli.running import run
from fm.identity import identity

PEER = struct.Struct("3i")
"""``struct ucred``: the peer's process, user and group ids."""

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""The signals a client passes on to its command (:data:`fm.cli.client.FORWARDED`)."""

CHECK_SECONDS = 5.0
"""How often an idle server looks whether its socket is still its own and fm's code unchanged."""

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
"""glibc's ``mallopt`` parameters (malloc.h)."""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fm.cli.commandserver", description=__doc__)
    parser.add_argument("socket", help="path of the Unix socket to listen on")
    parser.add_argument("--idle", type=float, default=600.0, help="seconds without a command before ending")
    options = parser.parse_args()
    os.makedirs(os.path.dirname(options.socket), mode=0o700, exist_ok=True)
    lock = server_lock(options.socket)
    if lock is None:
        return  # another server is starting or running there
    key = identity()
    _preload()
    os.chdir("/")  # holds no client's folder (each child goes to its own client's)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)
    listener = _listen(options.socket)
    ours = os.stat(options.socket).st_ino
    gc.freeze()  # what the imports made: never walked again by the collector, in the server or a child
    try:
        _serve(listener, lock, (options.socket, ours), key, options.idle)
    finally:
        listener.close()
        if _still(options.socket, ours):
            os.unlink(options.socket)


STOPPED: list[int] = []
"""The signal asking this server to end, once received (a flag, not an exception: a signal arriving during a
fork would raise it inside the fork's own handlers, which ignore it)."""


def _stop(number: int, frame: object) -> None:
    STOPPED.append(number)


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
    """Keep a spare child waiting for the next command (:func:`_spare`): forked when no command runs, or at once when
    a client waits and no spare does; end after ``idle`` seconds without a command, or when the socket file (path,
    inode) is no longer ours or fm's code on disk has changed (its clients' fingerprint is another)."""
    taken, told = os.pipe()  # a spare writes a byte here when it has taken a connection
    alive, ending = os.pipe()  # never written: the spares read its end when this server ends
    ended, wake = os.pipe()  # a child has ended (SIGCHLD)
    os.set_blocking(wake, False)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)
    signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
    server_only = (lock, taken, ending, ended, wake)
    spare, running = 0, set[int]()
    last = time.monotonic()
    while not STOPPED:
        if not spare and not running:
            spare = _fork_spare(listener, key, close=server_only, keep=(told, alive))
        ready, _, _ = select.select([taken, ended] + ([] if spare else [listener]), [], [], CHECK_SECONDS)
        if taken in ready:
            os.read(taken, 1)
            running.add(spare)
            spare, last = 0, time.monotonic()
        if ended in ready:
            os.read(ended, 512)
        gone = _reap()
        running -= gone
        if spare in gone:
            spare = 0  # ended without a command (killed): another is forked
        if listener in ready and not spare:  # a client waits while every child runs a command
            spare = _fork_spare(listener, key, close=server_only, keep=(told, alive))
        if not ready and (time.monotonic() - last > idle or not _still(*socket_file) or identity() != key):
            return


def _fork_spare(listener: socket.socket, key: str, *, close: tuple[int, ...], keep: tuple[int, int]) -> int:
    """Fork a spare child (closing the server's descriptors ``close`` in it); its process id."""
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        _spare(listener, key, *keep)
    return pid


def _spare(listener: socket.socket, key: str, told: int, alive: int) -> None:
    """In a spare child: pay ahead what any command's child pays first (:func:`_warm`, cut short as soon as a
    client waits); then take one connection, tell the server (``told``) and run that command. End, having run
    none, when the server ends (``alive`` reads its end) or asks (SIGTERM, SIGHUP). Never returns."""
    try:
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        _warm(listener)
        if listener.fileno() not in select.select([listener.fileno(), alive], [], [])[0]:
            return  # the server has ended
        connection, _ = listener.accept()
        os.write(told, b"!")
        for fd in (told, alive):
            os.close(fd)
        listener.close()
        if _same_user(connection):
            _child(connection, key)
    finally:
        os._exit(0)


HEAP, BLOCK = 16 << 20, 2 << 20
"""The heap a spare grows and keeps for its command (about what ``fm score`` on 10,000 assets takes from malloc),
in blocks of :data:`BLOCK`."""


def _warm(listener: socket.socket) -> None:
    """Fault in, ahead of the command, fresh memory its child would fault in itself (about 2 µs a page): glibc's
    heap grown by :data:`HEAP` and kept, blocks up to 4 MiB taken from it (not from ``mmap``, whose pages are
    new each time) and the heap trimmed only past 32 MiB free. A block at a time, stopping when a client waits."""
    try:
        libc = ctypes.CDLL(None)
        mallopt, malloc, free = libc.mallopt, libc.malloc, libc.free
    except (AttributeError, OSError):  # not glibc
        return
    mallopt(M_TRIM_THRESHOLD, 32 << 20)
    mallopt(M_MMAP_THRESHOLD, 4 << 20)
    malloc.restype = ctypes.c_void_p
    blocks: list[int | None] = []
    while len(blocks) < HEAP // BLOCK and not select.select([listener], [], [], 0)[0]:
        blocks.append(malloc(BLOCK))
        if blocks[-1]:
            ctypes.memset(blocks[-1], 0, BLOCK)
    for block in blocks:
        free(ctypes.c_void_p(block))


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


def _reap() -> set[int]:
    """Collect the children that have ended (their status went to their clients); their process ids."""
    ended = set()
    try:
        while pid := os.waitpid(-1, os.WNOHANG)[0]:
            ended.add(pid)
    except ChildProcessError:
        pass
    return ended


def _child(connection: socket.socket, key: str) -> None:
    """In the forked child: take the client's command, run it, answer its status, end. Never returns."""
    code = 1
    try:
        request = _request(connection)
        if request is None or request["identity"] != key:
            connection.sendall(STATUS.pack(0))  # not ours to run: the client runs it itself
            os._exit(0)
        _adopt(request)
        connection.sendall(STATUS.pack(os.getpid()))
        done = threading.Event()
        # The watching thread blocks the client's signals (it inherits the mask), so that the kernel hands them to
        # the main thread: one delivered to the watcher left the command's sleep or wait uninterrupted (Ctrl-C
        # after Ctrl-Z and `fg` was seen by the command only when its wait ended).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        threading.Thread(target=_end_with_client, args=(connection, done), daemon=True).start()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = run(request["argv"])
        done.set()
        connection.sendall(STATUS.pack(code))
    finally:
        os._exit(code)


def _request(connection: socket.socket) -> dict[str, Any] | None:
    """The client's request, its standard streams' descriptors in ``fds``."""
    fds = array.array("i")
    header, ancillary, _, _ = connection.recvmsg(HEADER.size, socket.CMSG_LEN(STREAMS.size))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    if len(header) < HEADER.size or len(fds) != 3:
        return None
    body = receive(connection, HEADER.unpack(header)[0])
    if body is None:
        return None
    request = marshal.loads(body)
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
