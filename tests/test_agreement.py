"""Intercoder agreement: published worked examples, undefined cases, the unit model, character units, CSV input."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tematik import agreement as ag
from tematik.errors import InputError, NotFound

DATA = Path(__file__).parent / "data" / "agreement"


def load_reliability(name: str) -> list[list[int | None]]:
    """Coders x units matrix from a CSV (first column: coder; empty cell: no value)."""
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    return [[int(v) if v else None for v in row[1:]] for row in rows]


def grant_table_rows() -> list[tuple[str, str]]:
    """The 50 (reader A, reader B) judgements of the Wikipedia "Cohen's kappa" grant-proposal example."""
    cells = [("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)]
    return [(a, b) for a, b, count in cells for _ in range(count)]


# --------------------------------------------------------------------------- published worked examples


def test_krippendorff_2011_nominal_example():
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (nominal data, any number of
    observers, missing data): 4 observers, 12 units; unit 12 holds a single value and is not pairable, leaving
    n = 40 pairable values; nominal alpha = 0.743."""
    data = load_reliability("krippendorff_2011.csv")
    alpha = ag.krippendorff_alpha(data)
    assert round(alpha.value, 3) == 0.743
    assert alpha.n_values == 40
    assert alpha.n_units == 11
    assert alpha.reading == "tentative"  # 0.667 <= 0.743 < 0.800 (Krippendorff 2004)
    assert alpha.reference == ag.KRIPPENDORFF_2004


def test_krippendorff_wikipedia_example():
    """Wikipedia, "Krippendorff's alpha", computational example: 3 coders, 15 units, many missing values;
    alpha for nominal data = 0.691."""
    alpha = ag.krippendorff_alpha(load_reliability("krippendorff_wikipedia.csv"))
    assert round(alpha.value, 3) == 0.691


def test_alpha_ignores_unpairable_units_and_empty_coders():
    """Units with fewer than two values drop out (Krippendorff 2011): adding a coder who coded nothing, or units
    only one coder coded, leaves alpha unchanged."""
    data = load_reliability("krippendorff_2011.csv")
    base = ag.krippendorff_alpha(data)
    silent = ag.krippendorff_alpha([*data, [None] * 12])
    lonely = ag.krippendorff_alpha([row + [7 if i == 0 else None] for i, row in enumerate(data)])
    assert silent.value == pytest.approx(base.value)
    assert lonely.value == pytest.approx(base.value)
    assert lonely.n_values == base.n_values


def test_cohen_kappa_grant_proposal_example():
    """Wikipedia, "Cohen's kappa", simple example (also howcodex.com "Cohen's kappa coefficient"): 50 grant
    proposals, readers A and B; yes/yes 20, yes/no 5, no/yes 10, no/no 15: p_o = 0.70, p_e = 0.50, kappa = 0.4."""
    kappa = ag.cohen_kappa_table([[20, 5], [10, 15]])
    assert kappa.observed == pytest.approx(0.70)
    assert kappa.expected == pytest.approx(0.50)
    assert kappa.value == pytest.approx(0.4)
    assert kappa.reading == "fair"
    a, b = zip(*grant_table_rows(), strict=True)
    from_raw = ag.cohen_kappa([list(a), list(b)])
    assert from_raw.value == pytest.approx(kappa.value)
    assert from_raw.n_units == 50


def test_cohen_kappa_disparate_marginals_example():
    """ebd-2.net, chapter 5 problems: 2x2 table of 5 patients with observed agreement 40 % and expected agreement
    32 % (marginals 1/4 and 4/1); kappa = (0.40 - 0.32) / (1 - 0.32) = 0.118."""
    kappa = ag.cohen_kappa_table([[1, 0], [3, 1]])
    assert kappa.observed == pytest.approx(0.40)
    assert kappa.expected == pytest.approx(0.32)
    assert round(kappa.value, 3) == 0.118


