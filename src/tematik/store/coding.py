"""Codes, codings and the audit log: reads and writes (memos: ``store.memos``).

Every change to a coding or a code is written together with its audit-log entry in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from tematik.errors import DocumentChanged, InputError, NotFound
from tematik.models import CODING_STATUSES, Coding, Suggestion
from tematik.store import Store, current_user, now
from tematik.store.memos import delete_memos_of

# A coding's speaker: the participant of the turn it starts in, else the document's participant.
PARTICIPANT_SQL = """COALESCE(
    (SELECT t.participant_id FROM turns t WHERE t.document_id = c.document_id AND t.start <= c.start
       AND c.start < t.end ORDER BY t.start DESC LIMIT 1),
    d.participant_id)"""

CODING_COLUMNS = ["id", "document", "participant", "code", "status", "coder", "start", "end", "text", "rule",
                  "polarity", "origin", "confidence"]


# --------------------------------------------------------------------------- codes and codebooks

def save_codebook(db: Store, *, name: str, version: str | None, digest: str, source: str, fmt: str,
                  codes: Sequence[dict[str, Any]], who: str | None = None) -> tuple[int, bool]:
    """Store a codebook version and upsert its codes (ids stay stable). Returns (codebook id, changed?).

    ``codes`` are dicts with id, name, parent, colour, definition and data (any JSON-able detail). Codes that
    the new version drops are kept (their codings must survive) but marked inactive.
    """
    last = db.conn.execute("SELECT id, hash FROM codebooks WHERE name = ? ORDER BY id DESC LIMIT 1",
                           (name,)).fetchone()
    if last is not None and last["hash"] == digest:
        return last["id"], False
    with db.transaction():
        cur = db.conn.execute(
            "INSERT INTO codebooks (name, version, hash, source, format, loaded, loaded_by) VALUES (?,?,?,?,?,?,?)",
            (name, version, digest, source, fmt, now(), who or current_user()))
        cb_id = cur.lastrowid
        existing = {r["id"]: r for r in db.query("SELECT * FROM codes")}
        # parents first, so the foreign key holds whatever order the file lists codes in
        for code in _parents_first(codes):
            row = (code["name"], code.get("parent"), code.get("colour"), code.get("definition"),
                   json.dumps(code.get("data") or {}, ensure_ascii=False, default=str), cb_id)
            if code["id"] in existing:
                db.conn.execute("UPDATE codes SET name=?, parent_id=?, colour=?, definition=?, data=?, "
                                "codebook_id=?, active=1 WHERE id=?", (*row, code["id"]))
            else:
                db.conn.execute("INSERT INTO codes (name, parent_id, colour, definition, data, codebook_id, id) "
                                "VALUES (?,?,?,?,?,?,?)", (*row, code["id"]))
        kept = {c["id"] for c in codes}
        dropped = [i for i in existing if i not in kept and existing[i]["active"]]
        for i in dropped:
            db.conn.execute("UPDATE codes SET active = 0 WHERE id = ?", (i,))
        db.audit("load", "codebook", name, who=who,
                 before={"hash": last["hash"]} if last else None,
                 after={"version": version, "hash": digest, "codes": sorted(kept), "deactivated": dropped})
    return cb_id, True


def _parents_first(codes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {c["id"]: c for c in codes}
    out, placed = [], set()

    def place(c: dict[str, Any], depth: int = 0) -> None:
        if c["id"] in placed or depth > len(codes):
            return
        parent = c.get("parent")
        if parent in by_id:
            place(by_id[parent], depth + 1)
        placed.add(c["id"])
        out.append(c)

    for c in codes:
        place(c)
    return out


def reuse_code_ids(db: Store, codes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give codes from a file without tematik ids (a REFI .qdc) the id of this project's code with the same name
    under the same parent, so loading an exported codebook back keeps ids, codings and history together.

    Names match exactly, or ignoring case when that is unambiguous (one code of that folded name in the file
    and one in the project). Codes whose names differ only in case ("Trust", "trust") stay separate codes: no
    two codes of the file ever get one id, and a code that matches nothing never takes the id of a project code
    of another name (it gets ``id_2``, ...)."""
    existing = db.query("SELECT id, name, parent_id FROM codes")
    exact = {(r["parent_id"], r["name"]): r["id"] for r in existing}
    folded: dict[tuple[str | None, str], list[str]] = {}
    for r in existing:
        folded.setdefault((r["parent_id"], r["name"].casefold()), []).append(r["id"])
    in_file: dict[tuple[str | None, str], int] = {}
    for code in codes:
        key = (code.get("parent"), str(code["name"]).casefold())
        in_file[key] = in_file.get(key, 0) + 1
    taken = {r["id"] for r in existing} | {c["id"] for c in codes}
    used: set[str] = set()
    mapped: dict[str, str] = {}
    out = []
    for code in _parents_first(codes):
        parent = mapped.get(code.get("parent"), code.get("parent"))
        name = str(code["name"])
        new_id = exact.get((parent, name))
        if new_id is None and in_file[(code.get("parent"), name.casefold())] == 1:
            same = folded.get((parent, name.casefold()), [])
            new_id = same[0] if len(same) == 1 else None
        if new_id is None or new_id in used:
            new_id = code["id"]
            if new_id in used or any(r["id"] == new_id and r["name"] != name for r in existing):
                n = 2
                while f"{code['id']}_{n}" in taken or f"{code['id']}_{n}" in used:
                    n += 1
                new_id = f"{code['id']}_{n}"
        used.add(new_id)
        mapped[code["id"]] = new_id
        out.append({**code, "id": new_id, "parent": parent})
    return out


