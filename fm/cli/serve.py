"""`fm serve`: the web app and the JSON API."""

from __future__ import annotations

import logging

import click

from fm.cli.context import open_database


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader and debugger.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, debug: bool) -> None:
    """Serve the web app and the JSON API (waitress; --debug for Flask's server)."""
    from fm.web import create_app

    open_database(ctx).dispose()
    app = create_app(ctx.obj)
    _log_token_use()
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
