"""The project API for coding: autocode, learn, codings, accept/reject/add/rm, the audit log, review (memos:
:mod:`tematik.project.memos`).

Also the project-level steps of learning (what ``tematik.learning`` was): read the researcher's decisions from
the store, fit a model with :mod:`tematik.learn` and store it (:func:`train`), load the newest one
(:func:`load_model`), and the units a model is trained on (:func:`training_units`). They take a
:class:`tematik.store.Store`; the :class:`CodingMixin` methods are the same steps on an open project.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.models import AUTO_CODER
from tematik.project._base import ProjectBase, choice, dataframe, log, parse_statuses, split_list

if TYPE_CHECKING:
    import pandas as pd

    from tematik.models import Codebook
    from tematik.store import Store

UNITS = ("sentence", "turn", "paragraph")
REVIEW_ORDERS = ("document", "confidence", "uncertain")
#: The columns of ``tematik learn``'s scores table.
LEARN_COLUMNS = ["code", "support", "units", "precision", "recall", "f1", "threshold", "note"]
LOG_COLUMNS = ["id", "at", "who", "action", "entity", "entity_id", "before", "after"]


def default_coder() -> str:
    """Who is coding when no coder is given: $TEMATIK_CODER, else the OS user."""
    from tematik.store import current_user

    return current_user()


def _who(coder: str | None) -> str:
    return coder or default_coder()


# --------------------------------------------------------------------------- learning on a store

@dataclass(frozen=True)
class LearnResult:
    """A model fitted and stored by ``learn``: its version, the model (:class:`tematik.learn.Model`), what it
    learned from (units, reviewed documents, decisions, whose) and a fingerprint of its training data.
    :meth:`to_frame` gives the cross-validated scores table the command prints."""

    version: int
    model: Any  # tematik.learn.Model
    units: int
    documents: int
    decisions: int
    coder: str | None
    fingerprint: str

    @property
    def cv(self) -> str:
        """How the scores were cross-validated (e.g. leave-one-document-out)."""
        return self.model.info["cv"]

    @property
    def seed_units(self) -> int:
        """How many codebook examples the model was seeded with."""
        return self.model.info["seed_units"]

    @property
    def untrained(self) -> list[str]:
        """Codes the model has no classifier for (too few coded units): their suggestions come from the rules."""
        return [s.code for s in self.model.scores if s.code not in self.model.codes]

    def score_rows(self) -> list[dict[str, Any]]:
        rows = []
        for s in self.model.scores:
            row = {k: getattr(s, k) for k in LEARN_COLUMNS}
            for k in ("precision", "recall", "f1", "threshold"):
                if row[k] is not None:
                    row[k] = round(row[k], 3)
            rows.append(row)
        return rows

    def to_frame(self) -> pd.DataFrame:
        """Per code: support (coded units), units, precision, recall, F1 (cross-validated on the researcher's
        decisions, 3 decimals), the threshold chosen, and a note (e.g. why a code has no model)."""
        return dataframe(LEARN_COLUMNS, self.score_rows(),
                      title=f"Model v{self.version}: cross-validated on your decisions ({self.cv})")


def training_units(store: Store, cb: Codebook, document_ids: Sequence[int], *, unit: str = "sentence",
                   include_interviewer: bool = False) -> list:
    """The units of these documents with their questions and the codes the codebook's rules find in them."""
    from tematik import learn, nlp
    from tematik.store import corpus as store_corpus

    documents = store_corpus.load_documents(store, document_ids)
    units = []
    for document, found in nlp.autocode(documents, cb, unit=unit, include_interviewer=include_interviewer):
        units += learn.document_units(document, [(s.code, s.start, s.end) for s in found], unit,
                                      include_interviewer)
    return units


