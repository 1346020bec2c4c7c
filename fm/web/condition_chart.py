"""An asset's condition over time as a server-made SVG (see :mod:`fm.web.charts`): one point per
inspection on a dated axis, soundness Ⅰ–Ⅳ or a 1–5 score, the good end at the top."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from fm.app.asset_page import ROMAN

LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 26
LEVELS = {"soundness": 4, "score": 5}


def _label(level: int, scale: str) -> str:
    return ROMAN[level] if scale == "soundness" else str(level)


def condition_chart(
    dates: Sequence[date],
    levels: Sequence[int],
    *,
    scale: str,
    title: str,
    point_title: str = "{date}: {level}",
    width: int = 560,
    height: int = 190,
) -> Markup:
    """Inspections ``dates`` and their ``levels`` (soundness 1–4 or score 1–5) as a line with dots.

    The x axis is time (years labelled, a point placed by its day); the y axis the scale's
    levels, 1 (good) at the top. ``point_title`` is the hover text of a point, with
    ``{date}`` and ``{level}``.

    Examples
    --------
    >>> svg = condition_chart([date(2016, 5, 1), date(2021, 6, 1)], [2, 3], scale="soundness", title="健全性")
    >>> svg.count("<circle"), "<title>2021-06-01: Ⅲ</title>" in svg, ">2016<" in svg
    (2, True, True)
    """
    if len(dates) != len(levels) or not dates:
        raise ValueError("condition_chart needs one level per date, and at least one")
    top_level = LEVELS[scale]
    first_year, last_year = min(dates).year, max(dates).year + 1
    span = (date(last_year, 1, 1) - date(first_year, 1, 1)).days
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + (day - date(first_year, 1, 1)).days * plot_w / span

    def y(level: int) -> float:
        return TOP + (level - 1) * plot_h / (top_level - 1)

    parts = []
    for level in range(1, top_level + 1):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(level) + 4:.1f}" text-anchor="end">'
            f"{escape(_label(level, scale))}</text>"
        )
    years = last_year - first_year
    every = next(step for step in (1, 2, 5, 10, 20, 50, 100) if years / step <= plot_w / 48)
    for year in range(first_year, last_year + 1):
        if year % every == 0 or year == first_year:
            px = x(date(year, 1, 1))
            parts.append(f'<line class="grid" x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" y2="{height - BOTTOM}"/>')
            if year < last_year and px + 30 < width:
                parts.append(f'<text class="tick" x="{px + 2:.1f}" y="{height - 8}">{year}</text>')
    points = sorted(zip(dates, levels, strict=True))
    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts.append(f'<polyline class="line s0" points="{path}"/>')
    for day, level in points:
        text = point_title.format(date=day.isoformat(), level=_label(level, scale))
        parts.append(
            f'<circle class="dot s0 level-{level}" cx="{x(day):.1f}" cy="{y(level):.1f}" r="4">'
            f"<title>{escape(text)}</title></circle>"
        )
    return Markup(
        f'<svg class="chart" id="condition-chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )
