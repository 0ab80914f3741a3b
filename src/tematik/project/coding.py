"""The project API for coding: autocode, learn, codings, accept/reject/add/rm, memos, the audit log, review."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class CodingMixin(ProjectBase):
    """Suggestions, decisions and manual codings, memos and the audit log."""


__all__ = ["CodingMixin"]
