"""`tematik code open [DOC]`: the coding workbench, a full-screen terminal app (Textual) on one document at a time.

The text with its speakers, unit by unit, every code on each unit in a margin column (``?code`` in dim italics:
an open suggestion), the codebook numbered 1-9 in a side panel, and single keys to code, decide and move (``?``
lists them). The app is a skin over :class:`tematik.project.session.CodingSession`: every key that changes
something is one project-API call, committed with its audit-log entry before the screen redraws.

``tematik review`` opens the same app on the queue of open suggestions (``--review``, hidden here). Textual is
imported only when the app starts, so ``tematik --help`` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tematik.cli.common import CoderOption, DbOption, ReviewOrder, console, open_project

if TYPE_CHECKING:
    from tematik.project.session import CodingSession

MARGIN = 13  # the width of the codes column beside the text
SIDE = 24  # the width of the side panel
_FALLBACK = ["#e6a100", "#2a9d8f", "#e76f51", "#8ab17d", "#9b5de5", "#457b9d", "#f4a261", "#d62828"]

#: (keys, what they do): the help screen and the README's table
KEYS: list[tuple[str, str]] = [
    ("↓ ↑  j k", "next / previous sentence (unit)"),
    ("t T  pgdn pgup", "next turn / start of this or the previous turn"),
    ("→ ←  l h", "next / previous word"),
    ("v", "start (or drop) a selection: moves then extend it"),
    ("shift+arrows  J K L H", "extend the selection by unit (↑↓) or by word (←→)"),
    ("1-9", "toggle that code on the selection or the unit: removes your coding of it, else accepts an "
            "open suggestion of it, else codes it (review: change the suggestion's code and accept)"),
    ("a  r", "accept / reject the suggestion under the cursor"),
    ("tab", "the next coding on this unit (the detail line shows which one a, r and m act on)"),
    ("n  N", "next / previous open suggestion (on to the next document when none is left)"),
    ("s", "review: skip this suggestion (it stays open)"),
    ("u", "undo the last change of this session"),
    ("m", "memo on the coding under the cursor, else on the unit"),
    ("/", "filter the codes (part of an id, name or label); enter or escape closes it"),
    ("]  [", "next / previous document"),
    ("g  G", "first / last unit"),
    ("escape", "drop the selection, then the code filter"),
    ("?", "this help"),
    ("q  ctrl+c", "quit (every change is already saved)"),
]


class Unit(StrEnum):
    sentence = "sentence"
    turn = "turn"
    paragraph = "paragraph"


def register(app: typer.Typer) -> None:
    """Add ``open`` to the ``code`` group (made by the coding commands' module, found here by its name)."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "code"), None)
    if group is None:  # no `code` group registered (yet): make one
        group = typer.Typer(help="Review suggestions in bulk and code by hand.", no_args_is_help=True)
        app.add_typer(group, name="code")
    group.command("open")(open_command)


def open_command(
    doc: Annotated[str | None, typer.Argument(
        metavar="DOC", show_default=False,
        help="The document to open (name or id; default: where you last coded, else the first).")] = None,
    coder: CoderOption = None,
    unit: Annotated[Unit, typer.Option(help="What the cursor moves over and a code key codes.")] = Unit.sentence,
    review: Annotated[bool, typer.Option("--review", hidden=True,
                                         help="Walk the open suggestions (what `tematik review` opens).")] = False,
    code: Annotated[list[str] | None, typer.Option("--code", hidden=True,
                                                   help="Review: only suggestions of these codes.")] = None,
    docs: Annotated[list[str] | None, typer.Option("--doc", hidden=True,
                                                   help="Review: only suggestions in these documents.")] = None,
    order: Annotated[ReviewOrder, typer.Option(hidden=True, help="Review: the order of the queue.")
                     ] = ReviewOrder.document,
    db: DbOption = None,
) -> None:
    """Open the coding workbench on a document: read, code, and decide suggestions with single keys (? for help).

    Every change is saved at once (with its audit-log entry): quitting or closing the terminal loses nothing."""
    with open_project(db) as p:
        options = {"code": code, "doc": docs or ([doc] if doc else None), "order": order.value} if review else None
        session = p.session(doc, coder=coder, unit=unit.value, review=options)
        if session.review is not None and not session.review.items:
            console.print("no open suggestions to review")
            return
        if not interactive():
            from tematik.errors import InputError

            raise InputError("the workbench needs a terminal (standard input and output); in a script use "
                             "`tematik show DOC --units sentence`, `tematik code add` or `tematik review --plain`")
        workbench_app(session).run()
        console.print(session.summary(), markup=False, highlight=False)


# --------------------------------------------------------------------------- the app (Textual, imported late)

def workbench_app(session: CodingSession) -> Any:
    """The Textual app on a session (``app.run()``; tests drive it with ``app.run_test()``)."""
    return _classes()["Workbench"](session)


_CACHE: dict[str, Any] = {}


def _classes() -> dict[str, Any]:  # noqa: C901 - the app's classes, defined once Textual is imported
    if _CACHE:
        return _CACHE
    from rich.table import Table
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.containers import Horizontal, Vertical, VerticalScroll
    from textual.screen import ModalScreen
    from textual.widgets import Input, Static

    from tematik.errors import TematikError

    class Text_(VerticalScroll, can_focus=False):
        """The document: one row per unit; not focusable, so the arrow keys reach the app."""

    class Codes_(VerticalScroll, can_focus=False):
        """The side panel's code list: scrolls when the codebook is longer than the screen."""

    class Row(Static):
        DEFAULT_CSS = """
        Row { height: auto; }
        Row.-cursor { background: $primary 40%; }
        Row.-selected { background: $accent 30%; }
        """

    class HelpScreen(ModalScreen[None]):
        DEFAULT_CSS = """
        HelpScreen { align: center middle; }
        HelpScreen > VerticalScroll { width: 78; max-height: 22; border: round $primary; background: $surface; }
        """
        BINDINGS = [Binding("escape,q,question_mark,enter", "close", "close")]

        def compose(self) -> ComposeResult:
            table = Table.grid(padding=(0, 1))
            table.add_column(style="bold", no_wrap=True)
            table.add_column()
            for keys, what in KEYS:
                table.add_row(keys, what)
            with VerticalScroll():
                yield Static(Text("Keys (any of escape, q, ? or enter closes)\n", style="bold"))
                yield Static(table, id="help-keys")
                yield Static(Text("\nMargin: a code in colour is a coding (yours or accepted); ?code in dim "
                                  "italics is an open suggestion. Interviewer turns are dimmed.", style="dim"))

        def action_close(self) -> None:
            self.dismiss(None)

    class MemoScreen(ModalScreen[str | None]):
        DEFAULT_CSS = """
        MemoScreen { align: center middle; }
        MemoScreen > Vertical { width: 70; height: auto; border: round $primary; background: $surface; }
        """
        BINDINGS = [Binding("escape", "cancel", "cancel")]

        def __init__(self, title: str) -> None:
            super().__init__()
            self.title_text = title

        def compose(self) -> ComposeResult:
            with Vertical():
                yield Static(Text(self.title_text, style="bold"))
                yield Input(placeholder="memo text; enter saves, escape cancels", id="memo-input")

        def on_mount(self) -> None:
            self.query_one(Input).focus()

        def on_input_submitted(self, event: Input.Submitted) -> None:
            event.stop()
            self.dismiss(event.value)

        def action_cancel(self) -> None:
            self.dismiss(None)

    class FilterInput(Input):
        BINDINGS = [Binding("escape", "close", "close")]

        async def action_close(self) -> None:
            await self.app.close_filter()

    class Workbench(App):
        TITLE = "tematik"
        AUTO_FOCUS = None  # keys go to the app; the filter box takes them only while it is open
        CSS = f"""
        #head {{ height: 1; background: $primary; color: $text; }}
        #main {{ height: 1fr; }}
        #text {{ width: 1fr; }}
        #side {{ width: {SIDE}; border-left: solid $primary; padding: 0 0 0 1; }}
        #filter {{ display: none; height: 3; }}
        #detail {{ height: 2; background: $boost; }}
        #status {{ height: 1; }}
        """
        BINDINGS = [
            Binding("down,j", "move('down')", "next unit", show=False),
            Binding("up,k", "move('up')", "previous unit", show=False),
            Binding("shift+down,J", "move('down', True)", show=False),
            Binding("shift+up,K", "move('up', True)", show=False),
            Binding("right,l", "move('right')", show=False),
            Binding("left,h", "move('left')", show=False),
            Binding("shift+right,L", "move('right', True)", show=False),
            Binding("shift+left,H", "move('left', True)", show=False),
            Binding("t,pagedown", "move('next_turn')", show=False),
            Binding("T,pageup", "move('prev_turn')", show=False),
            Binding("g,home", "edge(0)", show=False),
            Binding("G,end", "edge(-1)", show=False),
            Binding("v", "select", show=False),
            *(Binding(str(n), f"code({n})", show=False) for n in range(1, 10)),
            Binding("a", "decide('accept')", show=False),
            Binding("r", "decide('reject')", show=False),
            Binding("tab", "cycle", show=False, priority=True),
            Binding("n", "suggestion(1)", show=False),
            Binding("N", "suggestion(-1)", show=False),
            Binding("s", "skip", show=False),
            Binding("u", "undo", show=False),
            Binding("m", "memo", show=False),
            Binding("slash", "filter", show=False),
            Binding("right_square_bracket", "document(1)", show=False),
            Binding("left_square_bracket", "document(-1)", show=False),
            Binding("escape", "escape", show=False),
            Binding("question_mark", "help", show=False),
            Binding("q", "quit", show=False),
            Binding("ctrl+c", "quit", show=False, priority=True),
        ]

        def __init__(self, session: CodingSession) -> None:
            super().__init__()
            self.session = session
            self.rows: list[Any] = []
            self._signatures: list[Any] = []
            self._doc_shown: tuple[int, int] | None = None
            self._error = False
            self._code_lines = -1
            self.palette: dict[str, str] = {}
            for c in session.codes:
                self.colour(c.id, c.colour)

        # -------------------------------------------------------------- layout
        def compose(self) -> ComposeResult:
            yield Static(id="head")
            with Horizontal(id="main"):
                yield Text_(id="text")
                with Vertical(id="side"):
                    yield FilterInput(placeholder="filter codes", id="filter")
                    with Codes_():
                        yield Static(id="codes")
            yield Static(id="detail")
            yield Static(id="status")

        async def on_mount(self) -> None:
            await self.redraw()

        def colour(self, code: str, given: str | None = None) -> str:
            if code not in self.palette:
                self.palette[code] = given or _FALLBACK[len(self.palette) % len(_FALLBACK)]
            return self.palette[code]

        # -------------------------------------------------------------- drawing
        async def redraw(self) -> None:
            s = self.session
            shown = (s.doc_index, len(s.units), s.name)
            if shown != self._doc_shown:
                await self._mount_rows()
                self._doc_shown = shown
            self._update_rows()
            self._draw_head()
            self._draw_codes()
            self._draw_detail()
            self._draw_status()
            if self.rows:
                row, box = self.rows[s.cursor], self.query_one("#text", Text_)
                if not box.region.contains_region(row.region):  # scroll only when the cursor leaves the view
                    row.scroll_visible(animate=False, immediate=True)

        async def _mount_rows(self) -> None:
            box = self.query_one("#text", Text_)
            await box.remove_children()
            self.rows = [Row() for _ in self.session.units]
            self._signatures = [None] * len(self.rows)
            if self.rows:
                await box.mount_all(self.rows)
            else:
                await box.mount(Static(Text("(this document has no text to code)", style="dim")))
            box.scroll_home(animate=False)

        def _update_rows(self) -> None:
            s = self.session
            sel_units = set(s.selected_units()) if s.anchor is not None else set()
            sel_span = s.span() if s.anchor is not None else None
            word_mode = s.anchor is not None and (s.anchor[1] is not None or s.word is not None)
            for i, u in enumerate(s.units):
                marks = s.marks_of(i)
                cursor = i == s.cursor
                sig = (tuple((m.id, m.code, m.status) for m in marks), cursor, s.word if cursor else None,
                       i in sel_units, sel_span if word_mode and i in sel_units else None)
                before = self._signatures[i]
                if sig == before:
                    continue
                self._signatures[i] = sig
                row = self.rows[i]
                row.set_class(cursor, "-cursor")
                row.set_class(i in sel_units and not word_mode, "-selected")
                # only a change of the codes can change the row's height: else no layout of every row
                row.update(self._row(i, u, marks, cursor, sel_span if word_mode else None),
                           layout=before is None or before[0] != sig[0])

        def _row(self, i: int, u: Any, marks: list[Any], cursor: bool, sel: tuple[int, int] | None) -> Any:
            s = self.session
            margin = Text(no_wrap=True, overflow="ellipsis")
            for k, m in enumerate(marks):
                if k:
                    margin.append("\n")
                if m.pending:
                    margin.append(f"?{m.code}", style=f"dim italic {self.colour(m.code, m.colour)}")
                else:
                    margin.append("▌", style=self.colour(m.code, m.colour))
                    margin.append(m.code, style=f"bold {self.colour(m.code, m.colour)}")
            body = Text()
            if u.turn_start and u.speaker:
                body.append(f"{u.speaker}: ", style="bold magenta" if u.interviewer else "bold cyan")
            offset = len(body)
            body.append(" ".join(s.document.text[u.start:u.end].split("\n")),
                        style="dim" if u.interviewer else "")
            if sel is not None:
                a, b = max(sel[0], u.start), min(sel[1], u.end)
                if a < b:
                    body.stylize("reverse", offset + a - u.start, offset + b - u.start)
            if cursor and s.word is not None and u.words:
                a, b = u.words[min(s.word, len(u.words) - 1)]
                body.stylize("underline bold", offset + a - u.start, offset + b - u.start)
            grid = Table.grid(expand=True)
            grid.add_column(width=MARGIN, no_wrap=True, overflow="ellipsis")
            grid.add_column(ratio=1)
            grid.add_row(margin, body)
            return grid

        def _draw_head(self) -> None:
            s = self.session
            n = len(s.units)
            head = f" {s.name} ({s.doc_index + 1}/{len(s.documents)}) · {s.unit} {s.cursor + 1 if n else 0}/{n}"
            if s.review is not None:
                head += f" · review {min(s.review.index + 1, len(s.review.items))}/{len(s.review.items)}"
            head += f" · coder {s.coder}"
            self.query_one("#head", Static).update(Text(head, no_wrap=True, overflow="ellipsis"), layout=False)

        def _draw_codes(self) -> None:
            s = self.session
            counts = s.counts()
            visible = s.visible_codes()
            table = Table.grid(padding=(0, 1), expand=True)
            table.add_column(width=1, no_wrap=True)
            table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
            table.add_column(no_wrap=True, justify="right")
            for k, c in enumerate(visible):
                done, pending = counts.get(c.id, (0, 0))
                num = str(k + 1) if k < 9 else " "
                count = Text(str(done))
                if pending:
                    count.append(f"+{pending}?", style="dim italic")
                label = Text("▌", style=self.colour(c.id, c.colour))
                label.append(c.id, style="bold" if k < 9 else "dim")
                table.add_row(Text(num, style="bold"), label, count)
            title = Text("codes", style="bold")
            if s.filter:
                title.append(f"  /{s.filter}", style="yellow")
            title.append(f"  ({len(visible)}/{len(s.codes)})" if s.filter else f"  ({len(s.codes)})", style="dim")
            from rich.console import Group

            body = Group(title, table) if visible else Group(title, Text("no code matches", style="dim"))
            lines = len(visible) or 1  # a layout only when the list grows or shrinks (the filter)
            self.query_one("#codes", Static).update(body, layout=lines != self._code_lines)
            self._code_lines = lines

        def _draw_detail(self) -> None:
            s = self.session
            here = s.here()
            mark = s.current_mark()
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{s.where()}", style="bold")
            if s.units and s.units[s.cursor].interviewer:
                line.append(" (interviewer)", style="dim")
            if mark is None:
                line.append("  no codes here", style="dim")
            else:
                line.append("  ")
                line.append(mark.describe(), style="italic" if mark.pending else "")
                if len(here) > 1:
                    line.append(f"  ({s.focus % len(here) + 1}/{len(here)}, tab: next)", style="dim")
            second = Text(no_wrap=True, overflow="ellipsis", style="dim")
            code = next((c for c in s.codes if mark is not None and c.id == mark.code), None)
            if code is not None and code.definition:
                second.append(f"{code.id}: {code.definition}")
            elif s.review is not None:
                second.append("a accept · r reject · 1-9 change code · s skip · u undo · q quit")
            else:
                second.append("1-9 code · a/r accept/reject · n next suggestion · v select · m memo · ? help")
            from rich.console import Group

            self.query_one("#detail", Static).update(Group(line, second), layout=False)

        def _draw_status(self) -> None:
            text = Text(self.session.message or "? help · q quit", no_wrap=True, overflow="ellipsis",
                        style="bold red" if self._error else "")
            self.query_one("#status", Static).update(text, layout=False)

        # -------------------------------------------------------------- doing
        async def _do(self, fn: Any, *args: Any) -> None:
            """Run one session step; a refused one (bad code number, a coding gone meanwhile...) becomes the
            status line, and the screen is redrawn from the project."""
            self._error = False
            try:
                fn(*args)
            except TematikError as exc:
                self._error = True
                self.session.message = f"error: {exc.format()}"
                try:
                    self.session.reload()
                except TematikError:
                    pass
            await self.redraw()

        async def action_move(self, where: str, extend: bool = False) -> None:
            self.session.message = ""
            await self._do(lambda: getattr(self.session, where)(extend=extend))

        async def action_edge(self, which: int) -> None:
            await self._do(self.session.goto, 0 if which == 0 else len(self.session.units) - 1)

        async def action_select(self) -> None:
            await self._do(self.session.toggle_select)

        async def action_code(self, n: int) -> None:
            await self._do(self.session.toggle, n)

        async def action_decide(self, what: str) -> None:
            await self._do(getattr(self.session, what))

        async def action_cycle(self) -> None:
            await self._do(self.session.cycle)

        async def action_suggestion(self, step: int) -> None:
            await self._do(self.session.next_suggestion, step)

        async def action_skip(self) -> None:
            if self.session.review is None:
                self.session.message = "s skips a suggestion in review mode (`tematik review`)"
                await self.redraw()
                return
            await self._do(self.session.skip)

        async def action_undo(self) -> None:
            await self._do(self.session.undo)

        async def action_document(self, step: int) -> None:
            await self._do(self.session.next_document, step)

        async def action_escape(self) -> None:
            s = self.session
            if s.anchor is not None:
                s.clear_selection()
                s.message = "selection dropped"
            elif s.filter:
                s.set_filter("")
                s.message = "code filter cleared"
            await self.redraw()

        def action_help(self) -> None:
            self.push_screen(HelpScreen())

        def action_memo(self) -> None:
            s = self.session
            mark = s.current_mark()
            title = (f"Memo on coding {mark.id} ({mark.code}, {mark.status})" if mark is not None
                     else f"Memo on {s.where()} of {s.name}")

            async def done(text: str | None) -> None:
                if text:
                    await self._do(s.memo, text)
                else:
                    s.message = "no memo written"
                    await self.redraw()

            self.push_screen(MemoScreen(title), done)

        def action_filter(self) -> None:
            box = self.query_one("#filter", FilterInput)
            box.value = self.session.filter
            box.display = True
            box.focus()

        async def close_filter(self) -> None:
            box = self.query_one("#filter", FilterInput)
            box.display = False
            self.set_focus(None)
            n = len(self.session.numbered())
            self.session.message = (f"codes matching {self.session.filter!r}: 1-{n}" if self.session.filter and n
                                    else "" if not self.session.filter else "no code matches the filter")
            await self.redraw()

        def on_input_changed(self, event: Input.Changed) -> None:
            if event.input.id == "filter":
                self.session.set_filter(event.value)
                self._draw_codes()

        async def on_input_submitted(self, event: Input.Submitted) -> None:
            if event.input.id == "filter":
                await self.close_filter()

        async def action_quit(self) -> None:
            self.exit()

    _CACHE.update(Workbench=Workbench, HelpScreen=HelpScreen, MemoScreen=MemoScreen, Row=Row)
    return _CACHE


def interactive() -> bool:
    """A terminal on both ends (else commands that could open the workbench fall back to plain output)."""
    return sys.stdin.isatty() and sys.stdout.isatty()
