"""Run the fm command in-process against one database, as a user would from the shell."""

from __future__ import annotations

from click.testing import CliRunner, Result

from fm.cli.group import cli


def run(url: str, *args: str) -> Result:
    """``fm ARGS`` with ``FM_DATABASE_URL=url``; output in ``.output``, ``.stdout`` and ``.stderr``."""
    return CliRunner().invoke(cli, list(args), env={"FM_DATABASE_URL": url}, catch_exceptions=False)
