"""`tematik agree`: intercoder agreement per code on code presence in units (sentence, turn, document, char)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import DbOption, OutputOption, ReportFormat, ReportFormatOption, emit, open_store
from tematik.errors import InputError

UNIT_CHOICES = ("sentence", "turn", "paragraph", "document", "char")

AGREEMENT_COLUMNS = ["code", "units", "units_pairable", "percent_agreement", "cohen_kappa", "kappa_reading",
                     "krippendorff_alpha", "alpha_low", "alpha_high", "alpha_reading", "gwet_ac1", "ac1_reading",
                     "brennan_prediger", "bp_reading", "note"]
HEADERS = {"units_pairable": "pairable", "percent_agreement": "agreement", "cohen_kappa": "kappa",
           "kappa_reading": "kappa reading", "krippendorff_alpha": "alpha", "alpha_low": "alpha 95% low",
           "alpha_high": "alpha 95% high", "alpha_reading": "alpha reading", "gwet_ac1": "AC1",
           "ac1_reading": "AC1 reading", "brennan_prediger": "BP kappa", "bp_reading": "BP reading"}
REFERENCE_COLUMNS = ["coder", "code", "units", "tp", "fp", "fn", "precision", "recall", "f1", "note"]


CodersOption = Annotated[str | None, typer.Option(
    "--coders", metavar="A,B", show_default=False,
    help="Coders to compare, comma-separated (default: everyone with codings).")]
UnitOption = Annotated[str | None, typer.Option(
    "--unit", metavar="UNIT", show_default=False,
    help="Unit of analysis: sentence, turn, paragraph, document or char (default: sentence).")]
CodeOption = Annotated[list[str] | None, typer.Option(
    "--code", metavar="CODE", show_default=False,
    help="Only these codes (id or name; repeat or comma-separate). Default: every code.")]
ReferenceOption = Annotated[str | None, typer.Option(
    "--reference", metavar="CODER", show_default=False,
    help="Score the other coders against this coder: precision, recall, F1.")]
DisagreementsOption = Annotated[bool, typer.Option(
    "--disagreements", help="List the units where the coders differ on a code.")]
TableOption = Annotated[Path | None, typer.Option(
    "--table", metavar="FILE.csv", dir_okay=False, show_default=False,
    help="Read (unit, coder, code) rows from this CSV instead of the project.")]
StatusOption = Annotated[str, typer.Option(
    "--status", metavar="STATUSES", help="Coding statuses that count, comma-separated, or all.")]


def register(app: typer.Typer) -> None:
    app.command("agree")(agree)


def _split(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def agree(
    coders: CodersOption = None,
    unit: UnitOption = None,
    code: CodeOption = None,
    reference: ReferenceOption = None,
    disagreements: DisagreementsOption = False,
    table: TableOption = None,
    status: StatusOption = "suggested,accepted,manual",
    fmt: ReportFormatOption = ReportFormat.table,
    output: OutputOption = None,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", min=0, metavar="N", help="Bootstrap resamples for alpha's 95% interval (0: none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (the same seed gives the same "
                                                     "interval).")] = 2011,
    db: DbOption = None,
) -> None:
    """Intercoder agreement per code: percent agreement, Cohen's kappa, Krippendorff's alpha (with a bootstrap
    interval), Gwet's AC1, Brennan-Prediger. Codes no coder applied are listed apart and left out of the pooled
    and mean rows.

    Agreement is computed on the presence of each code in each unit. A coder saw the units of every document in
    which they coded anything; units a coder did not see are missing data for alpha and are left out of the
    pairwise statistics. Readings: Landis & Koch (1977) for kappa-type values, Krippendorff (2004) for alpha.
    """
    from tematik import agreement as ag

    coder_list = _split(coders)
    code_list = _split(code)
    if reference and coder_list and reference not in coder_list:
        coder_list = [reference, *coder_list]
    if reference and disagreements:
        raise InputError("choose either --reference or --disagreements", field="--reference")
    mode = "reference" if reference else "disagreements" if disagreements else "agreement"
    if table is not None:
        if unit is not None:
            raise InputError("--unit is for the project's codings; a --table brings its own units", field="--unit")
        presence = ag.presence_from_table(ag.read_agreement_csv(table), coders=coder_list or None,
                                          codes=code_list or None)
        frame, result = _report(presence, mode, reference, None, bootstrap, seed)
        source = str(table)
    else:
        unit = unit or "sentence"
        if unit not in UNIT_CHOICES:
            raise InputError(f"unknown unit {unit!r}; expected {', '.join(UNIT_CHOICES)}", field="--unit")
        with open_store(db) as store:
            presence, labels = presence_from_project(store, unit, coder_list, code_list, status)
            frame, result = _report(presence, mode, reference, labels, bootstrap, seed)
        source = f"{unit} units"

    if mode == "reference":
        columns, rows = _rows(frame, REFERENCE_COLUMNS)
        emit(columns, rows, fmt, output=output, decimals=3, sheet="reference",
             title=f"Against reference coder {reference} ({source})",
             caption="precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn), over the "
                     "units both saw; ALL (pooled) sums the counts over codes.")
    elif mode == "disagreements":
        columns, rows = _rows(frame, [str(c) for c in frame.columns])
        emit(columns, rows, fmt, output=output, sheet="disagreements", title=f"Disagreements ({source}): {len(rows)}")
    else:
        table_view = fmt == ReportFormat.table and output is None
        columns, rows = _rows(frame, AGREEMENT_COLUMNS if table_view else ["scope", *AGREEMENT_COLUMNS])
        kappa_note = "" if len(result.coders) == 2 else " Cohen's kappa needs exactly two coders (use --coders A,B)."
        emit(columns, rows, fmt, output=output, decimals=3, headers=HEADERS if table_view else None,
             sheet="agreement", title=f"Intercoder agreement: {', '.join(map(str, result.coders))} ({source})",
             caption="Per code on presence/absence in each unit; ALL (pooled) treats every (unit, code) decision "
                     "of the applied codes as one case; codes no coder applied are listed last and left out of the "
                     "pooled and mean rows. alpha's 95% interval: bootstrap over units "
                     f"({bootstrap} resamples, percentile, seed {seed}). "
                     "AC1: Gwet (2008), stable when a code is rare. Readings: kappa, AC1 and BP after Landis & Koch "
                     f"(1977), alpha after Krippendorff (2004): >= .800 reliable, >= .667 tentative.{kappa_note}")


def _report(presence, mode: str, reference: str | None, labels, bootstrap: int = 1000, seed: int = 2011):
    """(DataFrame to show, Agreement or None) for the chosen mode; runs while the store is still open."""
    from tematik import agreement as ag

    if mode == "reference":
        return ag.reference_scores(presence, reference), None
    if mode == "disagreements":
        frame = ag.disagreements(presence)
        return (labels(frame) if labels is not None else frame), None
    result = ag.agreement(presence, bootstrap=bootstrap, seed=seed)
    return result.to_frame(), result


def _rows(frame, columns):
    from tematik.export.tables import as_rows

    _, rows = as_rows(frame)
    return columns, rows


def presence_from_project(store, unit: str, coder_list: list[str], code_list: list[str], status: str):
    """Presence data from the project's codings (see :meth:`tematik.project.Project._presence`)."""
    from tematik.models import CODING_STATUSES
    from tematik.project import Project, parse_statuses

    statuses = parse_statuses(status, all_means=CODING_STATUSES)
    return Project(store)._presence(unit, coder_list, code_list, statuses)
