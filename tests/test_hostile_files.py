"""Hostile and awkward files given to the readers: ZIP bombs in .docx/.xlsx, symbolic links out of a folder,
editor lock and hidden files, special files, the whole file system, binary tables, impossible dates.

Every refused call: exit 2, one line naming the file, no traceback, the project byte for byte unchanged."""

from __future__ import annotations

import io
import os
import random
import tracemalloc
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from conftest import DATA, digest
from tematik import limits
from tematik.errors import InputError

IMPORT = DATA / "import"
DEMO = Path(__file__).resolve().parents[1] / "corpora" / "ks-library"


@pytest.fixture
def project(cli, db):
    """A project with one document in it, and its digest to compare against after a refused call."""
    cli("import", IMPORT / "interview_id.txt", "--participant", "P01")
    cli.before = digest(db)
    return cli


def refused(cli, *args: str) -> str:
    r = cli.fails(*args)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    assert digest(cli.db) == cli.before
    return lines[0]


def _rezip(data: bytes, replace: dict[str, int], dest: Path) -> Path:
    """Copy an Office file, replacing members by ``size`` bytes of highly compressible (valid-looking) XML."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename not in replace:
                out.writestr(info, src.read(info))
                continue
            with out.open(info.filename, "w", force_zip64=True) as fh:
                fh.write(b'<?xml version="1.0"?><x>')
                chunk = b"<a>aaaaaaaaaaaaaaaaaaaaaaaaaaaa</a>" * 30_000
                for _ in range(replace[info.filename] // len(chunk)):
                    fh.write(chunk)
                fh.write(b"</x>")
    return dest


def _docx_bytes(text: str) -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "text"])
    ws.append(["1", "Kami saling percaya."])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _peak_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- ZIP bombs

def test_a_docx_bomb_is_refused_fast_with_little_memory(project, tmp_path):
    bomb = _rezip(_docx_bytes("Halo"), {"word/document.xml": 60_000_000}, tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 1_000_000  # small on disk, 60 MB unpacked
    peak = _peak_mb(lambda: refused(project, "import", bomb))
    assert peak < 30, f"{peak:.0f} MB"
    line = refused(project, "import", bomb)
    assert "bomb.docx" in line and "word/document.xml" in line and "ZIP bomb" in line
    assert "TEMATIK_LIMIT_RATIO" in line  # says how to raise it


def test_an_xlsx_bomb_is_refused_before_openpyxl_opens_it(project, tmp_path):
    bomb = _rezip(_xlsx_bytes(), {"xl/worksheets/sheet1.xml": 60_000_000}, tmp_path / "bomb.xlsx")
    peak = _peak_mb(lambda: refused(project, "import", bomb))
    assert peak < 30, f"{peak:.0f} MB"
    assert "xl/worksheets/sheet1.xml" in refused(project, "import", bomb)


def test_a_large_member_is_refused_by_its_size_limit_which_can_be_raised(project, tmp_path):
    f = tmp_path / "big.docx"
    f.write_bytes(_rezip(_docx_bytes("Halo"), {"word/document.xml": 3_000_000}, tmp_path / "x.docx").read_bytes())
    line = refused(project, "import", f, "--limit", "member_bytes=1M", "--limit", "ratio=1e6")
    assert "unpacks to" in line and "member_bytes" in line
    line = refused(project, "import", f, "--limit", "total_bytes=2M", "--limit", "ratio=1e6")
    assert "total_bytes" in line


def test_member_sizes_are_counted_while_unpacking_not_taken_from_headers(tmp_path):
    f = tmp_path / "a.zip"
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("m.xml", b"x" * 5000)
    small = limits.Limits(member_bytes=1000)
    with zipfile.ZipFile(f) as z:  # the header check is bypassed: the streamed count alone refuses it
        with pytest.raises(InputError, match="m.xml unpacks to more than 1,000 bytes"):
            limits.read_member(z, z.getinfo("m.xml"), small, "a.zip")
        budget = [3000]
        with pytest.raises(InputError, match="total_bytes"):
            limits.read_member(z, z.getinfo("m.xml"), limits.Limits(), "a.zip", keep=False, budget=budget)
        assert limits.read_member(z, z.getinfo("m.xml"), limits.Limits(), "a.zip") == b"x" * 5000


def test_a_real_docx_and_xlsx_still_import(cli, tmp_path):
    (tmp_path / "a.docx").write_bytes(_docx_bytes("Bu Made: Kami saling percaya."))
    (tmp_path / "b.xlsx").write_bytes(_xlsx_bytes())
    cli("import", tmp_path / "a.docx", tmp_path / "b.xlsx", "--language", "id")


def test_limits_are_named_and_checked(project, tmp_path, monkeypatch):
    f = tmp_path / "long.txt"
    f.write_text("Bu Made: " + "kata " * 3000, encoding="utf-8")
    line = refused(project, "import", f, "--limit", "document_chars=10K")
    assert "long.txt" in line and "document_chars=10,000" in line
    line = refused(project, "import", f, "--limit", "file_bytes=5000")
    assert "file_bytes=5,000" in line
    assert "unknown limit 'bogus'" in refused(project, "import", f, "--limit", "bogus=1")
    assert "positive number" in refused(project, "import", f, "--limit", "rows=-3")
    monkeypatch.setenv("TEMATIK_LIMIT_DOCUMENT_CHARS", "100")
    assert "document_chars=100" in refused(project, "import", f)


# --------------------------------------------------------------------------- folders

def test_a_symlink_out_of_the_folder_is_not_followed(project, db, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:rahasia", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.txt").write_text("Bu Made: Kami saling percaya.", encoding="utf-8")
    (sub / "link.txt").symlink_to(secret)
    (sub / "passwd.txt").symlink_to("/etc/passwd")
    (sub / "same.txt").symlink_to(sub / "a.txt")  # inside the folder: the same file once
    (sub / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    r = project("import", sub, "--language", "id")
    import sqlite3

    with sqlite3.connect(db) as conn:
        names = {n for (n,) in conn.execute("SELECT name FROM documents")}
        assert not conn.execute("SELECT count(*) FROM documents WHERE text LIKE '%root:x%'").fetchone()[0]
    assert names == {"interview_id", "a"}
    assert "link.txt: symbolic link out of the folder" in r.stderr
    assert "passwd.txt: symbolic link out of the folder" in r.stderr
    assert "same.txt: the same file is already in this import" in r.stderr
    assert "dangling.txt: symbolic link to nothing" in r.stderr


def test_lock_hidden_and_special_files_are_skipped_with_a_note(cli, db, tmp_path):
    sub = tmp_path / "sub"
    (sub / ".git").mkdir(parents=True)
    (sub / ".git" / "x.txt").write_text("Bu Made: git", encoding="utf-8")
    (sub / "wawancara.txt").write_text("Bu Made: Kami saling percaya.", encoding="utf-8")
    (sub / "~$wawancara.docx").write_bytes(b"\x00lock")
    (sub / ".~lock.wawancara.docx#").write_text("1,me,host", encoding="utf-8")
    (sub / ".catatan.txt").write_text("Bu Made: tersembunyi", encoding="utf-8")
    (sub / "notes.pdf").write_bytes(b"%PDF-1.4")
    os.mkfifo(sub / "pipe.txt")
    r = cli("import", sub, "--language", "id")
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert [n for (n,) in conn.execute("SELECT name FROM documents")] == ["wawancara"]
    err = r.stderr
    assert "~$wawancara.docx: editor lock or backup file" in err
    assert ".~lock.wawancara.docx#: editor lock or backup file" in err
    assert ".catatan.txt: hidden file" in err and ".git: hidden folder" in err
    assert "pipe.txt: not a regular file" in err
    assert "other types: .pdf (1)" in err


def test_special_files_named_directly_are_refused(project, tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    assert "not a regular file" in refused(project, "import", tmp_path / "pipe.txt")
    assert "not a regular file" in refused(project, "import", "/dev/zero")


def test_importing_the_root_of_the_file_system_is_one_line(project, cli):
    line = refused(project, "import", "/")
    assert "refusing to search the whole file system" in line
    fresh_db = cli.db.parent / "fresh.db"
    r = cli.runner.invoke(__import__("tematik.cli", fromlist=["app"]).app, ["import", "/", "--db", str(fresh_db)])
    assert r.exit_code == 2 and not fresh_db.exists()


@pytest.mark.parametrize("folder", ["/proc", "/dev", "/sys/kernel"])
def test_system_folders_are_not_searched(project, folder):
    if not Path(folder).exists():
        pytest.skip(f"{folder} does not exist here")
    assert "refusing to search a system folder" in refused(project, "import", folder)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_a_note(cli, tmp_path):
    sub = tmp_path / "sub"
    (sub / "locked").mkdir(parents=True)
    (sub / "a.txt").write_text("Bu Made: Kami saling percaya.", encoding="utf-8")
    os.chmod(sub / "locked", 0)
    try:
        r = cli("import", sub, "--language", "id")
    finally:
        os.chmod(sub / "locked", 0o755)
    assert "locked: cannot read this folder" in r.stderr


def test_a_manifest_reports_the_files_it_does_not_list(cli, db, tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("Bu Made: Kami saling percaya.", encoding="utf-8")
    m = tmp_path / "manifest.csv"
    m.write_text("file,participant,date\na.txt,P01,2024-02-29\n", encoding="utf-8")
    r = cli("import", tmp_path, "--manifest", m, "--language", "id")
    assert "imported 1 document" in r.stdout
    assert "not imported (2 file(s) in the folders but not listed in" in r.stderr
    assert "b.txt" in r.stderr and "c.txt" in r.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "d.txt").write_text("Bu Made: Rapat.", encoding="utf-8")
    m.write_text("file,participant\na.txt,P01\nelsewhere/d.txt,P02\n", encoding="utf-8")
    r = cli("import", tmp_path / "a.txt", "--manifest", m, "--language", "id")
    assert "but not under the paths named, so not imported" in r.stderr and "d.txt" in r.stderr


@pytest.mark.parametrize("value", ["2024-02-30", "12/03/2024", "kemarin", "2024-13-01"])
def test_manifest_dates_must_be_real_dates(project, tmp_path, value):
    (tmp_path / "a.txt").write_text("Bu Made: Kami saling percaya.", encoding="utf-8")
    m = tmp_path / "manifest.csv"
    m.write_text(f"file,participant,date\na.txt,P01,{value}\n", encoding="utf-8")
    line = refused(project, "import", tmp_path / "a.txt", "--manifest", m)
    assert f"{m}:2: date:" in line and value in line


def test_the_date_option_must_be_a_real_date(project):
    assert "--date:" in refused(project, "import", IMPORT / "interview_id.txt", "--date", "2023-02-29")


# --------------------------------------------------------------------------- binary tables

def _binary_without_nul(n: int) -> bytes:
    rng = random.Random(1)
    allowed = [b for b in range(1, 256) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]  # cp1252 decodes them all
    return bytes(rng.choice(allowed) for _ in range(n))


def test_a_binary_responses_table_is_one_short_line(cli, db, tmp_path):
    cli("survey", "import", DEMO / "survey" / "responses.csv", "--instrument", DEMO / "survey" / "instrument.yaml")
    before = digest(db)
    f = tmp_path / "responses.csv"
    f.write_bytes(_binary_without_nul(20_000))
    r = cli.fails("survey", "import", f, "--instrument", DEMO / "survey" / "instrument.yaml", "--replace")
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and len(line) < 200, line
    assert "responses.csv" in line and "binary file" in line
    assert digest(db) == before


@pytest.mark.parametrize("content", [_docx_bytes("x"), b"%PDF-1.7\n...", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_a_binary_file_with_a_text_suffix_is_named_for_what_it_is(project, tmp_path, content):
    f = tmp_path / "answers.csv"
    f.write_bytes(content)
    line = refused(project, "import", f)
    assert "answers.csv" in line and "binary file" in line and len(line) < 200


def test_xlsx_worksheets_have_their_own_limit_because_openpyxl_streams_them(project, tmp_path):
    f = tmp_path / "many.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("a")
    ws.append(["id", "text"])
    rng = random.Random(3)
    words = "kami saling percaya dan berbagi informasi di perpustakaan setiap hari".split()
    for i in range(6_000):
        ws.append([f"R{i}", " ".join(rng.choice(words) for _ in range(12))])
    wb.save(f)
    assert zipfile.ZipFile(f).getinfo("xl/worksheets/sheet1.xml").file_size > 1_100_000
    line = refused(project, "import", f, "--limit", "sheet_bytes=1M", "--language", "id")
    assert "sheet1.xml" in line and "sheet_bytes" in line
    project("import", f, "--limit", "member_bytes=1M", "--language", "id", "--id-column", "id")
