"""`tematik triangulate` (joint displays, convergence, overrides, meta-inferences) and `tematik report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tematik.cli.common import (
    CoderOption,
    DbOption,
    OutputOption,
    console,
    emit,
    note,
    open_store,
    warn,
    write_stdout,
)
from tematik.errors import InputError, NotFound

triangulate_app = typer.Typer(
    help="Joint displays of themes and questionnaire factors with convergence codes (Farmer et al. 2006): "
         "agreement, partial agreement, silence, dissonance. Without a sub-command: the side-by-side display.",
    no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.add_typer(triangulate_app, name="triangulate")
    app.command("report")(report)


class DisplayFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    html = "html"
    docx = "docx"


class Lang(StrEnum):
    id = "id"
    en = "en"


class Measure(StrEnum):
    percent = "percent"
    pomp = "pomp"
    mean = "mean"


class Polarity(StrEnum):
    share = "share"
    ignore = "ignore"


SUFFIX_FORMATS = {".md": "md", ".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".html": "html", ".htm": "html",
                  ".docx": "docx"}
DEFAULT_STATUS = "accepted,manual"

StatusOption = Annotated[str, typer.Option(
    "--status", metavar="STATUSES",
    help="Coding statuses that count, comma-separated (suggested, accepted, manual), or all (= all but rejected). "
         "Counting 'suggested' counts unreviewed auto-coding suggestions, and the display says so.")]
LinksOption = Annotated[Path | None, typer.Option(
    "--links", metavar="FILE", dir_okay=False, show_default=False,
    help="Theme-factor links from this file (CSV or YAML: theme, factor, direction, rationale) instead of the "
         "codebook's factors field.")]
QuotesOption = Annotated[int, typer.Option("--quotes", min=0, help="Exemplar quotes per theme, each from a "
                                                                   "different participant.")]
ProminenceOption = Annotated[float, typer.Option(
    "--prominence", metavar="PCT", help="A theme is prominent when at least this percent of the participants who "
                                        "could speak voiced it.")]
PositiveOption = Annotated[str | None, typer.Option(
    "--positive", metavar="CATEGORIES", show_default=False,
    help="Factor categories that read positive, comma-separated; every other category then reads negative "
         "(default: each category reads as the instrument's category scale says; without readings, by order).")]
PolarityOption = Annotated[Polarity, typer.Option(
    "--polarity", help="share: a theme reads negative when more than --negative-share of its units are "
                       "negative-polarity; ignore: every voiced theme reads positive.")]
NegativeShareOption = Annotated[float, typer.Option(
    "--negative-share", metavar="SHARE", help="Share of negative-polarity units above which a theme reads "
                                              "negative (0-1).")]
InstrumentOption = Annotated[str | None, typer.Option(
    "--instrument", help="Questionnaire instrument (its id) when the project has several.", show_default=False)]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of factor names and category labels.")]


def parse_statuses(text: str) -> tuple[str, ...]:
    from tematik.models import CODING_STATUSES

    if text.strip().lower() == "all":
        return tuple(s for s in CODING_STATUSES if s != "rejected")
    wanted = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not wanted:
        raise InputError("no status to count", field="--status")
    for s in wanted:
        if s not in CODING_STATUSES:
            raise InputError(f"unknown status {s!r}; expected {', '.join(CODING_STATUSES)} or all", field="--status")
    return wanted


def make_rules(prominence: float, positive: str | None, polarity: Polarity, negative_share: float):
    from tematik.triangulate import Rules

    cats = tuple(c.strip() for c in positive.split(",") if c.strip()) if positive is not None else None
    return Rules(prominence=prominence, positive_categories=cats, polarity=polarity.value,
                 negative_share=negative_share)


# --------------------------------------------------------------------------- gathering


@dataclass
class Gathered:
    """Everything the displays and the report need, computed with the functions the single commands use."""

    statuses: tuple[str, ...]
    codebook: Any
    data: Any  # analysis.CodingData (prepared)
    frequencies: Any
    by_source: Any
    links: list
    display: Any  # triangulate.JointDisplay
    responses: Any = None
    categories: Any = None
    scores: Any = None  # survey.score
    respondent_scores: Any = None  # survey.respondent_scores, respondent ids mapped to participant ids
    voiced: dict = field(default_factory=dict)
    population: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    quote_rows: Any = None
    lang: str = "id"


def gather(store, *, statuses: tuple[str, ...], rules, links_file: Path | None = None, quotes: int = 2,
           instrument: str | None = None, lang: str = "id") -> Gathered:
    from tematik import analysis
    from tematik import triangulate as tri
    from tematik.cli.codebook import project_codebook
    from tematik.store import analysis as store_analysis
    from tematik.store import survey as store_survey
    from tematik.store import triangulate as store_tri

    cb, _ = project_codebook(store)
    filters = store_analysis.Filters(statuses=statuses)
    data = analysis.prepare(store_analysis.load(store, filters))
    freq = analysis.frequencies(data)
    by_source = analysis.frequencies(data, by="source_type")
    code_ids = [str(c) for c in data.codes["id"]]
    quote_rows = analysis.quote_table(data, store_analysis.quotes(store, filters, code_ids), codes=code_ids)
    evidence = tri.theme_evidence(freq, by_source, quote_rows, quotes)

    warnings: list[str] = []
    counts = store_tri.status_counts(store)
    counted = sum(counts.get(s, 0) for s in statuses)
    if counted == 0 and counts.get("suggested"):
        warnings.append(f"no codings with status {', '.join(statuses)}; {counts['suggested']} auto-coding "
                        "suggestions are unreviewed: review them (tematik review) or count them with "
                        "--status suggested,accepted,manual")

    links = tri.read_links(links_file) if links_file is not None else tri.links_from_codebook(cb)

    responses = categories = scores = per_respondent = None
    try:
        responses = store_survey.load_responses(store, instrument)
    except NotFound as exc:
        if instrument is not None:
            raise
        warnings.append(f"{exc.message}: the questionnaire side is silent")
    fscores: dict = {}
    if responses is not None:
        from tematik.instrument import FROM_ORDER
        from tematik.survey import respondent_scores, score

        categories = responses.instrument.categories
        scores = score(responses, scale=categories, lang=lang)
        fscores = tri.factor_scores(scores, categories)
        if rules.positive_categories is not None:
            known = {text.strip().lower() for b in categories.bands for text in b.labels.values()}
            unknown = [c for c in rules.positive_categories if c.strip().lower() not in known]
            if unknown:
                warnings.append(f"--positive names {', '.join(map(repr, unknown))}, which is not a category of "
                                f"{categories.name} ({categories.describe(lang)})")
        elif categories.readings == FROM_ORDER:
            warnings.append(categories.readings_note(lang) + " Set readings in the instrument's categories, or "
                            "name the positive categories with --positive.")
        per_respondent = respondent_scores(responses, scale=categories, lang=lang)
        mapping = store_tri.respondent_participants(store, responses.instrument.id)
        per_respondent["respondent"] = [mapping.get(str(r), str(r)) for r in per_respondent["respondent"]]
    overall_id = responses.instrument.overall.id if responses is not None and responses.instrument.overall \
        else ""
    factor_ids = [f for f in fscores if f != overall_id] if fscores else []
    warnings += tri.check_links(links, code_ids, factor_ids)

    overrides = {k: tri.Override(v["convergence"], v["note"], v["who"], v["at"])
                 for k, v in store_tri.overrides(store).items()}
    inferences = {k: v["text"] for k, v in store_tri.inferences(store).items()}
    readings = ""
    if categories is not None:
        readings = (f"--positive overrides the instrument's readings: {', '.join(rules.positive_categories)} read "
                    "positive, every other category negative." if rules.positive_categories is not None
                    else categories.readings_note(lang))
    display = tri.joint_display(evidence, links, fscores, rules, overrides=overrides, inferences=inferences,
                                statuses=statuses, readings=readings, overall=overall_id)
    matrix = analysis.case_matrix(data, rows="participant", values="presence")
    voiced = tri.voiced_from_matrix(matrix, code_ids)
    return Gathered(statuses, cb, data, freq, by_source, links, display, responses, categories, scores,
                    per_respondent, voiced, [str(p) for p in matrix["participant"]], warnings, quote_rows, lang)


def _by_theme(g: Gathered, measure: str = "percent"):
    from tematik import triangulate as tri

    if g.respondent_scores is None:
        return None
    respondents = set(g.respondent_scores["respondent"].astype(str))
    population = [p for p in g.population if p in respondents]
    return tri.by_theme(g.voiced, g.respondent_scores, g.links, population, measure=measure)


def _unreviewed_banner(statuses: tuple[str, ...]) -> None:
    if "suggested" in statuses:
        console.print("[bold yellow]These counts include UNREVIEWED auto-coding suggestions (status 'suggested'): "
                      "read them as provisional.[/]")


# --------------------------------------------------------------------------- the joint display


@triangulate_app.callback(invoke_without_command=True)
def triangulate(
    ctx: typer.Context,
    fmt: Annotated[DisplayFormat, typer.Option("--format", "-f", help="Output format.")] = DisplayFormat.table,
    output: OutputOption = None,
    quotes: QuotesOption = 2,
    status: StatusOption = DEFAULT_STATUS,
    links: LinksOption = None,
    prominence: ProminenceOption = 20.0,
    positive: PositiveOption = None,
    polarity: PolarityOption = Polarity.share,
    negative_share: NegativeShareOption = 0.5,
    instrument: InstrumentOption = None,
    lang: LangOption = Lang.id,
    by_theme: Annotated[bool, typer.Option("--by-theme", help="Statistics by themes instead: each linked factor's "
                                                              "score among participants who voiced the theme and "
                                                              "those who did not.")] = False,
    db: DbOption = None,
) -> None:
    """The side-by-side joint display: per theme, who voiced it (n, %), coded units, negative share, the kind of
    data (interview, observation, both), exemplar quotes, the linked factors' scores, the convergence code with
    its reason, and the researcher's meta-inference; then the factors no theme links to, and a summary.

    Convergence rules (configurable): silence when one side says nothing; agreement when the theme is prominent
    and every linked factor reads in the expected direction; dissonance when it is prominent and none does;
    partial agreement otherwise. Override a code with `tematik triangulate set`.
    """
    if ctx.invoked_subcommand is not None:
        return
    statuses = parse_statuses(status)
    rules = make_rules(prominence, positive, polarity, negative_share)
    with open_store(db) as store:
        g = gather(store, statuses=statuses, rules=rules, links_file=links, quotes=quotes, instrument=instrument,
                   lang=lang.value)
    for w in g.warnings:
        warn(w)
    if by_theme:
        _emit_by_theme(g, fmt, output)
        return
    show_display(g.display, fmt, output, quotes=quotes)


def show_display(display, fmt: DisplayFormat, output: Path | None, *, quotes: int | None = None) -> None:
    """Print or write the joint display in any format."""
    from tematik import report as rep
    from tematik.triangulate import JOINT_COLUMNS

    kind = fmt.value
    if output is not None and kind == "table":
        kind = SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    if kind in ("csv", "json"):
        emit(JOINT_COLUMNS, display.records(quotes=quotes), kind, output=output)
        return
    if kind in ("md", "html", "docx", "xlsx"):
        from tematik.export import report as writers

        joint, summary, links, reasons = rep.joint_tables(display, quotes=quotes)
        section = rep.Section("joint-display", "Joint display and convergence", (
            rep.Paragraph(rep.statuses_sentence(display.statuses), emphasis="suggested" in display.statuses),
            summary, joint, reasons, links, rep.Bullets(tuple(display.describe_rules()), "Convergence rules")))
        doc = rep.Report("Joint display", "Themes and questionnaire factors side by side", (section,))
        if kind == "md" and output is None:
            write_stdout(writers.to_markdown(doc))
            return
        if output is None:
            raise InputError(f"--format {kind} needs --output FILE.{kind}", field="--output")
        {"md": writers.write_markdown, "html": writers.write_html, "docx": writers.write_docx,
         "xlsx": writers.write_xlsx}[kind](doc, output)
        note(f"wrote {output}")
        return
    _print_table(display, quotes)


CONVERGENCE_STYLES = {"agreement": "bold green", "partial agreement": "bold yellow", "silence": "bold white",
                      "dissonance": "bold red"}


def _print_table(display, quotes: int | None) -> None:
    from rich.markup import escape

    _unreviewed_banner(display.statuses)
    rows = []
    for r in display.rows:
        rec = r.record(quotes=quotes)
        voiced = (f"{rec['participants']}/{rec['participants_total']} ({rec['participants_pct']:.0f}%)"
                  if rec["participants_pct"] is not None else ("" if r.kind == "factor" else "0"))
        conv = rec["convergence"]
        if rec["override"]:
            conv = f"{rec['override']} ✎ (computed: {rec['computed']})"
        rows.append({"theme": rec["name"] + (" (factor)" if r.kind == "factor" else ""), "voiced": voiced,
                     "units": rec["units"], "neg %": rec["negative_share"], "data": rec["methods"],
                     "quotes": rec["quotes"].replace(" | ", "\n"), "linked factors": rec["factors"].replace("; ", "\n"),
                     "convergence": conv, "meta-inference": rec["meta_inference"], "_code": r.convergence,
                     "_override": bool(rec["override"])})
    columns = ["theme", "voiced", "units", "neg %", "data", "quotes", "linked factors", "convergence",
               "meta-inference"]
    if not any(r["meta-inference"] for r in rows):
        columns.remove("meta-inference")
    if not quotes:
        columns.remove("quotes")

    def style(column: str, row: dict) -> str | None:
        if column != "convergence":
            return None
        base = CONVERGENCE_STYLES.get(row["_code"], "")
        return base + (" reverse" if row["_override"] else "")

    emit(columns, rows, "table", decimals={"neg %": 0}, cell_style=style,
         title="Joint display: themes and questionnaire factors",
         caption=f"Codings counted: {', '.join(display.statuses)}. ✎ = the researcher's override (reverse video); "
                 "Factor scores: percent of maximum with category. ✓/✗ = the factor reads / does not read in the "
                 "expected direction. " + display.readings)
    console.print("[bold]Why each code[/]")
    for r in display.rows:
        mark = ""
        if r.override:
            mark = (f" → overridden: {r.override.convergence} ✎ by {r.override.who} ({(r.override.at or '')[:10]}): "
                    f"{r.override.note}")
        meta = f" Meta-inference: {r.meta_inference}" if r.meta_inference else ""
        console.print(f"[{CONVERGENCE_STYLES.get(r.computed.code, '')}]{escape(r.computed.code)}[/] "
                      f"[bold]{escape(r.name)}[/]: {escape(r.computed.reason)}{escape(mark)}{escape(meta)}",
                      soft_wrap=True)
    summary = display.summary()
    console.print("[bold]Summary[/] " + ", ".join(
        f"{s['convergence']}: {s['final']}" + (f" (computed {s['computed']})" if s["computed"] != s["final"] else "")
        for s in summary if s["convergence"] != "total") + f" — {len(display.rows)} rows, {display.overridden} "
        "overridden", soft_wrap=True)
    if display.overall is not None and display.overall.percent is not None:
        console.print(f"Overall: {escape(display.overall.name)} {display.overall.percent:.1f}% "
                      f"({escape(display.overall.category or '')})", soft_wrap=True)


def _emit_by_theme(g: Gathered, fmt: DisplayFormat, output: Path | None, measure: str = "percent") -> None:
    from tematik.export.tables import as_rows
    from tematik.report import BY_THEME_HEADERS, BY_THEME_NOTE, statuses_sentence
    from tematik.triangulate import BY_THEME_COLUMNS, MEASURES

    frame = _by_theme(g, measure)
    if frame is None:
        raise NotFound("no questionnaire in this project: statistics by themes need factor scores "
                       "(tematik survey import RESPONSES --instrument FILE)")
    _, rows = as_rows(frame)
    kind = fmt.value
    if output is not None and kind == "table":
        kind = SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    if kind in ("html", "docx"):
        raise InputError("statistics by themes are written as table, md, csv, json or xlsx; the report "
                         "(tematik report) holds them in html and docx", field="--format")
    if kind == "table":
        _unreviewed_banner(g.statuses)
    columns = list(BY_THEME_COLUMNS)
    notes = []
    if kind == "table":  # a terminal is narrow: the interval in one column, the notes under the table
        for r in rows:
            low, high = r.pop("effect_low"), r.pop("effect_high")
            r["delta 95% CI"] = "" if low is None else f"{low:.2f} to {high:.2f}"
            notes.append(f"{r['theme']} / {r['factor']}: {r.pop('note')}")
        columns = [c for c in columns if c not in ("effect_low", "effect_high", "note", "measure", "p_method",
                                                   "direction")]
        columns.insert(columns.index("effect") + 1, "delta 95% CI")
    emit(columns, rows, kind, output=output, headers=BY_THEME_HEADERS if kind == "table" else None,
         decimals={"p_value": 3, "p_holm": 3, "effect": 2, "effect_low": 2, "effect_high": 2, "u": 1, "voiced_n": 0,
                   "not_voiced_n": 0, "voiced_median": 1, "voiced_mean": 1, "not_voiced_median": 1,
                   "not_voiced_mean": 1, "difference": 1}, sheet="by theme",
         title=f"Statistics by themes: {MEASURES[measure]} of participants who voiced each theme vs. did not",
         caption=f"Participants who spoke in the qualitative data and answered the questionnaire "
                 f"({_n_population(g)}). " + BY_THEME_NOTE.format(measure=MEASURES[measure]) + " "
                 + statuses_sentence(g.statuses))
    for text in notes:
        note(text)


def _n_population(g: Gathered) -> int:
    respondents = set(g.respondent_scores["respondent"].astype(str)) if g.respondent_scores is not None else set()
    return sum(p in respondents for p in g.population)


@triangulate_app.command("by-theme")
def by_theme_command(
    fmt: Annotated[DisplayFormat, typer.Option("--format", "-f", help="Output format.")] = DisplayFormat.table,
    output: OutputOption = None,
    status: StatusOption = DEFAULT_STATUS,
    links: LinksOption = None,
    instrument: InstrumentOption = None,
    lang: LangOption = Lang.id,
    measure: Annotated[Measure, typer.Option(
        "--measure", help="Score compared: percent (of maximum), pomp (percent of maximum possible) or mean "
                          "(item score).")] = Measure.percent,
    db: DbOption = None,
) -> None:
    """Statistics by themes (Guetterman et al. 2015): for participants who are also questionnaire respondents,
    each linked factor's score among those who voiced the theme versus those who did not: n, median and mean
    per group, Mann-Whitney U with an exact or permutation p-value (ties handled), Cliff's delta with a
    bootstrap interval, and a note in words (e.g. when the groups are too small to say anything)."""
    from tematik.triangulate import Rules

    statuses = parse_statuses(status)
    with open_store(db) as store:
        g = gather(store, statuses=statuses, rules=Rules(), links_file=links, quotes=0, instrument=instrument,
                   lang=lang.value)
    for w in g.warnings:
        warn(w)
    _emit_by_theme(g, fmt, output, measure.value)


# --------------------------------------------------------------------------- overrides and meta-inferences


def _target(store, key: str) -> str:
    """A theme (code id or name) or a questionnaire factor id."""
    from tematik.store import coding as store_coding

    try:
        return store_coding.code_exists(store, key)
    except NotFound as exc:
        factors: list[str] = []
        try:
            from tematik.store import survey as store_survey

            responses = store_survey.load_responses(store)
            factors = [f.id for f in responses.instrument.scored]
        except NotFound:
            pass
        if key in factors:
            return key
        raise NotFound(exc.message + (f"; factors: {', '.join(factors)}" if factors else "")) from None


@triangulate_app.command("set")
def set_convergence(
    theme: Annotated[str, typer.Argument(help="Theme (code id or name), or a factor id for a factor row.")],
    convergence: Annotated[str | None, typer.Option(
        "--convergence", "-c", help="agreement, partial (agreement), silence or dissonance.", show_default=False)
    ] = None,
    note_text: Annotated[str | None, typer.Option("--note", "-n", help="Why (required with --convergence).",
                                                  show_default=False)] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the override: the computed code stands.")] = False,
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Override the computed convergence code of a theme, recording who and why (kept in the audit log)."""
    from tematik.store import triangulate as store_tri
    from tematik.triangulate import normalise_convergence

    if clear == (convergence is not None):
        raise InputError("give either --convergence CODE --note TEXT, or --clear", field="--convergence")
    with open_store(db) as store:
        key = _target(store, theme)
        if clear:
            if store_tri.clear_override(store, key, who=coder):
                console.print(f"{key}: override removed; the computed code stands")
            else:
                console.print(f"{key}: had no override")
            return
        code = normalise_convergence(convergence or "")
        if not note_text or not note_text.strip():
            raise InputError("say why with --note TEXT (it is recorded with the override)", field="--note")
        store_tri.set_override(store, key, code, note_text.strip(), who=coder)
    console.print(f"{key}: convergence set to [bold]{code}[/] (override recorded in the audit log)")


