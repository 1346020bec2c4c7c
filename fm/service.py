"""Use cases: load records through fm.io, call the domain functions, return plain data.

The web views, the JSON API and the CLI call these and nothing deeper, so the three
always give the same answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fm.io import store
from fm.stats import asset_counts


def asset_stats(session: Session) -> dict[str, Any]:
    """Counts of held assets by category, district, group and status (see :func:`fm.stats.asset_counts`)."""
    assets = store.read_assets(session, columns=("category", "district_id", "status"))
    return asset_counts(assets, store.read_categories(session), store.read_districts(session))
