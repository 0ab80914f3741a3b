"""Coders working apart: `tematik merge OTHER.db`, `tematik import-codings FILE.csv` (and `export codings`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import DbOption, console, note, open_store, user, warn
from tematik.errors import InputError


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
    status: Annotated[list[str] | None, typer.Option(help="Only these statuses (repeatable or comma-separated).")
                      ] = None,
    coder: Annotated[list[str] | None, typer.Option("--coder", help="Only these coders.")] = None,
    db: DbOption = None,
) -> None:
    """Write codings as CSV rows that `tematik import-codings` places in another copy of the project
    (documents named by content hash)."""
    from tematik.cli.coding import _split
    from tematik.export.tables import to_csv
    from tematik.fileio import write_text
    from tematik.store import exchange

    with open_store(db) as store:
        rows = exchange.coding_rows(store, _split(status) or None, _split(coder) or None)
    write_text(file, to_csv(exchange.EXCHANGE_COLUMNS, rows))
    console.print(f"wrote {len(rows)} coding(s) to {user(file)}")


def _report(report, what: str) -> None:
    console.print(f"{what}: {report.added} coding(s) added"
                  + (f" by {user(', '.join(sorted(report.coders)))}" if report.coders else "")
                  + f", {report.present} already here, {len(report.unplaced)} could not be placed"
                  + (f"; codes added: {user(', '.join(report.codes_added))}" if report.codes_added else ""))
    for where, why in report.unplaced[:50]:
        warn(f"{where}: {why}")
    if len(report.unplaced) > 50:
        warn(f"... and {len(report.unplaced) - 50} more")


def merge(
    other: Annotated[Path, typer.Argument(metavar="OTHER.db", help="Another tematik project with codings on the "
                                                                   "same documents.")],
    db: DbOption = None,
) -> None:
    """Bring another coder's codings into this project: documents matched by content hash, coder identity
    kept, nothing overwritten; what cannot be placed is reported."""
    from tematik.store import exchange

    if not other.exists():
        raise InputError("no such project file", path=str(other))
    rows, codes = exchange.read_other_project(other)
    with open_store(db) as store:
        if store.path.resolve() == other.resolve():
            raise InputError("cannot merge a project into itself", path=str(other))
        report = exchange.place_codings(store, rows, codes=codes, origin=other.name)
    _report(report, f"merged {other}")


def import_codings(
    file: Annotated[Path, typer.Argument(help="CSV written by `tematik export codings` (columns: document_sha256, "
                                              "code, start, end, status, coder; optional text, rule, polarity, "
                                              "created).")],
    db: DbOption = None,
) -> None:
    """Import codings from a CSV, placing them by document content hash; never overwrites."""
    from tematik import corpus
    from tematik.escape import csv_uncell
    from tematik.store import exchange

    if not file.exists():
        raise InputError("no such file", path=str(file))
    header, rows = corpus.read_rows(file, corpus.read_bytes(file))
    missing = [c for c in ("document_sha256", "code", "start", "end", "coder") if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", path=str(file), line=1)
    records = []
    for lineno, row in rows:
        # csv_uncell: undo the spreadsheet-formula guard of our own export (a ' before = + - @ tab CR)
        rec: dict = {c: csv_uncell(row[i]) if i < len(row) else "" for i, c in enumerate(header)}
        rec["_line"] = lineno
        records.append(rec)
    with open_store(db) as store:
        report = exchange.place_codings(store, records, origin=str(file))
    _report(report, f"imported {file}")
    if not records:
        note("the file holds no coding rows")
