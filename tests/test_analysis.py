"""Theme frequencies, co-occurrence, case x code matrices and quotes, checked by hand on a small project.

The project: two interviews (P1 pustakawan, P2 teknisi) and one observation note in which both speak, imported
through the CLI; codes and codings written with the store functions, each coding placed by the text it covers.
Every expected number below is worked out by hand in the comments next to it.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from tematik import analysis
from tematik.models import Coding
from tematik.store import Store
from tematik.store import analysis as store_analysis
from tematik.store import coding as store_coding

INTERVIEW_A = """\
Pewawancara: Bagaimana kepercayaan di sini?
Bu Sari: Kami saling percaya. Kami terbuka satu sama lain.
Pewawancara: Dan komunikasi?
Bu Sari: Komunikasi lancar lewat grup.
"""
INTERVIEW_B = """\
Pewawancara: Ceritakan kerja sama tim.
Pak Budi: Tim kami kompak dan saling membantu. Kami juga percaya.
"""
OBSERVATION = """\
Catatan lapangan: rapat pagi.

- Staf saling menyapa.

Bu Sari: Mari kita berbagi informasi.
Pak Budi: Setuju, kita terbuka saja.
"""
MANIFEST = """\
file,participant,role,source_type,language,date,speakers
a.txt,P1,,interview,id,2019-10-01,Bu Sari=P1;Pewawancara=interviewer
b.txt,P2,,interview,id,2019-10-02,Pak Budi=P2;Pewawancara=interviewer
c.txt,,,observation,id,2019-10-03,Bu Sari=P1;Pak Budi=P2
"""
ROSTER = """\
id,role,years,unit
P1,pustakawan,10,sirkulasi
P2,teknisi,3,=HYPERLINK("http://x")
P3,administrasi,7,tata usaha
"""
CODES = [
    {"id": "trust", "name": "Kepercayaan", "parent": None},
    {"id": "reliance", "name": "Bisa diandalkan", "parent": "trust"},
    {"id": "openness", "name": "Keterbukaan", "parent": None},
    {"id": "communication", "name": "Komunikasi", "parent": None},
]
TEXTS = {"a": INTERVIEW_A, "b": INTERVIEW_B, "c": OBSERVATION}


def span(doc: str, text: str, after: str | None = None) -> tuple[int, int]:
    """Offsets of ``text`` in a document (the first occurrence after ``after``)."""
    body = TEXTS[doc]
    base = body.index(after) if after else 0
    start = body.index(text, base)
    return start, start + len(text)


# (document, code, text, status, coder, polarity)
CODINGS = [
    ("a", "trust", "Kami saling percaya.", "manual", "ana", "positive"),  # 1
    ("a", "trust", "saling percaya", "manual", "ana", "positive"),  # 2: nested in 1
    ("a", "trust", "Kami saling percaya.", "accepted", "budi", "positive"),  # 3: same span as 1, other coder
    ("a", "trust", "kepercayaan di sini?", "manual", "ana", "positive"),  # 4: interviewer turn
    ("a", "openness", "Kami terbuka satu sama lain.", "accepted", "auto", "positive"),  # 5
    ("a", "openness", "percaya. Kami terbuka", "manual", "ana", "positive"),  # 6: overlaps 5, crosses sentences
    ("a", "communication", "Komunikasi lancar lewat grup.", "suggested", "auto", "positive"),  # 7: unreviewed
    ("b", "reliance", "Kami juga percaya.", "accepted", "auto", "positive"),  # 8: child code
    ("b", "trust", "Kami juga percaya.", "manual", "ana", "positive"),  # 9: parent on the same span
    ("b", "openness", "Tim kami kompak dan saling membantu.", "manual", "ana", "negative"),  # 10: negative
    ("b", "communication", "Tim kami kompak dan saling membantu. Kami juga percaya.", "rejected", "auto",
     "positive"),  # 11: rejected
    ("c", "openness", "kita terbuka saja.", "manual", "ana", "positive"),  # 12: Pak Budi's turn in c
    ("c", "communication", "- Staf saling menyapa.", "manual", "ana", "positive"),  # 13: nobody's turn
    ("a", "communication", "Pewawancara: Dan komunikasi?", "manual", "ana", "positive"),  # 14: from the label on
]


@pytest.fixture
def project(cli, tmp_path):
    for name, text in TEXTS.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    cli("participants", "import", tmp_path / "roster.csv")
    cli("import", tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt", "--manifest", tmp_path / "manifest.csv")
    with Store.open(cli.db) as store:
        store_coding.save_codebook(store, name="test", version="1", digest="d1", source="-", fmt="yaml",
                                   codes=CODES)
        rows = []
        for doc, code, text, status, coder, polarity in CODINGS:
            start, end = span(doc, text, after="Kami saling" if text == "percaya. Kami terbuka" else None)
            rows.append(Coding(document=doc, code=code, start=start, end=end, status=status, coder=coder,
                               polarity=polarity))
        store_coding.add_codings(store, rows)
    return cli


def table(cli, *args) -> list[dict]:
    return json.loads(cli(*args, "--format", "json").stdout)


def by_code(rows: list[dict], key: str = "code") -> dict[str, dict]:
    return {r[key]: r for r in rows}


# --------------------------------------------------------------------------- freq


def test_freq_counts_reviewed_codings_and_leaves_out_the_interviewer(project):
    rows = by_code(table(project, "freq"))
    assert list(rows) == ["trust", "reliance", "openness", "communication"]  # codebook order
    trust = rows["trust"]
    # a: spans 1 and 2 (3 repeats 1; 4 is the interviewer's); b: 9
    assert (trust["units"], trust["documents"], trust["participants"], trust["eligible"]) == (3, 2, 2, 2)
    assert trust["participants_pct"] == 100.0
    # a: "Kami saling percaya." (2 lies inside it) = 3 words; b: "Kami juga percaya." = 3
    assert trust["words"] == 6
    assert trust["negative"] == 0
    openness = rows["openness"]
    # a: 5 and 6; b: 10; c: 12 (Pak Budi = P2)
    assert (openness["units"], openness["documents"], openness["participants"]) == (4, 3, 2)
    # a: union of 5 and 6 = "percaya. Kami terbuka satu sama lain." = 6; b: 6; c: 3
    assert openness["words"] == 15
    assert openness["negative"] == 1
    comm = rows["communication"]
    # 7 is only a suggestion and 11 rejected; 13 is in the narration of c: nobody said it
    assert (comm["units"], comm["documents"], comm["participants"], comm["words"]) == (1, 1, 0, 4)
    assert comm["participants_pct"] == 0.0
    assert {r["statuses"] for r in rows.values()} == {"accepted,manual"}


def test_freq_status_and_interviewer_options(project):
    rows = by_code(table(project, "freq", "--status", "accepted,manual,suggested"))
    assert rows["communication"]["units"] == 2 and rows["communication"]["participants"] == 1
    assert rows["communication"]["statuses"] == "accepted,manual,suggested"
    text = project("freq", "--status", "suggested").stdout
    assert "UNREVIEWED" in " ".join(text.split())

    rows = by_code(table(project, "freq", "--include-interviewer"))
    trust = rows["trust"]
    # the interviewer's span is counted, but belongs to no participant
    assert (trust["units"], trust["participants"], trust["words"]) == (4, 2, 9)
    # 14 starts on the label "Pewawancara:" and runs into the interviewer's turn: the interviewer's too
    assert (rows["communication"]["units"], rows["communication"]["participants"]) == (2, 0)

    rows = by_code(table(project, "freq", "--status", "rejected"))
    assert rows["communication"]["units"] == 1 and rows["trust"]["units"] == 0


def test_freq_rollup_counts_a_span_coded_as_parent_and_child_once(project):
    rows = by_code(table(project, "freq", "--rollup"))
    assert list(rows) == ["trust", "openness", "communication"]
    # b: reliance and trust on "Kami juga percaya." are one span
    assert (rows["trust"]["units"], rows["trust"]["words"]) == (3, 6)
    rows = by_code(table(project, "freq"))
    assert rows["reliance"]["units"] == 1 and rows["reliance"]["participants_pct"] == 50.0


def test_freq_by_document_and_participant_fields(project):
    wide = by_code(table(project, "freq", "--by", "source_type"))
    assert (wide["openness"]["interview"], wide["openness"]["observation"], wide["openness"]["total"]) == (3, 1, 4)
    assert wide["trust"]["observation"] == 0

    long = table(project, "freq", "--by", "role", "--long")
    cell = {(r["role"], r["code"]): r for r in long}
    assert cell[("pustakawan", "trust")]["units"] == 2 and cell[("teknisi", "trust")]["units"] == 1
    assert cell[("teknisi", "openness")]["units"] == 2  # b and Pak Budi's turn in c
    assert cell[("teknisi", "openness")]["eligible"] == 1
    assert cell[("(none)", "communication")]["units"] == 1  # the narration in c
    assert "administrasi" not in {r["role"] for r in long}  # P3 spoke in no document

    pct = by_code(table(project, "freq", "--by", "years", "--value", "pct"))
    assert list(pct["reliance"])[2:4] == ["3", "10"]  # numbers in numeric order
    assert (pct["reliance"]["3"], pct["reliance"]["10"], pct["reliance"]["total"]) == (100.0, 0.0, 50.0)

    docs = by_code(table(project, "freq", "--by", "document", "--value", "words"))
    assert (docs["openness"]["a"], docs["openness"]["b"], docs["openness"]["c"]) == (6, 6, 3)


def test_freq_sort_and_bad_options(project):
    rows = table(project, "freq", "--sort", "units")
    assert [r["code"] for r in rows] == ["openness", "trust", "reliance", "communication"]
    rows = table(project, "freq", "--sort", "name")
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    # with --by, rows follow the measure over all groups, whatever the cells show
    rows = table(project, "freq", "--by", "role", "--value", "words", "--sort", "units")
    assert [r["code"] for r in rows] == ["openness", "trust", "reliance", "communication"]
    assert "choose one of" in project.fails("freq", "--by", "shoe_size").output
    assert "unknown status" in project.fails("freq", "--status", "maybe").output
    assert ".png or .svg" in project.fails("freq", "--chart", "x.pdf").output


# --------------------------------------------------------------------------- cooccur


def test_cooccur_in_sentences_turns_and_documents(project):
    pairs = {(r["code_a"], r["code_b"]): r for r in table(project, "cooccur", "--unit", "sentence", "--pairs")}
    to = pairs[("trust", "openness")]
    # trust: a "Kami saling percaya." and b "Kami juga percaya."; openness: both sentences of a (6 crosses the
    # boundary), b's first sentence and c's last: 2 and 4 sentences, together in a's first sentence only
    assert (to["n_a"], to["n_b"], to["n_ab"]) == (2, 4, 1)
    assert to["c"] == pytest.approx(1 / (2 + 4 - 1)) and to["jaccard"] == to["c"]
    assert to["overlap"] == pytest.approx(0.5)
    tr = pairs[("trust", "reliance")]
    assert (tr["n_ab"], tr["c"]) == (1, pytest.approx(0.5))
    assert pairs[("openness", "communication")]["n_ab"] == 0

    turns = {(r["code_a"], r["code_b"]): r for r in table(project, "cooccur", "--unit", "turn", "--pairs")}
    # b's answer is one turn: trust, reliance and openness together there; a's answer holds trust and openness
    assert turns[("trust", "openness")]["n_ab"] == 2
    assert turns[("reliance", "openness")]["n_ab"] == 1

    docs = {(r["code_a"], r["code_b"]): r for r in table(project, "cooccur", "--unit", "document", "--pairs")}
    assert (docs[("trust", "openness")]["n_ab"], docs[("trust", "openness")]["c"]) == (2, pytest.approx(2 / 3))

    matrix = by_code(table(project, "cooccur", "--unit", "document"))
    assert matrix["trust"]["openness"] == 2 and matrix["openness"]["trust"] == 2
    assert matrix["openness"]["openness"] == 3  # diagonal: documents with the code
    shown = project("cooccur", "--unit", "document").stdout
    assert "equals the Jaccard" in " ".join(shown.split())


def test_cooccurrence_flags_fivefold_frequency_differences():
    # one document per unit; code x in 12 documents, y in 2 of them, z in 3 others, w alone in one more
    rows = [("x", d) for d in range(12)] + [("y", 0), ("y", 1)] + [("z", d) for d in (20, 21, 22)] + [("w", 30)]
    codings = pd.DataFrame({"code": pd.Categorical([c for c, _ in rows], categories=["x", "y", "z", "w"]),
                            "document_id": [d for _, d in rows], "start": 0, "end": 5, "negative": False})
    data = analysis.CodingData(
        codings=codings, codes=pd.DataFrame({"id": ["x", "y", "z", "w"], "name": list("XYZW"), "parent": None}),
        documents=pd.DataFrame({"id": sorted({d for _, d in rows}), "name": "d", "source_type": "interview",
                                "language": "id", "participant_id": None}),
        participants=pd.DataFrame({"id": [], "role": []}),
        turns=pd.DataFrame({"document_id": [], "seq": [], "start": [], "end": [], "participant_id": [],
                            "is_interviewer": []}))
    pairs = {(r.code_a, r.code_b): r for r in analysis.cooccurrence(data).itertuples()}
    xy = pairs[("x", "y")]
    assert (xy.n_a, xy.n_b, xy.n_ab, xy.ratio, xy.fivefold) == (12, 2, 2, 6.0, True)
    assert xy.c == pytest.approx(2 / 12) and xy.overlap == 1.0
    assert not pairs[("x", "z")].fivefold  # 4x, and they never co-occur
    assert not pairs[("x", "w")].fivefold  # 12x, but they never co-occur


# --------------------------------------------------------------------------- matrix


def test_matrix_by_document_and_participant(project):
    docs = {r["document"]: r for r in table(project, "matrix", "--rows", "document", "--values", "count")}
    assert [docs["a"][c] for c in ("trust", "reliance", "openness", "communication")] == [2, 0, 2, 0]
    assert [docs["b"][c] for c in ("trust", "reliance", "openness", "communication")] == [1, 1, 1, 0]
    assert [docs["c"][c] for c in ("trust", "reliance", "openness", "communication")] == [0, 0, 1, 1]
    assert (docs["a"]["participant"], docs["a"]["role"], docs["a"]["years"]) == ("P1", "pustakawan", 10)
    assert docs["c"]["participant"] is None and docs["c"]["source_type"] == "observation"

    people = {r["participant"]: r for r in table(project, "matrix", "--rows", "participant", "--values", "words")}
    assert list(people) == ["P1", "P2"]  # P3 never spoke
    assert (people["P1"]["trust"], people["P1"]["openness"], people["P1"]["communication"]) == (3, 6, 0)
    assert (people["P2"]["trust"], people["P2"]["reliance"], people["P2"]["openness"]) == (3, 3, 9)

    presence = {r["participant"]: r for r in table(project, "matrix", "--rows", "participant", "--rollup")}
    assert (presence["P2"]["trust"], presence["P2"]["openness"]) == (1, 1)
    assert "reliance" not in presence["P2"]


def test_exports_neutralise_formulas(project, tmp_path):
    out = tmp_path / "matrix.csv"
    project("matrix", "--rows", "participant", "--format", "csv", "--output", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["participant"]: r["unit"] for r in rows}["P2"] == "'=HYPERLINK(\"http://x\")"

    from openpyxl import load_workbook

    book = tmp_path / "quotes.xlsx"
    project("quotes", "--code", "communication", "--format", "xlsx", "--output", book)
    sheet = load_workbook(book).active
    header = [c.value for c in sheet[1]]
    texts = [row[header.index("text")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert texts == ["'- Staf saling menyapa."]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    freq_csv = project("freq", "--by", "unit", "--format", "csv").stdout
    assert "'=HYPERLINK" in freq_csv and ",=HYPERLINK" not in freq_csv


# --------------------------------------------------------------------------- quotes


def test_quotes_with_location_and_quote_matrix(project):
    rows = table(project, "quotes", "--code", "trust")
    assert [(r["document"], r["text"], r["participant"], r["line"]) for r in rows] == [
        ("a", "Kami saling percaya.", "P1", 2), ("a", "saling percaya", "P1", 2), ("b", "Kami juga percaya.", "P2", 2)]
    assert rows[0]["statuses"] == "accepted,manual" and rows[0]["coders"] == "ana,budi"
    assert rows[0]["turn"] == 2 and rows[0]["role"] == "pustakawan"

    children = table(project, "quotes", "--code", "trust", "--children", "--limit", "1")
    assert [r["text"] for r in children] == ["Kami saling percaya."]

    grid = by_code(table(project, "quotes", "--code", "trust", "--code", "openness", "--by", "role"), "role")
    assert set(grid) == {"pustakawan", "teknisi"}
    assert grid["teknisi"]["openness"].count("\u201c") == 2  # b and c
    assert "(P2, c:6)" in grid["teknisi"]["openness"]
    interviewer = table(project, "quotes", "--code", "trust", "--include-interviewer")
    assert [r["role"] for r in interviewer if r["text"].startswith("kepercayaan")] == ["interviewer"]


# --------------------------------------------------------------------------- charts and the library


def test_charts_are_written(project, tmp_path):
    bars = tmp_path / "freq.png"
    project("freq", "--by", "role", "--chart", bars)
    heat = tmp_path / "cooccur.svg"
    project("cooccur", "--unit", "document", "--chart", heat)
    assert bars.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Keterbukaan" in heat.read_text(encoding="utf-8")


def test_words_coded_match_str_split_on_random_spans():
    import numpy as np

    rng = np.random.default_rng(3)
    alphabet = list("ab c\u00a0\n\u3000d-\u201c")
    texts = {i: "".join(rng.choice(alphabet, int(rng.integers(0, 60)))) for i in (2, 5, 9)}
    for _ in range(200):
        doc = int(rng.choice([2, 5, 9]))
        if len(texts[doc]) < 2:
            continue
        spans = []
        for _ in range(int(rng.integers(1, 4))):
            s = int(rng.integers(0, len(texts[doc]) - 1))
            spans.append((s, int(rng.integers(s + 1, len(texts[doc]) + 1))))
        key = np.zeros(len(spans), dtype=np.int64)
        got = analysis.words_coded(texts, key, np.full(len(spans), doc), np.array([s for s, _ in spans]),
                                   np.array([e for _, e in spans]), 1)[0]
        # the slow way: every word (maximal non-space run) with a character in some span
        text = texts[doc]
        covered = {p for s, e in spans for p in range(s, e)}
        words, i = 0, 0
        for piece in text.split():
            start = text.index(piece, i)
            i = start + len(piece)
            words += any(p in covered for p in range(start, i))
        assert got == words, (text, spans)


def test_store_load_reads_codings_in_bulk(project):
    with Store.open(project.db) as store:
        data = store_analysis.load(store, store_analysis.Filters(statuses=("manual",)))
        assert len(data.codings) == sum(1 for c in CODINGS if c[3] == "manual")
        assert set(data.codings["code"].cat.categories) == {c["id"] for c in CODES}
        assert int(data.codings["negative"].sum()) == 1


def test_demo_prints_frequencies_by_source_type_and_writes_the_charts(tmp_path):
    from typer.testing import CliRunner

    from tematik.cli import app

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Theme frequencies by source type" in text
    assert "statuses counted: suggested, accepted, manual; this includes UNREVIEWED" in text
    for name in ("theme_frequencies.png", "cooccurrence.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
