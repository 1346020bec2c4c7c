"""Export records to a file in the documented column format, ready for QGIS, Excel, or fm import.

Headers are Japanese or English (:mod:`fm.io.columns`); geometry goes out in EPSG:4326
or the CRS asked for. In CSV and Excel, points become ``lon``/``lat`` (``x``/``y`` in a
plane CRS) and other geometries a WKT column, each header stating its EPSG, so that the
file says its own CRS and imports back with no options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from sqlalchemy.orm import Session

from fm import progress
from fm.domain.geo import STORAGE_CRS
from fm.errors import FmError
from fm.io import files, store
from fm.io.columns import COORDINATES, KINDS, Kind, header
from fm.io.coordinates import parse_crs

ASSET_FIELDS = tuple(c.name for c in KINDS["assets"].columns if c.name != "district")


def export_file(
    session: Session,
    kind_name: str,
    path: Path,
    *,
    lang: str = "ja",
    crs: int | None = None,
    categories: tuple[str, ...] = (),
    districts: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write the records of ``kind_name`` (only those of ``categories`` and ``districts``, if given) to ``path``."""
    kind = KINDS.get(kind_name)
    if kind is None or not kind.exportable:
        raise FmError(f"fm exports {', '.join(k for k, v in KINDS.items() if v.exportable)}, not {kind_name}")
    fmt = files.file_format(path)
    target = parse_crs(crs) if crs is not None else CRS.from_user_input(STORAGE_CRS)
    if categories and kind.name in ("parcels", "districts", "services", "service_usage", "population"):
        raise FmError(f"--category does not apply to {kind.name}")
    if districts and kind.name in ("districts", "services", "service_usage"):
        raise FmError("--district does not apply to districts")
    progress.report("reading the records", 0, 3)
    records = _read(session, kind, _known(session, "category", categories), _known(session, "district", districts))
    progress.report("converting", 1, 3)
    out = pd.DataFrame(index=records.index)
    for column in kind.columns:
        values = records[column.name]
        if column.type == "date" and fmt != "Excel":
            values = values.map(lambda d: d.isoformat(), na_action="ignore")
        elif column.type in ("integer", "yen", "soundness"):
            values = values.astype("Int64")
        out[header(column, lang)] = values
    if kind.geometry:
        geometry = gpd.GeoSeries(records["geom"], crs=STORAGE_CRS).to_crs(target)
        if fmt in files.SPATIAL.values():
            out = gpd.GeoDataFrame(out, geometry=geometry.rename("geometry"), crs=target)
        else:
            out = _coordinate_columns(out, geometry, target, lang)
    progress.report("writing the file", 2, 3)
    files.write(out.reset_index(drop=True), path, layer=kind.name)
    return {
        "kind": kind.name,
        "file": str(path),
        "format": fmt,
        "records": len(out),
        "crs": f"EPSG:{target.to_epsg()}" if kind.geometry else None,
        "lang": lang,
    }


def _known(session: Session, what: str, given: tuple[str, ...]) -> tuple[str, ...]:
    if not given:
        return ()
    known = set(
        store.read_categories(session)["code"]
        if what == "category"
        else store.read_table(session, "districts", ["code"])["code"]
    )
    unknown = sorted(set(given) - known)
    if unknown:
        raise FmError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}")
    return given


def _read(session: Session, kind: Kind, categories: tuple[str, ...], districts: tuple[str, ...]) -> pd.DataFrame:
    """The records of ``kind`` under the file's field names, codes in place of ids, ordered by key."""
    district_codes = store.read_table(session, "districts", ["id", "code"]).set_index("id")["code"]
    assets = store.read_assets(session, columns=("code", "category", "district_id"))
    assets["district"] = assets["district_id"].map(district_codes)
    chosen = assets[
        (assets["category"].isin(categories) | (not categories))
        & (assets["district"].isin(districts) | (not districts))
    ]
    if kind.name == "assets":
        frame = pd.DataFrame(store.read_assets(session, columns=("id", *ASSET_FIELDS, "district_id", "geom")))
        frame = frame[frame["id"].isin(chosen["id"])]
        frame["district"] = frame["district_id"].map(district_codes)
    elif kind.name in ("inspections", "work_orders"):
        frame = store.read_table(session, kind.name)
        frame = frame[frame["asset_id"].isin(chosen["id"])]
        frame["asset_code"] = frame["asset_id"].map(assets.set_index("id")["code"])
    elif kind.name == "parcels":
        frame = pd.DataFrame(store.read_table(session, "land_parcels"))
        frame["district"] = frame["district_id"].map(district_codes)
        frame = frame[frame["district"].isin(districts)] if districts else frame
        uses = (
            store.read_table(session, "parcel_uses").sort_values("valid_from").drop_duplicates("parcel_id", keep="last")
        )
        frame = frame.merge(
            uses.rename(columns={"id": "use_id", "valid_from": "use_since"}),
            how="left",
            left_on="id",
            right_on="parcel_id",
        )
    elif kind.name in ("services", "service_buildings", "service_usage"):
        frame = pd.DataFrame(store.read_table(session, kind.name))
        if "service_id" in frame.columns:
            services = store.read_table(session, "services", ["id", "code"]).set_index("id")["code"]
            frame["service_code"] = frame["service_id"].map(services)
        if "asset_id" in frame.columns:
            frame = frame[frame["asset_id"].isin(chosen["id"])]
            frame["asset_code"] = frame["asset_id"].map(assets.set_index("id")["code"])
    elif kind.name == "population":
        frame = pd.DataFrame(store.read_table(session, "district_population"))
        frame["district"] = frame["district_id"].map(district_codes)
        frame = frame[frame["district"].isin(districts)] if districts else frame
    else:
        frame = pd.DataFrame(store.read_table(session, "districts"))
    frame = frame.astype({c: object for c in frame.columns if c != "geom"})
    return frame.where(frame.notna(), None).sort_values(list(kind.key)).reset_index(drop=True)


def _coordinate_columns(out: pd.DataFrame, geometry: gpd.GeoSeries, target: CRS, lang: str) -> pd.DataFrame:
    """Points as two number columns, anything else as WKT; headers state the EPSG."""
    epsg = target.to_epsg()
    coordinates = {c.name: c for c in COORDINATES}
    values = geometry.to_numpy(dtype=object)
    present = ~shapely.is_missing(values)
    if present.any() and (shapely.get_type_id(values[present]) == 0).all():
        x_name, y_name = ("lon", "lat") if target.is_geographic else ("x", "y")
        out[header(coordinates[x_name], lang, epsg)] = shapely.get_x(values)
        out[header(coordinates[y_name], lang, epsg)] = shapely.get_y(values)
    else:
        text = shapely.to_wkt(values, rounding_precision=9 if target.is_geographic else 4, trim=True)
        out[header(coordinates["wkt"], lang, epsg)] = text
    return out
