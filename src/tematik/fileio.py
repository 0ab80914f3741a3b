"""Every file tematik writes appears whole or not at all.

Writers open their output with :func:`atomic_open` (or call :func:`write_text` / :func:`write_bytes`): the data
goes to a hidden temporary file in the same folder, is flushed to disk, and only then renamed over the target, so
an interrupted or failing write leaves the old file (or none), never half of one. A target that is not a regular
file (a pipe, ``/dev/stdout``) is written straight into. Disk and permission failures become one-line
TematikErrors naming the file.

A folder of several files (the report) is marked complete by a manifest written last
(:func:`write_manifest`) and removed first (:func:`remove_manifest`): while the manifest is missing the folder
may mix files of two runs; when it is there, it lists every file of the run with its SHA-256.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tematik.errors import InputError, StorageError, TematikError

MANIFEST = "MANIFEST.json"

_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM}


def os_error(exc: OSError, path: str | os.PathLike[str], *, doing: str = "write") -> TematikError:
    """The one-line error for an OSError met while writing ``path``."""
    reason = exc.strerror or str(exc)
    where = str(path)
    if exc.errno in _FULL:
        return StorageError(f"cannot {doing}: the disk is full or the file too large ({reason}); nothing was "
                            "written", path=where)
    if exc.errno == errno.EROFS:
        return StorageError(f"cannot {doing}: the file system is read-only ({reason})", path=where)
    if exc.errno in _DENIED:
        return StorageError(f"cannot {doing}: permission denied ({reason})", path=where)
    if exc.errno == errno.ENOENT:
        return InputError(f"cannot {doing}: the folder does not exist ({reason})", path=where)
    if exc.errno in (errno.EISDIR, errno.ENOTDIR):
        return InputError(f"cannot {doing}: {reason}", path=where)
    return StorageError(f"cannot {doing} ({reason})", path=where)


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_path(path: str | os.PathLike[str], *, directory: bool = False) -> None:
    """Flush a file (or, with ``directory``, a folder's entries) to disk; where the system cannot, do nothing."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it appears whole or not at all (``mode`` "w" or "wb").

    A symlink is followed (the link stays a link); an existing non-regular target (pipe, character device) is
    written straight into. The replaced file keeps its permission bits.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only ('w' or 'wb'), not {mode!r}")
    binary = mode == "wb"
    kwargs: dict[str, Any] = {} if binary else {"encoding": encoding or "utf-8", "newline": newline}
    path = Path(path)
    try:
        if path.exists() and not path.is_file():
            if path.is_dir():
                raise InputError("is a folder, not a file", path=str(path))
            with open(path, mode, **kwargs) as fh:
                yield fh
            return
        target = path.resolve() if path.is_symlink() else path
        if not target.parent.is_dir():
            raise InputError("cannot write: the folder does not exist", path=str(target.parent))
        bits = (target.stat().st_mode & 0o777) if target.exists() else _new_file_mode()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, mode, **kwargs) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, bits)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_path(target.parent, directory=True)
    except OSError as exc:
        raise os_error(exc, path) from None


def write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8", newline: str | None = None
               ) -> Path:
    with atomic_open(path, "w", encoding=encoding, newline=newline) as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def make_folder(path: str | os.PathLike[str]) -> Path:
    """``mkdir -p`` with the one-line errors of :func:`os_error`."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError("is a file, not a folder", path=str(path)) from None
    except OSError as exc:
        raise os_error(exc, path, doing="create the folder") from None
    return path


def remove_manifest(folder: str | os.PathLike[str]) -> None:
    """Mark a folder as being rewritten: its manifest goes first, so a kill midway leaves no manifest."""
    target = Path(folder) / MANIFEST
    try:
        target.unlink(missing_ok=True)
    except OSError as exc:
        raise os_error(exc, target, doing="remove") from None
    fsync_path(folder, directory=True)


def write_manifest(folder: str | os.PathLike[str], files: Iterable[str | os.PathLike[str]], *,
                   generator: str = "tematik") -> Path:
    """Write ``MANIFEST.json`` last: every file of the run (relative path, bytes, SHA-256) and when it was made."""
    base = Path(folder)
    entries = []
    for f in files:
        p = Path(f)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise os_error(exc, p, doing="read back") from None
        try:
            rel = p.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            rel = str(p)
        entries.append({"file": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    entries.sort(key=lambda e: e["file"])
    body = {"generator": generator, "complete": True,
            "written": datetime.now(UTC).isoformat(timespec="seconds"), "files": entries}
    return write_text(base / MANIFEST, json.dumps(body, ensure_ascii=False, indent=1) + "\n")


def check_manifest(folder: str | os.PathLike[str]) -> list[str]:
    """Problems with a folder's manifest (missing, or files changed or missing); empty when complete."""
    base = Path(folder)
    try:
        body = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [f"no readable {MANIFEST}: the folder was not completely written"]
    problems = []
    for e in body.get("files", []):
        p = base / e["file"]
        if not p.is_file():
            problems.append(f"{e['file']}: missing")
        elif hashlib.sha256(p.read_bytes()).hexdigest() != e["sha256"]:
            problems.append(f"{e['file']}: not the file of this run")
    return problems


__all__ = ["MANIFEST", "atomic_open", "check_manifest", "make_folder", "os_error", "remove_manifest",
           "write_bytes", "write_manifest", "write_text"]
