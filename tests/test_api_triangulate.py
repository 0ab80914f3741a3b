"""The triangulation commands and the report equal the project API on the same project (issue 17)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import Cli
from tematik.errors import InputError, NotFound
from tematik.export.tables import as_rows
from test_triangulate import build_project

COVERED_COMMANDS = {"triangulate", "triangulate by-theme", "triangulate set", "triangulate infer", "triangulate log",
                    "report"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The test_triangulate project, plus a second coder (so the report has an agreement section) and unreviewed
    auto-coding suggestions."""
    folder = tmp_path_factory.mktemp("api_triangulate")
    cli = Cli(folder / "project.db")
    build_project(cli, folder / "files")
    cli("autocode")
    cli("code", "add", "wawancara_P1", "trust", "--match", "Kami saling percaya di sini.", "--coder", "budi")
    cli("code", "add", "wawancara_P2", "openness", "--match", "Saya percaya rekan saya", "--coder", "budi")
    return cli.db


@pytest.fixture
def cli(built, tmp_path) -> Cli:
    """A private copy of the built project (tests that write get their own)."""
    db = tmp_path / "copy.db"
    shutil.copy(built, db)
    return Cli(db)


@pytest.fixture
def api(cli):
    import tematik

    with tematik.open(cli.db) as p:
        yield p


def json_rows(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli(*args, "--format", "json").stdout)


@pytest.mark.parametrize("args, kwargs", [
    ((), {}),
    (("--status", "all", "--quotes", "1"), {"status": "all", "quotes": 1}),
    (("--status", "suggested", "--status", "accepted,manual", "--prominence", "50"),
     {"status": ["suggested", "accepted,manual"], "prominence": 50}),
    (("--positive", "sangat positif", "--lang", "en"), {"positive": "sangat positif", "lang": "en"}),
    (("--polarity", "ignore", "--negative-share", "0.2", "--quotes", "0"),
     {"polarity": "ignore", "negative_share": 0.2, "quotes": 0}),
])
def test_triangulate_equals_the_api(cli, api, args, kwargs):
    result = api.triangulate(**kwargs)
    columns, rows = as_rows(result.to_frame())
    assert rows == json_rows(cli, "triangulate", *args)
    assert columns[:3] == ["kind", "theme", "name"]
    table = cli("triangulate", *args).stdout
    for s in result.summary().to_dict(orient="records"):
        if s["convergence"] != "total" and s["final"]:
            assert f"{s['convergence']}: {s['final']}" in table


def test_triangulate_links_file_equals_the_api(cli, api, tmp_path):
    links = tmp_path / "links.csv"
    links.write_text("theme,factor,direction,rationale\ntrust,climate,positive,test\n", encoding="utf-8")
    _, rows = as_rows(api.triangulate(links=links).to_frame())
    assert rows == json_rows(cli, "triangulate", "--links", str(links))
    assert any(r["kind"] == "factor" for r in rows)  # factor rows: integer columns with gaps keep their ints


@pytest.mark.parametrize("args, kwargs", [
    ((), {}),
    (("--measure", "pomp", "--status", "all"), {"measure": "pomp", "status": "all"}),
])
def test_by_theme_equals_the_api(cli, api, args, kwargs):
    frame = api.triangulate_by_theme(**kwargs)
    assert as_rows(frame)[1] == json_rows(cli, "triangulate", "by-theme", *args)
    assert frame.attrs["title"].startswith("Statistics by themes") and frame.attrs["population"] == 3
    if not args:
        assert as_rows(frame)[1] == json_rows(cli, "triangulate", "--by-theme")


def _overrides_and_inferences(db: Path) -> dict[str, list]:
    """The tables `triangulate set` / `infer` write, without the times that must differ."""
    con = sqlite3.connect(db)
    try:
        def no_at(text):
            if text is None:
                return None
            value = json.loads(text)
            return {k: v for k, v in value.items() if k != "at"} if isinstance(value, dict) else value

        return {
            "overrides": con.execute("SELECT theme, convergence, note, who FROM convergence_overrides "
                                     "ORDER BY theme").fetchall(),
            "inferences": con.execute("SELECT theme, text, who FROM meta_inferences ORDER BY theme").fetchall(),
            "audit": [(who, action, entity, entity_id, no_at(before), no_at(after)) for who, action, entity,
                      entity_id, before, after in con.execute(
                          "SELECT who, action, entity, entity_id, before, after FROM audit_log WHERE entity IN "
                          "('convergence', 'meta_inference') ORDER BY id")],
        }
    finally:
        con.close()


