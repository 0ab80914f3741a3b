"""`tematik survey ...`: validate instruments, import questionnaire responses, score factors, list category scales."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tematik.cli.common import (
    DbOption,
    FormatOption,
    OutputOption,
    ReportFormat,
    ReportFormatOption,
    TableFormat,
    console,
    emit,
    note,
    open_project,
    terminal_text,
)
from tematik.instrument import preset_names

survey_app = typer.Typer(
    help="Likert questionnaires: validate an instrument, import responses, score factors (percent of maximum "
         "with categories, alpha), list category scales.",
    no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(survey_app, name="survey")


class Missing(StrEnum):
    error = "error"
    skip = "skip"
    mean = "mean"


class Lang(StrEnum):
    id = "id"
    en = "en"


IdColumnOption = Annotated[str, typer.Option("--id-column", help="Column with the respondent ids.")]
MissingOption = Annotated[Missing, typer.Option(
    "--missing", help="Blank answers: error (refuse the file), skip (leave them out of score and maximum) or mean "
                      "(the respondent's mean on the factor's other items).")]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of factor names and category labels.")]


@survey_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Instrument YAML file.")],
    responses: Annotated[Path | None, typer.Option(
        "--responses", help="Also check this responses table (.csv/.xlsx) against the instrument.",
        show_default=False)] = None,
    id_column: IdColumnOption = "respondent",
    missing: MissingOption = Missing.error,
) -> None:
    """Check an instrument file; every problem is printed as file:line: field: message."""
    from tematik.project.survey import validate_instrument

    result = validate_instrument(file, responses, id_column=id_column, missing=missing.value)
    if not result.ok:
        for p in result.problems:
            typer.echo(terminal_text(p), err=True)
        raise typer.Exit(2)
    instrument = result.instrument
    assert instrument is not None
    what = (f"{len(instrument.factors)} factors, {len(instrument.items)} items, scale "
            f"{instrument.scale.min}-{instrument.scale.max}, categories {instrument.categories.name}")
    console.print(f"{file}: ok ({what})" + (f"; {responses}: ok" if responses is not None else ""),
                  markup=False)


@survey_app.command("import")
def import_(
    responses: Annotated[Path, typer.Argument(help="Responses table (.csv/.xlsx): one row per respondent, one "
                                                   "column per item, plus the id and attribute columns.")],
    instrument: Annotated[Path, typer.Option("--instrument", help="Instrument YAML file.", show_default=False)],
    missing: MissingOption = Missing.error,
    replace: Annotated[bool, typer.Option("--replace", help="Replace responses already imported for this "
                                                            "instrument.")] = False,
    id_column: IdColumnOption = "respondent",
    db: DbOption = None,
) -> None:
    """Import questionnaire responses. Respondents link to participants of the same id (created if new).

    The file is checked completely first: on any problem nothing is imported.
    """
    from tematik.project.survey import read_survey

    read = read_survey(responses, instrument, missing=missing.value, id_column=id_column)  # before the project
    with open_project(db, create=True) as p:
        summary = p.import_survey(read, replace=replace)
    blank = f", {summary.blank} blank answers ({summary.missing})" if summary.blank else ""
    console.print(f"imported {summary.respondents} respondents x {summary.items} items for instrument "
                  f"{summary.instrument}{blank}; {summary.new_participants} new participants"
                  + (" (replaced the earlier import)" if summary.replaced else ""), markup=False)


@survey_app.command("score")
def score(
    instrument: Annotated[str | None, typer.Option(
        "--instrument", help="Instrument name (its id); needed when the project has several.",
        show_default=False)] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Split by a respondent attribute (e.g. role; a linked participant's attributes count too).",
        show_default=False)] = None,
    per_respondent: Annotated[bool, typer.Option("--per-respondent", help="One row per respondent and factor.")]
    = False,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    chart: Annotated[Path | None, typer.Option(
        "--chart", help="Also draw the factor percentages as bars coloured by category (FILE.png or FILE.svg).",
        dir_okay=False, show_default=False)] = None,
    scale: Annotated[str | None, typer.Option(
        "--scale", help=f"Category scale preset instead of the instrument's: {', '.join(preset_names())} "
                        "(see `tematik survey scales`).", show_default=False)] = None,
    lang: LangOption = Lang.id,
    db: DbOption = None,
) -> None:
    """Factor scores: percent of maximum (score obtained / maximum possible x 100) with category, mean item score,
    SD and Cronbach's alpha; the overall score pools the items the instrument names for it."""
    from tematik.export.tables import as_rows
    from tematik.project.survey import check_score_options

    check_score_options(by, per_respondent)
    with open_project(db) as p:
        frame = p.scores(instrument, by=by, per_respondent=per_respondent, scale=scale, lang=lang.value)
        categories = frame.attrs["categories"]
        columns, rows = as_rows(frame)
        caveats: list[str] = []
        if fmt == ReportFormat.table and "alpha_note" in columns:
            # a terminal is narrow: the interval in one column, the caveats under the table
            for r in rows:
                low, high = r.pop("alpha_low"), r.pop("alpha_high")
                r["alpha 95% CI"] = "" if low is None or low != low else f"{low:.2f} to {high:.2f}"
                text = r.pop("alpha_note")
                if text:
                    caveats.append(f"alpha of {r['factor']}" + (f" ({r[by]})" if by else "") + f": {text}")
            columns = [c for c in columns if c not in ("alpha_low", "alpha_high", "alpha_note", "score", "max")]
            columns.insert(columns.index("alpha") + 1, "alpha 95% CI")
        whole = all(float(r["score"]).is_integer() for r in rows if r.get("score") is not None)
        decimals = {"percent": 1, "pomp": 1, "mean": 2, "sd": 2, "alpha": 2, "alpha_low": 2, "alpha_high": 2,
                    "score": 0 if whole else 1}
        if fmt == ReportFormat.md:
            rows = [{c: _fixed(r[c], decimals.get(c)) for c in columns} for r in rows]
        emit(columns, rows, fmt, output=output, decimals=decimals, sheet="scores", title=frame.attrs["title"],
             caption=frame.attrs["caption"], cell_style=_category_style(categories))
        for text in caveats:
            note(text)
        if chart is not None:  # drawn after the table, so that its note comes last as it always has
            p.score_chart(chart, instrument, scale=scale, lang=lang.value)


