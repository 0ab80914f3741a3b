"""The findings report as content: sections of paragraphs, bullet lists, tables and figures. Pure.

:func:`build_report` assembles everything a researcher pastes into a paper -- corpus summary, codebook, theme
frequencies, co-occurrence, factor scores, the joint display with its convergence summary, statistics by themes,
intercoder agreement, method notes and an appendix of quotes -- from values the CLI has already computed with the
same functions the individual commands use, so the report's numbers are the commands' numbers.
:mod:`tematik.export.report` writes a :class:`Report` as HTML, Markdown, XLSX and DOCX.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tematik.export.tables import plain as _plain
from tematik.survey import PERCENT_NOTE
from tematik.triangulate import FARMER_2006, GUETTERMAN_2015, JointDisplay

SECTION_KEYS = ("about", "corpus", "codebook", "frequencies", "cooccurrence", "factors", "joint-display",
                "by-theme", "agreement", "methods", "quotes")

STUDY_REFERENCE = ("Perilaku Knowledge Sharing Antarstaf Pustakawan: suatu Kajian melalui Pendekatan Learning Audit "
                   "Model pada Perpustakaan Universitas Pendidikan Ganesha. Media Pustakawan.")


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Paragraph:
    text: str
    emphasis: bool = False  # a warning or key statement, shown prominently


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    title: str | None = None


@dataclass(frozen=True)
class Table:
    """A table: ``rows`` are dicts keyed by ``columns``; ``headers`` gives display labels; ``decimals`` per column
    (default 1 for floats); ``convergence`` names columns whose values are convergence codes (coloured)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    caption: str = ""
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    decimals: Mapping[str, int] = field(default_factory=dict, hash=False)
    convergence: tuple[str, ...] = ()

    def header(self, column: str) -> str:
        return self.headers.get(column, column.replace("_", " "))

    def text(self, row: Mapping[str, Any], column: str) -> str:
        """A cell as it is shown: floats rounded, booleans yes/no, missing values empty."""
        return format_cell(row.get(column), self.decimals.get(column, 1))

    def numeric(self, column: str) -> bool:
        values = [r.get(column) for r in self.rows if r.get(column) is not None]
        return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


@dataclass(frozen=True)
class Figure:
    """A chart file (PNG or SVG) the writers embed."""

    key: str
    title: str
    path: Path
    caption: str = ""


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...] = ()

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Figure))


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    generated: str = ""

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for s in self.sections for t in s.tables)

    @property
    def figures(self) -> tuple[Figure, ...]:
        return tuple(f for s in self.sections for f in s.figures)


def format_cell(value: Any, decimals: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{decimals}f}"
    return str(value)


