"""The project API for triangulation and the report: the joint display, by-theme tests, links, report."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class TriangulateMixin(ProjectBase):
    """Themes beside questionnaire factors, and the findings report."""


__all__ = ["TriangulateMixin"]
