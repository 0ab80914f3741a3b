"""Statistics a methods reviewer checks, cross-checked against well-kept libraries rather than hand values:
Gwet's AC1 against Gwet's (2008) formula written out independently here (irrCAC pins scipy 1.12 and
numpy < 1.29, which would hold back spaCy's own numpy), Krippendorff's alpha against `krippendorff`, the
by-theme Mann-Whitney test against scipy, the alpha bootstrap and Feldt's interval by their defining
properties, and codes nobody applied kept out of the pooled figures."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tematik import agreement as ag
from tematik import triangulate as tri
from tematik.survey import alpha_caveat, alpha_ci, cronbach_alpha
from tematik.triangulate import Link

# --------------------------------------------------------------------------- agreement


def gwet_reference(data: np.ndarray, categories: list[float] | None = None) -> float:
    """Gwet's AC1 for raters x units with NaN for missing, from per-unit category counts (Gwet 2008, eqs. 17-19):
    p_a over units rated at least twice, pi_k over units rated at least once, p_e = sum pi_k (1 - pi_k) / (q - 1)."""
    cats = categories if categories is not None else sorted({v for v in data.ravel() if not np.isnan(v)})
    counts = np.array([[np.sum(data[:, u] == c) for c in cats] for u in range(data.shape[1])], float)
    r = counts.sum(axis=1)
    two = r >= 2
    pa = np.mean((counts[two] * (counts[two] - 1)).sum(axis=1) / (r[two] * (r[two] - 1)))
    pi = (counts[r >= 1] / r[r >= 1, None]).mean(axis=0)
    pe = float(np.sum(pi * (1 - pi)) / (len(cats) - 1))
    return float((pa - pe) / (1 - pe))



def long_table(seed: int, n_units: int, coders: list[str], codes: list[str], rates: dict[str, float],
               missing: float = 0.2) -> pd.DataFrame:
    """Random (unit, coder, code) rows: each coder sees a unit with probability 1 - missing (every unit is seen
    by someone) and applies code c with probability rates[c]."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        seen = [k for k in coders if rng.random() >= missing] or [coders[0]]
        for k in seen:
            rows.append((f"u{u}", k, None))
            rows += [(f"u{u}", k, c) for c in codes if rng.random() < rates[c]]
    return pd.DataFrame(rows, columns=["unit", "coder", "code"])


def presence(df: pd.DataFrame, coders: list[str], code: str) -> np.ndarray:
    """Coders x units 0/1 matrix, NaN where the coder did not see the unit."""
    units = list(dict.fromkeys(df["unit"]))
    seen = set(zip(df["unit"], df["coder"], strict=True))
    applied = {(u, k) for u, k, c in zip(df["unit"], df["coder"], df["code"], strict=True) if c == code}
    return np.array([[(1.0 if (u, k) in applied else 0.0) if (u, k) in seen else np.nan for u in units]
                     for k in coders])


@pytest.mark.parametrize(("seed", "coders"), [(4, ["A", "B"]), (5, ["A", "B", "C"]), (6, ["A", "B", "C", "D"])])
def test_per_code_ac1_and_alpha_match_gwet_formula_and_krippendorff(seed, coders):
    codes = ["common", "rare"]
    df = long_table(seed, 80, coders, codes, {"common": 0.45, "rare": 0.06})
    result = ag.agreement(df, codes=codes, bootstrap=0)
    for ca in result.per_code:
        matrix = presence(df, coders, ca.code)
        expected = gwet_reference(np.asarray(matrix, float), categories=[0.0, 1.0])
        assert ca.gwet_ac1.value == pytest.approx(expected)
        assert ca.gwet_ac1.value == pytest.approx(ag.gwet_ac1(matrix.tolist()).value)
        assert ca.krippendorff_alpha.value == pytest.approx(
            krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def test_generic_ac1_matches_gwet_formula_on_nominal_data_with_missing_values():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 4, 40)
    data = np.array([[t if rng.random() < 0.7 else rng.integers(0, 4) for t in truth] for _ in range(3)], float)
    data[rng.random(data.shape) < 0.15] = np.nan
    data[0, np.isnan(data).all(axis=0)] = 1  # every unit keeps a value
    assert ag.gwet_ac1(data.tolist()).value == pytest.approx(gwet_reference(data))
    assert ag.krippendorff_alpha(data.tolist()).value == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_ac1_stays_high_where_kappa_collapses_at_skewed_prevalence():
    """Two coders agree on 96 of 100 units; the code is rare (Gwet's paradox example): kappa is low, AC1 high."""
    a = [1, 1, 0, 0] + [0] * 96
    b = [1, 0, 1, 0] + [0] * 96
    rows = [(f"u{i}", "A", "x" if v else None) for i, v in enumerate(a)]
    rows += [(f"u{i}", "B", "x" if v else None) for i, v in enumerate(b)]
    ca = ag.agreement(rows, bootstrap=0).per_code[0]
    assert ca.percent_agreement.value == pytest.approx(0.98)
    assert ca.cohen_kappa.value < 0.5 < 0.9 < ca.gwet_ac1.value


