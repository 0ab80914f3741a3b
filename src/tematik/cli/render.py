"""Rich rendering of documents: speakers, turns and highlighted codings with a legend."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from tematik.cli.common import console, same_length
from tematik.models import Document

_FALLBACK = ["#e6a100", "#2a9d8f", "#e76f51", "#8ab17d", "#9b5de5", "#457b9d", "#f4a261", "#d62828"]


def _colour(code: str, given: str | None, palette: dict[str, str]) -> str:
    if code not in palette:
        palette[code] = given or _FALLBACK[len(palette) % len(_FALLBACK)]
    return palette[code]


def print_document(doc: Document, marks: list[dict]) -> None:
    palette: dict[str, str] = {}
    header = Text.assemble((doc.name, "bold"), f"  {doc.source_type} · {doc.language or '?'}",
                           f" · participant {doc.participant}" if doc.participant else "",
                           f" · {doc.date}" if doc.date else "", f" · {doc.words:,} words")
    body = Text()
    text = same_length(doc.text)
    turns = doc.turns or ()
    pos = 0
    spans = sorted(turns, key=lambda t: t.start)
    for t in spans:
        if t.start > pos:
            body.append(text[pos:t.start])
        if t.speaker and t.start > pos:
            # re-style the label that precedes the turn's content
            label_start = text.rfind("\n", 0, t.start) + 1
            label_start = max(label_start, pos)
            body.stylize("bold magenta" if t.is_interviewer else "bold cyan", label_start - 0, t.start)
        body.append(text[t.start:t.end], style="dim" if t.is_interviewer else None)
        pos = t.end
    body.append(text[pos:])
    for m in marks:
        colour = _colour(m["code"], m.get("colour"), palette)
        style = f"on {colour}" if m["status"] in ("accepted", "manual") else f"underline {colour}"
        body.stylize(style, m["start"], m["end"])
    items = [header, Text(""), body]
    if marks:
        legend = Text("codes: ")
        counts: dict[str, int] = {}
        for m in marks:
            counts[m["code"]] = counts.get(m["code"], 0) + 1
        for code, n in counts.items():
            legend.append(f" {code} ({n}) ", style=f"on {palette[code]}")
            legend.append(" ")
        legend.append("   background = accepted/manual, underline = suggested", style="dim")
        items += [Text(""), legend]
    console.print(Panel(Group(*items), expand=True))