def test_cohen_kappa_and_brennan_prediger_on_gwet_3x3_table():
    """irrCAC vignette "Calculating Chance-corrected Agreement Coefficients" (data from Gwet 2014, Handbook of
    Inter-Rater Reliability): cont3x3abstractors, 100 pregnancies classified by 2 abstractors into Ectopic/AIU/NIU,
    rows 13 0 0 / 0 20 7 / 0 4 56; the vignette prints Cohen's kappa 0.7964094.
    Brennan-Prediger by hand from its formula (Brennan & Prediger 1981): p_o = (13 + 20 + 56) / 100 = 0.89,
    chance = 1/q = 1/3, BP = (0.89 - 1/3) / (1 - 1/3) = 0.835."""
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    assert ag.cohen_kappa_table(table).value == pytest.approx(0.7964094, abs=1e-7)
    bp = ag.brennan_prediger_table(table)
    assert bp.expected == pytest.approx(1 / 3)
    assert bp.value == pytest.approx((0.89 - 1 / 3) / (1 - 1 / 3))
    assert bp.reading == "almost perfect"


def test_brennan_prediger_grant_example_by_hand():
    """Brennan & Prediger (1981) on the Wikipedia grant-proposal table: p_o = 35/50 = 0.7, chance = 1/2:
    BP = (0.7 - 0.5) / 0.5 = 0.4; with q = 4 available categories chance is 1/4: (0.7 - 0.25) / 0.75 = 0.6."""
    assert ag.brennan_prediger_table([[20, 5], [10, 15]]).value == pytest.approx(0.4)
    assert ag.brennan_prediger_table([[20, 5], [10, 15]], q=4).value == pytest.approx(0.6)


def test_percent_agreement_and_brennan_prediger_multi_coder_by_hand():
    """On the Krippendorff (2011) data, units 2-9 are coded by all four observers. Pairwise agreement per unit
    (agreeing pairs / 6): u2 (2,2,3,2) 3/6, u3-u5 and u7, u9 6/6, u6 (1,2,3,4) 0/6, u8 (1,1,2,1) 3/6; mean
    6/8 = 0.75. Brennan-Prediger with the q = 5 values of that example: (0.75 - 1/5) / (1 - 1/5) = 0.6875."""
    data = load_reliability("krippendorff_2011.csv")
    pa = ag.percent_agreement(data)
    assert pa.value == pytest.approx(0.75)
    assert pa.n_units == 8
    assert ag.brennan_prediger(data, q=5).value == pytest.approx((0.75 - 0.2) / 0.8)
    # q defaults to the number of distinct values observed, here also 5.
    assert ag.brennan_prediger(data).value == pytest.approx((0.75 - 0.2) / 0.8)


def test_precision_recall_f1_dog_example():
    """Wikipedia, "Precision and recall": a picture with 12 dogs and 10 cats; the program identifies 8 dogs, 5 of
    them dogs (TP), 3 cats (FP); 7 dogs missed (FN), 7 cats correctly excluded (TN). Precision 5/8, recall 5/12;
    F1 is their harmonic mean."""
    reference = [True] * 12 + [False] * 10
    coder = [True] * 5 + [False] * 7 + [True] * 3 + [False] * 7
    s = ag.precision_recall_f1(coder, reference)
    assert (s.tp, s.fp, s.fn, s.tn) == (5, 3, 7, 7)
    assert s.precision.value == pytest.approx(5 / 8)
    assert s.recall.value == pytest.approx(5 / 12)
    assert s.f1.value == pytest.approx(2 * (5 / 8) * (5 / 12) / (5 / 8 + 5 / 12))


# --------------------------------------------------------------------------- undefined values and readings


def test_kappa_undefined_for_perfect_agreement_on_one_category():
    kappa = ag.cohen_kappa([["absent"] * 6, ["absent"] * 6])
    assert kappa.value is None and not kappa.defined
    assert "expected agreement is 1" in kappa.reason
    assert kappa.reading == ag.UNDEFINED
    assert math.isnan(float(kappa))
    # Perfect agreement with two categories is defined: kappa = 1.
    assert ag.cohen_kappa([[1, 0, 1, 0], [1, 0, 1, 0]]).value == pytest.approx(1.0)


def test_alpha_undefined_without_variation_or_pairable_values():
    same = ag.krippendorff_alpha([[2, 2, 2], [2, 2, None]])
    assert same.value is None and "no variation" in same.reason
    alone = ag.krippendorff_alpha([[1, None, 3], [None, 2, None]])
    assert alone.value is None and "pairable" in alone.reason
    assert alone.n_values == 0


