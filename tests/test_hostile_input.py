"""What tematik promises under hostile input (issue 16 items 3-7 and 11): long documents, catastrophic regular
expressions, control characters and terminal escapes in user data, formula/markup injection in every export
format. Each test reproduces the reported case with real files, the real CLI and real spaCy."""

from __future__ import annotations

import json
import re

import pytest

from conftest import DATA, digest

CODING = DATA / "coding"


def codings(cli, *args) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


# --------------------------------------------------------------------------- item 3: over spaCy's max_length

def test_document_over_a_million_characters_is_autocoded_with_right_offsets(cli, tmp_path):
    filler = " ".join(["Kami bekerja biasa di perpustakaan setiap hari tanpa hal khusus yang terjadi."] * 12)
    target = "Kami saling percaya di perpustakaan."
    paragraphs = [filler] * 1_100
    text = "\n\n".join(paragraphs)
    cut = text.rfind("\n\n", 0, 1_000_000)  # the last paragraph break before spaCy's limit: the cut
    # codeable sentences just before the cut, just after it and at the very end
    text = text[:cut] + "\n\n" + target + "\n\n" + target + text[cut:] + "\n\n" + target + "\n"
    assert len(text) > 1_000_000
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    cli("import", path, "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("autocode")
    rows = codings(cli)
    assert [r["text"] for r in rows] == [target] * 3
    expected = []
    pos = -1
    for _ in range(3):
        pos = text.index(target, pos + 1)
        expected.append((pos, pos + len(target)))
    assert [(r["start"], r["end"]) for r in rows] == expected
    assert rows[-1]["end"] == len(text) - 1


def test_long_text_is_cut_at_turns_then_paragraphs_then_sentences_then_words():
    from tematik.nlp import pieces

    text = "A: one two.\nB: three four. Five six.\n\nSeven eight nine ten eleven"
    def check(limit, turns=()):
        out = pieces(text, limit, turns)
        assert out[0][0] == 0 and out[-1][1] == len(text)
        assert all(a[1] == b[0] for a, b in zip(out, out[1:], strict=False))
        assert all(e - s <= limit for s, e in out)
        return [text[s:e] for s, e in out]

    assert check(len(text)) == [text]
    # a turn start within the limit wins over a later paragraph break
    assert check(40, turns=(3, 15)) == ["A: one two.\nB: ", "three four. Five six.\n\n",
                                        "Seven eight nine ten eleven"]
    # no turns: the paragraph break, then a sentence end, then a word
    assert check(40)[0] == "A: one two.\nB: three four. Five six.\n\n"
    assert check(30)[0] == "A: one two.\n"
    assert pieces("One two. Three four five", 14) == [(0, 9), (9, 20), (20, 24)]
    assert check(8)[0] == "A: one "
    assert pieces("x" * 10, 4) == [(0, 4), (4, 8), (8, 10)]  # no whitespace at all: cut at the limit


# --------------------------------------------------------------------------- item 6: catastrophic regexes

REGEX_CODEBOOK = """\
name: Regex
version: "1"
languages: [id]
codes:
  - id: stutter
    name: {{id: Gagap}}
    rules:
      id:
        terms: [percaya]
        patterns:
          - {{id: aaa, pattern: [{{LOWER: {{REGEX: '{regex}'}}}}]}}
"""


def test_nested_quantifier_is_refused_at_load_naming_file_line_and_rule(cli, db, tmp_path):
    cli("import", CODING / "doc1.txt", "--language", "id")
    before = digest(db)
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^(a+)+$"), encoding="utf-8")
    r = cli.fails("codebook", "load", path)
    message = r.stderr.strip()
    assert message.count("\n") == 0
    assert f"{path}:11:" in message and "patterns[0].pattern[0].LOWER.REGEX" in message
    assert "nested quantifier" in message
    assert digest(db) == before


def test_catastrophic_regex_cannot_hang_autocode_and_the_error_names_the_rule(cli, db, tmp_path):
    # (a|aa)+ passes the static check; on 'aaaa...ab' Python's re backtracks for hours: bounded by a timeout
    doc = tmp_path / "doc.txt"
    doc.write_text("Kami saling percaya.\n\n" + "a" * 60 + "b itu kata aneh.\n", encoding="utf-8")
    cli("import", doc, "--language", "id")
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^(a|aa)+$"), encoding="utf-8")
    cli("codebook", "load", path)
    before = digest(db)
    r = cli.fails("autocode")
    message = r.stderr.strip()
    assert message.count("\n") == 0
    assert ":11: stutter/id/pattern:aaa: regular expression '^(a|aa)+$' ran more than" in message
    assert digest(db) == before


@pytest.mark.parametrize(("regex", "why"), [
    ("(\\w+\\s?)*x", "nested quantifier"), ("(a{1,3})+b", "nested quantifier"), ("([", "bad regular expression"),
])
def test_codebook_validate_names_each_bad_regex(cli, tmp_path, regex, why):
    from typer.testing import CliRunner

    from tematik.cli import app

    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex=regex), encoding="utf-8")
    r = CliRunner().invoke(app, ["codebook", "validate", str(path)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert f"{path}:11: stutter.rules.id.patterns[0].pattern[0].LOWER.REGEX: {why}" in r.stderr


def test_regex_rules_still_match(cli, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("Kata aaaa di sini. Kata lain di sana.\n", encoding="utf-8")
    cli("import", doc, "--language", "id")
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^a{2,}$"), encoding="utf-8")
    cli("codebook", "load", path)
    cli("autocode")
    assert [(r["text"], r["rule"]) for r in codings(cli)] == [("Kata aaaa di sini.", "stutter/id/pattern:aaa")]


# --------------------------------------------------------------------------- items 4, 5, 7, 11: hostile text

ESC = "\x1b"
CLEAR = ESC + "[2J" + ESC + "[H"
TITLE = ESC + "]0;pwned" + "\x07"
LINK = ESC + "]8;;https://evil.example/" + ESC + "\\" + "klik" + ESC + "]8;;" + ESC + "\\"
C1 = "\x9b31m" + "\x9d0;judul\x9c"
FORMULA = "=cmd|' /C calc'!A0"
HOSTILE = (f"Pewawancara: Bagaimana kerja sama di sini?{CLEAR}\n"
           f"Bu Ani: Kami saling percaya {TITLE}di perpustakaan [weird] {LINK}.\x0bHalaman\x0c baru{C1}.\n"
           f"Pewawancara: Ada lagi?\x07\n"
           f"Bu Ani: <script>alert(1)</script> kami saling percaya, lihat [di sini](javascript:alert(1)).\n"
           f"Bu Ani: {FORMULA} kami saling percaya juga.\n")
HOSTILE_CODEBOOK = r"""name: "Hostile \e]0;title\a book"
version: "1"
languages: [id]
codes:
  - id: trust
    name: {id: "=HYPERLINK(\"http://evil\") \e[31m<script>alert(2)</script> [b]Trust[/b] $\\frac{$"}
    definition: {id: "Saling percaya. <img src=x onerror=alert(3)> [x](javascript:alert(4))"}
    rules:
      id:
        terms: [percaya]
"""
TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\x0b", "\x0c")


@pytest.fixture
def hostile(cli, tmp_path):
    doc = tmp_path / "hostile.txt"
    doc.write_text(HOSTILE, encoding="utf-8")
    r = cli("import", doc, "--language", "id", "--participant", "P[weird]")
    assert "control characters kept" in r.stderr and "ESC" in r.stderr
    cb = tmp_path / "hostile.yaml"
    cb.write_text(HOSTILE_CODEBOOK, encoding="utf-8")
    cli("codebook", "load", cb)
    cli("autocode")
    cli("code", "accept", "--all")
    return cli


def rendered(markdown: str) -> str:
    """Markdown as a viewer shows it (markdown-it, CommonMark with tables)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def _no_controls(text: str) -> None:
    bad = sorted({repr(c) for c in text if c in TERMINAL_CONTROLS})
    assert not bad, f"control characters reached the output: {bad}"


@pytest.mark.parametrize("args", [
    ("show", "hostile"), ("show", "hostile", "--units", "turn"), ("quotes", "--code", "trust"), ("codings",),
    ("codebook", "show"),
    ("docs",), ("participants",), ("freq",), ("log",),
    ("quotes", "--code", "trust", "--format", "md"), ("quotes", "--code", "trust", "--by", "participant"),
])
def test_terminal_output_carries_no_escape_sequences_and_shows_markup_literally(hostile, args):
    r = hostile(*args)
    _no_controls(r.stdout)
    _no_controls(r.stderr)


def test_review_panels_carry_no_escape_sequences(cli, tmp_path):
    doc = tmp_path / "hostile.txt"
    doc.write_text(HOSTILE, encoding="utf-8")
    cli("import", doc, "--language", "id")
    cb = tmp_path / "hostile.yaml"
    cb.write_text(HOSTILE_CODEBOOK, encoding="utf-8")
    cli("codebook", "load", cb)
    cli("autocode")
    r = cli("review", input="s\ns\nq\n")
    assert "[b]Trust[/b]" in r.stdout and "[weird]" in r.stdout
    _no_controls(r.stdout)


def test_show_keeps_the_text_and_rich_markup_literal(hostile):
    out = hostile("show", "hostile").stdout
    assert "[weird]" in out and "klik" in out and "<script>alert(1)</script>" in out
    assert "pwned" not in out  # the window-title sequence is removed whole
    assert "[b]Trust[/b]" in hostile("codebook", "show").stdout


def test_participants_set_echo_keeps_brackets(hostile):
    r = hostile("participants", "set", "P[weird]", "role=[guru] \x1b[2Jkepala")
    assert r.stdout.strip() == "P[weird]: role=[guru] kepala"


def test_csv_on_a_real_terminal_is_stripped_but_exact_when_piped(hostile):
    import os
    import pty
    import subprocess
    import sys

    piped = hostile("codings", "--format", "csv").stdout
    assert TITLE in piped  # data written to a pipe or file stays exact
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "tematik", "codings", "--format", "csv", "--db", str(hostile.db)],
                              stdout=slave, stderr=subprocess.PIPE, timeout=120,
                              env={**os.environ, "COLUMNS": "200"})
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    assert proc.returncode == 0, proc.stderr
    shown = b"".join(chunks).decode("utf-8")
    assert "saling percaya" in shown
    _no_controls(shown)


def test_quotes_xlsx_with_control_characters_opens_and_neutralises_formulas(hostile, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "q.xlsx"
    hostile("quotes", "--code", "trust", "--output", out)
    ws = load_workbook(out).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("saling percaya" in v for v in values)
    assert not any(ch in v for v in values for ch in TERMINAL_CONTROLS)
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    assert any(v.startswith("'=HYPERLINK") for v in values)  # the code name, neutralised


def test_report_with_hostile_text_is_written_whole_and_escaped_in_every_format(hostile, tmp_path):
    from docx import Document as Docx
    from openpyxl import load_workbook

    folder = tmp_path / "report"
    hostile("report", "--output", folder, "--status", "all")
    md = (folder / "report.md").read_text(encoding="utf-8")
    html = (folder / "report.html").read_text(encoding="utf-8")
    for text in (md, rendered(md), html):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "javascript:" not in "".join(re.findall(r"""(?:href|src)=["'][^"']*""", text))
        assert not any(ch in text for ch in TERMINAL_CONTROLS)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in md
    assert "\\[b\\]Trust\\[/b\\]" in md  # shown literally, not taken as Markdown
    words = " ".join(p.text for p in Docx(folder / "report.docx").paragraphs)
    cells = " ".join(c.text for t in Docx(folder / "report.docx").tables for r in t.rows for c in r.cells)
    assert "<script>alert(2)</script>" in words + cells
    assert not any(ch in words + cells for ch in TERMINAL_CONTROLS)
    wb = load_workbook(folder / "report.xlsx")
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "@")) for v in values)
    assert not any(ch in v for v in values for ch in TERMINAL_CONTROLS)


def test_codebook_export_csv_and_markdown_are_neutralised(hostile):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(hostile("codebook", "export", "--format", "csv").stdout)))
    name = rows[1][rows[0].index("name_id")]
    assert name.startswith("'=HYPERLINK")
    md = rendered(hostile("codebook", "export", "--format", "md").stdout)
    assert "<img" not in md and 'href="javascript:' not in md and "<script>" not in md
    assert "&lt;img src=x onerror=alert(3)&gt; [x](javascript:alert(4))" in md  # shown as written


