"""REFI-QDA exchange commands: `tematik export qdpx|qdc FILE` and `tematik import-qdpx FILE`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import DbOption, console, db_path, err_console, note, open_store, warn
from tematik.errors import InputError, NotFound

export_app = typer.Typer(help="Export the project for other tools: REFI-QDA project (.qdpx) or codebook (.qdc).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """`import-qdpx`, and `qdpx`/`qdc` under the `export` group (joining one already registered)."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "export"), None)
    if group is None:
        group = export_app
        app.add_typer(export_app, name="export")
    group.command("qdpx")(export_qdpx)
    group.command("qdc")(export_qdc)
    app.command("import-qdpx")(import_qdpx)


class Units(StrEnum):
    auto = "auto"
    codepoints = "codepoints"
    utf16 = "utf16"


class LineBreaks(StrEnum):
    auto = "auto"
    asis = "asis"
    one = "one"
    two = "two"


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (temporary file, fsync, rename: see ``tematik.fileio``)."""
    from tematik.fileio import write_bytes

    write_bytes(path, data)


def _statuses(spec: str) -> tuple[str, ...]:
    from tematik.models import CODING_STATUSES

    if spec.strip().lower() == "all":
        return CODING_STATUSES
    out = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [s for s in out if s not in CODING_STATUSES]
    if bad or not out:
        raise InputError(f"unknown status {', '.join(bad) or spec!r}; expected a comma-separated list of "
                         f"{', '.join(CODING_STATUSES)} or 'all'", field="--status")
    return out


class ExportUnits(StrEnum):
    codepoints = "codepoints"
    utf16 = "utf16"


class ExportBreaks(StrEnum):
    one = "one"
    two = "two"


class Newlines(StrEnum):
    lf = "lf"
    crlf = "crlf"


class Tool(StrEnum):
    nvivo = "nvivo"
    atlas = "atlas"
    maxqda = "maxqda"
    qualcoder = "qualcoder"


def export_qdpx(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to write (replaced if it exists).", dir_okay=False)],
    status: Annotated[str, typer.Option(help="Codings to export: comma-separated statuses "
                                             "(accepted, manual, suggested, rejected) or 'all'.")
                      ] = "accepted,manual",
    for_tool: Annotated[Tool | None, typer.Option(
        "--for", help="Count offsets as this tool reads them: nvivo and atlas (UTF-16 code units, each line "
                      "break as two, CRLF files), maxqda (code points, each break as one, CRLF files), qualcoder "
                      "(code points, each break as one). --offsets/--line-breaks/--newlines override it.")] = None,
    offsets: Annotated[ExportUnits | None, typer.Option(
        help="Count offsets in Unicode code points (default) or UTF-16 code units (NVivo, ATLAS.ti).")] = None,
    line_breaks: Annotated[ExportBreaks | None, typer.Option(
        help="Count each line break as one character (default) or as two (CRLF, NVivo for Windows; writes CRLF "
             "source files).")] = None,
    newlines: Annotated[Newlines | None, typer.Option(
        help="Line breaks in the written source files: lf (default) or crlf.")] = None,
    db: DbOption = None,
) -> None:
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others."""
    from tematik import __version__, refi
    from tematik.store import refi as store_refi

    statuses = _statuses(status)
    base = refi.EXPORT_PRESETS[for_tool.value] if for_tool else refi.ExportCounting()
    counting = refi.ExportCounting(
        offsets.value if offsets else base.units, line_breaks.value if line_breaks else base.line_breaks,
        newlines.value if newlines else base.newlines)
    if newlines == Newlines.lf and counting.line_breaks == "two":
        raise InputError("--line-breaks two counts every break as CRLF, so the files are written with CRLF; "
                         "drop --newlines lf", field="--newlines")
    with open_store(db) as store:
        snap = store_refi.snapshot(store, name=db_path(db).stem)
    result = refi.qdpx_bytes(snap, statuses=statuses, version=__version__, counting=counting)
    _write(file, result.data)
    err_console.print(f"wrote {file}: {result.documents} document(s), {result.codes} code(s), {result.codings} "
                      f"coding(s) ({', '.join(statuses)}), {result.cases} case(s), {result.users} user(s), "
                      f"{result.memos} memo(s)")
    note(f"offsets: {counting.describe()}" + (f" (as {for_tool.value} reads them)" if for_tool else ""))
    for line in result.not_carried:
        note(f"not carried: {line}")


