"""Questionnaire responses and factor scores: pure functions over pandas.

The score of a factor is the study's percent of maximum::

    percent = score obtained / maximum possible score x 100

where *score obtained* sums the (reverse-scored where the instrument says so) answers of every respondent to
every item of the factor, and *maximum possible* is the number of answers counted times the scale maximum.
The overall score pools the items the instrument names for it the same way; it is not the mean of the factor
percentages. Each score is labelled with a category scale (see :mod:`tematik.instrument`).

Blank answers follow a policy chosen when responses are read:

- ``error``: a blank answer is a problem; nothing is returned.
- ``skip``: blank answers count neither in the score nor in the maximum (the percentage is over answers given).
- ``mean``: a blank answer is replaced by the respondent's mean on the other items of the same factor (after
  reverse scoring), so it counts in both; a respondent who answered none of a factor's items is a problem.

This module imports pandas at the top: the CLI imports it inside the commands that need it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tematik.corpus import TABLE_SUFFIXES, read_bytes, read_rows
from tematik.errors import InstrumentError
from tematik.instrument import CategoryScale, Factor, Instrument, ResponseScale, problems_error

MISSING_POLICIES = ("error", "skip", "mean")
DEFAULT_ID_COLUMN = "respondent"
BLANK_GROUP = "(blank)"

SCORE_COLUMNS = ("factor", "name", "group", "items", "n", "score", "max", "percent", "category", "pomp", "mean",
                 "sd", "alpha", "alpha_low", "alpha_high", "alpha_note")
RESPONDENT_COLUMNS = ("respondent", "factor", "name", "group", "score", "max", "percent", "category", "pomp",
                      "mean")

#: Below these, Cronbach's alpha is printed with a caveat (see :func:`alpha_caveat`).
ALPHA_MIN_RESPONDENTS = 30
ALPHA_MIN_ITEMS = 3
FELDT_1965 = (
    "Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability coefficient "
    "twenty. Psychometrika, 30(3), 357-370."
)
PERCENT_NOTE = ("percent = percent of maximum, score obtained / (answers x scale maximum) x 100 (the lowest "
                "reachable value is min/max x 100); pomp = POMP, percent of maximum possible, (mean item score - scale "
                "min) / (scale max - scale min) x 100 (0 at the lowest answer, 100 at the highest)")


# --------------------------------------------------------------------------- reading tables


@dataclass(frozen=True)
class Table:
    """A responses sheet as read: header cells and data rows (text cells) with their line or sheet-row numbers."""

    path: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[Any, ...]], ...]


def read_table(path: str | Path) -> Table:
    """Read a ``.csv`` (UTF-8, else cp1252; comma, semicolon or tab separated) or ``.xlsx`` (first sheet)
    responses table with :func:`tematik.corpus.read_rows`: the first non-blank row is the header, line numbers
    are those a person sees in an editor or spreadsheet."""
    p = Path(path)
    if p.suffix.lower() not in TABLE_SUFFIXES:
        raise InstrumentError(f"unsupported responses file type '{p.suffix}' (use {' or '.join(TABLE_SUFFIXES)})",
                              path=str(path))
    data = read_bytes(p, error=InstrumentError)
    header, rows = read_rows(p, data)
    return Table(str(path), tuple(header), tuple((line, tuple(cells)) for line, cells in rows))


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True, eq=False)
class Responses:
    """Validated answers to an instrument.

    ``answers``: one row per respondent (index: respondent id), one float column per item in instrument order,
    as answered (not reverse-scored), NaN where blank. ``attributes``: the same index, one text column per
    attribute column present in the table.
    """

    instrument: Instrument
    answers: pd.DataFrame
    attributes: pd.DataFrame
    missing: str = "error"
    path: str | None = None

    @property
    def respondents(self) -> list[str]:
        return list(self.answers.index)


def _blank(cell: Any) -> bool:
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    return isinstance(cell, str) and cell.strip() == ""


def _text(cell: Any) -> str:
    if _blank(cell):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def _answer(cell: Any, lo: int, hi: int) -> tuple[float | None, str | None]:
    """(value, None) for a valid answer, (None, None) for a blank, (None, message) for a bad cell."""
    if _blank(cell):
        return None, None
    if isinstance(cell, bool):
        return None, f"'{cell}' is not a number on the scale {lo}-{hi}"
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        text = str(cell).strip()
        try:
            value = float(text.replace(",", ".") if _DECIMAL_COMMA.fullmatch(text) else text)
        except ValueError:
            return None, f"'{text}' is not a number on the scale {lo}-{hi}"
    if not math.isfinite(value):
        return None, f"'{cell}' is not a number on the scale {lo}-{hi}"
    if not value.is_integer():
        return None, f"{value:g} is not a whole number on the scale {lo}-{hi}"
    if not lo <= value <= hi:
        return None, f"{value:g} is outside the scale {lo}-{hi}"
    return value, None


def _validate(table: Table, instrument: Instrument, id_column: str, missing: str) -> tuple[
        Responses | None, list[InstrumentError]]:
    path = table.path
    problems: list[InstrumentError] = []

    def problem(line: int | None, column: str | None, message: str) -> None:
        problems.append(InstrumentError(message, path=path, line=line, field=column))

    if missing not in MISSING_POLICIES:
        problem(None, "missing", f"unknown policy '{missing}' (use {', '.join(MISSING_POLICIES)})")
        return None, problems

    items = instrument.item_ids
    item_factor = {i: f.id for f in instrument.factors for i in f.item_ids}
    known = set(items) | set(instrument.attributes) | {id_column}
    columns: dict[str, int] = {}
    for index, name in enumerate(table.header):
        if name == "":
            if any(index < len(cells) and not _blank(cells[index]) for _, cells in table.rows):
                problem(1, f"column {index + 1}", "has answers but no name in the header")
            continue
        if name in columns:
            problem(1, name, f"appears twice in the header (columns {columns[name] + 1} and {index + 1})")
            continue
        columns[name] = index
        if name not in known:
            attrs = ", ".join(instrument.attributes) or "none declared"
            problem(1, name, f"is not an item of instrument '{instrument.id}' nor a respondent attribute "
                             f"(attributes: {attrs})")
    if id_column not in columns:
        problem(1, id_column, "no such column for the respondent ids (choose the id column)")
    for item in items:
        if item not in columns:
            problem(1, item, f"missing column for item '{item}' of factor '{item_factor[item]}'")
    if problems:
        return None, problems

    lo, hi = instrument.scale.min, instrument.scale.max
    attribute_columns = [a for a in instrument.attributes if a in columns]
    seen: dict[str, int] = {}
    ids: list[str] = []
    values: list[list[float]] = []
    attributes: list[list[str]] = []
    for line, cells in table.rows:
        if all(_blank(cell) for cell in cells):
            continue
        if len(cells) > len(table.header) and any(not _blank(c) for c in cells[len(table.header):]):
            problem(line, None, f"has {len(cells)} cells but the header names {len(table.header)} columns")
            continue

        def cell(name: str, cells: tuple[Any, ...] = cells) -> Any:
            index = columns[name]
            return cells[index] if index < len(cells) else None

        respondent = _text(cell(id_column))
        if respondent == "":
            problem(line, id_column, "blank respondent id")
        elif respondent in seen:
            problem(line, id_column, f"duplicate respondent '{respondent}' (first on line {seen[respondent]})")
        else:
            seen[respondent] = line
        row: list[float] = []
        for item in items:
            value, message = _answer(cell(item), lo, hi)
            if message:
                problem(line, item, message)
            elif value is None and missing == "error":
                problem(line, item, "blank answer (blank answers are refused: use missing=skip or mean)")
            row.append(math.nan if value is None else value)
        if missing == "mean":
            for factor in instrument.factors:
                if all(math.isnan(row[items.index(i)]) for i in factor.item_ids) and not any(
                        p.line == line and p.field in factor.item_ids for p in problems):
                    problem(line, factor.id, f"no answer to any item of factor '{factor.id}' "
                                             "(missing=mean has nothing to average)")
        ids.append(respondent)
        values.append(row)
        attributes.append([_text(cell(a)) for a in attribute_columns])
    if not problems and not ids:
        problem(2, None, "no respondents: the table has a header but no answers")
    if problems:
        return None, problems
    index = pd.Index(ids, name="respondent", dtype=object)
    answers = pd.DataFrame(values, index=index, columns=list(items), dtype=float)
    attrs = pd.DataFrame(attributes, index=index, columns=attribute_columns, dtype=object)
    return Responses(instrument, answers, attrs, missing, path), []


def check_responses(path: str | Path, instrument: Instrument, *, id_column: str = DEFAULT_ID_COLUMN,
                    missing: str = "error") -> list[InstrumentError]:
    """Every problem of a responses file against ``instrument``; an empty list means it reads cleanly."""
    try:
        table = read_table(path)
    except InstrumentError as exc:
        return [exc]
    return _validate(table, instrument, id_column, missing)[1]


def read_responses(path: str | Path, instrument: Instrument, *, id_column: str = DEFAULT_ID_COLUMN,
                   missing: str = "error") -> Responses:
    """Read and validate a responses table. On any problem raises InstrumentError naming the first (file:line:
    column: message; ``.problems`` holds all of them) and returns nothing."""
    return responses_from_table(read_table(path), instrument, id_column=id_column, missing=missing)


def responses_from_table(table: Table, instrument: Instrument, *, id_column: str = DEFAULT_ID_COLUMN,
                         missing: str = "error") -> Responses:
    responses, problems = _validate(table, instrument, id_column, missing)
    if problems:
        raise problems_error(problems)
    assert responses is not None
    return responses


# --------------------------------------------------------------------------- scoring


def reverse_scored(responses: Responses) -> pd.DataFrame:
    """The answers with reverse-scored items turned round (``min + max - answer``); blanks stay NaN."""
    scale = responses.instrument.scale
    out = responses.answers.copy()
    for item in responses.instrument.reverse_items:
        out[item] = scale.reverse(out[item])
    return out


def scored_items(responses: Responses) -> pd.DataFrame:
    """The item scores that enter the factor scores: reverse-scored, and with blanks filled under
    ``missing=mean`` (the respondent's mean on the factor's other items)."""
    scores = reverse_scored(responses)
    if responses.missing == "error" and scores.isna().any().any():
        raise InstrumentError("there are blank answers; score them with missing=skip or missing=mean",
                              path=responses.path, field="missing")
    if responses.missing == "mean":
        for factor in responses.instrument.factors:
            cols = list(factor.item_ids)
            block = scores[cols]
            scores[cols] = block.apply(lambda column, means=block.mean(axis=1): column.fillna(means))
    return scores


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the item columns over the rows with no blank (listwise):
    ``k / (k - 1) x (1 - sum of item variances / variance of the total)``. NaN for fewer than 2 items or 2 rows
    or a constant total."""
    data = pd.DataFrame(items).dropna()
    k = data.shape[1]
    if k < 2 or len(data) < 2:
        return math.nan
    total_variance = data.sum(axis=1).var(ddof=1)
    if not total_variance > 0:
        return math.nan
    return k / (k - 1) * (1 - data.var(ddof=1).sum() / total_variance)


