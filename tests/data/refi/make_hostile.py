"""Write the hostile REFI-QDA files in hostile/ (re-run: python tests/data/refi/make_hostile.py).

Each is a small, otherwise valid project with one thing an importer must refuse. See README.md.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "hostile"
NS = "urn:QDA-XML:project:1.0"
SRC = "3f1c2b9e-0d4a-4c53-9a55-0a1b2c3d4e5f"
CODE = "6b7c8d9e-1f20-4a3b-8c4d-5e6f7a8b9c0d"


def project(text_path: str = f"internal://{SRC}.txt", doctype: str = "", body: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}'
            f'<Project xmlns="{NS}" name="hostile" origin="make_hostile.py">'
            f'<CodeBook><Codes><Code guid="{CODE}" name="trust" isCodable="true">{body}</Code></Codes></CodeBook>'
            f'<Sources><TextSource guid="{SRC}" name="hostile-source" plainTextPath="{text_path}"/></Sources>'
            f'</Project>').encode()


def qdpx(name: str, members: list[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members:
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    text = ("sources/" + SRC + ".txt", b"Kami saling percaya.\n")
    laughs = ('<!DOCTYPE Project [\n <!ENTITY lol "lol">\n'
              + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                        for i in range(1, 10))
              + "]>\n")
    qdpx("billion-laughs.qdpx", [("project.qde", project(doctype=laughs).replace(
        b'name="trust"', b'name="&lol9;"')), text])
    xxe = '<!DOCTYPE Project [\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    qdpx("external-entity.qdpx", [("project.qde", project(doctype=xxe).replace(b'name="trust"', b'name="&xxe;"')),
                                  text])
    qdpx("dotdot-member.qdpx", [("project.qde", project()), text, ("../../tmp/evil.txt", b"written outside")])
    qdpx("zip-bomb.qdpx", [("project.qde", project()), ("sources/" + SRC + ".txt", b"\0" * (16 * 1024 * 1024))])
    qdpx("absolute-outside.qdpx", [("project.qde", project("absolute:///etc/passwd"))])
    qdpx("internal-traversal.qdpx", [("project.qde", project("internal://../../../etc/passwd")), text])
    qdpx("relative-outside.qdpx", [("project.qde", project("relative://../../../../../../etc/passwd"))])
    deep = "".join(f'<Code guid="00000000-0000-4000-8000-{i:012d}" name="c{i}" isCodable="true">' for i in range(200))
    qdpx("deep-codes.qdpx", [("project.qde", project(body=deep + "</Code>" * 200)), text])
    (HERE / "not-a-project.qdpx").write_bytes(b"PK\x03\x04 this is not a zip archive")


if __name__ == "__main__":
    main()
