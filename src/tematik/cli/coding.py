"""Coding commands: autocode, code accept|reject|add|rm, codings, memo add|list, log."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tematik.cli.common import (
    CoderOption,
    DbOption,
    FormatOption,
    TableFormat,
    console,
    emit,
    note,
    open_store,
    progress,
    user,
    warn,
)
from tematik.errors import InputError, NotFound

code_app = typer.Typer(help="Review suggestions in bulk and code by hand.", no_args_is_help=True)
memo_app = typer.Typer(help="Memos on the project, codes, documents, codings and participants.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("autocode")(autocode)
    app.add_typer(code_app, name="code")
    app.command("codings")(codings)
    app.add_typer(memo_app, name="memo")
    app.command("log")(log)


class Unit(StrEnum):
    sentence = "sentence"
    turn = "turn"
    paragraph = "paragraph"


def _coder(coder: str | None) -> str:
    from tematik.store import current_user

    return coder or current_user()


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


# --------------------------------------------------------------------------- autocode

def autocode(
    unit: Annotated[Unit, typer.Option(help="Unit a suggestion covers.")] = Unit.sentence,
    doc: Annotated[list[str] | None, typer.Option("--doc", help="Only these documents (repeatable).")] = None,
    code: Annotated[list[str] | None, typer.Option("--code", help="Only these codes (repeatable).")] = None,
    redo: Annotated[bool, typer.Option("--redo", help="Re-run documents already auto-coded with this codebook.")
                    ] = False,
    include_interviewer: Annotated[bool, typer.Option(help="Also code interviewer turns.")] = False,
    no_model: Annotated[bool, typer.Option("--no-model", help="Rules only, even when the project has a model.")
                        ] = False,
    model_only: Annotated[bool, typer.Option("--model-only", help="The learned model only (needs `tematik "
                                                                  "learn` first).")] = False,
    db: DbOption = None,
) -> None:
    """Suggest codings from the codebook's rules and, once `tematik learn` has fitted one, the project's model
    (status `suggested`, coder `auto`; each with its origin and a confidence).

    Re-running replaces unreviewed suggestions only: accepted, rejected and manual codings are kept, and a
    rejected suggestion is never suggested again, by the rules or the model. Each document is committed when it
    is done, so an interrupted run (Ctrl-C) resumes where it stopped.
    """
    from tematik.cli.codebook import project_codebook
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    with open_store(db) as store:
        cb, digest = project_codebook(store)
        codes = [store_coding.code_exists(store, c) for c in _split(code)] or None
        doc_ids = [store_corpus.document_id(store, d) for d in _split(doc)] or None
        if no_model and model_only:
            raise InputError("--no-model and --model-only exclude each other", field="--model-only")
        mode = "rules" if no_model else "model" if model_only else "both"
        result = run_autocode(store, cb, digest, unit=unit.value, codes=codes, doc_ids=doc_ids, redo=redo,
                              include_interviewer=include_interviewer, mode=mode)
    if result is None:
        console.print("nothing to do: every document is already auto-coded with this codebook version "
                      "(use --redo to run again)")
        return
    console.print(f"auto-coded {result['done']} document(s), {result['words']:,} words: {result['stored']} "
                  f"suggestion(s) stored, {result['skipped']} already reviewed and left as they were")
    if result.get("model"):
        note(result["model"])
    for name, what in result["changed"]:
        warn(f"document {name!r} {what}")
    if result["by_code"]:
        note("suggestions by code: " + ", ".join(f"{k} {v}" for k, v in sorted(result["by_code"].items())))


def run_autocode(store, cb, digest: str, *, unit: str = "sentence", codes: list[str] | None = None,
                 doc_ids: list[int] | None = None, redo: bool = False, include_interviewer: bool = False,
                 mode: str = "both") -> dict | None:
    """Auto-code the pending documents (all with ``redo``) with a progress bar; None when nothing is pending.

    Each document's units and suggestions are stored with the hash of the text they were computed from, in one
    transaction that first checks the document still has that text. A document another process re-imported (or
    removed) meanwhile is coded once more from its new text; if it changes again it is left pending for the next
    run. ``result["changed"]`` lists (name, what happened).

    ``mode`` (both, rules, model) says whether the project's newest model adds its suggestions (see
    :func:`tematik.learning.combine`); with a model the run is keyed by codebook hash and model version, so a
    new model makes every document pending again. ``result["model"]`` says which model was used, if any.
    """
    from tematik import learning, nlp
    from tematik.corpus import sha256
    from tematik.errors import DocumentChanged
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus
    from tematik.store import learn as store_learn

    loaded = learning.load(store) if mode != "rules" else None
    model_note = None
    if loaded is not None:
        version, model, row = loaded
        model_note = (f"model v{version} ({row['created'][:16]}, {row['units']} units of {row['documents']} "
                      f"reviewed document(s)) {'alone' if mode == 'model' else 'with the rules'}")
        if row["codebook_hash"] != digest:
            model_note += "; it was fitted with another codebook version: run `tematik learn` again"
        digest = f"{digest}+model:v{version}+{mode}"
    elif mode == "model":
        raise InputError("this project has no model yet: run `tematik learn` first (or drop --model-only)",
                         field="--model-only")
    else:
        version = model = None
    record = store_learn.rule_record(store)
    if redo:
        todo = doc_ids if doc_ids is not None else list(store_corpus.document_ids_by_name(store).values())
    else:
        todo = store_coding.autocode_pending(store, codebook_hash=digest, unit=unit, codes=codes,
                                             document_ids=doc_ids)
    if not todo:
        return None
    documents = store_corpus.load_documents(store, todo)
    result = {"done": 0, "stored": 0, "skipped": 0, "words": sum(d.words for d in documents), "by_code": {},
              "changed": [], "model": model_note}

    def code(documents, advance) -> list[str]:
        ids = store_corpus.document_ids_by_name(store)
        changed = []
        # with a model, every code's rules run: their hits are features of the model (suggestions are filtered below)
        rule_codes = set(codes) if codes and model is None else None
        for document, suggestions in nlp.autocode(documents, cb, unit=unit, codes=rule_codes,
                                                  include_interviewer=include_interviewer):
            doc_id, sha = ids.get(document.name), sha256(document.text)
            suggestions = learning.combine(document, suggestions, mode=mode, model=model, version=version,
                                           unit=unit, include_interviewer=include_interviewer, rule_record=record)
            if codes:
                suggestions = [s for s in suggestions if s.code in codes]
            spans = list(nlp.units(document, unit))
            try:
                if doc_id is None:
                    raise DocumentChanged(document.name)
                with store.transaction():  # one commit per document: the text checked, then units + suggestions
                    store_corpus.save_segments(store, doc_id, unit, spans, text_sha256=sha, name=document.name)
                    n, k = store_coding.store_suggestions(store, doc_id, suggestions, codebook_hash=digest,
                                                          unit=unit, codes=codes, text_sha256=sha,
                                                          name=document.name)
            except DocumentChanged:
                changed.append(document.name)
                advance()
                continue
            result["stored"] += n
            result["skipped"] += k
            result["done"] += 1
            for s in suggestions:
                result["by_code"][s.code] = result["by_code"].get(s.code, 0) + 1
            advance()
        return changed

    with progress(f"auto-coding {len(documents)} documents", len(documents)) as advance:
        changed = code(documents, advance)
    if changed:  # re-imported (or removed) by another process while this one ran: once more from the new text
        ids = store_corpus.document_ids_by_name(store)
        again = store_corpus.load_documents(store, [ids[n] for n in changed if n in ids])
        result["words"] += sum(d.words for d in again)
        still = set(code(again, lambda n=1: None)) if again else set()
        for name in changed:
            if name not in ids:
                result["changed"].append((name, "removed meanwhile; nothing stored for it"))
            elif name in still:
                result["changed"].append((name, "changed again meanwhile; left for the next run"))
            else:
                result["changed"].append((name, "re-imported meanwhile; coded again from its new text"))
    return result


# --------------------------------------------------------------------------- bulk review

def _bulk(status: str, code: list[str] | None, rule: list[str] | None, doc: list[str] | None, all_: bool,
          ids: list[int] | None, coder: str | None, db: Path | None) -> None:
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    if not (code or rule or doc or all_ or ids):
        raise InputError("say which suggestions: --code, --rule, --doc, --id or --all")
    with open_store(db) as store:
        codes = [store_coding.code_exists(store, c) for c in _split(code)]
        docs = [store_corpus.document_id(store, d) for d in _split(doc)]
        rows = store_coding.query_codings(store, statuses=["suggested"], codes=codes, documents=docs,
                                          rules=_split(rule), ids=ids)
        n = store_coding.set_status(store, [r["id"] for r in rows], status, who=_coder(coder))
    console.print(f"{status} {n} suggestion(s)")


IdOption = Annotated[list[int] | None, typer.Option("--id", help="Coding ids (repeatable).")]
CodeFilter = Annotated[list[str] | None, typer.Option("--code", help="Only suggestions of these codes.")]
RuleFilter = Annotated[list[str] | None, typer.Option("--rule", help="Only suggestions from these rules "
                                                                      "(`*` wildcards, e.g. 'trust/id/*').")]
DocFilter = Annotated[list[str] | None, typer.Option("--doc", help="Only suggestions in these documents.")]
AllFlag = Annotated[bool, typer.Option("--all", help="Every open suggestion.")]


@code_app.command("accept")
def accept(code: CodeFilter = None, rule: RuleFilter = None, doc: DocFilter = None, all_: AllFlag = False,
           ids: IdOption = None, coder: CoderOption = None, db: DbOption = None) -> None:
    """Accept suggestions matching the filters (each decision goes to the audit log)."""
    _bulk("accepted", code, rule, doc, all_, ids, coder, db)


@code_app.command("reject")
def reject(code: CodeFilter = None, rule: RuleFilter = None, doc: DocFilter = None, all_: AllFlag = False,
           ids: IdOption = None, coder: CoderOption = None, db: DbOption = None) -> None:
    """Reject suggestions matching the filters; a rejected suggestion is not suggested again."""
    _bulk("rejected", code, rule, doc, all_, ids, coder, db)


@code_app.command("add")
def add(
    document: Annotated[str, typer.Argument(metavar="DOC", help="Document name or id.")],
    code: Annotated[str, typer.Argument(metavar="CODE", help="Code id or name.")],
    span: Annotated[str | None, typer.Option(help="Character offsets START:END.")] = None,
    sentence: Annotated[int | None, typer.Option(help="Sentence number (1-based, as `tematik show DOC --units "
                                                      "sentence` numbers them).")] = None,
    turn: Annotated[int | None, typer.Option(help="Turn number (1-based, as `tematik show DOC --units turn` "
                                                  "numbers them).")] = None,
    match: Annotated[str | None, typer.Option(help="The first occurrence of this text.")] = None,
    memo: Annotated[str | None, typer.Option(help="A memo on the new coding.")] = None,
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Code a span by hand: give exactly one of --span, --sentence, --turn, --match."""
    from tematik import nlp
    from tematik.corpus import sha256
    from tematik.models import Coding
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    given = [x for x in (span, sentence, turn, match) if x is not None]
    if len(given) != 1:
        raise InputError("give exactly one of --span, --sentence, --turn, --match")
    who = _coder(coder)
    with open_store(db) as store:
        doc = store_corpus.get_document(store, document)
        code_id = store_coding.code_exists(store, code)
        if span is not None:
            try:
                start, end = (int(x) for x in span.split(":"))
            except ValueError:
                raise InputError(f"expected START:END, got {span!r}", field="--span") from None
        elif match is not None:
            start = doc.text.find(match)
            if start < 0:
                raise NotFound(f"{match!r} does not occur in {doc.name}")
            end = start + len(match)
        else:
            kind, n = ("sentence", sentence) if sentence is not None else ("turn", turn)
            spans = nlp.units(doc, kind) if kind == "sentence" else [(t.start, t.end) for t in doc.turns]
            if not 1 <= n <= len(spans):
                raise InputError(f"{doc.name} has {len(spans)} {kind}s; got {n}", field=f"--{kind}")
            start, end = spans[n - 1]
        with store.transaction():
            (cid,) = store_coding.add_codings(store, [Coding(document=doc.name, code=code_id, start=start, end=end,
                                                             status="manual", coder=who)], who=who,
                                              texts={doc.name: sha256(doc.text)})
            if memo:
                store_coding.add_memo(store, "coding", str(cid), memo, who=who)
    console.print(f"coding {cid}: {user(code_id)} on {user(doc.name)} \\[{start}:{end}] "
                  f"{user(repr(doc.text[start:end][:80]))}")


