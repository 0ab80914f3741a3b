"""The project API for analysis: ``freq``, ``cooccur``, ``matrix``, ``quotes`` and ``agree``.

Each method returns the table that the command of the same name prints with ``--format json``, as a pandas
DataFrame (``tematik.export.tables.as_rows(df)`` gives the JSON's rows). ``df.attrs`` carries what the CLI prints
around it: ``title``, ``caption``, ``sheet`` (the xlsx sheet name), ``scope`` (which codings were counted) and a
few hints for drawing the table (which columns are groups or codes, the flagged pairs). ``chart=`` draws the
command's ``--chart``. The numbers are computed by the pure modules :mod:`tematik.analysis` and
:mod:`tematik.agreement` on data read by :mod:`tematik.store.analysis` and :mod:`tematik.store.agreement`.

Names are the same at every layer: command ``cooccur`` -> :meth:`AnalysisMixin.cooccur` ->
:func:`tematik.analysis.cooccur` (also known as ``cooccurrence``), and likewise ``freq``, ``matrix``, ``quotes``
and ``agree`` (:func:`tematik.agreement.agree`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError
from tematik.models import AUTO_CODER
from tematik.project._base import (
    COUNTED_STATUSES,
    DEFAULT_STATUSES,
    ProjectBase,
    choice,
    log,
    parse_statuses,
    split_list,
)

if TYPE_CHECKING:
    import pandas as pd

    from tematik.store.analysis import Filters

Strings = str | Iterable[str] | None
PathLike = str | os.PathLike[str]

#: ``freq(value=...)``: the measure in the crosstab cells (pct = % of participants).
FREQ_VALUES = ("units", "documents", "participants", "pct", "words", "negative")
#: ``freq(sort=...)``: codebook order, A-Z by id or name, or a measure over all groups (largest first).
SORT_KEYS = ("codebook", "code", "name", *FREQ_VALUES)
#: ``cooccur(unit=...)``.
COOCCUR_UNITS = ("sentence", "turn", "paragraph", "document")
#: ``cooccur(show=...)``: units with both codes, the c-coefficient or the Jaccard index.
COOCCUR_SHOW = ("count", "c", "jaccard")
#: ``matrix(rows=...)`` and ``matrix(values=...)``.
MATRIX_ROWS = ("document", "participant")
MATRIX_VALUES = ("presence", "count", "words")
#: ``agree(unit=...)``.
AGREE_UNITS = ("sentence", "turn", "paragraph", "document", "char")
#: What ``agree`` counts of a person's codings by default: their decisions (accepted and manual codings).
AGREE_STATUSES = DEFAULT_STATUSES
#: What counts as the auto-coder's when it is compared (``reference="auto"`` or named in ``coders``): everything
#: it proposed, whatever review made of it -- a rejected suggestion is one it got wrong.
AUTO_STATUSES = ("suggested", "accepted", "rejected")

MEASURE = {"pct": "participants_pct"}
#: Readable names of the measures (the table headers and chart labels).
MEASURE_LABELS = {"units": "coded units", "participants_pct": "%", "eligible": "of", "negative": "negative units",
                  "words": "words coded"}
FREQ_COLUMNS = ["code", "name", "units", "documents", "participants", "eligible", "participants_pct", "words",
                "negative"]
FREQ_DEFINITIONS = ("Coded units = distinct coded spans; words coded = words in the union of each code's spans "
                    "(overlaps counted once); % = of the participants who could have said it (speak in a "
                    "non-interviewer turn or are a document's participant).")
COOCCUR_VALUE = {"count": "n_ab", "c": "c", "jaccard": "jaccard"}


# --------------------------------------------------------------------------- options


def _filters(status: Strings, coder: Strings, source_type: Strings, language: Strings, doc: Strings,
             polarity: str | None) -> Filters:
    from tematik.store.analysis import Filters

    statuses = parse_statuses(status, default=DEFAULT_STATUSES, all_means=COUNTED_STATUSES)
    return Filters(statuses=statuses, coders=tuple(split_list(coder)), source_types=tuple(split_list(source_type)),
                   languages=tuple(split_list(language)), documents=tuple(split_list(doc)),
                   polarity=polarity or None).check()


def _check_chart(chart: PathLike | None) -> Path | None:
    if chart is None:
        return None
    chart = Path(chart)
    if chart.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"a chart is written as .png or .svg, not '{chart.suffix}'", path=str(chart),
                         field="--chart")
    return chart


def _check_by(data, by: str | None) -> None:
    from tematik import analysis

    if by is not None and by not in analysis.group_choices(data):
        raise InputError(f"cannot group by {by!r}; choose one of: {', '.join(analysis.group_choices(data))}",
                         field="--by")


def scope_sentence(filters: Filters, include_interviewer: bool) -> str:
    """The sentence every caption starts with: what was counted."""
    parts = [f"statuses counted: {', '.join(filters.statuses)}"]
    if "suggested" in filters.statuses:
        parts.append("this includes UNREVIEWED auto-coding suggestions")
    if filters.coders:
        parts.append(f"coders: {', '.join(filters.coders)}")
    if filters.source_types:
        parts.append(f"source types: {', '.join(filters.source_types)}")
    if filters.languages:
        parts.append(f"languages: {', '.join(filters.languages)}")
    if filters.documents:
        parts.append(f"documents: {', '.join(filters.documents)}")
    if filters.polarity:
        parts.append(f"{filters.polarity} codings only")
    parts.append("interviewer turns included (attributed to no participant)" if include_interviewer
                 else "codings in interviewer turns excluded")
    return "; ".join(parts) + "."


def _chart_note(filters: Filters) -> str:
    statuses = ", ".join(filters.statuses)
    if "suggested" in filters.statuses:
        return f"Statuses counted: {statuses} (includes unreviewed suggestions)"
    return f"Statuses counted: {statuses}"


def _with_attrs(frame: pd.DataFrame, **attrs: Any) -> pd.DataFrame:
    frame.attrs.update(attrs)
    return frame


# --------------------------------------------------------------------------- agreement without a project

#: The title of every table in which the auto-coder is one of the coders compared.
EVALUATION_TITLE = "Evaluation of the auto-coder (not intercoder agreement)"


def agree_table(table: PathLike, *, coders: Strings = None, code: Strings = None, reference: str | None = None,
                disagreements: bool = False, bootstrap: int = 1000, seed: int = 2011,
                unit: str | None = None) -> pd.DataFrame:
    """``tematik agree --table FILE.csv``: intercoder agreement on ``(unit, coder, code)`` rows read from a CSV
    file instead of a project (no project is needed). Arguments and result as :meth:`AnalysisMixin.agree`; the
    file brings its own units, so ``unit`` must not be given. A coder named ``auto`` (``models.AUTO_CODER``) is
    the auto-coder, as in a project: left out unless named in ``coders`` or evaluated with ``reference="auto"``."""
    from tematik import agreement as ag

    coder_list, code_list, mode = _agree_mode(coders, code, reference, disagreements, bootstrap)
    if unit is not None:
        raise InputError("--unit is for the project's codings; a --table brings its own units", field="--unit")
    rows = ag.read_agreement_csv(table)
    present = sorted({str(c) for c in rows[ag.CODER] if isinstance(c, str) and c.strip()})
    chosen = _who(coder_list, [c for c in present if c != AUTO_CODER], reference,
                  auto_available=AUTO_CODER in present, where=f"the table {table}")
    presence = ag.presence_from_table(rows, coders=chosen, codes=code_list or None)
    return _agreement_frame(presence, mode, reference, None, bootstrap, seed, source=str(table))


def _agree_mode(coders: Strings, code: Strings, reference: str | None, disagreements: bool,
                bootstrap: int) -> tuple[list[str], list[str], str]:
    coder_list = split_list(coders)
    code_list = split_list(code)
    if reference and coder_list and reference not in coder_list:
        coder_list = [reference, *coder_list]
    if reference and disagreements:
        raise InputError("choose either --reference or --disagreements", field="--reference")
    if bootstrap < 0:
        raise InputError("the number of bootstrap resamples cannot be negative", field="--bootstrap")
    mode = "agreement"
    if reference == AUTO_CODER:
        mode = "evaluation"
    elif reference:
        mode = "reference"
    elif disagreements:
        mode = "disagreements"
    return coder_list, code_list, mode


def _who(asked: list[str], people: list[str], reference: str | None, *, auto_available: bool,
         where: str = "the project") -> list[str]:
    """The coders to compare: those asked for, else every person with codings (and the auto-coder when it is the
    one evaluated, ``reference="auto"``). Fewer than two people with the auto-coder not asked for is refused in one
    line that says who has codings and how to ask for the auto-coder's evaluation."""
    coders = list(asked) if asked else [*people, *([AUTO_CODER] if reference == AUTO_CODER else [])]
    humans = [c for c in coders if c != AUTO_CODER]
    if AUTO_CODER in coders:
        if not auto_available:
            from tematik.errors import NotFound

            raise NotFound(f"the auto-coder ({AUTO_CODER}) has no codings in {where} to evaluate; run `tematik "
                           "autocode` first", field="--reference" if reference == AUTO_CODER else "--coders")
        if not humans and people:
            raise InputError(f"the auto-coder is evaluated against people: name one beside it (--coders "
                             f"{people[0]},{AUTO_CODER}) or use --reference {AUTO_CODER}", field="--coders")
        if not humans:
            raise InputError(f"evaluating the auto-coder needs a person's codings to score it against, and "
                             f"{_nobody(people, where)}", field="--coders")
        return coders
    if len(humans) >= 2 or asked:
        return coders
    auto_hint = (f", or evaluate the auto-coder against {people[0]} with `tematik agree --reference {AUTO_CODER}`"
                 if auto_available and people else "")
    bring = ("bring a second person's independent codings in with `tematik merge OTHER.db` or `tematik "
             "import-codings FILE`") if where == "the project" else "add a second person's rows to the table"
    raise InputError(f"intercoder agreement compares people, and {_nobody(people, where)}"
                     + (f" (the auto-coder '{AUTO_CODER}' is not a second coder)" if auto_available else "")
                     + f"; {bring}{auto_hint}", field="--coders")


