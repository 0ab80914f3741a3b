"""Bringing another coder's work into this project: codings, rejections and memos as portable rows.

A row names its document by the sha256 of the document's stored text (names differ between copies of a project;
content does not), its code by id, and keeps its coder, status and times. Three kinds of rows travel
(``record``): ``coding`` (every status and coder), ``rejection`` (the table of remembered rejections, keyed by
text hash, code and span, so it is portable even where no coding row is left) and ``memo`` (on the project, a
code, a document or a passage of it, a coding, a participant).

Nothing here overwrites:

- a coding equal to one here (same document, code, span and coder, same status) is *present*; the same coding
  with another status here is a *conflict*: this project's decision is kept and the conflict is reported;
- an incoming open suggestion is not added where this project already has a coding of that code on that span
  (whoever's) or remembers it as rejected;
- a memo equal to one here (same target, author, created and text) is present; the same target, author and time
  with another text (an edited copy) is added beside it as another memo.

Columns are read defensively (``PRAGMA table_info``): columns the two projects share travel whatever other
changes added them; ids never travel (they are not portable).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tematik.models import CODING_STATUSES, MergeConflict
from tematik.store import Store, now

#: The columns of the CSV ``export codings`` writes (one file a spreadsheet opens). ``record`` says what a row is:
#: coding, rejection or memo; a file without it (written before memos and rejections travelled) holds codings.
#: Memo rows: ``memo_on`` (project|code|document|coding|participant), ``memo_target`` (the target's id as the
#: exporting project knew it), ``memo`` (the text) and ``author``; ``document``/``document_sha256``, ``code``,
#: ``start``/``end`` and ``coder`` name the coding (or passage) a memo is on; ``created`` is the memo's time.
EXCHANGE_COLUMNS = ["record", "document", "document_sha256", "code", "start", "end", "status", "coder", "rule",
                    "polarity", "origin", "confidence", "created", "updated", "text", "memo_on", "memo_target",
                    "memo", "author"]
RECORDS = ("coding", "rejection", "memo")
MEMO_KINDS = ("project", "code", "document", "coding", "participant")

# coding columns that are placed by their own logic or are not portable
_CODING_FIXED = {"id", "document_id", "code_id", "start", "end", "status", "coder", "rule", "polarity", "origin",
                 "confidence", "created", "updated"}
_MEMO_FIXED = {"id", "target_type", "target_id", "text", "author", "created", "start", "end"}
_INTEGER = {"start", "end", "match_start", "match_end"}
_REAL = {"confidence"}
_SHA = re.compile(r"^[0-9a-f]{64}$")


def columns(db: Store | sqlite3.Connection, table: str) -> list[str]:
    """The columns a table has in this project (empty if it has no such table)."""
    conn = db.conn if isinstance(db, Store) else db
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _extras(db: Store, table: str, fixed: set[str]) -> list[str]:
    """Columns beyond the ones placed by name: whatever else the table holds, except ids, which are not portable
    (``*_id``, and whole-number columns other than offsets: most likely a reference to another row)."""
    conn = db.conn
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
            if r[1] not in fixed and not r[1].endswith("_id")
            and (r[1] in _INTEGER or "INT" not in str(r[2]).upper())]


# --------------------------------------------------------------------------- reading: portable rows

def coding_rows(db: Store, statuses: Sequence[str] | None = None, coders: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    """Every coding (filtered) as a portable row (``_id``: its id here, for the memos on it)."""
    clauses, params = [], []
    if statuses:
        clauses.append(f"c.status IN ({','.join('?' * len(statuses))})")
        params += list(statuses)
    if coders:
        clauses.append(f"c.coder IN ({','.join('?' * len(coders))})")
        params += list(coders)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    have = set(columns(db, "codings"))
    optional = [f"c.{c}" if c in have else f"NULL AS {c}" for c in ("origin", "confidence", "updated")]
    extras = "".join(f", c.{c}" for c in _extras(db, "codings", _CODING_FIXED))
    rows = db.query(
        f"""SELECT 'coding' AS record, c.id AS _id, d.name AS document, d.sha256 AS document_sha256,
                   c.code_id AS code, c.start, c.end, c.status, c.coder, c.rule, c.polarity, {', '.join(optional)},
                   c.created, substr(d.text, c.start + 1, c.end - c.start) AS text{extras}
            FROM codings c JOIN documents d ON d.id = c.document_id {where}
            ORDER BY d.name, c.start, c.id""", tuple(params))
    return rows


def coding_extra_columns(db: Store) -> list[str]:
    """Coding columns this project has beyond :data:`EXCHANGE_COLUMNS` (added by later versions): they travel
    as extra CSV columns."""
    return [c for c in _extras(db, "codings", _CODING_FIXED) if c not in EXCHANGE_COLUMNS]


def memo_extra_columns(db: Store) -> list[str]:
    return [c for c in _extras(db, "memos", _MEMO_FIXED) if c not in EXCHANGE_COLUMNS]


def rejection_rows(db: Store, who: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The remembered rejections as portable rows (document named when this project has its text)."""
    if "sha256" not in columns(db, "rejections"):
        return []
    where, params = "", ()
    if who:
        where, params = f"WHERE r.who IN ({','.join('?' * len(who))})", tuple(who)
    return db.query(
        f"""SELECT 'rejection' AS record,
                   (SELECT d.name FROM documents d WHERE d.sha256 = r.sha256 ORDER BY d.id LIMIT 1) AS document,
                   r.sha256 AS document_sha256, r.code_id AS code, r.start, r.end, 'rejected' AS status,
                   r.who AS coder, r.origin, r.at AS created,
                   (SELECT substr(d.text, r.start + 1, r.end - r.start) FROM documents d WHERE d.sha256 = r.sha256
                    ORDER BY d.id LIMIT 1) AS text
            FROM rejections r {where} ORDER BY document, r.start, r.code_id""", params)


