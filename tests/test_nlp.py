"""Matching through the real blank spaCy pipelines: lemmas, units, exclusions, negation and autocode."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from tematik import nlp
from tematik.codebook import load_codebook
from tematik.errors import InputError, NotFound
from tematik.models import Document, Turn

DATA = Path(__file__).resolve().parent / "data" / "codebook"
STUDY = Path(__file__).resolve().parents[1] / "codebooks" / "knowledge-sharing.yaml"


@pytest.fixture(scope="module")
def study():
    return load_codebook(STUDY)


@pytest.fixture(scope="module")
def small():
    return load_codebook(DATA / "small.yaml")


def turns_doc(parts: list[tuple[str, str, bool]], name: str = "wawancara", language: str = "id") -> Document:
    """A transcript ``Speaker: text`` per line; turns cover the text after the label."""
    text, turns = "", []
    for speaker, said, interviewer in parts:
        text += f"{speaker}: "
        turns.append(Turn(start=len(text), end=len(text) + len(said), speaker=speaker, is_interviewer=interviewer))
        text += said + "\n"
    return Document(name=name, text=text, language=language, turns=tuple(turns))


def plain(text: str, name: str = "catatan", language: str = "id") -> Document:
    return Document(name=name, text=text, language=language, source_type="observation")


def suggest(doc: Document, cb, **kw):
    ((document, suggestions),) = list(nlp.autocode([doc], cb, **kw))
    assert document is doc
    return suggestions


# --------------------------------------------------------------------------- lemmas and pipelines

@pytest.mark.parametrize("word, language, expected", [
    ("Kebersamaan", "id", "sama"),          # capitalised: the lookup table is lower-case only
    ("mempercayai", "id", "percaya"),       # not in the lookup table: Sastrawi
    ("dipercaya", "id", "percaya"),
    ("komunikasinya", "id", "komunikasi"),  # clitic -nya
    ("percayalah", "id", "percaya"),        # particle -lah
    ("keluarganya", "id", "keluarga"),
    ("kesetiakawanan", "id", "setia kawan"),  # the lookup table's multi-word lemma
    ("S.Pd.", "id", "s.pd."),               # not a word: only lower-cased
    ("trusted", "en", "trust"),
    ("Communicating", "en", "communicate"),
])
def test_lemma(word, language, expected):
    assert nlp.lemma(word, language) == expected


def test_pipeline_is_built_once_and_puts_the_lemma_in_norm():
    a = nlp.pipeline("id")
    assert nlp.pipeline("id") is a
    doc = a("Kebersamaannya dan kepercayaan kami.")
    assert [t.norm_ for t in doc][:3] == ["sama", "dan", "percaya"]


@pytest.mark.parametrize("language, text", [
    ("id", "Staf-staf (anak-anak) dan Bapak-bapak, ANAK-ANAK: kupu-kupu.\n\"Sehari-hari\" add-on; e-mail dll. "
           "Jum'at 3-4 orang, (Dr. Made), S.Pd., 10.000 buku :) saling bantu-membantu di sana-sini? ya-ya\n\n"),
    ("en", "I don't trust them, e.g. (Mr. Smith's) co-worker.\nWe can't, i.e. we won't :) ain't it?\t\n"),
])
def test_fast_tokenizer_gives_spacy_blank_tokens(language, text):
    """One-token exceptions are a token_match set instead of special cases: the same tokens come out."""
    fast = [t.text for t in nlp.pipeline(language).make_doc(text)]
    ref = [t.text for t in spacy.blank(language).make_doc(text)]
    assert fast == ref
    if language == "id":
        assert "anak-anak" in fast and "Staf-staf" in fast


def test_importing_the_modules_does_not_import_spacy():
    import os
    import subprocess
    import sys

    code = "import sys, tematik.nlp, tematik.codebook; print('spacy' in sys.modules, 'yaml' in sys.modules)"
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------- units

def test_sentences_never_cross_turns_and_offsets_index_the_text():
    doc = turns_doc([
        ("Pewawancara", "Bagaimana komunikasinya", True),   # no final punctuation
        ("Bu Made", "Kami rapat tiap Senin. Info lain lewat grup WA", False),
        ("Pewawancara", "Oh begitu. Terima kasih", True),
    ])
    spans = nlp.units(doc, "sentence")
    texts = [doc.text[s:e] for s, e in spans]
    assert texts == ["Bagaimana komunikasinya", "Kami rapat tiap Senin.", "Info lain lewat grup WA",
                     "Oh begitu.", "Terima kasih"]
    for (s, e) in spans:
        assert any(t.start <= s and e <= t.end for t in doc.turns)
    assert [doc.text[s:e] for s, e in nlp.units(doc, "sentence", include_interviewer=False)] == texts[1:3]
    assert [doc.text[s:e] for s, e in nlp.units(doc, "turn")] == [
        "Bagaimana komunikasinya", "Kami rapat tiap Senin. Info lain lewat grup WA", "Oh begitu. Terima kasih"]


@pytest.mark.parametrize("text, expected", [
    ("Kami beli buku, majalah, dll. untuk koleksi. Lalu selesai.",
     ["Kami beli buku, majalah, dll. untuk koleksi.", "Lalu selesai."]),
    ("Kami beli buku, majalah, dll. Kami juga rapat.", ["Kami beli buku, majalah, dll.", "Kami juga rapat."]),
    ("Bpk. Made Sudarma, S.Pd., M.Hum. hadir. Dr. Ayu juga.",
     ["Bpk. Made Sudarma, S.Pd., M.Hum. hadir.", "Dr. Ayu juga."]),
    ("Lihat hlm. 5 dan No. 12 dsb. lalu catat. Sudah?", ["Lihat hlm. 5 dan No. 12 dsb. lalu catat.", "Sudah?"]),
    ("Jadi... ya begitu. Nah... Kami mulai!", ["Jadi... ya begitu.", "Nah...", "Kami mulai!"]),
    ("Dia bilang \"ya.\" Lalu pergi.", ["Dia bilang \"ya.\"", "Lalu pergi."]),
    ("Mr. Smith, e.g. the head, i.e. our boss, talked. Then we left.",
     ["Mr. Smith, e.g. the head, i.e. our boss, talked.", "Then we left."]),
    ("Catatan pagi\n\nStaf berkumpul\n- rapat singkat\n- makan bersama", [
        "Catatan pagi", "Staf berkumpul", "- rapat singkat", "- makan bersama"]),
    ("Kalimat panjang yang\ndibungkus baris. Akhir.", ["Kalimat panjang yang\ndibungkus baris.", "Akhir."]),
])
def test_sentence_boundaries(text, expected):
    doc = plain(text)
    assert [doc.text[s:e] for s, e in nlp.units(doc, "sentence")] == expected


def test_paragraph_and_turn_units_of_a_document_without_turns():
    doc = plain("  Satu. Dua.\n\n\nTiga.  \n")
    assert [doc.text[s:e] for s, e in nlp.units(doc, "paragraph")] == ["Satu. Dua.", "Tiga."]
    assert nlp.units(doc, "turn") == nlp.units(doc, "paragraph")
    with pytest.raises(InputError):
        nlp.units(doc, "page")


# --------------------------------------------------------------------------- matching the study codebook

def test_affixed_and_clitic_forms_hit(study):
    doc = plain("Kebersamaan di sini kuat. Saya mempercayai Bu Komang. Dia dipercaya pimpinan. "
                "Komunikasinya lancar.")
    got = [(s.code, s.matched) for s in suggest(doc, study)]
    assert got == [("togetherness", "Kebersamaan"), ("trust", "mempercayai"), ("trust", "dipercaya"),
                   ("communication", "Komunikasinya")]


def test_percaya_diri_is_excluded_and_recorded(study):
    doc = plain("Saya kurang percaya diri waktu presentasi.")
    assert suggest(doc, study) == []
    matcher = nlp.compiled(study, "id")
    sp = matcher.nlp.make_doc(doc.text)
    assert matcher(sp, nlp.units(doc)) == []
    assert [(s.text, s.label_, s.id_) for s in sp.spans[nlp.EXCLUDED_KEY]] == [
        ("percaya", "trust", "trust/id/term:percaya")]


def test_sama_dengan_is_not_togetherness(study):
    doc = plain("Jumlah pengunjung sama dengan tahun lalu. Kami bersama-sama merapikan rak.")
    got = suggest(doc, study)
    assert [(s.code, s.matched) for s in got] == [("togetherness", "bersama-sama")]
    assert doc.text[got[0].start:got[0].end] == "Kami bersama-sama merapikan rak."


def test_opening_hours_are_not_openness(study):
    doc = plain("Perpustakaan terbuka jam delapan pagi. Di sini kami saling terbuka soal pekerjaan.")
    got = suggest(doc, study)
    assert [(s.code, s.matched, s.rule) for s in got] == [
        ("openness", "saling terbuka", "openness/id/term:saling terbuka")]


@pytest.mark.parametrize("text, polarity", [
    ("Saya tidak percaya sama dia.", "negative"),
    ("Kami nggak pernah ngobrol soal itu.", "negative"),
    ("Komunikasinya belum lancar.", "negative"),     # a negation right after the match
    ("Komunikasinya kurang lancar.", "negative"),
    ("Kebersamaannya tidak ada lagi.", "negative"),
    ("Keterbukaan di sini masih kurang.", "negative"),  # fillers between the match and the negator
    ("Kalau kebersamaannya hilang, orang diam.", "negative"),  # a negative predicate
    ("Saya percaya teman-teman tidak akan mencelakai saya.", "positive"),  # negation in the complement
    ("Kami rapat, tidak ada yang datang.", "positive"),  # a comma ends the look-ahead
    ("Rapat tidak hanya soal anggaran.", "positive"),   # "not only"
    ("Rapatnya kurang lebih satu jam.", "positive"),
    ("Kerja sama tanpa pembagian tugas.", "positive"),  # "tanpa" after a match modifies something else
    ("Komunikasi dan tidak ada yang lain.", "positive"),  # a clause word ends the look-ahead
    ("Tidak, saya percaya sama dia.", "positive"),   # a comma closes the negated clause
    ("Bukan hanya percaya, kami juga saling bantu.", "positive"),  # "not only"
    ("Tidak ada yang ditutupi di sini.", "positive"),  # the negator is inside the matched phrase
    ("Kurang lebih kami rapat sebulan sekali.", "positive"),
    ("Saya tidak terlalu percaya.", "negative"),
])
def test_negation_sets_polarity_and_keeps_the_suggestion(study, text, polarity):
    got = suggest(plain(text), study)
    assert got, text
    assert got[0].polarity == polarity


@pytest.mark.parametrize("text, polarity", [
    ("Trust is lacking between the units.", "negative"),
    ("The communication isn't always smooth.", "negative"),
    ("Communication is still poor.", "negative"),
    ("I trust colleagues who never miss a shift.", "positive"),   # a negation in a relative clause
    ("We discuss without fear.", "positive"),
])
def test_english_negation_after_the_match(study, text, polarity):
    got = suggest(plain(text, language="en"), study)
    assert got, text
    assert got[0].polarity == polarity


def test_english_rules_and_negation(study):
    doc = plain("We don't really trust the new head. We help each other and eat together. "
                "Not everyone trusts the new system.", language="en")
    got = suggest(doc, study)
    assert [(s.code, s.matched, s.polarity) for s in got] == [
        ("trust", "trust", "negative"), ("solidarity", "help each other", "positive"),
        ("togetherness", "eat together", "positive")]  # trust in a system is not trust among staff


@pytest.mark.parametrize("text, expected", [
    ("Boleh saya jujur? Jujur, saya capek.", []),                      # "frankly": a discourse marker
    ("Orangnya jujur dan bisa diandalkan.", ["trust"]),
    ("Pekerjaan ini tidak akan habis, percayalah.", []),
    ("Saya belum seratus persen percaya sama sistem.", []),
    ("Saya yakin sama dia, jadi tidak perlu cek lagi.", ["trust"]),
    ("Sekarang sudah saya serahkan ke Bu Komang.", ["trust"]),
])
def test_trust_rules(study, text, expected):
    assert [s.code for s in suggest(plain(text), study)] == expected


# --------------------------------------------------------------------------- autocode

def test_one_suggestion_per_unit_and_code_keeps_the_first_match(small):
    doc = plain("Dia amanah dan saya percaya padanya. Lain kali.")
    (s,) = suggest(doc, small)
    assert (s.code, s.matched, s.rule, s.unit) == ("trust", "amanah", "trust/id/term:amanah", "sentence")
    assert (s.start, s.end) == (0, doc.text.index(".") + 1)
    assert doc.text[s.match_start:s.match_end] == s.matched


def test_polarity_is_negative_only_when_every_match_in_the_unit_is_negated(small):
    assert suggest(plain("Dia tidak amanah dan saya tidak percaya padanya."), small)[0].polarity == "negative"
    assert suggest(plain("Dia tidak amanah tapi saya percaya padanya."), small)[0].polarity == "positive"


def test_rule_ids_patterns_and_exclusion_scopes(small):
    doc = plain("Saya titip kunci ke Bu Ayu. Saya percaya kalau hujan turun. Saya percaya pada agama saya. "
                "Saya percaya rekan saya. Rapatnya lewat grup WA.")
    got = [(doc.text[s.start:s.end], s.code, s.rule) for s in suggest(doc, small)]
    assert got == [
        ("Saya titip kunci ke Bu Ayu.", "trust", "trust/id/pattern:titip"),
        ("Saya percaya rekan saya.", "trust", "trust/id/term:percaya"),
        ("Rapatnya lewat grup WA.", "communication", "communication/id/term:rapat"),
    ]


def test_code_filter_and_unknown_codes(small):
    doc = plain("Saya percaya rekan saya. Rapatnya lewat grup WA.")
    assert {s.code for s in suggest(doc, small, codes={"communication"})} == {"communication"}
    assert {s.code for s in suggest(doc, small, codes={"trust", "communication"})} == {"trust", "communication"}
    with pytest.raises(NotFound):
        list(nlp.autocode([doc], small, codes={"honesty"}))


def test_interviewer_turns_are_skipped_unless_asked(small):
    doc = turns_doc([
        ("Pewawancara", "Apakah Ibu percaya pada rekan kerja?", True),
        ("Bu Sari", "Ya, kami rapat tiap minggu.", False),
    ])
    assert [s.code for s in suggest(doc, small)] == ["communication"]
    both = suggest(doc, small, include_interviewer=True)
    assert [s.code for s in both] == ["trust", "communication"]
    assert doc.text[both[0].match_start:both[0].match_end] == "percaya"


def test_turn_and_paragraph_units(small):
    doc = turns_doc([("Bu Sari", "Saya percaya rekan. Kami juga rapat. Dan percaya lagi.", False)])
    got = suggest(doc, small, unit="turn")
    assert [(s.code, s.unit) for s in got] == [("trust", "turn"), ("communication", "turn")]
    assert all((s.start, s.end) == (doc.turns[0].start, doc.turns[0].end) for s in got)
    assert got[0].matched == "percaya" and got[0].match_start == doc.text.index("percaya")
    para = plain("Saya percaya rekan.\n\nKami rapat. Saya percaya lagi.")
    assert [(s.code, para.text[s.start:s.end]) for s in suggest(para, small, unit="paragraph")] == [
        ("trust", "Saya percaya rekan."), ("trust", "Kami rapat. Saya percaya lagi."),
        ("communication", "Kami rapat. Saya percaya lagi.")]


def test_documents_are_yielded_one_by_one_and_by_language(small):
    def documents():
        yield plain("Saya percaya rekan.", name="a")
        yield plain("I trust them.", name="b", language="en")
        yield plain("Tanpa bahasa.", name="c", language=None)  # the codebook's first language
        raise RuntimeError("the caller stops before asking for more")

    it = nlp.autocode(documents(), small)
    first = next(it)
    assert first[0].name == "a" and [s.rule for s in first[1]] == ["trust/id/term:percaya"]
    second = next(it)
    assert second[0].name == "b" and [s.rule for s in second[1]] == ["trust/en/term:trust"]
    third = next(it)
    assert third[0].name == "c" and third[1] == []
    with pytest.raises(RuntimeError):
        next(it)


def test_overlapping_matches_are_kept_in_doc_spans(study):
    matcher = nlp.compiled(study, "id")
    text = "Kami sudah seperti keluarga sendiri."
    doc = matcher.nlp.make_doc(text)
    found = matcher(doc, [(0, len(text))])
    spans = {(s.text, s.id_) for s in doc.spans[nlp.SPANS_KEY]}
    assert ("sudah seperti keluarga", "kinship/id/pattern:seperti-keluarga") in spans
    assert ("keluarga sendiri", "kinship/id/term:keluarga sendiri") in spans
    assert len(found) == len(doc.spans[nlp.SPANS_KEY]) >= 3
    assert not doc.ents


def test_unit_must_be_known(small):
    with pytest.raises(InputError):
        nlp.autocode([plain("x")], small, unit="page")


def test_anchored_pattern_windows_find_what_the_plain_matcher_finds(study):
    """_PatternSet runs the Matcher only around anchor words: it must return the whole-doc Matcher's matches."""
    from spacy.matcher import Matcher

    text = ("Teman-teman langsung membantu, dibantu oleh rekan juga. Saya titip kunci ke Bu Ayu lalu menitipkan "
            "tugas piket. Kami takut ilmunya diambil? Tidak, takut dicuri juga tidak. Bu Sari menggantikan shift "
            "saya. Info disampaikan lewat grup WA, WA-nya ramai. Saya bicara dengan atasan, kami mau berbagi, "
            "siap untuk membagikan, menerima semua masukan. Kami makan bersama, kita semua bersama turun. "
            "Sudah seperti keluarga, keluarga besar perpustakaan, dianggap kayak saudara. Kalau ada yang "
            "bertanya, yang menjawab itu-itu saja; tidak ada yang komentar. Biar Pak Made yang pegang, pulang "
            "saja, nanti saya selesaikan. Semua yang saya tahu saya ajarkan, janji selalu ditepati. Kalau ditanya "
            "lewat WA jawabannya lama.")  # a short pattern's anchor (WA) inside a longer one (tanya ... jawab)
    matcher = nlp.compiled(study, "id")
    doc = matcher.nlp.make_doc(text)
    rules = [r for r in study.rules("id") if r.pattern]
    plain_matcher = Matcher(matcher.nlp.vocab)
    for r in rules:
        plain_matcher.add(r.id, [nlp.spacy_pattern(r)])
    expected = sorted(plain_matcher(doc))
    patterns = nlp._PatternSet(matcher.nlp)
    for r in rules:
        patterns.add(r)
    assert patterns.n_whole < len(rules)  # most patterns are anchored
    assert sorted(patterns(doc)) == expected
    assert len({key for key, _, _ in expected}) >= 16


