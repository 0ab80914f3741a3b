"""The project API for codebooks: load, show, export, versions."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class CodebookMixin(ProjectBase):
    """The project's codebook and its versions."""


__all__ = ["CodebookMixin"]
