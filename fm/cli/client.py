"""The thin client of the command server: hand this ``fm`` command to a resident process that has imported fm.

Mercurial's ``chg`` does the same for ``hg``. Starting Python and importing pandas, SQLAlchemy and fm costs about a
second, more than a command like ``fm score`` on 10,000 assets needs for its work; the command server
(:mod:`fm.cli.commandserver`) has paid it once and forks a child per command. This module imports only the
standard library's lightest parts: it runs before anything else of fm.

:func:`delegate` sends the server this process's standard input, output and error (the file descriptors
themselves, so a terminal is still a terminal and the progress bar shows), the arguments, the environment, the
working directory and the umask; the child applies them before the command reads any setting, runs the ordinary
CLI and answers its exit status. Ctrl-C, ``kill`` and a hang-up of this process are passed on to the child, and
the child ends itself if this process disappears (SIGKILL), so a command killed mid-write is rolled back as in
process. Whenever no server of this very fm answers (none started, another version or other code on disk, another
Python), :func:`delegate` returns None and the command runs in this process; the first such run starts a server
for the next ones when it has ended (:func:`start_for_next`), which ends after :data:`IDLE_SECONDS` without a
command.
"""

from __future__ import annotations

import _signal  # what `signal` wraps: `signal` imports `enum` for its constants, a sixth of this client's imports
import _socket  # what `socket` wraps: `socket` makes every constant an enum at import, an eighth of this client's CPU
import marshal
import os
import struct
import sys
import zlib

from fm.identity import identity

SWITCH = "FM_COMMAND_SERVER"
"""``0`` (``false``, ``no``, ``off``): every command runs in its own process, no server is used or started."""

IN_PROCESS = frozenset({"serve"})
"""Commands never run by the server: ``fm serve`` forks workers of its own and runs for days."""

IDLE_SECONDS = 600
"""A server with no command for this long ends (a new one starts with the next command)."""

PATH_MAX = 104
"""The longest path a Unix socket may have, in bytes, less one (Linux allows 108, macOS 104)."""

HEADER = struct.Struct("!I")
STATUS = struct.Struct("!i")
STREAMS = struct.Struct("3i")
"""The standard streams' descriptors as ``SCM_RIGHTS`` carries them."""
FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
"""The signals passed on to the command's process (by name: Windows has only the first two)."""


def delegate(argv: list[str]) -> int | None:
    """Run ``fm ARGV`` in a child of the command server and return its exit status; None when it is to run here
    (and then :func:`start_for_next`)."""
    found = _socket_path(argv)
    if found is None:
        return None
    path, text = found
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    try:
        return _run(connection, argv, text)
    finally:
        connection.close()


def start_for_next(argv: list[str]) -> None:
    """After ``fm ARGV`` ran in this process: start a server for the next commands, if this one could have gone to
    one. Not before it ran: the server's start (2–3 CPU-seconds of imports) beside the command made it slower (an
    import of 100,000 assets into PostgreSQL by 0.8 and 1.4 s of 7-8.5 s, the medians of two series of six pairs:
    bench/README.md), and a user's first command is the one they wait for."""
    found = _socket_path(argv)
    if found is not None:
        start_server(found[0])


def _socket_path(argv: list[str]) -> tuple[str, str] | None:
    """The socket of the servers of this fm, and its :func:`identity`; None when ``fm ARGV`` is to run here."""
    if not _wanted(argv):
        return None
    folder = socket_folder()
    if folder is None:
        return None
    text = identity()
    path = os.path.join(folder, f"{fingerprint(text)}.sock")
    return None if len(os.fsencode(path)) >= PATH_MAX else (path, text)


def _wanted(argv: list[str]) -> bool:
    """Whether this command may go to the server: switched on, POSIX, not a command that must run here."""
    setting = os.environ.get(SWITCH, "").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting not in ("", "1", "true", "yes", "on"):
        sys.exit(f"Error: {SWITCH} must be 1 or 0 (true/false, yes/no, on/off), got {os.environ[SWITCH]!r}")
    if os.name != "posix" or not hasattr(_socket, "AF_UNIX"):
        return False
    return _command(argv) not in IN_PROCESS and all(_is_open(fd) for fd in (0, 1, 2))


