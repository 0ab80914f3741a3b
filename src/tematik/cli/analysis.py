"""Analysis commands: freq, cooccur, matrix, quotes (tables, crosstabs, charts and exports)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tematik.cli.common import (
    DbOption,
    OutputOption,
    ReportFormat,
    ReportFormatOption,
    emit,
    open_project,
    status_option,
)
from tematik.cli.render import heat


def register(app: typer.Typer) -> None:
    app.command("freq")(freq)
    app.command("cooccur")(cooccur)
    app.command("matrix")(matrix)
    app.command("quotes")(quotes)


# --------------------------------------------------------------------------- shared options

StatusOption = status_option(
    "Coding statuses counted (repeat or comma-separate; default: accepted,manual; all: suggested,accepted,manual, "
    "every status but rejected). Add 'suggested' to count unreviewed auto-coding suggestions.")
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


HEADERS = {"units": "coded units", "participants_pct": "%", "eligible": "of", "negative": "negative units",
           "words": "words coded"}
DECIMALS = {"participants_pct": 1, "c": 3, "jaccard": 3, "overlap": 3, "ratio": 1}


def _records(frame) -> tuple[list[str], list[dict[str, Any]]]:
    from tematik.export.tables import as_rows

    return as_rows(frame)


def _bar(value: float | None, top: float, width: int = 20) -> str:
    if value is None or top <= 0 or value != value:
        return ""
    eighths = round(8 * width * value / top)
    return "\u2588" * (eighths // 8) + ("", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a",
                                         "\u2589")[eighths % 8]



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
    with open_project(db) as p:
        df = p.freq(by=by, value=value.value, long=long, sort=sort.value, rollup=rollup, status=status, coder=coder,
                    source_type=source_type, language=language, doc=doc, polarity=polarity,
                    include_interviewer=include_interviewer, chart=chart)
    table_view = fmt == ReportFormat.table and output is None
    cols, rows = _records(df)
    if table_view:  # the statuses are in the caption
        cols = [c for c in cols if c != "statuses"]
    title, caption, sheet = df.attrs["title"], df.attrs["caption"], df.attrs["sheet"]
    if by is None:
        if table_view:
            top = max((r["units"] for r in rows), default=0)
            for r in rows:
                r["bar"] = _bar(r["units"], top)
            cols = ["code", "name", "units", "bar", "documents", "participants", "eligible", "participants_pct",
                    "words", "negative"]
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, headers={**HEADERS, "bar": ""},
             styles={"bar": "cyan"}, sheet=sheet, title=title, caption=caption)
    elif long:
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, headers=HEADERS, sheet=sheet, title=title,
             caption=caption)
    else:
        groups, measure = df.attrs["groups"], df.attrs["value"]
        top = max((r[g] or 0 for r in rows for g in groups), default=0)
        pct = measure == "participants_pct"
        headers = {g: f"{g}\n(n={df.attrs['eligible'].get(g, 0)})" for g in groups} if pct else {}
        emit(cols, rows, fmt, output=output, decimals={g: 1 for g in [*groups, "total"]} if pct else 1,
             headers=headers, sheet=sheet, cell_style=(lambda c, r: heat(r.get(c), top) if c in groups else None),
             title=title, caption=caption)


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
    with open_project(db) as p:
        df = p.cooccur(unit=unit.value, show=show.value, pairs=pairs, rollup=rollup, status=status, coder=coder,
                       source_type=source_type, language=language, doc=doc, polarity=polarity,
                       include_interviewer=include_interviewer, chart=chart)
    cols, rows = _records(df)
    title, caption, sheet = df.attrs["title"], df.attrs["caption"], df.attrs["sheet"]
    if pairs:
        emit(cols, rows, fmt, output=output, decimals=DECIMALS, sheet=sheet, title=title, caption=caption)
        return
    ids = list(df.attrs["codes"])
    flags = {tuple(f) for f in df.attrs["flags"]}
    flags |= {(b, a) for a, b in flags}
    top = df.attrs["heat_max"]
    if fmt == ReportFormat.table and output is None:  # numbers as right-aligned text so that a dagger can follow
        for c in ids:
            texts = ["" if r.get(c) is None else (f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]))
                     + (" \u2020" if (r["code"], c) in flags else "  ") for r in rows]
            width = max([len(c), *map(len, texts)])
            for r, text in zip(rows, texts, strict=True):
                r[c] = text.rjust(width)
    emit(cols, rows, fmt, output=output, decimals=3, sheet=sheet,
         cell_style=(lambda c, r: "dim" if c == r["code"] else heat(_number(r.get(c)), top) if c in ids else None),
         title=title, caption=caption)


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
    with open_project(db) as p:
        df = p.matrix(rows=rows.value, values=values.value, rollup=rollup, status=status, coder=coder,
                      source_type=source_type, language=language, doc=doc, polarity=polarity,
                      include_interviewer=include_interviewer)
    cols, out_rows = _records(df)
    codes = set(df.attrs["codes"])
    top = max((r[c] or 0 for r in out_rows for c in cols if c in codes), default=0)
    emit(cols, out_rows, fmt, output=output, sheet=df.attrs["sheet"],
         cell_style=(lambda c, r: heat(r.get(c), top) if c in codes else None),
         title=df.attrs["title"], caption=df.attrs["caption"])


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
    with open_project(db) as p:
        df = p.quotes(code=code, by=by, limit=limit, children=children, status=status, coder=coder,
                      source_type=source_type, language=language, doc=doc, polarity=polarity,
                      include_interviewer=include_interviewer)
    cols, rows = _records(df)
    if by is None and fmt == ReportFormat.table and output is None:
        cols = ["code", "participant", "role", "document", "line", "turn", "text"]
        for r in rows:
            r["text"] = " ".join(str(r["text"]).split())
    emit(cols, rows, fmt, output=output, sheet=df.attrs["sheet"], title=df.attrs["title"],
         caption=df.attrs["caption"])
