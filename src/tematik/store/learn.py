"""Learned models and the decisions they learn from: reads and writes.

A model is stored as plain data (zlib-compressed JSON of :meth:`tematik.learn.Model.to_json`), never pickled:
project files travel between researchers, and unpickling a file runs code from it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from tematik.store import Store, current_user, now

DECIDED = ("accepted", "rejected", "manual")


def decisions(db: Store, coder: str | None = None) -> tuple[list[dict[str, Any]], list[int]]:
    """The review decisions to learn from, and the documents they are in (the reviewed documents).

    Who decided a coding is its coder: the person who coded it by hand, or who accepted, rejected or recoded the
    suggestion (schema migration 6 set that from the audit log for decisions made before). With ``coder`` only
    that person's decisions count. Open suggestions of the reviewed documents are returned too (status
    ``suggested``: not decided yet)."""
    rows = db.query("""SELECT c.id, d.name AS document, c.document_id, d.sha256, c.code_id AS code, c.start, c.end,
                              c.status, c.coder FROM codings c JOIN documents d ON d.id = c.document_id
                       ORDER BY c.document_id, c.start, c.id""")
    out, documents = [], set()
    for r in rows:
        r["decider"] = None if r["status"] == "suggested" else r["coder"]
        if r["status"] in DECIDED and (coder is None or r["decider"] == coder):
            documents.add(r["document_id"])
    for r in rows:
        if r["document_id"] not in documents:
            continue
        if r["status"] == "suggested" or coder is None or r["decider"] == coder:
            out.append(r)
    return out, sorted(documents)


def rule_record(db: Store) -> dict[str, tuple[int, int]]:
    """Per rule id: how many of its suggestions were accepted and how many rejected (a suggestion accepted under
    another code than the one suggested counts as rejected: the rule was wrong)."""
    return {r[0]: (r[1], r[2]) for r in db.conn.execute(
        "SELECT rule, sum(status = 'accepted' AND coalesce(suggested_code, code_id) = code_id), "
        "sum(status = 'rejected' OR coalesce(suggested_code, code_id) != code_id) FROM codings "
        "WHERE rule IS NOT NULL AND status IN ('accepted', 'rejected') GROUP BY rule")}


def save_model(db: Store, params: str, *, coder: str | None, codebook_hash: str, units: int, documents: int,
               fingerprint: str, scores: list[dict[str, Any]], who: str | None = None) -> int:
    """Store a fitted model as the next version; returns the version number."""
    with db.transaction():
        version = (db.scalar("SELECT max(version) FROM models") or 0) + 1
        db.conn.execute(
            "INSERT INTO models (version, created, created_by, coder, codebook_hash, units, documents, fingerprint, "
            "scores, params) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (version, now(), who or current_user(), coder, codebook_hash, units, documents, fingerprint,
             json.dumps(scores, ensure_ascii=False), zlib.compress(params.encode("utf-8"), 6)))
        db.audit("learn", "model", version, who=who,
                 after={"coder": coder, "units": units, "documents": documents, "fingerprint": fingerprint})
    return version


def latest_model(db: Store) -> dict[str, Any] | None:
    """The newest model: its row (version, created, coder, sizes, scores as a list) and ``params`` as JSON text."""
    row = db.conn.execute("SELECT * FROM models ORDER BY version DESC LIMIT 1").fetchone()
    if row is None:
        return None
    out = dict(row)
    out["params"] = zlib.decompress(out["params"]).decode("utf-8")
    out["scores"] = json.loads(out["scores"])
    return out


def list_models(db: Store) -> list[dict[str, Any]]:
    return db.query("SELECT version, created, created_by, coder, codebook_hash, units, documents, fingerprint "
                    "FROM models ORDER BY version")