def test_anchored_windows_of_different_lengths_are_merged_in_order():
    """A short pattern's anchor just before a long pattern's anchor: the long one's window starts earlier."""
    from tematik.models import MatchRule

    long_ = MatchRule(id="x/id/pattern:long", code="x", language="id", kind="pattern",
                      pattern=({"LOWER": {"IN": ["aaa", "aab"]}}, {"OP": "?"}, {"OP": "?"}, {"OP": "?"},
                               {"LOWER": "zzz"}))  # anchored on zzz, the last token
    short = MatchRule(id="x/id/pattern:short", code="x", language="id", kind="pattern", pattern=({"LOWER": "yyy"},))
    patterns = nlp._PatternSet(nlp.pipeline("id"))
    patterns.add(long_)
    patterns.add(short)
    doc = nlp.pipeline("id").make_doc("aaa bbb yyy zzz")
    assert sorted((s, e) for _, s, e in patterns(doc)) == [(0, 4), (2, 3)]


def test_anchor_avoids_stop_words():
    pattern = ({"LOWER": {"IN": ["biar", "biarlah", "biarkan"]}}, {"LOWER": "yang"}, {"OP": "?"})
    assert nlp._anchor(pattern) == (1, "LOWER", ["yang"], 3)  # fewest values
    assert nlp._anchor(pattern, frozenset({"yang"})) == (0, "LOWER", ["biar", "biarlah", "biarkan"], 3)