def test_unused_codes_do_not_pull_the_pooled_figures_up():
    coders = ["A", "B"]
    df = long_table(8, 60, coders, ["x", "y", "z"], {"x": 0.4, "y": 0.3, "z": 0.25})
    alone = ag.agreement(df, codes=["x", "y", "z"], bootstrap=0)
    padded = ag.agreement(df, codes=["x", "y", "z", "u1", "u2", "u3"], bootstrap=0)
    assert [c.code for c in padded.unused] == ["u1", "u2", "u3"]
    for attr in ("krippendorff_alpha", "percent_agreement", "gwet_ac1", "cohen_kappa", "brennan_prediger"):
        assert getattr(padded.pooled, attr).value == pytest.approx(getattr(alone.pooled, attr).value)
        assert padded.mean(attr) == alone.mean(attr)
    # what the old pooling did: every (unit, code) decision of all six codes as one case
    stacked = np.hstack([presence(df, coders, c) for c in ["x", "y", "z", "u1", "u2", "u3"]])
    naive = krippendorff.alpha(reliability_data=stacked, level_of_measurement="nominal")
    assert naive > alone.pooled.krippendorff_alpha.value  # the inflation that is now avoided
    frame = padded.to_frame()
    assert list(frame["scope"]).count("unused") == 3 and frame["scope"].iloc[-1] == "unused"


def test_alpha_bootstrap_interval_is_seeded_holds_the_estimate_and_narrows_with_more_units():
    coders = ["A", "B", "C"]
    small = long_table(9, 40, coders, ["x"], {"x": 0.4})
    big = long_table(9, 400, coders, ["x"], {"x": 0.4})
    first = ag.agreement(small, bootstrap=500, seed=3).per_code[0]
    again = ag.agreement(small, bootstrap=500, seed=3).per_code[0]
    assert first.alpha_ci == again.alpha_ci
    low, high = first.alpha_ci
    assert low <= first.krippendorff_alpha.value <= high
    wide = ag.agreement(big, bootstrap=500, seed=3).per_code[0].alpha_ci
    assert (wide[1] - wide[0]) < (high - low) / 2
    # the bootstrap distribution matches a slow reference: alpha recomputed with `krippendorff` on resampled units
    matrix = presence(small, coders, "x")
    pairable = np.flatnonzero((~np.isnan(matrix)).sum(axis=0) >= 2)
    rng = np.random.default_rng(11)
    values = [krippendorff.alpha(reliability_data=matrix[:, rng.choice(pairable, len(pairable))],
                                 level_of_measurement="nominal") for _ in range(300)]
    reference = np.quantile(values, [0.025, 0.975])
    assert low == pytest.approx(reference[0], abs=0.08) and high == pytest.approx(reference[1], abs=0.08)
    pooled = ag.agreement(small, bootstrap=200).pooled
    assert pooled.alpha_ci is not None and pooled.alpha_ci[0] <= pooled.krippendorff_alpha.value


# --------------------------------------------------------------------------- statistics by themes


def test_compare_matches_scipy_exact_mann_whitney_without_ties():
    x = [71.0, 88.5, 93.2, 79.9, 95.1, 84.4]
    y = [62.3, 70.2, 81.7, 58.8, 66.0]
    result = tri.compare(x, y)
    exact = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    assert result.u == pytest.approx(exact.statistic)
    assert result.p_value == pytest.approx(exact.pvalue)
    assert result.delta == pytest.approx(2 * exact.statistic / (len(x) * len(y)) - 1)
    assert "exact" in result.p_method


