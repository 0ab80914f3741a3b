"""Memos on a passage of a document travel through REFI-QDA both ways: ``export qdpx`` writes each as a
PlainTextSelection without a coding holding one NoteRef to its note (offsets counted as the receiving tool counts
them), and ``import-qdpx`` turns a selection without a code but with a note or description, as NVivo and ATLAS.ti
write annotations, into a memo on that passage. Memos on a whole document stay NoteRefs on the TextSource."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest
import xmlschema

import tematik
from conftest import DATA, REPO, Cli, as_the_tool
from tematik import refi

NS = "{urn:QDA-XML:project:1.0}"
SCHEMA = next(p for p in (REPO.parent.parent / "shared" / "refi" / "Project-mrt2019.xsd",
                          REPO.parent / "shared" / "refi" / "Project-mrt2019.xsd",
                          DATA / "refi" / "Project-mrt2019.xsd") if p.is_file())
SAMPLES = next((p for p in (REPO.parent.parent / "shared" / "refi" / "samples",
                            REPO.parent / "shared" / "refi" / "samples") if p.is_dir()), None)

# a night-shift interview on a hospital ward: an emoji outside the BMP before the passages (so UTF-16 code units
# and code points differ) and line breaks before them (so counting a break as two differs from one)
WARD = ("Interviewer: How are the night shifts? \U0001F600\n"
        "Nurse Ana: We are short of staff \U0001F629 every week.\n"
        "Nurse Ana: The team covers for each other on the ward.\n\n"
        "Interviewer: And the handover?\n"
        "Nurse Ana: Handover is rushed, I feel burnt out.\n")

# what each memo is: (document, passage or None for the whole document, text, author)
PASSAGE_MEMOS = [
    ("doc1", "Saya kurang percaya diri kalau presentasi.", "Self-confidence, not trust: keep it out of trust.",
     "ayu"),
    ("ward_night", "short of staff \U0001F629 every week", "Staffing; the emoji is hers.", "ana"),
    ("ward_night", "The team covers for each other", "The same words as the coding, said as a memo.", "ana"),
]
WHOLE_MEMO = ("doc1", None, "Recorded in the staff room.", "ayu")


def G(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "passage-memos:" + name))


def memos(db: Path) -> list[tuple]:
    """Every memo as (target_type, target, text, author, start, end, passage); a coding memo's target is its
    coding's document, code name and span (row ids, and code ids without tematik.json, differ between
    projects)."""
    conn = sqlite3.connect(db)
    texts = dict(conn.execute("SELECT name, text FROM documents"))
    codings = {str(r[0]): r[1:] for r in conn.execute(
        "SELECT c.id, d.name, k.name, c.start, c.end FROM codings c JOIN documents d ON d.id = c.document_id "
        "JOIN codes k ON k.id = c.code_id")}
    out = []
    for t, i, text, author, s, e in conn.execute("SELECT target_type, target_id, text, author, start, end "
                                                 "FROM memos"):
        target = codings[i] if t == "coding" else i
        out.append((t, str(target), text, author, s, e, texts[i][s:e] if s is not None else None))
    conn.close()
    return sorted(out, key=repr)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """Made through the CLI: an Indonesian interview and a ward interview, the mini codebook, two codings (one
    with a memo), three memos on passages (one on the very span of a coding) and one on a whole document."""
    home = tmp_path_factory.mktemp("study")
    cli = Cli(home / "project.db")
    cli("import", DATA / "coding" / "doc1.txt", "--participant", "P07", "--speaker", "Bu Made=P07",
        "--interviewer", "Pewawancara", "--language", "id")
    ward = home / "ward_night.txt"
    ward.write_text(WARD, encoding="utf-8")
    cli("import", ward, "--participant", "N01", "--speaker", "Nurse Ana=N01", "--interviewer", "Interviewer",
        "--language", "en")
    cli("codebook", "load", DATA / "coding" / "mini.yaml")
    cli("code", "add", "doc1", "trust", "--match", "Kami saling percaya", "--coder", "ayu", "--memo",
        "Said firmly.")
    cli("code", "add", "ward_night", "togetherness", "--match", "The team covers for each other", "--coder", "ana")
    texts = dict(sqlite3.connect(cli.db).execute("SELECT name, text FROM documents"))
    for doc, passage, text, author in PASSAGE_MEMOS:
        i = texts[doc].index(passage)
        cli("memo", "add", "document", doc, "--span", f"{i}:{i + len(passage)}", "--text", text, "--coder", author)
    cli("memo", "add", "document", WHOLE_MEMO[0], "--text", WHOLE_MEMO[2], "--coder", WHOLE_MEMO[3])
    return cli.db


def units(text: str, tool: str | None) -> int:
    """The length of ``text`` (normalised: code points, LF) as the export ``--for tool`` counts it."""
    if tool in ("nvivo", "atlas"):
        return len(text.replace("\n", "\r\n").encode("utf-16-le")) // 2
    return len(text)


def export(db: Path, out: Path, *args: str) -> ET.Element:
    Cli(db)("export", "qdpx", out, *args)
    with zipfile.ZipFile(out) as zf:
        xml = zf.read("project.qde")
    xmlschema.XMLSchema(str(SCHEMA)).validate(xml)
    return ET.fromstring(xml)


# --------------------------------------------------------------------------- export

@pytest.mark.parametrize("tool", [None, "nvivo", "maxqda"])
def test_a_passage_memo_is_a_selection_without_coding_holding_its_note(study, tmp_path, tool):
    args = ("--for", tool) if tool else ()
    out = tmp_path / "study.qdpx"
    root = export(study, out, *args)
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{NS}User")}
    notes = {n.get("guid"): n for n in root.iter(f"{NS}Note")}
    texts = dict(sqlite3.connect(study).execute("SELECT name, text FROM documents"))
    found = []
    with zipfile.ZipFile(out) as zf:
        for src in root.iter(f"{NS}TextSource"):
            name, text = src.get("name"), texts[src.get("name")]
            written = zf.read("sources/" + src.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            kids = [k.tag.removeprefix(NS) for k in src]
            # the schema's order: every selection before the source's NoteRefs and variables, in text order
            assert kids == sorted(kids, key=["PlainTextSelection", "NoteRef", "VariableValue"].index)
            sels = src.findall(f"{NS}PlainTextSelection")
            starts = [int(s.get("startPosition")) for s in sels]
            assert starts == sorted(starts)
            for sel in sels:
                if sel.find(f"{NS}Coding") is not None:
                    continue
                refs = sel.findall(f"{NS}NoteRef")
                assert len(refs) == 1 and [k.tag for k in sel] == [f"{NS}NoteRef"]
                note = notes[refs[0].get("targetGUID")]
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                passage = sel.get("name")
                i = text.index(passage)
                # offsets counted as the tool reads them, computed here independently of the export
                assert (s, e) == (units(text[:i], tool), units(text[:i], tool) + units(passage, tool))
                if tool == "nvivo":  # the source file as written, read in UTF-16 code units, gives the passage
                    assert written.encode("utf-16-le")[2 * s:2 * e].decode("utf-16-le") == \
                        passage.replace("\n", "\r\n")
                assert users[sel.get("creatingUser")] == users[note.get("creatingUser")]
                assert sel.get("creationDateTime") == note.get("creationDateTime")
                found.append((name, passage, note.findtext(f"{NS}PlainTextContent"), users[sel.get("creatingUser")]))
            whole = [notes[r.get("targetGUID")].findtext(f"{NS}PlainTextContent") for r in src.findall(f"{NS}NoteRef")]
            assert whole == ([WHOLE_MEMO[2]] if name == WHOLE_MEMO[0] else [])
    assert sorted(found) == sorted(PASSAGE_MEMOS)
    # the coding memo is still on its coding's selection, and the memo on a coding's span did not join it
    coded = [s for s in root.iter(f"{NS}PlainTextSelection") if s.find(f"{NS}Coding") is not None]
    assert sorted(notes[r.get("targetGUID")].findtext(f"{NS}PlainTextContent")
                  for s in coded for r in s.findall(f"{NS}NoteRef")) == ["Said firmly."]
    assert len(coded) == 2 and len(notes) == 5


def test_export_counts_every_memo_and_says_what_it_leaves_out(study, tmp_path):
    with tematik.open(study) as p:
        result = p.export_qdpx(tmp_path / "a.qdpx", for_="nvivo")
    assert (result.memos, result.memos_skipped) == (5, 0)
    assert not [line for line in result.not_carried if "memo" in line]
    r = Cli(study)("export", "qdpx", tmp_path / "b.qdpx")
    assert "5 memo(s)" in r.output
    # a memo on a suggestion the default export leaves out is counted as left out, the passage memos are not
    copy = tmp_path / "copy.db"
    shutil.copy(study, copy)
    cli = Cli(copy)
    cli("autocode")
    conn = sqlite3.connect(copy)
    suggestion = conn.execute("SELECT id FROM codings WHERE status = 'suggested' ORDER BY id").fetchone()[0]
    cli("memo", "add", "coding", str(suggestion), "--text", "Only a suggestion.", "--coder", "ayu")
    with tematik.open(copy) as p:
        result = p.export_qdpx(tmp_path / "c.qdpx")
    assert (result.memos, result.memos_skipped) == (5, 1)
    assert "1 memo(s) on codings not exported left out" in result.not_carried


def test_a_passage_that_cannot_be_placed_goes_as_a_whole_document_memo_and_is_said(study, tmp_path):
    from tematik.store import refi as store_refi

    with tematik.open(study) as p:
        snap = store_refi.snapshot(p.store, name="study")
    bad = [dict(m, end=10_000) if m["text"] == PASSAGE_MEMOS[0][2] else m for m in snap.memos]
    xml, _sources, _side, counts = refi.build_project(dataclasses.replace(snap, memos=tuple(bad)))
    xmlschema.XMLSchema(str(SCHEMA)).validate(xml)
    root = ET.fromstring(xml)
    notes = {n.get("guid"): n.findtext(f"{NS}PlainTextContent") for n in root.iter(f"{NS}Note")}
    doc1 = next(s for s in root.iter(f"{NS}TextSource") if s.get("name") == "doc1")
    assert sorted(notes[r.get("targetGUID")] for r in doc1.findall(f"{NS}NoteRef")) == sorted(
        [WHOLE_MEMO[2], PASSAGE_MEMOS[0][2]])
    assert counts["memos"] == 5 and counts["memos_skipped"] == 0
    assert any("1 memo(s) on a passage outside their document's text go as memos on the whole document" in line
               for line in counts["not_carried"])


# --------------------------------------------------------------------------- the way back

@pytest.mark.parametrize("tool, origin", [(None, None), ("nvivo", None), ("maxqda", None),
                                          ("nvivo", "NVivo 12.6.0.959 for Windows"), ("atlas", "ATLAS.ti 23.2")])
def test_passage_memos_come_back_with_their_offsets_text_and_author(study, tmp_path, tool, origin):
    out = tmp_path / "study.qdpx"
    export(study, out, *(("--for", tool) if tool else ()))
    if origin:
        out = as_the_tool(out, tmp_path / "from-tool.qdpx", origin, nvivo=tool == "nvivo")
    back = Cli(tmp_path / "back.db")
    r = back("import-qdpx", out)
    assert "5 memo(s)" in r.output, r.output
    got, want = memos(back.db), memos(study)
    assert got == want
    passages = [(m[1], m[6], m[2], m[3]) for m in got if m[4] is not None]
    assert sorted(passages) == sorted(PASSAGE_MEMOS)
    whole = [m for m in got if m[0] == "document" and m[4] is None]
    assert [(m[1], m[2], m[3]) for m in whole] == [(WHOLE_MEMO[0], WHOLE_MEMO[2], WHOLE_MEMO[3])]
    # importing the same file again adds nothing
    before = memos(back.db)
    r = back("import-qdpx", out)
    assert "0 memo(s)" in r.output and memos(back.db) == before


# --------------------------------------------------------------------------- annotations other tools write

NVIVO_RAW = ("Interviewer: How was the night? \U0001F600\r\n"
             "Nurse Budi: Too much paperwork \U0001F4DA again.\r\n\r\n"
             "Nurse Budi: The team helps me every night.\r\n"
             "Nurse Budi: I am tired, I want to quit.\r\n")


def utf16(raw: str, passage: str) -> tuple[int, int]:
    """Offsets as NVivo for Windows counts them: UTF-16 code units into the file as written (CRLF as two)."""
    i = raw.index(passage)
    n = len(raw[:i].encode("utf-16-le")) // 2
    return n, n + len(passage.encode("utf-16-le")) // 2


def nvivo_annotations(path: Path) -> Path:
    """An NVivo for Windows archive: one coded selection, an annotation as a Description on a selection without a
    code, and one as a NoteRef to a note by another user."""
    src = G("src").upper()
    sels = []
    for key, passage, inner in [
        ("coded", "The team helps me", f'<Coding guid="{G("coding")}" creatingUser="{G("budi")}">'
                                       f'<CodeRef targetGUID="{G("teamwork")}"/></Coding>'),
        ("described", "paperwork \U0001F4DA again", "<Description>Paperwork, not patients.</Description>"),
        ("noted", "I am tired", f'<NoteRef targetGUID="{G("note")}"/>'),
    ]:
        s, e = utf16(NVIVO_RAW, passage)
        sels.append(f'<PlainTextSelection guid="{G(key)}" name={quoteattr(passage)} startPosition="{s}" '
                    f'endPosition="{e}" creatingUser="{G("budi")}" creationDateTime="2024-05-02T09:00:00Z">'
                    f'{inner}</PlainTextSelection>')
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="ward" '
           f'origin="NVivo 12.6.0.959 for Windows"><Users><User guid="{G("budi")}" name="Budi"/>'
           f'<User guid="{G("sari")}" name="Sari"/></Users><CodeBook><Codes><Code guid="{G("teamwork")}" '
           f'name="Teamwork" isCodable="true"/></Codes></CodeBook><Sources><TextSource guid="{src}" '
           f'name="Night shift" plainTextPath="internal://{src}.txt">{"".join(sels)}</TextSource></Sources>'
           f'<Notes><Note guid="{G("note")}" name="tired" creatingUser="{G("sari")}" '
           f'creationDateTime="2024-05-03T10:00:00Z"><PlainTextContent>{escape("Burnout? Ask at the next visit.")}'
           f'</PlainTextContent></Note></Notes></Project>')
    xmlschema.XMLSchema(str(SCHEMA)).validate(xml)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", xml.encode("utf-8"))
        zf.writestr(f"Sources/{src}.txt", b"\xef\xbb\xbf" + NVIVO_RAW.encode("utf-8"))
    return path


def test_an_annotation_without_a_code_becomes_a_memo_on_its_passage(tmp_path):
    f = nvivo_annotations(tmp_path / "nvivo.qdpx")
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", f)
    assert "UTF-16" in r.output and "2 memo(s)" in r.output
    conn = sqlite3.connect(cli.db)
    text = conn.execute("SELECT text FROM documents").fetchone()[0]
    rows = conn.execute("SELECT target_type, target_id, text, author, created, substr(?, start + 1, end - start) "
                        "FROM memos ORDER BY start", (text,)).fetchall()
    assert rows == [
        ("document", "Night shift", "Paperwork, not patients.", "Budi", "2024-05-02T09:00:00+00:00",
         "paperwork \U0001F4DA again"),
        ("document", "Night shift", "Burnout? Ask at the next visit.", "Sari", "2024-05-03T10:00:00+00:00",
         "I am tired"),
    ]
    assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == 1  # an annotation is not a coding
    # and it goes out again as the same kind of selection, for NVivo at the offsets it came with
    out = tmp_path / "again.qdpx"
    root = export(cli.db, out, "--for", "nvivo")
    annotations = {s.get("name"): (int(s.get("startPosition")), int(s.get("endPosition")))
                   for s in root.iter(f"{NS}PlainTextSelection") if s.find(f"{NS}Coding") is None}
    assert annotations == {p: utf16(NVIVO_RAW, p) for p in ("paperwork \U0001F4DA again", "I am tired")}


def test_reimport_after_the_quoted_form_adds_nothing(tmp_path):
    """A project that imported the file before passage memos holds each annotation as a document memo quoting
    the passage (``[a:b] "quote"`` then the note): importing the file again does not add it a second time."""
    f = nvivo_annotations(tmp_path / "nvivo.qdpx")
    cli = Cli(tmp_path / "p.db")
    cli("import-qdpx", f)
    conn = sqlite3.connect(cli.db)
    text = conn.execute("SELECT text FROM documents").fetchone()[0]
    # what the earlier import wrote (the same rows, the span only in the text)
    for mid, body, s, e in conn.execute("SELECT id, text, start, end FROM memos").fetchall():
        conn.execute("UPDATE memos SET text = ?, start = NULL, end = NULL WHERE id = ?",
                     (f'[{s}:{e}] "{text[s:e]}"\n{body}', mid))
    conn.commit()
    before = conn.execute("SELECT * FROM memos ORDER BY id").fetchall()
    r = cli("import-qdpx", f)
    assert "0 memo(s)" in r.output
    assert conn.execute("SELECT * FROM memos ORDER BY id").fetchall() == before


@pytest.mark.skipif(SAMPLES is None, reason="shared/refi/samples is not beside the repository")
@pytest.mark.parametrize("sample", ["nvivo-sample.qdpx", "atlas-sample.qdpx"])
def test_real_exports_import_as_before_and_annotations_become_passage_memos(tmp_path, sample):
    path = SAMPLES / sample
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("project.qde"))
    cli = Cli(tmp_path / "p.db")
    cli("import-qdpx", path)
    conn = sqlite3.connect(cli.db)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == len(list(root.iter(f"{NS}TextSource")))
    assert conn.execute("SELECT count(*) FROM codes").fetchone()[0] == len(list(root.iter(f"{NS}Code")))
    assert conn.execute("SELECT count(*) FROM codings").fetchone()[0] == len(list(root.iter(f"{NS}Coding")))
    annotations = [s for s in root.iter(f"{NS}PlainTextSelection") if s.find(f"{NS}Coding") is None
                   and (s.find(f"{NS}NoteRef") is not None or (s.findtext(f"{NS}Description") or "").strip())]
    notes = len(list(root.iter(f"{NS}Note")))
    passage = conn.execute("SELECT count(*) FROM memos WHERE start IS NOT NULL").fetchone()[0]
    assert passage == len(annotations)
    assert conn.execute("SELECT count(*) FROM memos").fetchone()[0] <= notes + len(annotations) + len(
        [d for d in root.iter(f"{NS}Description") if (d.text or "").strip()])
    assert not [t for (t,) in conn.execute("SELECT text FROM memos") if re.match(r'\[\d+:\d+\] "', t)]
