"""Speakers after import: list each document's labels and what they map to; change a mapping."""

from __future__ import annotations

from typing import Annotated

import typer

from tematik.cli.common import DbOption, FormatOption, TableFormat, console, emit, note, open_store
from tematik.errors import InputError

COLUMNS = ["document", "label", "turns", "chars", "maps_to"]


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
    from tematik.store import corpus as store_corpus

    with open_store(db) as store:
        ids = [store_corpus.document_id(store, args[0])] if args else None
        rows = store_corpus.document_speakers(store, ids)
    out = [{"document": r["document"], "label": r["label"] if r["label"] is not None else "(no label)",
            "turns": r["turns"], "chars": r["chars"],
            "maps_to": store_corpus._target(r["participant"], r["interviewer"])
            if r["label"] is not None else "-"} for r in rows]
    emit(COLUMNS, out, fmt, title="Speakers", caption="change one: tematik speakers set DOC|--all LABEL=ID "
         "(or =interviewer, or = for unmapped)",
         cell_style=lambda c, r: "yellow" if c == "maps_to" and r["maps_to"] == "unmapped" else None)


def _parse(pair: str) -> tuple[str, str | None, bool]:
    if "=" not in pair:
        raise InputError(f"expected LABEL=PARTICIPANT, LABEL=interviewer or LABEL= (unmapped), got {pair!r}",
                         field="LABEL=TARGET")
    label, _, target = pair.rpartition("=")
    label, target = label.strip(), target.strip()
    if not label:
        raise InputError(f"empty label in {pair!r}", field="LABEL=TARGET")
    if target.casefold() == "interviewer":
        return label, None, True
    return label, target or None, False


def _set(args: list[str], *, all_documents: bool, create: bool, fmt: TableFormat, db) -> None:
    from tematik.store import corpus as store_corpus

    if all_documents:
        doc, pairs = None, args
    else:
        if not args or "=" in args[0]:
            raise InputError("give the document (name or id) before LABEL=TARGET, or --all", field="DOC")
        doc, pairs = args[0], args[1:]
    if not pairs:
        raise InputError("nothing to set: give LABEL=PARTICIPANT, LABEL=interviewer or LABEL=", field="LABEL=TARGET")
    parsed = [_parse(p) for p in pairs]
    changes: list[dict] = []
    with open_store(db) as store:
        ids = [store_corpus.document_id(store, doc)] if doc is not None else None
        with store.transaction():  # all pairs or none
            for label, participant, interviewer in parsed:
                changes += store_corpus.set_speaker(store, ids, label, participant=participant,
                                                    interviewer=interviewer, create=create)
    for participant in dict.fromkeys(c["after"] for c in changes if c.get("created")):
        note(f"created participant {participant}")
    emit(["document", "label", "turns", "before", "after"], changes, fmt, title="Speakers changed")
    if fmt == TableFormat.table:
        n = sum(c["changed"] for c in changes)
        console.print(f"{n} document(s) changed; codings keep their text, freq/triangulate/report now count "
                      "the new speakers")
