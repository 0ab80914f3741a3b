"""Codings: reads and writes. (Codebooks, suggestions and review build on these.)"""

from __future__ import annotations

from tematik.store import Store


def codings_for_document(db: Store, document_id: int, statuses: tuple[str, ...] | None = None) -> list[dict]:
    """Codings of one document, in text order, with their code's name and colour."""
    where, params = "c.document_id = ?", [document_id]
    if statuses:
        where += f" AND c.status IN ({','.join('?' * len(statuses))})"
        params += list(statuses)
    return db.query(
        f"""SELECT c.id, c.code_id AS code, k.name AS code_name, k.colour, c.start, c.end, c.status, c.coder,
                   c.polarity, c.rule
            FROM codings c JOIN codes k ON k.id = c.code_id
            WHERE {where} ORDER BY c.start, c.end""", tuple(params))
