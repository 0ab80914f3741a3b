"""REFI-QDA files as other tools really write them: NVivo for Windows (``Sources/``, UTF-16 code units, CRLF as
two), qc (scheme-less paths, sources without names), MAXQDA projects shared unzipped, files with one selection;
exports counted for each tool, re-read by an independent reader written here; hostile paths still refused."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

import pytest
import xmlschema

from conftest import DATA, REPO, Cli, as_the_tool, digest

SCHEMA_CANDIDATES = [REPO.parent.parent / "shared" / "refi" / "Project-mrt2019.xsd",
                     DATA / "refi" / "Project-mrt2019.xsd"]
NS = "{urn:QDA-XML:project:1.0}"


@pytest.fixture(scope="module")
def project_schema() -> xmlschema.XMLSchema:
    path = next(p for p in SCHEMA_CANDIDATES if p.is_file())
    return xmlschema.XMLSchema(str(path))


def G(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "real:" + name))


# emoji in and outside the BMP, a ZWJ sequence with a skin tone, CRLF line breaks as NVivo for Windows writes them
RAW = ("Interviewer: How was the first week? \U0001F600\r\n"
       "Ayu: Honestly \U0001F469\U0001F3FD\u200d\U0001F4BB it was hard, but we trust each other.\r\n\r\n"
       "Ayu: We share \U0001F4DA books on WhatsApp \U0001F389 every day.\r\n"
       "Interviewer: And the \u2615 cafe\u0301?\r\n"
       "Ayu: The caf\u00e9 \U0001F600\U0001F600 is where we talk.\r\n")
PASSAGES = ("trust each other", "share \U0001F4DA books", "WhatsApp \U0001F389 every day", "where we talk")


def count(s: str, units: str, breaks: str) -> int:
    """Length of ``s`` as a tool counting ``units`` (codepoints|utf16) and line ``breaks`` (asis|one|two) sees it."""
    if breaks == "one":
        s = s.replace("\r\n", "\n")
    elif breaks == "two":
        s = re.sub(r"\r\n|\r|\n", "\r\n", s)
    return len(s.encode("utf-16-le")) // 2 if units == "utf16" else len(s)


def offsets(raw: str, passage: str, units: str, breaks: str) -> tuple[int, int]:
    i = raw.index(passage)
    return count(raw[:i], units, breaks), count(raw[:i], units, breaks) + count(passage, units, breaks)


def selections_xml(raw: str, passages, units: str, breaks: str, *, names: bool, code: str = "code",
                   user: str = "user") -> str:
    out = []
    for p in passages:
        s, e = offsets(raw, p, units, breaks)
        name = f" name={quoteattr(p)}" if names else ""
        out.append(f'<PlainTextSelection guid="{G("sel" + p)}" startPosition="{s}" endPosition="{e}"{name} '
                   f'creatingUser="{G(user)}"><Coding guid="{G("cod" + p)}" creatingUser="{G(user)}">'
                   f'<CodeRef targetGUID="{G(code)}"/></Coding></PlainTextSelection>')
    return "".join(out)


def project_xml(sources: str, *, origin: str, users: str = "", codes: str = "") -> str:
    users = users or f'<User guid="{G("user")}" name="Ayu Lestari"/>'
    codes = codes or f'<Code guid="{G("code")}" name="Trust" isCodable="true"/>'
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="field study" '
            f'origin="{origin}"><Users>{users}</Users><CodeBook><Codes>{codes}</Codes></CodeBook>'
            f'<Sources>{sources}</Sources></Project>')


def zip_project(path: Path, xml: str, members: dict[str, bytes], *, qde: str = "project.qde") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(qde, xml.encode("utf-8"))
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def coded(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    return sorted(conn.execute("SELECT d.name, substr(d.text, c.start + 1, c.end - c.start) FROM codings c "
                               "JOIN documents d ON d.id = c.document_id"))


def nfc(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", s)


# --------------------------------------------------------------------------- item 1: where the sources are

def nvivo_windows(path: Path, *, names: bool = True, passages=PASSAGES) -> Path:
    """An archive as NVivo 12 for Windows writes it: ``Sources/`` with a capital S, UTF-16 + CRLF offsets."""
    src = G("nvivo-src")
    xml = project_xml(f'<TextSource guid="{src.upper()}" name="Interview Ayu" '
                      f'plainTextPath="internal://{src.upper()}.txt">'
                      f'{selections_xml(RAW, passages, "utf16", "asis", names=names)}</TextSource>',
                      origin="NVivo 12.6.0.959 for Windows")
    return zip_project(path, xml, {f"Sources/{src.upper()}.txt": b"\xef\xbb\xbf" + RAW.encode("utf-8")})


def test_nvivo_windows_sources_folder_and_utf16_crlf_offsets(tmp_path):
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", nvivo_windows(tmp_path / "nvivo.qdpx"))
    assert coded(cli.db) == sorted(("Interview Ayu", nfc(p)) for p in PASSAGES), r.output
    assert "UTF-16" in r.output
    conn = sqlite3.connect(cli.db)
    assert conn.execute("SELECT DISTINCT coder FROM codings").fetchall() == [("Ayu Lestari",)]


def test_schemeless_paths_and_sources_without_names(tmp_path):
    """qc writes ``plainTextPath="board_2017.txt"`` (an anyURI without scheme) and no ``name``."""
    texts = {"board_2017.txt": "We met the board in 2017.\nThey trust each other.\n",
             "notes 2018.txt": "The second meeting.\nWe share books.\n"}
    sources = "".join(
        f'<TextSource guid="{G(n)}" plainTextPath={quoteattr(p)}>'
        f'{selections_xml(texts[n], [passage], "codepoints", "asis", names=False)}</TextSource>'
        for n, p, passage in [("board_2017.txt", "board_2017.txt", "trust each other"),
                              ("notes 2018.txt", "notes%202018.txt", "share books")])
    xml = project_xml(sources, origin="qc 1.1.0")
    # one text in sources/, one at the root of the archive
    f = zip_project(tmp_path / "qc.qdpx", xml, {"sources/board_2017.txt": texts["board_2017.txt"].encode(),
                                                  "notes 2018.txt": texts["notes 2018.txt"].encode()})
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", f)
    assert coded(cli.db) == [("board_2017", "trust each other"), ("notes 2018", "share books")], r.output


@pytest.mark.parametrize("qde_name, sources", [("project.qde", "sources"), ("Study 2024.qde", "sources"),
                                               ("project.qde", "Sources")])
@pytest.mark.parametrize("point_at", ["qde", "folder"])
def test_unzipped_project_beside_its_sources_folder(tmp_path, qde_name, sources, point_at):
    """MAXQDA shares projects unzipped: ``project.qde`` (or ``<name>.qde``) beside ``sources/`` (any case)."""
    folder = tmp_path / "shared project"
    (folder / sources).mkdir(parents=True)
    raw = RAW.replace("\r\n", "\n")
    src = G("maxqda-src")
    (folder / sources / f"{src}.txt").write_text(raw, encoding="utf-8")
    xml = project_xml(f'<TextSource guid="{src}" name="Ayu" plainTextPath="internal://{src}.txt">'
                      f'{selections_xml(raw, PASSAGES, "codepoints", "asis", names=True)}</TextSource>',
                      origin="MAXQDA 24 (Release 24.4.0)")
    (folder / qde_name).write_text(xml, encoding="utf-8")
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", folder / qde_name if point_at == "qde" else folder)
    assert coded(cli.db) == sorted(("Ayu", nfc(p)) for p in PASSAGES), r.output


def test_a_folder_with_no_or_several_qde_files_is_refused(tmp_path):
    cli = Cli(tmp_path / "p.db")
    (tmp_path / "empty").mkdir()
    assert "without a project.qde" in cli.fails("import-qdpx", tmp_path / "empty").output
    (tmp_path / "two").mkdir()
    for n in ("a.qde", "b.qde"):
        (tmp_path / "two" / n).write_text(project_xml("", origin="x"), encoding="utf-8")
    assert "2 .qde files" in cli.fails("import-qdpx", tmp_path / "two").output
    assert not cli.db.exists()


def hostile_folder(tmp_path: Path, path_attr: str, *, link: tuple[str, Path] | None = None) -> Path:
    folder = tmp_path / "proj"
    (folder / "sources").mkdir(parents=True)
    if link:
        (folder / "sources" / link[0]).symlink_to(link[1])
    xml = project_xml(f'<TextSource guid="{G("h")}" name="h" plainTextPath={quoteattr(path_attr)}/>',
                      origin="MAXQDA 24")
    (folder / "project.qde").write_text(xml, encoding="utf-8")
    return folder


@pytest.mark.parametrize("attr, expected", [
    ("../../etc/passwd", "outside"),
    ("/etc/passwd", "outside"),
    ("C:\\Windows\\win.ini", "outside"),
    ("sources/../../secret.txt", "outside"),
    ("%2e%2e/secret.txt", "outside"),  # an escaped climb is refused once unescaped
    ("internal://../secret.txt", "outside"),
    ("leak.txt", "outside the allowed folder"),  # a symlink in sources/ pointing out of the folder
    ("internal://leak.txt", "outside the allowed folder"),
])
def test_hostile_schemeless_and_folder_paths_are_refused(tmp_path, attr, expected):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n", encoding="utf-8")
    folder = hostile_folder(tmp_path, attr, link=("leak.txt", secret))
    cli = Cli(tmp_path / "p.db")
    cli("import-qdpx", nvivo_windows(tmp_path / "ok.qdpx"))
    before = digest(cli.db)
    r = cli.fails("import-qdpx", folder)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "refused" in lines[0], r.output
    assert digest(cli.db) == before
    # the same paths inside an archive are refused too
    xml = (folder / "project.qde").read_text(encoding="utf-8")
    if not attr.startswith("internal://") and attr != "leak.txt":
        r = cli.fails("import-qdpx", zip_project(tmp_path / "h.qdpx", xml, {"sources/x.txt": b"x"}))
        assert "outside the archive" in r.output and digest(cli.db) == before


# --------------------------------------------------------------------------- item 3: little evidence

def long_lf_text(seed: int = 3, lines: int = 800) -> str:
    import random

    rng = random.Random(seed)
    words = ["we", "share", "books", "the", "library", "trust", "each", "other", "staff", "meet", "every", "week",
             "reading", "room", "talk", "about", "new", "ideas", "colleagues", "help"]
    speakers = ["Interviewer", "Ayu", "Made"]
    return "".join(f"{rng.choice(speakers)}: {' '.join(rng.choice(words) for _ in range(rng.randint(4, 14)))}.\n"
                   for _ in range(lines))


def one_selection_archive(path: Path, raw: str, passage_at: tuple[int, int], *, origin: str, units: str,
                          breaks: str = "asis", name: str | None = None) -> Path:
    i, j = passage_at
    s, e = count(raw[:i], units, breaks), count(raw[:j], units, breaks)
    named = f" name={quoteattr(name)}" if name else ""
    src = G("one")
    xml = project_xml(f'<TextSource guid="{src}" name="one" plainTextPath="internal://{src}.txt">'
                      f'<PlainTextSelection guid="{G("s1")}" startPosition="{s}" endPosition="{e}"{named}>'
                      f'<Coding guid="{G("c1")}"><CodeRef targetGUID="{G("code")}"/></Coding>'
                      f'</PlainTextSelection></TextSource>', origin=origin)
    return zip_project(path, xml, {f"sources/{src}.txt": raw.encode("utf-8")})


def imported(path: Path, **options):
    from tematik import refi

    return refi.build_import(refi.load_qdpx(path), options=refi.ImportOptions(**options))


def test_one_unnamed_selection_in_a_long_lf_file_lands_every_time(tmp_path):
    """An NVivo for Mac file cut down to one selection without a name: a text without CRLF never counts each break
    as two, so the selection lands where the tool put it, however far into the text, and tematik says it is sure."""
    import random

    raw = long_lf_text()
    rng = random.Random(11)
    for trial in range(20):
        starts = [m.start() for m in re.finditer(r"(?<= )\w+ \w+ \w+", raw)]
        i = rng.choice(starts[len(starts) // 3:])
        j = i + len(" ".join(raw[i:].split(" ")[:3]).split(".")[0].split("\n")[0])
        f = one_selection_archive(tmp_path / f"mac{trial}.qdpx", raw, (i, j), origin="NVivo for Mac 15.0.0",
                                  units="utf16")
        bundle = imported(f)
        (c,) = bundle.codings
        assert (c.start, c.end) == (i, j), (trial, bundle.counting.describe())
        assert bundle.counting.confidence == "sure" and bundle.counting.counting.line_breaks != "two"
        assert not [w for w in bundle.warnings if w.startswith("offsets:")]


EMOJI_LF = ("Interviewer: Welcome \U0001F600 \U0001F44B and thanks.\nAyu: \U0001F4DA\U0001F4DA we read a lot "
            "together.\nAyu: We trust each other here.\n")


@pytest.mark.parametrize("origin, units, confidence", [
    ("NVivo for Mac 15.0.0", "utf16", "likely"),  # the origin says UTF-16
    ("QualCoder 3.6", "codepoints", "likely"),  # the origin says code points
    ("Unknown QDA 1.0", "codepoints", "guess"),  # nothing to go on: the simplest counting, and a warning
])
def test_origin_decides_when_the_selections_cannot_and_the_doubt_is_said(tmp_path, origin, units, confidence):
    i = EMOJI_LF.index("trust each")
    f = one_selection_archive(tmp_path / "e.qdpx", EMOJI_LF, (i, i + len("trust each other")), origin=origin,
                              units=units)
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", f)
    assert coded(cli.db) == [("one", "trust each other")], r.output
    shown = {"likely": "likely", "guess": "a guess"}[confidence]
    assert f"({shown}:" in r.output
    warning = [ln for ln in r.output.splitlines() if "place codings differently" in ln]
    assert warning and ("code points" in warning[0] and "UTF-16" in warning[0]), r.output
    if confidence == "likely":
        assert origin in r.output


def test_given_units_override_the_origin(tmp_path):
    i = EMOJI_LF.index("trust each")
    f = one_selection_archive(tmp_path / "e.qdpx", EMOJI_LF, (i, i + len("trust each other")),
                              origin="NVivo for Mac 15.0.0", units="codepoints")
    assert imported(f).codings[0].start != i  # NVivo's convention would misplace it
    bundle = imported(f, units="codepoints")
    assert bundle.codings[0].start == i and bundle.counting.confidence == "sure"


def test_nvivo_windows_one_unnamed_selection_uses_its_convention(tmp_path):
    cli = Cli(tmp_path / "p.db")
    r = cli("import-qdpx", nvivo_windows(tmp_path / "n.qdpx", names=False, passages=PASSAGES[-1:]))
    assert coded(cli.db) == [("Interview Ayu", PASSAGES[-1])], r.output
    assert "UTF-16 code units, line breaks as in the file" in r.output


def test_names_still_prove_each_break_as_two_on_a_text_without_crlf(tmp_path):
    """The rule gives way to hard evidence: when only "two" makes the selection names match, it is taken, with a
    warning naming the other choice."""
    raw = long_lf_text(lines=30)
    i = raw.index("\n", 400) + 1
    j = raw.index(":", i)
    f = one_selection_archive(tmp_path / "t.qdpx", raw, (i, j), origin="Unknown", units="codepoints", breaks="two",
                              name=raw[i:j])
    bundle = imported(f)
    assert (bundle.codings[0].start, bundle.codings[0].end) == (i, j)
    assert bundle.counting.counting.line_breaks == "two" and bundle.counting.confidence == "likely"
    assert any("no CRLF" in w for w in bundle.warnings)


# --------------------------------------------------------------------------- items 2, 4, 5: exports other tools read

EMOJI = ["\U0001F600", "\U0001F4DA", "\U0001F389", "\U0001F44D\U0001F3FD", "\u2615", "\U0001F469\u200d\U0001F4BB",
         "\U0001F1EE\U0001F1E9", "\u00e9", "\U0001F914"]


def emoji_rich(seed: int = 5, lines: int = 60) -> tuple[str, list[tuple[int, int]]]:
    """A CRLF text dense with astral-plane characters and, per line, the span of a few words after an emoji."""
    import random

    rng = random.Random(seed)
    words = ["we", "share", "books", "library", "trust", "staff", "meet", "week", "reading", "talk", "ideas"]
    raw, spans = "", []
    for n in range(lines):
        head = f"{rng.choice(['Interviewer', 'Ayu', 'Made'])}: {' '.join(rng.choice(EMOJI) for _ in range(n % 4))} "
        body = " ".join(rng.choice(words) + rng.choice(["", "", rng.choice(EMOJI)]) for _ in range(5))
        line = f"{head}{body}."
        start = len(raw) + len(head)
        spans.append((start, start + len(body.split(" ")[0]) + 1 + len(body.split(" ")[1])))
        raw += line + ("\r\n\r\n" if n % 7 == 6 else "\r\n")
    return raw, spans


def nvivo_emoji_project(path: Path) -> tuple[Path, list[str]]:
    """An NVivo for Windows archive of an emoji-rich text: 60 codings by one user, a second user who never coded,
    a code NVivo marked not codable (a folder of codes), UTF-16 + CRLF offsets, unnamed selections."""
    raw, spans = emoji_rich()
    src = G("emoji-src").upper()
    sels = []
    for k, (i, j) in enumerate(spans):
        s, e = count(raw[:i], "utf16", "asis"), count(raw[:j], "utf16", "asis")
        code = "child" if k % 2 else "code"
        sels.append(f'<PlainTextSelection guid="{G(f"es{k}")}" startPosition="{s}" endPosition="{e}" '
                    f'creatingUser="{G("user")}"><Coding guid="{G(f"ec{k}")}" creatingUser="{G("user")}">'
                    f'<CodeRef targetGUID="{G(code)}"/></Coding></PlainTextSelection>')
    codes = (f'<Code guid="{G("folder")}" name="Themes" isCodable="false">'
             f'<Code guid="{G("code")}" name="Trust" isCodable="true"/>'
             f'<Code guid="{G("child")}" name="Sharing" isCodable="true"/></Code>')
    users = f'<User guid="{G("user")}" name="Ayu Lestari"/><User guid="{G("reader")}" name="Budi (reviewer)"/>'
    xml = project_xml(f'<TextSource guid="{src}" name="Emoji interview" plainTextPath="internal://{src}.txt">'
                      f'{"".join(sels)}</TextSource>', origin="NVivo 12.6.0.959 for Windows", users=users, codes=codes)
    f = zip_project(path, xml, {f"Sources/{src}.txt": raw.encode("utf-8")})
    return f, [nfc(raw[i:j]) for i, j in spans]


def read_utf16(path: Path, breaks: str = "asis") -> dict[str, list[tuple[str, str]]]:
    """An independent REFI reader following NVivo's convention: offsets are UTF-16 code units into the source file
    as written (``breaks="one"``: into the file with CRLF read as one). Returns document -> [(code name, text)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        codes = {c.get("guid"): c.get("name") for c in root.iter(f"{NS}Code")}
        for source in root.iter(f"{NS}TextSource"):
            member = "sources/" + source.get("plainTextPath").split("://", 1)[1]
            text = zf.read(member).decode("utf-8-sig")
            if breaks == "one":
                text = text.replace("\r\n", "\n")
            units = text.encode("utf-16-le")
            for sel in source.iter(f"{NS}PlainTextSelection"):
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                piece = units[2 * s:2 * e].decode("utf-16-le", errors="replace")
                for coding in sel.iter(f"{NS}Coding"):
                    code = codes[coding.find(f"{NS}CodeRef").get("targetGUID")]
                    out.setdefault(source.get("name"), []).append((code, piece))
    return out


def read_codepoints(path: Path, breaks: str) -> dict[str, list[tuple[str, str]]]:
    """The same reader for tools counting code points (MAXQDA, QualCoder): CRLF read as one line break."""
    out: dict[str, list[tuple[str, str]]] = {}
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        codes = {c.get("guid"): c.get("name") for c in root.iter(f"{NS}Code")}
        for source in root.iter(f"{NS}TextSource"):
            text = zf.read("sources/" + source.get("plainTextPath").split("://", 1)[1]).decode("utf-8-sig")
            if breaks == "one":
                text = text.replace("\r\n", "\n")
            for sel in source.iter(f"{NS}PlainTextSelection"):
                piece = text[int(sel.get("startPosition")):int(sel.get("endPosition"))]
                for coding in sel.iter(f"{NS}Coding"):
                    out.setdefault(source.get("name"), []).append(
                        (codes[coding.find(f"{NS}CodeRef").get("targetGUID")], piece))
    return out


@pytest.fixture(scope="module")
def emoji_db(tmp_path_factory) -> tuple[Path, list[str]]:
    home = tmp_path_factory.mktemp("emoji")
    f, passages = nvivo_emoji_project(home / "nvivo.qdpx")
    cli = Cli(home / "p.db")
    r = cli("import-qdpx", f)
    assert sorted(t for _, t in coded(cli.db)) == sorted(passages), r.output
    return cli.db, passages


def test_export_for_nvivo_is_read_back_by_a_utf16_reader_on_the_same_text(emoji_db, tmp_path, project_schema):
    db, passages = emoji_db
    cli = Cli(db)
    out = tmp_path / "for-nvivo.qdpx"
    r = cli("export", "qdpx", out, "--for", "nvivo")
    assert "UTF-16 code units, each line break as two" in r.output
    with zipfile.ZipFile(out) as zf:
        project_schema.validate(zf.read("project.qde"))
        texts = [zf.read(n) for n in zf.namelist() if n.startswith("sources/")]
    assert texts and all(b"\r\n" in t for t in texts)  # CRLF written, so "as in the file" and "two" agree
    got = read_utf16(out)["Emoji interview"]
    assert len(got) == len(passages) == 60
    assert sorted(t.replace("\r\n", "\n") for _, t in got) == sorted(passages)
    # every coding on its own code too
    conn = sqlite3.connect(db)
    mine = sorted(conn.execute("SELECT k.name, substr(d.text, c.start + 1, c.end - c.start) FROM codings c "
                               "JOIN codes k ON k.id = c.code_id JOIN documents d ON d.id = c.document_id"))
    assert sorted((c, t.replace("\r\n", "\n")) for c, t in got) == mine


def test_the_default_export_counts_code_points_which_a_utf16_reader_misplaces(emoji_db, tmp_path):
    """The problem the issue met: a code-point export read under NVivo's convention lands few codings right."""
    db, passages = emoji_db
    out = tmp_path / "default.qdpx"
    r = Cli(db)("export", "qdpx", out)
    assert "code points, each line break as one" in r.output
    got = read_utf16(out)["Emoji interview"]
    right = sum(t in passages for _, t in got)
    assert right < len(passages) // 2
    assert sorted(t for _, t in read_codepoints(out, "asis")["Emoji interview"]) == sorted(passages)


@pytest.mark.parametrize("tool, reader, newline", [
    ("maxqda", lambda p: read_codepoints(p, "one"), b"\r\n"),
    ("qualcoder", lambda p: read_codepoints(p, "asis"), None),
    ("atlas", lambda p: read_utf16(p), b"\r\n"),
])
def test_each_preset_is_read_back_by_its_convention(emoji_db, tmp_path, tool, reader, newline, project_schema):
    db, passages = emoji_db
    out = tmp_path / f"{tool}.qdpx"
    Cli(db)("export", "qdpx", out, "--for", tool)
    with zipfile.ZipFile(out) as zf:
        project_schema.validate(zf.read("project.qde"))
        text = next(zf.read(n) for n in zf.namelist() if n.startswith("sources/"))
    assert (b"\r\n" in text) == (newline is not None)
    assert sorted(t.replace("\r\n", "\n") for _, t in reader(out)["Emoji interview"]) == sorted(passages)


def test_explicit_options_override_a_preset_and_contradictions_are_refused(emoji_db, tmp_path):
    db, passages = emoji_db
    cli = Cli(db)
    out = tmp_path / "x.qdpx"
    cli("export", "qdpx", out, "--for", "nvivo", "--offsets", "codepoints")
    assert sorted(t.replace("\r\n", "\n") for _, t in read_codepoints(out, "asis")["Emoji interview"]) == \
        sorted(passages)
    r = cli.fails("export", "qdpx", tmp_path / "y.qdpx", "--line-breaks", "two", "--newlines", "lf")
    assert "--newlines" in r.output and not (tmp_path / "y.qdpx").exists()


@pytest.mark.parametrize("tool", ["nvivo", "maxqda", "qualcoder", "atlas"])
def test_exports_for_each_tool_come_back_into_tematik(emoji_db, tmp_path, tool):
    """Round trip through each convention: with tematik.json, and as the tool would give it back (no tematik.json,
    no selection names, the tool's origin)."""
    db, passages = emoji_db
    out = tmp_path / f"{tool}.qdpx"
    Cli(db)("export", "qdpx", out, "--for", tool)
    back = Cli(tmp_path / "back.db")
    back("import-qdpx", out)
    assert sorted(t for _, t in coded(back.db)) == sorted(passages)
    origin = {"nvivo": "NVivo 12.6.0.959 for Windows", "maxqda": "MAXQDA 24", "qualcoder": "QualCoder 3.6",
              "atlas": "ATLAS.ti for Windows 23.2.3"}[tool]
    stripped = tmp_path / f"{tool}-as-the-tool.qdpx"
    as_the_tool(out, stripped, origin, nvivo=tool == "nvivo")
    tool_back = Cli(tmp_path / "tool-back.db")
    r = tool_back("import-qdpx", stripped)
    assert sorted(t for _, t in coded(tool_back.db)) == sorted(passages), r.output


def test_export_keeps_is_codable_and_users_who_never_coded(emoji_db, tmp_path, project_schema):
    db, _ = emoji_db
    out = tmp_path / "keep.qdpx"
    Cli(db)("export", "qdpx", out)
    with zipfile.ZipFile(out) as zf:
        root = ET.fromstring(zf.read("project.qde"))
    codable = {c.get("name"): c.get("isCodable") for c in root.iter(f"{NS}Code")}
    assert codable == {"Themes": "false", "Trust": "true", "Sharing": "true"}
    users = {u.get("name"): u.get("guid") for u in root.iter(f"{NS}User")}
    assert users == {"Ayu Lestari": G("user"), "Budi (reviewer)": G("reader")}  # GUIDs kept, as NVivo wrote them
    qdc = tmp_path / "codes.qdc"
    Cli(db)("export", "qdc", qdc)
    assert 'name="Themes" isCodable="false"' in qdc.read_text(encoding="utf-8")


def test_export_says_what_it_cannot_carry(tmp_path):
    cli = Cli(tmp_path / "p.db")
    cli("import", DATA / "import" / "interview_id.txt")
    cli("codebook", "load", REPO / "codebooks" / "knowledge-sharing.yaml")
    cli("autocode")
    rows = json.loads(cli("codings", "--format", "json").stdout)
    cli("code", "accept", "--id", str(rows[0]["id"]), "--coder", "made")
    r = cli("export", "qdpx", tmp_path / "o.qdpx")
    suggested = sum(1 for x in rows[1:] if x["status"] == "suggested")
    assert f"{suggested} suggested coding(s) not exported" in r.output
    assert "travel only in tematik.json" in r.output


def test_a_codebook_with_guids_that_are_not_uuids_loads_with_a_warning(tmp_path):
    qdc = tmp_path / "maxqda-codes.qdc"
    qdc.write_text('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="X">'
                   '<Codes><Code guid="C1" name="Trust" isCodable="true"><Code guid="C1.1" name="Openness" '
                   'isCodable="true"/></Code><Code guid="{8F1D4E2A-1111-2222-3333-444455556666}" name="Sharing" '
                   'isCodable="false"/></Codes></CodeBook>', encoding="utf-8")
    cli = Cli(tmp_path / "p.db")
    r = cli("codebook", "load", qdc)
    assert "2 code GUID(s) are not UUIDs" in r.output and "'C1'" in r.output
    conn = sqlite3.connect(cli.db)
    rows = {n: (p, json.loads(d)) for n, p, d in conn.execute("SELECT name, parent_id, data FROM codes")}
    assert rows["Openness"][0] == "trust" and rows["Trust"][0] is None
    assert all(uuid.UUID(d["refi_guid"]) for _, d in rows.values())
    assert rows["Sharing"][1]["refi_guid"] == "8f1d4e2a-1111-2222-3333-444455556666"
    assert rows["Sharing"][1]["refi_codable"] is False
    again = Cli(tmp_path / "q.db")
    again("codebook", "load", qdc)
    assert sorted(json.loads(d)["refi_guid"] for (d,) in sqlite3.connect(again.db).execute(
        "SELECT data FROM codes")) == sorted(d["refi_guid"] for _, d in rows.values())  # the same new GUIDs
