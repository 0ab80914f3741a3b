"""Time freq, cooccur and matrix end to end (store queries + analysis) on a synthetic project.

Default: 1,000 documents (900 interviews, 100 observation notes) of about 5,000 words, 250 participants and
1,000,000 codings (70% on whole sentences like auto-coding, 30% free spans; statuses 50% suggested, 30% accepted,
12% manual, 8% rejected), 18 codes (6 themes with 2 children each). Written for the benchmark; no study data.
Prints figures; asserts nothing.

    python benchmarks/bench_analysis.py [--docs 1000] [--words 5000] [--codings 1000000] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tematik import analysis
from tematik.store import Store
from tematik.store import analysis as store_analysis

VOCAB = np.array(("kami saling percaya dan berbagi informasi di perpustakaan setiap hari rapat koordinasi grup "
                  "whatsapp pustakawan layanan sirkulasi referensi buku koleksi mahasiswa dosen sistem katalog "
                  "internet lambat kebersamaan keterbukaan komunikasi kekeluargaan tolong menolong rekan kerja "
                  "atasan pimpinan ilmu pengetahuan pelatihan pengalaman yang untuk dengan tidak ada sudah belum "
                  "juga karena").split())
THEMES = ("trust", "solidarity", "openness", "togetherness", "kinship", "communication")
ROLES = ("pustakawan", "tenaga administrasi", "teknisi")


def build(path: Path, n_docs: int, words_per_doc: int, n_codings: int, seed: int = 11) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    store = Store.create(path)
    conn = store.conn
    people = [f"P{i:03d}" for i in range(250)]
    docs, turns, segments = [], [], []
    sentence_spans = []  # (doc, start, end) of every sentence, for sentence-aligned codings
    lengths = []
    for d in range(1, n_docs + 1):
        observation = d > n_docs * 9 // 10
        owner = None if observation else people[d % len(people)]
        parts, pos, seq, written = [], 0, 0, 0
        while written < words_per_doc:
            interviewer = not observation and seq % 2 == 0
            narration = observation and seq % 3 == 0
            speaker = None if narration else ("Pewawancara" if interviewer else "Informan")
            who = None if interviewer or narration else (owner or people[int(rng.integers(len(people)))])
            label = "" if speaker is None else f"{speaker}: "
            pos += len(label)
            n_words = int(rng.integers(12, 26)) if interviewer else int(rng.integers(60, 200))
            start = pos
            pieces = []
            while n_words > 0:
                k = min(n_words, int(rng.integers(8, 21)))
                sentence = " ".join(VOCAB[rng.integers(0, len(VOCAB), k)]).capitalize() + "."
                sentence_spans.append((d, pos, pos + len(sentence)))
                segments.append((d, "sentence", len(segments), pos, pos + len(sentence)))
                pieces.append(sentence)
                pos += len(sentence) + 1
                n_words -= k
                written += k
            body = " ".join(pieces)
            turns.append((d, seq, start, start + len(body), speaker, who, int(interviewer)))
            segments.append((d, "turn", seq, start, start + len(body)))
            parts.append(label + body + "\n")
            seq += 1
        text = "".join(parts)
        lengths.append(len(text))
        docs.append((d, f"doc{d:05d}", "observation" if observation else "interview", "id", owner, text,
                     f"h{d}", len(text.split()), len(text), "2026-01-01"))
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO participants (id, role, created) VALUES (?, ?, 'now')",
                     [(p, ROLES[i % 3]) for i, p in enumerate(people)])
    conn.executemany("INSERT INTO participant_attributes (participant_id, key, value, type) VALUES (?, ?, ?, ?)",
                     [(p, "years", str(3 + i % 25), "integer") for i, p in enumerate(people)]
                     + [(p, "unit", ("sirkulasi", "referensi", "pengolahan", "TI")[i % 4], "text")
                        for i, p in enumerate(people)])
    conn.executemany("INSERT INTO documents (id, name, source_type, language, participant_id, text, sha256, words, "
                     "chars, imported) VALUES (?,?,?,?,?,?,?,?,?,?)", docs)
    conn.executemany("INSERT INTO turns (document_id, seq, start, end, speaker, participant_id, is_interviewer) "
                     "VALUES (?,?,?,?,?,?,?)", turns)
    conn.executemany("INSERT INTO segments (document_id, unit, seq, start, end) VALUES (?,?,?,?,?)",
                     [(d, u, i, s, e) for i, (d, u, _, s, e) in enumerate(segments)])
    conn.execute("INSERT INTO codebooks (name, hash, source, loaded) VALUES ('bench', 'h', '-', 'now')")
    codes = [(t, t.capitalize(), None) for t in THEMES] + [(f"{t}_{k}", f"{t} {k}", t) for t in THEMES
                                                           for k in ("a", "b")]
    conn.executemany("INSERT INTO codes (id, name, parent_id, codebook_id) VALUES (?, ?, ?, 1)", codes)

    # codings: sentence-aligned (like auto-coding) and free spans (like hand coding)
    aligned = int(n_codings * 0.7)
    spans = np.array(sentence_spans, dtype=np.int64)
    pick = spans[rng.integers(0, len(spans), aligned)]
    free_doc = rng.integers(1, n_docs + 1, n_codings - aligned)
    doc_len = np.array(lengths, dtype=np.int64)[free_doc - 1]
    free_start = (rng.random(len(free_doc)) * (doc_len - 2)).astype(np.int64)
    free_end = np.minimum(free_start + rng.integers(20, 300, len(free_doc)), doc_len)
    doc = np.concatenate([pick[:, 0], free_doc])
    start = np.concatenate([pick[:, 1], free_start])
    end = np.concatenate([pick[:, 2], free_end])
    code_ids = np.array([c[0] for c in codes], dtype=object)
    code = code_ids[rng.integers(0, len(codes), n_codings)]
    status = rng.choice(np.array(["suggested", "accepted", "manual", "rejected"], dtype=object), n_codings,
                        p=[0.5, 0.3, 0.12, 0.08])
    coder = np.where(status == "manual", rng.choice(np.array(["ana", "budi"], dtype=object), n_codings), "auto")
    polarity = np.where(rng.random(n_codings) < 0.06, "negative", "positive")
    conn.executemany(
        "INSERT INTO codings (document_id, code_id, start, end, status, coder, polarity, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'now')",
        zip(doc.tolist(), code.tolist(), start.tolist(), end.tolist(), status.tolist(), coder.tolist(),
            polarity.tolist(), strict=True))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    store.close()
    return {"seconds": time.perf_counter() - t0, "chars": float(sum(lengths)), "turns": float(len(turns)),
            "sentences": float(len(sentence_spans))}


def timed(fn, repeat: int = 3) -> tuple[float, float, object]:
    """(first run, best of ``repeat``, result) in seconds."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times[0], min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--words", type=int, default=5000, help="words per document")
    ap.add_argument("--codings", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="build the project in this folder and keep it")
    ap.add_argument("--reuse", action="store_true", help="with --keep: time the project already there")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tematik-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    if not (args.reuse and db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        info = build(db, args.docs, args.words, args.codings)
        print(f"built {db}: {args.docs:,} documents, {info['chars'] / 1e6:.1f} M characters, "
              f"{int(info['turns']):,} turns, {int(info['sentences']):,} sentences, {args.codings:,} codings in "
              f"{info['seconds']:.1f} s")

    reviewed = store_analysis.Filters()
    everything = store_analysis.Filters(statuses=("suggested", "accepted", "manual"))
    store = Store.open(db)
    counted = {name: store.scalar(f"SELECT count(*) FROM codings WHERE status IN ({','.join('?' * len(f.statuses))})",
                                  f.statuses) for name, f in (("reviewed", reviewed), ("all", everything))}

    def freq(f, by=None, rollup=False):
        return analysis.frequencies(store_analysis.load(store, f), by=by, rollup_codes=rollup)

    def cooccur(f, unit):
        units = store_analysis.segments(store, unit, f) if unit != "document" else None
        return analysis.cooccurrence(store_analysis.load(store, f, with_texts=False), units)

    def matrix(f, rows, values):
        return analysis.case_matrix(store_analysis.load(store, f, with_texts=values == "words"), rows=rows,
                                    values=values)

    runs = [
        ("load (codings, turns, texts)", counted["all"], lambda: store_analysis.load(store, everything)),
        ("freq (accepted, manual)", counted["reviewed"], lambda: freq(reviewed)),
        ("freq (with suggestions)", counted["all"], lambda: freq(everything)),
        ("freq --rollup", counted["all"], lambda: freq(everything, rollup=True)),
        ("freq --by role", counted["all"], lambda: freq(everything, by="role")),
        ("freq --by document", counted["all"], lambda: freq(everything, by="document")),
        ("cooccur --unit sentence", counted["all"], lambda: cooccur(everything, "sentence")),
        ("cooccur --unit turn", counted["all"], lambda: cooccur(everything, "turn")),
        ("cooccur --unit document", counted["all"], lambda: cooccur(everything, "document")),
        ("matrix --rows document --values count", counted["all"], lambda: matrix(everything, "document", "count")),
        ("matrix --rows participant --values words", counted["all"],
         lambda: matrix(everything, "participant", "words")),
    ]
    print(f"\n{'end to end (store queries + analysis)':<44}{'codings':>10}{'first':>9}{'best of 3':>11}")
    for name, n, fn in runs:
        first, best, _ = timed(fn)
        print(f"{name:<44}{n:>10,}{first:>8.2f}s{best:>10.2f}s")
    store.close()

    print(f"\n{'whole command, fresh process (python -m tematik ...)':<56}{'wall':>8}")
    every = ["--status", "suggested,accepted,manual"]
    for argv in (["freq", *every], ["cooccur", *every], ["matrix", *every], ["freq", "--by", "role"]):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tematik", *argv, "--db", str(db), "--format", "csv",
                        "--output", str(work / "out.csv")], check=True, capture_output=True)
        print(f"{'tematik ' + ' '.join(argv):<56}{time.perf_counter() - t:>7.2f}s")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