def latest_codebook(db: Store) -> dict[str, Any] | None:
    rows = db.query("SELECT * FROM codebooks ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def codebook_versions(db: Store) -> list[dict[str, Any]]:
    return db.query("SELECT id, name, version, hash, format, loaded, loaded_by FROM codebooks ORDER BY id")


def list_codes(db: Store, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Codes with their coding counts by status."""
    where = "WHERE k.active = 1" if active_only else ""
    rows = db.query(
        f"""SELECT k.id, k.name, k.parent_id AS parent, k.colour, k.definition, k.active, k.data,
                   sum(c.status = 'suggested') AS suggested, sum(c.status = 'accepted') AS accepted,
                   sum(c.status = 'manual') AS manual, sum(c.status = 'rejected') AS rejected
            FROM codes k LEFT JOIN codings c ON c.code_id = k.id {where}
            GROUP BY k.id ORDER BY k.rowid""")
    for r in rows:
        r["data"] = json.loads(r["data"]) if r["data"] else {}
        for s in ("suggested", "accepted", "manual", "rejected"):
            r[s] = r[s] or 0
    return rows


def code_exists(db: Store, code: str) -> str:
    """The code id for an id or (case-insensitive) name; NotFound names the codes there are."""
    row = db.conn.execute("SELECT id FROM codes WHERE id = ? OR lower(name) = lower(?)", (code, code)).fetchone()
    if row is None:
        known = [r[0] for r in db.conn.execute("SELECT id FROM codes ORDER BY rowid")]
        hint = f"; codes: {', '.join(known)}" if known else "; load a codebook first (tematik codebook load FILE)"
        raise NotFound(f"no code {code!r}{hint}")
    return row[0]


# --------------------------------------------------------------------------- codings

def add_codings(db: Store, codings: Iterable[Coding], *, document_ids: dict[str, int] | None = None,
                audit: bool = True, who: str | None = None, texts: dict[str, str] | None = None) -> list[int]:
    """Insert codings (``Coding.document`` is a document name unless ``document_ids`` maps it). Returns ids.

    ``texts`` maps a document name to the SHA-256 of the text its offsets were computed from: if the document
    has another text by now (re-imported meanwhile), DocumentChanged is raised and nothing is written.
    """
    ids = []
    stamp = now()
    checked: set[int] = set()
    with db.transaction():
        for c in codings:
            doc_id = (document_ids or {}).get(c.document) or _doc_id(db, c.document)
            if texts and c.document in texts and doc_id not in checked:
                check_text(db, doc_id, texts[c.document], name=c.document)
                checked.add(doc_id)
            length = db.scalar("SELECT chars FROM documents WHERE id = ?", (doc_id,))
            if not (0 <= c.start < c.end <= length):
                raise InputError(f"span {c.start}:{c.end} is outside document {c.document!r} (0:{length})",
                                 field="--span")
            if c.status not in CODING_STATUSES:
                raise InputError(f"unknown status {c.status!r}", field="status")
            cur = db.conn.execute(
                "INSERT INTO codings (document_id, code_id, start, end, status, coder, rule, polarity, unit, created)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc_id, c.code, c.start, c.end, c.status, c.coder, c.rule, c.polarity, None, c.created or stamp))
            ids.append(cur.lastrowid)
            if audit:
                db.audit("add", "coding", cur.lastrowid, who=who or c.coder,
                         after={"document": c.document, "code": c.code, "start": c.start, "end": c.end,
                                "status": c.status})
    return ids


def _doc_id(db: Store, name: str) -> int:
    row = db.conn.execute("SELECT id FROM documents WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"no document {name!r}")
    return row[0]


def check_text(db: Store, document_id: int, text_sha256: str | None, *, name: str | None = None) -> str:
    """Refuse work computed from a text the document no longer has: DocumentChanged unless document
    ``document_id`` still exists with text hash ``text_sha256``. Call it inside the write transaction that stores
    the work (the write lock keeps the text from changing until the commit). Returns the hash; with
    ``text_sha256`` None (the caller did not say which text), the document's current hash, NotFound if none."""
    current = db.scalar("SELECT sha256 FROM documents WHERE id = ?", (document_id,))
    if text_sha256 is None:
        if current is None:
            raise NotFound(f"no document #{document_id}")
        return current
    if current != text_sha256:
        label = repr(name) if name else f"#{document_id}"
        what = "was removed" if current is None else "was re-imported with a different text"
        raise DocumentChanged(f"document {label} {what} while it was being worked on; the work computed from its "
                              "old text was not stored")
    return current


# DELETE of one document's open suggestions. The unary ``+`` keeps the planner off the status and code indexes,
# which would visit every suggestion of the project for each document; this way it seeks codings_doc.
_DELETE_SUGGESTIONS = ("DELETE FROM codings WHERE document_id = ? AND +coder = ? AND +status = 'suggested'")


def store_suggestions(db: Store, document_id: int, suggestions: Sequence[Suggestion], *, codebook_hash: str,
                      unit: str, codes: Iterable[str] | None = None, coder: str = "auto",
                      text_sha256: str | None = None, name: str | None = None) -> tuple[int, int]:
    """Replace the unreviewed suggestions of one document by a fresh auto-coding run, in one transaction.

    Accepted, rejected and manual codings are never touched, and a suggestion equal to one already reviewed
    or coded by anyone (same code and span) is not stored again. A rejection is remembered by the text's hash,
    code and span (table ``rejections``), so a rejected suggestion is never made again, by the rules or the
    model, whatever the codebook version, after ``--redo`` and after the document is removed and imported
    again with the same text. The document is marked
    done for this codebook, unit and text, which is how an interrupted run resumes. ``text_sha256`` is the hash of
    the text the suggestions were computed from: if the document's text is no longer that one (another process
    re-imported it meanwhile), nothing is written and DocumentChanged is raised. Returns (stored, skipped).
    """
    code_list = sorted(set(codes)) if codes else None
    code_filter, params = "", [document_id, coder]
    if code_list:
        code_filter = f" AND +code_id IN ({','.join('?' * len(code_list))})"
        params += code_list
    stamp = now()
    with db.transaction():
        sha = check_text(db, document_id, text_sha256, name=name)
        db.conn.execute(_DELETE_SUGGESTIONS + code_filter, params)
        reviewed = {(r[0], r[1], r[2]) for r in db.conn.execute(
            "SELECT code_id, start, end FROM codings WHERE document_id = ? AND status != 'suggested'",
            (document_id,))}
        reviewed |= {(r[0], r[1], r[2]) for r in db.conn.execute(
            "SELECT code_id, start, end FROM rejections WHERE sha256 = ?", (sha,))}
        rows = [(document_id, s.code, s.start, s.end, "suggested", coder, s.rule, s.polarity, s.match_start,
                 s.match_end, s.unit, stamp, s.origin or s.rule, s.confidence)
                for s in suggestions if (s.code, s.start, s.end) not in reviewed]
        db.conn.executemany(
            "INSERT INTO codings (document_id, code_id, start, end, status, coder, rule, polarity, match_start, "
            "match_end, unit, created, origin, confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.conn.execute(
            "INSERT INTO autocode_progress (document_id, codebook_hash, unit, codes, done, sha256) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (document_id, unit, codes) DO UPDATE SET "
            "codebook_hash = excluded.codebook_hash, done = excluded.done, sha256 = excluded.sha256",
            (document_id, codebook_hash, unit, ",".join(code_list) if code_list else "*", stamp, sha))
    return len(rows), len(suggestions) - len(rows)


def autocode_pending(db: Store, *, codebook_hash: str, unit: str, codes: Iterable[str] | None = None,
                     document_ids: Iterable[int] | None = None) -> list[int]:
    """Documents not yet auto-coded with this codebook version, unit and code filter on their present text
    (resume after Ctrl-C; a document re-imported with another text is pending again)."""
    key = ",".join(sorted(set(codes))) if codes else "*"
    rows = db.conn.execute(
        """SELECT d.id FROM documents d
           WHERE NOT EXISTS (SELECT 1 FROM autocode_progress p WHERE p.document_id = d.id AND p.unit = ?
                             AND p.codes = ? AND p.codebook_hash = ? AND p.sha256 = d.sha256)
           ORDER BY d.name""", (unit, key, codebook_hash)).fetchall()
    pending = [r[0] for r in rows]
    if document_ids is not None:
        wanted = set(document_ids)
        pending = [i for i in pending if i in wanted]
    return pending


def reset_autocode_progress(db: Store) -> None:
    with db.transaction():
        db.conn.execute("DELETE FROM autocode_progress")


def query_codings(db: Store, *, statuses: Sequence[str] | None = None, codes: Sequence[str] | None = None,
                  documents: Sequence[int] | None = None, coders: Sequence[str] | None = None,
                  rules: Sequence[str] | None = None, ids: Sequence[int] | None = None,
                  order: str = "c.document_id, c.start, c.id", limit: int | None = None) -> list[dict[str, Any]]:
    """Codings with document, participant, code, text and all their fields, filtered."""
    where, params = _filters(statuses=statuses, codes=codes, documents=documents, coders=coders, rules=rules,
                             ids=ids)
    sql = f"""SELECT c.id, d.name AS document, c.document_id, {PARTICIPANT_SQL} AS participant, c.code_id AS code,
                     c.status, c.coder, c.start, c.end, substr(d.text, c.start + 1, c.end - c.start) AS text,
                     c.rule, c.polarity, c.match_start, c.match_end, c.unit, c.created, c.updated,
                     c.origin, round(c.confidence, 3) AS confidence
              FROM codings c JOIN documents d ON d.id = c.document_id
              {where} ORDER BY {order}""" + (f" LIMIT {int(limit)}" if limit else "")
    return db.query(sql, tuple(params))


def _filters(**kw: Sequence[Any] | None) -> tuple[str, list[Any]]:
    column = {"statuses": "c.status", "codes": "c.code_id", "documents": "c.document_id", "coders": "c.coder",
              "rules": "c.rule", "ids": "c.id"}
    clauses, params = [], []
    for key, values in kw.items():
        if values:
            values = list(values)
            if key == "rules":
                clauses.append("(" + " OR ".join("c.rule LIKE ?" for _ in values) + ")")
                params += [v.replace("*", "%") for v in values]
                continue
            clauses.append(f"{column[key]} IN ({','.join('?' * len(values))})")
            params += values
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def set_status(db: Store, coding_ids: Sequence[int], status: str, *, who: str | None = None) -> int:
    """Accept, reject or reopen codings; each change audited. Returns how many changed."""
    if status not in CODING_STATUSES:
        raise InputError(f"unknown status {status!r}")
    changed = 0
    stamp = now()
    with db.transaction():
        for cid in coding_ids:
            row = db.conn.execute("SELECT status FROM codings WHERE id = ?", (cid,)).fetchone()
            if row is None:
                raise NotFound(f"no coding {cid}")
            if row["status"] == status:
                continue
            db.conn.execute("UPDATE codings SET status = ?, updated = ? WHERE id = ?", (status, stamp, cid))
            _remember_rejection(db, cid, row["status"], status, who=who)
            db.audit(status if status in ("accepted", "rejected") else "status", "coding", cid, who=who,
                     before={"status": row["status"]}, after={"status": status})
            changed += 1
    return changed


def _remember_rejection(db: Store, coding_id: int, before: str, after: str, *, who: str | None = None) -> None:
    """Keep the table of rejections in step with a status change of one coding (inside the caller's
    transaction): a rejection is remembered by the document's text hash, code and span; undoing or reversing it
    forgets it unless another rejected coding of the same text, code and span remains."""
    if before == after or "rejected" not in (before, after):
        return
    row = db.conn.execute("SELECT d.sha256, c.code_id, c.start, c.end, c.rule, c.origin FROM codings c "
                          "JOIN documents d ON d.id = c.document_id WHERE c.id = ?", (coding_id,)).fetchone()
    if row is None:
        return
    sha, code, start, end = row[0], row[1], row[2], row[3]
    if after == "rejected":
        db.conn.execute("INSERT OR IGNORE INTO rejections (sha256, code_id, start, end, origin, who, at) "
                        "VALUES (?,?,?,?,?,?,?)", (sha, code, start, end, row[5] or row[4], who or current_user(),
                                                   now()))
        return
    others = db.scalar("SELECT count(*) FROM codings c JOIN documents d ON d.id = c.document_id "
                       "WHERE d.sha256 = ? AND c.code_id = ? AND c.start = ? AND c.end = ? AND c.status = 'rejected'"
                       " AND c.id != ?", (sha, code, start, end, coding_id))
    if not others:
        db.conn.execute("DELETE FROM rejections WHERE sha256 = ? AND code_id = ? AND start = ? AND end = ?",
                        (sha, code, start, end))


def change_code(db: Store, coding_id: int, code: str, *, who: str | None = None) -> None:
    with db.transaction():
        row = db.conn.execute("SELECT code_id FROM codings WHERE id = ?", (coding_id,)).fetchone()
        if row is None:
            raise NotFound(f"no coding {coding_id}")
        db.conn.execute("UPDATE codings SET code_id = ?, updated = ? WHERE id = ?", (code, now(), coding_id))
        db.audit("recode", "coding", coding_id, who=who, before={"code": row["code_id"]}, after={"code": code})


def restore_coding(db: Store, coding_id: int, *, status: str, code: str, who: str | None = None) -> None:
    """Undo a review decision: put a coding's status and code back as they were."""
    with db.transaction():
        row = db.conn.execute("SELECT status, code_id FROM codings WHERE id = ?", (coding_id,)).fetchone()
        if row is None:
            raise NotFound(f"no coding {coding_id}")
        _remember_rejection(db, coding_id, row["status"], "suggested")  # forget the old decision first
        db.conn.execute("UPDATE codings SET status = ?, code_id = ?, updated = ? WHERE id = ?",
                        (status, code, now(), coding_id))
        _remember_rejection(db, coding_id, "suggested", status, who=who)
        db.audit("undo", "coding", coding_id, who=who, before={"status": row["status"], "code": row["code_id"]},
                 after={"status": status, "code": code})


def delete_coding(db: Store, coding_id: int, *, who: str | None = None) -> dict[str, Any]:
    with db.transaction():
        rows = query_codings(db, ids=[coding_id])
        if not rows:
            raise NotFound(f"no coding {coding_id}")
        delete_memos_of(db, "coding", str(coding_id))
        db.conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
        before = {k: rows[0][k] for k in ("document", "code", "start", "end", "status", "coder")}
        db.audit("delete", "coding", coding_id, who=who, before=before)
    return rows[0]


def suggestion_summary(db: Store, coder: str = "auto") -> list[dict[str, Any]]:
    """Per code: open suggestions, the documents they are in, and how many are negated."""
    return db.query(
        """SELECT k.id AS code, k.name, count(c.id) AS suggestions, count(DISTINCT c.document_id) AS documents,
                  coalesce(sum(c.polarity = 'negative'), 0) AS negative
           FROM codes k LEFT JOIN codings c ON c.code_id = k.id AND c.status = 'suggested' AND c.coder = ?
           GROUP BY k.id ORDER BY suggestions DESC, k.rowid""", (coder,))


def codings_for_document(db: Store, document_id: int, statuses: tuple[str, ...] | None = None) -> list[dict]:
    """Codings of one document, in text order, with their code's name and colour."""
    where, params = "c.document_id = ?", [document_id]
    if statuses:
        where += f" AND c.status IN ({','.join('?' * len(statuses))})"
        params += list(statuses)
    return db.query(
        f"""SELECT c.id, c.code_id AS code, k.name AS code_name, k.colour, c.start, c.end, c.status, c.coder,
                   c.polarity, c.rule
            FROM codings c JOIN codes k ON k.id = c.code_id
            WHERE {where} ORDER BY c.start, c.end""", tuple(params))


# --------------------------------------------------------------------------- the log

def _equals(**filters: Any) -> tuple[str, tuple[Any, ...]]:
    """``WHERE a = ? AND b = ?`` for the filters that are given."""
    given = {k: v for k, v in filters.items() if v}
    where = ("WHERE " + " AND ".join(f"{k} = ?" for k in given)) if given else ""
    return where, tuple(given.values())


def audit_log(db: Store, *, entity: str | None = None, who: str | None = None, limit: int | None = None
              ) -> list[dict[str, Any]]:
    where, params = _equals(entity=entity, who=who)
    tail = f" LIMIT {int(limit)}" if limit else ""
    return db.query(f"SELECT id, at, who, action, entity, entity_id, before, after FROM audit_log {where} "
                    f"ORDER BY id DESC{tail}", params)
