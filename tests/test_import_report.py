"""The import report: per file turns, speakers and their targets, text with no speaker, and the doubts."""

from __future__ import annotations

import json

from conftest import DATA
from tematik import importreport
from tematik.corpus import normalise
from tematik.models import Document, Turn

WARD = DATA / "ward"


def report(cli, *args) -> dict:
    return json.loads(cli("import", *args, "--format", "json").stdout)


def test_a_clean_file_gets_one_quiet_line(cli):
    r = cli("import", WARD / "ward_en.txt", "--participant", "N02", "--language", "en")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("imported 1 document(s)")
    text = (WARD / "ward_en.txt").read_text(encoding="utf-8")
    header = sum(not c.isspace() for c in text[:text.index("Interviewer:")])
    assert lines[1].strip() == ("ward_en: added, 7 turn(s): Interviewer=interviewer (3), Nurse Dewi=N02 (3), "
                                f"{header} characters with no speaker")
    assert len(lines) == 2 and "warning" not in r.stderr


def test_json_report_counts_turns_speakers_and_text_without_a_speaker(cli):
    rep = report(cli, WARD / "melati_id.txt", "--participant", "N01", "--language", "id")
    (f,) = rep["files"]
    assert (f["document"], f["action"], f["turns"], f["doubtful"]) == ("melati_id", "added", 7, False)
    assert [(s["label"], s["turns"], s["maps_to"]) for s in f["speakers"]] == [
        ("Pewawancara", 3, "interviewer"), ("Bu Ratna", 3, "N01")]
    text = normalise((WARD / "melati_id.txt").read_text(encoding="utf-8"))
    header = text[:text.index("Pewawancara:")]
    assert f["no_speaker_chars"] == sum(not c.isspace() for c in header)
    ratna = text[text.index("Beban kerja berat"):text.index("\nPewawancara: Apakah")]
    assert f["speakers"][1]["chars"] > sum(not c.isspace() for c in ratna)
    # importing it again: skipped, reported as such
    again = report(cli, WARD / "melati_id.txt", "--participant", "N01", "--language", "id")
    assert again["files"][0]["action"] == "skipped" and "skipped 1" in again["summary"]


def test_an_interview_without_turns_and_unmapped_speakers_are_warned_about(cli, tmp_path):
    plain = tmp_path / "catatan_ratna.txt"
    plain.write_text("Shift malam kemarin berat sekali. Kami hanya berdua untuk dua puluh pasien.\n\n"
                     "Kepala ruang sudah minta tambahan perawat tapi belum ada jawaban.\n", encoding="utf-8")
    r = cli("import", plain, WARD / "handover_en.txt", "--language", "en")
    assert "no speaker turns found" in r.stderr and "catatan_ratna.txt" in r.stderr
    assert "speaker 'Nurse Dewi' (2 turn(s)) maps to no participant" in r.stderr
    assert "tematik speakers set handover_en 'Nurse Ayu=ID'" in r.stderr
    assert "Nurse Ayu" in r.stdout and "unmapped" in r.stdout  # the doubtful file's speaker table
    docs = {d["name"]: d for d in json.loads(cli("docs", "--format", "json").stdout)}
    assert (docs["catatan_ratna"]["turns"], docs["catatan_ratna"]["speakers"]) == (1, 0)
    assert (docs["handover_en"]["speakers"], docs["handover_en"]["unmapped"]) == (3, 2)


