"""Intercoder agreement for nominal data: pure functions, no database, no printing.

Two layers:

1. Statistics over *reliability data* in Krippendorff's canonical form: a coders x units table (rows are coders,
   columns are units, ``None``/``NaN`` where a coder gave no value). Values may be any hashable labels.

   - :func:`percent_agreement` -- share of agreeing coder pairs, over the units every coder coded;
   - :func:`cohen_kappa` / :func:`cohen_kappa_table` -- two coders (Cohen 1960);
   - :func:`krippendorff_alpha` -- nominal alpha, two or more coders, missing values allowed, computed with the
     coincidence-matrix method of Krippendorff (2011); units with fewer than two values are not pairable and drop out;
   - :func:`brennan_prediger` / :func:`brennan_prediger_table` -- free-marginal kappa, chance = 1/q (Brennan &
     Prediger 1981);
   - :func:`gwet_ac1` -- Gwet's first-order agreement coefficient, two or more coders, missing values allowed
     (Gwet 2008); unlike kappa and alpha it is not dragged down when one category is rare (skewed prevalence);
   - :func:`precision_recall_f1` -- one coder against a reference coder (e.g. the auto-coder against a human).

   Each returns a :class:`Statistic`. A value that is mathematically undefined (0/0) is returned as
   ``value=None`` with a ``reason`` -- never a ZeroDivisionError. :attr:`Statistic.reading` gives the verbal
   reading: Landis & Koch (1977) for kappa-type values, Krippendorff (2004) for alpha.

2. The *unit model* of qualitative coding: agreement is computed per code on the presence/absence of the code in
   each unit (sentence, turn, document, character). Input is a long table of ``(unit, coder, code)`` rows, one row
   per code applied; a unit a coder saw but did not code appears with an empty code. See :func:`agreement`,
   :func:`agreement_table`, :func:`disagreements`, :func:`reference_scores`; character units (NVivo-style) come
   from :func:`presence_from_intervals`; :func:`read_agreement_csv` reads such a table from CSV.

   Missing units. A unit counts for a coder only if the coder saw it, i.e. it appears in that coder's rows.
   For Krippendorff's alpha a unit a coder did not see is missing data (the unit stays in if at least two coders
   saw it). Percent agreement, Cohen's kappa and Brennan-Prediger are pairwise statistics: they use only the units
   every selected coder saw; other units are dropped.

   Codes nobody applied are left out of the pooled and mean rows and listed apart (each would score percent
   agreement 1 and pull the pooled figures up). Overall values are pooled over the applied codes: every
   (unit, code) presence decision is one case. Pooled alpha is alpha
   over all (unit, code) decisions; pooled percent agreement and Brennan-Prediger use all (unit, code) decisions of
   the units every coder saw; pooled Cohen's kappa is kappa of the 2x2 table summed over codes. The mean of the
   per-code values (over the codes where a value is defined) is given as well. Alpha carries a bootstrap
   confidence interval (units resampled with replacement; percentile interval; seeded).

Percent agreement is a proportion in [0, 1], not a percentage. The command ``tematik agree`` and the method
``Project.agree`` call :func:`agreement` (also named :func:`agree`), :func:`reference_scores` and
:func:`disagreements`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tematik.errors import InputError, NotFound

# --------------------------------------------------------------------------- references and readings

LANDIS_KOCH_1977 = (
    "Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data. "
    "Biometrics, 33(1), 159-174."
)
KRIPPENDORFF_2004 = (
    "Krippendorff, K. (2004). Content analysis: An introduction to its methodology (2nd ed., p. 241). "
    "Thousand Oaks, CA: Sage."
)
KRIPPENDORFF_2011 = (
    "Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental Papers (ASC), "
    "University of Pennsylvania. https://repository.upenn.edu/asc_papers/43"
)
COHEN_1960 = (
    "Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological "
    "Measurement, 20(1), 37-46."
)
GWET_2008 = (
    "Gwet, K. L. (2008). Computing inter-rater reliability and its variance in the presence of high agreement. "
    "British Journal of Mathematical and Statistical Psychology, 61(1), 29-48."
)
BRENNAN_PREDIGER_1981 = (
    "Brennan, R. L., & Prediger, D. J. (1981). Coefficient kappa: Some uses, misuses, and alternatives. "
    "Educational and Psychological Measurement, 41(3), 687-699."
)

#: Scale names used by :attr:`Statistic.scale`.
LANDIS_KOCH = "landis-koch"
KRIPPENDORFF = "krippendorff"

#: Landis & Koch (1977) bands for kappa-type values: (label, range as published). A value v reads as
#: poor if v < 0, slight if 0 <= v <= 0.20, fair if 0.20 < v <= 0.40, moderate if 0.40 < v <= 0.60,
#: substantial if 0.60 < v <= 0.80 and almost perfect above 0.80.
LANDIS_KOCH_SCALE: tuple[tuple[str, str], ...] = (
    ("poor", "< 0.00"),
    ("slight", "0.00-0.20"),
    ("fair", "0.21-0.40"),
    ("moderate", "0.41-0.60"),
    ("substantial", "0.61-0.80"),
    ("almost perfect", "0.81-1.00"),
)
#: Krippendorff (2004, p. 241) for alpha: rely on variables with alpha >= .800; consider those with
#: .667 <= alpha < .800 only for drawing tentative conclusions; below .667 the data are not reliable.
KRIPPENDORFF_SCALE: tuple[tuple[str, str], ...] = (
    ("reliable", ">= 0.800"),
    ("tentative", "0.667-0.800 (tentative conclusions only)"),
    ("unreliable", "< 0.667"),
)
REFERENCES: dict[str, str] = {LANDIS_KOCH: LANDIS_KOCH_1977, KRIPPENDORFF: KRIPPENDORFF_2004}
UNDEFINED = "undefined"

# Statistic names.
PERCENT_AGREEMENT = "percent agreement"
COHEN_KAPPA = "Cohen's kappa"
KRIPPENDORFF_ALPHA = "Krippendorff's alpha (nominal)"
BRENNAN_PREDIGER = "Brennan-Prediger kappa"
GWET_AC1 = "Gwet's AC1"
PRECISION = "precision"
RECALL = "recall"
F1 = "F1"

_EPS = 1e-12


def _is_nan(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def read_kappa(value: float | None) -> str:
    """Verbal reading of a kappa-type value after Landis & Koch (1977); ``"undefined"`` for None/NaN."""
    if _is_nan(value):
        return UNDEFINED
    v = round(float(value), 10)  # so that 0.2 computed as 0.20000000000000004 still reads "slight"
    if v < 0:
        return "poor"
    if v <= 0.20:
        return "slight"
    if v <= 0.40:
        return "fair"
    if v <= 0.60:
        return "moderate"
    if v <= 0.80:
        return "substantial"
    return "almost perfect"


def read_alpha(value: float | None) -> str:
    """Verbal reading of Krippendorff's alpha after Krippendorff (2004): reliable, tentative or unreliable."""
    if _is_nan(value):
        return UNDEFINED
    v = round(float(value), 10)
    if v >= 0.800:
        return "reliable"
    if v >= 0.667:
        return "tentative"
    return "unreliable"


_READERS = {LANDIS_KOCH: read_kappa, KRIPPENDORFF: read_alpha}


