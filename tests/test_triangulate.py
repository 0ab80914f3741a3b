"""Triangulation: the convergence rules case by case, links files, statistics by themes, quotes, and the
override / meta-inference path through the real CLI on a real project."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA
from tematik import triangulate as tri
from tematik.errors import InputError
from tematik.triangulate import (
    AGREEMENT,
    DISSONANCE,
    PARTIAL,
    SILENCE,
    FactorScore,
    Link,
    Rules,
    ThemeEvidence,
)

# --------------------------------------------------------------------------- the rules, case by case

SCORES = {
    "high": FactorScore("high", "high factor", "driving", 78.0, "positif", "positive"),
    "fair": FactorScore("fair", "fair factor", "inhibiting", 60.0, "cukup positif", "positive"),
    "low": FactorScore("low", "low factor", "inhibiting", 49.6, "negatif", "negative"),
    "very_low": FactorScore("very_low", "very low factor", "inhibiting", 30.0, "sangat negatif", "negative"),
    "middling": FactorScore("middling", "middling factor", None, 50.0, "sedang", "mixed"),
    "overall": FactorScore("overall", "overall", "overall", 65.0, "cukup positif", "positive"),
}


def theme(participants=6, total=10, units=20, negative=2, methods=("interview", "observation")) -> ThemeEvidence:
    return ThemeEvidence("t", "Theme", participants, total, units, negative, tuple(methods))


def links(*pairs) -> list[Link]:
    return [Link("t", f, d) for f, d in pairs]


def code(evidence, link_list, rules=Rules()):
    return tri.assess(evidence, link_list, SCORES, rules)


def test_agreement_prominent_positive_theme_and_every_factor_reads_positive():
    c = code(theme(), links(("high", "positive"), ("fair", "positive")))
    assert c.code == AGREEMENT
    assert "6 of 10 participants" in c.reason and "60%" in c.reason
    assert [r.agrees for r in c.links] == [True, True]


def test_partial_when_some_linked_factors_agree_and_others_do_not():
    c = code(theme(), links(("high", "positive"), ("low", "positive")))
    assert c.code == PARTIAL
    assert "1 of 2 tested factors agree" in c.reason
    assert "low factor does not" in c.reason


def test_partial_when_directions_agree_but_the_theme_is_not_prominent():
    c = code(theme(participants=1), links(("high", "positive")))
    assert c.code == PARTIAL
    assert "below the prominence threshold of 20%" in c.reason


def test_partial_when_no_link_has_an_expected_direction():
    c = code(theme(), links(("high", "mixed"), ("low", None)))
    assert c.code == PARTIAL
    assert "only prominence is compared" in c.reason
    assert [r.agrees for r in c.links] == [None, None]


def test_partial_not_dissonance_when_a_contradicted_theme_is_thin():
    c = code(theme(participants=1), links(("low", "positive")))
    assert c.code == PARTIAL
    assert "too thin to call dissonance" in c.reason


def test_dissonance_prominent_positive_theme_against_negative_factors():
    c = code(theme(), links(("low", "positive"), ("very_low", "positive")))
    assert c.code == DISSONANCE
    assert "no tested factor reads in the expected direction" in c.reason


def test_dissonance_mostly_negative_theme_while_the_factor_reads_positive():
    negative_theme = theme(units=10, negative=7)
    c = code(negative_theme, links(("high", "positive")))
    assert c.code == DISSONANCE
    assert "7 of its 10 units negative (70%), so it reads negative" in c.reason
    # the same theme agrees with a factor that reads negative
    assert code(negative_theme, links(("low", "positive"))).code == AGREEMENT


def test_negative_links_expect_the_opposite_reading():
    assert code(theme(), links(("low", "negative"))).code == AGREEMENT
    assert code(theme(), links(("high", "negative"))).code == DISSONANCE


def test_silence_when_the_theme_was_not_coded():
    c = code(theme(participants=0, units=0, negative=0, methods=()), links(("high", "positive")))
    assert c.code == SILENCE
    assert "qualitative data are silent" in c.reason


def test_silence_when_the_theme_links_to_nothing_scored():
    assert code(theme(), []).code == SILENCE
    c = code(theme(), links(("not_in_survey", "positive")))
    assert c.code == SILENCE
    assert "not_in_survey" in c.reason and "questionnaire is silent" in c.reason


def test_silence_for_factors_no_theme_links_to_and_overall_left_out():
    evidence = [theme()]
    display = tri.joint_display(evidence, links(("high", "positive")), SCORES)
    factor_rows = [r for r in display.rows if r.kind == "factor"]
    assert [r.key for r in factor_rows] == ["fair", "low", "very_low", "middling"]
    assert {r.computed.code for r in factor_rows} == {SILENCE}
    assert display.overall is SCORES["overall"]
    summary = {s["convergence"]: s for s in display.summary()}
    assert summary[SILENCE]["computed"] == 4 and summary[AGREEMENT]["computed"] == 1
    assert summary["total"]["computed"] == len(display.rows) == 5


def test_every_code_is_reachable():
    cases = [code(theme(), links(("high", "positive"))),
             code(theme(), links(("high", "positive"), ("low", "positive"))),
             code(theme(), []), code(theme(), links(("low", "positive")))]
    assert {c.code for c in cases} == set(tri.CONVERGENCE_CODES)


def test_prominence_threshold_is_inclusive_and_configurable():
    at_threshold = theme(participants=2, total=10)  # 20%
    assert code(at_threshold, links(("high", "positive"))).code == AGREEMENT
    assert code(at_threshold, links(("high", "positive")), Rules(prominence=25)).code == PARTIAL


def test_positive_categories_override_the_scale_readings():
    strict = Rules(positive_categories=("sangat positif", "positif"))
    assert code(theme(), links(("fair", "positive"))).code == AGREEMENT
    assert code(theme(), links(("fair", "positive")), strict).code == DISSONANCE
    assert strict.factor_reading("Positif", "negative") == "positive"  # case-insensitive, and it overrides
    assert strict.factor_reading(None) is None
    assert Rules().factor_reading("whatever", "negative") == "negative"  # no override: the scale's reading


def test_a_factor_that_reads_mixed_is_not_tested():
    result = code(theme(), links(("middling", "positive")))
    assert result.code == PARTIAL and "reads mixed" in result.reason
    assert result.links[0].reading == "mixed" and result.links[0].agrees is None
    both = code(theme(), links(("middling", "positive"), ("high", "positive")))
    assert both.code == AGREEMENT  # the mixed one is left out of the test, the other agrees
    assert "(None)" not in both.reason and "middling factor 50.0% sedang" in both.reason


def test_readings_come_from_the_instruments_category_scale(tmp_path):
    from tematik.instrument import FROM_ORDER, load_instrument

    path = tmp_path / "i.yaml"
    path.write_text("id: ward\nscale: {min: 1, max: 3}\ncategories:\n  - {lower: 0, label: rendah}\n"
                    "  - {lower: 50, label: sedang}\n  - {lower: 80, label: tinggi}\n"
                    "factors: [{id: f, items: [a, b]}]\n", encoding="utf-8")
    scale = load_instrument(path).categories
    assert scale.readings == FROM_ORDER
    assert [b.reading for b in scale.bands] == ["negative", "mixed", "positive"]
    assert "declare no readings" in scale.readings_note() and "tinggi positive" in scale.readings_note()
    frame = pd.DataFrame([{"factor": "f", "name": "F", "group": None, "percent": 88.8, "category": "tinggi"}])
    score = tri.factor_scores(frame, scale)["f"]
    assert (score.reading, score.group) == ("positive", "")
    assert tri.assess(theme(), [Link("t", "f", "positive")], {"f": score}).code == AGREEMENT


def test_polarity_rule_and_negative_share_are_configurable():
    negative_theme = theme(units=10, negative=7)
    assert code(negative_theme, links(("high", "positive")), Rules(polarity="ignore")).code == AGREEMENT
    assert code(negative_theme, links(("high", "positive")), Rules(negative_share=0.75)).code == AGREEMENT
    half = theme(units=10, negative=5)  # exactly half: not *more* than half
    assert Rules().theme_reading(half.units, half.negative_units) == "positive"


@pytest.mark.parametrize("kwargs", [{"prominence": 120}, {"polarity": "count"}, {"negative_share": 1.0},
                                    {"positive_categories": ()}])
def test_bad_rules_are_input_errors(kwargs):
    with pytest.raises(InputError):
        Rules(**kwargs)


def test_rules_describe_every_rule_and_cite_farmer():
    text = " ".join(Rules(prominence=30).describe())
    for word in ("30%", "Agreement", "Dissonance", "Partial agreement", "Silence", "Farmer", "2006"):
        assert word in text


def test_normalise_convergence_accepts_short_forms():
    assert tri.normalise_convergence("Partial") == PARTIAL
    assert tri.normalise_convergence("partial_agreement") == PARTIAL
    assert tri.normalise_convergence(" DISSONANCE ") == DISSONANCE
    with pytest.raises(InputError, match="unknown convergence code"):
        tri.normalise_convergence("maybe")


def test_overrides_stand_apart_from_the_computed_code():
    display = tri.joint_display([theme()], links(("high", "positive")), SCORES,
                                overrides={"t": tri.Override(DISSONANCE, "quotes contradict", "ani", "2025-01-02")},
                                inferences={"t": "they agree less than it seems"})
    row = display.rows[0]
    assert row.computed.code == AGREEMENT and row.convergence == DISSONANCE
    rec = row.record()
    assert (rec["computed"], rec["override"], rec["convergence"]) == (AGREEMENT, DISSONANCE, DISSONANCE)
    assert "ani" in rec["override_note"] and "quotes contradict" in rec["override_note"]
    assert rec["meta_inference"] == "they agree less than it seems"
    summary = {s["convergence"]: s for s in display.summary()}
    assert summary[AGREEMENT]["computed"] == 1 and summary[AGREEMENT]["final"] == 0
    assert summary[DISSONANCE]["final"] == 1
    assert display.overridden == 1


# --------------------------------------------------------------------------- evidence, quotes, links files


def test_theme_evidence_reads_analysis_frequency_tables():
    freq = pd.DataFrame([{"code": "a", "name": "A", "units": 5, "participants": 2, "eligible": 4, "negative": 1},
                         {"code": "b", "name": "B", "units": 0, "participants": 0, "eligible": 4, "negative": 0}])
    by_source = pd.DataFrame([{"group": "observation", "code": "a", "units": 2},
                              {"group": "interview", "code": "a", "units": 3},
                              {"group": "interview", "code": "b", "units": 0}])
    quotes = pd.DataFrame([{"code": "a", "participant": "P1", "role": "x", "document": "d1",
                            "text": "A long enough passage about a.", "negative": False}])
    a, b = tri.theme_evidence(freq, by_source, quotes, 2)
    assert (a.participants, a.participants_total, a.participants_pct, a.negative_share) == (2, 4, 50.0, 0.2)
    assert a.methods == ("interview", "observation") and a.method_label == "both"
    assert a.quotes[0].participant == "P1" and a.quotes[0].cite().endswith("(P1, x)")
    assert b.methods == () and b.method_label == "none" and b.quotes == ()


def test_quotes_come_from_different_participants_and_prefer_positive_passages():
    rows = [{"participant": "P1", "role": "r", "document": "d", "text": "P1 says something positive here.",
             "polarity": "positive"},
            {"participant": "P1", "role": "r", "document": "d", "text": "P1 says another thing, also positive.",
             "polarity": "positive"},
            {"participant": "P2", "role": "s", "document": "e", "text": "P2 does not agree with this at all.",
             "polarity": "negative"},
            {"participant": "P2", "role": "s", "document": "e", "text": "P2 agrees with it after all, really.",
             "polarity": "positive"},
            {"participant": None, "role": None, "document": "obs", "text": "An observed scene worth quoting.",
             "polarity": "positive"}]
    quotes = tri.pick_quotes(rows, 3)
    assert [q.participant for q in quotes] == ["P1", "P2", None]  # busiest voices first, unattributed last
    assert quotes[1].polarity == "positive"
    assert quotes[2].document == "obs"
    assert len(tri.pick_quotes(rows, 2)) == 2 and tri.pick_quotes(rows, 0) == ()
    long = tri.pick_quotes([{"participant": "P9", "text": "word " * 200}], 1, longest=50)
    assert len(long[0].text) <= 52 and long[0].text.endswith("\u2026")


def test_read_links_csv_and_yaml(tmp_path):
    csv_file = tmp_path / "links.csv"
    csv_file.write_text("theme,factor,direction,rationale\ntrust,sharing,positive,because\n"
                        "trust,climate,,\n", encoding="utf-8")
    found = tri.read_links(csv_file)
    assert [(k.theme, k.factor, k.direction, k.rationale, k.line) for k in found] == [
        ("trust", "sharing", "positive", "because", 2), ("trust", "climate", None, None, 3)]
    yaml_file = tmp_path / "links.yaml"
    yaml_file.write_text("trust:\n  - {factor: sharing, direction: negative, rationale: why}\n"
                         "openness:\n  - factor: climate\n", encoding="utf-8")
    found = tri.read_links(yaml_file)
    assert [(k.theme, k.factor, k.direction) for k in found] == [("trust", "sharing", "negative"),
                                                                  ("openness", "climate", None)]
    assert found[1].line == 4


@pytest.mark.parametrize("content, line, field", [
    ("theme,factor,direction\ntrust,sharing,upwards\n", 2, "direction"),
    ("theme,factor\ntrust,sharing\ntrust,sharing\n", 3, "factor"),
    ("theme,factor\n,sharing\n", 2, "theme"),
    ("theme,factor,weight\ntrust,sharing,1\n", 1, "weight"),
    ("topic,factor\ntrust,sharing\n", 1, "theme"),
])
def test_read_links_reports_file_line_field(tmp_path, content, line, field):
    path = tmp_path / "links.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        tri.read_links(path)
    assert err.value.format().startswith(f"{path}:{line}: {field}: ")


def test_check_links_names_unknown_themes_and_unscored_factors():
    problems = tri.check_links([Link("trust", "sharing"), Link("ghost", "nowhere", source="f.csv", line=3)],
                               ["trust"], ["sharing", "climate"])
    assert len(problems) == 2
    assert problems[0].startswith("f.csv:3: theme 'ghost'")
    assert "'nowhere', which the questionnaire does not score" in problems[1]


# --------------------------------------------------------------------------- statistics by themes


def test_by_theme_compares_voiced_and_silent_respondents():
    scores = pd.DataFrame([
        {"respondent": p, "factor": f, "percent": v}
        for p, f, v in [("P1", "high", 90.0), ("P2", "high", 70.0), ("P3", "high", 50.0), ("P4", "high", 10.0),
                        ("P1", "low", 40.0), ("P2", "low", 60.0), ("P3", "low", 20.0), ("P4", "low", 99.0)]])
    voiced = {"t": {"P1", "P2", "P9"}}
    frame = tri.by_theme(voiced, scores, links(("high", "positive"), ("low", "negative"), ("absent", "positive")),
                         population=["P1", "P2", "P3"])
    rows = {r["factor"]: r for r in frame.to_dict(orient="records")}
    assert set(rows) == {"high", "low"}  # a factor with no scores is left out
    high = rows["high"]
    assert (high["voiced_n"], high["voiced_mean"], high["not_voiced_n"], high["not_voiced_mean"]) == (2, 80.0, 1, 50.0)
    assert high["difference"] == pytest.approx(30.0) and high["fits_direction"] is True
    low = rows["low"]  # P4 is outside the population
    assert low["difference"] == pytest.approx(50.0 - 20.0) and low["fits_direction"] is False
    everyone = tri.by_theme(voiced, scores, links(("high", "positive")))
    assert everyone.iloc[0]["not_voiced_n"] == 2 and everyone.iloc[0]["not_voiced_mean"] == pytest.approx(30.0)


# --------------------------------------------------------------------------- through the CLI


CODEBOOK = """\
name: Tri
version: "1"
languages: [id]
factors: [sharing, climate]
codes:
  - id: trust
    name: {id: Kepercayaan}
    definition: {id: Staf saling percaya.}
    rules: {id: {terms: [percaya]}}
    factors:
      - {factor: sharing, direction: positive, rationale: trusted colleagues get knowledge}
  - id: openness
    name: {id: Keterbukaan}
    definition: {id: Staf terbuka.}
    rules: {id: {terms: [terbuka]}}
    factors:
      - {factor: sharing, direction: positive, rationale: open people share}
      - {factor: climate, direction: positive, rationale: openness needs a good climate}
  - id: kinship
    name: {id: Kekeluargaan}
    definition: {id: Seperti keluarga.}
    rules: {id: {terms: [keluarga]}}
    factors:
      - {factor: climate, direction: negative, rationale: family ties fill in for a weak climate}
