"""`tematik survey ...` through the real CLI on a real project file: validate, import, score, scales."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from conftest import DATA, REPO, digest

SURVEY = DATA / "survey"
DEMO = REPO / "corpora" / "ks-library" / "survey"
INSTRUMENT = DEMO / "instrument.yaml"
RESPONSES = DEMO / "responses.csv"
HEADER = "respondent,role,s1,s2,s3,c1,c2\n"


def scores(cli, *args) -> pd.DataFrame:
    return pd.DataFrame(json.loads(cli("survey", "score", "--format", "json", *args).stdout))


def cli_app():
    from tematik.cli import app

    return app


@pytest.fixture
def imported(cli):
    cli("survey", "import", RESPONSES, "--instrument", INSTRUMENT)
    return cli


def test_survey_help_loads_neither_pandas_nor_matplotlib():
    code = ("import sys; from typer.testing import CliRunner; from tematik.cli import app; "
            "r = CliRunner().invoke(app, ['survey', 'score', '--help'], terminal_width=300); "
            "print(r.exit_code, [m for m in ('pandas', 'matplotlib', 'numpy') if m in sys.modules]); print(r.output)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    first, _, help_text = done.stdout.partition("\n")
    assert first == "0 []", done.stdout + done.stderr
    for word in ("--by", "--per-respondent", "--chart", "ks-undiksha", "equal-20", "sugiyono-range"):
        assert word in help_text


def test_validate_prints_ok_or_every_problem(cli, tmp_path):
    r = cli.runner.invoke(cli_app(), ["survey", "validate", str(INSTRUMENT), "--responses", str(RESPONSES)])
    assert r.exit_code == 0, r.output
    assert "13 factors, 64 items, scale 1-5, categories ks-undiksha" in r.stdout
    r = cli.runner.invoke(cli_app(), ["survey", "validate", str(SURVEY / "broken.yaml")])
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 7
    assert lines[0] == f"{SURVEY / 'broken.yaml'}:4: scale.max: must be a number (int), not 'five'"
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "P1,pustakawan,5,4,1,3,2\nP2,teknisi,2,9,5,x,4\n", encoding="utf-8")
    r = cli.runner.invoke(cli_app(), ["survey", "validate", str(SURVEY / "small.yaml"), "--responses", str(bad)])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [f"{bad}:3: s2: 9 is outside the scale 1-5",
                                     f"{bad}:3: c1: 'x' is not a number on the scale 1-5"]



def test_import_and_score_reproduce_the_published_figures(imported):
    published = pd.read_csv(SURVEY / "published.csv").set_index("factor")
    got = scores(imported).set_index("factor")
    assert list(got.index) == [*published.index[1:], published.index[0]]  # factors, then the overall score
    for factor, target in published.iterrows():
        assert f"{got.loc[factor, 'percent']:.1f}" == f"{target['percent']:.1f}"
        assert got.loc[factor, "category"] == target["category"]
    assert got.loc["intrinsic_motivation", "percent"] == pytest.approx(547 / 625 * 100, abs=1e-12)  # full precision
    table = imported("survey", "score").stdout
    assert "87.5" in table and "87.52" not in table and "sangat positif" in table
    people = json.loads(imported("participants", "--format", "json").stdout)
    assert len(people) == 25
    assert {p["id"]: p["role"] for p in people}["P22"] == "teknisi"


def test_respondents_link_to_existing_participants_and_their_attributes_split_scores(cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,role,gender\n" + "".join(
        f"P{i:02d},{'pustakawan' if i <= 14 else 'staf'},{'LP'[i % 2]}\n" for i in range(1, 26)), encoding="utf-8")
    cli("participants", "import", roster)
    r = cli("survey", "import", RESPONSES, "--instrument", INSTRUMENT)
    assert "0 new participants" in r.stdout
    by_gender = scores(cli, "--by", "gender")
    assert sorted(by_gender["gender"].unique()) == ["L", "P"]
    overall = by_gender[by_gender["factor"] == "ks_behaviour"].set_index("gender")
    assert overall["n"].sum() == 25
    assert overall["score"].sum() == 5496 and overall["max"].sum() == 8000
    # the responses' own role column wins over the roster's
    roles = set(scores(cli, "--by", "role")["role"])
    assert roles == {"pustakawan", "tenaga administrasi", "teknisi"}
    people = {p["id"]: p["role"] for p in json.loads(cli("participants", "--format", "json").stdout)}
    assert people["P22"] == "staf"  # an existing participant's role is not overwritten by the import


def test_reimport_needs_replace_and_a_refused_one_changes_nothing(imported, db):
    before = digest(db)
    r = imported.fails("survey", "import", RESPONSES, "--instrument", INSTRUMENT)
    assert "already has responses from 25 respondents; use --replace" in r.stderr
    assert digest(db) == before
    r = imported("survey", "import", RESPONSES, "--instrument", INSTRUMENT, "--replace")
    assert "replaced the earlier import" in r.stdout
    assert len(scores(imported)) == 14
    actions = [e for e in json.loads(imported("log", "--format", "json").stdout) if e["entity"] == "survey"]
    assert [e["action"] for e in actions] == ["import", "import"]


def test_bad_input_leaves_the_project_file_byte_for_byte(cli, db, tmp_path):
    cli("init")
    cli("survey", "import", RESPONSES, "--instrument", INSTRUMENT)
    before = digest(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(RESPONSES.read_text(encoding="utf-8").replace("\nP03,pustakawan,4,", "\nP03,pustakawan,7,"),
                   encoding="utf-8")
    r = cli.fails("survey", "import", bad, "--instrument", INSTRUMENT, "--replace")
    assert r.stderr.strip() == f"error: {bad}:4: im1: 7 is outside the scale 1-5"
    assert "Traceback" not in r.output
    assert digest(db) == before
    broken = cli.fails("survey", "import", RESPONSES, "--instrument", SURVEY / "broken.yaml", "--replace")
    assert "broken.yaml:4: scale.max:" in broken.stderr and "(and 6 more problems)" in broken.stderr
    assert digest(db) == before
    blank = tmp_path / "blank.csv"
    blank.write_text(HEADER + "P1,pustakawan,5,,1,3,2\n", encoding="utf-8")
    r = cli.fails("survey", "import", blank, "--instrument", SURVEY / "small.yaml")
    assert f"{blank}:2: s2: blank answer" in r.stderr
    assert digest(db) == before


def test_missing_policy_is_kept_with_the_import(cli, tmp_path):
    path = tmp_path / "blanks.csv"
    path.write_text(HEADER + "P1,pustakawan,5,4,1,3,\nP2,teknisi,2,,5,4,4\n", encoding="utf-8")
    cli("survey", "import", path, "--instrument", SURVEY / "small.yaml", "--missing", "skip")
    skipped = scores(cli).set_index("factor")
    assert (skipped.loc["sharing", "score"], skipped.loc["sharing", "max"]) == (17, 25)
    cli("survey", "import", path, "--instrument", SURVEY / "small.yaml", "--missing", "mean", "--replace")
    filled = scores(cli).set_index("factor")
    assert (filled.loc["sharing", "score"], filled.loc["sharing", "max"]) == (18.5, 30)
    assert "Blank answers: mean" in cli("survey", "score").stdout


def test_score_outputs_splits_charts_and_scales(imported, tmp_path):
    by_role = pd.read_csv(io.StringIO(imported("survey", "score", "--by", "role", "-f", "csv").stdout))
    assert len(by_role) == 3 * 14
    assert by_role.groupby("role")["n"].max().to_dict() == {"pustakawan": 14, "tenaga administrasi": 7, "teknisi": 4}
    per = json.loads(imported("survey", "score", "--per-respondent", "-f", "json").stdout)
    assert len(per) == 25 * 14 and per[0]["respondent"] == "P01" and per[0]["role"] == "pustakawan"
    md = imported("survey", "score", "-f", "md", "--lang", "en").stdout
    assert "| intrinsic_motivation | intrinsic motivation | driving | 5 | 25 | 547 | 625 | 87.5 | very positive |" in md
    xlsx = tmp_path / "scores.xlsx"
    imported("survey", "score", "-f", "xlsx", "--output", xlsx)
    sheet = pd.read_excel(xlsx)
    assert sheet.loc[sheet["factor"] == "feedback", "percent"].item() == pytest.approx(520 / 750 * 100)
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    imported("survey", "score", "--by", "role", "--chart", png)
    imported("survey", "score", "--chart", svg, "--lang", "en")
    assert png.read_bytes()[:4] == b"\x89PNG" and "very positive" in svg.read_text(encoding="utf-8")
    relabelled = scores(imported, "--scale", "sugiyono-range").set_index("factor")
    assert relabelled.loc["feedback", "category"] == "positif"
    r = imported.fails("survey", "score", "--scale", "nope")
    assert "unknown category scale 'nope'" in r.stderr
    r = imported.fails("survey", "score", "--by", "role", "--per-respondent")
    assert "choose either --by or --per-respondent" in r.stderr
    r = imported.fails("survey", "score", "--by", "shoe_size")
    assert "unknown respondent attribute 'shoe_size'" in r.stderr


def test_scales_lists_every_preset_with_its_source(cli):
    r = cli.runner.invoke(cli_app(), ["survey", "scales", "--format", "json", "--min", "1", "--max", "4"])
    assert r.exit_code == 0, r.output
    presets = {p["preset"]: p for p in json.loads(r.stdout)}
    assert set(presets) == {"ks-undiksha", "equal-20", "sugiyono-range", "thirds"}
    assert all(len(p["source"]) > 60 for p in presets.values())
    assert [b["lower"] for b in presets["sugiyono-range"]["bands"]] == [25, 40, 55, 70, 85]
    assert presets["ks-undiksha"]["bands"][-1] == {"lower": 85, "id": "sangat positif", "en": "very positive",
                                                   "reading": "positive"}


def test_score_needs_an_import_and_a_choice_among_several(cli):
    cli("init")
    assert "no questionnaire in this project" in cli.fails("survey", "score").stderr
    path = SURVEY / "statology.csv"
    cli("survey", "import", path, "--instrument", SURVEY / "statology.yaml")
    cli("survey", "import", RESPONSES, "--instrument", INSTRUMENT)
    assert "several instruments (statology-restaurant, ks-undiksha)" in cli.fails("survey", "score").stderr
    alpha = scores(cli, "--instrument", "statology-restaurant").set_index("factor").loc["satisfaction", "alpha"]
    assert alpha == pytest.approx(0.7734375)
    assert "no instrument 'x'" in cli.fails("survey", "score", "--instrument", "x").stderr
