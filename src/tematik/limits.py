"""Limits for every reader of user files: how much an untrusted file may unpack to or hold.

One place for the limits of the .docx, .xlsx and .qdpx (ZIP) readers, of plain text files, of documents and of
table rows. Each limit has a name; an error that hits one says which, and how to raise it:

- the environment variable ``TEMATIK_LIMIT_<NAME>`` (e.g. ``TEMATIK_LIMIT_DOCUMENT_CHARS=400000000``), read by
  every command, or
- ``tematik import --limit NAME=VALUE`` (repeatable) for one import.

Values are whole numbers; sizes accept a K/M/G suffix (powers of 1000, so ``500M`` is 500,000,000 bytes).

ZIP members are never trusted on their headers: :func:`check_zip` and :func:`read_member` decompress in chunks
and stop as soon as the bytes actually produced pass a limit, so a ZIP bomb costs a chunk of memory, not the
size it claims or hides.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from tematik.errors import InputError

ENV_PREFIX = "TEMATIK_LIMIT_"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What an untrusted file may hold. Sizes are bytes (ZIP members: uncompressed)."""

    member_bytes: int = 256 * 1024 * 1024  # one ZIP member unpacked and read whole (document.xml, sharedStrings)
    sheet_bytes: int = 1024 * 1024 * 1024  # one .xlsx worksheet unpacked (openpyxl streams it, row by row)
    total_bytes: int = 1024 * 1024 * 1024  # all members of one ZIP together, unpacked
    members: int = 100_000  # entries in one ZIP
    ratio: float = 200.0  # unpacked / packed size of a member, checked once it has unpacked past ``ratio_floor``
    ratio_floor: int = 1024 * 1024
    depth: int = 64  # nesting of codes in a REFI-QDA file
    file_bytes: int = 512 * 1024 * 1024  # a text or table file on disk
    document_chars: int = 300_000_000  # characters of one imported document
    rows: int = 2_000_000  # data rows of one .csv/.xlsx table
    files: int = 100_000  # files found by one import in the folders named

    def with_values(self, values: Mapping[str, str | int | float], *, source: str = "--limit") -> Limits:
        """A copy with some limits changed: ``{"document_chars": "500M"}``; unknown names are an error."""
        known = {f.name: f for f in fields(self)}
        changes = {}
        for name, raw in values.items():
            key = name.strip().lower().replace("-", "_")
            if key not in known:
                raise InputError(f"unknown limit {name!r}; known limits: {', '.join(known)}", field=source)
            changes[key] = _number(raw, float if key == "ratio" else int, f"{source} {key}")
        return replace(self, **changes)


DEFAULTS = Limits()

_SUFFIX = {"k": 1000, "m": 1000 ** 2, "g": 1000 ** 3}


def _number(raw: str | int | float, kind: type, where: str) -> int | float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = raw
    else:
        m = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([kmg]?)i?b?\s*", str(raw),
                         re.IGNORECASE)
        if not m:
            raise InputError(f"expected a positive number (K/M/G suffix allowed), got {raw!r}", field=where)
        value = float(m.group(1).replace("_", "")) * _SUFFIX.get(m.group(2).lower(), 1)
    if value <= 0:
        raise InputError(f"expected a positive number, got {raw!r}", field=where)
    return kind(value)


def current(overrides: Mapping[str, str] | None = None) -> Limits:
    """The defaults, changed by ``TEMATIK_LIMIT_*`` environment variables, then by ``overrides``."""
    env = {k[len(ENV_PREFIX):]: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX) and v.strip()}
    limits = DEFAULTS.with_values(env, source="environment TEMATIK_LIMIT_*") if env else DEFAULTS
    return limits.with_values(overrides, source="--limit") if overrides else limits


try:  # the limits of this process, for readers that take them as a default argument (the .qdpx reader)
    LIMITS = current()
except InputError:  # a bad variable is reported by the command that calls current()
    LIMITS = DEFAULTS


def parse_overrides(specs: list[str] | None) -> dict[str, str]:
    """``["document_chars=5e8", ...]`` from ``--limit`` options -> {name: value}."""
    out: dict[str, str] = {}
    for spec in specs or ():
        name, sep, value = spec.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"expected NAME=VALUE, got {spec!r}", field="--limit")
        out[name.strip()] = value.strip()
    DEFAULTS.with_values(out)  # unknown names and bad numbers are refused here, before any file is read
    return out


def how_to_raise(name: str, value: int | float) -> str:
    return (f"limit {name}={value:,.0f}; raise it with {ENV_PREFIX}{name.upper()}=N "
            f"or `tematik import --limit {name}=N`")


def refuse(what: str, name: str, value: int | float, *, path: str | None) -> InputError:
    """The error for a file that passes limit ``name``: ``what`` says what was found."""
    return InputError(f"refused: {what} ({how_to_raise(name, value)})", path=path)


# --------------------------------------------------------------------------- ZIP archives