def test_undefined_percent_agreement_bp_precision_recall_f1():
    nobody_complete = ag.percent_agreement([[1, None], [None, 2]])
    assert nobody_complete.value is None and "every coder" in nobody_complete.reason
    assert ag.brennan_prediger([[1, 1], [1, 1]]).value is None  # q = 1 category observed
    assert ag.cohen_kappa_table([[0, 0], [0, 0]]).value is None

    no_positives = ag.precision_recall_f1([0, 0, 0], [0, 0, 0])
    assert no_positives.precision.value is None and no_positives.recall.value is None
    assert no_positives.f1.value is None and "no positives" in no_positives.f1.reason
    silent = ag.precision_recall_f1([0, 0, None], [1, 0, 1])  # third unit not seen by the coder: dropped
    assert silent.precision.value is None
    assert silent.recall.value == 0.0 and silent.f1.value == 0.0
    assert (silent.tp, silent.fn, silent.tn) == (0, 1, 1)


@pytest.mark.parametrize(("value", "label"), [
    (-0.01, "poor"), (0.0, "slight"), (0.2, "slight"), (0.1 + 0.1, "slight"), (0.205, "fair"), (0.21, "fair"),
    (0.4, "fair"), (0.41, "moderate"), (0.6, "moderate"), (0.61, "substantial"), (0.8, "substantial"),
    (0.81, "almost perfect"), (1.0, "almost perfect"), (None, "undefined"), (float("nan"), "undefined"),
])
def test_landis_koch_reading(value, label):
    """Landis & Koch (1977): <0 poor, 0-0.20 slight, 0.21-0.40 fair, 0.41-0.60 moderate, 0.61-0.80 substantial,
    0.81-1 almost perfect (values between the published bands, e.g. 0.205, go to the upper band)."""
    assert ag.read_kappa(value) == label


@pytest.mark.parametrize(("value", "label"), [
    (0.8, "reliable"), (0.95, "reliable"), (0.7999, "tentative"), (0.667, "tentative"), (0.6669, "unreliable"),
    (-0.2, "unreliable"), (None, "undefined"),
])
def test_krippendorff_reading(value, label):
    """Krippendorff (2004, p. 241): rely on alpha >= .800; .667 <= alpha < .800 for tentative conclusions only."""
    assert ag.read_alpha(value) == label


def test_reference_strings_exposed():
    assert "Landis" in ag.LANDIS_KOCH_1977 and "1977" in ag.LANDIS_KOCH_1977
    assert "Krippendorff" in ag.KRIPPENDORFF_2004 and "2004" in ag.KRIPPENDORFF_2004
    assert [label for label, _ in ag.LANDIS_KOCH_SCALE] == [
        "poor", "slight", "fair", "moderate", "substantial", "almost perfect"]
    assert ag.cohen_kappa_table([[20, 5], [10, 15]]).reference == ag.LANDIS_KOCH_1977
    assert ag.percent_agreement([[1], [1]]).reading is None  # no verbal scale for raw agreement


def test_reliability_data_errors():
    with pytest.raises(InputError, match="exactly two coders"):
        ag.cohen_kappa([[1, 2], [1, 2], [1, 2]])
    with pytest.raises(InputError, match="at least 2 coders"):
        ag.krippendorff_alpha([[1, 2, 3]])
    with pytest.raises(InputError, match="one row per coder"):
        ag.krippendorff_alpha([[1, 2, 3], [1, 2]])
    with pytest.raises(InputError, match="square"):
        ag.cohen_kappa_table([[1, 2, 3], [4, 5, 6]])


# --------------------------------------------------------------------------- the unit model


def write_long_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["unit", "coder", "code"])
        writer.writerows(rows)
    return path


def grant_long_rows() -> list[tuple[str, str, str]]:
    """50 sentences. kepercayaan: coders A/B follow the grant table (yes = code applied); kekeluargaan: nobody;
    komunikasi: both coders on the first 10 sentences only (perfect agreement)."""
    rows = []
    for i, (a, b) in enumerate(grant_table_rows()):
        unit = f"s{i:02d}"
        for coder, said in (("A", a), ("B", b)):
            rows.append((unit, coder, ""))
            if said == "yes":
                rows.append((unit, coder, "kepercayaan"))
            if i < 10:
                rows.append((unit, coder, "komunikasi"))
    return rows


