"""Join the hand-written decisions (decisions/<document>.txt: ``unit index -> codes``) into reference.csv.

This script only lists tematik's sentence units of the imported reference documents and writes each one with the
codes written by hand for its index; it matches nothing. Usage (from the repository root):

    .venv/bin/tematik import benchmarks/reference --manifest benchmarks/reference/manifest.csv --db /tmp/ref.db
    .venv/bin/python benchmarks/reference/join_decisions.py /tmp/ref.db
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from tematik.nlp import units
from tematik.store import Store
from tematik.store.corpus import load_documents

HERE = Path(__file__).resolve().parent
LETTERS = {"T": "trust", "S": "solidarity", "O": "openness", "G": "togetherness", "K": "kinship",
           "C": "communication"}
ORDER = list(LETTERS.values())


def read_decisions(path: Path, n_units: int) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        index, *letters = line.split()
        i = int(index)
        if not 0 <= i < n_units or i in out or not letters:
            raise SystemExit(f"{path}:{lineno}: bad or repeated unit index {index}")
        codes = {LETTERS[c] for c in letters}
        out[i] = sorted(codes, key=ORDER.index)
    return out


def main(db: str) -> None:
    store = Store.open(db)
    try:
        docs = sorted(load_documents(store), key=lambda d: d.name)
    finally:
        store.close()
    with (HERE / "reference.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["document", "start", "end", "sentence", "codes"])
        for doc in docs:
            spans = units(doc, "sentence", include_interviewer=False)
            decisions = read_decisions(HERE / "decisions" / f"{doc.name}.txt", len(spans))
            for i, (start, end) in enumerate(spans):
                writer.writerow([doc.name, start, end, doc.text[start:end].replace("\n", " "),
                                 ";".join(decisions.get(i, []))])


if __name__ == "__main__":
    main(sys.argv[1])
