"""Read transcript files into ``Document`` objects: decoding, normalisation, speaker turns, manifests.

No database here: the CLI reads and validates everything first, then hands the documents to the store, so a
refused call never leaves half an import behind.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tematik.errors import InputError
from tematik.escape import control_characters
from tematik.models import INTERVIEWER, LANGUAGES, SOURCE_TYPES, Document, Turn

TEXT_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")
TABLE_SUFFIXES = (".csv", ".xlsx")
SUFFIXES = TEXT_SUFFIXES + TABLE_SUFFIXES

#: speaker labels that mean the person asking (lower-cased); a manifest can map any other label to `interviewer`
INTERVIEWER_LABELS = frozenset({
    "pewawancara", "peneliti", "penanya", "interviewer", "researcher", "moderator", "fasilitator", "facilitator",
    "i", "q", "int", "tanya",
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
    """The one normal form every offset points into: NFC, ``\\n`` line endings, no BOM, no trailing blanks."""
    text = text.replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def decode(data: bytes, path: str) -> tuple[str, list[str]]:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252 with a warning."""
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", path), warnings
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path), warnings
    if b"\x00" in data:
        raise InputError("binary file (contains NUL bytes); expected text", path=path)
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot decode as UTF-8 or cp1252 (byte {exc.start})", path=path) from None
    warnings.append(f"{path}: not UTF-8; read as Windows-1252 (cp1252): check accented characters")
    return text, warnings


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid {encoding} at byte {exc.start}", path=path) from None


def read_bytes(path: str | Path, *, what: str = "file", error: type[InputError] = InputError) -> bytes:
    """A user-named file's bytes; a missing or unreadable file is one ``error`` naming it."""
    try:
        return Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise error(f"no such {what}", path=str(path)) from None
    except OSError as exc:
        raise error(f"cannot read {what} ({exc.strerror})", path=str(path)) from None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- language

_ID_WORDS = frozenset(
    "yang dan di ini itu dengan untuk tidak ada saya kami kita dari ke dalam akan juga sudah bisa atau karena "
    "pada jadi kalau seperti lebih sangat mereka apa bagaimana tapi tetapi belum harus ya nya bapak ibu".split())
_EN_WORDS = frozenset(
    "the and of to in is that it for on with as was are be this have not but they we you at by from or an "
    "what so there their would about which when do if very".split())


def guess_language(text: str) -> tuple[str, float]:
    """Indonesian or English from function-word counts; returns (language, share of the winner's hits)."""
    words = re.findall(r"[a-z]+", text.lower()[:20000])
    n_id = sum(w in _ID_WORDS for w in words)
    n_en = sum(w in _EN_WORDS for w in words)
    if n_id + n_en == 0:
        return "id", 0.0
    lang = "id" if n_id >= n_en else "en"
    return lang, max(n_id, n_en) / (n_id + n_en)


# --------------------------------------------------------------------------- speaker turns

_BRACKET = re.compile(r"\[(?P<name>[^\]\n]{1,40})\][ \t]*:?[ \t]*")
_TIMED = re.compile(
    r"(?P<name>[^\W\d_][^:\n()\[\]]{0,38}?)[ \t]*\((?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\)[ \t]*:[ \t]*")
_PLAIN = re.compile(r"(?P<name>[^\W\d_](?:[\w.'’-]*)(?:[ \t][\w.'’-]+){0,4}?)[ \t]*:[ \t]+")


@dataclass
class _Label:
    line_start: int
    content_start: int
    name: str
    timestamp: str | None
    strong: bool  # timestamped labels are speakers whatever else is true


def _label_at(line: str, offset: int) -> _Label | None:
    for rx, strong in ((_TIMED, True), (_BRACKET, False), (_PLAIN, False)):
        m = rx.match(line)
        if m and m.end() < len(line):
            name = m.group("name").strip()
            ts = m.groupdict().get("ts")
            return _Label(offset, offset + m.end(), name, ts, strong)
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


