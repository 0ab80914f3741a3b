"""Read transcript files into ``Document`` objects: decoding, normalisation, speaker turns, manifests.

No database here: the CLI reads and validates everything first, then hands the documents to the store, so a
refused call never leaves half an import behind.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import io
import os
import re
import stat
import unicodedata
import zipfile
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tematik.errors import InputError
from tematik.escape import control_characters
from tematik.limits import XLSX_STREAMED, Limits, check_document, check_rows, check_zip, refuse
from tematik.limits import current as current_limits
from tematik.models import INTERVIEWER, LANGUAGES, TRANSCRIPT_TYPES, Document, Turn, Turns, source_type_problem

TEXT_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")
_LEADING_BLANK_LINES = re.compile(r"(?:(?:[^\S\r\n]|\ufeff)*(?:\r\n|\r|\n))*")
TABLE_SUFFIXES = (".csv", ".xlsx")
SUFFIXES = TEXT_SUFFIXES + TABLE_SUFFIXES

#: speaker labels (and words in a legend or a label's role) that mean the person asking (lower-cased); a
#: manifest, ``--speaker`` or ``--interviewer`` can make any other label the interviewer. Single letters are not
#: here: see AMBIGUOUS_LABELS
INTERVIEWER_LABELS = frozenset({
    "pewawancara", "peneliti", "penanya", "interviewer", "researcher", "moderator", "fasilitator", "facilitator",
    "int", "tanya", "enumerator", "pengumpul data", "asisten peneliti", "research assistant",
})

#: a label opening with one of these (lower-cased) is a person speaking even if it occurs once
HONORIFICS = frozenset({
    "bu", "ibu", "pak", "bapak", "bpk", "bpk.", "mbak", "mas", "bli", "gek", "dik", "kak", "mr", "mr.", "mrs", "mrs.",
    "ms", "ms.", "miss", "dr", "dr.", "prof", "prof.", "informan", "narasumber", "responden", "participant",
    "respondent", "informant",
})

MANIFEST_COLUMNS = ("file", "participant", "role", "source_type", "language", "date", "speakers")


# --------------------------------------------------------------------------- decoding and normalising

def normalise(text: str) -> str:
    """The one normal form every offset points into: NFC, ``\\n`` line endings, no BOM, no trailing blanks.

    Written to copy a long text as few times as possible: each step returns its input when there is nothing to
    change (most files), and trailing blanks go in one pass instead of a list of every line.
    """
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if _TRAILING.search(text):
        text = _TRAILING.sub("", text)
    return text.strip("\n")


#: blanks (str.isspace, but not the newline) at the end of a line
_TRAILING = re.compile(r"[^\S\n]+$", re.MULTILINE)


def decode(data: bytes, path: str, *, trim_end: bool = False) -> tuple[str, list[str]]:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 with a warning.

    ``trim_end``: leave out the ASCII blanks and line ends that close a UTF-8 or cp1252 file (``normalise``
    strips them anyway, by copying the whole text; here neither the bytes nor the text is copied).

    Binary files (NUL bytes, a known binary signature, or control characters that text never holds) are refused
    in one short line rather than decoded into garbage.
    """
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path), warnings
    body = memoryview(data)[:_content_end(data)] if trim_end else data
    if data.startswith(codecs.BOM_UTF8):
        return _strict(body, "utf-8-sig", path), warnings
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            raise InputError(f"binary file ({kind}); expected text", path=path)
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes); expected text", path=path)
    try:
        return str(body, "utf-8"), warnings
    except UnicodeDecodeError:
        pass
    try:
        text = str(body, "cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(f"binary file or unknown encoding: neither UTF-8 nor cp1252 (byte {exc.start})",
                         path=path) from None
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch in _CONTROLS)
    if controls > max(2, len(sample) // 100):
        raise InputError(f"binary file ({controls / len(sample):.0%} control characters); expected text", path=path)
    warnings.append(f"{path}: not UTF-8; read as Windows-1252 (cp1252): check accented characters")
    return text, warnings


_BINARY_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive such as .docx/.xlsx; give it its real suffix"),
    (b"%PDF", "a PDF; export its text first"),
    (b"\xd0\xcf\x11\xe0", "an old Office .doc/.xls; save it as .docx/.xlsx"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
#: C0 controls other than tab, newline, carriage return and form feed, and DEL: text files hold almost none
_CONTROLS = frozenset(chr(c) for c in (*range(0, 9), 11, *range(14, 32), 127))


#: ASCII blanks and line ends (the same bytes in UTF-8 and cp1252)
_END_BLANKS = frozenset(b" \t\r\n\x0b\x0c")


def _content_end(data: bytes) -> int:
    """Where the text of a UTF-8 or cp1252 file ends: before the blanks and line ends that close it."""
    end = len(data)
    while end and data[end - 1] in _END_BLANKS:
        end -= 1
    return end


def _strict(data: bytes | memoryview, encoding: str, path: str) -> str:
    try:
        return str(data, encoding)
    except UnicodeDecodeError as exc:
        name, at = ("UTF-8", exc.start + 3) if encoding == "utf-8-sig" else (encoding, exc.start)
        raise InputError(f"invalid {name} at byte {at}", path=path) from None


def read_bytes(path: str | Path, *, what: str = "file", error: type[InputError] = InputError,
               limits: Limits | None = None) -> bytes:
    """A user-named file's bytes; a missing, unreadable, non-regular or too large file is one ``error`` naming it."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"no such {what}", path=str(path)) from None
    except OSError as exc:
        raise error(f"cannot read {what} ({exc.strerror or exc})", path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"no such {what} (it is a folder)", path=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise error(f"not a regular file (a device, pipe or socket); expected a {what}", path=str(path))
    lim = limits or current_limits()
    if st.st_size > lim.file_bytes:
        err = refuse(f"the {what} has {st.st_size:,} bytes", "file_bytes", lim.file_bytes, path=str(path))
        raise error(err.message, path=str(path))
    try:
        return p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} ({exc.strerror or exc})", path=str(path)) from None


def sha256(text: str) -> str:
    """SHA-256 of the UTF-8 text, encoded a slice at a time so a long document is not copied whole."""
    h = hashlib.sha256()
    step = 1 << 22
    for i in range(0, len(text), step):
        h.update(text[i:i + step].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


# --------------------------------------------------------------------------- language

_ID_WORDS = frozenset(
    "yang dan di ini itu dengan untuk tidak ada saya kami kita dari ke dalam akan juga sudah bisa atau karena "
    "pada jadi kalau seperti lebih sangat mereka apa bagaimana tapi tetapi belum harus ya nya bapak ibu".split())
_EN_WORDS = frozenset(
    "the and of to in is that it for on with as was are be this have not but they we you at by from or an "
    "what so there their would about which when do if very".split())


def guess_language(text: str) -> tuple[str, float]:
    """Indonesian or English from function-word counts; returns (language, share of the winner's hits)."""
    words = re.findall(r"[a-z]+", text[:20000].lower())  # slice first: never a lower-cased copy of it all
    n_id = sum(w in _ID_WORDS for w in words)
    n_en = sum(w in _EN_WORDS for w in words)
    if n_id + n_en == 0:
        return "id", 0.0
    lang = "id" if n_id >= n_en else "en"
    return lang, max(n_id, n_en) / (n_id + n_en)


# --------------------------------------------------------------------------- speaker turns

#: single letters that mean the interviewer in one convention and the informant in another (P = Peneliti or
#: Participant, I = Interviewer or Informan, R = Researcher or Respondent/Responden, Q/A): never guessed
AMBIGUOUS_LABELS = frozenset({"p", "i", "r", "q", "a"})

#: labels of header fields ("Tanggal: 12 Maret 2024"): never speakers unless a mapping says so
META_LABELS = frozenset({
    "tanggal", "hari", "hari/tanggal", "hari, tanggal", "date", "waktu", "time", "jam", "pukul", "tempat", "lokasi",
    "location", "place", "venue", "durasi", "duration", "length", "judul", "title", "topik", "topic", "tema",
    "file", "berkas", "rekaman", "recording", "transkrip", "transcript", "transkriptor", "transcriber",
    "catatan", "note", "notes", "nb", "ps", "sumber", "source", "kode", "code", "media", "platform", "subject",
    "subjek", "perihal", "kegiatan", "acara", "agenda", "keterangan", "legend", "legenda", "key",
})

#: words that open a sentence with a colon ("Contohnya: ..."): a label used once is not a speaker for them alone
DISCOURSE_LABELS = frozenset({
    "contohnya", "contoh", "misalnya", "misal", "intinya", "artinya", "jadi", "pertama", "kedua", "ketiga",
    "pokoknya", "katanya", "yaitu", "yakni", "yang jelas", "kesimpulannya", "singkatnya", "masalahnya", "alasannya",
    "example", "for example", "e.g", "first", "second", "third", "however", "answer", "question", "jawaban",
    "pertanyaan", "update", "warning", "tip", "penting", "important", "summary", "ringkasan", "kesimpulan",
})

#: what a legend says a label is, when it says no more than a role ("P: Peneliti, I: Informan")
ROLE_WORDS = INTERVIEWER_LABELS | {"informan", "narasumber", "responden", "partisipan", "subjek", "informant",
                                   "participant", "respondent", "interviewee", "subject"}

#: words that open a legend of speaker labels ("Keterangan: P = Peneliti, I = Informan")
LEGEND_WORDS = ("keterangan", "ket.", "ket", "legenda", "legend", "key", "kode pembicara", "kode", "speakers",
                "speaker key", "pembicara", "label")

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_WORDS = r"[^\W\d_](?:[^\W_]|[.'’-])*(?:[ \t]+(?:[^\W_]|[.'’&/-])+){0,4}?"  # no `_`: `__Name__:` is markup
# `[00:00:03] Name (Role) (00:00:03): text`, `**Name:** text`, `__Name__: text`, `Name :`; a label ends at a colon
# followed by a space or the end of the line
_LABEL = re.compile(
    rf"[ \t]*(?:[\[(](?P<ts1>{_TS})[\])][ \t]*[-–—]?[ \t]*|(?P<ts2>{_TS})[ \t]+[-–—]?[ \t]*)?"
    rf"(?P<open>\*\*|__)?(?P<name>{_WORDS})"
    r"(?:[ \t]*\((?P<role>[^()\n:]{1,40})\))?"
    rf"(?:[ \t]*[\[(](?P<ts3>{_TS})[\])])?"
    r"[ \t]*(?P<close1>\*\*|__)?[ \t]*:(?P<close2>\*\*|__)?(?=[ \t]|$)[ \t]*"
    rf"(?:[\[(](?P<ts4>{_TS})[\])](?=[ \t]|$)[ \t]*)?")  # `Speaker 1: (00:05) text`
# `[Name] text` (a chat export, a transcriber's brackets), `[Name] 10:02:03` (Zoom's text transcript)
_BRACKET = re.compile(rf"[ \t]*\[(?P<name>[^\]\n]{{1,40}})\][ \t]*(?:(?P<ts>{_TS})(?=[ \t]|$))?[ \t]*:?[ \t]*")
# `Name  0:07` or `Speaker 1 00:00:07` alone on a line, the text below (otter.ai, Trint, Rev)
_ALONE = re.compile(
    rf"[ \t]*(?P<name>{_WORDS})(?:[ \t]*\((?P<role>[^()\n:]{{1,40}})\))?[ \t]+[\[(]?(?P<ts>{_TS})[\])]?[ \t]*$")
_ID = re.compile(r"[A-Za-z]{1,4}[-_.]?\d{1,4}")
_LEGEND_PAIR = re.compile(r"(?P<label>[^\W_][\w.'’ -]{0,24}?)[ \t]*(?:=|:|[-–—](?=[ \t]))[ \t]*(?P<value>[^,;=]+)")


@dataclass(slots=True)
class _Label:
    line_start: int
    content_start: int | None  # None: the text starts on the next line
    name: str  # as written, without timestamps and markup: "Bu Ratna (Karu)"
    base: str  # without the role: "Bu Ratna"
    role: str | None
    timestamp: str | None

    @property
    def key(self) -> str:
        return self.base.casefold()


def _norm_ts(ts: str | None) -> str | None:
    """``0:07`` -> ``00:00:07``, ``1:02:03.5`` -> ``01:02:03``."""
    if not ts:
        return None
    parts = [int(p) for p in re.split(r"[.,]", ts)[0].split(":")]
    if len(parts) == 2:
        parts.insert(0, 0)
    return ":".join(f"{p:02d}" for p in parts)


def _label_at(line: str, offset: int) -> _Label | None:
    """The speaker label a line opens with, if it has the shape of one (whether it is a speaker is decided later)."""
    m = _LABEL.match(line)
    if m and (m.group("open") or "") == (m.group("close1") or m.group("close2") or ""):
        name = m.group("name").strip()
        role = (m.group("role") or "").strip() or None
        ts = m.group("ts1") or m.group("ts2") or m.group("ts3") or m.group("ts4")
        # `Name:` alone on its line: the text follows below (content None)
        content = offset + m.end() if m.end() < len(line) else None
        return _Label(offset, content, f"{name} ({role})" if role else name, name, role, _norm_ts(ts))
    m = _BRACKET.match(line)
    if m and (m.end() < len(line) or m.group("ts")) and not re.fullmatch(_TS, m.group("name").strip()):
        name = m.group("name").strip()
        content = offset + m.end() if m.end() < len(line) else None
        return _Label(offset, content, name, name, None, _norm_ts(m.group("ts")))
    m = _ALONE.match(line)
    if m:
        name = m.group("name").strip()
        role = (m.group("role") or "").strip() or None
        return _Label(offset, None, f"{name} ({role})" if role else name, name, role, _norm_ts(m.group("ts")))
    return None


def parse_speakers(spec: str | None, *, path: str | None = None, line: int | None = None,
                   field: str = "speakers") -> dict[str, str]:
    """``"Bu Made=P07;Pewawancara=interviewer"`` -> {label: participant id or 'interviewer'}."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for part in re.split(r"[;\n]", spec):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise InputError(f"expected LABEL=ID, got {part!r}", path=path, line=line, field=field)
        label, _, target = part.partition("=")
        if not label.strip() or not target.strip():
            raise InputError(f"expected LABEL=ID, got {part!r}", path=path, line=line, field=field)
        mapping[label.strip()] = target.strip()
    return mapping


def speaker_options(speaker: Iterable[str] | None, interviewer: Iterable[str] | None) -> dict[str, str]:
    """The label mapping of ``import --speaker LABEL=ID ... --interviewer LABEL ...``."""
    mapping = parse_speakers(";".join(speaker or []), field="--speaker") if speaker else {}
    for label in interviewer or ():
        label = label.strip()
        if not label:
            raise InputError("empty label", field="--interviewer")
        if mapping.get(label, INTERVIEWER) != INTERVIEWER:
            raise InputError(f"label {label!r} is given both as interviewer and as {mapping[label]!r}",
                             field="--interviewer")
        mapping[label] = INTERVIEWER
    return mapping


def _is_interviewer_word(text: str) -> bool:
    """``Pewawancara``, ``Peneliti 2``, ``Interviewer B``, ``Moderator``."""
    words = text.casefold().strip(" .").split()
    if not words:
        return False
    if " ".join(words) in INTERVIEWER_LABELS:
        return True
    return words[0] in INTERVIEWER_LABELS and len(words) == 2 and (words[1].isdigit() or len(words[1]) == 1)


def _describes_interviewer(text: str) -> bool:
    low = text.casefold()
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low) for w in INTERVIEWER_LABELS)


#: a legend's first line (built once: parse_legend runs for every document, a table's every answer)
_LEGEND_OPENER = re.compile(r"[ \t]*(?:\*\*|__)?(?P<word>" + "|".join(re.escape(w) for w in LEGEND_WORDS)
                            + r")(?:[ \t]+(?:label|pembicara|speakers?))?[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*"
                              r"(?:\*\*|__)?[ \t]*(?P<rest>.*)$", re.IGNORECASE)
_LEGEND_PAIR_LINE = re.compile(r"[ \t]*[-*•]?[ \t]*(?P<label>[^\W_][\w.'’]{0,9}(?:[ \t][\w.'’]{1,10}){0,2})[ \t]*"
                               r"(?P<sep>=|:|[-–—](?=[ \t]))[ \t]*(?P<value>.+)$")


def parse_legend(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    """Read legends of speaker labels: ``Keterangan: P = Peneliti, I = Informan``, ``R1 = Kak Sari (N06)``,
    ``Key:`` / ``Legend:`` followed by one ``label = meaning`` per line.

    Returns ({label: 'interviewer' | participant id | '' (an informant without an id)}, legend line indexes).
    """
    legend: dict[str, str] = {}
    used: set[int] = set()
    opener, pair_line = _LEGEND_OPENER, _LEGEND_PAIR_LINE

    def pairs(text: str, *, strict: bool) -> list[tuple[str, str]] | None:
        out = []
        for chunk in re.split(r"[,;](?![^()]*\))", text):
            if not chunk.strip():
                continue
            m = re.fullmatch(r"[ \t]*(?P<label>[^\W_][\w.'’]{0,9}(?:[ \t][\w.'’]{1,10}){0,2})[ \t]*"
                             r"(?P<sep>=|:|[-–—](?=[ \t]))[ \t]*(?P<value>.+?)[ \t.]*", chunk)
            if not m or (strict and m.group("sep") != "="):
                return None
            out.append((m.group("label").strip(), m.group("value").strip()))
        return out or None

    def meaning(value: str) -> str:
        if _describes_interviewer(value):
            return INTERVIEWER
        ids = re.findall(r"\((" + _ID.pattern + r")\b", value) or [
            w for w in re.findall(r"[\w.-]+", value) if _ID.fullmatch(w) and any(c.isdigit() for c in w)]
        return ids[0] if ids else ""

    i = 0
    while i < len(lines):
        line = lines[i]
        m = opener.match(line)
        found = None
        if m and ("=" in m.group("rest") or not m.group("rest").strip()):
            found = pairs(m.group("rest"), strict=False) if m.group("rest").strip() else []
            if found is not None and not found:  # `Keterangan:` alone: the pairs follow, one a line
                j = i + 1
                block = []
                while j < len(lines) and lines[j].strip():
                    pm = pair_line.match(lines[j])
                    # a meaning is a few words, each label once, one separator: not the dialogue that follows
                    if (not pm or len(pm.group("value").split()) > 8 or pm.group("value").rstrip().endswith("?")
                            or pm.group("sep") != pair_line.match(lines[i + 1]).group("sep")
                            or pm.group("label").strip() in dict(found)):
                        break
                    block.append(j)
                    found.append((pm.group("label").strip(), pm.group("value").strip(" .")))
                    j += 1
                if found:
                    used.update(block)
        elif len(line) < 200:
            # `P = Peneliti, I = Informan` on a line of its own, or `P: Peneliti, I: Informan` (role words only)
            found = pairs(line, strict=True) if "=" in line else None
            loose = pairs(line, strict=False) if found is None and ":" in line else None
            if loose and len(loose) >= 2 and all(v.casefold() in ROLE_WORDS for _, v in loose):
                found = loose
        if found:
            used.add(i)
            for label, value in found:
                legend[label] = meaning(value)
        i += 1
    return legend, used


@dataclass(frozen=True)
class SpeakerNote:
    """Something doubtful about the speakers of a text, at a line (1-based, in the stored text)."""

    line: int
    kind: str  # "unplaced" | "no_interviewer" | "kept_as_text"
    labels: tuple[str, ...]  # the speaker labels it is about
    message: str


@dataclass(frozen=True)
class TurnAnalysis:
    turns: tuple[Turn, ...] | Turns  # Turns (equal to the tuple of its Turn objects) past SHORT_TURNS
    legend: Mapping[str, str]
    unplaced: tuple[str, ...]  # speaker labels that are neither the interviewer nor mapped to a participant
    notes: tuple[SpeakerNote, ...]


def detect_turns(text: str, *, speakers: Mapping[str, str] | None = None, participant: str | None = None,
                 continuation: bool = True) -> tuple[Turn, ...]:
    """Split normalised text into speaker turns with offsets into ``text`` (see :func:`analyse_turns`)."""
    return analyse_turns(text, speakers=speakers, participant=participant, continuation=continuation).turns


class _Lines(Sequence[str]):
    """The lines of a text (``text.split("\\n")``) by index, cut from the text when asked: a long transcript is
    held once, with an array of where its lines start, not as a list of a million strings."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = array("q", [0])
        i = text.find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = text.find("\n", i + 1)
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts)

    def start(self, i: int) -> int:
        return self.starts[i]

    def end(self, i: int) -> int:
        """Where line ``i`` ends (its newline, or the end of the text)."""
        return self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(self.text)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self.starts)
        return self.text[self.starts[i]:self.end(i)]

    def __iter__(self) -> Iterator[str]:
        for i in range(len(self.starts)):
            yield self.text[self.starts[i]:self.end(i)]


class _Candidates(Mapping[int, _Label]):
    """Line index -> the label that line opens with, kept in arrays (a dialogue has one on nearly every line):
    a label is made again when asked for, its strings shared with every other line of the same speaker."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.index = array("q")  # line indexes, ascending
        self.content = array("q")  # content_start, -1 for None
        self.form = array("q")  # index into forms
        self.forms: list[tuple[str, str, str | None, str | None]] = []  # name, base, role, timestamp
        self._form_ids: dict[tuple[str, str, str | None, str | None], int] = {}

    def append(self, i: int, lab: _Label) -> None:
        key = (lab.name, lab.base, lab.role, lab.timestamp)
        k = self._form_ids.get(key)
        if k is None:
            k = self._form_ids[key] = len(self.forms)
            self.forms.append(key)
        self.index.append(i)
        self.content.append(-1 if lab.content_start is None else lab.content_start)
        self.form.append(k)

    def position(self, i: int) -> int | None:
        p = bisect_left(self.index, i)
        return p if p < len(self.index) and self.index[p] == i else None

    def at(self, p: int) -> _Label:
        name, base, role, ts = self.forms[self.form[p]]
        c = self.content[p]
        return _Label(self.lines.start(self.index[p]), None if c < 0 else c, name, base, role, ts)

    def __getitem__(self, i: int) -> _Label:
        p = self.position(i)
        if p is None:
            raise KeyError(i)
        return self.at(p)

    def __contains__(self, i: object) -> bool:
        return isinstance(i, int) and self.position(i) is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def items(self) -> Iterator[tuple[int, _Label]]:  # type: ignore[override]
        for p in range(len(self.index)):
            yield self.index[p], self.at(p)

    def key_counts(self) -> Counter:
        """How often each label key (base name, case-folded) opens a line."""
        counts: Counter = Counter()
        for k, n in Counter(self.form).items():
            counts[self.forms[k][1].casefold()] += n
        return counts


def analyse_turns(text: str, *, speakers: Mapping[str, str] | None = None, participant: str | None = None,
                  continuation: bool = True) -> TurnAnalysis:
    """Split normalised text into speaker turns with offsets into ``text``, and say what is doubtful.

    A line opening with a label (``Name:``, ``NAME :``, ``**Name:**``, ``Name (Role):``, ``[Name]``, a timestamp
    before or after the name, or ``Name  0:07`` alone on a line with the text below) starts a turn when the label
    is timestamped, mapped in ``speakers`` or a legend in the text, a known interviewer word, opens with an
    honorific (Bu, Pak, Mr, ...), is used as a label at least twice, or when the text is a dialogue (most of its
    lines open with a label) and the label looks like a name. Labels used once before the dialogue begins are a
    header ("Tanggal: ...", "Informan: N04 (...)"), and header-field words (Tanggal, Catatan, ...) are never
    speakers unless mapped. With ``continuation`` (interviews) unlabelled paragraphs belong to the previous
    speaker; otherwise (field notes) they are narrative turns without a speaker.

    Who a speaker is: the mapping (``speakers``: label or label without its role -> participant id or
    ``interviewer``), then the legend, then interviewer words (in the label or its role), then ``participant``
    for the only other speaker. Single letters (P, I, R, Q, A) are never guessed: unmapped, they are reported.
    """
    folded = {k.casefold().strip(): v for k, v in (speakers or {}).items()}
    lines = _Lines(text)
    legend_raw, legend_lines = parse_legend(lines)
    legend = {k.casefold(): v for k, v in legend_raw.items()}
    candidates = _Candidates(lines)
    for i, line in enumerate(lines):
        if i not in legend_lines and (lab := _label_at(line, lines.start(i))) is not None:
            candidates.append(i, lab)
    counts = candidates.key_counts()

    def lookup(table: Mapping[str, str], lab: _Label) -> str | None:
        for k in (lab.name.casefold(), lab.key):
            if k in table:
                return table[k]
        return None

    def name_like(lab: _Label) -> bool:
        words = lab.base.split()
        return (len(words) <= 3 and lab.key not in META_LABELS
                and all(w[0].isupper() or w[0].isdigit() for w in words))

    def mapped(lab: _Label) -> bool:
        return lookup(folded, lab) is not None or lookup(legend, lab) is not None

    def confirmed(lab: _Label) -> bool:
        if mapped(lab):
            return True
        if lab.key in META_LABELS:
            return False
        return bool((lab.timestamp and name_like(lab)) or _is_interviewer_word(lab.base) or counts[lab.key] >= 2
                    or lab.key.split()[0] in HONORIFICS or (lab.role and _describes_interviewer(lab.role)))

    def content(i: int, lab: _Label) -> str:
        return text[lab.content_start:lines.end(i)].strip() if lab.content_start else ""

    def id_like(i: int, lab: _Label) -> bool:
        """``Informan: N04 (perawat, 34 th)``."""
        said = content(i, lab)
        return bool(re.match(_ID.pattern + r"\b", said)) and len(said.split()) <= 8

    def field_like(i: int, lab: _Label) -> bool:
        """``Pewawancara: Ns. Dewi``: a few words, no sentence."""
        said = content(i, lab)
        return bool(said) and (id_like(i, lab) or (
            len(said.split()) <= 6 and not said.endswith((".", "?", "!", "…", '"', "”"))))

    # a header block: the lines before the first label that opens a sentence, when they hold a title, a date or
    # another header field, e.g. `Transkrip ...` / `Pewawancara: Ns. Dewi` / `Informan: N04 (...)`
    first_sentence = next((i for i, c in candidates.items() if not field_like(i, c)), len(lines))  # ascending
    marked = any(lines[j].strip() and (j in legend_lines or j not in candidates
                                       or candidates[j].key in META_LABELS or id_like(j, candidates[j]))
                 for j in range(first_sentence))
    header = set()
    for i, c in candidates.items():
        if i >= first_sentence:
            break
        if marked or id_like(i, c):
            header.add(i)

    nonblank = sum(1 for i, ln in enumerate(lines) if i not in legend_lines and ln.strip())
    dialogue = len(candidates) >= 2 and len(candidates) >= 0.5 * nonblank
    begin = next((i for i, c in candidates.items() if i not in header and confirmed(c)), None)
    if begin is None:
        begin = max(header, default=-1) + 1

    # which candidates start a turn: a flag per candidate (1), not a dict of a million labels
    labelled = bytearray(len(candidates))
    kept: dict[int, _Label] = {}
    for p, (i, c) in enumerate(candidates.items()):
        if i < begin:
            continue  # a header: title, date, `Informan: N04 (...)`
        if confirmed(c):
            labelled[p] = 1
        elif dialogue and name_like(c) and c.key not in DISCOURSE_LABELS and (
                c.timestamp or c.role or (c.content_start is not None and not text[c.content_start].islower())):
            labelled[p] = 1
        elif name_like(c) and c.content_start is not None:
            kept[i] = c
    # a label with its text below needs that text: `Name:` alone followed by another label is no turn
    for p in range(len(candidates)):
        if labelled[p] and candidates.content[p] < 0:
            i = candidates.index[p]
            nxt = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            q = None if nxt is None else candidates.position(nxt)
            if nxt is None or (q is not None and labelled[q]):
                labelled[p] = 0

    def labelled_labels() -> Iterator[tuple[int, _Label]]:
        """(line index, label) of the lines that start a turn, in order."""
        for p in range(len(candidates)):
            if labelled[p]:
                yield candidates.index[p], candidates.at(p)

    def labelled_forms() -> Iterator[_Label]:
        """One label per distinct way a turn-starting label is written, in order of first appearance."""
        seen: set[int] = set()
        for p in range(len(candidates)):
            if labelled[p] and candidates.form[p] not in seen:
                seen.add(candidates.form[p])
                yield candidates.at(p)

    placed: dict[str, tuple[str | None, bool]] = {}
    for c in labelled_forms():
        target = lookup(folded, c)
        if target is None:
            target = lookup(legend, c)
        if target == INTERVIEWER or (target is None and (
                _is_interviewer_word(c.base) or _is_interviewer_word(c.name)
                or (c.role and _describes_interviewer(c.role)))):
            placed[c.name] = (None, True)
        elif target:
            placed[c.name] = (target, False)
        elif target == "":  # the legend says informant, without an id
            placed[c.name] = ("", False)
        else:
            placed.setdefault(c.name, ("?", False))
    base = {c.name: c.key for c in labelled_forms()}
    # `Bu Ani` and `Bu Ani (tertawa)` are one speaker when it comes to being the only one besides the interviewer
    others = sorted({base[n] for n, (pid, iv) in placed.items() if not iv and pid in ("", "?")})
    any_interviewer = any(iv for _, iv in placed.values())

    def resolve(name: str | None) -> tuple[str | None, bool]:
        if name is None:
            return None, False
        pid, interviewer = placed[name]
        if interviewer:
            return None, True
        if pid in ("", "?"):
            named = [n for n, (p, iv) in placed.items() if not iv and p not in ("", "?")]
            # a single letter gets the informant's id only by elimination, once the interviewer is known
            if participant and len(others) == 1 and not named and not (
                    pid == "?" and name.strip(" .").casefold() in AMBIGUOUS_LABELS and not any_interviewer):
                return participant, False
            return None, False
        return pid, False

    # Turn objects for a short text; past SHORT_TURNS in arrays (Turns): a long dialogue has a million turns
    turns: list[Turn] | Turns = []
    cur: dict | None = None

    def close() -> None:
        nonlocal cur, turns
        if cur is not None and cur["start"] is not None and cur["end"] > cur["start"]:
            pid, interviewer = resolve(cur["speaker"])
            if isinstance(turns, Turns):
                turns.append(cur["start"], cur["end"], cur["speaker"], pid, interviewer, cur["ts"])
            else:
                turns.append(Turn(cur["start"], cur["end"], cur["speaker"], pid, interviewer, cur["ts"]))
                if len(turns) > SHORT_TURNS:
                    turns = Turns(turns)
        cur = None

    blank_before = True
    p, n_cands = 0, len(candidates)  # the next candidate at or after line i
    for i, line in enumerate(lines):
        if not line.strip():
            blank_before = True
            continue
        start = lines.start(i)
        while p < n_cands and candidates.index[p] < i:
            p += 1
        lab = candidates.at(p) if p < n_cands and candidates.index[p] == i and labelled[p] else None
        end = start + len(line.rstrip())
        first = start + len(line) - len(line.lstrip())
        if lab is not None:
            close()
            cur = {"start": lab.content_start, "end": end if lab.content_start is not None else 0,
                   "speaker": lab.name, "ts": lab.timestamp}
        elif cur is not None and cur["start"] is None:
            cur["start"], cur["end"] = first, end  # the text under `Name  0:07`
        elif cur is None:
            cur = {"start": first, "end": end, "speaker": None, "ts": None}
        elif cur["speaker"] is not None and (i in legend_lines or (blank_before and not continuation)):
            close()
            cur = {"start": first, "end": end, "speaker": None, "ts": None}
        else:
            cur["end"] = end
        blank_before = False
    close()

    notes: list[SpeakerNote] = []
    first_line: dict[str, int] = {}
    n_turns = Counter(t.speaker for t in turns if t.speaker)
    for i, c in labelled_labels():
        first_line.setdefault(c.name, i + 1)
    spoken = [n for n in first_line if n_turns[n]]
    unplaced = [n for n in spoken if n.strip(" .").casefold() in AMBIGUOUS_LABELS and placed[n] == ("?", False)
                and resolve(n) == (None, False)]
    for name in unplaced:
        notes.append(SpeakerNote(first_line[name], "unplaced", (name,), (
            f"speaker label {name!r} ({n_turns[name]} turn(s)) not placed: a single letter means the interviewer in "
            "one convention and the informant in another (P = Peneliti or Participant, I = Interviewer or "
            f"Informan, R = Researcher or Responden); its turns count as an unidentified informant's. Set it with "
            f"--interviewer {name} or --speaker '{name}=ID', the manifest's speakers column, or a legend line in "
            f"the file (Keterangan: {name} = Peneliti)")))
    if continuation and len(spoken) >= 2 and not any(resolve(n)[1] for n in spoken) and not all(
            resolve(n)[0] for n in spoken):
        generic = [n for n in spoken if n not in unplaced and not resolve(n)[0]]
        if generic:
            unplaced.extend(generic)
            names = ", ".join(repr(n) for n in generic)
            notes.append(SpeakerNote(first_line[generic[0]], "no_interviewer", tuple(generic), (
                f"no interviewer among the speakers {names}: all their turns count as informants' speech; if one "
                f"of them asks the questions, set it with --interviewer LABEL (or --speaker 'LABEL=interviewer', "
                "the manifest's speakers column, a legend line)")))
    for i, c in sorted(kept.items()):
        notes.append(SpeakerNote(
            i + 1, "kept_as_text", (c.name,),
            f"{c.name + ':'!r} looks like a speaker label but was kept as text (used once"
            f"{'' if dialogue else ', in a text whose lines mostly do not open with a label'}); "
            f"to make it a speaker: --speaker '{c.name}=ID' or --interviewer '{c.name}'"))
    notes.sort(key=lambda n: n.line)
    return TurnAnalysis(turns if isinstance(turns, Turns) else tuple(turns), dict(legend_raw), tuple(unplaced),
                        tuple(notes))


#: up to this many turns a document's turns are a tuple of Turn objects, beyond it Turns (arrays)
SHORT_TURNS = 256


# --------------------------------------------------------------------------- subtitles

_CUE_TIME = re.compile(r"(?P<start>(?:\d{1,2}:)?\d{2}:\d{2}[.,]\d{3})\s*-->\s*(?:(?:\d{1,2}:)?\d{2}:\d{2}[.,]\d{3})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]+>")
_CUE_LABEL = re.compile(rf"(?:-|>>)?[ \t]*(?:(?P<name>{_WORDS})(?:[ \t]*\((?P<role>[^()\n:]{{1,40}})\))?[ \t]*:[ \t]+"
                        r"|\[(?P<bracket>[^\]\n:]{1,40})\][ \t]*:?[ \t]*)")


def subtitles_to_text(raw: str, path: str) -> str:
    """WebVTT or SRT cues -> ``Speaker (hh:mm:ss): text`` lines, consecutive cues of one speaker merged.

    The speaker comes from a ``<v Name>`` voice tag (Teams, WebVTT) or a ``Name:`` / ``Name (Role):`` opening the
    cue text (Zoom); a cue without one continues nothing and stands as text without a speaker.
    """
    blocks = re.split(r"\n\s*\n", normalise(raw))
    merged: list[list] = []  # [speaker, timestamp, [texts]]
    found_cue = False
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip()]
        idx = next((i for i, ln in enumerate(lines) if _CUE_TIME.search(ln)), None)
        if idx is None:
            continue  # header, NOTE, STYLE or REGION block
        found_cue = True
        ts = _CUE_TIME.search(lines[idx]).group("start").replace(",", ".").split(".")[0]
        if ts.count(":") == 1:
            ts = "00:" + ts
        speaker = None
        parts = []
        for ln in lines[idx + 1:]:
            m = _VOICE.search(ln)
            if m:
                speaker = m.group("name").strip()
            ln = _TAG.sub("", ln).strip()
            if speaker is None:
                lab = _CUE_LABEL.match(ln)
                if lab and lab.end() < len(ln):
                    role = (lab.group("role") or "").strip()
                    speaker = (lab.group("name") or lab.group("bracket")).strip() + (f" ({role})" if role else "")
                    ln = ln[lab.end():]
            if ln:
                parts.append(ln)
        if not parts:
            continue
        if merged and merged[-1][0] == speaker:
            merged[-1][2].extend(parts)
        else:
            merged.append([speaker, ts, parts])
    if not found_cue:
        raise InputError("no subtitle cues found (expected `00:00:01.000 --> 00:00:04.000` lines)", path=path)
    out = []
    for speaker, ts, parts in merged:
        body = " ".join(parts)
        out.append(f"{speaker} ({ts}): {body}" if speaker else body)
    return "\n\n".join(out)


# --------------------------------------------------------------------------- files

#: header names of a transcript laid out as a table (lower-cased)
SPEAKER_HEADERS = frozenset({"pembicara", "penutur", "speaker", "nama", "name", "who", "siapa", "partisipan",
                             "participant", "speaker name", "nama pembicara", "role", "peran"})
TEXT_HEADERS = frozenset({"transkrip", "transkripsi", "teks", "text", "isi", "ucapan", "tuturan", "percakapan",
                          "dialog", "dialogue", "transcript", "transcription", "utterance", "kutipan", "content",
                          "pernyataan", "jawaban", "says", "speech"})
TIME_HEADERS = frozenset({"waktu", "time", "timestamp", "time stamp", "jam", "menit", "timecode", "time code",
                          "start", "mulai", "durasi", "tc"})


def _bold(run) -> bool:
    return bool(run.bold) or (run.style is not None and run.style.name in ("Strong", "Bold"))


def _bold_lead(paragraph) -> tuple[str, str] | None:
    """(name, rest) when a paragraph opens with a short bold name and goes on in plain text without a colon."""
    text = paragraph.text
    lead = ""
    for run in paragraph.runs:
        if not run.text.strip() and lead:
            lead += run.text
            continue
        if not _bold(run):
            break
        lead += run.text
    name = lead.strip()
    rest = text[len(lead):] if text.startswith(lead) else ""
    if (not name or not rest.strip() or name.endswith(":") or rest.lstrip().startswith(":")
            or len(name) > 40 or len(name.split()) > 5 or not name[0].isalpha()):
        return None
    return name, rest.strip()


def _docx_paragraphs(paragraphs: list) -> list[str]:
    """Paragraph texts; a bold speaker name opening a paragraph (``**Ratna** Baik, Bu.``) gets its colon
    (``Ratna: Baik, Bu.``) when the same bold name opens another paragraph too, or it is an interviewer word or
    opens with an honorific, so that a word set in bold for emphasis stays as it is."""
    leads = [_bold_lead(p) for p in paragraphs]
    seen = Counter(lead[0].casefold() for lead in leads if lead)
    out = []
    for p, lead in zip(paragraphs, leads, strict=True):
        if lead and (seen[lead[0].casefold()] >= 2 or _is_interviewer_word(lead[0])
                     or lead[0].split()[0].casefold() in HONORIFICS):
            out.append(f"{lead[0]}: {lead[1]}")
        else:
            out.append(p.text)
    return out


def _transcript_table(rows: list[list[str]]) -> list[str] | None:
    """``Speaker: text`` paragraphs from a table with a speaker and a text column (time and number columns
    optional), recognised by its header row (Indonesian or English) or by its shape; None for other tables."""
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return None
    head = [c.strip().strip(":").casefold() for c in rows[0]]

    def column(names: frozenset[str], taken: tuple[int | None, ...] = ()) -> int | None:
        exact = next((i for i, h in enumerate(head) if h in names and i not in taken), None)
        return exact if exact is not None else next(
            (i for i, h in enumerate(head) if i not in taken and set(re.findall(r"\w+", h)) & names), None)

    sp = column(SPEAKER_HEADERS)
    tx = column(TEXT_HEADERS, (sp,))
    tm = column(TIME_HEADERS, (sp, tx))
    body = rows[1:]
    if sp is None or tx is None or sp == tx:
        # no header: a column of short repeated labels beside a column of long text
        body = rows
        width = min(len(r) for r in rows)
        cols = [[r[i].strip() for r in rows] for i in range(width)]
        is_ts = [all(re.fullmatch(rf"[\[(]?{_TS}[\])]?", v) or not v for v in col) for col in cols]
        is_num = [all(re.fullmatch(r"\d{1,5}\.?", v) or not v for v in col) for col in cols]
        short = [not is_ts[i] and not is_num[i] and all(len(v) <= 40 and len(v.split()) <= 5 for v in col)
                 and all(not v or v[0].isalpha() for v in col) and len({v for v in col if v}) < len(rows)
                 for i, col in enumerate(cols)]
        sp = next((i for i in range(width) if short[i]), None)
        lengths = [sum(len(v) for v in col) / len(col) for col in cols]
        tx = max((i for i in range(width) if i != sp and not is_ts[i] and not is_num[i]), key=lambda i: lengths[i],
                 default=None)
        if sp is None or tx is None or lengths[tx] < 2 * lengths[sp]:
            return None
        tm = next((i for i in range(width) if is_ts[i] and any(col for col in cols[i])), None)
    out = []
    for r in body:
        speaker = r[sp].strip() if sp < len(r) else ""
        said = " ".join(r[tx].split()) if tx < len(r) else ""
        ts = r[tm].strip().strip("[]()") if tm is not None and tm < len(r) else ""
        if re.fullmatch(r"\d{1,2}\.\d{2}(?:\.\d{2})?", ts):  # 00.01.02, as Indonesian tables often write it
            ts = ts.replace(".", ":")
        if not said:
            continue
        if speaker:
            speaker = speaker.rstrip(":").strip()
            ts = ts if re.fullmatch(_TS, ts) else ""
            out.append(f"{speaker} ({_norm_ts(ts)}): {said}" if ts else f"{speaker}: {said}")
        else:
            out.append(said)
    return out


def read_docx(data: bytes, path: str, *, transcript: bool = False) -> str:
    """The text of a .docx file: paragraphs, then table rows joined with `` | ``.

    With ``transcript`` the body is read in order, a bold speaker name opening a paragraph is followed by a
    colon, and a table with a speaker and a text column becomes one ``Speaker: text`` paragraph per row.
    """
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not a readable .docx file ({exc.__class__.__name__})", path=path) from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises assorted errors on broken packages
        raise InputError(f"not a readable .docx file ({exc})", path=path) from None
    if not transcript:
        paragraphs = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                paragraphs.append(" | ".join(cell.text for cell in row.cells))
        return "\n\n".join(p for p in paragraphs if p.strip())
    from docx.table import Table

    blocks = list(document.iter_inner_content())
    texts = iter(_docx_paragraphs([b for b in blocks if not isinstance(b, Table)]))
    paragraphs = []
    for block in blocks:
        if isinstance(block, Table):
            rows = []
            for row in block.rows:
                cells, seen = [], set()
                for cell in row.cells:  # a merged cell is listed once per grid column it spans
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        cells.append(cell.text)
                rows.append(cells)
            turns = _transcript_table(rows)
            paragraphs.extend(turns if turns is not None else (" | ".join(r) for r in rows))
        else:
            paragraphs.append(next(texts))
    return "\n\n".join(p for p in paragraphs if p.strip())


@dataclass(frozen=True)
class FileMeta:
    """What the user (a manifest row or command options) says about a file."""

    participant: str | None = None
    role: str | None = None
    source_type: str | None = None
    language: str | None = None
    date: str | None = None
    speakers: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)
    origin: str | None = None  # "manifest.csv:4", for messages


@dataclass(frozen=True)
class TableOptions:
    """How to read a .csv/.xlsx file whose rows are documents."""

    text_column: str | tuple[str, ...] = "text"  # one column, or several: one document per column and row
    id_column: str | None = None
    participant_column: str | None = None
    attribute_columns: tuple[str, ...] | None = None  # None: every other column

    @property
    def text_columns(self) -> tuple[str, ...]:
        cols = (self.text_column,) if isinstance(self.text_column, str) else tuple(self.text_column)
        return tuple(dict.fromkeys(cols)) or ("text",)


@dataclass
class ReadResult:
    documents: list[Document]  # an iterator from stream_path/iter_table
    warnings: list[str]
    #: per document name: speaker labels that could not be placed (single letters no legend or mapping explains,
    #: or all speakers of an interview when none is the interviewer); see analyse_turns
    unplaced: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: per document name: the doubtful points about its speakers (the same ones as in ``warnings``), structured
    notes: dict[str, tuple[SpeakerNote, ...]] = field(default_factory=dict)


#: source types whose unlabelled paragraphs continue the previous speaker's turn
CONVERSATIONS = TRANSCRIPT_TYPES
#: source types whose speakers are checked and reported (rows and documents have no speakers to speak of)
SPOKEN = CONVERSATIONS + ("observation",)


def read_path(path: Path, meta: FileMeta, *, name: str | None = None, table: TableOptions | None = None,
              limits: Limits | None = None) -> ReadResult:
    """Read one file into documents (one for text files, one per row for tables)."""
    result = stream_path(path, meta, name=name, table=table, limits=limits)
    result.documents = list(result.documents)
    return result


def stream_path(path: Path, meta: FileMeta, *, name: str | None = None, table: TableOptions | None = None,
                limits: Limits | None = None, ids: MutableMapping[str, int] | None = None) -> ReadResult:
    """:func:`read_path` with the documents of a table as an iterator (see :func:`iter_table`): an import can
    write them in batches as they are read."""
    label = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unknown file type {suffix or '(none)'}; expected one of {', '.join(SUFFIXES)}",
                         path=label)
    limits = limits or current_limits()
    data = read_bytes(path, limits=limits)
    if not data or data.isspace():  # (strip() would copy a long file)
        raise InputError("empty file", path=label)
    if suffix in TABLE_SUFFIXES:
        return iter_table(path, data, meta, table or TableOptions(), limits=limits, ids=ids)
    warnings: list[str] = []
    lead: int | None = None  # lines of the file before the stored text, when the file is plain text
    if suffix == ".docx":
        check_zip(data, label, limits, kind=".docx (ZIP)")
        raw = read_docx(data, label, transcript=True)
    else:
        raw, warnings = decode(data, label, trim_end=True)
        if suffix in (".vtt", ".srt"):
            raw = subtitles_to_text(raw, label)
        else:  # the blank lines before the stored text, so warnings give the file's own line numbers
            blank = _LEADING_BLANK_LINES.match(raw).group(0)
            lead = blank.count("\n") + blank.count("\r") - blank.count("\r\n")
    del data  # the bytes are not needed beside the text: a long file is held once, not twice
    check_document(len(raw), label, limits)
    text = normalise(raw)
    del raw
    if not text or text.isspace():
        raise InputError("no text in file", path=label)
    doc, more, analysis = _make_document(name or path.stem, text, meta, path=label, lead=lead)
    del text
    return ReadResult(_handed_over([doc]), warnings + more, {doc.name: analysis.unplaced} if analysis.unplaced
                      else {}, {doc.name: analysis.notes} if analysis.notes else {})


def _handed_over(box: list[Document]) -> Iterator[Document]:
    """The document in ``box``, keeping no reference to it once handed over (so a long text can be let go)."""
    while box:
        yield box.pop()


def make_document(name: str, text: str, meta: FileMeta, *, path: str | None) -> tuple[Document, list[str]]:
    doc, warnings, _ = _make_document(name, text, meta, path=path)
    return doc, warnings


def _make_document(name: str, text: str, meta: FileMeta, *, path: str | None,
                   lead: int | None = None) -> tuple[Document, list[str], TurnAnalysis]:
    warnings = []
    source_type = meta.source_type or "interview"
    if source_type_problem(source_type):
        raise InputError(source_type_problem(source_type), path=meta.origin or path, field="source_type")
    language = meta.language
    if language is None:
        language, share = guess_language(text)
        why = f"{share:.0%} of function words" if share else "no function words found; the default"
        warnings.append(f"{path or name}: language not given; guessed {language!r} ({why})")
    elif language not in LANGUAGES:
        raise InputError(f"unknown language {language!r}; expected {'|'.join(LANGUAGES)}",
                         path=meta.origin or path, field="language")
    controls = control_characters(text)
    if controls:  # kept, so that offsets match the source; never printed raw, left out of xlsx/docx/md/html
        found = ", ".join(f"{n} {name}" for name, n in sorted(controls.items(), key=lambda kv: -kv[1]))
        warnings.append(f"{path or name}: control characters kept in the text as they are ({found}); tematik "
                        "does not print them to the terminal and leaves them out of exported reports")
    analysis = analyse_turns(text, speakers=meta.speakers, participant=meta.participant,
                             continuation=source_type in CONVERSATIONS)
    shown = [n for n in analysis.notes if source_type in SPOKEN and (
        n.kind != "no_interviewer" or source_type in ("interview", "focus_group"))]
    analysis = replace(analysis, notes=tuple(shown), unplaced=tuple(
        label for n in shown if n.kind in ("unplaced", "no_interviewer") for label in n.labels))
    if source_type in SPOKEN:
        where = path or name
        for n in shown:
            at = f"{where}:{n.line + lead}" if lead is not None else f"{where}: text line {n.line}"
            warnings.append(f"{at}: {n.message}")
        if source_type in CONVERSATIONS and not any(t.speaker for t in analysis.turns):
            warnings.append(
                f"{where}: no speaker turns found in this {source_type.replace('_', ' ')}: all of its text, "
                "questions included, counts as the informant's speech (expected lines such as `Name: text`, "
                "`[00:01:02] Name: text` or `Name  0:07` above the text; map unusual labels with --speaker or "
                "--interviewer)")
    doc = Document(name=name, text=text, source_type=source_type, language=language, participant=meta.participant,
                   date=meta.date, path=path, turns=analysis.turns, attributes=dict(meta.attributes))
    return doc, warnings, analysis


def read_table(path: Path, data: bytes, meta: FileMeta, opts: TableOptions, *,
               limits: Limits | None = None) -> ReadResult:
    """Rows of a .csv/.xlsx file as documents (e.g. open-ended survey answers).

    One document per row and text column: ``<file>:<id>`` for one text column, ``<file>:<id>:<column>`` for
    several (then the column is also the document attribute ``text_column``). Every other column (or those of
    ``attribute_columns``) becomes a document attribute. Blank answers are counted and reported, not imported.
    """
    result = iter_table(path, data, meta, opts, limits=limits)
    result.documents = list(result.documents)
    return result


def iter_table(path: Path, data: bytes, meta: FileMeta, opts: TableOptions, *,
               limits: Limits | None = None, ids: MutableMapping[str, int] | None = None) -> ReadResult:
    """:func:`read_table` with ``documents`` an iterator that reads the rows as it is consumed (a table of a
    million answers is never held as a million documents). ``warnings`` grows as it goes: a row's warnings are
    there when its document is, those about the whole table when the iterator is spent. Errors about a row
    are raised when it is reached. ``ids``: where the ids seen so far are kept (id -> line; default a dict), so
    a caller can keep a million of them out of memory."""
    warnings: list[str] = []
    return ReadResult(_table_documents(path, data, meta, opts, limits, warnings, {} if ids is None else ids),
                      warnings)


def _table_documents(path: Path, data: bytes, meta: FileMeta, opts: TableOptions, limits: Limits | None,
                     warnings: list[str], seen: MutableMapping[str, int]) -> Iterator[Document]:
    label = str(path)
    limits = limits or current_limits()
    header, rows = iter_rows(path, data, limits=limits, warnings=warnings)
    columns = {c: i for i, c in enumerate(header)}
    text_cols = opts.text_columns
    for option, col in (*(("--text-column", c) for c in text_cols), ("--id-column", opts.id_column),
                        ("--participant-column", opts.participant_column), *(
                            ("--columns", c) for c in (opts.attribute_columns or ()))):
        if col is not None and col not in columns:
            raise InputError(f"unknown column {col!r} (given by {option}); the file has: "
                             f"{_names(header)}", path=label, line=1)
    used = {*text_cols, opts.id_column, opts.participant_column}
    attr_cols = opts.attribute_columns if opts.attribute_columns is not None else tuple(
        c for c in header if c not in used and c)
    several = len(text_cols) > 1
    made = 0
    blank: dict[str, list[int]] = {c: [] for c in text_cols}  # the first lines with a blank answer
    n_blank: dict[str, int] = dict.fromkeys(text_cols, 0)
    guessed = False
    for lineno, row in rows:
        def cell(col: str | None, row=row) -> str:
            if col is None:
                return ""
            i = columns[col]
            return (row[i] if i < len(row) else "").strip()

        texts = {c: normalise(cell(c)) for c in text_cols}
        for c, t in texts.items():
            if not t:
                n_blank[c] += 1
                if len(blank[c]) < 10:
                    blank[c].append(lineno)
        if not any(texts.values()):
            continue
        ident = cell(opts.id_column) if opts.id_column else str(lineno - 1)
        if not ident:
            raise InputError("empty id", path=label, line=lineno, field=opts.id_column)
        first = seen.setdefault(ident, lineno)
        if first != lineno:
            raise InputError(f"duplicate id {ident!r} (also on line {first})", path=label, line=lineno,
                             field=opts.id_column)
        attributes = {**meta.attributes, **{c: cell(c) for c in attr_cols if cell(c)}}
        for col, text in texts.items():
            if not text:
                continue
            check_document(len(text), f"{label}:{lineno}", limits)
            row_meta = replace(
                meta, source_type=meta.source_type or "response",
                participant=cell(opts.participant_column) or meta.participant,
                attributes={**attributes, "text_column": col} if several else attributes)
            name = f"{path.stem}:{ident}:{col}" if several else f"{path.stem}:{ident}"
            doc, more = make_document(name, text, row_meta, path=f"{label}:{lineno}")
            if more and not guessed:  # the language guess of the first row stands for the table
                warnings.extend(more[:1])
                guessed = True
            made += 1
            yield doc
    for col, lines in blank.items():
        if lines:
            n = n_blank[col]
            shown = ", ".join(map(str, lines[:10])) + (f" and {n - 10} more" if n > 10 else "")
            warnings.append(f"{label}: {n} blank answer(s) in column {col!r} not imported "
                            f"(line{'s' if n > 1 else ''} {shown})")
    if not made:
        raise InputError(f"no rows with text in column{'s' if several else ''} "
                         f"{', '.join(map(repr, text_cols))}", path=label)


def _names(header: list[str], width: int = 200) -> str:
    """Column names for a message, shortened so a garbage header cannot make a page-long error line."""
    text = ", ".join(header)
    return text if len(text) <= width else text[:width] + f"... ({len(header)} columns)"


def read_rows(path: Path, data: bytes, *, limits: Limits | None = None
              ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows of a .csv or .xlsx file, all cells as strings.

    CSV is read as RFC 4180 (quoted fields may hold the delimiter, newlines and doubled quotes ``""``); the
    delimiter (comma, semicolon or tab) is taken from the header line alone. Line numbers are the line where a
    row starts in an editor (CSV) or its row number in the sheet (.xlsx). Blank rows are passed over.
    """
    header, rows = iter_rows(path, data, limits=limits)
    return header, list(rows)


def iter_rows(path: Path, data: bytes, *, limits: Limits | None = None, warnings: list[str] | None = None
              ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """:func:`read_rows` with the data rows as an iterator, read as they are consumed (a table of a million
    answers is never held as a list of rows beside the documents made from it)."""
    label = str(path)
    limits = limits or current_limits()
    raw = _xlsx_rows(data, label, limits) if path.suffix.lower() == ".xlsx" else _csv_rows(data, label, warnings)
    numbered = ((n, r) for n, r in raw if any(c.strip() for c in r))
    first = next(numbered, None)
    if first is None:
        raise InputError("no rows", path=label)
    hline, header = first
    header = [h.strip() for h in header]
    dupes = [h for h, n in Counter(header).items() if n > 1 and h]
    if dupes:
        raise InputError(f"duplicate column {dupes[0][:60]!r}", path=label, line=hline)

    def counted() -> Iterator[tuple[int, list[str]]]:
        for n, row in enumerate(numbered, start=1):
            if n > limits.rows:
                check_rows(n, label, limits)
            yield row

    return header, counted()


def _xlsx_rows(data: bytes, label: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    check_zip(data, label, limits, kind=".xlsx (ZIP)", streamed=XLSX_STREAMED)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        raise InputError(f"not a readable .xlsx file ({exc.__class__.__name__})", path=label) from None
    try:
        if not wb.worksheets:
            raise InputError("the workbook has no sheets", path=label)
        for i, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
            yield i, ["" if v is None else _cell_text(v) for v in r]
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML
        raise InputError(f"not a readable .xlsx file ({exc.__class__.__name__}: {exc})", path=label) from None
    finally:
        wb.close()


def _csv_rows(data: bytes, label: str, warnings: list[str] | None) -> Iterator[tuple[int, list[str]]]:
    text, how = decode(data, label)
    if warnings is not None:
        warnings.extend(how)
    text = normalise(text)
    reader = csv.reader(_lines(text), delimiter=_delimiter(text), quotechar='"', doublequote=True,
                        skipinitialspace=False, strict=True)
    start = 1
    try:
        for r in reader:
            yield start, r
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV in the row starting here ({exc}); quote fields that hold the "
                         "delimiter, a quote or a line break, and double quotes inside them (\"\")",
                         path=label, line=start) from None


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ``\\n``, one at a time (``io.StringIO`` would hold a 4-byte-per-character
    copy of the whole text)."""
    i, n = 0, len(text)
    while i < n:
        j = text.find("\n", i)
        j = n if j < 0 else j + 1
        yield text[i:j]
        i = j


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if str(value).endswith("00:00:00") else value.isoformat()
    return str(value)


DELIMITERS = (",", ";", "\t")


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text: whichever of comma, semicolon and tab occurs most often, outside quotes,
    in its header (first non-blank) line; a comma when none does. Never guessed from the data rows, whose
    free text is full of commas and semicolons."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    started = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch == "\n":
                if started:
                    break
                continue
            if ch in counts:
                counts[ch] += 1
        if not ch.isspace():
            started = True
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# --------------------------------------------------------------------------- manifests and paths

@dataclass(frozen=True)
class ManifestRow:
    path: Path
    meta: FileMeta


def read_manifest(path: Path) -> dict[Path, FileMeta]:
    """A manifest CSV: ``file,participant,role,source_type,language,date,speakers`` plus attribute columns.

    ``file`` is relative to the manifest's folder. Returns {resolved file path: FileMeta}.
    """
    label = str(path)
    data = read_bytes(path, what="manifest")
    header, rows = read_rows(path, data)
    if "file" not in header:
        raise InputError("manifest has no `file` column", path=label, line=1)
    extra = [c for c in header if c and c not in MANIFEST_COLUMNS]
    out: dict[Path, FileMeta] = {}
    base = path.parent
    for lineno, row in rows:
        cells = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(header)}
        where = f"{label}:{lineno}"
        if not cells["file"]:
            raise InputError("empty file name", path=label, line=lineno, field="file")
        target = (base / cells["file"]).resolve()
        if not target.exists():
            raise InputError(f"file {cells['file']!r} does not exist (looked in {base})", path=label, line=lineno,
                             field="file")
        if not target.is_file():
            raise InputError(f"{cells['file']!r} is not a regular file", path=label, line=lineno, field="file")
        if target in out:
            raise InputError(f"file {cells['file']!r} listed twice", path=label, line=lineno, field="file")
        st = cells.get("source_type") or None
        if st and source_type_problem(st):
            raise InputError(source_type_problem(st), path=label, line=lineno, field="source_type")
        lang = cells.get("language") or None
        if lang and lang not in LANGUAGES:
            raise InputError(f"unknown language {lang!r}; expected {'|'.join(LANGUAGES)}", path=label,
                             line=lineno, field="language")
        out[target] = FileMeta(
            participant=cells.get("participant") or None, role=cells.get("role") or None, source_type=st,
            language=lang, date=check_date(cells.get("date"), path=label, line=lineno),
            speakers=parse_speakers(cells.get("speakers"), path=label, line=lineno),
            attributes={c: cells[c] for c in extra if cells.get(c)}, origin=where)
    return out


def check_date(value: str | None, *, path: str | None = None, line: int | None = None,
               field: str = "date") -> str | None:
    """A real calendar date written ``YYYY-MM-DD`` (a spreadsheet's date-time at midnight is accepted too);
    anything else, including day/month orders that cannot be told apart (03/04/2024), is one error."""
    if value is None or not value.strip():
        return None
    v = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00)?)?", v)
    if m:
        try:
            return datetime.date(*map(int, m.groups())).isoformat()
        except ValueError as exc:
            raise InputError(f"{v!r} is not a real date ({exc})", path=path, line=line, field=field) from None
    raise InputError(f"{v!r} is not a date written YYYY-MM-DD (e.g. 2024-03-21)", path=path, line=line,
                     field=field)


#: editor lock and backup files: Word/Excel owner files, LibreOffice locks, Emacs/Vim leftovers
_LOCK_FILE = re.compile(r"^(~\$.*|\.~lock\..*#|~.*\.tmp|\.#.*|.*~|\..*\.sw[po])$", re.IGNORECASE)


@dataclass
class Scan:
    """What :func:`scan_paths` found: files to read, and what it passed over with why (for notes)."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    unlisted: list[Path] = field(default_factory=list)  # importable files under the folders a manifest omits
    other_types: Counter = field(default_factory=Counter)  # suffix -> files of types tematik does not read

    def notes(self, manifest: str | None = None) -> list[str]:
        lines = [f"skipped {p}: {why}" for p, why in self.skipped]
        if self.unlisted:
            shown = ", ".join(map(str, self.unlisted[:20])) + (
                f" and {len(self.unlisted) - 20} more" if len(self.unlisted) > 20 else "")
            lines.append(f"not imported ({len(self.unlisted)} file(s) in the folders but not listed in "
                         f"{manifest or 'the manifest'}; add them to it or name them to import them): {shown}")
        if self.other_types:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(self.other_types.items()))
            lines.append(f"passed over {sum(self.other_types.values())} file(s) of other types: {kinds}")
        return lines


def scan_paths(paths: Iterable[Path], *, only: Iterable[Path] | None = None,
               limits: Limits | None = None) -> Scan:
    """The files named and the importable files inside the folders named (recursively, sorted).

    Only regular files are read. Inside folders: a symbolic link is followed only to a regular file inside the
    same named folder (never out of it, never to a folder); hidden files and folders, editor lock files
    (``~$x.docx``, ``.~lock.x.docx#``), README/LICENSE files and tables (.csv/.xlsx: give those by name) are
    passed over with a note; a folder that cannot be read is a note, not an error. With ``only`` (a
    manifest's files) a folder contributes just the listed files, and the importable files it does not list
    are reported in ``unlisted``. Files named on the command line are read as named (symbolic links included).
    """
    limits = limits or current_limits()
    listed = {p.resolve() for p in only} if only is not None else None
    scan = Scan()
    seen: set[Path] = set()

    def add(f: Path, real: Path) -> None:
        if real in seen:
            scan.skipped.append((str(f), "the same file is already in this import"))
            return
        seen.add(real)
        scan.files.append(f)
        if len(scan.files) > limits.files:
            raise refuse(f"more than {limits.files:,} files to import", "files", limits.files, path=str(f))

    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            raise InputError("no such file or folder", path=str(p)) from None
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror or exc})", path=str(p)) from None
        if stat.S_ISDIR(st.st_mode):
            root = p.resolve()
            if root == Path(root.anchor):
                raise InputError("refusing to search the whole file system; name the folder that holds the "
                                 "transcripts", path=str(p))
            if any(root == s or root.is_relative_to(s) for s in _SYSTEM_FOLDERS):
                raise InputError("refusing to search a system folder (its files are not documents and some "
                                 "never end)", path=str(p))
            _walk(p, root, listed, scan, add)
        elif stat.S_ISREG(st.st_mode):
            add(p, p.resolve())
        else:
            raise InputError("not a regular file or folder (a device, pipe or socket)", path=str(p))
    return scan


