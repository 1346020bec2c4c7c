"""Figures from before the latest write: each request says how long it waits for new ones, and a page that
was served earlier ones says so, with their time (see fm/app/snapshots.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from fm.app import snapshots
from fm.config import Config


def init_app(app: Flask, config: Config) -> None:
    """Set each request's patience from ``config.figures_wait``; templates get ``figures_from``."""

    @app.before_request
    def patience() -> None:
        snapshots.start_request(config.figures_wait)

    @app.context_processor
    def stale() -> dict[str, Any]:
        return {"figures_from": snapshots.served_stale()}
