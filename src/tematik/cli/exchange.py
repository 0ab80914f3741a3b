"""Coders working apart: `tematik merge OTHER.db`, `tematik import-codings FILE.csv` (and `export codings`)."""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import DbOption, console, note, open_project, status_option, user, warn, write_stdout


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[SummaryFormat, typer.Option(
    "--format", "-f", help="text: a few lines; json: every count, conflict and unplaced row, for scripts.")]


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
    app.command("import-codings")(import_codings)
    group = next((g.typer_instance for g in app.registered_groups if g.name == "export"), None)
    if group is None:
        group = typer.Typer(help="Export the project: codings as CSV, REFI-QDA .qdpx projects and .qdc codebooks.",
                            no_args_is_help=True)
        app.add_typer(group, name="export")
    group.command("codings")(export_codings)


def export_codings(
    file: Annotated[Path, typer.Argument(help="CSV file to write.", dir_okay=False)],
    status: status_option("Only codings of these statuses (repeatable or comma-separated; default and 'all': every "
                          "status, rejected too). Remembered rejections are written unless 'rejected' is left "
                          "out.") = None,
    coder: Annotated[list[str] | None, typer.Option("--coder", help="Only these coders' codings, rejections and "
                                                                    "memos.")] = None,
    db: DbOption = None,
) -> None:
    """Write codings (every status and coder), remembered rejections and memos as one CSV that `tematik
    import-codings` places in another copy of the project (documents named by content hash; the `record` column
    says what a row is: coding, rejection or memo)."""
    with open_project(db) as p:
        result = p.export_codings(file, status=status, coder=coder)
    console.print(f"wrote {result.codings} coding(s), {result.rejections} rejection(s) and {result.memos} memo(s) "
                  f"to {user(file)}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def _report(result, verb: str, source: Path, fmt: SummaryFormat = SummaryFormat.text) -> None:
    what = f"{verb} {source}"
    if fmt == SummaryFormat.json:
        data = {"source": str(source), **dataclasses.asdict(result), "memos": result.memos}
        data["unplaced"] = [{"where": where, "why": why} for where, why in result.unplaced]
        write_stdout(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        for where, why in result.unplaced[:50]:
            warn(f"{where}: {why}")
        return
    console.print(f"{what}: {result.added} coding(s) added"
                  + (f" by {user(', '.join(result.coders))}" if result.coders else "")
                  + f", {result.present} already here, {len(result.unplaced)} could not be placed"
                  + (f"; codes added: {user(', '.join(result.codes_added))}" if result.codes_added else ""))
    if result.added:
        coders = ", ".join(f"{c} {n}" for c, n in result.by_coder.items())
        console.print(f"  codings added: {_counts(result.by_status)} (by coder: {user(coders)})")
    if result.suggestions_decided:
        console.print(f"  open suggestions not added: {result.suggestions_decided} (that code on that span is "
                      "coded or decided here already)")
    if result.rejections_added or result.rejections_present:
        elsewhere = (f", {result.rejections_elsewhere} of them for texts not in this project"
                     if result.rejections_elsewhere else "")
        console.print(f"  rejections remembered (autocode will not suggest them): {result.rejections_added} added"
                      f"{elsewhere}, {result.rejections_present} already here")
    if result.memos or result.memos_present:
        edited = f"; {result.memos_edited} an edited copy of a memo here" if result.memos_edited else ""
        kinds = f" ({_counts(result.memos_added)}{edited})" if result.memos else ""
        console.print(f"  memos: {result.memos} added{kinds}, {result.memos_present} already here")
    if result.conflicts:
        console.print(f"  {len(result.conflicts)} conflict(s): the same coding with another status here; this "
                      "project's kept (change it with `tematik code accept/reject --id N`):")
        for c in result.conflicts[:50]:
            console.print(f"    coding {c.coding_id}: {user(c.document)} {user(c.code)} {c.start}:{c.end} by "
                          f"{user(c.coder)}: here {c.here}, theirs {c.theirs} ({user(c.where)})")
        if len(result.conflicts) > 50:
            console.print(f"    ... and {len(result.conflicts) - 50} more")
    for where, why in result.unplaced[:50]:
        warn(f"{where}: {why}")
    if len(result.unplaced) > 50:
        warn(f"... and {len(result.unplaced) - 50} more")


def merge(
    other: Annotated[Path, typer.Argument(metavar="OTHER.db", help="Another tematik project with codings on the "
                                                                   "same documents.")],
    fmt: FormatOption = SummaryFormat.text,
    db: DbOption = None,
) -> None:
    """Bring another copy's codings (every status and coder), remembered rejections and memos into this project:
    documents matched by content hash, coders kept, nothing overwritten (conflicts are listed); what cannot be
    placed is reported."""
    with open_project(db) as p:
        result = p.merge(other)
    _report(result, "merged", other, fmt)


def import_codings(
    file: Annotated[Path, typer.Argument(help="CSV written by `tematik export codings` (codings, rejections and "
                                              "memos; an older file with codings only is read too).")],
    fmt: FormatOption = SummaryFormat.text,
    db: DbOption = None,
) -> None:
    """Import codings, remembered rejections and memos from a CSV, placing them by document content hash; never
    overwrites (conflicts are listed)."""
    with open_project(db) as p:
        result = p.import_codings(file)
    _report(result, "imported", file, fmt)
    if not result.rows:
        note("the file holds no coding rows")
