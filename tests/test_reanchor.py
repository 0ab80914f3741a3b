"""Editing keeps the coding: re-anchoring spans on edited text (pure), and `import --replace` through the CLI."""

from __future__ import annotations

import json
import random
from difflib import SequenceMatcher

import pytest

from conftest import DATA, digest
from tematik.corpus import normalise
from tematik.reanchor import OffsetMap, reanchor

WARD = DATA / "ward"

ID_TEXT = normalise((WARD / "melati_id.txt").read_text(encoding="utf-8"))


def span_of(text: str, passage: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(passage, start + 1)
    return start, start + len(passage)


# --------------------------------------------------------------------------- pure re-anchoring


def test_a_word_corrected_inside_a_coded_span_changes_it_and_the_span_covers_the_correction():
    passage = "Kami kurang perawat, satu orang pegang dua belas pasien."
    new = ID_TEXT.replace("kurang perawat", "kekurangan perawat")
    (a,) = reanchor(ID_TEXT, new, [span_of(ID_TEXT, passage)])
    assert a.status == "changed"
    assert new[a.start:a.end] == "Kami kekurangan perawat, satu orang pegang dua belas pasien."
    assert a.kept == 1.0


def test_a_corrected_last_word_widens_the_span_to_the_whole_word():
    passage = "Tidak dibayar"
    new = ID_TEXT.replace("Tidak dibayar.", "Tidak dibayarkan.")
    (a,) = reanchor(ID_TEXT, new, [span_of(ID_TEXT, passage)])
    assert (a.status, new[a.start:a.end]) == ("changed", "Tidak dibayarkan")


def test_text_inserted_before_moves_the_span_with_its_text_unchanged():
    spans = [span_of(ID_TEXT, "Teman-teman saling membantu."), span_of(ID_TEXT, "Lembur hampir tiap minggu.")]
    new = ID_TEXT.replace("Pewawancara: Apakah", "Pewawancara: Baik, terima kasih. Lalu, apakah")
    anchors = reanchor(ID_TEXT, new, spans)
    assert [a.status for a in anchors] == ["moved", "moved"]
    for (s, e), a in zip(spans, anchors, strict=True):
        assert new[a.start:a.end] == ID_TEXT[s:e] and a.start > s


def test_a_deleted_passage_is_lost_and_the_rest_is_untouched():
    deleted = "Pewawancara: Apakah ada yang membantu?\nBu Ratna: Teman-teman saling membantu. Kalau ada pasien " \
              "gawat, kami kerja sama.\n"
    new = ID_TEXT.replace(deleted, "")
    spans = [span_of(ID_TEXT, "saling membantu"), span_of(ID_TEXT, "kami kerja sama"),
             span_of(ID_TEXT, "Beban kerja berat sekali"), span_of(ID_TEXT, "Lembur hampir tiap minggu.")]
    anchors = reanchor(ID_TEXT, new, spans)
    assert [a.status for a in anchors] == ["lost", "lost", "unchanged", "moved"]
    assert anchors[0].start is None and anchors[0].kept == 0


def test_a_rewritten_passage_is_lost_not_kept_by_chance_letters():
    old_passage = "Teman-teman saling membantu."
    new = ID_TEXT.replace(old_passage, "Semua orang sibuk sendiri.")
    (a,) = reanchor(ID_TEXT, new, [span_of(ID_TEXT, old_passage)])
    assert a.status == "lost"


def test_repeated_identical_passages_keep_their_own_occurrence():
    lines = ["Pewawancara: Shift pagi?", "Bu Ratna: Ya, betul.", "Pewawancara: Shift sore juga?",
             "Bu Ratna: Ya, betul.", "Pewawancara: Dan shift malam?", "Bu Ratna: Ya, betul."]
    old = "\n".join(lines)
    second, third = span_of(old, "Ya, betul.", 1), span_of(old, "Ya, betul.", 2)
    # the first question and answer deleted, a line inserted before the last one
    new = "\n".join(lines[2:4] + ["Pewawancara: (tertawa)"] + lines[4:])
    a2, a3 = reanchor(old, new, [second, third])
    assert (a2.status, a3.status) == ("moved", "moved")
    assert new[a2.start - 30:a2.end].endswith("Shift sore juga?\nBu Ratna: Ya, betul.")
    assert new[a3.start - 30:a3.end].endswith("Dan shift malam?\nBu Ratna: Ya, betul.")
    # the deleted first occurrence is lost, not moved onto one of the others
    (a1,) = reanchor(old, new, [span_of(old, "Ya, betul.", 0)])
    assert a1.status == "lost"


def test_crlf_and_lf_versions_align_once_normalised():
    raw = (WARD / "melati_id.txt").read_text(encoding="utf-8")
    crlf = normalise(raw.replace("\n", "\r\n"))
    spans = [span_of(ID_TEXT, "Beban kerja berat sekali"), span_of(ID_TEXT, "Tidak dibayar.")]
    assert [a.status for a in reanchor(ID_TEXT, crlf, spans)] == ["unchanged", "unchanged"]
    edited_lf = normalise(raw.replace("berat sekali", "sangat berat"))
    edited_crlf = normalise(raw.replace("berat sekali", "sangat berat").replace("\n", "\r\n"))
    assert reanchor(ID_TEXT, edited_lf, spans) == reanchor(ID_TEXT, edited_crlf, spans)
    (a, _) = reanchor(ID_TEXT, edited_crlf, spans)
    assert (a.status, edited_crlf[a.start:a.end]) == ("changed", "Beban kerja sangat berat")


def test_the_alignment_only_pairs_equal_characters_in_order_on_random_edits():
    rng = random.Random(11)
    words = ID_TEXT.split(" ")
    for _ in range(30):
        w = list(words)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(w))
            choice = rng.random()
            if choice < 0.3:
                w[i] = w[i] + "nya"
            elif choice < 0.6:
                w.insert(i, rng.choice(["pasien", "ruang", "jaga", "\n"]))
            else:
                del w[i:i + rng.randint(1, 5)]
        new = " ".join(w)
        m = OffsetMap(ID_TEXT, new)
        prev_a = prev_b = -1
        for a, b, n in m.blocks:
            assert ID_TEXT[a:a + n] == new[b:b + n]
            assert a > prev_a and b > prev_b
            prev_a, prev_b = a + n - 1, b + n - 1
        # at least what difflib's own character matcher keeps in one block is kept
        longest = SequenceMatcher(None, ID_TEXT, new, autojunk=False).find_longest_match()
        assert sum(n for _, _, n in m.blocks) >= longest.size
        for s, e in [(0, 20), (60, 90), (150, 200)]:
            anchor = m.anchor(s, e)
            if anchor.status in ("unchanged", "moved"):
                assert new[anchor.start:anchor.end] == ID_TEXT[s:e]
            elif anchor.status == "changed":
                assert 0 <= anchor.start < anchor.end <= len(new)


