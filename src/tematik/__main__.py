"""``python -m tematik`` and the ``tematik`` command.

The command line is imported inside ``main`` so that Ctrl-C while it is still loading (Typer, rich and every
command module) ends with one line and exit code 130, not a traceback.
"""

import sys


def main() -> None:
    try:
        from tematik.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    cli_main()


if __name__ == "__main__":
    main()
