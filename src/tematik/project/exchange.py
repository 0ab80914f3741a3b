"""The project API for exchange: merge, import-codings, REFI-QDA import and export, CSV export.

Codings travel between copies of a project as rows that name their document by content hash (``merge``,
``export_codings`` / ``import_codings``); whole projects travel to and from other tools as REFI-QDA files
(``export_qdpx``, ``export_qdc``, ``import_qdpx``). Nothing here overwrites: a coding already in the project is
counted as present, not added again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.models import CODING_STATUSES, MergeConflict
from tematik.project._base import DEFAULT_STATUSES, ProjectBase, choice, log, parse_statuses, split_list

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tematik.refi import CountingReport, ExportCounting

PathLike = str | os.PathLike[str]

#: ``export_qdpx(for_=...)`` / ``--for``: the tools whose way of counting offsets tematik knows.
EXPORT_TOOLS = ("nvivo", "atlas", "maxqda", "qualcoder")
#: what a memo can be on, in the order results list them
MEMO_KINDS = ("project", "code", "document", "coding", "participant")


@dataclass(frozen=True)
class MergeResult:
    """What :meth:`ExchangeMixin.merge` or :meth:`ExchangeMixin.import_codings` did.

    Codings: ``added`` (``by_status`` and ``by_coder``: how many of each), ``present``: equal to a coding already
    here (same document, code, span, coder and status), not added again; ``conflicts``: the same coding with
    another status here, this project's kept (:class:`MergeConflict`); ``suggestions_decided``: open suggestions
    not added because this project already has a coding of that code on that span or remembers it rejected.
    Rejections remembered (by text hash, code and span, so autocode does not suggest them again):
    ``rejections_added`` (``rejections_elsewhere`` of them for texts not in this project: they apply if that text
    is imported) and ``rejections_present``. Memos: ``memos_added`` by target kind (project, code, document,
    coding, participant), ``memos_edited`` of them an edited copy of a memo here (same target, author and time,
    other text: added beside it), ``memos_present``. ``unplaced``: ``(where, why)`` for each row that could not be
    placed (``where`` is ``FILE:LINE``); ``coders``: who the added codings are by (sorted); ``codes_added``: codes
    the other project had and this one lacked, added with their codings; ``rows``: how many rows were read.
    """

    added: int
    present: int
    unplaced: tuple[tuple[str, str], ...]
    coders: tuple[str, ...]
    codes_added: tuple[str, ...]
    rows: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_coder: dict[str, int] = field(default_factory=dict)
    conflicts: tuple[MergeConflict, ...] = ()
    suggestions_decided: int = 0
    rejections_added: int = 0
    rejections_present: int = 0
    rejections_elsewhere: int = 0
    memos_added: dict[str, int] = field(default_factory=dict)
    memos_edited: int = 0
    memos_present: int = 0

    @property
    def memos(self) -> int:
        """Memos added, of every kind."""
        return sum(self.memos_added.values())


@dataclass(frozen=True)
class ExportCodingsResult:
    """What :meth:`ExchangeMixin.export_codings` wrote to ``path``: ``codings`` coding rows, ``rejections``
    remembered rejections and ``memos`` memos (one CSV; the ``record`` column tells them apart)."""

    path: Path
    codings: int
    rejections: int = 0
    memos: int = 0


@dataclass(frozen=True)
class ExportQdpxResult:
    """What :meth:`ExchangeMixin.export_qdpx` wrote to ``path``: how many documents, codes, codings (of
    ``statuses``), cases, users and memos; ``counting``: how offsets were counted (``counting.describe()``);
    ``for_``: the tool preset asked for, if any; ``not_carried``: what the file could not carry, one line each."""

    path: Path
    documents: int
    codes: int
    codings: int
    cases: int
    users: int
    memos: int
    memos_skipped: int
    statuses: tuple[str, ...]
    counting: ExportCounting
    for_: str | None
    not_carried: tuple[str, ...]


@dataclass(frozen=True)
class ExportQdcResult:
    """What :meth:`ExchangeMixin.export_qdc` wrote: ``codes`` codes to ``path``."""

    path: Path
    codes: int


@dataclass(frozen=True)
class ImportQdpxResult:
    """What :meth:`ExchangeMixin.import_qdpx` did.

    ``name`` and ``origin``: the REFI project's name and the tool that wrote it; ``documents`` added,
    ``unchanged`` (already here with the same text), ``replaced``; ``codes`` new to the project and
    ``codes_matched`` (matched to codes already here); ``codings`` added and ``codings_present`` (already here);
    ``participants`` new to the project, ``cases`` and ``users`` in the file, ``memos`` added; ``counting``: how
    the file's offsets were read (``counting.describe()``); ``warnings``: what was also logged as warnings.
    """

    name: str
    origin: str | None
    documents: int
    unchanged: int
    replaced: int
    codes: int
    codes_matched: int
    codings: int
    codings_present: int
    participants: int
    cases: int
    users: int
    memos: int
    counting: CountingReport
    warnings: tuple[str, ...]


def _merge_result(report: Any, rows: int) -> MergeResult:
    return MergeResult(
        added=report.added, present=report.present, unplaced=tuple(report.unplaced),
        coders=tuple(sorted(report.coders)), codes_added=tuple(report.codes_added), rows=rows,
        by_status={s: report.by_status[s] for s in CODING_STATUSES if s in report.by_status},
        by_coder=dict(sorted(report.by_coder.items())),
        conflicts=tuple(report.conflicts),
        suggestions_decided=report.suggestions_decided, rejections_added=report.rejections_added,
        rejections_present=report.rejections_present, rejections_elsewhere=report.rejections_elsewhere,
        memos_added={k: report.memos_added[k] for k in MEMO_KINDS if k in report.memos_added},
        memos_edited=report.memos_edited, memos_present=report.memos_present)


class ExchangeMixin(ProjectBase):
    """Codings and projects in and out: other coders, other tools."""

    # ------------------------------------------------------------------ other coders
    def merge(self, other: PathLike) -> MergeResult:
        """Bring another copy's work (the tematik project file ``other``) into this project, in one transaction:
        every coder's codings of every status (accepted, manual, rejected; open suggestions where this project
        has nothing on that span), its remembered rejections (so autocode here does not suggest them either) and
        its memos (on the project, codes, documents and passages, codings, participants). Documents are matched
        by content hash, coders and times kept, nothing overwritten: equal rows are counted as present, the same
        coding with another status is a conflict (this project's kept, listed in ``conflicts``), an edited copy
        of a memo is added beside it. Codes the other project has and this one lacks come along with their
        codings. Returns a :class:`MergeResult`; rows that could not be placed are in its ``unplaced``."""
        from tematik.store import exchange

        other = Path(other)
        if not other.exists():
            raise InputError("no such project file", path=str(other))
        if self.path.resolve() == other.resolve():
            raise InputError("cannot merge a project into itself", path=str(other))
        incoming = exchange.read_other_project(other)
        report = exchange.place(self.store, incoming, origin=other.name)
        return _merge_result(report, incoming.rows)

    def import_codings(self, file: PathLike) -> MergeResult:
        """Import what :meth:`export_codings` wrote (another copy's codings, remembered rejections and memos),
        placing it by document content hash, in one transaction; never overwrites (as :meth:`merge`).

        The CSV's ``record`` column says what each row is: ``coding`` (columns document_sha256, code, start, end,
        status, coder; optional text, rule, polarity, origin, confidence, created, updated), ``rejection``
        (document_sha256, code, start, end; optional coder, origin, created) or ``memo`` (memo_on, memo, author,
        created, and the target: code; document_sha256 with optional start/end; document_sha256, code, start,
        end and coder of the coding; memo_target for a participant). A file without a ``record`` column (written
        before rejections and memos travelled) holds codings. Returns a :class:`MergeResult` (``rows`` 0: the
        file held no rows)."""
        from tematik import corpus
        from tematik.escape import csv_uncell
        from tematik.store import exchange

        file = Path(file)
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
            rec["_where"] = f"{file}:{lineno}"
            records.append(rec)
        memo_line = next((r["_where"] for r in records if (r.get("record") or "").strip().lower() == "memo"), None)
        missing = [c for c in ("memo_on", "memo", "author") if c not in header]
        if memo_line and missing:
            raise InputError(f"memo rows (the first at {memo_line}) need the column(s) {', '.join(missing)}",
                             path=str(file), line=1)
        incoming = exchange.read_exchange_rows(records)
        report = exchange.place(self.store, incoming, origin=str(file))
        return _merge_result(report, len(records))

    def export_codings(self, file: PathLike, *, status: str | Iterable[str] | None = None,
                       coder: str | Iterable[str] | None = None) -> ExportCodingsResult:
        """Write codings, remembered rejections and memos as one CSV (a spreadsheet opens it) that
        :meth:`import_codings` (``tematik import-codings``) places in another copy of the project (documents named
        by content hash). ``status``: only codings of these statuses (default and ``all``: every status, rejected
        too); the remembered rejections are written unless ``status`` leaves out ``rejected``. ``coder``: only
        these coders' codings, rejections and memos. Memos on codings go with their coding. The ``record``
        column says what a row is (coding | rejection | memo); the other columns: document, document_sha256,
        code, start, end, status, coder, rule, polarity, origin, confidence, created, updated, text, memo_on,
        memo_target, memo, author (and any columns later versions add to codings or memos)."""
        from tematik.export.tables import to_csv
        from tematik.fileio import write_text
        from tematik.store import exchange

        statuses = parse_statuses(status, default=(), all_means=CODING_STATUSES)
        columns, rows, counts = exchange.export_rows(self.store, list(statuses) or None,
                                                     split_list(coder) or None)
        write_text(Path(file), to_csv(columns, rows))
        return ExportCodingsResult(Path(file), counts["coding"], counts["rejection"], counts["memo"])

    # ------------------------------------------------------------------ other tools (REFI-QDA)
    def export_qdpx(self, file: PathLike, *, status: str | Iterable[str] | None = None, for_: str | None = None,
                    offsets: str | None = None, line_breaks: str | None = None, newlines: str | None = None
                    ) -> ExportQdpxResult:
        """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder and others
        (replaced whole if it exists).

        ``status``: the codings to export (default accepted and manual; ``all``: every status, rejected too).
        ``for_`` (the ``--for`` option): count offsets as this tool reads them: nvivo, atlas, maxqda or qualcoder.
        ``offsets`` codepoints|utf16, ``line_breaks`` one|two and ``newlines`` lf|crlf override the preset
        (default codepoints, one, lf). Returns an :class:`ExportQdpxResult` with the counts and the lines of
        what the file could not carry."""
        from tematik import __version__, refi
        from tematik.fileio import write_bytes
        from tematik.store import refi as store_refi

        statuses = parse_statuses(status, default=DEFAULT_STATUSES, all_means=CODING_STATUSES)
        tool = choice(for_, EXPORT_TOOLS, "--for", "tool")
        offsets = choice(offsets, refi.UNITS, "--offsets", "offset units")
        line_breaks = choice(line_breaks, ("one", "two"), "--line-breaks", "line-break counting")
        newlines = choice(newlines, ("lf", "crlf"), "--newlines", "newlines")
        base = refi.EXPORT_PRESETS[tool] if tool else refi.ExportCounting()
        counting = refi.ExportCounting(offsets or base.units, line_breaks or base.line_breaks,
                                       newlines or base.newlines)
        if newlines == "lf" and counting.line_breaks == "two":
            raise InputError("--line-breaks two counts every break as CRLF, so the files are written with CRLF; "
                             "drop --newlines lf", field="--newlines")
        snap = store_refi.snapshot(self.store, name=self.path.stem)
        result = refi.qdpx_bytes(snap, statuses=statuses, version=__version__, counting=counting)
        write_bytes(Path(file), result.data)
        return ExportQdpxResult(
            path=Path(file), documents=result.documents, codes=result.codes, codings=result.codings,
            cases=result.cases, users=result.users, memos=result.memos, memos_skipped=result.memos_skipped,
            statuses=statuses, counting=counting, for_=tool, not_carried=tuple(result.not_carried))

    def export_qdc(self, file: PathLike) -> ExportQdcResult:
        """Write the project's active codes as a REFI-QDA codebook (.qdc): hierarchy, colours, definitions
        (replaced whole if it exists). Raises NotFound when the project has no codes."""
        from tematik import __version__, refi
        from tematik.fileio import write_bytes
        from tematik.store import refi as store_refi

        codes = store_refi.export_codes(self.store)
        if not codes:
            raise NotFound("no codes in this project; load a codebook with `tematik codebook load FILE`")
        write_bytes(Path(file), refi.build_codebook_xml(codes, origin=f"tematik {__version__}"))
        return ExportQdcResult(Path(file), len(codes))

    def import_qdpx(self, file: PathLike, *, sources: PathLike | None = None, source_type: str | None = None,
                    language: str | None = None, units: str = "auto", line_breaks: str = "auto",
                    replace: bool = False, force: bool = False) -> ImportQdpxResult:
        """Import a REFI-QDA project into this one: sources, codes, cases, codings and notes, all or nothing.

        ``file``: a .qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder, tematik..., or a bare project.qde beside its
        sources/ folder, or that folder. ``sources``: the folder relative:// and absolute:// source paths may be
        read from (default: the folder holding ``file``). ``source_type`` (interview|observation|document|
        response) and ``language`` (id|en) for every source (default: from the file). ``units`` auto|codepoints|
        utf16 and ``line_breaks`` auto|asis|one|two: how the file counts offsets (auto: detected). ``replace``:
        replace documents whose content changed; ``force``: also when they have codings. Importing the same
        file twice adds nothing. Warnings (what was not carried across, doubtful offsets) are logged. To import
        into a new project: ``tematik.create(path).import_qdpx(file)``."""
        from tematik import refi
        from tematik.models import LANGUAGES, source_type_problem
        from tematik.store import corpus as store_corpus
        from tematik.store import refi as store_refi

        if source_type and source_type_problem(source_type):
            raise InputError(source_type_problem(source_type), field="--source-type")
        if language and language not in LANGUAGES:
            raise InputError(f"unknown language {language!r}; expected {'|'.join(LANGUAGES)}", field="--language")
        units = choice(units, ("auto", *refi.UNITS), "--units", "offset units") or "auto"
        line_breaks = choice(line_breaks, ("auto", *refi.LINE_BREAKS), "--line-breaks",
                              "line-break counting") or "auto"
        loaded = refi.load_qdpx(Path(file), sources=Path(sources) if sources is not None else None)
        options = refi.ImportOptions(source_type=source_type, language=language, units=units,
                                     line_breaks=line_breaks)
        bundle = refi.build_import(loaded, store_refi.context(self.store), options)
        plan = store_corpus.plan_import(self.store, bundle.documents, replace=replace, force=force)
        counts = store_refi.write_import(self.store, bundle, plan, source=str(file))
        warnings = list(bundle.warnings)
        warnings += [f"{n} {element} element(s) not carried across (tematik has no equivalent)"
                     for element, n in sorted(bundle.unsupported.items())]
        for w in warnings:
            log.warning(w)
        return ImportQdpxResult(
            name=bundle.name, origin=bundle.origin, documents=counts["documents"], unchanged=counts["unchanged"],
            replaced=counts["replaced"], codes=counts["codes"], codes_matched=counts["codes_matched"],
            codings=counts["codings"], codings_present=counts["codings_present"],
            participants=counts["participants"], cases=len(bundle.participants), users=len(bundle.users),
            memos=counts["memos"], counting=bundle.counting, warnings=tuple(warnings))


__all__ = ["EXPORT_TOOLS", "MEMO_KINDS", "ExchangeMixin", "ExportCodingsResult", "ExportQdcResult",
           "ExportQdpxResult", "ImportQdpxResult", "MergeConflict", "MergeResult"]
