"""The project store: one SQLite file. This package is the only place in tematik that speaks SQL.

``Store`` owns the connection, the schema migrations and transactions. The functions that read and write each
part of the project live in the submodules (``store.corpus``, ``store.coding``, ...) and take a ``Store``.
"""

from __future__ import annotations

import errno
import getpass
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tematik.errors import InputError, ProjectBusy, ProjectError, StorageError, TematikError
from tematik.fileio import fsync_path
from tematik.store.schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_DB = "tematik.db"
APPLICATION_ID = 0x54454D41  # "TEMA": marks the file as a tematik project
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a command waits for another process's write lock
FIRST_WAIT = 0.25  # seconds waited silently before saying that the project is busy


def default_db_path() -> Path:
    return Path(os.environ.get("TEMATIK_DB") or DEFAULT_DB)


def busy_timeout() -> float:
    """Seconds to wait for a project another process is writing when the caller gives none (the CLI's ``--wait``,
    the API's ``wait=``): $TEMATIK_BUSY_TIMEOUT or 30."""
    env = os.environ.get("TEMATIK_BUSY_TIMEOUT")
    if not env:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(env)
    except ValueError:
        raise InputError(f"expected a number of seconds, got {env!r}", field="TEMATIK_BUSY_TIMEOUT") from None
    if not 0 <= value < 1e7:
        raise InputError(f"expected 0 or more seconds, got {env!r}", field="TEMATIK_BUSY_TIMEOUT")
    return value


# SQLite primary result codes that are about the file or the disk, not about tematik's SQL.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 3, 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


