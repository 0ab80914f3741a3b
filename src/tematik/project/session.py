"""A coding session: what the full-screen workbench (``tematik code open``, ``tematik review``) does, without a UI.

A :class:`CodingSession` holds one researcher's place in a project: the documents and which one is open, its
units (sentences, turns or paragraphs) with every coding on each, a cursor (a unit, or a word inside it) and a
selection, the codebook's codes numbered 1-9 (after an optional filter), the open suggestions, and an undo stack
of what this session did. Every change goes through one :class:`tematik.project.Project` method and is committed
(with its audit-log entry) when the method returns, so a session that is killed loses nothing.

The calls that change the project are few and in one place each (see ``_add``, ``_remove``, ``_accept``,
``_reject``, ``_recode``, ``_undo_decision``, ``_memo``), so they can follow the API as it changes.

    with tematik.open("study.db") as p:
        s = CodingSession(p, "nurse_a", coder="ana")
        s.down(); s.toggle(1)        # code the second sentence with the first code (or remove it again)
        s.next_suggestion(); s.accept()
        s.undo()
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.models import AUTO_CODER
from tematik.project._base import choice

if TYPE_CHECKING:
    from tematik.models import Document
    from tematik.project import Project

UNITS = ("sentence", "turn", "paragraph")
#: the statuses the workbench shows beside the text (rejected suggestions are remembered, not shown)
SHOWN = ("suggested", "accepted", "manual")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Unit:
    """One unit of the open document: its number (1-based, as ``tematik show --units`` numbers them), span,
    speaker, whether it is the interviewer's, the turn it is in, and whether it opens that turn."""

    n: int
    start: int
    end: int
    speaker: str | None
    interviewer: bool
    turn: int  # index of the turn the unit starts in (-1: none)
    turn_start: bool  # the first unit of its turn: the workbench shows the speaker's label here
    words: tuple[tuple[int, int], ...]  # the spans of its words


@dataclass(frozen=True)
class Mark:
    """A coding on the open document: id, code, span, status, coder, rule, and for a suggestion where it came
    from (``origin``: rule id or ``model:vN``) and its ``confidence``."""

    id: int
    code: str
    start: int
    end: int
    status: str
    coder: str
    rule: str | None = None
    origin: str | None = None
    confidence: float | None = None
    colour: str | None = None
    polarity: str = "positive"

    @property
    def pending(self) -> bool:
        return self.status == "suggested"

    def describe(self) -> str:
        """``?workload · rule workload/en/term:overtime · confidence 0.82`` for a suggestion,
        ``workload · accepted by ana · from workload/en/term:overtime`` for a coding."""
        origin = self.origin or self.rule
        if self.pending:
            return " · ".join(x for x in (f"?{self.code}", "negated" if self.polarity == "negative" else "",
                                          f"rule {origin}" if origin else "suggested",
                                          f"confidence {self.confidence:.2f}" if self.confidence is not None
                                          else "") if x)
        parts = [self.code, f"{self.status} by {self.coder}"]
        if self.status == "accepted" and origin:
            parts.append(f"from {origin}")
        return " · ".join(parts)


@dataclass(frozen=True)
class CodeEntry:
    """A code of the codebook as the side panel lists it: id, name, and the names and labels a filter matches."""

    id: str
    name: str
    colour: str | None = None
    definition: str | None = None
    search: str = ""


@dataclass(frozen=True)
class Action:
    """What one session step did: ``kind`` (added, removed, accepted, rejected, recoded, memo, undone), the
    coding (id, code, span) and a one-line ``message``; ``decision`` is the review decision (for undo) and
    ``status`` what a removed coding was."""

    kind: str
    message: str
    coding_id: int | None = None
    code: str | None = None
    document: str | None = None
    span: tuple[int, int] | None = None
    decision: Any = None  # tematik.project.coding.ReviewDecision
    status: str | None = None


