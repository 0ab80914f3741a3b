"""`tematik demo`: the whole chain on the bundled corpus, through the real CLI."""

from __future__ import annotations

import json
import sqlite3

from typer.testing import CliRunner

from tematik.cli import app


def test_demo_builds_the_project_and_runs_every_step(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    db = out / "tematik.db"
    conn = sqlite3.connect(db)
    n_docs = dict(conn.execute("SELECT source_type, count(*) FROM documents GROUP BY source_type").fetchall())
    assert n_docs["interview"] >= 12 + 2 - 1 and n_docs["observation"] >= 5
    assert conn.execute("SELECT count(*) FROM participants").fetchone()[0] == 25
    assert set(r[0] for r in conn.execute("SELECT DISTINCT language FROM documents")) == {"id", "en"}
    # every theme of the study is suggested somewhere, and the output says they are unreviewed
    codes = dict(conn.execute("SELECT code_id, count(*) FROM codings WHERE status = 'suggested' GROUP BY code_id"))
    assert set(codes) == {"trust", "solidarity", "openness", "togetherness", "kinship", "communication"}
    assert "UNREVIEWED" in result.output
    # the questionnaire reproduces the published overall figure
    assert "68.7" in result.output and "cukup positif" in result.output
    assert (out / "factors.png").stat().st_size > 10_000
    # running it again starts afresh
    again = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert again.exit_code == 0, again.output
    assert sqlite3.connect(db).execute("SELECT count(*) FROM documents").fetchone()[0] == sum(n_docs.values())
    docs = json.loads(CliRunner().invoke(app, ["docs", "--format", "json", "--db", str(db)]).stdout)
    assert len(docs) == sum(n_docs.values())
