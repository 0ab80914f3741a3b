"""`tematik demo`: the whole chain on the bundled corpus, through the real CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from tematik.cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_builds_the_project_and_runs_every_step(demo):
    out, output = demo
    db = out / "tematik.db"
    conn = sqlite3.connect(db)
    n_docs = dict(conn.execute("SELECT source_type, count(*) FROM documents GROUP BY source_type").fetchall())
    assert n_docs["interview"] >= 14 and n_docs["observation"] >= 5
    assert conn.execute("SELECT count(*) FROM participants").fetchone()[0] == 25
    assert {r[0] for r in conn.execute("SELECT DISTINCT language FROM documents")} == {"id", "en"}
    # every theme of the study is suggested somewhere, and the output says they are unreviewed
    codes = dict(conn.execute("SELECT code_id, count(*) FROM codings WHERE status = 'suggested' GROUP BY code_id"))
    assert set(codes) == {"trust", "solidarity", "openness", "togetherness", "kinship", "communication"}
    assert "UNREVIEWED" in output
    # the questionnaire reproduces the published overall figure
    assert "68.7" in output and "cukup positif" in output
    assert (out / "factors.png").stat().st_size > 10_000
    docs = json.loads(CliRunner().invoke(app, ["docs", "--format", "json", "--db", str(db)]).stdout)
    assert len(docs) == sum(n_docs.values())


def test_demo_starts_afresh_when_run_again(demo):
    out, _ = demo
    before = sqlite3.connect(out / "tematik.db").execute("SELECT count(*) FROM codings").fetchone()[0]
    again = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert again.exit_code == 0, again.output
    assert sqlite3.connect(out / "tematik.db").execute("SELECT count(*) FROM codings").fetchone()[0] == before


def test_demo_scores_the_auto_coder_against_the_hand_coded_reference(demo):
    _, output = demo
    assert "Auto-coder against 753 hand-coded sentences" in output
    rows = [line.replace("│", " ").split() for line in output.splitlines()
            if line.startswith("│") and line.replace("│", " ").split()[:1] in (
                ["trust"], ["solidarity"], ["openness"], ["togetherness"], ["kinship"], ["communication"])
            and len(line.replace("│", " ").split()) == 9]
    assert len(rows) == 6
    for _code, ref, pred, tp, fp, fn, p, r, f1 in rows:
        assert int(tp) + int(fn) == int(ref) and int(tp) + int(fp) == int(pred)
        assert float(p) == pytest.approx(int(tp) / int(pred), abs=1e-3)
        assert float(r) == pytest.approx(int(tp) / int(ref), abs=1e-3)
        assert float(f1) == pytest.approx(2 * int(tp) / (2 * int(tp) + int(fp) + int(fn)), abs=1e-3)
