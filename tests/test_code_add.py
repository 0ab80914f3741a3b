"""`code add` takes ranges and lists of sentences and turns, refuses an exact duplicate and warns about
interviewer turns (issue 12, item 4), on the nursing-ward study, against real project files."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import Cli, digest
from tematik.errors import Conflict, InputError
from test_api_coding import dump
from ward_study import codings, make_ward_project, units


@pytest.fixture(scope="module")
def ward(tmp_path_factory) -> Path:
    return make_ward_project(tmp_path_factory.mktemp("ward")).db


@pytest.fixture
def cli(ward, tmp_path) -> Cli:
    shutil.copy(ward, tmp_path / "w.db")
    return Cli(tmp_path / "w.db")


def text_of(cli: Cli, doc: str) -> str:
    conn = sqlite3.connect(cli.db)
    try:
        return conn.execute("SELECT text FROM documents WHERE name = ?", (doc,)).fetchone()[0]
    finally:
        conn.close()


def test_a_range_is_one_passage_a_list_one_coding_per_item_and_each_one_per_unit(cli):
    s = units(cli, "ward_a")
    text = text_of(cli, "ward_a")
    out = cli("code", "add", "ward_a", "workload", "--sentence", "2-3", "--coder", "ana").stdout
    (one,) = codings(cli, "--coder", "ana")
    assert (one["start"], one["end"]) == (s[1]["start"], s[2]["end"])  # from the start of 2 to the end of 3
    assert one["text"] == text[s[1]["start"]:s[2]["end"]] and "\n" not in one["text"]
    assert out.count("coding ") == 1 and out.startswith(f"coding {one['id']}: workload on ward_a ")

    out = cli("code", "add", "ward_a", "teamwork", "--sentence", "2,4-5", "--coder", "ana").stdout
    team = codings(cli, "--coder", "ana", "--code", "teamwork")
    assert [(c["start"], c["end"]) for c in team] == [(s[1]["start"], s[1]["end"]), (s[3]["start"], s[4]["end"])]
    assert out.count("coding ") == 2

    cli("code", "add", "ward_a", "burnout", "--sentence", "8-9", "--each", "--coder", "ana")
    burn = codings(cli, "--coder", "ana", "--code", "burnout")
    assert [(c["start"], c["end"]) for c in burn] == [(s[7]["start"], s[7]["end"]), (s[8]["start"], s[8]["end"])]

    t = units(cli, "ward_a", "turn")
    cli("code", "add", "ward_a", "teamwork", "--turn", "3,5", "--coder", "bo")
    assert [(c["start"], c["end"]) for c in codings(cli, "--coder", "bo")] == [
        (t[2]["start"], t[2]["end"]), (t[4]["start"], t[4]["end"])]
    # every coding made here is manual, by its coder, and in the audit log
    log = json.loads(cli("log", "--entity", "coding", "--limit", "0", "--format", "json").stdout)
    assert len([e for e in log if e["action"] == "add"]) == 1 + 2 + 2 + 2
    assert {c["status"] for c in codings(cli)} == {"manual"}


def test_the_api_takes_the_same_numbers_as_ints_strings_lists_and_ranges(ward, tmp_path):
    a, b = tmp_path / "cli.db", tmp_path / "api.db"
    shutil.copy(ward, a)
    shutil.copy(ward, b)
    cli = Cli(a)
    steps = [(("--sentence", "2-3"), dict(sentence="2-3")),
             (("--sentence", "5"), dict(sentence=5)),
             (("--sentence", "4,8-9"), dict(sentence=[4, "8-9"])),
             (("--turn", "3,5", "--each"), dict(turn="3,5", each=True, code="burnout")),
             (("--sentence", "8-9", "--each"), dict(sentence=range(8, 10), each=True, code="teamwork"))]
    with tematik.open(b) as p:
        for args, kwargs in steps:
            code = kwargs.pop("code", "workload")
            out = cli("code", "add", "ward_a", code, *args, "--coder", "ana", "--memo", "night shift").stdout
            added = p.add_coding("ward_a", code, coder="ana", memo="night shift", **kwargs)
            assert out.splitlines() == [f"coding {c.id}: {c.code} on ward_a [{c.start}:{c.end}] {c.text[:80]!r}"
                                        for c in added]
            assert added.ids == [c.id for c in added.codings] and len(added) == len(added.ids)
            assert dump(a) == dump(b), args
        # one memo on each coding of a command
        memos = p.memos("coding")
        assert sorted(memos["target_id"].astype(int)) == sorted(p.codings(coder="ana")["id"])
        assert set(memos["text"]) == {"night shift"}


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--sentence", "8-6", "runs backwards (write 6-8)"), ("--sentence", "0", "numbered from 1"),
    ("--sentence", "x", "got 'x'"), ("--sentence", "11", "got 11"), ("--sentence", "2,,3", "got ''"),
    ("--sentence", "3-12", "got 12"), ("--turn", "7", "got 7"), ("--turn", "2-1", "runs backwards"),
    ("--sentence", "2,2", "sentence 2 is given twice")])
def test_bad_numbers_are_one_line_errors_naming_the_option_and_the_unit_count(cli, option, value, says):
    before = digest(cli.db)
    r = cli.fails("code", "add", "ward_a", "workload", option, value)
    kind = option[2:]
    message = r.stderr.strip()
    assert message.startswith(f"error: {option}: ") and len(message.splitlines()) == 1
    assert says in message
    if "twice" not in says:
        assert f"ward_a has {10 if kind == 'sentence' else 6} {kind}s" in message
    assert digest(cli.db) == before


def test_bad_numbers_from_the_api_raise_input_error_on_the_field(ward, tmp_path):
    shutil.copy(ward, tmp_path / "w.db")
    with tematik.open(tmp_path / "w.db") as p:
        for kwargs in (dict(sentence="8-6"), dict(sentence=0), dict(turn=[1, "x"]), dict(sentence=True),
                       dict(turn=range(3, 3)), dict(sentence=range(1, 20)), dict(sentence="2-3,3", each=True)):
            with pytest.raises(InputError) as err:
                p.add_coding("ward_a", "workload", **kwargs)
            assert err.value.field == ("--sentence" if "sentence" in kwargs else "--turn"), kwargs
        with pytest.raises(InputError, match="--each"):
            p.add_coding("ward_a", "workload", span="0:10", each=True)
        assert p.codings().empty


def test_an_exact_duplicate_is_refused_naming_the_coding_and_nothing_of_the_command_is_written(cli):
    cli("code", "add", "ward_a", "workload", "--sentence", "2", "--coder", "ana")
    (first,) = codings(cli)
    before = digest(cli.db)
    r = cli.fails("code", "add", "ward_a", "workload", "--sentence", "3,2", "--coder", "ana")
    assert f"(coding {first['id']})" in r.stderr and "already coded workload by ana" in r.stderr
    assert "nothing was added" in r.stderr
    assert digest(cli.db) == before  # sentence 3 was not written either
    # by span or by match it is the same span, so the same refusal
    s = units(cli, "ward_a")[1]
    cli.fails("code", "add", "ward_a", "Workload", "--span", f"{s['start']}:{s['end']}", "--coder", "ana")
    cli.fails("code", "add", "ward_a", "workload", "--match", s["text"], "--coder", "ana")
    assert digest(cli.db) == before
    # another coder, another code or another span is not a duplicate
    cli("code", "add", "ward_a", "workload", "--sentence", "2", "--coder", "bo")
    cli("code", "add", "ward_a", "burnout", "--sentence", "2", "--coder", "ana")
    cli("code", "add", "ward_a", "workload", "--sentence", "2-3", "--coder", "ana")
    assert len(codings(cli)) == 4
    with tematik.open(cli.db) as p, pytest.raises(Conflict, match=f"coding {first['id']}"):
        p.add_coding("ward_a", "workload", sentence=2, coder="ana")


def test_a_suggestion_of_the_auto_coder_on_the_same_span_is_not_a_duplicate(tmp_path):
    cli = make_ward_project(tmp_path, autocode=True)
    suggestion = next(c for c in codings(cli, "--status", "suggested") if c["code"] == "workload")
    r = cli("code", "add", suggestion["document"], "workload", "--span",
            f"{suggestion['start']}:{suggestion['end']}", "--coder", "ana")
    assert f"(coding {suggestion['id']}) is still open" in r.stderr  # a note: decide it too
    manual = codings(cli, "--status", "manual")
    assert [(m["start"], m["end"], m["coder"]) for m in manual] == [(suggestion["start"], suggestion["end"], "ana")]
    # once it is the person's own coding, the same again is refused
    cli.fails("code", "add", suggestion["document"], "workload", "--span",
              f"{suggestion['start']}:{suggestion['end']}", "--coder", "ana")


def test_a_passage_in_an_interviewer_turn_is_coded_with_a_warning_that_the_counts_leave_it_out(cli):
    r = cli("code", "add", "ward_a", "burnout", "--sentence", "6", "--coder", "ana")  # "Do you feel tired?"
    assert "warning:" in r.stderr and "interviewer turn 4 (Interviewer)" in r.stderr
    assert "--include-interviewer" in r.stderr and "lies in" in r.stderr
    assert [c["text"] for c in codings(cli)] == ["Do you feel tired?"]
    # what the warning says is what freq does
    freq = {row["code"]: row for row in json.loads(cli("freq", "--format", "json").stdout)}
    assert not freq.get("burnout") or not freq["burnout"]["units"]
    freq = {row["code"]: row for row in json.loads(cli("freq", "--include-interviewer", "--format", "json").stdout)}
    assert freq["burnout"]["units"] == 1
    # partly: a range that starts in the interviewer's turn is left out as a whole
    r = cli("code", "add", "ward_a", "workload", "--turn", "1-2", "--coder", "ana")
    assert "lies partly in interviewer turn 1 (Interviewer)" in r.stderr and "--include-interviewer" in r.stderr
    # one that starts with the nurse and runs into the interviewer's question counts for the nurse
    r = cli("code", "add", "ward_a", "teamwork", "--turn", "3-4", "--coder", "ana")
    assert "lies partly in interviewer turn 4 (Interviewer)" in r.stderr
    assert "counted for turn 3 (Nurse A)" in r.stderr
    # a nurse's sentence: no warning
    assert "warning" not in cli("code", "add", "ward_a", "teamwork", "--sentence", "5", "--coder", "ana").stderr
    assert len(codings(cli)) == 4


def test_the_api_warns_through_the_log_and_in_the_result(ward, tmp_path, caplog):
    shutil.copy(ward, tmp_path / "w.db")
    with tematik.open(tmp_path / "w.db") as p, caplog.at_level(logging.WARNING, logger="tematik"):
        added = p.add_coding("ward_b", "teamwork", turn="1,2", coder="ana")
        assert len(added) == 2 and len(added.warnings) == 1
        assert "ward_b turn 1" in added.warnings[0] and "interviewer turn 1" in added.warnings[0]
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == list(added.warnings)
        assert p.add_coding("ward_b", "teamwork", sentence=3, coder="ana").warnings == ()
