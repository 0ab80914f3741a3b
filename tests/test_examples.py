"""The example in examples/ runs end to end, as a user runs it, and leaves the project it says it does."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tematik.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "from_python.py"


def test_the_python_example_runs_and_its_project_answers_the_cli_the_same(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "27 documents imported"
    db = tmp_path / "study.db"
    conn = sqlite3.connect(db)
    status = dict(conn.execute("SELECT status, count(*) FROM codings WHERE code_id = 'kinship' GROUP BY status"))
    assert "suggested" not in status and status["accepted"] > 0  # every kinship suggestion was accepted
    assert f"accepted {status['accepted']}," in run.stdout
    [(text,)] = conn.execute("SELECT substr(d.text, c.start + 1, c.end - c.start) FROM codings c "
                             "JOIN documents d ON d.id = c.document_id WHERE c.status = 'manual'").fetchall()
    assert text == "Saya tidak perlu cek lagi. Saya yakin sama dia."
    assert conn.execute("SELECT count(*) FROM memos").fetchone()[0] == 1
    written = {line.split()[0]: Path(line.split()[1]) for line in lines if line.split()[:1] in
               (["html"], ["md"], ["xlsx"], ["docx"], ["manifest"])}
    assert set(written) == {"html", "md", "xlsx", "docx", "manifest"} and all(p.exists() for p in written.values())
    manifest = json.loads(written["manifest"].read_text(encoding="utf-8"))
    assert "report.md" in json.dumps(manifest)
    # the project the script left is an ordinary project: the commands read it
    freq = json.loads(CliRunner().invoke(app, ["freq", "--status", "all", "--format", "json", "--db", str(db)]).stdout)
    kinship = next(r for r in freq if r["code"] == "kinship")
    assert kinship["units"] > 0


def test_the_readme_python_example_runs_as_written(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using tematik from Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # the API prints nothing
    assert (tmp_path / "study.db").exists() and (tmp_path / "report" / "MANIFEST.json").exists()
    conn = sqlite3.connect(tmp_path / "study.db")
    assert conn.execute("SELECT count(*) FROM codings WHERE status = 'manual'").fetchone()[0] == 1
