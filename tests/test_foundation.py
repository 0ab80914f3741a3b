"""The project file, transcript import and the commands that look at it, through the real CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import DATA, digest
from tematik import corpus
from tematik.cli import app
from tematik.store import Store

IMPORT = DATA / "import"


def docs_json(cli) -> list[dict]:
    return json.loads(cli("docs", "--format", "json").stdout)


# --------------------------------------------------------------------------- the CLI itself

def test_help_does_not_import_spacy_or_pandas():
    code = ("import sys, time; t = time.perf_counter(); from tematik.cli import app; "
            "from typer.testing import CliRunner; r = CliRunner().invoke(app, ['--help']); "
            "assert r.exit_code == 0, r.output; "
            "heavy = [m for m in ('spacy', 'pandas', 'matplotlib', 'numpy') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"tematik --help imported {out.stdout.strip()}"


def test_version_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "tematik", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("tematik ")


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


def test_every_command_has_help_text():
    import typer.main

    root = typer.main.get_command(app)
    missing = [" ".join(path) for path, cmd in _commands(root) if not (cmd.help or cmd.short_help)]
    assert not missing, f"commands without help: {missing}"


# --------------------------------------------------------------------------- the project file

def test_init_creates_versioned_wal_project(cli, db):
    cli("init")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"participants", "documents", "turns", "codes", "codings", "memos", "audit_log", "respondents"} <= tables
    cli.fails("init")  # never overwrites


def test_store_refuses_foreign_and_newer_files(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)")
    with pytest.raises(Exception, match="not a tematik project"):
        Store.open(other)
    newer = tmp_path / "newer.db"
    Store.create(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    with pytest.raises(Exception, match="newer"):
        Store.open(newer)


def test_migrations_run_forward_from_an_older_file(tmp_path, monkeypatch):
    from tematik.store import schema

    path = tmp_path / "old.db"
    Store.create(path).close()
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, "CREATE TABLE extra (x INTEGER)"])
    import tematik.store as store_mod

    monkeypatch.setattr(store_mod, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    with Store.open(path) as s:
        assert s.schema_version == len(schema.MIGRATIONS)
        assert s.scalar("SELECT count(*) FROM extra") == 0


def test_missing_project_is_a_clear_error(cli):
    r = cli.fails("docs")
    assert "tematik init" in r.output


# --------------------------------------------------------------------------- import

def test_import_with_manifest_turns_and_attributes(cli):
    cli("import", IMPORT / "interview_id.txt", IMPORT / "observation_id.txt", IMPORT / "interview_en.md",
        "--manifest", IMPORT / "manifest.csv")
    docs = {d["name"]: d for d in docs_json(cli)}
    assert docs["interview_id"]["participant"] == "P01"
    assert docs["interview_id"]["role"] == "pustakawan"
    assert docs["observation_id"]["source_type"] == "observation"
    assert docs["interview_en"]["language"] == "en"
    with Store.open(cli.db) as s:
        turns = s.query("SELECT t.*, d.text FROM turns t JOIN documents d ON d.id = t.document_id "
                        "WHERE d.name = 'interview_id' ORDER BY seq")
        # interviewer, informant (two paragraphs), interviewer, informant
        assert [t["is_interviewer"] for t in turns] == [1, 0, 1, 0]
        assert [t["participant_id"] for t in turns] == [None, "P01", None, "P01"]
        second = turns[1]["text"][turns[1]["start"]:turns[1]["end"]]
        assert second.startswith("Kami saling percaya") and second.endswith("tapi jarang.")
        en = s.query("SELECT t.* FROM turns t JOIN documents d ON d.id = t.document_id WHERE d.name = "
                     "'interview_en' ORDER BY seq")
        assert [t["timestamp"] for t in en] == [None, "00:01:05", "00:02:10", "00:02:15"]
        obs = s.query("SELECT t.speaker, t.participant_id FROM turns t JOIN documents d ON d.id = t.document_id "
                      "WHERE d.name = 'observation_id' ORDER BY seq")
        assert [(o["speaker"], o["participant_id"]) for o in obs] == [
            (None, None), ("Pak Gede", "P02"), ("Bu Made", "P01"), (None, None), ("Pak Gede", "P02")]
        attrs = s.query("SELECT * FROM participant_attributes WHERE participant_id = 'P03'")
        assert [(a["key"], a["value"]) for a in attrs] == [("unit", "TI")]


def test_reimport_is_skipped_and_changed_content_needs_replace(cli, tmp_path, db):
    f = tmp_path / "w.txt"
    shutil.copy(IMPORT / "interview_id.txt", f)
    cli("import", f, "--participant", "P01")
    r = cli("import", f, "--participant", "P01")
    assert "skipped 1" in r.stdout
    f.write_text(f.read_text() + "\nBu Made: Satu lagi.\n")
    before = digest(db)
    r = cli.fails("import", f)
    assert "--replace" in r.output and digest(db) == before
    with Store.open(db) as s:
        s.conn.execute("INSERT INTO codes (id, name) VALUES ('trust', 'trust')")
        s.conn.execute("INSERT INTO codings (document_id, code_id, start, end, status, coder, created) "
                       "VALUES (1, 'trust', 0, 5, 'manual', 'ana', 'now')")
    # text added after the coded passage: the coding stays on its text, no --force needed
    cli("import", f, "--replace", "--participant", "P01")
    assert "Satu lagi" in cli("show", "w").stdout
    # the coded passage deleted: refused without --force, naming the counts
    f.write_text(f.read_text().replace("Pewawancara: Bagaimana kepercayaan", "Bagaimana kepercayaan"))
    before = digest(db)
    r = cli.fails("import", f, "--replace", "--participant", "P01")
    assert "lose 1 coding(s)" in r.output and "--force" in r.output
    assert digest(db) == before
    cli("import", f, "--replace", "--force", "--participant", "P01")


@pytest.mark.parametrize("name, problem", [
    ("missing.txt", "no such file"),
    ("binary.txt", "binary"),
    ("broken.docx", "docx"),
    ("notes.pdf", "unknown file type"),
    ("empty.txt", "empty file"),
])
def test_bad_files_are_refused_and_leave_the_project_unchanged(cli, db, tmp_path, name, problem):
    cli("import", IMPORT / "interview_id.txt", "--participant", "P01")
    before = digest(db)
    target = tmp_path / name
    if (IMPORT / name).exists():
        shutil.copy(IMPORT / name, target)
    elif name == "notes.pdf":
        target.write_bytes(b"%PDF-1.4")
    elif name == "empty.txt":
        target.write_text("  \n")
    # a good file in the same call is not imported either
    r = cli.fails("import", IMPORT / "interview_en.md", target)
    assert problem in r.output and name in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert digest(db) == before
    assert [d["name"] for d in docs_json(cli)] == ["interview_id"]


def test_bad_manifest_rows_name_file_line_and_field(cli, tmp_path, db):
    cli("init")
    before = digest(db)
    m = tmp_path / "manifest.csv"
    m.write_text("file,participant,source_type\ninterview_id.txt,P01,interview\nghost.txt,P02,interview\n")
    shutil.copy(IMPORT / "interview_id.txt", tmp_path)
    r = cli.fails("import", tmp_path, "--manifest", m)
    assert f"{m}:3: file:" in r.output and "ghost.txt" in r.output
    m.write_text("file,participant,source_type\ninterview_id.txt,P01,Focus Group\n")
    r = cli.fails("import", tmp_path, "--manifest", m)
    assert f"{m}:2: source_type:" in r.output
    assert digest(db) == before


def test_duplicate_names_in_one_call_are_refused(cli, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(IMPORT / "interview_id.txt", tmp_path / "a" / "w.txt")
    shutil.copy(IMPORT / "interview_en.md", tmp_path / "b" / "w.md")
    r = cli.fails("import", tmp_path / "a", tmp_path / "b")
    assert "'w'" in r.output
    assert not cli.db.exists()  # a refused first import leaves no project behind


def test_encodings_and_formats(cli):
    cli("import", IMPORT / "cp1252.txt", IMPORT / "utf16.txt", IMPORT / "bom.txt", IMPORT / "interview.docx",
        IMPORT / "meeting.vtt", IMPORT / "subtitles.srt", "--language", "id")
    with Store.open(cli.db) as s:
        texts = {r["name"]: r["text"] for r in s.query("SELECT name, text FROM documents")}
    assert "café di depan" in texts["cp1252"]
    assert texts["utf16"] == texts["bom"] == "Pewawancara: Halo?\nBu Made: Halo juga."
    assert "seperti keluarga sendiri" in texts["interview"]
    assert texts["meeting"].startswith("Bu Made (00:00:01): Selamat pagi semuanya. Kita mulai rapatnya.")
    assert "Pak Gede (00:00:07): Baik" in texts["meeting"]
    assert "Pak Gede (00:00:03): Baik, terima kasih." in texts["subtitles"]


def test_cp1252_and_language_guess_are_reported(cli):
    r = cli("import", IMPORT / "cp1252.txt", IMPORT / "interview_en.md")
    assert "cp1252" in r.stderr
    assert "guessed 'en'" in r.stderr
    assert {d["name"]: d["language"] for d in docs_json(cli)}["interview_en"] == "en"


def test_rows_of_a_table_become_documents(cli):
    cli("import", IMPORT / "answers.csv", "--id-column", "respondent", "--participant-column", "respondent",
        "--text-column", "answer",
        "--language", "id")
    docs = docs_json(cli)
    assert [d["name"] for d in docs] == ["answers:R1", "answers:R2"]  # the blank answer is not a document
    assert {d["source_type"] for d in docs} == {"response"}
    r = cli.fails("import", IMPORT / "answers.csv", "--text-column", "jawaban")
    assert "answers.csv:1" in r.output and "jawaban" in r.output


def test_xlsx_rows_and_broken_xlsx(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["id", "text", "role"])
    wb.active.append([1, "Kami kompak sekali.", "teknisi"])
    wb.save(tmp_path / "open.xlsx")
    cli("import", tmp_path / "open.xlsx", "--id-column", "id", "--language", "id")
    assert [d["name"] for d in docs_json(cli)] == ["open:1"]
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04garbage")
    r = cli.fails("import", tmp_path / "bad.xlsx")
    assert "bad.xlsx" in r.output


def test_normalisation_offsets_point_into_stored_text():
    raw = "Pewawancara: Cafe\u0301?\r\nBu Made: Ya.\r\n"
    text = corpus.normalise(raw)
    assert "\r" not in text and "Café" in text
    turns = corpus.detect_turns(text)
    assert [text[t.start:t.end] for t in turns] == ["Café?", "Ya."]


def test_a_one_off_colon_line_is_not_a_speaker():
    text = "Catatan: pagi hari.\n\nBu Made: Halo.\n\nBu Made: Lagi.\n\nSuasana tenang."
    turns = corpus.detect_turns(text, continuation=False)
    assert [t.speaker for t in turns] == [None, "Bu Made", "Bu Made", None]


# --------------------------------------------------------------------------- looking at it

def test_docs_participants_and_show_formats(cli):
    cli("import", IMPORT / "interview_id.txt", IMPORT / "observation_id.txt", IMPORT / "interview_en.md",
        "--manifest", IMPORT / "manifest.csv")
    csv_out = cli("docs", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,name,source_type,language,participant,role")
    people = json.loads(cli("participants", "--format", "json").stdout)
    assert {p["id"] for p in people} == {"P01", "P02", "P03"}
    cli("participants", "set", "P01", "years=12", "gender=P")
    cli("participants", "set", "P02", "years=3")
    people = {p["id"]: p for p in json.loads(cli("participants", "--format", "json").stdout)}
    assert people["P01"]["years"] == 12 and people["P02"]["years"] == 3  # typed: integer
    cli.fails("participants", "set", "P99", "years=1")
    out = cli("show", "observation_id").stdout
    assert "Pak Gede" in out and "Terima kasih semuanya" in out
    cli.fails("show", "nope")


def test_participant_roster_import(cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,role,years_of_service\nP01,pustakawan,12\nP02,teknisi,4\n")
    cli("participants", "import", roster)
    people = {p["id"]: p for p in json.loads(cli("participants", "--format", "json").stdout)}
    assert people["P02"]["role"] == "teknisi" and people["P02"]["years_of_service"] == 4
    roster.write_text("id,role\nP01,a\nP01,b\n")
    r = cli.fails("participants", "import", roster)
    assert "roster.csv:3" in r.output


def test_help_is_fast_enough_to_report():
    """Not a timing assertion: prints the wall time of `tematik --help` for the benchmark notes."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tematik", "--help"], capture_output=True, check=True)
    print(f"tematik --help wall time: {time.perf_counter() - t:.3f}s")