"""
# sharing: s1, s2 and reverse-scored s3; climate: c1, c2 (tests/data/survey/small.yaml)
RESPONSES = """\
respondent,role,s1,s2,s3,c1,c2
P1,pustakawan,5,5,1,2,2
P2,pustakawan,4,4,2,2,2
P3,teknisi,3,3,3,2,2
P4,teknisi,4,4,2,2,2
"""
INTERVIEWS = {
    "P1": "Pewawancara: Bagaimana suasananya?\nBu Ani: Kami saling percaya di sini. Saya terbuka soal ilmu apa saja.\n",
    "P2": "Pewawancara: Bagaimana suasananya?\nPak Budi: Saya percaya rekan saya mengerjakan titipan.\n",
    "P3": "Pewawancara: Bagaimana suasananya?\nBu Citra: Biasa saja, masing-masing bekerja sendiri.\n",
}
OBSERVATION = "Catatan observasi rapat pagi.\nStaf tampak saling percaya ketika membagi tugas.\n"


def build_project(cli, folder: Path) -> None:
    """Three interviews (P1-P3), one observation, a three-theme codebook linked to the two factors of
    tests/data/survey/small.yaml, manual codings, and four questionnaire respondents (P1-P4)."""
    folder.mkdir(parents=True, exist_ok=True)
    for pid, text in INTERVIEWS.items():
        path = folder / f"wawancara_{pid}.txt"
        path.write_text(text, encoding="utf-8")
        cli("import", path, "--participant", pid, "--role", "teknisi" if pid == "P3" else "pustakawan",
            "--language", "id", "--speaker", "Pewawancara=interviewer")
    obs = folder / "observasi_01.txt"
    obs.write_text(OBSERVATION, encoding="utf-8")
    cli("import", obs, "--source-type", "observation", "--language", "id")
    codebook = folder / "tri.yaml"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    cli("codebook", "load", codebook)
    cli("code", "add", "wawancara_P1", "trust", "--match", "Kami saling percaya di sini.", "--coder", "ani")
    cli("code", "add", "wawancara_P1", "openness", "--match", "Saya terbuka soal ilmu apa saja.", "--coder", "ani")
    cli("code", "add", "wawancara_P2", "trust", "--match", "Saya percaya rekan saya", "--coder", "ani")
    cli("code", "add", "observasi_01", "trust", "--match", "saling percaya", "--coder", "ani")
    responses = folder / "responses.csv"
    responses.write_text(RESPONSES, encoding="utf-8")
    cli("survey", "import", responses, "--instrument", DATA / "survey" / "small.yaml")


@pytest.fixture
def project(cli, tmp_path):
    build_project(cli, tmp_path / "files")
    return cli


def joint(cli, *args) -> dict[str, dict]:
    rows = json.loads(cli("triangulate", "--format", "json", *args).stdout)
    return {r["theme"] or r["name"]: r for r in rows}


def test_cli_joint_display_counts_and_codes(project):
    rows = joint(project)
    assert list(rows) == ["trust", "openness", "kinship"]  # both factors are linked: no factor rows
    trust, openness, kinship = rows["trust"], rows["openness"], rows["kinship"]
    assert (trust["participants"], trust["participants_total"], trust["units"]) == (2, 3, 3)
    assert trust["methods"] == "both"  # coded in interviews and in the observation
    assert trust["computed"] == AGREEMENT  # sharing 80% positif
    assert openness["methods"] == "interview"
    assert openness["computed"] == PARTIAL  # sharing agrees, climate 40% negatif does not
    assert "berbagi [+]: 80.0% positif (driving) ✓" in openness["factors"]
    assert "iklim [+]: 40.0% negatif (inhibiting) ✗" in openness["factors"]
    assert kinship["computed"] == SILENCE and kinship["units"] == 0
    assert "P1" in trust["quotes"] and "pustakawan" in trust["quotes"]
    strict = joint(project, "--positive", "sangat positif")
    assert strict["trust"]["computed"] == DISSONANCE
    assert joint(project, "--prominence", "50")["openness"]["computed"] == PARTIAL


def test_cli_default_statuses_exclude_suggestions_and_say_so(project):
    project("autocode")
    counted = joint(project)
    with_suggestions = joint(project, "--status", "suggested,accepted,manual")
    assert counted["trust"]["units"] == 3
    assert with_suggestions["kinship"]["units"] == 0
    assert with_suggestions["trust"]["units"] >= counted["trust"]["units"]
    table = project("triangulate", "--status", "all").stdout
    assert "UNREVIEWED" in table


def test_cli_override_is_recorded_with_who_and_why_and_shown_apart(project):
    project("triangulate", "set", "Kepercayaan", "--convergence", "partial", "--note", "only two voices",
            "--coder", "ani")
    rows = joint(project)
    assert rows["trust"]["computed"] == AGREEMENT
    assert rows["trust"]["override"] == PARTIAL and rows["trust"]["convergence"] == PARTIAL
    assert rows["trust"]["override_note"].startswith("ani (") and "only two voices" in rows["trust"]["override_note"]
    log = json.loads(project("log", "--format", "json").stdout)
    entry = next(e for e in log if e["entity"] == "convergence")
    assert (entry["who"], entry["action"], entry["entity_id"]) == ("ani", "override", "trust")
    assert json.loads(entry["after"]) == {"convergence": PARTIAL, "note": "only two voices"}
    table = project("triangulate").stdout
    assert "→ overridden: partial agreement ✎ by ani (" in table and "): only two voices" in table
    assert "agreement: 0 (computed 1), partial agreement: 2 (computed 1)" in table and "1 overridden" in table
    project("triangulate", "set", "trust", "--clear", "--coder", "ani")
    rows = joint(project)
    assert rows["trust"]["override"] == "" and rows["trust"]["convergence"] == AGREEMENT
    actions = [e["action"] for e in json.loads(project("log", "--format", "json").stdout)
               if e["entity"] == "convergence"]
    assert actions[:2] == ["clear", "override"]
    assert "only two voices" in project("triangulate", "log").stdout


def test_cli_override_refuses_bad_input(project):
    assert "unknown convergence code" in project.fails("triangulate", "set", "trust", "--convergence", "meh",
                                                       "--note", "x").stderr
    assert "--note" in project.fails("triangulate", "set", "trust", "--convergence", "silence").stderr
    assert "no code 'ghost'" in project.fails("triangulate", "set", "ghost", "--convergence", "silence",
                                              "--note", "x").stderr
    project("triangulate", "set", "climate", "--convergence", "silence", "--note", "a factor row key is allowed")


def test_cli_meta_inference_is_written_shown_and_removed(project):
    project("triangulate", "infer", "openness", "--text", "Open talk, closed climate.", "--coder", "ani")
    assert joint(project)["openness"]["meta_inference"] == "Open talk, closed climate."
    assert "Meta-inference: Open talk, closed climate." in project("triangulate").stdout
    project("triangulate", "infer", "openness", "--text", "")
    assert joint(project)["openness"]["meta_inference"] == ""


def test_cli_by_theme_compares_respondents_who_spoke(project):
    rows = json.loads(project("triangulate", "by-theme", "--format", "json").stdout)
    trust = next(r for r in rows if r["theme"] == "trust" and r["factor"] == "sharing")
    # speakers who answered: P1 (100%), P2 (80%) voiced trust; P3 (60%) did not; P4 never spoke
    assert (trust["voiced_n"], trust["not_voiced_n"]) == (2, 1)
    assert trust["voiced_mean"] == pytest.approx(90.0) and trust["not_voiced_mean"] == pytest.approx(60.0)
    assert trust["difference"] == pytest.approx(30.0) and trust["fits_direction"] is True
    same = json.loads(project("triangulate", "--by-theme", "--format", "json").stdout)
    assert same == rows


def test_cli_links_file_replaces_the_codebook_links(project, tmp_path):
    links_file = tmp_path / "links.csv"
    links_file.write_text("theme,factor,direction,rationale\ntrust,climate,positive,test\n", encoding="utf-8")
    r = project("triangulate", "--format", "json", "--links", links_file)
    rows = {x["theme"] or x["name"]: x for x in json.loads(r.stdout)}
    assert rows["trust"]["computed"] == DISSONANCE  # climate reads negative
    assert rows["openness"]["computed"] == SILENCE  # no link left
    assert rows["berbagi"]["kind"] == "factor" and rows["berbagi"]["computed"] == SILENCE


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "docx", "xlsx"])
def test_cli_writes_every_format(project, tmp_path, fmt):
    out = tmp_path / f"joint.{fmt}"
    project("triangulate", "--format", fmt, "--output", out)
    assert out.stat().st_size > 0
    if fmt in ("md", "csv", "html"):
        text = out.read_text(encoding="utf-8")
        assert "Kepercayaan" in text and "partial agreement" in text


def test_a_factor_in_a_group_called_overall_keeps_its_row_when_the_overall_score_is_named():
    scores = {"satisfaction": FactorScore("satisfaction", "satisfaction", "overall", 84.1, "tinggi", "positive"),
              "total": FactorScore("total", "total", "overall", 80.0, "tinggi", "positive")}
    display = tri.joint_display([], [], scores, overall="total")
    assert [r.key for r in display.rows] == ["satisfaction"] and display.overall is scores["total"]
    assert [r.key for r in tri.joint_display([], [], scores).rows] == []  # without the id: the group decides
