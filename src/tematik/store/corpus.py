"""Participants, documents and turns: reads and writes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field

from tematik.corpus import attribute_type, sha256
from tematik.errors import Conflict, InputError, NotFound
from tematik.models import Document, Participant, Turn
from tematik.reanchor import STATUSES, Anchor, keep_speakers, reanchor
from tematik.store import Store, now
from tematik.store.memos import reanchor_passages

# --------------------------------------------------------------------------- participants


def ensure_participants(db: Store, participants: Iterable[Participant], *, update: bool = True) -> int:
    """Create participants that do not exist; with ``update`` set the role and attributes given. Returns new count."""
    created = 0
    for p in participants:
        row = db.conn.execute("SELECT role FROM participants WHERE id = ?", (p.id,)).fetchone()
        if row is None:
            db.conn.execute("INSERT INTO participants (id, role, created) VALUES (?, ?, ?)", (p.id, p.role, now()))
            created += 1
        elif update and p.role and p.role != row["role"]:
            db.conn.execute("UPDATE participants SET role = ? WHERE id = ?", (p.role, p.id))
        if p.attributes and (update or row is None):
            set_attributes(db, p.id, p.attributes)
    return created


def set_attributes(db: Store, participant_id: str, values: Mapping[str, str]) -> None:
    """Set typed attributes; the type of a key is inferred over every value the key has in the project."""
    if not db.scalar("SELECT 1 FROM participants WHERE id = ?", (participant_id,)):
        raise NotFound(f"no participant {participant_id!r}")
    for key, value in values.items():
        if key == "role":
            db.conn.execute("UPDATE participants SET role = ? WHERE id = ?", (value or None, participant_id))
            continue
        if value in (None, ""):
            db.conn.execute("DELETE FROM participant_attributes WHERE participant_id = ? AND key = ?",
                            (participant_id, key))
            continue
        db.conn.execute(
            "INSERT INTO participant_attributes (participant_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (participant_id, key) DO UPDATE SET value = excluded.value",
            (participant_id, key, str(value)))
        others = [r[0] for r in db.conn.execute("SELECT value FROM participant_attributes WHERE key = ?", (key,))]
        db.conn.execute("UPDATE participant_attributes SET type = ? WHERE key = ?", (attribute_type(others), key))


def participant_attributes(db: Store, participant_id: str) -> dict[str, str]:
    """The attributes of one participant (NotFound if there is no such participant)."""
    if not db.scalar("SELECT 1 FROM participants WHERE id = ?", (participant_id,)):
        raise NotFound(f"no participant {participant_id!r}")
    return {r["key"]: r["value"] for r in db.query(
        "SELECT key, value FROM participant_attributes WHERE participant_id = ?", (participant_id,))}


def document_name(db: Store, document_id: int) -> str:
    return db.scalar("SELECT name FROM documents WHERE id = ?", (document_id,))


def document_text(db: Store, document_id: int) -> str:
    return db.scalar("SELECT text FROM documents WHERE id = ?", (document_id,))


def list_participants(db: Store) -> tuple[list[str], list[dict]]:
    """Participants with role, attribute columns (sorted), and how many documents/turns speak for each."""
    keys = [r[0] for r in db.conn.execute("SELECT DISTINCT key FROM participant_attributes ORDER BY key")]
    rows = db.query(
        """SELECT p.id, p.role,
                  (SELECT count(*) FROM documents d WHERE d.participant_id = p.id) AS documents,
                  (SELECT count(*) FROM turns t WHERE t.participant_id = p.id) AS turns
           FROM participants p ORDER BY p.id""")
    attrs: dict[str, dict[str, object]] = {}
    for r in db.conn.execute("SELECT participant_id, key, value, type FROM participant_attributes"):
        attrs.setdefault(r[0], {})[r[1]] = _typed(r[2], r[3])
    for row in rows:
        row.update({k: attrs.get(row["id"], {}).get(k) for k in keys})
    return ["id", "role", *keys, "documents", "turns"], rows


def attribute_keys(db: Store) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT DISTINCT key FROM participant_attributes ORDER BY key")]


def _typed(value: str | None, kind: str) -> object:
    if value is None:
        return None
    try:
        if kind == "integer":
            return int(value)
        if kind == "real":
            return float(value)
        if kind == "boolean":
            return value.lower() in ("true", "yes", "ya")
    except ValueError:
        return value
    return value


# --------------------------------------------------------------------------- documents


@dataclass
class Replacement:
    """A changed document that replaces the one of the same name, and where its codings go."""

    document: Document
    document_id: int
    codings: list[dict]  # the old codings: id, code, status, coder, start, end, match_start, match_end, text
    anchors: list[Anchor]  # one per coding, same order
    kept_speakers: list[str] = field(default_factory=list)  # LABEL=TARGET mappings kept from the project

    def count(self, status: str, *, reviewed_only: bool = False) -> int:
        return sum(a.status == status and not (reviewed_only and c["status"] == "suggested" and c["coder"] == "auto")
                   for c, a in zip(self.codings, self.anchors, strict=True))

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATUSES}

    @property
    def lost_reviewed(self) -> int:
        """Lost codings other than open auto-coding suggestions (coder ``auto``: a new ``autocode`` run makes them
        again from the rules; suggestions from other tools or coders count)."""
        return self.count("lost", reviewed_only=True)


@dataclass
class ImportPlan:
    """What an import will do, decided before anything is written."""

    add: list[Document] = field(default_factory=list)
    replace: list[Replacement] = field(default_factory=list)
    skip: list[Document] = field(default_factory=list)

    @property
    def writes(self) -> list[Document]:
        return self.add + [r.document for r in self.replace]


def plan_import(db: Store, documents: list[Document], *, replace: bool = False, force: bool = False) -> ImportPlan:
    """Check the documents against the project; raise before any write if the call must be refused.

    A changed document (with ``replace``) keeps its id; its codings are re-anchored on the new text
    (``tematik.reanchor``). The call is refused unless ``force`` when any coding other than an open suggestion
    would be lost.
    """
    seen: dict[str, Document] = {}
    for doc in documents:
        if doc.name in seen:
            raise InputError(f"two files give the document name {doc.name!r} ({seen[doc.name].path} and "
                             f"{doc.path}); rename one", path=doc.path)
        seen[doc.name] = doc
    plan = ImportPlan()
    for doc in documents:
        planned = _plan_one(db, doc, replace=replace)
        if planned is None:
            plan.skip.append(doc)
        elif isinstance(planned, Replacement):
            plan.replace.append(planned)
        else:
            plan.add.append(planned)
    losing = [(r.document.name, r.counts, r.lost_reviewed, r.document.path) for r in plan.replace if r.lost_reviewed]
    if losing and not force:
        raise _losing(losing)
    return plan


def _losing(losing: list[tuple[str, dict[str, int], int, str | None]]) -> Conflict:
    """The refusal of a replacement that would lose reviewed codings: (name, counts, lost, path) per document."""
    parts = "; ".join(f"{name!r}: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
                      for name, counts, _, _ in losing)
    return Conflict(f"replacing would lose {sum(n for _, _, n, _ in losing)} coding(s) whose text was deleted "
                    f"({parts}); use --force to replace anyway (lost codings are kept in the audit log)",
                    path=losing[0][3])


def _plan_one(db: Store, doc: Document, *, replace: bool) -> Document | Replacement | None:
    """One document against the project: itself to add, a Replacement, or None when unchanged (skip)."""
    row = db.conn.execute("SELECT id, sha256, text FROM documents WHERE name = ?", (doc.name,)).fetchone()
    if row is None:
        return doc
    if row["sha256"] == sha256(doc.text):
        return None
    if not replace:
        raise Conflict(f"document {doc.name!r} already exists with different content; "
                       "use --replace to replace it", path=doc.path)
    codings = db.query(
        "SELECT id, code_id AS code, status, coder, start, end, match_start, match_end, "
        "substr(?, start + 1, end - start) AS text FROM codings WHERE document_id = ? ORDER BY start, id",
        (row["text"], row["id"]))
    anchors = reanchor(row["text"], doc.text, [(c["start"], c["end"]) for c in codings])
    doc, kept = keep_speakers(doc, _speaker_targets(db, row["id"]))
    return Replacement(doc, row["id"], codings, anchors, kept)


class TempIds(MutableMapping[str, int]):
    """Row id -> line for the rows of one table read so far (``corpus.iter_table``'s ``ids``), kept in a temporary
    table of the connection: the ids of a million rows stay out of memory. Starts empty."""

    def __init__(self, db: Store) -> None:
        self.conn = db.conn
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_ids (id TEXT PRIMARY KEY, line INTEGER)")
        self.conn.execute("DELETE FROM temp.import_ids")

    def __getitem__(self, key: str) -> int:
        row = self.conn.execute("SELECT line FROM temp.import_ids WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return row[0]

    def __setitem__(self, key: str, line: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO temp.import_ids (id, line) VALUES (?, ?)", (key, line))

    def setdefault(self, key: str, line: int) -> int:  # type: ignore[override]
        """The line of ``key``, kept as ``line`` when it is new (one statement for a new id)."""
        if self.conn.execute("INSERT OR IGNORE INTO temp.import_ids (id, line) VALUES (?, ?)", (key, line)).rowcount:
            return line
        return self[key]

    def __delitem__(self, key: str) -> None:
        if self.conn.execute("DELETE FROM temp.import_ids WHERE id = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (r[0] for r in self.conn.execute("SELECT id FROM temp.import_ids ORDER BY rowid"))

    def __len__(self) -> int:
        return self.conn.execute("SELECT count(*) FROM temp.import_ids").fetchone()[0]


class StreamingImport:
    """An import written as its documents are read, in batches, inside the caller's one transaction.

    Memory grows with a batch and the largest document, not with the whole import: each document is checked
    (:func:`plan_import`'s checks, the same messages), written with its batch and dropped. A call that must be
    refused is refused like :func:`plan_import` would refuse it (the first duplicate name, else the first changed
    document without ``replace``, else the codings ``replace`` would lose without ``force``), raised by
    :meth:`finish` once every document was seen; the caller's transaction is then rolled back, so the project is
    unchanged. The names seen so far are kept in a temporary table, not in memory.
    """

    def __init__(self, db: Store, *, replace: bool = False, force: bool = False, batch_size: int = 200,
                 progress: Callable[[int], None] | None = None) -> None:
        self.db, self.replace, self.force = db, replace, force
        self.batch_size, self.progress = batch_size, progress
        self.batch: list[Document | Replacement] = []
        self.long: list[Document] = []  # a long added document, written alone by release()
        self.added = self.replaced = self.skipped = self.words = 0
        self.duplicate: InputError | None = None
        self.conflict: Conflict | None = None
        self.losing: list[tuple[str, dict[str, int], int, str | None]] = []  # name, counts, lost reviewed, path
        db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_names (name TEXT PRIMARY KEY, path TEXT)")
        db.conn.execute("DELETE FROM temp.import_names")

    @property
    def refused(self) -> bool:
        """The call will be refused (nothing more need be written)."""
        return self.duplicate is not None or self.conflict is not None or bool(self.losing and not self.force)

    def add(self, doc: Document) -> tuple[str, Document, Replacement | None]:
        """Check one document and queue it: (added | replaced | skipped, the document as stored, its Replacement).

        Once the call is known to be refused nothing more is written; the documents are still checked for
        duplicate names so that :meth:`finish` raises the error :func:`plan_import` would have raised.
        """
        self.release()
        conn = self.db.conn
        if not conn.execute("INSERT OR IGNORE INTO temp.import_names (name, path) VALUES (?, ?)",
                            (doc.name, doc.path)).rowcount:
            if self.duplicate is None:
                first = conn.execute("SELECT path FROM temp.import_names WHERE name = ?", (doc.name,)).fetchone()
                self.duplicate = InputError(f"two files give the document name {doc.name!r} ({first[0]} and "
                                            f"{doc.path}); rename one", path=doc.path)
            return "skipped", doc, None
        if self.duplicate is not None or self.conflict is not None:
            return "skipped", doc, None
        try:
            planned = _plan_one(self.db, doc, replace=self.replace)
        except Conflict as exc:
            self.conflict = exc
            self.batch.clear()
            self.long.clear()
            return "skipped", doc, None
        if planned is None:
            self.skipped += 1
            return "skipped", doc, None
        if isinstance(planned, Document) and len(planned.text) >= LONG_TEXT:
            self.flush()
            self.long.append(planned)  # written by release(), once the caller has let go of it
        else:
            self.batch.append(planned)
        if isinstance(planned, Replacement):
            self.replaced += 1
            self.words += planned.document.words
            if planned.lost_reviewed:
                self.losing.append((doc.name, planned.counts, planned.lost_reviewed, doc.path))
            result = ("replaced", planned.document, planned)
        else:
            self.added += 1
            self.words += doc.words
            result = ("added", doc, None)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return result

    def release(self) -> None:
        """Write a long document queued by :meth:`add`. Call it once the document (and what :meth:`add` returned
        for it) is no longer referenced: its text is then let go while SQLite stores it, so the import holds it
        about twice, not three times (see ``_write_long``); it is also written, held longer, by the next
        :meth:`add` or :meth:`finish`."""
        if self.long and not self.refused:
            _write_long(self.db, self.long)
            if self.progress:
                self.progress(1)
        self.long.clear()

    def flush(self) -> None:
        if self.batch and not self.refused:
            _write_batch(self.db, [d for d in self.batch if isinstance(d, Document)],
                         [r for r in self.batch if isinstance(r, Replacement)])
            if self.progress:
                self.progress(len(self.batch))
        self.batch = []

    def finish(self) -> None:
        """Write what is queued, or raise the error that refuses the call (the caller rolls back)."""
        self.db.conn.execute("DROP TABLE IF EXISTS temp.import_names")
        if self.duplicate is not None:
            raise self.duplicate
        if self.conflict is not None:
            raise self.conflict
        if self.losing and not self.force:
            raise _losing(self.losing)
        self.release()
        self.flush()


def _speaker_targets(db: Store, document_id: int) -> dict[str, tuple[str | None, bool]]:
    """Labels of a stored document that map to one participant or the interviewer (not unmapped, not mixed)."""
    targets: dict[str, set[tuple[str | None, bool]]] = {}
    for r in db.conn.execute("SELECT DISTINCT speaker, participant_id, is_interviewer FROM turns "
                             "WHERE document_id = ? AND speaker IS NOT NULL", (document_id,)):
        targets.setdefault(r[0], set()).add((r[1], bool(r[2])))
    return {label: next(iter(t)) for label, t in targets.items()
            if len(t) == 1 and (next(iter(t))[0] is not None or next(iter(t))[1])}


def apply_import(db: Store, plan: ImportPlan, *, batch_size: int = 200,
                 progress: Callable[[int], None] | None = None) -> None:
    """Write a checked plan: one transaction per batch of documents (bulk ``executemany``)."""
    docs: list[Document | Replacement] = [*plan.add, *plan.replace]
    for i in range(0, len(docs), batch_size):
        batch = docs[i:i + batch_size]
        with db.transaction():
            _write_batch(db, [d for d in batch if isinstance(d, Document)],
                         [r for r in batch if isinstance(r, Replacement)])
        if progress:
            progress(len(batch))


def _ensure_people(db: Store, documents: Iterable[Document]) -> None:
    """The participants the documents and their turns name, created (without a role) where missing."""
    people: dict[str, Participant] = {}
    for d in documents:
        if d.participant:
            people.setdefault(d.participant, Participant(d.participant))
        for t in d.turns:
            if t.participant:
                people.setdefault(t.participant, Participant(t.participant))
    ensure_participants(db, people.values(), update=False)


#: a document at least this long (characters) is written alone, its text streamed into the row (see _write_long)
LONG_TEXT = 1 << 22
_SLICE = 1 << 20  # characters encoded and written at a time


def _write_long(db: Store, box: list[Document]) -> None:
    """Write the one added document in ``box`` (taken out of it) so that its text is not held three times.

    Binding a text makes SQLite copy it twice (the bound value, then the row) beside Python's own copy. Here the
    text's UTF-8 bytes are written a slice at a time into a zero-filled blob of a temporary table, Python's copy is
    let go (when the caller holds no other reference: see StreamingImport.release), and the row is made from the
    blob read back as TEXT: the same row as a plain INSERT's, about two copies of the text at the peak.
    """
    d = box.pop()
    conn, text, step = db.conn, d.text, _SLICE
    _ensure_people(db, [d])
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_text (id INTEGER PRIMARY KEY, bytes BLOB)")
    conn.execute("DELETE FROM temp.import_text")
    nbytes = sum(len(text[i:i + step].encode("utf-8")) for i in range(0, len(text), step))
    # the blob is the row's last column: SQLite stores its zeros without making them in memory
    slot = conn.execute("INSERT INTO temp.import_text (bytes) VALUES (zeroblob(?))", (nbytes,)).lastrowid
    with conn.blobopen("import_text", "bytes", slot, name="temp") as blob:
        for i in range(0, len(text), step):
            blob.write(text[i:i + step].encode("utf-8"))
    row = (d.name, d.source_type, d.language, d.participant, d.date, d.path, sha256(text), d.words, len(text),
           now(), slot)
    turns, attributes = d.turns, d.attributes
    del d, text
    doc_id = conn.execute(
        "INSERT INTO documents (name, source_type, language, participant_id, date, path, text, sha256, words, "
        "chars, imported) SELECT ?, ?, ?, ?, ?, ?, CAST(bytes AS TEXT), ?, ?, ?, ? FROM temp.import_text "
        "WHERE id = ?", row).lastrowid
    conn.execute("DELETE FROM temp.import_text")
    conn.executemany(
        "INSERT INTO turns (document_id, seq, start, end, speaker, participant_id, is_interviewer, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((doc_id, n, t.start, t.end, t.speaker, t.participant, int(t.is_interviewer), t.timestamp)
         for n, t in enumerate(turns)))
    conn.executemany("INSERT INTO document_attributes (document_id, key, value) VALUES (?, ?, ?)",
                     [(doc_id, k, v) for k, v in attributes.items()])


def _write_batch(db: Store, batch: list[Document], replacements: list[Replacement]) -> None:
    conn = db.conn
    stamp = now()
    _ensure_people(db, [*batch, *(r.document for r in replacements)])
    conn.executemany(
        "INSERT INTO documents (name, source_type, language, participant_id, date, path, text, sha256, words, "
        "chars, imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(d.name, d.source_type, d.language, d.participant, d.date, d.path, d.text, sha256(d.text), d.words,
          len(d.text), stamp) for d in batch])
    ids = dict(conn.execute(
        f"SELECT name, id FROM documents WHERE name IN ({','.join('?' * len(batch))})", [d.name for d in batch]
    ).fetchall()) if batch else {}
    for r in replacements:
        _replace_document(db, r, stamp)
        ids[r.document.name] = r.document_id
    every = [*batch, *(r.document for r in replacements)]
    conn.executemany(
        "INSERT INTO turns (document_id, seq, start, end, speaker, participant_id, is_interviewer, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((ids[d.name], n, t.start, t.end, t.speaker, t.participant, int(t.is_interviewer), t.timestamp)
         for d in every for n, t in enumerate(d.turns)))  # a generator: a long transcript's turns are not copied
    conn.executemany(
        "INSERT INTO document_attributes (document_id, key, value) VALUES (?, ?, ?)",
        [(ids[d.name], k, v) for d in every for k, v in d.attributes.items()])


def _replace_document(db: Store, r: Replacement, stamp: str) -> None:
    """Put new text under an existing document id: codings re-anchored, turns and derived data dropped."""
    conn, d, doc_id = db.conn, r.document, r.document_id
    old = conn.execute("SELECT sha256, chars, path FROM documents WHERE id = ?", (doc_id,)).fetchone()
    reanchor_passages(db, doc_id, d.name, d.text)  # memos on a passage follow it, as codings do
    conn.execute(
        "UPDATE documents SET source_type = ?, language = ?, participant_id = ?, date = ?, path = ?, text = ?, "
        "sha256 = ?, words = ?, chars = ?, imported = ? WHERE id = ?",
        (d.source_type, d.language, d.participant, d.date, d.path, d.text, sha256(d.text), d.words, len(d.text),
         stamp, doc_id))
    for table in ("turns", "document_attributes", "segments", "segment_sources", "autocode_progress"):
        conn.execute(f"DELETE FROM {table} WHERE document_id = ?", (doc_id,))
    changed = []
    for c, a in zip(r.codings, r.anchors, strict=True):
        if a.status == "lost":
            memos = [m[0] for m in conn.execute(
                "SELECT text FROM memos WHERE target_type = 'coding' AND target_id = ?", (str(c["id"]),))]
            conn.execute("DELETE FROM memos WHERE target_type = 'coding' AND target_id = ?", (str(c["id"]),))
            conn.execute("DELETE FROM codings WHERE id = ?", (c["id"],))
            db.audit("lost", "coding", c["id"], before={
                "document": d.name, "code": c["code"], "status": c["status"], "coder": c["coder"],
                "start": c["start"], "end": c["end"], "text": c["text"], **({"memos": memos} if memos else {})},
                after={"reason": "its text was deleted or rewritten when the document was replaced",
                       "kept": a.kept})
            continue
        if a.status == "unchanged":
            continue
        shift = a.start - c["start"]
        ms, me = c["match_start"], c["match_end"]
        if ms is not None and me is not None:
            ms, me = ms + shift, me + shift
            if a.status == "changed" or not (a.start <= ms < me <= a.end):
                ms = me = None
        conn.execute("UPDATE codings SET start = ?, end = ?, match_start = ?, match_end = ?, updated = ? "
                     "WHERE id = ?", (a.start, a.end, ms, me, stamp, c["id"]))
        if a.status == "changed":
            changed.append({"id": c["id"], "code": c["code"], "before": [c["start"], c["end"], c["text"]],
                            "after": [a.start, a.end, d.text[a.start:a.end]]})
    db.audit("replace", "document", d.name,
             before={"sha256": old["sha256"], "chars": old["chars"], "path": old["path"]},
             after={"sha256": sha256(d.text), "chars": len(d.text), "path": d.path, "codings": r.counts,
                    "changed": changed})


def list_documents(db: Store) -> list[dict]:
    return db.query(
        """SELECT d.id, d.name, d.source_type, d.language, d.participant_id AS participant, p.role, d.date,
                  d.words, (SELECT count(*) FROM turns t WHERE t.document_id = d.id) AS turns,
                  (SELECT count(DISTINCT t.speaker) FROM turns t WHERE t.document_id = d.id) AS speakers,
                  (SELECT count(DISTINCT t.speaker) FROM turns t WHERE t.document_id = d.id AND t.speaker IS NOT NULL
                     AND t.participant_id IS NULL AND t.is_interviewer = 0) AS unmapped,
                  (SELECT count(*) FROM codings c WHERE c.document_id = d.id AND c.status != 'rejected')
                      AS codings
           FROM documents d LEFT JOIN participants p ON p.id = d.participant_id ORDER BY d.name""")


def document_id(db: Store, ref: str | int) -> int:
    """A document by name, or by numeric id."""
    row = db.conn.execute("SELECT id FROM documents WHERE name = ?", (str(ref),)).fetchone()
    if row is None and str(ref).isdigit():
        row = db.conn.execute("SELECT id FROM documents WHERE id = ?", (int(ref),)).fetchone()
    if row is None:
        hint = db.query("SELECT name FROM documents WHERE name LIKE ? ORDER BY name LIMIT 3", (f"%{ref}%",))
        more = f"; did you mean {', '.join(r['name'] for r in hint)}?" if hint else ""
        raise NotFound(f"no document {ref!r}{more}")
    return row[0]


def get_document(db: Store, ref: str | int) -> Document:
    return load_documents(db, [document_id(db, ref)])[0]


def load_documents(db: Store, ids: Iterable[int] | None = None) -> list[Document]:
    """Documents with their turns (all of them, or the ids given, in name order)."""
    where, params = "", ()
    if ids is not None:
        ids = list(ids)
        if not ids:
            return []
        where, params = f"WHERE d.id IN ({','.join('?' * len(ids))})", tuple(ids)
    docs = db.query(f"SELECT d.* FROM documents d {where} ORDER BY d.name", params)
    turns: dict[int, list[Turn]] = {}
    for t in db.conn.execute(
            f"SELECT t.* FROM turns t JOIN documents d ON d.id = t.document_id {where} ORDER BY t.document_id, seq",
            params):
        turns.setdefault(t["document_id"], []).append(
            Turn(start=t["start"], end=t["end"], speaker=t["speaker"], participant=t["participant_id"],
                 is_interviewer=bool(t["is_interviewer"]), timestamp=t["timestamp"]))
    attrs: dict[int, dict[str, str]] = {}
    for a in db.conn.execute(
            f"SELECT a.* FROM document_attributes a JOIN documents d ON d.id = a.document_id {where}", params):
        attrs.setdefault(a["document_id"], {})[a["key"]] = a["value"]
    return [Document(name=d["name"], text=d["text"], source_type=d["source_type"], language=d["language"],
                     participant=d["participant_id"], date=d["date"], path=d["path"],
                     turns=tuple(turns.get(d["id"], ())), attributes=attrs.get(d["id"], {})) for d in docs]


def corpus_summary(db: Store) -> list[dict]:
    """Documents, words and participants per source type and language."""
    return db.query(
        """SELECT source_type, language, count(*) AS documents, sum(words) AS words,
                  count(DISTINCT participant_id) AS participants
           FROM documents GROUP BY source_type, language ORDER BY source_type, language""")


# --------------------------------------------------------------------------- segments (sentence/turn/paragraph units)


def save_segments(db: Store, document_id: int, unit: str, spans: Iterable[tuple[int, int]], *,
                  text_sha256: str | None = None, name: str | None = None) -> None:
    """Store the units of one document (replacing earlier ones): what agreement and co-occurrence count in.

    ``text_sha256`` is the hash of the text the spans were computed from; when the document no longer has that
    text nothing is written and DocumentChanged is raised. The hash is recorded with the units.
    """
    from tematik.store.coding import check_text

    spans = list(spans)
    with db.transaction():
        sha = check_text(db, document_id, text_sha256, name=name)
        db.conn.execute("DELETE FROM segments WHERE document_id = ? AND unit = ?", (document_id, unit))
        db.conn.executemany("INSERT INTO segments (document_id, unit, seq, start, end) VALUES (?, ?, ?, ?, ?)",
                            [(document_id, unit, i, s, e) for i, (s, e) in enumerate(spans)])
        db.conn.execute("INSERT INTO segment_sources (document_id, unit, sha256) VALUES (?, ?, ?) "
                        "ON CONFLICT (document_id, unit) DO UPDATE SET sha256 = excluded.sha256",
                        (document_id, unit, sha))


def documents_without_segments(db: Store, unit: str) -> list[int]:
    """Documents whose units of this kind are missing or were computed from a text they no longer have."""
    return [r[0] for r in db.conn.execute(
        "SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM segment_sources s WHERE s.document_id = d.id "
        "AND s.unit = ? AND s.sha256 = d.sha256) ORDER BY d.name", (unit,))]


def document_hashes(db: Store, ids: Iterable[int] | None = None) -> dict[int, str]:
    """The text hash (sha256) of documents, by id."""
    rows = db.conn.execute("SELECT id, sha256 FROM documents").fetchall()
    wanted = None if ids is None else set(ids)
    return {r[0]: r[1] for r in rows if wanted is None or r[0] in wanted}


def document_ids_by_name(db: Store) -> dict[str, int]:
    return dict(db.conn.execute("SELECT name, id FROM documents").fetchall())


# --------------------------------------------------------------------------- speakers (labels -> participants)


def document_speakers(db: Store, document_ids: Iterable[int] | None = None) -> list[dict]:
    """Per document and speaker label (None: text with no label): turns, characters, participant, interviewer.

    A label whose turns map to different targets gives one row per target.
    """
    where, params = "", ()
    if document_ids is not None:
        ids = list(document_ids)
        where, params = f"WHERE t.document_id IN ({','.join('?' * len(ids))})", tuple(ids)
    return db.query(
        f"""SELECT d.id AS document_id, d.name AS document, t.speaker AS label, count(*) AS turns,
                   sum(t.end - t.start) AS chars, t.participant_id AS participant, t.is_interviewer AS interviewer
            FROM turns t JOIN documents d ON d.id = t.document_id {where}
            GROUP BY d.id, t.speaker, t.participant_id, t.is_interviewer
            ORDER BY d.name, min(t.seq)""", params)


def set_speaker(db: Store, document_ids: Iterable[int] | None, label: str, *, participant: str | None,
                interviewer: bool, create: bool = False, who: str | None = None) -> list[dict]:
    """Map a speaker label (case-insensitive) to a participant, the interviewer, or nothing, in one transaction.

    ``document_ids`` None: every document with the label. The turns keep their label and offsets (codings stay
    on their text); each document's change is audited with before and after. An unknown participant id is
    refused unless ``create``. Returns one dict per document changed (or already so).
    """
    if participant and interviewer:
        raise InputError("a label maps to a participant or to the interviewer, not both")
    key = label.strip().casefold()
    rows = document_speakers(db, document_ids)
    hits = [r for r in rows if r["label"] is not None and r["label"].casefold() == key]
    if not hits:  # `Bu Ratna` names the speaker written `Bu Ratna (Karu):`, as a manifest mapping does
        hits = [r for r in rows if r["label"] is not None and _ROLE.sub("", r["label"]).strip().casefold() == key]
    if not hits:
        known = sorted({r["label"] for r in rows if r["label"] is not None})
        where = "in that document" if document_ids is not None else "in any document"
        hint = f"; labels: {', '.join(known)}" if known else "; there are no speaker labels"
        raise NotFound(f"no speaker label {label!r} {where}{hint}")
    out = []
    created = False
    with db.transaction():
        if participant and not db.scalar("SELECT 1 FROM participants WHERE id = ?", (participant,)):
            if not create:
                known = [r[0] for r in db.conn.execute("SELECT id FROM participants ORDER BY id LIMIT 12")]
                raise NotFound(f"no participant {participant!r} (known: {', '.join(known) or 'none'}); "
                               "use --create to add it")
            db.conn.execute("INSERT INTO participants (id, role, created) VALUES (?, NULL, ?)", (participant, now()))
            db.audit("add", "participant", participant, who=who, after={"created_by": "speakers set"})
            created = True
        by_doc: dict[int, list[dict]] = {}
        for r in hits:
            by_doc.setdefault(r["document_id"], []).append(r)
        for doc_id, group in by_doc.items():
            labels = sorted({r["label"] for r in group})
            before = sorted({_target(r["participant"], r["interviewer"]) for r in group})
            after = _target(participant, interviewer)
            placeholders = ",".join("?" * len(labels))
            db.conn.execute(
                f"UPDATE turns SET participant_id = ?, is_interviewer = ? WHERE document_id = ? "
                f"AND speaker IN ({placeholders})", (participant, int(interviewer), doc_id, *labels))
            if before != [after]:
                db.audit("speaker", "document", group[0]["document"], who=who,
                         before={"label": labels[0], "maps_to": ", ".join(before)},
                         after={"label": labels[0], "maps_to": after})
            out.append({"document": group[0]["document"], "label": ", ".join(labels),
                        "turns": sum(r["turns"] for r in group), "before": ", ".join(before), "after": after,
                        "changed": before != [after], "created": created})
    return out


_ROLE = re.compile(r"\s*\([^()]*\)\s*$")  # a trailing "(Role)" of a label


def _target(participant: str | None, interviewer: bool | int) -> str:
    return "interviewer" if interviewer else (participant or "unmapped")


# --- added for the project API (issue 17)


def speaker_target(participant: str | None, interviewer: bool | int) -> str:
    """What a speaker label's turns map to, as the commands show it: a participant id, interviewer or unmapped."""
    return _target(participant, interviewer)