def memo_rows(db: Store, authors: Sequence[str] | None = None, coding_ids: set[int] | None = None
              ) -> list[dict[str, Any]]:
    """Every memo as a portable row: its target named by content (a document by text hash, a coding by document
    hash, code, span and coder). ``authors``: only theirs; ``coding_ids``: memos on codings only for these."""
    have = set(columns(db, "memos"))
    span = ", m.start AS memo_start, m.end AS memo_end" if {"start", "end"} <= have else ""
    extras = "".join(f", m.{c}" for c in _extras(db, "memos", _MEMO_FIXED))
    clauses, params = [], ()
    if authors:
        clauses, params = [f"m.author IN ({','.join('?' * len(authors))})"], tuple(authors)
    # a memo deleted where deletion only marks it (should memos come to keep their deletions) does not travel
    clauses += [f"(m.{c} IS NULL OR m.{c} IN (0, ''))" for c in ("deleted", "deleted_at") if c in have]
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    memos = db.query(f"SELECT m.id AS _id, m.target_type, m.target_id, m.text, m.author, m.created{span}{extras} "
                     f"FROM memos m {where} ORDER BY m.id", params)
    docs = {r["name"]: r for r in db.query("SELECT id, name, sha256 FROM documents")}
    docs_by_id = {str(r["id"]): r for r in docs.values()}
    out = []
    for m in memos:
        kind, target = m.pop("target_type"), m.pop("target_id")
        row: dict[str, Any] = {"record": "memo", "memo_on": kind, "memo_target": target, "memo": m.pop("text"),
                               "_id": m.pop("_id"), "author": m["author"], "created": m["created"]}
        start, end = m.pop("memo_start", None), m.pop("memo_end", None)
        row.update({k: v for k, v in m.items() if k not in ("author", "created")})
        if kind == "code":
            row["code"] = target
        elif kind == "document":
            doc = docs.get(target or "") or docs_by_id.get(target or "")
            row["document"] = target
            if doc is not None:
                row.update(document=doc["name"], document_sha256=doc["sha256"])
                if start is not None and end is not None:
                    row.update(start=start, end=end, text=db.scalar(
                        "SELECT substr(text, ? + 1, ? - ?) FROM documents WHERE id = ?",
                        (start, end, start, doc["id"])))
        elif kind == "coding":
            if coding_ids is not None and not (str(target).isdigit() and int(target) in coding_ids):
                continue
            c = db.query("SELECT d.name AS document, d.sha256 AS document_sha256, c.code_id AS code, c.start, "
                         "c.end, c.coder, substr(d.text, c.start + 1, c.end - c.start) AS text FROM codings c "
                         "JOIN documents d ON d.id = c.document_id WHERE c.id = ?",
                         (int(target) if str(target).isdigit() else -1,))
            if c:
                row.update(c[0])
        out.append(row)
    return out


def code_rows(db: Store) -> list[dict[str, Any]]:
    return db.query("SELECT id, name, parent_id AS parent, colour, definition, data FROM codes ORDER BY rowid")


