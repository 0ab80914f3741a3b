"""Participants, documents and turns: reads and writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tematik.corpus import attribute_type, sha256
from tematik.errors import Conflict, InputError, NotFound
from tematik.models import Document, Participant, Turn
from tematik.store import Store, now

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
class ImportPlan:
    """What an import will do, decided before anything is written."""

    add: list[Document] = field(default_factory=list)
    replace: list[tuple[Document, int]] = field(default_factory=list)  # (document, codings lost)
    skip: list[Document] = field(default_factory=list)

    @property
    def writes(self) -> list[Document]:
        return self.add + [d for d, _ in self.replace]


def plan_import(db: Store, documents: list[Document], *, replace: bool = False, force: bool = False) -> ImportPlan:
    """Check the documents against the project; raise before any write if the call must be refused."""
    seen: dict[str, Document] = {}
    for doc in documents:
        if doc.name in seen:
            raise InputError(f"two files give the document name {doc.name!r} ({seen[doc.name].path} and "
                             f"{doc.path}); rename one", path=doc.path)
        seen[doc.name] = doc
    plan = ImportPlan()
    for doc in documents:
        row = db.conn.execute("SELECT id, sha256 FROM documents WHERE name = ?", (doc.name,)).fetchone()
        if row is None:
            plan.add.append(doc)
        elif row["sha256"] == sha256(doc.text):
            plan.skip.append(doc)
        else:
            n = db.scalar("SELECT count(*) FROM codings WHERE document_id = ? AND status != 'suggested'",
                          (row["id"],))
            if not replace:
                raise Conflict(f"document {doc.name!r} already exists with different content; "
                               "use --replace to replace it", path=doc.path)
            if n and not force:
                raise Conflict(f"replacing document {doc.name!r} would lose {n} coding(s) made on it; "
                               "use --force to replace it anyway", path=doc.path)
            plan.replace.append((doc, n))
    return plan


def apply_import(db: Store, plan: ImportPlan, *, batch_size: int = 200,
                 progress: Callable[[int], None] | None = None) -> None:
    """Write a checked plan: one transaction per batch of documents (bulk ``executemany``)."""
    docs = plan.writes
    replaced = {d.name for d, _ in plan.replace}
    for i in range(0, len(docs), batch_size):
        batch = docs[i:i + batch_size]
        with db.transaction():
            _write_batch(db, batch, replaced)
        if progress:
            progress(len(batch))


def _write_batch(db: Store, batch: list[Document], replaced: set[str]) -> None:
    conn = db.conn
    stamp = now()
    people: dict[str, Participant] = {}
    for d in batch:
        if d.participant:
            people.setdefault(d.participant, Participant(d.participant))
        for t in d.turns:
            if t.participant:
                people.setdefault(t.participant, Participant(t.participant))
    ensure_participants(db, people.values(), update=False)
    for d in batch:
        if d.name in replaced:
            old = db.scalar("SELECT id FROM documents WHERE name = ?", (d.name,))
            lost = db.scalar("SELECT count(*) FROM codings WHERE document_id = ?", (old,))
            conn.execute("DELETE FROM codings WHERE document_id = ?", (old,))
            conn.execute("DELETE FROM documents WHERE id = ?", (old,))
            db.audit("replace", "document", d.name, before={"codings_deleted": lost})
    conn.executemany(
        "INSERT INTO documents (name, source_type, language, participant_id, date, path, text, sha256, words, "
        "chars, imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(d.name, d.source_type, d.language, d.participant, d.date, d.path, d.text, sha256(d.text), d.words,
          len(d.text), stamp) for d in batch])
    ids = dict(conn.execute(
        f"SELECT name, id FROM documents WHERE name IN ({','.join('?' * len(batch))})", [d.name for d in batch]
    ).fetchall()) if batch else {}
    conn.executemany(
        "INSERT INTO turns (document_id, seq, start, end, speaker, participant_id, is_interviewer, timestamp) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((ids[d.name], n, t.start, t.end, t.speaker, t.participant, int(t.is_interviewer), t.timestamp)
         for d in batch for n, t in enumerate(d.turns)))  # a generator: a long transcript's turns are not copied
    conn.executemany(
        "INSERT INTO document_attributes (document_id, key, value) VALUES (?, ?, ?)",
        [(ids[d.name], k, v) for d in batch for k, v in d.attributes.items()])


def list_documents(db: Store) -> list[dict]:
    return db.query(
        """SELECT d.id, d.name, d.source_type, d.language, d.participant_id AS participant, p.role, d.date,
                  d.words, (SELECT count(*) FROM turns t WHERE t.document_id = d.id) AS turns,
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


def save_segments(db: Store, document_id: int, unit: str, spans: Iterable[tuple[int, int]]) -> None:
    """Store the units of one document (replacing earlier ones): what agreement and co-occurrence count in."""
    with db.transaction():
        db.conn.execute("DELETE FROM segments WHERE document_id = ? AND unit = ?", (document_id, unit))
        db.conn.executemany("INSERT INTO segments (document_id, unit, seq, start, end) VALUES (?, ?, ?, ?, ?)",
                            [(document_id, unit, i, s, e) for i, (s, e) in enumerate(spans)])


def documents_without_segments(db: Store, unit: str) -> list[int]:
    return [r[0] for r in db.conn.execute(
        "SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.document_id = d.id "
        "AND s.unit = ?) ORDER BY d.name", (unit,))]


def document_ids_by_name(db: Store) -> dict[str, int]:
    return dict(db.conn.execute("SELECT name, id FROM documents").fetchall())
