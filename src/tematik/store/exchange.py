"""Bringing another coder's work into this project: codings as portable rows, placed by document content hash.

A coding row names its document by the sha256 of the document's stored text (names differ between copies of a
project; content does not), its code by id, and keeps its coder, status and time. Nothing here overwrites: a
row equal to a coding already here (same document, code, span and coder) is counted as already present.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tematik.store import Store, now

EXCHANGE_COLUMNS = ["document", "document_sha256", "code", "start", "end", "status", "coder", "rule", "polarity",
                    "created", "text"]


def coding_rows(db: Store, statuses: Sequence[str] | None = None, coders: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    """Every coding (filtered) as a portable row."""
    clauses, params = [], []
    if statuses:
        clauses.append(f"c.status IN ({','.join('?' * len(statuses))})")
        params += list(statuses)
    if coders:
        clauses.append(f"c.coder IN ({','.join('?' * len(coders))})")
        params += list(coders)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return db.query(
        f"""SELECT d.name AS document, d.sha256 AS document_sha256, c.code_id AS code, c.start, c.end, c.status,
                   c.coder, c.rule, c.polarity, c.created, substr(d.text, c.start + 1, c.end - c.start) AS text
            FROM codings c JOIN documents d ON d.id = c.document_id {where}
            ORDER BY d.name, c.start, c.id""", tuple(params))


def code_rows(db: Store) -> list[dict[str, Any]]:
    return db.query("SELECT id, name, parent_id AS parent, colour, definition, data FROM codes ORDER BY rowid")


@dataclass
class MergeReport:
    added: int = 0
    present: int = 0
    codes_added: list[str] = field(default_factory=list)
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    coders: set[str] = field(default_factory=set)


def place_codings(db: Store, rows: Iterable[dict[str, Any]], *, codes: Sequence[dict[str, Any]] = (),
                  origin: str = "") -> MergeReport:
    """Add coding rows to this project in one transaction; report what could not be placed and why.

    ``codes``: code definitions from the other project, added here when a row uses a code this project lacks.
    """
    report = MergeReport()
    docs = {r["sha256"]: r for r in db.query("SELECT id, name, sha256, chars, text FROM documents")}
    known_codes = {r[0] for r in db.conn.execute("SELECT id FROM codes")}
    other_codes = {c["id"]: c for c in codes}
    with db.transaction():
        for n, row in enumerate(rows, start=1):
            where = f"{origin}:{row.get('_line', n)}" if origin else str(n)
            doc = docs.get(row.get("document_sha256") or "")
            if doc is None:
                report.unplaced.append((where, f"document {row.get('document')!r} (by content) is not in this "
                                               "project"))
                continue
            try:
                start, end = int(row["start"]), int(row["end"])
            except (TypeError, ValueError):
                report.unplaced.append((where, "start/end are not whole numbers"))
                continue
            if not 0 <= start < end <= doc["chars"]:
                report.unplaced.append((where, f"span {start}:{end} is outside {doc['name']!r}"))
                continue
            if row.get("text") and doc["text"][start:end] != row["text"]:
                report.unplaced.append((where, f"text at {start}:{end} of {doc['name']!r} differs from the row's"))
                continue
            code = row.get("code") or ""
            if code not in known_codes:
                if code in other_codes:
                    c = other_codes[code]
                    parent = c.get("parent") if c.get("parent") in known_codes else None
                    db.conn.execute("INSERT INTO codes (id, name, parent_id, colour, definition, data) "
                                    "VALUES (?,?,?,?,?,?)", (code, c.get("name") or code, parent, c.get("colour"),
                                                             c.get("definition"), c.get("data")))
                    known_codes.add(code)
                    report.codes_added.append(code)
                else:
                    report.unplaced.append((where, f"code {code!r} is not in this project's codebook"))
                    continue
            status = row.get("status") or "manual"
            if status not in ("suggested", "accepted", "rejected", "manual"):
                report.unplaced.append((where, f"unknown status {status!r}"))
                continue
            coder = row.get("coder") or ""
            if not coder:
                report.unplaced.append((where, "no coder"))
                continue
            exists = db.scalar("SELECT 1 FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND "
                               "end = ? AND coder = ?", (doc["id"], code, start, end, coder))
            if exists:
                report.present += 1
                continue
            polarity = row.get("polarity") or "positive"
            cur = db.conn.execute(
                "INSERT INTO codings (document_id, code_id, start, end, status, coder, rule, polarity, created) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (doc["id"], code, start, end, status, coder, row.get("rule") or None,
                 polarity if polarity in ("positive", "negative") else "positive", row.get("created") or now()))
            db.audit("merge", "coding", cur.lastrowid, who=coder,
                     after={"document": doc["name"], "code": code, "start": start, "end": end, "status": status,
                            "from": origin})
            report.added += 1
            report.coders.add(coder)
    return report


def read_other_project(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Coding rows and code definitions of another tematik project file."""
    other = Store.open(path)
    try:
        return coding_rows(other), code_rows(other)
    finally:
        other.close()


