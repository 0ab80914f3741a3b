"""`tematik review`: walk the open suggestions one by one, with single keys.

In a terminal it opens the coding workbench (``tematik code open``) on the queue of open suggestions: the cursor
on each in turn, in its document. With ``--plain``, or when standard input or output is not a terminal (a script,
a pipe), it walks them in plain lines, reading one key at a time from standard input.

Every decision is committed (and audited) the moment it is made, so quitting or a crash loses nothing.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from tematik.cli.common import CoderOption, DbOption, ReviewOrder, console, open_project, same_length, user

KEYS = "\\[a]ccept  \\[r]eject  \\[s]kip  \\[c]hange code  \\[m]emo  \\[u]ndo  \\[q]uit"


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def read_key() -> str:
    """One key press: raw from a terminal, else one character of (scripted) standard input."""
    if sys.stdin.isatty():
        return typer.getchar()
    while True:
        ch = sys.stdin.read(1)
        if ch == "":
            return "q"  # end of scripted input: stop, everything decided so far is kept
        if not ch.isspace():
            return ch


def read_line(prompt: str) -> str:
    console.print(prompt, end="")
    if sys.stdin.isatty():
        return input().strip()
    line = sys.stdin.readline()
    if line in ("\n", "\r\n"):  # the rest of the line the key was typed on
        line = sys.stdin.readline()
    return line.strip()


def review(
    ctx: typer.Context,
    code: Annotated[list[str] | None, typer.Option("--code", help="Only suggestions of these codes.")] = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only suggestions in these documents.")] = None,
    coder: CoderOption = None,
    context: Annotated[int, typer.Option(help="Characters of context shown around the unit.")] = 120,
    order: Annotated[ReviewOrder, typer.Option(help="document: in text order; confidence: most confident first; "
                                              "uncertain: closest to the model's threshold first (teaches the "
                                              "model most per decision).")] = ReviewOrder.document,
    plain: Annotated[bool, typer.Option("--plain", help="Plain lines, one suggestion after another, instead of "
                                                        "the full-screen workbench (the default when standard "
                                                        "input or output is not a terminal).")] = False,
    db: DbOption = None,
) -> None:
    """Review suggestions: in a terminal the full-screen workbench with the cursor on each suggestion in turn
    (a accept, r reject, 1-9 change the code, s skip, u undo, q quit); else (or --plain) one suggestion after
    another with single keys."""
    if not plain and sys.stdin.isatty() and sys.stdout.isatty():
        _workbench(ctx, code=code, doc=doc, coder=coder, order=order, db=db)
        return
    _plain(code=code, doc=doc, coder=coder, context=context, order=order, db=db)


def _workbench(ctx: typer.Context, **options) -> None:
    """``tematik code open --review`` with these options, found through the command tree (a command module does
    not import another's)."""
    root = ctx.find_root()
    group = root.command.get_command(root, "code")
    command = group.get_command(root, "open") if group is not None else None
    if command is None:  # the workbench is not installed in this CLI: plain lines
        _plain(context=120, **options)
        return
    argv = ["--review", "--order", options["order"].value]
    for name in ("code", "doc"):
        for value in options[name] or ():
            argv += [f"--{name}", value]
    if options["coder"]:
        argv += ["--coder", options["coder"]]
    if options["db"] is not None:
        argv += ["--db", str(options["db"])]
    with command.make_context("open", argv, parent=ctx) as sub:
        command.invoke(sub)


def _plain(*, code, doc, coder, context, order, db) -> None:
    from tematik.errors import NotFound
    from tematik.project.coding import ReviewDecision, default_coder

    who = coder or default_coder()
    with open_project(db) as p:
        queue = p.review_queue(code=code, doc=doc, order=order.value)
        if not queue.items:
            console.print("no open suggestions to review")
            return
        items = queue.items
        history: list[tuple[int, ReviewDecision]] = []  # (index in the queue, the decision)
        counts = {"skipped": 0, "memos": 0}
        i = 0
        while True:
            if i >= len(items):
                console.print("[bold]end of the selection[/]: \\[u]ndo the last decision, any other key to finish")
                if read_key().lower() != "u" or not history:
                    break
                i, decision = history.pop()
                p.review_undo(decision, coder=who)
                items[i]["code"] = decision.code_before
                console.print(f"[yellow]undone: coding {decision.coding_id} is {decision.status_before} again[/]")
                continue
            item = items[i]
            _show(item, queue.text(item["document_id"]), queue.definitions.get(item["code"], {}), i, len(items),
                  context)
            key = read_key().lower()
            if key == "a":
                history.append((i, p.review_accept(item["id"], coder=who)))
                i += 1
            elif key == "r":
                history.append((i, p.review_reject(item["id"], coder=who)))
                i += 1
            elif key == "s":
                counts["skipped"] += 1
                i += 1
            elif key == "c":
                new = read_line("code id: ")
                try:
                    decision = p.review_recode(item["id"], new, coder=who)
                except NotFound as exc:
                    console.print(f"[red]{user(exc.format())}[/]")
                    continue
                history.append((i, decision))
                item["code"] = decision.code
                i += 1
            elif key == "m":
                body = read_line("memo: ")
                if body:
                    p.add_memo("coding", item["id"], body, coder=who)
                    counts["memos"] += 1
                    console.print("[green]memo saved[/]")
            elif key == "u":
                if not history:
                    console.print("[yellow]nothing to undo[/]")
                    continue
                i, decision = history.pop()
                p.review_undo(decision, coder=who)
                items[i]["code"] = decision.code_before
                console.print(f"[yellow]undone: coding {decision.coding_id} is {decision.status_before} again[/]")
            elif key == "q":
                break
            else:
                console.print(f"[dim]{KEYS}[/]")
        tally = p.review_tally(it["id"] for it in items)
    console.print(f"reviewed: {tally['accepted']} accepted, {tally['rejected']} rejected, "
                  f"{counts['skipped']} skipped, {counts['memos']} memo(s); "
                  f"{tally['suggested']} still open in this selection")


def _show(item: dict, text: str, code: dict, i: int, n: int, context: int) -> None:
    text = same_length(text)
    start, end = item["start"], item["end"]
    left = max(0, start - context)
    right = min(len(text), end + context)
    body = Text()
    body.append(("…" if left > 0 else "") + text[left:start].replace("\n", " "), style="dim")
    unit = Text(text[start:end])
    if item.get("match_start") is not None:
        unit.stylize("bold black on yellow", item["match_start"] - start, item["match_end"] - start)
    unit.stylize("underline")
    body.append(unit)
    body.append(text[end:right].replace("\n", " ") + ("…" if right < len(text) else ""), style="dim")
    negation = "  [red]negated[/]" if item.get("polarity") == "negative" else ""
    title = (f"{i + 1}/{n} · {user(item['document'])} · participant {user(item['participant'] or '-')} · "
             f"\\[{start}:{end}]")
    console.print(Panel(body, title=title, title_align="left"))
    confidence = f" · confidence {item['confidence']:.2f}" if item.get("confidence") is not None else ""
    console.print(f"[bold]{user(item['code'])}[/] {user(code.get('name', ''))}{negation}  "
                  f"[dim]from {user(item.get('origin') or item['rule'])}{confidence}[/]")
    if code.get("definition"):
        console.print(Text(code["definition"], style="italic"))
    console.print(f"[dim]{KEYS}[/]")
