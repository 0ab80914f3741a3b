"""Time intercoder agreement on synthetic data (written for the benchmark; no real study data).

Prints figures; asserts nothing. Run: python benchmarks/bench_agreement.py
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from tematik import agreement as ag

CODES = ["kepercayaan", "kesetiakawanan", "keterbukaan", "kebersamaan", "kekeluargaan", "komunikasi"]


def long_table(n_units: int, coders: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Every coder sees ~95% of the units; each unit carries each code with p=0.15, coders agree ~85%."""
    frames = []
    truth = rng.random((n_units, len(CODES))) < 0.15
    for coder in coders:
        seen = rng.random(n_units) < 0.95
        flip = rng.random((n_units, len(CODES))) < 0.05
        mine = truth ^ flip
        u, c = np.nonzero(mine & seen[:, None])
        frames.append(pd.DataFrame({"unit": u, "coder": coder, "code": np.array(CODES, dtype=object)[c]}))
        frames.append(pd.DataFrame({"unit": np.flatnonzero(seen), "coder": coder, "code": None}))
    df = pd.concat(frames, ignore_index=True)
    df["unit"] = "s" + df["unit"].astype(str)
    return df


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(7)
    for n_units, coders in ((52_000, ["A", "B"]), (36_000, ["A", "B", "C"])):
        df = long_table(n_units, coders, rng)
        t_table = best_of(lambda df=df: ag.agreement_table(df, codes=CODES))
        t_dis = best_of(lambda df=df: ag.disagreements(df, codes=CODES))
        t_ref = best_of(lambda df=df: ag.reference_scores(df, "A", codes=CODES))
        print(f"{len(df):>8} rows, {n_units} units, {len(coders)} coders: agreement_table {t_table * 1000:.0f} ms, "
              f"disagreements {t_dis * 1000:.0f} ms, reference_scores {t_ref * 1000:.0f} ms")

    # Character units: 200 documents of 20k characters, ~40 intervals per document per coder.
    docs = {f"d{i}": 20_000 for i in range(200)}
    intervals = {}
    for coder in ("A", "B"):
        rows = []
        for d in docs:
            starts = rng.integers(0, 19_000, 40)
            lengths = rng.integers(50, 1_000, 40)
            codes = rng.choice(CODES, 40)
            rows += [(d, int(s), int(s + n), c) for s, n, c in zip(starts, lengths, codes, strict=True)]
        intervals[coder] = rows
    t_char = best_of(lambda: ag.agreement_table(ag.presence_from_intervals(intervals, docs, codes=CODES)))
    print(f"characters: {sum(docs.values()):,} chars, {sum(map(len, intervals.values())):,} intervals: "
          f"presence + agreement_table {t_char * 1000:.0f} ms")


if __name__ == "__main__":
    main()
