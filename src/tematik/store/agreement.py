"""Reads for intercoder agreement: codings as ``(unit, coder, code)`` rows or as character intervals.

Which codings count: those of the given statuses (default: everything but ``rejected``) with positive polarity;
the auto-coder (``models.AUTO_CODER``) may be given statuses of its own (``auto_statuses``: what it proposed,
rejected proposals included, when it is evaluated). Which units a coder saw: every unit of every document in which
the coder has at least one coding of any status or polarity (a rejected or negative coding still shows the coder
worked through that document). A coding applies its code to every unit it overlaps by at least one character.

People and the auto-coder: :func:`people` lists everyone with codings except the auto-coder. A suggestion a
person decided is that person's coding (its ``coder``) and still records where it came from (``suggested_by``
and ``suggested_code``, the code it was suggested with), so the auto-coder's proposals are read as its own open
suggestions *plus* every decided row it suggested, with the code it suggested: an accepted suggestion counts both
as the reviewer's coding and as the auto-coder's proposal, a recoded one as the auto-coder proposing its old
code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tematik.errors import InputError, NotFound
from tematik.models import AUTO_CODER, COUNTED_STATUSES, UNITS
from tematik.store import Store

UNIT_KINDS = (*UNITS, "document")


def _in(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


_AUTO = "'" + AUTO_CODER.replace("'", "''") + "'"  # the auto-coder's name as an SQL literal


def _source(db: Store, coder_ids: Sequence[str]) -> str:
    """The relation of codings agreement reads: ``codings`` itself, or -- when the auto-coder is compared --
    codings plus the suggestions people decided once more as the auto-coder's, with the code it suggested."""
    if AUTO_CODER not in coder_ids:
        return "codings"
    cols = "document_id, start, end, status, polarity"
    return (f"(SELECT {cols}, code_id, coder FROM codings UNION ALL "
            f"SELECT {cols}, coalesce(suggested_code, code_id) AS code_id, {_AUTO} AS coder FROM codings "
            f"WHERE suggested_by = {_AUTO} AND coder <> {_AUTO})")


def coders(db: Store) -> list[str]:
    """Everyone with at least one coding, sorted (the auto-coder included when it proposed anything)."""
    found = [r[0] for r in db.conn.execute("SELECT DISTINCT coder FROM codings ORDER BY coder")]
    if AUTO_CODER not in found and auto_codings(db):
        found = sorted([*found, AUTO_CODER])
    return found


def people(db: Store) -> list[str]:
    """Everyone with at least one coding except the auto-coder, sorted: the coders intercoder agreement compares."""
    return [r[0] for r in db.conn.execute(f"SELECT DISTINCT coder FROM codings WHERE coder <> {_AUTO} "
                                          "ORDER BY coder")]


def auto_codings(db: Store) -> int:
    """How many codings the auto-coder proposed (any status; accepted ones credited to a reviewer included)."""
    return int(db.conn.execute(f"SELECT count(*) FROM codings WHERE coder = {_AUTO} OR suggested_by = {_AUTO}"
                               ).fetchone()[0])


def check_coders(db: Store, wanted: Sequence[str]) -> list[str]:
    known = coders(db)
    for c in wanted:
        if c not in known:
            raise NotFound(f"no codings by coder {c!r}; coders: {', '.join(known) or 'none yet'}", field="--coders")
    return list(wanted)


def _applied(coder_ids: Sequence[str], statuses: Sequence[str], auto_statuses: Sequence[str] | None,
             alias: str = "c") -> tuple[str, list[Any]]:
    """The WHERE part that picks applied codes: positive polarity, the statuses that count (the auto-coder's own,
    when given), the coders. Codes are added by the caller."""
    sp = list(statuses)
    if auto_statuses is None or AUTO_CODER not in coder_ids:
        return f"{alias}.status IN ({_in(sp)})", sp
    ap = list(auto_statuses)
    if not sp:
        return f"({alias}.coder = {_AUTO} AND {alias}.status IN ({_in(ap)}))", ap
    return (f"(({alias}.coder = {_AUTO} AND {alias}.status IN ({_in(ap)})) OR "
            f"({alias}.coder <> {_AUTO} AND {alias}.status IN ({_in(sp)})))"), [*ap, *sp]


def codes(db: Store) -> list[str]:
    """Active codes in codebook order, then inactive codes that still have codings."""
    return [r[0] for r in db.conn.execute(
        "SELECT id FROM codes k WHERE k.active = 1 OR EXISTS (SELECT 1 FROM codings c WHERE c.code_id = k.id) "
        "ORDER BY k.active DESC, k.rowid")]


