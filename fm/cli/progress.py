"""The progress bar of long commands (`fm score`, `fm import`, `fm export`, `fm plan`, `fm map`, `fm demo --data`).

click's own progress bar (click is fm's CLI library already: nothing to add), drawn on stderr
and only when stderr is a terminal: piped, redirected or with ``--format json`` a command
prints exactly what it printed before. The use cases say how far they have got through
:func:`fm.progress.report`; the bar shows the stage and the share done, and is cleared when the
command ends (full when the work is done, where it stopped after an error).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from fm import progress


@contextmanager
def progress_bar(label: str, *, enabled: bool = True) -> Iterator[None]:
    """Show the progress the use cases report within the block as a bar labelled ``label`` on stderr,
    when ``enabled`` (pass ``fmt != "json"``) and stderr is a terminal."""
    stream = sys.stderr
    if not enabled or not stream.isatty():
        yield
        return
    bar: Any = None

    def show(what: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(
                length=max(total, 1), label=label, file=stream, show_eta=False, item_show_func=lambda item: item
            )
            bar.__enter__()
        bar.length = max(total, 1)
        if done < bar.pos:  # a new part of the work (fm demo: loading, then scoring) starts the bar again
            bar.pos = 0
        bar.update(min(done, bar.length) - bar.pos, what)
        bar.render_progress()

    try:
        with progress.reporting(show):
            yield
        if bar is not None:  # done: the bar full, with no stage beside it
            bar.update(bar.length - bar.pos, "")
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