def train(store: Store, cb: Codebook, digest: str, *, coder: str | None = None, seed: int = 0,
          unit: str = "sentence", include_interviewer: bool = False, who: str | None = None,
          **fit_options: Any) -> LearnResult:
    """Fit a model on the project's reviewed documents (``coder``: only that person's decisions) and the
    codebook's seed data, store it as the next model version, and return it with its cross-validated scores.
    ``fit_options`` go to :func:`tematik.learn.fit` (e.g. ``estimator="svm"``)."""
    from tematik import learn
    from tematik.store import learn as store_learn

    rows, doc_ids = store_learn.decisions(store, coder)
    if not doc_ids:
        who_ = f" by {coder!r}" if coder else ""
        raise InputError(f"nothing to learn from: no accepted, rejected or manual codings{who_} yet (review some "
                         "suggestions or code by hand first)", field="--coder" if coder else None)
    units = training_units(store, cb, doc_ids, unit=unit, include_interviewer=include_interviewer)
    known = set(cb.ids)
    rows = [r for r in rows if r["code"] in known]
    labels = learn.label_units(units, rows, cb.ids)
    model = learn.fit(units, labels, cb, seed=seed, **fit_options)
    fingerprint = learn.fingerprint(rows, digest, seed, unit, coder)
    model.info.update({"unit": unit, "coder": coder, "codebook_hash": digest,
                       "decisions": sum(1 for r in rows if r["status"] != "suggested")})
    version = store_learn.save_model(store, model.to_json(), coder=coder, codebook_hash=digest, units=len(units),
                                     documents=len(doc_ids), fingerprint=fingerprint,
                                     scores=[vars(s) for s in model.scores], who=who)
    return LearnResult(version, model, len(units), len(doc_ids), model.info["decisions"], coder, fingerprint)


def load_model(store: Store) -> tuple[int, Any, dict[str, Any]] | None:
    """The project's newest model (version, :class:`tematik.learn.Model`, its stored row), or None."""
    from tematik import learn
    from tematik.store import learn as store_learn

    row = store_learn.latest_model(store)
    if row is None:
        return None
    return row["version"], learn.Model.from_json(row.pop("params")), row


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class AutocodeResult:
    """What ``autocode`` did: ``pending`` documents to code (0: nothing to do, every document is already coded
    with this codebook version), ``done`` of them coded, ``words`` in them, ``stored`` suggestions stored,
    ``skipped`` already reviewed and left as they were, suggestions ``by_code``, documents ``changed`` by another
    process meanwhile as (name, what happened), and which ``model`` was used (a sentence, or None)."""

    pending: int = 0
    done: int = 0
    stored: int = 0
    skipped: int = 0
    words: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    changed: tuple[tuple[str, str], ...] = ()
    model: str | None = None


