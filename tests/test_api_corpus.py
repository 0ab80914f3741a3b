"""The corpus commands and the project API give the same results: import, docs, show, participants, speakers.

Each command runs through the real CLI on one project file and the API on a copy (or on the same file for reads);
tables must equal the command's --format json rows, writes must leave the same rows in the project.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli
from tematik.errors import InputError, NotFound
from tematik.export.tables import as_rows

IMPORT = DATA / "import"
WARD = DATA / "ward"

COVERED_COMMANDS = {"init", "import", "docs", "show", "participants", "participants set", "participants import",
                    "speakers", "speakers set"}

#: the corpus tables and their columns, without the timestamps that differ between two runs
TABLES = {
    "participants": "id, role",
    "participant_attributes": "participant_id, key, value, type",
    "documents": "id, name, source_type, language, participant_id, date, path, text, sha256, words, chars",
    "document_attributes": "document_id, key, value",
    "turns": "document_id, seq, start, end, speaker, participant_id, is_interviewer, timestamp",
    "audit_log": "action, entity, entity_id, before, after",
}


def rows(db: Path, table: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT {TABLES[table]} FROM {table} ORDER BY rowid").fetchall()
    finally:
        con.close()


def same_tables(a: Path, b: Path, tables=TABLES) -> None:
    for table in tables:
        assert rows(a, table) == rows(b, table), table


def copy(src: Path, dst: Path) -> Path:
    s, d = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        s.backup(d)
    finally:
        s.close()
        d.close()
    return dst


def as_json(result) -> list[dict]:
    return json.loads(result.stdout)


def table_of(df) -> list[dict]:
    return as_rows(df)[1]


@pytest.fixture
def ward(tmp_path) -> Cli:
    """A focus group whose labels map to nobody, a roster, a coded and partly reviewed corpus."""
    cli = Cli(tmp_path / "ward.db")
    cli("import", WARD / "handover_en.txt", WARD / "ward_en.txt", "--language", "en")
    cli("participants", "import", WARD / "roster.csv")
    cli("codebook", "load", WARD / "ward.yaml")
    cli("autocode")
    cli("code", "accept", "--all", "--doc", "handover_en")
    return cli


# --------------------------------------------------------------------------- writes: same project either way


def test_init_and_create_make_the_same_empty_project(tmp_path):
    cli = Cli(tmp_path / "cli.db")
    out = cli("init").stdout
    with tematik.create(tmp_path / "api.db") as p:
        assert f"(schema version {p.schema_version})" in out
    schema = "SELECT type, name, sql FROM sqlite_master ORDER BY name"
    a, b = sqlite3.connect(cli.db), sqlite3.connect(tmp_path / "api.db")
    assert a.execute(schema).fetchall() == b.execute(schema).fetchall()
    a.close()
    b.close()


@pytest.mark.parametrize("args, options", [
    (["--participant", "P01", "--role", "pustakawan", "--date", "2019-10-02", "--speaker", "Bu Made=P01",
      "--interviewer", "Pewawancara", "--speaker", "Ghost=P09"],
     dict(participant="P01", role="pustakawan", date="2019-10-02", speaker={"Bu Made": "P01", "Ghost": "P09"},
          interviewer="Pewawancara")),
    (["--manifest", IMPORT / "manifest.csv", "--source-type", "interview"],
     dict(manifest=IMPORT / "manifest.csv", source_type="interview")),
])
def test_import_and_import_files_write_the_same_project_and_report(tmp_path, args, options):
    files = [IMPORT / "interview_id.txt", IMPORT / "observation_id.txt", IMPORT / "interview_en.md"]
    cli = Cli(tmp_path / "cli.db")
    r = cli("import", *files, *args, "--format", "json")
    with tematik.open(tmp_path / "api.db", create=True) as p:
        result = p.import_files(files, **options)
        data = json.loads(r.stdout)
        assert data["summary"] == result.headline(str(cli.db))
        assert {"files": data["files"], "warnings": data["warnings"]} == result.report.as_dict()
        assert (result.added, result.replaced, result.skipped) == (3, 0, 0)
        assert result.summary.startswith("imported 3 document(s), replaced 0, skipped 0 unchanged")
        assert len(result.to_frame()) == 3
        result.close()
        same_tables(cli.db, p.path)

        # a changed file with --replace, and an unchanged one skipped
        changed = tmp_path / "interview_id.txt"
        changed.write_text((IMPORT / "interview_id.txt").read_text(encoding="utf-8") + "\nBu Made: Satu lagi.\n",
                           encoding="utf-8")
        r = cli("import", changed, IMPORT / "interview_en.md", *args, "--replace", "--format", "json")
        result = p.import_files([changed, IMPORT / "interview_en.md"], **options, replace=True)
        assert json.loads(r.stdout)["files"] == result.report.as_dict()["files"]
        assert (result.added, result.replaced, result.skipped) == (0, 1, 1)
        same_tables(cli.db, p.path)


def test_importing_rows_counts_quiet_rows_as_the_table_report_does(tmp_path):
    cli = Cli(tmp_path / "cli.db")
    out = cli("import", IMPORT / "answers.csv", "--text-column", "answer", "--id-column", "respondent",
              "--language", "id").stdout
    with tematik.open(tmp_path / "api.db", create=True) as p:
        result = p.import_files(IMPORT / "answers.csv", text_column="answer", id_column="respondent",
                                language="id", row_reports=False)
        assert result.headline(str(cli.db)) in out
        for table_file, counts in result.rows.items():
            assert (f"{table_file}: {sum(counts.values())} row document(s), "
                    + ", ".join(f"{n} {a}" for a, n in counts.items())) in out
        assert len(result.files) < result.added  # quiet rows only counted
        same_tables(cli.db, p.path)


def test_participants_set_and_import_change_the_project_alike(ward, tmp_path):
    api = copy(ward.db, tmp_path / "api.db")
    roster = tmp_path / "roster.csv"
    roster.write_text("code,role,years,senior\nN02,perawat,12,yes\nN09,,3,no\n", encoding="utf-8")
    out = ward("participants", "import", roster, "--id-column", "code").stdout
    ward("participants", "set", "N02", "years=13", "role=kepala ruang", "unit=")
    with tematik.open(api) as p:
        done = p.import_participants(roster, id_column="code")
        assert f"{done.participants} participant(s) in roster.csv: {done.created} new, {done.updated} updated" \
            in out
        change = p.set_participant("N02", years=13, role="kepala ruang", unit="")
        assert change.values == {"years": "13", "role": "kepala ruang", "unit": ""}
        assert table_of(p.participants()) == as_json(ward("participants", "--format", "json"))
    same_tables(ward.db, api)


def test_speakers_set_changes_the_project_alike(ward, tmp_path):
    api = copy(ward.db, tmp_path / "api.db")
    one = as_json(ward("speakers", "set", "handover_en", "nurse dewi=N02", "Nurse Ayu=N03", "--format", "json"))
    every = ward("speakers", "set", "--all", "--create", "Interviewer=N77", "--format", "json")
    with tematik.open(api) as p:
        assert table_of(p.set_speaker("handover_en", ["nurse dewi=N02", "Nurse Ayu=N03"])) == one
        df = p.set_speaker(None, {"Interviewer": "N77"}, all_documents=True, create=True)
        assert table_of(df) == as_json(every)
        assert df.attrs["created"] == ["N77"] and df.attrs["changed"] >= 1
        again = p.set_speaker("handover_en", {"nurse dewi": "N02"})  # already so: listed, not changed
        assert again.attrs["changed"] == 0 and list(again["after"]) == ["N02"]
    ward("speakers", "set", "handover_en", "nurse dewi=N02")
    same_tables(ward.db, api)


# --------------------------------------------------------------------------- reads: the command's rows


def test_docs_participants_speakers_are_the_commands_json(ward):
    with tematik.open(ward.db) as p:
        docs = p.docs()
        assert table_of(docs) == as_json(ward("docs", "--format", "json"))
        assert docs.attrs["title"] == "Documents" and list(docs.columns)[:2] == ["id", "name"]
        assert table_of(p.participants()) == as_json(ward("participants", "--format", "json"))
        assert table_of(p.speakers()) == as_json(ward("speakers", "--format", "json"))
        assert table_of(p.speakers("handover_en")) == as_json(ward("speakers", "handover_en", "--format", "json"))
        csv = ward("docs", "--format", "csv").stdout
        assert csv.splitlines()[0] == ",".join(docs.columns)


@pytest.mark.parametrize("units", ["sentence", "turn", "paragraph"])
def test_show_units_are_the_commands_json(ward, units):
    with tematik.open(ward.db) as p:
        for args, kwargs in [((), {}), (("--status", "all"), {"status": "all"}),
                             (("--status", "accepted", "--status", "rejected"), {"status": ["accepted", "rejected"]}),
                             (("--no-codings",), {"codings": False})]:
            got = p.show("handover_en", units=units, **kwargs).units
            assert table_of(got) == as_json(ward("show", "handover_en", "--units", units, *args, "--format", "json"))


def test_show_prints_the_document_and_marks_of_the_api(ward):
    from tematik.cli import render
    from tematik.cli.common import console

    with tematik.open(ward.db) as p:
        view = p.show("handover_en", status="accepted,suggested")
    assert {m["status"] for m in view.marks} <= {"accepted", "suggested"} and view.marks
    assert view.document.name == "handover_en" and len(view.to_frame()) == len(view.marks)
    with console.capture() as captured:
        render.print_document(view.document, view.marks)
    assert captured.get() == ward("show", "handover_en", "--status", "accepted", "--status", "suggested").stdout


# --------------------------------------------------------------------------- what a notebook user meets


def test_api_errors_are_exceptions_and_nothing_is_printed(ward, tmp_path, capsys, caplog, monkeypatch):
    logger = logging.getLogger("tematik")  # as in a notebook: without the handler the command line installs
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", True)
    capsys.readouterr()
    with tematik.open(ward.db) as p:
        with pytest.raises(InputError, match="unknown status 'maybe'"):
            p.show("handover_en", status=["accepted", "maybe"])
        with pytest.raises(NotFound):
            p.show("nope")
        with pytest.raises(InputError, match="or --all"):
            p.set_speaker(None, {"Interviewer": "N02"})
        with pytest.raises(NotFound, match="use --create"):
            p.set_speaker("handover_en", "Interviewer=N99")
        with pytest.raises(InputError, match="expected KEY=VALUE"):
            p.set_participant("N02", ["years"])
        before = table_of(p.docs())
        broken = tmp_path / "zz.txt"
        broken.write_bytes(b"\x00\x01binary")
        with pytest.raises(InputError, match="binary"):
            p.import_files([IMPORT / "interview_id.txt", broken])
        assert table_of(p.docs()) == before  # refused: nothing written
        with caplog.at_level(logging.INFO, logger="tematik"):
            folder = tmp_path / "folder"
            folder.mkdir()
            (folder / "notes.pdf").write_bytes(b"%PDF")
            (folder / "a.txt").write_text("Pewawancara: Apa?\nBu Ani: Ya.\n", encoding="utf-8")
            result = p.import_files(folder, language="id", participant="N02")
        assert "passed over 1 file(s) of other types: .pdf (1)" in caplog.text
        assert result.added == 1 and "<ImportResult: imported 1 document(s)" in repr(result)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_a_refused_first_import_leaves_no_project_behind(tmp_path):
    cli = Cli(tmp_path / "new.db")
    cli.fails("participants", "import", tmp_path / "missing.csv")
    cli.fails("import", IMPORT / "interview_id.txt", "--source-type", "Bad Type")
    cli.fails("import", IMPORT / "interview_id.txt", IMPORT / "binary.txt")
    assert list(tmp_path.iterdir()) == []
