"""`agree` and the report's intercoder section compare PEOPLE (issue 12); the auto-coder only when asked for, and
then as an evaluation of the auto-coder -- through the real CLI on real project files.

A second study written here: two English interviews on a hospital ward (an interviewer and a nurse each), a
codebook of workload, teamwork and burnout, the auto-coder's suggestions, and the hand coding of one nurse
researcher (lena), later of a second (omar). Expected numbers are recomputed here with scikit-learn on presence
vectors built from what `show --units sentence` and `codings` print, not with tematik's own statistics.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

import tematik
from conftest import Cli
from tematik.errors import InputError
from tematik.export.tables import as_rows, to_json
from tematik.models import AUTO_CODER
from tematik.project.analysis import EVALUATION_TITLE, agree_table

WARD_A = """Interviewer: How was the night shift last week?
Nurse Maya: We had twelve patients and only two nurses on the shift. The workload was too heavy for us. My \
colleagues helped me turn the patients, so the teamwork saved the night.
Interviewer: And how do you feel after such shifts?
Nurse Maya: I feel exhausted and burned out. Sometimes I cry in the car before I drive home.
"""
WARD_B = """Interviewer: Tell me about the handover.
Nurse Ravi: The handover is quick because we trust each other. The team shares every task.
Interviewer: Is the workload manageable?
Nurse Ravi: Too many patients and the paperwork never ends. I am tired all the time. Still, the team keeps me going.
"""
CODEBOOK = """name: ward
version: '1'
languages: [en]
codes:
  - id: workload
    name: {en: Workload}
    rules: {en: {terms: [patients, workload, paperwork]}}
  - id: teamwork
    name: {en: Teamwork}
    rules: {en: {terms: [team, teamwork, colleagues]}}
  - id: burnout
    name: {en: Burnout}
    rules: {en: {terms: [exhausted, burned out, tired]}}
"""
CODES = ("workload", "teamwork", "burnout")
DOCS = ("ward_a", "ward_b")
# (document, code, sentence number as `show --units sentence` numbers them)
LENA = [("ward_a", "workload", 2), ("ward_a", "workload", 3), ("ward_a", "teamwork", 4), ("ward_a", "burnout", 6),
        ("ward_a", "burnout", 7), ("ward_b", "teamwork", 2), ("ward_b", "teamwork", 3), ("ward_b", "workload", 5),
        ("ward_b", "burnout", 6)]
OMAR = [("ward_a", "workload", 2), ("ward_a", "teamwork", 4), ("ward_a", "burnout", 6), ("ward_b", "teamwork", 3),
        ("ward_b", "workload", 5), ("ward_b", "workload", 6), ("ward_b", "teamwork", 7)]


def copy_project(cli: Cli, target) -> Cli:
    for suffix in ("", "-wal", "-shm"):
        src = cli.db.with_name(cli.db.name + suffix)
        if src.exists():
            shutil.copy(src, target.with_name(target.name + suffix))
    return Cli(target)


@pytest.fixture(scope="module")
def one_person(tmp_path_factory) -> Cli:
    """The ward study auto-coded, hand-coded by lena, who also rejected one suggestion."""
    home = tmp_path_factory.mktemp("ward")
    for name, text in (("ward_a", WARD_A), ("ward_b", WARD_B)):
        (home / f"{name}.txt").write_text(text, encoding="utf-8")
    (home / "ward.yaml").write_text(CODEBOOK, encoding="utf-8")
    cli = Cli(home / "ward.db")
    cli("import", home / "ward_a.txt", home / "ward_b.txt", "--language", "en", "--interviewer", "Interviewer",
        "--speaker", "Nurse Maya=N01", "--speaker", "Nurse Ravi=N02")
    cli("codebook", "load", home / "ward.yaml")
    cli("autocode")
    for doc, code, n in LENA:
        cli("code", "add", doc, code, "--sentence", n, "--coder", "lena")
    # the auto-coder's "workload" on the colleagues sentence is wrong: lena rejects it
    wrong = [r for r in codings(cli) if r["coder"] == AUTO_CODER and r["code"] == "workload"
             and "colleagues" in r["text"]]
    assert len(wrong) == 1
    cli("code", "reject", "--id", wrong[0]["id"], "--coder", "lena")
    return cli


@pytest.fixture
def two_people(one_person, tmp_path) -> Cli:
    cli = copy_project(one_person, tmp_path / "two.db")
    for doc, code, n in OMAR:
        cli("code", "add", doc, code, "--sentence", n, "--coder", "omar")
    return cli


# --------------------------------------------------------------------------- presence vectors, independently


def codings(cli: Cli) -> list[dict]:
    return json.loads(cli("codings", "--status", "all", "--format", "json").stdout)


def sentences(cli: Cli) -> list[tuple[str, int, int]]:
    """Every sentence of both documents as (document, start, end), in order."""
    out = []
    for doc in DOCS:
        for r in json.loads(cli("show", doc, "--units", "sentence", "--format", "json").stdout):
            out.append((doc, r["start"], r["end"]))
    return out


def vector(cli: Cli, code: str, picks) -> np.ndarray:
    """1 where a coding chosen by ``picks(row)`` (positive polarity) of ``code`` overlaps the sentence."""
    rows = [r for r in codings(cli) if r["code"] == code and r["polarity"] == "positive" and picks(r)]
    return np.array([int(any(r["document"] == d and r["start"] < e and r["end"] > s for r in rows))
                     for d, s, e in sentences(cli)])


def person(name: str):
    return lambda r: r["coder"] == name and r["status"] in ("accepted", "manual")


def auto_proposed(extra_ids=()):
    """The auto-coder's proposals: its rows whatever their status, plus suggestions accepted by a person."""
    return lambda r: r["coder"] == AUTO_CODER or r.get("suggested_by") == AUTO_CODER or r["id"] in extra_ids


