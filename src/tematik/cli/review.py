"""`tematik review`: walk the open suggestions one by one in a plain terminal, with single keys.

Every decision is committed (and audited) the moment it is made, so quitting or a crash loses nothing.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from tematik.cli.common import CoderOption, DbOption, console, open_store, same_length, user

KEYS = "\\[a]ccept  \\[r]eject  \\[s]kip  \\[c]hange code  \\[m]emo  \\[u]ndo  \\[q]uit"


class Order(StrEnum):
    document = "document"
    confidence = "confidence"
    uncertain = "uncertain"


def order_items(items: list[dict], order: str, thresholds: dict[str, float]) -> list[dict]:
    """Suggestions in review order: ``document`` (document, position), ``confidence`` (most confident first) or
    ``uncertain`` (closest to the code's threshold first: the decisions that teach the model most; without a
    model's threshold for a code, 0.5). Suggestions without a confidence come last, in document order."""
    def place(it: dict) -> tuple:
        return (it["document_id"], it["start"], it["id"])

    if order == "document":
        return sorted(items, key=place)
    scored = [it for it in items if it.get("confidence") is not None]
    rest = sorted((it for it in items if it.get("confidence") is None), key=place)
    if order == "confidence":
        scored.sort(key=lambda it: (-it["confidence"], *place(it)))
    else:
        scored.sort(key=lambda it: (abs(it["confidence"] - thresholds.get(it["code"], 0.5)), *place(it)))
    return scored + rest


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
    code: Annotated[list[str] | None, typer.Option("--code", help="Only suggestions of these codes.")] = None,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only suggestions in these documents.")] = None,
    coder: CoderOption = None,
    context: Annotated[int, typer.Option(help="Characters of context shown around the unit.")] = 120,
    order: Annotated[Order, typer.Option(help="document: in text order; confidence: most confident first; "
                                              "uncertain: closest to the model's threshold first (teaches the "
                                              "model most per decision).")] = Order.document,
    db: DbOption = None,
) -> None:
    """Review suggestions: the unit with the match highlighted, the code's definition, and single keys."""
    from tematik.cli.coding import _coder, _split
    from tematik.errors import NotFound
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    who = _coder(coder)
    with open_store(db) as store:
        codes = [store_coding.code_exists(store, c) for c in _split(code)]
        docs = [store_corpus.document_id(store, d) for d in _split(doc)]
        items = store_coding.query_codings(store, statuses=["suggested"], codes=codes, documents=docs)
        if not items:
            console.print("no open suggestions to review")
            return
        thresholds: dict[str, float] = {}
        if order == Order.uncertain:
            from tematik import learning

            loaded = learning.load(store)
            thresholds = {c: t for c, t in loaded[1].thresholds.items() if t <= 1} if loaded else {}
        items = order_items(items, order.value, thresholds)
        definitions = {c["id"]: c for c in store_coding.list_codes(store)}
        texts: dict[int, str] = {}
        history: list[tuple[int, int, str, str]] = []  # (index, coding id, status before, code before)
        counts = {"skipped": 0, "memos": 0}
        i = 0
        while True:
            if i >= len(items):
                console.print("[bold]end of the selection[/]: \\[u]ndo the last decision, any other key to finish")
                if read_key().lower() != "u" or not history:
                    break
                i, cid, status, old_code = history.pop()
                store_coding.restore_coding(store, cid, status=status, code=old_code, who=who)
                items[i]["code"] = old_code
                console.print(f"[yellow]undone: coding {cid} is {status} again[/]")
                continue
            item = items[i]
            if item["document_id"] not in texts:
                texts[item["document_id"]] = store_corpus.document_text(store, item["document_id"])
            _show(item, texts[item["document_id"]], definitions.get(item["code"], {}), i, len(items), context)
            key = read_key().lower()
            if key == "a":
                history.append((i, item["id"], item["status"], item["code"]))
                store_coding.set_status(store, [item["id"]], "accepted", who=who)
                i += 1
            elif key == "r":
                history.append((i, item["id"], item["status"], item["code"]))
                store_coding.set_status(store, [item["id"]], "rejected", who=who)
                i += 1
            elif key == "s":
                counts["skipped"] += 1
                i += 1
            elif key == "c":
                new = read_line("code id: ")
                try:
                    new = store_coding.code_exists(store, new)
                except NotFound as exc:
                    console.print(f"[red]{user(exc.format())}[/]")
                    continue
                history.append((i, item["id"], item["status"], item["code"]))
                with store.transaction():
                    store_coding.change_code(store, item["id"], new, who=who)
                    store_coding.set_status(store, [item["id"]], "accepted", who=who)
                item["code"] = new
                i += 1
            elif key == "m":
                body = read_line("memo: ")
                if body:
                    store_coding.add_memo(store, "coding", str(item["id"]), body, who=who)
                    counts["memos"] += 1
                    console.print("[green]memo saved[/]")
            elif key == "u":
                if not history:
                    console.print("[yellow]nothing to undo[/]")
                    continue
                i, cid, status, old_code = history.pop()
                store_coding.restore_coding(store, cid, status=status, code=old_code, who=who)
                items[i]["code"] = old_code
                console.print(f"[yellow]undone: coding {cid} is {status} again[/]")
            elif key == "q":
                break
            else:
                console.print(f"[dim]{KEYS}[/]")
        decided = store_coding.query_codings(store, ids=[it["id"] for it in items])
    status = [d["status"] for d in decided]
    console.print(f"reviewed: {status.count('accepted')} accepted, {status.count('rejected')} rejected, "
                  f"{counts['skipped']} skipped, {counts['memos']} memo(s); "
                  f"{status.count('suggested')} still open in this selection")


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
