"""The coding session behind the workbench (``tematik code open``, ``tematik review``), without the UI: a nursing-ward
study (three English interviews, an 11-code codebook) built by the real CLI, every step checked on the database.

The command itself is compared with the API in ``test_command_and_session_write_the_same``: the same keys in the
workbench on one copy of the project and the same CodingSession calls on another give the same codings, memos
and audit log."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli
from tematik.errors import InputError, NotFound

NURSING = DATA / "nursing"
COVERED_COMMANDS = {"code open"}


def build(db: Path) -> Cli:
    """The nursing study: nurse_a, nurse_b (suggestions) and nurse_c (none), codebook loaded, auto-coded."""
    cli = Cli(db)
    cli("import", NURSING / "nurse_a.txt", NURSING / "nurse_b.txt", NURSING / "nurse_c.txt", "--language", "en",
        "--speaker", "Nurse A=N01", "--speaker", "Nurse B=N02", "--speaker", "Nurse C=N03")
    cli("codebook", "load", NURSING / "codebook.yaml")
    cli("autocode")
    return cli


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("nursing") / "ward.db"
    build(db)
    return db


@pytest.fixture
def project(base, tmp_path) -> Path:
    db = tmp_path / "ward.db"
    shutil.copy(base, db)
    return db


def rows(db: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def coded(db: Path, doc: str = "nurse_a") -> list[tuple]:
    """(code, start, end, status, coder) of a document's codings, in text order."""
    return rows(db, """SELECT k.code_id, k.start, k.end, k.status, k.coder FROM codings k JOIN documents d
                       ON d.id = k.document_id WHERE d.name = ? ORDER BY k.start, k.code_id, k.id""", doc)


def span_of(p, doc: str, n: int) -> tuple[int, int]:
    units = p.show(doc, units="sentence").units
    row = units[units["n"] == n].iloc[0]
    return int(row["start"]), int(row["end"])


# --------------------------------------------------------------------------- the session


