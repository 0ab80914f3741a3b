"""Regenerate the byte-level variants of the ks-library demo corpus.

The corpus is kept as plain UTF-8 text. A few files exist to exercise the importer
with other byte formats, and this script produces them from text so they stay
reproducible:

* ``.docx`` files are built with python-docx from ``tools/docx_sources/*.src``
  (first paragraph block -> title and note, each ``Label: text`` turn -> one
  paragraph with the label in bold). Zip timestamps and document properties are
  fixed, so re-running gives byte-identical output.
* one ``.txt`` is rewritten as UTF-8 *with* BOM, one with Windows CRLF endings.
  Both rewrites are idempotent.

Usage: ``python corpora/ks-library/tools/make_binary.py [--check]``.
``--check`` writes nothing and exits 1 if any output differs from what would be
generated.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# source (relative to ROOT) -> (output, document date)
DOCX = {
    "tools/docx_sources/wawancara_P06_gede_arsana.src": (
        "interviews/wawancara_P06_gede_arsana.docx",
        dt.datetime(2019, 9, 4, 9, 0, 0),
    ),
    "tools/docx_sources/wawancara_P16_nengah_suartini.src": (
        "interviews/wawancara_P16_nengah_suartini.docx",
        dt.datetime(2019, 10, 9, 9, 0, 0),
    ),
    "tools/docx_sources/observasi_04_pelatihan_slims.src": (
        "observations/observasi_04_pelatihan_slims.docx",
        dt.datetime(2019, 8, 9, 9, 0, 0),
    ),
}
BOM_FILES = ["interviews/wawancara_P02_luh_ariani.txt"]
CRLF_FILES = ["interviews/wawancara_P18_nyoman_adnyana.txt"]

TURN = re.compile(r"^([A-Z][^:\n]{0,40}):\s+(.*)$")


def _normalise(raw: bytes) -> str:
    text = raw.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def build_docx(src: Path, when: dt.datetime) -> bytes:
    import docx  # python-docx
    from docx.shared import Pt

    blocks = [b.strip() for b in _normalise(src.read_bytes()).split("\n\n") if b.strip()]
    header, body = blocks[0].splitlines(), blocks[1:]
    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(header[0], level=1)
    for line in header[1:]:
        document.add_paragraph().add_run(line).italic = True
    for block in body:
        text = " ".join(block.splitlines())
        para = document.add_paragraph()
        match = TURN.match(text)
        if match:
            para.add_run(match.group(1) + ":").bold = True
            para.add_run(" " + match.group(2))
        else:
            para.add_run(text)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = header[0], "tim peneliti", "tim peneliti"
    props.created = props.modified = when
    props.revision = 1
    raw = io.BytesIO()
    document.save(raw)
    return _fix_zip(raw.getvalue(), when)


def _fix_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite the zip with fixed member timestamps so output is reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, zin.read(item.filename))
    return out.getvalue()


def expected_outputs() -> dict[Path, bytes]:
    outputs: dict[Path, bytes] = {}
    for src, (dest, when) in DOCX.items():
        outputs[ROOT / dest] = build_docx(ROOT / src, when)
    for name in BOM_FILES:
        outputs[ROOT / name] = b"\xef\xbb\xbf" + _normalise((ROOT / name).read_bytes()).encode("utf-8")
    for name in CRLF_FILES:
        outputs[ROOT / name] = _normalise((ROOT / name).read_bytes()).replace("\n", "\r\n").encode("utf-8")
    return outputs


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, data in expected_outputs().items():
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path.relative_to(ROOT))
        if not check:
            path.write_bytes(data)
    verb = "out of date" if check else "written"
    for rel in stale:
        print(f"{verb}: {rel}")
    if not stale:
        print("all generated files up to date")
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
