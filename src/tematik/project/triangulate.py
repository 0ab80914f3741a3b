"""The project API for triangulation and the report: the joint display, statistics by themes, the researcher's
convergence overrides and meta-inferences, and the findings report.

The joint display (:meth:`TriangulateMixin.triangulate`) comes back as a :class:`Triangulation`, whose
:meth:`~Triangulation.to_frame` gives the rows of ``tematik triangulate --format json``; the report
(:meth:`TriangulateMixin.report`) writes report.html, report.md, report.xlsx, report.docx, the charts and a
manifest into a folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.project._base import LANGS, ProjectBase, choice, dataframe, log, parse_statuses, split_list

if TYPE_CHECKING:
    import pandas as pd

    from tematik.report import Report
    from tematik.triangulate import JointDisplay, JointRow, Rules

PathLike = str | os.PathLike[str]

#: The columns of ``tematik triangulate log`` / :meth:`TriangulateMixin.convergence_log`.
LOG_COLUMNS = ["at", "who", "action", "entity", "entity_id", "before", "after"]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, repr=False)
class Triangulation:
    """The joint display of a project: themes beside questionnaire factors with their convergence codes.

    ``to_frame()`` gives the rows of ``tematik triangulate --format json`` (one per theme, then one per factor no
    theme links to); ``summary()`` the count of each convergence code; ``links()`` one row per theme and linked
    factor; ``warnings`` what the command warned about (also logged). ``display`` is the
    :class:`tematik.triangulate.JointDisplay` itself (rows with their evidence, quotes, reasons and overrides).
    """

    display: JointDisplay
    quotes: int | None = None
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        counts = ", ".join(f"{s['convergence']} {s['final']}" for s in self.display.summary()
                           if s["convergence"] != "total" and s["final"])
        return (f"<Triangulation: {len(self.rows)} rows ({counts or 'none'}), {self.overridden} overridden; "
                f"codings counted: {', '.join(self.statuses)}>")

    def _repr_html_(self) -> str:  # Jupyter shows the table
        return self.to_frame()._repr_html_()

    @property
    def statuses(self) -> tuple[str, ...]:
        """The coding statuses that were counted."""
        return self.display.statuses

    @property
    def rows(self) -> tuple[JointRow, ...]:
        return self.display.rows

    @property
    def readings(self) -> str:
        """How the instrument's categories read (declared, from their order, or set with ``positive=``)."""
        return self.display.readings

    @property
    def overall(self) -> Any:
        """The instrument's overall score (a :class:`tematik.triangulate.FactorScore`) or None."""
        return self.display.overall

    @property
    def overridden(self) -> int:
        """How many rows carry the researcher's override."""
        return self.display.overridden

    def rules(self) -> list[str]:
        """The convergence rules in words."""
        return self.display.describe_rules()

    def records(self) -> list[dict[str, Any]]:
        """The rows of ``tematik triangulate --format json`` as a list of dicts."""
        return self.display.records(quotes=self.quotes)

    def to_frame(self) -> pd.DataFrame:
        """The joint display as a DataFrame, the rows of ``tematik triangulate --format json``. Columns: kind
        (theme | factor), theme (id; empty on factor rows), name, participants (who voiced it), participants_total
        (who could speak), participants_pct, units (coded units), negative_units, negative_share (% of units),
        methods (interview, observation, both, none), quotes, factors (linked factors' scores, ✓/✗ = reads / does
        not read in the expected direction), computed (the rules' code), override (the researcher's code or
        empty), convergence (the code that stands), reason, override_note, meta_inference."""
        from tematik.triangulate import JOINT_COLUMNS

        frame = dataframe(JOINT_COLUMNS, self.records())
        frame.attrs.update(title="Joint display: themes and questionnaire factors", statuses=self.statuses,
                           readings=self.readings,
                           caption=f"Codings counted: {', '.join(self.statuses)}. " + self.readings)
        return frame

    def summary(self) -> pd.DataFrame:
        """How many rows have each convergence code: ``computed`` by the rules, ``final`` after the researcher's
        overrides, ``themes`` (final, theme rows only); a last ``total`` row."""
        return dataframe(["convergence", "computed", "final", "themes"], self.display.summary())

    def links(self) -> pd.DataFrame:
        """One row per theme and linked factor: the factor's score and category, how it reads, the link's
        direction, what the theme expects and whether it agrees (``tematik.triangulate.LINK_COLUMNS``)."""
        from tematik.triangulate import LINK_COLUMNS

        return dataframe(LINK_COLUMNS, self.display.link_records())

    def to_report(self) -> Report:
        """The joint display as a one-section :class:`tematik.report.Report` (what ``tematik triangulate --format
        md|html|docx|xlsx`` writes); ``tematik.export.report`` writes it."""
        from tematik import report as rep

        display = self.display
        joint, summary, links, reasons = rep.joint_tables(display, quotes=self.quotes)
        section = rep.Section("joint-display", "Joint display and convergence", (
            rep.Paragraph(rep.statuses_sentence(display.statuses), emphasis="suggested" in display.statuses),
            summary, joint, reasons, links, rep.Bullets(tuple(display.describe_rules()), "Convergence rules")))
        return rep.Report("Joint display", "Themes and questionnaire factors side by side", (section,))

    def write(self, path: PathLike, fmt: str | None = None) -> Path:
        """Write the joint display to ``path`` as md, html, docx or xlsx (``fmt``, default: from the file's
        extension). Returns the path."""
        from tematik.export import report as writers

        path = Path(path)
        kind = fmt or {".md": "md", ".html": "html", ".htm": "html", ".docx": "docx", ".xlsx": "xlsx"}.get(
            path.suffix.lower(), "")
        writer = {"md": writers.write_markdown, "html": writers.write_html, "docx": writers.write_docx,
                  "xlsx": writers.write_xlsx}.get(kind)
        if writer is None:
            raise InputError(f"the joint display is written as md, html, docx or xlsx, not {kind or path.name!r}",
                             field="--format")
        writer(self.to_report(), path)
        return path