def unit_rows(db: Store, unit: str, *, coder_ids: Sequence[str], code_ids: Sequence[str],
              statuses: Sequence[str] = COUNTED_STATUSES, auto_statuses: Sequence[str] | None = None
              ) -> list[tuple[int, str, str | None]]:
    """The long agreement table for segment units (sentence, turn, paragraph) or whole documents.

    Unit ids are segment rowids (or document ids for ``document``). A row with code None says the coder saw the
    unit. Segments must already be stored for every document (see ``store.corpus.save_segments``).
    ``auto_statuses``: the statuses that count for the auto-coder (default: ``statuses``).
    """
    if unit not in UNIT_KINDS:
        raise InputError(f"unknown unit {unit!r}; expected {', '.join(UNIT_KINDS)} or char", field="--unit")
    if not coder_ids or not code_ids or not (statuses or auto_statuses):
        return []
    cp, kp = list(coder_ids), list(code_ids)
    src = _source(db, cp)
    status_sql, sp = _applied(cp, statuses, auto_statuses)
    seen = f"SELECT DISTINCT document_id, coder FROM {src} WHERE coder IN ({_in(cp)})"
    applied = (f"{status_sql} AND c.polarity = 'positive' AND c.coder IN ({_in(cp)}) "
               f"AND c.code_id IN ({_in(kp)})")
    if unit == "document":
        sql = (f"SELECT document_id, coder, NULL FROM ({seen}) "
               f"UNION ALL SELECT DISTINCT c.document_id, c.coder, c.code_id FROM {src} c WHERE {applied}")
        params: list[Any] = [*cp, *sp, *cp, *kp]
    else:
        sql = (f"SELECT s.rowid, w.coder, NULL FROM segments s JOIN ({seen}) w ON w.document_id = s.document_id "
               f"WHERE s.unit = ? "
               f"UNION ALL SELECT DISTINCT s.rowid, c.coder, c.code_id FROM {src} c JOIN segments s "
               f"ON s.document_id = c.document_id AND s.unit = ? AND s.start < c.end AND s.end > c.start "
               f"WHERE {applied}")
        params = [*cp, unit, unit, *sp, *cp, *kp]
    return [tuple(r) for r in db.conn.execute(sql, params)]


def unit_labels(db: Store, unit: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Document name, position and text of the given units (segment rowids, or document ids)."""
    out: dict[int, dict[str, Any]] = {}
    ids = list(dict.fromkeys(int(i) for i in ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        if unit == "document":
            rows = db.conn.execute(f"SELECT id, name, 0, 0, chars, substr(text, 1, 200) FROM documents "
                                   f"WHERE id IN ({_in(chunk)})", chunk)
        else:
            rows = db.conn.execute(
                f"SELECT s.rowid, d.name, s.seq, s.start, s.end, substr(d.text, s.start + 1, s.end - s.start) "
                f"FROM segments s JOIN documents d ON d.id = s.document_id WHERE s.rowid IN ({_in(chunk)})", chunk)
        for r in rows:
            out[r[0]] = {"document": r[1], "seq": r[2], "start": r[3], "end": r[4], "text": r[5]}
    return out


def coding_intervals(db: Store, *, coder_ids: Sequence[str], code_ids: Sequence[str],
                     statuses: Sequence[str] = COUNTED_STATUSES, auto_statuses: Sequence[str] | None = None
                     ) -> tuple[dict[str, list[tuple[int, int, int, str]]], dict[str, list[int]], dict[int, int]]:
    """Character units: (intervals per coder, documents each coder saw, document lengths).

    Intervals are ``(document id, start, end, code)``; lengths cover every document some coder saw.
    ``auto_statuses`` as in :func:`unit_rows`.
    """
    cp, kp = list(coder_ids), list(code_ids)
    intervals: dict[str, list[tuple[int, int, int, str]]] = {c: [] for c in cp}
    seen: dict[str, list[int]] = {c: [] for c in cp}
    if not cp:
        return intervals, seen, {}
    src = _source(db, cp)
    for doc, coder in db.conn.execute(
            f"SELECT DISTINCT document_id, coder FROM {src} WHERE coder IN ({_in(cp)})", cp):
        seen[coder].append(doc)
    status_sql, sp = _applied(cp, statuses, auto_statuses)
    if kp and sp:
        for doc, start, end, code, coder in db.conn.execute(
                f"SELECT c.document_id, c.start, c.end, c.code_id, c.coder FROM {src} c WHERE {status_sql} "
                f"AND c.polarity = 'positive' AND c.coder IN ({_in(cp)}) AND c.code_id IN ({_in(kp)}) "
                f"ORDER BY c.document_id, c.start", [*sp, *cp, *kp]):
            intervals[coder].append((doc, start, end, code))
    docs = sorted({d for ds in seen.values() for d in ds})
    lengths = dict(db.conn.execute(f"SELECT id, chars FROM documents WHERE id IN ({_in(docs)})", docs).fetchall()) \
        if docs else {}
    return intervals, seen, lengths


def document_names(db: Store, ids: Sequence[int]) -> dict[int, str]:
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return {}
    return dict(db.conn.execute(f"SELECT id, name FROM documents WHERE id IN ({_in(ids)})", ids).fetchall())
