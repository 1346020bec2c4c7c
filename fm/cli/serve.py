"""`fm serve`: the web app and the JSON API."""

from __future__ import annotations

import dataclasses
import logging
import threading

import click

from fm.cli.context import open_database


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader and debugger.")
@click.option(
    "--figures-wait",
    type=click.FloatRange(0, 3600),
    default=None,
    help="Seconds the landing page and the dashboard wait for figures recomputed after a write before showing "
    "the earlier ones, with their time, while the new ones are computed [default: FM_FIGURES_WAIT, else 0.1].",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, debug: bool, figures_wait: float | None) -> None:
    """Serve the web app and the JSON API (waitress; --debug for Flask's server)."""
    from fm.web import create_app

    open_database(ctx).dispose()
    wait = figures_wait if figures_wait is not None else ctx.obj.figures_wait
    app = create_app(dataclasses.replace(ctx.obj, figures_wait=0.1 if wait is None else wait))
    _log_token_use()
    from fm.app import snapshots

    snapshots.settle()  # the app's own objects out of the collector's passes, before the first figures are computed
    threading.Thread(target=_first_pages, args=(app,), name="fm-first-pages", daemon=True).start()
    click.echo(f"fm serving on http://{host}:{port}/ (Ctrl+C to stop)")
    if debug:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, ident="fm")


def _log_token_use() -> None:
    """Each request made with an API token, one line on stderr (who, which token, what, from where)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("fm.tokens")
    log.setLevel(logging.INFO)
    log.addHandler(handler)


def _first_pages(app) -> None:
    """Compute the figures of the pages people open first while the server starts listening."""
    from fm.app import home, snapshots

    try:
        with app.extensions["fm.database"].session() as session:
            home.first_pages(session)
        snapshots.settle()  # no pause of the garbage collector over all this inside a request
    except Exception as error:  # the pages compute them again when asked; say why they were not ready
        logging.getLogger("fm.serve").warning("the first pages' figures were not computed in advance: %r", error)
