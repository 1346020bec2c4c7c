"""Lines that make an asset critical: emergency transport roads (緊急輸送道路) and railways."""

from __future__ import annotations

import sqlalchemy as sa
from shapely import Geometry as ShapelyGeometry
from sqlalchemy.orm import Mapped, mapped_column

from fm.db.types import Geometry
from fm.model.base import Base, one_of

NETWORK_KINDS = ("emergency_road", "railway")


class NetworkLine(Base):
    """A line of a network that bridges may be on or over; found by spatial join, not typed in."""

    __tablename__ = "network_lines"
    __table_args__ = (
        one_of("kind", NETWORK_KINDS),
        sa.Index("ix_network_lines_geom", "geom", postgresql_using="gist").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    geom: Mapped[ShapelyGeometry] = mapped_column(Geometry("GEOMETRY"))
