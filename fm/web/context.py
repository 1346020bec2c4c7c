"""Access to the app's database from a request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from fm.db import Database


def database() -> Database:
    """The Database of the running app."""
    return current_app.extensions["fm.database"]


@contextmanager
def session() -> Iterator[Session]:
    """A session for one request's work (committed at the end of the block)."""
    with database().session() as active:
        yield active
