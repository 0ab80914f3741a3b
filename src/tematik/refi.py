"""REFI-QDA exchange (QDA-XML 1.0): projects (``.qdpx``) and codebooks (``.qdc``) to and from tematik objects.

Pure: this module builds and parses XML and ZIP archives and reads the source files an archive points to; it never
speaks SQL and never prints. ``store.refi`` reads and writes the project, ``cli.refi`` is the command line.

A ``.qdpx`` is a ZIP holding ``project.qde`` (XML in ``urn:QDA-XML:project:1.0``) and ``sources/``; a ``.qdc`` is
one XML file in ``urn:QDA-XML:codebook:1.0``. Archives and XML from elsewhere are untrusted: XML is parsed with
``defusedxml`` refusing DTDs, entities and external references; archive member names that are absolute or climb
out with ``..`` are refused; member sizes, their total and their compression ratio are capped; files outside the
archive are read only from one allowed folder. Every refusal raises ``InputError`` before anything is written.

Offsets: tematik offsets are code points into the normalised text (NFC, ``\\n``, see ``corpus.normalise``). Tools
count differently: some count a CRLF line break as one character, some every line break as two, some count UTF-16
code units. ``TextMap`` maps a tool's offsets in the raw source text onto the normalised text under each way of
counting, and ``detect_counting`` picks the one under which the selections fit the text (in range, not splitting a
CRLF or a surrogate pair, matching the selection names tools write, falling on word boundaries), falling back on
the convention of the tool named in the file's ``origin`` and saying how sure it is. Exports count as the receiving
tool reads (``ExportCounting``, ``EXPORT_PRESETS``).

tematik's own exports add ``tematik.json`` to the archive (ignored by other tools): code slugs and codebook data,
coding status/rule/polarity and speaker turns, which the standard has no place for, so that a round trip through
a ``.qdpx`` gives the same project.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import uuid
import zipfile
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from itertools import accumulate, compress
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from xml.etree import ElementTree as ET

from tematik.errors import InputError
from tematik.limits import LIMITS, Limits, check_headers, read_member
from tematik.models import (
    CODING_STATUSES,
    LANGUAGES,
    Coding,
    Document,
    Participant,
    Turn,
    source_type_problem,
)

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
PROJECT_MEMBER = "project.qde"
SOURCES_DIR = "sources/"
SIDECAR = "tematik.json"
SIDECAR_FORMAT = "tematik-refi"
GUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
RGB_RE = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")
DEFAULT_EXPORT_STATUSES = ("accepted", "manual")
#: attribute types of tematik -> REFI typeOfVariable
VARIABLE_TYPES = {"text": "Text", "integer": "Integer", "real": "Float", "date": "Date", "boolean": "Boolean"}
VALUE_ELEMENTS = {"Text": "TextValue", "Integer": "IntegerValue", "Float": "FloatValue", "Date": "DateValue",
                  "Boolean": "BooleanValue", "DateTime": "DateTimeValue"}
#: document fields carried as variables on a TextSource (other tools show them as document variables)
DOCUMENT_FIELDS = ("source_type", "language", "date")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- small helpers

def new_guid(namespace: uuid.UUID, kind: str, key: object) -> str:
    """A stable GUID: uuid5 of the project namespace and ``kind:key`` (re-export gives the same GUIDs)."""
    return str(uuid.uuid5(namespace, f"{kind}:{key}"))


def project_namespace(seed: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tematik:project:{seed}")


def _gid(value: str | None) -> str | None:
    """A GUID as compared: no braces, lower case."""
    if value is None:
        return None
    return value.strip().strip("{}").lower() or None


def slugify(name: str) -> str:
    """A code id in tematik's slug form from a display name (``"Knowledge Sharing!"`` -> ``knowledge_sharing``)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    if not slug:
        return "code"
    if not slug[0].isalpha():
        slug = "c_" + slug
    return slug


def unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def source_hash(source: str | bytes) -> str:
    data = source.encode("utf-8") if isinstance(source, str) else source
    return hashlib.sha256(data).hexdigest()


def _xml_text(value: str | None) -> str:
    return _XML_ILLEGAL.sub("\ufffd", value or "")


def _xsd_datetime(value: str | None) -> str | None:
    """tematik's ISO timestamps -> ``xsd:dateTime`` in UTC (``2024-05-01T10:00:00Z``); None if unreadable."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(value: str | None) -> str | None:
    """An ``xsd:dateTime`` from another tool -> tematik's ISO form (UTC, seconds); None if unreadable."""
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).isoformat(timespec="seconds")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _kid_text(el: ET.Element, name: str) -> str | None:
    c = _kid(el, name)
    return None if c is None else (c.text or "")


# --------------------------------------------------------------------------- safe reading

def parse_xml(data: bytes, label: str) -> ET.Element:
    """Parse untrusted XML: no DTD, no entities, no external references; one-line errors."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"refused: the XML declares a DTD, entities or external references ({exc.__class__.__name__})"
                         "; REFI-QDA files need none", path=label) from None
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputError(f"not well-formed XML ({exc})", path=label, line=line) from None


def _unsafe_member(name: str) -> bool:
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = re.split(r"[\\/]", name)
    return any(p == ".." for p in parts)


class Archive:
    """A ``.qdpx`` opened for reading, its members checked before anything is read."""

    def __init__(self, path: Path, limits: Limits = LIMITS) -> None:
        self.path = path
        self.label = str(path)
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"not a readable .qdpx (ZIP) file ({exc})", path=self.label) from None
        infos = self.zip.infolist()
        check_headers(infos, limits, self.label)
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            self.members[info.filename.replace("\\", "/")] = info
        self._folded: dict[str, list[str]] = {}
        for name in self.members:
            self._folded.setdefault(name.casefold(), []).append(name)

    def find(self, name: str) -> str | None:
        """The member called ``name``, else the one member whose name differs only in case (NVivo for Windows
        writes ``Sources/``); None when there is none or several."""
        if name in self.members:
            return name
        hits = self._folded.get(name.casefold(), [])
        return hits[0] if len(hits) == 1 else None

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str) -> bytes:
        info = self.members.get(name)
        if info is None:
            raise InputError(f"{name} is missing from the archive", path=self.label)
        return read_member(self.zip, info, self.limits, self.label)

    def project_member(self) -> str:
        if PROJECT_MEMBER in self.members:
            return PROJECT_MEMBER
        qde = [n for n in self.members if n.lower().endswith(".qde") and "/" not in n]
        if len(qde) == 1:
            return qde[0]
        raise InputError("no project.qde in the archive; is this a REFI-QDA project (.qdpx)?", path=self.label)


class SourceResolver:
    """Reads the files a project points to: ``internal://`` and scheme-less paths from the archive (or, for a bare
    ``.qde``, from the folder holding it), ``relative://`` and ``absolute://`` from disk, but only inside ``root``
    (by default the folder holding the ``.qdpx``)."""

    def __init__(self, archive: Archive | None, root: Path, base_path: str | None, label: str,
                 limits: Limits = LIMITS, folder: Path | None = None) -> None:
        self.archive = archive
        self.root = root.resolve()
        self.base_path = base_path or ""
        self.label = label
        self.limits = limits
        self.folder = folder.resolve() if folder is not None else None  # an unzipped project: .qde + sources/

    def read(self, ref: str, what: str) -> tuple[bytes, str]:
        """(bytes, a label for messages) of a source path."""
        ref = ref.strip()
        scheme, sep, rest = ref.partition("://")
        if not sep:
            return self._schemeless(ref, what)
        scheme = scheme.lower()
        if scheme == "internal":
            return self._internal(rest, what)
        if scheme == "relative":
            return self._on_disk(self._relative(rest, what), ref, what)
        if scheme == "absolute":
            return self._on_disk(self._absolute(rest), ref, what)
        raise InputError(f"{what}: unsupported source path scheme {scheme + '://'!r}", path=self.label)

    def _inside(self, rest: str, what: str, kind: str) -> str:
        """A path that must stay inside the archive or project folder, as a clean relative POSIX path."""
        name = rest.replace("\\", "/")
        where = "the archive" if self.archive is not None else "the project folder"
        if not name.strip() or _unsafe_member(name):
            raise InputError(f"refused: {what}: {kind} {rest!r} points outside {where}", path=self.label)
        return "/".join(p for p in name.split("/") if p not in ("", "."))

    def _internal(self, rest: str, what: str) -> tuple[bytes, str]:
        name = self._inside(rest.lstrip("/\\") or rest, what, "internal path")
        if self.archive is not None:
            member = self.archive.find(SOURCES_DIR + name)
            if member is None:
                raise InputError(f"{what}: {SOURCES_DIR}{name} is missing from the archive", path=self.label)
            return self.archive.read(member), f"{self.label}:{member}"
        found = self._in_folder(name, sources_only=True)
        if found is None:
            raise InputError(f"{what}: internal:// path {rest!r} but no archive, and no sources/{name} beside "
                             "the .qde (import the .qdpx, or the folder holding project.qde and sources/)",
                             path=self.label)
        return self._on_disk(found, f"internal://{rest}", what, base=self.folder)

    def _schemeless(self, ref: str, what: str) -> tuple[bytes, str]:
        """A path without a scheme (an ``anyURI`` relative reference, as qc writes): inside the archive, first in
        ``sources/`` then at its root; for a bare ``.qde``, the same beside it."""
        from urllib.parse import unquote

        name = self._inside(ref, what, "source path")
        names = [name] + ([self._inside(unquote(name), what, "source path")] if unquote(name) != name else [])
        if self.archive is not None:
            for n in names:
                for candidate in (SOURCES_DIR + n, n):
                    member = self.archive.find(candidate)
                    if member is not None:
                        return self.archive.read(member), f"{self.label}:{member}"
            raise InputError(f"{what}: source path {ref!r} is in neither {SOURCES_DIR} nor the root of the archive",
                             path=self.label)
        for n in names:
            found = self._in_folder(n, sources_only=False)
            if found is not None:
                return self._on_disk(found, ref, what, base=self.folder)
        raise InputError(f"{what}: source path {ref!r} not found beside the .qde (looked in sources/ and "
                         f"{self.folder})", path=self.label)

    def _in_folder(self, name: str, *, sources_only: bool) -> Path | None:
        """``name`` under the project folder's ``sources/`` (any case), else (scheme-less) at its top."""
        if self.folder is None:
            return None
        bases = [d for d in sorted(self.folder.iterdir()) if d.name.casefold() == "sources" and d.is_dir()] \
            if self.folder.is_dir() else []
        if not sources_only:
            bases.append(self.folder)
        for base in bases:
            found = _find_ci(base, name)
            if found is not None:
                return found
        return None

    def _relative(self, rest: str, what: str) -> Path:
        rel = rest.replace("\\", "/")
        if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
            raise InputError(f"refused: {what}: relative path {rest!r} is absolute", path=self.label)
        base = self.base_path.replace("\\", "/")
        if base.startswith("relative://") or base.startswith("absolute://"):
            base = base.split("://", 1)[1]
        candidates = []
        if base:
            candidates.append(Path(base) / rel if Path(base).is_absolute() else self.root / base / rel)
        candidates.append(self.root / rel)
        for c in candidates:
            resolved = c.resolve()
            if resolved.is_relative_to(self.root) and resolved.exists():
                return resolved
        resolved = candidates[-1].resolve()
        if not resolved.is_relative_to(self.root):
            raise InputError(f"refused: {what}: relative path {rest!r} leads outside {self.root}", path=self.label)
        return resolved

    def _absolute(self, rest: str) -> Path:
        raw = rest.replace("\\", "/")
        if re.match(r"^/?[A-Za-z]:/", raw):  # absolute://C:/... or absolute:///C:/...
            return Path(PureWindowsPath(raw.lstrip("/")).as_posix())
        return Path("/" + raw.lstrip("/"))

    def _on_disk(self, path: Path, ref: str, what: str, base: Path | None = None) -> tuple[bytes, str]:
        allowed = base or self.root
        resolved = path.resolve()
        if not resolved.is_relative_to(allowed):
            raise InputError(f"refused: {what}: {ref} is outside the allowed folder {allowed}; copy the file "
                             "there or pass --sources DIR", path=self.label)
        if not resolved.is_file():
            raise InputError(f"{what}: {ref} not found (looked for {resolved}); pass --sources DIR",
                             path=self.label)
        if resolved.stat().st_size > self.limits.member_bytes:
            raise InputError(f"refused: {what}: {ref} is larger than {self.limits.member_bytes:,} bytes",
                             path=self.label)
        return resolved.read_bytes(), str(resolved)


