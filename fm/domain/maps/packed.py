"""A compact encoding of a map's features for a standalone file: what ``fm-map.js`` draws on one canvas.

GeoJSON text spends most of its bytes on keys, brackets and decimal digits, and a browser turns it back
into an object per feature and per coordinate: at 100,000 assets a 56 MB file that took seconds to draw.
Here instead:

- **geometry** as typed arrays, gzip-compressed and base64-encoded: coordinates quantised to 1e-6°
  (about 0.1 m, as :data:`fm.domain.maps.geojson.DECIMALS`) as ``Int32`` offsets from the south-west
  corner; each feature's paths (a point, a line, a polygon's rings) as offsets into them;
- **attributes** (code, category, class) and the **cards** of the popups column by column (one list per
  field, not one object per feature; a field with few distinct texts as those texts and an index each;
  reasons and planned work as offsets into one flat list), as JSON, gzip-compressed and base64-encoded;
  the codes apart from the cards, which a browser reads only once the map is drawn.

The browser decompresses them with its own ``DecompressionStream`` and finds a feature's card by its index.
:func:`unpack` reads it back (tests, benchmarks).
"""

from __future__ import annotations

import base64
import gzip
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

SCALE = 1_000_000
"""Units per degree of the quantised coordinates (1e-6°)."""
ARRAYS = (
    ("category", "uint8"),
    ("class", "uint8"),
    ("kind", "uint8"),
    ("feature_paths", "uint32"),
    ("path_vertices", "uint32"),
    ("x", "int32"),
    ("y", "int32"),
)
"""The binary arrays, in the order they are packed; each starts at a multiple of 4 bytes."""
KINDS = {0: 0, 4: 0, 1: 1, 2: 1, 5: 1, 3: 2, 6: 2}
"""shapely's type ids → 0 point, 1 line, 2 area."""
_KIND_OF_TYPE = np.array([KINDS.get(t, 255) for t in range(8)], dtype=np.uint8)
LEVEL = 3
"""gzip level: nearly the size of level 9 at a fraction of its time."""


