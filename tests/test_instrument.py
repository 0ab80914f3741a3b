"""Instrument files and category scales: loading, validation with line numbers, presets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tematik.errors import InstrumentError
from tematik.instrument import (
    Band,
    CategoryScale,
    ResponseScale,
    category_scale,
    check_instrument,
    load_instrument,
    parse_instrument,
    preset_names,
    presets,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "survey"
DEMO = ROOT / "corpora" / "ks-library" / "survey" / "instrument.yaml"



def published() -> list[tuple[str, str, str, str, float, str]]:
    """The study's 14 published rows (percent of maximum and category per factor) from the abstract, as tabled
    in the project's shared study README (/work/shared/study/README.md, "Published quantitative results"),
    restated in tests/data/survey/published.csv with the demo instrument's factor ids."""
    with (DATA / "published.csv").open(encoding="utf-8") as fh:
        return [(r["factor"], r["name_id"], r["name_en"], r["group"], float(r["percent"]), r["category"])
                for r in csv.DictReader(fh)]


PUBLISHED = published()


def test_published_rows_match_the_study_readme_when_it_is_there():
    """The restated rows are the study README's table (skipped where shared/ is not beside the repository)."""
    readme = ROOT.parent / "shared" / "study" / "README.md"
    if not readme.is_file():
        pytest.skip("shared/study/README.md is not beside the repository")
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[3].replace(".", "").isdigit():
            rows.append((cells[0], cells[1], cells[2], float(cells[3]), cells[4]))
    assert rows == [(name_id, name_en, group, pct, cat) for _, name_id, name_en, group, pct, cat in PUBLISHED]


def test_demo_instrument_has_the_studys_factors_names_and_groups():
    instrument = load_instrument(DEMO)
    by_id = {f.id: f for f in instrument.scored}
    assert len(instrument.factors) == 13
    for factor_id, name_id, name_en, group, _, _ in PUBLISHED:
        factor = by_id[factor_id]
        assert (factor.name("id"), factor.name("en"), factor.group) == (name_id, name_en, group)
    assert instrument.overall.composed_of == tuple(f.id for f in instrument.factors)
    assert len(instrument.overall.items) == len(instrument.items) == 64
    assert instrument.categories.name == "ks-undiksha"
    assert instrument.attributes == ("role",)
    # every item has wording in both languages, reverse-worded items are a minority
    assert all(set(item.text) == {"id", "en"} for item in instrument.items)
    assert 0 < len(instrument.reverse_items) < len(instrument.items) / 2


@pytest.mark.parametrize("row", PUBLISHED, ids=[r[0] for r in PUBLISHED])
def test_ks_undiksha_preset_gives_every_published_category(row):
    _, _, _, _, percent, category = row
    assert category_scale("ks-undiksha").label(percent, "id") == category


def test_common_conventions_mislabel_some_published_values():
    """The study README notes that the 20%-band and Sugiyono range conventions mislabel several values."""
    scale = ResponseScale(1, 5)

    def mislabelled(name: str) -> set[str]:
        bands = category_scale(name, scale)
        return {r[0] for r in PUBLISHED if bands.label(r[4], "id") != r[5]}

    assert mislabelled("ks-undiksha") == set()
    assert mislabelled("equal-20") == {"ks_behaviour", "feedback", "organisational_climate", "subjective_norm",
                                       "reciprocity_norm", "introjected_motivation", "external_motivation"}
    assert mislabelled("sugiyono-range") == {"ks_behaviour", "feedback", "organisational_climate"}


def test_sugiyono_range_follows_the_response_scale():
    """Rentang skala: interval = (highest - lowest possible) / classes. The worked example at
    qodia.blogspot.com/2015/09/rentang-skala-pada-spss.html (100 respondents, 1-5 scale) gets an interval of
    100 x (5 - 1) / 5 = 80 on total scores 100..500, i.e. 80 / 500 = 16 points of the percent of maximum
    starting at 100 / 500 = 20 %."""
    five = category_scale("sugiyono-range", ResponseScale(1, 5))
    assert five.bounds == pytest.approx((20, 36, 52, 68, 84))
    assert (five.bounds[1] - five.bounds[0]) / 100 * 500 == pytest.approx(80)
    four = category_scale("sugiyono-range", ResponseScale(1, 4))
    assert four.bounds == pytest.approx((25, 40, 55, 70, 85))
    assert four.label(10, "en") == "very negative"  # below the lowest reachable value: lowest band


