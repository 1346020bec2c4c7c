"""Generate the Kamakura demo register: deterministic, shaped on the city's published figures.

Real ground: Kamakura's boundary (国土数値情報 N03) and its public facilities with
coordinates, from ``geodata/reference/``. Everything else is synthetic, made inside
the boundary with a seeded random generator, so the same seed gives the same bytes.
The records are then calibrated so that the indicator functions of :mod:`fm.domain.kpi`,
run on them, give the figures the city has published (:data:`PUBLISHED`); the
figures are never stored, only the records that produce them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from fm.demo import places
from fm.domain.fiscal import fiscal_year_start
from fm.domain.geo import PLANE_CRS, STORAGE_CRS

SEED = 20250401
FIRST_FY, LAST_FY = 2014, 2025
PUBLISHED = {  # indicator: (fiscal year, published value)
    "plan_coverage": (2025, 52.3),
    "underused_land": (2025, 9039.08),
    "aging_ratio": (2024, 67.7),
    "execution_rate": (2024, 48.0),
}
TOTAL_FLOOR_AREA = 400_000.0  # m², the city's own figure for its ~230 buildings
BUILDINGS = 230
INFRASTRUCTURE = {
    "bridge": 150,
    "tunnel": 6,
    "road": 800,
    "sewer_pipe": 3000,
    "river": 24,
    "retention_pond": 15,
    "park": 85,
}

_TO_STORAGE = Transformer.from_crs(PLANE_CRS, STORAGE_CRS, always_xy=True)
_TO_PLANE = Transformer.from_crs(STORAGE_CRS, PLANE_CRS, always_xy=True)


@dataclass
class Ground:
    """The real ground the generator builds on, in EPSG:6677."""

    boundary: shapely.Geometry
    facilities: pd.DataFrame  # reference facilities with x, y in EPSG:6677
    districts: gpd.GeoDataFrame  # code, name, name_en, geometry (EPSG:6677)
    network: gpd.GeoDataFrame  # kind, name, geometry (EPSG:6677), clipped to the boundary


# ---------------------------------------------------------------- geometry helpers


def to_storage(geoms: np.ndarray) -> np.ndarray:
    """EPSG:6677 → EPSG:4326, rounded to 1e-9° (0.1 mm) exactly as the CSV files store it."""
    lonlat = shapely.transform(geoms, lambda xy: np.column_stack(_TO_STORAGE.transform(xy[:, 0], xy[:, 1])))
    return shapely.from_wkt(shapely.to_wkt(lonlat, rounding_precision=9, trim=True))


def _sample_points(rng: np.random.Generator, n: int, area: shapely.Geometry) -> np.ndarray:
    """``n`` uniform points inside ``area`` (EPSG:6677), as an (n, 2) array."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    found = np.empty((0, 2))
    while len(found) < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * n, 64), 2))
        found = np.vstack([found, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return found[:n]


def _segments(rng, n, area, length_range) -> np.ndarray:
    """``n`` straight segments inside ``area`` with lengths in ``length_range`` (m)."""
    lines = []
    while len(lines) < n:
        start = _sample_points(rng, n, area)
        angle = rng.uniform(0, 2 * np.pi, n)
        length = rng.uniform(*length_range, n)
        end = start + np.column_stack([np.cos(angle), np.sin(angle)]) * length[:, None]
        inside = shapely.contains_xy(area, end[:, 0], end[:, 1])
        lines += list(shapely.linestrings(np.stack([start, end], axis=1)[inside]))
    return np.array(lines[:n], dtype=object)


def _rectangles(rng, centres: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Rotated rectangles of the given areas (m²) around ``centres`` (EPSG:6677)."""
    aspect = rng.uniform(0.5, 2.0, len(areas))
    width, height = np.sqrt(areas * aspect), np.sqrt(areas / aspect)
    boxes = shapely.box(-width / 2, -height / 2, width / 2, height / 2)
    angles = rng.uniform(0, np.pi, len(areas))
    out = []
    for geom, angle, (x, y) in zip(boxes, angles, centres, strict=True):
        c, s = np.cos(angle), np.sin(angle)
        out.append(shapely.transform(geom, lambda xy, c=c, s=s, x=x, y=y: xy @ np.array([[c, s], [-s, c]]) + (x, y)))
    return np.array(out, dtype=object)


def _dates_in_years(rng, years: np.ndarray) -> np.ndarray:
    """A random date inside each calendar year."""
    return np.array(
        [
            date(int(y), 1, 1) + timedelta(days=int(d))
            for y, d in zip(years, rng.integers(0, 365, len(years)), strict=True)
        ],
        dtype=object,
    )


def _dates_in_fiscal_years(rng, years) -> np.ndarray:
    """A random date inside each fiscal year."""
    return np.array(
        [
            fiscal_year_start(int(y)) + timedelta(days=int(d))
            for y, d in zip(years, rng.integers(0, 365, len(years)), strict=True)
        ],
        dtype=object,
    )


# ---------------------------------------------------------------- ground


def load_ground(reference: Path) -> Ground:
    """Read the boundary and the facility list; derive five approximate districts."""
    boundary = gpd.read_file(reference / "kamakura_city_boundary.geojson").to_crs(PLANE_CRS).union_all()
    facilities = pd.read_csv(reference / "kamakura_public_facilities.csv")
    x, y = _TO_PLANE.transform(facilities["lng"].to_numpy(), facilities["lat"].to_numpy())
    facilities = facilities.assign(x=x, y=y, name=facilities["name"].str.strip())
    centres = facilities.set_index("name").loc[[d[3] for d in places.DISTRICTS], ["x", "y"]].to_numpy()
    cells = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=boundary.buffer(5000))
    polygons = []
    for centre in centres:
        cell = next(c for c in cells.geoms if c.contains(shapely.Point(centre)))
        polygons.append(cell.intersection(boundary))
    districts = gpd.GeoDataFrame(
        {
            "code": [d[0] for d in places.DISTRICTS],
            "name": [d[1] for d in places.DISTRICTS],
            "name_en": [d[2] for d in places.DISTRICTS],
        },
        geometry=polygons,
        crs=PLANE_CRS,
    )
    network = gpd.GeoDataFrame(
        {"kind": [n[0] for n in places.NETWORK], "name": [n[1] for n in places.NETWORK]},
        geometry=[shapely.LineString(n[2]) for n in places.NETWORK],
        crs=STORAGE_CRS,
    ).to_crs(PLANE_CRS)
    network["geometry"] = network.intersection(boundary)
    return Ground(boundary, facilities, districts, network[~network.is_empty].reset_index(drop=True))


ON_LINE_M = 15.0  # a bridge this close to a network line is on (or over) it


def network_lines(ground: Ground) -> pd.DataFrame:
    """The network lines as stored: id, kind, name, geometry in EPSG:4326."""
    return pd.DataFrame(
        {
            "id": np.arange(1, len(ground.network) + 1),
            "kind": ground.network["kind"],
            "name": ground.network["name"],
            "geom": to_storage(np.array(ground.network.geometry, dtype=object)),
        }
    )


def _district_of(ground: Ground, geoms: np.ndarray) -> np.ndarray:
    """District id (1–5) of each geometry's representative point, in EPSG:6677."""
    points = gpd.GeoDataFrame(geometry=shapely.point_on_surface(geoms), crs=PLANE_CRS)
    joined = gpd.sjoin(
        points, ground.districts[["geometry"]].assign(district_id=np.arange(1, 6)), how="left", predicate="within"
    )
    joined = joined[~joined.index.duplicated()]
    return joined["district_id"].to_numpy()


def _place(rng, district_ids: np.ndarray) -> np.ndarray:
    codes = [places.DISTRICTS[int(d) - 1][0] for d in district_ids]
    return np.array([places.PLACES[c][rng.integers(len(places.PLACES[c]))] for c in codes], dtype=object)


# ---------------------------------------------------------------- assets


def _unit_cost_index(years: np.ndarray) -> np.ndarray:
    """Construction cost per m² of a building in the year built, yen (rough deflator, to review)."""
    return np.interp(
        years,
        [1950, 1960, 1970, 1980, 1990, 2000, 2010, 2025],
        [12_000, 30_000, 60_000, 150_000, 250_000, 280_000, 300_000, 420_000],
    )


REBUILD = {  # 建替え unit cost, yen/m², 総務省 更新費用試算 (DOMAIN.md)
    "hall": 400_000,
    "library": 400_000,
    "office": 400_000,
    "community_centre": 400_000,
    "sports": 360_000,
    "welfare": 360_000,
    "plant": 360_000,
    "other_building": 360_000,
    "school": 330_000,
    "childcare": 330_000,
    "fire_station": 400_000,
    "housing": 280_000,
}
MEAN_FLOOR = {
    "school": 7_000,
    "childcare": 350,
    "community_centre": 450,
    "library": 1_800,
    "hall": 2_500,
    "office": 2_000,
    "sports": 3_000,
    "welfare": 900,
    "housing": 2_800,
    "fire_station": 700,
    "plant": 3_500,
    "other_building": 60,
}
LIFE = {
    "school": 47,
    "childcare": 47,
    "community_centre": 50,
    "library": 50,
    "hall": 50,
    "office": 50,
    "sports": 47,
    "welfare": 50,
    "housing": 47,
    "fire_station": 50,
    "plant": 38,
    "other_building": 38,
    "bridge": 60,
    "tunnel": 75,
    "road": 15,
    "sewer_pipe": 50,
    "river": 40,
    "retention_pond": 40,
    "park": 30,
}


def _reference_category(name: str) -> str:
    return next((cat for key, cat in places.REFERENCE_CATEGORIES if key in name), "other_building")


def _build_years(rng, n: int) -> np.ndarray:
    """Years built, clustered in the 1960s–80s as in most Japanese cities."""
    old = np.clip(rng.normal(1975, 7, n), 1955, 1992)
    new = rng.uniform(1992, 2020, n)
    return np.where(rng.random(n) < 0.75, old, new).round().astype(int)


def buildings(rng, ground: Ground) -> pd.DataFrame:
    """About 230 public buildings: the real facility list, then generated ones, ~400,000 m² in all."""
    ref = ground.facilities.assign(category=ground.facilities["name"].map(_reference_category))
    ref = ref[ref["category"] != "park"]
    n_extra = BUILDINGS - len(ref)
    extra_spec = [(cat, count, pattern) for cat, count, pattern in places.EXTRA_BUILDINGS]
    counts = np.array([c for _, c, _ in extra_spec])
    counts = np.floor(counts * n_extra / counts.sum()).astype(int)
    counts[0] += n_extra - counts.sum()
    xy = _sample_points(rng, n_extra, ground.boundary)
    cats = np.repeat([cat for cat, _, _ in extra_spec], counts)
    patterns = np.repeat([p for _, _, p in extra_spec], counts)
    geoms = shapely.points(np.vstack([ref[["x", "y"]].to_numpy(), xy]))
    district = _district_of(ground, geoms)
    names = list(ref["name"]) + [
        p.format(place=pl) for p, pl in zip(patterns, _place(rng, district[len(ref) :]), strict=True)
    ]
    names = _unique(names)
    category = np.concatenate([ref["category"].to_numpy(), cats])
    n = len(category)
    year = _build_years(rng, n)
    floor = np.array([MEAN_FLOOR[c] for c in category]) * rng.lognormal(0, 0.35, n)
    floor[np.array([nm == "鎌倉市役所本庁舎" for nm in names])] = 17_000
    floor[np.array([nm == "鎌倉芸術館" for nm in names])] = 24_000
    floor = np.round(floor * TOTAL_FLOOR_AREA / floor.sum(), 1)
    acquired = _dates_in_years(rng, year)
    cost = np.round(floor * _unit_cost_index(year) / 1000).astype("int64") * 1000
    structure = np.where(category == "other_building", "W", np.where(rng.random(n) < 0.8, "RC", "S"))
    frame = pd.DataFrame(
        {
            "name": names,
            "category": category,
            "geom": geoms,
            "district_id": district,
            "year_built": year,
            "structure": structure,
            "floor_area_m2": floor,
            "acquisition_date": acquired,
            "acquisition_cost": cost,
            "useful_life_years": [LIFE[c] for c in category],
            "replacement_cost": np.round(floor * [REBUILD[c] for c in category] / 1000).astype("int64") * 1000,
            "annual_users": np.round(floor * rng.uniform(5, 40, n)).astype("int64"),
            "is_evacuation_shelter": category == "school",
            "needs_individual_plan": (category != "other_building") & (floor >= 100),
        }
    )
    # A few buildings closed or disposed of in recent years (consolidation under the 再編計画).
    retire = rng.choice(np.flatnonzero((category == "community_centre") | (category == "welfare")), 9, replace=False)
    frame["status"] = "in_service"
    frame.loc[retire[:6], "status"] = "disposed"
    frame.loc[retire[:6], "disposed_on"] = _dates_in_fiscal_years(rng, rng.integers(2019, 2026, 6))
    frame.loc[retire[6:], "status"] = "closed"
    frame.loc[retire[6:], "closed_on"] = _dates_in_fiscal_years(rng, rng.integers(2022, 2026, 3))
    return frame


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}（第{seen[name]}）")
    return out


def infrastructure(
    rng, ground: Ground, counts: dict[str, int] = INFRASTRUCTURE, *, reference_parks: bool = True
) -> pd.DataFrame:
    """Bridges, tunnels, roads, sewer pipes, rivers, retention ponds and parks inside the boundary.

    ``reference_parks`` adds the parks of the real facility list to ``counts["park"]``.
    """
    frames = [
        _bridges(rng, ground, counts["bridge"]),
        _tunnels(rng, ground, counts["tunnel"]),
        _roads(rng, ground, counts["road"]),
        _sewers(rng, ground, counts["sewer_pipe"]),
        _rivers(rng, ground, counts["river"]),
        _ponds(rng, ground, counts["retention_pond"]),
        _parks(rng, ground, counts["park"], reference_parks),
    ]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _base(rng, ground, category, geoms, years, names, cost, replacement, **columns) -> pd.DataFrame:
    district = _district_of(ground, geoms)
    return pd.DataFrame(
        {
            "name": names,
            "category": category,
            "geom": geoms,
            "district_id": district,
            "year_built": years,
            "acquisition_date": _dates_in_years(rng, years),
            "acquisition_cost": cost,
            "useful_life_years": LIFE[category],
            "replacement_cost": replacement,
            "status": "in_service",
            **columns,
        }
    )


def _bridges(rng, ground, n) -> pd.DataFrame:
    # One in five bridges carries an emergency road or crosses a railway: put them on those lines.
    on_line = int(n * 0.2)
    lines = ground.network.geometry.to_numpy()[rng.integers(0, len(ground.network), on_line)]
    along = shapely.line_interpolate_point(lines, rng.uniform(0.05, 0.95, on_line), normalized=True)
    geoms = np.concatenate([along, shapely.points(_sample_points(rng, n - on_line, ground.boundary))])
    roads = ground.network.geometry[ground.network["kind"] == "emergency_road"].union_all()
    years = np.clip(rng.normal(1972, 10, n), 1950, 2008).round().astype(int)
    deck = np.round(rng.lognormal(4.6, 0.8, n).clip(15, 2500), 1)
    width = rng.uniform(4, 12, n)
    steel = rng.random(n) < 0.2
    unit_today = np.where(steel, 500_000, 425_000)  # 更新費用試算 unit costs, yen/m²
    cost = np.round(deck * unit_today * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000
    names = [f"{p}{'橋' if i % 3 else '小橋'}" for i, p in enumerate(_place(rng, _district_of(ground, geoms)))]
    return _base(
        rng,
        ground,
        "bridge",
        geoms,
        years,
        _unique(names),
        cost,
        np.round(deck * unit_today).astype("int64"),
        deck_area_m2=deck,
        length_m=np.round(deck / width, 1),
        width_m=np.round(width, 1),
        structure=np.where(steel, "S", np.where(rng.random(n) < 0.6, "RC", "PC")),
        on_emergency_road=shapely.dwithin(geoms, roads, ON_LINE_M),
        annual_users=np.round(rng.lognormal(13, 1.0, n)).astype("int64"),
    )


def _tunnels(rng, ground, n) -> pd.DataFrame:
    geoms = _segments(rng, n, ground.boundary, (80, 400))
    years = rng.integers(1955, 1995, n)
    length = np.round(shapely.length(geoms), 1)
    cost = np.round(length * 2_500_000 * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000
    names = _unique([f"{p}トンネル" for p in _place(rng, _district_of(ground, geoms))])
    roads = ground.network.geometry[ground.network["kind"] == "emergency_road"].union_all()
    return _base(
        rng,
        ground,
        "tunnel",
        geoms,
        years,
        names,
        cost,
        np.round(length * 2_500_000).astype("int64"),
        length_m=length,
        structure="RC",
        on_emergency_road=shapely.dwithin(geoms, roads, ON_LINE_M),
        annual_users=np.round(rng.lognormal(14, 0.6, n)).astype("int64"),
    )


def _roads(rng, ground, n) -> pd.DataFrame:
    geoms = _segments(rng, n, ground.boundary, (100, 600))
    length = np.round(shapely.length(geoms), 1)
    width = rng.choice([4.0, 5.5, 7.0, 9.0, 12.0], n, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    # Pavement is the depreciable asset: its year is the last resurfacing.
    years = rng.integers(1995, 2024, n)
    area = length * width
    districts = _district_of(ground, geoms)
    names = [f"市道{p}線 第{i % 40 + 1}区間" for i, p in enumerate(_place(rng, districts))]
    return _base(
        rng,
        ground,
        "road",
        geoms,
        years,
        _unique(names),
        np.round(area * 4_700 * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000,
        np.round(area * 4_700).astype("int64"),
        length_m=length,
        width_m=width,
        structure="As",
        on_emergency_road=False,
        annual_users=np.round(rng.lognormal(12, 1.0, n)).astype("int64"),
    )


def _sewers(rng, ground, n) -> pd.DataFrame:
    geoms = _segments(rng, n, ground.boundary, (20, 80))
    # Half laid in 1972–1984, so half pass 50 years by 2034.
    years = np.where(rng.random(n) < 0.5, rng.integers(1972, 1985, n), rng.integers(1985, 2016, n))
    diameter = rng.choice(
        [200, 250, 300, 450, 600, 800, 1000, 1350], n, p=[0.45, 0.2, 0.15, 0.08, 0.05, 0.04, 0.02, 0.01]
    )
    length = np.round(shapely.length(geoms), 1)
    unit = np.select([diameter <= 250, diameter <= 500, diameter <= 1000], [61_000, 116_000, 295_000], 749_000)
    district = _district_of(ground, geoms)
    area = np.where(np.isin(district, [3, 4, 5]), "大船処理区", "鎌倉処理区")  # 山崎 / 七里ガ浜 plants
    names = [f"{a} 汚水管渠 {i + 1:05d}" for i, a in enumerate(area)]
    return _base(
        rng,
        ground,
        "sewer_pipe",
        geoms,
        years,
        names,
        np.round(length * unit * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000,
        np.round(length * unit).astype("int64"),
        length_m=length,
        diameter_mm=diameter.astype(float),
        structure=np.where(years < 1985, np.where(rng.random(n) < 0.5, "HP", "TP"), "VU"),
    )


def _rivers(rng, ground, n) -> pd.DataFrame:
    geoms = _segments(rng, n, ground.boundary, (200, 800))
    length = np.round(shapely.length(geoms), 1)
    years = rng.integers(1960, 2000, n)
    names = [f"{places.RIVERS[i % len(places.RIVERS)]} 第{i // len(places.RIVERS) + 1}区間" for i in range(n)]
    return _base(
        rng,
        ground,
        "river",
        geoms,
        years,
        names,
        np.round(length * 300_000 * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000,
        np.round(length * 300_000).astype("int64"),
        length_m=length,
        structure="護岸",
    )


def _ponds(rng, ground, n) -> pd.DataFrame:
    area = rng.uniform(500, 5000, n)
    geoms = _rectangles(rng, _sample_points(rng, n, ground.boundary), area)
    years = rng.integers(1975, 2010, n)
    names = _unique([f"{p}調整池" for p in _place(rng, _district_of(ground, geoms))])
    return _base(
        rng,
        ground,
        "retention_pond",
        geoms,
        years,
        names,
        np.round(area * 80_000 * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000,
        np.round(area * 80_000).astype("int64"),
    )


def _parks(rng, ground, n, reference: bool) -> pd.DataFrame:
    ref = ground.facilities[(ground.facilities["name"].map(_reference_category) == "park") & reference]
    area = np.concatenate([np.full(len(ref), 40_000.0), rng.lognormal(7.0, 1.0, n).clip(150, 30_000)])
    centres = np.vstack([ref[["x", "y"]].to_numpy(), _sample_points(rng, n, ground.boundary)])
    geoms = _rectangles(rng, centres, area)
    years = rng.integers(1965, 2015, len(area))
    districts = _district_of(ground, geoms)
    names = _unique(list(ref["name"]) + [f"{p}公園" for p in _place(rng, districts[len(ref) :])])
    return _base(
        rng,
        ground,
        "park",
        geoms,
        years,
        names,
        np.round(area * 15_000 * _unit_cost_index(years) / 420_000 / 1000).astype("int64") * 1000,
        np.round(area * 15_000).astype("int64"),
        annual_users=np.round(area * 3).astype("int64"),
    )
