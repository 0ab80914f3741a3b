"""The project API for memos: write, list, edit and delete them (``tematik memo add|list|edit|rm``).

A memo is about the project, a code, a document, a coding or a participant. A memo on a document can be about a
passage of it (``span``, ``sentence`` or ``turn``: what the workbench's ``m`` key writes on the unit under the
cursor); it is stored with the passage's character offsets (``start``, ``end``). Every change is audit-logged,
edits and deletions with the text before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.project._base import ProjectBase, choice, dataframe

if TYPE_CHECKING:
    import pandas as pd

MEMO_TARGETS = ("project", "code", "document", "coding", "participant")
#: The columns of ``tematik memo list``: those of before, then the passage of a memo on part of a document.
MEMO_COLUMNS = ["id", "target_type", "target_id", "text", "author", "created", "start", "end"]


@dataclass(frozen=True)
class MemoAdded:
    """A memo written: its id and what it is about (``target`` kind and ``target_id``, as stored; ``start`` and
    ``end``: the passage of a memo on part of a document, else None)."""

    id: int
    target: str
    target_id: str | None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class MemoEdited:
    """A memo whose text was replaced: its id, target, the text before and after, and whether it changed (the
    same text again changes nothing and logs nothing)."""

    id: int
    target: str
    target_id: str | None
    before: str
    text: str
    changed: bool


@dataclass(frozen=True)
class MemoRemoved:
    """A deleted memo: its id, target and the text it had (the audit log keeps it too)."""

    id: int
    target: str
    target_id: str | None
    text: str


def _who(coder: str | None) -> str:
    from tematik.store import current_user

    return coder or current_user()


def _memo_id(memo_id: Any) -> int:
    try:
        return int(str(memo_id).strip())
    except ValueError:
        raise InputError(f"a memo id is a number (see `tematik memo list`), got {memo_id!r}", field="ID") from None


def _text(text: str | None) -> str:
    if text is None or not text.strip():
        raise InputError("empty memo", field="--text")
    return text.strip()


class MemoMixin(ProjectBase):
    """Memos on the project, codes, documents (or passages of them), codings and participants."""

    def add_memo(self, target: str, target_id: str | int | None = None, text: str = "", *,
                 coder: str | None = None, span: str | tuple[int, int] | None = None,
                 sentence: int | str | None = None, turn: int | str | None = None) -> MemoAdded:
        """Write a memo on the ``project`` (no ``target_id``), a ``code`` (its id or name), a ``document`` (name
        or id), a ``coding`` (its id) or a ``participant`` (its id). Returns the memo's id and its target as
        stored (a code's id, a document's name).

        On a document, at most one of ``span`` ("START:END" or (start, end) offsets), ``sentence`` or ``turn``
        (a number or a range such as ``"6-8"``, numbered as ``tematik show DOC --units`` numbers them) makes it a
        memo on that passage."""
        from tematik.project import _passages
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus
        from tematik.store import memos as store_memos

        target = choice(target, MEMO_TARGETS, "TARGET", "memo target")
        text = _text(text)
        target_id = None if target_id is None else str(target_id)
        where = [(k, v) for k, v in (("span", span), ("sentence", sentence), ("turn", turn)) if v is not None]
        if where and target != "document":
            raise InputError(f"a passage is part of a document: --{where[0][0]} is for `memo add document DOC`",
                             field=f"--{where[0][0]}")
        if len(where) > 1:
            raise InputError("give at most one of --span, --sentence, --turn")
        store = self.store
        start = end = None
        if target == "code":
            target_id = store_coding.code_exists(store, target_id or "")
        elif target == "document":
            target_id = store_corpus.document_name(store, store_corpus.document_id(store, target_id or ""))
            if where:
                doc = store_corpus.get_document(store, target_id)
                kind, value = where[0]
                if kind == "span":
                    start, end = _passages.parse_span(value, doc)
                else:
                    found = _passages.passages(doc, kind, value)
                    if len(found) != 1:
                        raise InputError(f"a memo is on one passage; give one {kind} or one range such as 6-8",
                                         field=f"--{kind}")
                    start, end = found[0].start, found[0].end
        elif target == "coding":
            if not target_id or not store_coding.query_codings(store, ids=[int(target_id)]
                                                               if target_id.isdigit() else [-1]):
                raise NotFound(f"no coding {target_id!r}")
        elif target == "participant":
            store_corpus.participant_attributes(store, target_id or "")
        elif target_id:
            raise InputError("a project memo takes no id")
        mid = store_memos.add_memo(store, target, target_id, text, who=_who(coder), start=start, end=end)
        return MemoAdded(mid, target, target_id, start, end)

    def memos(self, target: str | None = None, target_id: str | int | None = None) -> pd.DataFrame:
        """Memos (``tematik memo list --format json``), only those about a kind of thing (``target``: project,
        code, document, coding, participant) and one of them (``target_id``) when given. Columns: id,
        target_type, target_id, text, author, created, start and end (the passage of a memo on part of a
        document; empty for any other memo)."""
        from tematik.store import memos as store_memos

        target = choice(target, MEMO_TARGETS, "TARGET", "memo target")
        rows = store_memos.list_memos(self.store, target, None if target_id is None else str(target_id))
        return dataframe(MEMO_COLUMNS, rows, title="Memos")

    def edit_memo(self, id: int, text: str, *, coder: str | None = None) -> MemoEdited:  # noqa: A002 - memo id
        """Replace the text of memo ``id`` (its author and date stay; the audit log records who changed it and
        the text before). NotFound for an unknown id, InputError for an empty text."""
        from tematik.store import memos as store_memos

        memo_id, text = _memo_id(id), _text(text)
        before, changed = store_memos.edit_memo(self.store, memo_id, text, who=_who(coder))
        return MemoEdited(memo_id, before["target_type"], before["target_id"], before["text"], text, changed)

    def remove_memo(self, id: int, *, coder: str | None = None) -> MemoRemoved:  # noqa: A002 - memo id
        """Delete memo ``id``; the audit log keeps what it was. NotFound for an unknown id."""
        from tematik.store import memos as store_memos

        row = store_memos.delete_memo(self.store, _memo_id(id), who=_who(coder))
        return MemoRemoved(row["id"], row["target_type"], row["target_id"], row["text"])


__all__ = ["MEMO_COLUMNS", "MEMO_TARGETS", "MemoAdded", "MemoEdited", "MemoMixin", "MemoRemoved"]
