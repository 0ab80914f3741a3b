"""Coding commands: autocode, code accept|reject|add|rm, codings, log (memos: cli/memo.py)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import (
    CoderOption,
    DbOption,
    FormatOption,
    TableFormat,
    console,
    emit,
    note,
    open_project,
    status_option,
    user,
)
from tematik.errors import InputError

code_app = typer.Typer(help="Review suggestions in bulk and code by hand.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("autocode")(autocode)
    app.add_typer(code_app, name="code")
    app.command("codings")(codings)
    app.command("log")(log)


# cli/exchange.py still imports this (until its own change lands); no command of this module uses it


class Unit(StrEnum):
    sentence = "sentence"
    turn = "turn"
    paragraph = "paragraph"


# --------------------------------------------------------------------------- autocode

def autocode(
    unit: Annotated[Unit, typer.Option(help="Unit a suggestion covers.")] = Unit.sentence,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only these documents (repeatable).")] = None,
    code: Annotated[list[str] | None, typer.Option("--code", help="Only these codes (repeatable).")] = None,
    redo: Annotated[bool, typer.Option("--redo", help="Re-run documents already auto-coded with this codebook.")
                    ] = False,
    include_interviewer: Annotated[bool, typer.Option(help="Also code interviewer turns.")] = False,
    no_model: Annotated[bool, typer.Option("--no-model", help="Rules only, even when the project has a model.")
                        ] = False,
    model_only: Annotated[bool, typer.Option("--model-only", help="The learned model only (needs `tematik "
                                                                  "learn` first).")] = False,
    db: DbOption = None,
) -> None:
    """Suggest codings from the codebook's rules and, once `tematik learn` has fitted one, the project's model
    (status `suggested`, coder `auto`; each with its origin and a confidence).

    Re-running replaces unreviewed suggestions only: accepted, rejected and manual codings are kept, a suggestion
    made again keeps its id, and what a reviewer turned down (rejected, recoded to another code, or removed with
    `code rm`) is never suggested again, by the rules or the model. Each document is committed when it is done,
    so an interrupted run (Ctrl-C) resumes where it stopped.
    """
    with open_project(db) as p:
        result = p.autocode(unit=unit.value, doc=doc, code=code, redo=redo,
                            include_interviewer=include_interviewer, no_model=no_model, model_only=model_only)
    if not result.pending:
        console.print("nothing to do: every document is already auto-coded with this codebook version "
                      "(use --redo to run again)")
        return
    console.print(f"auto-coded {result.done} document(s), {result.words:,} words: {result.stored} "
                  f"suggestion(s) stored, {result.skipped} already reviewed and left as they were")
    if result.by_code:
        note("suggestions by code: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_code.items())))


# --------------------------------------------------------------------------- bulk review

def _bulk(status: str, code: list[str] | None, rule: list[str] | None, doc: list[str] | None, all_: bool,
          ids: list[int] | None, coder: str | None, db: Path | None) -> None:
    if not (code or rule or doc or all_ or ids):
        raise InputError("say which suggestions: --code, --rule, --doc, --id or --all")
    with open_project(db) as p:
        decide = p.accept if status == "accepted" else p.reject
        n = decide(code=code, rule=rule, doc=doc, all=all_, id=ids, coder=coder)
    console.print(f"{status} {n} suggestion(s)")


IdOption = Annotated[list[int] | None, typer.Option("--id", help="Coding ids (repeatable).")]
CodeFilter = Annotated[list[str] | None, typer.Option("--code", help="Only suggestions of these codes.")]
RuleFilter = Annotated[list[str] | None, typer.Option("--rule", help="Only suggestions from these rules "
                                                                      "(`*` wildcards, e.g. 'trust/id/*').")]
DocFilter = Annotated[list[str] | None, typer.Option("--doc", help="Only suggestions in these documents.")]
AllFlag = Annotated[bool, typer.Option("--all", help="Every open suggestion.")]


@code_app.command("accept")
def accept(code: CodeFilter = None, rule: RuleFilter = None, doc: DocFilter = None, all_: AllFlag = False,
           ids: IdOption = None, coder: CoderOption = None, db: DbOption = None) -> None:
    """Accept suggestions matching the filters (each decision goes to the audit log); you (--coder,
    TEMATIK_CODER or your user name) become their coder. An --id that is not an open suggestion is refused."""
    _bulk("accepted", code, rule, doc, all_, ids, coder, db)


@code_app.command("reject")
def reject(code: CodeFilter = None, rule: RuleFilter = None, doc: DocFilter = None, all_: AllFlag = False,
           ids: IdOption = None, coder: CoderOption = None, db: DbOption = None) -> None:
    """Reject suggestions matching the filters; a rejected suggestion is not suggested again. An --id that is
    not an open suggestion is refused, and nothing is changed."""
    _bulk("rejected", code, rule, doc, all_, ids, coder, db)


@code_app.command("add")
def add(
    document: Annotated[str, typer.Argument(metavar="DOC", help="Document name or id.")],
    code: Annotated[str, typer.Argument(metavar="CODE", help="Code id or name.")],
    span: Annotated[str | None, typer.Option(help="Character offsets START:END.")] = None,
    sentence: Annotated[str | None, typer.Option(metavar="N|N-M|LIST", help=(
        "Sentence numbers (1-based, as `tematik show DOC --units sentence` numbers them): 6, a range 6-8 (ONE "
        "coding from the start of sentence 6 to the end of sentence 8), or a list 2,4-6 (one coding per item)."))
                        ] = None,
    turn: Annotated[str | None, typer.Option(metavar="N|N-M|LIST", help=(
        "Turn numbers (as `tematik show DOC --units turn` numbers them), as --sentence: 3, 3-5, 3,5."))] = None,
    match: Annotated[str | None, typer.Option(help="The first occurrence of this text.")] = None,
    each: Annotated[bool, typer.Option("--each", help="One coding per sentence/turn of each range, instead of one "
                                                      "per range.")] = False,
    memo: Annotated[str | None, typer.Option(help="A memo on the new coding (on each, when there are several)."
                                             )] = None,
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Code by hand: give exactly one of --span, --sentence, --turn, --match.

    A RANGE (--sentence 6-8) is one passage, one coding; a LIST (--sentence 2,4-6, --turn 3,5) makes one coding
    per item; --each splits ranges into one coding per unit. All codings of the command are written together, or
    none: a span this coder already coded with this code (accepted or manual) is refused, naming that coding. A
    passage in an interviewer turn is coded with a warning: freq and the other counts leave codings that start in
    interviewer turns out unless --include-interviewer.
    """
    with open_project(db) as p:
        added = p.add_coding(document, code, span=span, sentence=sentence, turn=turn, match=match, each=each,
                             memo=memo, coder=coder)
    for c in added:
        console.print(f"coding {c.id}: {user(c.code)} on {user(c.document)} \\[{c.start}:{c.end}] "
                      f"{user(repr(c.text[:80]))}")


