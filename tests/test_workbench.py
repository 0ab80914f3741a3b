"""The coding workbench (``tematik code open``, ``tematik review`` in a terminal) driven by Textual's headless pilot
at 80x24 on a real project file (the nursing-ward study of test_api_workbench), asserting on the database and on
what the screen shows."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

import tematik
from tematik.cli.workbench import MARGIN, workbench_app
from test_api_workbench import build, coded, rows, span_of


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("ward") / "ward.db"
    build(db)
    return db


@pytest.fixture
def project(base, tmp_path) -> Path:
    db = tmp_path / "ward.db"
    shutil.copy(base, db)
    return db


def screen(app) -> str:
    """The text of the whole screen as the terminal would show it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def margin(app, unit: int) -> list[str]:
    """The codes column of one unit's row, line by line, as rendered."""
    from textual.geometry import Region

    row = app.rows[unit]
    lines = row.render_lines(Region(0, 0, row.size.width, row.size.height))
    return [line.text[:MARGIN].strip() for line in lines if line.text[:MARGIN].strip()]


async def drive(db: Path, *steps, coder: str = "ana", doc: str | None = None, review: dict | None = None,
                size: tuple[int, int] = (80, 24), check=None):
    """Open the workbench on ``db`` and press each step's keys (a step: a list of keys); ``check(app, i)`` runs
    after step ``i`` while the app is still open. Returns the app (closed) and the session (its summary in
    ``closing_summary``)."""
    with tematik.open(db) as p:
        session = p.session(doc, coder=coder, review=review)
        app = workbench_app(session)
        async with app.run_test(size=size) as pilot:
            for i, keys in enumerate(steps):
                await pilot.press(*keys)
                await pilot.pause()
                if check is not None:
                    check(app, i)
        session.closing_summary = session.summary()  # what the command prints on quit
        return app, session


def test_two_codes_on_one_sentence_show_both_and_toggle_off(project):
    a2 = None
    seen = {}

    def check(app, i):
        seen[i] = (margin(app, 1), screen(app), coded(project))

    with tematik.open(project) as p:
        a2 = span_of(p, "nurse_a", 2)
    app, _ = asyncio.run(drive(project, ["j", "1", "2"], ["2", "1"], check=check))
    shown, text, db_after = seen[0]
    assert shown == ["▌workload", "▌teamwork"]  # both codes beside the sentence
    assert ("workload", *a2, "accepted") in [r[:4] for r in db_after]  # committed while the app is still open
    assert ("teamwork", *a2, "manual", "ana") in db_after
    assert "?workload" in text and "?burnout" in text  # the other units' suggestions, visibly pending
    assert "Interviewer: How is the workload" in text and "Nurse A: The workload is heavy." in text
    assert seen[1][0] == []  # toggled off again: nothing beside it
    assert [r for r in seen[1][2] if r[1:3] == a2] == []


def test_fits_80x24_with_the_side_panel_and_the_detail_line(project):
    texts = {}
    app, _ = asyncio.run(drive(project, ["j"], ["question_mark"], ["escape", "slash", *"appre", "enter"],
                               check=lambda app, i: texts.setdefault(i, screen(app))))
    first = texts[0].splitlines()
    assert len(first) == 24 and all(len(line) <= 80 for line in first)
    assert "nurse_a (1/3) · sentence 2/8 · coder ana" in first[0]
    side = "\n".join(first)
    for line in ("1 ▌workload", "2 ▌teamwork", "3 ▌burnout", "9 ▌family"):
        assert line in side
    assert "▌recognition" in side  # the tenth code is listed, without a number
    assert "?workload · rule workload/en/term:workload · confidence 0.50" in first[-3]
    assert "workload: How much work nurses carry on a shift." in first[-2]
    assert "Keys" in texts[1] and "undo the last change of this session" in texts[1]
    assert "1 ▌recognition" in texts[2] and "2 ▌" not in texts[2]  # the filter renumbers


def test_filter_then_a_digit_codes_the_filtered_code(project):
    texts = []
    asyncio.run(drive(project, ["j", "slash", *"exhaus", "enter", "1"],
                      ["slash", *["backspace"] * 6, *"fety", "escape", "2"], ["1"],
                      check=lambda app, i: texts.append(screen(app))))
    with tematik.open(project) as p:
        a2 = span_of(p, "nurse_a", 2)
    here = {(r[0], r[3]) for r in coded(project) if r[1:3] == a2}
    # "exhaus" matches burnout's label (exhaustion), "fety" patient_safety's id: each became number 1
    assert here == {("workload", "suggested"), ("burnout", "manual"), ("patient_safety", "manual")}
    assert "error: no code number 2" in texts[1]  # only one code matches: 2 is refused, nothing written
    assert "1 ▌patient_safety" in texts[2] and "/fety" in texts[2]


