"""Questionnaire responses and scores: reading and validation, reverse scoring, missing-data policies, worked
examples from published sources, the demo data against the study's published figures, and the factor chart."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tematik.errors import InputError, InstrumentError
from tematik.export.charts import factor_chart
from tematik.instrument import category_scale, load_instrument
from tematik.survey import (
    check_responses,
    cronbach_alpha,
    method_notes,
    read_responses,
    respondent_scores,
    reverse_scored,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "survey"
DEMO = ROOT / "corpora" / "ks-library" / "survey"


def write(tmp_path: Path, text: str, name: str = "responses.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small():
    return load_instrument(DATA / "small.yaml")


@pytest.fixture(scope="module")
def demo():
    instrument = load_instrument(DEMO / "instrument.yaml")
    return read_responses(DEMO / "responses.csv", instrument)


def row(scores: pd.DataFrame, factor: str) -> pd.Series:
    return scores.set_index("factor").loc[factor]


# --------------------------------------------------------------------------- worked examples


def test_cronbach_alpha_matches_the_statology_worked_example():
    """Statology, "How to Calculate Cronbach's Alpha in Python" (Zach Bobbitt, 17 Aug 2021; also at
    statisticalpoint.com/cronbachs-alpha-in-python): 10 customers, 3 items on a 1-3 scale; pingouin gives
    alpha = 0.7734375 ("0.773")."""
    responses = read_responses(DATA / "statology.csv", load_instrument(DATA / "statology.yaml"))
    result = row(score(responses), "satisfaction")
    assert result["alpha"] == pytest.approx(0.7734375, abs=1e-12)
    assert (result["n"], result["items"]) == (10, 3)


def test_cronbach_alpha_matches_an_indonesian_hand_calculation():
    """"Uji Reliabilitas Alpha Cronbach" (id.scribd.com/document/455715410): 10 respondents, items A-D on a 1-5
    scale, sum of item variances 2.1, total variance 5.96, r = (4/3)(1 - 2.1/5.96) = 0.864. The sheet uses
    semicolons and a 'responden' id column."""
    instrument = load_instrument(DATA / "reliabilitas.yaml")
    responses = read_responses(DATA / "reliabilitas.csv", instrument, id_column="responden")
    alpha = row(score(responses), "kuesioner")["alpha"]
    assert round(alpha, 3) == 0.864
    raw = responses.answers
    assert raw.var(ddof=0).sum() == pytest.approx(2.10)
    assert raw.sum(axis=1).var(ddof=0) == pytest.approx(5.96)


def test_cronbach_alpha_edge_cases():
    assert math.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]})))  # one item
    assert math.isnan(cronbach_alpha(pd.DataFrame({"a": [3, 3], "b": [2, 2]})))  # no variance
    with_blank = pd.DataFrame({"a": [1, 2, 3, None], "b": [1, 3, 3, 5]})
    assert cronbach_alpha(with_blank) == pytest.approx(cronbach_alpha(with_blank.dropna()))


def test_percent_of_maximum_matches_a_published_likert_example(tmp_path):
    """"Skala Likert Quesioner" (id.scribd.com/document/450212149), Kuesioner 1: 1007 answers on a 1-4 scale,
    393 x 4 + 591 x 3 + 22 x 2 + 1 x 1 = 3390 of a possible 4 x 1007 = 4028, printed as 84,1 % (truncated;
    3390 / 4028 = 84.16 %) and interpreted as "sangat puas" on 25-point bands (75 % - 100 %)."""
    counts = {4: 393, 3: 591, 2: 22, 1: 1}
    answers = [value for value, count in counts.items() for _ in range(count)]
    lines = ["respondent,jawaban", *(f"R{i:04d},{value}" for i, value in enumerate(answers, start=1))]
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = row(score(read_responses(path, load_instrument(DATA / "kepuasan.yaml"))), "kepuasan")
    assert (result["n"], result["score"], result["max"]) == (1007, 3390, 4028)
    assert result["percent"] == pytest.approx(84.16, abs=0.005)
    assert math.floor(result["percent"] * 10) / 10 == 84.1
    assert result["category"] == "sangat puas"


# --------------------------------------------------------------------------- reverse scoring and blanks

HEADER = "respondent,role,s1,s2,s3,c1,c2\n"


def test_reverse_scored_items_count_as_min_plus_max_minus_answer(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,2\nP2,teknisi,2,2,5,4,4\n")
    responses = read_responses(path, small)
    assert list(responses.answers["s3"]) == [1, 5]  # stored as answered
    assert list(reverse_scored(responses)["s3"]) == [5, 1]
    scores = score(responses)
    sharing = row(scores, "sharing")
    assert (sharing["score"], sharing["max"]) == (5 + 4 + 5 + 2 + 2 + 1, 30)
    assert sharing["percent"] == pytest.approx(19 / 30 * 100)
    assert sharing["category"] == "cukup positif"
    climate = row(scores, "climate")
    assert (climate["score"], climate["max"], climate["percent"]) == (13, 20, 65.0)
    total = row(scores, "total")  # overall over the listed factor only
    assert (total["score"], total["max"], total["items"]) == (19, 30, 3)


def test_blank_answer_under_error_policy_names_line_and_column(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,2\nP2,teknisi,2,2,5,,4\n")
    with pytest.raises(InstrumentError) as caught:
        read_responses(path, small)
    assert str(caught.value).startswith(f"{path}:3: c1: blank answer")


def test_skip_policy_leaves_blanks_out_of_score_and_maximum(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,\nP2,teknisi,2,,5,4,4\nP3,teknisi,,,,,\n")
    responses = read_responses(path, small, missing="skip")
    scores = score(responses)
    sharing = row(scores, "sharing")
    # P1: 5 + 4 + (6-1) = 14 over 3 answers; P2: 2 + (6-5) = 3 over 2 answers; P3 answered nothing
    assert (sharing["n"], sharing["score"], sharing["max"]) == (2, 17, 25)
    assert sharing["percent"] == pytest.approx(68.0)
    assert sharing["mean"] == pytest.approx(17 / 5)
    assert sharing["sd"] == pytest.approx(pd.Series([14 / 3, 3 / 2]).std())
    assert math.isnan(sharing["alpha"])  # only P1 answered every item
    climate = row(scores, "climate")
    assert (climate["n"], climate["score"], climate["max"]) == (2, 11, 15)
    per = respondent_scores(responses).set_index(["respondent", "factor"])
    assert per.loc[("P2", "sharing"), "percent"] == pytest.approx(30.0)
    assert per.loc[("P3", "sharing"), "max"] == 0 and math.isnan(per.loc[("P3", "sharing"), "percent"])


def test_mean_policy_fills_a_blank_with_the_respondents_factor_mean(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,\nP2,teknisi,2,,5,4,4\n")
    scores = score(read_responses(path, small, missing="mean"))
    sharing = row(scores, "sharing")
    # P2's blank s2 becomes the mean of P2's other sharing scores after reversal: (2 + 1) / 2 = 1.5
    assert (sharing["score"], sharing["max"]) == (14 + 2 + 1.5 + 1, 30)
    climate = row(scores, "climate")
    # P1's blank c2 becomes P1's c1 = 3
    assert (climate["score"], climate["max"], climate["percent"]) == (6 + 8, 20, 70.0)
    assert row(scores, "total")["score"] == sharing["score"]


def test_mean_policy_refuses_a_factor_with_no_answer(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,2\nP2,teknisi,2,3,5,,\n")
    problems = check_responses(path, small, missing="mean")
    assert [(p.line, p.field) for p in problems] == [(3, "climate")]
    assert "no answer to any item of factor 'climate'" in problems[0].message


def test_unknown_missing_policy(tmp_path, small):
    path = write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,2\n")
    with pytest.raises(InstrumentError, match="missing: unknown policy 'drop'"):
        read_responses(path, small, missing="drop")


# --------------------------------------------------------------------------- validation


def test_header_problems_name_the_column(tmp_path, small):
    path = write(tmp_path, "respondent,role,s1,s2,s3,c1,x9\nP1,pustakawan,5,4,1,3,2\n")
    problems = check_responses(path, small)
    assert [(p.line, p.field) for p in problems] == [(1, "x9"), (1, "c2")]
    assert "not an item of instrument 'small' nor a respondent attribute (attributes: role)" in problems[0].message
    assert problems[1].message == "missing column for item 'c2' of factor 'climate'"
    other_id = check_responses(path, small, id_column="id")
    assert [(p.line, p.field) for p in other_id] == [(1, "respondent"), (1, "x9"), (1, "id"), (1, "c2")]
    assert other_id[2].message == "no such column for the respondent ids (choose the id column)"


def test_cell_problems_name_line_and_column_and_nothing_is_returned(tmp_path, small):
    path = write(tmp_path, HEADER
                 + "P1,pustakawan,7,4,1,3,2\n"       # line 2: outside the scale
                 + "P2,pustakawan,5,setuju,1,3,2\n"  # line 3: not a number
                 + "\n"                              # line 4: blank lines are skipped but counted
                 + "P3,teknisi,5,4,3.5,3,2\n"        # line 5: not a whole number
                 + "P1,teknisi,5,4,1,3,2\n"          # line 6: duplicate respondent
                 + ",teknisi,5,4,1,3,2\n"            # line 7: no id
                 + "P4,teknisi,4.0,4,1,3,2,9\n")     # line 8: a cell beyond the header
    problems = check_responses(path, small)
    assert [(p.line, p.field) for p in problems] == [
        (2, "s1"), (3, "s2"), (5, "s3"), (6, "respondent"), (7, "respondent"), (8, None)]
    assert str(problems[0]) == f"{path}:2: s1: 7 is outside the scale 1-5"
    assert problems[1].message == "'setuju' is not a number on the scale 1-5"
    assert problems[2].message == "3.5 is not a whole number on the scale 1-5"
    assert problems[3].message == "duplicate respondent 'P1' (first on line 2)"
    with pytest.raises(InstrumentError) as caught:
        read_responses(path, small)
    assert str(caught.value) == f"{path}:2: s1: 7 is outside the scale 1-5 (and 5 more problems)"
    assert len(caught.value.problems) == 6


def test_xlsx_problems_name_the_sheet_row(tmp_path, small):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["respondent", "role", "s1", "s2", "s3", "c1", "c2"])
    ws.append(["P1", "pustakawan", 5, 4, 1, 3, 2])
    ws.append(["P2", "teknisi", 4.0, 4, 2, 3, 3])
    ws.append(["P3", "teknisi", 9, 4, 2, 3, 3])
    path = tmp_path / "angket.xlsx"
    wb.save(path)
    problems = check_responses(path, small)
    assert [str(p) for p in problems] == [f"{path}:4: s1: 9 is outside the scale 1-5"]
    ws.delete_rows(4)
    wb.save(path)
    responses = read_responses(path, small)
    assert responses.respondents == ["P1", "P2"]
    assert list(responses.attributes["role"]) == ["pustakawan", "teknisi"]


def test_unsupported_or_missing_files(tmp_path, small):
    with pytest.raises(InstrumentError, match=r"unsupported responses file type '\.json'"):
        read_responses(write(tmp_path, "{}", "r.json"), small)
    assert [p.message for p in check_responses(tmp_path / "none.csv", small)] == ["no such file"]


def test_by_unknown_attribute(tmp_path, small):
    responses = read_responses(write(tmp_path, HEADER + "P1,pustakawan,5,4,1,3,2\n"), small)
    with pytest.raises(InstrumentError, match="unknown respondent attribute 'unit' \\(known: role\\)"):
        score(responses, by="unit")


# --------------------------------------------------------------------------- the demo data and the study


def test_demo_reproduces_every_published_percentage_and_category(demo):
    """Every percentage (one decimal) and category of the study's abstract, as tabled in the shared study
    README and restated in tests/data/survey/published.csv, from the demo instrument and responses."""
    published = pd.read_csv(DATA / "published.csv")
    scores = score(demo).set_index("factor")
    english = score(demo, lang="en").set_index("factor")
    assert len(published) == 14
    for target in published.itertuples():
        got = scores.loc[target.factor]
        assert f"{got['percent']:.1f}" == f"{target.percent:.1f}", target.factor
        assert got["category"] == target.category, target.factor
        assert (got["name"], english.loc[target.factor, "name"], got["group"]) == (
            target.name_id, target.name_en, target.group)
        assert got["n"] == 25
    # the overall score pools all items; it is not the mean of the factor percentages (69.7)
    factors = scores[scores["group"] != "overall"]
    assert round(factors["percent"].mean(), 1) == 69.7
    overall = scores.loc["ks_behaviour"]
    assert overall["score"] == factors["score"].sum() and overall["max"] == factors["max"].sum()


def test_demo_answers_look_like_answers(demo):
    answers = demo.answers
    assert answers.shape == (25, 64)
    assert set(answers.stack().unique()) == {1, 2, 3, 4, 5}
    assert answers.std(axis=1).min() > 0.5  # nobody ticks one column throughout
    assert answers.nunique().min() >= 3  # respondents disagree on every item
    alphas = score(demo).set_index("factor")["alpha"]
    assert alphas.drop("ks_behaviour").between(0.6, 0.9).all()
    # reverse-worded items were answered the other way round
    for item in demo.instrument.reverse_items:
        assert answers[item].mean() < 3.5 and reverse_scored(demo)[item].mean() > 2.5


def test_demo_split_by_role_adds_up_and_differs_mildly(demo):
    assert demo.respondents == [f"P{i:02d}" for i in range(1, 26)]
    roles = demo.attributes["role"]
    assert list(roles.value_counts()[["pustakawan", "tenaga administrasi", "teknisi"]]) == [14, 7, 4]
    by_role = score(demo, by="role")
    assert list(dict.fromkeys(by_role["role"])) == ["pustakawan", "tenaga administrasi", "teknisi"]
    whole = score(demo).set_index("factor")
    sums = by_role.groupby("factor")[["score", "max", "n"]].sum().reindex(whole.index)
    assert (sums["score"] == whole["score"]).all() and (sums["max"] == whole["max"]).all()
    assert (sums["n"] == 25).all()
    gaps = (by_role.set_index(["role", "factor"])["percent"] - whole["percent"]).abs()
    assert 0 < gaps.max() < 10
    overall_by_role = by_role[by_role["factor"] == "ks_behaviour"].set_index("role")["percent"]
    assert overall_by_role.max() - overall_by_role.min() < 5


def test_per_respondent_scores_add_up_to_the_factor_scores(demo):
    per = respondent_scores(demo)
    assert len(per) == 25 * 14
    assert list(per.columns[:2]) == ["respondent", "role"]
    whole = score(demo).set_index("factor")
    assert (per.groupby("factor")["score"].sum().reindex(whole.index) == whole["score"]).all()
    assert per["category"].isin([b.label("id") for b in demo.instrument.categories.bands]).all()


def test_another_category_scale_relabels_the_same_percentages(demo):
    sugiyono = score(demo, scale=category_scale("sugiyono-range", demo.instrument.scale)).set_index("factor")
    ks = score(demo).set_index("factor")
    assert (sugiyono["percent"] == ks["percent"]).all()
    assert sugiyono.loc["feedback", "category"] == "positif" != ks.loc["feedback", "category"]


def test_method_notes_say_how_scores_were_made(demo):
    notes = " ".join(method_notes(demo))
    assert "25 respondents answered 64 items on a 1-5 scale grouped in 13 factors" in notes
    assert "not the mean of the factor percentages" in notes
    assert "ks-undiksha" in notes and "Media Pustakawan" in notes
    assert "no blank answers were accepted" in notes


def test_construct_script_rebuilds_the_demo_responses_exactly(tmp_path):
    """construct.py is deterministic: run on a copy, it writes the committed responses.csv byte for byte."""
    copy = tmp_path / "corpora" / "ks-library" / "survey"
    copy.mkdir(parents=True)
    for name in ("construct.py", "instrument.yaml"):
        shutil.copy(DEMO / name, copy / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, str(copy / "construct.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (copy / "responses.csv").read_bytes() == (DEMO / "responses.csv").read_bytes()


# --------------------------------------------------------------------------- chart


def test_factor_chart_writes_png_and_svg(tmp_path, demo):
    scale = demo.instrument.categories
    png = factor_chart(score(demo, lang="en"), tmp_path / "factors.png", scale)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width == 1600  # 8 inches at 200 dpi: fits a page width
    svg = factor_chart(score(demo), tmp_path / "sub" / "factors.svg", scale).read_text(encoding="utf-8")
    for text in ("motivasi intrinsik", "87.5", "faktor pendorong", "faktor penghambat", "sangat positif"):
        assert text in svg


def test_factor_chart_refuses_split_scores_and_other_formats(tmp_path, demo):
    scale = demo.instrument.categories
    with pytest.raises(InputError, match="one row per factor"):
        factor_chart(score(demo, by="role"), tmp_path / "x.png", scale)
    with pytest.raises(InputError, match="as .png or .svg"):
        factor_chart(score(demo), tmp_path / "x.pdf", scale)
