"""`tematik agree`: intercoder agreement between people per code on code presence in units (sentence, turn,
document, char); the auto-coder only when asked for, as an evaluation of the auto-coder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

HEADERS = {"units_pairable": "pairable", "percent_agreement": "agreement", "cohen_kappa": "kappa",
           "kappa_reading": "kappa reading", "krippendorff_alpha": "alpha", "alpha_low": "alpha 95% low",
           "alpha_high": "alpha 95% high", "alpha_reading": "alpha reading", "gwet_ac1": "AC1",
           "ac1_reading": "AC1 reading", "brennan_prediger": "BP kappa", "bp_reading": "BP reading"}


CodersOption = Annotated[str | None, typer.Option(
    "--coders", metavar="A,B", show_default=False,
    help="Coders to compare, comma-separated (default: every person with codings; the auto-coder only when "
         "named here, as 'auto', and the table is then an evaluation of the auto-coder).")]
UnitOption = Annotated[str | None, typer.Option(
    "--unit", metavar="UNIT", show_default=False,
    help="Unit of analysis: sentence, turn, paragraph, document or char (default: sentence).")]
CodeOption = Annotated[list[str] | None, typer.Option(
    "--code", metavar="CODE", show_default=False,
    help="Only these codes (id or name; repeat or comma-separate). Default: every code.")]
ReferenceOption = Annotated[str | None, typer.Option(
    "--reference", metavar="CODER", show_default=False,
    help="Score the other coders against this coder: precision, recall, F1. --reference auto evaluates the "
         "auto-coder: it is scored against each person in turn (each person is the reference).")]
DisagreementsOption = Annotated[bool, typer.Option(
    "--disagreements", help="List the units where the coders differ on a code.")]
TableOption = Annotated[Path | None, typer.Option(
    "--table", metavar="FILE.csv", dir_okay=False, show_default=False,
    help="Read (unit, coder, code) rows from this CSV instead of the project.")]
StatusOption = status_option(
    "Statuses of the people's codings that count (repeat or comma-separate; default: accepted,manual, their "
    "decisions; all: every status, rejected included). When the auto-coder is compared, everything it proposed "
    "counts (suggested, accepted, rejected).")



def register(app: typer.Typer) -> None:
    app.command("agree")(agree)


def agree(
    coders: CodersOption = None,
    unit: UnitOption = None,
    code: CodeOption = None,
    reference: ReferenceOption = None,
    disagreements: DisagreementsOption = False,
    table: TableOption = None,
    status: StatusOption = None,
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", min=0, metavar="N", help="Bootstrap resamples for alpha's 95% interval (0: none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (the same seed gives the same "
                                                     "interval).")] = 2011,
    db: DbOption = None,
) -> None:
    """Intercoder agreement between people per code: percent agreement, Cohen's kappa, Krippendorff's alpha (with
    a bootstrap interval), Gwet's AC1, Brennan-Prediger. Codes no coder applied are listed apart and left out of
    the pooled and mean rows.

    By default every person with codings is compared; the auto-coder's suggestions are not a coder. Ask for the
    auto-coder with --reference auto (its precision, recall and F1 against each person) or by naming auto in
    --coders: the table is then titled "Evaluation of the auto-coder (not intercoder agreement)". With one person
    only, agree says so and how to bring a second coder's codings in (tematik merge, tematik import-codings).

    Agreement is computed on the presence of each code in each unit. A coder saw the units of every document in
    which they coded anything; units a coder did not see are missing data for alpha and are left out of the
    pairwise statistics. Readings: Landis & Koch (1977) for kappa-type values, Krippendorff (2004) for alpha.
    """
    options = dict(coders=coders, code=code, reference=reference, disagreements=disagreements,
                   bootstrap=bootstrap, seed=seed)
    if table is not None:  # no project needed
        from tematik.project.analysis import agree_table

        frame = agree_table(table, unit=unit, **options)
    else:
        with open_project(db) as p:
            frame = p.agree(unit=unit, status=status, **options)
    mode = frame.attrs["mode"]
    columns, rows = _records(frame)
    if mode in ("reference", "evaluation"):
        emit(columns, rows, fmt, output=output, decimals=3, sheet=frame.attrs["sheet"], title=frame.attrs["title"],
             caption=frame.attrs["caption"])
    elif mode == "disagreements":
        emit(columns, rows, fmt, output=output, sheet=frame.attrs["sheet"], title=frame.attrs["title"])
    else:
        table_view = fmt == ReportFormat.table and output is None
        if table_view:
            columns = [c for c in columns if c != "scope"]
        emit(columns, rows, fmt, output=output, decimals=3, headers=HEADERS if table_view else None,
             sheet=frame.attrs["sheet"], title=frame.attrs["title"], caption=frame.attrs["caption"])


def _records(frame):
    from tematik.export.tables import as_rows

    return as_rows(frame)
