"""REFI-QDA exchange: the project-wide reads an export needs and the one-transaction write of an import."""

from __future__ import annotations

import json
from typing import Any

from tematik.models import Participant
from tematik.refi import ImportBundle, ProjectContext, ProjectSnapshot, quoted_passage_memo
from tematik.store import Store, current_user, now
from tematik.store.coding import add_codings, latest_codebook, list_codes, query_codings, save_codebook
from tematik.store.corpus import ImportPlan, apply_import, ensure_participants, load_documents
from tematik.store.memos import list_memos


def context(db: Store) -> ProjectContext:
    """The codes an import has to match against."""
    return ProjectContext(codes=tuple({"id": c["id"], "name": c["name"], "parent": c["parent"], "data": c["data"]}
                                      for c in list_codes(db)))


def snapshot(db: Store, *, name: str) -> ProjectSnapshot:
    """Everything an export carries: documents with turns, participants with typed attributes, codes, codings
    (all statuses; the export filters), memos and the latest codebook."""
    meta = dict(db.conn.execute("SELECT key, value FROM meta").fetchall())
    people: dict[str, dict[str, str]] = {}
    types: dict[str, str] = {}
    for r in db.conn.execute("SELECT participant_id, key, value, type FROM participant_attributes "
                             "ORDER BY participant_id, key"):
        if r["value"] is not None:
            people.setdefault(r["participant_id"], {})[r["key"]] = r["value"]
        types[r["key"]] = r["type"]
    participants = tuple(Participant(r["id"], r["role"], people.get(r["id"], {}))
                         for r in db.query("SELECT id, role FROM participants ORDER BY id"))
    codings = tuple(query_codings(db))
    return ProjectSnapshot(users=known_users(db),
        name=name, seed=f"{meta.get('created', '')}|{meta.get('created_by', '')}", created=meta.get("created"),
        documents=tuple(load_documents(db)), participants=participants, attribute_types=types,
        codes=tuple(list_codes(db)), codings=codings, memos=tuple(list_memos(db)), codebook=latest_codebook(db))


USERS_KEY = "refi_users"


def known_users(db: Store) -> dict[str, str]:
    """Users met in imported REFI-QDA files (name -> GUID), also those who never coded, so exports keep them."""
    raw = db.scalar("SELECT value FROM meta WHERE key = ?", (USERS_KEY,))
    try:
        got = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in got.items() if isinstance(k, str)} if isinstance(got, dict) else {}


def export_codes(db: Store) -> list[dict[str, Any]]:
    """The active codes, for a codebook (.qdc) export."""
    return list_codes(db, active_only=True)


def write_import(db: Store, bundle: ImportBundle, plan: ImportPlan, *, source: str, who: str | None = None
                 ) -> dict[str, int]:
    """Write a checked import in one transaction: participants, documents, codes, codings and memos.

    Codings and memos already in the project (same document, code, span and coder; same target, passage, text
    and author) are not added again, so importing the same file twice changes nothing. Returns what was added.
    """
    who = who or current_user()
    stamp = now()
    with db.transaction():
        before_people = db.scalar("SELECT count(*) FROM participants")
        ensure_participants(db, [p for p in bundle.participants], update=True)
        apply_import(db, plan)
        # codes: a fresh project records the codebook; otherwise new codes join the project's code list
        new_codes = 0
        if bundle.codes:
            if bundle.codebook and not db.scalar("SELECT 1 FROM codes LIMIT 1"):
                cb = bundle.codebook
                save_codebook(db, name=cb["name"], version=cb.get("version"), digest=cb["digest"],
                              source=cb["source"], fmt=cb["fmt"], codes=bundle.codes, who=who)
            else:
                for code in bundle.codes:  # parents come first: the XML nests them
                    db.conn.execute(
                        "INSERT INTO codes (id, name, parent_id, colour, definition, data, codebook_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                        (code["id"], code["name"], code.get("parent"), code.get("colour"), code.get("definition"),
                         json.dumps(code.get("data") or {}, ensure_ascii=False, default=str)))
                    db.audit("add", "code", code["id"], who=who, after={"name": code["name"], "from": source})
            new_codes = len(bundle.codes)
        # codings, without repeating ones already there
        names = sorted({c.document for c in bundle.codings})
        have: set[tuple] = set()
        for i in range(0, len(names), 500):
            chunk = names[i:i + 500]
            have.update(tuple(r) for r in db.conn.execute(
                f"SELECT d.name, c.code_id, c.start, c.end, c.coder FROM codings c JOIN documents d "
                f"ON d.id = c.document_id WHERE d.name IN ({','.join('?' * len(chunk))})", chunk))
        fresh: list[int] = []
        for n, c in enumerate(bundle.codings):
            key = (c.document, c.code, c.start, c.end, c.coder)
            if key not in have:
                have.add(key)
                fresh.append(n)
        ids = dict(db.conn.execute("SELECT name, id FROM documents").fetchall()) if fresh else {}
        coding_ids = dict(zip(fresh, add_codings(db, [bundle.codings[n] for n in fresh], document_ids=ids,
                                                 who=who), strict=True))
        # memos; a memo on a coding that was already there is not repeated either
        memo_rows = []
        texts = {d.name: d.text for d in bundle.documents}
        existing = {(r["target_type"], r["target_id"], r["text"], r["author"], r["start"], r["end"])
                    for r in list_memos(db)}
        for m in bundle.memos:
            if m.target_type == "coding":
                if m.target_id not in coding_ids:
                    continue
                target = str(coding_ids[m.target_id])
            else:
                target = None if m.target_id is None else str(m.target_id)
            key = (m.target_type, target, m.text, m.author, m.start, m.end)
            if key in existing:
                continue
            if m.start is not None and m.end is not None and m.target_type == "document" and target in texts and (
                    m.target_type, target, quoted_passage_memo(texts[target], m.start, m.end, m.text), m.author,
                    None, None) in existing:
                continue  # imported before passage memos, as a document memo quoting the passage
            existing.add(key)
            memo_rows.append((m.target_type, target, m.text, m.author, m.created or stamp, m.start, m.end))
        db.conn.executemany("INSERT INTO memos (target_type, target_id, text, author, created, start, end) "
                            "VALUES (?,?,?,?,?,?,?)", memo_rows)
        counts = {"documents": len(plan.add), "replaced": len(plan.replace), "unchanged": len(plan.skip),
                  "participants": db.scalar("SELECT count(*) FROM participants") - before_people,
                  "codes": new_codes, "codes_matched": len(set(bundle.code_ids.values())) - new_codes,
                  "codings": len(fresh), "codings_present": len(bundle.codings) - len(fresh),
                  "memos": len(memo_rows)}
        if bundle.user_guids:
            users = {**bundle.user_guids, **known_users(db)}  # a user keeps the GUID first met
            db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                            "value = excluded.value", (USERS_KEY, json.dumps(users, ensure_ascii=False,
                                                                             sort_keys=True)))
        db.audit("import", "qdpx", source, who=who,
                 after={**counts, "origin": bundle.origin, "users": bundle.users,
                        "offsets": bundle.counting.counting.describe()})
    return counts

