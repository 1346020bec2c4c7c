"""The geometry column type: PostGIS ``geometry(<type>, 4326)`` on PostgreSQL, EWKB on SQLite.

Model attributes hold shapely geometries on both backends. On PostgreSQL the column
is GeoAlchemy2's ``Geometry`` (values travel as EWKB through ``ST_GeomFromEWKT`` /
``ST_AsEWKB``). On SQLite, which has no spatial types without SpatiaLite, the same
EWKB bytes (SRID 4326 included) go into a BLOB; window queries use an R*Tree kept
by triggers (see :mod:`fm.db.sqlite`).

Values are checked on the way in, on both backends alike: a geometry must be a
shapely geometry of the column's type (a Polygon is promoted to MultiPolygon for a
MULTIPOLYGON column), not empty, with finite longitude/latitude in range.

GeoAlchemy2 is imported when a PostgreSQL engine is made (fm.db.create_engine) and by the migrations, whose
DDL and reflection need its events, not by this module: a command on SQLite that only reads and writes rows
(``fm score``) does without its import (a sixth of a second or more).
"""

from __future__ import annotations

import math
from typing import Any

import shapely
from sqlalchemy.engine import Dialect
from sqlalchemy.types import LargeBinary, TypeDecorator, TypeEngine

from fm.errors import ValidationError

SRID = 4326
GEOMETRY_TYPES = ("GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOLYGON")


class Geometry(TypeDecorator):
    """A geometry column in EPSG:4326 that reads and writes shapely geometries."""

    impl = LargeBinary
    cache_ok = True
    # Read by GeoAlchemy2's DDL events, which see this type through the TypeDecorator:
    # fm declares its GiST indexes itself, in the model and the migrations.
    spatial_index = False
    srid = SRID

    def __init__(self, geometry_type: str = "GEOMETRY") -> None:
        super().__init__()
        if geometry_type not in GEOMETRY_TYPES:
            raise ValueError(f"geometry_type must be one of {GEOMETRY_TYPES}, got {geometry_type!r}")
        self.geometry_type = geometry_type

    def __repr__(self) -> str:
        return f"Geometry({self.geometry_type!r})"

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        # GeoAlchemy2's DDL events call this with dialect=None to ask "is this spatial?".
        if dialect is None or dialect.name == "postgresql":
            from geoalchemy2 import Geometry as PostGISGeometry

            return PostGISGeometry(self.geometry_type, srid=SRID, spatial_index=False)
        return LargeBinary()

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        ewkb = shapely.to_wkb(shapely.set_srid(self.check(value), SRID), include_srid=True)
        if dialect.name == "postgresql":
            from geoalchemy2 import WKBElement

            return WKBElement(ewkb, srid=SRID, extended=True)
        return ewkb

    def process_result_value(self, value: Any, dialect: Dialect) -> shapely.Geometry | None:
        if value is None:
            return None
        data = value.data if dialect.name == "postgresql" else value  # GeoAlchemy2's WKBElement there
        return shapely.from_wkb(bytes(data) if isinstance(data, memoryview) else data)

    def check(self, value: Any) -> shapely.Geometry:
        """Return ``value`` fit for this column, or raise ValidationError saying what is wrong."""
        if not isinstance(value, shapely.Geometry):
            raise ValidationError(f"geometry must be a shapely geometry, got {type(value).__name__}")
        srid = shapely.get_srid(value)
        if srid not in (0, SRID):
            raise ValidationError(f"geometry has SRID {srid}; fm stores EPSG:{SRID} (reproject first)")
        if value.is_empty:
            raise ValidationError("geometry is empty")
        if self.geometry_type == "MULTIPOLYGON" and value.geom_type == "Polygon":
            value = shapely.MultiPolygon([value])
        if self.geometry_type != "GEOMETRY" and value.geom_type.upper() != self.geometry_type:
            raise ValidationError(f"geometry is a {value.geom_type}; this column holds {self.geometry_type}")
        if not all(map(math.isfinite, value.bounds)):
            raise ValidationError("geometry has non-finite coordinates")
        minx, miny, maxx, maxy = value.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValidationError(
                f"geometry bounds ({minx:g}, {miny:g}, {maxx:g}, {maxy:g}) are not longitude/latitude in EPSG:{SRID}"
            )
        return value
