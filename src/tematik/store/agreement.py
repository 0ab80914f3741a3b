"""Reads for intercoder agreement: codings as ``(unit, coder, code)`` rows or as character intervals.

Which codings count: those of the given statuses (default: everything but ``rejected``) with positive polarity.
Which units a coder saw: every unit of every document in which the coder has at least one coding of any status
or polarity (a rejected or negative coding still shows the coder worked through that document). A coding applies
its code to every unit it overlaps by at least one character.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tematik.errors import InputError, NotFound
from tematik.models import COUNTED_STATUSES, UNITS
from tematik.store import Store

UNIT_KINDS = (*UNITS, "document")


def _in(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def coders(db: Store) -> list[str]:
    """Everyone with at least one coding, sorted."""
    return [r[0] for r in db.conn.execute("SELECT DISTINCT coder FROM codings ORDER BY coder")]


def check_coders(db: Store, wanted: Sequence[str]) -> list[str]:
    known = coders(db)
    for c in wanted:
        if c not in known:
            raise NotFound(f"no codings by coder {c!r}; coders: {', '.join(known) or 'none yet'}", field="--coders")
    return list(wanted)


def codes(db: Store) -> list[str]:
    """Active codes in codebook order, then inactive codes that still have codings."""
    return [r[0] for r in db.conn.execute(
        "SELECT id FROM codes k WHERE k.active = 1 OR EXISTS (SELECT 1 FROM codings c WHERE c.code_id = k.id) "
        "ORDER BY k.active DESC, k.rowid")]


def unit_rows(db: Store, unit: str, *, coder_ids: Sequence[str], code_ids: Sequence[str],
              statuses: Sequence[str] = COUNTED_STATUSES) -> list[tuple[int, str, str | None]]:
    """The long agreement table for segment units (sentence, turn, paragraph) or whole documents.

    Unit ids are segment rowids (or document ids for ``document``). A row with code None says the coder saw the
    unit. Segments must already be stored for every document (see ``store.corpus.save_segments``).
    """
    if unit not in UNIT_KINDS:
        raise InputError(f"unknown unit {unit!r}; expected {', '.join(UNIT_KINDS)} or char", field="--unit")
    if not coder_ids or not code_ids or not statuses:
        return []
    cp, kp, sp = list(coder_ids), list(code_ids), list(statuses)
    seen = f"SELECT DISTINCT document_id, coder FROM codings WHERE coder IN ({_in(cp)})"
    applied = (f"c.status IN ({_in(sp)}) AND c.polarity = 'positive' AND c.coder IN ({_in(cp)}) "
               f"AND c.code_id IN ({_in(kp)})")
    if unit == "document":
        sql = (f"SELECT document_id, coder, NULL FROM ({seen}) "
               f"UNION ALL SELECT DISTINCT c.document_id, c.coder, c.code_id FROM codings c WHERE {applied}")
        params: list[Any] = [*cp, *sp, *cp, *kp]
    else:
        sql = (f"SELECT s.rowid, w.coder, NULL FROM segments s JOIN ({seen}) w ON w.document_id = s.document_id "
               f"WHERE s.unit = ? "
               f"UNION ALL SELECT DISTINCT s.rowid, c.coder, c.code_id FROM codings c JOIN segments s "
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
                     statuses: Sequence[str] = COUNTED_STATUSES
                     ) -> tuple[dict[str, list[tuple[int, int, int, str]]], dict[str, list[int]], dict[int, int]]:
    """Character units: (intervals per coder, documents each coder saw, document lengths).

    Intervals are ``(document id, start, end, code)``; lengths cover every document some coder saw.
    """
    cp, kp, sp = list(coder_ids), list(code_ids), list(statuses)
    intervals: dict[str, list[tuple[int, int, int, str]]] = {c: [] for c in cp}
    seen: dict[str, list[int]] = {c: [] for c in cp}
    if not cp:
        return intervals, seen, {}
    for doc, coder in db.conn.execute(
            f"SELECT DISTINCT document_id, coder FROM codings WHERE coder IN ({_in(cp)})", cp):
        seen[coder].append(doc)
    if kp and sp:
        for doc, start, end, code, coder in db.conn.execute(
                f"SELECT document_id, start, end, code_id, coder FROM codings WHERE status IN ({_in(sp)}) "
                f"AND polarity = 'positive' AND coder IN ({_in(cp)}) AND code_id IN ({_in(kp)}) "
                f"ORDER BY document_id, start", [*sp, *cp, *kp]):
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