def test_exchange_csv_is_neutralised_and_reads_back_as_written(hostile, tmp_path):
    import csv

    out = tmp_path / "codings.csv"
    hostile("export", "codings", out)
    texts = [r["text"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert any(t.startswith("'=cmd") for t in texts)
    r = hostile("import-codings", out)
    assert "0 coding(s) added" in r.stdout and f"{len(texts)} already here" in r.stdout


# --------------------------------------------------------------------------- item 11: the small ones

def test_freq_by_integer_attribute_has_one_column_for_missing_values(cli, tmp_path):
    for i, text in enumerate(("Kami saling percaya.", "Kami saling percaya juga.", "Kami saling percaya sekali.",
                              "Mereka saling percaya di sini."), start=1):
        (tmp_path / f"p{i}.txt").write_text(text + "\n", encoding="utf-8")
        cli("import", tmp_path / f"p{i}.txt", "--language", "id", *(["--participant", f"P{i}"] if i < 4 else []))
    (tmp_path / "roster.csv").write_text("id,age,region\nP1,34,north\nP2,,south\nP3,51,\n", encoding="utf-8")
    cli("participants", "import", tmp_path / "roster.csv")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("autocode")
    for by in ("age", "region"):
        rows = json.loads(cli("freq", "--by", by, "--status", "suggested", "--format", "json").stdout)
        trust = next(r for r in rows if r["code"] == "trust")
        groups = [k for k in trust if k not in ("code", "name", "total", "statuses")]
        assert "<NA>" not in groups and "nan" not in groups
        assert groups[-1] == "(none)" and trust["(none)"] == 2  # P2 or P3 without a value, and nobody's document
        assert trust["total"] == 4


QDC = ('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000001" name="Trust" isCodable="true"/>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000002" name="trust" isCodable="true"/>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000003" name="Openness" isCodable="true"/>'
       '</Codes></CodeBook>')


def test_qdc_codes_differing_only_in_case_stay_apart(cli, db, tmp_path):
    import sqlite3

    qdc = tmp_path / "codes.qdc"
    qdc.write_text(QDC, encoding="utf-8")
    r = cli("codebook", "load", qdc)
    assert "differ only in case" in r.stderr and "'Trust', 'trust'" in r.stderr
    shown = json.loads(cli("codebook", "show", "--format", "json").stdout)
    assert sorted(c["name"] for c in shown) == ["Openness", "Trust", "trust"]
    assert len({c["id"] for c in shown}) == 3
    before = sqlite3.connect(db).execute("SELECT id, name FROM codes ORDER BY id").fetchall()
    # loaded again (a new version: one code added), the same names keep the same ids, still apart
    qdc.write_text(QDC.replace("</Codes>", '<Code guid="9f3c2b1a-0000-4000-8000-000000000004" name="TRUST" '
                                           'isCodable="true"/></Codes>'), encoding="utf-8")
    cli("codebook", "load", qdc)
    after = sqlite3.connect(db).execute("SELECT id, name FROM codes WHERE active = 1 ORDER BY id").fetchall()
    assert set(before) < set(after) and len(after) == 4 and len({i for i, _ in after}) == 4


# --------------------------------------------------------------------------- the helpers themselves

@pytest.mark.parametrize(("raw", "shown"), [
    ("plain text [b]", "plain text [b]"),
    ("a\x1b[2J\x1b[Hb", "ab"),                                   # CSI: clear screen, cursor home
    ("x\x1b]0;pwned\x07y", "xy"),                                # OSC window title ended by BEL
    ("l\x1b]8;;https://e.x/\x1b\\k\x1b]8;;\x1b\\", "lk"),         # OSC 8 hyperlink ended by ST
    ("c1\x9b31mred\x9d0;t\x9cok", "c1redok"),                    # 8-bit CSI and OSC
    ("vt\x0bff\x0ccr\rbel\x07nul\x00", "vt ff cr belnul"),
    ("crlf\r\nnext\ttab", "crlf\nnext\ttab"),
    ("bare\x1b", "bare"),
])
def test_terminal_text_removes_escape_sequences_whole(raw, shown):
    from tematik.cli.common import terminal_text

    assert terminal_text(raw) == shown


@pytest.mark.parametrize("raw", [
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "![i](javascript:alert(1))", "<javascript:alert(1)>",
    "# heading", "1. item", "- item", "a | b", "*em* _em_ __init__ `code` ~~s~~", "===", "intrinsic_motivation 68.7",
    "back\\slash", "&amp; &lt;",
])
def test_markdown_text_renders_as_written(raw):
    from markdown_it import MarkdownIt

    from tematik.escape import md_cell, md_text

    md = MarkdownIt("commonmark").enable("table")
    html = md.render(md_text(raw))
    assert "<script" not in html and "href=" not in html and "<img" not in html and "<h" not in html
    assert "<li>" not in html and "<em>" not in html and "<code>" not in html
    import html as html_lib

    assert html_lib.unescape(html.removeprefix("<p>").removesuffix("</p>\n")) == raw
    table = md.render(f"| a |\n|---|\n| {md_cell(raw)} |\n")
    assert html_lib.unescape(re.search(r"<td>(.*)</td>", table).group(1)) == raw


def test_xlsx_and_docx_helpers_drop_what_xml_cannot_hold():
    from tematik.escape import XLSX_CELL_LIMIT, docx_text, xlsx_cell

    assert xlsx_cell("=1+1") == "'=1+1" and xlsx_cell(-3) == -3 and xlsx_cell("a\x0cb\x1b[1mc") == "a bc"
    assert len(xlsx_cell("x" * 40_000)) == XLSX_CELL_LIMIT
    assert docx_text("page\x0cbreak\x00\ud800") == "page break"
