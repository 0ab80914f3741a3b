"""Renderers more than one command uses: a document with its speakers, turns and highlighted codings; the joint
display; the heat-map cell style; the banner over counts that include unreviewed suggestions."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from tematik.cli.common import console, emit, same_length
from tematik.models import Document

_FALLBACK = ["#e6a100", "#2a9d8f", "#e76f51", "#8ab17d", "#9b5de5", "#457b9d", "#f4a261", "#d62828"]


def _colour(code: str, given: str | None, palette: dict[str, str]) -> str:
    if code not in palette:
        free = [c for c in _FALLBACK if c not in palette.values()]  # not the colour another code shows in
        palette[code] = given or (free or _FALLBACK)[0 if free else len(palette) % len(_FALLBACK)]
    return palette[code]


#: How a coding's status shows in its label when colour is not seen: a pending suggestion ends in "?", a rejected
#: one (shown with --status all) in "✗"; accepted and manual codings are the bare code id.
STATUS_MARKS = {"suggested": "?", "rejected": "✗"}


def code_label(mark: dict) -> str:
    """A coding's label in the text: its code id and the mark of its status (``trust``, ``trust?``)."""
    return f"{mark['code']}{STATUS_MARKS.get(mark['status'], '')}"


def _label_style(mark: dict, palette: dict[str, str]) -> str:
    colour = _colour(mark["code"], mark.get("colour"), palette)
    return f"bold {colour}" + (" italic" if mark["status"] != "accepted" and mark["status"] != "manual" else "")


def coded_text(body: Text, marks: list[dict], palette: dict[str, str]) -> Text:
    """``body`` (the document's text, styled by character offsets) with every coding marked, colour or none:
    ``⟦burnout,workload? ...⟧`` around each coded span, labelled with every code on it (suggestions end in
    ``?``), nested where codings nest; a bracket that closes a span other than the innermost open one repeats
    its labels (``teamwork⟧``). Accepted and manual codings also get their code's background, suggestions an
    underline in its colour (the innermost coding's colour shows where several overlap)."""
    body = body.copy()
    for m in sorted(marks, key=lambda m: not m.get("colour")):  # the codebook's colours first, then the rest
        _colour(m["code"], m.get("colour"), palette)
    for m in sorted(marks, key=lambda m: (m["start"], -m["end"])):  # inner spans styled last, so they show
        colour = _colour(m["code"], m.get("colour"), palette)
        style = f"on {colour}" if m["status"] in ("accepted", "manual") else f"underline {colour}"
        body.stylize(style, m["start"], m["end"])
    groups: dict[tuple[int, int], list[dict]] = {}
    for m in marks:
        groups.setdefault((m["start"], m["end"]), []).append(m)
    if not groups:
        return body

    def labels(span: tuple[int, int]) -> Text:
        out, seen = Text(), set()
        for m in sorted(groups[span], key=lambda m: (m["code"], m["status"] not in ("accepted", "manual"))):
            label = code_label(m)
            if label in seen:
                continue
            if seen:
                out.append(",", style="dim")
            seen.add(label)
            out.append(label, style=_label_style(m, palette))
        return out

    opens: dict[int, list[tuple[int, int]]] = {}
    closes: dict[int, list[tuple[int, int]]] = {}
    for span in groups:
        opens.setdefault(span[0], []).append(span)
        closes.setdefault(span[1], []).append(span)
    cuts = sorted(set(opens) | set(closes))
    pieces = body.divide(cuts)
    out = Text()
    out.append_text(pieces[0])
    stack: list[tuple[int, int]] = []
    for pos, piece in zip(cuts, pieces[1:], strict=True):
        ending = sorted(closes.get(pos, ()), key=stack.index, reverse=True)  # innermost first
        for span in ending:
            if stack[-1] == span:
                out.append("⟧", style="bold")
            else:  # spans that cross: say which one ends here
                out.append(" ")
                out.append_text(labels(span))
                out.append("⟧", style="bold")
            stack.remove(span)
        for span in sorted(opens.get(pos, ()), key=lambda sp: -sp[1]):  # outer first
            out.append("⟦", style="bold")
            out.append_text(labels(span))
            out.append(" ")
            stack.append(span)
        out.append_text(piece)
    return out


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
    body = coded_text(body, marks, palette)
    items = [header, Text(""), body]
    if marks:
        legend = Text("codes: ")
        counts: dict[str, int] = {}
        for m in marks:
            counts[m["code"]] = counts.get(m["code"], 0) + 1
        for code, n in counts.items():
            legend.append(f" {code} ({n}) ", style=f"on {palette[code]}")
            legend.append(" ")
        legend.append("   ⟦code ...⟧ = a coded span, with every code on it; code? = pending suggestion"
                      + (", code✗ = rejected" if any(m["status"] == "rejected" for m in marks) else "")
                      + "; background = accepted/manual, underline = suggested", style="dim")
        items += [Text(""), legend]
    console.print(Panel(Group(*items), expand=True))


