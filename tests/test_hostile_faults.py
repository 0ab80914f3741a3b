"""Faults and concurrency (issue 16 items 1, 8, 10): what tematik promises when the disk, the file or another
process gets in the way.

- Work computed from a document's text is stored only if the document still has that text (checked inside the
  write transaction), so a document re-imported while `autocode` runs never gets suggestions of its old text.
- A project another process is writing: wait with a message, then exit 75 with the file unchanged.
- Read-only, full, damaged, non-SQLite and empty project files: one line, exit 2, no traceback, file unchanged.
- Ctrl-C while the command line loads: one line, exit 130.
- A project is created whole or not at all (killed at any statement of `init`); every file tematik writes is
  replaced whole or left as it was; a report folder carries MANIFEST.json written last.

Real project files, the real CLI (CliRunner or a subprocess), real SQLite locks and real kernel limits.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DATA, digest

CODING = DATA / "coding"
REPLACEMENT = "Bu Made: Kami kompak.\n"  # much shorter than doc1: suggestions of the old text fall outside it


def run(*args: str, cwd: Path, env: dict | None = None, preexec=None, timeout: float = 60
        ) -> subprocess.CompletedProcess:
    """``python -m tematik ARGS`` in a real process."""
    return subprocess.run([sys.executable, "-m", "tematik", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, preexec_fn=preexec, timeout=timeout)


def one_line_error(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    assert "Traceback" not in text, text
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, text
    return errors[0]


@pytest.fixture
def project(cli, tmp_path):
    """Two interviews and the mini codebook; nothing auto-coded yet."""
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    second = tmp_path / "doc2.txt"
    second.write_text("Pewawancara: Ada lagi?\nPak Gede: Kami kompak dan saling percaya. Kami rapat tiap hari.\n")
    cli("import", second, "--participant", "P02", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    return cli


def codings(cli) -> list[dict]:
    return json.loads(cli("codings", "--format", "json").stdout)


def replace_doc1(cli, tmp_path) -> None:
    """`tematik import --replace` of doc1 with a much shorter text, through the real CLI (its own connection)."""
    new = tmp_path / "new" / "doc1.txt"
    new.parent.mkdir(exist_ok=True)
    new.write_text(REPLACEMENT)
    cli("import", new, "--participant", "P01", "--language", "id", "--replace", "--force")


# --------------------------------------------------------------------------- item 1: replace while autocode runs


def test_suggestions_from_a_replaced_text_are_refused_inside_the_write_transaction(project, tmp_path):
    """The race in the order that reproduces it: suggestions computed from the old text, the document replaced by
    another connection, then the store call: refused, nothing written, not marked done."""
    from tematik import nlp
    from tematik.corpus import sha256
    from tematik.errors import DocumentChanged
    from tematik.models import Coding
    from tematik.project import Project
    from tematik.store import Store
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    with Store.open(project.db) as store:
        cb, digest_ = Project(store)._codebook()
        doc_id = store_corpus.document_id(store, "doc1")
        old = store_corpus.get_document(store, "doc1")
        [(_, suggestions)] = list(nlp.autocode([old], cb))
        assert any(s.end > len(REPLACEMENT) for s in suggestions)  # they would not fit the new text

        replace_doc1(project, tmp_path)  # another process's write, between compute and store
        before = store.query("SELECT * FROM codings ORDER BY id")
        with pytest.raises(DocumentChanged, match="doc1"):
            store_coding.store_suggestions(store, doc_id, suggestions, codebook_hash=digest_, unit="sentence",
                                           text_sha256=sha256(old.text), name="doc1")
        with pytest.raises(DocumentChanged):
            store_corpus.save_segments(store, doc_id, "sentence", nlp.units(old, "sentence"),
                                       text_sha256=sha256(old.text))
        with pytest.raises(DocumentChanged):  # a manual coding placed by the old text's offsets, too
            store_coding.add_codings(store, [Coding(document="doc1", code="trust", start=60, end=80,
                                                    status="manual", coder="ana")],
                                     texts={"doc1": sha256(old.text)})
        assert store.query("SELECT * FROM codings ORDER BY id") == before
        new_id = store_corpus.document_id(store, "doc1")
        assert new_id in store_coding.autocode_pending(store, codebook_hash=digest_, unit="sentence")


def test_autocode_recodes_a_document_replaced_while_it_runs(project, tmp_path, monkeypatch):
    """End to end: `tematik autocode` codes doc1 from the text it loaded; before its results are stored another
    connection replaces doc1 (a real `import --replace`). Before the fix this stored doc1's old suggestions on the
    new text or died with FOREIGN KEY constraint failed (doc1 is not the last document)."""
    from tematik import nlp

    real = nlp.autocode
    replaced = []

    def replace_after_compute(documents, *args, **kwargs):
        for document, suggestions in real(documents, *args, **kwargs):
            if document.name == "doc1" and not replaced and document.text != REPLACEMENT:
                replace_doc1(project, tmp_path)  # a real write by another connection at the worst moment
                replaced.append(document.name)
            yield document, suggestions

    monkeypatch.setattr(nlp, "autocode", replace_after_compute)
    r = project("autocode")
    assert replaced == ["doc1"]
    assert "re-imported meanwhile; coded again from its new text" in r.stderr
    rows = codings(project)
    doc1 = [c for c in rows if c["document"] == "doc1"]
    assert doc1 and all(c["end"] <= len(REPLACEMENT) for c in doc1)
    assert {c["text"] for c in doc1} == {"Kami kompak."}
    assert {c["document"] for c in rows} == {"doc1", "doc2"}
    assert "nothing to do" in project("autocode").stdout  # done, and done on the text it has


def test_a_replacement_that_keeps_the_id_is_auto_coded_and_segmented_again(project):
    """Re-anchoring `import --replace` keeps document ids: the text hash, not the id, says what is pending."""
    from tematik.corpus import sha256
    from tematik.project import Project
    from tematik.store import Store
    from tematik.store import corpus as store_corpus

    project("autocode")
    with Store.open(project.db) as store:
        doc_id = store_corpus.document_id(store, "doc1")
        with store.transaction():  # the text replaced in place, same id and same `imported` stamp
            store.conn.execute("UPDATE documents SET text = ?, sha256 = ?, chars = ?, words = 3 WHERE id = ?",
                               (REPLACEMENT, sha256(REPLACEMENT), len(REPLACEMENT), doc_id))
            store.conn.execute("DELETE FROM codings WHERE document_id = ?", (doc_id,))
            store.conn.execute("DELETE FROM turns WHERE document_id = ?", (doc_id,))
        assert store_corpus.documents_without_segments(store, "sentence") == [doc_id]
        assert Project(store)._ensure_segments("sentence") == 1
        spans = store.query("SELECT start, end FROM segments WHERE document_id = ? AND unit = 'sentence'",
                            (doc_id,))
        assert all(s["end"] <= len(REPLACEMENT) for s in spans)
    r = project("autocode")
    assert "auto-coded 1 document" in r.stdout


def test_deleting_a_documents_suggestions_seeks_the_document_index(project):
    """Finding a document's open suggestions (to keep the ids of those made again and delete the others) must not
    walk the status index (every suggestion of the project) per document: the statement store_suggestions really
    runs is planned on codings_doc, with and without a code filter; the DELETE goes by id."""
    from tematik.models import Suggestion
    from tematik.store import Store
    from tematik.store import coding as store_coding

    project("autocode")
    with Store.open(project.db) as store:
        executed: list[str] = []
        store.conn.set_trace_callback(executed.append)
        doc_id = store.scalar("SELECT id FROM documents WHERE name = 'doc2'")
        s = Suggestion(code="trust", start=0, end=5, match_start=0, match_end=5, matched="x", rule="r")
        for codes in (None, ["trust", "communication"]):
            executed.clear()
            store_coding.store_suggestions(store, doc_id, [s], codebook_hash="h", unit="sentence", codes=codes)
            finds = [q for q in executed
                     if q.lstrip().upper().startswith("SELECT ID, CODE_ID, START, END FROM CODINGS")]
            assert len(finds) == 1
            plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + finds[0]))
            assert "codings_doc" in plan and "codings_status" not in plan and "codings_analysis" not in plan, plan
            for q in executed:
                if q.lstrip().upper().startswith("DELETE FROM CODINGS"):
                    plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + q))
                    assert "INTEGER PRIMARY KEY" in plan, plan
        store.conn.set_trace_callback(None)


# --------------------------------------------------------------------------- busy projects


def hold_write_lock(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_busy_project_waits_with_a_message_then_fails_cleanly(project, tmp_path):
    extra = tmp_path / "doc3.txt"
    extra.write_text("Bu Ayu: Kami rapat.\n")
    before = digest(project.db)
    lock = hold_write_lock(project.db)
    try:
        start = time.monotonic()
        r = project("--wait", "0.6", "import", extra, "--language", "id", ok=False)
        waited = time.monotonic() - start
    finally:
        lock.rollback()
        lock.close()
    assert r.exit_code == 75, r.output
    assert "waiting for the project" in r.stderr and "held by another tematik process" in r.stderr
    line = one_line_error(r.stderr)
    assert "busy" in line and "--wait" in line and str(project.db) in line
    assert waited >= 0.5
    assert digest(project.db) == before
    project("import", extra, "--language", "id")  # and it works once the lock is gone


def test_a_busy_project_is_written_once_the_other_process_finishes(project, tmp_path):
    """Two real processes: the test holds the lock, `tematik import` waits, the lock goes, the import lands."""
    extra = tmp_path / "doc3.txt"
    extra.write_text("Bu Ayu: Kami rapat.\n")
    lock = hold_write_lock(project.db)
    proc = subprocess.Popen([sys.executable, "-m", "tematik", "import", str(extra), "--language", "id", "--db",
                             str(project.db)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TEMATIK_BUSY_TIMEOUT": "20"})
    said = ""
    try:  # let go once it says that it waits
        deadline = time.monotonic() + 60
        while "waiting for the project" not in said and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
            line = proc.stderr.readline() if ready else ""
            if not line:
                break
            said += line
        assert proc.poll() is None, said  # still waiting
    finally:
        lock.rollback()
        lock.close()
    out, err = proc.communicate(timeout=60)
    err = said + err
    assert proc.returncode == 0, err
    assert "waiting for the project" in err and "Traceback" not in err
    assert "imported 1 document" in out


def test_wait_option_and_environment_are_checked():
    from typer.testing import CliRunner

    from tematik.cli import app

    r = CliRunner().invoke(app, ["--wait", "soon", "docs"])
    assert r.exit_code == 2 and "--wait" in r.output
    r = CliRunner().invoke(app, ["docs"], env={"TEMATIK_BUSY_TIMEOUT": "-3"})
    assert r.exit_code == 2 and "TEMATIK_BUSY_TIMEOUT" in r.output


# --------------------------------------------------------------------------- read-only, full, damaged, empty


@pytest.fixture
def read_only(db):
    """Make the project file read-only for this process: chmod, plus the immutable flag when running as root
    (root ignores permission bits)."""
    state = {"chattr": False}

    def apply() -> None:
        os.chmod(db, 0o444)
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
                pytest.skip("running as root without chattr: a read-only file cannot be made")
            state["chattr"] = True

    yield apply
    if state["chattr"]:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
    os.chmod(db, 0o644)


def test_read_only_project_refuses_writes_in_one_line_and_still_reads(project, tmp_path, read_only):
    extra = tmp_path / "doc3.txt"
    extra.write_text("Bu Ayu: Kami rapat.\n")
    read_only()
    before = digest(project.db)
    assert "doc1" in project("docs").stdout
    r = project.fails("import", extra, "--language", "id")
    assert "read-only" in one_line_error(r.stderr)
    r = project.fails("autocode")
    assert "read-only" in one_line_error(r.stderr)
    assert digest(project.db) == before


def test_sqlite_disk_full_is_a_storage_error_and_changes_nothing(project, tmp_path):
    """SQLITE_FULL for real: the store's connection may not grow the file past its present pages."""
    from tematik.corpus import FileMeta, read_path
    from tematik.errors import StorageError
    from tematik.store import Store
    from tematik.store import corpus as store_corpus

    big = tmp_path / "big.txt"
    big.write_text("Bu Ayu: " + " ".join(f"kata{i}" for i in range(60000)) + "\n")
    before = digest(project.db)
    with pytest.raises(StorageError, match="disk is full") as info:
        with Store.open(project.db) as store:
            pages = store.scalar("PRAGMA page_count")
            store.conn.execute(f"PRAGMA max_page_count = {pages}")
            docs = read_path(big, FileMeta(language="id")).documents
            store_corpus.apply_import(store, store_corpus.plan_import(store, docs))
    assert str(project.db) in str(info.value)
    assert digest(project.db) == before
    assert [d["name"] for d in json.loads(project("docs", "--format", "json").stdout)] == ["doc1", "doc2"]


