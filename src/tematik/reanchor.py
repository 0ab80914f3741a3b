"""Move coded spans from an old version of a text onto an edited one (``import --replace``).

Pure functions over two normalised texts (see ``corpus.normalise``: both sides must be in the same normal form,
which is how CRLF/LF differences disappear before anything is compared).

The alignment is a character-level map built with the standard library's ``difflib.SequenceMatcher`` in three
passes, each on the parts the previous one could not match: lines (paragraphs: fast, and what most edits leave
intact), then word tokens inside changed lines, then characters inside a changed word group whose old and new
forms are alike (a corrected spelling). Characters of unlike replacements are not aligned, so a passage that was
rewritten or deleted is not "kept" by chance letters.

A span then keeps the characters of it that were aligned; it is

* ``unchanged``: same offsets, same text;
* ``moved``: same text at other offsets (text was inserted or deleted elsewhere);
* ``changed``: at least ``min_kept`` of its non-blank characters survive, but its text was edited; the new span
  runs from its first to its last surviving character, widened to whole words where the old span ended on a
  word boundary;
* ``lost``: less than that survives (the passage was deleted or rewritten), unless the passage, unique in the
  old text, occurs exactly once in the new text too (a paragraph moved out of order): then it is ``moved``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

STATUSES = ("unchanged", "moved", "changed", "lost")

_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")
#: token sequences longer than this use difflib's "popular element" heuristic (a blank is not a seed to match on)
_AUTOJUNK_TOKENS = 5000
#: character alignment inside a replaced token group only when old and new are at least this alike
_ALIKE = 0.6
#: ... and not bigger than this (characters on each side): a corrected word or phrase, not a rewritten paragraph
_CHAR_LIMIT = 400
#: a lost passage is looked for elsewhere (moved out of order) only when it has this many non-blank characters
_MIN_RELOCATE = 8


@dataclass(frozen=True)
class Anchor:
    """Where a span of the old text lies in the new one (``start``/``end`` are None when it is lost)."""

    status: str
    start: int | None
    end: int | None
    kept: float  # share of the old span's non-blank characters found again (0..1)


class OffsetMap:
    """Aligned character blocks ``(old_start, new_start, length)`` between two texts, in text order."""

    def __init__(self, old: str, new: str) -> None:
        self.old = old
        self.new = new
        blocks: list[tuple[int, int, int]] = []
        _lines(old, new, blocks)
        blocks.sort()
        merged: list[tuple[int, int, int]] = []
        for a, b, n in blocks:
            if n <= 0:
                continue
            if merged and merged[-1][0] + merged[-1][2] == a and merged[-1][1] + merged[-1][2] == b:
                pa, pb, pn = merged[-1]
                merged[-1] = (pa, pb, pn + n)
            else:
                merged.append((a, b, n))
        self.blocks = merged
        self._starts = [a for a, _, _ in merged]

    def position(self, i: int) -> int | None:
        """The new offset of old character ``i``, or None when it was deleted or replaced."""
        k = bisect.bisect_right(self._starts, i) - 1
        if k >= 0:
            a, b, n = self.blocks[k]
            if a <= i < a + n:
                return b + (i - a)
        return None

    def anchor(self, start: int, end: int, *, min_kept: float = 0.5) -> Anchor:
        """Where the old span ``start:end`` is in the new text."""
        first = last = None
        kept = 0
        k = max(bisect.bisect_right(self._starts, start) - 1, 0)
        old = self.old
        while k < len(self.blocks):
            a, b, n = self.blocks[k]
            if a >= end:
                break
            lo, hi = max(a, start), min(a + n, end)
            if lo < hi:
                if first is None:
                    first = b + (lo - a)
                last = b + (hi - a)
                kept += sum(1 for ch in old[lo:hi] if not ch.isspace())
            k += 1
        total = sum(1 for ch in old[start:end] if not ch.isspace()) or 1
        share = kept / total
        if first is None or share < min_kept:
            return Anchor("lost", None, None, round(share, 3))
        wide = self._widen(start, end, first, last)
        if wide == (first, last) and self.new[first:last] == old[start:end]:
            return Anchor("unchanged" if (first, last) == (start, end) else "moved", first, last, 1.0)
        first, last = wide
        text = self.new[first:last]
        # trim blanks the edit left at the edges
        first += len(text) - len(text.lstrip())
        last -= len(text) - len(text.rstrip())
        if last <= first:
            return Anchor("lost", None, None, round(share, 3))
        return Anchor("changed", first, last, round(share, 3))

    def _widen(self, start: int, end: int, first: int, last: int) -> tuple[int, int]:
        """Grow a changed span to whole words where the old one began/ended on a word boundary."""
        old, new = self.old, self.new
        if not (start > 0 and _word(old[start - 1]) and _word(old[start])):
            while first > 0 and _word(new[first - 1]) and _word(new[first]):
                first -= 1
        if not (end < len(old) and _word(old[end - 1]) and _word(old[end])):
            while last < len(new) and _word(new[last - 1]) and _word(new[last]):
                last += 1
        return first, last


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def reanchor(old: str, new: str, spans: Iterable[tuple[int, int]], *, min_kept: float = 0.5) -> list[Anchor]:
    """Anchor each old ``(start, end)`` span in ``new`` (one alignment for all of them)."""
    spans = list(spans)
    if old == new:
        return [Anchor("unchanged", s, e, 1.0) for s, e in spans]
    mapping = OffsetMap(old, new)
    out = []
    for s, e in spans:
        a = mapping.anchor(s, e, min_kept=min_kept)
        if a.status == "lost":
            a = _relocated(old, new, s, e) or a
        out.append(a)
    return out


def _relocated(old: str, new: str, start: int, end: int) -> Anchor | None:
    """A passage the in-order alignment lost because it was moved (a paragraph cut and pasted elsewhere):
    found again only when it occurs exactly once in the old text and once in the new one."""
    passage = old[start:end]
    if sum(1 for ch in passage if not ch.isspace()) < _MIN_RELOCATE or old.count(passage) != 1 \
            or new.count(passage) != 1:
        return None
    at = new.index(passage)
    return Anchor("moved", at, at + len(passage), 1.0)


# --------------------------------------------------------------------------- the three alignment passes


def _opcodes(a: Sequence[str], b: Sequence[str], autojunk: bool = False):
    return SequenceMatcher(None, a, b, autojunk=autojunk).get_opcodes()


def _offsets(parts: Sequence[str], base: int) -> list[int]:
    out = [base]
    for p in parts:
        out.append(out[-1] + len(p))
    return out


def _lines(old: str, new: str, out: list[tuple[int, int, int]]) -> None:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    oa, ob = _offsets(a, 0), _offsets(b, 0)
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            out.append((oa[i1], ob[j1], oa[i2] - oa[i1]))
        elif tag == "replace":
            _tokens(old[oa[i1]:oa[i2]], new[ob[j1]:ob[j2]], oa[i1], ob[j1], out)


def _tokens(old: str, new: str, abase: int, bbase: int, out: list[tuple[int, int, int]]) -> None:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    oa, ob = _offsets(a, abase), _offsets(b, bbase)
    for tag, i1, i2, j1, j2 in _opcodes(a, b, autojunk=len(b) > _AUTOJUNK_TOKENS):
        if tag == "equal":
            out.append((oa[i1], ob[j1], oa[i2] - oa[i1]))
        elif tag == "replace":
            _chars(old[oa[i1] - abase:oa[i2] - abase], new[ob[j1] - bbase:ob[j2] - bbase], oa[i1], ob[j1], out)


def _chars(old: str, new: str, abase: int, bbase: int, out: list[tuple[int, int, int]]) -> None:
    if len(old) > _CHAR_LIMIT or len(new) > _CHAR_LIMIT:
        return
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < _ALIKE:
        return
    for a, b, n in matcher.get_matching_blocks():
        if n:
            out.append((abase + a, bbase + b, n))


# --------------------------------------------------------------------------- speaker mappings across a replace


def keep_speakers(doc, previous: dict[str, tuple[str | None, bool]]):
    """Give turns whose label the new import left unmapped the mapping the label had in the project before
    (what ``tematik speakers set`` fixed), so replacing an edited file does not undo that fix.

    ``previous``: label (case-insensitive) -> (participant, is_interviewer), for labels that mapped somewhere.
    Returns the document (with new turns where something was kept) and the ``LABEL=TARGET`` strings kept.
    """
    from dataclasses import replace

    folded = {k.casefold(): v for k, v in previous.items()}
    kept: dict[str, str] = {}
    turns = []
    for t in doc.turns:
        old = folded.get(t.speaker.casefold()) if t.speaker else None
        if old is not None and t.participant is None and not t.is_interviewer:
            participant, interviewer = old
            t = replace(t, participant=None if interviewer else participant, is_interviewer=interviewer)
            kept[t.speaker] = "interviewer" if interviewer else str(participant)
        turns.append(t)
    if not kept:
        return doc, []
    return replace(doc, turns=tuple(turns)), [f"{label}={target}" for label, target in kept.items()]
