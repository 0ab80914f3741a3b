"""The project schema as forward migrations. ``PRAGMA user_version`` holds how many have been applied.

Add a migration by appending a new script (or a function of the connection) to ``MIGRATIONS``; never edit one
that has shipped. Migrations run with foreign keys off and end with a foreign-key check (see ``Store._migrate``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable


def _open_source_types(conn: sqlite3.Connection) -> None:
    """Migration 3: lift the CHECK that held ``documents.source_type`` to four values (the set of source types
    is open now: focus_group, meeting or the researcher's own). SQLite cannot alter a CHECK, so the table is
    rebuilt from its own current definition (whatever columns other migrations added), with every row and id
    kept, and its indexes made again; the tables that reference documents keep their rows (foreign keys are off
    during migrations and checked after)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'").fetchone()
    sql = row[0]
    check = re.compile(r"CHECK\s*\(\s*source_type\s+IN\s*\([^)]*\)\s*\)", re.IGNORECASE)
    if not check.search(sql):
        return  # already open
    new_sql = check.sub("CHECK (length(trim(source_type)) > 0)", sql, count=1)
    new_sql = re.sub(r"^\s*CREATE\s+TABLE\s+\"?documents\"?", "CREATE TABLE documents_rebuilt", new_sql,
                     count=1, flags=re.IGNORECASE)
    indexes = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'documents' "
        "AND sql IS NOT NULL")]
    conn.execute(new_sql)
    conn.execute("INSERT INTO documents_rebuilt SELECT * FROM documents")
    conn.execute("DROP TABLE documents")
    conn.execute("ALTER TABLE documents_rebuilt RENAME TO documents")
    for statement in indexes:
        conn.execute(statement)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def _add_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE ADD COLUMN for the columns ``table`` does not have yet."""
    have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    for name, kind in columns.items():
        if name not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _highest_coding_id(conn: sqlite3.Connection) -> int:
    """The highest coding id ever used: of the codings there are, and of those the audit log and memos name."""
    highest = conn.execute("SELECT coalesce(max(id), 0) FROM codings").fetchone()[0]
    for sql in ("SELECT entity_id FROM audit_log WHERE entity = 'coding'",
                "SELECT target_id FROM memos WHERE target_type = 'coding'"):
        for (value,) in conn.execute(sql):
            if value is not None and str(value).isdigit():
                highest = max(highest, int(value))
    return highest


def _decisions_and_stable_ids(conn: sqlite3.Connection) -> None:
    """Migration 7: a reviewer's decisions are theirs, remembered, and coding ids are never reused.

    - codings get ``suggested_by`` (the auto-coder that suggested it; NULL for manual codings), ``suggested_code``
      (the code it was suggested with: a recoded suggestion keeps what it was) and ``codebook_hash`` (the codebook
      version it was suggested under); rows from auto-coding (coder ``auto``, or a rule or origin) are marked.
    - accepted and rejected suggestions whose coder is still ``auto`` get as coder the person who decided them by
      the audit log (its latest accepted/rejected/recode entry for that coding made after the coding was
      created); without such an entry they stay ``auto``.
    - rejections get a ``reason`` (rejected, recoded, removed); suggestions recoded before and accepted
      suggestions removed before (by the audit log) are remembered as rejections of their old code, and open
      suggestions that an earlier autocode made again on such a span are withdrawn (audited per document).
    - the codings table is rebuilt with AUTOINCREMENT, every row and id kept, its indexes made again, and the
      id sequence starts after the highest coding id ever used (the audit log's too), so that no id of a coding
      deleted earlier is handed out again.
    """
    import json

    _add_columns(conn, "codings", {"suggested_by": "TEXT", "suggested_code": "TEXT", "codebook_hash": "TEXT"})
    _add_columns(conn, "rejections", {"reason": "TEXT"})
    conn.execute("UPDATE rejections SET reason = 'rejected' WHERE reason IS NULL")
    conn.execute("UPDATE codings SET suggested_by = 'auto' WHERE suggested_by IS NULL "
                 "AND (coder = 'auto' OR rule IS NOT NULL OR origin IS NOT NULL)")
    conn.execute("UPDATE codings SET codebook_hash = (SELECT b.hash FROM codebooks b WHERE b.loaded <= codings.created"
                 " ORDER BY b.id DESC LIMIT 1) WHERE suggested_by IS NOT NULL AND codebook_hash IS NULL")
    # who decided, and what a recoded suggestion was, from the audit log (entries after the coding was created:
    # ids used to be reused, an older entry may be about another coding)
    created = {r[0]: r[1] for r in conn.execute("SELECT id, created FROM codings WHERE suggested_by IS NOT NULL")}
    decider: dict[int, str] = {}
    first_code: dict[int, str] = {}
    for entity_id, at, who, action, before in conn.execute(
            "SELECT entity_id, at, who, action, before FROM audit_log WHERE entity = 'coding' "
            "AND action IN ('accepted', 'rejected', 'recode') ORDER BY id"):
        cid = int(entity_id) if str(entity_id).isdigit() else None
        if cid not in created or at < created[cid]:
            continue
        decider[cid] = who
        if action == "recode" and cid not in first_code:
            try:
                first_code[cid] = json.loads(before)["code"]
            except (TypeError, ValueError, KeyError):
                pass
    for cid, who in decider.items():
        conn.execute("UPDATE codings SET coder = ? WHERE id = ? AND coder = 'auto' "
                     "AND status IN ('accepted', 'rejected')", (who, cid))
    for cid, code in first_code.items():
        conn.execute("UPDATE codings SET suggested_code = ? WHERE id = ?", (code, cid))
    conn.execute("UPDATE codings SET suggested_code = code_id WHERE suggested_by IS NOT NULL "
                 "AND suggested_code IS NULL")
    conn.execute("""UPDATE rejections SET who = (
                        SELECT c.coder FROM codings c JOIN documents d ON d.id = c.document_id
                        WHERE d.sha256 = rejections.sha256 AND c.code_id = rejections.code_id
                          AND c.start = rejections.start AND c.end = rejections.end AND c.status = 'rejected'
                          AND c.coder != 'auto' ORDER BY c.id DESC LIMIT 1)
                    WHERE who = 'auto' AND EXISTS (
                        SELECT 1 FROM codings c JOIN documents d ON d.id = c.document_id
                        WHERE d.sha256 = rejections.sha256 AND c.code_id = rejections.code_id
                          AND c.start = rejections.start AND c.end = rejections.end AND c.status = 'rejected'
                          AND c.coder != 'auto')""")
    conn.execute("""INSERT OR IGNORE INTO rejections (sha256, code_id, start, end, origin, who, at, reason)
                    SELECT d.sha256, c.suggested_code, c.start, c.end, coalesce(c.origin, c.rule), c.coder,
                           coalesce(c.updated, c.created), 'recoded'
                    FROM codings c JOIN documents d ON d.id = c.document_id
                    WHERE c.suggested_code IS NOT NULL AND c.suggested_code != c.code_id
                      AND c.status IN ('accepted', 'manual')""")
    # suggestions removed with `code rm` (accepted or open): remembered when their document still has the text
    # it had then (not re-imported since)
    for at, who, before in conn.execute("SELECT at, who, before FROM audit_log WHERE entity = 'coding' "
                                        "AND action = 'delete' ORDER BY id").fetchall():
        try:
            b = json.loads(before)
            if b.get("coder") != "auto" or b.get("status") not in ("accepted", "suggested"):
                continue
            doc = conn.execute("SELECT sha256 FROM documents WHERE name = ? AND imported <= ?",
                               (b["document"], at)).fetchone()
            if doc is not None:
                conn.execute("INSERT OR IGNORE INTO rejections (sha256, code_id, start, end, origin, who, at, reason)"
                             " VALUES (?,?,?,?,?,?,?,'removed')",
                             (doc[0], b["code"], int(b["start"]), int(b["end"]), None, who, at))
        except (TypeError, ValueError, KeyError):
            continue
    # open suggestions an old autocode made again after they were turned down: withdrawn now (the audit log says
    # which, per document), as the next autocode would
    withdrawn: dict[str, list[int]] = {}
    for cid, name in conn.execute(
            """SELECT c.id, d.name FROM codings c JOIN documents d ON d.id = c.document_id
               WHERE c.status = 'suggested' AND c.coder = 'auto' AND EXISTS (
                   SELECT 1 FROM rejections r WHERE r.sha256 = d.sha256 AND r.code_id = c.code_id
                   AND r.start = c.start AND r.end = c.end) ORDER BY c.id""").fetchall():
        withdrawn.setdefault(name, []).append(cid)
    for name, ids in withdrawn.items():
        conn.execute(f"DELETE FROM codings WHERE id IN ({','.join('?' * len(ids))})", ids)
        conn.execute("INSERT INTO audit_log (at, who, action, entity, entity_id, before, after) "
                     "VALUES (?, 'tematik', 'autocode', 'document', ?, NULL, ?)",
                     (_now(), name, json.dumps({"removed": ids, "reason": "suggested again after it was rejected, "
                                                "recoded or removed (schema migration 6)"})))
    # AUTOINCREMENT: rebuilt from the table's own current definition
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'codings'").fetchone()[0]
    if not re.search(r"AUTOINCREMENT", sql, re.IGNORECASE):
        highest = _highest_coding_id(conn)
        new_sql = re.sub(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b", "id INTEGER PRIMARY KEY AUTOINCREMENT", sql, count=1,
                         flags=re.IGNORECASE)
        new_sql = re.sub(r"^\s*CREATE\s+TABLE\s+\"?codings\"?", "CREATE TABLE codings_rebuilt", new_sql, count=1,
                         flags=re.IGNORECASE)
        indexes = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'codings' "
            "AND sql IS NOT NULL")]
        conn.execute(new_sql)
        conn.execute("INSERT INTO codings_rebuilt SELECT * FROM codings")
        conn.execute("DROP TABLE codings")
        conn.execute("ALTER TABLE codings_rebuilt RENAME TO codings")
        for statement in indexes:
            conn.execute(statement)
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'codings'")
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('codings', ?)", (highest,))


MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 1: the whole project model
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

    CREATE TABLE participants (
        id TEXT PRIMARY KEY,
        role TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE participant_attributes (
        participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT,
        type TEXT NOT NULL DEFAULT 'text' CHECK (type IN ('text', 'integer', 'real', 'date', 'boolean')),
        PRIMARY KEY (participant_id, key)
    );

    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        source_type TEXT NOT NULL CHECK (source_type IN ('interview', 'observation', 'document', 'response')),
        language TEXT,
        participant_id TEXT REFERENCES participants(id),
        date TEXT,
        path TEXT,
        text TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        words INTEGER NOT NULL,
        chars INTEGER NOT NULL,
        imported TEXT NOT NULL
    );
    CREATE INDEX documents_sha ON documents (sha256);
    CREATE TABLE document_attributes (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT,
        PRIMARY KEY (document_id, key)
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        speaker TEXT,
        participant_id TEXT REFERENCES participants(id),
        is_interviewer INTEGER NOT NULL DEFAULT 0,
        timestamp TEXT,
        UNIQUE (document_id, seq)
    );
    CREATE INDEX turns_doc ON turns (document_id, start);

    CREATE TABLE segments (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        unit TEXT NOT NULL CHECK (unit IN ('sentence', 'turn', 'paragraph')),
        seq INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        PRIMARY KEY (document_id, unit, seq)
    );
    CREATE INDEX segments_span ON segments (document_id, unit, start, end);

    CREATE TABLE codebooks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version TEXT,
        hash TEXT NOT NULL,
        source TEXT NOT NULL,
        format TEXT NOT NULL DEFAULT 'yaml',
        loaded TEXT NOT NULL,
        loaded_by TEXT
    );
    CREATE TABLE codes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        parent_id TEXT REFERENCES codes(id),
        colour TEXT,
        definition TEXT,
        data TEXT,
        codebook_id INTEGER REFERENCES codebooks(id),
        active INTEGER NOT NULL DEFAULT 1
    );

    CREATE TABLE codings (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        code_id TEXT NOT NULL REFERENCES codes(id),
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected', 'manual')),
        coder TEXT NOT NULL,
        rule TEXT,
        polarity TEXT NOT NULL DEFAULT 'positive' CHECK (polarity IN ('positive', 'negative')),
        match_start INTEGER,
        match_end INTEGER,
        unit TEXT,
        created TEXT NOT NULL,
        updated TEXT,
        CHECK (start >= 0 AND end > start)
    );
    CREATE INDEX codings_doc ON codings (document_id, start);
    CREATE INDEX codings_status ON codings (status);
    CREATE INDEX codings_analysis ON codings (code_id, polarity, status, document_id, start, end, coder);

    CREATE TABLE autocode_progress (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        codebook_hash TEXT NOT NULL,
        unit TEXT NOT NULL,
        codes TEXT NOT NULL DEFAULT '*',
        done TEXT NOT NULL,
        PRIMARY KEY (document_id, unit, codes)
    );

    CREATE TABLE memos (
        id INTEGER PRIMARY KEY,
        target_type TEXT NOT NULL CHECK (target_type IN ('project', 'code', 'document', 'coding', 'participant')),
        target_id TEXT,
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX memos_target ON memos (target_type, target_id);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT,
        before TEXT,
        after TEXT
    );

    CREATE TABLE instruments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        source TEXT NOT NULL,
        loaded TEXT NOT NULL
    );
    CREATE TABLE respondents (
        instrument_id INTEGER NOT NULL REFERENCES instruments(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        participant_id TEXT REFERENCES participants(id),
        attributes TEXT,
        PRIMARY KEY (instrument_id, id)
    );
    CREATE TABLE responses (
        instrument_id INTEGER NOT NULL,
        respondent_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (instrument_id, respondent_id, item_id),
        FOREIGN KEY (instrument_id, respondent_id) REFERENCES respondents(instrument_id, id) ON DELETE CASCADE
    );

    CREATE TABLE convergence_overrides (
        theme TEXT PRIMARY KEY,
        convergence TEXT NOT NULL,
        note TEXT,
        who TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE meta_inferences (
        theme TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        who TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # 2: the blank-answer policy (error, skip or mean) a questionnaire's responses were imported with
    """
    ALTER TABLE instruments ADD COLUMN missing TEXT NOT NULL DEFAULT 'error'
        CHECK (missing IN ('error', 'skip', 'mean'));
    """,
    # 3: source types are an open set (interview, focus_group, meeting, observation, ... or one's own)
    _open_source_types,
    # 4: which text auto-coding and the units were computed from (the document's sha256 then),
    # so that work computed from a text replaced meanwhile is never taken for work on the new text
    """
    ALTER TABLE autocode_progress ADD COLUMN sha256 TEXT;
    UPDATE autocode_progress SET sha256 = (
        SELECT d.sha256 FROM documents d
        WHERE d.id = autocode_progress.document_id AND autocode_progress.done >= d.imported);
    CREATE TABLE segment_sources (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        unit TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (document_id, unit)
    );
    INSERT INTO segment_sources (document_id, unit, sha256)
        SELECT DISTINCT s.document_id, s.unit, d.sha256 FROM segments s JOIN documents d ON d.id = s.document_id;
    """,
    # 5: learned models (plain data, never pickle), where a suggestion came from and how sure it is, and the
    # rejections remembered by the text (document sha256), code and span, so no re-run, re-import or model
    # suggests again what a researcher rejected
    """
    CREATE TABLE models (
        version INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        created_by TEXT NOT NULL,
        coder TEXT,
        codebook_hash TEXT NOT NULL,
        units INTEGER NOT NULL,
        documents INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        scores TEXT NOT NULL,
        params BLOB NOT NULL
    );
    ALTER TABLE codings ADD COLUMN origin TEXT;
    ALTER TABLE codings ADD COLUMN confidence REAL;
    CREATE TABLE rejections (
        sha256 TEXT NOT NULL,
        code_id TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        origin TEXT,
        who TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (sha256, code_id, start, end)
    );
    INSERT OR IGNORE INTO rejections (sha256, code_id, start, end, origin, who, at)
        SELECT d.sha256, c.code_id, c.start, c.end, c.rule, c.coder, coalesce(c.updated, c.created)
        FROM codings c JOIN documents d ON d.id = c.document_id WHERE c.status = 'rejected';
    """,
    # 6: a memo on a passage of a document: its character offsets (NULL for every memo written before, which
    # stays a memo on its whole target)
    lambda conn: _add_columns(conn, "memos", {"start": "INTEGER", "end": "INTEGER"}),
    # 7: the reviewer becomes the coder of a suggestion they decide (where it came from in suggested_by,
    # suggested_code, codebook_hash), rejections say why (rejected, recoded, removed), coding ids never reused
    _decisions_and_stable_ids,
]

SCHEMA_VERSION = len(MIGRATIONS)