def _fixed(value: Any, places: int | None) -> Any:
    if places is None or not isinstance(value, float):
        return value
    return f"{value:.{places}f}"


def _category_style(categories):
    from tematik.export.charts import band_colours

    colours = {b.lower: c for b, c in zip(categories.bands, band_colours(categories), strict=True)}

    def style(column: str, row: dict[str, Any]) -> str | None:
        value = categories.value(percent=row.get("percent"), pomp=row.get("pomp"), mean=row.get("mean"))
        if column != "category" or not isinstance(value, float) or value != value:
            return None
        return f"bold {colours[categories.band(value).lower]}"

    return style


@survey_app.command("scales")
def scales(
    scale_min: Annotated[int, typer.Option("--min", help="Lowest answer of the response scale.")] = 1,
    scale_max: Annotated[int, typer.Option("--max", help="Highest answer of the response scale.")] = 5,
    lang: LangOption = Lang.id,
    fmt: FormatOption = TableFormat.table,
) -> None:
    """The category scale presets with their bands (for a min-max response scale) and where they come from."""
    from tematik.export.tables import as_rows
    from tematik.project.survey import scales as preset_scales

    frame = preset_scales(scale_min, scale_max, lang=lang.value)
    columns, rows = as_rows(frame)
    if fmt == TableFormat.table:
        for r in rows:
            r["bands"] = frame.attrs["descriptions"][r["preset"]]
    emit(columns, rows, fmt, title=frame.attrs["title"], caption=frame.attrs["caption"])
