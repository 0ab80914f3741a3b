"""The exchange commands and the project API do the same: merge, import-codings, export codings, export qdpx/qdc
and import-qdpx, run by the CLI on one copy of a project and by the API on another, give the same files and the
same database."""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
import zipfile
from pathlib import Path

import pytest

import tematik
from conftest import DATA, REPO, Cli
from tematik.errors import InputError, NotFound, TematikError
from tematik.models import CODING_STATUSES

COVERED_COMMANDS = {"merge", "import-codings", "export codings", "export qdpx", "export qdc", "import-qdpx"}

IMPORT = DATA / "import"
CODING = DATA / "coding"
#: columns that hold the time something was done: they differ between two runs
STAMPS = {"created", "updated", "imported", "loaded", "at", "done"}


def copy_project(src: Path, dst: Path) -> Path:
    """A whole copy of a project file (the SQLite backup API, so nothing in its WAL is left behind)."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


def dump(db: Path) -> dict[str, list]:
    """Every table of a project as rows, without the columns that hold times (and the project's creation time)."""
    conn = sqlite3.connect(db)
    out: dict[str, list] = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in STAMPS]
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid" if table != "meta" else
                            "SELECT key, value FROM meta WHERE key != 'created' ORDER BY key").fetchall()
        out[table] = rows
    conn.close()
    return out


# --------------------------------------------------------------------------- projects to exchange between