def alpha_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) confidence interval for Cronbach's alpha of ``k`` items over ``n`` respondents:
    ``(1 - alpha) / (1 - alpha_hat)`` follows F(n - 1, (n - 1)(k - 1)). NaN bounds when it cannot be formed."""
    if alpha is None or math.isnan(alpha) or n < 2 or k < 2 or not 0 < level < 1:
        return math.nan, math.nan
    from scipy.stats import f

    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    return (float(1 - (1 - alpha) * f.ppf(1 - tail, df1, df2)), float(1 - (1 - alpha) * f.ppf(tail, df1, df2)))


def alpha_caveat(alpha: float, n: int, k: int) -> str:
    """Why an alpha should not be read at face value ("" when nothing to say): fewer than
    ``ALPHA_MIN_RESPONDENTS`` respondents, fewer than ``ALPHA_MIN_ITEMS`` items, or a negative value."""
    notes = []
    if k < 2:
        return "one item: no alpha"
    if n < 2 or alpha is None or math.isnan(alpha):
        return f"n = {n}: alpha cannot be computed" if n < 2 else "alpha undefined (no variance in the total)"
    if n < ALPHA_MIN_RESPONDENTS:
        notes.append(f"only {n} respondents (< {ALPHA_MIN_RESPONDENTS}): too few to read alpha; see its CI")
    if k < ALPHA_MIN_ITEMS:
        notes.append(f"only {k} items: alpha of so few items is unstable")
    if alpha < 0:
        notes.append("negative: the items do not covary positively (check reverse scoring)")
    return "; ".join(notes)


def _factor_row(factor: Factor, scores: pd.DataFrame, raw: pd.DataFrame, scale: ResponseScale,
                categories: CategoryScale, lang: str) -> dict[str, Any]:
    cols = list(factor.item_ids)
    block = scores[cols]
    answered = block.notna()
    cells = int(answered.to_numpy().sum())
    present = answered.any(axis=1)
    obtained = float(block.sum().sum())
    maximum = cells * scale.max
    percent = 100 * obtained / maximum if maximum else math.nan
    mean = obtained / cells if cells else math.nan
    pomp = 100 * (mean - scale.min) / (scale.max - scale.min) if cells else math.nan
    respondent_means = block[present].mean(axis=1)
    alpha = cronbach_alpha(raw[cols])
    complete = int(raw[cols].notna().all(axis=1).sum())
    low, high = alpha_ci(alpha, complete, len(cols))
    return {
        "factor": factor.id,
        "name": factor.name(lang),
        "group": factor.group,
        "items": len(cols),
        "n": int(present.sum()),
        "score": obtained,
        "max": maximum,
        "percent": percent,
        "pomp": pomp,
        "category": "" if math.isnan(percent) else categories.label(
            categories.value(percent=percent, pomp=pomp, mean=mean), lang),
        "mean": mean,
        "sd": float(respondent_means.std(ddof=1)) if len(respondent_means) > 1 else math.nan,
        "alpha": alpha,
        "alpha_low": low,
        "alpha_high": high,
        "alpha_note": alpha_caveat(alpha, complete, len(cols)),
    }


def _groups(responses: Responses, by: str | None) -> list[tuple[str | None, pd.Index]]:
    if by is None:
        return [(None, responses.answers.index)]
    if by not in responses.attributes.columns:
        known = ", ".join(responses.attributes.columns) or "none"
        raise InstrumentError(f"unknown respondent attribute '{by}' (known: {known})", field="by")
    values = responses.attributes[by].replace("", BLANK_GROUP)
    return [(value, values.index[values == value]) for value in values.unique()]


def score(responses: Responses, *, by: str | None = None, scale: CategoryScale | None = None,
          lang: str = "id") -> pd.DataFrame:
    """One row per factor (then the overall score), or per attribute value and factor with ``by``.

    Columns: ``factor, name, group, items`` (number of items), ``n`` (respondents who answered at least one
    item), ``score`` (obtained), ``max`` (possible), ``percent`` (of maximum, full precision), ``category``
    (label of ``scale``, default the instrument's), ``mean`` (item score), ``sd`` (of respondents' mean item
    scores), ``alpha`` (Cronbach's, over respondents who answered every item; NaN for one item). With ``by``
    the first column is the attribute.
    """
    instrument = responses.instrument
    categories = scale or instrument.categories
    scores = scored_items(responses)
    raw = reverse_scored(responses)
    rows = []
    for value, index in _groups(responses, by):
        for factor in instrument.scored:
            row = _factor_row(factor, scores.loc[index], raw.loc[index], instrument.scale, categories, lang)
            rows.append({by: value, **row} if by else row)
    columns = ([by] if by else []) + list(SCORE_COLUMNS)
    return pd.DataFrame(rows, columns=columns)


def respondent_scores(responses: Responses, *, scale: CategoryScale | None = None,
                      lang: str = "id") -> pd.DataFrame:
    """One row per respondent and factor: the respondent's attributes the instrument declares, then ``factor,
    name, group, score, max, percent, category, mean`` computed as in :func:`score` over the respondent's
    answers."""
    instrument = responses.instrument
    categories = scale or instrument.categories
    scores = scored_items(responses)
    attribute_names = [a for a in instrument.attributes if a in responses.attributes.columns]
    rows = []
    for respondent in scores.index:
        attrs = {a: responses.attributes.at[respondent, a] for a in attribute_names}
        for factor in instrument.scored:
            values = scores.loc[respondent, list(factor.item_ids)]
            cells = int(values.notna().sum())
            obtained = float(values.sum())
            maximum = cells * instrument.scale.max
            percent = 100 * obtained / maximum if maximum else math.nan
            mean = obtained / cells if cells else math.nan
            s = instrument.scale
            pomp = 100 * (mean - s.min) / (s.max - s.min) if cells else math.nan
            rows.append({
                "respondent": respondent, **attrs, "factor": factor.id, "name": factor.name(lang),
                "group": factor.group, "score": obtained, "max": maximum, "percent": percent, "pomp": pomp,
                "category": "" if math.isnan(percent) else categories.label(
                    categories.value(percent=percent, pomp=pomp, mean=mean), lang),
                "mean": mean,
            })
    columns = ["respondent", *attribute_names, *RESPONDENT_COLUMNS[1:]]
    return pd.DataFrame(rows, columns=columns)


def method_notes(responses: Responses, scale: CategoryScale | None = None) -> list[str]:
    """Sentences describing how the scores were computed, for a report's method section."""
    instrument = responses.instrument
    categories = scale or instrument.categories
    s = instrument.scale
    policy = {
        "error": "no blank answers were accepted",
        "skip": "blank answers were left out of both the score obtained and the maximum possible",
        "mean": "a blank answer was replaced by the respondent's mean on the other items of the same factor",
    }[responses.missing]
    reverse = sorted(instrument.reverse_items)
    return [
        f"{len(responses.answers)} respondents answered {len(instrument.items)} items on a {s.min}-{s.max} scale "
        f"grouped in {len(instrument.factors)} factors.",
        "Each factor is scored as its percent of maximum, score obtained / maximum possible score x 100 (the "
        f"lowest reachable value is {s.floor_percent:g}%), and as its POMP score, (mean item score - {s.min}) / "
        f"({s.max} - {s.min}) x 100 (0 to 100).",
        f"Reverse-scored items ({len(reverse)}: {', '.join(reverse) or 'none'}) count as {s.min} + {s.max} - answer.",
        f"Overall score ({instrument.overall.id}): {instrument.overall_method()}." if instrument.overall
        else "No overall score is defined.",
        f"Blank answers: {policy}.",
        f"Categories ({categories.name}): {categories.describe('id')}. Source: {categories.source}",
        categories.readings_note("id"),
        "Cronbach's alpha is computed per factor over the respondents who answered all of its items, with "
        f"Feldt's 95% confidence interval ({FELDT_1965}); it is flagged when fewer than {ALPHA_MIN_RESPONDENTS} "
        f"respondents or fewer than {ALPHA_MIN_ITEMS} items stand behind it, or when it is negative.",
    ]
