"""The held-out reference set (benchmarks/reference/reference.csv) stays consistent with its documents as imported.

The reference measures auto-coding on text the codebook's rules were never tuned on, so its rows must be exactly the
sentence units tematik computes for those documents, whole documents, and its codes the study codebook's ids. The
codes were decided by hand (benchmarks/reference/decisions/); reference.csv is only their join with the units. See
benchmarks/reference/README.md.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO
from reference_sets import (
    check_rows_point_at_their_sentences,
    check_whole_sentence_units,
    codes_of,
    import_corpus,
    read_rows,
    spans_by_document,
)
from tematik.codebook import load_codebook

REFERENCE = REPO / "benchmarks" / "reference"
ROWS = REFERENCE / "reference.csv"
DECISIONS = REFERENCE / "decisions"
CODEBOOK = REPO / "codebooks" / "knowledge-sharing.yaml"
LETTERS = {"T": "trust", "S": "solidarity", "O": "openness", "G": "togetherness", "K": "kinship",
           "C": "communication"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The reference documents imported through the real CLI into a fresh project file."""
    return import_corpus(tmp_path_factory.mktemp("reference") / "project.db", REFERENCE, REFERENCE / "manifest.csv")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_rows(ROWS)


def test_every_row_points_at_its_sentence_in_the_imported_document(imported, rows):
    check_rows_point_at_their_sentences(rows, imported["docs"], "reference.csv")


def test_every_document_is_whole_and_made_of_non_interviewer_sentence_units(imported, rows):
    by_doc = spans_by_document(rows)
    assert set(by_doc) == set(imported["docs"])  # every imported reference document is in the file, none partly
    check_whole_sentence_units(by_doc, imported["docs"], "reference")


def test_codes_are_the_study_codebook_ids_in_codebook_order(rows):
    ids = load_codebook(CODEBOOK).ids
    assert set(LETTERS.values()) == set(ids)
    for i, row in enumerate(rows, start=2):
        codes = codes_of(row)
        assert set(codes) <= set(ids), f"reference.csv:{i}: unknown code in {row['codes']!r}"
        assert codes == sorted(set(codes), key=ids.index), f"reference.csv:{i}: duplicated or unordered codes"


def test_codes_are_exactly_the_hand_written_decisions(rows):
    # reference.csv is only the join of decisions/<document>.txt with the units; neither may drift from the other.
    by_doc: dict[str, list[list[str]]] = {}
    for row in rows:
        by_doc.setdefault(row["document"], []).append(codes_of(row))
    assert {p.stem for p in DECISIONS.glob("*.txt")} == set(by_doc)
    for name, coded in by_doc.items():
        written: dict[int, set[str]] = {}
        for line in (DECISIONS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                index, *letters = line.split()
                written[int(index)] = {LETTERS[c] for c in letters}
        assert max(written) < len(coded), f"{name}: a decision points past the last unit"
        for i, codes in enumerate(coded):
            assert set(codes) == written.get(i, set()), f"{name} unit {i}: reference.csv differs from decisions"


def test_size_coverage_and_natural_rate(imported, rows):
    assert len(rows) >= 500
    counts = Counter(c for row in rows for c in codes_of(row))
    for code in LETTERS.values():
        assert counts[code] >= 20, f"only {counts[code]} reference sentences for {code}"
    uncoded = sum(not codes_of(row) for row in rows) / len(rows)
    assert 0.35 <= uncoded <= 0.65, f"{uncoded:.0%} uncoded: themes not at a natural rate"

    docs = [imported["docs"][name] for name in dict.fromkeys(row["document"] for row in rows)]
    assert len(docs) == 10
    assert sum(d.source_type == "observation" for d in docs) == 3
    assert sum(d.language == "en" for d in docs) == 2
    roles = {imported["roles"][d.participant] for d in docs if d.source_type == "interview"}
    assert {"pustakawan", "tenaga administrasi", "teknisi"} <= roles
    for name in dict.fromkeys(row["document"] for row in rows):
        n = sum(row["document"] == name for row in rows)
        if imported["docs"][name].source_type == "interview":
            assert 60 <= n <= 110, f"{name}: {n} sentences"


def test_reference_participants_do_not_clash_with_the_demo_corpus():
    def participants(manifest: Path) -> set[str]:
        with manifest.open(encoding="utf-8", newline="") as fh:
            found = set()
            for row in csv.DictReader(fh):
                found |= {p.split("=", 1)[1] for p in row["speakers"].split(";") if "=" in p}
            return found - {"interviewer"}
    demo = participants(REPO / "corpora" / "ks-library" / "manifest.csv")
    ours = participants(REFERENCE / "manifest.csv")
    assert ours and not ours & demo


def test_files_are_plain_utf8_with_unix_newlines():
    for path in [ROWS, *REFERENCE.rglob("*.txt")]:
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw, path
        raw.decode("utf-8")
