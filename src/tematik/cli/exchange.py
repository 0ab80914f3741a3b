"""Coders working apart: `tematik merge OTHER.db`, `tematik import-codings FILE.csv` (and `export codings`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import DbOption, console, note, open_project, status_option, user, warn


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
    status: status_option("Only these statuses (repeatable or comma-separated; default and 'all': every status, "
                          "rejected too).") = None,
    coder: Annotated[list[str] | None, typer.Option("--coder", help="Only these coders.")] = None,
    db: DbOption = None,
) -> None:
    """Write codings as CSV rows that `tematik import-codings` places in another copy of the project
    (documents named by content hash)."""
    with open_project(db) as p:
        result = p.export_codings(file, status=status, coder=coder)
    console.print(f"wrote {result.codings} coding(s) to {user(file)}")


def _report(result, what: str) -> None:
    console.print(f"{what}: {result.added} coding(s) added"
                  + (f" by {user(', '.join(result.coders))}" if result.coders else "")
                  + f", {result.present} already here, {len(result.unplaced)} could not be placed"
                  + (f"; codes added: {user(', '.join(result.codes_added))}" if result.codes_added else ""))
    for where, why in result.unplaced[:50]:
        warn(f"{where}: {why}")
    if len(result.unplaced) > 50:
        warn(f"... and {len(result.unplaced) - 50} more")


def merge(
    other: Annotated[Path, typer.Argument(metavar="OTHER.db", help="Another tematik project with codings on the "
                                                                   "same documents.")],
    db: DbOption = None,
) -> None:
    """Bring another coder's codings into this project: documents matched by content hash, coder identity
    kept, nothing overwritten; what cannot be placed is reported."""
    with open_project(db) as p:
        result = p.merge(other)
    _report(result, f"merged {other}")


def import_codings(
    file: Annotated[Path, typer.Argument(help="CSV written by `tematik export codings` (columns: document_sha256, "
                                              "code, start, end, status, coder; optional text, rule, polarity, "
                                              "created).")],
    db: DbOption = None,
) -> None:
    """Import codings from a CSV, placing them by document content hash; never overwrites."""
    with open_project(db) as p:
        result = p.import_codings(file)
    _report(result, f"imported {file}")
    if not result.rows:
        note("the file holds no coding rows")
