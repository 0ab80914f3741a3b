"""Codebooks in the project, auto-coding, review and manual coding through the real CLI and spaCy pipeline."""

from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import DATA, digest

CODING = DATA / "coding"


@pytest.fixture
def coded(cli):
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("autocode")
    return cli


def codings(cli, *args) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


def test_codebook_load_is_versioned_and_keeps_ids(cli, tmp_path):
    cli("codebook", "load", CODING / "mini.yaml")
    r = cli("codebook", "load", CODING / "mini.yaml")
    assert "unchanged" in r.stdout
    changed = tmp_path / "mini.yaml"
    changed.write_text((CODING / "mini.yaml").read_text().replace('version: "1"', 'version: "2"')
                       .replace("[kebersamaan, kompak]", "[kebersamaan, kompak, bersama-sama]"))
    cli("codebook", "load", changed)
    versions = json.loads(cli("codebook", "versions", "--format", "json").stdout)
    assert [v["version"] for v in versions] == ["1", "2"]
    shown = json.loads(cli("codebook", "show", "--format", "json").stdout)
    assert [c["id"] for c in shown] == ["trust", "communication", "togetherness"]
    exported = cli("codebook", "export", "--format", "yaml").stdout
    assert "bersama-sama" in exported
    assert "load" in {e["action"] for e in json.loads(cli("log", "--format", "json").stdout)}


def test_codebook_validate_reports_file_line_field(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nlanguages: [id]\ncodes:\n  - id: Bad Id\n    name: {id: X}\n")
    r = cli.runner.invoke(__import__("tematik.cli", fromlist=["app"]).app, ["codebook", "validate", str(bad)])
    assert r.exit_code == 2
    assert f"{bad}:5:" in r.output


def test_autocode_suggests_with_rules_polarity_and_skips_interviewer(coded):
    rows = codings(coded)
    assert {r["status"] for r in rows} == {"suggested"}
    assert {r["coder"] for r in rows} == {"auto"}
    trust = [r for r in rows if r["code"] == "trust"]
    texts = [r["text"] for r in trust]
    assert "Kami saling percaya." in texts
    assert not any("percaya diri" in t for t in texts)  # exclusion
    assert not any("Bagaimana kepercayaan" in t for t in texts)  # interviewer turn
    negated = [r for r in trust if r["polarity"] == "negative"]
    assert [r["text"] for r in negated] == ["Tapi saya tidak percaya pada sistem baru."]
    assert all(r["rule"].startswith("trust/id/") for r in trust)
    comm = {r["text"] for r in rows if r["code"] == "communication"}
    assert "Komunikasinya lewat grup WhatsApp." in comm and "Kami juga rapat tiap Senin." in comm


def test_rerun_keeps_reviewed_and_never_resuggests_rejected(coded):
    rows = codings(coded)
    first = {r["text"]: r for r in rows}
    coded("code", "reject", "--id", str(first["Kami saling percaya."]["id"]))
    coded("code", "accept", "--code", "communication")
    r = coded("autocode")
    assert "nothing to do" in r.stdout  # resumable: already done with this codebook
    coded("autocode", "--redo")
    after = codings(coded)
    statuses = {(r["code"], r["text"]): r["status"] for r in after}
    assert statuses[("trust", "Kami saling percaya.")] == "rejected"
    assert statuses[("communication", "Kami juga rapat tiap Senin.")] == "accepted"
    assert len(after) == len(rows)  # no duplicate of the reviewed ones


def test_autocode_resumes_after_interruption(cli, tmp_path, monkeypatch):
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    second = tmp_path / "doc2.txt"
    second.write_text("Pewawancara: Ada lagi?\nPak Gede: Kami kompak dan saling percaya.\n")
    cli("import", second, "--participant", "P02", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    from tematik.store import coding as store_coding

    real = store_coding.store_suggestions
    calls = []

    def interrupt_after_first(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(store_coding, "store_suggestions", interrupt_after_first)
    r = cli("autocode", ok=False)
    assert r.exit_code == 130
    monkeypatch.setattr(store_coding, "store_suggestions", real)
    done = {r["document"] for r in codings(cli)}
    assert done == {"doc1"}
    r = cli("autocode")
    assert "auto-coded 1 document" in r.stdout
    assert {r["document"] for r in codings(cli)} == {"doc1", "doc2"}


def test_manual_coding_memo_and_log(coded):
    coded("code", "add", "doc1", "togetherness", "--match", "Tim kami kompak", "--memo", "clear case",
          "--coder", "ana")
    coded("code", "add", "doc1", "trust", "--sentence", "2", "--coder", "ana")
    coded("code", "add", "doc1", "trust", "--span", "0:11", "--coder", "ana")
    manual = codings(coded, "--status", "manual")
    assert [(m["code"], m["text"]) for m in manual] == [
        ("trust", "Pewawancara"), ("trust", "Kami saling percaya."), ("togetherness", "Tim kami kompak")]
    assert {m["coder"] for m in manual} == {"ana"}
    memos = json.loads(coded("memo", "list", "--format", "json").stdout)
    assert memos[0]["text"] == "clear case" and memos[0]["target_type"] == "coding"
    coded("code", "rm", str(manual[0]["id"]))
    log = json.loads(coded("log", "--format", "json").stdout)
    assert log[0]["action"] == "delete" and json.loads(log[0]["before"])["text" if False else "code"] == "trust"
    r = coded.fails("code", "add", "doc1", "trust", "--span", "5:99999")
    assert "outside" in r.output
    coded.fails("code", "add", "doc1", "nonsense", "--span", "0:5")
    coded.fails("code", "add", "doc1", "trust")


def test_review_walks_suggestions_with_keys(coded):
    before = codings(coded)
    n = len(before)
    # accept, reject, skip, change code to togetherness, memo + accept, undo (the accept), quit
    r = coded("review", "--coder", "rev", input="a r s c\ntogetherness\nm\nlooks right\na u q")
    assert "reviewed:" in r.stdout
    after = {c["id"]: c for c in codings(coded)}
    statuses = [after[c["id"]]["status"] for c in before]
    assert statuses[0] == "accepted" and statuses[1] == "rejected" and statuses[2] == "suggested"
    assert after[before[3]["id"]]["code"] == "togetherness" and statuses[3] == "accepted"
    assert statuses[4] == "suggested"  # accepted, then undone
    assert len(after) == n
    who = {e["who"] for e in json.loads(coded("log", "--format", "json").stdout) if e["entity"] == "coding"}
    assert who == {"rev"}


def test_bad_codebook_leaves_project_unchanged(cli, db, tmp_path):
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    before = digest(db)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncodes: 5\n")
    cli.fails("codebook", "load", bad)
    assert digest(db) == before
    cli.fails("autocode")  # no codebook yet
    assert digest(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM codes").fetchone()[0] == 0


def test_show_units_numbers_what_code_add_takes(coded):
    units = json.loads(coded("show", "doc1", "--units", "sentence", "--format", "json").stdout)
    n = next(u["n"] for u in units if u["text"] == "Tim kami kompak.")
    assert next(u for u in units if u["n"] == n)["codes"] == "togetherness"  # the suggestion shows
    coded("code", "add", "doc1", "trust", "--sentence", str(n), "--coder", "ana")
    manual = codings(coded, "--status", "manual")
    assert [(m["code"], m["text"]) for m in manual] == [("trust", "Tim kami kompak.")]
    turns = json.loads(coded("show", "doc1", "--units", "turn", "--format", "json").stdout)
    assert [t["interviewer"] for t in turns] == [True, False, True, False, False]
    coded.fails("show", "doc1", "--units", "chapter")
