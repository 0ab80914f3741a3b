"""What every command shares: the project option, output formats, consoles, progress bars."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tematik.errors import InputError
from tematik.escape import strip_controls

# --------------------------------------------------------------------------- user data on a terminal

def terminal_text(text: object) -> str:
    """User data made safe to print on a terminal: escape sequences (CSI, OSC incl. window titles and hyperlinks,
    DCS, bare ESC, their C1 forms) removed whole; carriage return, vertical tab and form feed become a space
    (a CRLF a line break); every other control character but tab and newline removed. Text without control
    characters comes back unchanged. Every console of the CLI passes what it prints through this."""
    return strip_controls(text)


_RICH_DROPS = {7: " ", 8: " ", 11: " ", 12: " ", 13: " "}  # rich.control.STRIP_CONTROL_CODES


def same_length(text: str) -> str:
    """Text for a Rich ``Text`` that is styled by character offsets (a document with its codings): the control
    characters Rich drops (BEL, BS, VT, FF, CR) become spaces, so offsets keep pointing at the same characters;
    escape sequences are removed later, when :class:`SafeConsole` prints."""
    return text.translate(_RICH_DROPS)


def user(text: object) -> str:
    """User data for a string printed with Rich markup: terminal-safe and with ``[...]`` shown literally."""
    from rich.markup import escape

    return escape(terminal_text(text))


class SafeConsole(Console):
    """A Rich console that passes the text of everything it prints through :func:`terminal_text` (Rich's own
    styles and control codes are added after, so they are kept): no table, panel or message can carry an escape
    sequence from a transcript, code name or file name to the terminal."""

    def _render_buffer(self, buffer):  # type: ignore[override]
        from rich.segment import Segment

        return super()._render_buffer(
            seg if seg.control else Segment(terminal_text(seg.text), seg.style, seg.control) for seg in buffer)


def write_stdout(text: str) -> None:
    """Text output (csv, md, yaml) on stdout: made terminal-safe when stdout is a terminal, exact when piped."""
    sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)


console = SafeConsole(highlight=False, soft_wrap=False)
if not console.is_terminal and not os.environ.get("COLUMNS"):
    console.width = 160  # pipes and captured output: do not squeeze tables into 80 columns
err_console = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ReviewOrder(StrEnum):
    """The order of the review queue (``review --order``, and the workbench in review mode)."""

    document = "document"
    confidence = "confidence"
    uncertain = "uncertain"


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    xlsx = "xlsx"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Project file (default: $TEMATIK_DB or ./tematik.db).", show_default=False,
                 envvar="TEMATIK_DB"),
]
FormatOption = Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.")]
ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of the terminal.", dir_okay=False)]
CoderOption = Annotated[
    str | None, typer.Option("--coder", help="Who is coding (default: $TEMATIK_CODER or the OS user).",
                             show_default=False)]


def status_option(help: str) -> Any:  # noqa: A002
    """The one ``--status`` option: repeatable, each value comma-separated, ``all`` allowed; the project API reads
    it (:func:`tematik.project.parse_statuses`). ``help`` says the command's default and what ``all`` means."""
    return Annotated[list[str] | None, typer.Option("--status", metavar="STATUS", show_default=False, help=help)]


wait_seconds: float | None = None  # the root --wait option (or $TEMATIK_BUSY_TIMEOUT); None: the API's default


def open_project(db: Path | None, *, create: bool = False):
    """The project API on the --db file, with the CLI's progress bars, --wait and busy message."""
    from tematik.project import Project

    project = Project.open(db_path(db), create=create, wait=wait_seconds, on_busy=note)
    project.progress = progress
    return project


@contextmanager
def open_or_create_project(db: Path | None):
    """The project, created when missing, for the commands that may start one (import, participants import,
    import-qdpx): when the command is refused, a project it created is removed again, not left empty."""
    path = db_path(db)
    fresh = not path.exists()
    try:
        with open_project(db, create=True) as project:
            yield project
    except BaseException:
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise


