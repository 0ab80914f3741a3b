"""`tematik demo`: a fresh project from the bundled demo corpus, and every step of the chain on it.

A short script over the project API: each step is one or two calls of :class:`tematik.project.Project`, whose
result is printed. README's "Using tematik from Python" does the same from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from tematik.cli.common import console, create_project, emit, note
from tematik.cli.render import heat, print_joint_display

# Nobody has reviewed the demo's suggestions, so the demo counts them (and says so at every table).
DEMO_STATUSES = ("suggested", "accepted", "manual")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the demo project and its outputs.")
                      ] = Path("tematik-demo"),
    overwrite: Annotated[bool, typer.Option("--overwrite/--keep", help="Replace the demo project if the folder "
                                                                       "already has one.")] = True,
) -> None:
    """Build a fresh project from the bundled demo corpus (ks-library) and run the whole chain on it."""
    from tematik import corpus
    from tematik.errors import ProjectError

    source = corpus.demo_corpus()
    output.mkdir(parents=True, exist_ok=True)
    db = output / "tematik.db"
    if db.exists():
        if not overwrite:
            raise ProjectError("a demo project is already there; use --overwrite", path=str(db))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    with create_project(db) as p:
        for step in (step_import, step_autocode, step_validate, step_survey, step_tables, step_triangulate,
                     step_report):
            step(p, source, output)
    note(f"demo project: {db}  (try: tematik docs --db {db})")


def _heading(text: str) -> None:
    console.print(Rule(f"[bold]{text}"))


def _show(frame, **options) -> None:
    from tematik.export.tables import as_rows

    columns, rows = as_rows(frame)
    emit(columns, rows, **options)


def step_import(p, source: Path, output: Path) -> None:
    """The roster, then every file the manifest names."""
    from tematik.corpus import read_manifest

    _heading("1 · import the demo corpus")
    p.import_participants(source / "participants.csv")
    files = list(read_manifest(source / "manifest.csv"))
    result = p.import_files(files, manifest=source / "manifest.csv")
    _show(p.corpus_summary(), title=f"Corpus: {result.added} documents from {source.name}",
          caption="Written for tematik, modelled on the Undiksha library study; not the study's data.")


def step_autocode(p, source: Path, output: Path) -> None:
    """The study's codebook, and auto-coding of every document (suggestions only: nobody has reviewed them)."""
    from tematik.corpus import bundled_path

    _heading("2 · codebook and auto-coding")
    p.load_codebook(bundled_path("tematik.codebooks", "knowledge-sharing.yaml"))
    result = p.autocode()
    _show(p.suggestion_summary(),
          title=f"Themes suggested by auto-coding ({result.stored} suggestions in {result.done} documents)",
          caption="Counts UNREVIEWED suggestions (status 'suggested'): review them with `tematik review` "
                  "before reading these as findings.")


def step_validate(p, source: Path, output: Path) -> None:
    """The auto-coder against the hand-coded reference sentences shipped with the corpus (precision/recall/F1).

    No second human coder is simulated: an invented coder would make agreement figures mean nothing.
    """
    from tematik.agreement import read_reference_csv, score_against_reference
    from tematik.export.tables import as_rows

    reference = read_reference_csv(source / "gold" / "ks-gold.csv")
    _, suggestions = as_rows(p.codings(status="suggested", coder="auto"))
    codes = [c.id for c in p.codebook().codes]
    scores = score_against_reference(reference, suggestions, codes)
    counts = ("reference", "predicted", "tp", "fp", "fn")
    _, rows = as_rows(scores)
    rows = [{k: int(v) if k in counts and v is not None else v for k, v in r.items()} for r in rows]
    documents = len({r["document"] for r in reference})
    emit(["code", "reference", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"], rows,
         decimals=3, title=f"Auto-coder against {len(reference)} hand-coded sentences of {documents} documents",
         caption="Reference: corpora/ks-library/gold (coded by hand from the definitions before the rules were "
                 "tuned; see its README). A code counts as predicted in a sentence when a suggestion overlaps it.")


def step_survey(p, source: Path, output: Path) -> None:
    """The demo questionnaire (25 respondents = the 25 staff): the factor table and chart."""
    _heading("3 · questionnaire scores")
    folder = source / "survey"
    p.import_survey(folder / "responses.csv", folder / "instrument.yaml")
    scores = p.scores()
    _show(scores, title=scores.attrs["title"], decimals={"percent": 1, "mean": 2, "sd": 2, "alpha": 2, "score": 0},
          caption=f"percent = score obtained / maximum possible x 100; categories: "
                  f"{scores.attrs['categories'].describe('id')}. Constructed demo answers reproducing the study's "
                  "published percentages (see corpora/ks-library/survey/README.md).")
    p.score_chart(output / "factors.png")  # says "wrote ..."


def step_tables(p, source: Path, output: Path) -> None:
    """Theme frequencies by source type, and the frequency and co-occurrence charts (suggestions counted, and
    said)."""
    from tematik.export.tables import as_rows

    _heading("4 · theme frequencies and co-occurrence")
    wide = p.freq(by="source_type", status=DEMO_STATUSES, chart=output / "theme_frequencies.png")
    total = p.freq(status=DEMO_STATUSES)
    groups = wide.attrs["groups"]
    wide = wide.drop(columns="statuses")
    wide["participants_pct"] = total.set_index("code")["participants_pct"].reindex(wide["code"]).to_numpy()
    eligible = int(total["eligible"].iloc[0]) if len(total) else 0
    columns, rows = as_rows(wide)
    top = max((r[g] or 0 for r in rows for g in groups), default=0)
    emit(columns, rows, title="Theme frequencies by source type: coded units",
         headers={"participants_pct": f"% of {eligible}\nparticipants"}, decimals={"participants_pct": 1},
         cell_style=lambda c, r: heat(r.get(c), top) if c in groups else None,
         caption=f"{total.attrs['scope']} Review them (`tematik review`) before reading the table as findings. "
                 "Coded units = distinct coded spans.")
    p.cooccur(unit="sentence", status=DEMO_STATUSES, chart=output / "cooccurrence.png")


def step_triangulate(p, source: Path, output: Path) -> None:
    """The side-by-side joint display of the six themes and the questionnaire factors, with convergence codes."""
    _heading("5 · triangulation: themes beside factor scores")
    console.print("[bold yellow]The demo counts UNREVIEWED auto-coding suggestions (nobody has reviewed them); "
                  "in a real project review them first, and `tematik triangulate` counts accepted and manual "
                  "codings only.[/]")
    result = p.triangulate(status=DEMO_STATUSES, quotes=1)  # its warnings are logged
    print_joint_display(result.display, result.quotes)


def step_report(p, source: Path, output: Path) -> None:
    """The findings report (HTML, Markdown, XLSX, DOCX) in output/report."""
    _heading("6 · the findings report")
    written = p.report(output / "report", status=DEMO_STATUSES, quotes=2)
    for kind, path in written.items():
        note(f"wrote {kind:5} {path}")