def test_units_speakers_and_every_code_on_each(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        assert s.name == "nurse_a" and s.documents == ["nurse_a", "nurse_b", "nurse_c"]
        assert [(u.n, u.speaker, u.interviewer, u.turn_start) for u in s.units] == [
            (1, "Interviewer", True, True), (2, "Nurse A", False, True), (3, "Nurse A", False, False),
            (4, "Nurse A", False, False), (5, "Interviewer", True, True), (6, "Nurse A", False, True),
            (7, "Nurse A", False, False), (8, "Nurse A", False, False)]
        assert [c.id for c in s.numbered()] == ["workload", "teamwork", "burnout", "leadership", "patient_safety",
                                                "training", "shift_work", "pay", "family"]
        assert len(s.visible_codes()) == 11  # recognition and handover listed, not numbered
        s.down()
        (mark,) = s.here()
        assert mark.pending and mark.code == "workload" and mark.origin == "workload/en/term:workload"
        assert mark.describe() == "?workload · rule workload/en/term:workload · confidence 0.50"
        s.toggle(2)
        assert sorted(m.code for m in s.marks_of(1)) == ["teamwork", "workload"]
        assert s.counts()["teamwork"] == (1, 2)


def test_toggle_adds_accepts_and_removes(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        a2 = span_of(p, "nurse_a", 2)
        s.down()
        assert s.toggle(1).kind == "accepted"  # the open suggestion of that code on the span
        assert s.toggle(2).kind == "added"
        assert ("workload", *a2, "accepted", "ana") in coded(project)  # the reviewer is its coder
        assert ("teamwork", *a2, "manual", "ana") in coded(project)
        assert s.toggle(2).kind == "removed"
        assert s.toggle(1).kind == "removed"  # the accepted suggestion is taken back too
        assert [r for r in coded(project) if r[1:3] == a2] == []
        # the audit log names the coder of every step
        assert {r[0] for r in rows(project, "SELECT who FROM audit_log WHERE entity = 'coding' AND action != "
                                            "'autocode'")} <= {"ana"}


def test_selection_over_three_sentences_makes_one_coding(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        s.down()
        s.toggle_select()
        s.down()
        s.down()
        assert s.where() == "sentences 2-4"
        action = s.toggle("burnout")
        assert action.kind == "added" and s.anchor is None
        start, end = span_of(p, "nurse_a", 2)[0], span_of(p, "nurse_a", 4)[1]
        assert ("burnout", start, end, "manual", "ana") in coded(project)
        # words: shift+right twice from the first word of sentence 6 selects "Yes, we"
        s.goto(5)
        s.right()
        s.right(extend=True)
        assert p.show("nurse_a").document.text[slice(*s.span())] == "Yes, we"
        s.toggle(2)
        assert any(r[0] == "teamwork" and r[3] == "manual" and r[2] - r[1] == len("Yes, we")
                   for r in coded(project))


def test_accept_reject_recode_and_undo_each(project):
    with tematik.open(project) as p:
        s = p.session(coder="rev")
        s.goto(1)
        assert s.accept().kind == "accepted"
        s.goto(2)
        assert s.reject().kind == "rejected"
        s.goto(3)
        assert s.recode("pay").kind == "recoded"
        statuses = {(r[0], r[1]): r[3] for r in coded(project)}
        assert statuses[("workload", 56)] == "accepted" and statuses[("workload", 79)] == "rejected"
        assert statuses[("pay", 110)] == "accepted"
        assert {w for (w,) in rows(project, "SELECT who FROM audit_log WHERE action NOT IN ('autocode', 'load', "
                                            "'import')")} == {"rev"}
        s.undo()
        s.undo()
        s.undo()
        assert {r[3] for r in coded(project)} == {"suggested"}
        assert [r[0] for r in coded(project)][:3] == ["workload", "workload", "burnout"]
        assert s.undo() is None and s.message == "nothing to undo"


def test_undo_of_add_and_remove(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        before = coded(project)
        s.goto(6)
        s.toggle("recognition")
        s.toggle("recognition")  # removed again
        assert coded(project) == before
        s.undo()  # the removal: added back
        assert len(coded(project)) == len(before) + 1
        s.undo()  # the addition
        assert coded(project) == before


def test_next_suggestion_crosses_documents(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        seen = []
        for _ in range(8):
            m = s.next_suggestion()
            seen.append((s.name, m.code))
        assert seen[:6] == [("nurse_a", "workload"), ("nurse_a", "workload"), ("nurse_a", "burnout"),
                            ("nurse_a", "teamwork"), ("nurse_a", "teamwork"), ("nurse_a", "burnout")]
        assert seen[6:] == [("nurse_b", "workload"), ("nurse_b", "burnout")]
        s.next_document()
        assert s.name == "nurse_c" and s.next_suggestion() is not None and s.name == "nurse_a"  # wraps round
        s.open("nurse_b")
        m = s.next_suggestion(-1)  # nothing before the cursor here: the last one of nurse_a
        assert (s.name, m.code, m.start) == ("nurse_a", "burnout", 236)


def test_memos_on_a_coding_and_on_a_unit(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        s.goto(1)
        s.memo("heavy: the first thing she says")
        s.goto(2 + 2)  # the interviewer's second question: no coding
        s.memo("a leading question?")
        memos = p.memos()
        assert memos[["target_type", "target_id", "author"]].values.tolist() == [
            ["coding", "1", "ana"], ["document", "nurse_a", "ana"]]
        assert memos[["text", "start", "end"]].values.tolist()[1] == ["a leading question?", 157, 176]
        assert s.memo("   ") is None


def test_code_filter_renumbers(project):
    with tematik.open(project) as p:
        s = p.session(coder="ana")
        assert [c.id for c in s.set_filter("appreciation")] == ["recognition"]  # a label
        assert s.resolve(1) == "recognition"
        s.set_filter("work")
        assert [c.id for c in s.numbered()] == ["workload", "teamwork", "shift_work"]
        with pytest.raises(InputError):
            s.resolve(4)
        s.set_filter("")
        assert s.resolve("Burnout") == "burnout"
        with pytest.raises(NotFound):
            s.resolve("stress")


def test_review_mode_walks_the_queue_in_order(project):
    with tematik.open(project) as p:
        queue = [it["id"] for it in p.review_queue(order="document").items]
        s = p.session(coder="rev", review={"order": "document"})
        assert s.current_suggestion().id == queue[0]
        s.accept()
        assert s.current_suggestion().id == queue[1]
        s.reject()
        s.skip()
        s.toggle(8)  # a code key in review: change this suggestion's code (and accept it)
        assert s.current_suggestion().id == queue[4]
        s.undo()  # the recode: back on that suggestion
        assert s.current_suggestion().id == queue[3]
        t = s.tally()
        assert (t["accepted"], t["rejected"], t["suggested"], t["skipped"]) == (1, 1, 6, 1)
        assert s.summary() == "reviewed: 1 accepted, 1 rejected, 1 skipped, 0 memo(s); 6 still open in this selection"
        only = p.session(coder="rev", review={"doc": ["nurse_b"], "code": ["burnout"]})
        assert [it["id"] for it in only.review.items] == [8] and only.name == "nurse_b"


def test_review_mode_off_the_queue_acts_where_the_cursor_is(project):
    with tematik.open(project) as p:
        s = p.session(coder="rev", review={"code": ["workload"]})
        first = s.current_suggestion()
        assert (first.code, s.cursor) == ("workload", 1)
        s.goto(3)  # the burnout suggestion of sentence 4, not in this queue
        s.reject()
        assert s.review.index == 0 and s.current_suggestion() is None  # the queue did not move
        s.goto(1)
        assert s.current_suggestion().id == first.id
        s.toggle("burnout")  # on the suggestion under review a code key changes its code
        assert coded(project)[0][:4] == ("burnout", 56, 78, "accepted") and s.review.index == 1
        assert ("burnout", 110, 143, "rejected") in [r[:4] for r in coded(project)]


def test_documents_by_id_and_name(project):
    with tematik.open(project) as p:
        ids = dict(zip(p.docs()["name"], p.docs()["id"], strict=True))
        assert p.session(int(ids["nurse_c"])).name == "nurse_c"
        assert p.session("nurse_b").name == "nurse_b"


def test_turn_and_paragraph_units(project):
    with tematik.open(project) as p:
        s = p.session("nurse_b", coder="ana", unit="turn")
        assert [u.speaker for u in s.units] == ["Interviewer", "Nurse B", "Interviewer", "Nurse B"]
        s.down()
        s.toggle("pay")
        t = p.show("nurse_b").document.turns[1]
        assert ("pay", t.start, t.end, "manual", "ana") in coded(project, "nurse_b")
        s2 = p.session("nurse_b", coder="ana")
        s2.next_turn()
        assert s2.cursor == 1
        s2.next_turn()
        assert s2.cursor == 4
        s2.prev_turn()
        assert s2.cursor == 1
        with pytest.raises(InputError):
            p.session(unit="page")
        with pytest.raises(NotFound):
            p.session("nurse_z")


# --------------------------------------------------------------------------- the command


def test_code_open_refuses_bad_input_and_a_non_terminal(project):
    cli = Cli(project)
    before = rows(project, "SELECT * FROM codings ORDER BY id")
    assert "no document" in cli.fails("code", "open", "nurse_z").output.lower()
    assert "--unit" in cli.fails("code", "open", "--unit", "page").output
    r = cli.fails("code", "open", "nurse_a")
    assert "needs a terminal" in r.output and "Traceback" not in r.output
    assert rows(project, "SELECT * FROM codings ORDER BY id") == before


def test_review_opens_the_workbench_in_a_terminal(project, monkeypatch):
    """`tematik review` on a terminal goes to `code open --review` with its options (an empty selection here, so
    it says so instead of starting the app); without a terminal it stays in plain lines."""
    import tematik.cli.review as review_module

    class Tty:
        def __init__(self, stream):
            self.stream = stream

        def isatty(self):
            return True

        def __getattr__(self, name):
            return getattr(self.stream, name)

    class FakeSys:
        def __getattr__(self, name):
            import sys

            return Tty(getattr(sys, name)) if name in ("stdin", "stdout") else getattr(sys, name)

    cli = Cli(project)
    monkeypatch.setattr(review_module, "sys", FakeSys())
    r = cli("review", "--code", "leadership")
    assert r.stdout.strip() == "no open suggestions to review"
    monkeypatch.undo()
    assert "reviewed:" in cli("review", "--code", "burnout", input="q").stdout


def test_command_and_session_write_the_same(base, tmp_path):
    """The workbench's keys (the command's app) and the CodingSession calls they stand for, on two copies."""
    from test_workbench import drive

    one, two = tmp_path / "one.db", tmp_path / "two.db"
    shutil.copy(base, one)
    shutil.copy(base, two)
    asyncio.run(drive(one, ["j", "1", "2", "j", "r", "v", "j", "j", "3", "n", "a", "u", "m", *"why?", "enter",
                            "right_square_bracket", "j", "9"], coder="ana"))
    with tematik.open(two) as p:
        s = p.session(coder="ana")
        s.down(); s.toggle(1); s.toggle(2); s.down(); s.reject()  # noqa: E702
        s.toggle_select(); s.down(); s.down(); s.toggle(3)  # noqa: E702
        s.next_suggestion(); s.accept(); s.undo(); s.memo("why?")  # noqa: E702
        s.next_document(); s.down(); s.toggle(9)  # noqa: E702

    def state(db):
        return {"codings": rows(db, "SELECT id, document_id, code_id, start, end, status, coder FROM codings "
                                    "ORDER BY id"),
                "memos": rows(db, "SELECT target_type, target_id, text, author FROM memos ORDER BY id"),
                "log": rows(db, "SELECT who, action, entity, entity_id FROM audit_log ORDER BY id")}

    assert state(one) == state(two)
    assert len(state(one)["codings"]) == 8 + 3  # teamwork, burnout over sentences 3-5, family in nurse_b


def test_the_cli_loads_without_textual():
    """`tematik --help` stays quick: Textual is imported when the workbench starts, not with the commands."""
    import subprocess
    import sys

    code = "import sys, tematik.cli; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_new_session_goes_on_where_the_coder_last_coded(project):
    """Two weeks of coding: without a document named, the next session opens the document and unit this coder
    last changed a coding in (another coder's later work does not move it); a coder with nothing yet starts at
    the first document."""
    with tematik.open(project) as p:
        s = p.session("nurse_b", coder="ana")
        s.goto(3)
        s.toggle("workload")
        there = (s.name, s.cursor)
        other = p.session("nurse_c", coder="budi")
        other.toggle("teamwork")
    with tematik.open(project) as p:
        again = p.session(coder="ana")
        assert (again.name, again.cursor) == there and "last coded" in again.message
        fresh = p.session(coder="new")
        assert (fresh.name, fresh.cursor) == (fresh.documents[0], 0)
