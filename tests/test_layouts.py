"""Speaker turns in the transcript layouts researchers bring (issue 11, items 1-2).

``tests/data/layouts/cases.json`` lists one case per file of that folder: the import options, the expected turns
(speaker label, participant, interviewer?, timestamp, text of the turn) and the warnings expected (each a
substring of exactly one warning; no other warning may mention speakers). The .docx cases are written here with
python-docx from the ``docx`` spec of their case.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA, Cli, digest
from tematik import corpus
from tematik.store import Store

LAYOUTS = DATA / "layouts"
CASES = json.loads((LAYOUTS / "cases.json").read_text(encoding="utf-8"))
SPEAKER_WORDS = ("speaker", "interviewer", "label", "turns")


def write_docx(path: Path, spec: list[dict]) -> None:
    import docx

    document = docx.Document()
    for block in spec:
        if "heading" in block:
            document.add_heading(block["heading"], 1)
        elif "p" in block:
            document.add_paragraph(block["p"])
        elif "bold" in block:
            name, said = block["bold"]
            p = document.add_paragraph()
            p.add_run(name).bold = True
            p.add_run(said)
        else:
            rows = block["table"]
            table = document.add_table(rows=0, cols=len(rows[0]))
            for row in rows:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = value
    document.save(path)


def source(case: dict, tmp_path: Path) -> Path:
    if "docx" in case:
        path = tmp_path / case["file"]
        write_docx(path, case["docx"])
        return path
    return LAYOUTS / case["file"]


def meta(options: dict) -> corpus.FileMeta:
    speakers = corpus.speaker_options([f"{k}={v}" for k, v in options.get("speakers", {}).items()],
                                      options.get("interviewer"))
    return corpus.FileMeta(participant=options.get("participant"), speakers=speakers, language="id")


def test_every_layout_file_has_a_case():
    files = {p.name for p in LAYOUTS.iterdir() if p.suffix in corpus.TEXT_SUFFIXES}
    assert files <= {c["file"] for c in CASES}
    assert {Path(c["file"]).suffix for c in CASES} == {".txt", ".md", ".vtt", ".srt", ".docx"}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}{'+' + ','.join(c['options']) if c['options'] else ''}"
                                             for c in CASES])
def test_layout_turns(case, tmp_path):
    result = corpus.read_path(source(case, tmp_path), meta(case["options"]))
    doc = result.documents[0]
    got = [[t.speaker, t.participant, t.is_interviewer, t.timestamp, doc.text[t.start:t.end]] for t in doc.turns]
    assert got == case["turns"]
    # offsets point into the stored, normalised text and turns do not overlap
    assert doc.text == corpus.normalise(doc.text)
    ends = [0] + [t.end for t in doc.turns]
    assert all(t.start >= prev and t.end <= len(doc.text) for t, prev in zip(doc.turns, ends, strict=False))
    speaker_warnings = [w for w in result.warnings if "language not given" not in w]
    for expected in case["warnings"]:
        assert sum(expected in w for w in speaker_warnings) == 1, (expected, speaker_warnings)
    assert len(speaker_warnings) == len(case["warnings"]), speaker_warnings
    assert all(w.startswith(str(source(case, tmp_path))) for w in speaker_warnings)


def test_a_label_used_once_in_a_dialogue_is_a_speaker_but_not_in_narrative():
    dialogue = "Interviewer: How is the ward?\nNurse Joy: Busy, we are two for twenty beds."
    turns = corpus.detect_turns(dialogue)
    assert [(t.speaker, t.is_interviewer) for t in turns] == [("Interviewer", True), ("Nurse Joy", False)]
    notes = ("Pagi itu bangsal ramai. Perawat berjalan cepat di lorong.\n\nKepala ruang berkata: hari ini kita kurang "
             "satu orang.\n\nSemua mengangguk. Tidak ada yang protes.\n\nRapat selesai pukul delapan.")
    a = corpus.analyse_turns(notes, continuation=False)
    assert all(t.speaker is None for t in a.turns)


def test_manifest_mapping_matches_the_name_without_its_role():
    text = "Peneliti: Siapa yang mengatur jadwal?\nBu Ratna (Karu Melati): Saya, setiap Jumat."
    turns = corpus.detect_turns(text, speakers={"bu ratna": "N01"})
    assert [(t.speaker, t.participant) for t in turns] == [("Peneliti", None), ("Bu Ratna (Karu Melati)", "N01")]
    # a role that names the interviewer makes the label the interviewer's
    text = "Ns. Dewi (Peneliti): Sejak kapan?\nPak Budi (Perawat): Sejak 2010."
    turns = corpus.detect_turns(text, participant="N02")
    assert [(t.is_interviewer, t.participant) for t in turns] == [(True, None), (False, "N02")]


@pytest.mark.parametrize("legend, interviewer, informant", [
    ("Keterangan: P = Peneliti, I = Informan", "P", "I"),
    ("Keterangan: I = Interviewer, P = Participant", "I", "P"),
    ("Key:\nR = Researcher\nP = Participant (N07)", "R", "P"),
    ("Legenda: Q = pewawancara; A = responden", "Q", "A"),
])
def test_legends_decide_what_single_letters_mean(legend, interviewer, informant):
    body = (f"{interviewer}: Bagaimana shift malam?\n\n{informant}: Berat, kami bertiga.\n\n"
            f"{interviewer}: Lalu?\n\n{informant}: Kami lembur.")
    a = corpus.analyse_turns(f"Wawancara perawat\n{legend}\n\n{body}", participant="N07")
    spoken = [(t.speaker, t.is_interviewer, t.participant) for t in a.turns if t.speaker]
    assert spoken == [(interviewer, True, None), (informant, False, "N07")] * 2
    assert a.unplaced == () and a.notes == ()
    # without the legend nothing is guessed: both letters are reported
    a = corpus.analyse_turns(body, participant="N07")
    assert all(not t.is_interviewer and t.participant is None for t in a.turns)
    assert a.unplaced == (interviewer, informant)
    assert [(n.kind, n.line) for n in a.notes] == [("unplaced", 1), ("unplaced", 3)]


def test_speaker_options_and_conflicts():
    assert corpus.speaker_options(["Bu Ani=N01"], ["P", "Speaker 1"]) == {
        "Bu Ani": "N01", "P": "interviewer", "Speaker 1": "interviewer"}
    with pytest.raises(corpus.InputError, match="both as interviewer"):
        corpus.speaker_options(["P=N01"], ["P"])


# --------------------------------------------------------------------------- end to end through the CLI

def freq(cli, *extra):
    rows = json.loads(cli("freq", "--format", "json", *extra).stdout)
    return {r["code"]: r for r in rows}


def test_import_reads_the_legend_and_freq_leaves_the_interviewer_out(cli, tmp_path):
    cli("codebook", "load", DATA / "coding" / "mini.yaml")
    r = cli("import", LAYOUTS / "legend_id.txt", "--participant", "N04", "--language", "id")
    assert "not placed" not in r.stderr
    docs = json.loads(cli("docs", "--format", "json").stdout)
    assert [(d["name"], d["participant"], d["turns"]) for d in docs] == [("legend_id", "N04", 5)]
    # `rapat` is in the researcher's question, `grup whatsapp` in the informant's answer
    cli("code", "add", "legend_id", "communication", "--match", "rapat pagi", "--coder", "ana")
    cli("code", "add", "legend_id", "communication", "--match", "grup whatsapp", "--coder", "ana")
    assert freq(cli)["communication"]["units"] == 1
    assert freq(cli, "--include-interviewer")["communication"]["units"] == 2
    with Store.open(cli.db) as s:
        turns = s.query("SELECT speaker, participant_id, is_interviewer FROM turns ORDER BY seq")
    assert [(t["speaker"], t["participant_id"], t["is_interviewer"]) for t in turns] == [
        (None, None, 0), ("P", None, 1), ("I", "N04", 0), ("P", None, 1), ("I", "N04", 0)]


def test_import_warns_about_unplaced_letters_and_interviewer_option_places_them(cli, tmp_path, db):
    f = tmp_path / "guru_bk.txt"
    shutil.copy(LAYOUTS / "letters_unplaced_id.txt", f)
    r = cli("import", f, "--participant", "G04", "--language", "id")
    lines = [ln for ln in r.stderr.splitlines() if "not placed" in ln]
    assert len(lines) == 2 and f"{f}:1:" in lines[0] and "'P'" in lines[0] and "--interviewer" in lines[0]
    with Store.open(db) as s:
        assert s.query("SELECT count(*) AS n FROM turns WHERE is_interviewer = 1")[0]["n"] == 0
    # (the same text again is skipped as unchanged: a second project shows what --interviewer does)
    other = Cli(tmp_path / "other.db")
    r = other("import", f, "--participant", "G04", "--language", "id", "--interviewer", "P")
    assert "not placed" not in r.stderr
    with Store.open(other.db) as s:
        turns = s.query("SELECT speaker, participant_id, is_interviewer FROM turns ORDER BY seq")
    assert [(t["speaker"], t["participant_id"], t["is_interviewer"]) for t in turns] == [
        ("P", None, 1), ("I", "G04", 0)] * 2
    before = digest(db)
    r = cli.fails("import", f, "--speaker", "P=G04", "--interviewer", "P", "--replace")
    assert "--interviewer" in r.output and digest(db) == before


def test_import_of_a_docx_table_and_a_zoom_vtt_with_a_manifest(cli, tmp_path):
    case = next(c for c in CASES if c["file"] == "table_id.docx")
    write_docx(tmp_path / "puskesmas.docx", case["docx"])
    shutil.copy(LAYOUTS / "zoom_id.vtt", tmp_path / "zoom.vtt")
    (tmp_path / "manifest.csv").write_text(
        "file,participant,source_type,language,speakers\n"
        "puskesmas.docx,N12,interview,id,Bu Yanti=N12\n"
        "zoom.vtt,N01,interview,id,Bu Ratna=N01;Peneliti=interviewer\n", encoding="utf-8")
    r = cli("import", tmp_path, "--manifest", tmp_path / "manifest.csv")
    assert "not placed" not in r.stderr and "no speaker turns" not in r.stderr
    with Store.open(cli.db) as s:
        rows = s.query("SELECT d.name, t.speaker, t.participant_id, t.is_interviewer FROM turns t "
                       "JOIN documents d ON d.id = t.document_id WHERE t.speaker IS NOT NULL ORDER BY d.name, seq")
    assert [(r["name"], r["speaker"], r["participant_id"], r["is_interviewer"]) for r in rows] == [
        ("puskesmas", "Pewawancara", None, 1), ("puskesmas", "Bu Yanti", "N12", 0),
        ("puskesmas", "Pewawancara", None, 1), ("puskesmas", "Bu Yanti", "N12", 0),
        ("zoom", "Peneliti", None, 1), ("zoom", "Bu Ratna (Karu Melati)", "N01", 0), ("zoom", "Peneliti", None, 1)]


def test_a_header_block_with_the_interviewers_name_is_not_a_turn():
    text = ("Judul: Wawancara perawat IGD\nPewawancara: Ns. Dewi\nInforman: Bu Ani (N03)\n\n"
            "Pewawancara: Selamat pagi, Bu.\nInforman: Pagi.\nPewawancara: Mulai ya?\nInforman: Silakan.")
    turns = corpus.detect_turns(text, participant="N03")
    assert turns[0].speaker is None and text[turns[0].start:turns[0].end].endswith("Bu Ani (N03)")
    assert [(t.speaker, text[t.start:t.end]) for t in turns[1:3]] == [
        ("Pewawancara", "Selamat pagi, Bu."), ("Informan", "Pagi.")]
    # without a title or a field of a header, a short first turn stays a turn
    turns = corpus.detect_turns("Pewawancara: Halo\n\nBu Ani: Halo juga, Bu.\n\nPewawancara: Mulai ya?")
    assert [t.speaker for t in turns] == ["Pewawancara", "Bu Ani", "Pewawancara"]


def test_label_alone_on_its_line_with_the_text_below():
    text = "Pewawancara:\nApa kabar?\n\nBu Ani:\nBaik.\nSangat baik.\n\nSpeaker 2 (00:05):\nThanks."
    turns = corpus.detect_turns(text)
    assert [(t.speaker, t.timestamp, text[t.start:t.end]) for t in turns] == [
        ("Pewawancara", None, "Apa kabar?"), ("Bu Ani", None, "Baik.\nSangat baik."),
        ("Speaker 2", "00:00:05", "Thanks.")]


def test_a_word_in_bold_for_emphasis_is_not_made_a_speaker(tmp_path):
    write_docx(tmp_path / "catatan.docx", [
        {"p": "Catatan lapangan, kelas 7B."}, {"bold": ["Penting", " sekali bahwa guru menyapa setiap siswa."]},
        {"p": "Siswa menjawab serentak."}])
    result = corpus.read_path(tmp_path / "catatan.docx", corpus.FileMeta(language="id", source_type="observation"))
    assert "Penting sekali bahwa guru" in result.documents[0].text
    assert all(t.speaker is None for t in result.documents[0].turns)


def test_a_legend_places_a_letter_even_without_a_participant_id():
    a = corpus.analyse_turns((LAYOUTS / "legend_id.txt").read_text(encoding="utf-8"))
    assert [(t.speaker, t.is_interviewer, t.participant) for t in a.turns[1:3]] == [
        ("P", True, None), ("I", False, None)]
    assert a.unplaced == () and a.notes == ()


def test_subtitle_cues_with_bracketed_or_caption_style_names():
    srt = ("1\n00:00:01,000 --> 00:00:02,000\n[Pewawancara] Mulai ya, Pak.\n\n"
           "2\n00:00:02,500 --> 00:00:04,000\n>> PAK ARIF: Silakan.\n\n"
           "3\n00:00:04,100 --> 00:00:06,000\n>> PAK ARIF: Saya guru olahraga.\n")
    text = corpus.normalise(corpus.subtitles_to_text(srt, "x.srt"))
    assert text == ("Pewawancara (00:00:01): Mulai ya, Pak.\n\n"
                    "PAK ARIF (00:00:02): Silakan. Saya guru olahraga.")
    turns = corpus.detect_turns(text, participant="G09")
    assert [(t.speaker, t.participant, t.is_interviewer) for t in turns] == [
        ("Pewawancara", None, True), ("PAK ARIF", "G09", False)]


def test_docx_table_with_wordier_headers_and_dotted_times(tmp_path):
    write_docx(tmp_path / "guru.docx", [{"table": [
        ["Waktu", "Nama Pembicara", "Isi Pembicaraan"],
        ["00.00.05", "Peneliti", "Bagaimana Ibu membagi waktu mengajar?"],
        ["00.01.10", "Bu Lastri", "Pagi mengajar, sore mengoreksi."]]}])
    doc = corpus.read_path(tmp_path / "guru.docx", corpus.FileMeta(language="id", participant="G10")).documents[0]
    assert doc.text.startswith("Peneliti (00:00:05): Bagaimana")
    assert [(t.speaker, t.participant, t.timestamp) for t in doc.turns] == [
        ("Peneliti", None, "00:00:05"), ("Bu Lastri", "G10", "00:01:10")]


def test_legend_forms_that_could_be_mistaken_for_turns():
    # pairs with colons, on one line, when they only name roles
    text = "P: Peneliti, I: Informan\n\nP: Sudah lama?\n\nI: Lama sekali.\n\nP: Oke."
    a = corpus.analyse_turns(text, participant="N1")
    assert [(t.speaker, t.is_interviewer, t.participant) for t in a.turns if t.speaker] == [
        ("P", True, None), ("I", False, "N1"), ("P", True, None)]
    # a `Keterangan:` block ends where the dialogue begins, even without a blank line
    text = "Keterangan:\nP = Peneliti\nI = Informan\nP: Selamat pagi, Bu.\nI: Pagi.\nP: Jadwal piket?\nI: Bergilir."
    a = corpus.analyse_turns(text, participant="G1")
    assert [(t.speaker, t.is_interviewer, text[t.start:t.end]) for t in a.turns if t.speaker] == [
        ("P", True, "Selamat pagi, Bu."), ("I", False, "Pagi."),
        ("P", True, "Jadwal piket?"), ("I", False, "Bergilir.")]
    text = "Keterangan:\nP : Peneliti\nI : Informan\nP : Selamat pagi, Bu.\nI : Pagi."
    assert [t.is_interviewer for t in corpus.detect_turns(text) if t.speaker] == [True, False]


def test_one_speaker_written_with_and_without_a_role_is_still_the_participant():
    text = "Pewawancara: Capek?\nBu Ani: Capek sekali.\nPewawancara: Kenapa?\nBu Ani (tertawa): Pasiennya banyak."
    turns = corpus.detect_turns(text, participant="N7")
    assert [t.participant for t in turns if not t.is_interviewer] == ["N7", "N7"]


@pytest.mark.parametrize("text", [
    "Speaker 1: (00:00:03) Welcome.\nSpeaker 2: (00:00:05) Thanks.",
    "[Speaker 1] 00:00:03\nWelcome.\n[Speaker 2] 00:00:05\nThanks.",
])
def test_timestamp_after_the_colon_or_after_a_bracketed_name(text):
    turns = corpus.detect_turns(text, speakers={"Speaker 1": "interviewer"}, participant="T4")
    assert [(t.speaker, t.timestamp, t.participant, t.is_interviewer, text[t.start:t.end]) for t in turns] == [
        ("Speaker 1", "00:00:03", None, True, "Welcome."), ("Speaker 2", "00:00:05", "T4", False, "Thanks.")]


def test_read_result_carries_the_speaker_notes_for_the_import_report():
    result = corpus.read_path(LAYOUTS / "letters_unplaced_id.txt", corpus.FileMeta(language="id"))
    assert result.unplaced == {"letters_unplaced_id": ("P", "I")}
    notes = result.notes["letters_unplaced_id"]
    assert [(n.kind, n.line, n.labels) for n in notes] == [("unplaced", 1, ("P",)), ("unplaced", 2, ("I",))]
    # as an observation nobody is expected to be the interviewer: nothing to warn about
    otter = corpus.read_path(LAYOUTS / "otter_en.txt", corpus.FileMeta(language="en", source_type="observation"))
    assert otter.unplaced == {} and otter.notes == {}
    otter = corpus.read_path(LAYOUTS / "otter_en.txt", corpus.FileMeta(language="en"))
    assert otter.unplaced == {"otter_en": ("Lina", "Marco")}
    assert [n.kind for n in otter.notes["otter_en"]] == ["no_interviewer"]


def test_legend_lines_without_a_heading():
    text = ("Diskusi kelompok guru IPA\nM = Moderator\nR1 = Kak Sari (N06)\nR2 = Pak Anton (N07)\n\n"
            "M: Apa kendala praktikum?\nR1: Alatnya kurang.\nR2: Tidak ada laboran.\nM: Terima kasih.")
    a = corpus.analyse_turns(text)
    assert a.legend == {"M": "interviewer", "R1": "N06", "R2": "N07"}
    assert [(t.speaker, t.participant, t.is_interviewer) for t in a.turns if t.speaker] == [
        ("M", None, True), ("R1", "N06", False), ("R2", "N07", False), ("M", None, True)]
    assert a.turns[0].speaker is None and "R2 = Pak Anton" in text[a.turns[0].start:a.turns[0].end]
