"""Domain errors. The CLI turns every TematikError into one line on stderr and exit code 2.

Messages are written for the user: they name the file, line and field where there is one.
"""

from __future__ import annotations


class TematikError(Exception):
    """Base of every expected error. ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        super().__init__(self.format())

    def format(self) -> str:
        where = ""
        if self.path:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        fld = f"{self.field}: " if self.field else ""
        return f"{where}{fld}{self.message}"


class InputError(TematikError):
    """A file or value given by the user cannot be read or is not valid."""


class CodebookError(InputError):
    """A codebook file does not validate."""


class InstrumentError(InputError):
    """A questionnaire instrument or its responses do not validate."""


class NotFound(TematikError):
    """A document, code, participant or coding named by the user does not exist."""


class Conflict(TematikError):
    """The request would overwrite or lose data and was refused (use --replace / --force)."""


class ProjectError(TematikError):
    """The project database is missing, not a tematik project, or of a newer schema."""


class ProjectBusy(ProjectError):
    """Another process held the project's write lock for longer than the busy timeout (``--wait``).

    Exits with 75 (EX_TEMPFAIL): nothing was written, trying again later is expected to work.
    """

    exit_code = 75


class StorageError(TematikError):
    """The disk or file system refused: disk full, read-only file or folder, no permission, damaged file."""


class DocumentChanged(Conflict):
    """A document's text changed (re-imported by another process) after work on it was computed from the old
    text; that work was not stored."""