@dataclass(frozen=True)
class Statistic:
    """One agreement value.

    ``value`` is None when the statistic is undefined for the data; ``reason`` then says why.
    ``n_units`` is the number of units the value rests on (for alpha: the pairable units; for character units:
    characters). ``observed``/``expected`` are the observed and chance agreement (kappa-type values, percent
    agreement) or, for alpha, the observed and expected *disagreement* D_o and D_e. ``n_values`` is the number of
    pairable values (alpha only). ``scale`` names the reading scale (:data:`LANDIS_KOCH`, :data:`KRIPPENDORFF`) or
    is None for statistics without a verbal reading.
    """

    name: str
    value: float | None
    n_units: int
    reason: str | None = None
    observed: float | None = None
    expected: float | None = None
    n_values: int | None = None
    scale: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    @property
    def reading(self) -> str | None:
        """The verbal reading on the statistic's scale, ``"undefined"`` if undefined, None if it has no scale."""
        if self.scale is None:
            return None
        return _READERS[self.scale](self.value)

    @property
    def reference(self) -> str | None:
        """The source of the reading thresholds."""
        return REFERENCES.get(self.scale) if self.scale else None

    def __float__(self) -> float:
        return float("nan") if self.value is None else self.value


def _stat(name: str, value: float | None, n_units: float, *, reason: str | None = None, observed: float | None = None,
          expected: float | None = None, n_values: float | None = None, scale: str | None = None) -> Statistic:
    return Statistic(
        name=name,
        value=None if value is None else float(value),
        n_units=int(round(float(n_units))),
        reason=reason,
        observed=None if observed is None else float(observed),
        expected=None if expected is None else float(expected),
        n_values=None if n_values is None else int(round(float(n_values))),
        scale=scale,
    )


# --------------------------------------------------------------------------- sufficient-statistic kernels


def _kappa_from_table(table: np.ndarray, name: str = COHEN_KAPPA) -> Statistic:
    n = float(table.sum())
    if n <= 0:
        return _stat(name, None, 0, reason="no unit was coded by both coders", scale=LANDIS_KOCH)
    p_o = float(np.trace(table)) / n
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / (n * n)
    if 1.0 - p_e <= _EPS:
        what = "perfect agreement on a single category" if p_o >= 1.0 - _EPS else "a single category"
        return _stat(name, None, n, observed=p_o, expected=p_e, scale=LANDIS_KOCH,
                     reason=f"{what}: both coders used only one and the same category, so expected agreement "
                            "is 1 and kappa is 0/0")
    return _stat(name, (p_o - p_e) / (1.0 - p_e), n, observed=p_o, expected=p_e, scale=LANDIS_KOCH)


def _bp_from_agreement(p_o: Statistic, q: int) -> Statistic:
    if q < 2:
        return _stat(BRENNAN_PREDIGER, None, p_o.n_units, observed=p_o.value, scale=LANDIS_KOCH,
                     reason=f"needs at least 2 categories, got q={q}")
    if p_o.value is None:
        return _stat(BRENNAN_PREDIGER, None, p_o.n_units, reason=p_o.reason, scale=LANDIS_KOCH)
    chance = 1.0 / q
    return _stat(BRENNAN_PREDIGER, (p_o.value - chance) / (1.0 - chance), p_o.n_units, observed=p_o.value,
                 expected=chance, scale=LANDIS_KOCH)


def _alpha_from_sums(n: float, n_units: float, disagree_pairs: float, chance_pairs: float) -> Statistic:
    """alpha = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k  (Krippendorff 2011, nominal).

    ``disagree_pairs`` = sum over c != k of the coincidences o_ck; ``chance_pairs`` = sum over c != k of n_c n_k.
    """
    if n <= 0:
        return _stat(KRIPPENDORFF_ALPHA, None, 0, n_values=0, scale=KRIPPENDORFF,
                     reason="no unit has values from two or more coders: nothing is pairable")
    d_o = disagree_pairs / n
    if chance_pairs <= _EPS * max(1.0, n * n):
        return _stat(KRIPPENDORFF_ALPHA, None, n_units, n_values=n, observed=d_o, expected=0.0, scale=KRIPPENDORFF,
                     reason="no variation: every pairable value is the same category, so expected disagreement "
                            "is 0 and alpha is 0/0")
    d_e = chance_pairs / (n * (n - 1.0))
    return _stat(KRIPPENDORFF_ALPHA, 1.0 - d_o / d_e, n_units, n_values=n, observed=d_o, expected=d_e,
                 scale=KRIPPENDORFF)


def _alpha_from_counts(counts: np.ndarray, weights: np.ndarray | None = None) -> Statistic:
    """Nominal alpha from a units x values matrix of counts (how many coders gave value v to unit u)."""
    m = counts.sum(axis=1)
    pairable = m >= 2
    c = counts[pairable].astype(float)
    mu = m[pairable].astype(float)
    w = np.ones(len(mu)) if weights is None else np.asarray(weights, float)[pairable]
    n_v = (c * w[:, None]).sum(axis=0)
    n = float(n_v.sum())
    # Sum over c of o_cc: each unit contributes n_uc (n_uc - 1) / (m_u - 1) ordered same-value pairs.
    same = float((w * (c * (c - 1.0)).sum(axis=1) / np.maximum(mu - 1.0, 1.0)).sum())
    return _alpha_from_sums(n, float(w.sum()), n - same, n * n - float((n_v * n_v).sum()))


def _alpha_binary(n: float, n_units: float, n1: float, x: float) -> Statistic:
    """Alpha for presence data from N pairable values, n1 of them "present", and x = sum p (m - p) / (m - 1)."""
    n0 = n - n1
    if n > 0 and (n1 <= 0 or n0 <= 0):
        what = "no coder applied the code in any pairable unit" if n1 <= 0 else \
            "every coder applied the code to every pairable unit"
        return _stat(KRIPPENDORFF_ALPHA, None, n_units, n_values=n, observed=0.0, expected=0.0, scale=KRIPPENDORFF,
                     reason=f"no variation ({what}): expected disagreement is 0 and alpha is 0/0")
    return _alpha_from_sums(n, n_units, 2.0 * x, 2.0 * n0 * n1)


def _ac1_binary(pa_units: float, pa_sum: float, pi_units: float, pi_sum: float) -> Statistic:
    """Gwet's AC1 for presence data: ``pa`` = mean over units with two or more coders of the share of agreeing
    coder pairs, ``pi`` = mean over units of the share of coders who applied the code, chance = 2 pi (1 - pi)."""
    if pa_units <= 0:
        return _stat(GWET_AC1, None, 0, reason="no unit was seen by two or more coders", scale=LANDIS_KOCH)
    pa = pa_sum / pa_units
    pi = pi_sum / pi_units if pi_units > 0 else 0.0
    pe = 2.0 * pi * (1.0 - pi)
    return _stat(GWET_AC1, (pa - pe) / (1.0 - pe), pa_units, observed=pa, expected=pe, scale=LANDIS_KOCH)


def _percent_from_sums(n_units: float, disagreement: float) -> Statistic:
    if n_units <= 0:
        return _stat(PERCENT_AGREEMENT, None, 0, reason="no unit was coded by every coder")
    value = 1.0 - disagreement / n_units
    return _stat(PERCENT_AGREEMENT, value, n_units, observed=value)


def _ratio(name: str, num: float, den: float, n_units: float, reason: str) -> Statistic:
    if den <= 0:
        return _stat(name, None, n_units, reason=reason)
    return _stat(name, num / den, n_units)


# --------------------------------------------------------------------------- reliability data (coders x units)


def _reliability_codes(data: Any, *, min_coders: int = 2) -> tuple[np.ndarray, list]:
    """Coders x units data -> (int matrix with -1 for missing, list of categories)."""
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy(dtype=object)
    else:
        try:
            arr = np.array([list(row) for row in data], dtype=object)
        except TypeError as exc:
            raise InputError("reliability data must be a table: one row per coder, one column per unit") from exc
    if arr.ndim != 2:
        raise InputError("reliability data must be a table: one row per coder, one column per unit, "
                         "every row of the same length")
    if arr.shape[0] < min_coders:
        raise InputError(f"reliability data needs at least {min_coders} coders (rows), got {arr.shape[0]}")
    flat = arr.ravel()
    missing = np.asarray(pd.isna(flat), dtype=bool)
    codes = np.full(flat.shape, -1, dtype=np.int64)
    if (~missing).any():
        found, categories = pd.factorize(pd.Series(flat[~missing], dtype=object))
        codes[~missing] = found
        categories = list(categories)
    else:
        categories = []
    return codes.reshape(arr.shape), categories


