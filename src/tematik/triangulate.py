"""Triangulation of themes with questionnaire factors: joint displays and convergence codes. Pure functions.

Two joint displays after Guetterman, Fetters & Creswell (2015):

- the *side-by-side* display (:func:`joint_display`): one row per theme -- who voiced it, how often, in which
  kind of data, exemplar quotes -- next to the scores of the questionnaire factors it links to, a convergence
  code with its reason in words, and the researcher's meta-inference; then one row per factor no theme links to;
- *statistics by themes* (:func:`by_theme`): for participants who also answered the questionnaire, each linked
  factor's score among those who voiced the theme against those who did not.

Convergence codes follow the convergence coding scheme of the triangulation protocol of Farmer, Robinson,
Elliott & Eyles (2006): *agreement*, *partial agreement*, *silence* and *dissonance*. Farmer et al. compare
qualitative data sets on two elements, the meaning and the prominence of a theme; here one side is a theme and
the other the questionnaire factors it links to, so the elements are read as follows (see :class:`Rules`):

- **direction** (meaning): does each linked factor's score read the way the link expects, given the theme's
  polarity? A factor reads as its category reads in the instrument's category scale (each band is positive,
  mixed or negative: declared in the instrument, or from the order of the bands when it declares none); a factor
  that reads *mixed* is not tested. ``Rules.positive_categories`` (``--positive``) overrides the scale: the
  categories named read positive and every other negative. The theme reads
  *negative* when more than ``Rules.negative_share`` of its units are negative-polarity (unless polarity is
  ignored). A ``positive`` link expects the factor to read as the theme does, a ``negative`` link the opposite;
  ``mixed`` or unspecified links expect nothing and are not tested.
- **prominence**: is the theme voiced by at least ``Rules.prominence`` percent of the participants who could
  speak?

The rules, applied in this order:

1. *silence*: one side says nothing -- the theme was coded in no unit (with the counted statuses), or it links
   to no factor with a score; a factor that no theme links to is silence too.
2. *partial agreement* when no link has an expected direction (only prominence can be judged).
3. *agreement*: the theme is prominent and every tested link agrees in direction.
4. *dissonance*: the theme is prominent and no tested link agrees.
5. *partial agreement*: everything else -- some links agree and some do not, or the direction agrees (or
   disagrees) but the theme is not prominent.

A researcher may override any computed code (kept apart from the computed one and shown distinctly) and writes
the meta-inference; both come from the store and are only displayed here.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tematik.corpus import read_bytes
from tematik.errors import InputError
from tematik.models import FACTOR_DIRECTIONS

FARMER_2006 = (
    "Farmer, T., Robinson, K., Elliott, S. J., & Eyles, J. (2006). Developing and implementing a triangulation "
    "protocol for qualitative health research. Qualitative Health Research, 16(3), 377-394."
)
GUETTERMAN_2015 = (
    "Guetterman, T. C., Fetters, M. D., & Creswell, J. W. (2015). Integrating quantitative and qualitative results "
    "in health science mixed methods research through joint displays. Annals of Family Medicine, 13(6), 554-561. "
    "https://doi.org/10.1370/afm.1865"
)

AGREEMENT = "agreement"
PARTIAL = "partial agreement"
SILENCE = "silence"
DISSONANCE = "dissonance"
CONVERGENCE_CODES = (AGREEMENT, PARTIAL, SILENCE, DISSONANCE)
_ALIASES = {"partial": PARTIAL, "partial_agreement": PARTIAL, "partial-agreement": PARTIAL, "agree": AGREEMENT,
            "silent": SILENCE, "dissonant": DISSONANCE}


JOINT_COLUMNS = ["kind", "theme", "name", "participants", "participants_total", "participants_pct", "units",
                 "negative_units", "negative_share", "methods", "quotes", "factors", "computed", "override",
                 "convergence", "reason", "override_note", "meta_inference"]
LINK_COLUMNS = ["theme", "factor", "factor_name", "group", "percent", "category", "reading", "direction",
                "expected", "agrees", "source", "rationale"]
BY_THEME_COLUMNS = ["theme", "factor", "direction", "measure", "voiced_n", "voiced_median", "voiced_mean",
                    "not_voiced_n", "not_voiced_median", "not_voiced_mean", "difference", "u", "p_value", "p_holm",
                    "effect",
                    "effect_low", "effect_high", "fits_direction", "note", "p_method"]


def normalise_convergence(value: str, *, field: str = "--convergence") -> str:
    """The canonical code for ``value`` (case-insensitive; ``partial`` means partial agreement)."""
    text = " ".join(str(value).strip().lower().replace("_", " ").split())
    text = _ALIASES.get(text.replace(" ", "_"), _ALIASES.get(text, text))
    if text not in CONVERGENCE_CODES:
        raise InputError(f"unknown convergence code {value!r}; use one of: {', '.join(CONVERGENCE_CODES)}",
                         field=field)
    return text


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    """The configurable rules that compute a convergence code.

    ``prominence``: percent of the participants who could speak that must voice a theme for it to count as
    prominent (``>=``). ``positive_categories``: None (the default) reads each factor as its category reads in
    the instrument's category scale; a tuple of category labels (case-insensitive) overrides it: those read
    positive, every other category negative. ``polarity``: ``share`` reads a theme as negative when its share of
    negative-polarity units is above ``negative_share``; ``ignore`` reads every voiced theme as positive (a
    mention is an endorsement).
    """

    prominence: float = 20.0
    positive_categories: tuple[str, ...] | None = None
    polarity: str = "share"
    negative_share: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.prominence <= 100:
            raise InputError(f"the prominence threshold must be a percentage 0-100, not {self.prominence:g}",
                             field="--prominence")
        if self.polarity not in ("share", "ignore"):
            raise InputError(f"unknown polarity rule {self.polarity!r}; use share or ignore", field="--polarity")
        if not 0 <= self.negative_share < 1:
            raise InputError(f"the negative share must be 0 <= share < 1, not {self.negative_share:g}",
                             field="--negative-share")
        if self.positive_categories is not None and not self.positive_categories:
            raise InputError("at least one category must count as positive", field="--positive")

    def factor_reading(self, category: str | None, reading: str | None = None) -> str | None:
        """``positive`` / ``mixed`` / ``negative`` for a factor's category: ``reading`` (the category's reading in
        the instrument's scale) unless ``positive_categories`` overrides it; ``None`` when the factor has no
        score or its category has no reading."""
        if not category:
            return None
        if self.positive_categories is None:
            return reading
        wanted = {c.strip().lower() for c in self.positive_categories}
        return "positive" if category.strip().lower() in wanted else "negative"

    def theme_reading(self, units: int, negative_units: int) -> str | None:
        """``positive`` / ``negative`` for a theme's units, ``None`` when it was not coded at all."""
        if units <= 0:
            return None
        if self.polarity == "ignore":
            return "positive"
        return "negative" if negative_units / units > self.negative_share else "positive"

    def describe(self, readings: str | None = None) -> list[str]:
        """The rules in words, for a report's method notes; ``readings`` says how the instrument's categories
        read (:meth:`tematik.instrument.CategoryScale.readings_note`)."""
        polarity = ("a theme reads negative when more than "
                    f"{self.negative_share:.0%} of its coded units are negative-polarity (a negation governs the "
                    "matched words), else positive" if self.polarity == "share"
                    else "polarity is ignored: every voiced theme reads positive")
        return [
            f"Prominence: a theme is prominent when at least {self.prominence:g}% of the participants who could "
            "speak (were interviewed or spoke in an observed episode) voiced it.",
            (f"Factor reading: categories {', '.join(self.positive_categories)} read positive (set with --positive); "
             "any other category reads negative." if self.positive_categories is not None else
             "Factor reading: each factor reads as its category reads in the instrument's category scale; a factor "
             "that reads mixed is not tested. " + (readings or "")).strip(),
            f"Theme reading: {polarity}.",
            "Direction: a positive link expects the factor to read as the theme does, a negative link the "
            "opposite; mixed or unspecified links are not tested.",
            "Silence: the theme was not coded, or it links to no scored factor; a factor no theme links to is "
            "silence as well.",
            "Agreement: the theme is prominent and every tested link agrees in direction. Dissonance: the theme "
            "is prominent and no tested link agrees. Partial agreement: anything between -- some links agree and "
            "others do not, the theme is not prominent, or no link has an expected direction.",
            f"Adapted from the convergence coding scheme of {FARMER_2006}",
        ]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Link:
    """A theme's expected link to a questionnaire factor; ``source`` is ``codebook`` or the links file."""

    theme: str
    factor: str
    direction: str | None = None
    rationale: str | None = None
    source: str = "codebook"
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Quote:
    text: str
    participant: str | None = None
    role: str | None = None
    document: str | None = None
    source_type: str | None = None
    polarity: str = "positive"

    def cite(self) -> str:
        who = self.participant or self.document or "?"
        if self.role:
            who += f", {self.role}"
        return f"\u201c{self.text}\u201d ({who})"


