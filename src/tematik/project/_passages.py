"""Passages of a document named the way a researcher reads them: sentence and turn numbers, ranges and lists.

``--sentence 6-8`` is one passage (from the start of sentence 6 to the end of sentence 8, as selecting those
lines would make it); ``--sentence 2,4-6`` is two passages (sentence 2, sentences 4 to 6); with ``each`` every
unit of a range is a passage of its own. Numbers are 1-based, as ``tematik show DOC --units sentence|turn``
numbers the units. Used by ``code add`` and ``memo add`` (no store, no printing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tematik.errors import InputError
from tematik.models import Document

_ITEM = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


@dataclass(frozen=True)
class Passage:
    """A span of a document and how it was named (``sentence 6-8``, ``turn 3``, ``span 10:42``)."""

    start: int
    end: int
    label: str


def unit_spans(doc: Document, kind: str) -> list[tuple[int, int]]:
    """The (start, end) of each sentence or turn of ``doc``, numbered as ``tematik show DOC --units KIND`` numbers
    them (turns: the transcript's speaker turns; a document without turns: its paragraphs)."""
    from tematik import nlp

    if kind == "turn" and doc.turns:
        return [(t.start, t.end) for t in doc.turns]
    return nlp.units(doc, kind)


def _items(value: Any) -> list[Any]:
    """The items of ``6``, ``"6-8"``, ``"3,5"``, ``[2, "4-6"]``, ``range(4, 7)``: ints, strings and ranges."""
    if isinstance(value, bool):
        return [value]  # refused below
    if isinstance(value, (int, range)):
        return [value]
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, Iterable):
        out: list[Any] = []
        for v in value:
            out += _items(v) if isinstance(v, str) else [v]
        return out
    return [value]


def parse_numbers(value: Any, kind: str, count: int, doc_name: str) -> list[tuple[int, int]]:
    """The (first, last) unit numbers of each item of ``value`` (see the module), checked against the ``count``
    units of the document: InputError on ``--KIND`` naming the document's number of units."""
    field = f"--{kind}"
    has = f"{doc_name} has {count} {kind}{'' if count == 1 else 's'}"
    items = _items(value)
    if not items:
        raise InputError(f"no {kind} number given ({has})", field=field)
    out = []
    for item in items:
        if isinstance(item, range):
            if len(item) == 0 or item.step != 1:
                raise InputError(f"expected a range of consecutive {kind}s, got {item!r} ({has})", field=field)
            first, last = item.start, item.stop - 1
        elif isinstance(item, int) and not isinstance(item, bool):
            first = last = item
        else:
            m = _ITEM.fullmatch(item) if isinstance(item, str) else None
            if m is None:
                raise InputError(f"expected a number, a range such as 6-8 or a list such as 2,4-6; got {item!r} "
                                 f"({has})", field=field)
            first = int(m.group(1))
            last = int(m.group(2)) if m.group(2) else first
            if last < first:
                raise InputError(f"the range {item.strip()} runs backwards (write {last}-{first}); {has}",
                                 field=field)
        if first < 1:
            raise InputError(f"{kind}s are numbered from 1; got {first} ({has})", field=field)
        if last > count:
            raise InputError(f"{has}; got {last}", field=field)
        out.append((first, last))
    return out


def passages(doc: Document, kind: str, value: Any, *, each: bool = False) -> list[Passage]:
    """The passages named by ``value`` (``--sentence`` / ``--turn``): one per range or number, or with ``each``
    one per unit. Two items naming the same passage are refused (InputError)."""
    spans = unit_spans(doc, kind)
    out: list[Passage] = []
    for first, last in parse_numbers(value, kind, len(spans), doc.name):
        if each:
            out += [Passage(*spans[n - 1], f"{kind} {n}") for n in range(first, last + 1)]
        else:
            out.append(Passage(spans[first - 1][0], spans[last - 1][1],
                               f"{kind} {first}" if first == last else f"{kind}s {first}-{last}"))
    seen: dict[tuple[int, int], str] = {}
    for p in out:
        if (p.start, p.end) in seen:
            raise InputError(f"{p.label} is given twice (also as {seen[(p.start, p.end)]})", field=f"--{kind}")
        seen[(p.start, p.end)] = p.label
    return out


def parse_span(span: Any, doc: Document) -> tuple[int, int]:
    """``"START:END"`` or (start, end) character offsets inside ``doc`` (InputError on ``--span``)."""
    try:
        start, end = (int(x) for x in (span.split(":") if isinstance(span, str) else span))
    except (ValueError, TypeError):
        raise InputError(f"expected START:END, got {span!r}", field="--span") from None
    if not 0 <= start < end <= len(doc.text):
        raise InputError(f"span {start}:{end} is outside document {doc.name!r} (0:{len(doc.text)})",
                         field="--span")
    return start, end


def interviewer_note(doc: Document, start: int, end: int) -> str | None:
    """Why a passage in an interviewer turn will not count as the researcher may expect, or None.

    The counts (``freq`` and the others) give a coding to the turn it starts in (see :mod:`tematik.analysis`):
    one that starts in an interviewer turn is left out unless ``--include-interviewer``; one that starts in a
    respondent's turn and runs into an interviewer turn counts for the respondent, interviewer text and all."""
    turns = list(doc.turns or ())
    if not turns:
        return None
    hit = [(n, t) for n, t in enumerate(turns, start=1) if t.is_interviewer and t.start < end and start < t.end]
    if not hit:
        return None
    starts_in = next(((n, t) for n, t in enumerate(turns, start=1) if t.start <= start < t.end), None)
    if starts_in is None:  # on a speaker label: the turn it runs into (as the counts do)
        starts_in = next(((n, t) for n, t in enumerate(turns, start=1) if start < t.start < end), None)

    def name(n: int, t: Any) -> str:
        return f"turn {n}" + (f" ({t.speaker})" if t.speaker else "")

    names = ", ".join(name(n, t) for n, t in hit)
    wholly = all(not (t.start < end and start < t.end) or t.is_interviewer for t in turns)
    extent = "lies in" if wholly else "lies partly in"
    if starts_in is not None and starts_in[1].is_interviewer:
        return (f"[{start}:{end}] {extent} interviewer {names}: freq and the other counts leave a coding that "
                "starts in an interviewer turn out unless --include-interviewer")
    return (f"[{start}:{end}] {extent} interviewer {names}: it is counted for {name(*starts_in)} "
            "(where it starts), interviewer text included" if starts_in else
            f"[{start}:{end}] {extent} interviewer {names}")