def test_agreement_table_reproduces_grant_example_per_code(tmp_path):
    """Presence of one code on 50 units reproduces Cohen's 2x2 grant-proposal table (Wikipedia "Cohen's kappa"):
    kappa 0.4, percent agreement 0.70, Brennan-Prediger (q = 2) 0.4. A code nobody used has percent agreement 1 but
    kappa and alpha undefined, with the reason; perfect agreement on a code both used gives kappa 1."""
    table = ag.read_agreement_csv(write_long_csv(tmp_path / "codings.csv", grant_long_rows()))
    df = ag.agreement_table(table, codes=["kepercayaan", "kekeluargaan", "komunikasi"])
    rows = df.set_index("code")

    trust = rows.loc["kepercayaan"]
    assert trust["units"] == 50 and trust["units_pairable"] == 50
    assert trust["cohen_kappa"] == pytest.approx(0.4)
    assert trust["percent_agreement"] == pytest.approx(0.70)
    assert trust["brennan_prediger"] == pytest.approx(0.4)
    a, b = zip(*grant_table_rows(), strict=True)
    expected_alpha = ag.krippendorff_alpha([list(a), list(b)]).value
    assert trust["krippendorff_alpha"] == pytest.approx(expected_alpha)
    assert trust["kappa_reading"] == "fair" and trust["note"] == ""

    unused = rows.loc["kekeluargaan"]  # nobody applied it: listed apart, with the degenerate values it would have
    assert unused["scope"] == "unused" and "left out of the pooled and mean rows" in unused["note"]
    assert unused["percent_agreement"] == 1.0 and unused["brennan_prediger"] == 1.0
    assert math.isnan(unused["cohen_kappa"]) and unused["kappa_reading"] == "undefined"
    assert math.isnan(unused["krippendorff_alpha"]) and unused["alpha_reading"] == "undefined"
    assert list(df["scope"]) == ["code", "code", "pooled", "mean", "unused"]

    assert rows.loc["komunikasi", "cohen_kappa"] == pytest.approx(1.0)
    assert rows.loc["komunikasi", "krippendorff_alpha"] == pytest.approx(1.0)


def test_pooled_and_mean_rows(tmp_path):
    """Pooled = every (unit, code) decision is one case: kappa of the 2x2 tables summed over codes, alpha over all
    decisions; the mean row averages the codes where a value is defined."""
    table = ag.read_agreement_csv(write_long_csv(tmp_path / "codings.csv", grant_long_rows()))
    codes = ["kepercayaan", "kekeluargaan", "komunikasi"]
    df = ag.agreement_table(table, codes=codes)
    pooled = df[df["scope"] == "pooled"].iloc[0]
    summed = np.array([[20, 5], [10, 15]]) + np.array([[10, 0], [0, 40]])  # kekeluargaan: nobody applied it
    assert pooled["cohen_kappa"] == pytest.approx(ag.cohen_kappa_table(summed).value)
    assert pooled["units"] == 100

    a, b = zip(*grant_table_rows(), strict=True)
    presence = {
        "kepercayaan": ([x == "yes" for x in a], [x == "yes" for x in b]),
        "komunikasi": ([i < 10 for i in range(50)], [i < 10 for i in range(50)]),
    }
    applied = ["kepercayaan", "komunikasi"]
    coder_a = [v for c in applied for v in presence[c][0]]
    coder_b = [v for c in applied for v in presence[c][1]]
    assert pooled["krippendorff_alpha"] == pytest.approx(ag.krippendorff_alpha([coder_a, coder_b]).value)
    assert pooled["percent_agreement"] == pytest.approx(ag.percent_agreement([coder_a, coder_b]).value)

    mean = df[df["scope"] == "mean"].iloc[0]
    per_code = df[df["scope"] == "code"]
    assert mean["cohen_kappa"] == pytest.approx(per_code["cohen_kappa"].mean())  # (0.4 + 1) / 2
    assert mean["percent_agreement"] == pytest.approx(per_code["percent_agreement"].mean())
    assert "kappa 2/2" in mean["note"]
    # with the unused code the pooled figures would have been pulled up
    with_unused = ag.agreement_table(table, codes=codes)
    assert with_unused.loc[with_unused["scope"] == "unused", "code"].tolist() == ["kekeluargaan"]
    assert df.attrs["references"]["kappa_reading"] == ag.LANDIS_KOCH_1977
    assert df.attrs["references"]["alpha_reading"] == ag.KRIPPENDORFF_2004


