"""`tematik speakers`: list each document's labels and what they map to; fix a mapping after import."""

from __future__ import annotations

import json

import pytest

from conftest import DATA, digest

WARD = DATA / "ward"


def as_json(result) -> list[dict]:
    return json.loads(result.stdout)


def freq(cli) -> dict[str, dict]:
    return {r["code"]: r for r in as_json(cli("freq", "--format", "json"))}


@pytest.fixture
def handover(cli):
    """An English focus group of nurses whose labels map to nobody, coded and reviewed."""
    cli("import", WARD / "handover_en.txt", "--language", "en")
    cli("participants", "import", WARD / "roster.csv")
    cli("codebook", "load", WARD / "ward.yaml")
    cli("autocode")
    cli("code", "accept", "--all")
    return cli


def test_speakers_lists_labels_with_turn_counts_and_targets(handover):
    rows = as_json(handover("speakers", "--format", "json"))
    assert [(r["label"], r["turns"], r["maps_to"]) for r in rows] == [
        ("(no label)", 1, "-"), ("Interviewer", 2, "interviewer"), ("Nurse Dewi", 2, "unmapped"),
        ("Nurse Ayu", 2, "unmapped")]
    assert {r["document"] for r in rows} == {"handover_en"}
    table = handover("speakers", "handover_en").stdout
    assert "Nurse Ayu" in table and "unmapped" in table


