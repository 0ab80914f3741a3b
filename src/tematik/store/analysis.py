"""Read-side queries for frequencies, co-occurrence, matrices and quotes: set-based SQL into DataFrames.

Codings come back per (code, polarity) as ``group_concat`` lists of integers parsed by numpy: a million codings
cross from SQLite in about 0.2 s this way, against about 0.6 s for ``pandas.read_sql_query`` of the same rows.
The covering index ``codings_analysis`` (code_id, polarity, status, document_id, start, end, coder) lets SQLite
answer it from the index alone, in group order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tematik.errors import InputError
from tematik.models import CODING_STATUSES, DEFAULT_STATUSES, source_type_problem
from tematik.store import Store


@dataclass(frozen=True)
class Filters:
    """Which codings an analysis counts: statuses, coders, polarity, and the documents analysed."""

    statuses: tuple[str, ...] = DEFAULT_STATUSES
    coders: tuple[str, ...] = ()
    source_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    polarity: str | None = None  # None: both
    documents: tuple[str, ...] = field(default=())  # document names

    def check(self) -> Filters:
        if not self.statuses:
            raise InputError("no status to count", field="--status")
        for s in self.statuses:
            if s not in CODING_STATUSES:
                raise InputError(f"unknown status {s!r}; expected {', '.join(CODING_STATUSES)}", field="--status")
        for s in self.source_types:
            if source_type_problem(s):  # an open set: focus_group, meeting or the researcher's own type
                raise InputError(source_type_problem(s), field="--source-type")
        if self.polarity not in (None, "positive", "negative"):
            raise InputError(f"unknown polarity {self.polarity!r}; expected positive or negative",
                             field="--polarity")
        return self


def _in(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _document_where(f: Filters, alias: str = "d") -> tuple[str, list[Any]]:
    clauses, params = [], []
    if f.source_types:
        clauses.append(f"{alias}.source_type IN ({_in(f.source_types)})")
        params += list(f.source_types)
    if f.languages:
        clauses.append(f"{alias}.language IN ({_in(f.languages)})")
        params += list(f.languages)
    if f.documents:
        clauses.append(f"{alias}.name IN ({_in(f.documents)})")
        params += list(f.documents)
    return " AND ".join(clauses), params


def _coding_where(f: Filters, alias: str = "c") -> tuple[str, list[Any]]:
    clauses = [f"{alias}.status IN ({_in(f.statuses)})"]
    params: list[Any] = list(f.statuses)
    if f.coders:
        clauses.append(f"{alias}.coder IN ({_in(f.coders)})")
        params += list(f.coders)
    if f.polarity:
        clauses.append(f"{alias}.polarity = ?")
        params.append(f.polarity)
    doc_where, doc_params = _document_where(f)
    if doc_where:
        clauses.append(f"{alias}.document_id IN (SELECT d.id FROM documents d WHERE {doc_where})")
        params += doc_params
    return " AND ".join(clauses), params


# --------------------------------------------------------------------------- frames


def codes(db: Store):
    """Active codes in codebook order, then inactive codes that still have codings: id, name, parent, active."""
    return db.read_frame(
        "SELECT id, coalesce(name, id) AS name, parent_id AS parent, active FROM codes k "
        "WHERE k.active = 1 OR EXISTS (SELECT 1 FROM codings c WHERE c.code_id = k.id) "
        "ORDER BY k.active DESC, k.rowid")


DOCUMENT_COLUMNS = ("id", "name", "source_type", "language", "participant_id", "words")


def documents(db: Store, f: Filters):
    """The analysed documents, with one typed column per document attribute (the extra columns of a table of
    answers or of a manifest) whose name is not one of the document's own fields."""
    import pandas as pd

    from tematik.corpus import attribute_type

    where, params = _document_where(f)
    docs = db.read_frame(
        "SELECT d.id, d.name, d.source_type, d.language, d.participant_id, d.words FROM documents d "
        f"{'WHERE ' + where if where else ''} ORDER BY d.name", tuple(params))
    attrs = db.read_frame(
        "SELECT a.document_id, a.key, a.value FROM document_attributes a JOIN documents d ON d.id = a.document_id "
        f"{'WHERE ' + where if where else ''}", tuple(params))
    for key, part in attrs.groupby("key", sort=True):
        if key in DOCUMENT_COLUMNS or key in ("document", "participant", "role"):
            continue
        values = part.set_index("document_id")["value"]
        kind = attribute_type(values.tolist())
        if kind in ("integer", "real"):
            values = pd.to_numeric(values, errors="coerce")
            if kind == "integer":
                values = values.astype("Int64")
        docs[key] = docs["id"].map(values)
    return docs


