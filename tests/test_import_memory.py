"""Import in bounded memory: documents written in batches as they are read (one transaction), a long text
streamed into its row, row ids and reports kept out of memory, turns kept in arrays. The behaviour must be the
one of an import that held everything: same rows, same refusals, same report."""

from __future__ import annotations

import json
import sqlite3

import openpyxl
import pytest

from conftest import Cli, digest
from tematik import corpus
from tematik.models import Document, Turn, Turns
from tematik.store import corpus as store_corpus

TRANSCRIPT = (
    "Pewawancara: Selamat pagi, Bu. Bagaimana kerja sama di perpustakaan ini?\n"
    "Bu Made: Kami saling percaya — “keterbukaan” itu penting. Café di lantai dua 😀 sering jadi tempat rapat.\n"
    "Pewawancara: Apa yang paling membantu?\n"
    "Bu Made: Grup WhatsApp, dan pelatihan bersama.\n\n"
    "Catatan tambahan tanpa label, masih giliran Bu Made.\n"
)


def rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_long_text_is_stored_as_a_plain_insert_stores_it(tmp_path, monkeypatch):
    """The long-text path (blob slices, then INSERT ... SELECT CAST) gives the very rows of the bound INSERT."""
    f = tmp_path / "wawancara.txt"
    f.write_text(TRANSCRIPT * 3, encoding="utf-8")
    plain, streamed = Cli(tmp_path / "plain.db"), Cli(tmp_path / "streamed.db")
    plain("import", f, "--participant", "P01", "--language", "id")
    monkeypatch.setattr(store_corpus, "LONG_TEXT", 100)
    monkeypatch.setattr(store_corpus, "_SLICE", 7)  # many slices, some ending inside a multi-byte character
    r = streamed("import", f, "--participant", "P01", "--language", "id")
    assert "imported 1 document(s)" in r.stdout
    query = ("SELECT name, typeof(text), text, sha256, words, chars, path, participant_id, length(CAST(text AS BLOB))"
             " FROM documents")
    got, want = rows(streamed.db, query), rows(plain.db, query)
    assert got == want and got[0][1] == "text" and "😀" in got[0][2]
    turns = "SELECT seq, start, end, speaker, participant_id, is_interviewer FROM turns ORDER BY seq"
    assert rows(streamed.db, turns) == rows(plain.db, turns) and len(rows(plain.db, turns)) == 12
    assert rows(streamed.db, "SELECT id, role FROM participants") == rows(plain.db, "SELECT id, role FROM participants")
    assert not rows(streamed.db, "SELECT name FROM sqlite_temp_master")  # nothing left behind in this connection


def test_a_refused_call_with_a_long_document_leaves_the_project_unchanged(cli, db, tmp_path, monkeypatch):
    monkeypatch.setattr(store_corpus, "LONG_TEXT", 100)
    first = tmp_path / "first.txt"
    first.write_text(TRANSCRIPT, encoding="utf-8")
    cli("import", first, "--participant", "P01")
    before = digest(db)
    long_one = tmp_path / "long.txt"
    long_one.write_text(TRANSCRIPT * 5, encoding="utf-8")
    broken = tmp_path / "zz.txt"
    broken.write_bytes(b"\x00\x01binary")
    # the long document is written before the broken file is read: the one transaction takes it back
    r = cli.fails("import", long_one, broken)
    assert "zz.txt" in r.output and "binary" in r.output
    assert digest(db) == before
    assert [d[0] for d in rows(db, "SELECT name FROM documents")] == ["first"]


def test_refusals_keep_their_order_when_documents_are_written_as_read(cli, db, tmp_path):
    """As when every file was read before anything was planned: a reader's error first, then a name given
    twice, then a changed document without --replace."""
    a = tmp_path / "a.txt"
    a.write_text(TRANSCRIPT, encoding="utf-8")
    cli("import", a, "--participant", "P01")
    before = digest(db)
    a.write_text(TRANSCRIPT + "Bu Made: Satu lagi.\n", encoding="utf-8")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "x.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "two" / "x.md").write_text(TRANSCRIPT, encoding="utf-8")
    bad = tmp_path / "zz.txt"
    bad.write_bytes(b"%PDF-1.4 not text")
    r = cli.fails("import", a, tmp_path / "one", tmp_path / "two", bad)
    assert "zz.txt" in r.output and "PDF" in r.output
    r = cli.fails("import", a, tmp_path / "one", tmp_path / "two")
    assert "two files give the document name 'x'" in r.output
    r = cli.fails("import", a, tmp_path / "one")
    assert "already exists with different content" in r.output and "a.txt" in r.output
    assert digest(db) == before


