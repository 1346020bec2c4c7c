"""The background tiles of every map: the GSI tiles (地理院タイル) by default, any XYZ tile URL,
or none (a plain background, for a closed network without a tile server).

The GSI terms of use ask for the source to be credited and always visible while the map is
shown: the attribution below rides on each tile layer, so Leaflet keeps it on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fm.errors import ValidationError

GSI_LIST = "https://maps.gsi.go.jp/development/ichiran.html"
GSI_ATTRIBUTION = f'<a href="{GSI_LIST}" target="_blank" rel="noopener">出典：地理院タイル</a>'
GSI = "https://cyberjapandata.gsi.go.jp/xyz/{name}/{{z}}/{{x}}/{{y}}.png"
CHOICES = ("gsi", "none")


@dataclass(frozen=True)
class Tiles:
    """One tile layer: its XYZ URL template, attribution (HTML), menu name and zoom range."""

    url: str
    attribution: str
    name: str
    min_zoom: int = 0
    max_zoom: int = 18


def basemap(setting: str = "gsi", attribution: str | None = None) -> list[Tiles]:
    """The tile layers for ``setting``: ``gsi`` (pale, then standard), ``none``, or an XYZ URL template
    with ``{z}``, ``{x}`` and ``{y}``, which needs its ``attribution``. The first layer is shown.

    Examples
    --------
    >>> [t.name for t in basemap("gsi")]
    ['地理院タイル（淡色）', '地理院タイル（標準）']
    >>> basemap("none")
    []
    """
    if setting == "gsi":
        return [
            Tiles(GSI.format(name="pale"), GSI_ATTRIBUTION, "地理院タイル（淡色）", 5, 18),
            Tiles(GSI.format(name="std"), GSI_ATTRIBUTION, "地理院タイル（標準）", 5, 18),
        ]
    if setting == "none":
        return []
    if not re.fullmatch(r"https?://\S+", setting) or not all(k in setting for k in ("{z}", "{x}", "{y}")):
        raise ValidationError(
            f"basemap must be {' or '.join(CHOICES)} or an XYZ tile URL with {{z}}, {{x}} and {{y}}, got {setting!r}"
        )
    if not attribution:
        raise ValidationError(
            f"basemap {setting}: set its attribution (FM_BASEMAP_ATTRIBUTION or "
            "--basemap-attribution); tile providers require one"
        )
    return [Tiles(setting, attribution, "basemap")]
