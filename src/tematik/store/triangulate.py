"""Triangulation in the store: the researcher's convergence overrides and meta-inferences, and which
participant each questionnaire respondent is. (Theme counts come from ``store.analysis``.)

Every override and meta-inference is written together with its audit-log entry in one transaction.
"""

from __future__ import annotations

from typing import Any

from tematik.store import Store, current_user, now

# --------------------------------------------------------------------------- overrides and meta-inferences


def overrides(db: Store) -> dict[str, dict[str, Any]]:
    """``{theme or factor id: {convergence, note, who, at}}``."""
    return {r["theme"]: r for r in db.query("SELECT theme, convergence, note, who, at FROM convergence_overrides")}


def set_override(db: Store, key: str, convergence: str, note: str | None, *, who: str | None = None) -> None:
    """Record (or replace) the researcher's convergence code for a theme or factor, with who and why."""
    who = who or current_user()
    with db.transaction():
        before = db.query("SELECT convergence, note, who, at FROM convergence_overrides WHERE theme = ?", (key,))
        db.conn.execute(
            "INSERT INTO convergence_overrides (theme, convergence, note, who, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (theme) DO UPDATE SET convergence = excluded.convergence, note = excluded.note, "
            "who = excluded.who, at = excluded.at", (key, convergence, note, who, now()))
        db.audit("override", "convergence", key, who=who, before=before[0] if before else None,
                 after={"convergence": convergence, "note": note})


def clear_override(db: Store, key: str, *, who: str | None = None) -> bool:
    """Drop a theme's override (back to the computed code). Returns whether there was one."""
    with db.transaction():
        before = db.query("SELECT convergence, note, who, at FROM convergence_overrides WHERE theme = ?", (key,))
        if not before:
            return False
        db.conn.execute("DELETE FROM convergence_overrides WHERE theme = ?", (key,))
        db.audit("clear", "convergence", key, who=who, before=before[0])
    return True


def inferences(db: Store) -> dict[str, dict[str, Any]]:
    """``{theme or factor id: {text, who, at}}``."""
    return {r["theme"]: r for r in db.query("SELECT theme, text, who, at FROM meta_inferences")}


def set_inference(db: Store, key: str, text: str, *, who: str | None = None) -> None:
    """Write (or replace) the meta-inference of a theme or factor; an empty text removes it."""
    who = who or current_user()
    with db.transaction():
        before = db.query("SELECT text, who, at FROM meta_inferences WHERE theme = ?", (key,))
        if text.strip():
            db.conn.execute(
                "INSERT INTO meta_inferences (theme, text, who, at) VALUES (?, ?, ?, ?) ON CONFLICT (theme) DO "
                "UPDATE SET text = excluded.text, who = excluded.who, at = excluded.at", (key, text.strip(), who,
                                                                                          now()))
        else:
            db.conn.execute("DELETE FROM meta_inferences WHERE theme = ?", (key,))
        db.audit("infer", "meta_inference", key, who=who, before=before[0] if before else None,
                 after={"text": text.strip()} if text.strip() else None)


def convergence_log(db: Store) -> list[dict[str, Any]]:
    """The audit entries of overrides and meta-inferences, newest first."""
    return db.query("SELECT id, at, who, action, entity, entity_id, before, after FROM audit_log "
                    "WHERE entity IN ('convergence', 'meta_inference') ORDER BY id DESC")


# --------------------------------------------------------------------------- read side


def respondent_participants(db: Store, instrument: str | None = None) -> dict[str, str]:
    """``{respondent id: participant id}`` of an instrument's respondents (all instruments when None)."""
    if instrument is None:
        rows = db.query("SELECT id, participant_id FROM respondents")
    else:
        rows = db.query("SELECT r.id, r.participant_id FROM respondents r JOIN instruments i ON i.id = "
                        "r.instrument_id WHERE i.name = ?", (instrument,))
    return {r["id"]: r["participant_id"] or r["id"] for r in rows}


def coders(db: Store, statuses: tuple[str, ...]) -> list[str]:
    """Coders with codings of the given statuses (the auto-coder included), sorted."""
    marks = ",".join("?" * len(statuses))
    return [r[0] for r in db.conn.execute(f"SELECT DISTINCT coder FROM codings WHERE status IN ({marks}) "
                                          "ORDER BY coder", statuses)]


def status_counts(db: Store) -> dict[str, int]:
    """How many codings have each status."""
    return {r[0]: r[1] for r in db.conn.execute("SELECT status, count(*) FROM codings GROUP BY status")}
