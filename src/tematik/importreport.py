"""What an import did to each file: turns, speakers and what they map to, text with no speaker, and doubts.

Pure: built from the imported ``Document`` objects (their turns), the mappings the user gave (``--speaker``,
manifest ``speakers``), the reader's warnings and, for replaced documents, the re-anchoring counts. The CLI
renders it (a table per doubtful file, one quiet line per clean one, or JSON).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
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
    return sum(1 for ch in text if not ch.isspace())


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


def _label_chars(doc: Document) -> int:
    """Non-blank characters of the speaker labels themselves (the text between a turn and the one before)."""
    n, pos = 0, 0
    for t in sorted(doc.turns, key=lambda t: t.start):
        if t.speaker is not None:
            line_start = doc.text.rfind("\n", 0, t.start) + 1
            n += _nonblank(doc.text[max(line_start, pos):t.start])
        pos = t.end
    return n


def labels_kept_as_text(doc: Document) -> list[tuple[int, str]]:
    """Lines (1-based line number, label) inside a speaker's turn that open like ``Name:`` but start no turn.

    Such a line's text is counted as the speech of the turn it sits in. Header lines before the first turn
    (``Tanggal: ...``) are not listed: they belong to no speaker and are counted as such.
    """
    spans = sorted((t.start, t.end) for t in doc.turns if t.speaker is not None)
    starts = {doc.text.rfind("\n", 0, s) + 1 for s, _ in spans}
    out, pos = [], 0
    for lineno, line in enumerate(doc.text.split("\n"), start=1):
        m = _LOOKS_LIKE_LABEL.match(line)
        if m and pos not in starts:
            k = bisect.bisect_right(spans, (pos, len(doc.text) + 1)) - 1
            if k >= 0 and spans[k][0] <= pos < spans[k][1]:
                out.append((lineno, m.group("label")))
        pos += len(line) + 1
    return out


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
    interview_types = set(interview_types)
    pending = list(warnings)
    files = []
    for doc in documents:
        speakers, no_speaker = speakers_of(doc)
        mine: list[str] = []
        notes: list[str] = []
        if doc.path:
            keep = []
            for w in pending:
                if w.startswith(f"{doc.path}:") or w.startswith(f"{doc.path} ") or w == doc.path:
                    # "path:12: msg" stays "12: msg" (rendered back as path:12: msg); "path: msg" becomes "msg"
                    rest = w[len(doc.path):]
                    text = rest[1:] if rest[1:2].isdigit() else (rest.lstrip(": ") or w)
                    (notes if any(m in text for m in NOTE_MARKERS) else mine).append(text)
                else:
                    keep.append(w)
            pending = keep
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
        if doc.name in mappings:
            origin, mapping = mappings[doc.name]
            for label, target in mapping.items():
                if not _used(label, doc):
                    mine.append(f"speaker mapping {label}={target} ({origin}) matches no label in the file")
        told = {m.group(1) for m in (re.match(r"(\d+):", w) for w in mine) if m}  # lines the reader warned about
        for lineno, label in labels_kept_as_text(doc):
            if str(lineno) not in told:
                mine.append(f"{lineno}: {label!r} looks like a speaker label but was kept as text")
        files.append(FileReport(
            document=doc.name, path=doc.path, action=actions.get(doc.name, "added"), source_type=doc.source_type,
            participant=doc.participant, turns=len(doc.turns), speakers=speakers, no_speaker_chars=no_speaker,
            chars=len(doc.text), warnings=mine, notes=notes, codings=dict(codings[doc.name]) if codings and
            doc.name in codings else None))
    general = list(pending)
    for label, target in (global_mapping or {}).items():
        if not any(_used(label, d) for d in documents):
            general.append(f"--speaker {label}={target} matches no label in any imported file")
    return ImportReport(files, general)