def create_project(db: Path | None):
    from tematik.project import Project

    project = Project.create(db_path(db), wait=wait_seconds, on_busy=note)
    project.progress = progress
    return project


class _MessageHandler(logging.Handler):
    """The API's messages on stderr: warnings as ``warning: ...``, notes (INFO) dimmed."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            warn(message)
        else:
            note(message)


@contextmanager
def api_messages():
    """While a command runs, the API's log messages go to stderr (warnings as ``warning: ...``, notes dimmed) and
    nowhere else; afterwards the ``tematik`` logger is as it was (a notebook in the same process is unaffected)."""
    logger = logging.getLogger("tematik")
    if any(isinstance(h, _MessageHandler) for h in logger.handlers):  # a nested group: already on
        yield
        return
    handler, before = _MessageHandler(), (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]


def db_path(db: Path | None) -> Path:
    from tematik.project import default_path

    return db if db is not None else default_path()


def warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {user(message)}", markup=True, highlight=False)


def note(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, style="dim")


def _cell(value: Any, decimals: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def emit(columns: Sequence[str], rows: Sequence[dict[str, Any]], fmt: str | Enum = "table", *,
         output: Path | None = None, title: str | None = None, caption: str | None = None,
         decimals: int | dict[str, int] = 1, styles: dict[str, str] | None = None,
         cell_style: Callable[[str, dict[str, Any]], str | None] | None = None,
         headers: dict[str, str] | None = None, sheet: str | None = None) -> None:
    """Print or write a table in the chosen format (table, csv, json, md, xlsx).

    With ``--output`` and the default ``table`` format the format follows the file's extension.
    """
    from tematik import fileio
    from tematik.export import tables

    fmt = fmt.value if isinstance(fmt, Enum) else fmt
    if output is not None and fmt == "table":
        fmt = {".csv": "csv", ".json": "json", ".md": "md", ".xlsx": "xlsx"}.get(output.suffix.lower(), "table")
    if fmt == "xlsx":
        if output is None:
            raise InputError("--format xlsx needs --output FILE.xlsx")
        tables.write_xlsx(output, {sheet or title or "table": (columns, rows)})
        note(f"wrote {output}")
        return
    if fmt in tables.TEXT_FORMATS:
        text = tables.render(fmt, columns, rows)
        if output is not None:
            fileio.write_text(output, text)
            note(f"wrote {output}")
        else:
            write_stdout(text)
        return
    table = Table(title=user(title) if title else None, caption=user(caption) if caption else None,
                  caption_justify="left", header_style="bold", show_lines=False)
    for c in columns:
        numeric = bool(rows) and all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) and \
            not all(isinstance(r.get(c), bool) for r in rows)
        table.add_column(user((headers or {}).get(c, c)), justify="right" if numeric else "left",
                         style=(styles or {}).get(c), overflow="fold")
    for r in rows:
        cells = []
        for c in columns:
            d = decimals.get(c, 1) if isinstance(decimals, dict) else decimals
            text = _cell(r.get(c), d)
            style = cell_style(c, r) if cell_style else None
            cells.append(f"[{style}]{user(text)}[/]" if style else user(text))
        table.add_row(*cells)
    if output is not None:
        with fileio.atomic_open(output, "w") as fh:
            SafeConsole(file=fh, width=160, highlight=False).print(table)
        note(f"wrote {output}")
    else:
        console.print(table)


@contextmanager
def progress(description: str, total: int | None, *, enabled: bool | None = None):
    """A rich progress bar on stderr; silent when not a terminal (tests, pipes) unless TEMATIK_PROGRESS=1."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if enabled is None:
        enabled = err_console.is_terminal or os.environ.get("TEMATIK_PROGRESS") == "1"
    if not enabled:
        yield lambda n=1: None
        return
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console, transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
