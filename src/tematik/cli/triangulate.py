"""`tematik triangulate` (joint displays, convergence, overrides, meta-inferences) and `tematik report`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tematik.cli.common import (
    CoderOption,
    DbOption,
    OutputOption,
    console,
    emit,
    note,
    open_project,
    status_option,
    write_stdout,
)
from tematik.cli.render import print_joint_display, unreviewed_banner
from tematik.errors import InputError

if TYPE_CHECKING:
    from tematik.project.triangulate import Triangulation

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

StatusOption = status_option(
    "Coding statuses that count: repeat or comma-separate (suggested, accepted, manual), or all (= all but "
    "rejected). Default: accepted,manual. Counting 'suggested' counts unreviewed auto-coding suggestions, and the "
    "display says so.")
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


# --------------------------------------------------------------------------- the joint display


@triangulate_app.callback(invoke_without_command=True)
def triangulate(
    ctx: typer.Context,
    fmt: Annotated[DisplayFormat, typer.Option("--format", "-f", help="Output format.")] = DisplayFormat.table,
    output: OutputOption = None,
    quotes: QuotesOption = 2,
    status: StatusOption = None,
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
    options = dict(status=status, links=links, prominence=prominence, positive=positive, polarity=polarity.value,
                   negative_share=negative_share, instrument=instrument, lang=lang.value)
    with open_project(db) as p:
        if by_theme:
            frame = p.triangulate_by_theme(**options)
        else:
            result = p.triangulate(quotes=quotes, **options)
    if by_theme:
        _emit_by_theme(frame, fmt, output)
        return
    show_display(result, fmt, output)


def show_display(result: Triangulation, fmt: DisplayFormat, output: Path | None) -> None:
    """Print or write the joint display in any format."""
    kind = fmt.value
    if output is not None and kind == "table":
        kind = SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    if kind in ("csv", "json"):
        from tematik.export.tables import as_rows

        columns, rows = as_rows(result.to_frame())
        emit(columns, rows, kind, output=output)
        return
    if kind in ("md", "html", "docx", "xlsx"):
        if kind == "md" and output is None:
            from tematik.export import report as writers

            write_stdout(writers.to_markdown(result.to_report()))
            return
        if output is None:
            raise InputError(f"--format {kind} needs --output FILE.{kind}", field="--output")
        result.write(output, kind)
        note(f"wrote {output}")
        return
    print_joint_display(result.display, result.quotes)


def _emit_by_theme(frame, fmt: DisplayFormat, output: Path | None) -> None:
    from tematik.export.tables import as_rows
    from tematik.report import BY_THEME_HEADERS
    from tematik.triangulate import BY_THEME_COLUMNS

    _, rows = as_rows(frame)
    kind = fmt.value
    if output is not None and kind == "table":
        kind = SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    if kind in ("html", "docx"):
        raise InputError("statistics by themes are written as table, md, csv, json or xlsx; the report "
                         "(tematik report) holds them in html and docx", field="--format")
    if kind == "table":
        unreviewed_banner(frame.attrs["statuses"])
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
         title=frame.attrs["title"], caption=frame.attrs["caption"])
    for text in notes:
        note(text)


@triangulate_app.command("by-theme")
def by_theme_command(
    fmt: Annotated[DisplayFormat, typer.Option("--format", "-f", help="Output format.")] = DisplayFormat.table,
    output: OutputOption = None,
    status: StatusOption = None,
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
    with open_project(db) as p:
        frame = p.triangulate_by_theme(status=status, links=links, instrument=instrument, lang=lang.value,
                                       measure=measure.value)
    _emit_by_theme(frame, fmt, output)


# --------------------------------------------------------------------------- overrides and meta-inferences


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
    with open_project(db) as p:
        change = p.set_convergence(theme, convergence, note=note_text, clear=clear, coder=coder)
    if change.cleared:
        console.print(f"{change.key}: override removed; the computed code stands" if change.removed
                      else f"{change.key}: had no override")
        return
    console.print(f"{change.key}: convergence set to [bold]{change.convergence}[/] (override recorded in the audit "
                  "log)")


@triangulate_app.command("infer")
def infer(
    theme: Annotated[str, typer.Argument(help="Theme (code id or name), or a factor id for a factor row.")],
    text: Annotated[str, typer.Option("--text", "-t", help="The meta-inference (empty text removes it).")],
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Write the meta-inference of a theme: what the two strands say together."""
    with open_project(db) as p:
        done = p.set_meta_inference(theme, text, coder=coder)
    console.print(f"{done.key}: meta-inference {'removed' if done.removed else 'saved'}")


@triangulate_app.command("log")
def log(db: DbOption = None) -> None:
    """Overrides and meta-inferences as recorded in the audit log, newest first."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        frame = p.convergence_log()
    columns, rows = as_rows(frame)
    emit(columns, rows, "table", title=frame.attrs["title"])


# --------------------------------------------------------------------------- the report


def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write report.html, report.md, "
                                                                "report.xlsx, report.docx and charts/ into.",
                                         file_okay=False)],
    status: StatusOption = None,
    quotes: QuotesOption = 2,
    appendix: Annotated[int, typer.Option("--appendix", min=0, help="Quotes per theme in the appendix.")] = 12,
    links: LinksOption = None,
    prominence: ProminenceOption = 20.0,
    positive: PositiveOption = None,
    polarity: PolarityOption = Polarity.share,
    negative_share: NegativeShareOption = 0.5,
    instrument: InstrumentOption = None,
    lang: LangOption = Lang.id,
    evaluate_auto_coder: Annotated[bool, typer.Option(
        "--evaluate-auto-coder", help="Add the evaluation of the auto-coder against each person (precision, "
                                      "recall, F1), under its own heading; it is never shown as agreement.")] = False,
    db: DbOption = None,
) -> None:
    """The findings report: corpus, codebook, theme frequencies (chart), co-occurrence (heatmap), factor scores
    (chart), the joint display with its convergence summary, statistics by themes, intercoder agreement (between
    two or more people; the auto-coder is not a coder), method notes and an appendix of quotes. Self-contained
    HTML, Markdown, XLSX and DOCX."""
    from tematik.project import parse_statuses

    with open_project(db) as p:
        written = p.report(output, status=status, quotes=quotes, appendix=appendix, links=links,
                           prominence=prominence, positive=positive, polarity=polarity.value,
                           negative_share=negative_share, instrument=instrument, lang=lang.value,
                           evaluate_auto_coder=evaluate_auto_coder)
    unreviewed_banner(parse_statuses(status))
    for kind, path in written.items():
        console.print(f"wrote {kind:5} {path}")
