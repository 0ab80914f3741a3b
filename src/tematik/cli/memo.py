"""Memo commands: memo add|list|edit|rm."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from tematik.cli.common import CoderOption, DbOption, FormatOption, TableFormat, console, emit, open_project, user
from tematik.errors import InputError

memo_app = typer.Typer(help="Memos on the project, codes, documents (or passages of them), codings and "
                            "participants.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(memo_app, name="memo")


class Target(StrEnum):
    project = "project"
    code = "code"
    document = "document"
    coding = "coding"
    participant = "participant"


TextOption = Annotated[str | None, typer.Option("--text", "-t", help="The memo (default: read standard input).")]
MemoId = Annotated[int, typer.Argument(metavar="ID", help="Memo id (see `tematik memo list`).")]


def _body(text: str | None) -> str:
    body = text if text is not None else sys.stdin.read()
    if not body.strip():
        raise InputError("empty memo", field="--text")
    return body


def _on(target: str, target_id: str | None) -> str:
    return f"{target}{' ' + user(target_id) if target_id else ''}"


@memo_app.command("add")
def memo_add(
    target: Annotated[Target, typer.Argument(help="What the memo is about.")],
    target_id: Annotated[str | None, typer.Argument(metavar="ID", help="Its id (code id, document name, coding "
                                                                      "id, participant id); none for project.")
                         ] = None,
    text: TextOption = None,
    span: Annotated[str | None, typer.Option(help="On a document: only the passage START:END (character "
                                                  "offsets).")] = None,
    sentence: Annotated[str | None, typer.Option(metavar="N|N-M", help="On a document: only this sentence or "
                                                 "range of sentences (as `tematik show DOC --units sentence` "
                                                 "numbers them).")] = None,
    turn: Annotated[str | None, typer.Option(metavar="N|N-M", help="On a document: only this turn or range of "
                                                                  "turns.")] = None,
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Write a memo (on a document, --span/--sentence/--turn make it a memo on that passage)."""
    body = _body(text)
    with open_project(db) as p:
        memo = p.add_memo(target.value, target_id, body, coder=coder, span=span, sentence=sentence, turn=turn)
    passage = f" \\[{memo.start}:{memo.end}]" if memo.start is not None else ""
    console.print(f"memo {memo.id} on {_on(memo.target, memo.target_id)}{passage}")


@memo_app.command("list")
def memo_list(
    target: Annotated[Target | None, typer.Argument(help="Only memos about this kind of thing.")] = None,
    target_id: Annotated[str | None, typer.Argument(metavar="ID", help="Only about this one.")] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """List memos: id, target_type, target_id, text, author, created, and start/end for a memo on a passage."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        df = p.memos(target.value if target else None, target_id)
    emit(*as_rows(df), fmt, title=df.attrs["title"])


@memo_app.command("edit")
def memo_edit(memo_id: MemoId, text: TextOption = None, coder: CoderOption = None, db: DbOption = None) -> None:
    """Replace a memo's text (the audit log keeps the text before and who changed it)."""
    body = _body(text)
    with open_project(db) as p:
        edited = p.edit_memo(memo_id, body, coder=coder)
    what = "edited" if edited.changed else "unchanged (same text)"
    console.print(f"memo {edited.id} on {_on(edited.target, edited.target_id)} {what}")


@memo_app.command("rm")
def memo_rm(memo_id: MemoId, coder: CoderOption = None, db: DbOption = None) -> None:
    """Delete a memo (the audit log keeps what it said)."""
    with open_project(db) as p:
        removed = p.remove_memo(memo_id, coder=coder)
    console.print(f"deleted memo {removed.id} (on {_on(removed.target, removed.target_id)})")
