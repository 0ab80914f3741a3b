"""What the hand-coded reference sets (the demo's gold, the held-out reference) are checked with: the corpus imported
through the real CLI, the rows read, and each row's offsets and the document's units compared with tematik's."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import Cli
from tematik.nlp import units
from tematik.store import Store
from tematik.store.corpus import load_documents

COLUMNS = ["document", "start", "end", "sentence", "codes"]


def import_corpus(db: Path, folder: Path, manifest: Path) -> dict:
    """The documents (by name) and participant roles of ``folder`` imported with its manifest into ``db``."""
    Cli(db)("import", folder, "--manifest", manifest)
    store = Store.open(db)
    try:
        docs = {d.name: d for d in load_documents(store)}
        roles = {r["id"]: r["role"] for r in store.query("SELECT id, role FROM participants")}
    finally:
        store.close()
    return {"docs": docs, "roles": roles}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def codes_of(row: dict[str, str]) -> list[str]:
    return [c for c in row["codes"].split(";") if c]


def check_rows_point_at_their_sentences(rows: list[dict[str, str]], docs: dict, label: str) -> None:
    for i, row in enumerate(rows, start=2):
        assert row["document"] in docs, f"{label}:{i}: unknown document {row['document']!r}"
        text = docs[row["document"]].text
        start, end = int(row["start"]), int(row["end"])
        assert 0 <= start < end <= len(text), f"{label}:{i}: offsets {start}:{end} outside the document"
        assert text[start:end].replace("\n", " ") == row["sentence"], f"{label}:{i}: text differs at {start}:{end}"


def spans_by_document(rows: list[dict[str, str]]) -> dict[str, list[tuple[int, int]]]:
    by_doc: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        by_doc.setdefault(row["document"], []).append((int(row["start"]), int(row["end"])))
    return by_doc


def check_whole_sentence_units(by_doc: dict[str, list[tuple[int, int]]], docs: dict, label: str) -> None:
    """Each document's rows are exactly tematik's non-interviewer sentence units, so uncoded sentences occur at
    their natural rate and the auto-coder is scored on the units it codes."""
    for name, spans in by_doc.items():
        expected = units(docs[name], "sentence", include_interviewer=False)
        assert spans == expected, f"{name}: {label} rows differ from tematik's sentence units; re-derive them"