#: kernel and device pseudo-file systems: never searched (reading /proc/kmsg blocks, /dev/zero never ends)
_SYSTEM_FOLDERS = tuple(Path(p) for p in ("/proc", "/sys", "/dev"))


def _walk(folder: Path, root: Path, listed: set[Path] | None, scan: Scan, add) -> None:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        scan.skipped.append((str(folder), f"cannot read this folder ({exc.strerror or exc})"))
        return
    for e in entries:
        f = Path(e.path)
        name = e.name
        if _LOCK_FILE.match(name):
            scan.skipped.append((str(f), "editor lock or backup file"))
            continue
        if name.startswith("."):
            scan.skipped.append((str(f), f"hidden {'folder' if e.is_dir(follow_symlinks=False) else 'file'}"))
            continue
        try:
            if e.is_symlink():
                try:
                    real = f.resolve(strict=True)
                except (OSError, RuntimeError):
                    scan.skipped.append((str(f), "symbolic link to nothing"))
                    continue
                if not real.is_relative_to(root):
                    scan.skipped.append((str(f), f"symbolic link out of the folder (to {real}); not followed"))
                    continue
                if not real.is_file():
                    scan.skipped.append((str(f), "symbolic link to a folder or special file; not followed"))
                    continue
            elif e.is_dir(follow_symlinks=False):
                _walk(f, root, listed, scan, add)
                continue
            elif not e.is_file(follow_symlinks=False):
                scan.skipped.append((str(f), "not a regular file (a device, pipe or socket)"))
                continue
            else:
                real = f.resolve()
        except OSError as exc:
            scan.skipped.append((str(f), f"cannot read ({exc.strerror or exc})"))
            continue
        suffix = f.suffix.lower()
        if listed is not None:
            if real in listed:
                add(f, real)
            elif suffix in TEXT_SUFFIXES and not name.lower().startswith(("readme", "license")):
                scan.unlisted.append(f)
            continue
        if suffix in TABLE_SUFFIXES:
            scan.skipped.append((str(f), "tables (.csv/.xlsx) are imported only when named"))
        elif suffix not in TEXT_SUFFIXES:
            scan.other_types[suffix or "(no suffix)"] += 1
        elif name.lower().startswith(("readme", "license")):
            scan.skipped.append((str(f), "README/LICENSE file (name it to import it)"))
        else:
            add(f, real)


