"""The layers show in the tree: the CLI over the project API over the domain and the store.

Read from the source with ``ast`` (every import, also those inside functions), so a shortcut added anywhere
fails here with the module and line that took it.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tematik"
TESTS = Path(__file__).resolve().parent

# the CLI's shared helpers, which every command may use; every other module in cli/ is one command group
CLI_SHARED = {"tematik.cli", "tematik.cli.common", "tematik.cli.render"}
DOMAIN = ["models", "errors", "corpus", "codebook", "nlp", "learn", "survey", "instrument", "analysis",
          "agreement", "triangulate", "refi", "report", "reanchor", "importreport", "limits", "escape", "fileio"]


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file, relative imports resolved."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0]
    else:
        package = package.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return found


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def offences(paths, bad) -> list[str]:
    out = []
    for path in paths:
        me = module_name(path)
        for line, mod in imports(path):
            why = bad(me, mod)
            if why:
                out.append(f"{path.relative_to(SRC.parent)}:{line}: imports {mod} ({why})")
    return sorted(set(out))


def test_no_command_reaches_into_the_store_or_another_command():
    def bad(me, mod):
        if mod == "tematik.store" or mod.startswith("tematik.store."):
            return "a command calls the project API, not the store"
        if mod == "tematik.learning":
            return "project-level steps belong to the project API"
        if mod.startswith("tematik.cli.") and me not in CLI_SHARED:
            target = ".".join(mod.split(".")[:3])
            if target not in CLI_SHARED and target != me:
                return "a command module may use cli.common and cli.render, not another command's module"
        return None

    assert offences(sorted((SRC / "cli").rglob("*.py")), bad) == []


def test_the_project_api_neither_prints_nor_exits():
    def bad(me, mod):
        for top in ("typer", "rich", "click", "tematik.cli", "textual"):
            if mod == top or mod.startswith(top + "."):
                return "the API returns results and raises tematik.errors; the CLI renders them"
        return None

    assert offences(sorted((SRC / "project").rglob("*.py")), bad) == []


def test_domain_modules_know_neither_store_project_nor_cli():
    def bad(me, mod):
        for top in ("tematik.store", "tematik.project", "tematik.cli", "tematik.learning", "typer", "rich"):
            if mod == top or mod.startswith(top + "."):
                return "domain modules are pure: no storage, no API, no terminal"
        return None

    paths = [SRC / f"{name}.py" for name in DOMAIN] + sorted((SRC / "export").rglob("*.py"))
    assert offences(paths, bad) == []


def test_models_import_nothing_of_ours():
    mods = [m for _, m in imports(SRC / "models.py") if m.startswith("tematik")]
    assert mods == []


def test_the_store_does_not_reach_up():
    def bad(me, mod):
        for top in ("tematik.project", "tematik.cli", "typer", "rich"):
            if mod == top or mod.startswith(top + "."):
                return "the store speaks SQL for the layers above; it does not call them"
        return None

    assert offences(sorted((SRC / "store").rglob("*.py")), bad) == []


def test_import_tematik_stays_light_and_gives_the_api():
    code = ("import sys, tematik; "
            "print(sorted(m for m in ('pandas', 'spacy', 'numpy', 'typer', 'rich', 'tematik.project') "
            "if m in sys.modules)); print(callable(tematik.open), tematik.Project.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True Project"


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        if hasattr(command, "commands"):  # a group (Typer's own click, or click's)
            if getattr(command, "invoke_without_command", False):
                yield " ".join(path)
            yield from _commands(command, path)
        else:
            yield " ".join(path)


# sub-commands written as an argument (`tematik speakers set DOC LABEL=P07`), which click cannot list
ARGUMENT_COMMANDS = {"speakers set"}

NOT_A_PROJECT_RESULT = {
    "demo": "the demo is itself a script over the API (tests/test_demo.py checks its figures)",
}


def test_every_command_result_is_compared_with_the_api():
    """Each test_api_* file names the commands whose output it checks against the API on the same project; taken
    together they must cover every command the CLI has."""
    import typer

    from tematik.cli import app

    commands = set(_commands(typer.main.get_command(app))) | ARGUMENT_COMMANDS
    covered: set[str] = set()
    for path in sorted(TESTS.glob("test_api_*.py")):
        module = importlib.import_module(f"tests.{path.stem}" if (TESTS / "__init__.py").exists() else path.stem)
        covered |= set(getattr(module, "COVERED_COMMANDS", ()))
    assert covered - commands == set(), "a test claims a command the CLI does not have"
    missing = commands - covered - set(NOT_A_PROJECT_RESULT)
    assert missing == set(), f"no test compares these commands with the API: {sorted(missing)}"


@pytest.mark.parametrize("name", ["open", "create"])
def test_open_and_create_are_documented(name):
    import tematik

    assert (getattr(tematik, name).__doc__ or "").strip()


def test_no_area_of_the_api_shadows_another():
    """Project is put together from one mixin per area: a name defined in two of them would silently lose one."""
    from tematik.project import Project
    from tematik.project._base import ProjectBase

    seen: dict[str, str] = {}
    clashes = []
    for mixin in Project.__mro__[1:]:
        if mixin in (ProjectBase, object):
            continue
        for name in vars(mixin):
            if name.startswith("__"):
                continue
            if name in seen or name in vars(ProjectBase):
                clashes.append(f"{name}: {mixin.__name__} and {seen.get(name, 'ProjectBase')}")
            seen[name] = mixin.__name__
    assert clashes == []
    assert {"freq", "cooccur", "import_files", "triangulate", "report", "export_qdpx", "scores"} <= set(seen)
