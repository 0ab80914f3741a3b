"""Questionnaire instruments, respondents and answers: reads and writes.

An instrument is stored with its YAML source (so scoring re-reads exactly what was imported) and the
blank-answer policy its responses were read with. Respondents link to the participant with the same id.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from tematik.corpus import sha256
from tematik.errors import Conflict, NotFound
from tematik.models import Participant
from tematik.store import Store, now
from tematik.store.corpus import ensure_participants

if TYPE_CHECKING:
    from tematik.survey import Responses


def instruments(db: Store) -> list[dict[str, Any]]:
    """Every stored instrument with its number of respondents, oldest first."""
    return db.query(
        """SELECT i.name, i.missing, i.loaded, i.hash,
                  (SELECT count(*) FROM respondents r WHERE r.instrument_id = i.id) AS respondents
           FROM instruments i ORDER BY i.id""")


def save_responses(db: Store, responses: Responses, source: str, *, replace: bool = False,
                   who: str | None = None) -> dict[str, Any]:
    """Store an instrument (its YAML ``source``) and its validated responses in one transaction.

    Respondent ids link to participants of the same id; participants that do not exist yet are created (with
    the respondent's ``role`` attribute, if any). An instrument that already has responses is refused unless
    ``replace``, which drops the old respondents and answers first. Returns a summary dict.
    """
    instrument = responses.instrument
    name = instrument.id
    answers = responses.answers
    attributes = responses.attributes
    with db.transaction():
        row = db.conn.execute("SELECT id, hash FROM instruments WHERE name = ?", (name,)).fetchone()
        before = None
        if row is not None:
            count = db.scalar("SELECT count(*) FROM respondents WHERE instrument_id = ?", (row["id"],))
            if count and not replace:
                raise Conflict(f"instrument '{name}' already has responses from {count} respondents; "
                               "use --replace to import these instead")
            before = {"hash": row["hash"], "respondents": count}
            db.conn.execute("DELETE FROM responses WHERE instrument_id = ?", (row["id"],))
            db.conn.execute("DELETE FROM respondents WHERE instrument_id = ?", (row["id"],))
            db.conn.execute("UPDATE instruments SET hash = ?, source = ?, loaded = ?, missing = ? WHERE id = ?",
                            (sha256(source), source, now(), responses.missing, row["id"]))
            instrument_id = row["id"]
        else:
            cur = db.conn.execute(
                "INSERT INTO instruments (name, hash, source, loaded, missing) VALUES (?, ?, ?, ?, ?)",
                (name, sha256(source), source, now(), responses.missing))
            instrument_id = cur.lastrowid

        roles = attributes["role"] if "role" in attributes.columns else None
        people = [Participant(str(r), (roles[r] or None) if roles is not None else None) for r in answers.index]
        created = ensure_participants(db, people, update=False)
        db.conn.executemany(
            "INSERT INTO respondents (instrument_id, id, participant_id, attributes) VALUES (?, ?, ?, ?)",
            [(instrument_id, str(r), str(r), json.dumps({c: attributes.at[r, c] for c in attributes.columns},
                                                         ensure_ascii=False)) for r in answers.index])
        items = list(answers.columns)
        db.conn.executemany(
            "INSERT INTO responses (instrument_id, respondent_id, item_id, value) VALUES (?, ?, ?, ?)",
            [(instrument_id, str(r), item, None if math.isnan(value) else float(value))
             for r, values in zip(answers.index, answers.itertuples(index=False, name=None), strict=True)
             for item, value in zip(items, values, strict=True)])
        summary = {"instrument": name, "respondents": len(answers), "items": len(items),
                   "blank": int(answers.isna().to_numpy().sum()), "missing": responses.missing,
                   "new_participants": created, "file": responses.path, "replaced": before is not None}
        db.audit("import", "survey", name, who=who, before=before, after=summary)
    return summary


def instrument_row(db: Store, name: str | None) -> dict[str, Any]:
    """The stored instrument ``name``; without a name, the only one there is."""
    rows = db.query("SELECT * FROM instruments ORDER BY id")
    if not rows:
        raise NotFound("no questionnaire in this project; import one with "
                       "`tematik survey import RESPONSES --instrument FILE`")
    names = ", ".join(r["name"] for r in rows)
    if name is None:
        if len(rows) > 1:
            raise NotFound(f"this project has several instruments ({names}); choose one with --instrument")
        return rows[0]
    for row in rows:
        if row["name"] == name:
            return row
    raise NotFound(f"no instrument '{name}' in this project (instruments: {names})")


def load_responses(db: Store, name: str | None = None) -> Responses:
    """The stored responses of an instrument as :class:`tematik.survey.Responses`.

    Respondent attributes are those of the imported table, completed with the linked participant's role and
    attributes (so a roster's columns can split the scores too); the table's own values win.
    """
    import pandas as pd

    from tematik.instrument import parse_instrument
    from tematik.survey import Responses

    row = instrument_row(db, name)
    instrument = parse_instrument(row["source"], f"<project instrument {row['name']}>")
    respondents = db.query(
        "SELECT r.id, r.attributes, p.role FROM respondents r LEFT JOIN participants p ON p.id = r.participant_id "
        "WHERE r.instrument_id = ? ORDER BY r.rowid", (row["id"],))
    ids = [r["id"] for r in respondents]
    extra: dict[str, dict[str, str]] = {}
    for a in db.query(
            "SELECT pa.participant_id, pa.key, pa.value FROM participant_attributes pa "
            "JOIN respondents r ON r.participant_id = pa.participant_id WHERE r.instrument_id = ?", (row["id"],)):
        extra.setdefault(a["participant_id"], {})[a["key"]] = a["value"] or ""
    records = []
    for r in respondents:
        own = json.loads(r["attributes"]) if r["attributes"] else {}
        records.append({**extra.get(r["id"], {}), **({"role": r["role"]} if r["role"] else {}), **own})
    columns = list(dict.fromkeys([*instrument.attributes, *(k for rec in records for k in rec)]))
    index = pd.Index(ids, name="respondent", dtype=object)
    attributes = pd.DataFrame([[rec.get(c, "") for c in columns] for rec in records], index=index,
                              columns=columns, dtype=object)
    long = db.read_frame("SELECT respondent_id, item_id, value FROM responses WHERE instrument_id = ?",
                         (row["id"],))
    answers = (long.pivot(index="respondent_id", columns="item_id", values="value")
               .reindex(index=ids, columns=list(instrument.item_ids)).astype(float))
    answers.index = index
    answers.columns.name = None
    return Responses(instrument, answers, attributes, row["missing"], f"<project instrument {row['name']}>")
