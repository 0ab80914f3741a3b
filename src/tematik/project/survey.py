"""The project API for questionnaires: survey import and scores.

``validate_instrument(path)`` and ``scales()`` need no project; ``import_survey`` and ``scores`` are methods of
:class:`tematik.project.Project` (``p.import_survey("responses.csv", "instrument.yaml")``, ``p.scores()``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError
from tematik.project._base import LANGS, ProjectBase, choice, log

if TYPE_CHECKING:
    import pandas as pd

    from tematik.errors import InstrumentError
    from tematik.instrument import CategoryScale, Instrument
    from tematik.survey import Responses

#: The blank-answer policies (``--missing``).
MISSING_POLICIES = ("error", "skip", "mean")


def _missing(missing: Any) -> str:
    return choice(missing, MISSING_POLICIES, "--missing", "blank-answer policy")


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class InstrumentValidation:
    """What ``validate_instrument`` found: ``problems`` (each prints as ``file:line: field: message``) in the
    instrument file, or, when it is valid and a responses table was given, in that table; ``ok`` when there are
    none. ``instrument`` is the parsed instrument when the file is valid."""

    path: Path
    problems: tuple[InstrumentError, ...] = ()
    instrument: Instrument | None = field(default=None, compare=False)
    responses: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SurveyFile:
    """A responses table read and checked against its instrument, ready to be stored: what :func:`read_survey`
    returns and :meth:`SurveyMixin.import_survey` takes (as well as the two paths)."""

    responses: Responses = field(compare=False)
    instrument: Instrument = field(compare=False)
    source: str  # the instrument file's YAML, stored with the responses


@dataclass(frozen=True)
class SurveyImport:
    """What ``import_survey`` stored: the ``instrument`` id, ``respondents`` x ``items``, the number of ``blank``
    answers and the ``missing`` policy they were read with, how many ``new_participants`` were created for
    respondents, and whether it ``replaced`` an earlier import. ``unlinked``: the project codebook's links to
    factors this instrument does not have (also logged as warnings)."""

    instrument: str
    respondents: int
    items: int
    blank: int
    missing: str
    new_participants: int
    replaced: bool
    file: str | None = None
    unlinked: tuple[str, ...] = ()


# --------------------------------------------------------------------------- functions without a project

def validate_instrument(path: str | os.PathLike[str], responses: str | os.PathLike[str] | None = None, *,
                        id_column: str = "respondent", missing: str = "error") -> InstrumentValidation:
    """Check an instrument file (``tematik survey validate FILE``) and, with ``responses``, a responses table
    (.csv/.xlsx) against it, read with ``id_column`` and the ``missing`` policy (error, skip or mean). Never
    raises for a bad file: look at ``.ok`` and ``.problems``. When the instrument's categories declare no
    readings, how they read (by their order) is logged as a note."""
    from tematik.instrument import FROM_ORDER, check_instrument, load_instrument

    path = Path(path)
    table = Path(responses) if responses is not None else None
    problems = check_instrument(path)
    if problems:
        return InstrumentValidation(path, tuple(problems), None, table)
    instrument = load_instrument(path)
    if table is not None:
        from tematik.survey import check_responses

        problems = check_responses(table, instrument, id_column=id_column, missing=_missing(missing))
        if problems:
            return InstrumentValidation(path, tuple(problems), instrument, table)
    if instrument.categories.readings == FROM_ORDER:
        log.info(instrument.categories.readings_note())
    return InstrumentValidation(path, (), instrument, table)


def scales(min: int = 1, max: int = 5, *, lang: str = "id") -> pd.DataFrame:  # noqa: A002
    """The category scale presets (``tematik survey scales``), their bands built for a ``min``-``max`` response
    scale, and where they come from.

    Columns: ``preset`` (the name ``scale=`` takes), ``basis`` (percent, pomp or mean: what the bands divide),
    ``bands`` (a list of dicts, lowest first: ``lower`` bound, the label in each language, ``reading``) and
    ``source``. ``attrs["descriptions"]`` has each preset's bands in one line of ``lang`` and its readings."""
    import pandas as pd

    from tematik.instrument import ResponseScale, presets

    lang = choice(lang, LANGS, "--lang", "language")
    if not 0 <= min < max:
        raise InputError(f"needs 0 <= --min < --max (got {min}, {max})", field="--min")
    rows, descriptions = [], {}
    for preset in presets(ResponseScale(min, max)):
        rows.append({"preset": preset.name, "basis": preset.basis,
                     "bands": [{"lower": b.lower, **b.labels, "reading": b.reading} for b in preset.bands],
                     "source": preset.source})
        descriptions[preset.name] = f"{preset.describe(lang)}\n{preset.readings_note(lang)}"
    frame = pd.DataFrame(rows, columns=["preset", "basis", "bands", "source"])
    frame.attrs["title"] = f"Category scales (response scale {min}-{max})"
    frame.attrs["caption"] = "Bands are half-open: a percentage at a bound belongs to the band above it."
    frame.attrs["descriptions"] = descriptions
    return frame


