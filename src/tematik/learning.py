"""The project-level steps of learning: read the researcher's decisions from the store, fit and store a model
(:mod:`tematik.learn`), and turn rule and model findings into suggestions for ``autocode``.

This is the one place that joins the store and the learner (the ``learn`` and ``autocode`` commands, the
benchmark and the tests all go through it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tematik.errors import InputError
from tematik.models import Codebook, Document, Suggestion

MODES = ("both", "rules", "model")


@dataclass
class Trained:
    version: int
    model: Any  # tematik.learn.Model
    units: int
    documents: int
    decisions: int
    coder: str | None
    fingerprint: str


def _fingerprint(rows: Sequence[dict[str, Any]], digest: str, seed: int, unit: str, coder: str | None) -> str:
    data = sorted((r["sha256"], r["code"], r["start"], r["end"], r["status"]) for r in rows)
    blob = json.dumps({"decisions": data, "codebook": digest, "seed": seed, "unit": unit, "coder": coder})
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def training_units(store, cb: Codebook, document_ids: Sequence[int], *, unit: str = "sentence",
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


def train(store, cb: Codebook, digest: str, *, coder: str | None = None, seed: int = 0, unit: str = "sentence",
          include_interviewer: bool = False, who: str | None = None, **fit_options: Any) -> Trained:
    """Fit a model on the project's reviewed documents (``coder``: only that person's decisions) and the
    codebook's seed data, store it as the next model version, and return it with its cross-validated scores."""
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
    fingerprint = _fingerprint(rows, digest, seed, unit, coder)
    model.info.update({"unit": unit, "coder": coder, "codebook_hash": digest,
                       "decisions": sum(1 for r in rows if r["status"] != "suggested")})
    version = store_learn.save_model(store, model.to_json(), coder=coder, codebook_hash=digest, units=len(units),
                                     documents=len(doc_ids), fingerprint=fingerprint,
                                     scores=[vars(s) for s in model.scores], who=who)
    return Trained(version, model, len(units), len(doc_ids), model.info["decisions"], coder, fingerprint)


def load(store) -> tuple[int, Any, dict[str, Any]] | None:
    """The project's newest model (version, model, its stored row), or None."""
    from tematik import learn
    from tematik.store import learn as store_learn

    row = store_learn.latest_model(store)
    if row is None:
        return None
    return row["version"], learn.Model.from_json(row.pop("params")), row


def rule_confidence(record: dict[str, tuple[int, int]], rule: str) -> float:
    """How often the researcher accepted this rule's suggestions (Laplace-smoothed: 0.5 before any decision)."""
    accepted, rejected = record.get(rule, (0, 0))
    return (accepted + 1) / (accepted + rejected + 2)


def combine(document: Document, rule_suggestions: Sequence[Suggestion], *, mode: str = "both",
            model: Any = None, version: int | None = None, unit: str = "sentence",
            include_interviewer: bool = False, rule_record: dict[str, tuple[int, int]] | None = None
            ) -> list[Suggestion]:
    """One document's suggestions from the rules, the model, or both (``mode``: both, rules, model).

    Every suggestion carries an origin (the rule id, ``model:vN``, or ``<rule id>+model:vN`` when both found it)
    and a confidence: the model's probability for that code and unit when the model has the code (the rule hit is
    one of its features), else how often the researcher accepted that rule before. With ``both``, a rule's
    suggestion is kept even when the model scores it under its threshold (it then ranks as uncertain)."""
    from tematik import learn

    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (expected one of: {', '.join(MODES)})", field="mode")
    record = rule_record or {}
    by_key = {(s.code, s.start, s.end): s for s in rule_suggestions}
    out: dict[tuple[str, int, int], Suggestion] = {}
    if mode != "model":
        for key, s in by_key.items():
            out[key] = replace(s, origin=s.rule, confidence=rule_confidence(record, s.rule))
    if model is None or not model.codes:
        return list(out.values()) if mode != "model" else []
    tag = f"model:v{version}"
    units = learn.document_units(document, [(s.code, s.start, s.end) for s in rule_suggestions], unit,
                                 include_interviewer)
    probs = model.probabilities(units)
    for u, row in zip(units, probs, strict=True):
        for code, p in zip(model.codes, row, strict=True):
            key = (code, u.start, u.end)
            rule = by_key.get(key)
            above = p >= model.thresholds[code]
            if rule is not None and (mode == "both" or above):
                out[key] = replace(rule, origin=f"{rule.rule}+{tag}" if above else rule.rule, confidence=float(p))
            elif rule is None and above and mode != "rules":
                out[key] = Suggestion(code=code, start=u.start, end=u.end, match_start=u.start, match_end=u.end,
                                      matched=u.text[:80], rule=tag, unit=unit, origin=tag, confidence=float(p))
    return sorted(out.values(), key=lambda s: (s.start, s.code))
