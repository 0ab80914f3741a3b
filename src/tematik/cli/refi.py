"""REFI-QDA exchange commands: `tematik export qdpx|qdc FILE` and `tematik import-qdpx FILE`."""

from __future__ import annotations

import os
import tempfile
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
    """Write a regular file through a temporary file and a rename, so a failed export never leaves half a file.

    A symlink is followed (the link stays); a target that is not a regular file (a pipe, /dev/stdout) is written
    straight into, never replaced.
    """
    try:
        if path.exists() and not path.is_file():
            if path.is_dir():
                raise InputError("is a folder", path=str(path))
            with path.open("wb") as fh:
                fh.write(data)
            return
        target = path.resolve() if path.is_symlink() else path
        if not target.parent.is_dir():
            raise InputError("folder does not exist", path=str(target.parent))
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write ({exc.strerror or exc})", path=str(path)) from None


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


def export_qdpx(
    file: Annotated[Path, typer.Argument(help="The .qdpx file to write (replaced if it exists).", dir_okay=False)],
    status: Annotated[str, typer.Option(help="Codings to export: comma-separated statuses "
                                             "(accepted, manual, suggested, rejected) or 'all'.")
                      ] = "accepted,manual",
    db: DbOption = None,
) -> None:
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others."""
    from tematik import __version__, refi
    from tematik.store import refi as store_refi

    statuses = _statuses(status)
    with open_store(db) as store:
        snap = store_refi.snapshot(store, name=db_path(db).stem)
    result = refi.qdpx_bytes(snap, statuses=statuses, version=__version__)
    _write(file, result.data)
    err_console.print(f"wrote {file}: {result.documents} document(s), {result.codes} code(s), {result.codings} "
                  f"coding(s) ({', '.join(statuses)}), {result.cases} case(s), {result.users} user(s), "
                  f"{result.memos} memo(s)")
    if result.memos_skipped:
        note(f"{result.memos_skipped} memo(s) on codings not exported were left out")


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
                                              "QualCoder, tematik...")],
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
