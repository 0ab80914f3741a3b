"""The command line: a thin Typer app. Each command opens the store and calls one library function.

Only this package prints. Every ``TematikError`` becomes one line on stderr and exit code 2, with no traceback.
Command groups live in their own modules and are registered here.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from tematik import __version__
from tematik.errors import TematikError


class _Group(TyperGroup):
    """Turns domain errors into a one-line message and an exit code, for every (sub)command."""

    def invoke(self, ctx):  # type: ignore[override]
        from tematik.cli.common import api_messages

        try:
            with api_messages():
                return super().invoke(ctx)
        except TematikError as exc:
            from tematik.cli.common import err_console

            err_console.print(f"[bold red]error:[/] {_escape(exc.format())}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            from tematik.cli.common import err_console

            err_console.print("interrupted; work already committed is kept")
            raise typer.Exit(130) from None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


app = typer.Typer(
    name="tematik",
    cls=_Group,
    help="Mixed-methods qualitative coding from the terminal: transcripts, codebooks, spaCy-assisted coding, "
    "questionnaire scores and triangulation, in one SQLite project file.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tematik {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", help="Show the version and exit.",
                                          callback=_version, is_eager=True)] = False,
    wait: Annotated[float | None, typer.Option(
        "--wait", min=0, max=1e7, envvar="TEMATIK_BUSY_TIMEOUT", metavar="SECONDS", show_default=False,
        help="How long a command waits for a project that another tematik process is writing, before it gives "
             "up with exit code 75 and nothing changed (default: 30).")] = None,
) -> None:
    """tematik: qualitative coding + questionnaire scoring + triangulation, in one SQLite file."""
    from tematik.cli import common

    common.wait_seconds = wait


def _register() -> None:
    from tematik.cli import (
        agree,
        codebook,
        coding,
        demo,
        exchange,
        learn,
        memo,
        project,
        refi,
        review,
        speakers,
        survey,
        triangulate,
        workbench,
    )
    from tematik.cli import analysis as analysis_commands

    project.register(app)
    speakers.register(app)
    codebook.register(app)
    coding.register(app)
    workbench.register(app)  # `code open`, on the code group coding.register made
    memo.register(app)
    review.register(app)
    learn.register(app)
    agree.register(app)
    analysis_commands.register(app)
    exchange.register(app)
    refi.register(app)
    survey.register(app)
    triangulate.register(app)
    demo.register(app)


_register()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # before a command runs (its own handler is in _Group.invoke)
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None


__all__ = ["app", "main"]