def test_set_infer_and_log_equal_the_api(cli, built, tmp_path, capsys):
    import tematik
    from tematik.cli.common import emit

    other = tmp_path / "api.db"
    shutil.copy(built, other)
    outputs = [
        cli("triangulate", "set", "Kepercayaan", "--convergence", "partial", "--note", " only two voices ",
            "--coder", "ani").stdout,
        cli("triangulate", "set", "climate", "--convergence", "silence", "--note", "a factor row", "--coder",
            "ani").stdout,
        cli("triangulate", "infer", "openness", "--text", "Open talk, closed climate.", "--coder", "ani").stdout,
        cli("triangulate", "set", "trust", "--clear", "--coder", "budi").stdout,
        cli("triangulate", "set", "trust", "--clear", "--coder", "budi").stdout,
        cli("triangulate", "infer", "openness", "--text", "  ", "--coder", "budi").stdout,
    ]
    with tematik.open(other) as p:
        done = [p.set_convergence("Kepercayaan", "partial", note=" only two voices ", coder="ani"),
                p.set_convergence("climate", "silence", note="a factor row", coder="ani"),
                p.set_meta_inference("openness", "Open talk, closed climate.", coder="ani"),
                p.set_convergence("trust", clear=True, coder="budi"),
                p.set_convergence("trust", clear=True, coder="budi"),
                p.set_meta_inference("openness", "  ", coder="budi")]
        log = p.convergence_log()
    assert _overrides_and_inferences(cli.db) == _overrides_and_inferences(other)
    assert [(d.key, getattr(d, "convergence", None)) for d in done[:2]] == [("trust", "partial agreement"),
                                                                            ("climate", "silence")]
    assert (done[3].cleared, done[3].removed, done[4].removed) == (True, True, False)
    assert done[5].removed and not done[2].removed
    assert outputs[3].startswith("trust: override removed") and outputs[4].startswith("trust: had no override")
    assert "meta-inference removed" in outputs[5]

    # `triangulate log` prints the API's table (the times differ between the two copies: compare the same copy)
    with tematik.open(cli.db) as p:
        frame = p.convergence_log()
    assert list(frame.columns) == ["at", "who", "action", "entity", "entity_id", "before", "after"]
    assert list(log["action"]) == list(frame["action"]) == ["infer", "clear", "infer", "override", "override"]
    capsys.readouterr()
    columns, rows = as_rows(frame)
    emit(columns, rows, "table", title=frame.attrs["title"])
    assert cli("triangulate", "log").stdout == capsys.readouterr().out


def _normalised(text: str) -> str:
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<generated>", text)


def test_report_writes_what_the_command_writes(cli, api, tmp_path):
    from openpyxl import load_workbook

    by_cli, by_api = tmp_path / "cli", tmp_path / "api"
    out = cli("report", "--output", str(by_cli), "--status", "all", "--appendix", "3").stdout
    written = api.report(by_api, status="all", appendix=3)
    assert set(written) == {"html", "md", "xlsx", "docx", "manifest"}
    assert all(path.parent == by_api and path.exists() for path in written.values())
    for kind, path in written.items():
        assert f"wrote {kind:5} {by_cli / path.name}" in out
    assert "UNREVIEWED" in out
    for name in ("report.md", "report.html"):
        assert _normalised((by_cli / name).read_text(encoding="utf-8")) == \
            _normalised((by_api / name).read_text(encoding="utf-8")), name
    assert "Intercoder agreement" in (by_api / "report.md").read_text(encoding="utf-8")
    sheets = []
    for folder in (by_cli, by_api):
        book = load_workbook(folder / "report.xlsx")
        sheets.append({ws.title: [[_normalised(str(v)) for v in row] for row in ws.iter_rows(values_only=True)]
                       for ws in book.worksheets})
    assert sheets[0] == sheets[1]
    charts = sorted(p.relative_to(by_api) for p in (by_api / "charts").iterdir())
    assert charts == sorted(p.relative_to(by_cli) for p in (by_cli / "charts").iterdir())


# --------------------------------------------------------------------------- as a library


@pytest.fixture
def messages(monkeypatch):
    """The tematik logger's records, without the CLI's stderr handler that the tests' import installs."""
    logger = logging.getLogger("tematik")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    monkeypatch.setattr(logger, "handlers", [Keep()])
    return records


def test_the_api_prints_nothing_and_logs_its_warnings(api, messages, capsys):
    result = api.triangulate(status=["accepted", "suggested"], positive=["sangat positif", "nowhere"])
    assert result.statuses == ("accepted", "suggested")
    frame = result.to_frame()
    assert list(frame["theme"][:3]) == ["trust", "openness", "kinship"]
    assert frame["participants"].dtype.name == "int64" and frame["negative_share"].dtype.kind == "f"
    assert list(result.summary()["convergence"])[-1] == "total"
    assert "'nowhere'" in result.warnings[0]
    assert [r.getMessage() for r in messages if r.levelno == logging.WARNING] == list(result.warnings)
    assert result.links().columns[0] == "theme"
    assert capsys.readouterr() == ("", "")


def test_bad_options_raise_input_errors(api, messages, capsys):
    with pytest.raises(InputError, match="unknown status 'bogus'"):
        api.triangulate(status="bogus")
    with pytest.raises(InputError, match="prominence"):
        api.report(Path("never"), prominence=200)
    with pytest.raises(InputError, match="unknown language"):
        api.triangulate_by_theme(lang="fr")
    with pytest.raises(InputError, match="--note"):
        api.set_convergence("trust", "silence")
    with pytest.raises(NotFound, match="no code 'ghost'"):
        api.set_meta_inference("ghost", "text")
    assert not Path("never").exists()
    assert capsys.readouterr() == ("", "")


def test_the_joint_display_writes_itself(api, tmp_path):
    result = api.triangulate()
    path = result.write(tmp_path / "joint.md")
    assert "Kepercayaan" in path.read_text(encoding="utf-8")
    with pytest.raises(InputError, match="md, html, docx or xlsx"):
        result.write(tmp_path / "joint.txt")