def test_missing_units_are_missing_data_for_alpha_and_dropped_for_pairwise():
    """The Krippendorff (2011) data as code presence (code "v" = value v; a coder without a value did not see the
    unit). Per code, alpha must equal the coincidence-matrix alpha of the binary coders x units matrix with the same
    missing cells; pairwise statistics use only units 2-9, which all four observers saw."""
    data = load_reliability("krippendorff_2011.csv")
    coders = ["A", "B", "C", "D"]
    rows = [(f"u{u + 1}", coders[k], str(v)) for k, row in enumerate(data) for u, v in enumerate(row)
            if v is not None]
    result = ag.agreement(rows, codes=["1", "2", "3", "4", "5", "6"])
    for ca in result.per_code:
        binary = [[None if v is None else int(str(v) == ca.code) for v in row] for row in data]
        expected = ag.krippendorff_alpha(binary)
        assert ca.krippendorff_alpha.value == pytest.approx(expected.value)
        assert ca.units == 8 and ca.units_pairable == 11
        assert ca.percent_agreement.value == pytest.approx(ag.percent_agreement(binary).value)
        assert ca.cohen_kappa is None  # four coders
    assert [c.code for c in result.unused] == ["6"]  # nobody used it: listed apart
    assert result.unused[0].krippendorff_alpha.value is None
    # Selecting two coders restricts everything to them; kappa appears.
    ab = ag.agreement(rows, coders=["A", "B"], codes=["1", "2", "3"])
    assert ab.per_code[0].cohen_kappa is not None
    assert ab.per_code[0].units == 9  # A and B both gave a value to units 1-9