def _int_columns(db: Store, columns: dict[str, str], source: str, params: Sequence[Any]) -> dict[str, Any]:
    """Integer columns ({name: SQL expression}) of a query as numpy arrays, sorted by (document_id, start).

    One ``group_concat`` per column; every expression must be non-NULL, or the lists would not line up.
    """
    import numpy as np

    select = ", ".join(f"group_concat({expr})" for expr in columns.values())
    row = db.conn.execute(f"SELECT count(*), {select} {source}", tuple(params)).fetchone()
    out = {name: np.fromstring(text, sep=",", dtype=np.int64) if row[0] else np.zeros(0, dtype=np.int64)
           for name, text in zip(columns, row[1:], strict=True)}
    key = (out["document_id"] << 32) | out["start"]
    if row[0] > 1 and not bool(np.all(key[1:] >= key[:-1])):
        order = np.argsort(key, kind="stable")
        out = {k: v[order] for k, v in out.items()}
    return out


def turns(db: Store, f: Filters):
    """Turns of the analysed documents: document_id, seq, start, end, participant_id, is_interviewer."""
    import numpy as np
    import pandas as pd

    where, params = _document_where(f)
    cols = _int_columns(
        db, {"document_id": "t.document_id", "seq": "t.seq", "start": "t.start", "end": "t.end",
             "person": "coalesce(p.rowid, 0)", "is_interviewer": "t.is_interviewer"},
        "FROM turns t JOIN documents d ON d.id = t.document_id LEFT JOIN participants p ON p.id = t.participant_id "
        f"{'WHERE ' + where if where else ''}", params)
    rowid = cols.pop("person")
    people = db.conn.execute("SELECT rowid, id FROM participants").fetchall()
    ids = np.full(max([r[0] for r in people], default=0) + 1, None, dtype=object)
    for r, pid in people:
        ids[r] = pid
    frame = pd.DataFrame(cols)
    frame.insert(4, "participant_id", ids[rowid])
    frame["is_interviewer"] = frame["is_interviewer"].astype(bool)
    return frame


def participants(db: Store):
    """Participants with role and one typed column per attribute (integers and reals as numbers)."""
    import pandas as pd

    people = db.read_frame("SELECT id, role FROM participants ORDER BY id")
    attrs = db.read_frame("SELECT participant_id, key, value, type FROM participant_attributes")
    for key, part in attrs.groupby("key", sort=True):
        if key in ("id", "role"):
            continue
        values = part.set_index("participant_id")["value"]
        kind = part["type"].iloc[0]
        if kind in ("integer", "real"):
            values = pd.to_numeric(values, errors="coerce")
            if kind == "integer":
                values = values.astype("Int64")
        elif kind == "boolean":
            values = values.str.lower().isin(("true", "yes", "ya", "1"))
        people[key] = people["id"].map(values)
    return people


