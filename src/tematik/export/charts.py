"""Charts as files (png or svg by extension), drawn with matplotlib's Agg canvas; no database, no pyplot state.

matplotlib is imported inside the functions: the CLI may import this module at start-up.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tematik.errors import InputError
from tematik.instrument import CategoryScale

CHART_SUFFIXES = (".png", ".svg")

# Headings for the study's groups; any other group name is shown as written.
GROUP_HEADINGS = {
    "driving": {"id": "faktor pendorong", "en": "driving factors"},
    "inhibiting": {"id": "faktor penghambat", "en": "inhibiting factors"},
    "overall": {"id": "keseluruhan", "en": "overall"},
}

# Five colours from red (lowest band) to green (highest), readable in grey print and by most colour-blind readers.
_FIVE = ("#b2182b", "#ef8a62", "#e0c050", "#7fbf7b", "#1b7837")


def band_colours(scale: CategoryScale) -> list[str]:
    """One colour per band of ``scale``, lowest first."""
    n = len(scale.bands)
    if n == len(_FIVE):
        return list(_FIVE)
    from matplotlib import colormaps, colors

    cmap = colormaps["RdYlGn"]
    return [colors.to_hex(cmap(0.1 + 0.8 * i / max(n - 1, 1))) for i in range(n)]


def _language(scores: Any, scale: CategoryScale) -> str:
    """The language of the category labels in ``scores`` (the chart's legend follows it)."""
    categories = set(scores["category"])
    for lang in ("id", "en"):
        if categories <= {b.label(lang) for b in scale.bands} | {""}:
            return lang
    return "id"


def factor_chart(scores: Any, path: str | Path, scale: CategoryScale, *, title: str | None = None,
                 lang: str | None = None) -> Path:
    """Draw factor percentages as horizontal bars coloured by category, one block per group (in the order the
    groups first appear: driving, inhibiting, overall for the study), band boundaries as dashed vertical lines.

    ``scores`` is a :func:`tematik.survey.score` table without ``by`` (columns ``factor, name, group, percent``).
    The file type follows the extension of ``path`` (.png at 200 dpi, or .svg). Returns the path written.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise InputError(f"a chart is written as .png or .svg, not '{out.suffix}'", path=str(path))
    missing = {"factor", "name", "group", "percent"} - set(scores.columns)
    if missing:
        raise InputError(f"the scores table lacks columns: {', '.join(sorted(missing))}")
    if scores["factor"].duplicated().any():
        raise InputError("a factor chart needs one row per factor (draw it from scores without a split)")
    if lang is None:
        lang = _language(scores, scale) if "category" in scores.columns else "id"

    colours = band_colours(scale)
    index_of = {id(b): i for i, b in enumerate(scale.bands)}
    groups: list[str] = list(dict.fromkeys(scores["group"]))

    # y positions from the top: a header line per group, then its bars
    labels: list[tuple[float, str, bool]] = []  # (y, text, is_header)
    bars: list[tuple[float, float, str]] = []  # (y, percent, colour)
    y = 0.0
    for group in groups:
        labels.append((y, GROUP_HEADINGS.get(group, {}).get(lang, group), True))
        y += 1
        for row in scores[scores["group"] == group].itertuples(index=False):
            percent = float(row.percent)
            colour = "#cccccc" if math.isnan(percent) else colours[index_of[id(scale.band(percent))]]
            labels.append((y, str(row.name), False))
            bars.append((y, percent, colour))
            y += 1
        y += 0.4
    height = y - 0.4

    fig = Figure(figsize=(8.0, 1.3 + 0.32 * height), layout="constrained")
    ax = fig.add_subplot()
    for by, percent, colour in bars:
        if math.isnan(percent):
            ax.text(1, by, "n/a", va="center", fontsize=9)
            continue
        ax.barh(by, percent, height=0.7, color=colour, edgecolor="#333333", linewidth=0.5)
        ax.text(percent + 0.8, by, f"{percent:.1f}", va="center", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
    for bound in scale.bounds:
        if 0 < bound < 100:
            ax.vlines(bound, -0.55, height - 0.4, color="#555555", linestyle="--", linewidth=0.8, zorder=0)
            ax.text(bound, -0.8, f"{bound:g}", ha="center", va="center", fontsize=8, color="#555555")

    ax.set_yticks([t[0] for t in labels])
    ax.set_yticklabels([t[1] for t in labels], fontsize=9)
    for tick, (_, _, is_header) in zip(ax.get_yticklabels(), labels, strict=True):
        if is_header:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(height - 0.4, -1.2)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of maximum score" if lang == "en" else "% dari skor maksimum", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=b.label(lang))
               for b, c in zip(scale.bands, colours, strict=True)]
    fig.legend(handles=handles[::-1], loc="outside right upper", fontsize=8, frameon=False,
               title=scale.name, title_fontsize=8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=suffix[1:], dpi=200)
    return out