def table(key: str, title: str, data: Any, columns: Sequence[str] | None = None, **kw: Any) -> Table:
    """A :class:`Table` from a DataFrame or a list of dicts (numpy scalars made plain, NaN made None)."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        cols = list(columns or [str(c) for c in data.columns])
        rows = [{str(k): _plain(v) for k, v in r.items()} for r in data.to_dict(orient="records")]
    else:
        rows = [{k: _plain(v) for k, v in dict(r).items()} for r in data]
        cols = list(columns or (list(rows[0]) if rows else []))
    return Table(key, title, tuple(cols), tuple(rows), **kw)


# --------------------------------------------------------------------------- the joint display as tables


JOINT_HEADERS = {"name": "theme / factor", "voiced": "voiced by (n/N, %)", "negative_share": "negative %",
                 "methods": "kinds of data (interview, focus_group, observation, ...; both = interview and "
                            "observation)",
                 "factors": "linked factors [expected direction]: % of maximum, category (group)",
                 "computed": "computed code", "override": "researcher's code", "meta_inference": "meta-inference"}
JOINT_REPORT_COLUMNS = ("name", "voiced", "units", "negative_share", "methods", "quotes", "factors", "computed",
                        "override", "meta_inference")
REASON_COLUMNS = ("name", "computed", "reason", "override", "override_note")


def _joint_rows(display: JointDisplay, quotes: int | None) -> list[dict[str, Any]]:
    rows = []
    for rec in display.records(quotes=quotes):
        voiced = ""
        if rec["participants_pct"] is not None:
            voiced = f"{rec['participants']}/{rec['participants_total']} ({rec['participants_pct']:.0f}%)"
        elif rec["kind"] == "theme":
            voiced = f"{rec['participants'] or 0}/{rec['participants_total'] or 0}"
        rows.append({**rec, "voiced": voiced})
    return rows


def statuses_sentence(statuses: Sequence[str]) -> str:
    """What the counts include, in words; says plainly when unreviewed suggestions are counted."""
    st = list(statuses)
    base = f"Codings counted: {', '.join(st)}."
    if "suggested" in st:
        return base + (" These counts INCLUDE UNREVIEWED SUGGESTIONS made by the auto-coder: nobody has checked "
                       "them, so read every theme count, percentage and convergence code below as provisional.")
    return base


def joint_tables(display: JointDisplay, *, quotes: int | None = None) -> tuple[Table, Table, Table, Table]:
    """The side-by-side joint display, the convergence summary, the link judgements and the reason for every
    code, as tables."""
    rows = _joint_rows(display, quotes)
    joint = table("joint_display", "Joint display: themes and questionnaire factors side by side", rows,
                  JOINT_REPORT_COLUMNS, headers=JOINT_HEADERS, decimals={"negative_share": 0},
                  convergence=("computed", "override"),
                  caption="One row per theme, then one per factor no theme links to. computed code: what the rules "
                          "give (struck through when the researcher overrode it); researcher's code: the override, "
                          "which then stands (who, when and why: see the reasons table). Factor scores are percent "
                          "of maximum (score obtained / maximum possible x 100) with their category. ✓/✗: the factor "
                          "reads / does not read in the direction the link expects. "
                          f"{display.readings + ' ' if display.readings else ''}"
                          f"{statuses_sentence(display.statuses)}")
    summary = table("convergence_summary", "Convergence summary", display.summary(),
                    ("convergence", "computed", "final", "themes"),
                    headers={"final": "after overrides", "themes": "themes (after overrides)"},
                    convergence=("convergence",),
                    caption=f"Rows of the joint display per convergence code; {display.overridden} overridden by "
                            "the researcher.")
    links = table("link_judgements", "How each linked factor was read", display.link_records(),
                  ("theme", "factor", "factor_name", "group", "percent", "category", "reading", "direction",
                   "expected", "agrees", "source"),
                  caption="reading: how the factor's category reads under the rules; expected: the reading the link "
                          "expects given the theme's polarity; agrees: whether they match (empty: not tested).")
    reasons = table("convergence_reasons", "Why each code", rows, REASON_COLUMNS,
                    headers={"name": "theme / factor", "computed": "computed code", "override": "researcher's code",
                             "override_note": "override: who (date): why"},
                    convergence=("computed", "override"),
                    caption="The reason for each computed code in words, and the researcher's override with its note.")
    return joint, summary, links, reasons


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report shows, computed beforehand (DataFrames or lists of dicts)."""

    project: str
    generated: str
    statuses: tuple[str, ...]
    corpus: Sequence[Mapping[str, Any]]
    codes: Sequence[Mapping[str, Any]]  # id, name, parent, definition, factors (text)
    display: JointDisplay
    frequencies: Any  # analysis.frequencies
    cooccurrence: Any = None  # analysis.cooccurrence pairs
    scores: Any = None  # survey.score
    by_theme: Any = None  # triangulate.by_theme
    agreement: Any = None  # agreement.Agreement.to_frame() over the people, or None
    coders: Sequence[str] = ()  # the PEOPLE with codings of the counted statuses (never the auto-coder)
    auto_coder: str = "auto"  # the auto-coder's name (models.AUTO_CODER)
    auto_codings: int = 0  # how many codings the auto-coder proposed (any status)
    auto_evaluation: Any = None  # agreement.evaluate_coder(...) when the report was asked for it, else None
    quotes: Any = None  # analysis.quote_table (appendix)
    figures: Mapping[str, Path] = field(default_factory=dict, hash=False)  # frequencies, cooccurrence, factors
    survey_notes: Sequence[str] = ()
    scale_note: str = ""
    categories: Any = None  # the instrument.CategoryScale the scores were labelled with
    instrument: str = ""
    respondents: int = 0
    cooccurrence_unit: str = "sentence"
    joint_quotes: int = 2
    appendix_quotes: int = 12  # per theme, taken in turn from each participant
    notes: Sequence[str] = ()  # warnings to show at the top (e.g. links to factors the questionnaire lacks)