def test_unused_speaker_mappings_are_reported(cli, tmp_path):
    (tmp_path / "ward_en.txt").write_text((WARD / "ward_en.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(
        "file,participant,language,speakers\n"
        "ward_en.txt,N02,en,Nurse Dewi=N02;Nurse Dewy=N02;Interviewer=interviewer\n", encoding="utf-8")
    rep = report(cli, tmp_path, "--manifest", tmp_path / "manifest.csv", "--speaker", "Ners Ratna=N01")
    (f,) = rep["files"]
    assert f["doubtful"]
    assert f["warnings"] == [
        f"speaker mapping Nurse Dewy=N02 ({tmp_path / 'manifest.csv'}:2) matches no label in the file"]
    assert rep["warnings"] == ["--speaker Ners Ratna=N01 matches no label in any imported file"]


def test_reader_warnings_are_filed_under_their_file(cli, tmp_path):
    f = tmp_path / "ruang_anggrek.txt"
    f.write_bytes("Pewawancara: Bagaimana shift pagi?\nBu Dewi: Ramai, pasien rujukan dari poli.\n"
                  "Pewawancara: Lalu?\nBu Dewi: Kami kewalahan, perawatnya kurang.\n".encode("cp1252"))
    (tmp_path / "ruang_anggrek_b.txt").write_text("Pewawancara: Lalu?\nBu Dewi: Ya.\nPewawancara: Oke.\n"
                                                  "Bu Dewi: Baik.\n", encoding="utf-8")
    # cp1252 of plain ASCII is valid UTF-8: add one byte that is not
    f.write_bytes(f.read_bytes().replace(b"Ramai", "Ramai\u2014".encode("cp1252")))
    rep = report(cli, f, tmp_path / "ruang_anggrek_b.txt", "--participant", "N05")
    files = {x["document"]: x for x in rep["files"]}
    assert any("Windows-1252" in w for w in files["ruang_anggrek"]["warnings"])
    assert not any("Windows-1252" in w for w in files["ruang_anggrek_b"]["warnings"])
    assert any("language not given" in n for n in files["ruang_anggrek_b"]["notes"])
    assert not files["ruang_anggrek_b"]["doubtful"]


def test_replaced_files_report_their_codings(cli, tmp_path):
    f = tmp_path / "melati.txt"
    f.write_text((WARD / "melati_id.txt").read_text(encoding="utf-8"), encoding="utf-8")
    cli("import", f, "--participant", "N01", "--language", "id")
    cli("codebook", "load", WARD / "ward.yaml")
    cli("autocode")
    f.write_text(f.read_text(encoding="utf-8").replace("3 Maret 2025", "3 Maret 2025 (shift pagi)")
                 .replace("Tidak dibayar.", "Tidak pernah dibayar."), encoding="utf-8")
    rep = report(cli, f, "--participant", "N01", "--language", "id", "--replace")
    (x,) = rep["files"]
    assert x["action"] == "replaced"
    assert x["codings"] == {"unchanged": 0, "moved": 5, "changed": 0, "lost": 0}
    assert not x["doubtful"]


# --------------------------------------------------------------------------- the pure parts


def _doc(text: str, turns: list[tuple[str, str | None, bool]]) -> Document:
    """Turns given as (label, participant, interviewer) in order; each starts after `label: ` on its line."""
    out, pos = [], 0
    for label, participant, interviewer in turns:
        start = text.index(f"{label}: ", pos) + len(label) + 2
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        # a turn runs on over lines that start no other listed turn
        out.append([start, end, label, participant, interviewer])
        pos = start
    for i in range(len(out) - 1):
        nxt = text.rfind("\n", 0, out[i + 1][0])
        out[i][1] = nxt
    out[-1][1] = len(text)
    return Document(name="d", text=text, turns=tuple(Turn(s, e, lab, p, i) for s, e, lab, p, i in out))


def test_label_like_lines_inside_a_turn_are_listed_and_header_lines_are_not():
    text = ("Tanggal: 4 April 2025\nPewawancara: Siapa yang jaga?\nBu Ratna: Saya dan Bu Sinta.\n"
            "Catatan Peneliti: responden tampak lelah.\nPewawancara: Terima kasih.\nBu Ratna: Sama-sama.")
    doc = _doc(text, [("Pewawancara", None, True), ("Bu Ratna", "N01", False), ("Pewawancara", None, True),
                      ("Bu Ratna", "N01", False)])
    assert importreport.labels_kept_as_text(doc) == [(4, "Catatan Peneliti")]
    speakers, no_speaker = importreport.speakers_of(doc)
    assert [(s.label, s.turns, s.maps_to) for s in speakers] == [("Pewawancara", 2, "interviewer"),
                                                                  ("Bu Ratna", 2, "N01")]
    assert no_speaker == sum(not c.isspace() for c in "Tanggal: 4 April 2025")
    rep = importreport.build([doc], actions={"d": "added"})
    assert rep.files[0].warnings == ["4: 'Catatan Peneliti' looks like a speaker label but was kept as text"]


def test_one_label_mapped_two_ways_shows_both_targets():
    text = "Peneliti: A?\nP: B.\nPeneliti: C?\nP: D."
    doc = _doc(text, [("Peneliti", None, True), ("P", "N01", False), ("Peneliti", None, True), ("P", None, False)])
    speakers, _ = importreport.speakers_of(doc)
    assert [(s.label, s.maps_to) for s in speakers] == [("Peneliti", "interviewer"), ("P", "N01, unmapped")]


def test_rows_of_a_table_are_summed_up_in_one_quiet_line(cli, tmp_path):
    answers = tmp_path / "jawaban_perawat.csv"
    answers.write_text("id,unit,answer\nN01,ICU,Beban kerja terlalu berat di shift malam.\n"
                       "N02,IGD,Kami saling membantu saat pasien banyak.\n"
                       "N03,ICU,Lembur sering tidak dibayar.\n", encoding="utf-8")
    r = cli("import", answers, "--text-column", "answer", "--id-column", "id", "--language", "id")
    lines = r.stdout.strip().splitlines()
    assert lines[1].strip() == f"{answers}: 3 row document(s), 3 added" and len(lines) == 2
    rep = report(cli, answers, "--text-column", "answer", "--id-column", "id", "--language", "id")
    assert [f["action"] for f in rep["files"]] == ["skipped"] * 3
    assert all(f["source_type"] == "response" and not f["warnings"] for f in rep["files"])


def test_answers_swallowed_into_the_interviewers_turns_are_doubtful():
    question = "Bagaimana pembagian pasien di ruangan ini?"
    answer = " ".join(["Satu perawat pegang dua belas pasien, kadang lebih kalau ada yang cuti."] * 4)
    text = f"Interviewer: {question}\n{answer}\nInterviewer: Terima kasih.\nBu Ratna: Sama-sama."
    swallowed = _doc(text, [("Interviewer", None, True), ("Interviewer", None, True), ("Bu Ratna", "N01", False)])
    (f,) = importreport.build([swallowed], actions={}).files
    assert any("interviewer's turns hold 9" in w for w in f.warnings), f.warnings
    only = _doc(f"Interviewer: {question}\n{answer}", [("Interviewer", None, True)])
    (g,) = importreport.build([only], actions={}).files
    assert any(w.startswith("only interviewer turns") for w in g.warnings)
    fine = _doc(f"Interviewer: {question}\nBu Ratna: {answer}", [("Interviewer", None, True),
                                                                 ("Bu Ratna", "N01", False)])
    assert importreport.build([fine], actions={}).files[0].warnings == []


def test_a_mapping_counts_as_used_whatever_role_or_emphasis_the_label_carries():
    text = "Peneliti: Siapa kepala ruang?\nBu Ratna (Karu Melati): Saya sendiri."
    doc = _doc(text, [("Peneliti", None, True), ("Bu Ratna (Karu Melati)", "N04", False)])
    rep = importreport.build([doc], actions={}, mappings={"d": ("m.csv:2", {"bu ratna": "N04", "Bu Sinta": "N05"})})
    assert rep.files[0].warnings == ["speaker mapping Bu Sinta=N05 (m.csv:2) matches no label in the file"]
