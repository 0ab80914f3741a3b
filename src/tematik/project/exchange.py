"""The project API for exchange: merge, import-codings, REFI-QDA import and export, CSV export."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class ExchangeMixin(ProjectBase):
    """Codings and projects in and out: other coders, other tools."""


__all__ = ["ExchangeMixin"]
