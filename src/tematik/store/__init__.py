"""The project store: one SQLite file. This package is the only place in tematik that speaks SQL.

``Store`` owns the connection, the schema migrations and transactions. The functions that read and write each
part of the project live in the submodules (``store.corpus``, ``store.coding``, ...) and take a ``Store``.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tematik.errors import ProjectError
from tematik.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "tematik.db"
APPLICATION_ID = 0x54454D41  # "TEMA": marks the file as a tematik project


def default_db_path() -> Path:
    return Path(os.environ.get("TEMATIK_DB") or DEFAULT_DB)


def current_user() -> str:
    """The coder name used when none is given: ``TEMATIK_CODER`` or the OS user."""
    env = os.environ.get("TEMATIK_CODER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user database in some containers
        return "unknown"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """An open tematik project.

    Use ``Store.open(path)`` for an existing project, ``Store.create(path)`` for a new one, or
    ``Store.open(path, create=True)``. Writes go through ``with store.transaction():`` so that a failing command
    leaves the file as it was.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._depth = 0

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = False) -> Store:
        path = Path(path) if path is not None else default_db_path()
        if not path.exists():
            if not create:
                raise ProjectError(
                    "no tematik project here; create one with `tematik init` (or give --db / TEMATIK_DB)",
                    path=str(path))
            return cls.create(path)
        if path.is_dir():
            raise ProjectError("is a folder, not a project file", path=str(path))
        conn = cls._connect(path)
        store = cls(path, conn)
        store._check_and_migrate()
        return store

    @classmethod
    def create(cls, path: str | os.PathLike[str]) -> Store:
        path = Path(path)
        if path.exists():
            raise ProjectError("already exists; use it with --db or remove it first", path=str(path))
        if not path.parent.exists():
            raise ProjectError("folder does not exist", path=str(path.parent))
        conn = cls._connect(path)
        store = cls(path, conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = WAL")
        store._migrate(0)
        with store.transaction():
            conn.execute("INSERT INTO meta (key, value) VALUES ('created', ?), ('created_by', ?)",
                         (now(), current_user()))
        return store

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise ProjectError(f"cannot open as a SQLite database ({exc})", path=str(path)) from None
        return conn

    def _check_and_migrate(self) -> None:
        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError:
            raise ProjectError("not a SQLite database", path=str(self.path)) from None
        if app_id != APPLICATION_ID:
            raise ProjectError("not a tematik project (SQLite application_id does not match)", path=str(self.path))
        if version > SCHEMA_VERSION:
            raise ProjectError(
                f"project schema version {version} is newer than this tematik understands ({SCHEMA_VERSION}); "
                "upgrade tematik", path=str(self.path))
        if version < SCHEMA_VERSION:
            self._migrate(version)

    def _migrate(self, from_version: int) -> None:
        """Apply the migrations after ``from_version``, each in its own transaction with its version bump.

        A migration is an SQL script or a function of the connection (for a table rebuild that must read the
        current schema). Foreign keys are off while migrations run, so a table can be rebuilt without its
        ``ON DELETE CASCADE`` children being emptied (SQLite's documented 12-step procedure); every migration
        ends with ``PRAGMA foreign_key_check`` and is rolled back if a reference is broken."""
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number in range(from_version, SCHEMA_VERSION):
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    migration = MIGRATIONS[number]
                    if callable(migration):
                        migration(self.conn)
                    else:
                        for statement in _split_sql(migration):
                            self.conn.execute(statement)
                    broken = self.conn.execute("PRAGMA foreign_key_check").fetchone()
                    if broken is not None:
                        raise ProjectError(f"schema migration {number + 1} would break a reference in table "
                                           f"{broken[0]}; the project was left unchanged", path=str(self.path))
                    self.conn.execute(f"PRAGMA user_version = {number + 1}")
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions and helpers
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.conn.execute(sql, params)]

    def scalar(self, sql: str, params: tuple | dict = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def audit(self, action: str, entity: str, entity_id: Any = None, *, before: Any = None, after: Any = None,
              who: str | None = None) -> None:
        """Record a change in the audit log (call inside the transaction that makes the change)."""
        self.conn.execute(
            "INSERT INTO audit_log (at, who, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now(), who or current_user(), action, entity, None if entity_id is None else str(entity_id),
             None if before is None else json.dumps(before, ensure_ascii=False, default=str),
             None if after is None else json.dumps(after, ensure_ascii=False, default=str)))

    def read_frame(self, sql: str, params: tuple | dict = ()):  # -> pandas.DataFrame
        """A read-side report query straight into a DataFrame (pandas imported on use)."""
        import pandas as pd

        return pd.read_sql_query(sql, self.conn, params=params)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no semicolons inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip()]


__all__ = ["DEFAULT_DB", "Store", "current_user", "default_db_path", "now"]