@pytest.mark.parametrize("text, language, expected", [
    ("Nanti saya selesaikan yang itu, pulang saja.", "id", ["solidarity"]),
    ("Troli yang belum diproses biar saya yang input.", "id", ["solidarity"]),
    ("Sistem otomasi sangat membantu pekerjaan sirkulasi.", "id", []),      # a tool as the helper
    ("Kalau ada yang sakit, kami jenguk beramai-ramai.", "id", ["togetherness", "kinship"]),
    ("Kami di tata usaha jarang diajak, merasa seperti penonton.", "id", ["togetherness"]),
    ("I offer to help when someone is struggling.", "en", ["solidarity"]),
    ("They leave their kids with each other's families.", "en", ["kinship"]),
])
def test_solidarity_togetherness_kinship_rules(study, text, language, expected):
    assert [s.code for s in suggest(plain(text, language=language), study)] == expected


@pytest.mark.parametrize("text, expected", [
    ("Silakan datang lagi, ruangan saya selalu terbuka.", []),         # an open room
    ("Mejanya tertutup tumpukan buku.", []),
    ("Kalau ilmunya disimpan sendiri, nanti hilang.", ["openness"]),
    ("Yang muda berani tanya ke yang tua.", ["openness"]),
    ("Sudah saya presentasikan, tapi tidak ada yang komentar.", ["communication"]),
    ("Saya suka makan apel merah.", []),                               # the fruit
    ("Pengumuman itu dibacakan di apel hari Senin.", ["communication"]),
    ("Nomor telepon beliau ada di buku itu.", []),
])
def test_openness_and_communication_rules(study, text, expected):
    assert [s.code for s in suggest(plain(text), study)] == expected


