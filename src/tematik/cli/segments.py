"""Units on demand, kept for the callers not yet on the project API: see ``ProjectBase._ensure_segments``."""

from __future__ import annotations


def ensure_segments(store, unit: str) -> int:
    """Compute and store the units of every document that has none yet; returns how many were segmented."""
    from tematik.project._base import ProjectBase

    return ProjectBase(store)._ensure_segments(unit)