@code_app.command("rm")
def rm(coding_id: Annotated[int, typer.Argument(metavar="ID", help="Coding id (see `tematik codings`).")],
       coder: CoderOption = None, db: DbOption = None) -> None:
    """Delete a coding (recorded in the audit log with what it was). Removing a coding that came from a
    suggestion is remembered: autocode does not suggest that code on that text and span again."""
    with open_project(db) as p:
        removed = p.remove_coding(coding_id, coder=coder)
    console.print(f"deleted coding {coding_id} ({user(removed.code)} on {user(removed.document)})")
    if removed.remembered:
        note(f"it came from a suggestion: autocode will not suggest {', '.join(removed.remembered)} on that "
             "text again")


# --------------------------------------------------------------------------- listing


StatusFilter = status_option("Only these statuses (repeatable or comma-separated; default and `all`: every "
                             "status, rejected included).")


def codings(
    status: StatusFilter = None,
    code: CodeFilter = None,
    doc: DocFilter = None,
    coder: Annotated[list[str] | None, typer.Option("--coder", help="Only these coders.")] = None,
    rule: RuleFilter = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """List codings: id, document, participant, code, status, coder, start, end, text, rule, polarity, origin
    (rule id or `model:vN`) and confidence of a suggestion."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        df = p.codings(status=status, code=code, doc=doc, coder=coder, rule=rule, limit=limit)
    columns, rows = as_rows(df)
    if fmt == TableFormat.table:
        for r in rows:
            r["text"] = " ".join((r["text"] or "").split())
            if len(r["text"]) > 90:
                r["text"] = r["text"][:87] + "..."
    emit(columns, rows, fmt, title=df.attrs["title"], decimals={"confidence": 2})


# --------------------------------------------------------------------------- log

def log(
    entity: Annotated[str | None, typer.Option(help="Only changes to: coding, codebook, document, participant, "
                                                    "memo, convergence.")] = None,
    who: Annotated[str | None, typer.Option(help="Only changes by this person.")] = None,
    limit: Annotated[int | None, typer.Option(help="The most recent N entries.")] = 50,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """The audit log: who changed what, when, before and after (most recent first)."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        df = p.log(entity=entity, who=who, limit=limit)
    emit(*as_rows(df), fmt, title=df.attrs["title"])
