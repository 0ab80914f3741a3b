"""The project API: one :class:`Project` whose methods do what the commands do, with the same names.

``tematik.open(path)`` / ``tematik.create(path)`` give a Project. Tables come back as pandas DataFrames with the
columns of the command's ``--format json`` (their ``attrs`` carry the title and caption the CLI prints); other
results are small dataclasses. Errors are :mod:`tematik.errors` exceptions. The methods live in one module per
area (corpus, codebook, coding, analysis, survey, triangulate, exchange); this module puts them together.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from tematik.project._base import COUNTED_STATUSES, DEFAULT_STATUSES, default_path, parse_statuses, split_list
from tematik.project.analysis import AnalysisMixin
from tematik.project.codebook import CodebookMixin, read_codebook, validate_codebook
from tematik.project.coding import CodingMixin
from tematik.project.corpus import CorpusMixin
from tematik.project.exchange import ExchangeMixin
from tematik.project.memos import MemoMixin
from tematik.project.session import SessionMixin
from tematik.project.survey import SurveyMixin, scales, validate_instrument
from tematik.project.triangulate import TriangulateMixin


class Project(CorpusMixin, CodebookMixin, CodingMixin, MemoMixin, AnalysisMixin, SurveyMixin, TriangulateMixin,
              ExchangeMixin, SessionMixin):
    """An open tematik project. ``with tematik.open("study.db") as p: p.freq()``."""


def open(path: str | os.PathLike[str] | None = None, *, create: bool = False, wait: float | None = None,  # noqa: A001
         on_busy: Callable[[str], None] | None = None) -> Project:
    """Open the project file at ``path`` (default: $TEMATIK_DB or ./tematik.db); ``create=True`` makes it when
    missing."""
    return Project.open(path, create=create, wait=wait, on_busy=on_busy)


def create(path: str | os.PathLike[str], *, wait: float | None = None,
           on_busy: Callable[[str], None] | None = None) -> Project:
    """Create a new, empty project file at ``path`` and open it."""
    return Project.create(path, wait=wait, on_busy=on_busy)


__all__ = ["COUNTED_STATUSES", "DEFAULT_STATUSES", "Project", "create", "default_path", "open",
           "parse_statuses", "read_codebook", "scales", "split_list", "validate_codebook", "validate_instrument"]
