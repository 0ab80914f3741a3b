"""Memos: reads and writes. Every change is written with its audit-log entry in one transaction.

A memo is about the project, a code, a document, a coding or a participant (``target_type`` and ``target_id``).
A memo on a document may be about a passage of it: ``start`` and ``end`` are then its character offsets (both
NULL for a memo on the whole document, and for every other kind of memo).
"""

from __future__ import annotations

from typing import Any

from tematik.errors import NotFound
from tematik.store import Store, current_user, now

MEMO_FIELDS = "id, target_type, target_id, text, author, created, start, end"


def add_memo(db: Store, target_type: str, target_id: str | None, text: str, *, who: str | None = None,
             start: int | None = None, end: int | None = None) -> int:
    """Write a memo; returns its id."""
    with db.transaction():
        cur = db.conn.execute(
            "INSERT INTO memos (target_type, target_id, text, author, created, start, end) VALUES (?,?,?,?,?,?,?)",
            (target_type, target_id, text, who or current_user(), now(), start, end))
        after: dict[str, Any] = {"on": f"{target_type}:{target_id}", "text": text}
        if start is not None:
            after["span"] = [start, end]
        db.audit("add", "memo", cur.lastrowid, who=who, after=after)
    return cur.lastrowid


def get_memo(db: Store, memo_id: int) -> dict[str, Any]:
    """One memo by id; NotFound if there is none."""
    rows = db.query(f"SELECT {MEMO_FIELDS} FROM memos WHERE id = ?", (int(memo_id),))
    if not rows:
        raise NotFound(f"no memo {memo_id} (see `tematik memo list`)")
    return rows[0]


def edit_memo(db: Store, memo_id: int, text: str, *, who: str | None = None) -> tuple[dict[str, Any], bool]:
    """Replace a memo's text (its author and date stay: the audit log says who changed it, when, from what).
    Returns (the memo as it was, whether the text changed)."""
    with db.transaction():
        before = get_memo(db, memo_id)
        if before["text"] == text:
            return before, False
        db.conn.execute("UPDATE memos SET text = ? WHERE id = ?", (text, int(memo_id)))
        db.audit("edit", "memo", memo_id, who=who, before={"text": before["text"]},
                 after={"on": f"{before['target_type']}:{before['target_id']}", "text": text})
    return before, True


def delete_memo(db: Store, memo_id: int, *, who: str | None = None) -> dict[str, Any]:
    """Delete a memo; the audit log keeps what it was. Returns it."""
    with db.transaction():
        before = get_memo(db, memo_id)
        db.conn.execute("DELETE FROM memos WHERE id = ?", (int(memo_id),))
        db.audit("delete", "memo", memo_id, who=who, before={k: v for k, v in before.items()
                                                            if k != "id" and not (k in ("start", "end") and v is None)})
    return before


def delete_memos_of(db: Store, target_type: str, target_id: str, *, who: str | None = None,
                    why: str | None = None) -> int:
    """Delete the memos about one thing (inside the caller's transaction), each with an audit-log entry that
    keeps its text, author and time (``tematik log --entity memo``), and ``why``. Returns how many."""
    rows = db.query(f"SELECT {MEMO_FIELDS} FROM memos WHERE target_type = ? AND target_id = ? ORDER BY id",
                    (target_type, target_id))
    for r in rows:
        db.conn.execute("DELETE FROM memos WHERE id = ?", (r["id"],))
        db.audit("delete", "memo", r["id"], who=who,
                 before={k: v for k, v in r.items() if k != "id" and not (k in ("start", "end") and v is None)},
                 after={"why": why} if why else None)
    return len(rows)


def move_to_passages(db: Store, coding_ids: list[int], *, who: str | None = None) -> int:
    """Before codings are deleted by a process rather than a person (an open suggestion ``autocode`` no longer
    makes), inside the caller's transaction: their memos become memos on the passage of the document the coding
    covered, so a note written on a suggestion is never lost with it. Audit-logged. Returns how many moved."""
    moved = 0
    for chunk in range(0, len(coding_ids), 500):
        part = [str(i) for i in coding_ids[chunk:chunk + 500]]
        rows = db.query(
            f"""SELECT m.id, m.target_id, d.name, c.start, c.end, c.code_id FROM memos m
                JOIN codings c ON c.id = CAST(m.target_id AS INTEGER) JOIN documents d ON d.id = c.document_id
                WHERE m.target_type = 'coding' AND m.target_id IN ({','.join('?' * len(part))})""", tuple(part))
        for r in rows:
            db.conn.execute("UPDATE memos SET target_type = 'document', target_id = ?, start = ?, end = ? "
                            "WHERE id = ?", (r["name"], r["start"], r["end"], r["id"]))
            db.audit("move", "memo", r["id"], who=who, before={"on": f"coding:{r['target_id']}"},
                     after={"on": f"document:{r['name']}", "span": [r["start"], r["end"]],
                            "why": f"the open suggestion of {r['code_id']} it was on is no longer made"})
            moved += 1
    return moved


def reanchor_passages(db: Store, document_id: int, name: str, new_text: str) -> int:
    """Before a document's text is replaced by ``new_text`` (inside the caller's transaction, while the old text
    is still stored): move its passage memos to where their passage is in the new text (as codings are moved,
    :mod:`tematik.reanchor`). A memo whose passage is gone stays a memo on the whole document, its text starting
    with the passage it was about. Each change is audit-logged. Returns how many memos changed."""
    rows = db.query(f"SELECT {MEMO_FIELDS} FROM memos WHERE target_type = 'document' AND target_id = ? "
                    "AND start IS NOT NULL ORDER BY id", (name,))
    if not rows:
        return 0
    from tematik.reanchor import reanchor

    old_text = db.scalar("SELECT text FROM documents WHERE id = ?", (document_id,))
    changed = 0
    for m, a in zip(rows, reanchor(old_text, new_text, [(m["start"], m["end"]) for m in rows]), strict=True):
        if a.status == "unchanged":
            continue
        before = {"span": [m["start"], m["end"]]}
        if a.status == "lost":
            quote = " ".join(old_text[m["start"]:m["end"]].split())
            text = f"[on a passage gone from the new text: \"{quote}\"]\n{m['text']}"
            db.conn.execute("UPDATE memos SET start = NULL, end = NULL, text = ? WHERE id = ?", (text, m["id"]))
            db.audit("lost", "memo", m["id"], before={**before, "text": m["text"]},
                     after={"reason": "its passage was deleted or rewritten when the document was replaced",
                            "text": text})
        else:
            db.conn.execute("UPDATE memos SET start = ?, end = ? WHERE id = ?", (a.start, a.end, m["id"]))
            db.audit("reanchor", "memo", m["id"], before=before, after={"span": [a.start, a.end],
                                                                        "status": a.status})
        changed += 1
    return changed


def list_memos(db: Store, target_type: str | None = None, target_id: str | None = None) -> list[dict[str, Any]]:
    """Memos in the order they were written, only those about ``target_type`` (and ``target_id``) when given."""
    given = {k: v for k, v in (("target_type", target_type), ("target_id", target_id)) if v}
    where = ("WHERE " + " AND ".join(f"{k} = ?" for k in given)) if given else ""
    return db.query(f"SELECT {MEMO_FIELDS} FROM memos {where} ORDER BY id", tuple(given.values()))
