"""The survey commands and the project API give the same results on the same project (issue 17): validate,
import, score, scales; and the API behaves as a library (exceptions, no printing)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, REPO, Cli
from tematik.errors import Conflict, InputError, InstrumentError
from tematik.export.tables import as_rows
from tematik.project.survey import scales, validate_instrument

COVERED_COMMANDS = {"survey validate", "survey import", "survey score", "survey scales"}

SURVEY = DATA / "survey"
STUDY2 = DATA / "study2"
KS = REPO / "corpora" / "ks-library" / "survey"
HEADER = "respondent,role,s1,s2,s3,c1,c2\n"


def app():
    from tematik.cli import app as cli_app

    return cli_app


@pytest.fixture(scope="module")
def surveyed(tmp_path_factory) -> Path:
    """A project with two questionnaires: the library study's, and a small one with blank answers (mean)."""
    home = tmp_path_factory.mktemp("surveyed")
    cli = Cli(home / "surveyed.db")
    cli("survey", "import", KS / "responses.csv", "--instrument", KS / "instrument.yaml")
    blanks = home / "blanks.csv"
    blanks.write_text(HEADER + "P1,pustakawan,5,4,1,3,\nP2,teknisi,2,,5,4,4\n", encoding="utf-8")
    cli("survey", "import", blanks, "--instrument", SURVEY / "small.yaml", "--missing", "mean")
    return cli.db


def survey_state(db: Path) -> dict:
    """What an import changes: instruments (without their load time), respondents, answers, participants (without
    the time they were made: the two imports may fall in different seconds), log."""
    conn = sqlite3.connect(db)
    try:
        return {
            "instruments": conn.execute("SELECT id, name, hash, source, missing FROM instruments ORDER BY id"
                                        ).fetchall(),
            "respondents": conn.execute("SELECT * FROM respondents ORDER BY rowid").fetchall(),
            "responses": conn.execute("SELECT * FROM responses ORDER BY rowid").fetchall(),
            "participants": conn.execute("SELECT id, role FROM participants ORDER BY rowid").fetchall(),
            "log": conn.execute("SELECT action, entity, entity_id, before, after FROM audit_log ORDER BY id"
                                ).fetchall(),
        }
    finally:
        conn.close()


# --------------------------------------------------------------------------- survey validate

@pytest.mark.parametrize("case", ["ok", "broken", "bad responses", "readings from order"])
def test_validate_reports_what_the_command_prints(cli, tmp_path, case, caplog):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "P1,pustakawan,5,4,1,3,2\nP2,teknisi,2,9,5,x,4\n", encoding="utf-8")
    path, responses = {"ok": (KS / "instrument.yaml", KS / "responses.csv"),
                       "broken": (SURVEY / "broken.yaml", None),
                       "bad responses": (SURVEY / "small.yaml", bad),
                       "readings from order": (STUDY2 / "instrument.yaml", STUDY2 / "responses.csv")}[case]
    argv = ["survey", "validate", str(path)] + (["--responses", str(responses)] if responses else [])
    r = cli.runner.invoke(app(), argv)
    caplog.clear()
    with caplog.at_level("INFO", logger="tematik"):
        result = validate_instrument(path, responses)
    assert r.exit_code == (0 if result.ok else 2)
    if result.ok:
        flat = " ".join(r.stdout.split())  # the console wraps long lines
        assert flat.startswith(f"{path}: ok (") and flat.endswith(f"; {responses}: ok")
        assert f"{len(result.instrument.items)} items" in flat
        assert " ".join(r.stderr.split()) == " ".join(" ".join(caplog.messages).split())
    else:
        assert r.stderr.splitlines() == [str(p) for p in result.problems]
    assert ("read by their order" in " ".join(caplog.messages)) == (case == "readings from order")


# --------------------------------------------------------------------------- survey import

def test_import_stores_the_same_as_the_command_and_warns_the_same(tmp_path, caplog):
    """Into a project whose codebook links to factors the ward's instrument lacks: the same rows and warnings."""
    base = tmp_path / "base.db"
    Cli(base)("codebook", "load", REPO / "codebooks" / "knowledge-sharing.yaml")
    a, b = tmp_path / "cli.db", tmp_path / "api.db"
    shutil.copy(base, a)
    shutil.copy(base, b)
    r = Cli(a)("survey", "import", STUDY2 / "responses.csv", "--instrument", STUDY2 / "instrument.yaml")
    caplog.clear()
    with tematik.open(b) as p, caplog.at_level("WARNING", logger="tematik"):
        result = p.import_survey(STUDY2 / "responses.csv", STUDY2 / "instrument.yaml")
    assert r.stdout == (f"imported {result.respondents} respondents x {result.items} items for instrument "
                        f"{result.instrument}; {result.new_participants} new participants\n")
    warnings = [line.removeprefix("warning: ") for line in r.stderr.splitlines()]
    assert warnings == list(result.unlinked) == caplog.messages and warnings
    assert survey_state(a) == survey_state(b)


