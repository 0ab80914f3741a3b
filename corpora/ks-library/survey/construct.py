"""Construct the demo questionnaire answers (responses.csv) for instrument.yaml. Deterministic: re-running it
writes the same file.

The study publishes only per-factor percentages; its raw answers are not public. This script writes 25
respondents' answers that look like answers (spread, disagreement, reverse-worded items, internal consistency,
mild role differences) and whose factor scores reproduce every published percentage to one decimal.

How: each respondent gets a general disposition towards knowledge sharing, a factor-specific disposition and a
small role effect; each item an offset; each answer some noise. For every factor the centre is found by
bisection so that the rounded answers land near the published total, then single answers nearest to a rounding
boundary are moved by one point until the factor total is exactly the one that gives the published percentage.
Reverse-worded items are written as a respondent would answer them (6 - score). A factor whose Cronbach's
alpha falls outside 0.60-0.90 is drawn again with the next seed.

Run from the repository root:  python corpora/ks-library/survey/construct.py
"""

from __future__ import annotations

import csv
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))

from tematik.instrument import load_instrument  # noqa: E402
from tematik.survey import read_responses, score  # noqa: E402

# Published percentages (abstract of the study; /work/shared/study/README.md in the project's shared folder).
TARGETS = {
    "intrinsic_motivation": 87.5,
    "knowledge_receiving": 78.8,
    "attitude_towards_ks": 78.2,
    "loss_of_knowledge_power": 78.1,
    "knowledge_self_efficacy": 77.6,
    "knowledge_donating": 72.4,
    "feedback": 69.3,
    "organisational_climate": 68.5,
    "subjective_norm": 64.2,
    "reciprocity_norm": 62.1,
    "introjected_motivation": 60.5,
    "ict": 59.1,
    "external_motivation": 49.6,
}
OVERALL_TARGET = 68.7

ROSTER = [f"P{i:02d}" for i in range(1, 26)]
ROLES = {p: "pustakawan" if i <= 14 else "tenaga administrasi" if i <= 21 else "teknisi"
         for i, p in enumerate(ROSTER, start=1)}

# Mild role effects on the 1-5 answer scale (added to a respondent's disposition), by factor or group.
ROLE_EFFECT = {
    ("pustakawan", "driving"): 0.12,
    ("tenaga administrasi", "driving"): -0.12,
    ("teknisi", "driving"): -0.10,
    ("pustakawan", "inhibiting"): 0.0,
    ("tenaga administrasi", "inhibiting"): 0.06,
    ("teknisi", "inhibiting"): -0.08,
    ("teknisi", "ict"): 0.35,
    ("tenaga administrasi", "ict"): -0.10,
}

SEED = 20160901
ALPHA_RANGE = (0.60, 0.90)
ROLE_SPREAD = 7.0  # percentage points


