"""Folium builders: each returns a ``folium.Map`` that renders either as a page of the app, with
Leaflet and fm's script linked from the app's own static files, or as one standalone HTML file
with everything inlined (``static=None``), so it opens offline. Nothing is ever loaded from a CDN.

Asset layers (:func:`asset_map`) are drawn by ``fm-map.js`` on Leaflet's canvas renderer, fed
either by the app's viewport endpoint (features, or clusters when a viewport holds too many)
or by data inlined in the file. The small layers (parcels, districts, heat) are plain Folium.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.template import Template
from markupsafe import escape

from fm.domain.maps.basemap import Tiles
from fm.domain.maps.style import MapClass
from fm.resources import STATIC
from fm.serialize import to_json

LEAFLET = ("vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js")
HEAT = "vendor/leaflet-heat/leaflet-heat.js"
FM = ("fm-map.css", "fm-map.js")

Static = Callable[[str], str] | None
"""Gives the URL of a file under the app's static folder; ``None`` inlines the file instead."""


class _Raw(Element):
    """Text put into the page as it is: not compiled as a Jinja template as Folium's ``Element`` would
    (Leaflet's 150 kB through Jinja's lexer cost most of a second per map)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.html = html

    def render(self, **kwargs: Any) -> str:
        return self.html


class _Call(MacroElement):
    """A call of ``fmMap.<function>(map, …arguments as JSON)`` in the map's script."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        fmMap.{{ this.function }}({{ this._parent.get_name() }}{% for a in this.arguments %}, {{ a }}{% endfor %});
        {% endmacro %}""")

    def __init__(self, function: str, *arguments: str) -> None:
        super().__init__()
        self._name = f"fm_{function}"
        self.function = function
        self.arguments = arguments

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's, which returns None
        # As MacroElement.render, but the script as it is: MacroElement wraps it in an Element, which compiles
        # it as a template, and a large map's inlined data (megabytes) cost most of a second in Jinja's lexer.
        script = self._template.module.__dict__["script"](self, kwargs)
        cast(Figure, self.get_root()).script.add_child(_Raw(script), name=self.get_name())


def _json(value: Any) -> str:
    """JSON for a script: ``<``, ``>`` and ``&`` escaped, so data can never close the script tag."""
    text = to_json(value, compact=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline_css(path: str) -> str:
    """A stylesheet with the images it points to turned into data URIs."""
    css = (STATIC / path).read_text()

    def data_uri(match: re.Match) -> str:
        image = (STATIC / path).parent / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    return re.sub(r"url\((images/[a-z0-9-]+\.png)\)", data_uri, css)


def _resources(m: folium.Map, static: Static, scripts: Sequence[str]) -> None:
    """Leaflet, plugins and fm's files in the page head, linked or inlined; Folium's CDN links dropped."""
    m.default_js, m.default_css = [], []
    header = cast(Figure, m.get_root()).header
    for path in (LEAFLET[0], FM[0]):
        header.add_child(CssLink(static(path)) if static else _Raw(f"<style>{_inline_css(path)}</style>"), name=path)
    for path in (LEAFLET[1], *scripts, FM[1]):
        header.add_child(
            JavascriptLink(static(path)) if static else _Raw(f"<script>{(STATIC / path).read_text()}</script>"),
            name=path,
        )


_FIXED_SCALE = re.compile(r'<meta name="viewport"[^>]*user-scalable=no[^>]*>')


class _Map(folium.Map):
    """Folium's map, but its viewport lets the reader zoom: Folium writes ``maximum-scale=1.0, user-scalable=no``,
    which keeps a phone's reader from enlarging the page (JIS X 8341-3 / WCAG 1.4.4 Resize text)."""

    def render(self, **kwargs: Any) -> Any:
        rendered = super().render(**kwargs)
        header = cast(Figure, self.get_root()).header
        element = header._children.get(self.get_name())
        if element is not None and element._template_str:
            viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
            header.add_child(Element(_FIXED_SCALE.sub(viewport, element._template_str)), name=self.get_name())
        return rendered