def _unit_value_counts(codes: np.ndarray, n_values: int) -> np.ndarray:
    n_coders, n_units = codes.shape
    ok = codes >= 0
    unit = np.broadcast_to(np.arange(n_units), codes.shape)[ok]
    flat = np.bincount(unit * max(n_values, 1) + codes[ok], minlength=n_units * max(n_values, 1))
    return flat.reshape(n_units, max(n_values, 1))


def _percent_from_counts(counts: np.ndarray, n_coders: int) -> Statistic:
    m = counts.sum(axis=1)
    complete = counts[m == n_coders].astype(float)
    pairs = n_coders * (n_coders - 1.0)
    agree = (complete * (complete - 1.0)).sum(axis=1) / pairs
    return _percent_from_sums(float(len(complete)), float((1.0 - agree).sum()))


def percent_agreement(data: Any) -> Statistic:
    """Percent agreement of two or more coders on reliability data (rows = coders, columns = units).

    Pairwise: for each unit coded by every coder, the share of coder pairs that gave the same value; averaged over
    those units (equal to the mean over coder pairs of their agreement rate). Units with a missing value are dropped.
    """
    codes, categories = _reliability_codes(data)
    return _percent_from_counts(_unit_value_counts(codes, len(categories)), codes.shape[0])


def cohen_kappa_table(table: Any) -> Statistic:
    """Cohen's kappa from a square contingency table (rows: coder 1's categories, columns: coder 2's)."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise InputError(f"a contingency table must be square, got shape {t.shape}")
    if (t < 0).any():
        raise InputError("a contingency table cannot hold negative counts")
    return _kappa_from_table(t)


def cohen_kappa(data: Any) -> Statistic:
    """Cohen's (1960) kappa of exactly two coders on reliability data (two rows; units with a missing value drop)."""
    codes, categories = _reliability_codes(data)
    if codes.shape[0] != 2:
        raise InputError(f"Cohen's kappa is for exactly two coders, got {codes.shape[0]}")
    both = (codes >= 0).all(axis=0)
    a, b = codes[0, both], codes[1, both]
    v = max(len(categories), 1)
    table = np.bincount(a * v + b, minlength=v * v).reshape(v, v)
    return _kappa_from_table(table.astype(float))


def krippendorff_alpha(data: Any) -> Statistic:
    """Krippendorff's alpha for nominal data, two or more coders, missing values allowed.

    Coincidence-matrix method (Krippendorff 2011): every unit with m_u >= 2 values contributes its
    m_u (m_u - 1) ordered pairs of values from different coders, each weighted 1 / (m_u - 1);
    alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k, with n the number of pairable
    values. Units with fewer than two values are not pairable and drop out.
    """
    codes, categories = _reliability_codes(data)
    return _alpha_from_counts(_unit_value_counts(codes, len(categories)))


def brennan_prediger(data: Any, q: int | None = None) -> Statistic:
    """Brennan & Prediger's (1981) free-marginal kappa: (p_o - 1/q) / (1 - 1/q).

    ``p_o`` is :func:`percent_agreement` (units coded by every coder). ``q`` is the number of categories the coders
    could choose from; when omitted, the number of distinct values in the data is used -- pass ``q`` when some
    categories went unused. For code presence/absence, q = 2.
    """
    codes, categories = _reliability_codes(data)
    p_o = _percent_from_counts(_unit_value_counts(codes, len(categories)), codes.shape[0])
    return _bp_from_agreement(p_o, len(categories) if q is None else int(q))


def gwet_ac1(data: Any) -> Statistic:
    """Gwet's AC1 (nominal) of coders x units reliability data, missing values allowed (Gwet 2008; computed as
    irrCAC's ``gwet.ac1.raw``): observed agreement over the units with two or more values, chance agreement
    ``sum_k pi_k (1 - pi_k) / (q - 1)`` with ``pi_k`` the mean share of category k per unit over the units with
    a value."""
    codes, categories = _reliability_codes(data)
    q = len(categories)
    counts = _unit_value_counts(codes, q).astype(float)
    r = counts.sum(axis=1)
    rated = r >= 1
    two = r >= 2
    if not two.any():
        return _stat(GWET_AC1, None, 0, reason="no unit was coded by two or more coders", scale=LANDIS_KOCH)
    pa = float(((counts[two] * (counts[two] - 1)).sum(axis=1) / (r[two] * (r[two] - 1))).mean())
    if q < 2:
        return _stat(GWET_AC1, None, int(two.sum()), observed=pa, scale=LANDIS_KOCH,
                     reason="a single category: chance agreement cannot be formed (q = 1)")
    pi = (counts[rated] / r[rated][:, None]).mean(axis=0)
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    return _stat(GWET_AC1, (pa - pe) / (1 - pe), int(two.sum()), observed=pa, expected=pe, scale=LANDIS_KOCH)


def brennan_prediger_table(table: Any, q: int | None = None) -> Statistic:
    """Brennan-Prediger kappa of two coders from a square contingency table; q defaults to the table's size."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise InputError(f"a contingency table must be square, got shape {t.shape}")
    n = float(t.sum())
    p_o = _percent_from_sums(n, n - float(np.trace(t))) if n > 0 else _percent_from_sums(0, 0)
    return _bp_from_agreement(p_o, t.shape[0] if q is None else int(q))


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of a coder against a reference coder, with the counts they come from."""

    tp: int
    fp: int
    fn: int
    tn: int
    precision: Statistic
    recall: Statistic
    f1: Statistic


def _scores(tp: float, fp: float, fn: float, tn: float) -> Scores:
    units = tp + fp + fn + tn
    return Scores(
        tp=int(round(tp)), fp=int(round(fp)), fn=int(round(fn)), tn=int(round(tn)),
        precision=_ratio(PRECISION, tp, tp + fp, tp + fp,
                         "the coder applied the code to no unit (no predicted positives)"),
        recall=_ratio(RECALL, tp, tp + fn, tp + fn, "the reference applied the code to no unit (no positives)"),
        f1=_ratio(F1, 2.0 * tp, 2.0 * tp + fp + fn, units,
                  "neither the coder nor the reference applied the code (no positives)"),
    )


def precision_recall_f1(coder: Sequence[Any], reference: Sequence[Any]) -> Scores:
    """Precision, recall and F1 of ``coder`` against ``reference`` on presence data.

    Both are sequences over the same units of truthy (code present) / falsy (absent) values; ``None``/``NaN`` marks
    a unit that side did not see, and such units are dropped. F1 = 2 TP / (2 TP + FP + FN).
    """
    if len(coder) != len(reference):
        raise InputError(f"coder and reference must cover the same units ({len(coder)} vs {len(reference)} values)")
    c = pd.Series(list(coder), dtype=object)
    r = pd.Series(list(reference), dtype=object)
    keep = ~(c.isna() | r.isna()).to_numpy()
    cv = np.array([bool(v) for v in c[keep]], dtype=bool)
    rv = np.array([bool(v) for v in r[keep]], dtype=bool)
    return _scores(float((cv & rv).sum()), float((cv & ~rv).sum()), float((~cv & rv).sum()),
                   float((~cv & ~rv).sum()))


# --------------------------------------------------------------------------- the unit model: code presence

UNIT, CODER, CODE = "unit", "coder", "code"
POOLED = "ALL (pooled)"
MEAN = "MEAN (of codes)"
_MAX_CODERS = 62


