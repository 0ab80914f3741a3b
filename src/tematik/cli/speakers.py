"""Speakers after import: list each document's labels and what they map to; change a mapping."""

from __future__ import annotations

from typing import Annotated

import typer

from tematik.cli.common import DbOption, FormatOption, TableFormat, console, emit, open_project
from tematik.errors import InputError
from tematik.export.tables import as_rows


def register(app: typer.Typer) -> None:
    app.command("speakers", no_args_is_help=False)(speakers)


def speakers(
    args: Annotated[list[str] | None, typer.Argument(
        metavar="[DOC] | set DOC|--all LABEL=TARGET...",
        help="`speakers [DOC]` lists the speaker labels (all documents, or one); `speakers set DOC LABEL=P07` maps "
             "a label to a participant, `LABEL=interviewer` to the interviewer, `LABEL=` back to unmapped.",
        show_default=False)] = None,
    all_documents: Annotated[bool, typer.Option("--all", help="With set: every document that has the label.")
                             ] = False,
    create: Annotated[bool, typer.Option("--create", help="With set: create a participant id the project does "
                                                          "not have yet (otherwise refused).")] = False,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """Speaker labels per document and what they map to (participant, interviewer, unmapped); fix them.

    `tematik speakers set DOC|--all LABEL=PARTICIPANT|interviewer` re-maps every turn with that label
    (case-insensitive): the turns keep their text and label, codings stay on their text, the change is in the
    audit log, and freq, triangulate and report count the new speaker. An unknown participant id is refused
    unless --create.
    """
    args = list(args or [])
    if args and args[0] == "set":
        _set(args[1:], all_documents=all_documents, create=create, fmt=fmt, db=db)
        return
    if all_documents or create:
        raise InputError("--all and --create go with `speakers set`", field="--all" if all_documents else "--create")
    if len(args) > 1:
        raise InputError(f"expected at most one document, got {len(args)}: {' '.join(args)}; "
                         "to change a mapping: tematik speakers set DOC LABEL=ID")
    with open_project(db) as p:
        df = p.speakers(args[0] if args else None)
    columns, rows = as_rows(df)
    emit(columns, rows, fmt, title=df.attrs["title"], caption=df.attrs["caption"],
         cell_style=lambda c, r: "yellow" if c == "maps_to" and r["maps_to"] == "unmapped" else None)


def _set(args: list[str], *, all_documents: bool, create: bool, fmt: TableFormat, db) -> None:
    if all_documents:
        doc, pairs = None, args
    else:
        if not args or "=" in args[0]:
            raise InputError("give the document (name or id) before LABEL=TARGET, or --all", field="DOC")
        doc, pairs = args[0], args[1:]
    with open_project(db) as p:
        df = p.set_speaker(doc, pairs, all_documents=all_documents, create=create)
    columns, rows = as_rows(df)
    emit(columns, rows, fmt, title=df.attrs["title"])
    if fmt == TableFormat.table:
        console.print(f"{df.attrs['changed']} document(s) changed; codings keep their text, freq/triangulate/report "
                      "now count the new speakers")