FREQ_COLUMNS = ("code", "name", "units", "documents", "participants", "eligible", "participants_pct", "negative",
                "words")
FREQ_HEADERS = {"units": "coded units", "eligible": "could speak", "participants_pct": "participants %",
                "negative": "negative units"}
SCORE_COLUMNS = ("factor", "name", "group", "items", "n", "score", "max", "percent", "category", "pomp", "mean",
                 "sd", "alpha", "alpha_low", "alpha_high", "alpha_note")
COOCCUR_COLUMNS = ("code_a", "code_b", "n_a", "n_b", "n_ab", "c", "overlap", "fivefold")
BY_THEME_HEADERS = {"voiced_n": "voiced: n", "voiced_median": "voiced: median", "voiced_mean": "voiced: mean",
                    "not_voiced_n": "not voiced: n", "not_voiced_median": "not voiced: median",
                    "not_voiced_mean": "not voiced: mean", "difference": "difference", "u": "U",
                    "p_value": "p", "p_holm": "p (Holm)", "effect": "Cliff's delta", "effect_low": "delta 95% CI low",
                    "effect_high": "delta 95% CI high", "fits_direction": "sign as expected",
                    "p_method": "p from"}
BY_THEME_NOTE = (
    "Scores compared: {measure}. difference = voiced mean - not voiced mean. U: Mann-Whitney U of the voiced "
    "group (pairs where a voiced respondent scores higher, ties counting half); p: two-sided, from the "
    "permutation distribution of U (exact when every split can be enumerated; tied scores share their average "
    "rank); p (Holm): adjusted for the number of comparisons in the table (Holm 1979); "
    "Cliff's delta = P(voiced > not voiced) - P(voiced < not voiced), with a 95% percentile bootstrap "
    "interval; sign as expected: delta has the sign the link's direction expects. The note says in words what "
    "the comparison can and cannot show.")
FREQUENCY_NOTES = (
    "Coded unit: one distinct coded span; the same span coded twice (two coders) counts once.",
    "A coding belongs to the participant of the turn it starts in, else to the document's participant; "
    "interviewer turns are left out.",
    "Participants %: participants who voiced the theme / participants who could speak (spoke in at least one "
    "non-interviewer turn or are a document's participant) x 100.",
    "Negative units: coded units with a negative-polarity coding (a negation governs the matched words).",
)


def _figure(inputs: ReportInputs, key: str, title: str, caption: str) -> tuple[Block, ...]:
    path = inputs.figures.get(key)
    return (Figure(key, title, Path(path), caption),) if path else ()