def test_compare_handles_ties_like_a_permutation_test_of_u():
    """Likert scores tie heavily; scipy's exact Mann-Whitney does not handle ties, a permutation test does."""
    x = [80.0, 80.0, 90.0, 90.0, 90.0, 70.0, 90.0]
    y = [70.0, 70.0, 80.0, 60.0, 80.0, 70.0]

    def u_stat(a, b, axis=-1):
        return stats.mannwhitneyu(a, b, axis=axis).statistic

    reference = stats.permutation_test((x, y), u_stat, permutation_type="independent", n_resamples=np.inf,
                                       vectorized=True)
    result = tri.compare(x, y)
    assert result.u == pytest.approx(stats.mannwhitneyu(x, y).statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.delta_low <= result.delta <= result.delta_high


def test_compare_uses_random_splits_for_large_groups_and_is_seeded():
    rng = np.random.default_rng(1)
    x, y = list(rng.integers(1, 6, 30) * 20.0), list(rng.integers(1, 6, 25) * 20.0)
    a, b = tri.compare(x, y, seed=5), tri.compare(x, y, seed=5)
    assert a == b and "random splits" in a.p_method
    asymptotic = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue
    assert a.p_value == pytest.approx(asymptotic, abs=0.03)


def test_compare_says_when_groups_are_too_small_or_empty():
    tiny = tri.compare([90.0, 85.0], [40.0, 45.0, 50.0])
    assert "too small to say anything" in tiny.note and tiny.p_value > 0.05  # 2/C(5,2) = 0.2 at best
    assert tri.compare([], [1.0]).note.startswith("nothing to compare")
    same = tri.compare([3.0, 3.0], [3.0, 3.0, 3.0])
    assert same.p_value == 1.0 and "same score" in same.note


def test_with_no_true_effect_the_sign_fits_half_the_time_but_the_test_rarely_fires():
    """8 vs 17 respondents drawn from one population: the sign of the difference 'fits' a positive link about half
    the time, but the test calls a difference in about 5% of the studies."""
    rng = np.random.default_rng(2024)
    significant = fits = 0
    runs = 100
    for _ in range(runs):
        scores = rng.integers(10, 21, 25) * 5.0
        result = tri.compare(list(scores[:8]), list(scores[8:]), resamples=999)
        significant += result.p_value < 0.05
        fits += result.delta > 0
    assert significant / runs < 0.12
    assert 0.3 < fits / runs < 0.7
    frame = tri.by_theme({"t": {f"R{i}" for i in range(8)}},
                         pd.DataFrame({"respondent": [f"R{i}" for i in range(25)], "factor": "f", "percent": scores}),
                         [Link("t", "f", "positive")])
    row = frame.iloc[0]
    assert (row["voiced_n"], row["not_voiced_n"]) == (8, 17)
    assert row["voiced_median"] == pytest.approx(float(np.median(scores[:8])))
    assert row["fits_direction"] == (row["effect"] > 0) and row["measure"] == "percent"


# --------------------------------------------------------------------------- Cronbach's alpha


def test_feldt_interval_covers_the_population_alpha():
    """Parallel items (true score + noise) with population alpha k r / (1 + (k - 1) r), r = 0.3, k = 5."""
    rng = np.random.default_rng(42)
    k, n, r = 5, 40, 0.3
    population = k * r / (1 + (k - 1) * r)
    hits, runs = 0, 300
    for _ in range(runs):
        true = rng.normal(size=(n, 1)) * math.sqrt(r)
        items = pd.DataFrame(true + rng.normal(size=(n, k)) * math.sqrt(1 - r))
        low, high = alpha_ci(cronbach_alpha(items), n, k)
        hits += low <= population <= high
    assert 0.9 <= hits / runs <= 0.99


def test_alpha_caveats_name_small_samples_few_items_and_negative_values():
    assert "only 2 respondents" in alpha_caveat(-2.67, 2, 5)
    assert "negative" in alpha_caveat(-2.67, 2, 5)
    assert "only 2 items" in alpha_caveat(0.8, 100, 2)
    assert alpha_caveat(0.85, 120, 8) == ""
    low, high = alpha_ci(0.85, 120, 8)
    assert low < 0.85 < high < 1


def test_holm_adjustment_on_a_worked_case():
    """Holm (1979): p = (0.01, 0.04, 0.03, None, 0.005) over 4 tests -> 0.03, 0.06, 0.06, None, 0.02."""
    adjusted = tri.holm([0.01, 0.04, 0.03, None, 0.005])
    assert adjusted[3] is None
    assert adjusted[:3] + adjusted[4:] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Holm never exceeds Bonferroni and never goes below the raw p
    raw = [0.2, 0.001, 0.049, 0.5]
    for p, h in zip(raw, tri.holm(raw), strict=True):
        assert p <= h <= min(1.0, 4 * p)
