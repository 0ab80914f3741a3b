"""`show` marks every code of multi-coded text, as text (code ids), not only as colour, and tells pending
suggestions from the researcher's codings (issue 12, item 6); on the nursing-ward study."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

import tematik
from conftest import Cli
from ward_study import codings, make_ward_project, units

SENTENCE_2 = "We are always short of staff at night."
SENTENCE_3 = "Two nurses for thirty beds is too much workload."


@pytest.fixture(scope="module")
def ward(tmp_path_factory) -> Path:
    """ward_a auto-coded; sentence 2 also coded burnout and teamwork by hand (with the workload suggestion still
    open there), sentence 3's workload suggestion accepted, and a passage across sentences 3-4 coded teamwork."""
    cli = make_ward_project(tmp_path_factory.mktemp("ward"), autocode=True)
    s3 = next(c for c in codings(cli, "--status", "suggested") if c["text"] == SENTENCE_3)
    cli("code", "accept", "--id", str(s3["id"]), "--coder", "ana")
    cli("code", "add", "ward_a", "burnout", "--sentence", "2", "--coder", "ana")
    cli("code", "add", "ward_a", "teamwork", "--sentence", "2", "--coder", "bo")
    return cli.db


@pytest.fixture
def cli(ward, tmp_path) -> Cli:
    shutil.copy(ward, tmp_path / "w.db")
    return Cli(tmp_path / "w.db")


def flat(out: str) -> str:
    """The shown text without the panel's borders and line wrapping."""
    lines = [re.sub(r"^\s*│ ?|\s*│\s*$", "", line) for line in out.splitlines()]
    return " ".join(" ".join(lines).split())


def test_a_sentence_with_three_codes_shows_all_three_and_which_is_a_suggestion(cli):
    out = flat(cli("show", "ward_a").stdout)
    assert f"⟦burnout,teamwork,workload? {SENTENCE_2}⟧" in out  # plain text: readable without colour
    assert f"⟦workload {SENTENCE_3}⟧" in out  # accepted: no "?"
    assert "code? = pending suggestion" in out
    # each coded span is marked once, and every coding of the document has its label
    body = out.split(" codes: ")[0]  # the legend explains ⟦code ...⟧ too
    spans = {(c["start"], c["end"]) for c in codings(cli, "--doc", "ward_a")}
    assert body.count("⟦") == body.count("⟧") == len(spans)


def test_the_units_table_lists_every_code_of_a_sentence(cli):
    s = {u["text"]: u for u in units(cli, "ward_a")}
    assert s[SENTENCE_2]["codes"] == "burnout, teamwork, workload"
    assert s[SENTENCE_3]["codes"] == "workload"


def test_nested_and_crossing_codings_say_where_each_ends(cli):
    cli("code", "add", "ward_a", "burnout", "--sentence", "2-3", "--coder", "ana")  # around sentences 2 and 3
    cli("code", "add", "ward_a", "workload", "--turn", "2-3", "--coder", "ana")  # crosses the teamwork suggestions
    out = flat(cli("show", "ward_a").stdout)
    assert f"⟦workload ⟦burnout ⟦burnout,teamwork,workload? {SENTENCE_2}⟧ ⟦workload {SENTENCE_3}⟧⟧" in out
    # the turn-long workload coding ends inside nothing else: its bracket closes last on that line
    assert "We cover for each other.⟧⟧" in out


def test_rejected_codings_are_marked_when_shown_and_left_out_by_default(cli):
    open_ = [c for c in codings(cli, "--status", "suggested") if c["code"] == "burnout"]
    cli("code", "reject", "--id", str(open_[0]["id"]), "--coder", "ana")
    rejected = open_[0]["text"]
    assert f"⟦burnout? {rejected}⟧" not in flat(cli("show", "ward_a").stdout)
    assert rejected in flat(cli("show", "ward_a").stdout)
    shown = flat(cli("show", "ward_a", "--status", "all").stdout)
    assert f"⟦burnout✗ {rejected}⟧" in shown and "code✗ = rejected" in shown
    assert "⟦" not in flat(cli("show", "ward_a", "--no-codings").stdout)


def test_the_api_view_renders_the_same_marks_without_colour(cli):
    from tematik.cli import render

    with tematik.open(cli.db) as p:
        view = p.show("ward_a")
    text = render.coded_text(Text(view.document.text), view.marks, {})
    sentence = next(line for line in text.plain.splitlines() if SENTENCE_2 in line)
    assert sentence == f"Nurse A: ⟦burnout,teamwork,workload? {SENTENCE_2}⟧ ⟦workload {SENTENCE_3}⟧"
    # with colour, the labels are still there as text
    console = Console(record=True, width=200, color_system="truecolor", force_terminal=True)
    console.print(text)
    assert "burnout,teamwork,workload?" in console.export_text(clear=False)
    coloured = console.export_text(styles=True)
    assert "\x1b[" in coloured
    # three codes, three colours (a code without one in the codebook does not borrow another code's)
    assert len(set(re.findall(r"38;2;(\d+;\d+;\d+)m(?:burnout|teamwork|workload)", coloured))) == 3
