"""Domain objects: frozen dataclasses, standard library only. Nothing here imports the rest of tematik."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# The documented kinds of data a document can be. The set is open: any other lower-case identifier (letters, digits,
# _ or -) is accepted as the researcher's own type; these are the ones tematik knows by name.
SOURCE_TYPES = ("interview", "focus_group", "meeting", "observation", "document", "response")
SOURCE_TYPE_DESCRIPTIONS = {
    "interview": "a one-to-one (or small) interview transcript",
    "focus_group": "a focus-group discussion transcript (several participants, a moderator)",
    "meeting": "minutes or a transcript of a meeting the researcher attended",
    "observation": "field notes of an observed episode",
    "document": "a document of the setting (policy, report, web page)",
    "response": "answers to an open questionnaire question",
}


# Source types whose documents are spoken transcripts (an unlabelled paragraph continues the previous speaker).
TRANSCRIPT_TYPES = ("interview", "focus_group", "meeting")


def source_type_problem(value: str) -> str | None:
    """Why ``value`` cannot be a source type (None when it can): a lower-case identifier such as ``interview``,
    ``focus_group`` or the researcher's own ``diary``."""
    import re

    if not re.fullmatch(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*", value or ""):
        return (f"source type {value!r} must be a lower-case identifier (letters, digits, _ or -), e.g. "
                f"{', '.join(SOURCE_TYPES)}")
    return None


LANGUAGES = ("id", "en")
INTERVIEWER = "interviewer"  # the speaker role of the person asking questions


# --------------------------------------------------------------------------- corpus

@dataclass(frozen=True, slots=True)  # slots: a long transcript holds many turns
class Turn:
    """One speaker segment of a document. ``start``/``end`` are character offsets into the stored text."""

    start: int
    end: int
    speaker: str | None = None  # the label as written in the transcript ("Bu Made", "Pewawancara")
    participant: str | None = None  # participant id the speaker maps to, if any
    is_interviewer: bool = False
    timestamp: str | None = None  # "00:01:02" when the transcript gives one


class Turns(Sequence[Turn]):
    """The turns of a document kept in arrays (about 30 bytes a turn instead of a ``Turn`` object's 150): a long
    transcript has a million. It behaves as the tuple of its ``Turn`` objects (equal to it, same hash), making
    each one when asked for."""

    __slots__ = ("_start", "_end", "_speaker", "_participant", "_interviewer", "_timestamp", "_values", "_ids")

    def __init__(self, turns: Iterable[Turn] = ()) -> None:
        self._start, self._end = array("q"), array("q")
        self._speaker, self._participant, self._timestamp = array("l"), array("l"), array("l")
        self._interviewer = bytearray()
        self._values: list[str | None] = [None]  # the distinct strings, 0 for None
        self._ids: dict[str | None, int] = {None: 0}
        for t in turns:
            self.append(t.start, t.end, t.speaker, t.participant, t.is_interviewer, t.timestamp)

    def _id(self, value: str | None) -> int:
        k = self._ids.get(value)
        if k is None:
            k = self._ids[value] = len(self._values)
            self._values.append(value)
        return k

    def append(self, start: int, end: int, speaker: str | None = None, participant: str | None = None,
               is_interviewer: bool = False, timestamp: str | None = None) -> None:
        """Add a turn (while the document is being made; a document's turns are not changed afterwards)."""
        self._start.append(start)
        self._end.append(end)
        self._speaker.append(self._id(speaker))
        self._participant.append(self._id(participant))
        self._interviewer.append(1 if is_interviewer else 0)
        self._timestamp.append(self._id(timestamp))

    def __len__(self) -> int:
        return len(self._start)

    def _turn(self, i: int) -> Turn:
        v = self._values
        return Turn(self._start[i], self._end[i], v[self._speaker[i]], v[self._participant[i]],
                    bool(self._interviewer[i]), v[self._timestamp[i]])

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return tuple(self._turn(j) for j in range(*i.indices(len(self))))
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("turn index out of range")
        return self._turn(i)

    def __iter__(self) -> Iterator[Turn]:
        for i in range(len(self)):
            yield self._turn(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Turns, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Turns({tuple(self)!r})"


@dataclass(frozen=True, slots=True)  # slots: a table of answers makes a million
class Document:
    """A transcript, observation note or other text, normalised (NFC, ``\\n`` line endings)."""

    name: str
    text: str
    source_type: str = "interview"
    language: str | None = None
    participant: str | None = None
    date: str | None = None
    path: str | None = None
    turns: tuple[Turn, ...] | Turns = ()  # Turns for documents made by the readers
    attributes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def words(self) -> int:
        """``len(text.split())``, counted a slice at a time so a long text is not turned into a list of words."""
        text, n, i, step = self.text, 0, 0, 1 << 20
        while i < len(text):
            j = min(i + step, len(text))
            while j < len(text) and not text[j].isspace():  # end the slice between two words
                j += 1
            n += len(text[i:j].split())
            i = j
        return n


@dataclass(frozen=True)
class Participant:
    """A case: a person who was interviewed, observed or surveyed."""

    id: str
    role: str | None = None
    attributes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


# --------------------------------------------------------------------------- coding

CODING_STATUSES = ("suggested", "accepted", "rejected", "manual")
#: The coder name of auto-coding suggestions (rules and the learned model). A person who accepts or recodes a
#: suggestion becomes its coder; ``auto`` then stays only in the coding's ``suggested_by`` field.
AUTO_CODER = "auto"
#: What counting commands count by default: the researcher's decisions, never unreviewed suggestions.
DEFAULT_STATUSES = ("accepted", "manual")
#: Every status that can count as a finding (``all`` where codings are counted): all but rejected suggestions.
COUNTED_STATUSES = ("suggested", "accepted", "manual")
UNITS = ("sentence", "turn", "paragraph")


@dataclass(frozen=True)
class Suggestion:
    """A codebook rule that fired in one unit of a document (what ``autocode`` turns into a coding).

    ``start``/``end`` are the unit's character offsets in the stored text; ``match_start``/``match_end`` those of
    the matched words; ``polarity`` is ``"negative"`` when a negation governs the match, else ``"positive"``.
    A suggestion of the learned model has ``rule`` ``"model:vN"`` and the whole unit as its match.
    """

    code: str
    start: int
    end: int
    match_start: int
    match_end: int
    matched: str
    rule: str
    polarity: str = "positive"
    unit: str = "sentence"
    origin: str | None = None  # the rule id, "model:vN", or "<rule id>+model:vN" when both found it
    confidence: float | None = None  # in [0, 1]: the model's probability, else the rule's record of acceptance


@dataclass(frozen=True)
class Coding:
    """A code applied to a span of a document by a coder (a person, or ``auto``)."""

    document: str
    code: str
    start: int
    end: int
    status: str = "manual"
    coder: str = "auto"
    id: int | None = None
    rule: str | None = None
    polarity: str = "positive"
    text: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class MergeConflict:
    """The same coding (document, code, span, coder) here and in the other copy with another status: this
    project's decision (``here``, on coding ``coding_id``) was kept; ``theirs`` is the other copy's status, at
    ``where`` (``FILE:LINE`` or ``OTHER.db:coding N``). Resolve it with ``tematik code accept/reject --id``."""

    where: str
    document: str
    code: str
    start: int
    end: int
    coder: str
    here: str
    theirs: str
    coding_id: int


# --------------------------------------------------------------------------- codebook (see codebook.py)

MATCH_MODES = ("lemma", "lower")  # how a term is compared: normalised lemma, or lower-cased word form
RULE_KINDS = ("term", "pattern", "exclude")
FACTOR_DIRECTIONS = ("positive", "negative", "mixed")


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as ``file:line: field: message``."""

    message: str
    path: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        return where + (f"{self.field}: " if self.field else "") + self.message


@dataclass(frozen=True)
class MatchRule:
    """One matching rule of a code in one language; ``id`` (e.g. ``trust/id/term:percaya``) is stored as the
    coding's ``rule``.

    ``kind`` is ``term`` (a word or phrase in ``text``, compared per ``match``: ``lemma`` or ``lower``),
    ``pattern`` (a spaCy Matcher token pattern, plain data) or ``exclude`` (a phrase or a pattern that cancels
    a match of the same code when found within ``window`` tokens of it: ``0`` = overlapping the match,
    ``None`` = anywhere in the same sentence).
    """

    id: str
    code: str
    language: str
    kind: str
    text: str = ""
    match: str = "lemma"
    pattern: tuple = field(default=(), hash=False)  # tuple of token dicts, e.g. ({"LOWER": "saling"}, ...)
    window: int | None = 0
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Example:
    """An example for coders: ``typical`` (the code applies) or ``counter`` (it looks alike but does not)."""

    text: str
    language: str
    kind: str = "typical"
    note: str | None = None


@dataclass(frozen=True)
class FactorLink:
    """A theme's expected link to a questionnaire factor (``direction``: positive, negative or mixed)."""

    factor: str
    direction: str | None = None
    rationale: str | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Code:
    """A code (theme) of a codebook. Text fields are keyed by language (``{"id": ..., "en": ...}``)."""

    id: str
    name: dict[str, str] = field(default_factory=dict, hash=False)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    parent: str | None = None
    colour: str | None = None
    definition: dict[str, str] = field(default_factory=dict, hash=False)
    inclusion: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    exclusion: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    examples: tuple[Example, ...] = ()
    rules: tuple[MatchRule, ...] = ()
    factors: tuple[FactorLink, ...] = ()
    line: int | None = field(default=None, compare=False)

    def label(self, language: str | None = None) -> str:
        """The display name in ``language`` (falling back to any name, then the id)."""
        if language and language in self.name:
            return self.name[language]
        return next(iter(self.name.values()), self.id)

    def rules_for(self, language: str, kind: str | None = None) -> tuple[MatchRule, ...]:
        return tuple(r for r in self.rules if r.language == language and (kind is None or r.kind == kind))


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: metadata and codes in file order."""

    name: str
    version: str
    languages: tuple[str, ...]
    codes: tuple[Code, ...]
    description: str | None = None
    factors: tuple[str, ...] = ()  # the questionnaire factor ids that codes may link to
    path: str | None = field(default=None, compare=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.codes)

    def code(self, code_id: str) -> Code:
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(code_id)

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        """Codes whose parent is ``code_id`` (``None``: the top-level codes)."""
        return tuple(c for c in self.codes if c.parent == code_id)

    def rules(self, language: str | None = None) -> tuple[MatchRule, ...]:
        return tuple(r for c in self.codes for r in c.rules if language is None or r.language == language)
