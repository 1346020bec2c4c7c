"""The demo register on disk: one UTF-8 CSV file a table, geometry as WKT in EPSG:4326.

CSV keeps the shipped data readable, diffable and byte-for-byte reproducible; the
loader reads it in chunks, converting each column by the database column's type.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely
import sqlalchemy as sa

from fm.model import metadata
from fm.resources import resource_path


def demo_folder() -> Path:
    """The shipped Kamakura demo register."""
    return resource_path("geodata") / "kamakura"


def reference_folder() -> Path:
    """The real reference data the generator builds on (in a source checkout)."""
    return resource_path("geodata") / "reference"


TABLES = (  # in the order they can be loaded (foreign keys first)
    "districts",
    "network_lines",
    "assets",
    "inspections",
    "work_orders",
    "traffic_restrictions",
    "individual_plans",
    "plan_assets",
    "plan_works",
    "plan_budget_items",
    "land_parcels",
    "parcel_uses",
    "services",
    "service_buildings",
    "service_usage",
    "district_population",
    "indicator_targets",
)


def write_table(frame: pd.DataFrame, path: Path, *, append: bool = False) -> None:
    """Write table ``path.stem``: geometry as WKT (1e-9°), dates ISO, booleans true/false, ``\\n`` line ends."""
    table = metadata.tables[path.stem]
    unknown = set(frame.columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{path.stem}: columns {sorted(unknown)} are not in the table")
    out = frame[[c for c in table.c.keys() if c in frame.columns]].copy()
    for column in out.columns:
        if isinstance(table.c[column].type, sa.Integer):
            out[column] = out[column].astype("Int64")
    if "geom" in out.columns:
        out["geom"] = shapely.to_wkt(out["geom"].to_numpy(), rounding_precision=9, trim=True)
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "true", False: "false"})
    out.to_csv(path, index=False, lineterminator="\n", mode="a" if append else "w", header=not append)


def write(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write every table of ``tables`` into ``folder`` as ``<table>.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name in tables:
            write_table(tables[name], folder / f"{name}.csv")