def build_report(inputs: ReportInputs) -> Report:
    """The report's sections in the order of ``SECTION_KEYS``."""
    d = inputs.display
    st = statuses_sentence(inputs.statuses)
    summary_rows = {r["convergence"]: r for r in d.summary()}
    themes = len(d.theme_rows)
    about = [Paragraph(st, emphasis="suggested" in inputs.statuses)]
    about += [Paragraph(n, emphasis=True) for n in inputs.notes]
    about.append(Paragraph(
        f"Convergent mixed-methods reading of project {inputs.project}: {themes} themes from interviews and "
        f"observation notes set beside {len(d.link_records())} links to questionnaire factors"
        + (f" of {inputs.instrument} ({inputs.respondents} respondents)" if inputs.instrument else "")
        + ". Convergence (computed, after overrides): "
        + ", ".join(f"{c} {summary_rows[c]['final']}" for c in ("agreement", "partial agreement", "silence",
                                                                 "dissonance")) + "."))
    if d.overall is not None and d.overall.percent is not None:
        about.append(Paragraph(f"Overall score ({d.overall.name}): {d.overall.percent:.1f}% ({d.overall.category})."))

    sections = [Section("about", "About this report", tuple(about))]

    corpus_rows = list(inputs.corpus)
    sections.append(Section("corpus", "Corpus", (
        table("corpus", "Documents by kind and language", corpus_rows,
              ("source_type", "language", "documents", "words", "participants"),
              caption="Documents imported into the project; participants = distinct participants named on the "
                      "documents or their speaker turns."),)))

    sections.append(Section("codebook", "Codebook", (
        table("codebook", "Codes", list(inputs.codes), ("id", "name", "parent", "definition", "factors"),
              caption="The codebook loaded in the project; factors = the questionnaire factors each theme links to "
                      "(+ positive, - negative, ± mixed expected direction)."),
        table("link_rationale", "Theme-factor links and their rationale", d.link_records(),
              ("theme", "factor", "factor_name", "direction", "source", "rationale"),
              caption="Why each theme is expected to relate to each factor, and in which direction."))))

    freq = table("frequencies", "Theme frequencies", inputs.frequencies,
                 [c for c in FREQ_COLUMNS if c in getattr(inputs.frequencies, "columns", FREQ_COLUMNS)],
                 headers=FREQ_HEADERS, decimals={"participants_pct": 1}, caption=st)
    sections.append(Section("frequencies", "Theme frequencies", (
        *_figure(inputs, "frequencies", "Participants voicing each theme",
                 "Share of the participants who could speak that voiced each theme."),
        freq, Bullets(FREQUENCY_NOTES))))

    co_blocks: list[Block] = list(_figure(inputs, "cooccurrence", "Co-occurrence of themes",
                                          f"Units ({inputs.cooccurrence_unit}s) in which both themes were coded; "
                                          "diagonal: units of the theme."))
    if inputs.cooccurrence is not None:
        co_blocks.append(table("cooccurrence", "Co-occurring theme pairs", inputs.cooccurrence,
                               [c for c in COOCCUR_COLUMNS if c in inputs.cooccurrence.columns],
                               decimals={"c": 3, "overlap": 3},
                               caption=f"Per {inputs.cooccurrence_unit}: n_ab units with both themes; c = n_ab / "
                                       "(n_a + n_b - n_ab); overlap = n_ab / min(n_a, n_b); fivefold flags pairs "
                                       "whose frequencies differ more than fivefold (c then understates the link)."))
    sections.append(Section("cooccurrence", "Co-occurrence", tuple(co_blocks) or (
        Paragraph("No co-occurrence was computed."),)))

    if inputs.scores is not None:
        sc = table("factor_scores", "Questionnaire factor scores", inputs.scores,
                   [c for c in SCORE_COLUMNS if c in inputs.scores.columns],
                   decimals={"percent": 1, "pomp": 1, "mean": 2, "sd": 2, "alpha": 2, "alpha_low": 2,
                             "alpha_high": 2, "score": 0, "max": 0},
                   caption=f"{PERCENT_NOTE}. alpha: Cronbach's, with Feldt's 95% interval (alpha_low to "
                           "alpha_high) and a note when too few respondents or items stand behind it. "
                           + inputs.scale_note)
        figure_basis = {"pomp": "POMP", "mean": "Mean item score"}.get(getattr(inputs.categories, "basis", ""),
                                                                       "Percent of maximum")
        factor_blocks: tuple[Block, ...] = (*_figure(inputs, "factors", "Factor scores",
                                                     f"{figure_basis} per factor, coloured by category."), sc)
    else:
        factor_blocks = (Paragraph("No questionnaire in this project: the quantitative side of the joint display "
                                   "is silent.", emphasis=True),)
    sections.append(Section("factors", "Questionnaire factors", factor_blocks))

    joint, summary, judgements, reasons = joint_tables(d, quotes=inputs.joint_quotes)
    sections.append(Section("joint-display", "Joint display and convergence", (
        Paragraph("Side-by-side joint display (Guetterman, Fetters & Creswell 2015) with convergence codes after "
                  "the triangulation protocol of Farmer et al. (2006): agreement, partial agreement, silence, "
                  "dissonance. The table 'Why each code' gives, for every row, what the rules saw; the researcher's "
                  "overrides and meta-inferences are shown apart from the computed codes."),
        summary, joint, reasons, judgements)))

    if inputs.by_theme is not None and len(inputs.by_theme):
        bt: tuple[Block, ...] = (
            Paragraph("Statistics by themes (Guetterman et al. 2015): for participants who spoke in the "
                      "qualitative data and also answered the questionnaire, each linked factor's score among those "
                      "who voiced the theme and among those who did not, with a Mann-Whitney test and Cliff's delta. "
                      "Small groups say little: read the note of each row."),
            table("by_theme", "Factor scores by theme", inputs.by_theme, headers=BY_THEME_HEADERS,
                  decimals={"voiced_mean": 1, "not_voiced_mean": 1, "voiced_median": 1, "not_voiced_median": 1,
                            "difference": 1, "u": 1, "p_value": 3, "p_holm": 3, "effect": 2, "effect_low": 2,
                            "effect_high": 2},
                  caption=BY_THEME_NOTE.format(measure=_measure(inputs.by_theme)) + " " + st))
    else:
        bt = (Paragraph("No participant both spoke in the qualitative data and answered the questionnaire, or no "
                        "theme links to a scored factor: statistics by themes cannot be computed."),)
    sections.append(Section("by-theme", "Statistics by themes", bt))

    sections.append(Section("agreement", "Intercoder agreement", agreement_blocks(inputs)))

    refs = [FARMER_2006, GUETTERMAN_2015,
            "Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data. "
            "Biometrics, 33(1), 159-174.",
            "Krippendorff, K. (2004). Content analysis: An introduction to its methodology (2nd ed.). Sage."]
    if inputs.agreement is not None and len(inputs.coders) >= 2:
        from tematik.agreement import GWET_2008

        refs.append(GWET_2008)
    if inputs.by_theme is not None and len(inputs.by_theme):
        from tematik.triangulate import CLIFF_1993, HOLM_1979, MANN_WHITNEY

        refs += [MANN_WHITNEY, CLIFF_1993, HOLM_1979]
    if inputs.scores is not None:
        from tematik.instrument import POMP_REFERENCE
        from tematik.survey import FELDT_1965

        refs += [POMP_REFERENCE, FELDT_1965]
    if "ks-undiksha" in inputs.scale_note:  # the study whose category bands the preset reproduces
        refs.append("Category bands after: " + STUDY_REFERENCE)
    sections.append(Section("methods", "Method notes", (
        Bullets(tuple(inputs.survey_notes) or ("No questionnaire scored.",), "Questionnaire scores"),
        Bullets(FREQUENCY_NOTES, "Theme frequencies"),
        Bullets(tuple(d.describe_rules()), "Convergence rules"),
        Bullets(("Links come from the codebook's factors field (or a --links file); each has an expected direction "
                 "and a rationale, listed in the codebook section.",
                 f"Statistics by themes compare respondents' {_measure(inputs.by_theme)} between those who voiced "
                 "a theme and those who did not: Mann-Whitney U with a permutation p-value (Mann & Whitney 1947) "
                 "and Cliff's delta (Cliff 1993) with a bootstrap interval.",
                 st), "Integration"),
        Bullets(tuple(refs), "Sources"))))

    sections.append(Section("quotes", "Appendix: quotes", _quote_blocks(inputs)))
    title = "Findings report"
    subtitle = f"{inputs.project} \u2014 generated {inputs.generated}"
    return Report(title, subtitle, tuple(sections), inputs.generated)