@dataclass
class Incoming:
    """What another project (or an exchange CSV) brings: each row has ``_where`` (FILE:LINE or FILE:what id)."""

    codings: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    memos: list[dict[str, Any]] = field(default_factory=list)
    codes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.codings) + len(self.rejections) + len(self.memos)


def read_other_project(path: Path) -> Incoming:
    """Codings, remembered rejections, memos and code definitions of another tematik project file."""
    other = Store.open(path)
    try:
        name = path.name
        codings = coding_rows(other)
        for r in codings:
            r["_where"] = f"{name}:coding {r['_id']}"
        rejections = rejection_rows(other)
        for r in rejections:
            r["_where"] = f"{name}:rejection {r['document'] or r['document_sha256'][:12]} {r['code']} " \
                          f"{r['start']}:{r['end']}"
        memos = memo_rows(other)
        for r in memos:
            r["_where"] = f"{name}:memo {r['_id']}"
        return Incoming(codings, rejections, memos, code_rows(other))
    finally:
        other.close()


def read_exchange_rows(records: Iterable[dict[str, Any]]) -> Incoming:
    """Sort the rows of an exchange CSV by their ``record`` column (none or empty: a coding, as the CSVs written
    before rejections and memos travelled). Rows of an unknown record kind are kept as codings' unplaced rows by
    :func:`place` (``_bad_record``)."""
    incoming = Incoming()
    for rec in records:
        kind = (rec.get("record") or "coding").strip().lower()
        if kind == "coding":
            incoming.codings.append(rec)
        elif kind == "rejection":
            incoming.rejections.append(rec)
        elif kind == "memo":
            incoming.memos.append(rec)
        else:
            rec["_bad_record"] = kind
            incoming.codings.append(rec)
    return incoming


# --------------------------------------------------------------------------- placing

@dataclass
class MergeReport:
    added: int = 0
    present: int = 0
    codes_added: list[str] = field(default_factory=list)
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    coders: set[str] = field(default_factory=set)
    by_status: dict[str, int] = field(default_factory=dict)
    by_coder: dict[str, int] = field(default_factory=dict)
    conflicts: list[MergeConflict] = field(default_factory=list)
    suggestions_decided: int = 0
    rejections_added: int = 0
    rejections_present: int = 0
    rejections_elsewhere: int = 0
    memos_added: dict[str, int] = field(default_factory=dict)
    memos_edited: int = 0
    memos_present: int = 0

    def summary(self) -> dict[str, Any]:
        """The counts, as the audit log keeps them."""
        return {"codings_added": self.added, "by_status": self.by_status, "by_coder": self.by_coder,
                "present": self.present, "conflicts": len(self.conflicts),
                "suggestions_decided_here": self.suggestions_decided, "rejections_added": self.rejections_added,
                "memos_added": self.memos_added, "memos_edited": self.memos_edited,
                "memos_present": self.memos_present, "codes_added": self.codes_added,
                "unplaced": len(self.unplaced)}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _whole(v: Any) -> int:
    """A whole number, also as a spreadsheet may have saved it ("68.0")."""
    try:
        return int(v)
    except ValueError:
        f = float(v)
        if not f.is_integer():
            raise
        return int(f)


