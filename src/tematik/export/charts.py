"""Charts as files (png or svg by extension), drawn with matplotlib's Agg canvas; no database, no pyplot state.

matplotlib is imported inside the functions: the CLI may import this module at start-up.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from tematik.errors import InputError
from tematik.escape import chart_text
from tematik.fileio import atomic_open, make_folder
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
    # bars on the category scale's basis (percent of maximum, POMP or mean item score), so the bands fit them
    basis = getattr(scale, "basis", "percent")
    column = basis if basis in scores.columns else "percent"
    scores = scores.assign(group=scores["group"].fillna("").astype(str))
    groups: list[str] = list(dict.fromkeys(scores["group"]))

    # y positions from the top: a header line per group, then its bars
    labels: list[tuple[float, str, bool]] = []  # (y, text, is_header)
    bars: list[tuple[float, float, str]] = []  # (y, percent, colour)
    y = 0.0
    for group in groups:
        if group or len(groups) > 1:
            labels.append((y, chart_text(GROUP_HEADINGS.get(group, {}).get(lang, group)), True))
            y += 1
        for row in scores[scores["group"] == group].to_dict(orient="records"):
            percent = float(row[column])
            colour = "#cccccc" if math.isnan(percent) else colours[index_of[id(scale.band(percent))]]
            labels.append((y, chart_text(str(row["name"])), False))
            bars.append((y, percent, colour))
            y += 1
        y += 0.4
    height = y - 0.4

    top = 100.0
    if column == "mean":
        top = max(list(scale.bounds) + [p for _, p, _ in bars if not math.isnan(p)] + [1.0]) * 1.15
    fig = Figure(figsize=(8.0, 1.3 + 0.32 * height), layout="constrained")
    ax = fig.add_subplot()
    for by, percent, colour in bars:
        if math.isnan(percent):
            ax.text(1, by, "n/a", va="center", fontsize=9)
            continue
        ax.barh(by, percent, height=0.7, color=colour, edgecolor="#333333", linewidth=0.5)
        ax.text(percent + top * 0.008, by, f"{percent:.1f}", va="center", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
    for bound in scale.bounds:
        if 0 < bound < top:
            ax.vlines(bound, -0.55, height - 0.4, color="#555555", linestyle="--", linewidth=0.8, zorder=0)
            ax.text(bound, -0.8, f"{bound:g}", ha="center", va="center", fontsize=8, color="#555555")

    ax.set_yticks([t[0] for t in labels])
    ax.set_yticklabels([t[1] for t in labels], fontsize=9)
    for tick, (_, _, is_header) in zip(ax.get_yticklabels(), labels, strict=True):
        if is_header:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(height - 0.4, -1.2)
    ax.set_xlim(0, top)
    xlabels = {"percent": ("% of maximum score", "% dari skor maksimum"), "pomp": ("POMP (% of maximum possible)",
               "POMP (% dari rentang skor)"), "mean": ("mean item score", "rata-rata skor butir")}[column]
    ax.set_xlabel(xlabels[0] if lang == "en" else xlabels[1], fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=c, edgecolor="#333333", linewidth=0.5, label=chart_text(b.label(lang)))
               for b, c in zip(scale.bands, colours, strict=True)]
    fig.legend(handles=handles[::-1], loc="outside right upper", fontsize=8, frameon=False,
               title=chart_text(scale.name), title_fontsize=8)
    if title:  # a figure title, so a long one never runs into the legend beside the axes
        fig.suptitle(chart_text(title), x=0.01, ha="left", fontsize=10)
    make_folder(out.parent)
    with atomic_open(out, "wb") as fh:  # whole or not at all
        fig.savefig(fh, format=suffix[1:], dpi=200)
    return out


# --------------------------------------------------------------------------- theme frequencies and co-occurrence

# Okabe & Ito's colour-blind-safe qualitative palette (black left out), then matplotlib's tab10 for more groups.
_GROUPS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


def _group_colours(n: int) -> list[str]:
    if n <= len(_GROUPS):
        return list(_GROUPS[:n])
    from matplotlib import colormaps, colors

    cmap = colormaps["tab20"]
    return [colors.to_hex(cmap(i % 20)) for i in range(n)]


def _chart_path(path: str | Path) -> tuple[Path, str]:
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise InputError(f"a chart is written as .png or .svg, not '{out.suffix}'", path=str(path))
    return out, suffix[1:]


def _number_text(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def frequency_chart(table: Any, path: str | Path, *, labels: dict[str, str] | None = None,
                    value_label: str = "coded units", stacked: bool = True, legend_title: str | None = None,
                    title: str | None = None, note: str | None = None) -> Path:
    """Draw theme frequencies as horizontal bars, one bar per code, in the order of ``table``'s rows (top down).

    ``table`` is a DataFrame indexed by code with one numeric column per group (one column: plain bars). Several
    columns are stacked (additive measures such as coded units or words) or, with ``stacked=False``, drawn side
    by side (percentages, documents, participants). ``labels`` maps codes to display names. The file type
    follows the extension of ``path`` (.png at 200 dpi, or .svg). Returns the path written.
    """
    import numpy as np
    from matplotlib.figure import Figure

    out, fmt = _chart_path(path)
    codes = [str(c) for c in table.index]
    names = [chart_text((labels or {}).get(c, c)) for c in codes]
    table = table.loc[:, [c for c in table.columns if table[c].notna().any()]]  # groups without a value
    groups = [chart_text(c) for c in table.columns]
    values = np.nan_to_num(table.to_numpy(dtype=float))
    n, k = values.shape
    side_by_side = k > 1 and not stacked
    row_height = 0.2 * k + 0.2 if side_by_side else 0.42
    fig = Figure(figsize=(8.0, 1.4 + row_height * max(n, 1) + (0.3 if k > 1 else 0)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)
    colours = _group_colours(k) if k > 1 else ["#0072B2"]
    top = float(values.sum(axis=1).max() if stacked else values.max()) if values.size else 0.0
    if side_by_side:
        height = 0.8 / k
        for j in range(k):
            pos = y - 0.4 + height * (j + 0.5)
            ax.barh(pos, values[:, j], height=height * 0.92, color=colours[j], label=groups[j])
            for yy, v in zip(pos, values[:, j], strict=True):
                if v > 0:
                    ax.text(v + top * 0.01, yy, _number_text(v), va="center", fontsize=7)
    else:
        left = np.zeros(n)
        for j in range(k):
            ax.barh(y, values[:, j], left=left, height=0.7, color=colours[j], edgecolor="white", linewidth=0.5,
                    label=groups[j] if k > 1 else None)
            left += values[:, j]
        for yy, v in zip(y, left, strict=True):
            ax.text(v + top * 0.01, yy, _number_text(v), va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=9)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, top * 1.12 if top > 0 else 1)
    ax.set_xlabel(chart_text(value_label), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if k > 1:
        fig.legend(loc="outside upper center", ncols=min(k, 4), fontsize=8, frameon=False,
                   title=chart_text(legend_title) if legend_title else None,
                   title_fontsize=8)
    if title:
        fig.suptitle(chart_text(title), x=0.01, ha="left", fontsize=10)
    if note:  # a figure-level x label: the constrained layout keeps room for it
        fig.supxlabel(note, x=0.01, ha="left", fontsize=7, color="#555555")
    make_folder(out.parent)
    with atomic_open(out, "wb") as fh:  # whole or not at all
        fig.savefig(fh, format=fmt, dpi=200)
    return out


def cooccurrence_heatmap(matrix: Any, path: str | Path, *, labels: dict[str, str] | None = None,
                         value_label: str = "units with both codes", flags: set[tuple[str, str]] | None = None,
                         title: str | None = None, note: str | None = None) -> Path:
    """Draw a code x code co-occurrence matrix as an annotated heatmap.

    ``matrix`` is a square DataFrame indexed and columned by code. Off-diagonal cells are shaded by value and
    labelled; the diagonal (a code with itself) is grey and, for counts, shows the code's own units. Pairs in
    ``flags`` (frequencies differing more than fivefold) get a dagger. Returns the path written.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    out, fmt = _chart_path(path)
    codes = [str(c) for c in matrix.index]
    names = [chart_text((labels or {}).get(c, c)) for c in codes]
    values = matrix.astype(float).to_numpy()
    n = len(codes)
    off = values.copy()
    np.fill_diagonal(off, np.nan)
    top = float(np.nanmax(off)) if n > 1 and not np.all(np.isnan(off)) else 0.0
    size = min(max(4.5, 1.6 + 0.75 * n), 11.0)
    fig = Figure(figsize=(size + 1.3, size), layout="constrained")
    ax = fig.add_subplot()
    cmap = colormaps["Blues"].with_extremes(bad="#eeeeee")
    image = ax.imshow(np.ma.masked_invalid(off), cmap=cmap, vmin=0, vmax=top if top > 0 else 1)
    flagged = {(a, b) for a, b in (flags or set())} | {(b, a) for a, b in (flags or set())}
    integers = bool(np.all(np.isnan(values) | (values == np.round(values))))
    fontsize = 9 if n <= 8 else 7 if n <= 14 else 6
    for i in range(n):
        for j in range(n):
            v = values[i, j]
            if np.isnan(v):
                continue
            text = f"{v:.0f}" if integers else f"{v:.2f}"
            if (codes[i], codes[j]) in flagged:
                text += "\u2020"
            dark = i != j and top > 0 and v / top > 0.6
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if dark else "#555555" if i == j else "black",
                    fontstyle="italic" if i == j else "normal")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(names, rotation=40, ha="right", fontsize=9)
    ax.set_yticklabels(names, fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.7)
    if integers:
        from matplotlib.ticker import MaxNLocator

        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    bar.set_label(value_label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if title:
        ax.set_title(chart_text(title), fontsize=10, loc="left")
    dagger = "\u2020 the codes co-occur and their frequencies differ more than fivefold (c understates the link)"
    lines = [x for x in (note, dagger if flagged else None) if x]
    if lines:
        fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=7, color="#555555")
    make_folder(out.parent)
    with atomic_open(out, "wb") as fh:  # whole or not at all
        fig.savefig(fh, format=fmt, dpi=200)
    return out
