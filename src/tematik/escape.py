"""User text made safe for each output format: one helper per format, used by every writer of tematik.

Transcripts, code names, memos and file names are user data: they can hold control characters (a form feed from
PDF text, an escape sequence pasted from a terminal), text a spreadsheet runs as a formula (``=cmd|' /C
calc'!A0``), or Markdown/HTML that a viewer runs (``<script>``, ``[x](javascript:...)``). Each writer passes
every piece of user text through the helper of its format:

==========  ==================  ===========================================================================
format      helper              what it does
==========  ==================  ===========================================================================
terminal    ``cli.common.terminal_text`` (on :func:`strip_controls`): escape sequences and controls removed
CSV         :func:`csv_cell`    text starting with ``= + - @``, tab or CR gets a leading ``'`` (not numbers)
XLSX        :func:`xlsx_cell`   as CSV, plus characters XML cannot hold removed, cut at Excel's 32,767
Markdown    :func:`md_text`     controls removed; ``& < >`` as entities; ``\\ ` * _ [ ] |`` and line-leading
                                ``# + -`` and ``1.`` escaped, so no link, image, HTML or table syntax survives
            :func:`md_cell`     :func:`md_text` for a table cell (line breaks as ``<br>``)
HTML        :func:`html_text`   controls removed, ``& < > " '`` as entities
DOCX        :func:`docx_text`   controls and characters XML cannot hold removed
charts      :func:`chart_text`  controls removed (an SVG is XML), ``$`` escaped (no mathtext)
==========  ==================  ===========================================================================

The text stored in the project is never changed: offsets into documents stay valid, and a CSV exchange file
read back gives what was written (its ``'`` prefix is documented and removed on import by :func:`csv_uncell`).

A leaf module: standard library only, imported by export writers, the codebook writer and the CLI.
"""

from __future__ import annotations

import html
import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32_767  # characters Excel keeps in one cell

# Escape sequences a terminal acts on: CSI (colours, clear screen, cursor), OSC (window title, hyperlinks,
# clipboard), DCS/SOS/PM/APC strings, their 8-bit C1 forms, and any other ESC sequence or a bare ESC.
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"                              # CSI
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"          # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"               # DCS, SOS, PM, APC ... ST
    r"|\x9b[0-?]*[ -/]*[@-~]?"                               # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"                                     # any other ESC sequence, or a bare ESC
)
_SPACE_LIKE = re.compile(r"\r\n|[\r\x0b\x0c\x85]")
# C0 controls but tab and newline, DEL, C1; and what XML 1.0 cannot hold at all (lone surrogates, U+FFFE/FFFF)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_NAMES = {0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


def strip_controls(text: Any) -> str:
    """``text`` without control characters: escape sequences removed whole, CR / VT / FF / NEL made a space (a
    CRLF a line break), every other C0/C1 control but tab and newline removed. Text without any comes back
    unchanged (the common case costs one regular-expression search)."""
    s = text if isinstance(text, str) else str(text)
    if not _CONTROLS.search(s):
        return s
    s = _SEQUENCES.sub("", s)
    s = _SPACE_LIKE.sub(lambda m: "\n" if m.group(0) == "\r\n" else " ", s)
    return _CONTROLS.sub("", s)


def control_characters(text: str) -> dict[str, int]:
    """The control characters in ``text`` (but tab, newline and CR) by name (``ESC``, ``FF``, ``U+0085``): count."""
    out: dict[str, int] = {}
    for m in _CONTROLS.finditer(text):
        code = ord(m.group(0))
        if code == 0x0D:
            continue
        name = _CONTROL_NAMES.get(code, f"U+{code:04X}")
        out[name] = out.get(name, 0) + 1
    return out


# --------------------------------------------------------------------------- spreadsheets

def csv_cell(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would run as a formula gets a leading ``'``; numbers are left alone (so
    ``-3`` stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_uncell(value: str) -> str:
    """What :func:`csv_cell` wrote, read back: the ``'`` it added before a formula-like text removed."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def xlsx_cell(value: Any) -> Any:
    """An XLSX cell: controls removed (openpyxl refuses them: IllegalCharacterError), formula-like text given a
    leading ``'``, text cut to Excel's 32,767 characters (ending in ``…``)."""
    if not isinstance(value, str):
        return value
    value = strip_controls(value)
    if len(value) > XLSX_CELL_LIMIT:
        value = value[: XLSX_CELL_LIMIT - 1] + "…"
    return csv_cell(value)


# --------------------------------------------------------------------------- documents

# always: backslash, code, emphasis, links/images, tables, strikethrough; ``_`` unless inside a word (intraword
# underscores are no emphasis in CommonMark: ``intrinsic_motivation`` stays as written)
_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<![^\W_])_|_(?![^\W_])")
# block syntax at the start of a line: headings, list items, setext underlines, numbered items (``1. `` / ``1) ``)
_MD_LINE_START = re.compile(r"(?m)^([ \t]*)(?:(#{1,6}|[-+])(?=[ \t]|$)|([=-])(?=[=-]*[ \t]*$)"
                            r"|(\d{1,9})([.)])(?=[ \t]|$))")


def _md_block(m: re.Match[str]) -> str:
    indent, marker, rule, digits, punct = m.groups()
    if digits is not None:
        return f"{indent}{digits}\\{punct}"
    return f"{indent}\\{marker or rule}"


def md_text(value: Any) -> str:
    """Text for a Markdown file, shown literally: no HTML (``<script>``), link or image (``[x](javascript:..)``),
    emphasis, code, table or heading syntax from user data survives."""
    s = html.escape(strip_controls(value), quote=False)
    s = _MD_INLINE.sub(lambda m: "\\" + m.group(0), s)
    return _MD_LINE_START.sub(_md_block, s)


def md_cell(value: Any) -> str:
    """:func:`md_text` for a cell of a Markdown table: one line (line breaks become ``<br>``)."""
    return md_text(value).replace("\n", "<br>")


def html_text(value: Any) -> str:
    """Text for HTML (element content or a quoted attribute value)."""
    return html.escape(strip_controls(value), quote=True)


def docx_text(value: Any) -> str:
    """Text for a Word document: python-docx refuses control characters ("All strings must be XML compatible")."""
    return strip_controls(value)


def chart_text(value: Any) -> str:
    """A label of a matplotlib chart: controls removed (an SVG is XML) and ``$`` escaped, so that a name with
    dollar signs is drawn as written instead of parsed as mathtext (which fails on ``$\\foo$``)."""
    return strip_controls(value).replace("$", r"\$")