def detect_turns(text: str, *, speakers: Mapping[str, str] | None = None, participant: str | None = None,
                 continuation: bool = True) -> tuple[Turn, ...]:
    """Split normalised text into speaker turns with offsets into ``text``.

    A line opening with ``Name:``, ``[Name]`` or ``Name (00:01:02):`` starts a turn when the label is timestamped,
    mapped in ``speakers``, a known interviewer label, opens with an honorific (Bu, Pak, Mr, ...), or is used as a
    label at least twice in the text (so that "Catatan: ..." once in a field note stays text). With
    ``continuation`` (interviews) unlabelled paragraphs belong to the previous speaker; otherwise (field notes)
    they are narrative turns without a speaker.
    """
    speakers = dict(speakers or {})
    folded = {k.casefold(): v for k, v in speakers.items()}
    lines: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    candidates = {i: _label_at(line, start) for i, (start, line) in enumerate(lines)}
    counts = Counter(c.name.casefold() for c in candidates.values() if c)

    def is_speaker(lab: _Label) -> bool:
        key = lab.name.casefold()
        return (lab.strong or key in folded or key in INTERVIEWER_LABELS or counts[key] >= 2
                or key.split()[0] in HONORIFICS)

    labelled = {i: c for i, c in candidates.items() if c and is_speaker(c)}
    non_interviewer = {c.name for c in labelled.values()
                       if folded.get(c.name.casefold()) != INTERVIEWER and c.name.casefold() not in INTERVIEWER_LABELS}

    def resolve(name: str | None) -> tuple[str | None, bool]:
        if name is None:
            return None, False
        target = folded.get(name.casefold())
        if target == INTERVIEWER or (target is None and name.casefold() in INTERVIEWER_LABELS):
            return None, True
        if target:
            return target, False
        if participant and len(non_interviewer) == 1:
            return participant, False
        return None, False

    turns: list[Turn] = []
    cur: dict | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None and cur["end"] > cur["start"]:
            pid, interviewer = resolve(cur["speaker"])
            turns.append(Turn(start=cur["start"], end=cur["end"], speaker=cur["speaker"], participant=pid,
                              is_interviewer=interviewer, timestamp=cur["ts"]))
        cur = None

    blank_before = True
    for i, (start, line) in enumerate(lines):
        if not line.strip():
            blank_before = True
            continue
        lab = labelled.get(i)
        end = start + len(line.rstrip())
        if lab is not None:
            close()
            cur = {"start": lab.content_start, "end": end, "speaker": lab.name, "ts": lab.timestamp}
        elif cur is None:
            cur = {"start": start + len(line) - len(line.lstrip()), "end": end, "speaker": None, "ts": None}
        elif blank_before and cur["speaker"] is not None and not continuation:
            close()
            cur = {"start": start + len(line) - len(line.lstrip()), "end": end, "speaker": None, "ts": None}
        else:
            cur["end"] = end
        blank_before = False
    close()
    return tuple(turns)


# --------------------------------------------------------------------------- subtitles

_CUE_TIME = re.compile(r"(?P<start>(?:\d{1,2}:)?\d{2}:\d{2}[.,]\d{3})\s*-->\s*(?:(?:\d{1,2}:)?\d{2}:\d{2}[.,]\d{3})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


def subtitles_to_text(raw: str, path: str) -> str:
    """WebVTT or SRT cues -> ``Speaker (hh:mm:ss): text`` lines, consecutive cues of one speaker merged."""
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
                lab = _PLAIN.match(ln)
                if lab:
                    speaker, ln = lab.group("name").strip(), ln[lab.end():]
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

def read_docx(data: bytes, path: str) -> str:
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"not a readable .docx file ({exc.__class__.__name__})", path=path) from None
    except Exception as exc:  # noqa: BLE001 - python-docx raises assorted errors on broken packages
        raise InputError(f"not a readable .docx file ({exc})", path=path) from None
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" | ".join(cell.text for cell in row.cells))
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

    text_column: str = "text"
    id_column: str | None = None
    participant_column: str | None = None
    attribute_columns: tuple[str, ...] | None = None  # None: every other column


@dataclass
class ReadResult:
    documents: list[Document]
    warnings: list[str]


def read_path(path: Path, meta: FileMeta, *, name: str | None = None, table: TableOptions | None = None) -> ReadResult:
    """Read one file into documents (one for text files, one per row for tables)."""
    label = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"unknown file type {suffix or '(none)'}; expected one of {', '.join(SUFFIXES)}",
                         path=label)
    data = read_bytes(path)
    if not data.strip():
        raise InputError("empty file", path=label)
    if suffix in TABLE_SUFFIXES:
        return read_table(path, data, meta, table or TableOptions())
    warnings: list[str] = []
    if suffix == ".docx":
        raw = read_docx(data, label)
    else:
        raw, warnings = decode(data, label)
        if suffix in (".vtt", ".srt"):
            raw = subtitles_to_text(raw, label)
    text = normalise(raw)
    if not text.strip():
        raise InputError("no text in file", path=label)
    doc, more = make_document(name or path.stem, text, meta, path=label)
    return ReadResult([doc], warnings + more)


def make_document(name: str, text: str, meta: FileMeta, *, path: str | None) -> tuple[Document, list[str]]:
    warnings = []
    source_type = meta.source_type or "interview"
    if source_type not in SOURCE_TYPES:
        raise InputError(f"unknown source type {source_type!r}; expected {'|'.join(SOURCE_TYPES)}",
                         path=meta.origin or path, field="source_type")
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
    turns = detect_turns(text, speakers=meta.speakers, participant=meta.participant,
                         continuation=source_type == "interview")
    doc = Document(name=name, text=text, source_type=source_type, language=language, participant=meta.participant,
                   date=meta.date, path=path, turns=turns, attributes=dict(meta.attributes))
    return doc, warnings


