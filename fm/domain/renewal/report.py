"""The renewal projection as a chart (matplotlib, made on the server) and as an Excel workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from fm.domain.renewal.projection import GROUPS

LABELS = {
    "ja": {
        "building": "公共施設（建物）",
        "road": "道路",
        "bridge": "橋梁",
        "sewer": "下水道管渠",
        "average": "40年平均",
        "title": "将来の更新費用の推計",
        "unit": "億円",
        "year": "年度",
    },
    "en": {
        "building": "Buildings",
        "road": "Roads",
        "bridge": "Bridges",
        "sewer": "Sewer pipes",
        "average": "average",
        "title": "Projected renewal costs",
        "unit": "100 million yen",
        "year": "fiscal year",
    },
}
COLOURS = {"building": "#2f6f9f", "road": "#8c8c8c", "bridge": "#4f8a3a", "sewer": "#b5862f"}


def chart(report: dict[str, Any], path: Path, *, scenario: str = "simple", lang: str = "ja") -> None:
    """Annual bars by group with the average line, as published plans draw it (PNG or SVG by suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    labels = LABELS[lang]
    japanese = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "IPA" in f.name]
    if japanese:
        plt.rcParams["font.family"] = japanese[0]
    elif lang == "ja":  # no Japanese font on this machine: English labels rather than empty boxes
        labels = LABELS["en"]
    table = pd.DataFrame(report["scenarios"][scenario]["rows"])
    figure, axes = plt.subplots(figsize=(11, 5), dpi=120)
    bottom = pd.Series(0.0, index=table.index)
    for group in GROUPS:
        values = table[group] / 1e8
        axes.bar(table["fiscal_year"], values, bottom=bottom, color=COLOURS[group], label=labels[group])
        bottom += values
    years = len(table)
    for name, style in (("simple", "-"), ("extended", "--")):
        average = report["scenarios"][name]["annual_average"] / 1e8
        axes.axhline(
            average,
            color="#b5462f",
            linestyle=style,
            linewidth=1.5,
            label=f"{labels['average'] if years == 40 else f'{years}'} ({name}) {average:,.1f}",
        )
    axes.set_ylabel(labels["unit"])
    axes.set_xlabel(labels["year"])
    axes.set_title(f"{labels['title']} ({scenario}, {table['fiscal_year'].iloc[0]}–{table['fiscal_year'].iloc[-1]})")
    axes.legend(ncol=3, fontsize=8, loc="upper right")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def workbook(report: dict[str, Any], path: Path) -> None:
    """One sheet a scenario (years × groups, yen) and a summary sheet."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary = pd.DataFrame(
            [
                {"scenario": name, "total_yen": data["total"], "annual_average_yen": data["annual_average"]}
                for name, data in report["scenarios"].items()
            ]
        )
        summary.to_excel(writer, sheet_name="summary", index=False)
        for name, data in report["scenarios"].items():
            pd.DataFrame(data["rows"]).to_excel(writer, sheet_name=name, index=False)
