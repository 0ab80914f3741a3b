"""A second study, written for the tests (tests/data/study2: nurses of a hospital ward, focus groups and a
meeting, a codebook without a factors list, a 1-4 questionnaire with rendah / sedang / tinggi categories that
declare no readings, factors without groups), run through the whole chain with the real CLI on a real project
file: import, coding, survey import and scores, triangulation, statistics by themes, report.

Nothing of the bundled library study may appear in any output."""

from __future__ import annotations

import json

import pytest

from conftest import DATA

STUDY = DATA / "study2"
SPEAKERS = ["Sari=N01", "Dewi=N02", "Rina=N03", "Made=N04", "Yuli=N05", "Tono=N06", "Kepala Ruang=N07",
            "Moderator=interviewer"]

# The bundled study's words: its factor ids and names, its category labels, groups, theme names, its place.
FORBIDDEN = (
    "intrinsic_motivation", "knowledge_receiving", "attitude_towards_ks", "loss_of_knowledge_power",
    "knowledge_self_efficacy", "knowledge_donating", "organisational_climate", "subjective_norm",
    "reciprocity_norm", "introjected_motivation", "external_motivation", "motivasi intrinsik", "norma timbal balik",
    "sangat positif", "cukup positif", "sangat negatif", "very positive", "quite positive",
    "driving", "inhibiting", "pendorong", "penghambat",
    "Undiksha", "ks-undiksha", "Media Pustakawan", "pustakawan", "knowledge sharing", "Knowledge sharing",
    "Kepercayaan", "Kesetiakawanan", "Keterbukaan", "Kebersamaan", "Kekeluargaan",
)


def clean(text: str, where: str) -> None:
    found = [w for w in FORBIDDEN if w in text]
    assert not found, f"{where} mentions the bundled study: {found}"


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    """The ward study imported, coded and scored in one project; every command's output is collected."""
    from conftest import Cli

    home = tmp_path_factory.mktemp("ward")
    cli = Cli(home / "bangsal.db")
    outputs: list[tuple[str, str]] = []

    def run(*args, **kw):
        result = cli(*args, **kw)
        outputs.append((" ".join(map(str, args)), result.stdout + (result.stderr if result.stderr_bytes else "")))
        return result

    speakers = [a for s in SPEAKERS for a in ("--speaker", s)]
    run("import", STUDY / "fgd" / "fgd_pagi.txt", STUDY / "fgd" / "fgd_malam.txt", "--source-type", "focus_group",
        "--language", "id", *speakers)
    run("import", STUDY / "fgd" / "rapat_operan.txt", "--source-type", "meeting", "--language", "id", *speakers)
    run("codebook", "load", STUDY / "codebook.yaml")
    run("survey", "import", STUDY / "responses.csv", "--instrument", STUDY / "instrument.yaml")
    run("autocode")
    run("code", "accept", "--all")
    run("code", "add", "fgd_pagi", "beban_kerja", "--match", "catatan pasien belum lengkap", "--coder", "ana")
    return run, outputs, home


def test_import_keeps_focus_groups_and_meetings_apart(ward):
    run, _, _ = ward
    docs = {d["name"]: d for d in json.loads(run("docs", "--format", "json").stdout)}
    assert {n: d["source_type"] for n, d in docs.items()} == {
        "fgd_pagi": "focus_group", "fgd_malam": "focus_group", "rapat_operan": "meeting"}


def test_scores_use_the_instruments_own_scale_and_say_which_percentage(ward):
    run, _, _ = ward
    rows = {r["factor"]: r for r in json.loads(run("survey", "score", "--format", "json").stdout)}
    support = rows["dukungan_tim"]
    assert support["percent"] == pytest.approx(130 / 144 * 100)  # 12 nurses x 3 items x max 4
    assert support["pomp"] == pytest.approx((130 / 36 - 1) / 3 * 100)
    assert support["category"] == "tinggi" and support["group"] is None
    assert "only 12 respondents" in support["alpha_note"]
    table = run("survey", "score")
    text = " ".join((table.stdout + table.stderr).split())
    assert "percent of maximum" in text and "POMP" in text and "read by their order" in text