def pack(
    frame: gpd.GeoDataFrame, *, categories: list[str], classes: list[str], cards: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``frame`` (code, category, class; geometry in lon/lat) as a packed layer, with the features' ``cards``
    column by column (:func:`fm.domain.cards.card_columns`, in the frame's order) if given.

    Examples
    --------
    >>> frame = gpd.GeoDataFrame({"code": ["B-1", "R-1"], "category": ["bridge", "road"],
    ...     "class": ["high", "low"]}, geometry=[shapely.Point(139.55, 35.31),
    ...     shapely.LineString([(139.5, 35.3), (139.5000014, 35.3)])], crs=4326)
    >>> packed = pack(frame, categories=["bridge", "road"], classes=["high", "low"])
    >>> back = unpack(packed)
    >>> back["code"], back["x"].tolist(), back["path_vertices"].tolist()
    (['B-1', 'R-1'], [50000, 0, 1], [0, 1, 3])
    """
    geoms = frame.geometry.to_numpy()
    count = len(geoms)
    parts, part_of = _parts(geoms)
    areas = shapely.get_type_id(parts) == 3
    rings, ring_of = shapely.get_rings(parts[areas], return_index=True)
    paths = np.concatenate([parts[~areas], rings])
    path_of = np.concatenate([part_of[~areas], part_of[areas][ring_of]])
    order = np.argsort(path_of, kind="stable")
    paths, path_of = paths[order], path_of[order]
    coords, vertex_of = shapely.get_coordinates(paths, return_index=True)
    west, south = np.floor(coords.min(axis=0) * SCALE).astype(np.int64) if len(coords) else np.zeros(2, np.int64)
    arrays = {
        "category": _codes(frame["category"], categories),
        "class": _codes(frame["class"], classes),
        "kind": _KIND_OF_TYPE[shapely.get_type_id(geoms)],
        "feature_paths": _offsets(path_of, count),
        "path_vertices": _offsets(vertex_of, len(paths)),
        "x": (np.round(coords[:, 0] * SCALE).astype(np.int64) - west).astype(np.int32),
        "y": (np.round(coords[:, 1] * SCALE).astype(np.int64) - south).astype(np.int32),
    }
    layout, chunks, offset = {}, [], 0
    for name, dtype in ARRAYS:
        data = arrays[name].astype(dtype).tobytes()
        layout[name] = [dtype, offset, len(arrays[name])]
        padded = data + b"\0" * (-len(data) % 4)
        chunks.append(padded)
        offset += len(padded)
    codes = frame["code"].astype(str).tolist()
    # zlib lets go of the interpreter while it compresses: the geometry and the codes are compressed on another
    # core while this one writes the cards' JSON (about a third of the packing's time at 100,000 assets).
    with ThreadPoolExecutor(max_workers=2) as pool:
        geometry = pool.submit(_squeeze, b"".join(chunks))
        coded = pool.submit(_squeeze, _json(codes))
        # Apart: a browser draws the map first and reads the cards (most of the bytes) when it has time.
        squeezed = {"cards": _squeeze(_json({k: _encoded(c) for k, c in cards.items()}))} if cards is not None else {}
        return {
            "count": count,
            "origin": [int(west), int(south)],
            "scale": SCALE,
            "categories": list(categories),
            "classes": list(classes),
            "layout": layout,
            "geometry": geometry.result(),
            "codes": coded.result(),
            **squeezed,
        }


def unpack(packed: dict[str, Any]) -> dict[str, Any]:
    """:func:`pack`'s arrays (numpy), ``code``, ``category`` and ``class`` per feature, and ``card`` (dicts)."""
    data = gzip.decompress(base64.b64decode(packed["geometry"]))
    out: dict[str, Any] = {
        name: np.frombuffer(data, dtype=dtype, count=length, offset=offset)
        for name, (dtype, offset, length) in packed["layout"].items()
    }
    out["code"] = json.loads(gzip.decompress(base64.b64decode(packed["codes"])))
    out["categories"] = [packed["categories"][i] for i in out["category"].tolist()]
    out["classes"] = [packed["classes"][i] for i in out["class"].tolist()]
    if "cards" in packed:
        text = json.loads(gzip.decompress(base64.b64decode(packed["cards"])))
        columns = {key: _decoded(column, len(out["code"])) for key, column in text.items()}
        out["card"] = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    return out


def _encoded(column: Any) -> Any:
    """A card column for the file: a list of texts with few distinct values as those values and each card's
    index into them (-1: none); a nested column (offsets and items) as it is."""
    if isinstance(column, dict):
        return column
    codes, values = pd.factorize(pd.Series(column, dtype=object), use_na_sentinel=True)
    if len(values) > len(codes) // 4 or not all(isinstance(v, str) for v in values):
        return column
    return {"values": values.tolist(), "codes": codes.tolist()}


def _decoded(column: Any, count: int) -> list[Any]:
    """:func:`_encoded` read back: one value per card (a list for a nested column)."""
    if isinstance(column, list):
        return column
    if "codes" in column:
        return [None if code < 0 else column["values"][code] for code in column["codes"]]
    offsets, items = column["offsets"], column["items"]
    if isinstance(items, dict):
        items = [dict(zip(items, values, strict=True)) for values in zip(*items.values(), strict=True)]
    return [items[offsets[n] : offsets[n + 1]] for n in range(count)]


def _parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shapely.get_parts` with its index (each part, in order, and the geometry it belongs to), made only of
    the multi-part geometries and collections: a single point, line or polygon is its own part, and copying
    100,000 of them cost most of the packing's geometry time."""
    several = ~np.isin(shapely.get_type_id(geoms), (0, 1, 2, 3))
    alone = np.flatnonzero(~several)
    parts, part_of = shapely.get_parts(geoms[several], return_index=True)
    parts = np.concatenate([geoms[alone], parts])
    part_of = np.concatenate([alone, np.flatnonzero(several)[part_of]])
    order = np.argsort(part_of, kind="stable")
    return parts[order], part_of[order]


def _codes(values: Any, known: list[str]) -> np.ndarray:
    if len(known) > 255:
        raise ValueError("a packed layer holds at most 255 categories or classes")
    codes = pd.Index(known).get_indexer(values)
    if (codes < 0).any():
        raise ValueError(f"not among {known}: {sorted(set(pd.Series(values)[codes < 0]))}")
    return codes.astype(np.uint8)


def _offsets(owner: np.ndarray, count: int) -> np.ndarray:
    """Where each of ``count`` owners' items start (and, last, where they all end), from each item's owner."""
    return np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=count))]).astype(np.uint32)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _squeeze(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, compresslevel=LEVEL, mtime=0)).decode("ascii")