# --------------------------------------------------------------------------- import --replace through the CLI


STATUSES = "suggested,accepted,rejected,manual"


def codings(cli) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", "--status", STATUSES).stdout)


@pytest.fixture
def ward(cli, tmp_path):
    """An Indonesian ward interview with codings of every status, and a copy of the file to edit."""
    f = tmp_path / "melati.txt"
    f.write_text((WARD / "melati_id.txt").read_text(encoding="utf-8"), encoding="utf-8")
    cli("import", f, "--participant", "N01", "--language", "id")
    cli("codebook", "load", WARD / "ward.yaml")
    cli("autocode")  # one suggestion per sentence with a rule match
    cli("code", "accept", "--code", "workload")
    cli("code", "reject", "--rule", "teamwork/id/term:saling membantu")
    cli("code", "add", "melati", "teamwork", "--match", "kami kerja sama", "--coder", "ana",
        "--memo", "gotong royong di ruangan")
    cli("code", "add", "melati", "workload", "--match", "satu orang pegang dua belas pasien", "--coder", "ana")
    return cli, f


def test_replace_moves_codings_of_every_status_onto_the_edited_text(ward):
    cli, f = ward
    before = {r["id"]: r for r in codings(cli)}
    assert {r["status"] for r in before.values()} == {"accepted", "rejected", "suggested", "manual"}
    doc_id = json.loads(cli("docs", "--format", "json").stdout)[0]["id"]
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("Tanggal: 3 Maret 2025", "Tanggal: 3 Maret 2025\nLokasi: ruang perawat")
                 .replace("apalagi shift malam", "apalagi kalau shift malam").replace("\n", "\r\n"),
                 encoding="utf-8")
    r = cli("import", f, "--replace", "--participant", "N01", "--language", "id")
    assert "replaced 1" in r.stdout and "1 changed" in r.stdout
    after = {r["id"]: r for r in codings(cli)}
    assert after.keys() == before.keys()  # nothing lost, ids kept
    assert json.loads(cli("docs", "--format", "json").stdout)[0]["id"] == doc_id
    for cid, old in before.items():
        new = after[cid]
        assert (new["status"], new["code"], new["coder"]) == (old["status"], old["code"], old["coder"])
        if "shift malam" in old["text"]:
            assert new["text"] == "Beban kerja berat sekali, apalagi kalau shift malam."
        else:
            shift = len("\nLokasi: ruang perawat") + (len("kalau ") if old["start"] > ID_TEXT.index("shift") else 0)
            assert new["text"] == old["text"] and new["start"] == old["start"] + shift
    log = json.loads(cli("log", "--format", "json").stdout)
    replace = next(e for e in log if e["action"] == "replace")
    counts = json.loads(replace["after"])["codings"]
    assert counts == {"unchanged": 0, "moved": len(before) - 1, "changed": 1, "lost": 0}