@dataclass(frozen=True)
class ThemeEvidence:
    """The qualitative side of one theme (counted with one set of coding statuses)."""

    theme: str
    name: str
    participants: int = 0
    participants_total: int = 0
    units: int = 0
    negative_units: int = 0
    methods: tuple[str, ...] = ()  # source types the theme was coded in: interview, observation, ...
    quotes: tuple[Quote, ...] = ()

    @property
    def participants_pct(self) -> float | None:
        if not self.participants_total:
            return None
        return 100 * self.participants / self.participants_total

    @property
    def negative_share(self) -> float | None:
        return self.negative_units / self.units if self.units else None

    @property
    def method_label(self) -> str:
        """``interview``, ``observation``, ``both`` (interview and observation), a list, or ``none``."""
        kinds = set(self.methods)
        if not kinds:
            return "none"
        if {"interview", "observation"} <= kinds:
            rest = sorted(kinds - {"interview", "observation"})
            return "both" + (f" (+ {', '.join(rest)})" if rest else "")
        return ", ".join(sorted(kinds))


@dataclass(frozen=True)
class FactorScore:
    factor: str
    name: str
    group: str
    percent: float | None
    category: str | None
    reading: str | None = None  # how the category reads in the instrument's scale: positive, mixed, negative


def pick_quotes(rows: Iterable[Mapping[str, Any]], n: int, *, target: int = 160, longest: int = 320
                ) -> tuple[Quote, ...]:
    """Up to ``n`` exemplar quotes from different participants (passages with no participant count as their
    document's voice). Per speaker the passage whose length is nearest ``target`` characters is taken, preferring
    positive-polarity passages; speakers with more coded passages come first. Long passages are cut at
    ``longest`` characters."""
    if n <= 0:
        return ()
    by_voice: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        text = " ".join(str(r.get("text") or "").split())
        if len(text) < 12:
            continue
        row = {k: _none(v) for k, v in r.items()}
        voice = row.get("participant") or f"doc:{row.get('document')}"
        by_voice.setdefault(voice, []).append({**row, "text": text})
    order = sorted(by_voice, key=lambda v: (v.startswith("doc:"), -len(by_voice[v]), v))
    quotes = []
    for voice in order[:n]:
        best = min(by_voice[voice], key=lambda r: (r.get("polarity") == "negative", abs(len(r["text"]) - target)))
        text = best["text"]
        if len(text) > longest:
            text = text[:longest].rsplit(" ", 1)[0] + " \u2026"
        quotes.append(Quote(text, best.get("participant"), best.get("role"), best.get("document"),
                            best.get("source_type"), best.get("polarity") or "positive"))
    return tuple(quotes)