def test_triangulation_reads_tinggi_as_positive_without_being_told(ward):
    run, _, _ = ward
    result = run("triangulate", "--format", "json")
    rows = {r["theme"]: r for r in json.loads(result.stdout) if r["kind"] == "theme"}
    assert rows["kerja_sama"]["computed"] == "agreement", rows["kerja_sama"]["reason"]
    assert "tinggi" in rows["kerja_sama"]["factors"] and "✓" in rows["kerja_sama"]["factors"]
    assert "reads mixed" in rows["serah_terima"]["reason"]  # kejelasan_informasi is sedang: not tested
    assert "read by their order" in " ".join(result.stderr.split())
    # --positive still overrides the readings
    strict = run("triangulate", "--format", "json", "--positive", "sangat tinggi")
    rows = {r["theme"]: r for r in json.loads(strict.stdout) if r["kind"] == "theme"}
    assert rows["kerja_sama"]["computed"] == "dissonance"
    assert "not a category" in strict.stderr


def test_by_theme_tests_the_difference_and_says_when_groups_are_small(ward):
    run, _, _ = ward
    rows = json.loads(run("triangulate", "by-theme", "--format", "json").stdout)
    support = next(r for r in rows if r["factor"] == "dukungan_tim")
    assert support["voiced_n"] + support["not_voiced_n"] == 7  # N01-N07 spoke and answered
    for key in ("voiced_median", "not_voiced_median", "u", "p_value", "effect", "effect_low", "effect_high"):
        assert key in support
    assert "too small" in support["note"]


def test_report_and_every_output_is_free_of_the_bundled_study(ward):
    run, outputs, home = ward
    folder = home / "report"
    run("report", "--output", folder)
    run("codebook", "export", "--output", home / "codebook_out.yaml")
    exported = (home / "codebook_out.yaml").read_text(encoding="utf-8")
    assert "\nfactors:" not in exported  # the ward codebook declared none, so none are written
    report_md = (folder / "report.md").read_text(encoding="utf-8")
    assert "POMP" in report_md and "percent of maximum" in report_md
    clean(exported, "codebook export")
    clean(report_md, "report.md")
    clean((folder / "report.html").read_text(encoding="utf-8"), "report.html")
    for command, text in outputs:
        clean(text, command)


def test_frequencies_split_and_filter_by_the_new_source_types(ward):
    run, _, _ = ward
    rows = {r["code"]: r for r in json.loads(run("freq", "--by", "source_type", "--format", "json").stdout)}
    assert rows["serah_terima"]["focus_group"] + rows["serah_terima"]["meeting"] == rows["serah_terima"]["total"]
    assert rows["serah_terima"]["meeting"] >= 2
    meeting = json.loads(run("freq", "--source-type", "meeting", "--format", "json").stdout)
    assert {r["code"]: r["units"] for r in meeting} == {c: r["meeting"] for c, r in rows.items()}


def test_codebook_links_are_checked_against_the_projects_instrument(cli, tmp_path):
    from conftest import digest

    cli("survey", "import", STUDY / "responses.csv", "--instrument", STUDY / "instrument.yaml")
    bad = tmp_path / "codebook.yaml"
    text = (STUDY / "codebook.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("factor: kelelahan", "factor: burnout"), encoding="utf-8")
    before = digest(cli.db)
    r = cli.fails("codebook", "load", bad)
    line = next(i for i, t in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "burnout" in t)
    assert f"{bad}:{line}: codes.beban_kerja.factors:" in r.stderr and "'burnout'" in r.stderr
    assert "instrument 'bangsal-melati'" in r.stderr
    assert digest(cli.db) == before
    cli("codebook", "load", STUDY / "codebook.yaml")  # the right links load