@dataclass(frozen=True, eq=False)
class Presence:
    """Code-presence data prepared for agreement: who saw which unit and who applied which code to it.

    ``units`` describes the units, one row each (column ``unit`` for table input; ``doc``, ``start``, ``end`` for
    character segments). ``weight`` is how many units each row stands for (1 for table input; the segment length in
    characters for character units). ``seen[u, k]`` says whether coder k saw unit u. Each *cell* is one
    (unit, code) pair that at least one coder applied; ``cell_mask`` holds one bit per coder (bit k = coder k
    applied the code). Build it with :func:`presence_from_table` or :func:`presence_from_intervals`.
    """

    coders: tuple[Any, ...]
    codes: tuple[Any, ...]
    units: pd.DataFrame
    weight: np.ndarray
    seen: np.ndarray
    cell_unit: np.ndarray
    cell_code: np.ndarray
    cell_mask: np.ndarray
    unit_label: str = "unit"

    def coder_bit(self, k: int) -> np.ndarray:
        return (self.cell_mask >> k) & 1

    @property
    def cell_count(self) -> np.ndarray:
        """Number of coders who applied the code, per cell."""
        return sum((self.coder_bit(k) for k in range(len(self.coders))), np.zeros(len(self.cell_mask), np.int64))


def _cells(unit_idx: np.ndarray, code_idx: np.ndarray, coder_idx: np.ndarray, n_codes: int):
    """Rows (unit, code, coder) -> unique (unit, code) cells with a bitmask of coders, sorted by unit then code."""
    if len(unit_idx) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    key = unit_idx.astype(np.int64) * n_codes + code_idx
    bit = np.left_shift(np.int64(1), coder_idx.astype(np.int64))
    order = np.argsort(key, kind="stable")
    key, bit = key[order], bit[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    mask = np.bitwise_or.reduceat(bit, starts)
    key = key[starts]
    return key // n_codes, key % n_codes, mask


def _as_long_table(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        missing = [c for c in (UNIT, CODER, CODE) if c not in table.columns]
        if missing:
            raise InputError(f"the agreement table needs columns unit, coder, code; missing: {', '.join(missing)}",
                             field=missing[0])
        return table[[UNIT, CODER, CODE]]
    rows = list(table)
    for i, row in enumerate(rows, start=1):
        if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != 3:
            raise InputError(f"row {i}: expected (unit, coder, code), got {row!r}")
    return pd.DataFrame(rows, columns=[UNIT, CODER, CODE], dtype=object)


def _blank(series: pd.Series) -> np.ndarray:
    blank = series.isna().to_numpy().copy()
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        text = series[~blank].astype(str).str.strip() == ""
        blank[np.flatnonzero(~blank)[text.to_numpy()]] = True
    return blank


def _ordered_unique(values: pd.Series) -> list:
    uniq = list(pd.unique(values))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def presence_from_table(table: Any, *, coders: Sequence[Any] | None = None,
                        codes: Sequence[Any] | None = None) -> Presence:
    """Prepare a long ``(unit, coder, code)`` table (DataFrame with those columns, or an iterable of 3-tuples).

    One row per code applied; a unit a coder saw but did not code appears with an empty code (None, NaN or "").
    ``coders`` selects (and orders) coders, default all in the table, sorted; at least two are needed. ``codes``
    lists the codes to report, in order -- include codes nobody used to see them in the report; rows with other
    codes still mark their unit as seen. Default: the codes in the table, sorted.
    """
    df = _as_long_table(table)
    if _blank(df[UNIT]).any():
        first = int(np.flatnonzero(_blank(df[UNIT]))[0]) + 1
        raise InputError(f"row {first}: empty unit id", field=UNIT)
    if _blank(df[CODER]).any():
        first = int(np.flatnonzero(_blank(df[CODER]))[0]) + 1
        raise InputError(f"row {first}: empty coder", field=CODER)
    present = _ordered_unique(df[CODER])
    if coders is None:
        coders = present
    else:
        coders = list(dict.fromkeys(coders))
        absent = [c for c in coders if c not in set(present)]
        if absent:
            raise NotFound(f"coder {absent[0]!r} has no rows in the agreement table "
                           f"(coders present: {', '.join(map(str, present)) or 'none'})", field="coders")
        df = df[df[CODER].isin(coders)]
    if len(coders) < 2:
        raise InputError(f"agreement needs at least two coders; found {len(coders)}: "
                         f"{', '.join(map(str, coders)) or 'none'}", field="coders")
    if len(coders) > _MAX_CODERS:
        raise InputError(f"at most {_MAX_CODERS} coders at once, got {len(coders)}", field="coders")
    blank_code = _blank(df[CODE])
    if codes is None:
        codes = _ordered_unique(df.loc[~blank_code, CODE])
    else:
        codes = list(dict.fromkeys(codes))

    unit_idx, unit_values = pd.factorize(df[UNIT])
    coder_idx = pd.Index(list(coders), dtype=object).get_indexer(df[CODER]).astype(np.int64)
    seen = np.zeros((len(unit_values), len(coders)), dtype=bool)
    seen[unit_idx, coder_idx] = True

    code_idx = np.full(len(df), -1, dtype=np.int64)
    if codes:
        code_idx[~blank_code] = pd.Index(list(codes), dtype=object).get_indexer(df.loc[~blank_code, CODE])
    applied = code_idx >= 0
    cu, cc, cm = _cells(unit_idx[applied], code_idx[applied], coder_idx[applied], max(len(codes), 1))
    return Presence(
        coders=tuple(coders), codes=tuple(codes), units=pd.DataFrame({UNIT: np.asarray(unit_values, dtype=object)}),
        weight=np.ones(len(unit_values)), seen=seen, cell_unit=cu, cell_code=cc, cell_mask=cm,
    )


def presence_from_intervals(intervals: Mapping[Any, Iterable[Sequence[Any]]], doc_lengths: Mapping[Any, int], *,
                            codes: Sequence[Any] | None = None,
                            seen: Mapping[Any, Iterable[Any]] | None = None) -> Presence:
    """Character units (NVivo-style): per-character presence of each code, computed on interval boundaries.

    ``intervals`` maps each coder to ``(doc, start, end, code)`` tuples (``end`` exclusive, character offsets);
    ``doc_lengths`` gives every document's length. By default every coder saw every document; ``seen`` maps a
    coder to the documents they saw, when not all. Overlapping intervals of one coder and code simply merge.

    Characters are not enumerated: the documents are cut at every interval boundary into segments within which
    nobody's coding changes; each segment is one unit with a weight equal to its length, so every statistic counts
    characters exactly as a per-character computation would.
    """
    coders = list(intervals)
    if len(coders) < 2:
        raise InputError(f"agreement needs at least two coders; found {len(coders)}", field="coders")
    if len(coders) > _MAX_CODERS:
        raise InputError(f"at most {_MAX_CODERS} coders at once, got {len(coders)}", field="coders")
    docs = list(doc_lengths)
    lengths = np.array([int(doc_lengths[d]) for d in docs], dtype=np.int64)
    if (lengths < 0).any():
        raise InputError(f"document {docs[int(np.argmax(lengths < 0))]!r} has a negative length", field="length")
    offsets = np.r_[0, np.cumsum(lengths)]
    doc_pos = {d: i for i, d in enumerate(docs)}

    frames = []
    for k, coder in enumerate(coders):
        rows = list(intervals[coder])
        for row in rows:
            if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != 4:
                raise InputError(f"coder {coder!r}: expected (doc, start, end, code), got {row!r}")
        frames.append(pd.DataFrame(rows, columns=["doc", "start", "end", CODE], dtype=object).assign(k=k))
    iv = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["doc", "start", "end", CODE, "k"])
    unknown = ~iv["doc"].isin(doc_pos)
    if unknown.any():
        row = iv[unknown].iloc[0]
        raise NotFound(f"coder {coders[int(row['k'])]!r}: document {row['doc']!r} is not among the document lengths",
                       field="doc")
    try:
        start = iv["start"].astype(np.int64).to_numpy()
        end = iv["end"].astype(np.int64).to_numpy()
    except (TypeError, ValueError) as exc:
        raise InputError(f"interval offsets must be integers ({exc})", field="start") from exc
    d = iv["doc"].map(doc_pos).to_numpy(dtype=np.int64)
    bad = (start < 0) | (end < start) | (end > lengths[d])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"coder {coders[int(iv['k'].iat[i])]!r}: interval {start[i]}-{end[i]} of code "
                         f"{iv[CODE].iat[i]!r} lies outside document {iv['doc'].iat[i]!r} "
                         f"(length {lengths[d[i]]})", field="start")
    blank_code = _blank(iv[CODE]) | (start == end)
    if codes is None:
        codes = _ordered_unique(iv.loc[~blank_code, CODE])
    else:
        codes = list(dict.fromkeys(codes))
    code_idx = np.full(len(iv), -1, dtype=np.int64)
    if codes:
        code_idx[~blank_code] = pd.Index(list(codes), dtype=object).get_indexer(iv.loc[~blank_code, CODE])
    use = code_idx >= 0
    gs, ge = offsets[d] + start, offsets[d] + end

    # Elementary segments: cut at document ends and every interval boundary.
    bounds = np.unique(np.r_[offsets, gs[use], ge[use]])
    seg_start, seg_end = bounds[:-1], bounds[1:]
    seg_doc = np.searchsorted(offsets, seg_start, side="right") - 1
    n_seg = len(seg_start)

    # Which segments each coder covers with each code: difference arrays over segment indices, per (code, coder).
    n_codes, n_coders = max(len(codes), 1), len(coders)
    i0 = np.searchsorted(bounds, gs[use])
    i1 = np.searchsorted(bounds, ge[use])
    group = code_idx[use] * n_coders + iv["k"].to_numpy(dtype=np.int64)[use]
    cell_units, cell_codes, cell_coders = [], [], []
    if n_seg and use.any():
        diff = np.zeros((n_codes * n_coders, n_seg + 1), dtype=np.int32)
        np.add.at(diff, (group, i0), 1)
        np.add.at(diff, (group, i1), -1)
        covered = np.cumsum(diff[:, :n_seg], axis=1) > 0
        g, s = np.nonzero(covered)
        cell_units, cell_codes, cell_coders = s, g // n_coders, g % n_coders
    cu, cc, cm = _cells(np.asarray(cell_units, np.int64), np.asarray(cell_codes, np.int64),
                        np.asarray(cell_coders, np.int64), n_codes)

    seen_matrix = np.ones((n_seg, n_coders), dtype=bool)
    if seen is not None:
        for k, coder in enumerate(coders):
            if coder in seen:
                docs_seen = {doc_pos[x] for x in seen[coder] if x in doc_pos}
                seen_matrix[:, k] = np.isin(seg_doc, list(docs_seen))
    units = pd.DataFrame({
        "doc": np.asarray(docs, dtype=object)[seg_doc] if n_seg else np.zeros(0, dtype=object),
        "start": seg_start - offsets[seg_doc],
        "end": seg_end - offsets[seg_doc],
    })
    return Presence(coders=tuple(coders), codes=tuple(codes), units=units, weight=(seg_end - seg_start).astype(float),
                    seen=seen_matrix, cell_unit=cu, cell_code=cc, cell_mask=cm, unit_label="character")


