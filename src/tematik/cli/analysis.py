"""Analysis commands: freq, cooccur, matrix, quotes (tables, crosstabs, charts and exports)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tematik.cli.common import DbOption, OutputOption, ReportFormat, ReportFormatOption, emit, note, open_store
from tematik.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("freq")(freq)
    app.command("cooccur")(cooccur)
    app.command("matrix")(matrix)
    app.command("quotes")(quotes)


# --------------------------------------------------------------------------- shared options

StatusOption = Annotated[list[str] | None, typer.Option(
    "--status", metavar="STATUS", show_default=False,
    help="Coding statuses counted (repeat or comma-separate; default: accepted,manual). "
         "Add 'suggested' to count unreviewed auto-coding suggestions.")]
CoderOption = Annotated[list[str] | None, typer.Option(
    "--coder", metavar="CODER", show_default=False, help="Only codings by these coders (repeatable).")]
SourceTypeOption = Annotated[list[str] | None, typer.Option(
    "--source-type", metavar="TYPE", show_default=False,
    help="Only documents of these source types: interview, observation, document, response (repeatable).")]
LanguageOption = Annotated[list[str] | None, typer.Option(
    "--language", metavar="LANG", show_default=False, help="Only documents in these languages (repeatable).")]
DocOption = Annotated[list[str] | None, typer.Option(
    "--doc", metavar="DOC", show_default=False, help="Only these documents, by name (repeatable).")]
PolarityOption = Annotated[str | None, typer.Option(
    "--polarity", metavar="positive|negative", show_default=False,
    help="Only codings of this polarity (default: both).")]
InterviewerOption = Annotated[bool, typer.Option(
    "--include-interviewer", help="Also count codings that start in an interviewer's turn (they are attributed "
                                  "to no participant).")]
RollupOption = Annotated[bool, typer.Option(
    "--rollup", help="Count child codes' codings for their top-level code (a span coded as parent and child "
                     "counts once); shows the top-level codes only.")]
ChartOption = Annotated[Path | None, typer.Option(
    "--chart", metavar="FILE.png|svg", dir_okay=False, show_default=False,
    help="Also draw a chart into this file (.png or .svg).")]


class SortKey(StrEnum):
    codebook = "codebook"
    code = "code"
    name = "name"
    units = "units"
    documents = "documents"
    participants = "participants"
    pct = "pct"
    words = "words"
    negative = "negative"


class FreqValue(StrEnum):
    units = "units"
    documents = "documents"
    participants = "participants"
    pct = "pct"
    words = "words"
    negative = "negative"


class CoUnit(StrEnum):
    sentence = "sentence"
    turn = "turn"
    paragraph = "paragraph"
    document = "document"


class CoValue(StrEnum):
    n_ab = "count"
    c = "c"
    jaccard = "jaccard"


class Rows(StrEnum):
    document = "document"
    participant = "participant"


class Values(StrEnum):
    presence = "presence"
    count = "count"
    words = "words"


MEASURE = {"pct": "participants_pct"}
HEADERS = {"units": "coded units", "participants_pct": "%", "eligible": "of", "negative": "negative units",
           "words": "words coded"}
DECIMALS = {"participants_pct": 1, "c": 3, "jaccard": 3, "overlap": 3, "ratio": 1}


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _filters(status, coder, source_type, language, doc, polarity):
    from tematik.store.analysis import DEFAULT_STATUSES, Filters

    statuses = tuple(dict.fromkeys(_split(status))) or DEFAULT_STATUSES
    return Filters(statuses=statuses, coders=tuple(_split(coder)), source_types=tuple(_split(source_type)),
                   languages=tuple(_split(language)), documents=tuple(_split(doc)), polarity=polarity).check()


def _load(store, filters, *, texts: bool, include_interviewer: bool):
    from tematik.store import analysis as store_analysis

    if filters.documents:
        known = set(store_analysis.document_names(store))
        missing = [d for d in filters.documents if d not in known]
        if missing:
            from tematik.errors import NotFound

            raise NotFound(f"no document {missing[0]!r}", field="--doc")
    from tematik import analysis

    data = store_analysis.load(store, filters, with_texts=texts, include_interviewer=include_interviewer)
    if data.codes.empty:
        from tematik.cli.common import warn

        warn("the project has no codes yet; load a codebook first (tematik codebook load FILE)")
    return analysis.prepare(data, include_interviewer=include_interviewer)


def _check_by(data, by: str | None) -> None:
    from tematik import analysis

    if by is not None and by not in analysis.group_choices(data):
        raise InputError(f"cannot group by {by!r}; choose one of: {', '.join(analysis.group_choices(data))}",
                         field="--by")


def _scope(filters, include_interviewer: bool) -> str:
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


def _records(frame) -> tuple[list[str], list[dict[str, Any]]]:
    from tematik.export.tables import as_rows

    return as_rows(frame)


def _bar(value: float | None, top: float, width: int = 20) -> str:
    if value is None or top <= 0 or value != value:
        return ""
    eighths = round(8 * width * value / top)
    return "\u2588" * (eighths // 8) + ("", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a",
                                         "\u2589")[eighths % 8]


def _heat(value: Any, top: float) -> str | None:
    """A background from white to deep blue for value/top, with a readable foreground."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value or top <= 0 or value <= 0:
        return None
    x = min(float(value) / top, 1.0)
    r, g, b = (int(round(255 + (t - 255) * x)) for t in (33, 102, 172))
    fg = "white" if x > 0.55 else "black"
    return f"{fg} on #{r:02x}{g:02x}{b:02x}"


