"""Source types are an open, documented set (focus_group, meeting, or the researcher's own), and a project made
before that (schema version 2, whose documents table held a CHECK on four types) upgrades with its data intact."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import digest
from tematik.models import SOURCE_TYPE_DESCRIPTIONS, SOURCE_TYPES, source_type_problem
from tematik.store import APPLICATION_ID
from tematik.store.schema import MIGRATIONS, SCHEMA_VERSION

TRANSCRIPT = "Moderator: Apa kabar bangsal?\nPerawat Sari: Kami saling membantu saat malam.\n"


def test_focus_group_and_meeting_are_documented_and_own_types_are_allowed():
    assert {"focus_group", "meeting", "interview", "observation"} <= set(SOURCE_TYPES)
    assert set(SOURCE_TYPE_DESCRIPTIONS) == set(SOURCE_TYPES)
    assert source_type_problem("diary") is None
    assert "lower-case identifier" in source_type_problem("Focus Group")


def test_import_accepts_open_source_types_and_refuses_bad_ones(cli, tmp_path):
    path = tmp_path / "fgd_1.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    cli("import", path, "--source-type", "focus_group", "--language", "id")
    diary = tmp_path / "diary.txt"
    diary.write_text("Catatan harian perawat.\n", encoding="utf-8")
    cli("import", diary, "--source-type", "diary", "--language", "id")
    docs = {d["name"]: d for d in json.loads(cli("docs", "--format", "json").stdout)}
    assert docs["fgd_1"]["source_type"] == "focus_group" and docs["diary"]["source_type"] == "diary"
    before = digest(cli.db)
    bad = tmp_path / "x.txt"
    bad.write_text("teks\n", encoding="utf-8")
    r = cli.fails("import", bad, "--source-type", "Focus Group")
    assert "--source-type" in r.stderr and "lower-case identifier" in r.stderr
    assert digest(cli.db) == before


def _old_project(path: Path) -> None:
    """A project file as tematik wrote it at schema version 2, with a document, turns, attributes, a code and
    codings (made with the stored migration scripts 1-2 and plain SQL)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for script in MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO participants (id, role, created) VALUES ('N1', 'perawat', '2026-01-01')")
    conn.execute("INSERT INTO documents (id, name, source_type, language, participant_id, text, sha256, words, chars,"
                 " imported) VALUES (7, 'wawancara_N1', 'interview', 'id', 'N1', ?, 'x', 9, ?, '2026-01-01')",
                 (TRANSCRIPT, len(TRANSCRIPT)))
    conn.execute("INSERT INTO document_attributes VALUES (7, 'shift', 'malam')")
    conn.execute("INSERT INTO turns (document_id, seq, start, end, speaker, is_interviewer) VALUES "
                 "(7, 0, 0, 30, 'Moderator', 1), (7, 1, 31, 80, 'Perawat Sari', 0)")
    conn.execute("INSERT INTO codes (id, name) VALUES ('gotong', 'Gotong royong')")
    conn.execute("INSERT INTO codings (document_id, code_id, start, end, status, coder, created) VALUES "
                 "(7, 'gotong', 45, 70, 'manual', 'ana', '2026-01-01'), "
                 "(7, 'gotong', 31, 44, 'accepted', 'auto', '2026-01-01')")
    try:
        conn.execute("INSERT INTO documents (name, source_type, text, sha256, words, chars, imported) VALUES "
                     "('fgd', 'focus_group', 'x', 'y', 1, 1, 'z')")
    except sqlite3.IntegrityError:
        pass
    else:  # pragma: no cover - the old schema must refuse it, or this test proves nothing
        raise AssertionError("schema version 2 accepted a focus_group document")
    conn.close()


def test_a_version_2_project_upgrades_with_its_data_and_codings(cli, tmp_path):
    _old_project(cli.db)
    docs = json.loads(cli("docs", "--format", "json").stdout)  # opening migrates
    assert [(d["name"], d["source_type"], d["participant"]) for d in docs] == [("wawancara_N1", "interview", "N1")]
    codings = json.loads(cli("codings", "--format", "json").stdout)
    assert sorted((c["code"], c["start"], c["end"], c["status"], c["coder"]) for c in codings) == [
        ("gotong", 31, 44, "accepted", "auto"), ("gotong", 45, 70, "manual", "ana")]
    conn = sqlite3.connect(cli.db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT id FROM documents").fetchall() == [(7,)]  # ids kept: codings still point at it
    assert conn.execute("SELECT count(*) FROM turns WHERE document_id = 7").fetchone()[0] == 2
    assert conn.execute("SELECT value FROM document_attributes WHERE document_id = 7").fetchone()[0] == "malam"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents_sha'").fetchone()[0] == 1
    conn.close()
    path = tmp_path / "rapat_bangsal.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    cli("import", path, "--source-type", "meeting", "--language", "id")
    assert {d["source_type"] for d in json.loads(cli("docs", "--format", "json").stdout)} == {"interview", "meeting"}
    # deleting the old document still cascades to its turns: the foreign keys survived the rebuild
    conn = sqlite3.connect(cli.db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM codings")
    conn.execute("DELETE FROM documents WHERE id = 7")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM turns WHERE document_id = 7").fetchone()[0] == 0
    conn.close()