@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """Documents with participants, the study codebook, suggestions, accepted, rejected and manual codings by two
    coders, and memos."""
    home = tmp_path_factory.mktemp("source")
    cli = Cli(home / "source.db")
    cli("import", IMPORT / "interview_id.txt", IMPORT / "observation_id.txt", IMPORT / "interview_en.md",
        "--manifest", IMPORT / "manifest.csv")
    cli("participants", "set", "P01", "years=12", "senior=true")
    cli("codebook", "load", REPO / "codebooks" / "knowledge-sharing.yaml")
    cli("autocode")
    rows = json.loads(cli("codings", "--format", "json").stdout)
    assert len(rows) >= 5
    cli("code", "accept", "--id", str(rows[0]["id"]), "--id", str(rows[1]["id"]), "--coder", "made")
    cli("code", "reject", "--id", str(rows[2]["id"]), "--coder", "made")
    cli("code", "add", "interview_id", "trust", "--match", "percaya", "--coder", "ayu", "--memo", "clear")
    cli("memo", "add", "project", "--text", "First pass.", "--coder", "made")
    return cli.db


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    """ana's project and budi's: the same interview (under another name in budi's), budi's codings on it and on
    a document ana lacks, and a code only budi has."""
    home = tmp_path_factory.mktemp("pair")
    ana, budi = Cli(home / "ana.db"), Cli(home / "budi.db")
    ana("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    ana("codebook", "load", CODING / "mini.yaml")
    ana("code", "add", "doc1", "trust", "--match", "Kami saling percaya.", "--coder", "ana")
    renamed = home / "wawancara-made.txt"
    renamed.write_text((CODING / "doc1.txt").read_text())
    budi("import", renamed, "--participant", "P01", "--language", "id")
    other = home / "other.txt"
    other.write_text("Pewawancara: Ada lagi?\nBu Made: Kami kompak.\n")
    budi("import", other, "--participant", "P01", "--language", "id")
    budi("codebook", "load", CODING / "mini.yaml")
    budi("code", "add", "wawancara-made", "trust", "--match", "Kami saling percaya.", "--coder", "budi")
    budi("code", "add", "wawancara-made", "togetherness", "--match", "Tim kami kompak", "--coder", "budi")
    budi("code", "add", "other", "togetherness", "--match", "Kami kompak", "--coder", "budi")
    return ana.db, budi.db


def placed_line(result, what: str) -> str:
    """The summary line merge and import-codings print first (the lines after it break the counts down), from the
    API's result."""
    return (f"{what}: {result.added} coding(s) added" + (f" by {', '.join(result.coders)}" if result.coders else "")
            + f", {result.present} already here, {len(result.unplaced)} could not be placed"
            + (f"; codes added: {', '.join(result.codes_added)}" if result.codes_added else "") + "\n")


# --------------------------------------------------------------------------- writers: the same files

QDPX_OPTIONS = [
    ((), {}),
    (("--status", "all", "--for", "nvivo"), {"status": "all", "for_": "nvivo"}),
    (("--status", "suggested", "--status", "rejected", "--offsets", "utf16", "--line-breaks", "two"),
     {"status": ["suggested", "rejected"], "offsets": "utf16", "line_breaks": "two"}),
    (("--status", "accepted,suggested", "--for", "maxqda", "--newlines", "lf"),
     {"status": ["accepted", "suggested"], "for_": "maxqda", "newlines": "lf"}),
]


@pytest.mark.parametrize(("args", "kwargs"), QDPX_OPTIONS)
def test_export_qdpx_writes_the_same_file(source, tmp_path, args, kwargs):
    by_cli, by_api = tmp_path / "cli.qdpx", tmp_path / "api.qdpx"
    r = Cli(source)("export", "qdpx", by_cli, *args)
    with tematik.open(source) as p:
        result = p.export_qdpx(by_api, **kwargs)
    assert by_cli.read_bytes() == by_api.read_bytes()  # the export is deterministic: no timestamps of its own
    assert r.stderr.startswith(
        f"wrote {by_cli}: {result.documents} document(s), {result.codes} code(s), {result.codings} coding(s) "
        f"({', '.join(result.statuses)}), {result.cases} case(s), {result.users} user(s), {result.memos} memo(s)")
    assert f"offsets: {result.counting.describe()}" in r.stderr
    assert all(f"not carried: {line}" in r.stderr for line in result.not_carried)
    assert result.path == by_api and result.for_ == kwargs.get("for_")


def test_export_qdc_writes_the_same_file(source, tmp_path):
    r = Cli(source)("export", "qdc", tmp_path / "cli.qdc")
    with tematik.open(source) as p:
        result = p.export_qdc(tmp_path / "api.qdc")
    assert (tmp_path / "cli.qdc").read_bytes() == (tmp_path / "api.qdc").read_bytes()
    assert r.stderr == f"wrote {tmp_path / 'cli.qdc'}: {result.codes} code(s)\n"


@pytest.mark.parametrize(("args", "kwargs"), [
    ((), {}),
    (("--status", "manual", "--coder", "ayu"), {"status": "manual", "coder": "ayu"}),
    (("--status", "all", "--coder", "made,ayu"), {"status": ["all"], "coder": ["made", "ayu"]}),
])
def test_export_codings_writes_the_same_file(source, tmp_path, args, kwargs):
    r = Cli(source)("export", "codings", tmp_path / "cli.csv", *args)
    with tematik.open(source) as p:
        result = p.export_codings(tmp_path / "api.csv", **kwargs)
    assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "api.csv").read_bytes()
    assert r.stdout == (f"wrote {result.codings} coding(s), {result.rejections} rejection(s) and {result.memos} "
                        f"memo(s) to {tmp_path / 'cli.csv'}\n")
    assert result.codings > 0


# --------------------------------------------------------------------------- readers: the same database

def test_merge_changes_the_database_alike(pair, tmp_path):
    ana, budi = pair
    by_cli, by_api = copy_project(ana, tmp_path / "cli.db"), copy_project(ana, tmp_path / "api.db")
    r = Cli(by_cli)("merge", budi)
    with tematik.open(by_api) as p:
        result = p.merge(budi)
    assert dump(by_cli) == dump(by_api)
    assert (result.added, result.present, len(result.unplaced), result.coders) == (2, 0, 1, ("budi",))
    assert r.stdout.splitlines(keepends=True)[0] == placed_line(result, f"merged {budi}")
    assert all(f"{where}: {why}" in r.stderr for where, why in result.unplaced)
    # again: nothing new, said alike
    r = Cli(by_cli)("merge", budi)
    with tematik.open(by_api) as p:
        again = p.merge(str(budi))
    assert dump(by_cli) == dump(by_api) and (again.added, again.present) == (0, 2)
    assert r.stdout.splitlines(keepends=True)[0] == placed_line(again, f"merged {budi}")


def test_import_codings_changes_the_database_alike(pair, tmp_path):
    ana, budi = pair
    rows = tmp_path / "budi.csv"
    Cli(budi)("export", "codings", rows)
    by_cli, by_api = copy_project(ana, tmp_path / "cli.db"), copy_project(ana, tmp_path / "api.db")
    r = Cli(by_cli)("import-codings", rows)
    with tematik.open(by_api) as p:
        result = p.import_codings(rows)
    assert dump(by_cli) == dump(by_api)
    assert (result.added, len(result.unplaced), result.rows) == (2, 1, 3)
    assert r.stdout.splitlines(keepends=True)[0] == placed_line(result, f"imported {rows}")
    empty = tmp_path / "empty.csv"
    empty.write_text("document_sha256,code,start,end,coder\n")
    r = Cli(by_cli)("import-codings", empty)
    with tematik.open(by_api) as p:
        result = p.import_codings(empty)
    assert result.rows == 0 and "the file holds no coding rows" in r.stderr


@pytest.mark.parametrize(("args", "kwargs"), [
    ((), {}),
    (("--source-type", "observation", "--language", "en", "--units", "codepoints", "--line-breaks", "asis"),
     {"source_type": "observation", "language": "en", "units": "codepoints", "line_breaks": "asis"}),
])
def test_import_qdpx_into_a_new_project_alike(source, tmp_path, args, kwargs):
    qdpx = tmp_path / "study.qdpx"
    Cli(source)("export", "qdpx", qdpx, "--status", "all")
    r = Cli(tmp_path / "cli.db")("import-qdpx", qdpx, *args)
    with tematik.open(tmp_path / "api.db", create=True) as p:  # what the command does with a new --db
        result = p.import_qdpx(qdpx, **kwargs)
    assert dump(tmp_path / "cli.db") == dump(tmp_path / "api.db")
    assert r.stdout == (
        f"imported {result.name!r} from {result.origin} into {tmp_path / 'cli.db'}: {result.documents} document(s) "
        f"({result.unchanged} unchanged, {result.replaced} replaced), {result.codes} new code(s) "
        f"({result.codes_matched} matched), {result.codings} coding(s), {result.cases} case(s), "
        f"{result.users} user(s), {result.memos} memo(s)\n")
    assert f"offsets: {result.counting.describe()}" in r.stderr
    assert result.documents == 3 and result.codings > 0


def test_import_qdpx_into_an_existing_project_alike(source, pair, tmp_path):
    qdpx = tmp_path / "study.qdpx"
    Cli(source)("export", "qdpx", qdpx)
    ana, _ = pair
    by_cli, by_api = copy_project(ana, tmp_path / "cli.db"), copy_project(ana, tmp_path / "api.db")
    Cli(by_cli)("import-qdpx", qdpx)
    with tematik.open(by_api) as p:
        result = p.import_qdpx(qdpx)
    assert dump(by_cli) == dump(by_api)
    assert result.documents == 3
    # the same file again: nothing added, by either
    Cli(by_cli)("import-qdpx", qdpx)
    with tematik.open(by_api) as p:
        again = p.import_qdpx(qdpx)
    assert dump(by_cli) == dump(by_api)
    assert (again.documents, again.unchanged, again.codings, again.codings_present) == (0, 3, 0, result.codings)


# --------------------------------------------------------------------------- for a notebook user

