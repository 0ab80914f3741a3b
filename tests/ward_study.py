"""A second study for the coding tests: night-shift interviews on two hospital wards, in English, with an
interviewer and nurses, and a codebook of workload, teamwork and burnout (not the bundled Indonesian demo)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli

CODEBOOK = """\
name: Ward
version: "1"
languages: [en]
codes:
  - id: workload
    name: {en: Workload}
    colour: "#e76f51"
    definition: {en: More work than the staff on duty can do.}
    rules:
      en:
        terms: [workload, short of staff, paperwork]
  - id: teamwork
    name: {en: Teamwork}
    colour: "#2a9d8f"
    definition: {en: Nurses helping and relying on each other.}
    rules:
      en:
        terms: [help, team, cover]
  - id: burnout
    name: {en: Burnout}
    definition: {en: Exhaustion and wanting to leave.}
    rules:
      en:
        terms: [exhausted, burnt out, quit, tired]
"""

WARDS = {
    "ward_a": [
        ("Interviewer", "How are the night shifts on the ward?"),
        ("Nurse A", "We are always short of staff at night. Two nurses for thirty beds is too much workload."),
        ("Nurse A", "My colleagues help me when it gets busy. We cover for each other."),
        ("Interviewer", "Do you feel tired? Is the workload heavy for you too?"),
        ("Nurse A", "I am exhausted after every shift. Some days I feel burnt out and want to quit."),
        ("Interviewer", "Thank you."),
    ],
    "ward_b": [
        ("Interviewer", "Tell me about teamwork on your ward."),
        ("Nurse B", "The team meets at every handover. We trust each other."),
        ("Nurse B", "But the paperwork never ends. I stay late most evenings."),
    ],
}


def write_ward_study(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ward.yaml").write_text(CODEBOOK, encoding="utf-8")
    paths = []
    for name, turns in WARDS.items():
        path = folder / f"{name}.txt"
        path.write_text("\n".join(f"{who}: {what}" for who, what in turns) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def make_ward_project(folder: Path, *, autocode: bool = False) -> Cli:
    """The two wards imported (Interviewer, Nurse A = N01, Nurse B = N02) and the codebook loaded."""
    paths = write_ward_study(folder / "study")
    cli = Cli(folder / "ward.db")
    cli("import", *paths, "--language", "en", "--interviewer", "Interviewer", "--speaker", "Nurse A=N01",
        "--speaker", "Nurse B=N02")
    cli("codebook", "load", folder / "study" / "ward.yaml")
    if autocode:
        cli("autocode")
    return cli


def units(cli: Cli, doc: str, kind: str = "sentence") -> list[dict]:
    """``show DOC --units KIND`` as rows (n, start, end, speaker, interviewer, codes, text)."""
    return json.loads(cli("show", doc, "--units", kind, "--format", "json").stdout)


def codings(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)