def theme_evidence(freq: Any, by_source: Any = None, quotes: Any = (), n_quotes: int = 3) -> list[ThemeEvidence]:
    """The qualitative side of every code, in the order of ``freq``.

    ``freq`` is a :func:`tematik.analysis.frequencies` table (``code, name, units, participants, eligible,
    negative``), so the joint display counts exactly what ``tematik frequencies`` prints; ``by_source`` the same
    table made ``by="source_type"`` (which kinds of data a theme was coded in); ``quotes`` rows or a DataFrame
    with ``code, participant, role, document, text`` and ``negative`` or ``polarity`` (as
    :func:`tematik.analysis.quote_table` returns) for :func:`pick_quotes`.
    """
    methods: dict[str, list[str]] = {}
    if by_source is not None:
        for r in _records(by_source):
            if int(r.get("units") or 0) > 0:
                methods.setdefault(str(r["code"]), []).append(str(r["group"]))
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    for q in _records(quotes):
        row = dict(q)
        if "polarity" not in row:
            row["polarity"] = "negative" if row.get("negative") else "positive"
        by_code.setdefault(str(row["code"]), []).append(row)
    order = {"interview": 0, "observation": 1}
    out = []
    for r in _records(freq):
        code = str(r["code"])
        out.append(ThemeEvidence(
            code, str(r.get("name") or code), _int(r.get("participants")), _int(r.get("eligible")),
            _int(r.get("units")), _int(r.get("negative")),
            tuple(sorted(methods.get(code, ()), key=lambda m: (order.get(m, 9), m))),
            pick_quotes(by_code.get(code, ()), n_quotes)))
    return out


def _records(data: Any) -> list[Mapping[str, Any]]:
    if data is None:
        return []
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return data.to_dict(orient="records")
    return list(data)


