"""What an import did to each file: turns, speakers and what they map to, text with no speaker, and doubts.

Pure: built from the imported ``Document`` objects (their turns), the mappings the user gave (``--speaker``,
manifest ``speakers``), the reader's warnings and, for replaced documents, the re-anchoring counts. The CLI
renders it (a table per doubtful file, one quiet line per clean one, or JSON).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from tematik.models import INTERVIEWER, Document

UNMAPPED = "unmapped"
#: source types in which every turn should have a speaker (the others may hold narrative without one)
INTERVIEW_TYPES = ("interview", "focus_group", "meeting")
#: an interview whose interviewer turns hold more than this share of the speech (of at least so many characters)
#: is doubtful: answers swallowed into questions look like this
INTERVIEWER_SHARE = 0.5
INTERVIEWER_MIN_CHARS = 200
#: reader messages that say what was decided without leaving doubt about who said what
NOTE_MARKERS = ("language not given", "kept the project's speaker mapping")

# A line opening like a speaker label: one to four capitalised words (or a code such as P2, R1) then a colon.
_LOOKS_LIKE_LABEL = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?P<label>(?:[A-Z][\w.'’-]*|\d+)(?:[ \t]+(?:[A-Z(][\w.'’()-]*|\d+)){0,3})"
    r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]+\S")


@dataclass
class Speaker:
    label: str | None  # as written; None for text without a speaker label
    turns: int
    chars: int  # non-blank characters of its turns
    maps_to: str  # a participant id, "interviewer" or "unmapped"


@dataclass
class FileReport:
    document: str
    path: str | None
    action: str  # added | replaced | skipped
    source_type: str
    participant: str | None
    turns: int
    speakers: list[Speaker]
    no_speaker_chars: int  # non-blank characters in no labelled turn (header blocks, unlabelled text)
    chars: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was decided and is not in doubt (a guessed language)
    codings: dict[str, int] | None = None  # replaced: unchanged/moved/changed/lost

    @property
    def doubtful(self) -> bool:
        return bool(self.warnings) or bool(self.codings and (self.codings.get("lost") or
                                                             self.codings.get("changed")))

    def summary(self) -> str:
        """The quiet one-liner for a file with nothing doubtful."""
        who = ", ".join(f"{s.label}={s.maps_to} ({s.turns})" for s in self.speakers if s.label) or "no speakers"
        moved = ""
        if self.codings:
            moved = "; codings " + ", ".join(f"{n} {k}" for k, n in self.codings.items() if n)
        rest = f", {self.no_speaker_chars:,} characters with no speaker" if self.no_speaker_chars else ""
        return f"{self.document}: {self.action}, {self.turns} turn(s): {who}{rest}{moved}"


def row_source(path: str | None) -> str | None:
    """``answers.csv`` for a document read from a row of a table (``answers.csv:12``), else None."""
    if path and ":" in path:
        head, _, tail = path.rpartition(":")
        if tail.isdigit():
            return head
    return None


@dataclass
class ImportReport:
    files: list[FileReport]
    warnings: list[str]  # about the call as a whole (a --speaker mapping no file used, unplaced warnings)

    def as_dict(self) -> dict:
        return {"files": [{**asdict(f), "doubtful": f.doubtful} for f in self.files], "warnings": self.warnings}


def _nonblank(text: str) -> int:
    """Characters that are not blank, counted a slice at a time (no copy of a long text)."""
    step = 1 << 20
    if len(text) <= step:
        return len("".join(text.split()))
    return sum(len("".join(text[i:i + step].split())) for i in range(0, len(text), step))


def speakers_of(doc: Document) -> tuple[list[Speaker], int]:
    """The labels of a document in order of first appearance, and the non-blank characters no label covers."""
    by_label: dict[str, Speaker] = {}
    covered = 0
    for t in doc.turns:
        n = _nonblank(doc.text[t.start:t.end])
        if t.speaker is None:
            continue
        covered += n
        target = INTERVIEWER if t.is_interviewer else (t.participant or UNMAPPED)
        sp = by_label.get(t.speaker)
        if sp is None:
            by_label[t.speaker] = Speaker(t.speaker, 1, n, target)
        else:
            sp.turns += 1
            sp.chars += n
            if sp.maps_to != target:  # one label, turns mapped differently: show every target
                sp.maps_to = ", ".join(dict.fromkeys([*sp.maps_to.split(", "), target]))
    labels = _label_chars(doc)
    no_speaker = max(_nonblank(doc.text) - covered - labels, 0)
    return list(by_label.values()), no_speaker


def _spans(doc: Document, *, speakers_only: bool = False) -> tuple[array, array, bytearray, list[int] | range]:
    """Starts, ends and has-a-speaker flags of the turns, and their order by (start, end): arrays, not a list of a
    million turns."""
    starts, ends, spoken = array("q"), array("q"), bytearray()
    for t in doc.turns:
        if t.speaker is not None or not speakers_only:
            starts.append(t.start)
            ends.append(t.end)
            spoken.append(t.speaker is not None)
    n = len(starts)
    if all(starts[k] < starts[k + 1] or (starts[k] == starts[k + 1] and ends[k] <= ends[k + 1])
           for k in range(n - 1)):
        return starts, ends, spoken, range(n)
    return starts, ends, spoken, sorted(range(n), key=lambda k: (starts[k], ends[k]))


def _label_chars(doc: Document) -> int:
    """Non-blank characters of the speaker labels themselves (the text between a turn and the one before)."""
    starts, ends, spoken, order = _spans(doc)
    if not isinstance(order, range):  # by start alone, in the turns' order where two start together
        order = sorted(range(len(starts)), key=starts.__getitem__)
    n, pos = 0, 0
    for k in order:
        if spoken[k]:
            line_start = doc.text.rfind("\n", 0, starts[k]) + 1
            n += _nonblank(doc.text[max(line_start, pos):starts[k]])
        pos = ends[k]
    return n


def labels_kept_as_text(doc: Document) -> list[tuple[int, str]]:
    """Lines (1-based line number, label) inside a speaker's turn that open like ``Name:`` but start no turn.

    Such a line's text is counted as the speech of the turn it sits in. Header lines before the first turn
    (``Tanggal: ...``) are not listed: they belong to no speaker and are counted as such.
    """
    starts, ends, _, order = _spans(doc, speakers_only=True)
    text, out, pos, n = doc.text, [], 0, len(starts)
    k = j = 0  # order[k - 1]: the last span starting at or before the line; order[j]: the next line start
    line_start = text.rfind("\n", 0, starts[order[0]]) + 1 if n else -1
    for lineno, line in enumerate(_lines(text), start=1):
        while k < n and starts[order[k]] <= pos:
            k += 1
        while j < n and line_start < pos:
            j += 1
            line_start = text.rfind("\n", 0, starts[order[j]]) + 1 if j < n else -1
        m = _LOOKS_LIKE_LABEL.match(line)
        if m and line_start != pos and k > 0 and starts[order[k - 1]] <= pos < ends[order[k - 1]]:
            out.append((lineno, m.group("label")))
        pos += len(line) + 1
    return out


def _lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` one line at a time (a long transcript is not copied into a list of its lines)."""
    i = 0
    while True:
        j = text.find("\n", i)
        if j < 0:
            yield text[i:]
            return
        yield text[i:j]
        i = j + 1