def export_qdc(
    file: Annotated[Path, typer.Argument(help="The .qdc file to write (replaced if it exists).", dir_okay=False)],
    db: DbOption = None,
) -> None:
    """Write the project's active codes as a REFI-QDA codebook (.qdc): hierarchy, colours, definitions."""
    from tematik import __version__, refi
    from tematik.store import refi as store_refi

    with open_store(db) as store:
        codes = store_refi.export_codes(store)
    if not codes:
        raise NotFound("no codes in this project; load a codebook with `tematik codebook load FILE`")
    _write(file, refi.build_codebook_xml(codes, origin=f"tematik {__version__}"))
    err_console.print(f"wrote {file}: {len(codes)} code(s)")


def import_qdpx(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA, "
                                              "QualCoder, tematik..., or a bare project.qde beside its sources/ "
                                              "folder, or that folder.")],
    sources: Annotated[Path | None, typer.Option(
        help="Folder that relative:// and absolute:// source paths may be read from (default: the folder "
             "holding FILE).", file_okay=False)] = None,
    source_type: Annotated[str | None, typer.Option(
        help="interview|observation|document|response for every source (default: from the file, else "
             "interview).")] = None,
    language: Annotated[str | None, typer.Option(help="id|en for every source (default: from the file, else "
                                                      "guessed).")] = None,
    units: Annotated[Units, typer.Option(help="How the file counts offsets: Unicode code points or UTF-16 "
                                              "code units (auto: detected).")] = Units.auto,
    line_breaks: Annotated[LineBreaks, typer.Option(
        help="How the file counts line breaks: asis (as the characters in the text), one (CRLF as one), two "
             "(every break as two); auto: detected.")] = LineBreaks.auto,
    replace: Annotated[bool, typer.Option("--replace", help="Replace documents whose content changed.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --replace: also when they have codings.")] = False,
    db: DbOption = None,
) -> None:
    """Import a REFI-QDA project: sources, codes, cases, codings and notes. All or nothing."""
    from tematik import refi
    from tematik.models import LANGUAGES, source_type_problem
    from tematik.store import corpus as store_corpus
    from tematik.store import refi as store_refi

    if source_type and source_type_problem(source_type):
        raise InputError(source_type_problem(source_type), field="--source-type")
    if language and language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}; expected {'|'.join(LANGUAGES)}", field="--language")
    loaded = refi.load_qdpx(file, sources=sources)
    options = refi.ImportOptions(source_type=source_type, language=language, units=units.value,
                                 line_breaks=line_breaks.value)
    path = db_path(db)
    fresh = not path.exists()
    store = open_store(db, create=True)
    try:
        bundle = refi.build_import(loaded, store_refi.context(store), options)
        plan = store_corpus.plan_import(store, bundle.documents, replace=replace, force=force)
        counts = store_refi.write_import(store, bundle, plan, source=str(file))
    except BaseException:
        store.close()
        if fresh:  # a refused import into a new project leaves no empty project behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
    for w in bundle.warnings:
        warn(w)
    for element, n in sorted(bundle.unsupported.items()):
        warn(f"{n} {element} element(s) not carried across (tematik has no equivalent)")
    origin = f" from {bundle.origin}" if bundle.origin else ""
    console.print(
        f"imported {bundle.name!r}{origin} into {path}: {counts['documents']} document(s) "
        f"({counts['unchanged']} unchanged, {counts['replaced']} replaced), {counts['codes']} new code(s) "
        f"({counts['codes_matched']} matched), {counts['codings']} coding(s)"
        + (f" ({counts['codings_present']} already there)" if counts["codings_present"] else "")
        + f", {len(bundle.participants)} case(s), {len(bundle.users)} user(s), {counts['memos']} memo(s)",
        soft_wrap=True)
    note(f"offsets: {bundle.counting.describe()}")