@dataclass
class ReviewState:
    """The queue of a review session: the open suggestions in order, where it is, what was skipped."""

    items: list[dict[str, Any]]
    index: int = 0
    skipped: int = 0
    decided: list[int] = field(default_factory=list)  # indexes decided, for undo

    @property
    def done(self) -> bool:
        return self.index >= len(self.items)

    @property
    def current(self) -> dict[str, Any] | None:
        return None if self.done else self.items[self.index]


class CodingSession:
    """One researcher coding a project, document by document (see the module's docstring).

    ``doc``: the document to open first (name or id; default: where this coder last coded, see :meth:`resume`,
    else the first); ``coder``: who codes (default
    ``$TEMATIK_CODER`` or the OS user); ``unit``: sentence, turn or paragraph; ``review``: open the queue of open
    suggestions (a dict of :meth:`Project.review_queue` options: ``code``, ``doc``, ``order``) and put the cursor
    on the first one."""

    def __init__(self, project: Project, doc: str | int | None = None, *, coder: str | None = None,
                 unit: str = "sentence", review: dict[str, Any] | None = None) -> None:
        from tematik.project.coding import default_coder

        self.p = project
        self.coder = coder or default_coder()
        self.unit = choice(unit, UNITS, "--unit", "unit")
        frame = project.docs()
        self.documents: list[str] = [str(n) for n in frame["name"]] if len(frame) else []
        if not self.documents:
            raise NotFound("no documents in this project; import some with `tematik import FILES`")
        self.codes: list[CodeEntry] = self._read_codes()
        self.filter = ""
        self.history: list[Action] = []
        self.memos = 0  # memos written in this session
        self._heard: list[str] = []  # warnings of the API calls of the step being done
        self.message = ""
        self.doc_index = 0
        self.document: Document
        self.units: list[Unit] = []
        self._by_unit: list[list[Mark]] = []
        self.marks: list[Mark] = []
        self.cursor = 0  # the unit under the cursor
        self.word: int | None = None  # a word of the cursor's unit (index into its words), or None: the unit
        self.anchor: tuple[int, int | None] | None = None  # where the selection started (unit, word)
        self.focus = 0  # which mark of the cursor's unit the detail line shows (tab cycles)
        self.review: ReviewState | None = None
        if review is not None:
            queue = project.review_queue(**review)
            self.review = ReviewState(list(queue.items))
            first = self.review.current
            if first is not None:
                self.open(first["document"])
            else:
                self.open(doc) if doc is not None else self._open_index(0)
            self._show_review_item()
        elif doc is not None:
            self.open(doc)
        else:
            self.resume()

    def resume(self) -> None:
        """Open the document this coder last changed a coding in, with the cursor on that coding's unit (the
        first document when they have coded nothing yet), so that a session the next day goes on where the last
        one stopped. Says where in :attr:`message`."""
        log = self.p.log(entity="coding", who=self.coder, limit=200)
        recent = [int(i) for i in log["entity_id"] if str(i).isdigit()] if len(log) else []
        place = None
        if recent:
            mine = self.p.codings(coder=self.coder)
            where = {int(r["id"]): (r["document"], int(r["start"])) for r in mine.to_dict("records")}
            place = next((where[i] for i in recent if i in where), None)
        if place is None or place[0] not in self.documents:
            self._open_index(0)
            return
        self._open_index(self.documents.index(place[0]))
        self._goto_span((place[1], place[1] + 1))
        self.message = f"back where {self.coder} last coded: {self.where()} of {self.name}"

    # ------------------------------------------------------------------ reading the project
    def _read_codes(self) -> list[CodeEntry]:
        from tematik.errors import TematikError

        try:
            frame = self.p.show_codebook()
        except NotFound:
            return []
        labels: dict[str, str] = {}
        colours: dict[str, str | None] = {}
        try:  # names in every language and the labels, for the filter (a QDC codebook has none: ids and names)
            for c in self.p.codebook().codes:
                labels[c.id] = " ".join([*c.name.values(), *(x for v in c.labels.values() for x in v)])
                colours[c.id] = c.colour
        except TematikError:
            pass
        out = []
        for row in frame.to_dict("records"):
            if not row["active"]:
                continue
            name = str(row["name"] or row["id"])
            out.append(CodeEntry(row["id"], name, colours.get(row["id"]), row.get("definition"),
                                 f"{row['id']} {name} {labels.get(row['id'], '')}".lower()))
        return out

    def open(self, doc: str | int) -> None:
        """Open a document (by name or id, as ``tematik show`` takes it; NotFound for an unknown one)."""
        if isinstance(doc, str) and doc in self.documents:
            self._open_index(self.documents.index(doc))
        else:
            self._open_index(self.documents.index(self.p.show(doc, codings=False).document.name))

    def _open_index(self, index: int) -> None:
        self.doc_index = index
        self.cursor, self.word, self.anchor, self.focus = 0, None, None, 0
        self.reload(units=True)

    def reload(self, *, units: bool = False) -> None:
        """Read the open document's codings again (after every change); ``units``: also its text and units (when
        it is opened)."""
        name = self.documents[self.doc_index]
        view = self.p.show(name, units=self.unit if units or not self.units else None, status="all")
        if view.units is not None:
            self._read_units(view)
        extra = self._suggestion_details(name)
        colours = {c.id: c.colour for c in self.codes}
        self.marks = [Mark(int(m["id"]), m["code"], int(m["start"]), int(m["end"]), m["status"], m["coder"],
                           m.get("rule"), *extra.get(int(m["id"]), (None, None)), m.get("colour") or
                           colours.get(m["code"]), m.get("polarity") or "positive")
                      for m in view.marks if m["status"] in SHOWN]
        self._by_unit = self._index_marks()
        self.cursor = min(self.cursor, max(len(self.units) - 1, 0))

    def _index_marks(self) -> list[list[Mark]]:
        """The codings overlapping each unit (a long transcript redraws without comparing every pair)."""
        import bisect

        starts = [u.start for u in self.units]
        out: list[list[Mark]] = [[] for _ in self.units]
        for m in self.marks:
            i = max(bisect.bisect_right(starts, m.start) - 1, 0)
            while i < len(self.units) and self.units[i].start < m.end:
                if m.start < self.units[i].end:
                    out[i].append(m)
                i += 1
        return out

    def _read_units(self, view: Any) -> None:
        self.document = view.document
        text = self.document.text
        turns = list(self.document.turns or ())
        units: list[Unit] = []
        seen_turns: set[int] = set()
        t = 0
        for row in view.units.to_dict("records"):
            start, end = int(row["start"]), int(row["end"])
            while t < len(turns) and turns[t].end <= start:  # units and turns are both in text order
                t += 1
            turn = t if t < len(turns) and turns[t].start <= start else -1
            words = tuple((start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end]))
            units.append(Unit(int(row["n"]), start, end, row["speaker"], bool(row["interviewer"]), turn,
                              turn >= 0 and turn not in seen_turns, words or ((start, end),)))
            seen_turns.add(turn)
        self.units = units

    def _suggestion_details(self, name: str) -> dict[int, tuple[str | None, float | None]]:
        """Origin and confidence of the open suggestions of a document, by coding id."""
        frame = self.p.codings(doc=name, status="suggested")
        return {int(r["id"]): (r["origin"], None if r["confidence"] is None or r["confidence"] != r["confidence"]
                               else float(r["confidence"])) for r in frame.to_dict("records")}

    # ------------------------------------------------------------------ what is where
    @property
    def name(self) -> str:
        return self.documents[self.doc_index]

    def marks_in(self, start: int, end: int) -> list[Mark]:
        """The codings overlapping a span, in text order."""
        return [m for m in self.marks if m.start < end and start < m.end]

    def marks_of(self, unit: int) -> list[Mark]:
        """The codings overlapping one unit (by its index), in text order."""
        return self._by_unit[unit]

    def here(self) -> list[Mark]:
        """The codings on the cursor's unit (or the selection): suggestions first, then in text order."""
        if not self.units:
            return []
        start, end = self.span()
        found = self.marks_in(start, end)
        item = self.review.current if self.review is not None else None
        return sorted(found, key=lambda m: (item is None or m.id != item["id"], not m.pending, m.start, m.end,
                                            m.id))

    def current_mark(self) -> Mark | None:
        """The coding the detail line shows (tab cycles through those of the unit)."""
        found = self.here()
        return found[self.focus % len(found)] if found else None

    def current_suggestion(self) -> Mark | None:
        """The suggestion ``a`` / ``r`` decide: the focused coding if it is a suggestion, else the first suggestion
        on the unit (in review mode the one under review comes first while the cursor is on it)."""
        mark = self.current_mark()
        if mark is not None and mark.pending:
            return mark
        return next((m for m in self.here() if m.pending), None)

    def cycle(self) -> Mark | None:
        """Show the next coding of the unit in the detail line."""
        self.focus += 1
        return self.current_mark()

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per code: (accepted and manual codings, open suggestions) in the open document."""
        out: dict[str, list[int]] = {}
        for m in self.marks:
            c = out.setdefault(m.code, [0, 0])
            c[1 if m.pending else 0] += 1
        return {k: (v[0], v[1]) for k, v in out.items()}

    # ------------------------------------------------------------------ codes, numbered
    def visible_codes(self) -> list[CodeEntry]:
        """The codes the side panel lists (those matching the filter); the first nine are numbered 1-9."""
        words = self.filter.lower().split()
        return [c for c in self.codes if all(w in c.search for w in words)]

    def numbered(self) -> list[CodeEntry]:
        return self.visible_codes()[:9]

    def set_filter(self, text: str) -> list[CodeEntry]:
        self.filter = text.strip()
        return self.visible_codes()

    def resolve(self, code: int | str) -> str:
        """A code id from its number in the side panel (1-9) or its id / name."""
        if isinstance(code, int) or (isinstance(code, str) and code.isdigit()):
            n = int(code)
            numbered = self.numbered()
            if not 1 <= n <= len(numbered):
                raise InputError(f"no code number {n} (the list shows {len(numbered)})")
            return numbered[n - 1].id
        for c in self.codes:
            if code in (c.id,) or c.name.lower() == str(code).lower():
                return c.id
        raise NotFound(f"no code {code!r}")

    # ------------------------------------------------------------------ the cursor and the selection
    def _move_to(self, unit: int, word: int | None = None, *, extend: bool = False) -> None:
        if not self.units:
            return
        if extend and self.anchor is None:
            self.anchor = (self.cursor, self.word)
        elif not extend and not self.selecting:
            self.anchor = None
        self.cursor = max(0, min(unit, len(self.units) - 1))
        self.word = word
        self.focus = 0

    selecting = False  # `v` pressed: moves extend the selection until it is used or cancelled

    def down(self, n: int = 1, *, extend: bool = False) -> None:
        self._move_to(self.cursor + n, extend=extend)

    def up(self, n: int = 1, *, extend: bool = False) -> None:
        self._move_to(self.cursor - n, None, extend=extend)

    def next_turn(self, *, extend: bool = False) -> None:
        """To the first unit of the next turn."""
        here = self.units[self.cursor].turn if self.units else -1
        target = next((i for i in range(self.cursor + 1, len(self.units)) if self.units[i].turn != here),
                      len(self.units) - 1)
        self._move_to(target, extend=extend)

    def prev_turn(self, *, extend: bool = False) -> None:
        """To the first unit of this turn, or of the previous one when already there."""
        if not self.units:
            return
        i = self.cursor
        if i > 0 and self.units[i - 1].turn == self.units[i].turn:
            while i > 0 and self.units[i - 1].turn == self.units[i].turn:
                i -= 1
        else:
            i = max(0, i - 1)
            while i > 0 and self.units[i - 1].turn == self.units[i].turn:
                i -= 1
        self._move_to(i, extend=extend)

    def right(self, *, extend: bool = False) -> None:
        """To the next word (the first of the unit when the cursor is on the whole unit)."""
        if not self.units:
            return
        if self.word is None:
            self._move_to(self.cursor, 0, extend=extend)
        elif self.word + 1 < len(self.units[self.cursor].words):
            self._move_to(self.cursor, self.word + 1, extend=extend)
        elif self.cursor + 1 < len(self.units):
            self._move_to(self.cursor + 1, 0, extend=extend)

    def left(self, *, extend: bool = False) -> None:
        """To the previous word (the last of the unit when the cursor is on the whole unit)."""
        if not self.units:
            return
        if self.word is None:
            self._move_to(self.cursor, len(self.units[self.cursor].words) - 1, extend=extend)
        elif self.word > 0:
            self._move_to(self.cursor, self.word - 1, extend=extend)
        elif self.cursor > 0:
            self._move_to(self.cursor - 1, len(self.units[self.cursor - 1].words) - 1, extend=extend)

    def goto(self, unit: int) -> None:
        self._move_to(unit)

    def toggle_select(self) -> None:
        """``v``: start a selection at the cursor (moves extend it), or drop it."""
        if self.anchor is None:
            self.anchor = (self.cursor, self.word)
            self.selecting = True
        else:
            self.clear_selection()

    def clear_selection(self) -> None:
        self.anchor = None
        self.selecting = False

    def _end_span(self, unit: int, word: int | None) -> tuple[int, int]:
        u = self.units[unit]
        return u.words[min(word, len(u.words) - 1)] if word is not None else (u.start, u.end)

    def span(self) -> tuple[int, int]:
        """What a code key codes: the selection, else the unit under the cursor."""
        here = self._end_span(self.cursor, self.word if self.anchor is not None else None)
        if self.anchor is None:
            return here
        there = self._end_span(*self.anchor)
        return min(here[0], there[0]), max(here[1], there[1])

    def selected_units(self) -> range:
        """The units the selection touches (just the cursor's without one)."""
        if self.anchor is None:
            return range(self.cursor, self.cursor + 1)
        a, b = sorted((self.anchor[0], self.cursor))
        return range(a, b + 1)

    def where(self) -> str:
        """``sentence 4`` or ``sentences 3-5`` or ``chars 120-180``: what the cursor or selection is on."""
        units = self.selected_units()
        start, end = self.span()
        if self.anchor is not None and self.anchor[1] is None and self.word is None:
            return f"{self.unit}s {units[0] + 1}-{units[-1] + 1}" if len(units) > 1 else \
                f"{self.unit} {units[0] + 1}"
        if self.anchor is None:
            return f"{self.unit} {self.cursor + 1}"
        return f"chars {start}-{end}"

    # ------------------------------------------------------------------ changes (each one Project call)
    @contextmanager
    def _listen(self) -> Iterator[None]:
        """The API's warnings during a call (e.g. a span in an interviewer turn), kept for the status line."""
        heard = self._heard

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                heard.append(record.getMessage())

        handler, logger = Keep(logging.WARNING), logging.getLogger("tematik")
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)

    def _add(self, code: str, span: tuple[int, int]) -> int:
        with self._listen():
            result = self.p.add_coding(self.name, code, span=span, coder=self.coder)
        first = getattr(result, "codings", None)  # a result holding several codings (ranges), or one coding
        return int(first[0].id if first else result.id)

    def _remove(self, coding_id: int) -> None:
        with self._listen():
            self.p.remove_coding(coding_id, coder=self.coder)

    def _accept(self, coding_id: int) -> Any:
        with self._listen():
            return self.p.review_accept(coding_id, coder=self.coder)

    def _reject(self, coding_id: int) -> Any:
        with self._listen():
            return self.p.review_reject(coding_id, coder=self.coder)

    def _recode(self, coding_id: int, code: str) -> Any:
        with self._listen():
            return self.p.review_recode(coding_id, code, coder=self.coder)

    def _undo_decision(self, decision: Any) -> None:
        with self._listen():
            self.p.review_undo(decision, coder=self.coder)

    def _memo(self, target: str, target_id: str | int, text: str, span: tuple[int, int] | None = None) -> Any:
        with self._listen():
            result = self.p.add_memo(target, target_id, text, coder=self.coder, span=span)
        self.memos += 1
        return result

    def _mine(self, m: Mark) -> bool:
        """A coding this coder may take back with a code key: theirs, or an accepted suggestion still under the
        auto-coder's name (before accepting made the reviewer its coder)."""
        return m.coder == self.coder or (m.status == "accepted" and m.coder == AUTO_CODER)

    def _done(self, action: Action, *, undoable: bool = True) -> Action:
        if undoable:
            self.history.append(action)
        self.message = action.message
        if self._heard:
            self.message += " · warning: " + "; ".join(self._heard)
            self._heard.clear()
        self.reload()
        return action

    def toggle(self, code: int | str, span: tuple[int, int] | None = None) -> Action:
        """A code key: on the span (default: the selection, else the unit under the cursor) remove this coder's
        coding of the code; else accept an open suggestion of it there; else add a manual coding. In review mode
        the key changes the code of the suggestion under review (see :meth:`recode`)."""
        code_id = self.resolve(code)
        if not self.units:
            raise InputError(f"{self.name} has no text to code")
        mark = self.current_suggestion()
        if span is None and self.review is not None and mark is not None and self._under_review(mark):
            return self.recode(code_id)
        span = span or self.span()
        same = [m for m in self.marks if m.code == code_id and (m.start, m.end) == tuple(span)]
        mine = next((m for m in same if not m.pending and self._mine(m)), None)
        self.clear_selection()
        if mine is not None:
            self._remove(mine.id)
            return self._done(Action("removed", f"removed {code_id} from {self._place(span)}", mine.id, code_id,
                                     self.name, tuple(span), status=mine.status))
        suggestion = next((m for m in same if m.pending), None)
        if suggestion is not None:
            decision = self._accept(suggestion.id)
            return self._done(Action("accepted", f"accepted the suggestion {code_id} on {self._place(span)}",
                                     suggestion.id, code_id, self.name, tuple(span), decision))
        cid = self._add(code_id, tuple(span))
        return self._done(Action("added", f"coded {self._place(span)} {code_id}", cid, code_id, self.name,
                                 tuple(span)))

    def _place(self, span: tuple[int, int]) -> str:
        for u in self.units:
            if (u.start, u.end) == tuple(span):
                return f"{self.unit} {u.n}"
        return f"chars {span[0]}-{span[1]}"

    def accept(self) -> Action | None:
        """Accept the suggestion under the cursor (review mode: the one under review, then the next)."""
        return self._decide("accepted")

    def reject(self) -> Action | None:
        """Reject the suggestion under the cursor (review mode: the one under review, then the next)."""
        return self._decide("rejected")

    def _under_review(self, mark: Mark) -> bool:
        return self.review is not None and self.review.current is not None and mark.id == self.review.current["id"]

    def _decide(self, kind: str) -> Action | None:
        mark = self.current_suggestion()
        if mark is None:
            self.message = "no open suggestion here (n: the next one)"
            return None
        queued = self._under_review(mark)
        decision = self._accept(mark.id) if kind == "accepted" else self._reject(mark.id)
        verb = "accepted" if kind == "accepted" else "rejected"
        action = self._done(Action(kind, f"{verb} {mark.code} on {self._place((mark.start, mark.end))}", mark.id,
                                   mark.code, self.name, (mark.start, mark.end), decision))
        if queued:
            self._advance_review()
        return action

    def recode(self, code: int | str) -> Action | None:
        """Give the suggestion under the cursor (review: under review) another code, and accept it."""
        mark = self.current_suggestion()
        if mark is None:
            self.message = "no open suggestion here to change"
            return None
        code_id = self.resolve(code)
        queued = self._under_review(mark)
        decision = self._recode(mark.id, code_id)
        action = self._done(Action("recoded", f"changed {mark.code} to {code_id} and accepted it", mark.id,
                                   code_id, self.name, (mark.start, mark.end), decision))
        if queued:
            self._advance_review()
        return action

    def memo(self, text: str) -> Action | None:
        """A memo on the coding under the cursor, else on the unit or selection (a memo on that passage of the
        document). Memos are not undone by :meth:`undo`."""
        if not text.strip():
            self.message = "empty memo: nothing written"
            return None
        if not self.units:
            raise InputError(f"{self.name} has no text to write a memo on; `tematik memo add document` does")
        mark = self.current_mark()
        if mark is not None:
            self._memo("coding", mark.id, text)
            return self._done(Action("memo", f"memo written on coding {mark.id} ({mark.code})", mark.id,
                                     mark.code, self.name), undoable=False)
        start, end = self.span()
        self._memo("document", self.name, text.strip(), span=(start, end))
        return self._done(Action("memo", f"memo written on {self.where()} of {self.name}", None, None, self.name,
                                 (start, end)), undoable=False)

    def undo(self) -> Action | None:
        """Take back the last change of this session: an added coding is removed, a removed one added back (as a
        manual coding), a decision undone."""
        if not self.history:
            self.message = "nothing to undo"
            return None
        last = self.history.pop()
        if last.document != self.name and last.document in self.documents:
            self._open_index(self.documents.index(last.document))
        if last.kind == "added":
            self._remove(last.coding_id)
        elif last.kind == "removed":
            new_id = self._add(last.code, last.span)
            # ids are never reused: the coding added back has a new one, which earlier steps now refer to
            self.history = [replace(a, coding_id=new_id) if a.coding_id == last.coding_id else a
                            for a in self.history]
        else:
            self._undo_decision(last.decision)
        self.reload()
        self._goto_span(last.span)
        if self.review is not None and last.kind in ("accepted", "rejected", "recoded"):
            self._review_back(last.coding_id)
        message = f"undone: {last.message}"
        if self._heard:
            message += " · warning: " + "; ".join(self._heard)
            self._heard.clear()
        self.message = message
        return Action("undone", message, last.coding_id, last.code, last.document, last.span)

    def _goto_span(self, span: tuple[int, int] | None) -> None:
        if span is None:
            return
        i = next((i for i, u in enumerate(self.units) if u.start <= span[0] < u.end), None)
        if i is not None:
            self.cursor, self.word, self.focus = i, None, 0

    # ------------------------------------------------------------------ suggestions and documents
    def next_suggestion(self, step: int = 1) -> Mark | None:
        """To the next (``step=-1``: previous) open suggestion after the cursor; past the last one of this
        document, to the first (last) of the next (previous) document that has one."""
        here = self.units[self.cursor].start if self.units else 0
        pending = sorted((m for m in self.marks if m.pending), key=lambda m: (m.start, m.id))
        found = [m for m in pending if (m.start > here if step > 0 else m.start < here)]
        if found:
            mark = found[0] if step > 0 else found[-1]
            self._goto_span((mark.start, mark.end))
            self.clear_selection()
            self.focus = 0
            self.message = f"suggestion {pending.index(mark) + 1} of {len(pending)} in {self.name}"
            return mark
        with_suggestions = self._documents_with_suggestions()
        n = len(self.documents)
        for k in range(1, n + 1):
            i = (self.doc_index + k * step) % n
            if self.documents[i] in with_suggestions:
                self._open_index(i)
                pending = sorted((m for m in self.marks if m.pending), key=lambda m: (m.start, m.id))
                mark = pending[0] if step > 0 else pending[-1]
                self._goto_span((mark.start, mark.end))
                self.message = f"{self.name}: suggestion {pending.index(mark) + 1} of {len(pending)}"
                return mark
        self.message = "no open suggestions left"
        return None

    def _documents_with_suggestions(self) -> set[str]:
        return {it["document"] for it in self.p.review_queue().items}

    def next_document(self, step: int = 1) -> str:
        """Open the next (``step=-1``: previous) document; stays at the first / last."""
        i = max(0, min(self.doc_index + step, len(self.documents) - 1))
        if i != self.doc_index:
            self._open_index(i)
        self.message = f"document {self.doc_index + 1} of {len(self.documents)}: {self.name}"
        return self.name

    # ------------------------------------------------------------------ review mode
    def _show_review_item(self) -> None:
        state = self.review
        if state is None:
            return
        item = state.current
        if item is None:
            self.message = f"end of the queue: {len(state.items)} suggestion(s) gone through (u: undo, q: quit)"
            return
        if item["document"] != self.name:
            self._open_index(self.documents.index(item["document"]))
        if not any(m.id == item["id"] and m.pending for m in self.marks):  # decided meanwhile (another window)
            state.index += 1
            return self._show_review_item()
        self._goto_span((item["start"], item["end"]))
        self.clear_selection()
        self.focus = 0
        self.message = f"suggestion {state.index + 1} of {len(state.items)}"

    def _advance_review(self) -> None:
        if self.review is None or self.review.current is None:
            return
        done = self.message
        self.review.decided.append(self.review.index)
        self.review.index += 1
        self._show_review_item()
        self.message = f"{done} · {self.message}"

    def _review_back(self, coding_id: int | None) -> None:
        state = self.review
        if state is None:
            return
        index = next((i for i in reversed(state.decided) if state.items[i]["id"] == coding_id), None)
        if index is not None:
            state.decided.remove(index)
            state.index = index
            self._show_review_item()

    def skip(self) -> None:
        """Review mode: leave the suggestion open and go to the next."""
        if self.review is None or self.review.current is None:
            return
        self.review.skipped += 1
        self.review.index += 1
        self._show_review_item()

    def tally(self) -> dict[str, int]:
        """Review mode: of the queue, how many are accepted, rejected, still open (``suggested``), manual, and
        how many were skipped."""
        if self.review is None:
            return {}
        out = self.p.review_tally(it["id"] for it in self.review.items)
        out["skipped"] = self.review.skipped
        return out

    def summary(self) -> str:
        """What this session did, one line (the workbench prints it on quit)."""
        if self.review is not None:
            t = self.tally()
            return (f"reviewed: {t['accepted']} accepted, {t['rejected']} rejected, {t['skipped']} skipped, "
                    f"{self.memos} memo(s); "
                    f"{t['suggested']} still open in this selection")
        kinds: dict[str, int] = {}
        for a in self.history:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        if self.memos:
            kinds["memo(s)"] = self.memos
        if not kinds:
            return "nothing changed"
        return "this session: " + ", ".join(f"{n} {k}" for k, n in kinds.items())


class SessionMixin:
    """``Project.session(doc, coder=...)``: a :class:`CodingSession` on this project."""

    def session(self, doc: str | int | None = None, *, coder: str | None = None, unit: str = "sentence",
                review: dict[str, Any] | None = None) -> CodingSession:
        """A coding session (what ``tematik code open`` shows) on ``doc`` (default: the first document) for
        ``coder``; ``review``: walk the open suggestions (``{"code": ..., "doc": ..., "order": ...}``)."""
        return CodingSession(self, doc, coder=coder, unit=unit, review=review)  # type: ignore[arg-type]


__all__ = ["Action", "CodeEntry", "CodingSession", "Mark", "ReviewState", "SessionMixin", "Unit"]