def _check_chart(chart: Path | None) -> None:
    if chart is not None and chart.suffix.lower() not in (".png", ".svg"):
        raise InputError(f"a chart is written as .png or .svg, not '{chart.suffix}'", path=str(chart),
                         field="--chart")


# --------------------------------------------------------------------------- freq

def freq(
    by: Annotated[str | None, typer.Option(
        "--by", metavar="FIELD", show_default=False,
        help="Crosstab by source_type, language, document, participant, role or any participant attribute.")
    ] = None,
    value: Annotated[FreqValue, typer.Option(
        "--value", help="With --by: the measure in the crosstab cells (pct = % of participants).")
    ] = FreqValue.units,
    long: Annotated[bool, typer.Option("--long", help="With --by: one row per group and code with every measure, "
                                                      "instead of the crosstab.")] = False,
    sort: Annotated[SortKey, typer.Option("--sort", help="Row order: codebook order, A-Z, or a measure over all "
                                                         "groups (largest first).")] = SortKey.codebook,
    rollup: RollupOption = False,
    status: StatusOption = None,
    coder: CoderOption = None,
    source_type: SourceTypeOption = None,
    language: LanguageOption = None,
    doc: DocOption = None,
    polarity: PolarityOption = None,
    include_interviewer: InterviewerOption = False,
    chart: ChartOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Theme frequencies per code: coded units, documents, participants (n and % of those who could have said
    it), words coded and negative-polarity units, optionally crossed --by a document or participant field.

    A coded unit is a distinct coded span; the same span coded twice (two coders, or parent and child with
    --rollup) counts once. Words coded are the words of the union of a code's spans (overlaps counted once).
    A coding belongs to the participant of the turn it starts in, else the document's participant; codings in
    interviewer turns are left out unless --include-interviewer. "Could have said it": participants who speak in
    a non-interviewer turn, or are a document's participant, in the documents analysed.
    """
    from tematik import analysis

    filters = _filters(status, coder, source_type, language, doc, polarity)
    _check_chart(chart)
    with open_store(db) as store:
        data = _load(store, filters, texts=True, include_interviewer=include_interviewer)
    _check_by(data, by)
    measure = MEASURE.get(value.value, value.value)
    sort_key = MEASURE.get(sort.value, sort.value)
    total = analysis.frequencies(data, rollup_codes=rollup)
    eligible = int(total["eligible"].iloc[0]) if len(total) else 0
    scope = _scope(filters, include_interviewer)
    definitions = ("Coded units = distinct coded spans; words coded = words in the union of each code's spans "
                   "(overlaps counted once); % = of the participants who could have said it (speak in a "
                   "non-interviewer turn or are a document's participant).")
    machine = fmt != ReportFormat.table or output is not None
    table_view = fmt == ReportFormat.table and output is None

    if by is None:
        table = analysis.sort_table(total, sort_key)
        columns = ["code", "name", "units", "documents", "participants", "eligible", "participants_pct", "words",
                   "negative"]
        cols, rows = _records(table[columns])
        if machine:
            for r in rows:
                r["statuses"] = ",".join(filters.statuses)
            cols = [*cols, "statuses"]
        if table_view:
            top = max((r["units"] for r in rows), default=0)
            for r in rows:
                r["bar"] = _bar(r["units"], top)
            cols = ["code", "name", "units", "bar", "documents", "participants", "eligible", "participants_pct",
                    "words", "negative"]
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, headers={**HEADERS, "bar": ""},
             styles={"bar": "cyan"}, sheet="frequencies",
             title=f"Theme frequencies ({eligible} participants could have said each theme)",
             caption=f"{scope} {definitions}")
        if chart is not None:
            from tematik.export import charts

            charts.frequency_chart(table.set_index("code")[["units"]].rename(columns={"units": "coded units"}),
                                   chart, labels=dict(zip(table["code"], table["name"], strict=True)),
                                   value_label="coded units", title="Theme frequencies",
                                   note=_chart_note(filters))
            note(f"wrote {chart}")
        return

    per_group = analysis.frequencies(data, by=by, rollup_codes=rollup)
    if long:
        table = per_group.rename(columns={"group": by})
        order = analysis.sort_table(total, sort_key)["code"].tolist()
        table = table.assign(_o=table["code"].map({c: i for i, c in enumerate(order)})) \
            .sort_values(["_o"], kind="stable").drop(columns="_o")
        cols, rows = _records(table[[by, "code", "name", "units", "documents", "participants", "eligible",
                                     "participants_pct", "words", "negative"]])
        if machine:
            for r in rows:
                r["statuses"] = ",".join(filters.statuses)
            cols = [*cols, "statuses"]
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, headers=HEADERS, sheet="frequencies",
             title=f"Theme frequencies by {by}", caption=f"{scope} {definitions}")
    else:
        wide = analysis.crosstab(per_group, measure, total=total)
        order = {c: i for i, c in enumerate(analysis.sort_table(total, sort_key)["code"])}
        wide = wide.sort_values("code", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
        groups = [c for c in wide.columns if c not in ("code", "name", "total")]
        cols, rows = _records(wide)
        eligible_by_group = per_group.drop_duplicates("group").set_index("group")["eligible"].to_dict()
        if machine:
            for r in rows:
                r["statuses"] = ",".join(filters.statuses)
            cols = [*cols, "statuses"]
        top = max((r[g] or 0 for r in rows for g in groups), default=0)
        headers = {g: f"{g}\n(n={eligible_by_group.get(g, 0)})" for g in groups} if measure == "participants_pct" \
            else {}
        emit(cols, rows, fmt, output=output, decimals={g: 1 for g in [*groups, "total"]}
             if measure == "participants_pct" else 1, headers=headers, sheet="crosstab",
             cell_style=(lambda c, r: _heat(r.get(c), top) if c in groups else None),
             title=f"Theme frequencies by {by}: {HEADERS.get(measure, measure)}",
             caption=f"{scope} {definitions} 'total' is counted over all groups, not summed.")
    if chart is not None:
        from tematik.export import charts

        wide = analysis.crosstab(per_group, measure)
        wide = wide.set_index("code")
        order = analysis.sort_table(total, sort_key)["code"].tolist()
        additive = measure in ("units", "words", "negative")
        groups_frame = wide.drop(columns="name").reindex(order)
        charts.frequency_chart(groups_frame, chart, labels=dict(zip(total["code"], total["name"], strict=True)),
                               value_label=HEADERS.get(measure, measure).replace("%", "% of participants"),
                               stacked=additive, legend_title=by, title=f"Theme frequencies by {by}",
                               note=_chart_note(filters))
        note(f"wrote {chart}")


def _chart_note(filters) -> str:
    statuses = ", ".join(filters.statuses)
    if "suggested" in filters.statuses:
        return f"Statuses counted: {statuses} (includes unreviewed suggestions)"
    return f"Statuses counted: {statuses}"


# --------------------------------------------------------------------------- cooccur

def cooccur(
    unit: Annotated[CoUnit, typer.Option("--unit", help="Unit in which codes co-occur.")] = CoUnit.sentence,
    show: Annotated[CoValue, typer.Option("--show", help="Matrix cells: count of units with both codes, the "
                                                         "c-coefficient or the Jaccard index.")] = CoValue.n_ab,
    pairs: Annotated[bool, typer.Option("--pairs", help="One row per pair of codes with every statistic and the "
                                                        "fivefold flag, instead of the matrix.")] = False,
    rollup: RollupOption = False,
    status: StatusOption = None,
    coder: CoderOption = None,
    source_type: SourceTypeOption = None,
    language: LanguageOption = None,
    doc: DocOption = None,
    polarity: PolarityOption = None,
    include_interviewer: InterviewerOption = False,
    chart: ChartOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Code x code co-occurrence: units holding both codes, ATLAS.ti's c-coefficient and the Jaccard index.

    A coding belongs to every unit it overlaps (by at least one character); with --unit document, to its
    document. A code counts once per unit however many of its codings (nested, overlapping, several coders)
    fall in it. c = n12 / (n1 + n2 - n12) over units, which in non-overlapping units equals the Jaccard index of
    the two codes' sets of units. Pairs whose code frequencies differ more than fivefold are flagged: c and
    Jaccard understate their link (see 'overlap' = n12 / min(n1, n2) in --pairs).
    """
    from tematik import analysis

    filters = _filters(status, coder, source_type, language, doc, polarity)
    _check_chart(chart)
    with open_store(db) as store:
        units = None
        if unit != CoUnit.document:
            from tematik.cli.segments import ensure_segments
            from tematik.store import analysis as store_analysis

            done = ensure_segments(store, unit.value)
            if done:
                note(f"computed {unit.value} units for {done} document(s)")
            units = store_analysis.segments(store, unit.value, filters)
        data = _load(store, filters, texts=False, include_interviewer=include_interviewer)
    table = analysis.cooccurrence(data, units, rollup_codes=rollup)
    scope = _scope(filters, include_interviewer)
    how = (f"Unit: {unit.value}. A coding counts in every {unit.value} it overlaps; a code counts once per "
           f"{unit.value} however many of its codings (nested, overlapping, other coders) fall in it. "
           if unit != CoUnit.document else
           "Unit: document. A code counts once per document however many codings it has there. ")
    flagged = table[table["fivefold"]]
    flag_text = (f"{len(flagged)} pair(s) whose frequencies differ more than fivefold are marked \u2020 "
                 "(c and Jaccard understate them; see --pairs, column overlap)." if len(flagged) else
                 "No pair's frequencies differ more than fivefold.")
    coeff = "c = n12/(n1+n2-n12) counted in units, which equals the Jaccard index here. "
    if pairs:
        cols, rows = _records(table)
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, sheet="cooccurrence",
             title=f"Code co-occurrence in {unit.value} units: pairs",
             caption=f"{scope} {how}{coeff}n_a, n_b: {unit.value}s with each code; n_ab: with both; "
                     "overlap = n_ab/min(n_a, n_b); fivefold: max/min > 5.")
    else:
        value = {"count": "n_ab", "c": "c", "jaccard": "jaccard"}[show.value]
        m = analysis.cooccurrence_matrix(table, value)
        names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
        if rollup:
            names = {c: names.get(c, c) for c in m.index}
        frame = m.reset_index(names="code")
        frame.insert(1, "name", frame["code"].map(names))
        cols, rows = _records(frame)
        ids = list(m.columns)
        flags = {(a, b) for a, b in zip(flagged["code_a"], flagged["code_b"], strict=True)}
        flags |= {(b, a) for a, b in flags}
        table_view = fmt == ReportFormat.table and output is None
        top = float(table[value].max()) if len(table) else 0.0
        if table_view:  # numbers as right-aligned text so that a dagger can follow a flagged one
            for c in ids:
                texts = ["" if r.get(c) is None else (f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]))
                         + (" \u2020" if (r["code"], c) in flags else "  ") for r in rows]
                width = max([len(c), *map(len, texts)])
                for r, text in zip(rows, texts, strict=True):
                    r[c] = text.rjust(width)
        diag = "diagonal: units with the code" if value == "n_ab" else "diagonal left empty"
        emit(cols, rows, fmt, output=output, decimals=3, sheet="cooccurrence",
             cell_style=(lambda c, r: "dim" if c == r["code"] else _heat(_number(r.get(c)), top)
                         if c in ids else None),
             title=f"Code co-occurrence in {unit.value} units: "
                   f"{ {'n_ab': 'units with both codes', 'c': 'c-coefficient', 'jaccard': 'Jaccard index'}[value]}",
             caption=f"{scope} {how}{coeff}{diag}. {flag_text}")
    if chart is not None:
        from tematik.export import charts

        value = {"count": "n_ab", "c": "c", "jaccard": "jaccard"}[show.value]
        m = analysis.cooccurrence_matrix(table, value)
        names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
        charts.cooccurrence_heatmap(m, chart, labels={c: names.get(c, c) for c in m.index},
                                    value_label={"n_ab": f"{unit.value}s with both codes", "c": "c-coefficient",
                                                 "jaccard": "Jaccard index"}[value],
                                    flags=set(zip(flagged["code_a"], flagged["code_b"], strict=True)),
                                    title=f"Code co-occurrence ({unit.value} units)", note=_chart_note(filters))
        note(f"wrote {chart}")


