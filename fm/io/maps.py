"""Reading for the maps: a layer's held assets with their geometry and latest scores in one query."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.io import store
from fm.io.risk import CARD_SCORES
from fm.model import Asset, metadata

LAYER_COLUMNS = ("id", "code", "name", "category", "district_id", "geom")
"""The asset's columns :func:`read_layer` gives, before the scores."""


def read_layer(
    session: Session,
    *,
    run_id: int | None,
    categories: Sequence[str] | None = None,
    districts: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The held assets that have a geometry (of ``categories`` and ``districts`` only, if given), in id order, with
    what a standalone map and its cards show of them, in one query (COPY on PostgreSQL):
    :data:`LAYER_COLUMNS` (geometry as shapely objects in lon/lat), then the risk run ``run_id``'s
    :data:`fm.io.risk.CARD_SCORES` (risk_class and state among them), ``inspected_on`` as ISO text and the asset's
    ``annual_users``; the score columns None where the run did not score the asset (or ``run_id`` is None).

    The same assets, in the same order, as :func:`fm.io.store.read_map_points` with
    :func:`fm.io.store.read_assets` of their geometry, and the same scores as
    :func:`fm.io.risk.read_card_scores`: what a map of 100,000 assets read before in 20-odd queries."""
    assets = Asset.__table__
    scores = metadata.tables["risk_scores"]
    joined = assets.outerjoin(scores, (scores.c.asset_id == assets.c.id) & (scores.c.run_id == run_id))
    query = (
        sa.select(
            *(assets.c[name] for name in LAYER_COLUMNS),
            *(scores.c[name] for name in CARD_SCORES),
            sa.cast(scores.c.inspected_on, sa.String).label("inspected_on"),
            assets.c.annual_users,
        )
        .select_from(joined)
        .where(assets.c.status != "disposed", assets.c.geom.is_not(None))
        .order_by(assets.c.id)
    )
    if categories is not None:
        query = query.where(assets.c.category.in_(list(categories)))
    if districts is not None:
        query = query.where(assets.c.district_id.in_(list(districts)))
    return store.read_query(session, query)