def _none(value: Any) -> Any:
    """NaN (pandas' missing value) -> None."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _int(value: Any) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    return int(value)


def voiced_from_matrix(matrix: Any, codes: Iterable[str]) -> dict[str, set[str]]:
    """``{code: participants}`` from a participant x code presence matrix (:func:`tematik.analysis.case_matrix`
    with ``rows="participant"``)."""
    out = {}
    for code in codes:
        if code in matrix.columns:
            out[code] = {str(p) for p, v in zip(matrix["participant"], matrix[code], strict=True) if v and v > 0}
        else:
            out[code] = set()
    return out


def links_from_codebook(codebook: Any) -> list[Link]:
    """Every ``factors`` entry of every code of a :class:`tematik.models.Codebook`."""
    return [Link(code.id, f.factor, f.direction, f.rationale, "codebook") for code in codebook.codes
            for f in code.factors]


LINK_FILE_COLUMNS = ("theme", "factor", "direction", "rationale")


def read_links(path: str | Path) -> list[Link]:
    """Read a links file: CSV (columns theme, factor, direction, rationale; direction and rationale optional) or
    YAML (a list of mappings with the same keys, or ``{theme: [{factor, direction, rationale}, ...]}``).

    Problems are reported as ``file:line: field: message``.
    """
    p = Path(path)
    raw = read_bytes(p)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if p.suffix.lower() in (".yaml", ".yml"):
        rows = _yaml_link_rows(text, str(path))
    elif p.suffix.lower() in (".csv", ".tsv", ".txt"):
        rows = _csv_link_rows(text, str(path))
    else:
        raise InputError(f"a links file is .csv or .yaml, not '{p.suffix}'", path=str(path))
    links, seen = [], {}
    for line, row in rows:
        theme, factor = (row.get("theme") or "").strip(), (row.get("factor") or "").strip()
        if not theme:
            raise InputError("missing theme", path=str(path), line=line, field="theme")
        if not factor:
            raise InputError("missing factor", path=str(path), line=line, field="factor")
        direction = (row.get("direction") or "").strip().lower() or None
        if direction is not None and direction not in FACTOR_DIRECTIONS:
            raise InputError(f"unknown direction {direction!r}; use {', '.join(FACTOR_DIRECTIONS)}",
                             path=str(path), line=line, field="direction")
        if (theme, factor) in seen:
            raise InputError(f"{theme} -> {factor} is linked twice (first on line {seen[(theme, factor)]})",
                             path=str(path), line=line, field="factor")
        seen[(theme, factor)] = line
        rationale = (row.get("rationale") or "").strip() or None
        links.append(Link(theme, factor, direction, rationale, p.name, line))
    if not links:
        raise InputError("no links in the file", path=str(path))
    return links


def _csv_link_rows(text: str, path: str) -> list[tuple[int, dict[str, str]]]:
    sample = text[:2048]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ";" if sample.count(";") > sample.count(",") \
        else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            for needed in ("theme", "factor"):
                if needed not in header:
                    raise InputError(f"no '{needed}' column in the header (columns: {', '.join(LINK_FILE_COLUMNS)})",
                                     path=path, line=line, field=needed)
            unknown = [c for c in header if c and c not in LINK_FILE_COLUMNS]
            if unknown:
                raise InputError(f"unknown column {unknown[0]!r} (columns: {', '.join(LINK_FILE_COLUMNS)})",
                                 path=path, line=line, field=unknown[0])
            continue
        rows.append((line, {h: (row[i] if i < len(row) else "") for i, h in enumerate(header) if h}))
    return rows


def _yaml_link_rows(text: str, path: str) -> list[tuple[int, dict[str, str]]]:
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=path,
                         line=mark.line + 1 if mark else None) from None
    if root is None:
        raise InputError("the file is empty", path=path, line=1)
    construct = yaml.constructor.SafeConstructor()

    def entry(node: Any, theme: str | None) -> tuple[int, dict[str, str]]:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            raise InputError("expected a mapping with factor, direction, rationale", path=path, line=line)
        value = construct.construct_object(node, deep=True)
        unknown = [k for k in value if k not in LINK_FILE_COLUMNS]
        if unknown:
            raise InputError(f"unknown field (expected {', '.join(LINK_FILE_COLUMNS)})", path=path, line=line,
                             field=str(unknown[0]))
        row = {k: "" if v is None else str(v) for k, v in value.items()}
        if theme is not None:
            row["theme"] = theme
        return line, row

    if isinstance(root, yaml.SequenceNode):
        return [entry(item, None) for item in root.value]
    if isinstance(root, yaml.MappingNode):
        rows = []
        for knode, vnode in root.value:
            theme = str(construct.construct_object(knode))
            if not isinstance(vnode, yaml.SequenceNode):
                raise InputError("expected a list of links under the theme", path=path,
                                 line=vnode.start_mark.line + 1, field=theme)
            rows += [entry(item, theme) for item in vnode.value]
        return rows
    raise InputError("expected a list of links or a mapping of themes to links", path=path,
                     line=root.start_mark.line + 1)


def check_links(links: Sequence[Link], themes: Iterable[str], factors: Iterable[str]) -> list[str]:
    """Warnings for links naming a theme the codebook lacks or a factor the questionnaire does not score."""
    themes, factors = set(themes), list(factors)
    out = []
    for link in links:
        where = f"{link.source}:{link.line}: " if link.line else f"{link.source}: "
        if link.theme not in themes:
            out.append(f"{where}theme {link.theme!r} is not a code of the project")
        if factors and link.factor not in factors:
            out.append(f"{where}{link.theme} links to factor {link.factor!r}, which the questionnaire does not "
                       f"score (its factors: {', '.join(factors)})")
    return out


def factor_scores(scores: Any, categories: Any = None) -> dict[str, FactorScore]:
    """``{factor id: FactorScore}`` from a :func:`tematik.survey.score` table (without ``by``); ``categories``
    (a :class:`tematik.instrument.CategoryScale`) gives each category its reading."""
    out = {}
    for row in scores.to_dict(orient="records"):
        percent = row.get("percent")
        percent = None if percent is None or (isinstance(percent, float) and math.isnan(percent)) else float(percent)
        category = row.get("category") or None
        reading = categories.reading(category) if categories is not None and category else None
        group = row.get("group")
        group = "" if group is None or (isinstance(group, float) and math.isnan(group)) else str(group)
        out[str(row["factor"])] = FactorScore(str(row["factor"]), str(row.get("name") or row["factor"]),
                                              group, percent, category, reading)
    return out


# --------------------------------------------------------------------------- convergence


@dataclass(frozen=True)
class LinkResult:
    """One link judged: the factor's score and reading, what the link expects, and whether they agree."""

    link: Link
    score: FactorScore | None
    reading: str | None  # positive / mixed / negative / None (no score, or a category without a reading)
    expected: str | None  # the reading the link expects given the theme's reading; None: not tested
    agrees: bool | None

    def describe(self) -> str:
        link = self.link
        if self.score is None or self.score.percent is None:
            return f"{link.factor} (no score)"
        s = self.score
        text = f"{s.name} {s.percent:.1f}% {s.category}"
        if self.reading == "mixed" and link.direction in ("positive", "negative"):
            return text + " (reads mixed: direction not tested)"
        if self.expected is None:
            return text + f" ({link.direction or 'no'} direction: not tested)"
        verdict = "agrees" if self.agrees else "does not agree"
        return text + f" (reads {self.reading}, expected {self.expected}: {verdict})"


@dataclass(frozen=True)
class Convergence:
    code: str
    reason: str
    links: tuple[LinkResult, ...] = ()


