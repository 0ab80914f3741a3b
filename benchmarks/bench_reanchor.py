"""How long re-anchoring codings takes on long transcripts (``import --replace``). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_reanchor.py [WORDS ...]
"""

from __future__ import annotations

import random
import sys
import time

from tematik.reanchor import reanchor

WORDS = ("saya kami perawat ruang shift pasien beban kerja berat sekali yang dan di ini itu dengan untuk tidak "
         "ada karena kepala ruangan jadwal malam pagi obat dokter keluarga nurse ward patient the and of to").split()


def transcript(n_words: int, rng: random.Random) -> str:
    lines, words = [], 0
    turn = 0
    while words < n_words:
        k = rng.randint(8, 80)
        who = "Pewawancara" if turn % 2 == 0 else "Bu Ratna"
        lines.append(f"{who}: " + " ".join(rng.choice(WORDS) for _ in range(k)) + ".")
        words += k
        turn += 1
    return "\n\n".join(lines)


def edit(text: str, rng: random.Random, n_edits: int) -> str:
    words = text.split(" ")
    for _ in range(n_edits):
        i = rng.randrange(len(words))
        op = rng.random()
        if op < 0.4:
            words[i] = words[i] + "nya"
        elif op < 0.7:
            words.insert(i, rng.choice(WORDS))
        else:
            del words[i:i + rng.randint(1, 30)]
    return " ".join(words)


def main() -> None:
    rng = random.Random(7)
    sizes = [int(a) for a in sys.argv[1:]] or [2_000, 10_000, 50_000]
    print(f"{'words':>8} {'edits':>6} {'codings':>8} {'seconds':>8}  unchanged/moved/changed/lost")
    for n in sizes:
        old = transcript(n, rng)
        for n_edits in (1, 20, 200):
            new = edit(old, rng, n_edits)
            spans = []
            for _ in range(n // 20):
                s = rng.randrange(len(old) - 200)
                spans.append((s, s + rng.randint(20, 200)))
            t0 = time.perf_counter()
            result = reanchor(old, new, spans)
            dt = time.perf_counter() - t0
            counts = [sum(a.status == s for a in result) for s in ("unchanged", "moved", "changed", "lost")]
            print(f"{n:>8} {n_edits:>6} {len(spans):>8} {dt:>8.3f}  {'/'.join(map(str, counts))}")


if __name__ == "__main__":
    main()
