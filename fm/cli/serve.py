"""`fm serve`: the web app and the JSON API, on every core.

With ``--workers`` above 1 (the default: one per core) the app is served by **gunicorn**: a master
process that forks that many workers, each answering on ``--threads`` threads (gunicorn's ``gthread``
workers) from one listening socket, and starts a new one if a worker dies. Each worker builds the app
(its own database engine and connections, its own kept figures) after the fork, so no SQLite or
PostgreSQL connection is ever shared between processes; the session-signing key is settled once in the
master, so a person signed in on one worker is signed in on all. With ``--workers 1``, or where gunicorn
does not run (Windows), one waitress process serves with ``--threads`` threads, as before.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
from typing import Any

import click

from fm.cli.context import open_database
from fm.config import Config

ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms worker %(p)s'
"""One line per request on stdout with ``--access-log``: address, request line, status, bytes, milliseconds,
and the pid of the process that answered."""


def default_workers() -> int:
    """One worker per core this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def gunicorn_available() -> bool:
    """Whether gunicorn can serve here (installed, and not on Windows, where it does not run)."""
    if sys.platform == "win32":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes serving requests (gunicorn; Linux and macOS) [default: one per core of this machine]. "
    "1: one waitress process.",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Threads per process.")
@click.option("--access-log", is_flag=True, help="One line per request on stdout (with the worker's pid).")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader and debugger.")
@click.option(
    "--figures-wait",
    type=click.FloatRange(0, 3600),
    default=None,
    help="Seconds the landing page and the dashboard wait for figures recomputed after a write before showing "
    "the earlier ones, with their time, while the new ones are computed [default: FM_FIGURES_WAIT, else 0.1].",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    access_log: bool,
    debug: bool,
    figures_wait: float | None,
) -> None:
    """Serve the web app and the JSON API (gunicorn with one worker per core, else waitress; --debug for
    Flask's server)."""
    open_database(ctx).dispose()  # checked once, and closed before any fork
    wait = figures_wait if figures_wait is not None else ctx.obj.figures_wait
    # the key settled here, once: every worker signs and reads sessions with it
    config = dataclasses.replace(
        ctx.obj, figures_wait=0.1 if wait is None else wait, secret_key=ctx.obj.resolved_secret_key()
    )
    _log_token_use()
    count = default_workers() if workers is None else workers
    if debug:
        click.echo(f"fm serving on http://{host}:{port}/ (Flask's development server; Ctrl+C to stop)")
        _app(config, threads).run(host=host, port=port, debug=True)
    elif count > 1 and gunicorn_available():
        click.echo(f"fm serving on http://{host}:{port}/ with {count} workers × {threads} threads (Ctrl+C to stop)")
        _run_gunicorn(config, threads, _options(host, port, count, threads, access_log))
    else:
        if count > 1:
            click.echo("gunicorn is not available here (Windows?): one process serves", err=True)
        click.echo(f"fm serving on http://{host}:{port}/ with {threads} threads (Ctrl+C to stop)")
        import waitress

        app = _app(config, threads)
        if access_log:
            app.wsgi_app = _AccessLog(app.wsgi_app)  # type: ignore[method-assign]
        waitress.serve(app, host=host, port=port, threads=threads, ident="fm")


def _app(config: Config, threads: int) -> Any:
    """The app of this process, answering on ``threads`` threads, with the first pages' figures computed in the
    background."""
    from fm.app import snapshots
    from fm.web import create_app

    app = create_app(config, threads=threads)
    snapshots.settle()  # the app's own objects out of the collector's passes, before the first figures are computed
    threading.Thread(target=_first_pages, args=(app,), name="fm-first-pages", daemon=True).start()
    return app


def _options(host: str, port: int, workers: int, threads: int, access_log: bool) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # a worker busy computing the landing page's figures after a start or a write still answers its
        # heartbeat from its main thread; this only catches one stuck for minutes
        "timeout": 300,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-" if access_log else None,
        "access_log_format": ACCESS_FORMAT,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "fm",
        "preload_app": False,  # the app (and its database engine) is built in each worker, after the fork
    }


def _run_gunicorn(config: Config, threads: int, options: dict[str, Any]) -> None:
    """gunicorn run from Python: its ``load`` runs in each worker after the fork and builds the app there."""
    from gunicorn.app.base import BaseApplication

    import fm.web  # noqa: F401  (imported once in the master: the workers inherit the loaded modules)

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return _app(config, threads)

    Server().run()


class _AccessLog:
    """waitress's access log (it has none): one line per request on stdout, in :data:`ACCESS_FORMAT`'s words."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        import time

        started = time.perf_counter()
        answered: list[str] = []

        def start(status: str, headers: Any, *rest: Any) -> Any:
            answered.append(status.split(" ", 1)[0])
            return start_response(status, headers, *rest)

        try:
            return self.app(environ, start)
        finally:
            line = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            milliseconds = round(1000 * (time.perf_counter() - started))
            status = answered[0] if answered else "-"
            print(
                f'{environ.get("REMOTE_ADDR")} "{line}" {status} - {milliseconds}ms worker {os.getpid()}',
                file=sys.stdout,
                flush=True,
            )


def _log_token_use() -> None:
    """Each request made with an API token, one line on stderr (who, which token, what, from where)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("fm.tokens")
    log.setLevel(logging.INFO)
    log.addHandler(handler)


def _first_pages(app) -> None:
    """Read or compute the figures of the pages people open first while the server starts listening: the landing
    page's, the dashboard's and the schedule's first (read in milliseconds when kept in the database, else a few
    seconds at 100,000 assets), then the risk map's points (about a second), then its feature texts at the zoom
    levels where its viewports hold features (a few seconds)."""
    from fm.app import home, maps, snapshots

    try:
        with app.extensions["fm.database"].session() as session:
            home.first_pages(session)
            maps.kept_points(session, "risk")
            maps.warm_features(session, "risk")
        snapshots.settle()  # no pause of the garbage collector over all this inside a request
    except Exception as error:  # the pages compute them again when asked; say why they were not ready
        logging.getLogger("fm.serve").warning("the first pages' figures were not computed in advance: %r", error)