AGREEMENT_DECIMALS = {c: 3 for c in ("percent_agreement", "cohen_kappa", "krippendorff_alpha", "alpha_low",
                                     "alpha_high", "gwet_ac1", "brennan_prediger")}
EVALUATION_REPORT_COLUMNS = ("reference", "code", "units", "tp", "fp", "fn", "precision", "recall", "f1", "note")


def agreement_blocks(inputs: ReportInputs) -> tuple[Block, ...]:
    """The intercoder agreement section: agreement between PEOPLE only. With fewer than two people it says who
    coded, that the auto-coder is not a second coder and how to bring a second coder's codings in. The evaluation
    of the auto-coder, when the report was asked for it, follows under its own heading, never as agreement."""
    people = list(inputs.coders)
    auto = inputs.auto_coder
    statuses = ", ".join(inputs.statuses)
    blocks: list[Block] = []
    if inputs.agreement is not None and len(people) >= 2:
        blocks.append(table(
            "agreement", f"Intercoder agreement ({', '.join(people)})", inputs.agreement,
            decimals=AGREEMENT_DECIMALS,
            caption="Between the people who coded (the auto-coder is not one of them); per code on "
                    "presence/absence in each sentence; codes no coder applied are listed last and "
                    "left out of the pooled and mean rows; alpha with a 95% bootstrap interval over sentences; "
                    "Gwet's AC1 beside kappa and alpha (stable when a code is rare). Readings after Landis & Koch "
                    "(1977) for kappa and AC1 and Krippendorff (2004) for alpha (>= .800 reliable, >= .667 "
                    "tentative)."))
    else:
        if people:
            who = f"one person has codings with the counted statuses ({statuses}): {people[0]}"
        else:
            who = f"no person has codings with the counted statuses ({statuses})"
        not_coder = (f" The auto-coder's {inputs.auto_codings} suggestion(s) are not a second coder: agreement "
                     "with a machine is not intercoder agreement." if inputs.auto_codings else "")
        blocks.append(Paragraph(
            f"Intercoder agreement compares people, and {who}.{not_coder} To report it, have a second person code "
            "a sample of the documents independently in a copy of the project (with `--coder NAME`), bring their "
            "codings in with `tematik merge OTHER.db` or `tematik import-codings FILE`, and run `tematik agree`.",
            emphasis=True))
    if inputs.auto_evaluation is not None:
        ev = inputs.auto_evaluation
        refs = list(getattr(ev, "attrs", {}).get("references", ())) or people
        blocks.append(table(
            "auto_coder_evaluation",
            f"Evaluation of the auto-coder (not intercoder agreement): {auto} against {', '.join(map(str, refs))}",
            ev, [c for c in EVALUATION_REPORT_COLUMNS if c in getattr(ev, "columns", EVALUATION_REPORT_COLUMNS)],
            decimals={"precision": 3, "recall": 3, "f1": 3},
            caption="How well the auto-coder's suggestions match each person's coding, per code and pooled (ALL): "
                    "precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn), over the "
                    "sentences both saw. The auto-coder's side is everything it proposed (suggested, accepted and "
                    f"rejected suggestions); each person's side is their codings with the counted statuses "
                    f"({statuses}). This evaluates the auto-coder; it is not agreement between coders."))
    elif inputs.auto_codings and people:
        blocks.append(Paragraph(
            f"The auto-coder is not evaluated in this report; `tematik agree --reference {auto}` (or `tematik "
            f"report --evaluate-auto-coder`) scores its suggestions against each person's coding."))
    return tuple(blocks)