@pytest.mark.parametrize("text, expected", [
    ("Kalau Bu Kadek sudah memberi nomor, saya tidak cek lagi.", ["trust"]),
    ("Terus shift saya ditutup sama mereka selama sebulan.", ["solidarity"]),
    ("Pak Budiasa ikut bantu saya memberi label.", ["solidarity"]),
    ("Lampunya belum diganti Pak Sudiarta.", []),                       # replacing a lamp is no help to a colleague
    ("Teman-teman di sini yang jadi keluarga saya.", ["kinship"]),
    ("Saya izin karena keluarga saya sakit.", []),                      # literal family
    ("Setiap Jumat kami makan siang bersama di ruangan.", ["togetherness"]),
    ("Dia mau bilang terus terang, tidak ngomong di belakang.", ["openness"]),
    ("Terus terang, saya bukan orang komputer.", []),                  # a discourse marker
])
def test_rules_from_the_unlabelled_corpus(study, text, expected):
    assert [s.code for s in suggest(plain(text), study)] == expected


@pytest.mark.parametrize("text, language, expected", [
    ("Bli Agus ini sudah seperti anak kita sendiri.", "id", ["kinship"]),
    ("Bu Ketut duduk dengan buku catatan terbuka.", "id", []),            # an open notebook
    ("Akreditasi ini kerja kita bersama.", "id", ["togetherness"]),
    ("If I keep knowledge only in my head, that is not respectful.", "en", ["openness"]),
    ("She feels part of the library community.", "en", ["togetherness"]),
    ("A student from a School of Media and Communication.", "en", []),
])
def test_more_rules_from_the_unlabelled_corpus(study, text, language, expected):
    assert [s.code for s in suggest(plain(text, language=language), study)] == expected