def new_map(
    *, tiles: Sequence[Tiles], bounds: Sequence[float], static: Static, plugins: Sequence[str] = ()
) -> folium.Map:
    """An empty map fitted to ``bounds`` (west, south, east, north) over ``tiles`` (the first shown;
    none: a plain background), drawing vectors on a canvas."""
    west, south, east, north = bounds
    m = _Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=13, tiles=None, prefer_canvas=True)
    _resources(m, static, plugins)
    m.add_child(_Call("scale"))
    for index, layer in enumerate(tiles):
        folium.TileLayer(
            layer.url,
            attr=layer.attribution,
            name=layer.name,
            min_zoom=layer.min_zoom,
            max_native_zoom=layer.max_zoom,
            max_zoom=20,
            show=index == 0,
        ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    return m


def legend(m: folium.Map, title: str, rows: Sequence[tuple[str, str]], note: str | None = None) -> None:
    """A legend box (bottom right) with ``title``, one swatch per (colour, label) and an optional note."""
    items = "".join(  # the swatch is an SVG fill, not a style attribute (the app's CSP allows none)
        f'<li><svg viewBox="0 0 14 14"><rect width="14" height="14" fill="{escape(colour)}"/></svg>{escape(label)}</li>'
        for colour, label in rows
    )
    html = f"<strong>{escape(title)}</strong><ul>{items}</ul>" + (f"<p>{escape(note)}</p>" if note else "")
    m.add_child(_Call("legend", _json(html)))


def caption(m: folium.Map, text: str) -> None:
    """A caption across the top of the map (title, date, filters of an exported file)."""
    m.add_child(_Call("caption", _json(text)))


def asset_map(
    layer: str,
    *,
    categories: pd.DataFrame,
    classes: Sequence[MapClass],
    tiles: Sequence[Tiles],
    bounds: Sequence[float],
    static: Static,
    lang: str,
    title: str,
    labels: dict[str, str],
    source: dict[str, Any],
    districts: gpd.GeoDataFrame,
    shown: Sequence[str] | None = None,
    note: str | None = None,
) -> folium.Map:
    """Assets coloured by class, one toggleable layer per category (``categories``: code, label;
    those in ``shown``, or all, switched on).

    ``source`` says where the features come from: ``{"endpoint": url, "card": url with __CODE__,
    "filters": {...}}`` for a page of the app, or ``{"data": FeatureCollection}`` with each
    feature's card inlined, for a standalone file.
    """
    m = new_map(tiles=tiles, bounds=bounds, static=static)
    outline(m, districts)
    groups = {}
    for row in categories.itertuples(index=False):
        # Leaflet's layer switcher writes names as HTML: escape them.
        group = folium.FeatureGroup(name=str(escape(row.label)), overlay=True, show=shown is None or row.code in shown)
        group.add_to(m)
        groups[row.code] = group.get_name()
    config = {
        "layer": layer,
        "lang": lang,
        "labels": labels,
        "source": source,
        "colours": {c.key: c.colour for c in classes},
        "classes": {c.key: c.label(lang) for c in classes},
        "categories": {row.code: row.label for row in categories.itertuples(index=False)},
    }
    groups_js = "{" + ",".join(f"{_json(code)}:{name}" for code, name in groups.items()) + "}"
    m.add_child(_Call("assetLayer", groups_js, _json(config)))
    legend(m, title, [(c.colour, c.label(lang)) for c in classes], note)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _popup_frame(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """The popup fields as escaped text: Folium puts them into the page as HTML."""
    return frame.assign(
        **{f: frame[f].map(lambda v: "" if v is None or pd.isna(v) else str(escape(v))) for f in fields}
    )


def outline(m: folium.Map, areas: gpd.GeoDataFrame) -> None:
    """Thin grey outlines of ``areas`` (the districts), for orientation on a plain background."""
    folium.GeoJson(
        areas[["geometry"]].to_json(drop_id=True),
        interactive=False,
        control=False,
        style_function=lambda f: {"color": "#777777", "weight": 1, "fill": False},
    ).add_to(m)


def parcel_map(
    parcels: gpd.GeoDataFrame,
    *,
    classes: Sequence[MapClass],
    tiles: Sequence[Tiles],
    bounds: Sequence[float],
    static: Static,
    lang: str,
    title: str,
    fields: dict[str, str],
    districts: gpd.GeoDataFrame,
    note: str | None = None,
) -> folium.Map:
    """Parcels coloured by ``utilisation`` with a popup of ``fields`` (column: label), each also marked
    by a circle (sized by ``area_m2``) so that small parcels show at the scale of the city."""
    m = new_map(tiles=tiles, bounds=bounds, static=static)
    outline(m, districts)
    colours = {c.key: c.colour for c in classes}
    shown = _popup_frame(parcels, list(fields))[[*fields, "utilisation", "area_m2", "geometry"]]

    def style(feature: dict) -> dict:
        colour = colours[feature["properties"]["utilisation"]]
        return {
            "color": colour,
            "weight": 2,
            "fill": True,
            "fillColor": colour,
            "fillOpacity": 0.55,
            "radius": 4 + min(10.0, feature["properties"]["area_m2"] ** 0.5 / 4),
        }

    if len(shown):
        points = shown.assign(geometry=shown.representative_point())
        for frame in (shown, points):
            folium.GeoJson(
                frame.to_json(drop_id=True),
                name=title,
                control=False,
                style_function=style,
                marker=folium.CircleMarker(),
                popup=folium.GeoJsonPopup(fields=list(fields), aliases=list(fields.values())),
                tooltip=folium.GeoJsonTooltip(fields=[list(fields)[1]], labels=False),
            ).add_to(m)
    legend(m, title, [(c.colour, c.label(lang)) for c in classes], note)
    return m


def choropleth(
    districts: gpd.GeoDataFrame,
    *,
    tiles: Sequence[Tiles],
    bounds: Sequence[float],
    static: Static,
    title: str,
    fields: dict[str, str],
    colours: pd.Series,
    ranges: Sequence[tuple[str, str]],
    note: str | None = None,
) -> folium.Map:
    """Districts filled with ``colours`` (one per row), a tooltip of ``fields`` and, at each
    district's representative point, a label of its first two fields (name and value)."""
    m = new_map(tiles=tiles, bounds=bounds, static=static)
    shown = _popup_frame(districts.assign(_colour=colours.to_numpy()), list(fields))
    folium.GeoJson(
        shown[[*fields, "_colour", "geometry"]].to_json(drop_id=True),
        name=title,
        style_function=lambda f: {
            "color": "#444",
            "weight": 1.5,
            "fillColor": f["properties"]["_colour"],
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=list(fields.values()), sticky=True),
    ).add_to(m)
    name, value = list(fields)[:2]
    for point, first, second in zip(districts.representative_point(), districts[name], districts[value], strict=True):
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="fm-district-label">{escape(first)}<br>{escape(second)}</div>',
                icon_size=(120, 36),
                icon_anchor=(60, 18),
            ),
        ).add_to(m)
    legend(m, title, ranges, note)
    return m