@triangulate_app.command("infer")
def infer(
    theme: Annotated[str, typer.Argument(help="Theme (code id or name), or a factor id for a factor row.")],
    text: Annotated[str, typer.Option("--text", "-t", help="The meta-inference (empty text removes it).")],
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Write the meta-inference of a theme: what the two strands say together."""
    from tematik.store import triangulate as store_tri

    with open_store(db) as store:
        key = _target(store, theme)
        store_tri.set_inference(store, key, text, who=coder)
    console.print(f"{key}: meta-inference {'saved' if text.strip() else 'removed'}")


@triangulate_app.command("log")
def log(db: DbOption = None) -> None:
    """Overrides and meta-inferences as recorded in the audit log, newest first."""
    from tematik.store import triangulate as store_tri

    with open_store(db) as store:
        rows = store_tri.convergence_log(store)
    emit(["at", "who", "action", "entity", "entity_id", "before", "after"], rows, "table",
         title="Convergence overrides and meta-inferences")


# --------------------------------------------------------------------------- the report


def build(store, g: Gathered, folder: Path, *, unit: str = "sentence", appendix: int = 12, joint_quotes: int = 2):
    """The report's content for a project (charts are drawn into ``folder/charts``)."""
    from datetime import datetime

    from tematik import analysis
    from tematik import report as rep
    from tematik.cli.segments import ensure_segments
    from tematik.export import charts
    from tematik.fileio import make_folder
    from tematik.store import analysis as store_analysis
    from tematik.store import corpus as store_corpus
    from tematik.store import triangulate as store_tri
    from tematik.survey import method_notes

    charts_dir = folder / "charts"
    make_folder(charts_dir)
    figures: dict[str, Path] = {}
    freq = g.frequencies
    names = dict(zip(freq["code"].astype(str), freq["name"], strict=True))
    scope = rep.statuses_sentence(g.statuses).split(".")[0]
    figures["frequencies"] = charts.frequency_chart(
        freq.set_index("code")[["participants_pct"]], charts_dir / "theme_frequencies.png", labels=names,
        value_label="% of participants who could speak", note=scope)

    filters = store_analysis.Filters(statuses=g.statuses)
    ensure_segments(store, unit)
    pairs = analysis.cooccurrence(g.data, store_analysis.segments(store, unit, filters))
    flagged = pairs[pairs["fivefold"].astype(bool)]
    figures["cooccurrence"] = charts.cooccurrence_heatmap(
        analysis.cooccurrence_matrix(pairs, "n_ab"), charts_dir / "cooccurrence.png", labels=names,
        value_label=f"{unit}s with both themes", flags=set(zip(flagged["code_a"], flagged["code_b"], strict=True)),
        note=scope)

    if g.scores is not None:
        figures["factors"] = charts.factor_chart(g.scores, charts_dir / "factor_scores.png", g.categories,
                                          title=g.responses.instrument.name(g.lang), lang=g.lang)

    code_rows = []
    for c in g.codebook.codes:
        arrows = {"positive": "+", "negative": "-", "mixed": "±"}
        code_rows.append({"id": c.id, "name": c.label(g.lang), "parent": c.parent,
                          "definition": c.definition.get(g.lang) or next(iter(c.definition.values()), ""),
                          "factors": ", ".join(f"{f.factor} ({arrows.get(f.direction or '', '?')})"
                                               for f in c.factors)})

    coders = store_tri.coders(store, g.statuses)
    agreement = None
    if len(coders) >= 2:
        from tematik import agreement as ag
        from tematik.cli.agree import AGREEMENT_COLUMNS, presence_from_project

        presence, _ = presence_from_project(store, "sentence", [], [], ",".join(g.statuses))
        frame = ag.agreement(presence).to_frame()
        agreement = frame[[c for c in ["scope", *AGREEMENT_COLUMNS] if c in frame.columns]]

    code_ids = [str(c) for c in g.data.codes["id"]]
    appendix_quotes = analysis.quote_table(g.data, store_analysis.quotes(store, filters, code_ids), codes=code_ids)
    inputs = rep.ReportInputs(
        project=store.path.name, generated=datetime.now().strftime("%Y-%m-%d %H:%M"), statuses=g.statuses,
        corpus=store_corpus.corpus_summary(store), codes=code_rows, display=g.display, frequencies=freq,
        cooccurrence=pairs, scores=g.scores, by_theme=_by_theme(g), agreement=agreement, coders=coders,
        quotes=appendix_quotes, figures=figures,
        survey_notes=method_notes(g.responses, g.categories) if g.responses is not None else (),
        scale_note=(f"Categories ({g.categories.name}) on the {g.categories.basis_name}: "
                    f"{g.categories.describe(g.lang)}. {g.categories.readings_note(g.lang)} "
                    f"Source: {g.categories.source}") if g.categories is not None else "",
        categories=g.categories,
        instrument=g.responses.instrument.name(g.lang) if g.responses is not None else "",
        respondents=len(g.responses.answers) if g.responses is not None else 0,
        cooccurrence_unit=unit, joint_quotes=joint_quotes, appendix_quotes=appendix, notes=tuple(g.warnings))
    return rep.build_report(inputs)


def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write report.html, report.md, "
                                                                "report.xlsx, report.docx and charts/ into.",
                                         file_okay=False)],
    status: StatusOption = DEFAULT_STATUS,
    quotes: QuotesOption = 2,
    appendix: Annotated[int, typer.Option("--appendix", min=0, help="Quotes per theme in the appendix.")] = 12,
    links: LinksOption = None,
    prominence: ProminenceOption = 20.0,
    positive: PositiveOption = None,
    polarity: PolarityOption = Polarity.share,
    negative_share: NegativeShareOption = 0.5,
    instrument: InstrumentOption = None,
    lang: LangOption = Lang.id,
    db: DbOption = None,
) -> None:
    """The findings report: corpus, codebook, theme frequencies (chart), co-occurrence (heatmap), factor scores
    (chart), the joint display with its convergence summary, statistics by themes, intercoder agreement (two or
    more coders), method notes and an appendix of quotes. Self-contained HTML, Markdown, XLSX and DOCX."""
    from tematik.export import report as writers

    statuses = parse_statuses(status)
    rules = make_rules(prominence, positive, polarity, negative_share)
    from tematik.fileio import make_folder, remove_manifest

    make_folder(output)
    remove_manifest(output)  # until the new one is written last, the folder is marked incomplete
    with open_store(db) as store:
        g = gather(store, statuses=statuses, rules=rules, links_file=links, quotes=quotes, instrument=instrument,
                   lang=lang.value)
        doc = build(store, g, output, appendix=appendix, joint_quotes=quotes)
    for w in g.warnings:
        warn(w)
    written = writers.write_all(doc, output)
    _unreviewed_banner(statuses)
    for kind, path in written.items():
        console.print(f"wrote {kind:5} {path}")