def _find_ci(base: Path, name: str) -> Path | None:
    """``base/name``, each part matched exactly or, failing that, as the one entry differing only in case."""
    here = base
    for part in name.split("/"):
        exact = here / part
        if exact.exists() or exact.is_symlink():
            here = exact
            continue
        if not here.is_dir():
            return None
        hits = [p for p in here.iterdir() if p.name.casefold() == part.casefold()]
        if len(hits) != 1:
            return None
        here = hits[0]
    return here


def _name_from_path(ref: str | None) -> str | None:
    """A document name from a source path (``plainTextPath="board_2017.txt"`` -> ``board_2017``)."""
    if not ref:
        return None
    from urllib.parse import unquote

    path = unquote(ref.strip().split("://", 1)[-1]).replace("\\", "/").rstrip("/")
    stem = PurePosixPath(path).stem.strip() if path else ""
    return stem or None


# --------------------------------------------------------------------------- offsets

@dataclass(frozen=True)
class Counting:
    """How a tool counted offsets: ``units`` codepoints|utf16, ``line_breaks`` asis|one|two.

    ``asis`` counts the characters in the file (CRLF two, LF one); ``one`` counts every line break as one
    character (CRLF too); ``two`` counts every line break as two (as if the file had CRLF).
    """

    units: str = "codepoints"
    line_breaks: str = "asis"

    def describe(self) -> str:
        units = "UTF-16 code units" if self.units == "utf16" else "code points"
        breaks = {"asis": "line breaks as in the file", "one": "each line break (CRLF too) as one",
                  "two": "each line break as two (CRLF)"}[self.line_breaks]
        return f"{units}, {breaks}"


UNITS = ("codepoints", "utf16")
LINE_BREAKS = ("asis", "one", "two")
COUNTINGS = tuple(Counting(u, b) for u in UNITS for b in LINE_BREAKS)


_DELETED = re.compile(r"\ufeff|\r(?=\n)|[^\S\r\n]+(?=\r|\n|\Z)")


def tracked_normalise(raw: str) -> tuple[str, list[int]]:
    """``corpus.normalise(raw)`` and, for every raw index 0..len(raw), the normalised index it maps to."""
    from tematik.corpus import normalise

    text = normalise(raw)
    if text == raw:
        return text, list(range(len(raw) + 1))
    # fast path: normalising only deleted characters (BOMs, the CR of CRLF, trailing blanks, blank lines at the
    # ends) and turned lone CRs into LFs; checked against normalise() and otherwise done character by character
    kept = bytearray(b"\x01") * len(raw)
    for m in _DELETED.finditer(raw):
        kept[m.start():m.end()] = bytes(m.end() - m.start())
    first = _first_kept(raw, kept, range(len(raw)))
    if first is None:
        kept = bytearray(len(raw))
    else:
        last = _first_kept(raw, kept, range(len(raw) - 1, -1, -1)) or first
        kept[:first] = bytes(first)
        kept[last + 1:] = bytes(len(raw) - last - 1)
    if "".join(compress(raw, kept)).replace("\r", "\n") == text:
        return text, [0, *accumulate(kept)]
    return _tracked_slow(raw, text)


def _first_kept(raw: str, kept: bytearray, order: Iterable[int]) -> int | None:
    for i in order:
        if kept[i] and raw[i] not in "\r\n":
            return i
    return None


def _tracked_slow(raw: str, expected: str) -> tuple[str, list[int]]:
    pairs = [(c, i) for i, c in enumerate(raw) if c != "\ufeff"]
    # line endings: CRLF and CR -> LF
    out: list[tuple[str, int]] = []
    k = 0
    while k < len(pairs):
        c, i = pairs[k]
        if c == "\r":
            crlf = k + 1 < len(pairs) and pairs[k + 1][0] == "\n"
            out.append(("\n", pairs[k + 1][1] if crlf else i))  # a CRLF is its LF, as on the fast path
            k += 2 if crlf else 1
            continue
        out.append((c, i))
        k += 1
    pairs = out
    text = "".join(c for c, _ in pairs)
    if not unicodedata.is_normalized("NFC", text):
        pairs = _nfc_pairs(pairs)
    # trailing blanks of every line, then blank lines at both ends
    lines: list[list[tuple[str, int]]] = [[]]
    breaks: list[tuple[str, int]] = []
    for c, i in pairs:
        if c == "\n":
            breaks.append((c, i))
            lines.append([])
        else:
            lines[-1].append((c, i))
    kept: list[tuple[str, int]] = []
    for n, line in enumerate(lines):
        end = len(line)
        while end and line[end - 1][0].isspace():
            end -= 1
        if n:
            kept.append(breaks[n - 1])
        kept.extend(line[:end])
    start, end = 0, len(kept)
    while start < end and kept[start][0] == "\n":
        start += 1
    while end > start and kept[end - 1][0] == "\n":
        end -= 1
    kept = kept[start:end]
    result = "".join(c for c, _ in kept)
    if result != expected:
        raise InputError("cannot map offsets onto this text (unusual Unicode composition)")
    counts = [0] * (len(raw) + 2)
    for _, i in kept:
        counts[i + 1] += 1
    at = [0] * (len(raw) + 1)
    run = 0
    for i in range(len(raw) + 1):
        run += counts[i]
        at[i] = run
    return result, at