@dataclass(frozen=True)
class ConvergenceChange:
    """What :meth:`TriangulateMixin.set_convergence` did: ``key`` is the theme (code id) or factor id;
    ``convergence`` the code set (None when cleared); ``cleared`` whether an override was asked to be removed and
    ``removed`` whether there was one to remove."""

    key: str
    convergence: str | None = None
    cleared: bool = False
    removed: bool = False


@dataclass(frozen=True)
class MetaInference:
    """What :meth:`TriangulateMixin.set_meta_inference` did: the theme or factor ``key``, the ``text`` kept (empty
    when removed) and whether it was ``removed``."""

    key: str
    text: str
    removed: bool


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

    def by_theme(self, measure: str = "percent") -> Any:
        """Statistics by themes among the participants who answered the questionnaire (None without one)."""
        from tematik import triangulate as tri

        if self.respondent_scores is None:
            return None
        respondents = set(self.respondent_scores["respondent"].astype(str))
        population = [p for p in self.population if p in respondents]
        return tri.by_theme(self.voiced, self.respondent_scores, self.links, population, measure=measure)

    @property
    def n_population(self) -> int:
        """Participants who spoke in the qualitative data and answered the questionnaire."""
        respondents = set(self.respondent_scores["respondent"].astype(str)) \
            if self.respondent_scores is not None else set()
        return sum(p in respondents for p in self.population)


def make_rules(prominence: float = 20.0, positive: str | Iterable[str] | None = None, polarity: str = "share",
               negative_share: float = 0.5) -> Rules:
    """The convergence rules from the options of ``triangulate`` / ``report`` (``positive``: categories that read
    positive, a comma-separated string or a list)."""
    from tematik.triangulate import Rules

    cats = tuple(split_list(positive)) if positive is not None else None
    return Rules(prominence=prominence, positive_categories=cats, polarity=str(getattr(polarity, "value", polarity)),
                 negative_share=negative_share)


