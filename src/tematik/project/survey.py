"""The project API for questionnaires: survey import and scores."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class SurveyMixin(ProjectBase):
    """Questionnaire responses and factor scores."""


__all__ = ["SurveyMixin"]
