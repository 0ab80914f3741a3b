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
    open_store,
    terminal_text,
    warn,
)
from tematik.errors import InputError
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
    from tematik.instrument import check_instrument, load_instrument

    problems = check_instrument(file)
    instrument = None
    if not problems:
        instrument = load_instrument(file)
        if responses is not None:
            from tematik.survey import check_responses

            problems = check_responses(responses, instrument, id_column=id_column, missing=missing.value)
    if problems:
        for p in problems:
            typer.echo(terminal_text(p), err=True)
        raise typer.Exit(2)
    assert instrument is not None
    what = (f"{len(instrument.factors)} factors, {len(instrument.items)} items, scale "
            f"{instrument.scale.min}-{instrument.scale.max}, categories {instrument.categories.name}")
    from tematik.instrument import FROM_ORDER

    if instrument.categories.readings == FROM_ORDER:
        note(instrument.categories.readings_note())
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
    from tematik.instrument import load_instrument
    from tematik.store import survey as store_survey
    from tematik.survey import read_responses

    loaded = load_instrument(instrument)
    data = read_responses(responses, loaded, id_column=id_column, missing=missing.value)
    source = instrument.read_text(encoding="utf-8-sig")
    with open_store(db, create=True) as store:
        summary = store_survey.save_responses(store, data, source, replace=replace)
        unlinked = _codebook_links_missing(store, loaded)
    blank = f", {summary['blank']} blank answers ({summary['missing']})" if summary["blank"] else ""
    console.print(f"imported {summary['respondents']} respondents x {summary['items']} items for instrument "
                  f"{summary['instrument']}{blank}; {summary['new_participants']} new participants"
                  + (" (replaced the earlier import)" if summary["replaced"] else ""), markup=False)
    for problem in unlinked:
        warn(str(problem))


def _codebook_links_missing(store, instrument) -> list:
    """The project's codebook links to factors this instrument does not have (checked when both are there)."""
    from tematik.codebook import check_factor_links, parse_codebook
    from tematik.store import coding as store_coding

    row = store_coding.latest_codebook(store)
    if row is None or row["format"] != "yaml":
        return []
    cb, _ = parse_codebook(row["source"], path=f"<project codebook {row['name']}>")
    if cb is None:
        return []
    return check_factor_links(cb, [f.id for f in instrument.scored], f"instrument '{instrument.id}'")


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
    from tematik.export.charts import factor_chart
    from tematik.export.tables import as_rows
    from tematik.instrument import category_scale
    from tematik.store import survey as store_survey
    from tematik.survey import PERCENT_NOTE, respondent_scores
    from tematik.survey import score as score_factors

    if by and per_respondent:
        raise InputError("choose either --by or --per-respondent (per-respondent rows carry the attributes)",
                         field="--by")
    with open_store(db) as store:
        data = store_survey.load_responses(store, instrument)
    categories = category_scale(scale, data.instrument.scale) if scale else data.instrument.categories
    if per_respondent:
        frame = respondent_scores(data, scale=categories, lang=lang.value)
    else:
        frame = score_factors(data, by=by, scale=categories, lang=lang.value)
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
    name = data.instrument.name(lang.value)
    emit(columns, rows, fmt, output=output, decimals=decimals, sheet="scores",
         title=f"{name}: {len(data.answers)} respondents" + (f", by {by}" if by else ""),
         caption=f"{PERCENT_NOTE}. Categories ({categories.name}) on the {categories.basis_name}: "
                 f"{categories.describe(lang.value)}. {categories.readings_note(lang.value)} Blank answers: "
                 f"{data.missing}. alpha: Cronbach's, with Feldt's 95% CI.",
         cell_style=_category_style(categories))
    for text in caveats:
        note(text)
    if chart is not None:
        whole_scores = frame if not (by or per_respondent) else score_factors(data, scale=categories,
                                                                              lang=lang.value)
        factor_chart(whole_scores, chart, categories, title=name, lang=lang.value)
        note(f"wrote {chart}")


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
    from tematik.instrument import ResponseScale, presets

    if not 0 <= scale_min < scale_max:
        raise InputError(f"needs 0 <= --min < --max (got {scale_min}, {scale_max})", field="--min")
    rows = []
    for preset in presets(ResponseScale(scale_min, scale_max)):
        bands = f"{preset.describe(lang.value)}\n{preset.readings_note(lang.value)}" if fmt == TableFormat.table \
            else [
            {"lower": b.lower, **b.labels, "reading": b.reading} for b in preset.bands]
        rows.append({"preset": preset.name, "basis": preset.basis, "bands": bands, "source": preset.source})
    emit(["preset", "basis", "bands", "source"], rows, fmt,
         title=f"Category scales (response scale {scale_min}-{scale_max})",
         caption="Bands are half-open: a percentage at a bound belongs to the band above it.")