def codings(db: Store, f: Filters, code_ids: Sequence[str]):
    """The codings counted: code (categorical over ``code_ids``), document_id, start, end, negative."""
    import numpy as np
    import pandas as pd

    where, params = _coding_where(f)
    parts: dict[str, list] = {"code": [], "document_id": [], "start": [], "end": [], "negative": []}
    index = {c: i for i, c in enumerate(code_ids)}
    sql = (f"SELECT c.code_id, c.polarity = 'negative', count(*), group_concat(c.document_id), "
           f"group_concat(c.start), group_concat(c.end) FROM codings c WHERE {where} GROUP BY c.code_id, c.polarity")
    for code, negative, n, docs, starts, ends in db.conn.execute(sql, params):
        if code not in index:
            continue
        parts["code"].append(np.full(n, index[code], dtype=np.int64))
        parts["document_id"].append(np.fromstring(docs, sep=",", dtype=np.int64))
        parts["start"].append(np.fromstring(starts, sep=",", dtype=np.int64))
        parts["end"].append(np.fromstring(ends, sep=",", dtype=np.int64))
        parts["negative"].append(np.full(n, bool(negative)))
    cols = {k: (np.concatenate(v) if v else np.zeros(0, dtype=bool if k == "negative" else np.int64))
            for k, v in parts.items()}
    frame = pd.DataFrame({k: v for k, v in cols.items() if k != "code"})
    frame.insert(0, "code", pd.Categorical.from_codes(cols["code"], categories=list(code_ids)))
    return frame


def texts(db: Store, f: Filters) -> dict[int, str]:
    where, params = _document_where(f)
    return dict(db.conn.execute(f"SELECT d.id, d.text FROM documents d {'WHERE ' + where if where else ''}",
                                params).fetchall())


def segments(db: Store, unit: str, f: Filters):
    """The stored units of one kind (sentence, turn, paragraph) of the analysed documents, in text order."""
    import pandas as pd

    where, params = _document_where(f)
    return pd.DataFrame(_int_columns(
        db, {"document_id": "s.document_id", "start": "s.start", "end": "s.end"},
        f"FROM segments s JOIN documents d ON d.id = s.document_id WHERE s.unit = ? {'AND ' + where if where else ''}",
        (unit, *params)))


def load(db: Store, f: Filters, *, with_texts: bool = True, include_interviewer: bool = False):
    """Everything the analyses read, as an ``analysis.CodingData``."""
    from tematik.analysis import CodingData

    f = f.check()
    code_frame = codes(db)
    return CodingData(
        codings=codings(db, f, list(code_frame["id"])), codes=code_frame, documents=documents(db, f),
        participants=participants(db), turns=turns(db, f), texts=texts(db, f) if with_texts else None,
        include_interviewer=include_interviewer)


def quotes(db: Store, f: Filters, code_ids: Sequence[str]):
    """Coded segments of the codes given, one row per (code, span), with document name, 1-based line number,
    text, and the statuses and coders that coded the span."""
    where, params = _coding_where(f)
    if not code_ids:
        return db.read_frame("SELECT NULL AS code WHERE 0")
    return db.read_frame(
        f"""SELECT c.code_id AS code, c.document_id, d.name AS document, c.start, c.end,
                   length(substr(d.text, 1, c.start)) - length(replace(substr(d.text, 1, c.start), char(10), ''))
                       + 1 AS line,
                   substr(d.text, c.start + 1, c.end - c.start) AS text,
                   group_concat(DISTINCT c.status) AS statuses, group_concat(DISTINCT c.coder) AS coders,
                   max(c.polarity = 'negative') AS negative
            FROM codings c JOIN documents d ON d.id = c.document_id
            WHERE {where} AND c.code_id IN ({_in(code_ids)})
            GROUP BY c.code_id, c.document_id, c.start, c.end
            ORDER BY d.name, c.start, c.end""", (*params, *code_ids))


def document_names(db: Store) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT name FROM documents ORDER BY name")]


__all__ = ["DEFAULT_STATUSES", "Filters", "codes", "codings", "documents", "load", "participants", "quotes",
           "segments", "texts", "turns"]