@code_app.command("rm")
def rm(coding_id: Annotated[int, typer.Argument(metavar="ID", help="Coding id (see `tematik codings`).")],
       coder: CoderOption = None, db: DbOption = None) -> None:
    """Delete a coding (recorded in the audit log with what it was)."""
    from tematik.store import coding as store_coding

    with open_store(db) as store:
        row = store_coding.delete_coding(store, coding_id, who=_coder(coder))
    console.print(f"deleted coding {coding_id} ({user(row['code'])} on {user(row['document'])})")


# --------------------------------------------------------------------------- listing


def codings(
    status: Annotated[list[str] | None, typer.Option(help="Statuses (repeatable or comma-separated).")] = None,
    code: CodeFilter = None,
    doc: DocFilter = None,
    coder: Annotated[list[str] | None, typer.Option("--coder", help="Only these coders.")] = None,
    rule: RuleFilter = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """List codings: id, document, participant, code, status, coder, start, end, text, rule, polarity, origin
    (rule id or `model:vN`) and confidence of a suggestion."""
    from tematik.models import CODING_STATUSES
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    statuses = _split(status)
    for s in statuses:
        if s not in CODING_STATUSES:
            raise InputError(f"unknown status {s!r}; expected {', '.join(CODING_STATUSES)}", field="--status")
    with open_store(db) as store:
        rows = store_coding.query_codings(
            store, statuses=statuses, codes=[store_coding.code_exists(store, c) for c in _split(code)],
            documents=[store_corpus.document_id(store, d) for d in _split(doc)], coders=_split(coder),
            rules=_split(rule), limit=limit)
    if fmt == TableFormat.table:
        for r in rows:
            r["text"] = " ".join((r["text"] or "").split())
            if len(r["text"]) > 90:
                r["text"] = r["text"][:87] + "..."
    emit(store_coding.CODING_COLUMNS, rows, fmt, title=f"Codings ({len(rows)})", decimals={"confidence": 2})


# --------------------------------------------------------------------------- memos and log

class Target(StrEnum):
    project = "project"
    code = "code"
    document = "document"
    coding = "coding"
    participant = "participant"


@memo_app.command("add")
def memo_add(
    target: Annotated[Target, typer.Argument(help="What the memo is about.")],
    target_id: Annotated[str | None, typer.Argument(metavar="ID", help="Its id (code id, document name, coding "
                                                                      "id, participant id); none for project.")
                         ] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="The memo (default: read standard input).")
                    ] = None,
    coder: CoderOption = None,
    db: DbOption = None,
) -> None:
    """Write a memo."""
    import sys

    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    body = text if text is not None else sys.stdin.read()
    if not body.strip():
        raise InputError("empty memo", field="--text")
    with open_store(db) as store:
        if target == Target.code:
            target_id = store_coding.code_exists(store, target_id or "")
        elif target == Target.document:
            target_id = store_corpus.document_name(store, store_corpus.document_id(store, target_id or ""))
        elif target == Target.coding:
            if not target_id or not store_coding.query_codings(store, ids=[int(target_id)]
                                                               if target_id.isdigit() else [-1]):
                raise NotFound(f"no coding {target_id!r}")
        elif target == Target.participant:
            store_corpus.participant_attributes(store, target_id or "")
        elif target_id:
            raise InputError("a project memo takes no id")
        mid = store_coding.add_memo(store, target.value, target_id, body.strip(), who=_coder(coder))
    console.print(f"memo {mid} on {target.value}{' ' + user(target_id) if target_id else ''}")


@memo_app.command("list")
def memo_list(
    target: Annotated[Target | None, typer.Argument(help="Only memos about this kind of thing.")] = None,
    target_id: Annotated[str | None, typer.Argument(metavar="ID", help="Only about this one.")] = None,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """List memos."""
    from tematik.store import coding as store_coding

    with open_store(db) as store:
        rows = store_coding.list_memos(store, target.value if target else None, target_id)
    emit(["id", "target_type", "target_id", "text", "author", "created"], rows, fmt, title="Memos")


def log(
    entity: Annotated[str | None, typer.Option(help="Only changes to: coding, codebook, document, participant, "
                                                    "memo, convergence.")] = None,
    who: Annotated[str | None, typer.Option(help="Only changes by this person.")] = None,
    limit: Annotated[int | None, typer.Option(help="The most recent N entries.")] = 50,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """The audit log: who changed what, when, before and after (most recent first)."""
    from tematik.store import coding as store_coding

    with open_store(db) as store:
        rows = store_coding.audit_log(store, entity=entity, who=who, limit=limit)
    emit(["id", "at", "who", "action", "entity", "entity_id", "before", "after"], rows, fmt, title="Audit log")