def read_table(path: Path, data: bytes, meta: FileMeta, opts: TableOptions) -> ReadResult:
    """Rows of a .csv/.xlsx file as documents (e.g. open-ended survey answers)."""
    label = str(path)
    header, rows = read_rows(path, data)
    columns = {c: i for i, c in enumerate(header)}
    for option, col in (("--text-column", opts.text_column), ("--id-column", opts.id_column),
                        ("--participant-column", opts.participant_column), *(
                            ("--columns", c) for c in (opts.attribute_columns or ()))):
        if col is not None and col not in columns:
            raise InputError(f"unknown column {col!r} (given by {option}); the file has: {', '.join(header)}",
                             path=label, line=1)
    used = {opts.text_column, opts.id_column, opts.participant_column}
    attr_cols = opts.attribute_columns if opts.attribute_columns is not None else tuple(
        c for c in header if c not in used and c)
    docs: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for lineno, row in rows:
        def cell(col: str | None, row=row) -> str:
            if col is None:
                return ""
            i = columns[col]
            return (row[i] if i < len(row) else "").strip()

        text = normalise(cell(opts.text_column))
        if not text:
            continue
        ident = cell(opts.id_column) if opts.id_column else str(lineno - 1)
        if not ident:
            raise InputError("empty id", path=label, line=lineno, field=opts.id_column)
        if ident in seen:
            raise InputError(f"duplicate id {ident!r} (also on line {seen[ident]})", path=label, line=lineno,
                             field=opts.id_column)
        seen[ident] = lineno
        row_meta = replace(
            meta, source_type=meta.source_type or "response",
            participant=cell(opts.participant_column) or meta.participant,
            attributes={**meta.attributes, **{c: cell(c) for c in attr_cols if cell(c)}})
        doc, more = make_document(f"{path.stem}:{ident}", text, row_meta, path=f"{label}:{lineno}")
        docs.append(doc)
        warnings.extend(more[:1] if not warnings else [])
    if not docs:
        raise InputError(f"no rows with text in column {opts.text_column!r}", path=label)
    return ReadResult(docs, warnings)


def read_rows(path: Path, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, cells) rows of a .csv or .xlsx file, all cells as stripped strings."""
    label = str(path)
    if path.suffix.lower() == ".xlsx":
        try:
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
            raise InputError(f"not a readable .xlsx file ({exc.__class__.__name__})", path=label) from None
        sheet = wb.worksheets[0]
        raw_rows = [["" if v is None else _cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
        wb.close()
    else:
        text, _ = decode(data, label)
        try:
            raw_rows = list(csv.reader(io.StringIO(normalise(text)), _sniff(text)))
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc})", path=label) from None
    numbered = [(i + 1, r) for i, r in enumerate(raw_rows) if any(c.strip() for c in r)]
    if not numbered:
        raise InputError("no rows", path=label)
    (hline, header), rows = numbered[0], numbered[1:]
    header = [h.strip() for h in header]
    dupes = [h for h, n in Counter(header).items() if n > 1 and h]
    if dupes:
        raise InputError(f"duplicate column {dupes[0]!r}", path=label, line=hline)
    return header, rows


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if str(value).endswith("00:00:00") else value.isoformat()
    return str(value)


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


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
        if target in out:
            raise InputError(f"file {cells['file']!r} listed twice", path=label, line=lineno, field="file")
        st = cells.get("source_type") or None
        if st and st not in SOURCE_TYPES:
            raise InputError(f"unknown source type {st!r}; expected {'|'.join(SOURCE_TYPES)}", path=label,
                             line=lineno, field="source_type")
        lang = cells.get("language") or None
        if lang and lang not in LANGUAGES:
            raise InputError(f"unknown language {lang!r}; expected {'|'.join(LANGUAGES)}", path=label,
                             line=lineno, field="language")
        out[target] = FileMeta(
            participant=cells.get("participant") or None, role=cells.get("role") or None, source_type=st,
            language=lang, date=cells.get("date") or None,
            speakers=parse_speakers(cells.get("speakers"), path=label, line=lineno),
            attributes={c: cells[c] for c in extra if cells.get(c)}, origin=where)
    return out


def expand_paths(paths: Iterable[Path], *, only: Iterable[Path] | None = None) -> list[Path]:
    """Files named and the importable files inside folders named (recursively, sorted).

    In folders, README files, hidden files and tables (.csv/.xlsx: give those by name) are passed over; with
    ``only`` (a manifest's files) a folder contributes just the listed files inside it.
    """
    listed = {p.resolve() for p in only} if only is not None else None
    out: list[Path] = []
    for p in paths:
        if not p.exists():
            raise InputError("no such file or folder", path=str(p))
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if listed is not None:
                    if f.resolve() in listed:
                        out.append(f)
                elif f.suffix.lower() in TEXT_SUFFIXES and not f.name.lower().startswith(("readme", "license")):
                    out.append(f)
        else:
            out.append(p)
    return out


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