def _span(row: dict[str, Any]) -> tuple[int, int] | None:
    try:
        return _whole(row["start"]), _whole(row["end"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _value(column: str, v: Any) -> Any:
    """A cell as the column holds it: blanks are NULL (the column's default applies), numbers are numbers."""
    if _blank(v):
        return None
    if column in _INTEGER:
        return _whole(v)
    if column in _REAL:
        return float(v)
    return v


class _Placer:
    def __init__(self, db: Store, incoming: Incoming, origin: str) -> None:
        self.db = db
        self.incoming = incoming
        self.origin = origin
        self.report = MergeReport()
        self.docs = {r["sha256"]: r for r in db.query("SELECT id, name, sha256, chars, text FROM documents")}
        self.known_codes = {r[0] for r in db.conn.execute("SELECT id FROM codes")}
        self.other_codes = {c["id"]: c for c in incoming.codes}
        self.coding_columns = set(columns(db, "codings"))
        self.memo_columns = set(columns(db, "memos"))
        self.has_rejections = "sha256" in columns(db, "rejections")

    def unplaced(self, row: dict[str, Any], why: str) -> None:
        self.report.unplaced.append((row.get("_where") or self.origin, why))

    # ------------------------------------------------------------------ shared checks
    def document(self, row: dict[str, Any]) -> dict[str, Any] | None:
        doc = self.docs.get((row.get("document_sha256") or "").strip())
        if doc is None:
            self.unplaced(row, f"document {row.get('document')!r} (by content) is not in this project")
        return doc

    def span_in(self, row: dict[str, Any], doc: dict[str, Any]) -> tuple[int, int] | None:
        span = _span(row)
        if span is None:
            self.unplaced(row, "start/end are not whole numbers")
            return None
        start, end = span
        if not 0 <= start < end <= doc["chars"]:
            self.unplaced(row, f"span {start}:{end} is outside {doc['name']!r}")
            return None
        if row.get("text") and doc["text"][start:end] != row["text"]:
            self.unplaced(row, f"text at {start}:{end} of {doc['name']!r} differs from the row's")
            return None
        return span

    def code(self, row: dict[str, Any], *, add: bool = True) -> str | None:
        code = (row.get("code") or "").strip()
        if code in self.known_codes:
            return code
        if add and code in self.other_codes:
            c = self.other_codes[code]
            parent = c.get("parent")
            if parent and parent not in self.known_codes and parent in self.other_codes and parent != code:
                self.code({"code": parent, "_where": row.get("_where")})  # its parent comes along first
            parent = parent if parent in self.known_codes else None
            self.db.conn.execute("INSERT INTO codes (id, name, parent_id, colour, definition, data) "
                                 "VALUES (?,?,?,?,?,?)", (code, c.get("name") or code, parent, c.get("colour"),
                                                          c.get("definition"), c.get("data")))
            self.db.audit("merge", "code", code, after={"name": c.get("name") or code, "from": self.origin})
            self.known_codes.add(code)
            self.report.codes_added.append(code)
            return code
        self.unplaced(row, f"code {code!r} is not in this project's codebook")
        return None

    def remember_rejection(self, sha: str, code: str, start: int, end: int, *, origin: Any, who: Any, at: Any
                           ) -> bool:
        if not self.has_rejections:
            return False
        cur = self.db.conn.execute(
            "INSERT OR IGNORE INTO rejections (sha256, code_id, start, end, origin, who, at) VALUES (?,?,?,?,?,?,?)",
            (sha, code, start, end, None if _blank(origin) else origin, None if _blank(who) else who,
             at if not _blank(at) else now()))
        if cur.rowcount:
            self.db.audit("merge", "rejection", f"{sha[:12]}:{code}:{start}-{end}", who=None if _blank(who) else who,
                          after={"sha256": sha, "code": code, "start": start, "end": end, "from": self.origin})
            self.report.rejections_added += 1
            return True
        return False

    # ------------------------------------------------------------------ codings
    def coding(self, row: dict[str, Any]) -> None:
        if row.get("_bad_record"):
            self.unplaced(row, f"unknown record {row['_bad_record']!r}; expected {', '.join(RECORDS)}")
            return
        doc = self.document(row)
        if doc is None:
            return
        span = self.span_in(row, doc)
        if span is None:
            return
        status = (row.get("status") or "manual").strip()
        if status not in CODING_STATUSES:
            self.unplaced(row, f"unknown status {status!r}")
            return
        coder = (row.get("coder") or "").strip()
        if not coder:
            self.unplaced(row, "no coder")
            return
        code = self.code(row)
        if code is None:
            return
        start, end = span
        here = self.db.query("SELECT id, coder, status FROM codings WHERE document_id = ? AND code_id = ? AND "
                             "start = ? AND end = ? ORDER BY id", (doc["id"], code, start, end))
        mine = [h for h in here if h["coder"] == coder]
        if any(h["status"] == status for h in mine):
            self.report.present += 1
            return
        if status == "suggested" and (here or self._rejected_here(doc["sha256"], code, start, end)):
            self.report.suggestions_decided += 1  # coded or decided here already: not suggested again
            return
        if mine:
            ours = next((h for h in mine if h["status"] != "suggested"), mine[0])
            self.report.conflicts.append(MergeConflict(
                where=row.get("_where") or self.origin, document=doc["name"], code=code, start=start, end=end,
                coder=coder, here=ours["status"], theirs=status, coding_id=ours["id"]))
            return
        values: dict[str, Any] = {"document_id": doc["id"], "code_id": code, "start": start, "end": end,
                                  "status": status, "coder": coder}
        polarity = (row.get("polarity") or "positive").strip()
        values["polarity"] = polarity if polarity in ("positive", "negative") else "positive"
        for c in ("rule", "origin", "confidence", "updated", "match_start", "match_end", "unit",
                  *(k for k in row if not k.startswith("_") and k not in _CODING_FIXED)):
            if c in self.coding_columns and c not in values and c not in ("document", "document_sha256", "text",
                                                                          "record", "code"):
                try:
                    v = _value(c, row.get(c))
                except (TypeError, ValueError):
                    v = None
                if v is not None:
                    values[c] = v
        values["created"] = row.get("created") if not _blank(row.get("created")) else now()
        names = list(values)
        cur = self.db.conn.execute(f"INSERT INTO codings ({', '.join(names)}) VALUES ({','.join('?' * len(names))})",
                                   tuple(values[n] for n in names))
        self.db.audit("merge", "coding", cur.lastrowid, who=coder,
                      after={"document": doc["name"], "code": code, "start": start, "end": end, "status": status,
                             "from": self.origin})
        r = self.report
        r.added += 1
        r.coders.add(coder)
        r.by_status[status] = r.by_status.get(status, 0) + 1
        r.by_coder[coder] = r.by_coder.get(coder, 0) + 1
        if status == "rejected":
            self.remember_rejection(doc["sha256"], code, start, end, origin=row.get("origin") or row.get("rule"),
                                    who=coder, at=row.get("updated") or row.get("created"))

    def _rejected_here(self, sha: str, code: str, start: int, end: int) -> bool:
        return self.has_rejections and bool(self.db.scalar(
            "SELECT 1 FROM rejections WHERE sha256 = ? AND code_id = ? AND start = ? AND end = ?",
            (sha, code, start, end)))

    # ------------------------------------------------------------------ rejections
    def rejection(self, row: dict[str, Any]) -> None:
        sha = (row.get("document_sha256") or "").strip().lower()
        if not _SHA.match(sha):
            self.unplaced(row, "document_sha256 is not a sha256 (64 hex digits)")
            return
        code = (row.get("code") or "").strip()
        if not code:
            self.unplaced(row, "no code")
            return
        doc = self.docs.get(sha)
        if doc is not None:
            span = self.span_in(row, doc)
        else:
            span = _span(row)
            if span is None or not 0 <= span[0] < span[1]:
                self.unplaced(row, "start/end are not a span (whole numbers, start < end)")
                return
        if span is None:
            return
        if not self.has_rejections:
            self.unplaced(row, "this project keeps no table of rejections (upgrade tematik)")
            return
        if self.remember_rejection(sha, code, span[0], span[1], origin=row.get("origin") or row.get("rule"),
                                   who=row.get("coder") or row.get("who"), at=row.get("created") or row.get("at")):
            if doc is None:
                self.report.rejections_elsewhere += 1
        else:
            self.report.rejections_present += 1

    # ------------------------------------------------------------------ memos
    def memo(self, row: dict[str, Any]) -> None:
        kind = (row.get("memo_on") or "").strip().lower()
        text = row.get("memo") or ""
        author = (row.get("author") or "").strip()
        if kind not in MEMO_KINDS:
            self.unplaced(row, f"unknown memo target {kind!r}; expected {', '.join(MEMO_KINDS)}")
            return
        if not text.strip():
            self.unplaced(row, "empty memo")
            return
        if not author:
            self.unplaced(row, "memo without an author")
            return
        target: str | None = None
        span: tuple[int, int] | None = None
        if kind == "code":
            target = self.code(row if row.get("code") else {**row, "code": row.get("memo_target")}, add=False)
            if target is None:
                return
        elif kind == "document":
            doc = self.document(row)
            if doc is None:
                return
            target = doc["name"]
            if not _blank(row.get("start")) or not _blank(row.get("end")):
                span = self.span_in(row, doc)
                if span is None:
                    return
        elif kind == "coding":
            if _blank(row.get("document_sha256")):
                self.unplaced(row, f"the coding it was on (#{row.get('memo_target')} there) no longer exists")
                return
            doc = self.document(row)
            if doc is None:
                return
            where = _span(row)
            code, coder = (row.get("code") or "").strip(), (row.get("coder") or "").strip()
            found = where and self.db.scalar(
                "SELECT min(id) FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND end = ? AND "
                "coder = ?", (doc["id"], code, where[0], where[1], coder))
            if not found and where and coder and "suggested_by" in self.coding_columns:
                # a memo on an open suggestion there, which a reviewer here has decided (and so coded) meanwhile
                found = self.db.scalar(
                    "SELECT min(id) FROM codings WHERE document_id = ? AND code_id = ? AND start = ? AND end = ? "
                    "AND suggested_by = ?", (doc["id"], code, where[0], where[1], coder))
            if not found:
                self.unplaced(row, f"the coding it is on ({code!r} at {row.get('start')}:{row.get('end')} of "
                                   f"{doc['name']!r} by {coder!r}) is not in this project")
                return
            target = str(found)
        elif kind == "participant":
            target = (row.get("memo_target") or "").strip()
            if not self.db.scalar("SELECT 1 FROM participants WHERE id = ?", (target,)):
                self.unplaced(row, f"participant {target!r} is not in this project")
                return
        created = row.get("created") if not _blank(row.get("created")) else now()
        has_span = {"start", "end"} <= self.memo_columns
        same = "target_type = ? AND target_id IS ? AND author = ? AND created = ?"
        params: list[Any] = [kind, target, author, created]
        if has_span:
            same += " AND start IS ? AND end IS ?"
            params += [span[0] if span else None, span[1] if span else None]
        edited = ", updated" if "updated" in self.memo_columns else ", NULL"
        here = self.db.conn.execute(f"SELECT text{edited} FROM memos WHERE {same}", params).fetchall()
        texts = [r[0] for r in here]
        if text in texts:
            self.report.memos_present += 1
            return
        if _blank(row.get("updated")) and any(r[1] for r in here):
            # theirs is the memo as first written and ours was edited since (memos that record their edits):
            # the edit here is the newer text, not a conflict
            self.report.memos_present += 1
            return
        values: dict[str, Any] = {"target_type": kind, "target_id": target, "text": text, "author": author,
                                  "created": created}
        if has_span and span:
            values.update(start=span[0], end=span[1])
        for c in row:
            if c in self.memo_columns and c not in values and c not in _MEMO_FIXED and not c.startswith("_") \
                    and not c.endswith("_id") and not _blank(row[c]):
                values[c] = row[c]
        names = list(values)
        cur = self.db.conn.execute(f"INSERT INTO memos ({', '.join(names)}) VALUES ({','.join('?' * len(names))})",
                                   tuple(values[n] for n in names))
        self.db.audit("merge", "memo", cur.lastrowid, who=author,
                      after={"on": f"{kind}:{target}" if target else kind, "text": text, "from": self.origin,
                             **({"edited_copy_of_memo_here": True} if texts else {})})
        self.report.memos_added[kind] = self.report.memos_added.get(kind, 0) + 1
        if texts:
            self.report.memos_edited += 1


def place(db: Store, incoming: Incoming, *, origin: str = "") -> MergeReport:
    """Add what ``incoming`` brings to this project in one transaction (codings first, then the remembered
    rejections, then memos, so a memo finds the coding it is on); report what came in, what was already here,
    the conflicts (ours kept) and what could not be placed and why. One audit-log entry per row added and one
    for the whole command."""
    with db.transaction():
        placer = _Placer(db, incoming, origin)  # read inside the transaction: what is here cannot change meanwhile
        for row in incoming.codings:
            placer.coding(row)
        for row in incoming.rejections:
            placer.rejection(row)
        for row in incoming.memos:
            placer.memo(row)
        db.audit("merge", "project", origin or None, after=placer.report.summary())
    return placer.report


def export_rows(db: Store, statuses: Sequence[str] | None = None, coders: Sequence[str] | None = None
                ) -> tuple[list[str], list[dict[str, Any]], dict[str, int]]:
    """The rows of an exchange CSV: codings (filtered by status and coder), the remembered rejections (when
    rejected codings are wanted; by ``who`` when coders are named), the memos (by author when coders are named;
    those on codings only for the codings written). Returns (columns, rows, counts by record)."""
    codings = coding_rows(db, statuses, coders)
    rejections = rejection_rows(db, coders) if not statuses or "rejected" in statuses else []
    filtered = bool(statuses or coders)
    memos = memo_rows(db, coders, {r["_id"] for r in codings} if filtered else None)
    cols = EXCHANGE_COLUMNS + coding_extra_columns(db) + [c for c in memo_extra_columns(db)
                                                          if c not in coding_extra_columns(db)]
    counts = {"coding": len(codings), "rejection": len(rejections), "memo": len(memos)}
    return cols, codings + rejections + memos, counts


__all__ = ["EXCHANGE_COLUMNS", "Incoming", "MergeReport", "coding_rows", "export_rows", "memo_rows",
           "place", "read_exchange_rows", "read_other_project", "rejection_rows"]
