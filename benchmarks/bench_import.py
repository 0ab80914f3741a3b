"""Import throughput on a synthetic corpus (default 1,000 transcripts, 1,000,000 words).

Prints words/s and MB/s for reading+normalising+turn detection, for the store write, and for the whole
import; and, as a baseline measured in the same run, the same rows written with sqlite-utils' insert_all.

    python benchmarks/bench_import.py [--docs 1000] [--words 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from tematik import corpus
from tematik.store import Store
from tematik.store import corpus as store_corpus

WORDS = ("kami saling percaya dan berbagi informasi di perpustakaan setiap hari rapat koordinasi grup whatsapp "
         "pustakawan layanan sirkulasi referensi buku koleksi mahasiswa dosen sistem katalog internet lambat "
         "kebersamaan keterbukaan komunikasi kekeluargaan tolong menolong rekan kerja atasan pimpinan ilmu "
         "pengetahuan pelatihan berbagi pengalaman yang untuk dengan tidak ada sudah belum juga karena").split()


def make_corpus(folder: Path, n_docs: int, n_words: int, seed: int = 7) -> tuple[list[Path], int]:
    rng = random.Random(seed)
    per_doc = n_words // n_docs
    paths, total_bytes = [], 0
    for i in range(n_docs):
        lines, written = [], 0
        while written < per_doc:
            speaker = "Pewawancara" if len(lines) % 2 == 0 else "Bu Made"
            n = min(rng.randint(8, 60), per_doc - written)
            words = [rng.choice(WORDS) for _ in range(n)]
            lines.append(f"{speaker}: " + " ".join(words).capitalize() + ".")
            written += n + 1 if speaker else n  # the label is a word too
        path = folder / f"doc{i:05d}.txt"
        text = "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")
        total_bytes += len(text.encode())
        paths.append(path)
    return paths, total_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the generated corpus and project in this folder")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tematik-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    src = work / "corpus"
    src.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    paths, nbytes = make_corpus(src, args.docs, args.words)
    print(f"generated {len(paths)} files, {nbytes / 1e6:.1f} MB in {time.perf_counter() - t0:.1f}s")

    meta = corpus.FileMeta(participant="P01", source_type="interview", language="id",
                           speakers={"Pewawancara": "interviewer"})
    t0 = time.perf_counter()
    docs = [d for p in paths for d in corpus.read_path(p, meta).documents]
    t_read = time.perf_counter() - t0
    words = sum(d.words for d in docs)
    turns = sum(len(d.turns) for d in docs)

    db_path = work / "bench.db"
    db_path.unlink(missing_ok=True)
    store = Store.create(db_path)
    t0 = time.perf_counter()
    plan = store_corpus.plan_import(store, docs)
    store_corpus.apply_import(store, plan)
    t_write = time.perf_counter() - t0
    store.close()

    # baseline in the same run: the same documents and turns through sqlite-utils insert_all
    import sqlite_utils

    base_path = work / "baseline.db"
    base_path.unlink(missing_ok=True)
    conn = sqlite3.connect(base_path)
    conn.execute("PRAGMA journal_mode = WAL")
    base = sqlite_utils.Database(conn)
    t0 = time.perf_counter()
    with conn:
        base["documents"].insert_all(({"name": d.name, "text": d.text, "sha256": corpus.sha256(d.text),
                                       "words": d.words} for d in docs), batch_size=200)
        base["turns"].insert_all(({"document": d.name, "seq": n, "start": t.start, "end": t.end,
                                   "speaker": t.speaker} for d in docs for n, t in enumerate(d.turns)),
                                 batch_size=1000)
    t_base = time.perf_counter() - t0
    conn.close()

    total = t_read + t_write
    mb = nbytes / 1e6
    print(f"documents: {len(docs):,}  words: {words:,}  turns: {turns:,}  text: {mb:.1f} MB")
    print(f"read+normalise+turns : {t_read:6.2f}s  {words / t_read:12,.0f} words/s  {mb / t_read:6.1f} MB/s")
    print(f"store (executemany)  : {t_write:6.2f}s  {words / t_write:12,.0f} words/s  {mb / t_write:6.1f} MB/s"
          f"  ({(len(docs) + turns) / t_write:,.0f} rows/s)")
    print(f"whole import         : {total:6.2f}s  {words / total:12,.0f} words/s  {mb / total:6.1f} MB/s")
    print(f"baseline sqlite-utils insert_all of the same rows: {t_base:6.2f}s "
          f"({(len(docs) + turns) / t_base:,.0f} rows/s); store write is {t_base / t_write:.1f}x faster")
    # the real command end to end (process start, imports, language, progress, plan, write)
    import subprocess
    import sys

    cli_db = work / "cli.db"
    cli_db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tematik", "import", str(src), "--language", "id", "--participant", "P01",
                    "--db", str(cli_db)], check=True, capture_output=True)
    t_cli = time.perf_counter() - t0
    print(f"`tematik import` CLI : {t_cli:6.2f}s  {words / t_cli:12,.0f} words/s  {mb / t_cli:6.1f} MB/s")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
