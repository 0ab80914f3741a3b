"""REFI-QDA exchange: export validated against the standard's schemas, round trips, real exports of other tools,
offsets counted the ways tools count them, and hostile archives refused without touching the project."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
import xmlschema
from lxml import etree

from conftest import DATA, REPO, Cli, digest
from tematik import refi

IMPORT = DATA / "import"
REFI_DATA = DATA / "refi"
HOSTILE = REFI_DATA / "hostile"
SAMPLES = next((p for p in (REPO.parent / "shared" / "refi" / "samples",
                 REPO.parent.parent / "shared" / "refi" / "samples") if p.is_dir()), REPO.parent / "shared")
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def project_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(REFI_DATA / "Project-mrt2019.xsd"))


@pytest.fixture(scope="module")
def codebook_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(REFI_DATA / "Codebook-mrt2019.xsd"))


# --------------------------------------------------------------------------- a project with everything in it

@pytest.fixture(scope="module")
def source_db(tmp_path_factory) -> Path:
    """Documents with turns and participants, typed attributes, the study codebook, suggestions (auto-coded),
    accepted, rejected and manual codings by two coders, and memos on every kind of target."""
    home = tmp_path_factory.mktemp("source")
    cli = Cli(home / "project.db")
    cli("import", IMPORT / "interview_id.txt", IMPORT / "observation_id.txt", IMPORT / "interview_en.md",
        "--manifest", IMPORT / "manifest.csv")
    extra = home / "catatan_en.txt"  # CRLF, a decomposed accent and a character outside the BMP
    extra.write_bytes("Interviewer: Do you trust them? \U0001F600\r\nMr Wayan: Yes, we trust each other at the "
                      "cafe\u0301.\r\n\r\nMr Wayan: We talk on WhatsApp every day.\r\n".encode())
    cli("import", extra, "--participant", "P03", "--language", "en", "--speaker", "Mr Wayan=P03",
        "--speaker", "Interviewer=interviewer")
    cli("participants", "set", "P01", "years=12", "joined=2019-01-01", "senior=true", "score=3.5")
    cli("participants", "set", "P03", "years=3", "joined=2021-06-30", "senior=false", "score=4")
    cli("codebook", "load", REPO / "codebooks" / "knowledge-sharing.yaml")
    cli("autocode")
    rows = json.loads(cli("codings", "--format", "json").stdout)
    assert len(rows) >= 6, "the fixture needs suggestions to review"
    cli("code", "accept", *[a for r in rows[:4] for a in ("--id", str(r["id"]))], "--coder", "made")
    cli("code", "reject", "--id", str(rows[4]["id"]), "--coder", "made")
    cli("code", "add", "catatan_en", "trust", "--match", "trust each other at the café", "--coder", "ayu",
        "--memo", "said with a smile")
    cli("code", "add", "catatan_en", "communication", "--match", "WhatsApp", "--coder", "ayu")
    cli("memo", "add", "project", "--text", "First pass over the pilot interviews.", "--coder", "made")
    cli("memo", "add", "code", "trust", "--text", "Trust and openness overlap here.", "--coder", "made")
    cli("memo", "add", "document", "interview_id", "--text", "Recorded in the reading room.", "--coder", "ayu")
    cli("memo", "add", "participant", "P01", "--text", "Head of circulation since 2007.", "--coder", "ayu")
    accepted = rows[0]["id"]
    cli("memo", "add", "coding", str(accepted), "--text", "Clear case.", "--coder", "made")
    cli("memo", "add", "coding", str(rows[5]["id"]), "--text", "Still a suggestion.", "--coder", "made")
    return cli.db


def state(db: Path) -> dict[str, list]:
    """The project as comparable rows; codings keyed by content, not row id."""
    conn = sqlite3.connect(db)
    key = {r[0]: r[1:] for r in conn.execute(
        "SELECT c.id, d.name, c.code_id, c.start, c.end, c.coder FROM codings c JOIN documents d "
        "ON d.id = c.document_id")}
    memos = sorted((t, str(key[int(i)]) if t == "coding" else i, text, author)
                   for t, i, text, author in conn.execute("SELECT target_type, target_id, text, author FROM memos"))
    out = {name: conn.execute(sql).fetchall() for name, sql in {
        "documents": "SELECT name, source_type, language, participant_id, date, text FROM documents ORDER BY name",
        "turns": "SELECT d.name, seq, t.start, t.end, speaker, t.participant_id, is_interviewer, timestamp "
                 "FROM turns t JOIN documents d ON d.id = t.document_id ORDER BY 1, 2",
        "codes": "SELECT id, name, parent_id, colour, definition FROM codes ORDER BY id",
        "codings": "SELECT d.name, code_id, c.start, c.end, status, coder, rule, polarity, "
                   "substr(d.text, c.start + 1, c.end - c.start) FROM codings c JOIN documents d "
                   "ON d.id = c.document_id ORDER BY 1, 2, 3, 4, 6",
        "participants": "SELECT id, role FROM participants ORDER BY id",
        "attributes": "SELECT participant_id, key, value, type FROM participant_attributes ORDER BY 1, 2",
        "document_attributes": "SELECT d.name, key, value FROM document_attributes a JOIN documents d "
                               "ON d.id = a.document_id WHERE key != 'refi_guid' ORDER BY 1, 2",
    }.items()}
    out["memos"] = memos
    conn.close()
    return out


def export(source_db: Path, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "export.qdpx"
    Cli(source_db)("export", "qdpx", out, *args)
    return out


# --------------------------------------------------------------------------- export

def test_export_validates_against_the_project_schema(source_db, tmp_path, project_schema):
    for args in ((), ("--status", "all")):
        out = export(source_db, tmp_path, *args)
        with zipfile.ZipFile(out) as zf:
            project_schema.validate(zf.read("project.qde"))
            names = zf.namelist()
            root = etree.fromstring(zf.read("project.qde"))
            # every plain-text path points at a member of sources/, holding the document's text
            for src in root.iterfind(".//q:TextSource", NS):
                member = "sources/" + src.get("plainTextPath").removeprefix("internal://")
                assert member in names
                text = zf.read(member).decode("utf-8")
                for sel in src.iterfind("q:PlainTextSelection", NS):
                    assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == sel.get("name")


def test_export_carries_users_codes_cases_variables_and_notes(source_db, tmp_path):
    out = export(source_db, tmp_path, "--status", "all")
    root = etree.fromstring(zipfile.ZipFile(out).read("project.qde"))
    conn = sqlite3.connect(source_db)
    coders = {r[0] for r in conn.execute("SELECT coder FROM codings UNION SELECT author FROM memos")}
    assert {u.get("name") for u in root.iterfind(".//q:User", NS)} == coders
    codes = {c.get("name"): c for c in root.iterfind(".//q:Code", NS)}
    for name, colour, definition in conn.execute("SELECT name, colour, definition FROM codes"):
        assert codes[name].get("color") == colour
        assert codes[name].findtext("q:Description", namespaces=NS) == definition
    variables = {v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iterfind(".//q:Variable", NS)}
    assert {("years", "Integer"), ("joined", "Date"), ("senior", "Boolean"), ("score", "Float"),
            ("role", "Text")} <= set(variables.values())
    p01 = root.find(".//q:Case[@name='P01']", NS)
    values = {variables[v.find("q:VariableRef", NS).get("targetGUID")][0]: v[1].text
              for v in p01.iterfind("q:VariableValue", NS)}
    assert values["years"] == "12" and values["senior"] == "true" and values["role"] == "pustakawan"
    assert len(root.findall(".//q:Case", NS)) == conn.execute("SELECT count(*) FROM participants").fetchone()[0]
    # every memo is a note; each is referenced from its target (or linked to its case)
    notes = {n.get("guid") for n in root.iterfind(".//q:Notes/q:Note", NS)}
    assert len(notes) == conn.execute("SELECT count(*) FROM memos").fetchone()[0]
    referenced = {r.get("targetGUID") for r in root.iterfind(".//q:NoteRef", NS)}
    linked = {ln.get("originGUID") for ln in root.iterfind(".//q:Link", NS)}
    assert notes == referenced | linked and len(linked) == 1


def test_default_export_is_accepted_and_manual_and_status_selects(source_db, tmp_path):
    conn = sqlite3.connect(source_db)
    by_status = dict(conn.execute("SELECT status, count(*) FROM codings GROUP BY status").fetchall())
    assert by_status.get("suggested") and by_status.get("rejected")

    def selections(*args: str) -> int:
        root = etree.fromstring(zipfile.ZipFile(export(source_db, tmp_path, *args)).read("project.qde"))
        return len(root.findall(".//q:PlainTextSelection", NS))

    assert selections() == by_status["accepted"] + by_status["manual"]
    assert selections("--status", "suggested") == by_status["suggested"]
    assert selections("--status", "all") == sum(by_status.values())
    r = Cli(source_db).fails("export", "qdpx", tmp_path / "x.qdpx", "--status", "maybe")
    assert "--status" in r.output and not (tmp_path / "x.qdpx").exists()


def test_export_is_deterministic(source_db, tmp_path):
    first = export(source_db, tmp_path, "--status", "all").read_bytes()
    assert export(source_db, tmp_path, "--status", "all").read_bytes() == first


def test_round_trip_gives_the_same_project(source_db, tmp_path):
    out = export(source_db, tmp_path, "--status", "all")
    copy = Cli(tmp_path / "copy.db")
    r = copy("import-qdpx", out)
    assert "offsets: code points" in r.output
    before, after = state(source_db), state(copy.db)
    for table in before:
        assert after[table] == before[table], table
    # the copy can auto-code again: the codebook came across with its rules
    conn = sqlite3.connect(copy.db)
    original = sqlite3.connect(source_db).execute("SELECT format, hash FROM codebooks ORDER BY id DESC").fetchone()
    assert conn.execute("SELECT format, hash FROM codebooks").fetchone() == original
    # and exporting the copy gives the same GUIDs for codes and documents
    again = tmp_path / "again.qdpx"
    copy("export", "qdpx", again, "--status", "all")
    guids = [{(e.get("name"), e.get("guid")) for e in etree.fromstring(zipfile.ZipFile(f).read("project.qde"))
              .iterfind(".//q:" + tag, NS)} for f in (out, again) for tag in ("Code", "TextSource")]
    assert guids[0] == guids[2] and guids[1] == guids[3]


def test_default_round_trip_leaves_out_suggestions_and_their_memos(source_db, tmp_path):
    out = export(source_db, tmp_path)
    copy = Cli(tmp_path / "copy.db")
    copy("import-qdpx", out)
    after = state(copy.db)
    assert {row[4] for row in after["codings"]} == {"accepted", "manual"}
    assert "Still a suggestion." not in {m[2] for m in after["memos"]}
    assert "Clear case." in {m[2] for m in after["memos"]}


def test_reimport_adds_nothing(source_db, tmp_path):
    out = export(source_db, tmp_path, "--status", "all")
    copy = Cli(tmp_path / "copy.db")
    copy("import-qdpx", out)
    first = state(copy.db)
    r = copy("import-qdpx", out)
    assert "0 coding(s)" in r.output and "already there" in r.output
    assert state(copy.db) == first


def test_a_tampered_codebook_in_the_archive_is_not_trusted(source_db, tmp_path):
    out = export(source_db, tmp_path, "--status", "all")
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    side = json.loads(members["tematik.json"])
    side["codebook"]["source"] = side["codebook"]["source"].replace("languages: [id, en]", "languages: [xx]")
    members["tematik.json"] = json.dumps(side).encode()
    tampered = tmp_path / "tampered.qdpx"
    with zipfile.ZipFile(tampered, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    copy = Cli(tmp_path / "copy.db")
    r = copy("import-qdpx", tampered)
    assert "does not validate" in r.output
    conn = sqlite3.connect(copy.db)
    assert conn.execute("SELECT format FROM codebooks").fetchone()[0] == "qdc"
    assert state(copy.db)["codes"] == state(source_db)["codes"] and state(copy.db)["codings"] == state(
        source_db)["codings"]


def test_codebook_export_validates_and_loads_back(source_db, tmp_path, codebook_schema):
    qdc = tmp_path / "codes.qdc"
    Cli(source_db)("export", "qdc", qdc)
    codebook_schema.validate(str(qdc))
    name, version, codes, source = refi.read_qdc(qdc)
    conn = sqlite3.connect(source_db)
    names = dict(conn.execute("SELECT id, name FROM codes").fetchall())
    expected = sorted((n, names.get(p), c, d) for _, n, p, c, d in conn.execute(
        "SELECT id, name, parent_id, colour, definition FROM codes WHERE active = 1"))
    by_id = {c["id"]: c["name"] for c in codes}
    assert sorted((c["name"], by_id.get(c["parent"]), c["colour"], c["definition"]) for c in codes) == expected
    assert version.startswith("qdc-") and source.startswith("<?xml")
    fresh = Cli(tmp_path / "fresh.db")
    fresh("codebook", "load", qdc)
    loaded = sqlite3.connect(fresh.db).execute("SELECT name, colour, definition FROM codes ORDER BY name").fetchall()
    assert loaded == sorted((n, c, d) for n, _, c, d in expected)


def test_codebook_qdc_loaded_back_into_its_project_keeps_code_ids(source_db, tmp_path):
    qdc = tmp_path / "codes.qdc"
    project = Cli(source_db)
    project("export", "qdc", qdc)
    conn = sqlite3.connect(source_db)
    before = conn.execute("SELECT id, name, parent_id FROM codes WHERE active = 1 ORDER BY id").fetchall()
    coded = conn.execute("SELECT count(*) FROM codings").fetchone()[0]
    conn.close()
    project("codebook", "load", qdc)
    conn = sqlite3.connect(source_db)
    after = conn.execute("SELECT id, name, parent_id FROM codes WHERE active = 1 ORDER BY id").fetchall()
    assert after == before  # the same ids, none deactivated, no slug-named duplicates
    assert conn.execute("SELECT count(*) FROM codes").fetchone()[0] == len(before)
    assert conn.execute("SELECT count(*) FROM codings c JOIN codes k ON k.id = c.code_id WHERE k.active = 1"
                        ).fetchone()[0] == coded


# --------------------------------------------------------------------------- files written by other tools

def G(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "test:" + name))


def qde(body: str, *, name: str = "field study", attrs: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="{name}" '
            f'origin="Other QDA 9" {attrs}>{body}</Project>')


def write_qdpx(path: Path, xml: str, members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


RAW = ("Pewawancara: Apakah Ibu percaya pada rekan? \U0001F600\r\nBu Made: Ya, kami saling percaya.\r\n\r\n"
       "Bu Made: Kami juga makan bersama di kantin.\r\n")
PASSAGES = ("saling percaya", "Kami juga", "makan bersama di kantin")


def tool_offsets(raw: str, passage: str, units: str, breaks: str) -> tuple[int, int]:
    """Offsets as a tool counting ``units`` and ``breaks`` writes them."""

    def count(s: str) -> int:
        if breaks == "one":
            s = s.replace("\r\n", "\n")
        elif breaks == "two":
            s = re.sub(r"\r\n|\r|\n", "\r\n", s)
        return len(s.encode("utf-16-le")) // 2 if units == "utf16" else len(s)

    i = raw.index(passage)
    return count(raw[:i]), count(raw[:i]) + count(passage)


CODE_XML = f'<CodeBook><Codes><Code guid="{G("code")}" name="Trust" isCodable="true"/></Codes></CodeBook>'


def selections(raw: str, units: str, breaks: str, *, names: bool) -> str:
    out = []
    for p in PASSAGES:
        s, e = tool_offsets(raw, p, units, breaks)
        name = f" name={quoteattr(p)}" if names else ""
        out.append(f'<PlainTextSelection guid="{G(p)}" startPosition="{s}" endPosition="{e}"{name}>'
                   f'<Coding guid="{G("c" + p)}" creatingUser="{G("user")}"><CodeRef targetGUID="{G("code")}"/>'
                   f'</Coding></PlainTextSelection>')
    return "".join(out)


def coded_texts(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    return [r[0] for r in conn.execute("SELECT substr(d.text, c.start + 1, c.end - c.start) FROM codings c "
                                       "JOIN documents d ON d.id = c.document_id ORDER BY c.start")]


@pytest.mark.parametrize("names", [True, False], ids=["named", "unnamed"])
@pytest.mark.parametrize("crlf, units, breaks", [
    (True, "codepoints", "asis"),  # counts the characters of the file: CRLF as two
    (True, "codepoints", "one"),  # CRLF as one character
    (True, "utf16", "asis"),  # UTF-16 code units: the emoji counts two
    (True, "utf16", "one"),
    (False, "codepoints", "two"),  # an LF file, offsets counted as if every break were CRLF
    (False, "codepoints", "asis"),
])
def test_offsets_land_on_the_same_text_however_the_tool_counted(tmp_path, crlf, units, breaks, names):
    raw = RAW if crlf else RAW.replace("\r\n", "\n")
    xml = qde(f'<Users><User guid="{G("user")}" name="Bu Ayu"/></Users>{CODE_XML}<Sources>'
              f'<TextSource guid="{G("src")}" name="wawancara" plainTextPath="internal://{G("src")}.txt">'
              f'{selections(raw, units, breaks, names=names)}</TextSource></Sources>')
    f = write_qdpx(tmp_path / "other.qdpx", xml, {f"sources/{G('src')}.txt": raw.encode("utf-8")})
    cli = Cli(tmp_path / "p.db")
    # a text without CRLF is never taken to count each break as two unless the selection names prove it
    given = ("--line-breaks", "two") if breaks == "two" and not crlf and not names else ()
    r = cli("import-qdpx", f, *given)
    assert sorted(coded_texts(cli.db)) == sorted(PASSAGES), r.output
    conn = sqlite3.connect(cli.db)
    assert conn.execute("SELECT DISTINCT status, coder FROM codings").fetchall() == [("manual", "Bu Ayu")]


def test_offset_counting_can_be_given(tmp_path):
    xml = qde(f'{CODE_XML}<Sources><TextSource guid="{G("src")}" name="w" plainTextPath="internal://a.txt">'
              f'{selections(RAW, "codepoints", "one", names=False)}</TextSource></Sources>')
    f = write_qdpx(tmp_path / "o.qdpx", xml, {"sources/a.txt": RAW.encode("utf-8")})
    wrong = Cli(tmp_path / "wrong.db")
    wrong("import-qdpx", f, "--line-breaks", "asis")
    assert sorted(coded_texts(wrong.db)) != sorted(PASSAGES)
    right = Cli(tmp_path / "right.db")
    right("import-qdpx", f, "--line-breaks", "one", "--units", "codepoints")
    assert sorted(coded_texts(right.db)) == sorted(PASSAGES)


def test_inline_relative_absolute_and_docx_sources(tmp_path):
    docx = (IMPORT / "interview.docx").read_bytes()
    from tematik.corpus import read_docx

    docx_text = read_docx(docx, "interview.docx")
    word = docx_text.split()[3]
    ds = docx_text.index(word)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "rel.txt").write_text("Relative text, kami saling percaya.", encoding="utf-8")
    (tmp_path / "abs.txt").write_bytes(b"\xef\xbb\xbfAbsolute text with a BOM.\r\nSecond line.")
    inline = escape(RAW).replace("\r", "&#13;")  # an escaped CR survives XML end-of-line handling
    s, e = tool_offsets(RAW, "saling percaya", "codepoints", "asis")
    coding = f'<Coding guid="{G("k1")}"><CodeRef targetGUID="{G("code")}"/></Coding>'
    xml = qde(f'{CODE_XML}<Sources>'
              f'<TextSource guid="{G("inline")}" name="inline"><PlainTextContent>{inline}'
              f'</PlainTextContent><PlainTextSelection guid="{G("s1")}" startPosition="{s}" endPosition="{e}">'
              f'{coding}</PlainTextSelection></TextSource>'
              f'<TextSource guid="{G("rel")}" name="relative" plainTextPath="relative://rel.txt"/>'
              f'<TextSource guid="{G("abs")}" name="absolute" plainTextPath="absolute://{tmp_path / "abs.txt"}"/>'
              f'<TextSource guid="{G("docx")}" name="rich" richTextPath="internal://r.docx">'
              f'<PlainTextSelection guid="{G("s2")}" startPosition="{ds}" endPosition="{ds + len(word)}">'
              f'<Coding guid="{G("k2")}"><CodeRef targetGUID="{G("code")}"/></Coding></PlainTextSelection>'
              f'</TextSource></Sources>', attrs='basePath="texts"')
    f = write_qdpx(tmp_path / "paths.qdpx", xml, {"sources/r.docx": docx})
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", f)
    conn = sqlite3.connect(cli.db)
    texts = dict(conn.execute("SELECT name, text FROM documents").fetchall())
    assert texts["relative"] == "Relative text, kami saling percaya."
    assert texts["absolute"] == "Absolute text with a BOM.\nSecond line."
    assert texts["inline"] == RAW.replace("\r\n", "\n").strip()
    assert texts["rich"] == docx_text
    assert sorted(coded_texts(cli.db)) == sorted(["saling percaya", word])
    assert "offsets may not match" in r.output  # rich text only: said so


def test_cases_variables_notes_and_annotations(tmp_path):
    users = f'<Users><User guid="{G("u1")}" name="Bu Ayu"/><User guid="{G("u2")}" id="PK"/></Users>'
    codes = (f'<CodeBook><Codes><Code guid="{G("parent")}" name="Sharing" isCodable="false" color="#0A0">'
             f'<Description>Any talk about sharing.</Description><NoteRef targetGUID="{G("n-code")}"/>'
             f'<Code guid="{G("child")}" name="Trust" isCodable="true" color="#1f77b4"/></Code></Codes></CodeBook>')
    variables = (f'<Variables><Variable guid="{G("v-role")}" name="role" typeOfVariable="Text"/>'
                 f'<Variable guid="{G("v-age")}" name="age" typeOfVariable="Integer"/>'
                 f'<Variable guid="{G("v-senior")}" name="senior" typeOfVariable="Boolean"/>'
                 f'<Variable guid="{G("v-joined")}" name="joined" typeOfVariable="Date"/>'
                 f'<Variable guid="{G("v-score")}" name="score" typeOfVariable="Float"/></Variables>')

    def value(var: str, tag: str, v: str) -> str:
        return f'<VariableValue><VariableRef targetGUID="{G(var)}"/><{tag}>{v}</{tag}></VariableValue>'

    cases = (f'<Cases><Case guid="{G("case")}" name="P07"><Description>Joined from the faculty library.'
             f'</Description>{value("v-role", "TextValue", "pustakawan")}{value("v-age", "IntegerValue", "41")}'
             f'{value("v-senior", "BooleanValue", "1")}{value("v-joined", "DateValue", "2010-02-01")}'
             f'{value("v-score", "FloatValue", "3.75")}<SourceRef targetGUID="{G("src")}"/></Case></Cases>')
    text = "Bu Komang: Kami saling percaya. Semua dibagi bersama.\n"
    s1, s2 = text.index("saling percaya"), text.index("Semua dibagi")
    sources = (f'<Sources><TextSource guid="{G("src")}" name="P07 interview" creatingUser="{G("u1")}">'
               f'<Description>Second visit.</Description><PlainTextContent>{text}</PlainTextContent>'
               f'<PlainTextSelection guid="{G("sel1")}" startPosition="{s1}" endPosition="{s1 + 14}" '
               f'creatingUser="{G("u2")}"><Coding guid="{G("cd1")}" creatingUser="{G("u2")}" '
               f'creationDateTime="2024-03-01T10:00:00Z"><CodeRef targetGUID="{G("child")}"/></Coding>'
               f'<NoteRef targetGUID="{G("n-sel")}"/></PlainTextSelection>'
               f'<PlainTextSelection guid="{G("sel2")}" startPosition="{s2}" endPosition="{s2 + 12}" '
               f'creatingUser="{G("u1")}"><NoteRef targetGUID="{G("n-annot")}"/></PlainTextSelection>'
               f'<Coding guid="{G("cd2")}" creatingUser="{G("u1")}"><CodeRef targetGUID="{G("parent")}"/></Coding>'
               f'<NoteRef targetGUID="{G("n-src")}"/></TextSource>'
               f'<PDFSource guid="{G("pdf")}" name="scan" path="internal://scan.pdf"/></Sources>')

    def note(key: str, body: str) -> str:
        return (f'<Note guid="{G(key)}" name="{key}" creatingUser="{G("u1")}"><PlainTextContent>{body}'
                f'</PlainTextContent></Note>')

    notes = ("<Notes>" + note("n-code", "Split this code later.") + note("n-sel", "Strong statement.")
             + note("n-annot", "Ask about this.") + note("n-src", "Noisy recording.") + note("n-case", "Retired 2023.")
             + note("n-proj", "Project memo.") + note("n-loose", "Referenced nowhere.") + "</Notes>")
    links = f'<Links><Link guid="{G("link")}" originGUID="{G("n-case")}" targetGUID="{G("case")}"/></Links>'
    sets = f'<Sets><Set guid="{G("set")}" name="favourites"><MemberCode targetGUID="{G("child")}"/></Set></Sets>'
    xml = qde(users + codes + variables + cases + sources + notes + links + sets
              + f'<NoteRef targetGUID="{G("n-proj")}"/>')
    f = write_qdpx(tmp_path / "rich.qdpx", xml)
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", f)
    assert "PDFSource" in r.output and "Set" in r.output  # what was left behind is said
    conn = sqlite3.connect(cli.db)
    assert conn.execute("SELECT id, role FROM participants").fetchall() == [("P07", "pustakawan")]
    attrs = {k: (v, t) for k, v, t in conn.execute("SELECT key, value, type FROM participant_attributes")}
    assert attrs == {"age": ("41", "integer"), "senior": ("true", "boolean"), "joined": ("2010-02-01", "date"),
                     "score": ("3.75", "real")}
    assert conn.execute("SELECT participant_id FROM documents").fetchall() == [("P07",)]
    codes_rows = conn.execute("SELECT id, name, parent_id, colour, definition FROM codes ORDER BY rowid").fetchall()
    assert codes_rows == [("sharing", "Sharing", None, "#00aa00", "Any talk about sharing."),
                          ("trust", "Trust", "sharing", "#1f77b4", None)]
    codings = conn.execute("SELECT code_id, start, end, status, coder, created FROM codings ORDER BY start").fetchall()
    assert ("trust", s1, s1 + 14, "manual", "PK", "2024-03-01T10:00:00+00:00") in codings
    assert ("sharing", 0, len(text.strip()), "manual", "Bu Ayu") in [c[:5] for c in codings]
    assert len(codings) == 2  # the annotation is not a coding
    memos = {(t, i, text) for t, i, text in conn.execute("SELECT target_type, target_id, text FROM memos")}
    trust_coding = conn.execute("SELECT id FROM codings WHERE code_id = 'trust'").fetchone()[0]
    assert ("code", "sharing", "Split this code later.") in memos
    assert ("coding", str(trust_coding), "Strong statement.") in memos
    assert ("document", "P07 interview", "Noisy recording.") in memos
    assert ("document", "P07 interview", "Second visit.") in memos
    assert ("participant", "P07", "Retired 2023.") in memos
    assert ("participant", "P07", "Joined from the faculty library.") in memos
    assert ("project", None, "Project memo.") in memos and ("project", None, "Referenced nowhere.") in memos
    # the annotation (a selection without a code) is a memo on that passage, its text the note's alone
    annotation = conn.execute("SELECT target_type, target_id, text, author, start, end FROM memos "
                              "WHERE text LIKE '%Ask about this.%'").fetchall()
    assert annotation == [("document", "P07 interview", "Ask about this.", "Bu Ayu", s2, s2 + 12)]
    assert conn.execute("SELECT count(*) FROM memos WHERE start IS NOT NULL").fetchone()[0] == 1
    assert len(memos) == 9


def test_codes_match_an_existing_codebook_by_name_and_a_second_import_by_guid(tmp_path):
    cli = Cli(tmp_path / "p.db")
    cli("codebook", "load", REPO / "codebooks" / "knowledge-sharing.yaml")
    conn = sqlite3.connect(cli.db)
    trust_name = conn.execute("SELECT name FROM codes WHERE id = 'trust'").fetchone()[0]
    text = "Kami saling percaya."
    xml = qde(f'<CodeBook><Codes><Code guid="{G("t")}" name="{trust_name}" isCodable="true"/>'
              f'<Code guid="{G("new")}" name="Hierarchy" isCodable="true"/></Codes></CodeBook>'
              f'<Sources><TextSource guid="{G("s")}" name="d"><PlainTextContent>{text}</PlainTextContent>'
              f'<PlainTextSelection guid="{G("sel")}" startPosition="5" endPosition="19"><Coding guid="{G("c")}">'
              f'<CodeRef targetGUID="{G("t")}"/></Coding></PlainTextSelection></TextSource></Sources>')
    f = write_qdpx(tmp_path / "a.qdpx", xml)
    r = cli("import-qdpx", f)
    assert "1 new code(s) (1 matched)" in r.output
    assert conn.execute("SELECT code_id FROM codings").fetchall() == [("trust",)]
    # the YAML codebook stays the project's codebook (auto-coding keeps working); the new code joins the list
    assert conn.execute("SELECT format FROM codebooks ORDER BY id DESC").fetchone()[0] == "yaml"
    assert conn.execute("SELECT count(*) FROM codes WHERE active = 1").fetchone()[0] == 7
    renamed = write_qdpx(tmp_path / "b.qdpx", xml.replace('name="Hierarchy"', 'name="Hierarki"'))
    r = cli("import-qdpx", renamed)
    assert "0 new code(s)" in r.output  # matched by the GUID kept from the first import


def test_a_changed_document_is_refused_unless_replace(tmp_path):
    cli = Cli(tmp_path / "p.db")
    cli("import", IMPORT / "interview_id.txt")
    xml = qde(f'<Sources><TextSource guid="{G("s")}" name="interview_id"><PlainTextContent>Other words.'
              f'</PlainTextContent></TextSource></Sources>')
    f = write_qdpx(tmp_path / "c.qdpx", xml)
    before = digest(cli.db)
    r = cli.fails("import-qdpx", f)
    assert "--replace" in r.output and digest(cli.db) == before
    cli("import-qdpx", f, "--replace")
    assert sqlite3.connect(cli.db).execute("SELECT text FROM documents").fetchone()[0] == "Other words."


def test_a_dangling_selection_is_refused_as_a_whole(tmp_path):
    """A broken source reference refuses the whole file: the project stays as it was."""
    cli = Cli(tmp_path / "p.db")
    cli("import", IMPORT / "interview_id.txt")
    xml = qde(f'{CODE_XML}<Sources><TextSource guid="{G("a")}" name="fine"><PlainTextContent>ok</PlainTextContent>'
              f'</TextSource><TextSource guid="{G("b")}" name="broken" plainTextPath="internal://missing.txt"/>'
              f'</Sources>')
    before = digest(cli.db)
    r = cli.fails("import-qdpx", write_qdpx(tmp_path / "m.qdpx", xml))
    assert "missing" in r.output and digest(cli.db) == before


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared/refi/samples is not beside the repository")
@pytest.mark.parametrize("sample", ["nvivo-sample.qdpx", "atlas-sample.qdpx"])
def test_real_exports_of_nvivo_and_atlas_import(tmp_path, sample, project_schema):
    path = SAMPLES / sample
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("project.qde")
    project_schema.validate(xml)
    root = etree.fromstring(xml)
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", path)
    conn = sqlite3.connect(cli.db)
    codes = {json.loads(d)["refi_guid"]: (cid, parent, name) for cid, parent, name, d in conn.execute(
        "SELECT id, parent_id, name, data FROM codes")}
    xml_codes = root.findall(".//q:Code", NS)
    assert len(codes) == len(xml_codes)
    for el in xml_codes:  # the tree is kept: each code's parent is its parent element
        cid, parent, name = codes[el.get("guid").lower()]
        assert name == el.get("name")
        up = el.getparent()
        assert parent == (codes[up.get("guid").lower()][0] if up.tag.endswith("}Code") else None)
    assert len({c[0] for c in codes.values()}) == len(codes)  # duplicate names get distinct ids
    sources = root.findall(".//q:TextSource", NS)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == len(sources)
    assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == len(root.findall(".//q:Coding", NS))
    assert conn.execute("SELECT count(*) FROM participants").fetchone()[0] == len(root.findall(".//q:Case", NS))
    users = root.findall(".//q:User", NS)
    assert f"{len(users)} user(s)" in r.output
    assert root.get("origin") in r.output


# --------------------------------------------------------------------------- hostile files

HOSTILE_FILES = {
    "billion-laughs.qdpx": "DTD",
    "external-entity.qdpx": "DTD",
    "dotdot-member.qdpx": "outside the archive",
    "zip-bomb.qdpx": "ZIP bomb",
    "absolute-outside.qdpx": "outside the allowed folder",
    "relative-outside.qdpx": "leads outside",
    "internal-traversal.qdpx": "outside the archive",
    "deep-codes.qdpx": "nested deeper",
    "not-a-project.qdpx": "neither a .qdpx",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_files_are_refused_in_one_line_and_change_nothing(tmp_path, name):
    copy = tmp_path / "hostile" / name
    copy.parent.mkdir()
    shutil.copy(HOSTILE / name, copy)
    cli = Cli(tmp_path / "p.db")
    cli("import", IMPORT / "interview_id.txt")
    before = digest(cli.db)
    r = cli.fails("import-qdpx", copy)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and HOSTILE_FILES[name] in lines[0], r.output
    assert digest(cli.db) == before
    assert not (tmp_path / "tmp" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    fresh = Cli(tmp_path / "fresh.db")
    fresh.fails("import-qdpx", copy)
    assert not fresh.db.exists()  # a refused first import leaves no project behind


def test_archive_limits_are_checked_before_reading(tmp_path):
    f = write_qdpx(tmp_path / "big.qdpx", qde(""), {"sources/a.txt": b"x" * 5000})
    small = refi.Limits(member_bytes=4000)
    with pytest.raises(refi.InputError, match="unpacks to 5,000 bytes"):
        refi.load_qdpx(f, limits=small)
    many = refi.Limits(members=1)
    with pytest.raises(refi.InputError, match="holds 2 members"):
        refi.load_qdpx(f, limits=many)


# --------------------------------------------------------------------------- the offset map itself

def test_text_map_agrees_with_normalise_on_awkward_text():
    from tematik.corpus import normalise

    raw = "\ufeff  \r\nCafe\u0301 \U0001F600  \r\n\r\n\u1100\u1161 end\t \r"
    tm = refi.TextMap(raw)
    assert tm.text == normalise(raw)
    # a selection of "Café" in the raw file maps onto "Café" in the normalised text
    a, b, aligned = tm.span(raw.index("C"), raw.index(" \U0001F600"), refi.Counting())
    assert tm.text[a:b] == "Café" and aligned
    # every way of counting finds the same words; a count landing inside a surrogate pair is flagged
    for counting in refi.COUNTINGS:
        for word in ("end", "Caf", "\u1100\u1161"):
            start, end = tool_offsets(raw, word, counting.units, counting.line_breaks)
            a, b, aligned = tm.span(start, end, counting)
            assert tm.text[a:b] == normalise(word) and aligned, (counting, word)
    emoji = tool_offsets(raw, "\U0001F600", "utf16", "asis")[0]
    assert tm.map(emoji + 1, refi.Counting("utf16", "asis"))[1] is False
    assert tm.map(len(raw) + 1, refi.Counting()) is None


def test_fast_and_exact_offset_maps_agree():
    """The regex fast path and the character-by-character path give the same text and the same map."""
    import random

    from tematik.corpus import normalise

    rng = random.Random(8)
    pieces = ["a", "b", " ", "\n", "\r", "\r\n", "\t", "\ufeff", "e\u0301", "\u0301", "\U0001F600", "\u00e9",
              "\x0b", "\u2028", "\u00a0"]
    for _ in range(3000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        text, at = refi.tracked_normalise(raw)
        assert text == normalise(raw)
        assert (text, at) == refi._tracked_slow(raw, text), repr(raw)
        assert at[0] == 0 and at[-1] == len(text) and all(a <= b for a, b in zip(at, at[1:], strict=False))


def test_a_bare_project_file_imports_with_sources_beside_it(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("Kami saling percaya.\n", encoding="utf-8")
    xml = qde(f'{CODE_XML}<Sources><TextSource guid="{G("a")}" name="a" plainTextPath="relative://texts/a.txt">'
              f'<PlainTextSelection guid="{G("s")}" startPosition="5" endPosition="19" name="saling percaya">'
              f'<Coding guid="{G("k")}"><CodeRef targetGUID="{G("code")}"/></Coding></PlainTextSelection>'
              f'</TextSource></Sources>')
    (tmp_path / "project.qde").write_text(xml, encoding="utf-8")
    cli = Cli(tmp_path / "p.db")
    cli("import-qdpx", tmp_path / "project.qde")
    assert coded_texts(cli.db) == ["saling percaya"]
    internal = tmp_path / "internal.qde"
    internal.write_text(xml.replace("relative://texts/a.txt", "internal://a.txt"), encoding="utf-8")
    assert "no archive" in cli.fails("import-qdpx", internal).output
