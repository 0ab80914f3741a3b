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
    open_store,
    terminal_text,
    user,
    warn,
    write_stdout,
)
from tematik.errors import CodebookError, InputError, NotFound

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
    from tematik.codebook import validate_file

    problems = validate_file(file)
    if problems:
        for p in problems:
            typer.echo(terminal_text(p), err=True)
        raise typer.Exit(2)
    console.print(f"{user(file)}: ok")
    from tematik.codebook import load_codebook

    cb = load_codebook(file)
    linked = sorted({f.factor for c in cb.codes for f in c.factors})
    if linked and not cb.factors:
        note(f"no factors list: the links to {', '.join(linked)} are checked against the project's questionnaire "
             "instrument when the codebook is loaded into a project that has one")


def project_codebook(store):
    """The codebook most recently loaded into the project, parsed again from its stored source."""
    from tematik.codebook import parse_codebook
    from tematik.store import coding as store_coding

    row = store_coding.latest_codebook(store)
    if row is None:
        raise NotFound("no codebook in this project; load one with `tematik codebook load FILE`")
    if row["format"] != "yaml":
        raise CodebookError(f"the project's codebook {row['name']!r} came from a {row['format']} file and has no "
                            "matching rules; load a YAML codebook for auto-coding")
    cb, problems = parse_codebook(row["source"], path=f"<project codebook {row['name']}>")
    if cb is None:
        raise CodebookError(str(problems[0]))
    return cb, row["hash"]


def code_rows(cb) -> list[dict]:
    """The store's view of a codebook's codes: id, name, parent, colour, definition, data (everything)."""
    from tematik.codebook import codebook_data

    data = {c["id"]: c for c in codebook_data(cb).get("codes", [])}
    lang = cb.languages[0] if cb.languages else None
    return [{"id": c.id, "name": c.label(lang), "parent": c.parent, "colour": c.colour,
             "definition": c.definition.get(lang) if lang else next(iter(c.definition.values()), None),
             "data": data.get(c.id, {})} for c in cb.codes]


@codebook_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="Codebook file (.yaml/.yml, or REFI-QDA .qdc).")],
    db: DbOption = None,
) -> None:
    """Store a codebook in the project. Code ids stay stable; a changed file is recorded as a new version."""
    from tematik.store import coding as store_coding

    if not file.exists():
        raise InputError("no such file", path=str(file))
    if file.suffix.lower() == ".qdc":
        from tematik import refi

        qdc_warnings: list[str] = []
        name, version, codes, source = refi.read_qdc(file, warnings=qdc_warnings)
        for w in qdc_warnings:
            warn(w)
        digest = refi.source_hash(source)
        fmt = "qdc"
        alike: dict[tuple[str | None, str], list[str]] = {}
        for c in codes:
            alike.setdefault((c.get("parent"), str(c["name"]).casefold()), []).append(str(c["name"]))
        for names in alike.values():
            if len(names) > 1:
                note(f"{file}: codes whose names differ only in case are kept as separate codes: "
                     + ", ".join(repr(n) for n in names))
    else:
        from tematik.codebook import codebook_hash, load_codebook

        cb = load_codebook(file)
        name, version, codes = cb.name, cb.version, code_rows(cb)
        source = file.read_text(encoding="utf-8-sig")
        digest, fmt = codebook_hash(cb), "yaml"
    with open_store(db, create=True) as store:
        if fmt == "yaml":
            _check_links_against_instruments(store, cb)
        if fmt == "qdc":
            codes = store_coding.reuse_code_ids(store, codes)
        _, changed = store_coding.save_codebook(store, name=name, version=version, digest=digest, source=source,
                                                fmt=fmt, codes=codes)
    if changed:
        console.print(f"loaded codebook [bold]{user(name)}[/] version {user(version)}: {len(codes)} codes")
    else:
        console.print(f"codebook {user(name)} version {user(version)} is already loaded (unchanged)")


def _check_links_against_instruments(store, cb) -> None:
    """A codebook's factor links must name factors of the project's questionnaire instrument(s), if it has any."""
    from tematik.codebook import check_factor_links
    from tematik.instrument import parse_instrument
    from tematik.store import survey as store_survey

    rows = store_survey.instruments(store)
    if not rows:
        return
    factors: list[str] = []
    for row in rows:
        source = store_survey.instrument_row(store, row["name"])["source"]
        instrument = parse_instrument(source, f"<instrument {row['name']}>")
        factors += [f.id for f in instrument.scored if f.id not in factors]
    names = ", ".join(repr(r["name"]) for r in rows)
    problems = check_factor_links(cb, factors, f"the project's instrument {names}")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CodebookError(first.message + more, path=first.path, line=first.line, field=first.field)


@codebook_app.command("show")
def show(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """The code tree with definitions and coding counts by status."""
    from tematik.store import coding as store_coding

    with open_store(db) as store:
        codes = store_coding.list_codes(store)
        latest = store_coding.latest_codebook(store)
    if not codes:
        raise NotFound("no codes in this project; load a codebook with `tematik codebook load FILE`")
    depth = _depths(codes)
    rows = [{"id": c["id"], "name": c["name"], "parent": c["parent"], "active": bool(c["active"]),
             "factors": ", ".join(f.get("factor", "") for f in c["data"].get("factors", []) or []),
             "definition": c["definition"], "suggested": c["suggested"], "accepted": c["accepted"],
             "manual": c["manual"], "rejected": c["rejected"]} for c in _tree_order(codes)]
    if fmt == TableFormat.table:
        for r in rows:
            r["name"] = "  " * depth[r["id"]] + ("└ " if depth[r["id"]] else "") + r["name"]
        title = f"Codebook {latest['name']} (version {latest['version']})" if latest else "Codes"
        emit(["id", "name", "definition", "factors", "suggested", "accepted", "manual", "rejected"], rows, fmt,
             title=title, styles={"definition": "dim"})
    else:
        emit(list(rows[0].keys()), rows, fmt)


def _depths(codes: list[dict]) -> dict[str, int]:
    parent = {c["id"]: c["parent"] for c in codes}

    def depth(i: str, seen: int = 0) -> int:
        p = parent.get(i)
        return 0 if p is None or seen > len(parent) else 1 + depth(p, seen + 1)

    return {i: depth(i) for i in parent}


def _tree_order(codes: list[dict]) -> list[dict]:
    kids: dict[str | None, list[dict]] = {}
    for c in codes:
        kids.setdefault(c["parent"], []).append(c)
    out: list[dict] = []

    def walk(p: str | None) -> None:
        for c in kids.get(p, []):
            out.append(c)
            walk(c["id"])

    walk(None)
    return out + [c for c in codes if c not in out]


@codebook_app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="yaml (loadable again), md or csv.")
                   ] = ExportFormat.yaml,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write the project's codebook as YAML, Markdown or CSV."""
    from tematik.codebook import dump_codebook

    with open_store(db) as store:
        cb, _ = project_codebook(store)
    text = dump_codebook(cb, fmt.value)
    if output:
        from tematik.fileio import write_text

        write_text(output, text)
        note(f"wrote {output}")
    else:
        write_stdout(text)


@codebook_app.command("versions")
def versions(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """Every codebook version loaded into the project, oldest first."""
    from tematik.store import coding as store_coding

    with open_store(db) as store:
        rows = store_coding.codebook_versions(store)
    emit(["id", "name", "version", "hash", "format", "loaded", "loaded_by"], rows, fmt, title="Codebook versions")
