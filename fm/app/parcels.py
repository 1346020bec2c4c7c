"""Use cases of the parcel page: a land parcel, its area in m² (EPSG:6677, never stored) and its use history."""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fm.domain.geo import STORAGE_CRS, area_m2
from fm.errors import NotFound
from fm.model import metadata


def _rows(session: Session, query: sa.Select) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(query).mappings()]


def parcel_page(session: Session, code: str) -> dict[str, Any]:
    """The parcel ``code``: ``parcel`` (attributes, district names, ``area_m2``), ``uses`` (oldest first,
    each with ``valid_to``, the day the next one starts) and ``geometry`` (a GeoSeries for the map)."""
    parcels, districts, uses = (metadata.tables[n] for n in ("land_parcels", "districts", "parcel_uses"))
    query = (
        sa.select(
            parcels,
            districts.c.code.label("district"),
            districts.c.name.label("district_name"),
            districts.c.name_en.label("district_name_en"),
        )
        .outerjoin(districts, districts.c.id == parcels.c.district_id)
        .where(parcels.c.code == code)
    )
    found = _rows(session, query)
    if not found:
        raise NotFound(f"no land parcel with code {code!r}")
    parcel = found[0]
    geometry = gpd.GeoSeries([parcel.pop("geom")], crs=STORAGE_CRS)
    parcel["area_m2"] = float(area_m2(geometry).iloc[0])
    history = _rows(
        session,
        sa.select(uses.c.valid_from, uses.c.current_use, uses.c.utilisation)
        .where(uses.c.parcel_id == parcel["id"])
        .order_by(uses.c.valid_from),
    )
    for use, following in itertools.pairwise([*history, None]):
        use["valid_to"] = following["valid_from"] if following else None
    return {"parcel": parcel, "uses": history, "geometry": geometry}
