"""Codebook files: validation with line numbers, loading, writing, hashing, and the study's codebook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tematik.codebook import (
    check_factor_links,
    codebook_data,
    codebook_hash,
    dump_codebook,
    load_codebook,
    parse_codebook,
    rule_id,
    validate_file,
)
from tematik.errors import CodebookError

DATA = Path(__file__).resolve().parent / "data" / "codebook"
REPO = Path(__file__).resolve().parents[1]
STUDY = Path(__file__).resolve().parents[1] / "codebooks" / "knowledge-sharing.yaml"


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line of ``path`` containing ``needle``."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[nth - 1]


# --------------------------------------------------------------------------- loading a valid file

def test_small_codebook_loads_with_hierarchy_rules_and_links():
    cb = load_codebook(DATA / "small.yaml")
    assert cb.name == "Small test codebook" and cb.version == "0.3"
    assert cb.languages == ("id", "en")
    assert cb.ids == ("relations", "trust", "communication")
    assert [c.id for c in cb.children("relations")] == ["trust", "communication"]
    assert cb.code("relations").colour == "#aabbcc"  # normalised to lower case
    trust = cb.code("trust")
    assert trust.parent == "relations"
    assert trust.exclusion["en"] == ("Self-confidence.",)  # a plain string is taken as a one-item list
    assert [e.kind for e in trust.examples] == ["typical", "counter"]
    ids = {r.id: r for r in trust.rules}
    assert ids["trust/id/term:percaya"].match == "lemma"
    assert ids["trust/id/term:amanah"].match == "lower"
    assert ids["trust/id/term:andal"].text == "bisa diandalkan"  # an explicit id names the rule
    assert ids["trust/id/pattern:titip"].pattern[1] == {"OP": "?"}
    assert ids["trust/id/exclude:percaya diri"].window == 0
    assert ids["trust/id/exclude:agama"].window is None  # window: sentence
    assert ids["trust/id/exclude:bahwa"].window == 1
    assert ids["trust/en/term:rely on"].language == "en"
    assert trust.factors[0].factor == "reciprocity_norm" and trust.factors[0].rationale
    comm = cb.code("communication")
    assert {r.id: r.match for r in comm.rules_for("id", "term")} == {
        "communication/id/term:komunikasi": "lower",  # the language block's default
        "communication/id/term:rapat": "lemma",
        "communication/id/term:grup wa": "lower",
    }
    assert comm.factors[0].factor == "ict"  # a bare factor id is a link without direction
    assert cb.factors == ("reciprocity_norm", "ict")
    assert rule_id("trust", "id", "term", "percaya") == "trust/id/term:percaya"


# --------------------------------------------------------------------------- problems with line numbers

def test_every_problem_is_reported_with_its_line_and_field():
    path = DATA / "broken.yaml"
    problems = validate_file(path)
    found = {(p.line, p.field) for p in problems}
    expected = {
        (line_of(path, "languages: [id, fr]"), "languages[1]"),
        (line_of(path, "colours: many"), "colours"),
        (line_of(path, "colour: blue"), "trust.colour"),
        (line_of(path, "parent: nowhere"), "trust.parent"),
        (line_of(path, "match: stem"), "trust.rules.id.terms[1].match"),
        (line_of(path, "- percaya", 2), "trust.rules.id.terms[2]"),
        (line_of(path, "{POS: NOUN}"), "trust.rules.id.patterns[0].pattern[0].POS"),
        (line_of(path, "pattern: [{LOWER: kunci}]"), "trust.rules.id.patterns[1].id"),
        (line_of(path, "window: far"), "trust.rules.id.exclude[0].window"),
        (line_of(path, "      en:"), "trust.rules.en"),
        (line_of(path, "factor: happiness"), "trust.factors[0].factor"),
        (line_of(path, "id: Trust Two"), "codes[1].id"),
        (line_of(path, "parent: b"), "a.parent"),
        (line_of(path, "parent: a"), "b.parent"),
        (line_of(path, "kind: maybe"), "b.examples[0].kind"),
        (line_of(path, "- id: a", 2), "a.id"),
    }
    assert expected <= found, sorted(expected - found)
    assert len(problems) == len(expected)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    text = {str(p) for p in problems}
    assert f"{path}:{line_of(path, 'parent: b')}: a.parent: cycle in the hierarchy: a -> b -> a" in text
    assert any("duplicate rule 'trust/id/term:percaya'" in t for t in text)


def test_load_raises_the_first_problem_as_file_line_field_message():
    path = DATA / "broken.yaml"
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    first = validate_file(path)[0]
    assert err.value.line == first.line and err.value.field == first.field
    assert str(err.value).startswith(f"{path}:{first.line}: {first.field}: ")
    assert "more problems" in str(err.value)


@pytest.mark.parametrize("text, line, field, words", [
    ("name: x\nversion: 1\nlanguages: [id]\ncodes:\n  - id: a\n    name: {id: A\n", 7, None, "not valid YAML"),
    ("", 1, None, "empty"),
    ("- just\n- a list\n", 1, None, "expected a mapping"),
    ("name: x\nversion: 1\nlanguages: [id]\ncodes: []\n", 4, "codes", "at least one code"),
    ("name: x\nversion: 1\nlanguages: [id, en]\ncodes:\n  - id: a\n    name: {id: A}\n", 6, "a.name.en",
     "every language"),
    ("name: x\nversion: 1\nlanguages: [id]\ncodes:\n  - id: a\n    name: {id: A}\n    parent: a\n", 7,
     "a.parent", "own parent"),
    ("name: x\nversion: 1\nlanguages: [id]\ncodes:\n  - id: a\n    name: {id: A}\n    rules:\n      id:\n"
     "        patterns:\n          - {id: p, pattern: [{LOWER: x, OP: '?'}]}\n", 10, "a.rules.id.patterns[0].pattern",
     "match nothing"),
    ("name: x\nversion: 1\nlanguages: [id]\ncodes:\n  - id: a\n    name: {id: A}\n    rules:\n      id:\n"
     "        patterns:\n          - {id: p, pattern: [{LOWER: {REGEX: '(['}}]}\n", 10,
     "a.rules.id.patterns[0].pattern[0].LOWER.REGEX", "bad regular expression"),
    ("name: x\nversion: 1\nlanguages: [id]\ncodes:\n  - id: a\n    name: {id: A}\n    name: {id: B}\n", 7,
     "codes[0].name", "duplicate key"),
])
def test_single_problems(text, line, field, words):
    cb, problems = parse_codebook(text, "cb.yaml")
    assert cb is None
    assert problems, text
    p = problems[0]
    assert (p.line, p.field) == (line, field), str(p)
    assert words in p.message
    assert str(p).startswith(f"cb.yaml:{line}: ")


def test_missing_file_is_a_codebook_error(tmp_path):
    with pytest.raises(CodebookError) as err:
        load_codebook(tmp_path / "nope.yaml")
    assert "no such file" in str(err.value)
    assert [p.message for p in validate_file(tmp_path / "nope.yaml")] == ["no such file"]


# --------------------------------------------------------------------------- writing and hashing

@pytest.mark.parametrize("path", [DATA / "small.yaml", STUDY], ids=["small", "study"])
def test_yaml_dump_loads_back_to_an_equal_codebook(path, tmp_path):
    cb = load_codebook(path)
    out = tmp_path / "again.yaml"
    out.write_text(dump_codebook(cb, "yaml"), encoding="utf-8")
    again = load_codebook(out)
    assert again == cb
    assert [r.pattern for r in again.rules()] == [r.pattern for r in cb.rules()]  # not part of ==/hash
    assert codebook_hash(again) == codebook_hash(cb)


def test_hash_follows_content_not_layout(tmp_path):
    src = (DATA / "small.yaml").read_text(encoding="utf-8")
    base = codebook_hash(parse_codebook(src)[0])
    relaid = "# a new comment\n" + src.replace("terms: [trust, rely on]", "terms:\n          - trust\n"
                                                "          - rely on")
    assert relaid != src
    assert codebook_hash(parse_codebook(relaid)[0]) == base
    changed = src.replace("terms: [trust, rely on]", "terms: [trust, rely upon]")
    assert codebook_hash(parse_codebook(changed)[0]) != base
    pattern_changed = src.replace("{LOWER: {IN: [kunci, tugas]}}", "{LOWER: {IN: [kunci]}}")
    assert codebook_hash(parse_codebook(pattern_changed)[0]) != base


def test_markdown_and_csv_exports():
    cb = load_codebook(DATA / "small.yaml")
    md = dump_codebook(cb, "md")
    assert md.startswith("# Small test codebook")
    assert "### Kepercayaan / Trust (`trust`)" in md  # a child of relations is one level deeper
    assert "Trust makes reciprocity safe." in md and "`percaya diri [overlapping]`" in md
    assert "`agama [same sentence]`" in md
    rows = list(csv.DictReader(io.StringIO(dump_codebook(cb, "csv"))))
    assert [r["id"] for r in rows] == list(cb.ids)
    trust = rows[1]
    assert trust["parent"] == "relations" and trust["name_en"] == "Trust"
    assert "percaya" in trust["terms_id"] and trust["patterns_id"] == "titip"
    assert trust["factors"] == "reciprocity_norm (positive)"
    with pytest.raises(CodebookError):
        dump_codebook(cb, "pdf")


# --------------------------------------------------------------------------- the study's codebook

def test_study_codebook_is_complete_for_a_second_coder():
    assert validate_file(STUDY) == []
    cb = load_codebook(STUDY)
    assert cb.ids == ("trust", "solidarity", "openness", "togetherness", "kinship", "communication")
    assert {c.name["id"] for c in cb.codes} == {"Kepercayaan", "Kesetiakawanan", "Keterbukaan", "Kebersamaan",
                                                "Kekeluargaan", "Komunikasi"}
    from tematik.instrument import load_instrument

    study = load_instrument(REPO / "corpora" / "ks-library" / "survey" / "instrument.yaml")
    assert set(cb.factors) == {f.id for f in study.factors}  # the study's codebook declares its factors itself
    assert check_factor_links(cb, [f.id for f in study.factors]) == []
    colours = set()
    for c in cb.codes:
        colours.add(c.colour)
        for lang in ("id", "en"):
            assert c.definition.get(lang), (c.id, lang)
            assert c.inclusion.get(lang) and c.exclusion.get(lang), (c.id, lang)
            assert len(c.rules_for(lang, "term")) >= 5, (c.id, lang)
            assert c.rules_for(lang, "exclude"), (c.id, lang)
        kinds = {e.kind for e in c.examples}
        assert kinds == {"typical", "counter"}, c.id
        assert c.factors and all(f.rationale and f.direction for f in c.factors), c.id
    assert len(colours) == 6


def test_study_codebook_links_themes_to_factors_as_reasoned():
    cb = load_codebook(STUDY)
    links = {c.id: {f.factor for f in c.factors} for c in cb.codes}
    assert {"reciprocity_norm", "loss_of_knowledge_power"} <= links["trust"]
    assert {"ict", "feedback"} <= links["communication"]
    assert {"knowledge_donating", "attitude_towards_ks"} <= links["openness"]
    assert "organisational_climate" in links["togetherness"]
    assert {"organisational_climate", "subjective_norm"} <= links["kinship"]
    assert {"reciprocity_norm", "intrinsic_motivation"} <= links["solidarity"]


def test_study_codebook_keeps_broad_lemmas_out_of_togetherness_and_openness():
    """kebersamaan and terbuka have broad lemmas (sama 'same', buka 'open'): the codebook must match word forms."""
    cb = load_codebook(STUDY)
    for code, word in (("togetherness", "kebersamaan"), ("openness", "terbuka"), ("openness", "keterbukaan")):
        rules = [r for r in cb.code(code).rules_for("id", "term") if r.text == word]
        assert rules and all(r.match == "lower" for r in rules), (code, word)


OWN = """\
name: Bangsal
version: "1"
languages: [id]
codes:
  - id: kerja_sama
    name: {id: Kerja sama tim}
    definition: {id: Perawat saling membantu.}
    factors:
      - {factor: beban_kerja, direction: negative}
      - dukungan_atasan
"""


def test_a_codebook_without_factors_has_none_and_links_to_its_own():
    cb, problems = parse_codebook(OWN, path="own.yaml")
    assert problems == [] and cb.factors == ()
    assert [(f.factor, f.direction) for f in cb.code("kerja_sama").factors] == [("beban_kerja", "negative"),
                                                                               ("dukungan_atasan", None)]
    data = codebook_data(cb)
    assert "factors" not in data  # export writes what the user wrote and nothing more
    assert [f["factor"] for f in data["codes"][0]["factors"]] == ["beban_kerja", "dukungan_atasan"]
    text = dump_codebook(cb)
    assert "intrinsic_motivation" not in text and "\nfactors:" not in text
    problems = check_factor_links(cb, ["beban_kerja"], "instrument 'bangsal'")
    assert len(problems) == 1 and "'dukungan_atasan'" in str(problems[0]) and "instrument 'bangsal'" in str(problems[0])
    assert str(problems[0]).startswith("own.yaml:10: codes.kerja_sama.factors:")