def unsafe_member(name: str) -> bool:
    """A member name that would point outside the archive: absolute, drive letter or ``..``."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return any(p == ".." for p in re.split(r"[\\/]", name))


def _member_limit(name: str, limits: Limits, streamed: tuple[str, ...]) -> tuple[str, int]:
    """(limit name, bytes) for a member: ``sheet_bytes`` for members a reader streams, else ``member_bytes``."""
    if streamed and re.fullmatch("|".join(streamed), name):
        return "sheet_bytes", limits.sheet_bytes
    return "member_bytes", limits.member_bytes


def check_headers(infos: list[zipfile.ZipInfo], limits: Limits, label: str, *,
                  streamed: tuple[str, ...] = ()) -> None:
    """Refuse an archive on what its directory claims: member count, names, encryption, sizes, ratios.

    Cheap and done first; the headers can lie, so reading goes through :func:`read_member` as well. Members
    whose names match a pattern of ``streamed`` (read row by row, never whole) have the ``sheet_bytes`` limit.
    """
    if len(infos) > limits.members:
        raise refuse(f"the archive holds {len(infos)} members", "members", limits.members, path=label)
    total = 0
    for info in infos:
        if unsafe_member(info.filename):
            raise InputError(f"refused: archive member {info.filename!r} points outside the archive", path=label)
        if info.flag_bits & 0x1:
            raise InputError(f"refused: archive member {info.filename!r} is encrypted", path=label)
        which, most = _member_limit(info.filename, limits, streamed)
        if info.file_size > most:
            raise refuse(f"archive member {info.filename!r} unpacks to {info.file_size:,} bytes", which, most,
                         path=label)
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise refuse(f"archive member {info.filename!r} is compressed "
                         f"{info.file_size / max(info.compress_size, 1):,.0f}:1; a ZIP bomb?", "ratio",
                         limits.ratio, path=label)
        total += info.file_size
        if total > limits.total_bytes:
            raise refuse(f"the archive unpacks to more than {limits.total_bytes:,} bytes", "total_bytes",
                         limits.total_bytes, path=label)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, label: str, *,
                keep: bool = True, budget: list[int] | None = None, streamed: tuple[str, ...] = ()) -> bytes:
    """A member's bytes, decompressed in chunks and refused as soon as the bytes produced pass a limit.

    ``keep=False`` only counts (for checking a whole archive) and returns ``b""``. ``budget`` is a one-item
    list of bytes still allowed for the whole archive, decreased as members are read.
    """
    name = info.filename
    which, most = _member_limit(name, limits, streamed)
    out = io.BytesIO() if keep else None
    produced = 0
    packed = max(info.compress_size, 1)
    try:
        with archive.open(info) as fh:
            # zipfile stops at the size the header claims and fails the CRC when it lies: read_member still
            # counts what comes out, so neither a lying header nor a missing one lets more through
            while chunk := fh.read(_CHUNK):
                produced += len(chunk)
                if produced > most:
                    raise refuse(f"{name} unpacks to more than {most:,} bytes", which, most, path=label)
                if produced > limits.ratio_floor and produced > limits.ratio * packed:
                    raise refuse(f"{name} is compressed more than {limits.ratio:,.0f}:1; a ZIP bomb?", "ratio",
                                 limits.ratio, path=label)
                if budget is not None:
                    budget[0] -= len(chunk)
                    if budget[0] < 0:
                        raise refuse(f"the archive unpacks to more than {limits.total_bytes:,} bytes",
                                     "total_bytes", limits.total_bytes, path=label)
                if out is not None:
                    out.write(chunk)
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"cannot unpack {name} ({exc})", path=label) from None
    except Exception as exc:  # noqa: BLE001 - zlib/bz2/lzma errors on damaged members
        raise InputError(f"cannot unpack {name} ({exc.__class__.__name__}: {exc})", path=label) from None
    return out.getvalue() if out is not None else b""


#: members of an .xlsx that openpyxl's read-only mode streams row by row instead of reading whole
XLSX_STREAMED = (r"xl/worksheets/[^/]+\.xml",)


def check_zip(data: bytes, label: str, limits: Limits | None = None, *, kind: str = "ZIP",
              streamed: tuple[str, ...] = ()) -> None:
    """Check an Office file (.docx/.xlsx, a ZIP) in memory before a library unpacks it.

    Headers first, then every member is decompressed in chunks and counted (nothing kept), so the library
    that opens it afterwards can only meet members of the sizes measured here.
    """
    limits = limits or current()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable {kind} file ({exc})", path=label) from None
    with archive:
        infos = archive.infolist()
        check_headers(infos, limits, label, streamed=streamed)
        budget = [limits.total_bytes]
        for info in infos:
            if not info.is_dir():
                read_member(archive, info, limits, label, keep=False, budget=budget, streamed=streamed)


# --------------------------------------------------------------------------- plain files

def check_file_size(path: Path, limits: Limits | None = None) -> None:
    """Refuse a file larger than ``file_bytes`` before reading it."""
    limits = limits or current()
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader names the problem
    if size > limits.file_bytes:
        raise refuse(f"the file has {size:,} bytes", "file_bytes", limits.file_bytes, path=str(path))


def check_document(chars: int, label: str, limits: Limits | None = None) -> None:
    limits = limits or current()
    if chars > limits.document_chars:
        raise refuse(f"the document has {chars:,} characters", "document_chars", limits.document_chars, path=label)


def check_rows(n: int, label: str, limits: Limits | None = None) -> None:
    limits = limits or current()
    if n > limits.rows:
        raise refuse(f"the table has more than {limits.rows:,} rows", "rows", limits.rows, path=label)