def judge_links(evidence: ThemeEvidence, links: Sequence[Link], scores: Mapping[str, FactorScore],
                rules: Rules) -> tuple[LinkResult, ...]:
    theme_reading = rules.theme_reading(evidence.units, evidence.negative_units)
    out = []
    for link in links:
        score = scores.get(link.factor)
        reading = rules.factor_reading(score.category, score.reading) if score and score.percent is not None \
            else None
        expected = None
        if theme_reading is not None and reading in ("positive", "negative") and \
                link.direction in ("positive", "negative"):
            expected = theme_reading if link.direction == "positive" else _opposite(theme_reading)
        agrees = None if expected is None else reading == expected
        out.append(LinkResult(link, score, reading, expected, agrees))
    return tuple(out)


def _opposite(reading: str) -> str:
    return "negative" if reading == "positive" else "positive"


def _names(results: Iterable[LinkResult]) -> str:
    return ", ".join(r.score.name if r.score else r.link.factor for r in results)


def assess(evidence: ThemeEvidence, links: Sequence[Link], scores: Mapping[str, FactorScore],
           rules: Rules = Rules()) -> Convergence:
    """The computed convergence code of one theme, with its reason in words (see the module's rules)."""
    results = judge_links(evidence, links, scores, rules)
    scored = [r for r in results if r.reading is not None]
    unscored = [r for r in results if r.reading is None]
    pct = evidence.participants_pct
    prominent = pct is not None and pct >= rules.prominence - 1e-9
    qual = _qual_sentence(evidence, rules, prominent)
    quant = "Linked factors: " + "; ".join(r.describe() for r in results) + "." if results else ""

    if evidence.units == 0:
        if not scored:
            return Convergence(SILENCE, "Neither side speaks: the theme was not coded in any unit with the counted "
                                        "statuses and it links to no scored factor.", results)
        return Convergence(SILENCE, f"The questionnaire speaks ({_names(scored)}) but the theme was not coded in "
                                    "any unit with the counted statuses: the qualitative data are silent. " + quant,
                           results)
    if not scored:
        if not links:
            why = "it links to no questionnaire factor"
        else:
            why = f"its linked factor(s) {_names(unscored)} have no score in the questionnaire"
        return Convergence(SILENCE, f"{qual} But {why}: the questionnaire is silent on it.", results)

    tested = [r for r in scored if r.agrees is not None]
    agree = [r for r in tested if r.agrees]
    disagree = [r for r in tested if not r.agrees]
    tail = f" ({_names(unscored)}: no score.)" if unscored else ""
    if not tested:
        verdict = ("No linked factor can be tested for direction (the links are mixed or unspecified, or the factors "
                   "read mixed), so only prominence is compared: "
                   + ("the theme is prominent." if prominent else "the theme is not prominent."))
        return Convergence(PARTIAL, f"{qual} {quant} {verdict}{tail}", results)
    if not disagree:
        if prominent:
            verdict = "A prominent theme and every tested factor agree in direction."
            return Convergence(AGREEMENT, f"{qual} {quant} {verdict}{tail}", results)
        verdict = (f"The factors agree in direction, but the theme falls below the prominence threshold of "
                   f"{rules.prominence:g}%.")
        return Convergence(PARTIAL, f"{qual} {quant} {verdict}{tail}", results)
    if not agree:
        if prominent:
            verdict = "The theme is prominent and no tested factor reads in the expected direction."
            return Convergence(DISSONANCE, f"{qual} {quant} {verdict}{tail}", results)
        verdict = (f"No tested factor reads in the expected direction, but the theme falls below the prominence "
                   f"threshold of {rules.prominence:g}%: too thin to call dissonance.")
        return Convergence(PARTIAL, f"{qual} {quant} {verdict}{tail}", results)
    verdict = (f"{len(agree)} of {len(tested)} tested factors agree in direction ({_names(agree)}); "
               f"{_names(disagree)} {'does' if len(disagree) == 1 else 'do'} not.")
    return Convergence(PARTIAL, f"{qual} {quant} {verdict}{tail}", results)


def _qual_sentence(e: ThemeEvidence, rules: Rules, prominent: bool) -> str:
    pct = e.participants_pct
    who = (f"voiced by {e.participants} of {e.participants_total} participants who could speak ({pct:.0f}%, "
           f"{'prominent' if prominent else 'not prominent'} at >= {rules.prominence:g}%)"
           if pct is not None else "voiced by no identified participant (not prominent)")
    reading = rules.theme_reading(e.units, e.negative_units)
    share = e.negative_share or 0.0
    pol = (f"{e.negative_units} of its {e.units} units negative ({share:.0%}), so it reads {reading}"
           if rules.polarity == "share" else f"{e.units} units, polarity ignored (reads positive)")
    kinds = {"interview": "interviews", "focus_group": "focus groups", "meeting": "meetings",
             "observation": "observation notes", "document": "documents", "response": "open answers"}
    where = " and ".join(kinds.get(m, m) for m in e.methods) or "no document"
    return f"Theme {who}; {pol}; coded in {where}."


def assess_factor(score: FactorScore) -> Convergence:
    """A factor no theme links to: the qualitative data are silent on it."""
    pct = f"{score.percent:.1f}% {score.category}" if score.percent is not None else "no score"
    return Convergence(SILENCE, f"The questionnaire scores {score.name} ({pct}), but no theme of the codebook "
                                "links to it: the qualitative data are silent on this factor.")


