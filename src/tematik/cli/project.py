"""Project commands: init, import, docs, participants, show."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tematik.cli.common import (
    DbOption,
    FormatOption,
    TableFormat,
    console,
    create_project,
    db_path,
    emit,
    note,
    open_or_create_project,
    open_project,
    status_option,
    user,
    warn,
    write_stdout,
)
from tematik.export.tables import as_rows

if TYPE_CHECKING:
    pass

StatusOption = status_option("Codings to highlight: statuses, repeatable or comma-separated (default: accepted, "
                             "manual, suggested); 'all': every status, rejected included.")


class ImportFormat(StrEnum):
    table = "table"
    json = "json"


participants_app = typer.Typer(help="List participants (cases), set their attributes, import a roster.",
                               no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)
    app.command("docs")(docs)
    app.command("show")(show)
    app.add_typer(participants_app, name="participants")


def init(db: DbOption = None) -> None:
    """Create a new, empty project file."""
    path = db_path(db)
    with create_project(db) as p:
        console.print(f"created project [bold]{user(path)}[/] (schema version {p.schema_version})")


def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (.txt .md .docx .vtt .srt; .csv .xlsx "
                                                     "rows as documents).", show_default=False)],
    manifest: Annotated[Path | None, typer.Option(help="CSV with file,participant,role,source_type,language,"
                                                       "date,speakers (+ attribute columns).")] = None,
    source_type: Annotated[str | None, typer.Option(
        help="interview, focus_group, meeting, observation, document, response, or your own lower-case type "
             "(default: manifest, else interview; response for rows).")
    ] = None,
    language: Annotated[str | None, typer.Option(help="id|en (default: manifest, else guessed).")] = None,
    participant: Annotated[str | None, typer.Option(help="Participant id of the informant.")] = None,
    role: Annotated[str | None, typer.Option(help="Role of --participant (e.g. pustakawan).")] = None,
    date: Annotated[str | None, typer.Option(help="Date of the interview or observation (ISO).")] = None,
    speaker: Annotated[list[str] | None, typer.Option(
        help="Map a speaker label: 'Bu Made=P07' or 'Pewawancara=interviewer' (repeatable).")] = None,
    interviewer: Annotated[list[str] | None, typer.Option(
        help="A speaker label that is the interviewer, e.g. P or 'Speaker 1' (repeatable; same as "
             "--speaker 'LABEL=interviewer').")] = None,
    text_column: Annotated[list[str] | None, typer.Option(
        metavar="COLUMN", help="Rows: column holding the text (default: text); repeat it for several "
                               "questions, one document per column and row.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Rows: column holding a unique id (default: row number).")
                         ] = None,
    participant_column: Annotated[str | None, typer.Option(help="Rows: column holding the participant id.")
                                  ] = None,
    columns: Annotated[str | None, typer.Option(help="Rows: comma-separated attribute columns "
                                                     "(default: all other columns).")] = None,
    limit: Annotated[list[str] | None, typer.Option(
        metavar="NAME=VALUE", help="Raise a limit for this import (repeatable): file_bytes, document_chars, "
                                   "rows, files, member_bytes, total_bytes, ratio, members (also "
                                   "TEMATIK_LIMIT_NAME=VALUE).", show_default=False)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace documents whose content changed.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --replace: also when codings on text that was "
                                                         "deleted would be lost (they stay in the audit log).")
                     ] = False,
    fmt: Annotated[ImportFormat, typer.Option("--format", "-f", help="Import report: table, or json for scripts.")
                   ] = ImportFormat.table,
    db: DbOption = None,
) -> None:
    """Import transcripts and notes, then report turns and speakers per file.

    Identical re-imports are skipped; nothing is written if any file is refused. With --replace a changed file
    keeps its codings where their text still exists (moved, changed or lost are counted per document).
    """
    with open_or_create_project(db) as p:
        result = p.import_files(
            paths, manifest=manifest, source_type=source_type, language=language, participant=participant,
            role=role, date=date, speaker=speaker, interviewer=interviewer, text_column=text_column,
            id_column=id_column, participant_column=participant_column, columns=columns, limit=limit,
            replace=replace, force=force, row_reports=fmt == ImportFormat.json)
    try:
        print_import_report(result.report, result.headline(user(db_path(db))), fmt, rows=result.rows)
    finally:
        result.close()



def print_import_report(report, headline: str, fmt: ImportFormat,
                        rows: dict[str, dict[str, int]] | None = None) -> None:
    """The import report: JSON for scripts; else one quiet line per clean file, a speaker table per doubtful one.

    ``rows``: the quiet row documents already counted per table and action (then not counted again here).
    """
    if fmt == ImportFormat.json:
        _write_json(report, headline)
        for w in report.warnings:
            warn(w)
        return
    from rich.markup import escape
    from rich.table import Table

    from tematik.importreport import UNMAPPED, row_source

    console.print(headline)
    counted = rows is not None
    rows = {} if rows is None else rows  # quiet documents from table rows: one line per table, not per row
    for f in report.files:
        for n in f.notes:
            note(f"{f.path or f.document}: {n}")
        table_file = row_source(f.path)
        if not f.doubtful and table_file:
            if not counted:
                counts = rows.setdefault(table_file, {})
                counts[f.action] = counts.get(f.action, 0) + 1
            continue
        if not f.doubtful:
            console.print(f"  {escape(f.summary())}", soft_wrap=True)
            continue
        table = Table(title=None, box=None, header_style="bold", padding=(0, 2, 0, 0), show_edge=False)
        for col, justify in (("speaker", "left"), ("turns", "right"), ("chars", "right"), ("maps to", "left")):
            table.add_column(col, justify=justify)
        for s in f.speakers:
            style = "yellow" if s.maps_to == UNMAPPED else None
            table.add_row(escape(s.label or ""), str(s.turns), f"{s.chars:,}",
                          f"[{style}]{escape(s.maps_to)}[/]" if style else escape(s.maps_to))
        if f.no_speaker_chars:
            table.add_row("[dim](no speaker)[/]", "", f"{f.no_speaker_chars:,}", "[dim]-[/]")
        moved = ""
        if f.codings:
            moved = "; codings " + ", ".join(f"{n} {k}" for k, n in f.codings.items() if n)
        console.print(f"[bold]{escape(f.document)}[/] ({escape(f.path or '')}): {f.action}, {f.turns} turn(s)"
                      f"{escape(moved)}", soft_wrap=True)
        if f.speakers or f.no_speaker_chars:
            console.print(table)
        for w in f.warnings:  # "12: msg" is a line of the file: path:12: msg, as compilers write it
            warn(f"{f.path or f.document}:{w}" if w[:1].isdigit() else f"{f.path or f.document}: {w}")
    for table_file, counts in rows.items():
        console.print(f"  {escape(table_file)}: {sum(counts.values())} row document(s), "
                      + ", ".join(f"{n} {a}" for a, n in counts.items()), soft_wrap=True)
    for w in report.warnings:
        warn(w)


def _write_json(report, headline: str) -> None:
    """``json.dumps({"summary": ..., **report.as_dict()}, indent=2)``, written one file report at a time."""
    import json
    from dataclasses import asdict

    def dumps(value) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2)

    write_stdout("{\n  \"summary\": " + dumps(headline) + ",\n  \"files\": [")
    first = True
    for f in report.files:
        item = dumps({**asdict(f), "doubtful": f.doubtful})
        write_stdout(("\n" if first else ",\n") + "\n".join("    " + line for line in item.split("\n")))
        first = False
    write_stdout("]" if first else "\n  ]")
    write_stdout(",\n  \"warnings\": " + dumps(list(report.warnings)).replace("\n", "\n  ") + "\n}\n")


def docs(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """List the documents in the project: turns, speaker labels (and how many map to nobody), codings."""
    with open_project(db) as p:
        df = p.docs()
    columns, rows = as_rows(df)
    emit(columns, rows, fmt, title=df.attrs["title"], caption=df.attrs["caption"],
         cell_style=lambda c, r: "yellow" if (c == "unmapped" and r["unmapped"]) or (
             c == "speakers" and not r["speakers"] and r["source_type"] == "interview") else None)


@participants_app.callback(invoke_without_command=True)
def participants(ctx: typer.Context, fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """List participants with their role, attributes and documents."""
    if ctx.invoked_subcommand is not None:
        return
    with open_project(db) as p:
        df = p.participants()
    columns, rows = as_rows(df)
    emit(columns, rows, fmt, title=df.attrs["title"])


@participants_app.command("set")
def participants_set(
    participant_id: Annotated[str, typer.Argument(metavar="ID", help="Participant id.")],
    values: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="Attributes to set (empty value "
                                                                             "removes one; role=... sets the role).")],
    db: DbOption = None,
) -> None:
    """Set attributes of a participant: `tematik participants set P07 role=pustakawan years=12`."""
    with open_project(db) as p:
        change = p.set_participant(participant_id, values)
    console.print(f"{user(participant_id)}: " + ", ".join(f"{user(k)}={user(v)}" for k, v in change.values.items()))


@participants_app.command("import")
def participants_import(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX roster: an id column, optional role, other columns "
                                              "become typed attributes.")],
    id_column: Annotated[str, typer.Option(help="Column with the participant id.")] = "id",
    db: DbOption = None,
) -> None:
    """Import a roster of participants (creates or updates them)."""
    with open_or_create_project(db) as p:
        done = p.import_participants(file, id_column=id_column)
    console.print(f"{done.participants} participant(s) in {user(file.name)}: {done.created} new, "
                  f"{done.updated} updated")


def show(
    document: Annotated[str, typer.Argument(metavar="DOC", help="Document name or id.")],
    codings: Annotated[bool, typer.Option("--codings/--no-codings", help="Highlight codings.")] = True,
    status: StatusOption = None,
    units: Annotated[str | None, typer.Option(help="Instead of the text, list its numbered units: sentence, turn "
                                                  "or paragraph (the numbers `code add --sentence/--turn` take).")
                     ] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """Print a document with its turns (speakers highlighted) and every coding marked: ⟦code1,code2? ...⟧ around each
    coded span, with the ids of all its codes (? = pending suggestion, ✗ = rejected); or its numbered units with
    the codes on each."""
    from tematik.cli import render

    with open_project(db) as p:
        view = p.show(document, codings=codings, status=status, units=units)
    if view.units is None:
        render.print_document(view.document, view.marks)
        return
    columns, rows = as_rows(view.units)
    emit(columns, rows, fmt, title=view.units.attrs["title"])