def target_total(percent: float, n_answers: int, top: int) -> int:
    """The one whole total whose percent of maximum rounds to ``percent`` (one decimal)."""
    maximum = n_answers * top
    lo = Fraction(round(percent * 10) * 10 - 5, 100)
    hi = Fraction(round(percent * 10) * 10 + 5, 100)
    fits = [s for s in range(n_answers, maximum + 1) if lo < Fraction(100 * s, maximum) < hi]
    if not fits:
        raise SystemExit(f"{percent} is not reachable with {n_answers} answers")
    return fits[len(fits) // 2]


def alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def roles_plausible(x: np.ndarray, shift: np.ndarray, top: int) -> bool:
    """Role means stay within ROLE_SPREAD points of the whole group, and a role given a positive effect scores
    above the whole group (a role given a negative one below it)."""
    overall = x.mean()
    for effect in set(shift):
        members = shift == effect
        gap = (x[members].mean() - overall) * 100 / top  # percentage points
        if abs(gap) > ROLE_SPREAD or (abs(effect) >= 0.1 and np.sign(gap) != np.sign(effect)):
            return False
    return True


def draw_factor(rng: np.random.Generator, general: np.ndarray, role_shift: np.ndarray, k: int, total: int,
                lo: int, hi: int) -> np.ndarray:
    n = len(general)
    specific = rng.normal(0, 0.42, n)
    offsets = rng.normal(0, 0.28, k)
    offsets -= offsets.mean()
    noise = rng.normal(0, 0.62, (n, k))
    base = (general + specific + role_shift)[:, None] + offsets[None, :] + noise

    def answers(centre: float) -> tuple[np.ndarray, np.ndarray]:
        continuous = centre + base
        return np.clip(np.rint(continuous), lo, hi), continuous

    a, b = lo - 2.0, hi + 2.0
    for _ in range(60):  # bisection on the centre so that the rounded total is close to the target
        mid = (a + b) / 2
        if answers(mid)[0].sum() < total:
            a = mid
        else:
            b = mid
    x, continuous = answers((a + b) / 2)
    while (gap := int(total - x.sum())) != 0:
        residual = continuous - x  # > 0: the answer "wanted" to be higher
        if gap > 0:
            residual[x >= hi] = -np.inf
            i, j = np.unravel_index(np.argmax(residual), x.shape)
            x[i, j] += 1
        else:
            residual[x <= lo] = np.inf
            i, j = np.unravel_index(np.argmin(residual), x.shape)
            x[i, j] -= 1
        continuous[i, j] = x[i, j]  # do not pick the same answer again before the others
    return x.astype(int)


def main() -> None:
    instrument = load_instrument(HERE / "instrument.yaml")
    lo, hi = instrument.scale.min, instrument.scale.max
    n = len(ROSTER)
    rng = np.random.default_rng(SEED)
    general = rng.normal(0, 0.30, n)

    columns: dict[str, np.ndarray] = {}
    for factor in instrument.factors:
        k = len(factor.items)
        total = target_total(TARGETS[factor.id], n * k, hi)
        shift = np.array([ROLE_EFFECT.get((ROLES[p], factor.id), ROLE_EFFECT.get((ROLES[p], factor.group), 0.0))
                          for p in ROSTER])
        attempt = 0
        while True:
            factor_rng = np.random.default_rng([SEED, instrument.factors.index(factor), attempt])
            x = draw_factor(factor_rng, general, shift, k, total, lo, hi)
            if ALPHA_RANGE[0] <= alpha(x) <= ALPHA_RANGE[1] and roles_plausible(x, shift, hi):
                break
            attempt += 1
        for j, item in enumerate(factor.item_ids):
            scored = x[:, j]
            columns[item] = lo + hi - scored if item in factor.reverse else scored

    out = HERE / "responses.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["respondent", "role", *instrument.item_ids])
        for i, p in enumerate(ROSTER):
            writer.writerow([p, ROLES[p], *(int(columns[item][i]) for item in instrument.item_ids)])

    # Check with the toolkit itself, and show the figures.
    scores = score(read_responses(out, instrument), lang="en")
    by_role = score(read_responses(out, instrument), by="role")
    wrong = []
    for row in scores.itertuples():
        target = TARGETS.get(row.factor, OVERALL_TARGET)
        flag = "" if f"{row.percent:.1f}" == f"{target:.1f}" else "  <-- differs"
        wrong += [row.factor] if flag else []
        print(f"{row.factor:26} {row.items:2d} items  {row.percent:5.1f} % ({target})  {row.category:15} "
              f"alpha {row.alpha:.2f}  mean {row.mean:.2f} sd {row.sd:.2f}{flag}")
    print("mean of the factor percentages:", round(scores[scores.group != "overall"].percent.mean(), 1))
    print(by_role.pivot(index="factor", columns="role", values="percent").round(1).to_string())
    if wrong:
        raise SystemExit(f"not reproduced: {', '.join(wrong)}")
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