# --------------------------------------------------------------------------- the side-by-side joint display


@dataclass(frozen=True)
class Override:
    convergence: str
    note: str | None = None
    who: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class JointRow:
    kind: str  # theme | factor
    key: str  # the theme id, or the factor id for a factor row
    name: str
    evidence: ThemeEvidence | None
    computed: Convergence
    override: Override | None = None
    meta_inference: str | None = None
    factor: FactorScore | None = None

    @property
    def convergence(self) -> str:
        return self.override.convergence if self.override else self.computed.code

    def record(self, *, quotes: int | None = None) -> dict[str, Any]:
        """A flat row (``JOINT_COLUMNS``) for tables."""
        e = self.evidence
        if self.kind == "factor":
            f = self.factor
            factors = f"{f.name}: {f.percent:.1f}% {f.category}{_group(f.group)}" if f and f.percent is not None \
                else (f.name if f else self.key)
        else:
            factors = "; ".join(_factor_cell(r) for r in self.computed.links)
        o = self.override
        quote_list = list(e.quotes if e else ())[:quotes] if quotes is not None else list(e.quotes if e else ())
        return {
            "kind": self.kind,
            "theme": self.key if self.kind == "theme" else "",
            "name": self.name,
            "participants": e.participants if e else None,
            "participants_total": e.participants_total if e else None,
            "participants_pct": e.participants_pct if e else None,
            "units": e.units if e else None,
            "negative_units": e.negative_units if e else None,
            "negative_share": (100 * e.negative_share if e and e.negative_share is not None else None),
            "methods": e.method_label if e else "",
            "quotes": " | ".join(q.cite() for q in quote_list),
            "factors": factors,
            "computed": self.computed.code,
            "override": o.convergence if o else "",
            "convergence": self.convergence,
            "reason": self.computed.reason,
            "override_note": (f"{o.who or '?'} ({(o.at or '')[:10]}): {o.note or 'no note'}" if o else ""),
            "meta_inference": self.meta_inference or "",
        }


def _factor_cell(r: LinkResult) -> str:
    arrow = {"positive": "+", "negative": "-", "mixed": "±"}.get(r.link.direction or "", "?")
    if r.score is None or r.score.percent is None:
        return f"{r.link.factor} [{arrow}]: no score"
    s = r.score
    mark = "" if r.agrees is None else (" ✓" if r.agrees else " ✗")
    return f"{s.name} [{arrow}]: {s.percent:.1f}% {s.category}{_group(s.group)}{mark}"


def _group(group: str | None) -> str:
    return f" ({group})" if group else ""


@dataclass(frozen=True)
class JointDisplay:
    rows: tuple[JointRow, ...]
    rules: Rules
    statuses: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    overall: FactorScore | None = None
    readings: str = ""  # how the instrument's categories read (declared, or from their order)

    def describe_rules(self) -> list[str]:
        return self.rules.describe(self.readings or None)

    @property
    def theme_rows(self) -> tuple[JointRow, ...]:
        return tuple(r for r in self.rows if r.kind == "theme")

    def records(self, *, quotes: int | None = None) -> list[dict[str, Any]]:
        return [r.record(quotes=quotes) for r in self.rows]

    def link_records(self) -> list[dict[str, Any]]:
        """One row per theme x linked factor (``LINK_COLUMNS``)."""
        out = []
        for row in self.theme_rows:
            for r in row.computed.links:
                s = r.score
                out.append({"theme": row.key, "factor": r.link.factor, "factor_name": s.name if s else "",
                            "group": s.group if s else "", "percent": s.percent if s else None,
                            "category": s.category if s else None, "reading": r.reading,
                            "direction": r.link.direction, "expected": r.expected, "agrees": r.agrees,
                            "source": r.link.source, "rationale": r.link.rationale or ""})
        return out

    def summary(self) -> list[dict[str, Any]]:
        """Counts of each convergence code: computed, and after the researcher's overrides."""
        out = []
        for code in CONVERGENCE_CODES:
            out.append({"convergence": code,
                        "computed": sum(r.computed.code == code for r in self.rows),
                        "final": sum(r.convergence == code for r in self.rows),
                        "themes": sum(r.convergence == code for r in self.theme_rows)})
        out.append({"convergence": "total", "computed": len(self.rows), "final": len(self.rows),
                    "themes": len(self.theme_rows)})
        return out

    @property
    def overridden(self) -> int:
        return sum(r.override is not None for r in self.rows)


