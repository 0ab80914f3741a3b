"""The project schema as forward migrations. ``PRAGMA user_version`` holds how many have been applied.

Add a migration by appending a new script to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
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
    # 4 (slot of helper D1): which text auto-coding and the units were computed from (the document's sha256 then),
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
]

SCHEMA_VERSION = len(MIGRATIONS)
