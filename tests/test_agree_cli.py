"""`tematik agree` through the real CLI on a real project file (text written for this test, not study data).

Two documents split into sentences. Coders A and B code the first; A and the auto-coder also code the second, which
B never opened. Expected values come from the domain functions applied to tables written out here by hand.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tematik import agreement as ag
from tematik.models import Coding
from tematik.store import Store
from tematik.store import coding as store_coding
from tematik.store import corpus as store_corpus

DOC1 = [f"Kalimat nomor {i} tentang kerja sama di perpustakaan." for i in range(10)]
DOC2 = ["Pustakawan saling percaya.", "Rapat setiap minggu.", "Informasi dibagikan lewat grup."]
CODES = ["kepercayaan", "komunikasi", "kekeluargaan"]


def spans(sentences: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for s in sentences:
        out.append((pos, pos + len(s)))
        pos += len(s) + 1
    return out


S1, S2 = spans(DOC1), spans(DOC2)

# (document, code, first sentence, last sentence, coder, status, polarity)
CODINGS = [
    ("doc1", "kepercayaan", 0, 2, "A", "manual", "positive"),   # one coding across sentences 0-2
    *[("doc1", "kepercayaan", i, i, "A", "manual", "positive") for i in (3, 4, 5)],
    ("doc1", "kepercayaan", 3, 7, "B", "manual", "positive"),
    ("doc1", "kepercayaan", 9, 9, "B", "manual", "negative"),  # "explicitly not": does not apply the code
    ("doc1", "komunikasi", 8, 9, "A", "manual", "positive"),
    ("doc1", "komunikasi", 8, 8, "B", "manual", "positive"),
    ("doc1", "komunikasi", 9, 9, "B", "accepted", "positive"),
    ("doc1", "komunikasi", 0, 0, "A", "rejected", "positive"),
    *[("doc1", "kepercayaan", i, i, "auto", "suggested", "positive") for i in (0, 1, 2, 3)],
    ("doc1", "komunikasi", 8, 8, "auto", "suggested", "positive"),
    ("doc2", "kepercayaan", 0, 0, "A", "manual", "positive"),
    ("doc2", "komunikasi", 2, 2, "auto", "suggested", "positive"),
]


def presence(coder: str, code: str, doc: str = "doc1", statuses=("suggested", "accepted", "manual")) -> list[int]:
    n = len(DOC1 if doc == "doc1" else DOC2)
    marks = [0] * n
    for d, c, first, last, who, status, polarity in CODINGS:
        if d == doc and c == code and who == coder and status in statuses and polarity == "positive":
            for i in range(first, last + 1):
                marks[i] = 1
    return marks


@pytest.fixture
def project(cli, tmp_path):
    for name, sentences in (("doc1", DOC1), ("doc2", DOC2)):
        (tmp_path / f"{name}.txt").write_text(" ".join(sentences), encoding="utf-8")
        cli("import", tmp_path / f"{name}.txt", "--language", "id")
    with Store.open(cli.db) as store:
        store_coding.save_codebook(store, name="ks", version="1", digest="test", source="test", fmt="yaml",
                                   codes=[{"id": c, "name": c.title()} for c in CODES])
        ids = store_corpus.document_ids_by_name(store)
        for name, sp in (("doc1", S1), ("doc2", S2)):
            store_corpus.save_segments(store, ids[name], "sentence", sp)
        sp = {"doc1": S1, "doc2": S2}
        store_coding.add_codings(store, [
            Coding(document=d, code=c, start=sp[d][first][0], end=sp[d][last][1], status=status, coder=who,
                   polarity=polarity)
            for d, c, first, last, who, status, polarity in CODINGS])
    return cli


def rows_by_code(result) -> dict[str, dict]:
    return {r["code"]: r for r in json.loads(result.stdout)}


def test_two_coders_per_code_and_pooled(project):
    rows = rows_by_code(project("agree", "--coders", "A,B", "--format", "json"))
    trust = rows["kepercayaan"]
    # A: sentences 0-5, B: 3-7 -> both 3, A only 3, B only 2, neither 2 (doc2 is not seen by B: dropped)
    expected = ag.cohen_kappa_table([[3, 3], [2, 2]])
    assert trust["units"] == 10
    assert trust["cohen_kappa"] == pytest.approx(expected.value)
    assert trust["kappa_reading"] == expected.reading
    assert trust["percent_agreement"] == pytest.approx(0.5)
    assert trust["brennan_prediger"] == pytest.approx(0.0)
    assert rows["komunikasi"]["cohen_kappa"] == pytest.approx(1.0)  # rejected coding at sentence 0 not counted
    unused = rows["kekeluargaan"]  # nobody applied it: listed apart
    assert unused["scope"] == "unused" and "left out of the pooled and mean rows" in unused["note"]
    assert unused["cohen_kappa"] is None and unused["kappa_reading"] == "undefined"
    pooled = rows[ag.POOLED]
    summed = [[3 + 2, 3], [2, 2 + 8]]
    assert pooled["cohen_kappa"] == pytest.approx(ag.cohen_kappa_table(summed).value)
    assert pooled["scope"] == "pooled" and rows[ag.MEAN]["scope"] == "mean"


def test_three_coders_alpha_treats_unseen_units_as_missing(project):
    # the auto-coder is a third "coder" only when named (issue 12: agree compares people by default)
    rows = rows_by_code(project("agree", "--coders", "A,B,auto", "--format", "json"))
    matrix = []
    for coder in ("A", "B", "auto"):
        doc2 = presence(coder, "kepercayaan", "doc2") if coder != "B" else [None] * len(DOC2)
        matrix.append(presence(coder, "kepercayaan") + doc2)
    trust = rows["kepercayaan"]
    assert trust["units"] == 10 and trust["units_pairable"] == 13
    assert trust["krippendorff_alpha"] == pytest.approx(ag.krippendorff_alpha(matrix).value)
    assert trust["cohen_kappa"] is None  # three coders


def test_status_all_counts_rejected_codings(project):
    rows = rows_by_code(project("agree", "--coders", "A,B", "--status", "all", "--format", "json"))
    # komunikasi: A now also has sentence 0 (rejected coding): both 2, A only 1, neither 7
    assert rows["komunikasi"]["cohen_kappa"] == pytest.approx(ag.cohen_kappa_table([[2, 1], [0, 7]]).value)


def test_reference_scores_auto_coder(project):
    out = json.loads(project("agree", "--reference", "A", "--coders", "auto", "--format", "json").stdout)
    got = {r["code"]: r for r in out if r["coder"] == "auto"}
    for code in ("kepercayaan", "komunikasi"):
        s = ag.precision_recall_f1(presence("auto", code) + presence("auto", code, "doc2"),
                                   presence("A", code) + presence("A", code, "doc2"))
        assert (got[code]["tp"], got[code]["fp"], got[code]["fn"]) == (s.tp, s.fp, s.fn)
        assert got[code]["f1"] == pytest.approx(s.f1.value)
    assert got["kekeluargaan"]["f1"] is None and "no positives" in got["kekeluargaan"]["note"]


def test_disagreements_name_the_sentences(project):
    out = json.loads(project("agree", "--coders", "A,B", "--disagreements", "--format", "json").stdout)
    got = {(r["document"], r["seq"], r["code"], r["applied_by"]) for r in out}
    assert got == {("doc1", i, "kepercayaan", "A") for i in (0, 1, 2)} | \
        {("doc1", i, "kepercayaan", "B") for i in (6, 7)}
    assert all(r["text"] == DOC1[r["seq"]] for r in out)


def char_presence(coder: str, code: str) -> list[int]:
    """Per-character presence in doc1 straight from the coding list (spaces between sentences coded separately
    stay uncoded)."""
    marks = [0] * len(" ".join(DOC1))
    for d, c, first, last, who, status, polarity in CODINGS:
        if d == "doc1" and c == code and who == coder and status != "rejected" and polarity == "positive":
            marks[S1[first][0]:S1[last][1]] = [1] * (S1[last][1] - S1[first][0])
    return marks


def runs(a: list[int], b: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of characters where the two coders differ."""
    out, start = [], None
    for i, differ in enumerate([x != y for x, y in zip(a, b, strict=True)] + [False]):
        if differ and start is None:
            start = i
        elif not differ and start is not None:
            out.append((start, i))
            start = None
    return out


