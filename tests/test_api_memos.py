"""Memos: the memo commands and the project API do the same (add, list, edit, rm), edits and deletions are
audit-logged with the text before, a memo can be on a passage of a document, and a project made before passages
(schema 5) keeps its memos (issue 12, item 5)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli, digest
from tematik.errors import InputError, NotFound
from tematik.export.tables import as_rows
from tematik.store import APPLICATION_ID
from tematik.store.schema import MIGRATIONS
from test_api_coding import dump, json_rows, pair
from ward_study import codings, make_ward_project, units

COVERED_COMMANDS = {"memo add", "memo list", "memo edit", "memo rm"}

MEMO_COLUMNS = ["id", "target_type", "target_id", "text", "author", "created", "start", "end"]


@pytest.fixture(scope="module")
def ward(tmp_path_factory) -> Path:
    """The nursing-ward study, auto-coded."""
    return make_ward_project(tmp_path_factory.mktemp("ward"), autocode=True).db


def test_memo_add_writes_the_same_memos_and_memo_list_and_log_read_them(ward, tmp_path):
    cli, p = pair(ward, tmp_path)
    with p:
        cid = json_rows(cli, "codings")[0]["id"]
        memos = [(("project",), ("project",), "the whole study"),
                 (("code", "workload"), ("code", "workload"), "a code"),
                 (("code", "Burnout"), ("code", "Burnout"), "by its name"),
                 (("document", "ward_a"), ("document", "ward_a"), "on ward a"),
                 (("coding", str(cid)), ("coding", cid), "on a coding"),
                 (("participant", "N01"), ("participant", "N01"), "on N01")]
        for args, api_args, text in memos:
            out = cli("memo", "add", *args, "--text", text, "--coder", "ana").stdout
            memo = p.add_memo(*api_args, text=text, coder="ana")
            assert out == f"memo {memo.id} on {memo.target}{' ' + memo.target_id if memo.target_id else ''}\n"
            assert memo.start is None and memo.end is None
        cli("memo", "add", "document", "ward_b", "--coder", "ana", input="from standard input\n")
        p.add_memo("document", "ward_b", "from standard input\n", coder="ana")
        assert dump(cli.db) == dump(p.path)
        assert p.memos("code")["target_id"].tolist() == ["workload", "burnout"]  # stored by id
        for args, kwargs in (((), {}), (("code",), {"target": "code"}),
                             (("document", "ward_a"), {"target": "document", "target_id": "ward_a"})):
            df = p.memos(**kwargs)
            assert json_rows(Cli(p.path), "memo", "list", *args) == as_rows(df)[1]
            assert list(df.columns) == MEMO_COLUMNS
        for args, kwargs in (((), {}), (("--entity", "memo"), {"entity": "memo"}), (("--who", "ana"), {"who": "ana"}),
                             (("--limit", "3"), {"limit": 3})):
            df = p.log(**kwargs)
            assert json_rows(Cli(p.path), "log", *args) == as_rows(df)[1]
        with pytest.raises(InputError, match="empty memo"):
            p.add_memo("project", text="  ")
        with pytest.raises(NotFound):
            p.add_memo("coding", 999999, "nothing there")
        cli.fails("memo", "add", "project", "--text", " ")
        cli.fails("memo", "add", "coding", "999999", "--text", "nothing there")


def test_memo_edit_and_rm_change_the_same_memos_and_log_the_text_before(ward, tmp_path):
    cli, p = pair(ward, tmp_path)
    with p:
        for target in (("project",), ("document", "ward_a"), ("code", "teamwork")):
            cli("memo", "add", *target, "--text", f"first thoughts on {target[0]}", "--coder", "ana")
            p.add_memo(*target, text=f"first thoughts on {target[0]}", coder="ana")
        ids = p.memos()["id"].tolist()
        out = cli("memo", "edit", str(ids[1]), "--text", "  nurses cover for each other at night ", "--coder",
                  "bo").stdout
        edited = p.edit_memo(ids[1], "  nurses cover for each other at night ", coder="bo")
        assert out == "memo 2 on document ward_a edited\n"
        assert (edited.before, edited.text, edited.changed) == ("first thoughts on document",
                                                                "nurses cover for each other at night", True)
        assert dump(cli.db) == dump(p.path)
        out = cli("memo", "edit", str(ids[0]), "--coder", "bo", input="read from standard input\n").stdout
        p.edit_memo(ids[0], "read from standard input\n", coder="bo")
        assert out == "memo 1 on project edited\n" and dump(cli.db) == dump(p.path)
        # the same text again changes nothing and logs nothing
        before = digest(cli.db)
        assert cli("memo", "edit", str(ids[0]), "--text", "read from standard input").stdout.endswith(
            "unchanged (same text)\n")
        assert digest(cli.db) == before and not p.edit_memo(ids[0], "read from standard input").changed
        out = cli("memo", "rm", str(ids[2]), "--coder", "bo").stdout
        removed = p.remove_memo(ids[2], coder="bo")
        assert out == f"deleted memo {removed.id} (on code teamwork)\n" and removed.text == "first thoughts on code"
        assert dump(cli.db) == dump(p.path)
        memos = p.memos()
        assert memos["id"].tolist() == ids[:2]
        assert memos["author"].tolist() == ["ana", "ana"]  # the author stays; the log says who edited
        log = p.log(entity="memo")
        edit = log[(log["action"] == "edit") & (log["entity_id"] == str(ids[1]))].iloc[0]
        assert edit["who"] == "bo" and json.loads(edit["before"]) == {"text": "first thoughts on document"}
        assert json.loads(edit["after"])["text"] == "nurses cover for each other at night"
        gone = log[log["action"] == "delete"].iloc[0]
        assert gone["entity_id"] == str(ids[2]) and json.loads(gone["before"])["text"] == "first thoughts on code"
        assert json.loads(gone["before"])["author"] == "ana"


@pytest.mark.parametrize("args", [("edit", "999", "--text", "x"), ("rm", "999"), ("edit", "1", "--text", "  "),
                                  ("edit", "x", "--text", "y"), ("edit", "1"), ("rm", "-1")])
def test_unknown_or_empty_is_a_one_line_error_and_nothing_changes(ward, tmp_path, args):
    shutil.copy(ward, tmp_path / "w.db")
    cli = Cli(tmp_path / "w.db")
    cli("memo", "add", "project", "--text", "kept")
    before = digest(cli.db)
    r = cli.fails("memo", *args, input="  \n")
    if args[1] in ("x", "-1"):  # not a number: the command line's own usage error, naming ID
        assert "'ID'" in r.stderr or "-1" in r.stderr
    else:
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    assert digest(cli.db) == before
    with tematik.open(cli.db) as p:
        with pytest.raises(NotFound, match="no memo 999"):
            p.edit_memo(999, "x")
        with pytest.raises(NotFound):
            p.remove_memo(999)
        with pytest.raises(InputError, match="empty memo"):
            p.edit_memo(1, " ")
        with pytest.raises(InputError, match="memo id"):
            p.remove_memo("one")
        assert p.memos()["text"].tolist() == ["kept"]


def test_a_memo_on_a_passage_keeps_its_offsets(ward, tmp_path):
    cli, p = pair(ward, tmp_path)
    with p:
        s = units(cli, "ward_a")
        t = units(cli, "ward_a", "turn")
        steps = [(("--span", "60:98"), dict(span="60:98")), (("--sentence", "8-9"), dict(sentence="8-9")),
                 (("--turn", "3"), dict(turn=3))]
        for args, kwargs in steps:
            out = cli("memo", "add", "document", "ward_a", *args, "--text", "a passage", "--coder", "ana").stdout
            memo = p.add_memo("document", "ward_a", "a passage", coder="ana", **kwargs)
            assert out == f"memo {memo.id} on document ward_a [{memo.start}:{memo.end}]\n"
        assert dump(cli.db) == dump(p.path)
        listed = json_rows(cli, "memo", "list", "document", "ward_a")
        assert [(m["start"], m["end"]) for m in listed] == [(60, 98), (s[7]["start"], s[8]["end"]),
                                                            (t[2]["start"], t[2]["end"])]
        assert listed == as_rows(p.memos("document", "ward_a"))[1]
        # the passage is in the audit log too
        assert json.loads(p.log(entity="memo").iloc[0]["after"])["span"] == [t[2]["start"], t[2]["end"]]
        before = digest(cli.db)
        for args in (("document", "ward_a", "--span", "60:9999"), ("document", "ward_a", "--sentence", "11"),
                     ("document", "ward_a", "--sentence", "2,3"), ("code", "workload", "--span", "0:10"),
                     ("document", "ward_a", "--span", "1:5", "--turn", "2"), ("project", "--turn", "1")):
            r = cli.fails("memo", "add", *args, "--text", "x")
            assert "--" in r.stderr
        assert digest(cli.db) == before
        with pytest.raises(InputError) as err:
            p.add_memo("code", "workload", "x", span=(0, 10))
        assert err.value.field == "--span"


def test_a_coding_removed_takes_its_memos_with_it(ward, tmp_path):
    shutil.copy(ward, tmp_path / "w.db")
    with tematik.open(tmp_path / "w.db") as p:
        (added,) = p.add_coding("ward_b", "workload", sentence=3, memo="paperwork", coder="ana")
        p.add_memo("coding", added.id, "and a second thought", coder="ana")
        assert len(p.memos("coding", added.id)) == 2
        p.remove_coding(added.id, coder="ana")
        assert p.memos("coding").empty


def _schema_5_project(path: Path) -> None:
    """A project as tematik wrote it before memos had passages (schema 5: the stored migrations 1-5 and plain
    SQL), with a document, a coding and memos on each kind of target."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for step in MIGRATIONS[:5]:
        if callable(step):
            step(conn)
        else:
            conn.executescript(step)
    conn.execute("PRAGMA user_version = 5")
    text = "Interviewer: How was the night?\nNurse A: We were short of staff again.\n"
    conn.execute("INSERT INTO participants (id, role, created) VALUES ('N01', 'nurse', '2026-01-01')")
    conn.execute("INSERT INTO documents (id, name, source_type, language, participant_id, text, sha256, words, chars,"
                 " imported) VALUES (3, 'ward_old', 'interview', 'en', 'N01', ?, 'x', 12, ?, '2026-01-01')",
                 (text, len(text)))
    conn.execute("INSERT INTO turns (document_id, seq, start, end, speaker, is_interviewer) VALUES "
                 "(3, 0, 13, 31, 'Interviewer', 1), (3, 1, 41, 70, 'Nurse A', 0)")
    conn.execute("INSERT INTO codes (id, name) VALUES ('workload', 'Workload')")
    conn.execute("INSERT INTO codings (id, document_id, code_id, start, end, status, coder, created) VALUES "
                 "(5, 3, 'workload', 41, 70, 'manual', 'ana', '2026-01-01')")
    conn.executemany("INSERT INTO memos (target_type, target_id, text, author, created) VALUES (?,?,?,?,?)",
                     [("project", None, "the study", "ana", "2026-01-01"), ("document", "ward_old", "night shift",
                                                                            "ana", "2026-01-02"),
                      ("coding", "5", "clear case", "bo", "2026-01-03")])
    conn.close()