def _command(argv: list[str]) -> str | None:
    """The command's name: the first argument that is not an option of ``fm`` itself (nor ``--database-url``'s
    value)."""
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--database-url":
            next(arguments, None)
        elif not argument.startswith("-"):
            return argument
    return None


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def socket_folder() -> str | None:
    """The folder of the servers' sockets, only this user's (``$XDG_RUNTIME_DIR/fm``, else ``/tmp/fm-UID``, made
    with mode 0700); None (no server) when it is anybody else's or open to others."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = os.path.join(runtime, "fm") if runtime else os.path.join("/tmp", f"fm-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    found = os.lstat(folder)
    private = found.st_uid == os.getuid() and found.st_mode & 0o077 == 0
    return folder if private and os.path.isdir(folder) and not os.path.islink(folder) else None


def fingerprint(text: str | None = None) -> str:
    """The name of the socket of the servers of :func:`identity` (``text``): a checksum, not a secure hash
    (``hashlib`` loads OpenSSL, a tenth of this client's CPU); two fm sharing a name are told apart by the server,
    which compares the identity itself and refuses another's command (it then runs in its own process)."""
    data = (identity() if text is None else text).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def start_server(path: str) -> None:
    """Start a server at ``path`` for the next commands, detached (its own session, no terminal, no output), and
    return at once: this command runs here meanwhile. Not when one is starting already (it holds the lock)."""
    devnull = os.POSIX_SPAWN_OPEN if hasattr(os, "POSIX_SPAWN_OPEN") else None
    if devnull is None or (lock := server_lock(path)) is None:
        return
    os.close(lock)  # for the server to take
    command = [sys.executable, "-P", "-m", "fm.cli.commandserver", path, "--idle", str(IDLE_SECONDS)]
    actions = [(devnull, 0, os.devnull, os.O_RDWR, 0), (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)]
    try:
        os.posix_spawn(sys.executable, command, os.environ, file_actions=actions, setsid=True)
    except OSError:
        pass  # no server then: every command runs in its own process, as without one


def server_lock(path: str) -> int | None:
    """The lock the server at ``path`` holds for its whole life (an open descriptor), or None when another process
    holds it: a server is starting or running there."""
    import fcntl  # POSIX only, as the server

    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _run(connection: _socket.socket, argv: list[str], text: str) -> int | None:
    """Send the command, pass signals on to its process while it runs, return its exit status (None: the server
    refused it before running anything). The request is :mod:`marshal`'s: the server runs the same Python (it is
    in the identity), and only this user reaches it."""
    mask = os.umask(0)
    os.umask(mask)
    request = marshal.dumps(
        {
            "identity": text,
            "argv": argv,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "umask": mask,
            "streams": [[stream.encoding, stream.errors] for stream in (sys.stdin, sys.stdout, sys.stderr)],
        }
    )
    message = HEADER.pack(len(request)) + request
    try:  # the descriptors go with the message's first bytes
        sent = connection.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, STREAMS.pack(0, 1, 2))])
        if sent < len(message):  # never an empty send: the child may have run the command and closed by now (EPIPE)
            connection.sendall(message[sent:])
        answer = receive(connection, STATUS.size)
    except OSError:
        return None
    if answer is None or (child := STATUS.unpack(answer)[0]) <= 0:
        return None  # refused (another fm) or gone before starting the command: nothing ran
    passed: list[int] = []

    def pass_on(number: int, frame: object) -> None:
        passed.append(number)
        _send(child, number)

    def suspend(number: int, frame: object) -> None:
        """Ctrl-Z: stop the child (SIGSTOP: its process group is orphaned, a SIGTSTP would be discarded), then
        this process as the shell expects; on ``fg`` (SIGCONT) go on from here and let the child go on."""
        _send(child, _signal.SIGSTOP)
        _signal.signal(number, _signal.SIG_DFL)
        os.kill(os.getpid(), number)
        _signal.signal(number, suspend)
        _send(child, _signal.SIGCONT)

    for name in FORWARDED:
        _signal.signal(getattr(_signal, name), pass_on)
    if hasattr(_signal, "SIGTSTP"):
        _signal.signal(_signal.SIGTSTP, suspend)
    try:
        status = receive(connection, STATUS.size)
    except OSError:
        status = None
    if status is not None:
        return STATUS.unpack(status)[0]
    if passed:  # the child was ended by the signal this process received: end the same way
        _signal.signal(passed[-1], _signal.SIG_DFL)
        os.kill(os.getpid(), passed[-1])
    print("Error: the command's process ended without an exit status (killed?)", file=sys.stderr)
    return 1


def _send(pid: int, number: int) -> None:
    """Send ``number`` to the command's process, unless it has just ended (its status is on its way)."""
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


def receive(connection: _socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None when the other side closed first."""
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
