"""Charts as SVG made on the server: no script, no chart library, no request leaving the app.

The SVG is inlined in the page, so its text is drawn by the browser with the page's
fonts (Japanese glyphs included) and prints like the rest of the page. Colours come from
CSS classes (``fm.css``); every point carries a ``<title>`` that the browser shows on hover.
Legends are left to the HTML around the chart, where text wraps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

RIGHT, TOP, BOTTOM = 20, 10, 24
CHAR_WIDTH = 6.4  # of a tick label at 11 px, for the left margin


@dataclass(frozen=True)
class Series:
    """One line (or one stack of bars): a name for titles, a value per x (None: no value), a CSS class."""

    name: str
    values: Sequence[float | None]
    css: str
    dashed: bool = False


@dataclass(frozen=True)
class Mark:
    """A single point drawn apart from the lines, e.g. a published figure."""

    x: int
    value: float
    label: str
    css: str = "mark"


@dataclass(frozen=True)
class Level:
    """A horizontal line across the chart: a target, an average."""

    value: float
    label: str
    css: str
    dashed: bool = True


@dataclass(frozen=True)
class Frame:
    """The plotting area and its scales."""

    xs: Sequence[int]
    top: float
    width: int
    height: int
    ticks: list[float] = field(default_factory=list)
    bars: bool = False  # x values at the middle of equal slots rather than from edge to edge
    left: float = 40.0  # the left margin, where the tick labels are

    def x(self, value: int) -> float:
        index, count, plot = self.xs.index(value), len(self.xs), self.width - self.left - RIGHT
        if self.bars or count == 1:
            return self.left + (index + 0.5) * plot / count
        return self.left + index * plot / (count - 1)

    def y(self, value: float) -> float:
        return TOP + (self.top - value) * (self.height - TOP - BOTTOM) / self.top


def nice_top(value: float) -> tuple[float, float]:
    """A round upper bound at or above ``value`` and the tick step that divides it in 4 or 5.

    >>> nice_top(69.5), nice_top(23_081.69), nice_top(0)
    ((80.0, 20.0), (25000.0, 5000.0), (1.0, 0.25))
    """
    if value <= 0:
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = float(step * magnitude)
        if value <= step * 5:
            return float(math.ceil(value / step - 1e-9) * step if value / step > 4 else 4 * step), step
    raise AssertionError("unreachable")


def _step(top: float) -> float:
    """The tick step of a fixed top: its quarter, else its fifth, whichever is round (1, 2, 2.5 or 5 × 10ⁿ).

    >>> _step(100.0), _step(125.0), _step(200.0)
    (25.0, 25.0, 50.0)
    """
    for parts in (4, 5):
        step = top / parts
        if any(math.isclose(step / 10 ** math.floor(math.log10(step)), m) for m in (1, 2, 2.5, 5)):
            return step
    return top / 4


def _frame(
    xs: Sequence[int],
    highest: float,
    width: int,
    height: int,
    top: float | None,
    tick: Callable[[float], str],
    bars: bool = False,
) -> Frame:
    top_value, step = nice_top(highest) if top is None else (top, _step(top))
    ticks = [i * step for i in range(int(round(top_value / step)) + 1)]
    left = 10 + CHAR_WIDTH * max(len(tick(t)) for t in ticks)  # room for the longest tick label
    return Frame(list(xs), top_value, width, height, ticks, bars, left)


def _axes(frame: Frame, tick: Callable[[float], str], label_x: Callable[[int], str]) -> list[str]:
    parts = []
    roomy = (frame.height - TOP - BOTTOM) / max(len(frame.ticks) - 1, 1) >= 14  # else label the ends only
    for i, value in enumerate(frame.ticks):
        y = frame.y(value)
        label = tick(value) if roomy or i in (0, len(frame.ticks) - 1) else ""
        parts.append(
            f'<line class="grid" x1="{frame.left:.1f}" x2="{frame.width - RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}"/><text class="tick" x="{frame.left - 4:.1f}" y="{y + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    every = max(1, math.ceil(len(frame.xs) / max(1, (frame.width - frame.left - RIGHT) // 40)))
    last = len(frame.xs) - 1
    for i, x in enumerate(frame.xs):
        if (last - i) % every == 0:  # counted from the last, which is always labelled
            parts.append(
                f'<text class="tick" x="{frame.x(x):.1f}" y="{frame.height - 6}" text-anchor="middle">'
                f"{escape(label_x(x))}</text>"
            )
    return parts


def _svg(frame: Frame, title: str, parts: list[str], figures: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title><desc>{escape(figures)}</desc>" + "".join(parts) + "</svg>"
    )


def _figures(
    xs: Sequence[int], series: Sequence[Series], fmt: Callable[[float], str], label_x: Callable[[int], str]
) -> str:
    """Every value the chart draws, as text: ``role="img"`` hides the points' own titles from a screen
    reader, so the figures are the image's description (JIS X 8341-3 1.1.1), with no room taken on the page.

    >>> _figures([2023, 2024], [Series("率", [60.0, None], "rate")], "{:.1f} %".format, "FY{}".format)
    '率: FY2023 60.0 %, FY2024 —'
    """
    return "; ".join(
        f"{line.name}: "
        + ", ".join(
            f"{label_x(x)} {'—' if value is None else fmt(value)}" for x, value in zip(xs, line.values, strict=True)
        )
        for line in series
    )


def line_chart(
    xs: Sequence[int],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str],
    tick: Callable[[float], str] | None = None,
    label_x: Callable[[int], str] = str,
    levels: Sequence[Level] = (),
    marks: Sequence[Mark] = (),
    top: float | None = None,
    width: int = 360,
    height: int = 170,
) -> Markup:
    """Lines over ``xs`` (fiscal years) with horizontal ``levels`` (targets) and separate ``marks``.

    ``fmt`` writes a value with its unit (in titles), ``tick`` an axis label (default
    ``fmt``); ``top`` fixes the scale's top (100 for a share, more when a value is over 100).

    Examples
    --------
    >>> svg = line_chart([2024, 2025], [Series("率", [40.0, 52.3], "s0")], title="策定率", fmt="{:.1f} %".format,
    ...                  levels=[Level(100.0, "目標", "target")], top=100.0)
    >>> svg.count("<circle"), "<title>2025: 52.3 %</title>" in svg
    (2, True)
    """
    values = (
        [v for s in series for v in s.values if v is not None] + [lv.value for lv in levels] + [m.value for m in marks]
    )
    frame = _frame(xs, max(values, default=0.0), width, height, top, tick or fmt)
    parts = _axes(frame, tick or fmt, label_x)
    for level in levels:
        y = frame.y(level.value)
        parts.append(
            f'<line class="{level.css}{" dashed" if level.dashed else ""}" x1="{frame.left:.1f}" '
            f'x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"><title>{escape(level.label)}: '
            f"{escape(fmt(level.value))}</title></line>"
        )
    for line in series:
        points = [(frame.x(x), frame.y(v), x, v) for x, v in zip(xs, line.values, strict=True) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
        parts.append(f'<polyline class="line {line.css}{" dashed" if line.dashed else ""}" points="{path}"/>')
        parts += [
            f'<circle class="dot {line.css}" cx="{px:.1f}" cy="{py:.1f}" r="3"><title>{escape(label_x(x))}: '
            f"{escape(fmt(v))}</title></circle>"
            for px, py, x, v in points
        ]
    for mark in marks:
        if mark.x in frame.xs:
            px, py = frame.x(mark.x), frame.y(mark.value)
            parts.append(
                f'<path class="{mark.css}" d="M{px:.1f},{py - 6:.1f} l6,6 l-6,6 l-6,-6 z">'
                f"<title>{escape(mark.label)} ({escape(label_x(mark.x))}): {escape(fmt(mark.value))}"
                f"</title></path>"
            )
    return _svg(frame, title, parts, _figures(xs, series, fmt, label_x))


def bar_chart(
    xs: Sequence[int],
    stacks: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str],
    tick: Callable[[float], str] | None = None,
    label_x: Callable[[int], str] = str,
    levels: Sequence[Level] = (),
    width: int = 720,
    height: int = 240,
) -> Markup:
    """Stacked bars over ``xs`` (one stack per series) with horizontal ``levels`` (averages).

    >>> svg = bar_chart([2026, 2027], [Series("建物", [1.0, 2.0], "g0"), Series("道路", [1.0, 1.0], "g1")],
    ...                 title="更新費用", fmt="{:.1f}".format)
    >>> svg.count("<rect")
    4
    """
    totals = [sum(s.values[i] or 0 for s in stacks) for i in range(len(xs))]
    frame = _frame(
        xs, max(totals + [lv.value for lv in levels], default=0.0), width, height, None, tick or fmt, bars=True
    )
    parts = _axes(frame, tick or fmt, label_x)
    slot = (width - frame.left - RIGHT) / max(len(xs), 1)
    for i, x in enumerate(xs):
        base, left = 0.0, frame.x(x) - slot * 0.35
        for stack in stacks:
            value = stack.values[i] or 0.0
            if value:
                y_top, y_base = frame.y(base + value), frame.y(base)
                parts.append(
                    f'<rect class="{stack.css}" x="{left:.1f}" y="{y_top:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{y_base - y_top:.1f}"><title>{escape(label_x(x))} {escape(stack.name)}: '
                    f"{escape(fmt(value))}</title></rect>"
                )
            base += value
    for level in levels:
        y = frame.y(level.value)
        parts.append(
            f'<line class="{level.css}{" dashed" if level.dashed else ""}" x1="{frame.left:.1f}" '
            f'x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"><title>{escape(level.label)}: '
            f"{escape(fmt(level.value))}</title></line>"
        )
    return _svg(frame, title, parts, _figures(xs, stacks, fmt, label_x))


@dataclass(frozen=True)
class Point:
    """One point of a scatter chart: where, what its tooltip says, where it links, its CSS class."""

    x: float
    y: float
    label: str
    href: str
    css: str


@dataclass(frozen=True)
class Quadrant:
    """A quadrant of a scatter chart split at two thresholds: which corner (``x_high``, ``y_high``), its name."""

    x_high: bool
    y_high: bool
    label: str
    css: str


def scatter_chart(
    points: Sequence[Point],
    *,
    x_split: float,
    y_split: float,
    quadrants: Sequence[Quadrant],
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 480,
) -> Markup:
    """Points on two 0–100 axes, the plane split into four shaded, named quadrants at ``x_split`` and
    ``y_split``; each point a link (keyboard and screen reader reach it by its ``<title>``)."""
    left, bottom, top, right = 44.0, 40.0, 10.0, 12.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + max(0.0, min(100.0, v)) * plot_w / 100

    def sy(v: float) -> float:
        return top + (100 - max(0.0, min(100.0, v))) * plot_h / 100

    parts = []
    for q in quadrants:
        x0, x1 = (sx(x_split), sx(100)) if q.x_high else (sx(0), sx(x_split))
        y0, y1 = (sy(100), sy(y_split)) if q.y_high else (sy(y_split), sy(0))
        anchor, tx = ("end", x1 - 6) if q.x_high else ("start", x0 + 6)
        ty = y0 + 16 if q.y_high else y1 - 8
        parts.append(
            f'<rect class="{q.css}" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}"/>'
            f'<text class="quadrant-label" x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{escape(q.label)}</text>'
        )
    for tick in range(0, 101, 20):
        parts.append(
            f'<text class="tick" x="{sx(tick):.1f}" y="{height - bottom + 14:.1f}" text-anchor="middle">{tick}</text>'
            f'<text class="tick" x="{left - 6:.1f}" y="{sy(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    parts.append(
        f'<line class="split" x1="{sx(x_split):.1f}" x2="{sx(x_split):.1f}" y1="{sy(100):.1f}" y2="{sy(0):.1f}"/>'
        f'<line class="split" x1="{sx(0):.1f}" x2="{sx(100):.1f}" y1="{sy(y_split):.1f}" y2="{sy(y_split):.1f}"/>'
        f'<rect class="plot-border" x="{left}" y="{top}" width="{plot_w:.1f}" height="{plot_h:.1f}"/>'
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text class="axis-label" transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for p in points:
        parts.append(
            f'<a href="{escape(p.href)}"><circle class="{p.css}" cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="5">'
            f"<title>{escape(p.label)}</title></circle></a>"
        )
    return Markup(
        # a group, not an image: its points are links a keyboard and a screen reader reach, each named by its title
        f'<svg class="chart scatter" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )
