"""The codebook commands and the project API give the same results on the same project (issue 17): validate,
load, show, export, versions; and the API behaves as a library (exceptions, no printing)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli
from tematik.errors import CodebookError, InputError, NotFound
from tematik.export.tables import as_rows
from tematik.project.codebook import code_rows, read_codebook, validate_codebook

COVERED_COMMANDS = {"codebook validate", "codebook load", "codebook show", "codebook export", "codebook versions"}

CODING = DATA / "coding"
SMALL = DATA / "codebook" / "small.yaml"
STUDY2 = DATA / "study2"
QDC = ('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000001" name="Trust" isCodable="true">'
       '<Description>Staff rely on each other.</Description><Code guid="9f3c2b1a-0000-4000-8000-000000000004" '
       'name="Reliance" isCodable="true"/></Code>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000002" name="trust" isCodable="true"/>'
       '<Code guid="9f3c2b1a-0000-4000-8000-000000000003" name="Openness" isCodable="true"/>'
       '</Codes></CodeBook>')


def app():
    from tematik.cli import app as cli_app

    return cli_app


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    """A project with a document, the small codebook (a tree, factor links) loaded over the mini one, and
    codings of every status."""
    home = tmp_path_factory.mktemp("coded")
    cli = Cli(home / "coded.db")
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("codebook", "load", SMALL)
    for code, text in (("trust", "percaya"), ("communication", "Komunikasinya"), ("trust", "kepercayaan"),
                       ("togetherness", "kompak"), ("communication", "rapat")):
        cli("code", "add", "doc1", code, "--match", text)
    with sqlite3.connect(cli.db) as conn:
        conn.execute("UPDATE codings SET status = 'suggested', coder = 'auto' WHERE id = 2")
        conn.execute("UPDATE codings SET status = 'rejected', coder = 'auto' WHERE id = 3")
        conn.execute("UPDATE codings SET status = 'accepted', coder = 'auto' WHERE id = 5")
    conn.close()
    return cli.db


def copies(source: Path | None, tmp_path: Path) -> tuple[Cli, Path]:
    """Two copies of a project (or two empty places): one for the CLI, one for the API."""
    a, b = tmp_path / "cli.db", tmp_path / "api.db"
    if source is not None:
        shutil.copy(source, a)
        shutil.copy(source, b)
    return Cli(a), b


def codebook_state(db: Path) -> dict:
    """What a load changes: the codebooks (without their load time) and the codes."""
    conn = sqlite3.connect(db)
    try:
        books = conn.execute("SELECT id, name, version, hash, source, format, loaded_by FROM codebooks ORDER BY id"
                             ).fetchall()
        codes = conn.execute("SELECT id, name, parent_id, colour, definition, data, codebook_id, active FROM codes "
                             "ORDER BY rowid").fetchall()
        log = conn.execute("SELECT action, entity, entity_id, before, after FROM audit_log "
                           "WHERE entity = 'codebook' ORDER BY id").fetchall()
    finally:
        conn.close()
    return {"codebooks": books, "codes": codes, "log": log}


# --------------------------------------------------------------------------- codebook validate

@pytest.mark.parametrize("path", [CODING / "mini.yaml", DATA / "codebook" / "broken.yaml",
                                  STUDY2 / "codebook.yaml", DATA / "nope.yaml"], ids=lambda p: p.name)
def test_validate_reports_what_the_command_prints(cli, path):
    r = cli.runner.invoke(app(), ["codebook", "validate", str(path)])
    result = validate_codebook(path)
    assert r.exit_code == (0 if result.ok else 2)
    if result.ok:
        assert r.stdout == f"{path}: ok\n"
        assert r.stderr.strip() == (result.note or "")
    else:
        assert r.stdout == ""
        assert r.stderr.splitlines() == [str(p) for p in result.problems]
    if path.name == "codebook.yaml":  # study2's codebook has no factors list: its links are checked later
        assert result.unchecked_factors and "no factors list" in result.note


# --------------------------------------------------------------------------- codebook load

@pytest.mark.parametrize("file", ["new", "changed", "qdc", "again"])
def test_load_stores_the_same_as_the_command(coded, tmp_path, file):
    """Into a project that does not exist yet, a changed version over the coded project, a .qdc file, and the
    same file again (nothing changes)."""
    path = {"new": CODING / "mini.yaml", "changed": tmp_path / "small.yaml", "qdc": tmp_path / "codes.qdc",
            "again": SMALL}[file]
    if file == "qdc":
        path.write_text(QDC, encoding="utf-8")
    if file == "changed":
        text = SMALL.read_text(encoding="utf-8")
        path.write_text(text.replace('version: "0.3"', 'version: "0.4"'), encoding="utf-8")
        assert path.read_text(encoding="utf-8") != text
    cli, api_db = copies(coded if file != "new" else None, tmp_path)
    r = cli("codebook", "load", path)
    with tematik.open(api_db, create=file == "new") as p:
        result = p.load_codebook(path)
    if result.changed:
        assert r.stdout == f"loaded codebook {result.name} version {result.version}: {result.codes} codes\n"
    else:
        assert file == "again"
        assert r.stdout == f"codebook {result.name} version {result.version} is already loaded (unchanged)\n"
    assert codebook_state(cli.db) == codebook_state(api_db)


def test_load_refuses_links_to_factors_the_instrument_lacks_like_the_command(tmp_path):
    cli, api_db = copies(None, tmp_path)
    cli("survey", "import", STUDY2 / "responses.csv", "--instrument", STUDY2 / "instrument.yaml")
    shutil.copy(cli.db, api_db)
    bad = tmp_path / "codebook.yaml"
    bad.write_text((STUDY2 / "codebook.yaml").read_text(encoding="utf-8").replace("factor: kelelahan",
                                                                                  "factor: burnout"),
                   encoding="utf-8")
    r = cli.fails("codebook", "load", bad)
    with tematik.open(api_db) as p, pytest.raises(CodebookError) as caught:
        p.load_codebook(bad)
    assert r.stderr.strip() == f"error: {caught.value}"
    assert codebook_state(api_db)["codebooks"] == []


# --------------------------------------------------------------------------- codebook show / versions / export

def test_show_is_the_commands_json(coded):
    cli = Cli(coded)
    shown = json.loads(cli("codebook", "show", "--format", "json").stdout)
    with tematik.open(coded) as p:
        frame = p.show_codebook()
    assert as_rows(frame) == (list(shown[0]), shown)
    assert frame.attrs["title"] == "Codebook Small test codebook (version 0.3)"
    assert frame.attrs["title"] in cli("codebook", "show").stdout
    # the counts by status, the tree order and the inactive code of the earlier version
    rows = {r["id"]: r for r in shown}
    assert (rows["trust"]["manual"], rows["trust"]["rejected"]) == (1, 1)
    assert (rows["communication"]["suggested"], rows["communication"]["accepted"]) == (1, 1)
    assert rows["togetherness"]["active"] is False and rows["trust"]["parent"] == "relations"
    order = list(frame["id"])
    assert order.index("relations") + 1 == order.index("trust")  # children right after their parent


def test_versions_are_the_commands_json(coded, tmp_path):
    cli = Cli(coded)
    with tematik.open(coded) as p:
        frame = p.codebook_versions()
    listed = json.loads(cli("codebook", "versions", "--format", "json").stdout)
    assert as_rows(frame) == (list(listed[0]), listed)
    assert [v["name"] for v in listed] == ["Mini", "Small test codebook"]
    assert frame.attrs["title"] == "Codebook versions"
    empty = tmp_path / "empty.db"
    Cli(empty)("init")
    with tematik.open(empty) as p:
        frame = p.codebook_versions()
    assert as_rows(frame)[1] == json.loads(Cli(empty)("codebook", "versions", "--format", "json").stdout) == []
    assert list(frame.columns) == ["id", "name", "version", "hash", "format", "loaded", "loaded_by"]


@pytest.mark.parametrize("fmt", ["yaml", "md", "csv"])
def test_export_writes_what_the_command_writes(coded, tmp_path, fmt):
    cli = Cli(coded)
    printed = cli("codebook", "export", "--format", fmt).stdout
    by_cli, by_api = tmp_path / f"cli.{fmt}", tmp_path / f"api.{fmt}"
    r = cli("codebook", "export", "--format", fmt, "--output", by_cli)
    assert r.stdout == "" and r.stderr.strip() == f"wrote {by_cli}"
    with tematik.open(coded) as p:
        assert p.export_codebook(format=fmt) == printed
        assert p.export_codebook(by_api, format=fmt) == printed
    assert by_api.read_bytes() == by_cli.read_bytes()


# --------------------------------------------------------------------------- as a library

def test_the_api_raises_domain_errors_and_prints_nothing(coded, tmp_path, capsys):
    empty = tmp_path / "empty.db"
    with tematik.create(empty) as p:
        with pytest.raises(NotFound, match="no codes in this project"):
            p.show_codebook()
        with pytest.raises(NotFound, match="no codebook in this project"):
            p.export_codebook()
        with pytest.raises(InputError, match="no such file"):
            p.load_codebook(tmp_path / "missing.yaml")
        with pytest.raises(CodebookError):
            p.load_codebook(DATA / "codebook" / "broken.yaml")
        assert p.codebook_versions().empty
    with tematik.open(coded) as p:
        with pytest.raises(InputError, match="unknown format 'pdf'"):
            p.export_codebook(format="pdf")
        p.show_codebook()
        p.export_codebook()
    assert validate_codebook(DATA / "codebook" / "broken.yaml").ok is False
    assert capsys.readouterr() == ("", "")


def test_a_qdc_file_is_read_once_and_its_notes_are_logged(tmp_path, caplog):
    qdc = tmp_path / "codes.qdc"
    qdc.write_text(QDC, encoding="utf-8")
    with caplog.at_level("INFO", logger="tematik"):
        read = read_codebook(qdc)
    assert read.format == "qdc" and read.codebook is None
    assert any("differ only in case" in m for m in caplog.messages)
    with tematik.create(tmp_path / "p.db") as p:
        first = p.load_codebook(read)
        assert (first.changed, first.codes) == (True, 4)
        assert p.load_codebook(qdc).changed is False  # the same file again: nothing new


def test_code_rows_is_the_stores_view_of_a_codebook():
    from tematik.codebook import load_codebook

    rows = code_rows(load_codebook(SMALL))
    assert [r["id"] for r in rows][:3] == ["relations", "trust", "communication"]
    assert set(rows[0]) == {"id", "name", "parent", "colour", "definition", "data"}
