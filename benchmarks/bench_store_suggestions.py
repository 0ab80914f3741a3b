"""Storing one document's suggestions in a project that already holds many: finding its open suggestions, and
re-storing them as ``autocode --redo`` does.

    python benchmarks/bench_store_suggestions.py                     # 2,000 documents x 200 suggestions
    python benchmarks/bench_store_suggestions.py --docs 500 --per 100

A project file is filled with ``--docs`` documents and ``--per`` open suggestions each (plus a few reviewed
codings), then ``store.coding.store_suggestions`` re-stores the suggestions of ``--sample`` documents (what
``autocode --redo`` does per document). Finding a document's open suggestions is timed against the old DELETE
statement (planned on the status index, so it visits every open suggestion of the project for each document).
Re-storing keeps the id of every suggestion made again (an UPDATE in place) and deletes only those no longer made;
it is timed for the same suggestions again and for a run in which half of them changed, against the way it was
done before ids were kept (DELETE every open suggestion, INSERT the new ones) in the same run. Prints the query
plans and the milliseconds per document.
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
        find = store_coding._OPEN_SUGGESTIONS
        for label, sql in (("old DELETE", OLD_DELETE), ("open suggestions of a document", find)):
            plan = " | ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql, (1, "auto")))
            print(f"{label} plan: {plan}")
        text_hash = sha256("kata " * (args.per * 10))

        def made(shift: int) -> list[Suggestion]:
            """The run's suggestions; with ``shift`` every other one lies elsewhere (a changed run)."""
            return [Suggestion(code="c1" if k % 2 else "c2", start=k * 10 + (shift if k % 2 else 0),
                               end=k * 10 + 9, match_start=k * 10 + (shift if k % 2 else 0), match_end=k * 10 + 4,
                               matched="kata", rule="r") for k in range(args.per)]

        step = max(1, args.docs // args.sample)
        sample = list(range(1, args.docs + 1, step))[:args.sample]

        def per_doc(fn) -> float:
            start = time.perf_counter()
            for i in sample:
                fn(i)
            return (time.perf_counter() - start) * 1000 / len(sample)

        def old_delete(i: int) -> None:
            with store.transaction():
                store.conn.execute(OLD_DELETE, (i, "auto"))

        def new_find(i: int) -> None:
            store.conn.execute(find, (i, "auto")).fetchall()

        def restore(i: int, suggestions: list[Suggestion]) -> None:
            store_coding.store_suggestions(store, i, suggestions, codebook_hash="h", unit="sentence",
                                           text_sha256=text_hash)

        def replace_all(i: int, suggestions: list[Suggestion]) -> None:
            """Before ids were kept: every open suggestion deleted, the run's inserted anew."""
            with store.transaction():
                store.conn.execute(OLD_DELETE.replace("coder = ?", "+coder = ?").replace("status =", "+status ="),
                                   (i, "auto"))
                store.conn.executemany(
                    "INSERT INTO codings (document_id, code_id, start, end, status, coder, rule, match_start, "
                    "match_end, created) VALUES (?,?,?,?, 'suggested', 'auto', ?,?,?, '2026-01-01')",
                    [(i, x.code, x.start, x.end, x.rule, x.match_start, x.match_end) for x in suggestions])

        old_ms = per_doc(old_delete)
        for i in sample:  # put them back, so every run sees the same project
            restore(i, made(0))
        find_ms = per_doc(new_find)
        same_ms = per_doc(lambda i: restore(i, made(0)))
        changed_ms = per_doc(lambda i: restore(i, made(3 if i % 2 else 0)))
        before_ms = per_doc(lambda i: replace_all(i, made(0)))
        print(f"a document's open suggestions: old DELETE {old_ms:.2f} ms, new lookup {find_ms:.2f} ms per document "
              f"({old_ms / find_ms:.0f}x)")
        print(f"store_suggestions, {args.per} suggestions made again (ids kept): {same_ms:.2f} ms per document; "
              f"half of them changed: {changed_ms:.2f} ms; delete-and-insert as before: {before_ms:.2f} ms "
              f"(ratio {same_ms / before_ms:.2f})")
        store.close()


if __name__ == "__main__":
    main()