def _as_presence(data: Any, coders: Sequence[Any] | None, codes: Sequence[Any] | None) -> Presence:
    if isinstance(data, Presence):
        if coders is not None or codes is not None:
            raise InputError("choose coders and codes when building the Presence data, not afterwards")
        return data
    return presence_from_table(data, coders=coders, codes=codes)


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code (or pooled over all codes). ``cohen_kappa`` is None unless there are two coders.

    ``units`` counts the units every coder saw (pairwise statistics), ``units_pairable`` those at least two coders
    saw (alpha). For the pooled row both count (unit, code) decisions.
    """

    code: Any
    units: int
    units_pairable: int
    percent_agreement: Statistic
    cohen_kappa: Statistic | None
    krippendorff_alpha: Statistic
    brennan_prediger: Statistic
    gwet_ac1: Statistic | None = None
    alpha_ci: tuple[float, float] | None = None  # bootstrap percentile interval of alpha
    applied: bool = True  # False: no coder applied the code (listed apart, left out of pooled and mean)

    @property
    def statistics(self) -> tuple[Statistic, ...]:
        found = (self.percent_agreement, self.cohen_kappa, self.krippendorff_alpha, self.brennan_prediger,
                 self.gwet_ac1)
        return tuple(s for s in found if s is not None)


AGREEMENT_FRAME_COLUMNS = ["scope", "code", "units", "units_pairable", "percent_agreement", "cohen_kappa",
                           "kappa_reading", "krippendorff_alpha", "alpha_reading", "alpha_low", "alpha_high",
                           "gwet_ac1", "ac1_reading", "brennan_prediger", "bp_reading", "note"]
#: The agreement table as ``tematik agree`` shows it (after ``scope``): each interval beside its statistic.
AGREEMENT_COLUMNS = ["code", "units", "units_pairable", "percent_agreement", "cohen_kappa", "kappa_reading",
                     "krippendorff_alpha", "alpha_low", "alpha_high", "alpha_reading", "gwet_ac1", "ac1_reading",
                     "brennan_prediger", "bp_reading", "note"]
#: The columns of :func:`reference_scores` as ``tematik agree --reference`` shows them.
REFERENCE_COLUMNS = ["coder", "code", "units", "tp", "fp", "fn", "precision", "recall", "f1", "note"]


@dataclass(frozen=True)
class Agreement:
    """Result of :func:`agreement`: one :class:`CodeAgreement` per code plus the pooled one."""

    coders: tuple[Any, ...]
    unit_label: str
    per_code: tuple[CodeAgreement, ...]  # the codes some coder applied
    pooled: CodeAgreement
    unused: tuple[CodeAgreement, ...] = ()  # codes nobody applied: listed apart
    level: float = 0.95
    method: str = field(default=(
        "presence/absence of each code per unit; alpha treats units a coder did not see as missing data; "
        "percent agreement, Cohen's kappa and Brennan-Prediger (q=2) use the units every coder saw; Gwet's AC1 "
        "uses the units two or more coders saw; pooled = every (unit, code) decision of the applied codes is one "
        "case (kappa: 2x2 table summed over codes); codes nobody applied are listed apart and left out of the "
        "pooled and mean rows; alpha's interval: bootstrap over units (percentile)"))

    def mean(self, attr: str) -> tuple[float | None, int]:
        """Mean of a per-code statistic over the codes where it is defined, and how many codes that was."""
        values = [getattr(c, attr).value for c in self.per_code
                  if getattr(c, attr) is not None and getattr(c, attr).value is not None]
        return (float(np.mean(values)) if values else None), len(values)

    def to_frame(self) -> pd.DataFrame:
        """One row per code, then the pooled row and the mean-of-codes row (column ``scope``).

        Undefined values are NaN, their reading ``"undefined"`` and the reason in ``note``; Cohen's kappa is NaN
        with reading None when there are not exactly two coders. ``df.attrs`` holds coders, method and references.
        """
        rows = []
        nan = float("nan")
        for scope, ca in [*(("code", c) for c in self.per_code), ("pooled", self.pooled),
                          *(("unused", c) for c in self.unused)]:
            notes = [f"{s.name}: {s.reason}" for s in ca.statistics if s.reason]
            if scope == "unused":
                notes = ["no coder applied this code: left out of the pooled and mean rows"]
            kappa = ca.cohen_kappa
            ac1 = ca.gwet_ac1
            rows.append({
                "scope": scope, "code": POOLED if scope == "pooled" else ca.code,
                "units": ca.units, "units_pairable": ca.units_pairable,
                "percent_agreement": float(ca.percent_agreement),
                "cohen_kappa": float(kappa) if kappa is not None else nan,
                "kappa_reading": kappa.reading if kappa is not None else None,
                "krippendorff_alpha": float(ca.krippendorff_alpha), "alpha_reading": ca.krippendorff_alpha.reading,
                "alpha_low": ca.alpha_ci[0] if ca.alpha_ci else nan,
                "alpha_high": ca.alpha_ci[1] if ca.alpha_ci else nan,
                "gwet_ac1": float(ac1) if ac1 is not None else nan, "ac1_reading": ac1.reading if ac1 else None,
                "brennan_prediger": float(ca.brennan_prediger), "bp_reading": ca.brennan_prediger.reading,
                "note": "; ".join(notes),
            })
        if self.per_code:
            means = {a: self.mean(a) for a in ("percent_agreement", "cohen_kappa", "krippendorff_alpha",
                                               "brennan_prediger", "gwet_ac1")}
            two = len(self.coders) == 2

            def val(a: str) -> float:
                return float("nan") if means[a][0] is None else means[a][0]

            rows.append({
                "scope": "mean", "code": MEAN, "units": self.per_code[0].units,
                "units_pairable": self.per_code[0].units_pairable,
                "percent_agreement": val("percent_agreement"),
                "cohen_kappa": val("cohen_kappa"),
                "kappa_reading": read_kappa(means["cohen_kappa"][0]) if two else None,
                "krippendorff_alpha": val("krippendorff_alpha"),
                "alpha_reading": read_alpha(means["krippendorff_alpha"][0]),
                "alpha_low": nan, "alpha_high": nan,
                "gwet_ac1": val("gwet_ac1"), "ac1_reading": read_kappa(means["gwet_ac1"][0]),
                "brennan_prediger": val("brennan_prediger"), "bp_reading": read_kappa(means["brennan_prediger"][0]),
                "note": "mean over applied codes with a defined value: " + ", ".join(
                    f"{name} {means[a][1]}/{len(self.per_code)}" for a, name in
                    (("percent_agreement", "percent agreement"), ("cohen_kappa", "kappa"),
                     ("krippendorff_alpha", "alpha"), ("gwet_ac1", "AC1"), ("brennan_prediger", "Brennan-Prediger"))
                    if a != "cohen_kappa" or two),
            })
            # the mean row goes before the codes nobody applied
            unused_rows = [r for r in rows if r["scope"] == "unused"]
            rows = [r for r in rows if r["scope"] != "unused"] + unused_rows
        df = pd.DataFrame(rows, columns=AGREEMENT_FRAME_COLUMNS)
        df.attrs.update({"coders": list(self.coders), "unit": self.unit_label, "method": self.method,
                         "unused": [c.code for c in self.unused], "level": self.level,
                         "references": {"kappa_reading": LANDIS_KOCH_1977, "bp_reading": LANDIS_KOCH_1977,
                                        "alpha_reading": KRIPPENDORFF_2004, "alpha": KRIPPENDORFF_2011,
                                        "cohen_kappa": COHEN_1960, "brennan_prediger": BRENNAN_PREDIGER_1981,
                                        "gwet_ac1": GWET_2008, "ac1_reading": LANDIS_KOCH_1977}})
        return df


def _bootstrap_alpha(n_u: np.ndarray, n1: np.ndarray, x: np.ndarray, *, resamples: int, seed: int,
                     level: float) -> list[tuple[float, float] | None]:
    """Percentile bootstrap intervals of binary alpha, resampling pairable units with replacement.

    ``n_u``: pairable values per unit (weight x coders who saw it); ``n1``/``x``: units x columns of the
    per-unit sums of :func:`_alpha_binary` (one column per code, and a last one for the pooled alpha whose
    ``n_u`` is scaled by the number of codes). One interval per column; None when fewer than 95% of the
    replicates define alpha."""
    units, columns = n1.shape
    if units < 2 or resamples <= 0:
        return [None] * columns
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    batch = max(1, min(resamples, 2_000_000 // max(units, 1)))
    done = 0
    while done < resamples:
        b = min(batch, resamples - done)
        counts = rng.multinomial(units, np.full(units, 1.0 / units), size=b).astype(float)
        n = counts @ n_u  # b
        s1 = counts @ n1  # b x columns
        sx = counts @ x
        n_col = np.repeat(n[:, None], columns, axis=1)
        n_col[:, -1] = n * max(columns - 1, 1)  # the pooled column counts every code's decisions
        n0 = n_col - s1
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = 1.0 - (n_col - 1.0) * sx / (n0 * s1)
        alpha[(n0 <= 0) | (s1 <= 0)] = np.nan
        out.append(alpha)
        done += b
    values = np.concatenate(out)
    tail = (1.0 - level) / 2.0
    intervals: list[tuple[float, float] | None] = []
    for j in range(columns):
        col = values[:, j]
        ok = col[~np.isnan(col)]
        if len(ok) < 0.95 * len(col):
            intervals.append(None)
        else:
            intervals.append((float(np.quantile(ok, tail)), float(np.quantile(ok, 1.0 - tail))))
    return intervals


def agreement(data: Any, *, coders: Sequence[Any] | None = None, codes: Sequence[Any] | None = None,
              bootstrap: int = 1000, seed: int = 2011, level: float = 0.95) -> Agreement:
    """Per-code and pooled agreement on code presence; ``data`` is a long table or a :class:`Presence`.

    See the module docstring for how units missing for a coder are treated and how pooling works. Codes no
    coder applied are returned apart (``Agreement.unused``) and left out of the pooled values. ``bootstrap``
    replicates (units resampled, ``seed``) give alpha's percentile interval at ``level``; 0 turns it off.
    """
    p = _as_presence(data, coders, codes)
    n_coders, n_codes = len(p.coders), len(p.codes)
    if n_codes == 0:
        raise InputError("no codes to compare: no coder applied a code and no list of codes was given", field=CODE)
    w = p.weight
    m = p.seen.sum(axis=1)
    pairable = m >= 2
    complete = m == n_coders
    n_pairable_values = float((w * m)[pairable].sum())
    n_pairable_units = float(w[pairable].sum())
    n_complete = float(w[complete].sum())
    n_seen = float(w[m >= 1].sum())

    cu, cc = p.cell_unit, p.cell_code
    cnt = p.cell_count.astype(float)
    mu = m[cu].astype(float)
    wu = w[cu]
    size = max(n_codes, 1)
    applied = np.bincount(cc, minlength=size)[:n_codes] > 0

    def per_code(weights: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.bincount(cc[where], weights=weights[where], minlength=size)[:n_codes]

    in_pair = pairable[cu]
    n1 = per_code(wu * cnt, in_pair)
    x_unit = wu * cnt * (mu - cnt) / np.maximum(mu - 1.0, 1.0)
    x = per_code(x_unit, in_pair)
    in_complete = complete[cu]
    pairs = n_coders * (n_coders - 1.0)
    dis = per_code(wu * 2.0 * cnt * (n_coders - cnt) / pairs, in_complete)
    # Gwet's AC1: agreeing pairs per unit (two or more coders), share of coders applying per unit (one or more)
    agree_share = (cnt * (cnt - 1.0) + (mu - cnt) * (mu - cnt - 1.0)) / np.maximum(mu * (mu - 1.0), 1.0)
    pa_adjust = per_code(wu * (agree_share - 1.0), in_pair)
    pi_sum = per_code(wu * cnt / np.maximum(mu, 1.0), mu >= 1)
    tables = None
    if n_coders == 2:
        mask = p.cell_mask
        n11 = per_code(wu, in_complete & (mask == 3))
        n10 = per_code(wu, in_complete & (mask == 1))
        n01 = per_code(wu, in_complete & (mask == 2))
        n00 = n_complete - n11 - n10 - n01
        tables = np.stack([np.stack([n11, n10], axis=1), np.stack([n01, n00], axis=1)], axis=1)  # codes x 2 x 2

    used = np.flatnonzero(applied)
    intervals: list[tuple[float, float] | None] = [None] * (len(used) + 1)
    if bootstrap > 0 and len(used):
        units = np.flatnonzero(pairable)
        row_of = np.full(len(m), -1)
        row_of[units] = np.arange(len(units))
        col_of = np.full(n_codes, -1)
        col_of[used] = np.arange(len(used))
        keep = in_pair & applied[cc]
        n1_m = np.zeros((len(units), len(used) + 1))
        x_m = np.zeros((len(units), len(used) + 1))
        np.add.at(n1_m, (row_of[cu[keep]], col_of[cc[keep]]), (wu * cnt)[keep])
        np.add.at(x_m, (row_of[cu[keep]], col_of[cc[keep]]), x_unit[keep])
        n1_m[:, -1] = n1_m[:, :-1].sum(axis=1)
        x_m[:, -1] = x_m[:, :-1].sum(axis=1)
        intervals = _bootstrap_alpha((w * m)[units].astype(float), n1_m, x_m, resamples=bootstrap, seed=seed,
                                     level=level)

    def build(code: Any, units: float, units_pair: float, n: float, s_n1: float, s_x: float, s_dis: float,
              table: np.ndarray | None, pa_units: float, pa_sum: float, pi_units: float, s_pi: float,
              ci: tuple[float, float] | None, is_applied: bool = True) -> CodeAgreement:
        pa = _percent_from_sums(units, s_dis)
        alpha = _alpha_binary(n, units_pair, s_n1, s_x)
        return CodeAgreement(
            code=code, units=int(round(units)), units_pairable=int(round(units_pair)), percent_agreement=pa,
            cohen_kappa=None if table is None else _kappa_from_table(table),
            krippendorff_alpha=alpha,
            brennan_prediger=_bp_from_agreement(pa, 2),
            gwet_ac1=_ac1_binary(pa_units, pa_sum, pi_units, s_pi),
            alpha_ci=ci if alpha.value is not None else None, applied=is_applied,
        )

    built = [
        build(code, n_complete, n_pairable_units, n_pairable_values, n1[i], x[i], dis[i],
              None if tables is None else tables[i], n_pairable_units, n_pairable_units + pa_adjust[i], n_seen,
              pi_sum[i], intervals[int(np.searchsorted(used, i))] if applied[i] else None, bool(applied[i]))
        for i, code in enumerate(p.codes)
    ]
    k = max(len(used), 1)
    pooled = build(POOLED, n_complete * k, n_pairable_units * k, n_pairable_values * k,
                   float(n1[used].sum()), float(x[used].sum()), float(dis[used].sum()),
                   None if tables is None else tables[used].sum(axis=0), n_pairable_units * k,
                   n_pairable_units * k + float(pa_adjust[used].sum()), n_seen * k, float(pi_sum[used].sum()),
                   intervals[-1] if len(used) else None)
    return Agreement(coders=p.coders, unit_label=p.unit_label, per_code=tuple(c for c in built if c.applied),
                     pooled=pooled, unused=tuple(c for c in built if not c.applied), level=level)


agree = agreement  # the command's name: command `agree` -> Project.agree -> agreement.agree


def agreement_table(data: Any, *, coders: Sequence[Any] | None = None,
                    codes: Sequence[Any] | None = None) -> pd.DataFrame:
    """Agreement per code and overall as a DataFrame (see :meth:`Agreement.to_frame`)."""
    return agreement(data, coders=coders, codes=codes).to_frame()


def _coder_names(masks: np.ndarray, coders: Sequence[Any]) -> list[str]:
    names = {}
    for value in np.unique(masks):
        names[int(value)] = ", ".join(str(c) for k, c in enumerate(coders) if (int(value) >> k) & 1)
    return [names[int(v)] for v in masks]


def disagreements(data: Any, *, coders: Sequence[Any] | None = None,
                  codes: Sequence[Any] | None = None) -> pd.DataFrame:
    """Units where the coders who saw them differ on a code: some applied it, some did not.

    One row per (unit, code): the unit columns (``unit``, or ``doc``/``start``/``end`` for character segments),
    ``code``, ``applied_by`` and ``not_applied_by`` (comma-separated coders; coders who did not see the unit are in
    neither). Units seen by fewer than two coders cannot disagree. Ordered by unit, then code.
    """
    p = _as_presence(data, coders, codes)
    seen_mask = (p.seen.astype(np.int64) << np.arange(len(p.coders), dtype=np.int64)).sum(axis=1)
    m = p.seen.sum(axis=1)
    cu = p.cell_unit
    cnt = p.cell_count
    differ = (m[cu] >= 2) & (cnt < m[cu])
    unit_idx, code_idx = cu[differ], p.cell_code[differ]
    applied = p.cell_mask[differ]
    not_applied = seen_mask[unit_idx] & ~applied
    if p.unit_label == "character" and len(unit_idx):
        # Merge runs of adjacent segments with the same code and the same coders on each side into one span.
        doc = pd.factorize(p.units["doc"])[0][unit_idx]
        start = p.units["start"].to_numpy()[unit_idx]
        end = p.units["end"].to_numpy()[unit_idx]
        order = np.lexsort((start, doc, not_applied, applied, code_idx))
        doc, start, end = doc[order], start[order], end[order]
        code_idx, applied, not_applied, unit_idx = code_idx[order], applied[order], not_applied[order], unit_idx[order]
        new_run = np.r_[True, (code_idx[1:] != code_idx[:-1]) | (applied[1:] != applied[:-1])
                        | (not_applied[1:] != not_applied[:-1]) | (doc[1:] != doc[:-1]) | (start[1:] != end[:-1])]
        first = np.flatnonzero(new_run)
        last = np.r_[first[1:], len(new_run)] - 1
        units = p.units.iloc[unit_idx[first]].reset_index(drop=True).assign(end=end[last])
        code_idx, applied, not_applied = code_idx[first], applied[first], not_applied[first]
        resort = np.lexsort((code_idx, units["start"].to_numpy(), doc[first]))
        units = units.iloc[resort].reset_index(drop=True)
        code_idx, applied, not_applied = code_idx[resort], applied[resort], not_applied[resort]
    else:
        units = p.units.iloc[unit_idx].reset_index(drop=True)
    return units.assign(
        code=[p.codes[i] for i in code_idx],
        applied_by=_coder_names(applied, p.coders),
        not_applied_by=_coder_names(not_applied, p.coders),
    )


def reference_scores(data: Any, reference: Any, *, coders: Sequence[Any] | None = None,
                     codes: Sequence[Any] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of every other coder against ``reference``, per code and pooled (micro).

    Only units seen by both the coder and the reference count. Columns: coder, code, units, tp, fp, fn, precision,
    recall, f1, note (reasons for undefined values, which are NaN).
    """
    if coders is not None and reference not in coders:
        coders = [reference, *coders]
    p = _as_presence(data, coders, codes)
    if reference not in p.coders:
        raise NotFound(f"reference coder {reference!r} has no rows in the agreement table "
                       f"(coders present: {', '.join(map(str, p.coders))})", field="reference")
    r = p.coders.index(reference)
    n_codes = len(p.codes)
    size = max(n_codes, 1)
    rows = []
    wu = p.weight[p.cell_unit]
    for k, coder in enumerate(p.coders):
        if k == r:
            continue
        both = p.seen[:, k] & p.seen[:, r]
        units = float(p.weight[both].sum())
        in_both = both[p.cell_unit]
        ck, cr = p.coder_bit(k).astype(bool), p.coder_bit(r).astype(bool)

        def count(sel: np.ndarray) -> np.ndarray:
            return np.bincount(p.cell_code[sel], weights=wu[sel], minlength=size)[:n_codes]

        tp, fp, fn = count(in_both & ck & cr), count(in_both & ck & ~cr), count(in_both & ~ck & cr)
        entries = [(code, tp[i], fp[i], fn[i], units) for i, code in enumerate(p.codes)]
        entries.append((POOLED, tp.sum(), fp.sum(), fn.sum(), units * n_codes))
        for code, t, f_p, f_n, n in entries:
            s = _scores(float(t), float(f_p), float(f_n), float(n - t - f_p - f_n))
            rows.append({
                "coder": coder, "code": code, "units": int(round(n)), "tp": s.tp, "fp": s.fp, "fn": s.fn,
                "precision": float(s.precision), "recall": float(s.recall), "f1": float(s.f1),
                "note": "; ".join(f"{x.name}: {x.reason}" for x in (s.precision, s.recall, s.f1) if x.reason),
            })
    df = pd.DataFrame(rows, columns=REFERENCE_COLUMNS)
    df.attrs.update({"reference": reference, "unit": p.unit_label})
    return df