def expand_paths(paths: Iterable[Path], *, only: Iterable[Path] | None = None) -> list[Path]:
    """The files :func:`scan_paths` would read (without its notes)."""
    return scan_paths(paths, only=only).files


def attribute_type(values: Iterable[str]) -> str:
    """The narrowest type all non-empty values fit: integer, real, date (ISO), boolean, else text."""
    vals = [v for v in values if v not in (None, "")]
    if not vals:
        return "text"
    if all(re.fullmatch(r"[+-]?\d+", v) for v in vals):
        return "integer"
    if all(re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", v) for v in vals):
        return "real"
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in vals):
        return "date"
    if all(v.lower() in ("true", "false", "yes", "no", "ya", "tidak") for v in vals):
        return "boolean"
    return "text"


# --------------------------------------------------------------------------- bundled data

def bundled_path(package: str, *parts: str) -> Path:
    """A folder or file shipped with tematik (``tematik.corpora`` / ``tematik.codebooks``), installed or not."""
    from importlib import resources

    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        root = None
    candidates = []
    if root is not None:
        candidates.append(Path(str(root.joinpath(*parts) if parts else root)))
    # a source checkout run without installing: <repo>/src/tematik/corpus.py -> <repo>/<corpora|codebooks>
    candidates.append(Path(__file__).resolve().parents[2].joinpath(package.rsplit(".", 1)[-1], *parts))
    for c in candidates:
        if c.exists():
            return c
    raise InputError(f"bundled data {package}/{'/'.join(parts)} is missing from this installation")


def demo_corpus() -> Path:
    return bundled_path("tematik.corpora", "ks-library")
