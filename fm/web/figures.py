"""The dashboard's charts, drawn from the same data its JSON endpoints return (see :mod:`fm.web.charts`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from fm.app.renewal import GROUPS
from fm.web.charts import Level, Mark, Series, bar_chart, line_chart, nice_top

OKU = 100_000_000  # 1 億円


def number(value: float | None, decimals: int) -> str:
    """``value`` with thousands separators at ``decimals`` places; an em dash when undefined."""
    return "—" if value is None else f"{value:,.{decimals}f}"


def _axis(unit: str, decimals: int):
    """A value with its unit, at ``decimals`` places unless it is whole."""

    def fmt(value: float) -> str:
        return f"{number(value, decimals if value % 1 else 0)} {unit}".strip()

    return fmt


def _percent_top(*values: float | None) -> float:
    """The top of a % chart: 100, or a round number above the highest value when one is over 100
    (an execution rate above 100 % when more was spent than planned)."""
    return max(100.0, nice_top(max((v for v in values if v is not None), default=0.0))[0])


def _tick(unit: str):
    """An axis label: a share keeps its %, other units are in the chart's heading."""
    return _axis(unit if unit == "%" else "", 2)


def trend_chart(trend: dict[str, Any], *, width: int = 360, height: int = 170) -> Markup:
    """One indicator over every fiscal year with data, its target as a dashed line, its published figure as ◆."""
    xs = [point["fiscal_year"] for point in trend["series"]]
    target = trend["target"] or {}
    levels = (
        [
            Level(
                target["value"],
                _("Target (FY%(year)s)", year=target["fiscal_year"]) if target.get("fiscal_year") else _("Target"),
                "target",
            )
        ]
        if target.get("value") is not None
        else []
    )
    published = trend["published"]
    marks = (
        [Mark(published["fiscal_year"], published["value"], _("Published figure"), "published")] if published else []
    )
    return line_chart(
        xs,
        [Series(trend["name"], [p["value"] for p in trend["series"]], "s0")],
        title=_("%(indicator)s by fiscal year", indicator=trend["name"]),
        fmt=_axis(trend["unit"], trend["decimals"]),
        tick=_tick(trend["unit"]),
        levels=levels,
        marks=marks,
        top=_percent_top(
            *(p["value"] for p in trend["series"]), *(lv.value for lv in levels), *(m.value for m in marks)
        )
        if trend["unit"] == "%"
        else None,
        width=width,
        height=height,
    )


def renewal_chart(projection: dict[str, Any], *, scenario: str = "simple") -> Markup:
    """Renewal costs per fiscal year by group (億円), with both scenarios' annual averages."""
    rows = projection["scenarios"][scenario]["rows"]
    names = group_names()
    stacks = [Series(names[g], [row[g] / OKU for row in rows], f"g-{g}") for g in GROUPS]
    levels = [
        Level(
            projection["scenarios"][name]["annual_average"] / OKU, label, f"average-{name}", dashed=name == "extended"
        )
        for name, label in (("simple", _("Average, simple renewal")), ("extended", _("Average, life extension")))
    ]
    return bar_chart(
        [row["fiscal_year"] for row in rows],
        stacks,
        title=_("Projected renewal costs"),
        fmt=_axis(_("100M yen"), 1),
        tick=_tick(""),
        levels=levels,
        width=1000,
        height=300,
    )


def group_names() -> dict[str, str]:
    """The renewal projection's groups, translated."""
    return {"building": _("Buildings"), "road": _("Roads"), "bridge": _("Bridges"), "sewer": _("Sewer pipes")}


def whatif_chart(result: dict[str, Any], *, width: int = 560, height: int = 260) -> Markup:
    """The aging ratio year by year: planned renewals and disposals carried out (solid) against doing nothing."""
    rows = result["years"]
    return line_chart(
        [row["fiscal_year"] for row in rows],
        [
            Series(_("Planned work carried out"), [row["planned_value"] for row in rows], "s0"),
            Series(_("Doing nothing"), [row["nothing_value"] for row in rows], "s1", dashed=True),
        ],
        title=_("Aging ratio: planned work against doing nothing"),
        fmt=_axis("%", 1),
        top=_percent_top(*(row[k] for row in rows for k in ("planned_value", "nothing_value"))),
        width=width,
        height=height,
    )