#: The columns of :func:`evaluate_coder` (``tematik agree --reference auto``): the reference person first.
EVALUATION_COLUMNS = ["reference", *REFERENCE_COLUMNS]


def evaluate_coder(data: Any, coder: Any, references: Sequence[Any] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of one coder (the auto-coder) against each reference coder in turn.

    ``data``: presence data holding ``coder`` and the references (default: every other coder in it). Each
    reference is scored as in :func:`reference_scores` -- only units both saw count -- and the rows are those of
    ``coder``, with the reference person in a ``reference`` column (columns :data:`EVALUATION_COLUMNS`).
    """
    p = _as_presence(data, None, None)
    if coder not in p.coders:
        raise NotFound(f"coder {coder!r} has no rows in the agreement table "
                       f"(coders present: {', '.join(map(str, p.coders))})", field="coders")
    refs = [c for c in p.coders if c != coder] if references is None else list(references)
    frames = []
    for ref in refs:
        scored = reference_scores(p, ref)
        mine = scored[scored["coder"] == coder].copy()
        mine.insert(0, "reference", ref)
        frames.append(mine)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EVALUATION_COLUMNS)
    df = df[EVALUATION_COLUMNS]
    df.attrs.update({"coder": coder, "references": list(refs), "unit": p.unit_label})
    return df


# --------------------------------------------------------------------------- CSV input


def read_agreement_csv(path: str | Path) -> pd.DataFrame:
    """Read an agreement table from CSV: header required, naming ``unit``, ``coder`` and ``code`` (any order,
    case-insensitive; other columns are ignored). An empty ``code`` means the coder saw the unit and applied no
    code. Errors read ``file:line: column: message`` (:class:`~tematik.errors.InputError`).
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", path=name) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8 CSV",
                         path=name, line=line) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            raise InputError("empty file; a header line naming unit,coder,code is required", path=name, line=1)
        header_line = reader.line_num
        names = [h.strip().lower() for h in header]
        for col in names:
            if col and names.count(col) > 1:
                raise InputError("column named twice in the header", path=name, line=header_line, field=col)
        for col in (UNIT, CODER, CODE):
            if col not in names:
                raise InputError(f"column missing from the header (found: {', '.join(h for h in names if h) or 'none'}"
                                 "); the header must name unit, coder, code", path=name, line=header_line, field=col)
        iu, ik, ic = names.index(UNIT), names.index(CODER), names.index(CODE)
        units: list[str] = []
        coders: list[str] = []
        codes: list[str | None] = []
        width = len(names)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                raise InputError(f"expected {width} fields as in the header, found {len(row)}", path=name,
                                 line=reader.line_num)
            unit, coder, code = row[iu].strip(), row[ik].strip(), row[ic].strip()
            if not unit:
                raise InputError("empty; every row needs a unit id", path=name, line=reader.line_num, field=UNIT)
            if not coder:
                raise InputError("empty; every row needs a coder", path=name, line=reader.line_num, field=CODER)
            units.append(unit)
            coders.append(coder)
            codes.append(code or None)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=name, line=reader.line_num) from exc
    if not units:
        raise InputError("no data rows after the header", path=name, line=header_line + 1)
    return pd.DataFrame({UNIT: units, CODER: coders, CODE: codes}, dtype=object)