def test_statuses_are_read_as_everywhere_and_all_includes_rejected(source, tmp_path):
    with tematik.open(source) as p:
        every = p.export_qdpx(tmp_path / "all.qdpx", status="all")
        listed = p.export_qdpx(tmp_path / "list.qdpx", status=["suggested", "accepted,rejected", "manual"])
        default = p.export_qdpx(tmp_path / "default.qdpx")
        rows = p.export_codings(tmp_path / "all.csv", status="all")
        unfiltered = p.export_codings(tmp_path / "none.csv")
    assert every.statuses == CODING_STATUSES and "rejected" in every.statuses
    assert listed.codings == every.codings
    assert default.statuses == ("accepted", "manual") and default.codings < every.codings
    assert rows.codings == unfiltered.codings
    with open(tmp_path / "all.csv", newline="") as fh:
        assert "rejected" in {row["status"] for row in csv.DictReader(fh)}


def test_errors_are_domain_exceptions_and_nothing_is_printed(source, pair, tmp_path, capsys):
    ana, _ = pair
    with tematik.open(source) as p:
        with pytest.raises(InputError, match="unknown status") as err:
            p.export_qdpx(tmp_path / "x.qdpx", status="maybe")
        assert err.value.field == "--status"
        with pytest.raises(InputError, match="unknown status"):
            p.export_codings(tmp_path / "x.csv", status=["manual", "maybe"])
        with pytest.raises(InputError) as err:
            p.export_qdpx(tmp_path / "x.qdpx", for_="spss")
        assert err.value.field == "--for"
        with pytest.raises(InputError, match="drop --newlines lf"):
            p.export_qdpx(tmp_path / "x.qdpx", line_breaks="two", newlines="lf")
        with pytest.raises(InputError, match="cannot merge a project into itself"):
            p.merge(source)
        with pytest.raises(InputError, match="no such project file"):
            p.merge(tmp_path / "nobody.db")
        with pytest.raises(InputError, match="unknown language"):
            p.import_qdpx(tmp_path / "x.qdpx", language="fr")
        with pytest.raises(InputError) as err:
            p.import_qdpx(tmp_path / "x.qdpx", units="bytes")
        assert err.value.field == "--units"
    assert not (tmp_path / "x.qdpx").exists() and not (tmp_path / "x.csv").exists()
    with tematik.create(tmp_path / "empty.db") as p, pytest.raises(NotFound):
        p.export_qdc(tmp_path / "x.qdc")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,start\ntrust,1\n")
    with tematik.open(ana) as p, pytest.raises(TematikError, match="missing column"):
        p.import_codings(bad)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_import_qdpx_warns_through_the_logger(tmp_path, capsys):
    text = "Bu Komang: Kami saling percaya.\n"
    s = text.index("saling percaya")
    g = "00000000-0000-4000-8000-0000000000{:02d}".format
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="field study" '
           f'origin="Other QDA 9"><CodeBook><Codes><Code guid="{g(1)}" name="Trust" isCodable="true"/></Codes>'
           f'</CodeBook><Sources><TextSource guid="{g(2)}" name="P07"><PlainTextContent>{text}</PlainTextContent>'
           f'<PlainTextSelection guid="{g(3)}" startPosition="{s}" endPosition="{s + 14}"><Coding guid="{g(4)}">'
           f'<CodeRef targetGUID="{g(1)}"/></Coding></PlainTextSelection></TextSource>'
           f'<PDFSource guid="{g(5)}" name="scan" path="internal://scan.pdf"/></Sources></Project>')
    qdpx = tmp_path / "other.qdpx"
    with zipfile.ZipFile(qdpx, "w") as zf:
        zf.writestr("project.qde", xml)
    seen = Collect()
    logger = logging.getLogger("tematik")
    logger.addHandler(seen)
    try:
        with tematik.open(tmp_path / "p.db", create=True) as p:
            result = p.import_qdpx(qdpx)
    finally:
        logger.removeHandler(seen)
    assert (result.documents, result.codes, result.codings) == (1, 1, 1)
    assert any("PDFSource" in w for w in result.warnings)
    assert [r.getMessage() for r in seen.records if r.levelno == logging.WARNING] == list(result.warnings)
    assert capsys.readouterr().out == ""
    # the command says the same warnings
    r = Cli(tmp_path / "cli.db")("import-qdpx", qdpx)
    assert all(w in r.stderr for w in result.warnings)