def test_replace_that_would_lose_codings_is_refused_with_counts_until_forced(ward):
    cli, f = ward
    gone = "Bu Ratna: Teman-teman saling membantu. Kalau ada pasien gawat, kami kerja sama.\n"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace(gone, "Bu Ratna: Ada, kadang-kadang.\n"), encoding="utf-8")
    before_rows = codings(cli)
    lost_rows = [r for r in before_rows if r["text"] in gone]
    assert sorted(r["status"] for r in lost_rows) == ["manual", "rejected", "suggested"]
    before = digest(cli.db)
    r = cli.fails("import", f, "--replace", "--participant", "N01", "--language", "id")
    # the open suggestion alone would not need --force (autocode makes it again); the others do
    assert "lose 2 coding(s)" in r.stderr and "--force" in r.stderr and "3 lost" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert digest(cli.db) == before

    r = cli("import", f, "--replace", "--force", "--participant", "N01", "--language", "id")
    assert "3 lost" in r.stdout
    after = codings(cli)
    assert len(after) == len(before_rows) - 3
    assert not {r["id"] for r in lost_rows} & {r["id"] for r in after}
    log = json.loads(cli("log", "--format", "json").stdout)
    lost_log = [e for e in log if e["action"] == "lost"]
    assert sorted(json.loads(e["before"])["text"] for e in lost_log) == sorted(r["text"] for r in lost_rows)
    assert sorted(json.loads(e["before"])["status"] for e in lost_log) == ["manual", "rejected", "suggested"]
    manual = next(json.loads(e["before"]) for e in lost_log if json.loads(e["before"])["status"] == "manual")
    assert manual["memos"] == ["gotong royong di ruangan"] and manual["coder"] == "ana"
    assert "gotong royong" not in cli("memo", "list", "--format", "json").stdout


def test_only_open_suggestions_lost_needs_no_force(ward):
    cli, f = ward
    text = f.read_text(encoding="utf-8")
    # rewrite the sentence that only has an open suggestion (teamwork on "Kalau ada pasien gawat...")
    cli("code", "rm", str(next(r["id"] for r in codings(cli) if r["coder"] == "ana" and "kerja sama" in r["text"])))
    f.write_text(text.replace("Kalau ada pasien gawat, kami kerja sama.", "Itu saja."), encoding="utf-8")
    r = cli("import", f, "--replace", "--participant", "N01", "--language", "id")
    assert "1 lost" in r.stdout


def test_replace_invalidates_autocode_progress_and_rederives_turns(ward):
    cli, f = ward
    assert "nothing to do" in cli("autocode").stdout
    text = f.read_text(encoding="utf-8")
    f.write_text(text + "Pewawancara: Ada lagi?\nBu Ratna: Beban kerja naik terus.\n", encoding="utf-8")
    cli("import", f, "--replace", "--participant", "N01", "--language", "id")
    docs = json.loads(cli("docs", "--format", "json").stdout)
    assert docs[0]["turns"] == 9
    assert "nothing to do" not in cli("autocode").stdout
    assert "Beban kerja naik terus." in [c["text"] for c in codings(cli) if c["status"] == "suggested"]
    # the reviewed decisions survived the new run: still accepted / rejected, not suggested again
    statuses = [c["status"] for c in codings(cli) if c["text"] == "Teman-teman saling membantu."]
    assert statuses == ["rejected"]


def test_a_paragraph_moved_out_of_order_is_found_again_but_a_repeated_one_is_not():
    answer = "Bu Ratna: Lembur hampir tiap minggu. Tidak dibayar.\n"
    question = "Pewawancara: Bagaimana dengan lembur?\n"
    moved = ID_TEXT.replace(question + answer.rstrip("\n"), "").rstrip("\n")
    moved = moved.replace("Pewawancara: Apakah", question + answer + "Pewawancara: Apakah")
    spans = [span_of(ID_TEXT, "Lembur hampir tiap minggu."), span_of(ID_TEXT, "Teman-teman saling membantu.")]
    assert OffsetMap(ID_TEXT, moved).anchor(*spans[0]).status == "lost"  # the in-order alignment misses it
    a, b = reanchor(ID_TEXT, moved, spans)
    assert a.status == "moved" and moved[a.start:a.end] == "Lembur hampir tiap minggu."
    assert b.status == "moved" and moved[b.start:b.end] == "Teman-teman saling membantu."
    # the same passage twice in the new text: which one is meant is not guessed
    twice = moved.replace("Pewawancara: Bagaimana beban", "Bu Ratna: Lembur hampir tiap minggu.\n"
                          "Pewawancara: Bagaimana beban")
    assert OffsetMap(ID_TEXT, twice).anchor(*spans[0]).status == "lost"
    assert reanchor(ID_TEXT, twice, spans[:1])[0].status == "lost"


def test_a_lost_suggestion_from_another_coder_needs_force(ward):
    cli, f = ward
    import sqlite3

    text = f.read_text(encoding="utf-8")
    cli("code", "rm", str(next(r["id"] for r in codings(cli) if r["coder"] == "ana" and "kerja sama" in r["text"])))
    with sqlite3.connect(cli.db) as con:  # as a REFI import from another tool leaves them
        con.execute("UPDATE codings SET coder = 'qualcoder' WHERE status = 'suggested'")
    f.write_text(text.replace("Kalau ada pasien gawat, kami kerja sama.", "Itu saja."), encoding="utf-8")
    r = cli.fails("import", f, "--replace", "--participant", "N01", "--language", "id")
    assert "lose 1 coding(s)" in r.stderr