# --------------------------------------------------------------------------- auto-coder against a hand-coded reference

def score_against_reference(reference: Sequence[dict[str, Any]], codings: Sequence[dict[str, Any]],
                            codes: Sequence[str]) -> pd.DataFrame:
    """Precision, recall and F1 per code of codings against hand-coded reference units.

    ``reference``: units with ``document``, ``start``, ``end`` and ``codes`` (a list of code ids, empty for none).
    ``codings``: ``document``, ``code``, ``start``, ``end`` (e.g. the auto-coder's suggestions). A code is
    predicted present in a unit when a coding of that code overlaps the unit by at least one character. Returns
    one row per code plus a ``MACRO`` row (the unweighted mean of the per-code values) and a ``MICRO`` row
    (pooled counts).
    """
    by_doc: dict[str, list[tuple[int, int, str]]] = {}
    for c in codings:
        by_doc.setdefault(c["document"], []).append((int(c["start"]), int(c["end"]), c["code"]))
    rows = []
    totals = np.zeros(4)
    for code in codes:
        truth, pred = [], []
        for unit in reference:
            s, e = int(unit["start"]), int(unit["end"])
            truth.append(code in unit["codes"])
            pred.append(any(k == code and cs < e and s < ce for cs, ce, k in by_doc.get(unit["document"], ())))
        sc = precision_recall_f1(pred, truth)
        totals += (sc.tp, sc.fp, sc.fn, sc.tn)
        rows.append({"code": code, "units": len(reference), "reference": int(sc.tp + sc.fn),
                     "predicted": int(sc.tp + sc.fp), "tp": int(sc.tp), "fp": int(sc.fp), "fn": int(sc.fn),
                     "precision": sc.precision.value, "recall": sc.recall.value, "f1": sc.f1.value})
    frame = pd.DataFrame(rows)
    macro = {"code": "MACRO", "units": len(reference)}
    for k in ("precision", "recall", "f1"):
        macro[k] = float(frame[k].dropna().mean()) if frame[k].notna().any() else None
    micro_scores = _scores(*totals)
    micro = {"code": "MICRO", "units": len(reference), "reference": int(totals[0] + totals[2]),
             "predicted": int(totals[0] + totals[1]), "tp": int(totals[0]), "fp": int(totals[1]),
             "fn": int(totals[2]), "precision": micro_scores.precision.value, "recall": micro_scores.recall.value,
             "f1": micro_scores.f1.value}
    return pd.concat([frame, pd.DataFrame([macro, micro])], ignore_index=True)


def read_reference_csv(path: str | Path) -> list[dict[str, Any]]:
    """A hand-coded reference: ``document,start,end,sentence,codes`` with codes separated by ``;``."""
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out.append({"document": row["document"], "start": int(row["start"]), "end": int(row["end"]),
                            "codes": [c for c in (row.get("codes") or "").split(";") if c]})
            except (KeyError, ValueError) as exc:
                raise InputError(f"bad reference row ({exc})", path=str(path), line=line) from None
    return out