def test_bands_are_half_open_at_their_lower_bound():
    scale = category_scale("ks-undiksha")
    assert scale.label(70.0) == "positif"
    assert scale.label(69.99) == "cukup positif"
    assert scale.label(85.0, "en") == "very positive"
    assert scale.label(84.999, "en") == "positive"
    assert scale.label(0.0) == "sangat negatif"
    assert scale.label(100.0) == "sangat positif"
    # a percentage computed as 57/100*100 lands a hair under 57 in floating point; it still reaches a 57 bound
    custom = CategoryScale("c", (Band(0, {"en": "low"}), Band(57, {"en": "high"})))
    assert 0.57 * 100 < 57
    assert custom.label(0.57 * 100, "en") == "high"


def test_every_preset_says_where_it_comes_from():
    assert set(preset_names()) >= {"ks-undiksha", "equal-20", "sugiyono-range"}
    for scale in presets():
        assert len(scale.source) > 60
        assert [b.lower for b in scale.bands] == sorted(b.lower for b in scale.bands)
        assert all(b.label("id") and b.label("en") for b in scale.bands)
    assert "Riduwan" in category_scale("equal-20").source
    assert "Sugiyono" in category_scale("sugiyono-range").source


def test_unknown_preset_is_an_instrument_error():
    with pytest.raises(InstrumentError, match="unknown category scale 'x'"):
        category_scale("x")


def test_inline_bands_are_sorted_and_used(tmp_path):
    path = tmp_path / "i.yaml"
    path.write_text(
        "id: t\nscale: {min: 1, max: 4}\n"
        "categories:\n"
        "  - {lower: 50, label: {id: tinggi, en: high}}\n"
        "  - {lower: 0, label: rendah}\n"
        "factors:\n  - {id: f, group: g, items: [a, b]}\n",
        encoding="utf-8",
    )
    instrument = load_instrument(path)
    assert instrument.categories.bounds == (0, 50)
    assert instrument.categories.label(49.9, "en") == "rendah"  # a plain string serves every language
    assert instrument.categories.label(50, "en") == "high"
    assert str(path) in instrument.categories.source
    assert instrument.overall is None


def test_overall_from_listed_factors_pools_their_items_and_reverse_items():
    instrument = load_instrument(DATA / "small.yaml")
    assert instrument.overall.item_ids == ("s1", "s2", "s3")
    assert instrument.overall.reverse == ("s3",)
    assert instrument.overall.composed_of == ("sharing",)
    assert instrument.scored[-1] is instrument.overall
    assert "items of sharing pooled" in instrument.overall_method()


def test_every_problem_of_a_broken_file_is_reported_with_its_line_and_field():
    path = DATA / "broken.yaml"
    problems = check_instrument(path)
    found = [(p.line, p.field) for p in problems]
    assert found == [
        (4, "scale.max"),
        (5, "categories"),
        (8, "factors.alpha.name.fr"),
        (11, "factors.alpha.reverse"),
        (14, "factors.beta.items[2]"),
        (15, "factors.alpha"),
        (19, "overall.factors"),
    ]
    assert str(problems[0]) == f"{path}:4: scale.max: must be a number (int), not 'five'"
    assert "'a2' is already listed under factors.alpha" in problems[4].message
    assert "'gamma' is not a factor" in problems[6].message

    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    assert str(caught.value).startswith(f"{path}:4: scale.max: ")
    assert str(caught.value).endswith("(and 6 more problems)")
    assert [p.line for p in caught.value.problems] == [4, 5, 8, 11, 14, 15, 19]


