"""Use cases of the register's counts: `fm stats`, `/api/stats` and the home page's figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from fm.domain.stats import asset_counts
from fm.io import store


def asset_stats(session: Session) -> dict[str, Any]:
    """Counts of held assets by category, district, group and status (see :func:`fm.domain.stats.asset_counts`)."""
    assets = store.read_assets(session, columns=("category", "district_id", "status"))
    return asset_counts(assets, store.read_categories(session), store.read_table(session, "districts"))