def test_document_and_character_units(project):
    docs = rows_by_code(project("agree", "--coders", "A,B", "--unit", "document", "--format", "json"))
    assert docs["kepercayaan"]["units"] == 1  # only doc1 was seen by both
    chars = rows_by_code(project("agree", "--coders", "A,B", "--unit", "char", "--format", "json"))
    a, b = char_presence("A", "kepercayaan"), char_presence("B", "kepercayaan")
    assert chars["kepercayaan"]["units"] == len(a)
    assert chars["kepercayaan"]["cohen_kappa"] == pytest.approx(ag.cohen_kappa([a, b]).value)
    assert chars["kepercayaan"]["krippendorff_alpha"] == pytest.approx(ag.krippendorff_alpha([a, b]).value)
    spans_out = json.loads(project("agree", "--coders", "A,B", "--unit", "char", "--disagreements",
                                   "--format", "json").stdout)
    got = [(r["start"], r["end"]) for r in spans_out if r["code"] == "kepercayaan"]
    assert got == runs(a, b)
    assert len(got) == 4  # A only on sentences 0-2, B only on two inter-sentence spaces and on sentences 6-7
    assert {r["document"] for r in spans_out} == {"doc1"}


def test_table_csv_input_and_errors(project, tmp_path):
    good = tmp_path / "codings.csv"
    good.write_text("unit,coder,code\ns1,A,trust\ns1,B,trust\ns2,A,\ns2,B,trust\ns3,A,\ns3,B,\n",
                    encoding="utf-8")
    out = list(csv.DictReader(io.StringIO(project("agree", "--table", good, "--format", "csv").stdout)))
    trust = next(r for r in out if r["code"] == "trust")
    assert float(trust["percent_agreement"]) == pytest.approx(2 / 3)
    assert float(trust["cohen_kappa"]) == pytest.approx(ag.cohen_kappa([[1, 0, 0], [1, 1, 0]]).value)

    bad = tmp_path / "bad.csv"
    bad.write_text("unit,coder,code\ns1,A,trust\n,B,trust\n", encoding="utf-8")
    r = project.fails("agree", "--table", bad)
    assert f"{bad}:3: unit: empty" in r.output
    assert "--unit" in project.fails("agree", "--table", good, "--unit", "sentence").output