def test_accept_reject_next_and_previous(project):
    texts = {}
    asyncio.run(drive(project, ["n", "a"], ["n", "r"], ["n", "n", "N", "a"],
                      check=lambda app, i: texts.setdefault(i, screen(app)), coder="rev"))
    status = {(r[0], r[1]): (r[3], r[4]) for r in coded(project)}
    assert status[("workload", 56)][0] == "accepted"
    assert status[("workload", 79)][0] == "rejected"
    # n n N: forward to the teamwork of sentence 6, back to the burnout of sentence 4
    assert status[("burnout", 110)][0] == "accepted" and status[("teamwork", 186)][0] == "suggested"
    who = rows(project, "SELECT who FROM audit_log WHERE entity = 'coding' AND action != 'autocode'")
    assert {w for (w,) in who} == {"rev"}  # each decision recorded as the reviewer's
    assert status[("workload", 56)][1] == "rev" and status[("workload", 79)][1] == "rev"  # and theirs on the row
    assert "▌workload" in texts[0] and "accepted workload on sentence 2" in texts[0]


def test_n_goes_on_to_the_next_document(project):
    texts = []
    asyncio.run(drive(project, ["n"] * 6, ["n"], ["right_square_bracket"], ["left_square_bracket"] * 2,
                      check=lambda app, i: texts.append(screen(app))))
    assert "nurse_a (1/3)" in texts[0] and "sentence 8/8" in texts[0]
    assert "nurse_b (2/3) · sentence 2/7" in texts[1]  # past nurse_a's last suggestion
    assert "nurse_c (3/3)" in texts[2] and "Nurse C: I learned most things" in texts[2]
    assert "nurse_a (1/3)" in texts[3] and "Nurse A: The workload is heavy." in texts[3]


def test_selection_over_three_sentences_and_undo(project):
    texts = []
    with tematik.open(project) as p:
        start, end = span_of(p, "nurse_a", 6)[0], span_of(p, "nurse_a", 8)[1]
    asyncio.run(drive(project, ["T"], ["t", "t", "t", "v", "j", "j", "7"], ["shift+down", "shift+up", "escape"],
                      ["u"], check=lambda app, i: texts.append((screen(app), coded(project)))))
    assert ("shift_work", start, end, "manual", "ana") in texts[1][1]
    assert "coded chars" in texts[1][0] or "coded sentence" in texts[1][0] or "shift_work" in texts[1][0]
    assert ("shift_work", start, end, "manual", "ana") not in texts[3][1]  # u took it back
    assert "undone" in texts[3][0]


def test_shift_arrows_select_words(project):
    asyncio.run(drive(project, ["j", "right", "shift+right", "shift+right", "3"]))
    with tematik.open(project) as p:
        text = p.show("nurse_a").document.text
    (row,) = [r for r in coded(project) if r[0] == "burnout" and r[3] == "manual"]
    assert text[row[1]:row[2]] == "The workload is"


def test_memo_on_the_coding_under_the_cursor_and_tab(project):
    texts = []
    asyncio.run(drive(project, ["j", "2", "tab"], ["m", *"double", "enter"], ["j", "j", "j", "m", "escape"],
                      check=lambda app, i: texts.append(screen(app))))
    assert "(2/2, tab: next)" in texts[0]
    memos = rows(project, "SELECT target_type, target_id, text, author FROM memos")
    teamwork_id = rows(project, "SELECT id FROM codings WHERE code_id = 'teamwork' AND status = 'manual'")[0][0]
    assert memos == [("coding", str(teamwork_id), "double", "ana")]  # tab moved to the second coding
    assert "no memo written" in texts[2]


def test_review_mode_decides_in_queue_order(project):
    texts = []
    with tematik.open(project) as p:
        queue = [it["id"] for it in p.review_queue(order="document").items]
    app, session = asyncio.run(drive(project, ["a", "r", "s", "3"], ["u"], ["q"], coder="rev",
                                     review={"order": "document"},
                                     check=lambda app, i: texts.append(screen(app))))
    status = dict(rows(project, "SELECT id, status FROM codings"))
    assert status[queue[0]] == "accepted" and status[queue[1]] == "rejected" and status[queue[2]] == "suggested"
    assert status[queue[3]] == "suggested"  # recoded to burnout, then undone
    assert rows(project, "SELECT code_id FROM codings WHERE id = ?", queue[3]) == [("teamwork",)]
    assert "review 4/8" in texts[1]  # back on the suggestion the undo restored
    assert session.closing_summary == ("reviewed: 1 accepted, 1 rejected, 1 skipped, 0 memo(s); 6 still open in "
                                 "this selection")
    assert app.return_code in (0, None)


def test_a_refused_key_is_told_not_crashed(project):
    texts = []
    asyncio.run(drive(project, ["slash", *"pay", "enter", "5"], ["a"],
                      check=lambda app, i: texts.append(screen(app))))
    assert "error: no code number 5" in texts[0]
    assert "no open suggestion here" in texts[1]
    assert rows(project, "SELECT count(*) FROM codings") == [(8,)]


def test_quit_keeps_everything(project):
    app, _ = asyncio.run(drive(project, ["j", "4", "q"]))
    assert app._exit
    with sqlite3.connect(project) as conn:
        assert conn.execute("SELECT count(*) FROM codings WHERE code_id = 'leadership'").fetchone() == (1,)