def _limit_file_size(limit: int):
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_disk_full_while_importing_in_a_real_process(project, tmp_path):
    """The kernel refuses to grow any file past 300 KB (RLIMIT_FSIZE) while a 1.3 MB import is written."""
    big = tmp_path / "big.txt"
    big.write_text("Bu Ayu: " + " ".join(f"kata{i}" for i in range(150000)) + "\n")
    before = digest(project.db)
    r = run("import", str(big), "--language", "id", "--db", str(project.db), cwd=tmp_path,
            preexec=_limit_file_size(300_000))
    assert r.returncode == 2, r.stderr
    line = one_line_error(r.stderr)
    assert str(project.db) in line and "nothing was changed" in line
    assert digest(project.db) == before
    assert len(json.loads(project("docs", "--format", "json").stdout)) == 2


def test_writing_to_a_full_device_is_one_line(project, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    project("autocode")
    r = project.fails("codebook", "export", "--output", "/dev/full")
    assert "disk is full" in one_line_error(r.stderr)
    r = project.fails("export", "codings", "/dev/full")
    assert "/dev/full" in one_line_error(r.stderr)
    r = project.fails("export", "qdpx", "/dev/full")
    assert "disk is full" in one_line_error(r.stderr)


def test_an_export_that_fails_midway_leaves_the_old_file_whole(project, tmp_path):
    """A real process whose writes the kernel stops at 200 bytes: the old export stays as it was and no
    temporary file is left behind. (The test keeps the project open so that the process never has to grow
    the project's -wal/-shm files.)"""
    out = tmp_path / "out" / "codebook.yaml"
    out.parent.mkdir()
    out.write_text("OLD\n")
    keep_open = sqlite3.connect(str(project.db))
    keep_open.execute("SELECT count(*) FROM documents").fetchone()
    try:
        r = run("codebook", "export", "--output", str(out), "--db", str(project.db), cwd=tmp_path,
                preexec=_limit_file_size(200))
    finally:
        keep_open.close()
    assert r.returncode == 2, r.stderr
    assert "too large" in one_line_error(r.stderr)
    assert out.read_text() == "OLD\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["codebook.yaml"]
    project("codebook", "export", "--output", out)
    assert "Kepercayaan" in out.read_text()


def test_damaged_and_foreign_files_are_one_line(cli, tmp_path):
    cli("import", CODING / "doc1.txt", "--language", "id")
    size = cli.db.stat().st_size
    with cli.db.open("r+b") as fh:  # every page but the header page scribbled over
        for page in range(1, size // 4096):
            fh.seek(page * 4096 + 8)
            fh.write(b"\xff" * 300)
    before = digest(cli.db)
    for args in (("docs",), ("codings",), ("import", CODING / "doc1.txt", "--language", "id", "--replace")):
        r = cli.fails(*args)
        assert "damaged" in one_line_error(r.stderr)
    assert digest(cli.db) == before

    foreign = tmp_path / "notes.db"
    foreign.write_bytes(os.urandom(8192))
    r = cli.fails("docs", "--db", foreign)
    assert "not a SQLite database" in one_line_error(r.stderr)


def test_empty_file_left_by_an_old_interrupted_init(cli):
    cli.db.write_bytes(b"")
    r = cli.fails("docs")
    assert "empty file (0 bytes)" in one_line_error(r.stderr) and "tematik init" in r.stderr
    cli("init")
    assert cli("docs").exit_code == 0
    cli.db.unlink()
    cli.db.write_bytes(b"")
    cli("import", CODING / "doc1.txt", "--language", "id")  # a first import treats it as no project
    assert "doc1" in cli("docs").stdout


# --------------------------------------------------------------------------- Ctrl-C while loading


SIGINT_AT_IMPORT = """
import os, signal, sys
MODULE = sys.argv[1]
class SignalOnImport:  # delivers a real SIGINT when the command line starts to import this module
    def find_spec(self, name, path=None, target=None):
        if name == MODULE:
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, SignalOnImport())
sys.argv = ["tematik", "docs", "--db", sys.argv[2]]
from tematik.__main__ import main
main()
"""


@pytest.mark.parametrize("module", ["typer", "tematik.cli.common", "tematik.cli.refi"])
def test_ctrl_c_while_the_command_line_loads_is_one_line_and_130(tmp_path, module):
    """Ctrl-C (a real SIGINT) at a chosen moment of loading the command line, before any command handler
    exists: one line, exit 130 (the interpreter's own start-up, before tematik runs, is out of reach)."""
    script = tmp_path / "sigint.py"
    script.write_text(SIGINT_AT_IMPORT)
    r = subprocess.run([sys.executable, str(script), module, str(tmp_path / "none.db")], capture_output=True,
                       text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 130, r.stderr
    assert r.stderr.strip() == "interrupted"


# --------------------------------------------------------------------------- projects and files whole or not at all


KILL_AT = """
import os, signal, sys
from tematik import store
target, n = sys.argv[1], int(sys.argv[2])
count = [0]
real = store._Connection.execute
def execute(self, sql, *args):
    count[0] += 1
    if count[0] == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, sql, *args)
store._Connection.execute = execute
store.Store.create(target).close()
print(count[0])
"""


def test_init_killed_at_any_statement_leaves_no_project_or_a_whole_one(tmp_path):
    """`Store.create` killed (SIGKILL) at statement n for n across its whole run: the next command works."""
    from tematik.store import SCHEMA_VERSION, Store

    script = tmp_path / "kill_at.py"
    script.write_text(KILL_AT)
    total = int(subprocess.run([sys.executable, str(script), str(tmp_path / "probe.db"), "0"],
                               capture_output=True, text=True, check=True).stdout)
    assert total > 10
    for n in sorted({1, 2, 4, total // 3, total // 2, total - 2, total - 1, total}):
        folder = tmp_path / f"k{n}"
        folder.mkdir()
        db = folder / "project.db"
        r = subprocess.run([sys.executable, str(script), str(db), str(n)], capture_output=True, text=True)
        assert r.returncode == -signal.SIGKILL, (n, r.stderr)
        if db.exists():  # killed after the finished file was put in place: it is whole
            assert n > total - 8
            with Store.open(db) as s:
                assert s.schema_version == SCHEMA_VERSION
                assert s.scalar("SELECT count(*) FROM meta WHERE key = 'created'") == 1
        else:
            leftovers = [p.name for p in folder.iterdir()]
            assert all(name.endswith((".creating", ".creating-wal", ".creating-shm", ".creating-journal"))
                       for name in leftovers), leftovers
            with Store.open(db, create=True) as s:  # the next command just works, and sweeps the leftovers
                assert s.schema_version == SCHEMA_VERSION
        assert sorted(p.name for p in folder.iterdir()) == ["project.db"], n


KILL_IMPORT_AT = """
import os, signal, sys
from tematik import store
target, n, source = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = [0]
def counted(real):
    def run(self, sql, *args):
        count[0] += 1
        if count[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, sql, *args)
    return run
store._Connection.execute = counted(store._Connection.execute)
store._Connection.executemany = counted(store._Connection.executemany)
sys.argv = ["tematik", "import", source, "--language", "id", "--db", target]
from tematik.cli import main
try:
    main()
except SystemExit:
    pass
print(count[0])
"""


def test_first_import_killed_at_any_statement_then_imported_again(tmp_path):
    """A first `tematik import` (which creates the project) killed at statement n: no 0-byte or half project;
    the same import run again gives the project a clean run gives."""
    script = tmp_path / "kill_import_at.py"
    script.write_text(KILL_IMPORT_AT)
    source = CODING / "doc1.txt"
    probe = tmp_path / "probe.db"
    total = int(subprocess.run([sys.executable, str(script), str(probe), "0", str(source)], capture_output=True,
                               text=True, check=True).stdout.split()[-1])
    from conftest import Cli

    expected = json.loads(Cli(probe)("docs", "--format", "json").stdout)
    assert [d["name"] for d in expected] == ["doc1"]
    for n in sorted({3, total // 2, total - 4, total - 1}):
        db = tmp_path / f"k{n}" / "project.db"
        db.parent.mkdir()
        r = subprocess.run([sys.executable, str(script), str(db), str(n), str(source)], capture_output=True,
                           text=True)
        assert r.returncode == -signal.SIGKILL, (n, r.stderr)
        assert not db.exists() or db.stat().st_size > 0
        again = Cli(db)
        again("import", source, "--language", "id")
        assert json.loads(again("docs", "--format", "json").stdout) == expected, n


def test_init_never_replaces_a_project_that_appeared_meanwhile(tmp_path):
    from tematik.errors import ProjectError
    from tematik.store import Store

    db = tmp_path / "p.db"
    Store.create(db).close()
    before = digest(db)
    with pytest.raises(ProjectError, match="already exists"):
        Store.create(db)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]


def test_atomic_open_keeps_the_old_file_when_the_writer_fails(tmp_path):
    from tematik.fileio import atomic_open, write_text

    target = tmp_path / "table.csv"
    target.write_text("old,file\n")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w") as fh:
            fh.write("new,half")
            raise RuntimeError("writer failed midway")
    assert target.read_text() == "old,file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    write_text(target, "new,file\n")
    assert target.read_text() == "new,file\n"
    assert target.stat().st_mode & 0o777 == 0o640  # permissions kept
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    write_text(link, "via,link\n")
    assert link.is_symlink() and target.read_text() == "via,link\n"


def test_report_folder_has_a_manifest_written_last(tmp_path):
    from tematik.export import report as writers
    from tematik.fileio import MANIFEST, check_manifest
    from tematik.report import Paragraph, Report, Section

    doc = Report(title="T", subtitle="S", sections=(Section(key="a", title="A", blocks=(Paragraph("hello"),)),))
    folder = tmp_path / "report"
    written = writers.write_all(doc, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert {e["file"] for e in manifest["files"]} == {"report.html", "report.md", "report.xlsx", "report.docx"}
    assert written["manifest"] == folder / MANIFEST
    assert check_manifest(folder) == []
    (folder / "report.md").write_text("# an older run\n")  # a mix of runs is told apart
    assert check_manifest(folder) == ["report.md: not the file of this run"]
    (folder / MANIFEST).unlink()
    assert "not completely written" in check_manifest(folder)[0]


# --------------------------------------------------------------------------- a really full disk (a tiny tmpfs)


def _mount_tmpfs(mnt: Path, options: str):
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    return mnt


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs: real ENOSPC for SQLite and for files. Needs root (mount); skipped elsewhere."""
    yield _mount_tmpfs(tmp_path / "disk", "size=1m")
    subprocess.run(["umount", "-l", str(tmp_path / "disk")], capture_output=True)


@pytest.fixture
def read_only_disk(tmp_path):
    """A read-only file system (EROFS). Needs root (mount); skipped elsewhere."""
    yield _mount_tmpfs(tmp_path / "ro", "size=1m,ro")
    subprocess.run(["umount", "-l", str(tmp_path / "ro")], capture_output=True)


def test_writing_onto_a_read_only_file_system_is_one_line(project, read_only_disk):
    for args in (("codebook", "export", "--output", read_only_disk / "cb.yaml"),
                 ("freq", "--format", "csv", "--output", read_only_disk / "f.csv"),
                 ("freq", "--chart", read_only_disk / "sub" / "f.png"),
                 ("export", "qdc", read_only_disk / "cb.qdc"),
                 ("report", "--output", read_only_disk / "report")):
        r = project.fails(*args)
        assert "read-only" in one_line_error(r.stderr), args


def test_project_on_a_full_disk(small_disk, tmp_path):
    from conftest import Cli

    cli = Cli(small_disk / "project.db")
    cli("init")
    cli("import", CODING / "doc1.txt", "--language", "id")
    before = digest(cli.db)
    big = tmp_path / "big.txt"
    big.write_text("Bu Ayu: " + " ".join(f"kata{i}" for i in range(150000)) + "\n")
    r = cli.fails("import", big, "--language", "id")
    line = one_line_error(r.stderr)
    assert "disk is full" in line and "database or disk is full" in line and "nothing was changed" in line
    assert digest(cli.db) == before
    assert [d["name"] for d in json.loads(cli("docs", "--format", "json").stdout)] == ["doc1"]


def test_report_on_a_full_disk_leaves_no_half_file_and_no_manifest(small_disk, cli, tmp_path):
    doc = tmp_path / "w.txt"
    doc.write_text("Pewawancara: Apa kabar?\nBu Ani: Kami saling percaya.\n", encoding="utf-8")
    cli("import", doc, "--participant", "P1", "--language", "id", "--speaker", "Pewawancara=interviewer")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("code", "add", "w", "trust", "--match", "saling percaya")
    (small_disk / "filler").write_bytes(b"\0" * (1024 * 1024 - 8192))  # leave the disk nearly full
    out = small_disk / "report"
    r = cli.fails("report", "--output", out)
    assert "disk is full" in one_line_error(r.stderr)
    left = [p for p in out.rglob("*")] if out.exists() else []
    assert not [p for p in left if p.name.endswith(".tmp")], left
    assert not (out / "MANIFEST.json").exists()
    assert all(p.is_dir() or p.stat().st_size > 0 for p in left), left


# --------------------------------------------------------------------------- two real processes at once


def test_autocode_and_a_replacing_import_in_two_processes_reach_the_state_of_a_clean_run(cli, tmp_path):
    """`tematik autocode` and `tematik import --replace` run at the same time in two processes (whatever the
    interleaving): the project stays sound, no suggestion lies outside its document, and finishing with
    `autocode` gives exactly what a clean `autocode --redo` gives."""
    base = (CODING / "doc1.txt").read_text()
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(24):
        (folder / f"doc{i:02}.txt").write_text(base.replace("Bu Made", f"Bu Made{i}"))
    cli("import", folder, "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    changed = tmp_path / "changed" / "doc20.txt"
    changed.parent.mkdir()
    changed.write_text(REPLACEMENT)
    common = ["--db", str(cli.db)]
    coder = subprocess.Popen([sys.executable, "-m", "tematik", "autocode", *common], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    importer = subprocess.Popen([sys.executable, "-m", "tematik", "import", str(changed), "--language", "id",
                                 "--replace", "--force", *common], cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    for proc in (coder, importer):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "Traceback" not in err, err
    conn = sqlite3.connect(str(cli.db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        outside = conn.execute("SELECT count(*) FROM codings c JOIN documents d ON d.id = c.document_id "
                               "WHERE c.end > d.chars").fetchone()[0]
        assert outside == 0
    finally:
        conn.close()
    cli("autocode")  # whatever was left pending

    def suggested() -> list[tuple]:
        return sorted((c["document"], c["code"], c["start"], c["end"], c["text"]) for c in codings(cli))

    after_race = suggested()
    cli("autocode", "--redo")
    assert suggested() == after_race
    assert {t for d, _, _, _, t in after_race if d == "doc20"} == {"Kami kompak."}


def test_a_project_on_a_read_only_medium_can_be_read_not_written(project, tmp_path):
    medium = _mount_tmpfs(tmp_path / "medium", "size=1m")
    try:
        copy = medium / "project.db"
        copy.write_bytes(project.db.read_bytes())
        r = subprocess.run(["mount", "-o", "remount,ro", str(medium)], capture_output=True)
        if r.returncode != 0:
            pytest.skip("cannot remount read-only")
        from conftest import Cli

        there = Cli(copy)
        assert [d["name"] for d in json.loads(there("docs", "--format", "json").stdout)] == ["doc1", "doc2"]
        r = there.fails("autocode")
        assert "read-only" in one_line_error(r.stderr)
    finally:
        subprocess.run(["umount", "-l", str(medium)], capture_output=True)


def test_report_command_lists_every_file_of_the_run_in_its_manifest(cli, tmp_path):
    from tematik.fileio import MANIFEST, check_manifest

    doc = tmp_path / "w.txt"
    doc.write_text("Pewawancara: Apa kabar?\nBu Ani: Kami saling percaya. Kami rapat tiap Senin.\n", encoding="utf-8")
    cli("import", doc, "--participant", "P1", "--language", "id", "--speaker", "Pewawancara=interviewer")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("code", "add", "w", "trust", "--match", "saling percaya")
    out = tmp_path / "report"
    out.mkdir()
    (out / MANIFEST).write_text('{"files": []}')  # an older run's manifest is not trusted past the start
    r = cli("report", "--output", out)
    assert "MANIFEST.json" in r.stdout
    files = {e["file"] for e in json.loads((out / MANIFEST).read_text())["files"]}
    assert {"report.html", "report.md", "report.xlsx", "report.docx"} <= files
    assert {"charts/theme_frequencies.png", "charts/cooccurrence.png"} <= files
    assert check_manifest(out) == []
    assert not [p for p in out.rglob("*.tmp")]