def test_a_valid_file_has_no_problems():
    assert check_instrument(DEMO) == []
    assert check_instrument(DATA / "small.yaml") == []


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("id: t\nscale: {min: 1, max: 5}\nfactors:\n  - {id: f, group: g, items: [a, b]\n", 5, None,
         "not valid YAML"),
        ("", 1, None, "the file is empty"),
        ("- just\n- a list\n", 1, None, "must be a mapping"),
        ("id: t\nscale: {min: 5, max: 1}\nfactors: [{id: f, group: g, items: [a]}]\n", 2, "scale",
         "needs 0 <= min < max"),
        ("id: t\nscale: {min: 1, max: 5}\nfactors: []\n", 3, "factors", "needs at least one factor"),
        ("id: t\nscale: {min: 1, max: 5}\ncategories:\n  - {lower: 0, label: x, reading: negative}\n"
         "  - {lower: 50, label: y}\nfactors: [{id: f, items: [a]}]\n", 4, "categories", "1 of 2 bands have a reading"),
        ("id: t\nscale: {min: 1, max: 5}\ncategories:\n  - {lower: 0, label: x, reading: bad}\n"
         "factors: [{id: f, items: [a]}]\n", 4, "categories[1].reading", "unknown reading"),
        ("id: t\nscale: {min: 1, max: 5}\ncategories:\n  basis: mean\n  bands:\n    - {lower: 7, label: x}\n"
         "factors: [{id: f, items: [a]}]\n", 6, "categories.bands[1].lower", "not a mean item score"),
        ("id: t\nscale: {min: 1, max: 5}\nfactors:\n  - {id: f, group: g, items: [a]}\nextra: 1\n", 5, "extra",
         "unknown key"),
        ("id: t\nscale: {min: 1, max: 5}\ncategories:\n  - {lower: 120, label: x}\n"
         "factors: [{id: f, group: g, items: [a]}]\n", 4, "categories[1].lower", "not a percentage"),
        ("id: t\nscale: {min: 1, max: 5, labels: {7: x}}\nfactors: [{id: f, group: g, items: [a]}]\n", 2,
         "scale.labels.7", "not a value of the scale"),
        ("id: t\nscale: {min: 1, max: 5}\nfactors: [{id: f, group: g, items: [a b]}]\n", 3, "factors.f.items[1]",
         "must not contain spaces"),
        ("id: t\nscale: {min: 1, max: 5}\nfactors: [{id: f, group: g, items: [a]}]\noverall: {items: some}\n",
         4, "overall.items", "must be 'all'"),
        ("id: t\nscale: {min: 1, max: 5}\nfactors: [{id: f, group: g, items: [a]}]\noverall: {id: f, items: all}\n",
         4, "overall.id", "already a factor id"),
    ],
)
def test_single_problems(tmp_path, text, line, field, message):
    path = tmp_path / "instrument.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_instrument(path)
    assert problems, "expected a problem"
    first = problems[0]
    assert (first.path, first.line, first.field) == (str(path), line, field)
    assert message in first.message


def test_missing_file_is_reported_not_raised_by_check(tmp_path):
    problems = check_instrument(tmp_path / "nope.yaml")
    assert [p.message for p in problems] == ["file not found"]
    with pytest.raises(InstrumentError, match="nope.yaml: file not found"):
        load_instrument(tmp_path / "nope.yaml")


def test_parse_instrument_reads_text_as_stored():
    loaded = load_instrument(DEMO)
    parsed = parse_instrument(DEMO.read_text(encoding="utf-8"), "stored")
    assert parsed.path == "stored"
    assert (parsed.factors, parsed.overall, parsed.scale) == (loaded.factors, loaded.overall, loaded.scale)
    with pytest.raises(InstrumentError, match=r"^stored:1: "):
        parse_instrument("id: x\n", "stored")


def test_bands_on_the_mean_item_score_or_pomp_categorise_by_that_value(tmp_path):
    import pandas as pd

    from tematik.survey import Table as ResponsesTable
    from tematik.survey import responses_from_table, score

    text = ("id: t\nscale: {min: 1, max: 4}\ncategories:\n  basis: {basis}\n  bands:\n"
            "    - {lower: {low}, label: rendah}\n    - {lower: {mid}, label: tinggi, }\n"
            "factors: [{id: f, items: [a, b]}]\n")
    rows = ((2, ("r1", "3", "3")), (3, ("r2", "2", "3")))  # mean item score 2.75: percent 68.75, POMP 58.3
    found = {}
    for basis, low, mid in (("mean", 1, 2.7), ("pomp", 0, 60), ("percent", 0, 60)):
        path = tmp_path / f"{basis}.yaml"
        body = text.replace("{basis}", basis).replace("{low}", str(low)).replace("{mid}", str(mid))
        path.write_text(body.replace("label: tinggi, }", "label: tinggi}"), encoding="utf-8")
        instrument = load_instrument(path)
        assert instrument.categories.basis == basis
        responses = responses_from_table(ResponsesTable(str(path), ("respondent", "a", "b"), rows), instrument)
        frame = score(responses)
        assert isinstance(frame, pd.DataFrame)
        found[basis] = frame.iloc[0]["category"]
        assert frame.iloc[0]["pomp"] == pytest.approx((2.75 - 1) / 3 * 100)
    assert found == {"mean": "tinggi", "pomp": "rendah", "percent": "tinggi"}