def test_agree_errors_leave_one_line(project, tmp_path):
    assert "no codings by coder 'Z'" in project.fails("agree", "--coders", "A,Z").output
    assert "unknown unit 'word'" in project.fails("agree", "--unit", "word").output
    assert "no code 'nope'" in project.fails("agree", "--code", "nope").output
    assert "unknown status" in project.fails("agree", "--status", "maybe").output
    assert "--output" in project.fails("agree", "--format", "xlsx").output


def test_xlsx_and_markdown_output(project, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "agree.xlsx"
    project("agree", "--coders", "A,B", "--output", target)
    sheet = load_workbook(target)["agreement"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["scope", "code", "units"]
    assert [sheet.cell(row=i, column=2).value for i in range(2, 6)] == [*CODES[:2], ag.POOLED, ag.MEAN]
    assert sheet.cell(row=6, column=2).value == "kekeluargaan"  # nobody applied it: listed last
    md = project("agree", "--coders", "A,B", "--format", "md").stdout
    assert md.startswith("| scope | code |") and "kepercayaan" in md


def test_alpha_interval_is_seeded_and_can_be_turned_off(project):
    first = rows_by_code(project("agree", "--coders", "A,B", "--format", "json", "--seed", "5"))
    again = rows_by_code(project("agree", "--coders", "A,B", "--format", "json", "--seed", "5"))
    trust = first["kepercayaan"]
    assert trust["alpha_low"] == again["kepercayaan"]["alpha_low"]
    assert trust["alpha_low"] <= trust["krippendorff_alpha"] <= trust["alpha_high"]
    assert trust["gwet_ac1"] is not None and trust["ac1_reading"]
    off = rows_by_code(project("agree", "--coders", "A,B", "--format", "json", "--bootstrap", "0"))
    assert off["kepercayaan"]["alpha_low"] is None