def random_long_table(seed: int, n_units: int, coders: list[str], codes: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        for k in coders:
            if rng.random() < 0.2:
                continue  # this coder did not see the unit
            rows.append((f"u{u}", k, None))
            rows += [(f"u{u}", k, c) for c in codes if rng.random() < 0.3]
    return pd.DataFrame(rows, columns=["unit", "coder", "code"])


def presence_matrix(df: pd.DataFrame, coders: list[str], code: str) -> list[list[int | None]]:
    """Coders x units 0/1 matrix with None where the coder did not see the unit (built row by row, no numpy)."""
    units = list(dict.fromkeys(df["unit"]))
    seen = {(u, k) for u, k in zip(df["unit"], df["coder"], strict=True)}
    applied = {(u, k) for u, k, c in zip(df["unit"], df["coder"], df["code"], strict=True) if c == code}
    return [[(1 if (u, k) in applied else 0) if (u, k) in seen else None for u in units] for k in coders]


@pytest.mark.parametrize(("seed", "coders"), [(1, ["A", "B"]), (2, ["A", "B", "C"]), (3, ["A", "B", "C", "D"])])
def test_unit_model_matches_generic_statistics(seed, coders):
    """The vectorised presence computation equals the generic statistics on explicit presence matrices."""
    codes = ["x", "y", "z"]
    df = random_long_table(seed, 60, coders, codes)
    result = ag.agreement(df, codes=codes)
    for ca in result.per_code:
        matrix = presence_matrix(df, coders, ca.code)
        assert ca.krippendorff_alpha.value == pytest.approx(ag.krippendorff_alpha(matrix).value)
        assert ca.percent_agreement.value == pytest.approx(ag.percent_agreement(matrix).value)
        assert ca.brennan_prediger.value == pytest.approx(ag.brennan_prediger(matrix, q=2).value)
        if len(coders) == 2:
            assert ca.cohen_kappa.value == pytest.approx(ag.cohen_kappa(matrix).value)
    pooled_matrix = [sum((presence_matrix(df, coders, c)[k] for c in codes), []) for k in range(len(coders))]
    assert result.pooled.krippendorff_alpha.value == pytest.approx(ag.krippendorff_alpha(pooled_matrix).value)
    assert result.pooled.percent_agreement.value == pytest.approx(ag.percent_agreement(pooled_matrix).value)


def test_disagreements_lists_units_where_seeing_coders_differ():
    rows = [
        ("s1", "A", "trust"), ("s1", "B", "trust"),                  # agree
        ("s2", "A", "trust"), ("s2", "B", None), ("s2", "C", "trust"),  # B differs
        ("s3", "A", "open"), ("s3", "C", None),                      # B did not see s3
        ("s4", "A", "open"),                                         # only A saw s4: cannot disagree
        ("s1", "C", "trust"), ("s1", "C", "open"),
    ]
    out = ag.disagreements(rows)
    got = [tuple(r) for r in out[["unit", "code", "applied_by", "not_applied_by"]].itertuples(index=False)]
    assert got == [("s1", "open", "C", "A, B"), ("s2", "trust", "A, C", "B"), ("s3", "open", "A", "C")]
    assert ag.disagreements(rows, coders=["A", "B"])["unit"].tolist() == ["s2"]


def test_reference_scores_match_precision_recall_f1():
    codes = ["x", "y", "z"]
    df = random_long_table(5, 80, ["auto", "human"], codes)
    scores = ag.reference_scores(df, "human", codes=codes + ["unused"])
    assert set(scores["coder"]) == {"auto"}
    for code in codes:
        auto, human = presence_matrix(df, ["auto", "human"], code)
        expected = ag.precision_recall_f1(auto, human)
        row = scores[scores["code"] == code].iloc[0]
        assert (row["tp"], row["fp"], row["fn"]) == (expected.tp, expected.fp, expected.fn)
        assert row["f1"] == pytest.approx(expected.f1.value)
        assert row["precision"] == pytest.approx(expected.precision.value)
    unused = scores[scores["code"] == "unused"].iloc[0]
    assert math.isnan(unused["f1"]) and "no positives" in unused["note"]
    pooled = scores[scores["code"] == ag.POOLED].iloc[0]
    per_code = scores[scores["code"].isin(codes)]
    assert pooled["tp"] == per_code["tp"].sum()
    with pytest.raises(NotFound, match="reference coder"):
        ag.reference_scores(df, "nobody")


def test_unit_model_errors():
    with pytest.raises(InputError, match="at least two coders"):
        ag.agreement([("s1", "A", "x"), ("s2", "A", None)])
    with pytest.raises(NotFound, match="coder 'Z'"):
        ag.agreement([("s1", "A", "x"), ("s1", "B", None)], coders=["A", "Z"])
    with pytest.raises(InputError, match="no codes"):
        ag.agreement([("s1", "A", None), ("s1", "B", "")])
    with pytest.raises(InputError, match="expected \\(unit, coder, code\\)"):
        ag.agreement([("s1", "A")])
    with pytest.raises(InputError, match="empty coder"):
        ag.agreement(pd.DataFrame({"unit": ["s1", "s1"], "coder": ["A", None], "code": ["x", "x"]}))


# --------------------------------------------------------------------------- character units


def per_character(intervals, doc_lengths, codes, seen=None):
    """Reference implementation: one array entry per character (fine for tiny documents)."""
    out = {}
    for code in codes:
        rows = []
        for coder, spans in intervals.items():
            row = []
            for doc, length in doc_lengths.items():
                marks = np.zeros(length, dtype=object)
                for d, s, e, c in spans:
                    if d == doc and c == code:
                        marks[s:e] = 1
                if seen is not None and doc not in seen.get(coder, doc_lengths):
                    marks[:] = None
                row += list(marks)
            rows.append(row)
        out[code] = rows
    return out


def test_character_units_hand_example():
    """Document of 10 characters: A codes 0-5 (and, overlapping, 2-4), B codes 3-8. Per character: A only 3,
    both 2, B only 3, neither 2 -> percent agreement 4/10; p_A = p_B = 1/2 so p_e = 1/2 and
    kappa = (0.4 - 0.5) / 0.5 = -0.2 (poor)."""
    intervals = {"A": [("d1", 0, 5, "trust"), ("d1", 2, 4, "trust")], "B": [("d1", 3, 8, "trust")]}
    result = ag.agreement(ag.presence_from_intervals(intervals, {"d1": 10}))
    trust = result.per_code[0]
    assert trust.units == 10
    assert trust.percent_agreement.value == pytest.approx(0.4)
    assert trust.cohen_kappa.value == pytest.approx(-0.2)
    assert trust.cohen_kappa.reading == "poor"
    spans = ag.disagreements(ag.presence_from_intervals(intervals, {"d1": 10}))
    got = [tuple(r) for r in spans[["doc", "start", "end", "applied_by"]].itertuples(index=False)]
    assert got == [("d1", 0, 3, "A"), ("d1", 5, 8, "B")]  # adjacent segments merged into spans


def test_character_units_match_per_character_computation():
    rng = np.random.default_rng(11)
    docs = {"d1": 37, "d2": 0, "d3": 51}
    codes = ["trust", "open", "kin"]
    intervals = {}
    for coder in ("A", "B", "C"):
        spans = []
        for doc, length in docs.items():
            for _ in range(int(rng.integers(0, 5)) if length else 0):
                s = int(rng.integers(0, length))
                spans.append((doc, s, int(rng.integers(s, length + 1)), codes[int(rng.integers(0, 2))]))
        intervals[coder] = spans
    seen = {"C": ["d1"]}  # C did not see d3
    result = ag.agreement(ag.presence_from_intervals(intervals, docs, codes=codes, seen=seen))
    reference = per_character(intervals, docs, codes, seen)
    for ca in result.per_code:
        matrix = reference[ca.code]
        assert ca.units == 37 and ca.units_pairable == 88
        for mine, generic in ((ca.krippendorff_alpha, ag.krippendorff_alpha(matrix)),
                              (ca.percent_agreement, ag.percent_agreement(matrix)),
                              (ca.brennan_prediger, ag.brennan_prediger(matrix, q=2))):
            assert (mine.value is None) == (generic.value is None)
            if generic.value is not None:
                assert mine.value == pytest.approx(generic.value)


def test_character_interval_errors():
    with pytest.raises(InputError, match="outside document 'd1'"):
        ag.presence_from_intervals({"A": [("d1", 5, 12, "x")], "B": []}, {"d1": 10})
    with pytest.raises(NotFound, match="'d9'"):
        ag.presence_from_intervals({"A": [("d9", 0, 1, "x")], "B": []}, {"d1": 10})
    with pytest.raises(InputError, match="at least two coders"):
        ag.presence_from_intervals({"A": []}, {"d1": 10})


# --------------------------------------------------------------------------- CSV input


def test_read_agreement_csv_accepts_bom_extra_columns_and_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffCoder,Unit,note,Code\nA,s1,x,trust\n\nB,s1,, \n".encode())
    df = ag.read_agreement_csv(path)
    assert df.to_dict("records") == [{"unit": "s1", "coder": "A", "code": "trust"},
                                     {"unit": "s1", "coder": "B", "code": None}]


@pytest.mark.parametrize(("content", "message"), [
    ("unit,coder\ns1,A\n", ":1: code: column missing from the header"),
    ("unit,coder,code\ns1,A,trust\n,B,trust\n", ":3: unit: empty"),
    ("unit,coder,code\ns1,,trust\n", ":2: coder: empty"),
    ("unit,coder,code\ns1,A,trust,extra\n", ":2: expected 3 fields"),
    ("unit,coder,code,code\ns1,A,x,y\n", ":1: code: column named twice"),
    ("", ":1: empty file"),
    ("unit,coder,code\n", ":2: no data rows"),
])
def test_read_agreement_csv_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        ag.read_agreement_csv(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_read_agreement_csv_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("unit,coder,code\ns1,A,kepercayaan\ns2,A,kebersamaan\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.csv:3: not UTF-8"):
        ag.read_agreement_csv(path)
    with pytest.raises(InputError, match="cannot read file"):
        ag.read_agreement_csv(tmp_path / "nope.csv")