def test_set_maps_labels_and_freq_triangulate_report_follow(handover, tmp_path):
    before = freq(handover)
    assert before["workload"]["participants"] == 0 and before["workload"]["units"] == 3
    codings_before = as_json(handover("codings", "--format", "json"))
    assert {c["participant"] for c in codings_before} == {None}

    r = handover("speakers", "set", "handover_en", "nurse dewi=N02", "Nurse Ayu=N03")  # labels case-insensitive
    assert "unmapped" in r.stdout and "N02" in r.stdout
    after = freq(handover)
    assert (after["workload"]["participants"], after["workload"]["eligible"]) == (2, 2)
    assert after["workload"]["units"] == 3 and after["teamwork"]["participants"] == 2
    # codings stay on their text, now with a speaker
    codings_after = as_json(handover("codings", "--format", "json"))
    assert [(c["id"], c["start"], c["end"], c["text"]) for c in codings_after] == [
        (c["id"], c["start"], c["end"], c["text"]) for c in codings_before]
    by_text = {c["text"]: c["participant"] for c in codings_after}
    assert by_text["That is overtime nobody pays."] == "N03"
    assert by_text["We help each other with the heavy patients."] == "N02"
    joint = {r["theme"]: r for r in as_json(handover("triangulate", "--format", "json"))}
    assert joint["teamwork"]["participants"] == 2 and "(N03" in joint["teamwork"]["quotes"]
    handover("report", "--output", tmp_path / "rep")
    assert "voiced by 2 of 2 participants" in (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")

    # Ayu was the facilitator after all: her turns leave the counts
    handover("speakers", "set", "handover_en", "Nurse Ayu=interviewer")
    again = freq(handover)
    assert (again["workload"]["units"], again["workload"]["participants"]) == (2, 1)
    assert again["teamwork"]["units"] == 1
    # and back to unmapped: counted as units again, by nobody
    handover("speakers", "set", "handover_en", "Nurse Ayu=")
    assert freq(handover)["workload"]["units"] == 3
    rows = {r["label"]: r["maps_to"] for r in as_json(handover("speakers", "--format", "json"))}
    assert rows["Nurse Ayu"] == "unmapped" and rows["Nurse Dewi"] == "N02"

    log = [e for e in as_json(handover("log", "--format", "json")) if e["action"] == "speaker"]
    assert len(log) == 4 and all(e["who"] for e in log)
    last = log[0]  # newest first
    assert json.loads(last["before"]) == {"label": "Nurse Ayu", "maps_to": "interviewer"}
    assert json.loads(last["after"]) == {"label": "Nurse Ayu", "maps_to": "unmapped"}


def test_set_all_changes_every_document_with_the_label(cli, tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(
            f"Peneliti: Bagaimana shift {name}?\nP2: Beban kerja berat.\nPeneliti: Lalu?\nP2: Kurang perawat.\n",
            encoding="utf-8")
    (tmp_path / "c.txt").write_text("Peneliti: Siapa?\nBu Sari: Saya kepala ruang.\nPeneliti: Baik.\n"
                                    "Bu Sari: Ya.\n", encoding="utf-8")
    cli("import", tmp_path, "--language", "id")
    r = cli("speakers", "set", "--all", "P2=N07", "--create")
    assert "created participant N07" in r.stderr
    rows = as_json(cli("speakers", "--format", "json"))
    assert {(r["document"], r["maps_to"]) for r in rows if r["label"] == "P2"} == {("a", "N07"), ("b", "N07")}
    assert {r["maps_to"] for r in rows if r["label"] == "Bu Sari"} == {"unmapped"}
    people = {p["id"]: p for p in as_json(cli("participants", "--format", "json"))}
    assert people["N07"]["turns"] == 4


@pytest.mark.parametrize("args, message", [
    (("set", "handover_en", "Nurse Ayu=N99"), "no participant 'N99'"),
    (("set", "handover_en", "Nurse Rina=N02"), "no speaker label 'Nurse Rina' in that document; labels: "
                                               "Interviewer, Nurse Ayu, Nurse Dewi"),
    (("set", "nosuchdoc", "Nurse Ayu=N02"), "no document 'nosuchdoc'"),
    (("set", "handover_en", "Nurse Ayu"), "expected LABEL=PARTICIPANT"),
    (("set", "handover_en"), "nothing to set"),
    (("set", "--all", "Nurse Dewi=N02", "Nurse Rina=N03"), "no speaker label 'Nurse Rina' in any document"),
    (("handover_en", "extra"), "at most one document"),
])
def test_bad_speaker_changes_are_one_line_errors_and_change_nothing(handover, args, message):
    before = digest(handover.db)
    r = handover.fails("speakers", *args)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert digest(handover.db) == before


def test_a_fixed_mapping_survives_replacing_the_edited_file(cli, tmp_path):
    f = tmp_path / "handover.txt"
    f.write_text((WARD / "handover_en.txt").read_text(encoding="utf-8"), encoding="utf-8")
    cli("import", f, "--language", "en")
    cli("participants", "import", WARD / "roster.csv")
    cli("speakers", "set", "handover", "Nurse Dewi=N02", "Nurse Ayu=interviewer")
    f.write_text(f.read_text(encoding="utf-8").replace("heavy patients", "heaviest patients"), encoding="utf-8")
    r = cli("import", f, "--language", "en", "--replace")
    assert "kept the project's speaker mapping Nurse Dewi=N02" in r.stderr
    assert "Nurse Ayu=interviewer" in r.stderr and "maps to no participant" not in r.stderr
    rows = {x["label"]: x["maps_to"] for x in as_json(cli("speakers", "--format", "json"))}
    assert rows == {"(no label)": "-", "Interviewer": "interviewer", "Nurse Dewi": "N02", "Nurse Ayu": "interviewer"}
    # a mapping given on the new import wins over the kept one
    f.write_text(f.read_text(encoding="utf-8") + "\nNurse Dewi: One more thing.\n", encoding="utf-8")
    cli("import", f, "--language", "en", "--replace", "--speaker", "Nurse Dewi=N03")
    rows = {x["label"]: x["maps_to"] for x in as_json(cli("speakers", "--format", "json"))}
    assert rows["Nurse Dewi"] == "N03" and rows["Nurse Ayu"] == "interviewer"


def test_set_by_name_reaches_a_label_written_with_its_role_and_says_created_only_when_it_was(cli, tmp_path, db):
    f = tmp_path / "karu.txt"
    f.write_text("Peneliti: Bagaimana kerja sama di ruangan?\nBu Ratna (Karu): Kami saling membantu.\n"
                 "Peneliti: Terima kasih.\nBu Ratna (Karu): Sama-sama.\n", encoding="utf-8")
    cli("import", f, "--language", "id")
    before = digest(db)
    refused = cli("speakers", "set", "karu", "Bu Ratna=N09", "Bu Made=N10", "--create", ok=False)
    assert refused.exit_code == 2 and "no speaker label 'Bu Made'" in refused.stderr
    assert "created participant" not in refused.stderr + refused.stdout  # nothing was created: all or none
    assert digest(db) == before
    r = cli("speakers", "set", "karu", "Bu Ratna=N09", "--create")
    assert "created participant N09" in r.stderr
    rows = {x["label"]: x["maps_to"] for x in as_json(cli("speakers", "karu", "--format", "json"))}
    assert rows["Bu Ratna (Karu)"] == "N09" and rows["Peneliti"] == "interviewer"
