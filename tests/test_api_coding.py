"""The coding commands and the project API do the same: each command's JSON equals the API's DataFrame, and each
write command changes a copy of a project as the API method changes another copy (timestamps aside)."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli
from tematik.errors import InputError, NotFound
from tematik.export.tables import as_rows

CODING = DATA / "coding"

COVERED_COMMANDS = {"autocode", "code accept", "code reject", "code add", "code rm", "codings", "log", "review",
                    "learn"}  # memo add|list|edit|rm: test_api_memos.py

TIMES = {"created", "updated", "at", "done", "loaded", "imported"}
TABLES = ("codings", "segments", "autocode_progress", "memos", "audit_log", "rejections", "models")


def dump(db: Path, tables=TABLES) -> dict[str, list[tuple]]:
    """The rows of these tables without their timestamps."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for t in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({t})") if r[1] not in TIMES]
            out[t] = conn.execute(f"SELECT {', '.join(f'{c!r}' for c in cols)} FROM {t} ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()


def json_rows(cli: Cli, *args) -> list[dict]:
    return json.loads(cli(*args, "--format", "json").stdout)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """doc1 imported and the mini codebook loaded, not auto-coded yet."""
    home = tmp_path_factory.mktemp("base")
    cli = Cli(home / "base.db")
    cli("import", CODING / "doc1.txt", "--participant", "P01", "--language", "id")
    second = home / "doc2.txt"
    second.write_text("Pewawancara: Ada lagi?\nPak Gede: Kami kompak dan saling percaya. Tidak ada rapat.\n")
    cli("import", second, "--participant", "P02", "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    return cli.db


@pytest.fixture(scope="module")
def coded_base(base, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("coded") / "coded.db"
    shutil.copy(base, db)
    Cli(db)("autocode")
    return db


def pair(source: Path, tmp_path: Path) -> tuple[Cli, tematik.Project]:
    """Two copies of a project: one for the CLI, one opened with the API."""
    a, b = tmp_path / "cli.db", tmp_path / "api.db"
    shutil.copy(source, a)
    shutil.copy(source, b)
    return Cli(a), tematik.open(b)


# --------------------------------------------------------------------------- write commands

def test_autocode_command_and_api_store_the_same_suggestions(base, tmp_path):
    cli, p = pair(base, tmp_path)
    with p:
        out = cli("autocode", "--code", "trust", "--doc", "doc1")
        result = p.autocode(code="trust", doc="doc1")
        assert dump(cli.db) == dump(p.path)
        assert out.stdout.startswith(f"auto-coded {result.done} document(s), {result.words:,} words: "
                                     f"{result.stored} suggestion(s) stored, {result.skipped} already reviewed")
        assert result.pending == result.done == 1 and result.by_code == {"trust": result.stored}
        out = cli("autocode")
        result = p.autocode()
        assert dump(cli.db) == dump(p.path)
        assert f"{result.stored} suggestion(s) stored" in out.stdout and result.done == 2
        assert "suggestions by code: " + ", ".join(f"{k} {v}" for k, v in sorted(result.by_code.items())) \
            in out.stderr
        assert "nothing to do" in cli("autocode").stdout
        assert p.autocode().pending == 0
        cli("autocode", "--redo", "--unit", "turn", "--include-interviewer", "--no-model")
        p.autocode(redo=True, unit="turn", include_interviewer=True, no_model=True)
        assert dump(cli.db) == dump(p.path)


def test_accept_and_reject_change_the_same_codings(coded_base, tmp_path):
    cli, p = pair(coded_base, tmp_path)
    with p:
        # ids of suggestions still open at the second step (an --id that is no longer open is refused)
        ids = [r["id"] for r in json_rows(cli, "codings") if r["code"] != "communication"]
        steps = [
            (("code", "accept", "--code", "communication", "--coder", "ana"),
             lambda: p.accept(code="communication", coder="ana")),
            (("code", "reject", "--id", str(ids[0]), "--id", str(ids[1])), lambda: p.reject(id=ids[:2])),
            (("code", "accept", "--rule", "togetherness/*", "--doc", "doc1"),
             lambda: p.accept(rule="togetherness/*", doc="doc1")),
            (("code", "reject", "--all", "--coder", "bo"), lambda: p.reject(all=True, coder="bo")),
        ]
        for args, call in steps:
            out = cli(*args).stdout
            n = call()
            assert out == f"{'accepted' if args[1] == 'accept' else 'rejected'} {n} suggestion(s)\n"
            assert dump(cli.db) == dump(p.path), args
        assert n > 0
        cli.fails("code", "accept")
        with pytest.raises(InputError, match="say which suggestions"):
            p.accept()


def test_code_add_and_rm_change_the_same_codings(coded_base, tmp_path):
    cli, p = pair(coded_base, tmp_path)
    with p:
        adds = [
            (("doc1", "togetherness", "--match", "Tim kami kompak", "--memo", "clear case", "--coder", "ana"),
             dict(document="doc1", code="togetherness", match="Tim kami kompak", memo="clear case", coder="ana")),
            (("doc1", "trust", "--sentence", "2"), dict(document="doc1", code="trust", sentence=2)),
            (("doc2", "trust", "--turn", "2"), dict(document="doc2", code="trust", turn=2)),
            (("doc1", "trust", "--span", "0:11"), dict(document="doc1", code="trust", span="0:11")),
        ]
        for args, kwargs in adds:
            out = cli("code", "add", *args).stdout
            (added,) = p.add_coding(**kwargs)
            assert out.startswith(f"coding {added.id}: {added.code} on {added.document} [{added.start}:{added.end}]")
            assert dump(cli.db) == dump(p.path), args
        # the same span, code and coder again is refused since issue 12; another coder may code it
        assert p.add_coding("doc1", "trust", span=(0, 11), coder="bo")[0].text == "Pewawancara"
        cli("code", "add", "doc1", "trust", "--span", "0:11", "--coder", "bo")
        out = cli("code", "rm", str(added.id), "--coder", "ana").stdout
        removed = p.remove_coding(added.id, coder="ana")
        assert out == f"deleted coding {added.id} ({removed.code} on {removed.document})\n"
        assert dump(cli.db) == dump(p.path)
        for args in (("--span", "5:99999"), ("--match", "not in it")):
            cli.fails("code", "add", "doc1", "trust", *args)
        with pytest.raises(InputError, match="outside"):
            p.add_coding("doc1", "trust", span="5:99999")
        with pytest.raises(InputError, match="exactly one"):
            p.add_coding("doc1", "trust")
        with pytest.raises(NotFound):
            p.remove_coding(999999)


# --------------------------------------------------------------------------- tables

def test_codings_json_equals_the_dataframe(coded_base, tmp_path):
    cli, p = pair(coded_base, tmp_path)
    with p:
        p.accept(code="communication")
        p.add_coding("doc1", "trust", span="0:11", coder="ana")
        reader = Cli(p.path)
        cases = [((), {}), (("--status", "suggested"), {"status": "suggested"}),
                 (("--status", "accepted,manual"), {"status": ["accepted", "manual"]}),
                 (("--status", "accepted", "--status", "suggested"), {"status": ["accepted", "suggested"]}),
                 (("--status", "all"), {"status": "all"}), (("--code", "trust", "--limit", "2"),
                                                             {"code": "trust", "limit": 2}),
                 (("--rule", "trust/*"), {"rule": "trust/*"}), (("--doc", "doc2", "--coder", "auto"),
                                                                {"doc": "doc2", "coder": "auto"})]
        for args, kwargs in cases:
            df = p.codings(**kwargs)
            rows = json_rows(reader, "codings", *args)
            assert rows == as_rows(df)[1], args
            assert list(df.columns) == ["id", "document", "participant", "code", "status", "coder", "suggested_by",
                                        "start", "end", "text", "rule", "polarity", "origin", "confidence"]
            assert df.attrs["title"] == f"Codings ({len(rows)})"
        assert set(p.codings(status=["accepted", "suggested"])["status"]) == {"accepted", "suggested"}
        assert len(p.codings(status="all")) == len(p.codings())
        reader.fails("codings", "--status", "nope")
        with pytest.raises(InputError, match="unknown status"):
            p.codings(status="nope")


# --------------------------------------------------------------------------- review

def test_a_scripted_review_session_equals_the_api_decisions(coded_base, tmp_path):
    cli, p = pair(coded_base, tmp_path)
    with p:
        queue = p.review_queue()
        items = queue.items
        assert len(items) >= 5 and queue.text(items[0]["document_id"]).startswith("Pewawancara")
        # accept, reject, skip, change code to togetherness, memo + accept, undo (the accept), quit
        out = cli("review", "--coder", "rev", input="a r s c\ntogetherness\nm\nlooks right\na u q").stdout
        p.review_accept(items[0]["id"], coder="rev")
        p.review_reject(items[1]["id"], coder="rev")
        recoded = p.review_recode(items[3]["id"], "togetherness", coder="rev")
        assert (recoded.code, recoded.code_before, recoded.status_before) == ("togetherness", items[3]["code"],
                                                                              "suggested")
        p.add_memo("coding", items[4]["id"], "looks right", coder="rev")
        p.review_undo(p.review_accept(items[4]["id"], coder="rev"), coder="rev")
        assert dump(cli.db) == dump(p.path)
        tally = p.review_tally(it["id"] for it in items)
        assert (f"reviewed: {tally['accepted']} accepted, {tally['rejected']} rejected, 1 skipped, 1 memo(s); "
                f"{tally['suggested']} still open in this selection") in out
        # the CLI showed the queue's items in the queue's order
        shown = [tuple(map(int, m)) for m in re.findall(r"\\?\[(\d+):(\d+)\]", out)]
        assert shown[:4] == [(it["start"], it["end"]) for it in items[:4]]
        with pytest.raises(NotFound):
            p.review_recode(items[5]["id"], "no-such-code")
        assert p.codings(status="suggested")["id"].tolist().count(items[5]["id"]) == 1  # left as it was
        docs = p.review_queue(code="trust", doc="doc2", order="confidence").items
        assert docs and {(it["code"], it["document"]) for it in docs} == {("trust", "doc2")}
        with pytest.raises(InputError):
            p.review_queue(order="random")


# --------------------------------------------------------------------------- learn and the model

@pytest.fixture(scope="module")
def reviewed(tmp_path_factory) -> Path:
    """The teachers' study of test_learn, two schools reviewed."""
    from test_learn import write_study

    home = tmp_path_factory.mktemp("teachers")
    paths = write_study(home / "study")
    cli = Cli(home / "teachers.db")
    cli("import", *paths, "--language", "en", "--interviewer", "Interviewer", "--speaker", "Teacher=T01")
    cli("codebook", "load", home / "study" / "codebook.yaml")
    cli("autocode")
    with tematik.open(cli.db) as p:
        open_ = p.codings(status="suggested", doc=["school_a", "school_b"])
        parents = open_[open_["text"].str.contains("Parents")]["id"].tolist()  # not "colleagues" here
        if parents:
            p.reject(id=parents, coder="ana")
        p.accept(doc=["school_a", "school_b"], coder="ana")
        for doc, code, match in [("school_a", "workload", "Marking the exercise books"),
                                 ("school_a", "colleagues", "Bu Rina covers"),
                                 ("school_b", "workload", "I correct homework"),
                                 ("school_b", "colleagues", "My colleagues share"),
                                 ("school_b", "training", "The district course")]:
            p.add_coding(doc, code, match=match, coder="ana")
    return cli.db


def test_learn_and_autocode_with_the_model(reviewed, tmp_path):
    cli, p = pair(reviewed, tmp_path)
    with p:
        out = cli("learn", "--seed", "3", "--format", "json")
        trained = p.learn(seed=3)
        report = json.loads(out.stdout)
        assert report == {"version": trained.version, "path": str(cli.db), "coder": None, "units": trained.units,
                          "documents": trained.documents, "decisions": trained.decisions, "cv": trained.cv,
                          "fingerprint": trained.fingerprint, "scores": as_rows(trained.to_frame())[1]}
        assert dump(cli.db) == dump(p.path)
        assert f"model v{trained.version} stored in" in out.stderr and "only 2 reviewed document(s)" in out.stderr
        out = cli("autocode", "--redo")
        result = p.autocode(redo=True)
        assert result.model and result.model in out.stderr and "with the rules" in result.model
        assert dump(cli.db) == dump(p.path)
        cli("autocode", "--redo", "--model-only", "--doc", "school_c")
        assert "alone" in p.autocode(redo=True, model_only=True, doc="school_c").model
        assert dump(cli.db) == dump(p.path)
        queue = p.review_queue(order="uncertain")
        out = cli("review", "--order", "uncertain", input="s" * 3 + "q").stdout
        shown = [tuple(map(int, m)) for m in re.findall(r"\\?\[(\d+):(\d+)\]", out)]
        assert shown == [(it["start"], it["end"]) for it in queue.items[:4]]  # three skipped, the fourth shown
        with pytest.raises(InputError, match="exclude each other"):
            p.autocode(no_model=True, model_only=True)
        with pytest.raises(InputError, match="nothing to learn from"):
            p.learn(coder="nobody")


# --------------------------------------------------------------------------- as a library

def test_the_api_prints_nothing_and_raises_domain_errors(coded_base, tmp_path, capsys):
    shutil.copy(coded_base, tmp_path / "p.db")
    with tematik.open(tmp_path / "p.db") as p:
        capsys.readouterr()
        p.autocode(redo=True)
        p.accept(code="trust")
        p.add_memo("project", text="quiet")
        p.codings(), p.memos(), p.log()
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""
        for call in (lambda: p.autocode(unit="chapter"), lambda: p.codings(status="nope"),
                     lambda: p.add_memo("nothing", text="x"), lambda: p.reject()):
            with pytest.raises(InputError):
                call()
        with pytest.raises(NotFound):
            p.accept(code="no-such-code")


def test_importing_the_coding_api_stays_light():
    code = ("import sys, tematik, tematik.project.coding, tematik.learn; "
            "print(sorted(m for m in ('pandas', 'spacy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
