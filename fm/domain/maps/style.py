"""Colours and labels of the map classes, in Japanese and English.

Colours are ColorBrewer's RdYlGn (risk, green is low) and RdBu (plan status), legible on
both GSI tile styles and on a plain background.
"""

from __future__ import annotations

from dataclasses import dataclass

UNSCORED = "unscored"


@dataclass(frozen=True)
class MapClass:
    """One class a map colours by: its key, colour, and label per language."""

    key: str
    colour: str
    ja: str
    en: str

    def label(self, lang: str) -> str:
        """The label in ``lang`` (Japanese unless ``"en"``)."""
        return self.en if lang == "en" else self.ja


RISK = (
    MapClass("very_high", "#d73027", "非常に高い", "Very high"),
    MapClass("high", "#fc8d59", "高い", "High"),
    MapClass("medium", "#fee08b", "中程度", "Medium"),
    MapClass("low", "#91cf60", "低い", "Low"),
    MapClass("very_low", "#1a9850", "非常に低い", "Very low"),
    MapClass(UNSCORED, "#9e9e9e", "未評価", "Not scored"),
)

PLAN = (
    MapClass("needed", "#d7191c", "策定が必要（未策定）", "Needed, not adopted"),
    MapClass("adopted", "#2c7bb6", "策定済み", "Adopted"),
    MapClass("not_needed", "#9e9e9e", "策定対象外", "Not needed"),
)

LAND = (
    MapClass("unused", "#b2182b", "未利用", "Unused"),
    MapClass("underused", "#ef8a62", "低利用", "Underused"),
)

# Sequential scale for the district choropleth (ColorBrewer YlOrRd, 5 classes).
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")

LAYER_CLASSES = {"risk": RISK, "plans": PLAN}


def classes(layer: str) -> tuple[MapClass, ...]:
    """The classes of an asset layer, worst (or most urgent) first."""
    return LAYER_CLASSES[layer]
