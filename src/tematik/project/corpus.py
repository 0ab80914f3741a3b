"""The project API for the corpus: import, docs, show, participants, speakers."""

from __future__ import annotations

from tematik.project._base import ProjectBase


class CorpusMixin(ProjectBase):
    """Transcripts and notes, their speakers and participants."""


__all__ = ["CorpusMixin"]