def _answers(path, n, *, blank=(), duplicate_at=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent", "unit", "text"])
    for i in range(n):
        ident = "R0001" if duplicate_at == i else f"R{i + 1:04d}"
        ws.append([ident, "sirkulasi" if i % 2 else "referensi", "" if i in blank else f"Jawaban nomor {i + 1}."])
    wb.save(path)


def test_rows_are_written_in_batches_with_the_same_report_and_refusals(cli, db, tmp_path):
    sheet = tmp_path / "answers.xlsx"
    _answers(sheet, 450, blank=range(100, 112))  # more rows than a batch; 12 blank answers
    r = cli("import", sheet, "--id-column", "respondent", "--language", "id")
    assert "imported 438 document(s), replaced 0, skipped 0" in r.stdout
    assert "answers.xlsx: 438 row document(s), 438 added" in r.stdout
    assert "12 blank answer(s) in column 'text'" in r.stderr and "and 2 more" in r.stderr
    assert "lines 102, 103" in r.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT name) FROM documents") == [(438, 438)]
    assert rows(db, "SELECT value FROM document_attributes a JOIN documents d ON d.id = a.document_id "
                    "WHERE d.name = 'answers:R0450' AND key = 'unit'") == [("sirkulasi",)]
    r = cli("import", sheet, "--id-column", "respondent", "--language", "id")
    assert "skipped 438 unchanged" in r.stdout
    before = digest(db)
    dup = tmp_path / "dup.xlsx"
    _answers(dup, 300, duplicate_at=260)  # found after the first batch was written
    r = cli.fails("import", dup, "--id-column", "respondent", "--language", "id")
    assert f"{dup}:262: respondent: duplicate id 'R0001' (also on line 2)" in r.output
    assert digest(db) == before


def test_json_report_is_written_as_json_dumps_would_write_it(cli, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(TRANSCRIPT, encoding="utf-8")
    b.write_text("Pewawancara: Halo?\nP: Jawaban singkat “di sini”.\n", encoding="utf-8")
    r = cli("import", a, b, "--participant", "P01", "--speaker", "Ghost=P09", "--format", "json")
    data = json.loads(r.stdout)
    assert [f["document"] for f in data["files"]] == ["a", "b"]
    assert any("Ghost=P09" in w for w in data["warnings"])
    assert r.stdout == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_turns_in_arrays_behave_as_their_tuple(monkeypatch):
    text = "Pewawancara: Apa kabar?\nBu Made: Baik.\nPewawancara: Lalu?\nBu Made: Ya begitu.\n"
    short = corpus.detect_turns(text, participant="P01")
    monkeypatch.setattr(corpus, "SHORT_TURNS", 2)  # past it, a document's turns stay in arrays
    turns = corpus.detect_turns(text, participant="P01")
    assert isinstance(short, tuple) and isinstance(turns, Turns) and len(turns) == 4 and turns == short
    plain = tuple(Turn(t.start, t.end, t.speaker, t.participant, t.is_interviewer, t.timestamp) for t in turns)
    assert turns == plain and plain == turns and hash(turns) == hash(plain)
    assert turns[-1] == plain[-1] and turns[1:3] == plain[1:3] and list(turns) == list(plain)
    assert turns[1].participant == "P01" and turns[0].is_interviewer and not turns[1].is_interviewer
    with pytest.raises(IndexError):
        turns[4]
    assert Document("d", text, turns=turns) == Document("d", text, turns=plain)
    assert turns != plain[:3]


@pytest.mark.parametrize("encoding, data", [
    ("utf-8", "Pewawancara: Apa kabar?  \r\nBu Made: Baik, “café”.\r\n\r\n  \t\r\n".encode()),
    ("utf-8-sig", "\ufeffPewawancara: Apa?\nBu Made: Ya.\n \n\x0c\n".encode()),
    ("cp1252", "Pewawancara: Café?\nBu Made: Ya “betul”.\n\n".encode("cp1252")),
    ("utf-8", b"Pewawancara: tanpa baris akhir\nBu Made: Ya."),
])
def test_the_closing_blanks_of_a_file_are_left_out_as_normalise_would(tmp_path, encoding, data):
    """decode(trim_end=True) leaves the closing blanks out of the text instead of normalise copying it."""
    f = tmp_path / "t.txt"
    f.write_bytes(data)
    (doc,) = corpus.read_path(f, corpus.FileMeta(language="id")).documents
    assert doc.text == corpus.normalise(data.decode(encoding))
    assert corpus.decode(data, "t.txt")[0] == data.decode(encoding)  # without trim_end: every byte