def _number(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.split()[0])
        except (ValueError, IndexError):
            return None
    return None


# --------------------------------------------------------------------------- matrix

def matrix(
    rows: Annotated[Rows, typer.Option("--rows", help="Cases: documents or participants.")] = Rows.document,
    values: Annotated[Values, typer.Option("--values", help="Cells: presence (1/0), count of coded units, or "
                                                            "words coded.")] = Values.presence,
    rollup: RollupOption = False,
    status: StatusOption = None,
    coder: CoderOption = None,
    source_type: SourceTypeOption = None,
    language: LanguageOption = None,
    doc: DocOption = None,
    polarity: PolarityOption = None,
    include_interviewer: InterviewerOption = False,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """The quantitized case x code matrix (documents or participants x codes) with participant attributes as
    extra columns, ready for R, SPSS or pandas (--format csv|xlsx --output FILE).

    Participant rows are the participants who could have said something (see `tematik freq --help`); a coding
    belongs to the participant of the turn it starts in, else the document's participant.
    """
    from tematik import analysis

    filters = _filters(status, coder, source_type, language, doc, polarity)
    with open_store(db) as store:
        data = _load(store, filters, texts=values == Values.words, include_interviewer=include_interviewer)
    frame = analysis.case_matrix(data, rows=rows.value, values=values.value, rollup_codes=rollup)
    cols, out_rows = _records(frame)
    codes = [c for c in cols if c in set(data.codes["id"].astype(str))]
    top = max((r[c] or 0 for r in out_rows for c in codes), default=0)
    emit(cols, out_rows, fmt, output=output, sheet="matrix",
         cell_style=(lambda c, r: _heat(r.get(c), top) if c in codes else None),
         title=f"{rows.value.capitalize()} x code matrix ({values.value}, {len(out_rows)} {rows.value}s)",
         caption=f"{_scope(filters, include_interviewer)} presence = 1 if the case has a coded unit of the code; "
                 "count = coded units (distinct spans); words = words in the union of the spans.")


# --------------------------------------------------------------------------- quotes

def quotes(
    code: Annotated[list[str], typer.Option("--code", metavar="CODE", show_default=False,
                                            help="Code id or name (repeat for a quote matrix of several codes).")],
    by: Annotated[str | None, typer.Option(
        "--by", metavar="FIELD", show_default=False,
        help="Quote matrix: one row per value of source_type, language, document, participant, role or a "
             "participant attribute, one column per code.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, show_default=False,
                                              help="At most N quotes per code (per code and group with --by).")
                     ] = None,
    children: Annotated[bool, typer.Option("--children", help="Also quote the codings of the codes' child "
                                                              "codes.")] = False,
    status: StatusOption = None,
    coder: CoderOption = None,
    source_type: SourceTypeOption = None,
    language: LanguageOption = None,
    doc: DocOption = None,
    polarity: PolarityOption = None,
    include_interviewer: InterviewerOption = False,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Coded text for quote tables: participant, role, document, line, turn and the text of each coded unit.

    With --by, a MAXQDA-style quote matrix: groups down, codes across, each cell the group's quotes.
    """
    from tematik import analysis
    from tematik.store import analysis as store_analysis
    from tematik.store import coding as store_coding

    filters = _filters(status, coder, source_type, language, doc, polarity)
    with open_store(db) as store:
        wanted = list(dict.fromkeys(store_coding.code_exists(store, c) for c in _split(code)))
        data = _load(store, filters, texts=False, include_interviewer=include_interviewer)
        mapping = analysis.descendants(data.codes, wanted) if children else {c: c for c in wanted}
        raw = store_analysis.quotes(store, filters, list(mapping))
    _check_by(data, by)
    table = analysis.quote_table(data, raw, codes=wanted, by=by, limit=limit, include_children=children)
    scope = _scope(filters, include_interviewer)
    if by is None:
        cols, rows = _records(table)
        if fmt == ReportFormat.table and output is None:
            cols = ["code", "participant", "role", "document", "line", "turn", "text"]
            for r in rows:
                r["text"] = " ".join(str(r["text"]).split())
        emit(cols, rows, fmt, output=output, sheet="quotes",
             title=f"Quotes: {', '.join(wanted)} ({len(rows)})",
             caption=f"{scope} line = line of the document where the quote starts; turn = speaker turn number.")
        return
    wide = analysis.quote_matrix(table, wanted, groups=table.attrs.get("groups"))
    cols, rows = _records(wide.rename(columns={"group": by}))
    emit(cols, rows, fmt, output=output, sheet="quote matrix",
         title=f"Quote matrix: {', '.join(wanted)} by {by}",
         caption=f"{scope} Each quote is followed by (participant, document:line).")


# --------------------------------------------------------------------------- demo


def demo_tables(store, output: Path, statuses) -> None:
    """For `tematik demo`: the theme frequency table by source type, and the frequency and co-occurrence charts."""
    from tematik import analysis
    from tematik.cli.segments import ensure_segments
    from tematik.export import charts
    from tematik.store import analysis as store_analysis

    filters = store_analysis.Filters(statuses=tuple(statuses)).check()
    data = analysis.prepare(store_analysis.load(store, filters))
    total = analysis.frequencies(data)
    per_type = analysis.frequencies(data, by="source_type")
    wide = analysis.crosstab(per_type, "units", total=total)
    wide["participants_pct"] = total.set_index("code")["participants_pct"].reindex(wide["code"]).to_numpy()
    eligible = int(total["eligible"].iloc[0]) if len(total) else 0
    cols, rows = _records(wide)
    groups = [c for c in cols if c not in ("code", "name", "total", "participants_pct")]
    top = max((r[g] or 0 for r in rows for g in groups), default=0)
    emit(cols, rows, title="Theme frequencies by source type: coded units",
         headers={"participants_pct": f"% of {eligible}\nparticipants"}, decimals={"participants_pct": 1},
         cell_style=lambda c, r: _heat(r.get(c), top) if c in groups else None,
         caption=f"{_scope(filters, False)} Review them (`tematik review`) before reading the table as findings. "
                 "Coded units = distinct coded spans.")
    labels = dict(zip(total["code"], total["name"], strict=True))
    bars = charts.frequency_chart(wide.set_index("code")[groups], output / "theme_frequencies.png", labels=labels,
                                  value_label="coded units", legend_title="source type",
                                  title="Theme frequencies by source type", note=_chart_note(filters))
    note(f"wrote {bars}")
    ensure_segments(store, "sentence")
    pairs = analysis.cooccurrence(data, store_analysis.segments(store, "sentence", filters))
    heat = charts.cooccurrence_heatmap(
        analysis.cooccurrence_matrix(pairs, "n_ab"), output / "cooccurrence.png", labels=labels,
        value_label="sentences with both codes", flags=set(zip(pairs.loc[pairs["fivefold"], "code_a"],
                                                               pairs.loc[pairs["fivefold"], "code_b"], strict=True)),
        title="Theme co-occurrence (sentence units)", note=_chart_note(filters))
    note(f"wrote {heat}")