def by(rows, *keys) -> dict:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def check_scores(cli: Cli, got: dict, ref: str, extra_ids=()) -> None:
    """The auto-coder's precision, recall and F1 against ``ref`` per code and pooled, as scikit-learn gives them."""
    truths, preds = [], []
    for code in CODES:
        truth, pred = vector(cli, code, person(ref)), vector(cli, code, auto_proposed(extra_ids))
        truths.append(truth)
        preds.append(pred)
        row = got[(ref, code)]
        assert row["coder"] == AUTO_CODER and row["units"] == len(truth)
        assert row["precision"] == pytest.approx(precision_score(truth, pred, zero_division=np.nan), nan_ok=True)
        assert row["recall"] == pytest.approx(recall_score(truth, pred, zero_division=np.nan), nan_ok=True)
        assert row["f1"] == pytest.approx(f1_score(truth, pred, zero_division=np.nan), nan_ok=True)
    pooled = got[(ref, "ALL (pooled)")]
    assert pooled["f1"] == pytest.approx(f1_score(np.concatenate(truths), np.concatenate(preds)))


# --------------------------------------------------------------------------- one person and the auto-coder


def test_agree_refuses_one_person_and_says_how_to_ask_for_the_auto_coder(one_person):
    before = one_person.db.read_bytes()
    r = one_person.fails("agree")
    line = " ".join(r.output.split())
    assert "compares people" in line and "only one person has codings in the project: lena" in line
    assert "'auto' is not a second coder" in line
    assert "tematik agree --reference auto`" in line and "tematik merge" in line and "import-codings" in line
    assert "kappa" not in r.output.lower() and "pooled" not in r.output.lower()  # an error, not a table
    r = one_person.fails("agree", "--reference", "lena")  # a person as reference: still nobody to compare
    assert "only one person has codings" in " ".join(r.output.split())
    assert one_person.db.read_bytes() == before


