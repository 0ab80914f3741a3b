"""Project commands: init, import, docs, participants, show."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import (
    DbOption,
    FormatOption,
    TableFormat,
    console,
    db_path,
    emit,
    note,
    open_store,
    progress,
    user,
    warn,
    write_stdout,
)
from tematik.errors import InputError


class ImportFormat(StrEnum):
    table = "table"
    json = "json"


participants_app = typer.Typer(help="List participants (cases), set their attributes, import a roster.",
                               no_args_is_help=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_)
    app.command("docs")(docs)
    app.command("show")(show)
    app.add_typer(participants_app, name="participants")


def init(db: DbOption = None) -> None:
    """Create a new, empty project file."""
    from tematik.store import Store

    path = db_path(db)
    store = Store.create(path, on_busy=note)
    console.print(f"created project [bold]{user(path)}[/] (schema version {store.schema_version})")
    store.close()


def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (.txt .md .docx .vtt .srt; .csv .xlsx "
                                                     "rows as documents).", show_default=False)],
    manifest: Annotated[Path | None, typer.Option(help="CSV with file,participant,role,source_type,language,"
                                                       "date,speakers (+ attribute columns).")] = None,
    source_type: Annotated[str | None, typer.Option(
        help="interview, focus_group, meeting, observation, document, response, or your own lower-case type "
             "(default: manifest, else interview; response for rows).")
    ] = None,
    language: Annotated[str | None, typer.Option(help="id|en (default: manifest, else guessed).")] = None,
    participant: Annotated[str | None, typer.Option(help="Participant id of the informant.")] = None,
    role: Annotated[str | None, typer.Option(help="Role of --participant (e.g. pustakawan).")] = None,
    date: Annotated[str | None, typer.Option(help="Date of the interview or observation (ISO).")] = None,
    speaker: Annotated[list[str] | None, typer.Option(
        help="Map a speaker label: 'Bu Made=P07' or 'Pewawancara=interviewer' (repeatable).")] = None,
    interviewer: Annotated[list[str] | None, typer.Option(
        help="A speaker label that is the interviewer, e.g. P or 'Speaker 1' (repeatable; same as "
             "--speaker 'LABEL=interviewer').")] = None,
    text_column: Annotated[list[str] | None, typer.Option(
        metavar="COLUMN", help="Rows: column holding the text (default: text); repeat it for several "
                               "questions, one document per column and row.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Rows: column holding a unique id (default: row number).")
                         ] = None,
    participant_column: Annotated[str | None, typer.Option(help="Rows: column holding the participant id.")
                                  ] = None,
    columns: Annotated[str | None, typer.Option(help="Rows: comma-separated attribute columns "
                                                     "(default: all other columns).")] = None,
    limit: Annotated[list[str] | None, typer.Option(
        metavar="NAME=VALUE", help="Raise a limit for this import (repeatable): file_bytes, document_chars, "
                                   "rows, files, member_bytes, total_bytes, ratio, members (also "
                                   "TEMATIK_LIMIT_NAME=VALUE).", show_default=False)] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace documents whose content changed.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --replace: also when codings on text that was "
                                                         "deleted would be lost (they stay in the audit log).")
                     ] = False,
    fmt: Annotated[ImportFormat, typer.Option("--format", "-f", help="Import report: table, or json for scripts.")
                   ] = ImportFormat.table,
    db: DbOption = None,
) -> None:
    """Import transcripts and notes, then report turns and speakers per file.

    Identical re-imports are skipped; nothing is written if any file is refused. With --replace a changed file
    keeps its codings where their text still exists (moved, changed or lost are counted per document).
    """
    from tematik import corpus, importreport
    from tematik.models import Participant
    from tematik.store import corpus as store_corpus

    base = corpus.FileMeta(participant=participant, role=role, source_type=source_type, language=language,
                           date=date, speakers=corpus.speaker_options(speaker, interviewer))
    from tematik.models import source_type_problem

    if source_type and source_type_problem(source_type):
        raise InputError(source_type_problem(source_type), field="--source-type")
    if language and language not in ("id", "en"):
        raise InputError(f"unknown language {language!r}; expected id|en", field="--language")
    from dataclasses import replace as with_fields

    from tematik import limits as limits_

    limits = limits_.current(limits_.parse_overrides(limit))
    base = with_fields(base, date=corpus.check_date(date, field="--date"))
    metas = corpus.read_manifest(manifest) if manifest else {}
    scan = corpus.scan_paths(paths, only=metas.keys() if manifest else None, limits=limits)
    for line in scan.notes(str(manifest) if manifest else None):
        note(line)
    files = scan.files
    if manifest:
        found = {f.resolve() for f in files}
        absent = [str(p) for p in metas if p not in found]
        if absent:
            note(f"listed in {manifest} but not under the paths named, so not imported: "
                 + ", ".join(absent[:20]) + (f" and {len(absent) - 20} more" if len(absent) > 20 else ""))
    if not files:
        raise InputError("no importable files found (.txt .md .docx .vtt .srt .csv .xlsx)",
                         path=", ".join(map(str, paths)))
    table = corpus.TableOptions(text_column=tuple(text_column or ("text",)), id_column=id_column,
                                participant_column=participant_column,
                                attribute_columns=tuple(c.strip() for c in columns.split(",")) if columns else None)
    people: dict[str, Participant] = {}
    builder = importreport.ReportBuilder(global_mapping=base.speakers)
    reports = _Spool()  # the per-document reports, on disk past a few MB: a million rows are not kept in memory
    path = db_path(db)
    fresh = not path.exists()
    store = open_store(db, create=True)
    try:
        # one transaction: documents are written in batches as they are read (memory grows with the largest
        # file, not with the import), and a refused file anywhere rolls every write back
        with progress("importing", None) as advance:
            with store.transaction():
                run = store_corpus.StreamingImport(store, replace=replace, force=force, progress=advance)
                for f in files:
                    given = metas.get(f.resolve())
                    meta = _merge(base, given)
                    result = corpus.stream_path(f, meta, table=table, limits=limits,
                                                ids=store_corpus.TempIds(store))
                    if meta.participant:
                        attrs = dict(meta.attributes) if given is not None else {}
                        prev = people.get(meta.participant)
                        people[meta.participant] = Participant(
                            meta.participant, meta.role or (prev.role if prev else None),
                            {**(prev.attributes if prev else {}), **attrs})
                        store_corpus.ensure_participants(store, [people[meta.participant]])
                    mapping = (given.origin or str(manifest), given.speakers) if given is not None and \
                        given.speakers else None
                    told = 0  # the reader's warnings handed to the report so far
                    for doc in result.documents:
                        builder.warn(result.warnings[told:])
                        told = len(result.warnings)
                        action, stored, r = run.add(doc)
                        if not run.refused:  # else only read on: a reader's error is still the one to report
                            if r is not None:
                                builder.warn(f"{stored.path or stored.name}: kept the project's speaker mapping "
                                             f"{m} (set earlier; the file maps it to nobody)" for m in r.kept_speakers)
                            reports.add(builder.add(stored, action=action, mapping=mapping,
                                                    codings=r.counts if r is not None else None), fmt)
                        doc = stored = r = None  # let go, so that a long text leaves memory as it is written
                        run.release()
                    builder.warn(result.warnings[told:])
                run.finish()
    except BaseException:
        store.close()
        reports.close()
        if fresh:  # a refused first import leaves no empty project behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    store.close()
    report = importreport.ImportReport(reports, builder.finish())
    headline = (f"imported {run.added} document(s), replaced {run.replaced}, skipped {run.skipped} "
                f"unchanged ({run.words:,} words) into {user(db_path(db))}")
    try:
        print_import_report(report, headline, fmt, rows=reports.rows)
    finally:
        reports.close()


def print_import_report(report, headline: str, fmt: ImportFormat,
                        rows: dict[str, dict[str, int]] | None = None) -> None:
    """The import report: JSON for scripts; else one quiet line per clean file, a speaker table per doubtful one.

    ``rows``: the quiet row documents already counted per table and action (then not counted again here).
    """
    if fmt == ImportFormat.json:
        _write_json(report, headline)
        for w in report.warnings:
            warn(w)
        return
    from rich.markup import escape
    from rich.table import Table

    from tematik.importreport import UNMAPPED, row_source

    console.print(headline)
    counted = rows is not None
    rows = {} if rows is None else rows  # quiet documents from table rows: one line per table, not per row
    for f in report.files:
        for n in f.notes:
            note(f"{f.path or f.document}: {n}")
        table_file = row_source(f.path)
        if not f.doubtful and table_file:
            if not counted:
                counts = rows.setdefault(table_file, {})
                counts[f.action] = counts.get(f.action, 0) + 1
            continue
        if not f.doubtful:
            console.print(f"  {escape(f.summary())}", soft_wrap=True)
            continue
        table = Table(title=None, box=None, header_style="bold", padding=(0, 2, 0, 0), show_edge=False)
        for col, justify in (("speaker", "left"), ("turns", "right"), ("chars", "right"), ("maps to", "left")):
            table.add_column(col, justify=justify)
        for s in f.speakers:
            style = "yellow" if s.maps_to == UNMAPPED else None
            table.add_row(escape(s.label or ""), str(s.turns), f"{s.chars:,}",
                          f"[{style}]{escape(s.maps_to)}[/]" if style else escape(s.maps_to))
        if f.no_speaker_chars:
            table.add_row("[dim](no speaker)[/]", "", f"{f.no_speaker_chars:,}", "[dim]-[/]")
        moved = ""
        if f.codings:
            moved = "; codings " + ", ".join(f"{n} {k}" for k, n in f.codings.items() if n)
        console.print(f"[bold]{escape(f.document)}[/] ({escape(f.path or '')}): {f.action}, {f.turns} turn(s)"
                      f"{escape(moved)}", soft_wrap=True)
        if f.speakers or f.no_speaker_chars:
            console.print(table)
        for w in f.warnings:  # "12: msg" is a line of the file: path:12: msg, as compilers write it
            warn(f"{f.path or f.document}:{w}" if w[:1].isdigit() else f"{f.path or f.document}: {w}")
    for table_file, counts in rows.items():
        console.print(f"  {escape(table_file)}: {sum(counts.values())} row document(s), "
                      + ", ".join(f"{n} {a}" for a, n in counts.items()), soft_wrap=True)
    for w in report.warnings:
        warn(w)


def _write_json(report, headline: str) -> None:
    """``json.dumps({"summary": ..., **report.as_dict()}, indent=2)``, written one file report at a time."""
    import json
    from dataclasses import asdict

    def dumps(value) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2)

    write_stdout("{\n  \"summary\": " + dumps(headline) + ",\n  \"files\": [")
    first = True
    for f in report.files:
        item = dumps({**asdict(f), "doubtful": f.doubtful})
        write_stdout(("\n" if first else ",\n") + "\n".join("    " + line for line in item.split("\n")))
        first = False
    write_stdout("]" if first else "\n  ]")
    write_stdout(",\n  \"warnings\": " + dumps(list(report.warnings)).replace("\n", "\n  ") + "\n}\n")


class _Spool:
    """The reports of an import's documents, pickled to a temporary file (in memory up to a few MB) and read back
    in order: an import of a million rows does not keep a million reports in memory until it prints them."""

    def __init__(self) -> None:
        import tempfile

        self._file = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        self.count = 0
        self.rows: dict[str, dict[str, int]] = {}  # quiet row documents per table and action (table format)

    def add(self, report, fmt: ImportFormat = ImportFormat.table) -> None:
        """Keep a report; in the table format a quiet row document is only counted (unless it has notes)."""
        import pickle

        from tematik.importreport import row_source

        if fmt == ImportFormat.table and not report.doubtful and (table_file := row_source(report.path)):
            counts = self.rows.setdefault(table_file, {})
            counts[report.action] = counts.get(report.action, 0) + 1
            if not report.notes:
                return
        pickle.dump(report, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        import pickle

        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)

    def close(self) -> None:
        self._file.close()


def _merge(base, manifest_meta):
    """Command-line options win over the manifest only where the manifest is silent."""
    from dataclasses import replace

    if manifest_meta is None:
        return base
    return replace(
        manifest_meta,
        participant=manifest_meta.participant or base.participant,
        role=manifest_meta.role or base.role,
        source_type=manifest_meta.source_type or base.source_type,
        language=manifest_meta.language or base.language,
        date=manifest_meta.date or base.date,
        speakers={**base.speakers, **manifest_meta.speakers},
    )


def docs(fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """List the documents in the project: turns, speaker labels (and how many map to nobody), codings."""
    from tematik.store import corpus as store_corpus

    with open_store(db) as store:
        rows = store_corpus.list_documents(store)
    emit(["id", "name", "source_type", "language", "participant", "role", "date", "words", "turns", "speakers",
          "unmapped", "codings"], rows, fmt, title="Documents",
         caption="speakers: distinct speaker labels; unmapped: labels mapped to nobody (see `tematik speakers`)",
         cell_style=lambda c, r: "yellow" if (c == "unmapped" and r["unmapped"]) or (
             c == "speakers" and not r["speakers"] and r["source_type"] == "interview") else None)


@participants_app.callback(invoke_without_command=True)
def participants(ctx: typer.Context, fmt: FormatOption = TableFormat.table, db: DbOption = None) -> None:
    """List participants with their role, attributes and documents."""
    if ctx.invoked_subcommand is not None:
        return
    from tematik.store import corpus as store_corpus

    with open_store(db) as store:
        columns, rows = store_corpus.list_participants(store)
    emit(columns, rows, fmt, title="Participants")


@participants_app.command("set")
def participants_set(
    participant_id: Annotated[str, typer.Argument(metavar="ID", help="Participant id.")],
    values: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="Attributes to set (empty value "
                                                                             "removes one; role=... sets the role).")],
    db: DbOption = None,
) -> None:
    """Set attributes of a participant: `tematik participants set P07 role=pustakawan years=12`."""
    from tematik.store import corpus as store_corpus

    pairs = {}
    for v in values:
        if "=" not in v or not v.partition("=")[0].strip():
            raise InputError(f"expected KEY=VALUE, got {v!r}", field="values")
        k, _, val = v.partition("=")
        pairs[k.strip()] = val.strip()
    with open_store(db) as store:
        with store.transaction():
            before = store_corpus.participant_attributes(store, participant_id)
            store_corpus.set_attributes(store, participant_id, pairs)
            store.audit("set", "participant", participant_id, before=before, after=pairs)
    console.print(f"{user(participant_id)}: " + ", ".join(f"{user(k)}={user(v)}" for k, v in pairs.items()))


@participants_app.command("import")
def participants_import(
    file: Annotated[Path, typer.Argument(help="CSV/XLSX roster: an id column, optional role, other columns "
                                              "become typed attributes.")],
    id_column: Annotated[str, typer.Option(help="Column with the participant id.")] = "id",
    db: DbOption = None,
) -> None:
    """Import a roster of participants (creates or updates them)."""
    from tematik import corpus
    from tematik.models import Participant
    from tematik.store import corpus as store_corpus

    if not file.exists():
        raise InputError("no such file", path=str(file))
    header, rows = corpus.read_rows(file, corpus.read_bytes(file))
    if id_column not in header:
        raise InputError(f"no {id_column!r} column; the file has: {', '.join(header)}", path=str(file), line=1)
    people, seen = [], {}
    for lineno, row in rows:
        cells = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(header) if c}
        pid = cells.pop(id_column)
        if not pid:
            raise InputError("empty id", path=str(file), line=lineno, field=id_column)
        if pid in seen:
            raise InputError(f"duplicate id {pid!r} (also on line {seen[pid]})", path=str(file), line=lineno,
                             field=id_column)
        seen[pid] = lineno
        role = cells.pop("role", "") or None
        people.append(Participant(pid, role, {k: v for k, v in cells.items() if v}))
    with open_store(db, create=True) as store:
        with store.transaction():
            created = store_corpus.ensure_participants(store, people)
    console.print(f"{len(people)} participant(s) in {user(file.name)}: {created} new, {len(people) - created} updated")


def show(
    document: Annotated[str, typer.Argument(metavar="DOC", help="Document name or id.")],
    codings: Annotated[bool, typer.Option("--codings/--no-codings", help="Highlight codings.")] = True,
    status: Annotated[str, typer.Option(help="Codings to highlight: comma-separated statuses, or 'all'.")
                      ] = "accepted,manual,suggested",
    units: Annotated[str | None, typer.Option(help="Instead of the text, list its numbered units: sentence, turn "
                                                  "or paragraph (the numbers `code add --sentence/--turn` take).")
                     ] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """Print a document with its turns (speakers highlighted) and its codings, or its numbered units."""
    from tematik.cli import render
    from tematik.store import corpus as store_corpus

    with open_store(db) as store:
        doc = store_corpus.get_document(store, document)
        marks = render.document_marks(store, doc.name, status) if codings else []
    if units is None:
        render.print_document(doc, marks)
        return
    from tematik import nlp

    spans = [(t.start, t.end) for t in doc.turns] if units == "turn" and doc.turns else nlp.units(doc, units)
    rows = []
    for n, (start, end) in enumerate(spans, start=1):
        turn = next((t for t in doc.turns if t.start <= start < t.end), None) if doc.turns else None
        rows.append({"n": n, "start": start, "end": end, "speaker": turn.speaker if turn else None,
                     "interviewer": bool(turn and turn.is_interviewer),
                     "codes": ", ".join(sorted({m["code"] for m in marks if m["start"] < end and start < m["end"]})),
                     "text": " ".join(doc.text[start:end].split())})
    emit(["n", "start", "end", "speaker", "interviewer", "codes", "text"], rows, fmt,
         title=f"{doc.name}: {len(rows)} {units}s")
