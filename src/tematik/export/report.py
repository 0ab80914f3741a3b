"""Write a :class:`tematik.report.Report` as self-contained HTML, Markdown, XLSX (one sheet per table) and DOCX.

The HTML needs nothing outside the file: CSS is inline and figures are embedded (PNG as base64 data URIs, SVG
inline). The Markdown links its figures as files next to it. python-docx and openpyxl are imported inside the
writers.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path

from tematik.escape import docx_text, html_text, md_cell, md_text
from tematik.fileio import atomic_open, make_folder, remove_manifest, write_manifest, write_text
from tematik.report import Bullets, Figure, Paragraph, Report, Section, Table

FORMATS = ("html", "md", "xlsx", "docx")

# background colours of the convergence codes (light, print-friendly) and their text colour
CONVERGENCE_COLOURS = {
    "agreement": ("#d9f0d3", "#1b5e20"),
    "partial agreement": ("#fff2cc", "#7a5900"),
    "silence": ("#e8e8e8", "#333333"),
    "dissonance": ("#f8d0cc", "#8b1a10"),
}

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4d9; --accent: #1f5f8b; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif; color: var(--ink); margin: 0;
       background: #f6f7f9; line-height: 1.45; font-size: 15px; }
header { background: #fff; border-bottom: 1px solid var(--rule); padding: 1.6rem 2.4rem 1rem; }
header h1 { margin: 0 0 .2rem; font-size: 1.8rem; }
header .subtitle { color: var(--muted); margin: 0 0 .8rem; }
nav ol { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; padding: 0; margin: 0; list-style: none;
         counter-reset: toc; }
nav li { counter-increment: toc; }
nav li::before { content: counter(toc) ". "; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; }
main { max-width: 1400px; margin: 0 auto; padding: 1rem 2.4rem 3rem; }
section { background: #fff; border: 1px solid var(--rule); border-radius: 6px; padding: 1rem 1.4rem 1.2rem;
          margin: 1.2rem 0; }
section h2 { margin: .2rem 0 .8rem; font-size: 1.35rem; color: var(--accent); }
h3 { font-size: 1.05rem; margin: 1.1rem 0 .4rem; }
p.emphasis { background: #fff4e5; border-left: 4px solid #e08a00; padding: .5rem .8rem; font-weight: 600; }
figure { margin: .8rem 0 1.2rem; }
figure img, figure svg { max-width: min(100%, 880px); height: auto; border: 1px solid var(--rule); }
figcaption, .caption { color: var(--muted); font-size: .85rem; margin-top: .3rem; }
.table-wrap { overflow-x: auto; margin: .4rem 0 1rem; }
table.data { border-collapse: collapse; font-size: .82rem; width: 100%; }
table.data caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: .8rem;
                     padding-top: .35rem; }
table.data th { background: #eef1f4; text-align: left; font-weight: 600; border-bottom: 2px solid var(--rule);
                padding: .3rem .45rem; vertical-align: bottom; }
table.data td { border-bottom: 1px solid #e6e8eb; padding: .28rem .45rem; vertical-align: top; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.wide { min-width: 12em; }
td.cv { font-weight: 600; white-space: nowrap; border-radius: 3px; }
td.cv.overridden { outline: 2px dashed #6a1b9a; outline-offset: -3px; }
td.cv.superseded { text-decoration: line-through; opacity: .7; }
ul.notes li { margin: .15rem 0; }
footer { color: var(--muted); font-size: .8rem; text-align: center; padding: 1rem; }
@media print { body { background: #fff; } section { border: none; page-break-inside: auto; } nav { display: none; } }
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# --------------------------------------------------------------------------- HTML


def figure_html(fig: Figure) -> str:
    path = Path(fig.path)
    alt = html_text(fig.title)
    if path.suffix.lower() == ".svg":
        svg = path.read_text(encoding="utf-8")
        svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
        svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
        body = f'<div role="img" aria-label="{alt}">{svg}</div>'
    else:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        body = f'<img alt="{alt}" src="data:image/png;base64,{data}">'
    caption = html_text(fig.title + (f". {fig.caption}" if fig.caption else ""))
    return f'<figure id="fig-{_slug(fig.key)}">{body}<figcaption>{caption}</figcaption></figure>'


def _cell_style(table: Table, row, column: str) -> tuple[str, str]:
    """(class, style) of a convergence cell."""
    value = row.get(column)
    if column not in table.convergence or not value or value not in CONVERGENCE_COLOURS:
        return "", ""
    bg, fg = CONVERGENCE_COLOURS[value]
    classes = ["cv"]
    overridden = bool(row.get("override"))
    if overridden and column == "override":
        classes.append("overridden")
    if overridden and column == "computed":
        classes.append("superseded")
    if overridden and column == "convergence":
        classes.append("overridden")
    return " ".join(classes), f"background:{bg};color:{fg}"


def _wide(table: Table, column: str) -> bool:
    """A text column whose cells run long: it gets a minimum width so that it does not wrap word by word."""
    lengths = [len(table.text(r, column)) for r in table.rows]
    return bool(lengths) and sum(lengths) / len(lengths) > 50


def table_html(table: Table) -> str:
    numeric = {c: table.numeric(c) for c in table.columns}
    wide = {c: not numeric[c] and _wide(table, c) for c in table.columns}
    wide_attr = ' class="wide"'
    head = "".join(f'<th scope="col"{wide_attr if wide[c] else ""}>{html_text(table.header(c))}</th>'
                   for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for c in table.columns:
            cls, style = _cell_style(table, row, c)
            if numeric[c]:
                cls = (cls + " num").strip()
            text = html_text(table.text(row, c)).replace(" | ", "<br>").replace("\n", "<br>")
            attrs = (f' class="{cls}"' if cls else "") + (f' style="{style}"' if style else "")
            cells.append(f"<td{attrs}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"<caption>{html_text(table.caption)}</caption>" if table.caption else ""
    return (f'<h3 id="table-{_slug(table.key)}">{html_text(table.title)}</h3>'
            f'<div class="table-wrap"><table class="data" data-table="{html_text(table.key)}">'
            f"{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _block_html(block) -> str:
    if isinstance(block, Paragraph):
        cls = ' class="emphasis"' if block.emphasis else ""
        return f"<p{cls}>{html_text(block.text)}</p>"
    if isinstance(block, Bullets):
        title = f"<h3>{html_text(block.title)}</h3>" if block.title else ""
        items = "".join(f"<li>{html_text(i)}</li>" for i in block.items)
        return f'{title}<ul class="notes">{items}</ul>'
    if isinstance(block, Table):
        return table_html(block)
    if isinstance(block, Figure):
        return figure_html(block)
    raise TypeError(type(block))


def to_html(report: Report) -> str:
    toc = "".join(f'<li><a href="#{html_text(s.key)}">{html_text(s.title)}</a></li>' for s in report.sections)
    sections = "".join(
        f'<section id="{html_text(s.key)}"><h2>{html_text(s.title)}</h2>'
        + "".join(_block_html(b) for b in s.blocks) + "</section>" for s in report.sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<meta name=\"generator\" content=\"tematik\"><title>{html_text(report.title)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{html_text(report.title)}</h1><p class=\"subtitle\">{html_text(report.subtitle)}</p>"
        f"<nav aria-label=\"Contents\"><ol>{toc}</ol></nav></header>"
        f"<main>{sections}</main><footer>Written by tematik. Every number in this report is computed by the same "
        "functions as the individual commands.</footer></body></html>\n")


def write_html(report: Report, path: str | Path) -> Path:
    out = Path(path)
    make_folder(out.parent)
    write_text(out, to_html(report))
    return out


# --------------------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return md_cell(text.replace(" | ", "\n"))


def table_markdown(table: Table) -> str:
    numeric = [table.numeric(c) for c in table.columns]
    lines = [f"**{md_text(table.title)}**", "",
             "| " + " | ".join(_md_cell(table.header(c)) for c in table.columns) + " |",
             "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    for row in table.rows:
        cells = []
        for c in table.columns:
            text = table.text(row, c)
            cell = _md_cell(text)
            if c in table.convergence and text and row.get("override") and c in ("override", "convergence"):
                cell = f"**{cell}** \u270e"
            elif c in table.convergence and text and row.get("override") and c == "computed":
                cell = f"~~{cell}~~"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    if table.caption:
        lines += ["", f"*{md_text(table.caption)}*"]
    return "\n".join(lines) + "\n"


def to_markdown(report: Report, *, base: Path | None = None) -> str:
    """Markdown; figures link to their files, relative to ``base`` (the folder the .md is written to)."""
    out = [f"# {md_text(report.title)}", "", f"_{md_text(report.subtitle)}_", ""]
    out += [f"{i}. [{md_text(s.title)}](#{_slug(s.title)})" for i, s in enumerate(report.sections, 1)] + [""]
    for s in report.sections:
        out += [f"## {md_text(s.title)}", ""]
        for b in s.blocks:
            if isinstance(b, Paragraph):
                out += [f"**{md_text(b.text)}**" if b.emphasis else md_text(b.text), ""]
            elif isinstance(b, Bullets):
                if b.title:
                    out += [f"### {md_text(b.title)}", ""]
                out += [f"- {md_text(i)}" for i in b.items] + [""]
            elif isinstance(b, Table):
                out += [table_markdown(b)]
            elif isinstance(b, Figure):
                target = Path(b.path)
                if base is not None:
                    try:
                        target = target.resolve().relative_to(base.resolve())
                    except ValueError:
                        pass
                out += [f"![{md_text(b.title)}]({target.as_posix()})", "", f"*{md_text(f'{b.title}. {b.caption}')}*",
                        ""]
    return "\n".join(out).rstrip() + "\n"


def write_markdown(report: Report, path: str | Path) -> Path:
    out = Path(path)
    make_folder(out.parent)
    write_text(out, to_markdown(report, base=out.parent))
    return out


# --------------------------------------------------------------------------- XLSX


def write_xlsx(report: Report, path: str | Path, tables: Sequence[Table] | None = None) -> Path:
    """One sheet per table (raw numbers, display headers); a first sheet lists the tables."""
    from tematik.export.tables import write_xlsx as write_sheets

    out = Path(path)
    make_folder(out.parent)
    chosen = list(tables if tables is not None else report.tables)
    sheets: dict[str, tuple[list[str], list[dict]]] = {
        "contents": (["sheet", "table", "caption"],
                     [{"sheet": t.key[:31], "table": t.title, "caption": t.caption} for t in chosen])}
    for t in chosen:
        headers = [t.header(c) for c in t.columns]
        rows = [{t.header(c): _xlsx(r.get(c)) for c in t.columns} for r in t.rows]
        sheets[t.key] = (headers, rows)
    write_sheets(out, sheets)
    return out


def _xlsx(value):
    if isinstance(value, str):
        return value.replace(" | ", "\n")
    return value


# --------------------------------------------------------------------------- DOCX


def write_docx(report: Report, path: str | Path) -> Path:
    """A Word document: headings, paragraphs, bullet lists, tables (wide ones on landscape pages) and figures."""
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10)
    first = doc.sections[0]
    first.left_margin = first.right_margin = Cm(2)

    def orient(landscape: bool) -> None:
        current = doc.sections[-1]
        if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
            return
        new = doc.add_section(WD_SECTION.NEW_PAGE)
        width, height = new.page_width, new.page_height
        if (width > height) != landscape:
            new.page_width, new.page_height = height, width
        new.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        new.left_margin = new.right_margin = Cm(1.5 if landscape else 2)

    def shade(cell, colour: str) -> None:
        props = cell._tc.get_or_add_tcPr()
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), colour.lstrip("#"))
        props.append(shd)

    def widths(t: Table, total: int, size_pt: float) -> list[int]:
        """Column widths (EMU): each column wide enough for its longest word (up to 22 characters), the rest of
        the line shared in proportion to how much text the columns hold."""
        char = int(size_pt * 0.62 * 12700)  # an average character (a wide sans-serif), in EMU
        pad = int(Cm(0.25))
        minimum, weight = [], []
        for c in t.columns:
            texts = [t.text(r, c) for r in t.rows[:200]]
            words = [len(w) for x in [t.header(c), *texts] for w in x.split()]
            bold = 1.15 if c in t.convergence else 1.0  # convergence codes are set in bold
            minimum.append(int(min(max(words + [3]), 22) * char * bold) + pad)
            weight.append(min(sum(map(len, texts)) / len(texts), 80) if texts else 1.0)
        spare = total - sum(minimum)
        if spare <= 0:
            return [int(m * total / sum(minimum)) for m in minimum]
        weight = [max(w, 1.0) for w in weight]
        return [int(m + spare * w / sum(weight)) for m, w in zip(minimum, weight, strict=True)]

    def add_table(t: Table) -> None:
        wide = len(t.columns) > 8
        doc.add_paragraph(docx_text(t.title), style="Heading 3")
        grid = doc.add_table(rows=1, cols=len(t.columns))
        grid.style = "Table Grid"
        grid.autofit = False
        section = doc.sections[-1]
        size = Pt(7 if wide else 8.5)
        column_widths = widths(t, section.page_width - section.left_margin - section.right_margin, size.pt)
        for cell, c in zip(grid.rows[0].cells, t.columns, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(docx_text(t.header(c)))
            run.bold = True
            run.font.size = size
            shade(cell, "#eef1f4")
        for row in t.rows:
            cells = grid.add_row().cells
            for cell, c in zip(cells, t.columns, strict=True):
                text = docx_text(t.text(row, c).replace(" | ", "\n"))
                value = row.get(c)
                if c in t.convergence and value in CONVERGENCE_COLOURS and row.get("override") and \
                        c in ("override", "convergence"):
                    text += " \u270e"
                run = cell.paragraphs[0].add_run(text)
                run.font.size = size
                if c in t.convergence and value in CONVERGENCE_COLOURS:
                    bg, fg = CONVERGENCE_COLOURS[value]
                    shade(cell, bg)
                    run.bold = True
                    run.font.color.rgb = RGBColor.from_string(fg.lstrip("#"))
                    if row.get("override") and c == "computed":
                        run.font.strike = True
        for column, width in zip(grid.columns, column_widths, strict=True):
            column.width = width
        for gridrow in grid.rows:
            for cell, width in zip(gridrow.cells, column_widths, strict=True):
                cell.width = width
        if t.caption:
            p = doc.add_paragraph()
            r = p.add_run(docx_text(t.caption))
            r.italic = True
            r.font.size = Pt(8)

    doc.add_heading(docx_text(report.title), level=0)
    doc.add_paragraph(docx_text(report.subtitle)).runs[0].italic = True
    for s in report.sections:
        orient(any(len(t.columns) > 8 for t in s.tables))  # a section with a wide table is set in landscape
        doc.add_heading(docx_text(s.title), level=1)
        for b in s.blocks:
            if isinstance(b, Paragraph):
                p = doc.add_paragraph()
                run = p.add_run(docx_text(b.text))
                if b.emphasis:
                    run.bold = True
                    run.font.color.rgb = RGBColor(0x9A, 0x4D, 0x00)
            elif isinstance(b, Bullets):
                if b.title:
                    doc.add_paragraph(docx_text(b.title), style="Heading 3")
                for item in b.items:
                    doc.add_paragraph(docx_text(item), style="List Bullet")
            elif isinstance(b, Table):
                add_table(b)
            elif isinstance(b, Figure):
                if Path(b.path).suffix.lower() == ".png":
                    doc.add_picture(str(b.path), width=Cm(16))
                p = doc.add_paragraph()
                r = p.add_run(docx_text(f"{b.title}. {b.caption}"))
                r.italic = True
                r.font.size = Pt(8)
    out = Path(path)
    make_folder(out.parent)
    with atomic_open(out, "wb") as fh:  # whole or not at all
        doc.save(fh)
    return out


def write_all(report: Report, folder: str | Path, *, stem: str = "report") -> dict[str, Path]:
    """report.html, report.md, report.xlsx and report.docx in ``folder``, then MANIFEST.json.

    Each file is written whole or not at all (see ``tematik.fileio``). The manifest is removed first and written
    last, listing every file of this run (with the figures) and its SHA-256: a folder without a manifest was
    interrupted midway and may mix files of two runs. Callers that draw figures into the folder before this
    call remove the manifest before drawing them.
    """
    base = Path(folder)
    make_folder(base)
    remove_manifest(base)
    written = {
        "html": write_html(report, base / f"{stem}.html"),
        "md": write_markdown(report, base / f"{stem}.md"),
        "xlsx": write_xlsx(report, base / f"{stem}.xlsx"),
        "docx": write_docx(report, base / f"{stem}.docx"),
    }
    figures = [Path(b.path) for s in report.sections for b in s.blocks if isinstance(b, Figure)]
    written["manifest"] = write_manifest(base, [*written.values(), *figures])
    return written


def section_ids(report: Report) -> list[str]:
    return [s.key for s in report.sections]


__all__ = ["FORMATS", "Section", "to_html", "to_markdown", "write_all", "write_docx", "write_html",
           "write_markdown", "write_xlsx"]
