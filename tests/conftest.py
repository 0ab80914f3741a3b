"""Shared fixtures and helpers: a real project file in tmp_path, the real CLI, and a REFI export as another tool
would hand it back."""

from __future__ import annotations

import hashlib
import re
import zipfile
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


def as_the_tool(out: Path, dest: Path, origin: str, *, nvivo: bool) -> Path:
    """The export as the tool would give it back: no tematik.json, no selection names, the tool's origin (and
    NVivo's ``Sources/``), so that the offsets must be read by the tool's convention."""
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(dest, "w") as zout:
        for n in zin.namelist():
            if n == "tematik.json":
                continue
            data = zin.read(n)
            if n == "project.qde":
                data = re.sub(rb' name="[^"]*" startPosition', b" startPosition", data)
                data = re.sub(rb'origin="[^"]*"', f'origin="{origin}"'.encode(), data, count=1)
            zout.writestr(n.replace("sources/", "Sources/") if nvivo else n, data)
    return dest
