"""Storing one document's suggestions in a project that already holds many: the per-document DELETE.

    python benchmarks/bench_store_suggestions.py                     # 2,000 documents x 200 suggestions
    python benchmarks/bench_store_suggestions.py --docs 500 --per 100

A project file is filled with ``--docs`` documents and ``--per`` open suggestions each (plus a few reviewed
codings), then ``store.coding.store_suggestions`` re-stores the suggestions of ``--sample`` documents (what
``autocode --redo`` does per document). The same is timed with the old DELETE statement (planned on the status
index, so it visits every open suggestion of the project for each document). Prints the query plans and the
milliseconds per document.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tematik.corpus import sha256  # noqa: E402
from tematik.models import Suggestion  # noqa: E402
from tematik.store import Store  # noqa: E402
from tematik.store import coding as store_coding  # noqa: E402

OLD_DELETE = "DELETE FROM codings WHERE document_id = ? AND coder = ? AND status = 'suggested'"


def build(path: Path, docs: int, per: int) -> Store:
    store = Store.create(path)
    text = "kata " * (per * 10)
    with store.transaction():
        store.conn.execute("INSERT INTO codes (id, name) VALUES ('c1', 'one'), ('c2', 'two')")
        store.conn.executemany(
            "INSERT INTO documents (id, name, source_type, text, sha256, words, chars, imported) "
            "VALUES (?, ?, 'interview', ?, ?, ?, ?, '2026-01-01')",
            [(i, f"d{i:05}", text, sha256(text), per * 10, len(text)) for i in range(1, docs + 1)])
        store.conn.executemany(
            "INSERT INTO codings (document_id, code_id, start, end, status, coder, created) "
            "VALUES (?, ?, ?, ?, ?, 'auto', '2026-01-01')",
            [(i, "c1" if k % 2 else "c2", k * 10, k * 10 + 9, "accepted" if k % 50 == 0 else "suggested")
             for i in range(1, docs + 1) for k in range(per)])
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--per", type=int, default=200)
    ap.add_argument("--sample", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp) / "bench.db", args.docs, args.per)
        rows = store.scalar("SELECT count(*) FROM codings")
        print(f"project: {args.docs:,} documents, {rows:,} codings")
        new_delete = store_coding._DELETE_SUGGESTIONS
        for label, sql in (("old", OLD_DELETE), ("new", new_delete)):
            plan = " | ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, (1, "auto")))
            print(f"{label} DELETE plan: {plan}")
        suggestions = [Suggestion(code="c1" if k % 2 else "c2", start=k * 10, end=k * 10 + 9, match_start=k * 10,
                                  match_end=k * 10 + 4, matched="kata", rule="r") for k in range(args.per)]
        step = max(1, args.docs // args.sample)
        sample = list(range(1, args.docs + 1, step))[:args.sample]

        start = time.perf_counter()
        for i in sample:
            with store.transaction():
                store.conn.execute(OLD_DELETE, (i, "auto"))
        old_ms = (time.perf_counter() - start) * 1000 / len(sample)
        # put them back, so both runs see the same project
        for i in sample:
            store_coding.store_suggestions(store, i, suggestions, codebook_hash="h", unit="sentence")
        start = time.perf_counter()
        for i in sample:
            with store.transaction():
                store.conn.execute(new_delete, (i, "auto"))
        new_ms = (time.perf_counter() - start) * 1000 / len(sample)
        for i in sample:
            store_coding.store_suggestions(store, i, suggestions, codebook_hash="h", unit="sentence")
        start = time.perf_counter()
        for i in sample:
            store_coding.store_suggestions(store, i, suggestions, codebook_hash="h", unit="sentence",
                                           text_sha256=sha256("kata " * (args.per * 10)))
        whole_ms = (time.perf_counter() - start) * 1000 / len(sample)
        print(f"DELETE of one document's suggestions: old {old_ms:.2f} ms, new {new_ms:.2f} ms per document "
              f"({old_ms / new_ms:.0f}x)")
        print(f"store_suggestions (text check, DELETE, {args.per} inserts, progress): {whole_ms:.2f} ms per document")
        store.close()


if __name__ == "__main__":
    main()
