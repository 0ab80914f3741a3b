"""Coders working apart: merging another project's codings and importing codings from CSV."""

from __future__ import annotations

import csv
import json

from conftest import DATA, Cli, digest

CODING = DATA / "coding"


def setup_project(cli: Cli, name: str = "doc1") -> None:
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")


def codings(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


def test_merge_places_by_content_keeps_coder_and_never_overwrites(tmp_path):
    ana, budi = Cli(tmp_path / "ana.db"), Cli(tmp_path / "budi.db")
    setup_project(ana)
    # budi's copy has the same text under another name: placement is by content hash
    renamed = tmp_path / "wawancara-made.txt"
    renamed.write_text((CODING / "doc1.txt").read_text())
    budi("import", renamed, "--participant", "P01", "--language", "id")
    other = tmp_path / "other.txt"
    other.write_text("Pewawancara: Ada lagi?\nBu Made: Kami kompak.\n")
    budi("import", other, "--participant", "P01", "--language", "id")
    budi("codebook", "load", CODING / "mini.yaml")
    ana("code", "add", "doc1", "trust", "--match", "Kami saling percaya.", "--coder", "ana")
    budi("code", "add", "wawancara-made", "trust", "--match", "Kami saling percaya.", "--coder", "budi")
    budi("code", "add", "wawancara-made", "togetherness", "--match", "Tim kami kompak", "--coder", "budi")
    budi("code", "add", "other", "togetherness", "--match", "Kami kompak", "--coder", "budi")
    r = ana("merge", tmp_path / "budi.db")
    assert "2 coding(s) added by budi" in r.stdout and "1 could not be placed" in r.stdout
    assert "'other'" in r.stderr
    rows = codings(ana)
    assert sorted((c["coder"], c["code"], c["text"]) for c in rows) == [
        ("ana", "trust", "Kami saling percaya."), ("budi", "togetherness", "Tim kami kompak"),
        ("budi", "trust", "Kami saling percaya.")]
    r = ana("merge", tmp_path / "budi.db")  # again: nothing new, nothing duplicated
    assert "0 coding(s) added" in r.stdout and "2 already here" in r.stdout
    assert len(codings(ana)) == 3


def test_import_codings_csv_reports_rows_it_cannot_place(cli, tmp_path, db):
    setup_project(cli)
    cli("code", "add", "doc1", "trust", "--match", "Kami saling percaya.", "--coder", "ana")
    sha = json.loads(cli("codings", "--format", "json").stdout)[0]
    from tematik.store import Store

    with Store.open(db) as s:
        doc_sha = s.scalar("SELECT sha256 FROM documents WHERE name = 'doc1'")
    start = sha["start"]
    f = tmp_path / "codings.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "document_sha256", "code", "start", "end", "status", "coder", "text"])
        w.writerow(["doc1", doc_sha, "communication", start, start + 4, "manual", "citra", "Kami"])
        w.writerow(["doc1", doc_sha, "nosuchcode", start, start + 4, "manual", "citra", "Kami"])
        w.writerow(["doc1", "0" * 64, "trust", 0, 4, "manual", "citra", ""])
        w.writerow(["doc1", doc_sha, "trust", start, start + 4, "manual", "citra", "XXXX"])
    r = cli("import-codings", f)
    assert "1 coding(s) added by citra" in r.stdout and "3 could not be placed" in r.stdout
    assert f"{f}:3: code 'nosuchcode'" in r.stderr
    assert f"{f}:4: document" in r.stderr and f"{f}:5: text" in r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("code,start\ntrust,1\n")
    before = digest(db)
    r = cli.fails("import-codings", bad)
    assert "missing column" in r.output and digest(db) == before


def test_export_then_import_codings_round_trip(tmp_path):
    ana, budi = Cli(tmp_path / "ana.db"), Cli(tmp_path / "budi.db")
    setup_project(ana)
    setup_project(budi)
    ana("code", "add", "doc1", "trust", "--match", "Kami saling percaya.", "--coder", "ana")
    ana("code", "add", "doc1", "communication", "--match", "Komunikasinya lewat grup WhatsApp.", "--coder", "ana")
    out = tmp_path / "ana.csv"
    r = ana("export", "codings", out, "--status", "manual")
    assert "2 coding(s)" in r.stdout
    r = budi("import-codings", out)
    assert "2 coding(s) added by ana" in r.stdout and "0 could not be placed" in r.stdout
    assert sorted((c["code"], c["text"]) for c in codings(budi)) == [
        ("communication", "Komunikasinya lewat grup WhatsApp."), ("trust", "Kami saling percaya.")]