def _key(label: str) -> str:
    """A label compared loosely: case, Markdown emphasis, a parenthesised role or time and spacing ignored."""
    label = re.sub(r"\([^)]*\)|[*_]{2}", " ", label)
    return " ".join(label.split()).casefold()


def _used(label: str, doc: Document) -> bool:
    key = _key(label)
    return any(t.speaker is not None and (t.speaker.casefold() == label.casefold() or _key(t.speaker) == key)
               for t in doc.turns)


def build(documents: Sequence[Document], *, actions: Mapping[str, str],
          mappings: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
          global_mapping: Mapping[str, str] | None = None, warnings: Iterable[str] = (),
          codings: Mapping[str, Mapping[str, int]] | None = None,
          interview_types: Iterable[str] = INTERVIEW_TYPES,
          ) -> ImportReport:
    """One ``FileReport`` per document.

    ``actions``: document name -> added/replaced/skipped; ``mappings``: document name -> (where it was given,
    {label: target}) for mappings given per file (a manifest row); ``global_mapping``: ``--speaker`` options, which
    apply to every file (a label no file uses is one call-level warning); ``warnings``: the readers' messages,
    each filed under the document whose path it names; ``codings``: re-anchoring counts of replaced documents.
    """
    mappings = mappings or {}
    builder = ReportBuilder(global_mapping=global_mapping, warnings=warnings, interview_types=interview_types)
    files = [builder.add(doc, action=actions.get(doc.name, "added"), mapping=mappings.get(doc.name),
                         codings=codings.get(doc.name) if codings else None) for doc in documents]
    return ImportReport(files, builder.finish())