def joint_display(evidence: Sequence[ThemeEvidence], links: Sequence[Link], scores: Mapping[str, FactorScore],
                  rules: Rules = Rules(), *, overrides: Mapping[str, Override] | None = None,
                  inferences: Mapping[str, str] | None = None, statuses: Sequence[str] = (),
                  factor_rows: bool = True, readings: str = "", overall: str | None = None) -> JointDisplay:
    """The side-by-side joint display: a row per theme (in ``evidence`` order), then a row per scored factor
    that no theme links to (the ``overall`` group is left out: it pools every factor and is given as
    ``JointDisplay.overall``).

    ``overrides`` and ``inferences`` are keyed by theme id, or by factor id for factor rows. ``overall`` is the
    id of the instrument's overall score (default: the score whose group is ``overall``), so that a factor the
    researcher put in a group called "overall" still gets its row.
    """
    overrides = overrides or {}
    inferences = inferences or {}
    by_theme: dict[str, list[Link]] = {}
    for link in links:
        by_theme.setdefault(link.theme, []).append(link)
    rows = []
    for e in evidence:
        rows.append(JointRow("theme", e.theme, e.name, e, assess(e, by_theme.get(e.theme, []), scores, rules),
                             overrides.get(e.theme), inferences.get(e.theme)))
    linked = {link.factor for link in links if link.theme in {e.theme for e in evidence}}
    overall_score = None
    if factor_rows:
        for fid, score in scores.items():
            if (fid == overall) if overall is not None else (score.group == "overall"):
                overall_score = overall_score or score
                continue
            if fid not in linked:
                rows.append(JointRow("factor", fid, score.name, None, assess_factor(score), overrides.get(fid),
                                     inferences.get(fid), score))
    return JointDisplay(tuple(rows), rules, tuple(statuses), tuple(links), overall_score, readings)


def with_override(display: JointDisplay, key: str, override: Override | None) -> JointDisplay:
    """The display with one row's override replaced (for previews)."""
    return replace(display, rows=tuple(replace(r, override=override) if r.key == key else r for r in display.rows))


# --------------------------------------------------------------------------- statistics by themes


MANN_WHITNEY = (
    "Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two random variables is stochastically "
    "larger than the other. Annals of Mathematical Statistics, 18(1), 50-60."
)
CLIFF_1993 = (
    "Cliff, N. (1993). Dominance statistics: Ordinal analyses to answer ordinal questions. Psychological "
    "Bulletin, 114(3), 494-509."
)
MEASURES = {"percent": "percent of maximum", "pomp": "POMP (percent of maximum possible)",
            "mean": "mean item score"}


@dataclass(frozen=True)
class Comparison:
    """Two groups of scores compared: Mann-Whitney U (of the first group), its two-sided p-value from the
    permutation distribution (exact when every split can be enumerated, else Monte Carlo; ties share their
    average rank, so heavily tied Likert scores are handled), Cliff's delta with a percentile bootstrap
    confidence interval, and a note in plain words."""

    n1: int
    n2: int
    u: float | None = None
    p_value: float | None = None
    p_method: str = ""
    delta: float | None = None
    delta_low: float | None = None
    delta_high: float | None = None
    note: str = ""


def _seeded(function: Any, seed: int) -> dict[str, Any]:
    """The keyword that seeds a scipy resampling function: ``rng`` (scipy >= 1.15) or ``random_state``."""
    import inspect

    import numpy as np

    name = "rng" if "rng" in inspect.signature(function).parameters else "random_state"
    return {name: np.random.default_rng(seed)}


def _delta(x: Any, y: Any, axis: int = -1) -> Any:
    """Cliff's delta, P(X > Y) - P(X < Y), along ``axis`` (vectorised for scipy's resampling functions)."""
    import numpy as np

    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    y = np.moveaxis(np.asarray(y, dtype=float), axis, -1)
    diff = np.sign(x[..., :, None] - y[..., None, :])
    return diff.mean(axis=(-2, -1))


