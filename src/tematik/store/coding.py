"""Codes, codings and the audit log: reads and writes (memos: ``store.memos``).

Every change to a coding or a code is written together with its audit-log entry in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from tematik.errors import Conflict, DocumentChanged, InputError, NotFound
from tematik.models import AUTO_CODER, CODING_STATUSES, Coding, Suggestion
from tematik.store import Store, current_user, now
from tematik.store.memos import delete_memos_of, move_to_passages

# A coding's speaker: the participant of the turn it starts in, else the document's participant.
PARTICIPANT_SQL = """COALESCE(
    (SELECT t.participant_id FROM turns t WHERE t.document_id = c.document_id AND t.start <= c.start
       AND c.start < t.end ORDER BY t.start DESC LIMIT 1),
    d.participant_id)"""

#: The columns of ``tematik codings``: ``coder`` is who made the coding or decided the suggestion, ``suggested_by``
#: the auto-coder that suggested it (empty for a manual coding).
CODING_COLUMNS = ["id", "document", "participant", "code", "status", "coder", "suggested_by", "start", "end", "text",
                  "rule", "polarity", "origin", "confidence"]


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


# The open suggestions of one document (of one auto-coder). The unary ``+`` keeps the planner off the status and
# code indexes, which would visit every suggestion of the project for each document; this way it seeks codings_doc.
_OPEN_SUGGESTIONS = ("SELECT id, code_id, start, end FROM codings WHERE document_id = ? AND +coder = ? "
                     "AND +status = 'suggested'")


def store_suggestions(db: Store, document_id: int, suggestions: Sequence[Suggestion], *, codebook_hash: str,
                      unit: str, codes: Iterable[str] | None = None, coder: str = AUTO_CODER,
                      text_sha256: str | None = None, name: str | None = None) -> tuple[int, int]:
    """Replace the unreviewed suggestions of one document by a fresh auto-coding run, in one transaction.

    Accepted, rejected and manual codings are never touched, and a suggestion equal to one already reviewed
    or coded by anyone (same code and span) is not stored again. A decision is remembered by the text's hash,
    code and span (table ``rejections``: rejected, recoded to another code, or removed), so such a suggestion is
    never made again, by the rules or the model, whatever the codebook version, after ``--redo`` and after the
    document is removed and imported again with the same text.

    An open suggestion made again (same code and span) keeps its id: its rule, origin, confidence, polarity and
    codebook version are updated in place, so ids a researcher noted stay valid; only the open suggestions no longer
    made are deleted (a memo on one becomes a memo on its passage of the document). What changed goes to the audit
    log (one ``autocode`` entry per document, with the ids removed). The document is marked done for this codebook,
    unit and text, which is how an interrupted run resumes. ``text_sha256`` is the hash of the text the suggestions
    were computed from: if the document's text is no longer that one (another process re-imported it meanwhile),
    nothing is written and DocumentChanged is raised. Returns (stored, skipped): stored counts the suggestions
    stored, new or kept.
    """
    code_list = sorted(set(codes)) if codes else None
    code_filter, params = "", [document_id, coder]
    if code_list:
        code_filter = f" AND +code_id IN ({','.join('?' * len(code_list))})"
        params += code_list
    stamp = now()
    version = codebook_hash.split("+", 1)[0]  # without the model part the run is keyed by
    with db.transaction():
        sha = check_text(db, document_id, text_sha256, name=name)
        open_ids: dict[tuple[str, int, int], list[int]] = {}
        for r in db.conn.execute(_OPEN_SUGGESTIONS + code_filter + " ORDER BY id", params):
            open_ids.setdefault((r[1], r[2], r[3]), []).append(r[0])
        reviewed = {(r[0], r[1], r[2]) for r in db.conn.execute(
            "SELECT code_id, start, end FROM codings WHERE document_id = ? AND status != 'suggested'",
            (document_id,))}
        reviewed |= {(r[0], r[1], r[2]) for r in db.conn.execute(
            "SELECT code_id, start, end FROM rejections WHERE sha256 = ?", (sha,))}
        fresh, kept = [], []
        for s in suggestions:
            key = (s.code, s.start, s.end)
            if key in reviewed:
                continue
            same = open_ids.get(key)
            if same:
                kept.append((s.rule, s.polarity, s.match_start, s.match_end, s.unit, s.origin or s.rule, s.confidence,
                             version, same.pop(0)))
            else:
                fresh.append((document_id, s.code, s.start, s.end, "suggested", coder, s.rule, s.polarity,
                              s.match_start, s.match_end, s.unit, stamp, s.origin or s.rule, s.confidence, coder,
                              s.code, version))
        removed = sorted(i for ids in open_ids.values() for i in ids)
        move_to_passages(db, removed)
        for chunk in range(0, len(removed), 500):
            part = removed[chunk:chunk + 500]
            db.conn.execute(f"DELETE FROM codings WHERE id IN ({','.join('?' * len(part))})", part)
        db.conn.executemany(
            "UPDATE codings SET rule = ?, polarity = ?, match_start = ?, match_end = ?, unit = ?, origin = ?, "
            "confidence = ?, codebook_hash = ? WHERE id = ?", kept)
        db.conn.executemany(
            "INSERT INTO codings (document_id, code_id, start, end, status, coder, rule, polarity, match_start, "
            "match_end, unit, created, origin, confidence, suggested_by, suggested_code, codebook_hash) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", fresh)
        if fresh or removed:
            # AUTOINCREMENT under the write lock: the new ids are the last len(fresh) of the sequence
            last = db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'codings'") or 0
            doc_name = name or db.scalar("SELECT name FROM documents WHERE id = ?", (document_id,))
            db.audit("autocode", "document", doc_name, who=current_user(),
                     after={"codebook": version, "unit": unit, "added": len(fresh), "kept": len(kept),
                            **({"ids": [last - len(fresh) + 1, last]} if fresh else {}), "removed": removed})
        db.conn.execute(
            "INSERT INTO autocode_progress (document_id, codebook_hash, unit, codes, done, sha256) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (document_id, unit, codes) DO UPDATE SET "
            "codebook_hash = excluded.codebook_hash, done = excluded.done, sha256 = excluded.sha256",
            (document_id, codebook_hash, unit, ",".join(code_list) if code_list else "*", stamp, sha))
    return len(fresh) + len(kept), len(suggestions) - len(fresh) - len(kept)


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
                     c.origin, round(c.confidence, 3) AS confidence, c.suggested_by, c.suggested_code,
                     c.codebook_hash
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


# --------------------------------------------------------------------------- decisions

_ROW = ("SELECT c.id, c.document_id, d.name AS document, d.sha256, c.code_id, c.start, c.end, c.status, c.coder, "
        "c.rule, c.origin, c.suggested_by, c.suggested_code, c.created, c.updated "
        "FROM codings c JOIN documents d ON d.id = c.document_id WHERE c.id = ?")


def _coding(db: Store, coding_id: int) -> dict[str, Any]:
    row = db.conn.execute(_ROW, (int(coding_id),)).fetchone()
    if row is None:
        raise NotFound(f"no coding {coding_id}")
    return dict(row)


def _held(row: dict[str, Any]) -> set[str]:
    """The codes a coding holds as remembered decisions on its span: its code when it is rejected, and the code it
    was suggested with when the reviewer gave it another."""
    held = {row["code_id"]} if row["status"] == "rejected" else set()
    if row["suggested_code"] and row["suggested_code"] != row["code_id"]:
        held.add(row["suggested_code"])
    return held


def _remember(db: Store, row: dict[str, Any], code: str, reason: str, who: str | None) -> None:
    """Remember that ``code`` on this coding's text and span was turned down (``reason``: rejected, recoded or
    removed). A removal is final: it takes over a rejection already remembered (undo cannot bring it back)."""
    on_conflict = ("DO UPDATE SET reason = 'removed', who = excluded.who, at = excluded.at" if reason == "removed"
                   else "DO NOTHING")
    db.conn.execute(
        "INSERT INTO rejections (sha256, code_id, start, end, origin, who, at, reason) VALUES (?,?,?,?,?,?,?,?) "
        f"ON CONFLICT (sha256, code_id, start, end) {on_conflict}",
        (row["sha256"], code, row["start"], row["end"], row["origin"] or row["rule"], who or current_user(), now(),
         reason))


def _forget(db: Store, row: dict[str, Any], code: str) -> None:
    """Forget a remembered rejection of ``code`` on this coding's span, unless another coding of the same text
    still holds it (rejected with that code, or recoded from it) or it was a removal."""
    held = db.scalar(
        "SELECT 1 FROM codings c JOIN documents d ON d.id = c.document_id WHERE d.sha256 = ? AND c.start = ? "
        "AND c.end = ? AND c.id != ? AND ((c.status = 'rejected' AND c.code_id = ?) "
        "OR (c.suggested_code = ? AND c.code_id != ?)) LIMIT 1",
        (row["sha256"], row["start"], row["end"], row["id"], code, code, code))
    if not held:
        db.conn.execute("DELETE FROM rejections WHERE sha256 = ? AND code_id = ? AND start = ? AND end = ? "
                        "AND coalesce(reason, '') != 'removed'", (row["sha256"], code, row["start"], row["end"]))


def _sync_rejections(db: Store, before: dict[str, Any], *, who: str | None) -> dict[str, Any]:
    """Keep the remembered rejections in step with one coding's change (inside the caller's transaction): what
    it holds now and did not before is remembered, what it no longer holds is forgotten. Returns the row now."""
    after = _coding(db, before["id"])
    was, now_held = _held(before), _held(after)
    for code in sorted(now_held - was):
        reason = "rejected" if after["status"] == "rejected" and code == after["code_id"] else "recoded"
        _remember(db, after, code, reason, who)
    for code in sorted(was - now_held):
        _forget(db, after, code)
    return after


def describe_decision(row: dict[str, Any]) -> str:
    """What a coding is now, for a refusal: ``accepted by ana at 2026-12-01T17:20``, ``a manual coding by bo``..."""
    when = (row.get("updated") or row.get("created") or "")[:16]
    at = f" at {when}" if when else ""
    if row["status"] == "manual" and not row.get("suggested_by"):
        return f"a manual coding by {row['coder']} (made{at}), not a suggestion"
    if row["status"] == "suggested":
        return f"a suggestion by {row['coder']}"
    by = f"by {row['coder']}" if row["coder"] != AUTO_CODER else "(who decided was not recorded)"
    if row.get("suggested_code") and row["suggested_code"] != row["code_id"]:
        return f"recoded from {row['suggested_code']} to {row['code_id']} and {row['status']} {by}{at}"
    return f"{row['status']} {by}{at}"


def coding_fate(db: Store, coding_id: int) -> str:
    """Why there is no coding ``coding_id``, from the audit log: removed by ``code rm`` (by whom, when), lost when
    its document was replaced, or an open suggestion that ``autocode`` no longer made."""
    cid = int(coding_id)
    row = db.conn.execute("SELECT at, who, action, before FROM audit_log WHERE entity = 'coding' AND entity_id = ? "
                          "AND action IN ('delete', 'lost') ORDER BY id DESC LIMIT 1", (str(cid),)).fetchone()
    if row is not None:
        try:
            was = json.loads(row["before"] or "{}")
        except ValueError:
            was = {}
        what = (f" ({was.get('code')} on {was.get('document')}, {was.get('status')})" if was.get("code") else "")
        if row["action"] == "lost":
            return (f"coding {cid} no longer exists: it{what} was lost at {row['at'][:16]} when its document was "
                    "re-imported with that text changed")
        return f"coding {cid} no longer exists: it{what} was removed by {row['who']} at {row['at'][:16]}"
    for r in db.conn.execute("SELECT at, who, entity_id, after FROM audit_log WHERE entity = 'document' "
                             "AND action = 'autocode' AND after LIKE ? ORDER BY id DESC", (f"%{cid}%",)):
        try:
            after = json.loads(r["after"])
        except ValueError:
            continue
        if cid in (after.get("removed") or []) and after.get("reason"):
            return (f"coding {cid} no longer exists: it was an open suggestion on {r['entity_id']} withdrawn at "
                    f"{r['at'][:16]}: {after['reason']}")
        if cid in (after.get("removed") or []):
            return (f"coding {cid} no longer exists: it was an open suggestion on {r['entity_id']} that autocode "
                    f"no longer made, removed at {r['at'][:16]} (autocode run by {r['who']})")
    highest = db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'codings'") or 0
    if cid > highest:
        return f"there is no coding {cid} (the highest coding id so far is {highest})"
    return f"coding {cid} no longer exists (the audit log does not say what became of it)"


def check_open_suggestions(db: Store, coding_ids: Sequence[int], *, field: str | None = "--id"
                           ) -> list[dict[str, Any]]:
    """The rows of these codings if every one is an open suggestion; else NotFound (an id that does not exist,
    with what the audit log knows of it) or Conflict (naming what it is now and who decided it). Checks all of
    them before the caller changes any (all-or-nothing)."""
    rows = []
    for cid in dict.fromkeys(int(i) for i in coding_ids):
        row = db.conn.execute(_ROW, (cid,)).fetchone()
        if row is None:
            raise NotFound(coding_fate(db, cid), field=field)
        row = dict(row)
        if row["status"] != "suggested":
            raise Conflict(f"coding {cid} is no longer an open suggestion: it is {describe_decision(row)}",
                           field=field)
        rows.append(row)
    return rows


def _keep_provenance(db: Store, before: dict[str, Any]) -> None:
    """A suggestion of a coder other than the auto-coder (one brought in by ``merge``, say) that someone decides:
    who suggested it and with which code is kept in ``suggested_by`` / ``suggested_code`` before the decider
    becomes its coder."""
    if before["status"] == "suggested" and not before["suggested_by"]:
        db.conn.execute("UPDATE codings SET suggested_by = ?, suggested_code = coalesce(suggested_code, ?) "
                        "WHERE id = ?", (before["coder"], before["code_id"], before["id"]))


def set_status(db: Store, coding_ids: Sequence[int], status: str, *, who: str | None = None) -> int:
    """Accept, reject or reopen codings; each change audited. Returns how many changed.

    Accepting or rejecting makes ``who`` (default: the current user) the coding's coder: the decision is theirs,
    where the suggestion came from stays in ``suggested_by``. Reopening (status ``suggested``) gives it back to
    the auto-coder that suggested it. Rejections are remembered (table ``rejections``)."""
    if status not in CODING_STATUSES:
        raise InputError(f"unknown status {status!r}")
    changed = 0
    stamp = now()
    person = who or current_user()
    with db.transaction():
        for cid in coding_ids:
            before = _coding(db, cid)
            if before["status"] == status:
                continue
            if status in ("accepted", "rejected"):
                coder = person
            elif status == "suggested":
                coder = before["suggested_by"] or before["coder"]
            else:
                coder = before["coder"]
            db.conn.execute("UPDATE codings SET status = ?, coder = ?, updated = ? WHERE id = ?",
                            (status, coder, stamp, cid))
            _keep_provenance(db, before)
            _sync_rejections(db, before, who=person)
            db.audit(status if status in ("accepted", "rejected") else "status", "coding", cid, who=person,
                     before={"status": before["status"], "coder": before["coder"]},
                     after={"status": status, "coder": coder})
            changed += 1
    return changed


def change_code(db: Store, coding_id: int, code: str, *, who: str | None = None) -> None:
    """Give a coding another code; ``who`` becomes its coder. Changing the code of a suggestion remembers the
    old code on that span as rejected (the auto-coder does not suggest it there again)."""
    person = who or current_user()
    with db.transaction():
        before = _coding(db, coding_id)
        db.conn.execute("UPDATE codings SET code_id = ?, coder = ?, updated = ? WHERE id = ?",
                        (code, person, now(), coding_id))
        _keep_provenance(db, before)
        _sync_rejections(db, before, who=person)
        db.audit("recode", "coding", coding_id, who=person,
                 before={"code": before["code_id"], "coder": before["coder"]}, after={"code": code, "coder": person})


def restore_coding(db: Store, coding_id: int, *, status: str, code: str, coder: str | None = None,
                   who: str | None = None) -> None:
    """Undo a review decision: put a coding's status, code and coder back as they were (``coder`` None: the
    auto-coder that suggested it when ``status`` is suggested, else as it is). A rejection the decision made
    remembered is forgotten again unless another decision holds it."""
    with db.transaction():
        before = _coding(db, coding_id)
        if coder is None:
            coder = (before["suggested_by"] or before["coder"]) if status == "suggested" else before["coder"]
        db.conn.execute("UPDATE codings SET status = ?, code_id = ?, coder = ?, updated = ? WHERE id = ?",
                        (status, code, coder, now(), coding_id))
        _sync_rejections(db, before, who=who)
        db.audit("undo", "coding", coding_id, who=who,
                 before={"status": before["status"], "code": before["code_id"], "coder": before["coder"]},
                 after={"status": status, "code": code, "coder": coder})


def delete_coding(db: Store, coding_id: int, *, who: str | None = None) -> dict[str, Any]:
    """Delete a coding and its memos (audited). Removing a coding that came from a suggestion (accepted, open or
    recoded) is a decision: its code on that text and span is remembered (``rejections``, reason ``removed``)
    so no later ``autocode`` suggests it again. The returned row has ``remembered``: the codes remembered."""
    with db.transaction():
        rows = query_codings(db, ids=[coding_id])
        if not rows:
            raise NotFound(coding_fate(db, coding_id))
        row = _coding(db, coding_id)
        remembered = sorted(_held(row) | ({row["code_id"]} if row["suggested_by"] else set()))
        for code in remembered:
            _remember(db, row, code, "removed", who)
        delete_memos_of(db, "coding", str(coding_id), who=who, why=f"its coding {coding_id} was deleted")
        db.conn.execute("DELETE FROM codings WHERE id = ?", (coding_id,))
        before = {k: rows[0][k] for k in ("document", "code", "start", "end", "status", "coder", "suggested_by")}
        db.audit("delete", "coding", coding_id, who=who, before=before,
                 after={"remembered": remembered} if remembered else None)
    return {**rows[0], "remembered": remembered}


def suggestion_summary(db: Store, coder: str = AUTO_CODER) -> list[dict[str, Any]]:
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
