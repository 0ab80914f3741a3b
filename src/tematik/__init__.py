"""tematik: mixed-methods qualitative coding from the terminal.

The package root stays light: ``import tematik`` loads neither spaCy nor pandas.
"""

from tematik.errors import CodebookError, Conflict, InputError, NotFound, TematikError
from tematik.models import Coding, Document, Participant, Suggestion, Turn

__version__ = "0.1.0"


def open(path=None, *, create=False, wait=None, on_busy=None):  # noqa: A001 - tematik.open, like sqlite3.connect
    """Open a tematik project file (default: $TEMATIK_DB or ./tematik.db) and return a :class:`Project`;
    ``create=True`` makes it when missing. See :mod:`tematik.project`."""
    from tematik.project import open as open_project

    return open_project(path, create=create, wait=wait, on_busy=on_busy)


def create(path, *, wait=None, on_busy=None):
    """Create a new, empty project file at ``path`` and return it open as a :class:`Project`."""
    from tematik.project import create as create_project

    return create_project(path, wait=wait, on_busy=on_busy)


def __getattr__(name: str):
    if name == "Project":  # imported on first use, so that ``import tematik`` stays light
        from tematik.project import Project

        return Project
    raise AttributeError(f"module 'tematik' has no attribute {name!r}")

__all__ = [
    "__version__",
    "CodebookError",
    "Coding",
    "create",
    "Conflict",
    "Document",
    "InputError",
    "NotFound",
    "open",
    "Participant",
    "Project",
    "Suggestion",
    "TematikError",
    "Turn",
]