def _nobody(people: list[str], where: str) -> str:
    if not people:
        return f"no person has codings in {where}"
    if len(people) == 1:
        return f"only one person has codings in {where}: {people[0]}"
    return f"the people with codings in {where} are {', '.join(people)}"


def _agreement_frame(presence, mode: str, reference: str | None, labels, bootstrap: int, seed: int, *,
                     source: str, auto_note: str = "") -> pd.DataFrame:
    """The table of one agree mode, with its title and caption in attrs. When the auto-coder is among the coders
    the title, the caption and ``attrs["evaluates_auto_coder"]`` say the table evaluates the auto-coder."""
    from tematik import agreement as ag

    coders = [str(c) for c in presence.coders]
    evaluates = AUTO_CODER in coders
    people = [c for c in coders if c != AUTO_CODER]
    machine = (f" The auto-coder ('{AUTO_CODER}') is one of the coders compared, so this table evaluates the "
               "auto-coder against people; it is not intercoder agreement, which compares people only."
               f"{(' ' + auto_note) if auto_note else ''}") if evaluates else ""
    common = dict(evaluates_auto_coder=evaluates, coders=coders)
    if mode == "evaluation":
        frame = ag.evaluate_coder(presence, AUTO_CODER, references=people)
        return _with_attrs(
            frame, mode=mode, sheet="auto-coder evaluation", **common,
            title=f"{EVALUATION_TITLE}: {AUTO_CODER} against {', '.join(people)} ({source})",
            caption="Each person's codings in turn are the reference the auto-coder is scored against: precision = "
                    "tp / (tp + fp) (of the units where the auto-coder applied the code, the share the person coded "
                    "too), recall = tp / (tp + fn) (of the person's units, the share the auto-coder found), F1 = "
                    "2 tp / (2 tp + fp + fn), over the units both saw; ALL (pooled) sums the counts over codes. "
                    "This is an evaluation of the auto-coder, not intercoder agreement."
                    + (f" {auto_note}" if auto_note else ""))
    if mode == "reference":
        frame = ag.reference_scores(presence, reference)
        title = f"Against reference coder {reference} ({source})"
        return _with_attrs(frame[ag.REFERENCE_COLUMNS].copy(), mode=mode, sheet="reference", **common,
                           title=f"{EVALUATION_TITLE}: {title}" if evaluates else title,
                           caption="precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + "
                                   f"fn), over the units both saw; ALL (pooled) sums the counts over codes.{machine}")
    if mode == "disagreements":
        frame = ag.disagreements(presence)
        if labels is not None:
            frame = labels(frame)
        title = f"Disagreements ({source}): {len(frame)}"
        return _with_attrs(frame, mode=mode, sheet="disagreements", **common,
                           title=f"{EVALUATION_TITLE}: {title}" if evaluates else title,
                           caption=machine.strip())
    result = ag.agree(presence, bootstrap=bootstrap, seed=seed)
    full = result.to_frame()
    frame = full[["scope", *ag.AGREEMENT_COLUMNS]].copy()
    frame.attrs = dict(full.attrs)
    kappa_note = "" if len(result.coders) == 2 else " Cohen's kappa needs exactly two coders (use --coders A,B)."
    title = f"{', '.join(coders)} ({source})"
    return _with_attrs(
        frame, mode=mode, sheet="auto-coder evaluation" if evaluates else "agreement", **common,
        title=f"{EVALUATION_TITLE}: {title}" if evaluates else f"Intercoder agreement: {title}",
        caption="Per code on presence/absence in each unit; ALL (pooled) treats every (unit, code) decision of the "
                "applied codes as one case; codes no coder applied are listed last and left out of the pooled and "
                f"mean rows. alpha's 95% interval: bootstrap over units ({bootstrap} resamples, percentile, seed "
                f"{seed}). AC1: Gwet (2008), stable when a code is rare. Readings: kappa, AC1 and BP after Landis & "
                f"Koch (1977), alpha after Krippendorff (2004): >= .800 reliable, >= .667 tentative.{kappa_note}"
                f"{machine}")