class ReportBuilder:
    """:func:`build` one document at a time, so an import need not keep its documents to report on them.

    Give the readers' warnings (:meth:`warn`) before the documents they are about; each document takes the ones
    naming its path. What is kept between documents is small: the warnings not yet filed and the ``--speaker``
    labels no document has used so far.
    """

    def __init__(self, *, global_mapping: Mapping[str, str] | None = None, warnings: Iterable[str] = (),
                 interview_types: Iterable[str] = INTERVIEW_TYPES) -> None:
        self.global_mapping = dict(global_mapping or {})
        self.unused = list(self.global_mapping)  # --speaker labels no document has used yet
        self.interview_types = set(interview_types)
        self.pending = list(warnings)

    def warn(self, warnings: Iterable[str]) -> None:
        self.pending.extend(warnings)

    def add(self, doc: Document, *, action: str = "added", mapping: tuple[str, Mapping[str, str]] | None = None,
            codings: Mapping[str, int] | None = None) -> FileReport:
        """The report on one document; ``mapping``: (where it was given, {label: target}) given for its file."""
        interview_types = self.interview_types
        speakers, no_speaker = speakers_of(doc)
        mine: list[str] = []
        notes: list[str] = []
        if doc.path and self.pending:
            keep = []
            for w in self.pending:
                if w.startswith(f"{doc.path}:") or w.startswith(f"{doc.path} ") or w == doc.path:
                    # "path:12: msg" stays "12: msg" (rendered back as path:12: msg); "path: msg" becomes "msg"
                    rest = w[len(doc.path):]
                    text = rest[1:] if rest[1:2].isdigit() else (rest.lstrip(": ") or w)
                    (notes if any(m in text for m in NOTE_MARKERS) else mine).append(text)
                else:
                    keep.append(w)
            self.pending = keep
        labelled = [s for s in speakers if s.label]
        if doc.source_type in interview_types and not labelled:
            who = f"all counted as {doc.participant}'s" if doc.participant else "counted as nobody's speech"
            mine.append(f"no speaker turns found ({_nonblank(doc.text):,} characters {who}); check the layout "
                        "or give --speaker LABEL=ID")
        asking = sum(s.chars for s in labelled if s.maps_to == INTERVIEWER)
        spoken = sum(s.chars for s in labelled)
        if doc.source_type in interview_types and labelled and asking == spoken:
            mine.append("only interviewer turns: the answers are counted as the interviewer's (left out of "
                        "every table); check the labels with `tematik speakers`")
        elif doc.source_type in interview_types and spoken >= INTERVIEWER_MIN_CHARS and \
                asking / spoken > INTERVIEWER_SHARE:
            mine.append(f"the interviewer's turns hold {asking / spoken:.0%} of the speech: answers may have been "
                        "read as part of the questions (a label not recognised?)")
        for s in labelled:
            if s.maps_to == UNMAPPED and doc.source_type in interview_types:
                mine.append(f"speaker {s.label!r} ({s.turns} turn(s)) maps to no participant: its text is left "
                            f"out of per-participant counts; set it with `tematik speakers set {doc.name} "
                            f"'{s.label}=ID'` (or =interviewer)")
        if mapping is not None:
            origin, given = mapping
            for label, target in given.items():
                if not _used(label, doc):
                    mine.append(f"speaker mapping {label}={target} ({origin}) matches no label in the file")
        told = {m.group(1) for m in (re.match(r"(\d+):", w) for w in mine) if m}  # lines the reader warned about
        for lineno, label in labels_kept_as_text(doc):
            if str(lineno) not in told:
                mine.append(f"{lineno}: {label!r} looks like a speaker label but was kept as text")
        if self.unused:
            self.unused = [label for label in self.unused if not _used(label, doc)]
        return FileReport(
            document=doc.name, path=doc.path, action=action, source_type=doc.source_type,
            participant=doc.participant, turns=len(doc.turns), speakers=speakers, no_speaker_chars=no_speaker,
            chars=len(doc.text), warnings=mine, notes=notes, codings=dict(codings) if codings is not None else None)

    def finish(self) -> list[str]:
        """The warnings about the call as a whole: those no document took, and ``--speaker`` labels never used."""
        general = list(self.pending)
        for label in self.unused:
            general.append(f"--speaker {label}={self.global_mapping[label]} matches no label in any imported file")
        return general