def compare(first: Sequence[float], second: Sequence[float], *, seed: int = 2006, resamples: int = 9999,
            level: float = 0.95) -> Comparison:
    """Compare ``first`` (e.g. scores of participants who voiced a theme) with ``second`` (those who did not).

    U counts, over every pair, 1 when the first-group score is higher and 0.5 for a tie (so
    ``delta = 2U / (n1 n2) - 1``). The p-value is that of a permutation test of delta (equivalently of U): exact
    when the number of distinct splits is at most ``resamples``, else from ``resamples`` random splits with
    ``seed``. The interval is a percentile bootstrap of delta (groups resampled separately, ``seed``).
    When even the most extreme split could not reach p < .05 the note says the groups are too small to say
    anything."""
    import numpy as np

    x = np.asarray([v for v in first if v is not None and not math.isnan(v)], dtype=float)
    y = np.asarray([v for v in second if v is not None and not math.isnan(v)], dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        who = "voiced the theme" if n1 == 0 else "did not voice it"
        return Comparison(n1, n2, note=f"nothing to compare: no respondent {who}")
    delta = float(_delta(x, y))
    u = (delta + 1) * n1 * n2 / 2
    splits = math.comb(n1 + n2, n1)
    smallest_p = min(1.0, 2 / splits)
    if np.ptp(np.concatenate([x, y])) == 0:
        return Comparison(n1, n2, u, 1.0, "every score is the same", 0.0, 0.0, 0.0,
                          "every respondent has the same score: no difference to test")
    from scipy.stats import bootstrap, permutation_test

    if splits <= resamples:  # every split of the pooled scores into groups of n1 and n2
        from itertools import combinations

        pooled = np.concatenate([x, y])
        first = np.array(list(combinations(range(n1 + n2), n1)))
        chosen = np.zeros((len(first), n1 + n2), dtype=bool)
        np.put_along_axis(chosen, first, True, axis=1)
        xs = pooled[np.nonzero(chosen)[1].reshape(len(first), n1)]
        ys = pooled[np.nonzero(~chosen)[1].reshape(len(first), n2)]
        null = _delta(xs, ys)
        # two-sided as scipy's permutation_test: twice the smaller tail, at most 1
        p = float(min(1.0, 2 * min(np.mean(null >= delta - 1e-12), np.mean(null <= delta + 1e-12))))
        method = f"exact permutation test ({splits} splits)"
    else:
        test = permutation_test((x, y), _delta, permutation_type="independent", vectorized=True,
                                n_resamples=resamples, alternative="two-sided", **_seeded(permutation_test, seed))
        p = float(min(1.0, test.pvalue))
        method = f"permutation test ({resamples} random splits, seed {seed})"
    low = high = None
    if n1 >= 2 and n2 >= 2:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = bootstrap((x, y), _delta, vectorized=True, paired=False, n_resamples=1999,
                             confidence_level=level, method="percentile", **_seeded(bootstrap, seed))
        low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
        if math.isnan(low) or math.isnan(high):
            low = high = None
    if smallest_p > 0.05:
        note = (f"groups too small to say anything (n = {n1} and {n2}): even the most extreme split of the "
                f"scores would give p = {smallest_p:.2f}")
    elif p < 0.05:
        size = abs(delta)
        word = "negligible" if size < 0.147 else "small" if size < 0.33 else "medium" if size < 0.474 else "large"
        note = f"the groups differ (p = {p:.3f}); a {word} effect (Cliff's delta {delta:+.2f})"
    else:
        note = (f"no evidence of a difference (p = {p:.2f}); with n = {n1} and {n2} only a large effect could "
                "have been detected" if min(n1, n2) < 10 else f"no evidence of a difference (p = {p:.2f})")
    if low is None and n1 + n2 > 1:
        note += "; no bootstrap interval (a group has fewer than 2 respondents)"
    return Comparison(n1, n2, u, p, method, delta, low, high, note)


def by_theme(voiced: Mapping[str, Iterable[str]], respondent_scores: Any, links: Sequence[Link],
             population: Iterable[str] | None = None, *, measure: str = "percent", seed: int = 2006) -> Any:
    """Statistics-by-themes joint display (Guetterman et al. 2015): per theme and linked factor, the scores of
    respondents who voiced the theme against those of respondents who did not.

    ``voiced``: theme id -> participant ids who voiced it. ``respondent_scores``: a
    :func:`tematik.survey.respondent_scores` table whose ``respondent`` column holds participant ids.
    ``population``: the participants compared (default: every respondent); respondents outside it are left out.
    ``measure``: the score compared (``percent`` of maximum, ``pomp`` or ``mean`` item score).
    Returns a DataFrame with ``BY_THEME_COLUMNS``: n, median and mean per group, ``difference`` = voiced mean -
    not-voiced mean, Mann-Whitney ``u`` with its permutation ``p_value`` (see :func:`compare`) and that p-value
    adjusted by Holm's method over the rows of the table (``p_holm``), Cliff's delta
    (``effect``) with its bootstrap interval, ``fits_direction`` (whether the sign of delta is the one the link
    expects; None when a group is empty, delta is 0 or the link has no direction) and a plain-words ``note``.
    """
    import pandas as pd

    if measure not in MEASURES:
        raise InputError(f"unknown measure {measure!r}; use {', '.join(MEASURES)}", field="--measure")
    frame = respondent_scores[["respondent", "factor", measure]].rename(columns={measure: "value"}).copy()
    frame["respondent"] = frame["respondent"].astype(str)
    if population is not None:
        keep = {str(p) for p in population}
        frame = frame[frame["respondent"].isin(keep)]
    rows = []
    for link in links:
        people = {str(p) for p in voiced.get(link.theme, ())}
        scores = frame[frame["factor"] == link.factor]
        if scores.empty:
            continue
        yes = scores[scores["respondent"].isin(people)]["value"].dropna()
        no = scores[~scores["respondent"].isin(people)]["value"].dropna()
        mean_yes = float(yes.mean()) if len(yes) else None
        mean_no = float(no.mean()) if len(no) else None
        diff = mean_yes - mean_no if mean_yes is not None and mean_no is not None else None
        result = compare(list(yes), list(no), seed=seed)
        fits = None
        if result.delta is not None and abs(result.delta) > 1e-12 and link.direction in ("positive", "negative"):
            fits = (result.delta > 0) == (link.direction == "positive")
        rows.append({"theme": link.theme, "factor": link.factor, "direction": link.direction or "",
                     "measure": measure, "voiced_n": int(len(yes)),
                     "voiced_median": float(yes.median()) if len(yes) else None, "voiced_mean": mean_yes,
                     "not_voiced_n": int(len(no)), "not_voiced_median": float(no.median()) if len(no) else None,
                     "not_voiced_mean": mean_no, "difference": diff, "u": result.u, "p_value": result.p_value,
                     "effect": result.delta, "effect_low": result.delta_low, "effect_high": result.delta_high,
                     "fits_direction": fits, "note": result.note, "p_method": result.p_method})
    for row, adjusted in zip(rows, holm([r["p_value"] for r in rows]), strict=True):
        row["p_holm"] = adjusted
    return pd.DataFrame(rows, columns=BY_THEME_COLUMNS)


HOLM_1979 = ("Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
             "Statistics, 6(2), 65-70.")


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of the defined p-values of one table (None stays None): the i-th smallest of
    m is multiplied by m - i + 1, made monotone and capped at 1."""
    order = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(order)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