# --------------------------------------------------------------------------- the methods


class AnalysisMixin(ProjectBase):
    """Tables over the coded corpus; each returns a DataFrame with the columns of the command's --format json."""

    def _analysis_data(self, filters: Filters, *, texts: bool, include_interviewer: bool):
        """The codings, codes, documents, participants and turns the analyses read (``analysis.CodingData``)."""
        from tematik import analysis
        from tematik.store import analysis as store_analysis

        if filters.documents:
            known = set(store_analysis.document_names(self.store))
            missing = [d for d in filters.documents if d not in known]
            if missing:
                from tematik.errors import NotFound

                raise NotFound(f"no document {missing[0]!r}", field="--doc")
        data = store_analysis.load(self.store, filters, with_texts=texts, include_interviewer=include_interviewer)
        if data.codes.empty:
            log.warning("the project has no codes yet; load a codebook first (tematik codebook load FILE)")
        return analysis.prepare(data, include_interviewer=include_interviewer)

    # ------------------------------------------------------------------ freq
    def freq(self, by: str | None = None, value: str = "units", long: bool = False, sort: str = "codebook",
             rollup: bool = False, status: Strings = None, coder: Strings = None, source_type: Strings = None,
             language: Strings = None, doc: Strings = None, polarity: str | None = None,
             include_interviewer: bool = False, chart: PathLike | None = None) -> pd.DataFrame:
        """Theme frequencies per code, as ``tematik freq --format json`` gives them.

        Without ``by``: one row per code with ``code``, ``name``, ``units`` (coded units = distinct coded spans),
        ``documents``, ``participants`` (who said it), ``eligible`` (participants who could have said it),
        ``participants_pct``, ``words`` (words in the union of the code's spans), ``negative`` (negative-polarity
        units) and ``statuses`` (the statuses counted, comma-separated).

        ``by`` (source_type, language, document, participant, role or a participant attribute): the crosstab,
        one row per code (``code``, ``name``), one column per group and ``total`` (counted over all groups, not
        summed), the cells holding ``value`` (units, documents, participants, pct = % of participants, words,
        negative); ``long=True`` gives one row per group and code with every measure instead (first column named
        after ``by``). ``sort``: codebook, code, name or a measure (largest first). ``rollup=True`` counts child
        codes for their top-level code.

        Which codings count: ``status`` (default accepted,manual; ``all`` = suggested,accepted,manual), ``coder``,
        ``source_type``, ``language``, ``doc`` (document names), ``polarity`` (positive or negative); codings in
        interviewer turns only with ``include_interviewer=True``. Each of these list options takes a string
        (comma-separated) or a list. ``chart``: also draw the chart into this .png or .svg file.

        ``df.attrs``: ``title``, ``caption``, ``sheet``, ``scope``; with ``by`` also ``groups`` (the group columns)
        and ``eligible`` (participants who could have said it, per group).
        """
        from tematik import analysis

        value = choice(value, FREQ_VALUES, "--value")
        sort = choice(sort, SORT_KEYS, "--sort")
        filters = _filters(status, coder, source_type, language, doc, polarity)
        chart = _check_chart(chart)
        data = self._analysis_data(filters, texts=True, include_interviewer=include_interviewer)
        _check_by(data, by)
        measure = MEASURE.get(value, value)
        sort_key = MEASURE.get(sort, sort)
        total = analysis.freq(data, rollup_codes=rollup)
        eligible = int(total["eligible"].iloc[0]) if len(total) else 0
        scope = scope_sentence(filters, include_interviewer)
        statuses = ",".join(filters.statuses)
        order = analysis.sort_table(total, sort_key)["code"].tolist()

        if by is None:
            table = analysis.sort_table(total, sort_key)
            frame = table[FREQ_COLUMNS].reset_index(drop=True).assign(statuses=statuses)
            _with_attrs(frame, sheet="frequencies", scope=scope, caption=f"{scope} {FREQ_DEFINITIONS}",
                        title=f"Theme frequencies ({eligible} participants could have said each theme)")
            if chart is not None:
                from tematik.export import charts

                charts.frequency_chart(table.set_index("code")[["units"]].rename(columns={"units": "coded units"}),
                                       chart, labels=dict(zip(table["code"], table["name"], strict=True)),
                                       value_label="coded units", title="Theme frequencies",
                                       note=_chart_note(filters))
                log.info(f"wrote {chart}")
            return frame

        per_group = analysis.freq(data, by=by, rollup_codes=rollup)
        eligible_by_group = per_group.drop_duplicates("group").set_index("group")["eligible"].to_dict()
        if long:
            table = per_group.rename(columns={"group": by})
            table = table.assign(_o=table["code"].map({c: i for i, c in enumerate(order)})) \
                .sort_values(["_o"], kind="stable").drop(columns="_o")
            frame = table[[by, *FREQ_COLUMNS]].reset_index(drop=True).assign(statuses=statuses)
            _with_attrs(frame, sheet="frequencies", scope=scope, title=f"Theme frequencies by {by}",
                        caption=f"{scope} {FREQ_DEFINITIONS}")
            groups = list(dict.fromkeys(per_group["group"].tolist()))
        else:
            wide = analysis.crosstab(per_group, measure, total=total)
            position = {c: i for i, c in enumerate(order)}
            wide = wide.sort_values("code", key=lambda s: s.map(position), kind="stable").reset_index(drop=True)
            groups = [c for c in wide.columns if c not in ("code", "name", "total")]
            frame = wide.assign(statuses=statuses)
            _with_attrs(frame, sheet="crosstab", scope=scope, value=measure,
                        title=f"Theme frequencies by {by}: {MEASURE_LABELS.get(measure, measure)}",
                        caption=f"{scope} {FREQ_DEFINITIONS} 'total' is counted over all groups, not summed.")
        _with_attrs(frame, groups=[str(g) for g in groups],
                    eligible={str(g): int(n) for g, n in eligible_by_group.items()})
        if chart is not None:
            from tematik.export import charts

            groups_frame = analysis.crosstab(per_group, measure).set_index("code").drop(columns="name") \
                .reindex(order)
            charts.frequency_chart(groups_frame, chart, labels=dict(zip(total["code"], total["name"], strict=True)),
                                   value_label=MEASURE_LABELS.get(measure, measure).replace("%", "% of participants"),
                                   stacked=measure in ("units", "words", "negative"), legend_title=by,
                                   title=f"Theme frequencies by {by}", note=_chart_note(filters))
            log.info(f"wrote {chart}")
        return frame

    # ------------------------------------------------------------------ cooccur
    def cooccur(self, unit: str = "sentence", show: str = "count", pairs: bool = False, rollup: bool = False,
                status: Strings = None, coder: Strings = None, source_type: Strings = None,
                language: Strings = None, doc: Strings = None, polarity: str | None = None,
                include_interviewer: bool = False, chart: PathLike | None = None) -> pd.DataFrame:
        """Code x code co-occurrence, as ``tematik cooccur --format json`` gives it.

        A coding belongs to every ``unit`` (sentence, turn, paragraph; units are computed first when missing) it
        overlaps, or with ``unit="document"`` to its document; a code counts once per unit.

        The matrix (default): one row per code with ``code``, ``name`` and one column per code id holding
        ``show``: ``count`` (units with both codes; the diagonal: units with the code), ``c`` (c-coefficient) or
        ``jaccard`` (diagonal empty). ``pairs=True``: one row per pair of codes with ``code_a``, ``code_b``,
        ``n_a``, ``n_b``, ``n_ab``, ``c``, ``jaccard``, ``overlap`` (n_ab / min(n_a, n_b)), ``ratio`` and
        ``fivefold`` (frequencies differ more than fivefold: c and Jaccard understate the link).

        Filters, ``rollup`` and ``chart`` (a heatmap) as in :meth:`freq`. ``df.attrs``: ``title``, ``caption``,
        ``sheet``, ``scope``; for the matrix also ``codes`` (the code columns), ``flags`` (the fivefold pairs as
        (code_a, code_b)) and ``heat_max`` (the largest off-diagonal value).
        """
        from tematik import analysis
        from tematik.store import analysis as store_analysis

        unit = choice(unit, COOCCUR_UNITS, "--unit")
        value = COOCCUR_VALUE[choice(show, COOCCUR_SHOW, "--show")]
        filters = _filters(status, coder, source_type, language, doc, polarity)
        chart = _check_chart(chart)
        units = None
        if unit != "document":
            done = self._ensure_segments(unit)
            if done:
                log.info(f"computed {unit} units for {done} document(s)")
            units = store_analysis.segments(self.store, unit, filters)
        data = self._analysis_data(filters, texts=False, include_interviewer=include_interviewer)
        table = analysis.cooccur(data, units, rollup_codes=rollup)
        scope = scope_sentence(filters, include_interviewer)
        how = (f"Unit: {unit}. A coding counts in every {unit} it overlaps; a code counts once per "
               f"{unit} however many of its codings (nested, overlapping, other coders) fall in it. "
               if unit != "document" else
               "Unit: document. A code counts once per document however many codings it has there. ")
        flagged = table[table["fivefold"]]
        flags = [(str(a), str(b)) for a, b in zip(flagged["code_a"], flagged["code_b"], strict=True)]
        flag_text = (f"{len(flagged)} pair(s) whose frequencies differ more than fivefold are marked \u2020 "
                     "(c and Jaccard understate them; see --pairs, column overlap)." if len(flagged) else
                     "No pair's frequencies differ more than fivefold.")
        coeff = "c = n12/(n1+n2-n12) counted in units, which equals the Jaccard index here. "
        m = analysis.cooccurrence_matrix(table, value) if chart is not None or not pairs else None
        names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
        if pairs:
            frame = _with_attrs(table.reset_index(drop=True), sheet="cooccurrence", scope=scope,
                                title=f"Code co-occurrence in {unit} units: pairs",
                                caption=f"{scope} {how}{coeff}n_a, n_b: {unit}s with each code; n_ab: with both; "
                                        "overlap = n_ab/min(n_a, n_b); fivefold: max/min > 5.")
        else:
            matrix_names = {c: names.get(c, c) for c in m.index} if rollup else names
            frame = m.reset_index(names="code")
            frame.insert(1, "name", frame["code"].map(matrix_names))
            diag = "diagonal: units with the code" if value == "n_ab" else "diagonal left empty"
            label = {"n_ab": "units with both codes", "c": "c-coefficient", "jaccard": "Jaccard index"}[value]
            _with_attrs(frame, sheet="cooccurrence", scope=scope, value=value, codes=[str(c) for c in m.columns],
                        flags=flags, heat_max=float(table[value].max()) if len(table) else 0.0,
                        title=f"Code co-occurrence in {unit} units: {label}",
                        caption=f"{scope} {how}{coeff}{diag}. {flag_text}")
        if chart is not None:
            from tematik.export import charts

            charts.cooccurrence_heatmap(m, chart, labels={c: names.get(c, c) for c in m.index},
                                        value_label={"n_ab": f"{unit}s with both codes", "c": "c-coefficient",
                                                     "jaccard": "Jaccard index"}[value],
                                        flags=set(flags), title=f"Code co-occurrence ({unit} units)",
                                        note=_chart_note(filters))
            log.info(f"wrote {chart}")
        return frame

    # ------------------------------------------------------------------ matrix
    def matrix(self, rows: str = "document", values: str = "presence", rollup: bool = False,
               status: Strings = None, coder: Strings = None, source_type: Strings = None,
               language: Strings = None, doc: Strings = None, polarity: str | None = None,
               include_interviewer: bool = False) -> pd.DataFrame:
        """The quantitized case x code matrix, as ``tematik matrix --format json`` gives it.

        One row per case (``rows``: document or participant; participant rows are the participants who could have
        said something), with the case's fields and attributes, then one column per code id holding ``values``:
        presence (1/0), count (coded units) or words (words in the union of the spans). Filters and ``rollup`` as
        in :meth:`freq`. ``df.attrs``: ``title``, ``caption``, ``sheet``, ``scope``, ``codes`` (the code columns).
        """
        from tematik import analysis

        rows = choice(rows, MATRIX_ROWS, "--rows")
        values = choice(values, MATRIX_VALUES, "--values")
        filters = _filters(status, coder, source_type, language, doc, polarity)
        data = self._analysis_data(filters, texts=values == "words", include_interviewer=include_interviewer)
        frame = analysis.matrix(data, rows=rows, values=values, rollup_codes=rollup)
        ids = set(data.codes["id"].astype(str))
        scope = scope_sentence(filters, include_interviewer)
        return _with_attrs(
            frame, sheet="matrix", scope=scope, codes=[str(c) for c in frame.columns if str(c) in ids],
            title=f"{rows.capitalize()} x code matrix ({values}, {len(frame)} {rows}s)",
            caption=f"{scope} presence = 1 if the case has a coded unit of the code; count = coded units (distinct "
                    "spans); words = words in the union of the spans.")

    # ------------------------------------------------------------------ quotes
    def quotes(self, code: str | Iterable[str], by: str | None = None, limit: int | None = None,
               children: bool = False, status: Strings = None, coder: Strings = None, source_type: Strings = None,
               language: Strings = None, doc: Strings = None, polarity: str | None = None,
               include_interviewer: bool = False) -> pd.DataFrame:
        """Coded text of the ``code`` (an id or name, or several), as ``tematik quotes --format json`` gives it.

        One row per coded unit with ``code``, ``participant``, ``role``, ``document``, ``line`` (where the quote
        starts), ``turn``, ``text`` and the statuses and coders that coded it. ``by`` (as in :meth:`freq`): the
        quote matrix instead, one row per group (first column named after ``by``), one column per code, each cell
        the group's quotes. ``limit``: at most N quotes per code (and group). ``children=True`` also quotes the
        child codes' codings. Filters as in :meth:`freq`. ``df.attrs``: ``title``, ``caption``, ``sheet``,
        ``scope``, ``codes`` (the code ids quoted).
        """
        from tematik import analysis
        from tematik.store import analysis as store_analysis
        from tematik.store import coding as store_coding

        if limit is not None and limit < 1:
            raise InputError(f"--limit must be at least 1, not {limit}", field="--limit")
        filters = _filters(status, coder, source_type, language, doc, polarity)
        wanted = list(dict.fromkeys(store_coding.code_exists(self.store, c) for c in split_list(code)))
        data = self._analysis_data(filters, texts=False, include_interviewer=include_interviewer)
        mapping = analysis.descendants(data.codes, wanted) if children else {c: c for c in wanted}
        raw = store_analysis.quotes(self.store, filters, list(mapping))
        _check_by(data, by)
        table = analysis.quotes(data, raw, codes=wanted, by=by, limit=limit, include_children=children)
        scope = scope_sentence(filters, include_interviewer)
        if by is None:
            return _with_attrs(
                table, sheet="quotes", scope=scope, codes=wanted, title=f"Quotes: {', '.join(wanted)} ({len(table)})",
                caption=f"{scope} line = line of the document where the quote starts; turn = speaker turn number.")
        wide = analysis.quote_matrix(table, wanted, groups=table.attrs.get("groups"))
        frame = wide.rename(columns={"group": by})
        frame.attrs = {}
        return _with_attrs(frame, sheet="quote matrix", scope=scope, codes=wanted,
                           title=f"Quote matrix: {', '.join(wanted)} by {by}",
                           caption=f"{scope} Each quote is followed by (participant, document:line).")

    # ------------------------------------------------------------------ agree
    def agree(self, coders: Strings = None, unit: str | None = None, code: Strings = None,
              reference: str | None = None, disagreements: bool = False, table: PathLike | None = None,
              status: Strings = None, bootstrap: int = 1000, seed: int = 2011) -> pd.DataFrame:
        """Intercoder agreement per code on code presence in units, as ``tematik agree --format json`` gives it.

        Agreement compares PEOPLE. ``coders``: who to compare (default: every person with codings -- everyone but
        the auto-coder ``models.AUTO_CODER``; naming ``"auto"`` here brings the auto-coder in, and the table is
        then labelled an evaluation of the auto-coder). With fewer than two people and the auto-coder not asked for
        it raises :class:`InputError` (field ``--coders``) saying who has codings. ``unit``: sentence (default),
        turn, paragraph, document or char; ``code``: only these codes (ids or names); ``status``: the statuses of
        the people's codings that count (default accepted,manual; ``all`` = every status, rejected included); the
        auto-coder, when compared, counts everything it proposed (suggested, accepted, rejected: ``AUTO_STATUSES``).
        ``table``: read ``(unit, coder, code)`` rows from this CSV file instead of the project (see also
        :func:`agree_table`).

        The result, by mode:

        - default: one row per code, then ``ALL (pooled)`` and ``MEAN (of codes)``, then codes nobody applied;
          columns ``scope`` (code, pooled, mean, unused), ``code``, ``units``, ``units_pairable``,
          ``percent_agreement``, ``cohen_kappa``, ``kappa_reading``, ``krippendorff_alpha``, ``alpha_low``,
          ``alpha_high`` (bootstrap 95% interval: ``bootstrap`` resamples, ``seed``), ``alpha_reading``,
          ``gwet_ac1``, ``ac1_reading``, ``brennan_prediger``, ``bp_reading``, ``note``;
        - ``reference="auto"``: the evaluation of the auto-coder: each person (or each of ``coders``) in turn is
          the reference the auto-coder is scored against: ``reference``, ``coder`` (auto), ``code``, ``units``,
          ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1``, ``note``;
        - ``reference="CODER"`` (a person): the other coders scored against that one: ``coder``, ``code``,
          ``units``, ``tp``, ``fp``, ``fn``, ``precision``, ``recall``, ``f1``, ``note``;
        - ``disagreements=True``: the units where the coders differ on a code: the unit (``document``, ``seq``,
          ``start``, ``end``, ``text``; ``document`` only for document units), ``code``, ``applied_by``,
          ``not_applied_by``.

        ``df.attrs``: ``title``, ``caption``, ``sheet``, ``mode`` (agreement, evaluation, reference,
        disagreements), ``coders`` and ``evaluates_auto_coder`` (True when the auto-coder is among the coders: the
        title then starts "Evaluation of the auto-coder (not intercoder agreement)"); in the default mode also
        ``method`` and the references of the readings.
        """
        if table is not None:
            return agree_table(table, coders=coders, code=code, reference=reference, disagreements=disagreements,
                               bootstrap=bootstrap, seed=seed, unit=unit)
        from tematik.models import CODING_STATUSES
        from tematik.store import agreement as store_agreement

        coder_list, code_list, mode = _agree_mode(coders, code, reference, disagreements, bootstrap)
        unit = "sentence" if unit is None else str(getattr(unit, "value", unit))
        if unit not in AGREE_UNITS:
            raise InputError(f"unknown unit {unit!r}; expected {', '.join(AGREE_UNITS)}", field="--unit")
        statuses = parse_statuses(status, default=AGREE_STATUSES, all_means=CODING_STATUSES)
        if coder_list:
            store_agreement.check_coders(self.store, coder_list)
        chosen = _who(coder_list, store_agreement.people(self.store), reference,
                      auto_available=store_agreement.auto_codings(self.store) > 0)
        presence, labels = self._presence(unit, chosen, code_list, statuses)
        note = (f"The auto-coder's codings: everything it proposed ({', '.join(AUTO_STATUSES)}; a rejected "
                f"suggestion counts as proposed); the people's codings: {', '.join(statuses)}.")
        return _agreement_frame(presence, mode, reference, labels, bootstrap, seed, source=f"{unit} units",
                                auto_note=note)

    def _presence(self, unit: str, coder_list: list[str], code_list: list[str], statuses: tuple[str, ...]):
        """Presence data for agreement from the project's codings of ``coder_list`` (``statuses`` counted for
        people, ``AUTO_STATUSES`` for the auto-coder), and a function that adds readable unit labels to a
        disagreements table. Units are computed first when missing."""
        from tematik import agreement as ag
        from tematik.store import agreement as store_agreement
        from tematik.store import coding as store_coding

        store = self.store
        coders = list(coder_list)
        codes = [store_coding.code_exists(store, c) for c in code_list] if code_list else \
            store_agreement.codes(store)
        if not codes:
            raise InputError("no codes in the project; load a codebook first (tematik codebook load FILE)",
                             field="--code")
        auto = AUTO_STATUSES if AUTO_CODER in coders else None

        if unit == "char":
            intervals, seen, lengths = store_agreement.coding_intervals(self.store, coder_ids=coders, code_ids=codes,
                                                                        statuses=statuses, auto_statuses=auto)
            presence = ag.presence_from_intervals(intervals, lengths, codes=codes, seen=seen)
            names = store_agreement.document_names(self.store, list(lengths))

            def label_chars(frame):
                frame = frame.copy()
                frame["doc"] = [names.get(int(d), d) for d in frame["doc"]]
                return frame.rename(columns={"doc": "document"})

            return presence, label_chars

        if unit != "document":
            done = self._ensure_segments(unit)
            if done:
                log.info(f"split {done} document(s) into {unit}s")
        import pandas as pd

        rows = store_agreement.unit_rows(self.store, unit, coder_ids=coders, code_ids=codes, statuses=statuses,
                                         auto_statuses=auto)
        frame = pd.DataFrame(rows, columns=["unit", "coder", "code"])
        present = set(frame["coder"])
        presence = ag.presence_from_table(frame, coders=[c for c in coders if c in present], codes=codes)

        def label_units(frame):
            info = store_agreement.unit_labels(self.store, unit, frame["unit"].tolist())
            extra = pd.DataFrame([info.get(int(u), {}) for u in frame["unit"]],
                                 columns=["document", "seq", "start", "end", "text"])
            if unit == "document":
                extra = extra[["document"]]
            cols = ["code", "applied_by", "not_applied_by"]
            return pd.concat([extra, frame[cols].reset_index(drop=True)], axis=1)

        return presence, label_units


__all__ = ["AGREE_STATUSES", "AGREE_UNITS", "AUTO_STATUSES", "COOCCUR_SHOW", "COOCCUR_UNITS", "EVALUATION_TITLE",
           "FREQ_VALUES", "MATRIX_ROWS", "MATRIX_VALUES", "SORT_KEYS", "AnalysisMixin", "agree_table",
           "scope_sentence"]
