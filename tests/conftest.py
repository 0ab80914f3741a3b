"""Shared fixtures: a real project file in tmp_path and the real CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tematik.cli import app

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


class Cli:
    """Runs tematik commands against one project file and returns the click Result."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        argv = [str(a) for a in args]
        if "--db" not in argv and argv[0] != "demo":
            argv += ["--db", str(self.db)]
        result = self.runner.invoke(app, argv, input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(f"tematik {' '.join(map(str, args))} exited {result.exit_code}:\n"
                                 f"{result.output}\n{result.stderr if result.stderr_bytes else ''}\n"
                                 f"{result.exception!r}")
        return result

    def fails(self, *args: str, input: str | None = None):
        result = self(*args, input=input, ok=False)
        assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
        assert "Traceback" not in result.output
        return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "project.db"


@pytest.fixture
def cli(db: Path) -> Cli:
    return Cli(db)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