def _measure(frame: Any) -> str:
    """Which score a statistics-by-themes table compares, in words."""
    from tematik.triangulate import MEASURES

    if frame is not None and "measure" in getattr(frame, "columns", ()) and len(frame):
        return MEASURES.get(str(frame["measure"].iloc[0]), str(frame["measure"].iloc[0]))
    return MEASURES["percent"]


def _quote_blocks(inputs: ReportInputs) -> tuple[Block, ...]:
    q = inputs.quotes
    if q is None or not len(q):
        return (Paragraph("No coded passages with the counted statuses."),)
    rows = q.to_dict(orient="records") if hasattr(q, "to_dict") else list(q)
    n = inputs.appendix_quotes
    blocks: list[Block] = [Paragraph(
        f"Up to {n} coded passages per theme, taken in turn from each participant (passages with no participant "
        "count as their document's) so that no single voice fills the list; within a voice in document order. "
        + statuses_sentence(inputs.statuses))]
    names = {}
    for r in rows:
        names.setdefault(r["code"], r.get("name") or r["code"])
    for code, name in names.items():
        mine = spread([r for r in rows if r["code"] == code], n)
        blocks.append(table(f"quotes_{code}", f"{name} ({code})",
                            [{"participant": _plain(r.get("participant")), "role": _plain(r.get("role")),
                              "document": r.get("document"), "line": _plain(r.get("line")),
                              "negative": bool(r.get("negative")), "text": " ".join(str(r.get("text")).split())}
                             for r in mine],
                            ("participant", "role", "document", "line", "negative", "text")))
    return tuple(blocks)


def spread(rows: Sequence[Mapping[str, Any]], n: int) -> list[Mapping[str, Any]]:
    """Up to ``n`` rows taken round-robin over speakers (participant, else document), in first-appearance order;
    the result keeps the rows' original order."""
    voices: dict[Any, list[int]] = {}
    for i, r in enumerate(rows):
        voices.setdefault(_plain(r.get("participant")) or ("doc", r.get("document")), []).append(i)
    chosen: list[int] = []
    queues = list(voices.values())
    depth = 0
    while len(chosen) < n and any(depth < len(q) for q in queues):
        for q in queues:
            if depth < len(q) and len(chosen) < n:
                chosen.append(q[depth])
        depth += 1
    return [rows[i] for i in sorted(chosen)]