def read_survey(responses: str | os.PathLike[str], instrument: str | os.PathLike[str], *, missing: str = "error",
                id_column: str = "respondent") -> SurveyFile:
    """Read an instrument file and a responses table (.csv/.xlsx) and check them completely, without storing
    anything. Raises InstrumentError naming the first problem (``.problems`` has them all)."""
    from tematik.instrument import load_instrument
    from tematik.survey import read_responses

    loaded = load_instrument(instrument)
    data = read_responses(responses, loaded, id_column=id_column, missing=_missing(missing))
    return SurveyFile(data, loaded, Path(instrument).read_text(encoding="utf-8-sig"))


def check_score_options(by: str | None, per_respondent: bool) -> None:
    """``by`` and ``per_respondent`` exclude each other (per-respondent rows carry the attributes)."""
    if by and per_respondent:
        raise InputError("choose either --by or --per-respondent (per-respondent rows carry the attributes)",
                         field="--by")


# --------------------------------------------------------------------------- the project's questionnaires

class SurveyMixin(ProjectBase):
    """Questionnaire responses and factor scores."""

    def import_survey(self, responses: str | os.PathLike[str] | SurveyFile,
                      instrument: str | os.PathLike[str] | None = None, *, missing: str = "error",
                      replace: bool = False, id_column: str = "respondent") -> SurveyImport:
        """Import questionnaire responses (``tematik survey import RESPONSES --instrument FILE``): a table
        (.csv/.xlsx) with one row per respondent (ids in ``id_column``), one column per item of the
        ``instrument`` (a YAML file), plus attribute columns. Respondents link to participants of the same id
        (created if new). Blank answers per ``missing``: error (refuse the file), skip or mean. The file is
        checked completely first: on any problem (InstrumentError) nothing is imported. An instrument that has
        responses already is refused (Conflict) unless ``replace``. Links of the project's codebook to factors
        the instrument lacks are logged as warnings."""
        from tematik.store import survey as store_survey

        if isinstance(responses, SurveyFile):
            read = responses
        else:
            if instrument is None:
                raise InputError("an instrument file is needed", field="--instrument")
            read = read_survey(responses, instrument, missing=missing, id_column=id_column)
        summary = store_survey.save_responses(self.store, read.responses, read.source, replace=replace)
        unlinked = tuple(str(p) for p in self._codebook_links_missing(read.instrument))
        for problem in unlinked:
            log.warning(problem)
        return SurveyImport(summary["instrument"], summary["respondents"], summary["items"], summary["blank"],
                            summary["missing"], summary["new_participants"], summary["replaced"],
                            summary.get("file"), unlinked)

    def _codebook_links_missing(self, instrument: Instrument) -> list:
        """The project's codebook links to factors this instrument does not have (checked when both are there)."""
        from tematik.codebook import check_factor_links, parse_codebook
        from tematik.store import coding as store_coding

        row = store_coding.latest_codebook(self.store)
        if row is None or row["format"] != "yaml":
            return []
        cb, _ = parse_codebook(row["source"], path=f"<project codebook {row['name']}>")
        if cb is None:
            return []
        return check_factor_links(cb, [f.id for f in instrument.scored], f"instrument '{instrument.id}'")

    def _survey_inputs(self, instrument: str | None, scale: str | None) -> tuple[Responses, CategoryScale]:
        from tematik.instrument import category_scale
        from tematik.store import survey as store_survey

        data = store_survey.load_responses(self.store, instrument)
        categories = category_scale(scale, data.instrument.scale) if scale else data.instrument.categories
        return data, categories

    def scores(self, instrument: str | None = None, *, by: str | None = None, per_respondent: bool = False,
               scale: str | None = None, lang: str = "id", chart: str | os.PathLike[str] | None = None
               ) -> pd.DataFrame:
        """Factor scores (``tematik survey score``) of the project's questionnaire (``instrument``: its id, needed
        when the project has several).

        One row per factor, then the overall score; with ``by`` (a respondent attribute, a linked participant's
        attributes count too) one row per value and factor, the attribute first; with ``per_respondent`` one row
        per respondent and factor. Columns: ``factor``, ``name`` (in ``lang``: id or en), ``group``, ``items``,
        ``n`` (respondents), ``score`` (obtained), ``max`` (possible), ``percent`` (of maximum, full precision),
        ``category`` (label of the instrument's category scale, or of the preset ``scale``), ``pomp``, ``mean``
        (item score), ``sd``, ``alpha`` (Cronbach's) with ``alpha_low``/``alpha_high`` (Feldt's 95% CI) and
        ``alpha_note`` (why an alpha is doubtful). ``attrs``: ``title``, ``caption`` (how the numbers were made)
        and ``categories`` (the :class:`tematik.instrument.CategoryScale` used). ``chart`` (FILE.png or
        FILE.svg) also draws the factor percentages as bars coloured by category."""
        from tematik.survey import PERCENT_NOTE, respondent_scores
        from tematik.survey import score as score_factors

        check_score_options(by, per_respondent)
        lang = choice(lang, LANGS, "--lang", "language")
        data, categories = self._survey_inputs(instrument, scale)
        if per_respondent:
            frame = respondent_scores(data, scale=categories, lang=lang)
        else:
            frame = score_factors(data, by=by, scale=categories, lang=lang)
        frame.attrs["title"] = (f"{data.instrument.name(lang)}: {len(data.answers)} respondents"
                                + (f", by {by}" if by else ""))
        frame.attrs["caption"] = (
            f"{PERCENT_NOTE}. Categories ({categories.name}) on the {categories.basis_name}: "
            f"{categories.describe(lang)}. {categories.readings_note(lang)} Blank answers: {data.missing}. "
            "alpha: Cronbach's, with Feldt's 95% CI.")
        frame.attrs["categories"] = categories
        if chart is not None:
            whole = frame if not (by or per_respondent) else score_factors(data, scale=categories, lang=lang)
            self._draw_score_chart(whole, chart, data, categories, lang)
        return frame

    def score_chart(self, chart: str | os.PathLike[str], instrument: str | None = None, *, scale: str | None = None,
                    lang: str = "id") -> Path:
        """Draw the factor percentages of the whole sample as bars coloured by category (what ``survey score
        --chart FILE`` draws; FILE.png or FILE.svg). Returns the file's path."""
        from tematik.survey import score as score_factors

        lang = choice(lang, LANGS, "--lang", "language")
        data, categories = self._survey_inputs(instrument, scale)
        return self._draw_score_chart(score_factors(data, scale=categories, lang=lang), chart, data, categories, lang)

    def _draw_score_chart(self, whole: pd.DataFrame, chart: str | os.PathLike[str], data: Responses,
                    categories: CategoryScale, lang: str) -> Path:
        from tematik.export.charts import factor_chart

        path = factor_chart(whole, chart, categories, title=data.instrument.name(lang), lang=lang)
        log.info(f"wrote {chart}")
        return Path(path)


__all__ = ["InstrumentValidation", "SurveyFile", "SurveyImport", "SurveyMixin", "check_score_options",
           "read_survey", "scales", "validate_instrument"]
