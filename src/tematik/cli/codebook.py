"""`tematik codebook ...`: validate, load, show, export, versions."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import (
    DbOption,
    FormatOption,
    OutputOption,
    TableFormat,
    console,
    emit,
    note,
    open_project,
    terminal_text,
    user,
    write_stdout,
)

codebook_app = typer.Typer(help="Codebooks: validate, load into the project, show, export.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(codebook_app, name="codebook")


class ExportFormat(StrEnum):
    yaml = "yaml"
    md = "md"
    csv = "csv"


@codebook_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="Codebook YAML file.")]) -> None:
    """Check a codebook file; every problem is printed as file:line: field: message."""
    from tematik.project.codebook import validate_codebook

    result = validate_codebook(file)
    if not result.ok:
        for p in result.problems:
            typer.echo(terminal_text(p), err=True)
        raise typer.Exit(2)
    console.print(f"{user(file)}: ok")
    if result.note:
        note(result.note)



@codebook_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="Codebook file (.yaml/.yml, or REFI-QDA .qdc).")],
    db: DbOption = None,
) -> None:
    """Store a codebook in the project. Code ids stay stable; a changed file is recorded as a new version."""
    from tematik.project.codebook import read_codebook

    read = read_codebook(file)  # checked before the project is opened (or created)
    with open_project(db, create=True) as p:
        result = p.load_codebook(read)
    if result.changed:
        console.print(f"loaded codebook [bold]{user(result.name)}[/] version {user(result.version)}: "
                      f"{result.codes} codes")
    else:
        console.print(f"codebook {user(result.name)} version {user(result.version)} is already loaded (unchanged)")


@codebook_app.command("show")
def show(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """The code tree with definitions and coding counts by status."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        frame = p.show_codebook()
    columns, rows = as_rows(frame)
    if fmt == TableFormat.table:
        depth = _depths(rows)
        for r in rows:
            r["name"] = "  " * depth[r["id"]] + ("└ " if depth[r["id"]] else "") + r["name"]
        emit(["id", "name", "definition", "factors", "suggested", "accepted", "manual", "rejected"], rows, fmt,
             title=frame.attrs["title"], styles={"definition": "dim"})
    else:
        emit(columns, rows, fmt)


def _depths(codes: list[dict]) -> dict[str, int]:
    parent = {c["id"]: c["parent"] for c in codes}

    def depth(i: str, seen: int = 0) -> int:
        p = parent.get(i)
        return 0 if p is None or seen > len(parent) else 1 + depth(p, seen + 1)

    return {i: depth(i) for i in parent}


@codebook_app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="yaml (loadable again), md or csv.")
                   ] = ExportFormat.yaml,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write the project's codebook as YAML, Markdown or CSV."""
    with open_project(db) as p:
        text = p.export_codebook(output, format=fmt.value)
    if output is None:
        write_stdout(text)


@codebook_app.command("versions")
def versions(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """Every codebook version loaded into the project, oldest first."""
    from tematik.export.tables import as_rows

    with open_project(db) as p:
        frame = p.codebook_versions()
    columns, rows = as_rows(frame)
    emit(columns, rows, fmt, title=frame.attrs["title"])
