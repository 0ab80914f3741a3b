"""The project API for the corpus: import, docs, show, participants, speakers.

``import_files`` reads transcripts, notes and table rows into the project (one transaction: a refused file leaves
the project as it was) and returns an :class:`ImportResult` with the per-file report the command prints;
``docs()``, ``participants()`` and ``speakers()`` are the tables of the commands of the same names;
``show(doc)`` gives a document with its codings (or its numbered units); ``set_participant``,
``import_participants`` and ``set_speaker`` change who is who.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError
from tematik.models import CODING_STATUSES
from tematik.project._base import ProjectBase, dataframe, log, parse_statuses

if TYPE_CHECKING:
    import pandas as pd

    from tematik.corpus import FileMeta
    from tematik.importreport import FileReport, ImportReport
    from tematik.models import Document

PathLike = str | os.PathLike[str]

#: the codings ``show`` highlights when no status is given
SHOW_STATUSES: tuple[str, ...] = ("accepted", "manual", "suggested")

DOCS_COLUMNS = ["id", "name", "source_type", "language", "participant", "role", "date", "words", "turns", "speakers",
                "unmapped", "codings"]
SPEAKERS_COLUMNS = ["document", "label", "turns", "chars", "maps_to"]
SPEAKER_CHANGES_COLUMNS = ["document", "label", "turns", "before", "after"]
UNITS_COLUMNS = ["n", "start", "end", "speaker", "interviewer", "codes", "text"]


def _as_list(values: str | os.PathLike[str] | Iterable[Any] | None) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (str, os.PathLike)):
        return [values]
    return list(values)


def _pairs(values: Mapping[str, Any] | str | Iterable[str] | None) -> list[str]:
    """``KEY=VALUE`` strings from a mapping or from strings (a mapping's ``None`` value is an empty one)."""
    if values is None:
        return []
    if isinstance(values, Mapping):
        return [f"{k}={'' if v is None else v}" for k, v in values.items()]
    return [str(v) for v in _as_list(values)]


# --------------------------------------------------------------------------- import


class _Spool:
    """The reports of an import's documents, pickled to a temporary file (in memory up to a few MB) and read back
    in order: an import of a million rows does not keep a million reports in memory."""

    def __init__(self, *, row_reports: bool = True) -> None:
        import tempfile

        self._file = tempfile.SpooledTemporaryFile(max_size=8 << 20)
        self.count = 0
        self.row_reports = row_reports
        self.rows: dict[str, dict[str, int]] = {}  # quiet row documents per table and action (not kept)

    def add(self, report: FileReport) -> None:
        """Keep a report; without ``row_reports`` a quiet row document is only counted (unless it has notes)."""
        import pickle

        from tematik.importreport import row_source

        if not self.row_reports and not report.doubtful and (table_file := row_source(report.path)):
            counts = self.rows.setdefault(table_file, {})
            counts[report.action] = counts.get(report.action, 0) + 1
            if not report.notes:
                return
        pickle.dump(report, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[FileReport]:
        import pickle

        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True, repr=False, eq=False)
class ImportResult:
    """What :meth:`CorpusMixin.import_files` did.

    ``added``, ``replaced``, ``skipped`` (unchanged) documents and the ``words`` written; ``report``: the import
    report (:class:`tematik.importreport.ImportReport`): ``report.files`` the per-document reports (turns, speakers
    and what they map to, text with no speaker, warnings, moved codings; iterable, read back from a temporary
    file), ``report.warnings`` those about the call as a whole. With ``row_reports=False`` the quiet documents
    read from table rows are only counted, per table and action, in ``rows``. ``warnings`` lists every warning
    as the command prints it; ``to_frame()`` gives one row per document report. Call ``close()`` (or let it go)
    to drop the temporary file.
    """

    path: Path
    added: int
    replaced: int
    skipped: int
    words: int
    report: ImportReport
    rows: dict[str, dict[str, int]] = field(default_factory=dict)

    def headline(self, where: str | None = None) -> str:
        """The summary line, naming the project as ``where`` (default: its path)."""
        return (f"imported {self.added} document(s), replaced {self.replaced}, skipped {self.skipped} "
                f"unchanged ({self.words:,} words) into {self.path if where is None else where}")

    @property
    def summary(self) -> str:
        """``imported N document(s), replaced N, skipped N unchanged (N words) into PROJECT``."""
        return self.headline()

    @property
    def files(self) -> list[FileReport]:
        """The per-document reports (all read into memory: for a very large import iterate ``report.files``)."""
        return list(self.report.files)

    @property
    def warnings(self) -> list[str]:
        """Every warning of the import: each document's (``path: message`` or ``path:LINE: message``), then those
        about the call as a whole."""
        out = []
        for f in self.report.files:
            where = f.path or f.document
            out += [f"{where}:{w}" if w[:1].isdigit() else f"{where}: {w}" for w in f.warnings]
        return out + list(self.report.warnings)

    def to_frame(self) -> pd.DataFrame:
        """One row per document report: document, path, action (added/replaced/skipped), source_type, participant,
        turns, chars, no_speaker_chars, speakers (``label=maps_to`` joined by ``; ``), doubtful, warnings (joined
        by ``; ``), and codings (replaced documents: ``unchanged/moved/changed/lost`` counts)."""
        rows = [{"document": f.document, "path": f.path, "action": f.action, "source_type": f.source_type,
                 "participant": f.participant, "turns": f.turns, "chars": f.chars,
                 "no_speaker_chars": f.no_speaker_chars,
                 "speakers": "; ".join(f"{s.label}={s.maps_to}" for s in f.speakers if s.label),
                 "doubtful": f.doubtful, "warnings": "; ".join(f.warnings),
                 "codings": ", ".join(f"{n} {k}" for k, n in f.codings.items()) if f.codings else None}
                for f in self.report.files]
        return dataframe(["document", "path", "action", "source_type", "participant", "turns", "chars",
                       "no_speaker_chars", "speakers", "doubtful", "warnings", "codings"], rows,
                      title="Import", caption=self.summary)

    def close(self) -> None:
        files = self.report.files
        if isinstance(files, _Spool):
            files.close()

    def __repr__(self) -> str:
        n = len(self.report.warnings) + sum(len(f.warnings) for f in self.report.files)
        return f"<ImportResult: {self.summary}; {n} warning(s)>"


def _merge(base: FileMeta, manifest_meta: FileMeta | None) -> FileMeta:
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


# --------------------------------------------------------------------------- show


@dataclass(frozen=True, eq=False)
class DocumentView:
    """A document as ``tematik show`` shows it: the :class:`tematik.models.Document` (text, turns with speakers,
    attributes), its codings ``marks`` (dicts: id, code, code_name, colour, start, end, status, coder, polarity,
    rule; in text order) and, when units were asked for, ``units``: the table of its numbered units."""

    document: Document
    marks: list[dict[str, Any]]
    units: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """The units table when units were asked for, else the codings (one row per mark)."""
        if self.units is not None:
            return self.units
        cols = ["id", "code", "code_name", "colour", "start", "end", "status", "coder", "polarity", "rule"]
        return dataframe(cols, self.marks, title=self.document.name)


# --------------------------------------------------------------------------- participants


@dataclass(frozen=True)
class ParticipantChange:
    """What :meth:`CorpusMixin.set_participant` set: ``values`` (key -> value; an empty value removed the
    attribute, ``role`` is the role) and the participant's attributes ``before``."""

    participant: str
    values: dict[str, str]
    before: dict[str, str]


@dataclass(frozen=True)
class ParticipantsImport:
    """What :meth:`CorpusMixin.import_participants` did: ``participants`` read from ``file``, ``created`` of them
    new (the others updated)."""

    file: Path
    participants: int
    created: int

    @property
    def updated(self) -> int:
        return self.participants - self.created


class CorpusMixin(ProjectBase):
    """Transcripts and notes, their speakers and participants."""

    @property
    def schema_version(self) -> int:
        """The version of the project file's schema."""
        return self.store.schema_version

    # ------------------------------------------------------------------ import
    def import_files(
        self,
        paths: PathLike | Iterable[PathLike],
        *,
        manifest: PathLike | None = None,
        source_type: str | None = None,
        language: str | None = None,
        participant: str | None = None,
        role: str | None = None,
        date: str | None = None,
        speaker: str | Iterable[str] | Mapping[str, str] | None = None,
        interviewer: str | Iterable[str] | None = None,
        text_column: str | Iterable[str] | None = None,
        id_column: str | None = None,
        participant_column: str | None = None,
        columns: str | Iterable[str] | None = None,
        limit: str | Iterable[str] | Mapping[str, Any] | None = None,
        replace: bool = False,
        force: bool = False,
        row_reports: bool = True,
    ) -> ImportResult:
        """Import transcripts and notes (files and folders: .txt .md .docx .vtt .srt; .csv .xlsx rows as
        documents), as ``tematik import`` does, in one transaction: if any file is refused nothing is written.

        ``manifest``: a CSV with file,participant,role,source_type,language,date,speakers (+ attribute columns);
        the other options apply where the manifest is silent. ``source_type``: interview, focus_group, meeting,
        observation, document, response or your own lower-case type. ``language``: id or en (default: guessed).
        ``participant``/``role``/``date``: the informant, their role, the date (ISO). ``speaker``: label
        mappings, ``"Bu Made=P07"`` strings or a dict ``{"Bu Made": "P07", "Pewawancara": "interviewer"}``;
        ``interviewer``: labels that are the interviewer. Table rows: ``text_column`` (one or several),
        ``id_column``, ``participant_column``, ``columns`` (attribute columns, a comma-separated string or a list).
        ``limit``: raised limits, ``"rows=2e6"`` strings or a dict. Identical re-imports are skipped; a changed
        document is refused unless ``replace``, which keeps its codings where their text still exists, and
        refuses to lose codings on deleted text unless ``force``. ``row_reports=False`` keeps only counts of the
        quiet documents read from table rows (``ImportResult.rows``), not a report for each.

        Returns an :class:`ImportResult` (counts and the per-file report). Notes on what was passed over are
        logged at INFO. Raises :class:`tematik.errors.InputError` for a bad option or a refused file.
        """
        from dataclasses import replace as with_fields

        from tematik import corpus, importreport
        from tematik import limits as limits_
        from tematik.models import Participant, source_type_problem
        from tematik.store import corpus as store_corpus

        speakers = _pairs(speaker)
        base = corpus.FileMeta(participant=participant, role=role, source_type=source_type, language=language,
                               date=date, speakers=corpus.speaker_options(speakers, _as_list(interviewer)))
        if source_type and source_type_problem(source_type):
            raise InputError(source_type_problem(source_type), field="--source-type")
        if language and language not in ("id", "en"):
            raise InputError(f"unknown language {language!r}; expected id|en", field="--language")
        limits = limits_.current(limits_.parse_overrides(_pairs(limit)))
        base = with_fields(base, date=corpus.check_date(date, field="--date"))
        manifest = Path(manifest) if manifest is not None else None
        paths = [Path(p) for p in _as_list(paths)]
        metas = corpus.read_manifest(manifest) if manifest else {}
        scan = corpus.scan_paths(paths, only=metas.keys() if manifest else None, limits=limits)
        for line in scan.notes(str(manifest) if manifest else None):
            log.info(line)
        files = scan.files
        if manifest:
            found = {f.resolve() for f in files}
            absent = [str(p) for p in metas if p not in found]
            if absent:
                log.info(f"listed in {manifest} but not under the paths named, so not imported: "
                         + ", ".join(absent[:20]) + (f" and {len(absent) - 20} more" if len(absent) > 20 else ""))
        if not files:
            raise InputError("no importable files found (.txt .md .docx .vtt .srt .csv .xlsx)",
                             path=", ".join(map(str, paths)))
        attribute_columns: tuple[str, ...] | None = None
        if columns:
            attribute_columns = tuple(c.strip() for c in (columns.split(",") if isinstance(columns, str) else
                                                          map(str, columns)))
        table = corpus.TableOptions(text_column=tuple(_as_list(text_column) or ("text",)), id_column=id_column,
                                    participant_column=participant_column, attribute_columns=attribute_columns)
        people: dict[str, Participant] = {}
        builder = importreport.ReportBuilder(global_mapping=base.speakers)
        reports = _Spool(row_reports=row_reports)  # on disk past a few MB: a million rows are not kept in memory
        store = self.store
        try:
            # one transaction: documents are written in batches as they are read (memory grows with the largest
            # file, not with the import), and a refused file anywhere rolls every write back
            with self.progress("importing", None) as advance:
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
                                    builder.warn(f"{stored.path or stored.name}: kept the project's speaker "
                                                 f"mapping {m} (set earlier; the file maps it to nobody)"
                                                 for m in r.kept_speakers)
                                reports.add(builder.add(stored, action=action, mapping=mapping,
                                                        codings=r.counts if r is not None else None))
                            doc = stored = r = None  # let go, so that a long text leaves memory as it is written
                            run.release()
                        builder.warn(result.warnings[told:])
                    run.finish()
        except BaseException:
            reports.close()
            raise
        return ImportResult(self.path, run.added, run.replaced, run.skipped, run.words,
                            importreport.ImportReport(reports, builder.finish()), reports.rows)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ documents
    def docs(self) -> pd.DataFrame:
        """The documents of the project, one row each (by name): id, name, source_type, language, participant,
        role (the participant's), date, words, turns, speakers (distinct speaker labels), unmapped (labels mapped
        to nobody; see :meth:`speakers`), codings (not rejected)."""
        from tematik.store import corpus as store_corpus

        return dataframe(DOCS_COLUMNS, store_corpus.list_documents(self.store), title="Documents",
                      caption="speakers: distinct speaker labels; unmapped: labels mapped to nobody "
                              "(see `tematik speakers`)")

    def corpus_summary(self) -> pd.DataFrame:
        """Documents, words and participants per source type and language (the report's corpus table): columns
        source_type, language, documents, words, participants."""
        from tematik.store import corpus as store_corpus

        return dataframe(["source_type", "language", "documents", "words", "participants"],
                         store_corpus.corpus_summary(self.store), title="Corpus")

    def show(self, document: str | int, *, codings: bool = True, status: str | Iterable[str] | None = None,
             units: str | None = None) -> DocumentView:
        """A document (by name or id) with its codings, as ``tematik show DOC`` prints it.

        ``codings=False`` leaves the codings out. ``status``: the codings to include, statuses as a list or
        comma-separated (default accepted, manual, suggested; ``all``: every status, rejected included).
        ``units`` (sentence, turn or paragraph): also number its units (the numbers ``code add --sentence/--turn``
        take) in ``DocumentView.units``, a table with columns n, start, end, speaker, interviewer, codes (the
        codes of the marks overlapping the unit, sorted, comma-joined) and text (whitespace collapsed).
        Raises NotFound for an unknown document, InputError for an unknown status or unit.
        """
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus

        statuses = parse_statuses(status, default=SHOW_STATUSES, all_means=CODING_STATUSES)
        doc_id = store_corpus.document_id(self.store, document)
        doc = store_corpus.load_documents(self.store, [doc_id])[0]
        marks = store_coding.codings_for_document(self.store, doc_id, statuses) if codings else []
        if units is None:
            return DocumentView(doc, marks)
        from tematik.project._passages import unit_spans

        spans = unit_spans(doc, units)  # the numbers `code add --sentence/--turn` and `memo add` take
        rows = []
        for n, (start, end) in enumerate(spans, start=1):
            turn = next((t for t in doc.turns if t.start <= start < t.end), None) if doc.turns else None
            rows.append({"n": n, "start": start, "end": end, "speaker": turn.speaker if turn else None,
                         "interviewer": bool(turn and turn.is_interviewer),
                         "codes": ", ".join(sorted({m["code"] for m in marks
                                                    if m["start"] < end and start < m["end"]})),
                         "text": " ".join(doc.text[start:end].split())})
        return DocumentView(doc, marks, dataframe(UNITS_COLUMNS, rows, title=f"{doc.name}: {len(rows)} {units}s"))

    # ------------------------------------------------------------------ participants
    def participants(self) -> pd.DataFrame:
        """The participants (cases), one row each by id: id, role, one column per attribute (typed: numbers,
        yes/no as booleans, else text; sorted by name), documents (whose informant they are) and turns (spoken
        by them)."""
        from tematik.store import corpus as store_corpus

        columns, rows = store_corpus.list_participants(self.store)
        return dataframe(columns, rows, title="Participants")

    def set_participant(self, participant_id: str, values: Mapping[str, Any] | str | Iterable[str] | None = None,
                        /, **attributes: Any) -> ParticipantChange:
        """Set attributes of a participant: ``p.set_participant("P07", role="pustakawan", years=12)`` or
        ``p.set_participant("P07", ["role=pustakawan", "years=12"])``. An empty value removes an attribute;
        ``role`` sets the role. The change is in the audit log. Raises NotFound for an unknown participant."""
        from tematik.store import corpus as store_corpus

        pairs: dict[str, str] = {}
        for v in _pairs(values) + _pairs(attributes):
            if "=" not in v or not v.partition("=")[0].strip():
                raise InputError(f"expected KEY=VALUE, got {v!r}", field="values")
            k, _, val = v.partition("=")
            pairs[k.strip()] = val.strip()
        store = self.store
        with store.transaction():
            before = store_corpus.participant_attributes(store, participant_id)
            store_corpus.set_attributes(store, participant_id, pairs)
            store.audit("set", "participant", participant_id, before=before, after=pairs)
        return ParticipantChange(participant_id, pairs, before)

    def import_participants(self, file: PathLike, *, id_column: str = "id") -> ParticipantsImport:
        """Import a roster of participants (CSV/XLSX): the ``id_column`` holds the id, an optional ``role``
        column the role, the other columns become typed attributes. Creates new participants and updates the
        others. Raises InputError for a missing file or column, an empty or repeated id."""
        from tematik import corpus
        from tematik.models import Participant
        from tematik.store import corpus as store_corpus

        file = Path(file)
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
        with self.store.transaction():
            created = store_corpus.ensure_participants(self.store, people)
        return ParticipantsImport(file, len(people), created)

    # ------------------------------------------------------------------ speakers
    def speakers(self, document: str | int | None = None) -> pd.DataFrame:
        """The speaker labels of every document (or of ``document``, by name or id) and what they map to: columns
        document, label (``(no label)`` for text without one), turns, chars, maps_to (a participant id,
        ``interviewer`` or ``unmapped``; ``-`` for text without a label). A label whose turns map to different
        targets has one row per target."""
        from tematik.store import corpus as store_corpus

        ids = [store_corpus.document_id(self.store, document)] if document is not None else None
        rows = store_corpus.document_speakers(self.store, ids)
        out = [{"document": r["document"], "label": r["label"] if r["label"] is not None else "(no label)",
                "turns": r["turns"], "chars": r["chars"],
                "maps_to": store_corpus.speaker_target(r["participant"], r["interviewer"])
                if r["label"] is not None else "-"} for r in rows]
        return dataframe(SPEAKERS_COLUMNS, out, title="Speakers",
                      caption="change one: tematik speakers set DOC|--all LABEL=ID (or =interviewer, or = for "
                              "unmapped)")

    def set_speaker(self, document: str | int | None, mapping: Mapping[str, str | None] | str | Iterable[str], *,
                    all_documents: bool = False, create: bool = False) -> pd.DataFrame:
        """Map speaker labels (case-insensitive) of ``document`` (name or id; ``None`` with
        ``all_documents=True``: every document that has the label) to a participant, the interviewer or nothing:
        ``mapping`` is ``{"Bu Made": "P07", "P": "interviewer", "X": None}`` or ``"LABEL=TARGET"`` strings
        (``LABEL=`` for unmapped). The turns keep their text and label, codings stay on their text, each change
        is in the audit log; all pairs or none are set. An unknown participant id is refused (NotFound) unless
        ``create``; a created one is logged.

        Returns a DataFrame with one row per document and label: document, label, turns, before, after;
        ``attrs["changed"]`` is how many documents changed (the others already mapped so),
        ``attrs["created"]`` the participants created.
        """
        from tematik.store import corpus as store_corpus

        if document is not None and all_documents:
            raise InputError("give a document or all_documents=True, not both", field="DOC")
        if document is None and not all_documents:
            raise InputError("give the document (name or id) before LABEL=TARGET, or --all", field="DOC")
        pairs = _pairs(mapping)
        if not pairs:
            raise InputError("nothing to set: give LABEL=PARTICIPANT, LABEL=interviewer or LABEL=",
                             field="LABEL=TARGET")
        parsed = [_parse_speaker(p) for p in pairs]
        changes: list[dict] = []
        store = self.store
        ids = [store_corpus.document_id(store, document)] if document is not None else None
        with store.transaction():  # all pairs or none
            for label, participant, interviewer in parsed:
                changes += store_corpus.set_speaker(store, ids, label, participant=participant,
                                                    interviewer=interviewer, create=create)
        created = list(dict.fromkeys(c["after"] for c in changes if c.get("created")))
        for participant in created:
            log.info(f"created participant {participant}")
        return dataframe(SPEAKER_CHANGES_COLUMNS, changes, title="Speakers changed",
                      changed=sum(c["changed"] for c in changes), created=created)


def _parse_speaker(pair: str) -> tuple[str, str | None, bool]:
    """``LABEL=TARGET`` -> (label, participant or None, interviewer)."""
    if "=" not in pair:
        raise InputError(f"expected LABEL=PARTICIPANT, LABEL=interviewer or LABEL= (unmapped), got {pair!r}",
                         field="LABEL=TARGET")
    label, _, target = pair.rpartition("=")
    label, target = label.strip(), target.strip()
    if not label:
        raise InputError(f"empty label in {pair!r}", field="LABEL=TARGET")
    if target.casefold() == "interviewer":
        return label, None, True
    return label, target or None, False


__all__ = ["CorpusMixin", "DocumentView", "ImportResult", "ParticipantChange", "ParticipantsImport"]
