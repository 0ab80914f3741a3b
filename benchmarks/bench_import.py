"""Import throughput on a synthetic corpus (default 1,000 transcripts, 1,000,000 words).

Prints words/s and MB/s for reading+normalising+turn detection, for the store write, and for the whole
import; and, as a baseline measured in the same run, the same rows written with sqlite-utils' insert_all.

With ``--memory`` it measures instead the peak memory (max RSS) of ``tematik import`` in a fresh process for
one large .txt transcript (``--mb``, default 200) and one .xlsx of open answers (``--rows``, default 1,000,000),
next to the size of the file, so "memory grows with the largest file, not a multiple of it" can be checked:

    python benchmarks/bench_import.py --memory [--mb 200] [--rows 1000000]
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


#: run the CLI in this process, then report its own peak RSS (KiB on Linux) on the last line of stderr
_CHILD = """
import resource, sys
from tematik.cli import main
sys.argv = ["tematik", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print("MAXRSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def peak_rss(*args: str) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MB, exit code, last output line) of ``tematik ARGS`` in a fresh process."""
    import subprocess
    import sys

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    lines = proc.stderr.strip().splitlines()
    rss = next((int(ln.split()[1]) for ln in reversed(lines) if ln.startswith("MAXRSS")), 0)
    out = (proc.stdout.strip().splitlines() or [""])[-1] if proc.returncode == 0 else \
        next((ln for ln in lines if not ln.startswith("MAXRSS")), "")
    return seconds, rss / 1024, proc.returncode, out


def memory(work: Path, mb: int, rows: int) -> None:
    rng = random.Random(11)
    line_words = [" ".join(rng.choice(WORDS) for _ in range(14)) for _ in range(2000)]
    print(f"baseline: python + tematik CLI start, `tematik --help`: {peak_rss('--help')[1]:,.0f} MB max RSS")
    if mb > 0:
        memory_txt(work, mb, line_words)
    if rows > 0:
        memory_xlsx(work, rows, line_words, rng)


def memory_txt(work: Path, mb: int, line_words: list[str]) -> None:
    txt = work / "big.txt"
    with txt.open("w", encoding="utf-8") as fh:
        written, n = 0, 0
        while written < mb * 1_000_000:
            speaker = "Pewawancara" if n % 2 == 0 else "Bu Made"
            line = f"{speaker}: {line_words[n % len(line_words)].capitalize()}.\n"
            fh.write(line)
            written += len(line)
            n += 1
    size = txt.stat().st_size / 1e6
    db = work / "mem-txt.db"
    secs, rss, code, out = peak_rss("import", str(txt), "--language", "id", "--participant", "P01", "--db", str(db))
    print(f".txt  {size:8.1f} MB file : {secs:6.1f}s  max RSS {rss:8,.0f} MB  = {rss / size:4.1f} x file"
          f"  (exit {code}: {out[:100]})")
    txt.unlink()


def memory_xlsx(work: Path, rows: int, line_words: list[str], rng: random.Random) -> None:
    import openpyxl

    xlsx = work / "answers.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("answers")
    ws.append(["respondent", "unit", "text"])
    for i in range(rows):
        ws.append([f"R{i:07d}", rng.choice(("sirkulasi", "referensi", "koleksi")), line_words[i % len(line_words)]])
    wb.save(xlsx)
    size = xlsx.stat().st_size / 1e6
    db = work / "mem-xlsx.db"
    secs, rss, code, out = peak_rss("import", str(xlsx), "--language", "id", "--id-column", "respondent",
                                    "--db", str(db))
    print(f".xlsx {size:8.1f} MB file ({rows:,} rows): {secs:6.1f}s  max RSS {rss:8,.0f} MB"
          f"  (exit {code}: {out[:100]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the generated corpus and project in this folder")
    ap.add_argument("--memory", action="store_true", help="measure peak memory of large imports instead")
    ap.add_argument("--mb", type=int, default=200, help="with --memory: size of the .txt file in MB (0: none)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="with --memory: rows of the .xlsx file (0: none)")
    args = ap.parse_args()
    if args.memory:
        work = Path(tempfile.mkdtemp(prefix="tematik-mem-")) if args.keep is None else args.keep
        work.mkdir(parents=True, exist_ok=True)
        try:
            memory(work, args.mb, args.rows)
        finally:
            if args.keep is None:
                shutil.rmtree(work)
        return

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