@dataclass(frozen=True)
class CodingAdded:
    """A coding made by hand: its id, code, document, span and the text it covers."""

    id: int
    code: str
    document: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CodingsAdded:
    """What one ``code add`` made: the codings (one :class:`CodingAdded` each, in the order asked) and the
    warnings said about them (a passage in an interviewer turn). Iterate it, index it or take ``ids``."""

    codings: tuple[CodingAdded, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ids(self) -> list[int]:
        return [c.id for c in self.codings]

    def __iter__(self):
        return iter(self.codings)

    def __len__(self) -> int:
        return len(self.codings)

    def __getitem__(self, i: int) -> CodingAdded:
        return self.codings[i]


@dataclass(frozen=True)
class CodingRemoved:
    """A deleted coding: its id, code and document, and the codes now ``remembered`` as turned down on its text
    and span (a removed suggestion: ``autocode`` will not suggest them there again; empty for a manual coding)."""

    id: int
    code: str
    document: str
    remembered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewDecision:
    """One review decision: the coding, what was decided (accepted, rejected, or ``recoded`` to ``code`` and
    accepted), and its status, code and coder before (what :meth:`CodingMixin.review_undo` puts back)."""

    coding_id: int
    decision: str
    status_before: str
    code_before: str
    code: str
    coder_before: str | None = None


@dataclass
class ReviewQueue:
    """Open suggestions in review order (``items``: dicts with the columns of ``codings`` plus ``document_id``,
    ``match_start``, ``match_end``, ``unit``...), the codebook's codes by id (``definitions``), and
    :meth:`text` for the text of a document of the queue."""

    items: list[dict[str, Any]]
    definitions: dict[str, dict[str, Any]]
    _load_text: Callable[[int], str] = field(repr=False, default=lambda i: "")
    _texts: dict[int, str] = field(repr=False, default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def text(self, document_id: int) -> str:
        """The text of a document (by its numeric id, ``item["document_id"]``), read once."""
        if document_id not in self._texts:
            self._texts[document_id] = self._load_text(document_id)
        return self._texts[document_id]

    def to_frame(self) -> pd.DataFrame:
        """The queue as a DataFrame with the columns of ``codings``."""
        from tematik.store.coding import CODING_COLUMNS

        return dataframe(CODING_COLUMNS, self.items, title=f"Open suggestions ({len(self.items)})")


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


# --------------------------------------------------------------------------- the API

class CodingMixin(ProjectBase):
    """Suggestions, decisions and manual codings, and the audit log."""

    # ------------------------------------------------------------------ autocode and learn
    def autocode(self, *, unit: str = "sentence", doc: str | Iterable[str] | None = None,
                 code: str | Iterable[str] | None = None, redo: bool = False, include_interviewer: bool = False,
                 no_model: bool = False, model_only: bool = False) -> AutocodeResult:
        """Suggest codings from the codebook's rules and, once :meth:`learn` has fitted one, the project's model
        (status ``suggested``, coder ``auto``; each with its origin and a confidence). ``unit``: sentence, turn
        or paragraph; ``doc`` / ``code``: only these documents / codes; ``redo``: re-run documents already
        auto-coded with this codebook; ``include_interviewer``: also code interviewer turns; ``no_model``: rules
        only; ``model_only``: the learned model only.

        Re-running replaces unreviewed suggestions only: accepted, rejected and manual codings are kept, and a
        rejected suggestion is never suggested again. Each document is committed when it is done, so an
        interrupted run resumes where it stopped. Returns an :class:`AutocodeResult` (``pending == 0``: nothing
        was left to do). The model used is told as a note, documents changed meanwhile as warnings."""
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus

        unit = choice(unit, UNITS, "--unit", "unit")
        cb, digest = self._codebook()
        store = self.store
        codes = [store_coding.code_exists(store, c) for c in split_list(code)] or None
        doc_ids = [store_corpus.document_id(store, d) for d in split_list(doc)] or None
        if no_model and model_only:
            raise InputError("--no-model and --model-only exclude each other", field="--model-only")
        mode = "rules" if no_model else "model" if model_only else "both"
        return self._autocode(cb, digest, unit=unit, codes=codes, doc_ids=doc_ids, redo=redo,
                              include_interviewer=include_interviewer, mode=mode)

    def _autocode(self, cb: Codebook, digest: str, *, unit: str = "sentence", codes: list[str] | None = None,
                  doc_ids: list[int] | None = None, redo: bool = False, include_interviewer: bool = False,
                  mode: str = "both") -> AutocodeResult:
        """Auto-code the pending documents (all with ``redo``).

        Each document's units and suggestions are stored with the hash of the text they were computed from, in
        one transaction that first checks the document still has that text. A document another process
        re-imported (or removed) meanwhile is coded once more from its new text; if it changes again it is left
        pending for the next run.

        ``mode`` (both, rules, model) says whether the project's newest model adds its suggestions (see
        :func:`tematik.learn.combine`); with a model the run is keyed by codebook hash and model version, so a
        new model makes every document pending again."""
        from tematik import learn, nlp
        from tematik.corpus import sha256
        from tematik.errors import DocumentChanged
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus
        from tematik.store import learn as store_learn

        store = self.store
        loaded = load_model(store) if mode != "rules" else None
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
            return AutocodeResult()
        if model_note:
            log.info(model_note)
        documents = store_corpus.load_documents(store, todo)
        result: dict[str, Any] = {"done": 0, "stored": 0, "skipped": 0, "words": sum(d.words for d in documents),
                                  "by_code": {}}

        def code(documents, advance) -> list[str]:
            ids = store_corpus.document_ids_by_name(store)
            changed = []
            # with a model, every code's rules run: their hits are features of the model (suggestions are
            # filtered below)
            rule_codes = set(codes) if codes and model is None else None
            for document, suggestions in nlp.autocode(documents, cb, unit=unit, codes=rule_codes,
                                                      include_interviewer=include_interviewer):
                doc_id, sha = ids.get(document.name), sha256(document.text)
                suggestions = learn.combine(document, suggestions, mode=mode, model=model, version=version,
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

        with self.progress(f"auto-coding {len(documents)} documents", len(documents)) as advance:
            changed = code(documents, advance)
        outcome: list[tuple[str, str]] = []
        if changed:  # re-imported (or removed) by another process while this one ran: once more from the new text
            ids = store_corpus.document_ids_by_name(store)
            again = store_corpus.load_documents(store, [ids[n] for n in changed if n in ids])
            result["words"] += sum(d.words for d in again)
            still = set(code(again, lambda n=1: None)) if again else set()
            for name in changed:
                if name not in ids:
                    outcome.append((name, "removed meanwhile; nothing stored for it"))
                elif name in still:
                    outcome.append((name, "changed again meanwhile; left for the next run"))
                else:
                    outcome.append((name, "re-imported meanwhile; coded again from its new text"))
        for name, what in outcome:
            log.warning(f"document {name!r} {what}")
        return AutocodeResult(pending=len(todo), changed=tuple(outcome), model=model_note, **result)

    def learn(self, *, coder: str | None = None, seed: int = 0, **fit_options: Any) -> LearnResult:
        """Fit a model from the reviewed codings (accepted and manual: positives; rejected and uncoded units of
        reviewed documents: negatives) and the codebook's definitions, criteria and examples, and store it in the
        project as the next version; :meth:`autocode` then adds its suggestions to the rules'.

        ``coder``: learn from this person's decisions only (default: everyone's); ``seed``: the same seed and
        decisions give the same model. Returns a :class:`LearnResult`; its ``to_frame()`` is the
        leave-one-document-out precision, recall and F1 per code (rough with fewer than 3 reviewed documents:
        ``result.documents``); ``result.untrained`` lists the codes left to the rules."""
        cb, digest = self._codebook()
        return train(self.store, cb, digest, coder=coder, seed=seed, **fit_options)

    # ------------------------------------------------------------------ decisions
    def _bulk(self, status: str, code, rule, doc, all_: bool, ids, coder: str | None) -> int:
        """Set ``status`` on the open suggestions matching the filters; how many changed. Ids given must all be
        open suggestions (else nothing changes: NotFound / Conflict saying what became of the one refused)."""
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus

        if ids is None:
            ids = []
        elif isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
            ids = [ids]  # one id (an int, a numpy integer, "12")
        try:
            ids = [int(i) for i in ids]
        except (TypeError, ValueError):
            raise InputError(f"coding ids are whole numbers, got {ids!r}", field="--id") from None
        if not (split_list(code) or split_list(rule) or split_list(doc) or all_ or ids):
            raise InputError("say which suggestions: --code, --rule, --doc, --id or --all")
        store = self.store
        codes = [store_coding.code_exists(store, c) for c in split_list(code)]
        docs = [store_corpus.document_id(store, d) for d in split_list(doc)]
        with store.transaction():  # checked and decided under one write lock: all or nothing
            if ids:
                store_coding.check_open_suggestions(store, ids)
            rows = store_coding.query_codings(store, statuses=["suggested"], codes=codes, documents=docs,
                                              rules=split_list(rule), ids=ids)
            return store_coding.set_status(store, [r["id"] for r in rows], status, who=_who(coder))

    def accept(self, *, code: str | Iterable[str] | None = None, rule: str | Iterable[str] | None = None,
               doc: str | Iterable[str] | None = None, all: bool = False,  # noqa: A002 - the option --all
               id: int | Iterable[int] | None = None, coder: str | None = None) -> int:  # noqa: A002 - --id
        """Accept the open suggestions matching the filters (``code``, ``rule`` with ``*`` wildcards, ``doc``,
        ``id``: coding ids; or ``all=True`` for every open suggestion); each decision goes to the audit log.
        The reviewer (``coder``, default :func:`default_coder`) becomes the coder of each; ``suggested_by`` keeps
        where it came from. An ``id`` that does not exist or is no longer an open suggestion is refused
        (NotFound / Conflict naming what became of it) and nothing is accepted. Returns how many were accepted."""
        return self._bulk("accepted", code, rule, doc, all, id, coder)

    def reject(self, *, code: str | Iterable[str] | None = None, rule: str | Iterable[str] | None = None,
               doc: str | Iterable[str] | None = None, all: bool = False,  # noqa: A002 - the option --all
               id: int | Iterable[int] | None = None, coder: str | None = None) -> int:  # noqa: A002 - --id
        """Reject the open suggestions matching the filters (as :meth:`accept`; the reviewer becomes the coder of
        the rejected coding); a rejected suggestion is not suggested again. Returns how many were rejected."""
        return self._bulk("rejected", code, rule, doc, all, id, coder)

    def add_coding(self, document: str | int, code: str, *, span: str | tuple[int, int] | None = None,
                   sentence: int | str | Iterable[int | str] | None = None,
                   turn: int | str | Iterable[int | str] | None = None, match: str | None = None,
                   each: bool = False, memo: str | None = None, coder: str | None = None) -> CodingsAdded:
        """Code by hand (status ``manual``): give exactly one of ``span`` ("START:END" or (start, end) character
        offsets), ``sentence`` / ``turn`` or ``match`` (the first occurrence of this text).

        ``sentence`` / ``turn`` take 1-based numbers as ``tematik show DOC --units sentence|turn`` numbers them:
        ``6``, a range ``"6-8"`` (ONE coding from the start of the first unit to the end of the last, the passage
        a researcher selecting those lines would code), a list ``"3,5"`` / ``[3, 5]`` (one coding per item) or
        both (``"2,4-6"``: two codings). ``each=True`` makes one coding per unit of every range. ``memo``: a memo
        on each new coding. All codings are written in one transaction, or none.

        Refused (Conflict, nothing written): a span already coded with this code by this coder (accepted or
        manual). A passage in an interviewer turn is coded, with a warning (``log.warning`` and ``.warnings``):
        the counts leave codings that start in interviewer turns out unless ``include_interviewer``.
        """
        from tematik.corpus import sha256
        from tematik.errors import Conflict
        from tematik.models import Coding
        from tematik.project import _passages
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus
        from tematik.store import memos as store_memos

        given = [x for x in (span, sentence, turn, match) if x is not None]
        if len(given) != 1:
            raise InputError("give exactly one of --span, --sentence, --turn, --match")
        if each and sentence is None and turn is None:
            raise InputError("--each splits --sentence or --turn ranges; give one of them", field="--each")
        who = _who(coder)
        store = self.store
        doc = store_corpus.get_document(store, document)
        code_id = store_coding.code_exists(store, code)
        if span is not None:
            found = [_passages.Passage(*_passages.parse_span(span, doc), "span")]
        elif match is not None:
            start = doc.text.find(match) if match else -1
            if start < 0:
                raise NotFound(f"{match!r} does not occur in {doc.name}")
            found = [_passages.Passage(start, start + len(match), "match")]
        else:
            kind, value = ("sentence", sentence) if sentence is not None else ("turn", turn)
            found = _passages.passages(doc, kind, value, each=each)
        warnings = []
        for p in found:
            why = _passages.interviewer_note(doc, p.start, p.end)
            if why:
                warnings.append(f"{doc.name} {p.label} {why}")
        with store.transaction():
            same_code = store_coding.query_codings(store, statuses=["suggested", "accepted", "manual"],
                                                   codes=[code_id],
                                                   documents=[store_corpus.document_id(store, doc.name)])
            have = {(r["start"], r["end"]): r["id"] for r in same_code
                    if r["coder"] == who and r["status"] in ("accepted", "manual")}
            open_ = {(r["start"], r["end"]): r["id"] for r in same_code if r["status"] == "suggested"}
            for p in found:
                if (p.start, p.end) in have:
                    raise Conflict(f"{doc.name} [{p.start}:{p.end}] ({p.label}) is already coded {code_id} by {who}"
                                   f" (coding {have[(p.start, p.end)]}); nothing was added")
            ids = store_coding.add_codings(
                store, [Coding(document=doc.name, code=code_id, start=p.start, end=p.end, status="manual",
                               coder=who) for p in found], who=who, texts={doc.name: sha256(doc.text)})
            if memo:
                for cid in ids:
                    store_memos.add_memo(store, "coding", str(cid), memo, who=who)
        for w in warnings:
            log.warning(w)
        for p in found:
            if (p.start, p.end) in open_:
                log.info(f"the suggestion of {code_id} on this span (coding {open_[(p.start, p.end)]}) is still open: "
                         "accept or reject it too (code accept/reject --id)")
        return CodingsAdded(tuple(CodingAdded(cid, code_id, doc.name, p.start, p.end, doc.text[p.start:p.end])
                                  for cid, p in zip(ids, found, strict=True)), tuple(warnings))

    def remove_coding(self, id: int, *, coder: str | None = None) -> CodingRemoved:  # noqa: A002 - coding id
        """Delete a coding (and its memos); the audit log records what it was. Removing a coding that came from a
        suggestion (accepted, recoded or open) is remembered by the document's text, span and code, so no later
        :meth:`autocode` suggests it there again (``CodingRemoved.remembered``)."""
        from tematik.store import coding as store_coding

        row = store_coding.delete_coding(self.store, int(id), who=_who(coder))
        return CodingRemoved(int(id), row["code"], row["document"], tuple(row["remembered"]))

    # ------------------------------------------------------------------ listing
    def codings(self, *, status: str | Iterable[str] | None = None, code: str | Iterable[str] | None = None,
                doc: str | Iterable[str] | None = None, coder: str | Iterable[str] | None = None,
                rule: str | Iterable[str] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Codings (``tematik codings --format json``), filtered: ``status`` (default and ``all``: every status,
        rejected included), ``code``, ``doc``, ``coder``, ``rule`` (``*`` wildcards), at most ``limit`` rows.

        Columns: id, document, participant (of the turn the coding starts in, else of the document), code,
        status, coder (who coded it, or accepted / rejected / recoded the suggestion), suggested_by (the
        auto-coder that suggested it; empty for a manual coding), start, end (character offsets), text, rule,
        polarity, origin (rule id or ``model:vN``) and confidence (of a suggestion, 3 decimals)."""
        from tematik.models import CODING_STATUSES
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus

        statuses = parse_statuses(status, default=(), all_means=CODING_STATUSES)
        store = self.store
        rows = store_coding.query_codings(
            store, statuses=list(statuses), codes=[store_coding.code_exists(store, c) for c in split_list(code)],
            documents=[store_corpus.document_id(store, d) for d in split_list(doc)], coders=split_list(coder),
            rules=split_list(rule), limit=limit)
        return dataframe(store_coding.CODING_COLUMNS, rows, title=f"Codings ({len(rows)})")

    def suggestion_summary(self, coder: str = AUTO_CODER) -> pd.DataFrame:
        """Per code, the open suggestions of ``coder`` (default: the auto-coder): columns code, name, suggestions,
        documents (that have one) and negative (negated ones); most suggested first."""
        from tematik.store import coding as store_coding

        return dataframe(["code", "name", "suggestions", "documents", "negative"],
                         store_coding.suggestion_summary(self.store, coder), title="Open suggestions by code")

    # ------------------------------------------------------------------ the log
    def log(self, *, entity: str | None = None, who: str | None = None, limit: int | None = 50) -> pd.DataFrame:
        """The audit log (``tematik log --format json``), most recent first: only changes to ``entity`` (coding,
        codebook, document, participant, memo, convergence), only by ``who``, the last ``limit`` entries (None:
        all). Columns: id, at, who, action, entity, entity_id, before, after (JSON text)."""
        from tematik.store import coding as store_coding

        rows = store_coding.audit_log(self.store, entity=entity, who=who, limit=limit)
        return dataframe(LOG_COLUMNS, rows, title="Audit log")

    # ------------------------------------------------------------------ review, one decision at a time
    def review_queue(self, *, code: str | Iterable[str] | None = None, doc: str | Iterable[str] | None = None,
                     order: str = "document") -> ReviewQueue:
        """The open suggestions to review (``code`` / ``doc``: only these), in ``order``: ``document`` (text
        order), ``confidence`` (most confident first) or ``uncertain`` (closest to the model's threshold first:
        the decisions that teach the model most). Decide each with :meth:`review_accept`,
        :meth:`review_reject`, :meth:`review_recode` (and :meth:`review_undo`); memos with :meth:`add_memo`."""
        from tematik.store import coding as store_coding
        from tematik.store import corpus as store_corpus

        order = choice(order, REVIEW_ORDERS, "--order", "order")
        store = self.store
        codes = [store_coding.code_exists(store, c) for c in split_list(code)]
        docs = [store_corpus.document_id(store, d) for d in split_list(doc)]
        items = store_coding.query_codings(store, statuses=["suggested"], codes=codes, documents=docs)
        if not items:
            return ReviewQueue([], {})
        thresholds: dict[str, float] = {}
        if order == "uncertain":
            loaded = load_model(store)
            thresholds = {c: t for c, t in loaded[1].thresholds.items() if t <= 1} if loaded else {}
        items = order_items(items, order, thresholds)
        definitions = {c["id"]: c for c in store_coding.list_codes(store)}
        return ReviewQueue(items, definitions, lambda i: store_corpus.document_text(store, i))

    def _decide(self, coding_id: int, decision: str, new_code: str | None, coder: str | None) -> ReviewDecision:
        """One decision on one open suggestion (refused, nothing changed, if it is not one any more)."""
        from tematik.store import coding as store_coding

        store = self.store
        who = _who(coder)
        if decision == "recoded":
            new_code = store_coding.code_exists(store, new_code or "")
        with store.transaction():
            (before,) = store_coding.check_open_suggestions(store, [int(coding_id)], field=None)
            if decision == "recoded" and new_code != before["code_id"]:
                store_coding.change_code(store, before["id"], new_code, who=who)
            store_coding.set_status(store, [before["id"]], "accepted" if decision == "recoded" else decision,
                                    who=who)
        return ReviewDecision(before["id"], decision, before["status"], before["code_id"],
                              new_code or before["code_id"], before["coder"])

    def review_accept(self, coding_id: int, *, coder: str | None = None) -> ReviewDecision:
        """Accept one open suggestion (audited, committed at once); the reviewer becomes its coder. Refused
        (NotFound / Conflict, nothing changed) if the coding does not exist or is no longer an open suggestion.
        Returns the decision, for :meth:`review_undo`."""
        return self._decide(coding_id, "accepted", None, coder)

    def review_reject(self, coding_id: int, *, coder: str | None = None) -> ReviewDecision:
        """Reject one suggestion: it is not suggested again. Returns the decision, for :meth:`review_undo`."""
        return self._decide(coding_id, "rejected", None, coder)

    def review_recode(self, coding_id: int, code: str, *, coder: str | None = None) -> ReviewDecision:
        """Give one suggestion another code (id or name; NotFound if there is none) and accept it; the old code is
        remembered as rejected on that span (not suggested there again) and the reviewer becomes the coder."""
        return self._decide(coding_id, "recoded", code, coder)

    def review_undo(self, decision: ReviewDecision, *, coder: str | None = None) -> None:
        """Undo a review decision: the coding's status, code and coder as they were before it (audited); a
        rejection it made remembered (a reject, or a changed code) is forgotten unless another decision holds it."""
        from tematik.store import coding as store_coding

        store_coding.restore_coding(self.store, decision.coding_id, status=decision.status_before,
                                    code=decision.code_before, coder=decision.coder_before, who=_who(coder))

    def review_tally(self, coding_ids: Iterable[int]) -> dict[str, int]:
        """How many of these codings are now accepted, rejected, suggested (still open) and manual."""
        from tematik.models import CODING_STATUSES
        from tematik.store import coding as store_coding

        ids = [int(i) for i in coding_ids]
        rows = store_coding.query_codings(self.store, ids=ids) if ids else []
        statuses = [r["status"] for r in rows]
        return {s: statuses.count(s) for s in CODING_STATUSES}


__all__ = ["AutocodeResult", "CodingAdded", "CodingMixin", "CodingRemoved", "CodingsAdded", "LearnResult",
           "ReviewDecision", "ReviewQueue", "default_coder", "load_model", "order_items", "train",
           "training_units"]
