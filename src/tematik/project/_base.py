"""What every part of the project API shares: the open store, messages, progress, statuses, the codebook and
units on demand.

The API never prints and never exits. It tells what it decided through the ``tematik`` logger (warnings at
WARNING, notes such as "wrote FILE" at INFO; the CLI shows them on stderr, a notebook shows warnings), reports
progress through :attr:`ProjectBase.progress`, and raises the domain exceptions of :mod:`tematik.errors`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import CodebookError, InputError, NotFound
from tematik.models import CODING_STATUSES, COUNTED_STATUSES, DEFAULT_STATUSES

if TYPE_CHECKING:
    import pandas as pd

    from tematik.models import Codebook
    from tematik.store import Store

log = logging.getLogger("tematik")


#: The languages of factor names and category labels (``lang=``, ``--lang``).
LANGS = ("id", "en")

Progress = Callable[[str, "int | None"], AbstractContextManager[Callable[..., None]]]


@contextmanager
def no_progress(description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    yield lambda n=1: None


def parse_statuses(values: str | Iterable[str] | None, *, default: Iterable[str] = DEFAULT_STATUSES,
                   all_means: Iterable[str] = COUNTED_STATUSES, field: str = "--status") -> tuple[str, ...]:
    """The one reading of ``--status`` / ``status=``: a string or a list of strings, each comma-separated, or
    ``all`` (which means ``all_means``: the statuses that count in that command). Order kept, repeats dropped;
    nothing given means ``default``. An unknown status raises :class:`InputError` naming ``field``."""
    if values is None:
        return tuple(default)
    items = [values] if isinstance(values, str) else list(values)
    wanted: list[str] = []
    for item in items:
        for part in str(item).split(","):
            s = part.strip().lower()
            if not s:
                continue
            wanted.extend(all_means if s == "all" else (s,))
    if not wanted:
        if items:
            raise InputError("no status to count", field=field)
        return tuple(default)
    for s in wanted:
        if s not in CODING_STATUSES:
            raise InputError(f"unknown status {s!r}; expected {', '.join(CODING_STATUSES)} or all", field=field)
    return tuple(dict.fromkeys(wanted))


def dataframe(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], **attrs: Any) -> pd.DataFrame:
    """A DataFrame of ``rows`` whose cells give back the same Python values (``export.tables.as_rows``): whole
    numbers with gaps become nullable integers, yes/no with gaps nullable booleans, mixed columns stay objects.
    ``attrs`` (title, caption, ...) go into ``DataFrame.attrs``."""
    import pandas as pd

    rows = list(rows)
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    for c in columns:
        values = [r.get(c) for r in rows]
        present = [v for v in values if v is not None]
        if not present or len(present) == len(values) and len({type(v) for v in present}) == 1:
            continue  # no gaps and one type: pandas keeps the values as they are
        if all(isinstance(v, bool) for v in present):
            frame[c] = pd.array(values, dtype="boolean")
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            frame[c] = pd.array(values, dtype="Int64")
        elif not all(isinstance(v, float) for v in present):
            frame[c] = pd.Series(values, dtype=object)
    frame.attrs.update({k: v for k, v in attrs.items() if v is not None})
    return frame


def choice(value: Any, choices: Iterable[str], field: str, what: str = "value") -> Any:
    """An option with a fixed set of values, given as a string or as an enum member whose value is one (the
    CLI's): its plain string, or None for None. Anything else raises :class:`InputError` naming ``field``."""
    if value is None:
        return None
    text, choices = str(getattr(value, "value", value)), tuple(choices)
    if text not in choices:
        raise InputError(f"unknown {what} {text!r}; expected {', '.join(choices)}", field=field)
    return text


def split_list(values: str | Iterable[str] | None) -> list[str]:
    """A list option as given on the command line or in Python: a string or strings, each comma-separated."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [v.strip() for item in items for v in str(item).split(",") if v.strip()]


def default_path() -> Path:
    """The project file used when none is named: $TEMATIK_DB, else ./tematik.db."""
    from tematik.store import default_db_path

    return default_db_path()


class ProjectBase:
    """An open tematik project (a SQLite file). Use :func:`tematik.open` or :func:`tematik.create`, and close it
    (or use it in a ``with`` block) when done. Every method does what the command of the same name does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: ``progress(description, total)`` -> a context manager yielding ``advance(n=1)``; the CLI sets a bar.
        self.progress: Progress = no_progress

    # ------------------------------------------------------------------ opening and closing
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = False, wait: float | None = None,
             on_busy: Callable[[str], None] | None = None) -> Any:
        """Open the project at ``path`` (default: $TEMATIK_DB or ./tematik.db). ``create=True`` makes it when
        missing. ``wait``: seconds to wait for another process that is writing it (default 30, or
        $TEMATIK_BUSY_TIMEOUT). ``on_busy`` is told when a write has to wait (default: a log message)."""
        from tematik.store import Store

        store = Store.open(path, create=create, timeout=wait, on_busy=on_busy or log.info)
        return cls(store)

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, wait: float | None = None,
               on_busy: Callable[[str], None] | None = None) -> Any:
        """Create a new, empty project file at ``path`` (it appears whole or not at all) and open it."""
        from tematik.store import Store

        return cls(Store.create(path, timeout=wait, on_busy=on_busy or log.info))

    @property
    def path(self) -> Path:
        return self.store.path

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<tematik project {str(self.path)!r}>"

    # ------------------------------------------------------------------ shared steps
    def _codebook(self) -> tuple[Codebook, str]:
        """The codebook most recently loaded into the project, parsed again from its stored source, and its
        hash. Raises NotFound when none was loaded, CodebookError when it came from a file without rules."""
        from tematik.codebook import parse_codebook
        from tematik.store import coding as store_coding

        row = store_coding.latest_codebook(self.store)
        if row is None:
            raise NotFound("no codebook in this project; load one with `tematik codebook load FILE`")
        if row["format"] != "yaml":
            raise CodebookError(f"the project's codebook {row['name']!r} came from a {row['format']} file and has "
                                "no matching rules; load a YAML codebook for auto-coding")
        cb, problems = parse_codebook(row["source"], path=f"<project codebook {row['name']}>")
        if cb is None:
            raise CodebookError(str(problems[0]))
        return cb, row["hash"]

    def codebook(self) -> Codebook:
        """The project's codebook (the version loaded last) as a :class:`tematik.models.Codebook`."""
        return self._codebook()[0]

    def _ensure_segments(self, unit: str) -> int:
        """Compute and store the ``unit`` units (sentence, turn, paragraph) of every document that has none yet;
        spaCy is loaded only if some are missing. Returns how many documents were segmented."""
        from tematik.store import corpus as store_corpus

        missing = store_corpus.documents_without_segments(self.store, unit)
        if not missing:
            return 0
        from tematik import nlp
        from tematik.corpus import sha256
        from tematik.errors import DocumentChanged

        ids = store_corpus.document_ids_by_name(self.store)
        done = 0
        for doc in store_corpus.load_documents(self.store, missing):
            try:  # stored only if the document still has the text the units were computed from
                store_corpus.save_segments(self.store, ids[doc.name], unit, nlp.units(doc, unit),
                                           text_sha256=sha256(doc.text), name=doc.name)
            except DocumentChanged:
                continue  # re-imported by another process meanwhile: the next command computes its units
            done += 1
        return done


__all__ = ["COUNTED_STATUSES", "DEFAULT_STATUSES", "LANGS", "ProjectBase", "choice", "dataframe", "default_path",
           "log", "no_progress", "parse_statuses",
           "split_list"]