def heat_map(
    points: pd.DataFrame,
    *,
    tiles: Sequence[Tiles],
    bounds: Sequence[float],
    static: Static,
    title: str,
    scale: tuple[str, str],
    districts: gpd.GeoDataFrame,
    note: str | None = None,
) -> folium.Map:
    """A heat map of ``points`` (columns x, y in lon/lat); ``scale`` labels its few and many ends."""
    import folium.plugins  # the heat map's alone (a tenth of a second to import)

    m = new_map(tiles=tiles, bounds=bounds, static=static, plugins=[HEAT])
    outline(m, districts)
    heat = folium.plugins.HeatMap(
        points[["y", "x"]].round(6).to_numpy().tolist(), name=title, radius=18, blur=14, min_opacity=0.45, max_zoom=14
    )
    heat.default_js = []  # leaflet.heat comes from the app's static files (new_map's plugins)
    heat.add_to(m)
    legend(m, title, [("blue", scale[0]), ("lime", ""), ("red", scale[1])], note)
    return m


def mini_map(geometry: gpd.GeoSeries, *, colour: str, tiles: Sequence[Tiles], static: Static) -> folium.Map:
    """A small map of one asset's geometry, zoomed to it."""
    west, south, east, north = geometry.total_bounds
    pad = 0.002
    m = new_map(tiles=tiles, bounds=(west - pad, south - pad, east + pad, north + pad), static=static)
    folium.GeoJson(
        geometry.to_json(drop_id=True),
        style_function=lambda f: {"color": colour, "weight": 4, "fillColor": colour, "fillOpacity": 0.4},
        marker=folium.CircleMarker(radius=8, color=colour, fill=True, fill_opacity=0.8),
    ).add_to(m)
    return m