def test_a_project_from_before_passages_keeps_its_memos_and_can_edit_them(tmp_path):
    cli = Cli(tmp_path / "old.db")
    _schema_5_project(cli.db)
    memos = json_rows(cli, "memo", "list")  # opening migrates
    assert [(m["target_type"], m["target_id"], m["text"], m["author"], m["start"], m["end"]) for m in memos] == [
        ("project", None, "the study", "ana", None, None), ("document", "ward_old", "night shift", "ana", None, None),
        ("coding", "5", "clear case", "bo", None, None)]
    cli("memo", "edit", "2", "--text", "night shift, short of staff", "--coder", "bo")
    cli("memo", "add", "document", "ward_old", "--turn", "2", "--text", "the nurse's answer")
    assert json_rows(cli, "memo", "list", "document")[-1]["start"] == 41
    cli("memo", "rm", "3")
    assert [c["id"] for c in codings(cli)] == [5]
    assert [m["text"] for m in json_rows(cli, "memo", "list")] == ["the study", "night shift, short of staff",
                                                                   "the nurse's answer"]


def test_memos_on_a_passage_follow_it_when_the_document_is_replaced(tmp_path):
    cli = make_ward_project(tmp_path)
    s = {u["text"]: u for u in units(cli, "ward_a")}
    short, quit_ = "We are always short of staff at night.", "Some days I feel burnt out and want to quit."
    cli("memo", "add", "document", "ward_a", "--sentence", str(s[short]["n"]), "--text", "staffing")
    cli("memo", "add", "document", "ward_a", "--sentence", str(s[quit_]["n"]), "--text", "leaving")
    cli("memo", "add", "document", "ward_a", "--text", "the whole interview")
    path = tmp_path / "study" / "ward_a.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text("Interviewer: Before we start, how long have you worked here?\nNurse A: Six years.\n"
                    + text.replace(" " + quit_, ""), encoding="utf-8")
    cli("import", path, "--language", "en", "--interviewer", "Interviewer", "--speaker", "Nurse A=N01", "--replace")
    with tematik.open(cli.db) as p:
        new_text = p.show("ward_a").document.text
        memos = p.memos("document", "ward_a").to_dict("records")
        assert new_text[memos[0]["start"]:memos[0]["end"]] == short  # moved with its passage
        assert memos[0]["text"] == "staffing"
        assert memos[1]["start"] is None and memos[1]["end"] is None  # its passage is gone: on the document now
        assert memos[1]["text"] == f'[on a passage gone from the new text: "{quit_}"]\nleaving'
        assert (memos[2]["start"], memos[2]["text"]) == (None, "the whole interview")
        actions = p.log(entity="memo")["action"].tolist()
        assert actions[:2] == ["lost", "reanchor"]


def test_a_memo_deleted_with_its_coding_stays_in_the_log(tmp_path):
    """`code rm` deletes the coding's memos too; each is in the audit log with its text, author and why."""
    cli = Cli(tmp_path / "rm.db")
    cli("import", DATA / "coding" / "doc1.txt", "--participant", "P01", "--language", "id")
    cli("codebook", "load", DATA / "coding" / "mini.yaml")
    added = cli("code", "add", "doc1", "kepercayaan", "--span", "0:11", "--coder", "ana",
                "--memo", "Trust in the head, not the rules.")
    cid = int(added.stdout.split()[1].rstrip(":"))
    cli("code", "rm", str(cid), "--coder", "ana")
    assert json.loads(cli("memo", "list", "--format", "json").stdout) == []
    log = [r for r in json.loads(cli("log", "--entity", "memo", "--format", "json").stdout) if r["action"] == "delete"]
    assert len(log) == 1 and log[0]["who"] == "ana"
    before, after = json.loads(log[0]["before"]), json.loads(log[0]["after"])
    assert before["text"] == "Trust in the head, not the rules." and before["author"] == "ana"
    assert before["target_type"] == "coding" and before["target_id"] == str(cid)
    assert after == {"why": f"its coding {cid} was deleted"}