def heat(value: Any, top: float) -> str | None:
    """A background from white to deep blue for value/top, with a readable foreground."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value or top <= 0 or value <= 0:
        return None
    x = min(float(value) / top, 1.0)
    r, g, b = (int(round(255 + (t - 255) * x)) for t in (33, 102, 172))
    fg = "white" if x > 0.55 else "black"
    return f"{fg} on #{r:02x}{g:02x}{b:02x}"


def unreviewed_banner(statuses: tuple[str, ...]) -> None:
    """Said above every table that counts unreviewed suggestions."""
    if "suggested" in statuses:
        console.print("[bold yellow]These counts include UNREVIEWED auto-coding suggestions (status 'suggested'): "
                      "read them as provisional.[/]")


CONVERGENCE_STYLES = {"agreement": "bold green", "partial agreement": "bold yellow", "silence": "bold white",
                      "dissonance": "bold red"}


def print_joint_display(display, quotes: int | None) -> None:
    """The joint display on the terminal: the table, why each code, the summary and the overall score."""
    from rich.markup import escape

    unreviewed_banner(display.statuses)
    rows = []
    for r in display.rows:
        rec = r.record(quotes=quotes)
        voiced = (f"{rec['participants']}/{rec['participants_total']} ({rec['participants_pct']:.0f}%)"
                  if rec["participants_pct"] is not None else ("" if r.kind == "factor" else "0"))
        conv = rec["convergence"]
        if rec["override"]:
            conv = f"{rec['override']} ✎ (computed: {rec['computed']})"
        rows.append({"theme": rec["name"] + (" (factor)" if r.kind == "factor" else ""), "voiced": voiced,
                     "units": rec["units"], "neg %": rec["negative_share"], "data": rec["methods"],
                     "quotes": rec["quotes"].replace(" | ", "\n"), "linked factors": rec["factors"].replace("; ", "\n"),
                     "convergence": conv, "meta-inference": rec["meta_inference"], "_code": r.convergence,
                     "_override": bool(rec["override"])})
    columns = ["theme", "voiced", "units", "neg %", "data", "quotes", "linked factors", "convergence",
               "meta-inference"]
    if not any(r["meta-inference"] for r in rows):
        columns.remove("meta-inference")
    if not quotes:
        columns.remove("quotes")

    def style(column: str, row: dict) -> str | None:
        if column != "convergence":
            return None
        base = CONVERGENCE_STYLES.get(row["_code"], "")
        return base + (" reverse" if row["_override"] else "")

    emit(columns, rows, "table", decimals={"neg %": 0}, cell_style=style,
         title="Joint display: themes and questionnaire factors",
         caption=f"Codings counted: {', '.join(display.statuses)}. ✎ = the researcher's override (reverse video); "
                 "Factor scores: percent of maximum with category. ✓/✗ = the factor reads / does not read in the "
                 "expected direction. " + display.readings)
    console.print("[bold]Why each code[/]")
    for r in display.rows:
        mark = ""
        if r.override:
            mark = (f" → overridden: {r.override.convergence} ✎ by {r.override.who} ({(r.override.at or '')[:10]}): "
                    f"{r.override.note}")
        meta = f" Meta-inference: {r.meta_inference}" if r.meta_inference else ""
        console.print(f"[{CONVERGENCE_STYLES.get(r.computed.code, '')}]{escape(r.computed.code)}[/] "
                      f"[bold]{escape(r.name)}[/]: {escape(r.computed.reason)}{escape(mark)}{escape(meta)}",
                      soft_wrap=True)
    summary = display.summary()
    console.print("[bold]Summary[/] " + ", ".join(
        f"{s['convergence']}: {s['final']}" + (f" (computed {s['computed']})" if s["computed"] != s["final"] else "")
        for s in summary if s["convergence"] != "total") + f" — {len(display.rows)} rows, {display.overridden} "
        "overridden", soft_wrap=True)
    if display.overall is not None and display.overall.percent is not None:
        console.print(f"Overall: {escape(display.overall.name)} {display.overall.percent:.1f}% "
                      f"({escape(display.overall.category or '')})", soft_wrap=True)
