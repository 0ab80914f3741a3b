"""Tables of answers (.csv/.xlsx rows as documents): standard CSV, delimiters from the header, several text
columns, blank answers, and the extra columns as document attributes in freq --by, matrix and quotes --by."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from conftest import DATA, digest
from tematik import corpus

CODING = DATA / "coding"


def docs(cli) -> dict[str, dict]:
    return {d["name"]: d for d in json.loads(cli("docs", "--format", "json").stdout)}


def texts(db: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT name, text FROM documents"))


def test_a_doubled_quote_far_into_a_large_csv_does_not_cut_it_short(cli, db, tmp_path):
    f = tmp_path / "answers.csv"
    rows = [["id", "text"]] + [[f"r{i}", f"Jawaban nomor {i}, cukup panjang untuk mengisi berkas."]
                               for i in range(400)]
    rows[350][1] = 'Kepala bilang "kita harus kompak", lalu rapat; semua setuju.'
    rows[351][1] = 'Baris dengan\nganti baris dan "kutip" di dalamnya'
    with f.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert f.read_text().index('""kita') > 16_000  # well past any sniffing sample
    cli("import", f, "--id-column", "id", "--language", "id")
    stored = texts(db)
    assert len(stored) == 400
    assert stored["answers:r349"] == rows[350][1]  # rows[0] is the header
    assert stored["answers:r350"] == rows[351][1]
    assert stored["answers:r399"] == rows[400][1]


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_the_delimiter_comes_from_the_header_line(tmp_path, delimiter):
    f = tmp_path / "a.csv"
    # the answers are full of the other delimiters: a sniffer reading them would pick the wrong one
    body = [["1", "ya, setuju; sangat\tsetuju", "sirkulasi"], ["2", "tidak; tidak, sama sekali", "referensi"]]
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(["id", "text", "unit"])
        w.writerows(body)
    header, rows = corpus.read_rows(f, f.read_bytes())
    assert header == ["id", "text", "unit"]
    assert [r for _, r in rows] == body


def test_unterminated_quote_is_one_error_naming_the_line(cli, db, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text('id,text\n1,baik\n2,"tidak ditutup\n3,lain\n', encoding="utf-8")
    cli("import", DATA / "import" / "interview_id.txt")
    before = digest(db)
    r = cli.fails("import", f)
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and "a.csv:3" in line and "malformed CSV" in line
    assert digest(db) == before


def test_several_text_columns_and_blank_answers(cli, db, tmp_path):
    f = tmp_path / "survey.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent", "unit", "q1", "q2"])
    ws.append(["R1", "sirkulasi", "Kami saling percaya.", "Rapat tiap minggu."])
    ws.append(["R2", "referensi", "", "Grup whatsapp saja."])
    ws.append(["R3", "referensi", "   ", None])
    wb.save(f)
    r = cli("import", f, "--id-column", "respondent", "--text-column", "q1", "--text-column", "q2",
            "--language", "id")
    stored = docs(cli)
    assert sorted(stored) == ["survey:R1:q1", "survey:R1:q2", "survey:R2:q2"]
    assert "2 blank answer(s) in column 'q1'" in r.stderr and "lines 3, 4" in r.stderr
    assert "1 blank answer(s) in column 'q2'" in r.stderr
    # the same names again are skipped, not clashing
    again = cli("import", f, "--id-column", "respondent", "--text-column", "q1", "--text-column", "q2",
                "--language", "id")
    assert "skipped 3 unchanged" in again.stdout


def test_an_unknown_text_column_is_refused_with_the_columns_it_has(cli, db, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("id;jawaban\n1;baik\n", encoding="utf-8")
    r = cli.fails("import", f, "--text-column", "text")
    assert "unknown column 'text' (given by --text-column); the file has: id, jawaban" in r.output
    assert not db.exists()


@pytest.fixture
def answers(cli, tmp_path):
    f = tmp_path / "open.csv"
    f.write_text("id;unit;years;text\n"
                 "1;sirkulasi;3;Kami saling percaya di sini.\n"
                 "2;sirkulasi;12;Rapat tiap minggu, kami saling percaya.\n"
                 "3;referensi;12;Komunikasi lewat grup whatsapp.\n"
                 "4;referensi;;Tidak ada yang istimewa.\n", encoding="utf-8")
    cli("import", f, "--id-column", "id", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("code", "add", "open:1", "trust", "--match", "Kami saling percaya", "--coder", "ana")
    cli("code", "add", "open:2", "trust", "--match", "kami saling percaya", "--coder", "ana")
    cli("code", "add", "open:3", "communication", "--match", "Komunikasi", "--coder", "ana")
    return cli


def test_document_attributes_group_freq(answers):
    rows = json.loads(answers("freq", "--by", "unit", "--long", "--format", "json").stdout)
    got = {(r["unit"], r["code"]): r["units"] for r in rows if r["units"]}
    assert got == {("sirkulasi", "trust"): 2, ("referensi", "communication"): 1}
    rows = json.loads(answers("freq", "--by", "years", "--long", "--format", "json").stdout)
    got = {(r["years"], r["code"]): r["units"] for r in rows if r["units"]}
    assert got == {("3", "trust"): 1, ("12", "trust"): 1, ("12", "communication"): 1}


def test_document_attributes_in_the_matrix_and_quotes(answers):
    rows = json.loads(answers("matrix", "--format", "json").stdout)
    by_doc = {r["document"]: r for r in rows}
    assert by_doc["open:1"]["unit"] == "sirkulasi" and by_doc["open:3"]["unit"] == "referensi"
    assert by_doc["open:1"]["trust"] == 1 and by_doc["open:3"]["trust"] == 0
    grid = json.loads(answers("quotes", "--code", "trust", "--code", "communication", "--by", "unit",
                              "--format", "json").stdout)
    cells = {r["unit"]: r for r in grid}
    assert set(cells) == {"sirkulasi", "referensi"}
    assert "(open:1:1)" in cells["sirkulasi"]["trust"] and "(open:2:1)" in cells["sirkulasi"]["trust"]
    assert cells["sirkulasi"]["communication"] == "" and cells["referensi"]["trust"] == ""
    assert "(open:3:1)" in cells["referensi"]["communication"]


def test_an_unknown_group_lists_the_document_attributes(answers):
    r = answers.fails("freq", "--by", "nope")
    assert "unit" in r.output and "years" in r.output


def test_row_limit_is_named_and_can_be_raised(cli, db, tmp_path, monkeypatch):
    f = tmp_path / "many.csv"
    f.write_text("text\n" + "".join(f"jawaban {i}\n" for i in range(30)), encoding="utf-8")
    r = cli.fails("import", f, "--limit", "rows=20", "--language", "id")
    assert "limit rows=20" in r.output and "TEMATIK_LIMIT_ROWS" in r.output and not db.exists()
    monkeypatch.setenv("TEMATIK_LIMIT_ROWS", "25")
    cli.fails("import", f, "--language", "id")
    cli("import", f, "--limit", "rows=30", "--language", "id")
    assert len(docs(cli)) == 30


def test_a_delimiter_inside_a_quoted_header_cell_does_not_count(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text('"nama, lengkap";unit;text\n"Made, S.";sirkulasi;"baik; sekali"\n', encoding="utf-8")
    header, rows = corpus.read_rows(f, f.read_bytes())
    assert header == ["nama, lengkap", "unit", "text"]
    assert rows == [(2, ["Made, S.", "sirkulasi", "baik; sekali"])]
