"""REFI-QDA exchange commands: `tematik export qdpx|qdc FILE` and `tematik import-qdpx FILE`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import (
    DbOption,
    console,
    db_path,
    err_console,
    note,
    open_or_create_project,
    open_project,
    status_option,
)

export_app = typer.Typer(help="Export the project for other tools: REFI-QDA project (.qdpx) or codebook (.qdc).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """`import-qdpx`, and `qdpx`/`qdc` under the `export` group (joining one already registered)."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "export"), None)
    if group is None:
        group = export_app
        app.add_typer(export_app, name="export")
    group.command("qdpx")(export_qdpx)
    group.command("qdc")(export_qdc)
    app.command("import-qdpx")(import_qdpx)


class Units(StrEnum):
    auto = "auto"
    codepoints = "codepoints"
    utf16 = "utf16"


class LineBreaks(StrEnum):
    auto = "auto"
    asis = "asis"
    one = "one"
    two = "two"


class ExportUnits(StrEnum):
    codepoints = "codepoints"
    utf16 = "utf16"


class ExportBreaks(StrEnum):
    one = "one"
    two = "two"


class Newlines(StrEnum):
    lf = "lf"
    crlf = "crlf"


class Tool(StrEnum):
    nvivo = "nvivo"
    atlas = "atlas"
    maxqda = "maxqda"
    qualcoder = "qualcoder"


def export_qdpx(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to write (replaced if it exists).", dir_okay=False)],
    status: status_option("Codings to export (repeatable or comma-separated: accepted, manual, suggested, rejected; "
                          "default accepted,manual; 'all': every status, rejected too).") = None,
    for_tool: Annotated[Tool | None, typer.Option(
        "--for", help="Count offsets as this tool reads them: nvivo and atlas (UTF-16 code units, each line "
                      "break as two, CRLF files), maxqda (code points, each break as one, CRLF files), qualcoder "
                      "(code points, each break as one). --offsets/--line-breaks/--newlines override it.")] = None,
    offsets: Annotated[ExportUnits | None, typer.Option(
        help="Count offsets in Unicode code points (default) or UTF-16 code units (NVivo, ATLAS.ti).")] = None,
    line_breaks: Annotated[ExportBreaks | None, typer.Option(
        help="Count each line break as one character (default) or as two (CRLF, NVivo for Windows; writes CRLF "
             "source files).")] = None,
    newlines: Annotated[Newlines | None, typer.Option(
        help="Line breaks in the written source files: lf (default) or crlf.")] = None,
    db: DbOption = None,
) -> None:
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others."""
    with open_project(db) as p:
        result = p.export_qdpx(file, status=status, for_=for_tool, offsets=offsets, line_breaks=line_breaks,
                               newlines=newlines)
    err_console.print(f"wrote {file}: {result.documents} document(s), {result.codes} code(s), {result.codings} "
                      f"coding(s) ({', '.join(result.statuses)}), {result.cases} case(s), {result.users} user(s), "
                      f"{result.memos} memo(s)")
    note(f"offsets: {result.counting.describe()}" + (f" (as {result.for_} reads them)" if result.for_ else ""))
    for line in result.not_carried:
        note(f"not carried: {line}")


def export_qdc(
    file: Annotated[Path, typer.Argument(help="The .qdc file to write (replaced if it exists).", dir_okay=False)],
    db: DbOption = None,
) -> None:
    """Write the project's active codes as a REFI-QDA codebook (.qdc): hierarchy, colours, definitions."""
    with open_project(db) as p:
        result = p.export_qdc(file)
    err_console.print(f"wrote {file}: {result.codes} code(s)")


def import_qdpx(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, "
                                              "QualCoder, tematik..., or a bare project.qde beside its sources/ "
                                              "folder, or that folder.")],
    sources: Annotated[Path | None, typer.Option(
        help="Folder that relative:// and absolute:// source paths may be read from (default: the folder "
             "holding FILE).", file_okay=False)] = None,
    source_type: Annotated[str | None, typer.Option(
        help="interview|observation|document|response for every source (default: from the file, else "
             "interview).")] = None,
    language: Annotated[str | None, typer.Option(help="id|en for every source (default: from the file, else "
                                                      "guessed).")] = None,
    units: Annotated[Units, typer.Option(help="How the file counts offsets: Unicode code points or UTF-16 "
                                              "code units (auto: detected).")] = Units.auto,
    line_breaks: Annotated[LineBreaks, typer.Option(
        help="How the file counts line breaks: asis (as the characters in the text), one (CRLF as one), two "
             "(every break as two); auto: detected.")] = LineBreaks.auto,
    replace: Annotated[bool, typer.Option("--replace", help="Replace documents whose content changed.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --replace: also when they have codings.")] = False,
    db: DbOption = None,
) -> None:
    """Import a REFI-QDA project: sources, codes, cases, codings and notes. All or nothing."""
    path = db_path(db)
    with open_or_create_project(db) as project:
        result = project.import_qdpx(file, sources=sources, source_type=source_type, language=language,
                                     units=units.value, line_breaks=line_breaks.value, replace=replace, force=force)
    origin = f" from {result.origin}" if result.origin else ""
    console.print(
        f"imported {result.name!r}{origin} into {path}: {result.documents} document(s) "
        f"({result.unchanged} unchanged, {result.replaced} replaced), {result.codes} new code(s) "
        f"({result.codes_matched} matched), {result.codings} coding(s)"
        + (f" ({result.codings_present} already there)" if result.codings_present else "")
        + f", {result.cases} case(s), {result.users} user(s), {result.memos} memo(s)",
        soft_wrap=True)
    note(f"offsets: {result.counting.describe()}")