def _at_least_zero(**counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise InputError(f"must be 0 or more, not {value}", field=f"--{name}")


def _optional_path(path: PathLike | None) -> Path | None:
    return Path(path) if path is not None else None


# --------------------------------------------------------------------------- the mixin


class TriangulateMixin(ProjectBase):
    """Themes beside questionnaire factors, and the findings report."""

    # ------------------------------------------------------------------ gathering
    def _gather(self, *, statuses: tuple[str, ...], rules: Rules, links_file: Path | None = None, quotes: int = 2,
                instrument: str | None = None, lang: str = "id") -> Gathered:
        """The inputs of the joint display, statistics by themes and the report (warnings collected, not yet
        logged)."""
        from tematik import analysis
        from tematik import triangulate as tri
        from tematik.store import analysis as store_analysis
        from tematik.store import survey as store_survey
        from tematik.store import triangulate as store_tri

        store = self.store
        cb, _ = self._codebook()
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
            readings = (f"--positive overrides the instrument's readings: {', '.join(rules.positive_categories)} "
                        "read positive, every other category negative." if rules.positive_categories is not None
                        else categories.readings_note(lang))
        display = tri.joint_display(evidence, links, fscores, rules, overrides=overrides, inferences=inferences,
                                    statuses=statuses, readings=readings, overall=overall_id)
        matrix = analysis.case_matrix(data, rows="participant", values="presence")
        voiced = tri.voiced_from_matrix(matrix, code_ids)
        return Gathered(statuses, cb, data, freq, by_source, links, display, responses, categories, scores,
                        per_respondent, voiced, [str(p) for p in matrix["participant"]], warnings, quote_rows, lang)

    @staticmethod
    def _warn(g: Gathered) -> None:
        for w in g.warnings:
            log.warning(w)

    # ------------------------------------------------------------------ the joint display
    def triangulate(self, status: str | Iterable[str] | None = None, links: PathLike | None = None,
                    quotes: int = 2, prominence: float = 20.0, positive: str | Iterable[str] | None = None,
                    polarity: str = "share", negative_share: float = 0.5, instrument: str | None = None,
                    lang: str = "id") -> Triangulation:
        """The side-by-side joint display (``tematik triangulate``): per theme, who voiced it (n, %), coded units,
        negative share, the kind of data, exemplar quotes, the linked factors' scores, the convergence code with
        its reason and the researcher's meta-inference; then the factors no theme links to.

        ``status``: coding statuses counted (list or comma-separated; default accepted, manual; ``all`` = every
        status but rejected). ``links``: a CSV/YAML file of theme-factor links instead of the codebook's.
        ``quotes``: exemplar quotes per theme. ``prominence``: percent of participants who could speak that makes
        a theme prominent. ``positive``: factor categories that read positive (default: the instrument's
        readings). ``polarity``: ``share`` or ``ignore``; ``negative_share``: the share of negative units above
        which a theme reads negative. ``instrument``: the questionnaire when there are several. ``lang``: ``id``
        or ``en``.

        Returns a :class:`Triangulation` (``.to_frame()`` = the rows of ``--format json``). Warnings (no codings
        counted, no questionnaire, links to unknown themes or factors) are logged and kept in ``.warnings``.
        """
        _at_least_zero(quotes=quotes)
        statuses = parse_statuses(status)
        rules = make_rules(prominence, positive, polarity, negative_share)
        g = self._gather(statuses=statuses, rules=rules, links_file=_optional_path(links), quotes=quotes,
                         instrument=instrument, lang=choice(lang, LANGS, "--lang", "language"))
        self._warn(g)
        return Triangulation(g.display, quotes, tuple(g.warnings))

    def triangulate_by_theme(self, status: str | Iterable[str] | None = None, links: PathLike | None = None,
                             instrument: str | None = None, lang: str = "id", measure: str = "percent", *,
                             prominence: float = 20.0, positive: str | Iterable[str] | None = None,
                             polarity: str = "share", negative_share: float = 0.5) -> pd.DataFrame:
        """Statistics by themes (``tematik triangulate by-theme``; Guetterman et al. 2015): for participants who
        are also questionnaire respondents, each linked factor's score among those who voiced the theme versus
        those who did not.

        Columns (``tematik.triangulate.BY_THEME_COLUMNS``): theme, factor, direction (of the link), measure,
        voiced_n / voiced_median / voiced_mean, not_voiced_n / not_voiced_median / not_voiced_mean, difference
        (voiced - not voiced mean), u (Mann-Whitney), p_value (exact or permutation) and p_method, p_holm (Holm
        adjusted), effect (Cliff's delta) with effect_low / effect_high (bootstrap 95% interval), fits_direction,
        note. ``measure``: percent (of maximum), pomp or mean (item score). ``status``, ``links``, ``instrument``,
        ``lang`` as in :meth:`triangulate`; the rule options are only checked (as ``triangulate --by-theme``
        does). ``attrs``: title, caption, statuses, population (participants compared). Raises NotFound without
        a questionnaire.
        """
        from tematik.report import BY_THEME_NOTE, statuses_sentence
        from tematik.triangulate import MEASURES

        statuses = parse_statuses(status)
        rules = make_rules(prominence, positive, polarity, negative_share)
        measure = str(getattr(measure, "value", measure))
        g = self._gather(statuses=statuses, rules=rules, links_file=_optional_path(links), quotes=0,
                         instrument=instrument, lang=choice(lang, LANGS, "--lang", "language"))
        self._warn(g)
        frame = g.by_theme(measure)
        if frame is None:
            raise NotFound("no questionnaire in this project: statistics by themes need factor scores "
                           "(tematik survey import RESPONSES --instrument FILE)")
        frame.attrs.update(
            title=f"Statistics by themes: {MEASURES[measure]} of participants who voiced each theme vs. did not",
            caption=f"Participants who spoke in the qualitative data and answered the questionnaire "
                    f"({g.n_population}). " + BY_THEME_NOTE.format(measure=MEASURES[measure]) + " "
                    + statuses_sentence(statuses),
            statuses=statuses, population=g.n_population)
        return frame

    # ------------------------------------------------------------------ overrides and meta-inferences
    def _target(self, key: str) -> str:
        """A theme (code id or name) or a questionnaire factor id."""
        from tematik.store import coding as store_coding

        try:
            return store_coding.code_exists(self.store, key)
        except NotFound as exc:
            factors: list[str] = []
            try:
                from tematik.store import survey as store_survey

                responses = store_survey.load_responses(self.store)
                factors = [f.id for f in responses.instrument.scored]
            except NotFound:
                pass
            if key in factors:
                return key
            raise NotFound(exc.message + (f"; factors: {', '.join(factors)}" if factors else "")) from None

    def set_convergence(self, theme: str, convergence: str | None = None, note: str | None = None,
                        clear: bool = False, coder: str | None = None) -> ConvergenceChange:
        """Override the computed convergence code of a theme (code id or name) or factor row (factor id), recording
        who (``coder``, default $TEMATIK_CODER or the OS user) and why (``note``, required) in the audit log
        (``tematik triangulate set``). ``convergence``: agreement, partial (agreement), silence or dissonance.
        ``clear=True`` removes the override instead (the computed code stands)."""
        from tematik.store import triangulate as store_tri
        from tematik.triangulate import normalise_convergence

        if clear == (convergence is not None):
            raise InputError("give either --convergence CODE --note TEXT, or --clear", field="--convergence")
        key = self._target(theme)
        if clear:
            return ConvergenceChange(key, None, cleared=True, removed=store_tri.clear_override(self.store, key,
                                                                                                 who=coder))
        code = normalise_convergence(convergence or "")
        if not note or not note.strip():
            raise InputError("say why with --note TEXT (it is recorded with the override)", field="--note")
        store_tri.set_override(self.store, key, code, note.strip(), who=coder)
        return ConvergenceChange(key, code)

    def set_meta_inference(self, theme: str, text: str, coder: str | None = None) -> MetaInference:
        """Write the meta-inference of a theme (code id or name) or factor row (factor id): what the two strands
        say together (``tematik triangulate infer``). An empty ``text`` removes it. Recorded in the audit log."""
        from tematik.store import triangulate as store_tri

        key = self._target(theme)
        store_tri.set_inference(self.store, key, text, who=coder)
        return MetaInference(key, text.strip(), removed=not text.strip())

    def convergence_log(self) -> pd.DataFrame:
        """Overrides and meta-inferences as recorded in the audit log, newest first (``tematik triangulate
        log``). Columns: at, who, action (override, clear, infer), entity (convergence, meta_inference), entity_id
        (the theme or factor), before and after (JSON text)."""
        from tematik.store import triangulate as store_tri

        frame = dataframe(LOG_COLUMNS, store_tri.convergence_log(self.store))
        frame.attrs["title"] = "Convergence overrides and meta-inferences"
        return frame

    # ------------------------------------------------------------------ the report
    def _report_content(self, g: Gathered, folder: Path, *, unit: str = "sentence", appendix: int = 12,
                        joint_quotes: int = 2, evaluate_auto_coder: bool = False) -> Report:
        """The report's content (charts are drawn into ``folder/charts``)."""
        from datetime import datetime

        from tematik import analysis
        from tematik import report as rep
        from tematik.export import charts
        from tematik.fileio import make_folder
        from tematik.store import analysis as store_analysis
        from tematik.store import corpus as store_corpus
        from tematik.store import triangulate as store_tri
        from tematik.survey import method_notes

        store = self.store
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
        self._ensure_segments(unit)
        pairs = analysis.cooccurrence(g.data, store_analysis.segments(store, unit, filters))
        flagged = pairs[pairs["fivefold"].astype(bool)]
        figures["cooccurrence"] = charts.cooccurrence_heatmap(
            analysis.cooccurrence_matrix(pairs, "n_ab"), charts_dir / "cooccurrence.png", labels=names,
            value_label=f"{unit}s with both themes",
            flags=set(zip(flagged["code_a"], flagged["code_b"], strict=True)), note=scope)

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

        # Intercoder agreement compares people: the auto-coder is never one of the coders here (issue 12).
        from tematik.models import AUTO_CODER
        from tematik.store import agreement as store_agreement

        coders = [c for c in store_tri.coders(store, g.statuses) if c != AUTO_CODER]
        auto_codings = store_agreement.auto_codings(store)
        agreement = auto_evaluation = None
        if len(coders) >= 2:
            from tematik import agreement as ag

            presence, _ = self._presence("sentence", coders, [], g.statuses)  # type: ignore[attr-defined]
            frame = ag.agreement(presence).to_frame()
            agreement = frame[[c for c in ["scope", *ag.AGREEMENT_COLUMNS] if c in frame.columns]]
        if evaluate_auto_coder and coders and auto_codings:
            from tematik import agreement as ag

            presence, _ = self._presence("sentence", [*coders, AUTO_CODER], [], g.statuses)  # type: ignore
            auto_evaluation = ag.evaluate_coder(presence, AUTO_CODER, references=[
                c for c in presence.coders if c != AUTO_CODER])

        code_ids = [str(c) for c in g.data.codes["id"]]
        appendix_quotes = analysis.quote_table(g.data, store_analysis.quotes(store, filters, code_ids),
                                               codes=code_ids)
        inputs = rep.ReportInputs(
            project=store.path.name, generated=datetime.now().strftime("%Y-%m-%d %H:%M"), statuses=g.statuses,
            corpus=store_corpus.corpus_summary(store), codes=code_rows, display=g.display, frequencies=freq,
            cooccurrence=pairs, scores=g.scores, by_theme=g.by_theme(), agreement=agreement, coders=coders,
            auto_coder=AUTO_CODER, auto_codings=auto_codings, auto_evaluation=auto_evaluation,
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

    def report(self, folder: PathLike, status: str | Iterable[str] | None = None, quotes: int = 2,
               appendix: int = 12, links: PathLike | None = None, prominence: float = 20.0,
               positive: str | Iterable[str] | None = None, polarity: str = "share", negative_share: float = 0.5,
               instrument: str | None = None, lang: str = "id",
               evaluate_auto_coder: bool = False) -> dict[str, Path]:
        """Write the findings report into ``folder`` (``tematik report --output FOLDER``): corpus, codebook, theme
        frequencies (chart), co-occurrence (heatmap), factor scores (chart), the joint display with its
        convergence summary, statistics by themes, intercoder agreement (between two or more PEOPLE: the
        auto-coder is not a coder; with one person the section says so and how to bring a second coder's codings
        in), method notes and an appendix of ``appendix`` quotes per theme; as report.html (self-contained),
        report.md, report.xlsx and report.docx, with charts/ and MANIFEST.json written last.

        ``evaluate_auto_coder``: add, under its own heading in the agreement section, the evaluation of the
        auto-coder against each person (precision, recall, F1 per code and pooled, as ``agree(reference="auto")``
        gives them for sentences); never shown as intercoder agreement.

        The options are those of :meth:`triangulate` (``quotes``: exemplar quotes per theme in the joint
        display). Returns ``{"html": path, "md": path, "xlsx": path, "docx": path, "manifest": path}``.
        """
        from tematik.export import report as writers
        from tematik.fileio import make_folder, remove_manifest

        _at_least_zero(quotes=quotes, appendix=appendix)
        statuses = parse_statuses(status)
        rules = make_rules(prominence, positive, polarity, negative_share)
        lang = choice(lang, LANGS, "--lang", "language")
        folder = Path(folder)
        make_folder(folder)
        remove_manifest(folder)  # until the new one is written last, the folder is marked incomplete
        g = self._gather(statuses=statuses, rules=rules, links_file=_optional_path(links), quotes=quotes,
                         instrument=instrument, lang=lang)
        doc = self._report_content(g, folder, appendix=appendix, joint_quotes=quotes,
                                   evaluate_auto_coder=bool(evaluate_auto_coder))
        self._warn(g)
        return writers.write_all(doc, folder)


__all__ = ["LANGS", "LOG_COLUMNS", "ConvergenceChange", "MetaInference", "Triangulation",
           "TriangulateMixin", "make_rules"]