def test_reference_auto_evaluates_the_auto_coder_against_the_person(one_person):
    rows = json.loads(one_person("agree", "--reference", "auto", "--format", "json").stdout)
    got = by(rows, "reference", "code")
    assert {r["reference"] for r in rows} == {"lena"} and {r["coder"] for r in rows} == {AUTO_CODER}
    check_scores(one_person, got, "lena")
    # the rejected suggestion is a proposal the auto-coder got wrong: a false positive, not forgotten
    assert got[("lena", "workload")]["fp"] == 1
    shown = " ".join(one_person("agree", "--reference", "auto").stdout.split())
    assert shown.startswith(EVALUATION_TITLE) and "not intercoder agreement" in shown
    assert "Intercoder agreement:" not in shown
    with tematik.open(one_person.db) as p:
        frame = p.agree(reference="auto", bootstrap=0)
    assert frame.attrs["mode"] == "evaluation" and frame.attrs["evaluates_auto_coder"] is True
    assert frame.attrs["title"].startswith(EVALUATION_TITLE)
    assert json.loads(to_json(*as_rows(frame))) == rows  # the API gives what the command prints


def test_naming_the_auto_coder_in_coders_labels_the_table(one_person):
    shown = " ".join(one_person("agree", "--coders", "lena,auto", "--bootstrap", "0").stdout.split())
    assert shown.startswith(f"{EVALUATION_TITLE}: lena, auto")
    assert "it is not intercoder agreement, which compares people only" in shown
    rows = by(json.loads(one_person("agree", "--coders", "lena,auto", "--bootstrap", "0", "--format",
                                    "json").stdout), "code")
    for code in CODES:
        a, b = vector(one_person, code, person("lena")), vector(one_person, code, auto_proposed())
        assert rows[code]["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
    out = json.loads(one_person("agree", "--reference", "lena", "--coders", "auto", "--format", "json").stdout)
    check_scores(one_person, {("lena", r["code"]): r for r in out}, "lena")
    alone = " ".join(one_person.fails("agree", "--coders", "auto").output.split())
    assert "name one beside it (--coders lena,auto) or use --reference auto" in alone
    with tematik.open(one_person.db) as p:
        for kw in (dict(reference="lena", coders="auto"), dict(coders="lena,auto", disagreements=True)):
            frame = p.agree(**kw)
            assert frame.attrs["evaluates_auto_coder"] and frame.attrs["title"].startswith(EVALUATION_TITLE)


def test_report_says_one_person_coded_and_evaluates_the_auto_coder_only_when_asked(one_person, tmp_path):
    from test_report import parse

    plain = tmp_path / "plain"
    one_person("report", "--output", plain)
    page = parse(plain / "report.html")
    assert "agreement" not in page.tables and "auto_coder_evaluation" not in page.tables
    md = " ".join((plain / "report.md").read_text(encoding="utf-8").split())
    section = md[md.index("## Intercoder agreement"):md.index("## Method notes")]
    assert "one person has codings with the counted statuses (accepted, manual): lena" in section
    assert "suggestion(s) are not a second coder" in section
    assert "tematik merge OTHER.db" in section and "tematik import-codings FILE" in section
    assert "--evaluate-auto-coder" in section

    asked = tmp_path / "asked"
    one_person("report", "--output", asked, "--evaluate-auto-coder")
    api = tmp_path / "api"
    copy = copy_project(one_person, tmp_path / "api.db")
    with tematik.open(copy.db) as p:  # the API's report with the same option writes the same table
        p.report(api, evaluate_auto_coder=True)
    assert parse(api / "report.html").tables["auto_coder_evaluation"] == \
        parse(asked / "report.html").tables["auto_coder_evaluation"]
    page = parse(asked / "report.html")
    assert "agreement" not in page.tables
    table = page.tables["auto_coder_evaluation"]
    assert table["section"] == "agreement"
    html = (asked / "report.html").read_text(encoding="utf-8")
    assert f"{EVALUATION_TITLE}: auto against lena" in html
    rows = {r["code"]: r for r in table["rows"]}
    agree = by(json.loads(one_person("agree", "--reference", "auto", "--format", "json").stdout), "code")
    for code, r in agree.items():
        if r["f1"] is not None:
            assert rows[code]["f1"] == f"{r['f1']:.3f}"
        assert rows[code]["tp"] == str(r["tp"])


# --------------------------------------------------------------------------- two people and the auto-coder


def test_two_people_are_compared_and_the_auto_coder_is_left_out(two_people):
    default = json.loads(two_people("agree", "--format", "json").stdout)
    assert default == json.loads(two_people("agree", "--coders", "lena,omar", "--format", "json").stdout)
    rows = by(default, "code")
    for code in CODES:
        a, b = vector(two_people, code, person("lena")), vector(two_people, code, person("omar"))
        assert rows[code]["units"] == len(a)
        assert rows[code]["cohen_kappa"] == pytest.approx(cohen_kappa_score(a, b))
        assert rows[code]["percent_agreement"] == pytest.approx(float(np.mean(a == b)))
    shown = " ".join(two_people("agree", "--bootstrap", "0").stdout.split())
    assert shown.startswith("Intercoder agreement: lena, omar") and EVALUATION_TITLE not in shown
    with tematik.open(two_people.db) as p:
        frame = p.agree(bootstrap=0)
        assert frame.attrs["coders"] == ["lena", "omar"] and frame.attrs["evaluates_auto_coder"] is False
        both = p.agree(reference="auto")  # each person in turn is the reference
    got = by(json.loads(to_json(*as_rows(both))), "reference", "code")
    assert {r for r, _ in got} == {"lena", "omar"}
    check_scores(two_people, got, "lena")
    check_scores(two_people, got, "omar")
    only = json.loads(two_people("agree", "--reference", "auto", "--coders", "omar", "--format", "json").stdout)
    assert {r["reference"] for r in only} == {"omar"}


def test_report_compares_the_two_people_only(two_people, tmp_path):
    from test_report import parse

    out = tmp_path / "report"
    two_people("report", "--output", out)
    page = parse(out / "report.html")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Intercoder agreement (lena, omar)" in html and "auto_coder_evaluation" not in page.tables
    shown = {r["code"]: r for r in page.tables["agreement"]["rows"]}
    agree = by(json.loads(two_people("agree", "--format", "json").stdout), "code")
    for code in CODES:
        if agree[code]["cohen_kappa"] is not None:
            assert shown[code]["cohen kappa"] == f"{agree[code]['cohen_kappa']:.3f}"


def test_an_accepted_suggestion_counts_for_the_reviewer_and_for_the_auto_coder(one_person, tmp_path):
    """After a reviewer accepts a suggestion the coding is the reviewer's and records ``suggested_by = 'auto'``:
    it counts as lena's coding and as the auto-coder's proposal."""
    cli = copy_project(one_person, tmp_path / "accepted.db")
    target = next(r for r in codings(cli) if r["coder"] == AUTO_CODER and r["status"] == "suggested"
                  and r["code"] == "teamwork" and r["document"] == "ward_b" and "keeps me going" in r["text"])
    cli("code", "accept", "--id", target["id"], "--coder", "lena")
    con = sqlite3.connect(cli.db)
    try:
        assert con.execute("SELECT coder, suggested_by FROM codings WHERE id = ?",
                           (target["id"],)).fetchone() == ("lena", "auto")
    finally:
        con.close()
    rows = json.loads(cli("agree", "--reference", "auto", "--format", "json").stdout)
    got = by(rows, "reference", "code")
    check_scores(cli, got, "lena", extra_ids={target["id"]})
    before = by(json.loads(one_person("agree", "--reference", "auto", "--format", "json").stdout),
                "reference", "code")
    # the suggestion was a false positive against lena's own coding; accepted, it is hers too: a true positive
    assert got[("lena", "teamwork")]["tp"] == before[("lena", "teamwork")]["tp"] + 1
    assert got[("lena", "teamwork")]["fp"] == before[("lena", "teamwork")]["fp"] - 1
    # the same reading for whole documents and for characters (tp, fp, fn counted on character sets here)
    docs = by(json.loads(cli("agree", "--reference", "auto", "--unit", "document", "--format", "json").stdout),
              "reference", "code")
    assert (docs[("lena", "teamwork")]["tp"], docs[("lena", "teamwork")]["fp"]) == (2, 0)
    chars = by(json.loads(cli("agree", "--reference", "auto", "--unit", "char", "--format", "json").stdout),
               "reference", "code")
    for code in CODES:
        mine = {(r["document"], i) for r in codings(cli) if r["code"] == code and person("lena")(r)
                for i in range(r["start"], r["end"])}
        its = {(r["document"], i) for r in codings(cli) if r["code"] == code
               and auto_proposed({target["id"]})(r) for i in range(r["start"], r["end"])}
        got_c = chars[("lena", code)]
        assert (got_c["tp"], got_c["fp"], got_c["fn"]) == (len(mine & its), len(its - mine), len(mine - its))
    # and lena is still the only person: agree refuses rather than compare her with the machine
    assert "only one person has codings in the project: lena" in " ".join(cli.fails("agree").output.split())


def test_status_default_counts_the_peoples_decisions(two_people):
    """Default statuses: accepted and manual codings of the people; an unreviewed suggestion is nobody's."""
    help_text = " ".join(two_people("agree", "--help").stdout.split())
    assert "default: accepted,manual" in help_text and "--reference auto" in help_text
    assert json.loads(two_people("agree", "--format", "json", "--bootstrap", "0").stdout) == json.loads(
        two_people("agree", "--status", "accepted,manual", "--format", "json", "--bootstrap", "0").stdout)


# --------------------------------------------------------------------------- a CSV table with a coder named auto


def test_table_applies_the_same_rule_to_a_coder_named_auto(cli, tmp_path):
    path = tmp_path / "ward.csv"
    rows = [("u1", "lena", "workload"), ("u1", "auto", "workload"), ("u2", "lena", ""), ("u2", "auto", "workload"),
            ("u3", "lena", "burnout"), ("u3", "auto", ""), ("u4", "lena", "burnout"), ("u4", "auto", "burnout")]
    buf = io.StringIO()
    csv.writer(buf).writerows([("unit", "coder", "code"), *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    r = cli.fails("agree", "--table", path)
    line = " ".join(r.output.split())
    assert "only one person has codings in the table" in line and "--reference auto" in line
    assert "add a second person's rows to the table" in line

    out = by(json.loads(cli("agree", "--table", path, "--reference", "auto", "--format", "json").stdout), "code")
    truth = {"workload": [1, 0, 0, 0], "burnout": [0, 0, 1, 1]}
    pred = {"workload": [1, 1, 0, 0], "burnout": [0, 0, 0, 1]}
    for code in truth:
        assert out[code]["precision"] == pytest.approx(precision_score(truth[code], pred[code]))
        assert out[code]["recall"] == pytest.approx(recall_score(truth[code], pred[code]))
    frame = agree_table(path, reference="auto")
    assert frame.attrs["title"].startswith(EVALUATION_TITLE) and frame.attrs["evaluates_auto_coder"]

    # with a second person the table's people are compared, the auto-coder left out unless named
    more = path.with_name("ward2.csv")
    more.write_text(buf.getvalue() + "u1,omar,workload\nu2,omar,\nu3,omar,burnout\nu4,omar,\n", encoding="utf-8")
    frame = agree_table(more, bootstrap=0)
    assert frame.attrs["coders"] == ["lena", "omar"] and not frame.attrs["evaluates_auto_coder"]
    named = agree_table(more, coders="lena,omar,auto", bootstrap=0)
    assert named.attrs["evaluates_auto_coder"] and named.attrs["title"].startswith(EVALUATION_TITLE)
    with pytest.raises(InputError, match="compares people"):
        agree_table(path)