def storage_error(exc: sqlite3.Error, path: str | os.PathLike[str] | None,
                  timeout: float | None = None) -> TematikError | None:
    """The TematikError for a SQLite error that comes from the file, the disk or another process (None for any
    other error, which is a bug and keeps its traceback)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return None
    code &= 0xFF
    where = None if path is None else str(path)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        waited = f" for more than {timeout:g} s" if timeout is not None else ""
        return ProjectBusy(f"the project is busy: another process has been writing it{waited} ({exc}); nothing "
                           "was changed. Run the command again when it is done, or wait longer with --wait SECONDS "
                           "(or TEMATIK_BUSY_TIMEOUT)", path=where)
    if code == _SQLITE_FULL:
        return StorageError(f"the disk is full ({exc}); nothing was changed: free some space and run the command "
                            "again", path=where)
    if code == _SQLITE_READONLY:
        return StorageError(f"cannot write the project: the file, its folder or the file system is read-only "
                            f"({exc}); nothing was changed", path=where)
    if code == _SQLITE_CORRUPT:
        return StorageError(f"the project file is damaged ({exc}): restore it from a backup (or try "
                            "`sqlite3 FILE .recover`)", path=where)
    if code == _SQLITE_NOTADB:
        return ProjectError(f"not a SQLite database, so not a tematik project ({exc})", path=where)
    if code in (_SQLITE_CANTOPEN, _SQLITE_PERM):
        return StorageError(f"cannot open the project file or the -wal/-shm files beside it ({exc}): check the "
                            "permissions of the file and its folder", path=where)
    if code == _SQLITE_IOERR:
        return StorageError(f"input/output error on the project file ({exc}; is the disk full or failing?); "
                            "nothing was changed", path=where)
    return None


class _Connection(sqlite3.Connection):
    """A connection whose file, disk and lock errors surface as TematikErrors naming the project file."""

    tematik_path: str | None = None
    tematik_timeout: float | None = None

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.tematik_path, self.tematik_timeout) or exc from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise storage_error(exc, self.tematik_path, self.tematik_timeout) or exc from None


def _is_empty_leftover(path: Path) -> bool:
    """A 0-byte file (with no -wal content): what older versions left when killed during ``init``."""
    try:
        if not path.is_file() or path.stat().st_size:
            return False
        wal = Path(f"{path}-wal")
        return not wal.exists() or wal.stat().st_size == 0
    except OSError:
        return False


def _on_read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _sweep_stale_creations(path: Path) -> None:
    """Remove the temporary files of earlier ``create`` calls on ``path`` whose process is gone (killed)."""
    prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and ".creating" in p.name]
    except OSError:
        return
    for p in candidates:
        pid = p.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running: another init in progress
        except ProcessLookupError:
            pass
        except OSError:
            continue  # exists but is not ours to signal
        p.unlink(missing_ok=True)


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

    def __init__(self, path: Path, conn: sqlite3.Connection, *, timeout: float | None = None,
                 on_busy: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.conn = conn
        self.timeout = busy_timeout() if timeout is None else timeout
        self.on_busy = on_busy
        self._depth = 0

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = False,
             timeout: float | None = None, on_busy: Callable[[str], None] | None = None) -> Store:
        """Open a project. ``timeout``: seconds to wait for another process's write lock (default
        :func:`busy_timeout`); ``on_busy`` is called with a message when a write has to wait."""
        path = Path(path) if path is not None else default_db_path()
        if not path.exists() or (create and _is_empty_leftover(path)):
            if not create:
                raise ProjectError(
                    "no tematik project here; create one with `tematik init` (or give --db / TEMATIK_DB)",
                    path=str(path))
            return cls.create(path, timeout=timeout, on_busy=on_busy)
        if path.is_dir():
            raise ProjectError("is a folder, not a project file", path=str(path))
        if _is_empty_leftover(path):
            raise ProjectError("is an empty file (0 bytes), probably left by an interrupted `tematik init` or "
                               "first import of an older version: run `tematik init` to create the project here",
                               path=str(path))
        timeout = busy_timeout() if timeout is None else timeout
        try:
            return cls._open_checked(path, timeout, on_busy)
        except StorageError:
            if not _on_read_only_file_system(path):
                raise
        # A project on a read-only medium (a WAL file cannot get its -shm there): read it as immutable, which is
        # safe because nothing can write it; a write then fails as "read-only" in one line.
        return cls._open_checked(path, timeout, on_busy, immutable=True)

    @classmethod
    def _open_checked(cls, path: Path, timeout: float, on_busy: Callable[[str], None] | None, *,
                      immutable: bool = False) -> Store:
        conn = cls._connect(path, timeout, immutable=immutable)
        store = cls(path, conn, timeout=timeout, on_busy=on_busy)
        try:
            store._check_and_migrate()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, timeout: float | None = None,
               on_busy: Callable[[str], None] | None = None) -> Store:
        """Create a new project; it appears whole or not at all.

        The schema is written to a temporary file beside ``path``, which is put in place (never over an existing
        project) once committed, so a kill at any moment leaves either no project or a complete empty one. A
        0-byte file left by an older version's interrupted ``init`` is replaced.
        """
        path = Path(path)
        if path.is_dir():
            raise ProjectError("is a folder, not a project file", path=str(path))
        leftover = _is_empty_leftover(path)
        if path.exists() and not leftover:
            raise ProjectError("already exists; use it with --db or remove it first", path=str(path))
        if not path.parent.exists():
            raise ProjectError("folder does not exist", path=str(path.parent))
        _sweep_stale_creations(path)
        tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.creating"
        try:
            conn = cls._connect(tmp, 0.0)
            try:
                store = cls(tmp, conn, timeout=0.0)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute("PRAGMA journal_mode = WAL")
                store._migrate(0)
                with store.transaction():
                    conn.execute("INSERT INTO meta (key, value) VALUES ('created', ?), ('created_by', ?)",
                                 (now(), current_user()))
            finally:
                conn.close()  # the last connection: the WAL is checkpointed into the file and removed
            fsync_path(tmp)
            cls._place(tmp, path, replace_empty=leftover)
            fsync_path(path.parent, directory=True)
        except OSError as exc:
            from tematik.fileio import os_error

            raise os_error(exc, path, doing="create the project") from None
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        return cls.open(path, timeout=timeout, on_busy=on_busy)

    @staticmethod
    def _place(tmp: Path, path: Path, *, replace_empty: bool) -> None:
        """Put the finished project file in place without ever replacing a project another process made."""
        if replace_empty:
            if not _is_empty_leftover(path) and path.exists():
                raise ProjectError("already exists; use it with --db or remove it first", path=str(path))
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # fails if the name was taken meanwhile
        except FileExistsError:
            raise ProjectError("already exists; use it with --db or remove it first", path=str(path)) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if path.exists():  # a file system without hard links: check, then rename
                raise ProjectError("already exists; use it with --db or remove it first", path=str(path)) from None
            os.replace(tmp, path)

    @staticmethod
    def _connect(path: Path, timeout: float, *, immutable: bool = False) -> sqlite3.Connection:
        conn = None
        try:
            if immutable:
                uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout, factory=_Connection)
            else:
                conn = sqlite3.connect(str(path), isolation_level=None, timeout=timeout, factory=_Connection)
            conn.tematik_path = str(path)
            conn.tematik_timeout = timeout
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
        except TematikError:
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
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
                self._begin()
                if self.schema_version > number:  # another process migrated while this one waited
                    self.conn.execute("COMMIT")
                    continue
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
                    self._rollback()
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

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # raised while reading rows: the same translation as execute()
            translated = storage_error(exc, self.path, self.timeout)
            if translated is not None:
                raise translated from None

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
        self._begin()
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._rollback()
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``: take the write lock, waiting up to ``timeout`` seconds for another process.

        After a short silent wait ``on_busy`` is told (the CLI prints it), then the rest of the timeout is
        waited; past it, ProjectBusy.
        """
        first = min(FIRST_WAIT, self.timeout)
        start = time.monotonic()
        try:
            self._set_busy_timeout(first)
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except ProjectBusy:
                if self.timeout <= first:
                    raise
            if self.on_busy is not None:
                self.on_busy(f"waiting for the project {self.path} (held by another tematik process) for up to "
                             f"{self.timeout:g} s; change with --wait SECONDS or TEMATIK_BUSY_TIMEOUT")
            self._set_busy_timeout(max(0.0, self.timeout - (time.monotonic() - start)))
            self.conn.execute("BEGIN IMMEDIATE")
        finally:
            self._set_busy_timeout(self.timeout)

    def _set_busy_timeout(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def _rollback(self) -> None:
        """Roll back if a transaction is still open (SQLite ends one itself after some errors, e.g. disk full)."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except (sqlite3.Error, TematikError):
                pass

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


__all__ = ["DEFAULT_BUSY_TIMEOUT", "DEFAULT_DB", "Store", "busy_timeout", "current_user", "default_db_path",
           "now", "storage_error"]
