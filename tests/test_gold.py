"""The hand-coded gold fixture (corpora/ks-library/gold/ks-gold.csv) stays consistent with the corpus as imported.

The fixture is the reference for measuring the auto-coder's precision/recall on the demo corpus, so its offsets must
point at the same sentence units that tematik computes from an imported project, and its codes must be the study
codebook's ids. See corpora/ks-library/gold/README.md for how the labels were made.
"""

from __future__ import annotations

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

CORPUS = REPO / "corpora" / "ks-library"
GOLD = REPO / "corpora" / "ks-library" / "gold" / "ks-gold.csv"
CODEBOOK = REPO / "codebooks" / "knowledge-sharing.yaml"


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The bundled corpus imported through the real CLI into a fresh project file."""
    return import_corpus(tmp_path_factory.mktemp("gold") / "project.db", CORPUS, CORPUS / "manifest.csv")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_rows(GOLD)


def test_every_row_points_at_its_sentence_in_the_imported_document(docs, rows):
    check_rows_point_at_their_sentences(rows, docs["docs"], "ks-gold.csv")


def test_rows_are_whole_documents_of_non_interviewer_sentence_units(docs, rows):
    # Whole documents, so uncoded sentences occur at their natural rate, and exactly the units the auto-coder uses.
    check_whole_sentence_units(spans_by_document(rows), docs["docs"], "gold")


def test_codes_are_the_study_codebook_ids_in_codebook_order(rows):
    ids = load_codebook(CODEBOOK).ids
    assert len(ids) == 6
    for i, row in enumerate(rows, start=2):
        codes = codes_of(row)
        assert set(codes) <= set(ids), f"ks-gold.csv:{i}: unknown code in {row['codes']!r}"
        assert codes == sorted(set(codes), key=ids.index), f"ks-gold.csv:{i}: duplicated or unordered codes"


def test_size_and_coverage(docs, rows):
    assert len(rows) >= 200
    counts = Counter(c for row in rows for c in codes_of(row))
    for code in load_codebook(CODEBOOK).ids:
        assert counts[code] >= 8, f"only {counts[code]} gold sentences for {code}"
    assert any(not codes_of(row) for row in rows), "a gold set without uncoded sentences measures no precision"

    gold_docs = [docs["docs"][name] for name in dict.fromkeys(row["document"] for row in rows)]
    assert len(gold_docs) >= 8
    assert sum(d.source_type == "observation" for d in gold_docs) >= 2
    assert any(d.language == "en" for d in gold_docs)
    roles = {docs["roles"][d.participant] for d in gold_docs if d.source_type == "interview"}
    assert {"pustakawan", "tenaga administrasi", "teknisi"} <= roles


def test_fixture_file_is_plain_utf8_with_unix_newlines():
    raw: bytes = Path(GOLD).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    raw.decode("utf-8")