def test_a_second_import_needs_replace_in_both(surveyed, tmp_path):
    cli, api_db = Cli(tmp_path / "cli.db"), tmp_path / "api.db"
    shutil.copy(surveyed, cli.db)
    shutil.copy(surveyed, api_db)
    refused = cli.fails("survey", "import", KS / "responses.csv", "--instrument", KS / "instrument.yaml")
    with tematik.open(api_db) as p:
        with pytest.raises(Conflict) as caught:
            p.import_survey(KS / "responses.csv", KS / "instrument.yaml")
        assert refused.stderr.strip() == f"error: {caught.value}"
        r = cli("survey", "import", KS / "responses.csv", "--instrument", KS / "instrument.yaml", "--replace")
        result = p.import_survey(KS / "responses.csv", KS / "instrument.yaml", replace=True)
    assert result.replaced and r.stdout.rstrip().endswith("(replaced the earlier import)")
    assert survey_state(cli.db) == survey_state(api_db)


# --------------------------------------------------------------------------- survey score

SCORE_CASES = [
    (["--instrument", "ks-undiksha"], {"instrument": "ks-undiksha"}),
    (["--instrument", "ks-undiksha", "--by", "role", "--lang", "en"], {"instrument": "ks-undiksha", "by": "role",
                                                                       "lang": "en"}),
    (["--instrument", "ks-undiksha", "--per-respondent"], {"instrument": "ks-undiksha", "per_respondent": True}),
    (["--instrument", "ks-undiksha", "--scale", "sugiyono-range"], {"instrument": "ks-undiksha",
                                                                    "scale": "sugiyono-range"}),
    (["--instrument", "small"], {"instrument": "small"}),
]


@pytest.mark.parametrize(("args", "kwargs"), SCORE_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_scores_are_the_commands_json(surveyed, args, kwargs):
    cli = Cli(surveyed)
    printed = json.loads(cli("survey", "score", "--format", "json", *args).stdout)
    with tematik.open(surveyed) as p:
        frame = p.scores(**kwargs)
    assert as_rows(frame) == (list(printed[0]), printed)
    table = cli("survey", "score", *args).stdout
    assert " ".join(frame.attrs["title"].split()) in " ".join(table.split())


def test_the_chart_is_the_commands_chart(surveyed, tmp_path):
    by_cli, by_api, alone = tmp_path / "cli.png", tmp_path / "api.png", tmp_path / "alone.png"
    r = Cli(surveyed)("survey", "score", "--instrument", "ks-undiksha", "--by", "role", "--chart", by_cli)
    assert r.stderr.splitlines()[-1] == f"wrote {by_cli}"
    with tematik.open(surveyed) as p:
        p.scores("ks-undiksha", by="role", chart=by_api)
        p.score_chart(alone, "ks-undiksha")
    assert by_api.read_bytes() == by_cli.read_bytes() == alone.read_bytes()


# --------------------------------------------------------------------------- survey scales

@pytest.mark.parametrize("args", [[], ["--min", "0", "--max", "4", "--lang", "en"]], ids=["1-5", "0-4 en"])
def test_scales_are_the_commands_json(cli, args):
    r = cli.runner.invoke(app(), ["survey", "scales", "--format", "json", *args])
    printed = json.loads(r.stdout)
    frame = scales(0, 4, lang="en") if args else scales()
    assert as_rows(frame) == (list(printed[0]), printed)
    table = cli.runner.invoke(app(), ["survey", "scales", *args]).stdout
    assert frame.attrs["title"] in table
    first = frame.attrs["descriptions"][printed[0]["preset"]].splitlines()[0]
    assert first.split()[0] in table


# --------------------------------------------------------------------------- as a library

def test_the_api_raises_domain_errors_and_prints_nothing(surveyed, tmp_path, capsys):
    with tematik.open(surveyed) as p:
        with pytest.raises(InputError, match="choose either --by or --per-respondent"):
            p.scores("ks-undiksha", by="role", per_respondent=True)
        with pytest.raises(Exception, match="several instruments"):
            p.scores()
        with pytest.raises(InstrumentError, match="unknown category scale 'nope'"):
            p.scores("ks-undiksha", scale="nope")
        with pytest.raises(InputError, match="unknown language 'fr'") as bad:  # not read silently as another
            p.scores("ks-undiksha", lang="fr")
        assert bad.value.field == "--lang"
        frame = p.scores("ks-undiksha")
        assert frame["percent"].dtype.kind == "f" and frame.attrs["categories"].name == "ks-undiksha"
    with tematik.create(tmp_path / "p.db") as p:
        with pytest.raises(InstrumentError):  # nothing stored when the file does not check
            p.import_survey(SURVEY / "statology.csv", SURVEY / "broken.yaml")
        with pytest.raises(InputError, match="instrument"):
            p.import_survey(SURVEY / "statology.csv")
        with pytest.raises(InputError, match="unknown blank-answer policy 'zero'"):
            p.import_survey(SURVEY / "statology.csv", SURVEY / "statology.yaml", missing="zero")
        assert p.import_survey(SURVEY / "statology.csv", SURVEY / "statology.yaml").respondents > 0
    with pytest.raises(InputError, match="needs 0 <= --min < --max"):
        scales(3, 2)
    assert not validate_instrument(SURVEY / "broken.yaml").ok
    assert capsys.readouterr() == ("", "")