def _nfc_pairs(pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """NFC over (char, source index) pairs: compose cluster by cluster, each output char keeping the cluster start."""
    out: list[tuple[str, int]] = []
    cluster = ""
    start = 0

    def flush() -> None:
        if cluster:
            out.extend((c, start) for c in unicodedata.normalize("NFC", cluster))

    for c, i in pairs:
        if cluster and (unicodedata.combining(c) or len(unicodedata.normalize("NFC", cluster[-1] + c)) < 2):
            cluster += c
            continue
        flush()
        cluster, start = c, i
    flush()
    return out


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CR_OF_CRLF = re.compile(r"\r(?=\n)")
_LONE_BREAK = re.compile(r"\r(?!\n)|(?<!\r)\n")


class TextMap:
    """A source's raw text, its normalised form, and offset maps for each way of counting."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text, self._at = tracked_normalise(raw)
        self._cum: dict[Counting, list[int]] = {}
        self.has_crlf = "\r\n" in raw
        self.has_lone_break = bool(_LONE_BREAK.search(raw))
        self.has_astral = bool(_ASTRAL.search(raw))

    def canonical(self, counting: Counting) -> Counting:
        """The simplest counting that gives the same offsets on this text."""
        units = counting.units if self.has_astral else "codepoints"
        breaks = counting.line_breaks
        if breaks == "one" and not self.has_crlf:
            breaks = "asis"
        if breaks == "two" and not self.has_lone_break:
            breaks = "asis"
        return Counting(units, breaks)

    def cumulative(self, counting: Counting) -> list[int]:
        counting = self.canonical(counting)
        if counting not in self._cum:
            weights = bytearray(b"\x01") * len(self.raw)
            if counting.units == "utf16":
                for m in _ASTRAL.finditer(self.raw):
                    weights[m.start()] = 2
            if counting.line_breaks == "one":
                for m in _CR_OF_CRLF.finditer(self.raw):
                    weights[m.start()] = 0
            elif counting.line_breaks == "two":
                for m in _LONE_BREAK.finditer(self.raw):
                    weights[m.start()] += 1
            self._cum[counting] = [0, *accumulate(weights)]
        return self._cum[counting]

    def map(self, offset: int, counting: Counting) -> tuple[int, bool] | None:
        """(normalised offset, aligned?) of a tool offset; None when it lies beyond the text."""
        if self.canonical(counting) == Counting():  # code points as written: the raw index itself
            return (self._at[offset], True) if 0 <= offset <= len(self.raw) else None
        cum = self.cumulative(counting)
        if offset < 0 or offset > cum[-1]:
            return None
        i = bisect_left(cum, offset)
        return self._at[i], cum[i] == offset

    def span(self, start: int, end: int, counting: Counting) -> tuple[int, int, bool] | None:
        a, b = self.map(start, counting), self.map(end, counting)
        if a is None or b is None:
            return None
        return a[0], b[0], a[1] and b[1]


@dataclass(frozen=True)
class CountingReport:
    """How offsets were read, why, and how sure that is.

    ``confidence``: ``sure`` (given, or every way of counting places the selections alike, or the selections rule
    out the others: out of range, splitting a CRLF or a surrogate pair, not matching their names), ``likely``
    (the selections fit several ways; many more selection ends fall on word boundaries under one, or the file's
    origin says how that tool counts) or ``guess`` (nothing to tell them apart). ``alternatives`` are the other
    ways of counting that fit as well and would place the codings elsewhere.
    """

    counting: Counting
    selections: int = 0
    decided_by: str = "no difference on these texts"
    fits: int = 0
    name_hits: int = 0
    named: int = 0
    confidence: str = "sure"
    alternatives: tuple[Counting, ...] = ()

    def describe(self) -> str:
        if not self.selections:
            return f"{self.counting.describe()} (no selections)"
        sure = {"sure": "sure", "likely": "likely", "guess": "a guess"}.get(self.confidence, self.confidence)
        return f"{self.counting.describe()} ({sure}: {self.decided_by}; {self.fits} of {self.selections} " \
            "selections checked fit" + (f", {self.name_hits}/{self.named} match their names)" if self.named else ")")

    def warning(self) -> str | None:
        """A warning when the choice was not forced by the selections and the other choices disagree."""
        if self.confidence == "sure" or not self.alternatives:
            return None
        others = "; ".join(a.describe() for a in self.alternatives)
        return (f"offsets: the selections fit more than one way of counting, and they place codings differently: "
                f"chose {self.counting.describe()} ({self.decided_by}) over {others}. Check a few codings; if they "
                "are shifted, import again with --units and --line-breaks")


#: How tools count offsets in what they export, by their ``origin`` attribute: (pattern, counting, why). Used only
#: when the selections cannot tell the ways of counting apart. See the README for the sources of each line.
ORIGIN_CONVENTIONS: tuple[tuple[re.Pattern[str], Counting, str], ...] = (
    (re.compile(r"nvivo", re.I), Counting("utf16", "asis"),
     "NVivo counts UTF-16 code units and its line breaks as written (CRLF as two on Windows)"),
    (re.compile(r"atlas\.?ti", re.I), Counting("utf16", "asis"),
     "ATLAS.ti counts UTF-16 code units and its line breaks as written"),
    (re.compile(r"maxqda", re.I), Counting("codepoints", "one"),
     "MAXQDA counts each line break as one character"),
    (re.compile(r"qualcoder", re.I), Counting("codepoints", "one"),
     "QualCoder counts code points, each line break as one"),
    (re.compile(r"^\s*(?:tematik|qc)\b", re.I), Counting("codepoints", "asis"),
     "it counts code points in the text it wrote"),
)


def origin_counting(origin: str | None) -> tuple[Counting, str] | None:
    """How the tool named in a project's ``origin`` counts offsets, if known: (counting, why)."""
    for pattern, counting, why in ORIGIN_CONVENTIONS:
        if origin and pattern.search(origin):
            return counting, f"the file's origin {origin.strip()!r}: {why}"
    return None


def _collapse(s: str) -> str:
    return " ".join(s.split()).casefold()


def _name_matches(name: str | None, text: str) -> bool:
    if not name:
        return False
    n = _collapse(name).rstrip(".…").strip()
    t = _collapse(text)
    if not n or not t:
        return False
    return t == n or (len(n) >= 4 and t.startswith(n)) or (len(t) >= 4 and n.startswith(t))


def _at_boundary(text: str, pos: int) -> bool:
    return pos <= 0 or pos >= len(text) or not (text[pos - 1].isalnum() and text[pos].isalnum())


def detect_counting(samples: Sequence[tuple[TextMap, Sequence[tuple[int, int, str | None]]]],
                    *, units: str = "auto", line_breaks: str = "auto", max_checked: int = 5000,
                    prior: tuple[Counting, str] | None = None) -> CountingReport:
    """Pick the counting under which the selections ``(start, end, name)`` fit their texts best.

    Hard evidence first: selections in range, not splitting a CRLF or a surrogate pair, matching the text tools
    write in a selection's name. Ways of counting that give the same places are one choice, not a doubt. When
    several choices remain, many more selection ends on word boundaries decide, else ``prior`` (what the file's
    origin says about the tool), else the simplest counting, and the report says it was not sure.

    A text without CRLF never needs "every line break as two": a tool that counts a break as two does so because
    its text has CRLF, and then writes it. That counting is tried only when some text has a CRLF (or when asked).
    """
    candidates = [c for c in COUNTINGS if units in ("auto", c.units) and line_breaks in ("auto", c.line_breaks)]
    total = sum(len(s) for _, s in samples)
    if len(candidates) == 1 or not total:
        return CountingReport(candidates[0], total, "given" if len(candidates) == 1 else "no selections")
    step = -(-total // max_checked)  # an evenly spread sample is evidence enough
    checked = [(tm, [sel for k, sel in enumerate(sels) if k % step == 0]) for tm, sels in samples]
    if line_breaks != "auto" or any(tm.has_crlf for tm, _ in samples):
        return _decide(checked, candidates, prior)[0]
    # no CRLF anywhere: "each line break as two" is not a way these texts were counted, unless nothing else fits
    got, hard = _decide(checked, [c for c in candidates if c.line_breaks == "asis"], prior)
    if hard[:3] == (0, 0, -hard[3]):
        return got
    two, hard2 = _decide(checked, [c for c in candidates if c.line_breaks == "two"], None)
    if hard2[:3] < hard[:3]:
        return replace(two, confidence="likely", alternatives=(got.counting,), decided_by=(
            "only counting each line break as two fits the selections, although the text has no CRLF"))
    return got


def _decide(checked: Sequence[tuple[TextMap, Sequence[tuple[int, int, str | None]]]], candidates: Sequence[Counting],
            prior: tuple[Counting, str] | None) -> tuple[CountingReport, tuple[int, int, int, int]]:
    """detect_counting among ``candidates``: the report and the winner's hard evidence (out of range, misaligned,
    -name hits, named)."""
    total = sum(len(s) for _, s in checked)

    def evaluate(counting: Counting) -> tuple[tuple, tuple[int, int, int, int], int]:
        bad = misaligned = hits = named = bounds = 0
        places = []
        for tm, sels in checked:
            for start, end, name in sels:
                got = tm.span(start, end, counting)
                if got is None or got[0] >= got[1]:
                    bad += 1
                    places.append(None)
                    continue
                a, b, aligned = got
                places.append((a, b))
                misaligned += not aligned
                if name:
                    named += 1
                    hits += _name_matches(name, tm.text[a:b])
                bounds += _at_boundary(tm.text, a) + _at_boundary(tm.text, b)
        return tuple(places), (bad, misaligned, -hits, named), bounds

    # ways of counting that place every selection alike are one choice
    choices: dict[tuple, dict[str, Any]] = {}
    for rank, counting in enumerate(candidates):
        places, hard, bounds = evaluate(counting)
        if places not in choices:
            choices[places] = {"counting": counting, "hard": hard, "bounds": bounds, "rank": rank, "all": []}
        choices[places]["all"].append(counting)
    options = sorted(choices.values(), key=lambda c: (c["hard"][:3], -c["bounds"], c["rank"]))
    prior_choice = None  # the choice holding the counting the file's origin suggests
    if prior is not None:
        prior_choice = next((o for o in options if prior[0] in o["all"]), None) or choices.get(evaluate(prior[0])[0])

    def report(best: dict[str, Any], why: str, confidence: str, rivals: Sequence[dict[str, Any]] = ()
               ) -> tuple[CountingReport, tuple[int, int, int, int]]:
        bad, _mis, neg_hits, named = best["hard"]
        return CountingReport(best["counting"], total, why, total - bad, -neg_hits, named, confidence,
                              tuple(r["counting"] for r in rivals)), best["hard"]

    if len(options) == 1:
        only = options[0]
        if prior is not None and prior[0] in only["all"]:
            only = {**only, "counting": prior[0]}
        return report(only, "every way of counting places these selections alike", "sure")
    best, second = options[0], options[1]
    if best["hard"][:3] != second["hard"][:3]:
        why = ("selections in range" if best["hard"][0] != second["hard"][0] else
               "no split line breaks or surrogate pairs" if best["hard"][1] != second["hard"][1] else
               "selection names match the text")
        return report(best, why, "sure")
    tied = [o for o in options if o["hard"][:3] == best["hard"][:3]]
    ends = 2 * (total - best["hard"][0])
    ranked = sorted(tied, key=lambda o: (-o["bounds"], o["rank"]))
    lead = ranked[0]["bounds"] - ranked[1]["bounds"]
    if lead >= max(4, 0.3 * ends):
        winner = ranked[0]
        why = f"word boundaries: {winner['bounds']} of {ends} selection ends fall on one under it"
        if prior is not None and prior_choice is not None and prior_choice is not winner:
            return report(winner, f"{why}, although {prior[1]}", "likely", [prior_choice])
        return report(winner, why, "likely")
    if prior is not None and prior_choice is not None and prior_choice in tied:
        return report({**prior_choice, "counting": prior[0] if prior[0] in prior_choice["all"] else
                       prior_choice["counting"]}, prior[1], "likely", [o for o in tied if o is not prior_choice])
    winner = ranked[0]
    why = "more selection ends on word boundaries" if lead else "nothing told them apart; the simplest counting"
    return report(winner, why, "guess", [o for o in tied if o is not winner])


# --------------------------------------------------------------------------- the parsed project

@dataclass(frozen=True)
class RefiCode:
    guid: str
    name: str
    parent: str | None = None
    colour: str | None = None
    description: str | None = None
    codable: bool = True
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiCoding:
    guid: str
    code: str
    user: str | None = None
    created: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiSelection:
    guid: str
    start: int
    end: int
    name: str | None = None
    user: str | None = None
    created: str | None = None
    description: str | None = None
    codings: tuple[RefiCoding, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiSource:
    guid: str
    name: str | None
    plain_path: str | None = None
    rich_path: str | None = None
    content: str | None = None
    description: str | None = None
    selections: tuple[RefiSelection, ...] = ()
    codings: tuple[RefiCoding, ...] = ()  # codes applied to the whole source
    notes: tuple[str, ...] = ()
    values: tuple[tuple[str, str, str], ...] = ()  # (variable guid, value, REFI type)
    user: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class RefiVariable:
    guid: str
    name: str
    type: str


@dataclass(frozen=True)
class RefiCase:
    guid: str
    name: str | None
    description: str | None = None
    values: tuple[tuple[str, str, str], ...] = ()
    sources: tuple[str, ...] = ()
    selections: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiNote:
    guid: str
    name: str | None
    content: str | None = None
    plain_path: str | None = None
    user: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class RefiLink:
    guid: str
    origin: str | None
    target: str | None


@dataclass(frozen=True)
class RefiProject:
    name: str
    origin: str | None = None
    base_path: str | None = None
    creating_user: str | None = None
    created: str | None = None
    users: Mapping[str, str] = field(default_factory=dict)  # guid -> display name
    codes: tuple[RefiCode, ...] = ()
    variables: tuple[RefiVariable, ...] = ()
    cases: tuple[RefiCase, ...] = ()
    sources: tuple[RefiSource, ...] = ()
    notes: tuple[RefiNote, ...] = ()
    links: tuple[RefiLink, ...] = ()
    description: str | None = None
    project_notes: tuple[str, ...] = ()
    unsupported: Mapping[str, int] = field(default_factory=dict)  # element -> how many were not carried


class _Parser:
    def __init__(self, label: str, limits: Limits, *, replace_bad_guids: bool = False) -> None:
        self.label = label
        self.limits = limits
        self.replaced: list[str] | None = [] if replace_bad_guids else None  # GUIDs that were not UUIDs

    def need(self, el: ET.Element, attr: str, what: str) -> str:
        value = el.get(attr)
        if value is None or not value.strip():
            raise InputError(f"{what} without the required {attr!r} attribute", path=self.label, field=what)
        return value

    def guid(self, el: ET.Element, what: str, attr: str = "guid") -> str:
        value = self.need(el, attr, what)
        if not GUID_RE.match(value.strip()):
            if self.replaced is not None:  # a codebook: nothing else refers to its GUIDs, so make new ones
                self.replaced.append(value.strip())
                return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tematik:qdc-guid:{value.strip()}"))
            raise InputError(f"{what} has an invalid GUID {value[:60]!r}", path=self.label, field=what)
        return _gid(value) or ""

    def ref(self, el: ET.Element) -> str | None:
        return _gid(el.get("targetGUID"))

    def refs(self, el: ET.Element, name: str) -> tuple[str, ...]:
        return tuple(r for r in (self.ref(k) for k in _kids(el, name)) if r)

    def integer(self, el: ET.Element, attr: str, what: str) -> int:
        value = self.need(el, attr, what)
        try:
            return int(value.strip())
        except ValueError:
            raise InputError(f"{what}: {attr} {value[:30]!r} is not an integer", path=self.label,
                             field=what) from None

    def codes(self, parent: ET.Element, parent_guid: str | None, depth: int, out: list[RefiCode]) -> None:
        if depth > self.limits.depth:
            raise InputError(f"refused: codes nested deeper than {self.limits.depth} levels", path=self.label)
        for el in _kids(parent, "Code"):
            guid = self.guid(el, "Code")
            colour = el.get("color")
            if colour and not RGB_RE.match(colour.strip()):
                colour = None
            elif colour:
                colour = colour.strip()
                if len(colour) == 4:
                    colour = "#" + "".join(ch * 2 for ch in colour[1:])
                colour = colour.lower()
            out.append(RefiCode(guid=guid, name=self.need(el, "name", "Code").strip(), parent=parent_guid,
                                colour=colour, description=_kid_text(el, "Description"),
                                codable=(el.get("isCodable", "true").strip().lower() in ("true", "1")),
                                notes=self.refs(el, "NoteRef")))
            self.codes(el, guid, depth + 1, out)

    def coding(self, el: ET.Element) -> RefiCoding | None:
        ref = _kid(el, "CodeRef")
        code = self.ref(ref) if ref is not None else None
        if not code:
            return None
        return RefiCoding(guid=self.guid(el, "Coding"), code=code, user=_gid(el.get("creatingUser")),
                          created=el.get("creationDateTime"), notes=self.refs(el, "NoteRef"))

    def values(self, el: ET.Element) -> tuple[tuple[str, str, str], ...]:
        out = []
        for vv in _kids(el, "VariableValue"):
            ref = _kid(vv, "VariableRef")
            var = self.ref(ref) if ref is not None else None
            if not var:
                continue
            for kind, tag in VALUE_ELEMENTS.items():
                v = _kid(vv, tag)
                if v is not None and v.text is not None and v.text.strip():
                    out.append((var, v.text.strip(), kind))
                    break
        return tuple(out)

    def text_source(self, el: ET.Element) -> RefiSource:
        selections = []
        for sel in _kids(el, "PlainTextSelection"):
            start = self.integer(sel, "startPosition", "PlainTextSelection")
            end = self.integer(sel, "endPosition", "PlainTextSelection")
            if end < start:
                start, end = end, start
            selections.append(RefiSelection(
                guid=self.guid(sel, "PlainTextSelection"), start=start, end=end, name=sel.get("name"),
                user=_gid(sel.get("creatingUser")), created=sel.get("creationDateTime"),
                description=_kid_text(sel, "Description"),
                codings=tuple(c for c in (self.coding(k) for k in _kids(sel, "Coding")) if c),
                notes=self.refs(sel, "NoteRef")))
        return RefiSource(
            guid=self.guid(el, "TextSource"), name=el.get("name"), plain_path=el.get("plainTextPath"),
            rich_path=el.get("richTextPath"), content=_kid_text(el, "PlainTextContent"),
            description=_kid_text(el, "Description"), selections=tuple(selections),
            codings=tuple(c for c in (self.coding(k) for k in _kids(el, "Coding")) if c),
            notes=self.refs(el, "NoteRef"), values=self.values(el), user=_gid(el.get("creatingUser")),
            created=el.get("creationDateTime"))

    def project(self, root: ET.Element) -> RefiProject:
        if _local(root.tag) != "Project":
            raise InputError(f"the root element is <{_local(root.tag)}>, not <Project>: not a REFI-QDA project",
                             path=self.label)
        unsupported: Counter[str] = Counter()
        users = {}
        for group in _kids(root, "Users"):
            for u in _kids(group, "User"):
                g = self.guid(u, "User")
                users[g] = (u.get("name") or u.get("id") or "").strip() or g
        codes: list[RefiCode] = []
        for book in _kids(root, "CodeBook"):
            for group in _kids(book, "Codes"):
                self.codes(group, None, 0, codes)
        variables = []
        for group in _kids(root, "Variables"):
            for v in _kids(group, "Variable"):
                variables.append(RefiVariable(self.guid(v, "Variable"), self.need(v, "name", "Variable").strip(),
                                              (v.get("typeOfVariable") or "Text").strip()))
        cases = []
        for group in _kids(root, "Cases"):
            for c in _kids(group, "Case"):
                cases.append(RefiCase(guid=self.guid(c, "Case"), name=c.get("name"),
                                      description=_kid_text(c, "Description"), values=self.values(c),
                                      sources=self.refs(c, "SourceRef"), selections=self.refs(c, "SelectionRef")))
                if _kids(c, "CodeRef"):
                    unsupported["Case/CodeRef"] += len(_kids(c, "CodeRef"))
        sources = []
        for group in _kids(root, "Sources"):
            for s in group:
                kind = _local(s.tag)
                if kind == "TextSource":
                    sources.append(self.text_source(s))
                elif kind:
                    unsupported[kind] += 1
        notes = []
        for group in _kids(root, "Notes"):
            for n in _kids(group, "Note"):
                notes.append(RefiNote(guid=self.guid(n, "Note"), name=n.get("name"),
                                      content=_kid_text(n, "PlainTextContent"), plain_path=n.get("plainTextPath"),
                                      user=_gid(n.get("creatingUser")), created=n.get("creationDateTime")))
        links = []
        for group in _kids(root, "Links"):
            for ln in _kids(group, "Link"):
                links.append(RefiLink(self.guid(ln, "Link"), _gid(ln.get("originGUID")), _gid(ln.get("targetGUID"))))
        for name in ("Sets", "Graphs"):
            for group in _kids(root, name):
                unsupported[name[:-1]] += len(list(group))
        return RefiProject(
            name=(root.get("name") or "").strip() or "REFI-QDA project", origin=root.get("origin"),
            base_path=root.get("basePath"), creating_user=_gid(root.get("creatingUserGUID")),
            created=root.get("creationDateTime"), users=users, codes=tuple(codes), variables=tuple(variables),
            cases=tuple(cases), sources=tuple(sources), notes=tuple(notes), links=tuple(links),
            description=_kid_text(root, "Description"), project_notes=self.refs(root, "NoteRef"),
            unsupported=dict(unsupported))


def parse_project(data: bytes, label: str = PROJECT_MEMBER, limits: Limits = LIMITS) -> RefiProject:
    """A ``project.qde`` (bytes) -> RefiProject. Raises InputError on unsafe or invalid XML."""
    return _Parser(label, limits).project(parse_xml(data, label))


# --------------------------------------------------------------------------- loading a .qdpx

@dataclass(frozen=True)
class LoadedProject:
    """A parsed project with the raw text of each text source and note, read from the archive or disk."""

    project: RefiProject
    texts: Mapping[str, tuple[str, str, bool]]  # source guid -> (raw text, label, from rich text?)
    notes: Mapping[str, str]  # note guid -> text
    sidecar: Mapping[str, Any] | None
    label: str
    warnings: tuple[str, ...] = ()


def _decode_source(data: bytes, label: str, suffix: str) -> tuple[str, list[str]]:
    from tematik.corpus import decode, read_docx

    if suffix == ".docx":
        return read_docx(data, label), []
    if suffix in (".pdf", ".rtf", ".doc", ".odt", ".html", ".htm"):
        raise InputError(f"cannot read {suffix} sources; only plain text (.txt) and .docx", path=label)
    if not data:
        return "", []
    return decode(data, label)


def _project_file_in(folder: Path) -> Path:
    """The ``.qde`` of an unzipped project folder: ``project.qde``, else the only ``*.qde`` in it."""
    qde = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".qde" and p.is_file())
    named = [p for p in qde if p.name.lower() == PROJECT_MEMBER]
    if named:
        return named[0]
    if len(qde) == 1:
        return qde[0]
    if not qde:
        raise InputError("is a folder without a project.qde (expected a .qdpx file, a .qde, or the folder of an "
                         "unzipped project)", path=str(folder))
    raise InputError(f"holds {len(qde)} .qde files ({', '.join(p.name for p in qde[:4])}); name the one to import",
                     path=str(folder))


def load_qdpx(path: Path, *, sources: Path | None = None, limits: Limits = LIMITS) -> LoadedProject:
    """Open a ``.qdpx``, a bare ``.qde`` (its ``internal://`` sources in a ``sources/`` folder beside it, as MAXQDA
    shares projects unzipped) or the folder holding one; check it and read every text it needs. Nothing is
    written."""
    label = str(path)
    if not path.exists():
        raise InputError("no such file", path=label)
    if path.is_dir():
        path = _project_file_in(path)
        label = str(path)
    archive: Archive | None = None
    if zipfile.is_zipfile(path):
        archive = Archive(path, limits)
    else:
        head = path.read_bytes()[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"<"):
            raise InputError("neither a .qdpx (ZIP) archive nor project XML", path=label)
        if path.stat().st_size > limits.member_bytes:
            raise InputError(f"refused: larger than {limits.member_bytes:,} bytes", path=label)
    try:
        if archive is not None:
            member = archive.project_member()
            project = parse_project(archive.read(member), f"{label}:{member}", limits)
        else:
            project = parse_project(path.read_bytes(), label, limits)
        resolver = SourceResolver(archive, sources or path.parent, project.base_path, label, limits,
                                  folder=None if archive is not None else path.parent)
        warnings: list[str] = []
        texts: dict[str, tuple[str, str, bool]] = {}
        for s in project.sources:
            what = f"source {s.name or s.guid!r}"
            if s.plain_path:
                data, where = resolver.read(s.plain_path, what)
                raw, more = _decode_source(data, where, ".txt")
                texts[s.guid] = (raw, where, False)
            elif s.content is not None:
                texts[s.guid] = (s.content, f"{label}: {what}", False)
                more = []
            elif s.rich_path:
                data, where = resolver.read(s.rich_path, what)
                raw, more = _decode_source(data, where, PurePosixPath(s.rich_path.replace("\\", "/")).suffix.lower())
                texts[s.guid] = (raw, where, True)
                warnings.append(f"{what}: no plain text; read its rich text {s.rich_path} (offsets may not match)")
            else:
                raise InputError(f"{what} has neither plainTextPath nor PlainTextContent", path=label)
            warnings.extend(more)
        notes: dict[str, str] = {}
        for n in project.notes:
            if n.content is not None:
                notes[n.guid] = n.content
            elif n.plain_path:
                data, where = resolver.read(n.plain_path, f"note {n.name or n.guid!r}")
                notes[n.guid] = _decode_source(data, where, ".txt")[0]
            else:
                notes[n.guid] = ""
        sidecar = None
        if archive is not None and archive.has(SIDECAR):
            sidecar = read_sidecar(archive.read(SIDECAR), f"{label}:{SIDECAR}")
        return LoadedProject(project, texts, notes, sidecar, label, tuple(warnings))
    finally:
        if archive is not None:
            archive.close()


def read_sidecar(data: bytes, label: str) -> dict[str, Any] | None:
    """tematik's own additions to an export; anything malformed is refused, foreign formats ignored."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid JSON ({exc})", path=label) from None
    if not isinstance(doc, dict) or doc.get("format") != SIDECAR_FORMAT:
        return None
    for key in ("codes", "codings", "documents"):
        if not isinstance(doc.get(key, {}), dict):
            raise InputError(f"{key!r} must be an object", path=label, field=key)
    if doc.get("codebook") is not None and not isinstance(doc["codebook"], dict):
        raise InputError("'codebook' must be an object", path=label, field="codebook")
    return doc


# --------------------------------------------------------------------------- building an import

@dataclass(frozen=True)
class ProjectContext:
    """What the importing project already holds that an import must match against."""

    codes: tuple[Mapping[str, Any], ...] = ()  # id, name, parent, data


@dataclass(frozen=True)
class ImportOptions:
    source_type: str | None = None
    language: str | None = None
    units: str = "auto"
    line_breaks: str = "auto"


@dataclass(frozen=True)
class MemoRow:
    target_type: str
    target_id: str | int | None  # for ``coding``: the index of the coding in ``ImportBundle.codings``
    text: str
    author: str
    created: str | None = None
    start: int | None = None  # a memo on a passage of a document: its offsets in the normalised text
    end: int | None = None


@dataclass
class ImportBundle:
    """Everything an import will write, checked and mapped onto tematik's model."""

    name: str
    origin: str | None
    documents: list[Document] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    codes: list[dict[str, Any]] = field(default_factory=list)  # codes new to the project
    code_ids: dict[str, str] = field(default_factory=dict)  # every REFI code guid -> tematik code id
    codings: list[Coding] = field(default_factory=list)
    memos: list[MemoRow] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    user_guids: dict[str, str] = field(default_factory=dict)  # every REFI user's name -> GUID, coded or not
    counting: CountingReport = field(default_factory=lambda: CountingReport(Counting()))
    codebook: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    unsupported: dict[str, int] = field(default_factory=dict)
    notes_used: set[str] = field(default_factory=set, repr=False)


def _typed_value(value: str, kind: str) -> str:
    if kind == "Boolean":
        return "true" if value.strip().lower() in ("true", "1") else "false"
    if kind == "DateTime":
        return _iso(value) or value
    return value


def _sidecar_turns(raw: Any, text: str, label: str) -> tuple[Turn, ...] | None:
    if not isinstance(raw, list):
        return None
    turns = []
    for t in raw:
        if not (isinstance(t, list) and len(t) == 6 and all(isinstance(x, int) for x in t[:2])):
            raise InputError("malformed turn in tematik.json", path=label)
        start, end, speaker, participant, interviewer, stamp = t
        if not 0 <= start <= end <= len(text):
            raise InputError(f"turn {start}:{end} outside its document (0:{len(text)})", path=label)
        turns.append(Turn(start, end, speaker if isinstance(speaker, str) else None,
                          participant if isinstance(participant, str) else None, bool(interviewer),
                          stamp if isinstance(stamp, str) else None))
    return tuple(turns)


def build_import(loaded: LoadedProject, context: ProjectContext = ProjectContext(),
                 options: ImportOptions = ImportOptions()) -> ImportBundle:
    """Map a loaded REFI project onto tematik documents, participants, codes, codings and memos (pure)."""
    from tematik.corpus import FileMeta, make_document

    proj, label = loaded.project, loaded.label
    side = loaded.sidecar or {}
    side_codes = side.get("codes", {}) or {}
    side_codings = side.get("codings", {}) or {}
    side_docs = side.get("documents", {}) or {}
    bundle = ImportBundle(name=proj.name, origin=proj.origin, warnings=list(loaded.warnings),
                          unsupported=dict(proj.unsupported))
    users = dict(proj.users)

    def user(guid: str | None, *fallbacks: str | None) -> str:
        for g in (guid, *fallbacks):
            if g:
                return users.get(g, g)
        return "unknown"

    # ---- codes: matched by kept GUID, by tematik id, by name under the same parent; else new
    by_guid = {str((c.get("data") or {}).get("refi_guid", "")).lower(): c["id"] for c in context.codes
               if (c.get("data") or {}).get("refi_guid")}
    ids = {c["id"] for c in context.codes}
    by_name = {(str(c["name"]).casefold(), c.get("parent")): c["id"] for c in context.codes}
    taken = set(ids)
    seen_guids: set[str] = set()
    for code in proj.codes:
        if code.guid in seen_guids:
            raise InputError(f"two codes share the GUID {code.guid}", path=label, field="Code")
        seen_guids.add(code.guid)
        parent = bundle.code_ids.get(code.parent) if code.parent else None
        extra = side_codes.get(code.guid) if isinstance(side_codes.get(code.guid), dict) else {}
        wanted = extra.get("id") if isinstance(extra.get("id"), str) and SLUG_RE.match(extra.get("id", "")) else None
        if code.guid in by_guid:
            bundle.code_ids[code.guid] = by_guid[code.guid]
        elif wanted and wanted in ids:
            bundle.code_ids[code.guid] = wanted
        elif (code.name.casefold(), parent) in by_name:
            bundle.code_ids[code.guid] = by_name[(code.name.casefold(), parent)]
        else:
            cid = wanted if wanted and wanted not in taken else unique_slug(code.name, taken)
            taken.add(cid)
            data = dict(extra.get("data") or {}) if isinstance(extra.get("data"), dict) else {}
            data["refi_guid"] = code.guid
            if not code.codable:
                data["refi_codable"] = False
            bundle.codes.append({"id": cid, "name": code.name, "parent": parent, "colour": code.colour,
                                 "definition": (code.description or "").strip() or None, "data": data})
            bundle.code_ids[code.guid] = cid
            by_name[(code.name.casefold(), parent)] = cid
    if not context.codes and bundle.codes:
        bundle.codebook = _sidecar_codebook(side.get("codebook"), {c["id"] for c in bundle.codes},
                                            f"{label}:{SIDECAR}", bundle.warnings)
        if bundle.codebook is None:
            source = build_codebook_xml(bundle.codes, origin=proj.origin or "REFI-QDA import").decode("utf-8")
            digest = source_hash(source)
            bundle.codebook = {"name": proj.name, "version": "qdc-" + digest[:12], "source": source,
                               "digest": digest, "fmt": "qdc"}

    # ---- cases -> participants
    variables = {v.guid: v for v in proj.variables}

    def attrs(values: Iterable[tuple[str, str, str]]) -> dict[str, str]:
        out = {}
        for var, value, kind in values:
            v = variables.get(var)
            if v is not None:
                out[v.name] = _typed_value(value, kind)
        return out

    case_of_source: dict[str, str] = {}
    case_ids: dict[str, str] = {}
    used_ids: set[str] = set()
    for case in proj.cases:
        pid = (case.name or "").strip() or case.guid
        if pid in used_ids:
            pid = f"{pid} ({case.guid[:8]})"
        used_ids.add(pid)
        case_ids[case.guid] = pid
        values = attrs(case.values)
        role = values.pop("role", None) or None
        bundle.participants.append(Participant(pid, role, values))
        for s in case.sources:
            if s in case_of_source and case_of_source[s] != pid:
                bundle.warnings.append(f"source {s} belongs to cases {case_of_source[s]!r} and {pid!r}; "
                                       f"its participant is {case_of_source[s]!r}")
                continue
            case_of_source[s] = pid
        if case.selections:
            bundle.unsupported["Case/SelectionRef"] = bundle.unsupported.get("Case/SelectionRef", 0) + len(
                case.selections)

    # ---- sources -> documents, and the offset counting
    maps: dict[str, TextMap] = {}
    for s in proj.sources:
        raw, where, _rich = loaded.texts[s.guid]
        try:
            maps[s.guid] = TextMap(raw)
        except InputError as exc:
            raise InputError(exc.message, path=where) from None
    samples = [(maps[s.guid], [(sel.start, sel.end, sel.name) for sel in s.selections]) for s in proj.sources
               if s.selections]
    prior = _sidecar_counting(side) or origin_counting(proj.origin)
    bundle.counting = detect_counting(samples, units=options.units, line_breaks=options.line_breaks, prior=prior)
    if bundle.counting.warning():
        bundle.warnings.append(bundle.counting.warning() or "")
    counting = bundle.counting.counting

    names: set[str] = set()
    doc_names: dict[str, str] = {}
    for s in proj.sources:
        tm = maps[s.guid]
        raw, where, _ = loaded.texts[s.guid]
        extra = side_docs.get(s.guid) if isinstance(side_docs.get(s.guid), dict) else {}
        name = (s.name or "").strip() or _name_from_path(s.plain_path or s.rich_path) or s.guid
        if name in names:
            name = f"{name} ({s.guid[:8]})"
        names.add(name)
        doc_names[s.guid] = name
        values = attrs(s.values)
        fields = {k: values.pop(k) for k in DOCUMENT_FIELDS if k in values}
        source_type = fields.get("source_type") if not source_type_problem(fields.get("source_type") or "") \
            else None
        language = fields.get("language") if fields.get("language") in LANGUAGES else None
        values = {k: v for k, v in values.items() if k != "refi_guid"}
        values["refi_guid"] = s.guid
        meta = FileMeta(participant=case_of_source.get(s.guid), source_type=options.source_type or source_type,
                        language=options.language or language, date=fields.get("date"), attributes=values)
        if not tm.text:
            bundle.warnings.append(f"source {name!r} has no text")
        doc, more = make_document(name, tm.text, meta, path=where)
        bundle.warnings.extend(more)
        turns = _sidecar_turns(extra.get("turns"), tm.text, label) if extra else None
        if turns is not None:
            doc = replace(doc, turns=turns)
        bundle.documents.append(doc)

        def add(coding: RefiCoding, start: int, end: int, fallback_user: str | None, created: str | None,
                name: str = name, s: RefiSource = s) -> int | None:
            cid = bundle.code_ids.get(coding.code)
            if cid is None:
                bundle.warnings.append(f"{name}: a coding refers to an unknown code {coding.code}; skipped")
                return None
            info = side_codings.get(coding.guid) if isinstance(side_codings.get(coding.guid), dict) else {}
            status = info.get("status") if info.get("status") in CODING_STATUSES else "manual"
            polarity = info.get("polarity") if info.get("polarity") in ("positive", "negative") else "positive"
            rule = info.get("rule") if isinstance(info.get("rule"), str) else None
            bundle.codings.append(Coding(document=name, code=cid, start=start, end=end, status=status,
                                         coder=user(coding.user, fallback_user, s.user, proj.creating_user),
                                         rule=rule, polarity=polarity,
                                         created=_iso(coding.created) or _iso(created)))
            index = len(bundle.codings) - 1
            for n in coding.notes:
                _note_memo(bundle, loaded, user, n, "coding", index)
            return index

        for sel in s.selections:
            got = tm.span(sel.start, sel.end, counting)
            if got is None or got[0] >= got[1]:
                bundle.warnings.append(f"{name}: selection {sel.start}:{sel.end} lies outside the text or only "
                                       f"on blanks ({len(tm.text)} characters); skipped")
                continue
            a, b, _aligned = got
            made = [i for i in (add(c, a, b, sel.user, sel.created) for c in sel.codings) if i is not None]
            comments = [(n, None) for n in sel.notes] + ([(None, sel.description)] if (
                sel.description or "").strip() else [])
            for note_guid, text in comments:
                if made:
                    for i in made:
                        if note_guid:
                            _note_memo(bundle, loaded, user, note_guid, "coding", i)
                        else:
                            bundle.memos.append(MemoRow("coding", i, text.strip(), user(sel.user)))
                elif note_guid:  # an annotation without a code: a memo on that passage of the document
                    _note_memo(bundle, loaded, user, note_guid, "document", name, span=(a, b),
                               fallback_user=sel.user, fallback_created=sel.created)
                else:
                    bundle.memos.append(MemoRow("document", name, text.strip(), user(sel.user), _iso(sel.created),
                                                a, b))
        for c in s.codings:
            if tm.text:
                add(c, 0, len(tm.text), s.user, s.created)
        for n in s.notes:
            _note_memo(bundle, loaded, user, n, "document", name)
        if (s.description or "").strip():
            bundle.memos.append(MemoRow("document", name, s.description.strip(), user(s.user), _iso(s.created)))

    # ---- notes on codes, cases (via links), the project; notes referenced nowhere go to the project
    for code in proj.codes:
        for n in code.notes:
            _note_memo(bundle, loaded, user, n, "code", bundle.code_ids[code.guid])
    for case in proj.cases:
        if (case.description or "").strip():
            bundle.memos.append(MemoRow("participant", case_ids[case.guid], case.description.strip(),
                                        user(proj.creating_user)))
    notes = {n.guid for n in proj.notes}
    for ln in proj.links:
        note, other = (ln.origin, ln.target) if ln.origin in notes else (ln.target, ln.origin)
        if note in notes and other in case_ids:
            _note_memo(bundle, loaded, user, note, "participant", case_ids[other])
        else:
            bundle.unsupported["Link"] = bundle.unsupported.get("Link", 0) + 1
    for n in proj.project_notes:
        _note_memo(bundle, loaded, user, n, "project", None)
    if (proj.description or "").strip():
        bundle.memos.append(MemoRow("project", None, proj.description.strip(), user(proj.creating_user)))
    for n in proj.notes:
        if n.guid not in bundle.notes_used:
            _note_memo(bundle, loaded, user, n.guid, "project", None)

    bundle.users = sorted(set(users.values()) | {c.coder for c in bundle.codings})
    bundle.user_guids = {name: guid for guid, name in sorted(proj.users.items())}
    return bundle


def _sidecar_counting(side: Mapping[str, Any]) -> tuple[Counting, str] | None:
    """How a tematik export counted its offsets, as its ``tematik.json`` records (checked like any input)."""
    got = side.get("offsets")
    if isinstance(got, dict) and got.get("units") in UNITS and got.get("line_breaks") in LINE_BREAKS:
        return Counting(got["units"], got["line_breaks"]), "tematik.json records how this export counted"
    return None


def _sidecar_codebook(cb: Any, code_ids: set[str], label: str, warnings: list[str]) -> dict[str, Any] | None:
    """The YAML codebook a tematik export carried, validated again here (never trusted): it becomes the project's
    codebook, so auto-coding works after a round trip. None (with a warning) when it does not validate."""
    if not isinstance(cb, dict) or cb.get("format") != "yaml" or not isinstance(cb.get("source"), str):
        return None
    from tematik.codebook import codebook_hash, parse_codebook

    if len(cb["source"]) > 5_000_000:
        warnings.append(f"{label}: the codebook it carries is too large; kept the codes without their rules")
        return None
    parsed, problems = parse_codebook(cb["source"], path=label)
    if parsed is None or not set(parsed.ids) <= code_ids:
        why = str(problems[0]) if problems else "its codes differ from the project's"
        warnings.append(f"{label}: the codebook it carries does not validate ({why}); kept the codes without "
                        "their rules")
        return None
    return {"name": parsed.name, "version": parsed.version, "source": cb["source"], "digest": codebook_hash(parsed),
            "fmt": "yaml"}


def quoted_passage_memo(text: str, start: int, end: int, body: str) -> str:
    """How imports before passage memos wrote a note on a selection without a code: a memo on the whole document
    whose text quotes the passage. A re-import recognises such a memo as the passage memo it now makes."""
    quote = text[start:end]
    quote = quote if len(quote) <= 200 else quote[:197] + "..."
    return f"[{start}:{end}] \"{quote}\"\n{body}"


def _note_memo(bundle: ImportBundle, loaded: LoadedProject, user: Callable[..., str], guid: str,
               target_type: str, target_id: str | int | None, *, span: tuple[int, int] | None = None,
               fallback_user: str | None = None, fallback_created: str | None = None) -> None:
    """The memo a ``NoteRef`` makes: the note's text (else its name) by the note's author, on ``span`` of the
    document when given (a note on a selection without a code). The selection's user and date stand in for a
    note that has none."""
    bundle.notes_used.add(guid)
    note = next((n for n in loaded.project.notes if n.guid == guid), None)
    if note is None:
        bundle.warnings.append(f"a reference to note {guid}, which is not in the project; skipped")
        return
    text = (loaded.notes.get(guid) or "").strip()
    if not text and note.name:
        text = note.name.strip()
    if text:
        start, end = span if span is not None else (None, None)
        bundle.memos.append(MemoRow(target_type, target_id, text, user(note.user, fallback_user),
                                    _iso(note.created) or _iso(fallback_created), start, end))


# --------------------------------------------------------------------------- codebooks (.qdc)

def parse_qdc(data: bytes, label: str, limits: Limits = LIMITS, warnings: list[str] | None = None
              ) -> list[RefiCode]:
    """A codebook's codes. GUIDs that are not UUIDs (some tools write their own ids) get new, stable UUIDs, with
    a warning appended to ``warnings``."""
    root = parse_xml(data, label)
    if _local(root.tag) != "CodeBook":
        raise InputError(f"the root element is <{_local(root.tag)}>, not <CodeBook>: not a REFI-QDA codebook",
                         path=label)
    codes: list[RefiCode] = []
    parser = _Parser(label, limits, replace_bad_guids=True)
    for group in _kids(root, "Codes"):
        parser.codes(group, None, 0, codes)
    if not codes:
        raise InputError("the codebook holds no codes", path=label)
    if parser.replaced and warnings is not None:
        shown = ", ".join(repr(g[:40]) for g in parser.replaced[:3]) + (", ..." if len(parser.replaced) > 3 else "")
        warnings.append(f"{label}: {len(parser.replaced)} code GUID(s) are not UUIDs ({shown}); made new ones "
                        "(the same each time this file is read)")
    return codes


def codes_to_rows(codes: Sequence[RefiCode], taken: Iterable[str] = ()) -> list[dict[str, Any]]:
    """REFI codes -> the store's code dicts (id slug, name, parent, colour, definition, data with the GUID)."""
    used = set(taken)
    ids: dict[str, str] = {}
    rows = []
    for c in codes:
        if c.guid in ids:
            raise InputError(f"two codes share the GUID {c.guid}", field="Code")
        ids[c.guid] = unique_slug(c.name, used)
        data: dict[str, Any] = {"refi_guid": c.guid}
        if not c.codable:
            data["refi_codable"] = False
        rows.append({"id": ids[c.guid], "name": c.name, "parent": ids.get(c.parent) if c.parent else None,
                     "colour": c.colour, "definition": (c.description or "").strip() or None, "data": data})
    return rows


def read_qdc(path: str | Path, limits: Limits = LIMITS, warnings: list[str] | None = None
             ) -> tuple[str, str, list[dict[str, Any]], str]:
    """A REFI-QDA codebook file -> (name, version, code dicts, source text) for ``store.coding.save_codebook``.

    The name is the file's stem (the format has none); the version is ``qdc-`` and the first 12 hex digits of the
    file's SHA-256. Code dicts carry id (a slug of the name, made unique), name, parent, colour, definition (the
    code's ``Description``) and data (``refi_guid``).
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError("no such file", path=label)
    if path.stat().st_size > limits.member_bytes:
        raise InputError(f"refused: larger than {limits.member_bytes:,} bytes", path=label)
    data = path.read_bytes()
    rows = codes_to_rows(parse_qdc(data, label, limits, warnings))
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        source = data.decode("latin-1")
    return path.stem, "qdc-" + source_hash(data)[:12], rows, source


# --------------------------------------------------------------------------- export

@dataclass(frozen=True)
class ProjectSnapshot:
    """What an export carries, read from the project by ``store.refi.snapshot``."""

    name: str
    seed: str  # makes the GUID namespace: the project's creation stamp and creator
    created: str | None = None
    documents: tuple[Document, ...] = ()
    participants: tuple[Participant, ...] = ()
    attribute_types: Mapping[str, str] = field(default_factory=dict)  # participant attribute key -> type
    codes: tuple[Mapping[str, Any], ...] = ()  # id, name, parent, colour, definition, data
    codings: tuple[Mapping[str, Any], ...] = ()  # id, document, code, start, end, status, coder, rule, ...
    memos: tuple[Mapping[str, Any], ...] = ()  # id, target_type, target_id, text, author, created, start, end
    codebook: Mapping[str, Any] | None = None  # latest codebooks row: name, version, format, source, hash
    users: Mapping[str, str] = field(default_factory=dict)  # REFI users kept from imports: name -> GUID


@dataclass(frozen=True)
class ExportCounting:
    """How an export counts offsets and writes line breaks, for the tool that will read it.

    ``units`` codepoints|utf16; ``line_breaks`` one|two (each line break counts as one or as two characters);
    ``newlines`` lf|crlf in the written source files (``two`` always writes CRLF, so that a reader counting the
    characters of the file as they are gets the same offsets).
    """

    units: str = "codepoints"
    line_breaks: str = "one"
    newlines: str = "lf"

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise InputError(f"unknown offset units {self.units!r}; expected codepoints or utf16", field="--offsets")
        if self.line_breaks not in ("one", "two"):
            raise InputError(f"unknown line-break counting {self.line_breaks!r}; expected one or two",
                             field="--line-breaks")
        if self.newlines not in ("lf", "crlf"):
            raise InputError(f"unknown newlines {self.newlines!r}; expected lf or crlf", field="--newlines")
        if self.line_breaks == "two":
            object.__setattr__(self, "newlines", "crlf")

    def describe(self) -> str:
        units = "UTF-16 code units" if self.units == "utf16" else "code points"
        breaks = "each line break as two" if self.line_breaks == "two" else "each line break as one"
        return f"{units}, {breaks}, source files with {self.newlines.upper()} line breaks"


#: ``export qdpx --for TOOL``: how each tool reads offsets (see the README for the evidence behind each line)
EXPORT_PRESETS: Mapping[str, ExportCounting] = {
    "nvivo": ExportCounting("utf16", "two", "crlf"),
    "atlas": ExportCounting("utf16", "two", "crlf"),
    "maxqda": ExportCounting("codepoints", "one", "crlf"),
    "qualcoder": ExportCounting("codepoints", "one", "lf"),
}


@dataclass(frozen=True)
class ExportResult:
    data: bytes
    documents: int
    codes: int
    codings: int
    cases: int
    users: int
    memos: int
    memos_skipped: int
    counting: ExportCounting = field(default_factory=ExportCounting)
    not_carried: tuple[str, ...] = ()  # what the export could not carry, said rather than dropped silently


def _el(parent: ET.Element, tag: str, attrs: Mapping[str, Any] | None = None, text: str | None = None
        ) -> ET.Element:
    el = ET.SubElement(parent, f"{{{NS_PROJECT}}}{tag}" if parent.tag.startswith(f"{{{NS_PROJECT}}}") else
                       f"{{{NS_CODEBOOK}}}{tag}")
    for k, v in (attrs or {}).items():
        if v is not None:
            el.set(k, _xml_text(str(v)))
    if text is not None:
        el.text = _xml_text(text)
    return el


def _variable_values(values: Mapping[str, str], kinds: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """key -> (REFI type, value) with values in their XSD lexical form."""
    out = {}
    for key, value in values.items():
        out[key] = (kinds.get(key, "Text"), _lexical(value, kinds.get(key, "Text")))
    return out


def _lexical(value: str, kind: str) -> str:
    v = str(value).strip()
    if kind == "Integer":
        return str(int(v))
    if kind == "Float":
        return format(Decimal(v), "f")
    if kind == "Date":
        return date.fromisoformat(v).isoformat()
    if kind == "Boolean":
        return "true" if v.lower() in ("true", "yes", "ya", "1", "y") else "false"
    return v


def _variable_kinds(values_by_key: Mapping[str, list[str]], declared: Mapping[str, str]) -> dict[str, str]:
    """The REFI type of each key: the declared tematik type when every value converts, else Text."""
    kinds = {}
    for key, values in values_by_key.items():
        kind = VARIABLE_TYPES.get(declared.get(key, "text"), "Text")
        try:
            for v in values:
                _lexical(v, kind)
        except (ValueError, InvalidOperation):
            kind = "Text"
        kinds[key] = kind
    return kinds


def _valid_guid(value: Any) -> str | None:
    return _gid(value) if isinstance(value, str) and GUID_RE.match(value.strip()) else None


def _export_offsets(text: str, counting: ExportCounting) -> Callable[[int], int]:
    """tematik offset (code points, ``\\n``) -> the offset a tool counting ``counting`` reads."""
    if counting.units == "codepoints" and counting.line_breaks == "one":
        return lambda i: i
    weights = bytearray(b"\x01") * len(text)
    if counting.units == "utf16":
        for m in _ASTRAL.finditer(text):
            weights[m.start()] = 2
    if counting.line_breaks == "two":
        for m in re.finditer("\n", text):
            weights[m.start()] += 1
    cum = [0, *accumulate(weights)]
    return cum.__getitem__


def build_project(snap: ProjectSnapshot, *, statuses: Sequence[str] = DEFAULT_EXPORT_STATUSES,
                  version: str = "", counting: ExportCounting = ExportCounting()
                  ) -> tuple[bytes, dict[str, bytes], bytes, dict[str, Any]]:
    """(project.qde bytes, {member: bytes} of sources, tematik.json bytes, counts and notes). Deterministic."""
    ns = project_namespace(snap.seed)
    used: set[str] = set()

    def gid(kind: str, key: object, keep: Any = None) -> str:
        g = _valid_guid(keep)
        if g is None or g in used:
            g = new_guid(ns, kind, key)
        used.add(g)
        return g

    codings = [c for c in snap.codings if c["status"] in statuses]
    not_carried: list[str] = []
    left = Counter(c["status"] for c in snap.codings if c["status"] not in statuses)
    if left:
        not_carried.append(", ".join(f"{n} {st}" for st, n in sorted(left.items())) + " coding(s) not exported "
                           "(their status is not in --status; --status all exports every coding)")
    memos_by: dict[tuple[str, str | None], list[Mapping[str, Any]]] = {}
    passages_by: dict[str, list[Mapping[str, Any]]] = {}  # document name -> memos on a passage of it
    for m in snap.memos:
        if m["target_type"] == "document" and m.get("start") is not None and m.get("end") is not None:
            passages_by.setdefault(str(m["target_id"]), []).append(m)
            continue
        memos_by.setdefault((m["target_type"], None if m["target_id"] is None else str(m["target_id"])),
                            []).append(m)
    people = sorted({c["coder"] for c in codings} | {m["author"] for m in snap.memos} | set(snap.users))
    user_guid = {u: gid("user", u, snap.users.get(u)) for u in people}

    root = ET.Element(f"{{{NS_PROJECT}}}Project")
    root.set("name", _xml_text(snap.name))
    root.set("origin", f"tematik {version}".strip())
    if _xsd_datetime(snap.created):
        root.set("creationDateTime", _xsd_datetime(snap.created) or "")
    if people:
        users_el = _el(root, "Users")
        for u in people:
            _el(users_el, "User", {"guid": user_guid[u], "name": u})

    # codes: active ones, and any inactive code an exported coding uses
    wanted = {c["code"] for c in codings}
    codes = [c for c in snap.codes if c.get("active", 1) or c["id"] in wanted]
    if len(codes) < len(snap.codes):
        not_carried.append(f"{len(snap.codes) - len(codes)} retired code(s) without exported codings not exported")
    code_guid = {c["id"]: gid("code", c["id"], (c.get("data") or {}).get("refi_guid")) for c in codes}
    note_guid: dict[int, str] = {m["id"]: gid("memo", m["id"]) for m in snap.memos}
    exported_notes: list[Mapping[str, Any]] = []

    def note_refs(el: ET.Element, target_type: str, target_id: str | None) -> None:
        for m in memos_by.get((target_type, target_id), []):
            _el(el, "NoteRef", {"targetGUID": note_guid[m["id"]]})
            exported_notes.append(m)

    if codes:
        book = _el(root, "CodeBook")
        codes_el = _el(book, "Codes")
        kids: dict[str | None, list[Mapping[str, Any]]] = {}
        known = {c["id"] for c in codes}
        for c in codes:
            kids.setdefault(c.get("parent") if c.get("parent") in known else None, []).append(c)

        def write_codes(parent_el: ET.Element, parent: str | None, depth: int) -> None:
            for c in kids.get(parent, []):
                colour = c.get("colour") if c.get("colour") and RGB_RE.match(str(c.get("colour"))) else None
                el = _el(parent_el, "Code", {"guid": code_guid[c["id"]], "name": c["name"],
                                             "isCodable": _codable(c), "color": colour})
                if c.get("definition"):
                    _el(el, "Description", text=c["definition"])
                note_refs(el, "code", c["id"])
                if depth < 200:
                    write_codes(el, c["id"], depth + 1)

        write_codes(codes_el, None, 0)

    # variables: participant attributes (typed) and document fields/attributes (text)
    attr_values: dict[str, list[str]] = {}
    for p in snap.participants:
        for k, v in p.attributes.items():
            attr_values.setdefault(k, []).append(v)
        if p.role:
            attr_values.setdefault("role", []).append(p.role)
    case_kinds = _variable_kinds(attr_values, snap.attribute_types)
    doc_keys: dict[str, list[str]] = {}
    for d in snap.documents:
        for k, v in _document_values(d).items():
            doc_keys.setdefault(k, []).append(v)
    doc_kinds = _variable_kinds(doc_keys, {"date": "date"})
    case_var = {k: gid("variable", f"case:{k}") for k in sorted(case_kinds)}
    doc_var = {k: gid("variable", f"document:{k}") for k in sorted(doc_kinds)}
    if case_var or doc_var:
        vars_el = _el(root, "Variables")
        for k in sorted(case_kinds):
            _el(vars_el, "Variable", {"guid": case_var[k], "name": k, "typeOfVariable": case_kinds[k]})
        for k in sorted(doc_kinds):
            _el(vars_el, "Variable", {"guid": doc_var[k], "name": k, "typeOfVariable": doc_kinds[k]})

    def values(el: ET.Element, vals: Mapping[str, str], kinds: Mapping[str, str], guids: Mapping[str, str]) -> None:
        for key in sorted(vals):
            kind = kinds[key]
            vv = _el(el, "VariableValue")
            _el(vv, "VariableRef", {"targetGUID": guids[key]})
            _el(vv, VALUE_ELEMENTS[kind], text=_lexical(vals[key], kind))

    doc_guid = {d.name: gid("document", d.name, d.attributes.get("refi_guid")) for d in snap.documents}
    case_guid = {p.id: gid("participant", p.id) for p in snap.participants}
    if snap.participants:
        cases_el = _el(root, "Cases")
        for p in snap.participants:
            el = _el(cases_el, "Case", {"guid": case_guid[p.id], "name": p.id})
            vals = dict(p.attributes)
            if p.role:
                vals["role"] = p.role
            values(el, vals, case_kinds, case_var)
            for d in snap.documents:
                if d.participant == p.id:
                    _el(el, "SourceRef", {"targetGUID": doc_guid[d.name]})

    sources: dict[str, bytes] = {}
    side_docs: dict[str, Any] = {}
    side_codings: dict[str, Any] = {}
    by_doc: dict[str, list[Mapping[str, Any]]] = {}
    for c in codings:
        by_doc.setdefault(c["document"], []).append(c)
    n_codings = 0
    out_of_text = negative = passages_whole = 0
    if snap.documents:
        src_el = _el(root, "Sources")
        for d in snap.documents:
            g = doc_guid[d.name]
            el = _el(src_el, "TextSource", {"guid": g, "name": d.name, "plainTextPath": f"internal://{g}.txt"})
            written = d.text.replace("\n", "\r\n") if counting.newlines == "crlf" else d.text
            sources[f"{SOURCES_DIR}{g}.txt"] = written.encode("utf-8")
            at = _export_offsets(d.text, counting)
            # selections in the order of the text: codings, and memos on a passage (a selection without a
            # coding, its one NoteRef the memo's note: what NVivo and ATLAS.ti write for an annotation)
            whole: list[Mapping[str, Any]] = []
            marks: list[tuple[tuple[int, int, int, int], str, Mapping[str, Any]]] = []
            for m in passages_by.get(d.name, []):
                if 0 <= m["start"] < m["end"] <= len(d.text):
                    marks.append(((m["start"], m["end"], 1, m["id"]), "memo", m))
                else:  # cannot be placed: kept as a memo on the whole document rather than dropped
                    whole.append(m)
            marks += [((c["start"], c["end"], 0, c["id"]), "coding", c) for c in by_doc.get(d.name, [])]
            passages_whole += len(whole)
            for _key, kind, c in sorted(marks, key=lambda k: k[0]):
                if kind == "memo":
                    sel = _el(el, "PlainTextSelection", {
                        "guid": gid("memo-selection", c["id"]), "name": d.text[c["start"]:c["end"]],
                        "startPosition": at(c["start"]), "endPosition": at(c["end"]),
                        "creatingUser": user_guid[c["author"]], "creationDateTime": _xsd_datetime(c.get("created"))})
                    _el(sel, "NoteRef", {"targetGUID": note_guid[c["id"]]})
                    exported_notes.append(c)
                    continue
                if c["code"] not in code_guid or not 0 <= c["start"] < c["end"] <= len(d.text):
                    out_of_text += 1
                    continue
                negative += c.get("polarity") == "negative"
                sel = _el(el, "PlainTextSelection", {
                    "guid": gid("selection", c["id"]), "name": d.text[c["start"]:c["end"]],
                    "startPosition": at(c["start"]), "endPosition": at(c["end"]),
                    "creatingUser": user_guid[c["coder"]], "creationDateTime": _xsd_datetime(c.get("created"))})
                cg = gid("coding", c["id"])
                coding = _el(sel, "Coding", {"guid": cg, "creatingUser": user_guid[c["coder"]],
                                             "creationDateTime": _xsd_datetime(c.get("created"))})
                _el(coding, "CodeRef", {"targetGUID": code_guid[c["code"]]})
                note_refs(sel, "coding", str(c["id"]))
                side_codings[cg] = {"status": c["status"], "rule": c.get("rule"),
                                    "polarity": c.get("polarity") or "positive"}
                n_codings += 1
            note_refs(el, "document", d.name)
            for m in whole:
                _el(el, "NoteRef", {"targetGUID": note_guid[m["id"]]})
                exported_notes.append(m)
            values(el, _document_values(d), doc_kinds, doc_var)
            side_docs[g] = {"turns": [[t.start, t.end, t.speaker, t.participant, t.is_interviewer, t.timestamp]
                                      for t in d.turns]}

    participant_memos = [m for p in snap.participants for m in memos_by.get(("participant", p.id), [])]
    project_memos = memos_by.get(("project", None), [])
    notes = sorted({m["id"]: m for m in [*exported_notes, *participant_memos, *project_memos]}.values(),
                   key=lambda m: m["id"])
    if notes:
        notes_el = _el(root, "Notes")
        for m in notes:
            first = (m["text"].strip().splitlines() or [""])[0]
            n = _el(notes_el, "Note", {"guid": note_guid[m["id"]], "name": first[:60] or f"memo {m['id']}",
                                       "creatingUser": user_guid.get(m["author"]),
                                       "creationDateTime": _xsd_datetime(m.get("created"))})
            _el(n, "PlainTextContent", text=m["text"])
    if participant_memos:
        links_el = _el(root, "Links")
        for m in participant_memos:
            _el(links_el, "Link", {"guid": gid("link", m["id"]), "name": "memo", "direction": "OneWay",
                                   "originGUID": note_guid[m["id"]], "targetGUID": case_guid[str(m["target_id"])]})
    for m in project_memos:
        _el(root, "NoteRef", {"targetGUID": note_guid[m["id"]]})

    ET.register_namespace("", NS_PROJECT)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    sidecar = {
        "format": SIDECAR_FORMAT, "version": 1,
        "codes": {code_guid[c["id"]]: {"id": c["id"], "data": c.get("data") or {}} for c in codes},
        "codebook": ({k: snap.codebook.get(k) for k in ("name", "version", "format", "source", "hash")}
                     if snap.codebook else None),
        "codings": side_codings, "documents": side_docs,
    }
    sidecar["offsets"] = {"units": counting.units, "line_breaks": counting.line_breaks}
    side = json.dumps(sidecar, ensure_ascii=False, sort_keys=True, indent=1, default=str).encode("utf-8")
    if out_of_text:
        not_carried.append(f"{out_of_text} coding(s) outside their document's text or on a code not exported "
                           "left out")
    if negative:
        not_carried.append(f"{negative} coding(s) marked negative go as ordinary codings (the standard has no "
                           "polarity; tematik.json keeps it)")
    if passages_whole:
        not_carried.append(f"{passages_whole} memo(s) on a passage outside their document's text go as memos on "
                           "the whole document")
    if len(snap.memos) > len(notes):
        not_carried.append(f"{len(snap.memos) - len(notes)} memo(s) on codings not exported left out")
    side_only = [what for what, there in (
        ("speaker turns", any(d.turns for d in snap.documents)),
        ("coding statuses", any(c["status"] != "manual" for c in codings)),
        ("auto-coding rules", any(c.get("rule") for c in codings)),
        ("the YAML codebook", bool(snap.codebook and snap.codebook.get("format") == "yaml"))) if there]
    if side_only:
        not_carried.append(", ".join(side_only) + " travel only in tematik.json, which other tools ignore")
    counts: dict[str, Any] = {"documents": len(snap.documents), "codes": len(codes), "codings": n_codings,
                              "cases": len(snap.participants), "users": len(people), "memos": len(notes),
                              "memos_skipped": len(snap.memos) - len(notes), "not_carried": tuple(not_carried)}
    return xml, sources, side, counts


def _document_values(d: Document) -> dict[str, str]:
    vals = {k: v for k, v in d.attributes.items() if k != "refi_guid" and v not in (None, "")}
    vals["source_type"] = d.source_type
    if d.language:
        vals["language"] = d.language
    if d.date:
        vals["date"] = d.date
    return vals


def _codable(code: Mapping[str, Any]) -> str:
    """``isCodable`` as imported: false only when the code came from a tool that marked it so."""
    return "false" if (code.get("data") or {}).get("refi_codable") is False else "true"


def qdpx_bytes(snap: ProjectSnapshot, *, statuses: Sequence[str] = DEFAULT_EXPORT_STATUSES,
               version: str = "", counting: ExportCounting = ExportCounting()) -> ExportResult:
    """The whole ``.qdpx`` archive as bytes (fixed member order and timestamps: the same project, the same bytes)."""
    xml, sources, side, counts = build_project(snap, statuses=statuses, version=version, counting=counting)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [(PROJECT_MEMBER, xml), *sorted(sources.items()), (SIDECAR, side)]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return ExportResult(buf.getvalue(), counting=counting, **counts)


def build_codebook_xml(codes: Sequence[Mapping[str, Any]], *, origin: str = "tematik") -> bytes:
    """A REFI-QDA codebook (``.qdc``) of code dicts (id, name, parent, colour, definition, data)."""
    seed = "|".join(str(c["id"]) for c in codes)
    ns = project_namespace("codebook:" + seed)
    used: set[str] = set()
    guid = {}
    for c in codes:
        g = _valid_guid((c.get("data") or {}).get("refi_guid"))
        if g is None or g in used:
            g = new_guid(ns, "code", c["id"])
        used.add(g)
        guid[c["id"]] = g
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook")
    root.set("origin", _xml_text(origin))
    codes_el = ET.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
    known = {c["id"] for c in codes}
    kids: dict[str | None, list[Mapping[str, Any]]] = {}
    for c in codes:
        kids.setdefault(c.get("parent") if c.get("parent") in known else None, []).append(c)

    def write(parent_el: ET.Element, parent: str | None, depth: int) -> None:
        for c in kids.get(parent, []):
            colour = c.get("colour") if c.get("colour") and RGB_RE.match(str(c.get("colour"))) else None
            el = _el(parent_el, "Code", {"guid": guid[c["id"]], "name": c["name"], "isCodable": _codable(c),
                                         "color": colour})
            if c.get("definition"):
                _el(el, "Description", text=c["definition"])
            if depth < 200:
                write(el, c["id"], depth + 1)

    write(codes_el, None, 0)
    ET.register_namespace("", NS_CODEBOOK)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


__all__ = [
    "COUNTINGS", "LIMITS", "NS_CODEBOOK", "NS_PROJECT", "Archive", "Counting", "CountingReport", "ExportResult",
    "ImportBundle", "ImportOptions", "Limits", "LoadedProject", "MemoRow", "ProjectContext", "ProjectSnapshot",
    "RefiProject", "TextMap", "build_codebook_xml", "build_import", "build_project", "codes_to_rows",
    "detect_counting", "load_qdpx", "parse_project", "parse_qdc", "qdpx_bytes", "read_qdc", "slugify",
    "source_hash", "tracked_normalise",
]
