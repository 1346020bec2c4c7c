"""The catchment map: areas (districts or grid cells) filled with the colour of the site that serves them (after a
closure, the one serving them then), the sites as circles, the closed site hollow, the areas a closure leaves beyond
the distance outlined in dashed black. Plain Folium
over fm's own Leaflet (offline, like the other maps: :func:`fm.domain.maps.build.new_map`)."""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import pandas as pd
from markupsafe import escape

from fm.domain.maps.basemap import Tiles
from fm.domain.maps.build import Static, _popup_frame, legend, new_map

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
)
"""Colours of the sites (matplotlib's tab10 and two more), repeated in code order past twelve."""
NONE = "#dddddd"
LEGEND_SITES = 10
"""Past this many sites the legend names none (the tooltips do)."""
LOSES = "#000000"
"""The outline of the areas a closure leaves beyond the distance (dashed black: no site colour is black)."""


def site_colours(codes: Sequence[str]) -> dict[str, str]:
    """A colour per site code, in code order.

    >>> site_colours(["B", "A"])
    {'A': '#1f77b4', 'B': '#ff7f0e'}
    """
    return {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(sorted(codes))}


def catchment_map(
    areas: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    tiles: Sequence[Tiles],
    bounds: Sequence[float],
    static: Static,
    title: str,
    area_fields: dict[str, str],
    site_fields: dict[str, str],
    closed: str | None = None,
    labels: dict[str, str],
    note: str | None = None,
) -> folium.Map:
    """``areas`` (EPSG:4326, with ``nearest`` and, after a closure, ``nearest_after`` and ``loses``) filled by the
    colour of the site serving them (after the closure, when ``closed``),
    a tooltip of ``area_fields`` (column: label); ``sites`` (code, geometry, ``site_fields``) as circles."""
    m = new_map(tiles=tiles, bounds=bounds, static=static)
    colours = site_colours(list(sites["code"]))
    served_by = areas["nearest_after" if closed is not None else "nearest"]  # after a closure: the new catchments
    shown = _popup_frame(areas, list(area_fields)).assign(
        _fill=served_by.map(lambda c: colours.get(c, NONE) if isinstance(c, str) else NONE).to_numpy(),
        _loses=(areas["loses"] if "loses" in areas else pd.Series(False, index=areas.index)).astype(bool).to_numpy(),
    )
    folium.GeoJson(
        shown[[*area_fields, "_fill", "_loses", "geometry"]].to_json(drop_id=True),
        name=labels["areas"],
        style_function=lambda f: {
            "color": LOSES if f["properties"]["_loses"] else "#555555",
            "weight": 4 if f["properties"]["_loses"] else 0.8,
            "dashArray": "8 5" if f["properties"]["_loses"] else None,
            "fillColor": f["properties"]["_fill"],
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(area_fields), aliases=list(area_fields.values()), sticky=True),
    ).add_to(m)
    points = _popup_frame(sites, list(site_fields))
    points = points.assign(geometry=sites.geometry.representative_point())
    group = folium.FeatureGroup(name=labels["sites"])
    for row, colour in zip(points.itertuples(index=False), points["code"].map(colours), strict=True):
        gone = row.code == closed
        text = "<br>".join(f"{escape(label)}: {getattr(row, field)}" for field, label in site_fields.items())
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x],
            radius=8,
            color="#b2182b" if gone else "#222222",
            weight=3 if gone else 1.5,
            fill=True,
            fill_color="#ffffff" if gone else colour,
            fill_opacity=1.0,
            tooltip=folium.Tooltip(text),
        ).add_to(group)
    group.add_to(m)
    rows = [(colours[c], f"{c} {n}") for c, n in zip(sites["code"], sites["name"], strict=True)]
    if len(rows) > LEGEND_SITES:  # too many to list: the colours are told apart by pointing at an area or a site
        rows = [(NONE, labels["unserved"])]
        note = " ".join(t for t in (labels["colours"], note) if t)
    if closed is not None:
        rows.append((LOSES, labels["loses"]))
    legend(m, title, rows, note)
    folium.LayerControl(collapsed=True).add_to(m)
    return m
