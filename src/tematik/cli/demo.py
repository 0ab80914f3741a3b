"""`tematik demo`: build a fresh project from the bundled demo corpus and run every step of the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.rule import Rule

from tematik.cli.common import console, emit, note


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
    from tematik.store import Store

    source = corpus.demo_corpus()
    output.mkdir(parents=True, exist_ok=True)
    db = output / "tematik.db"
    if db.exists():
        if not overwrite:
            raise ProjectError("a demo project is already there; use --overwrite", path=str(db))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    steps = [step_import, step_autocode, step_validate, step_survey, step_tables, step_triangulate, step_report]
    with Store.create(db) as store:
        for step in steps:
            step(store, source, output)
    note(f"demo project: {db}  (try: tematik docs --db {db})")


def _heading(text: str) -> None:
    console.print(Rule(f"[bold]{text}"))


def step_import(store, source: Path, output: Path) -> None:
    """Roster, then every file in the manifest."""
    from tematik import corpus
    from tematik.models import Participant
    from tematik.store import corpus as store_corpus

    _heading("1 · import the demo corpus")
    roster = source / "participants.csv"
    header, rows = corpus.read_rows(roster, roster.read_bytes())
    people = []
    for _, row in rows:
        cells = dict(zip(header, row, strict=False))
        pid, role = cells.pop("id"), cells.pop("role", None)
        people.append(Participant(pid, role, {k: v for k, v in cells.items() if v}))
    metas = corpus.read_manifest(source / "manifest.csv")
    documents = []
    for path, meta in metas.items():
        documents.extend(corpus.read_path(path, meta).documents)
    with store.transaction():
        store_corpus.ensure_participants(store, people)
        plan = store_corpus.plan_import(store, documents)
        store_corpus.apply_import(store, plan)
    rows = store_corpus.corpus_summary(store)
    emit(["source_type", "language", "documents", "words", "participants"], rows,
         title=f"Corpus: {len(documents)} documents from {source.name}",
         caption="Written for tematik, modelled on the Undiksha library study; not the study's data.")


def step_autocode(store, source: Path, output: Path) -> None:
    """Load the study's codebook and auto-code every document (suggestions only: nobody has reviewed them)."""
    from tematik import corpus
    from tematik.codebook import codebook_hash, load_codebook
    from tematik.project import Project
    from tematik.project.codebook import code_rows
    from tematik.store import coding as store_coding

    _heading("2 · codebook and auto-coding")
    path = corpus.bundled_path("tematik.codebooks", "knowledge-sharing.yaml")
    cb = load_codebook(path)
    digest = codebook_hash(cb)
    store_coding.save_codebook(store, name=cb.name, version=cb.version, digest=digest,
                               source=path.read_text(encoding="utf-8"), fmt="yaml", codes=code_rows(cb))
    result = vars(Project(store).autocode())
    rows = store_coding.suggestion_summary(store)
    emit(["code", "name", "suggestions", "documents", "negative"], rows,
         title=f"Themes suggested by auto-coding ({result['stored']} suggestions in {result['done']} documents)",
         caption="Counts UNREVIEWED suggestions (status 'suggested'): review them with `tematik review` "
                 "before reading these as findings.")


def step_validate(store, source: Path, output: Path) -> None:
    """The auto-coder against the hand-coded reference sentences shipped with the corpus (precision/recall/F1).

    No second human coder is simulated: an invented coder would make agreement figures mean nothing.
    """
    from tematik.agreement import read_reference_csv, score_against_reference
    from tematik.export.tables import as_rows
    from tematik.store import coding as store_coding

    reference = read_reference_csv(source / "gold" / "ks-gold.csv")
    suggestions = store_coding.query_codings(store, statuses=["suggested"], coders=["auto"])
    codes = [c["id"] for c in store_coding.list_codes(store)]
    columns, rows = as_rows(score_against_reference(reference, suggestions, codes))
    counts = ("reference", "predicted", "tp", "fp", "fn")
    rows = [{k: int(v) if k in counts and v is not None else v for k, v in r.items()} for r in rows]
    documents = len({r["document"] for r in reference})
    emit(["code", "reference", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"], rows,
         decimals=3, title=f"Auto-coder against {len(reference)} hand-coded sentences of {documents} documents",
         caption="Reference: corpora/ks-library/gold (coded by hand from the definitions before the rules were "
                 "tuned; see its README). A code counts as predicted in a sentence when a suggestion overlaps it.")


def step_survey(store, source: Path, output: Path) -> None:
    """Import the demo questionnaire (25 respondents = the 25 staff) and print the factor table and chart."""
    from tematik.export.charts import factor_chart
    from tematik.export.tables import as_rows
    from tematik.instrument import load_instrument
    from tematik.store import survey as store_survey
    from tematik.survey import read_responses, score

    _heading("3 · questionnaire scores")
    folder = source / "survey"
    instrument = load_instrument(folder / "instrument.yaml")
    data = read_responses(folder / "responses.csv", instrument)
    store_survey.save_responses(store, data, (folder / "instrument.yaml").read_text(encoding="utf-8"))
    frame = score(data)
    columns, rows = as_rows(frame)
    emit(columns, rows, title=f"{instrument.name('id')}: {len(data.answers)} respondents",
         decimals={"percent": 1, "mean": 2, "sd": 2, "alpha": 2, "score": 0},
         caption=f"percent = score obtained / maximum possible x 100; categories: "
                 f"{instrument.categories.describe('id')}. Constructed demo answers reproducing the study's "
                 "published percentages (see corpora/ks-library/survey/README.md).")
    factor_chart(frame, output / "factors.png", instrument.categories, title=instrument.name("id"))
    note(f"wrote {output / 'factors.png'}")


DEMO_STATUSES = ("suggested", "accepted", "manual")


def step_triangulate(store, source: Path, output: Path) -> None:
    """The side-by-side joint display of the six themes and the questionnaire factors, with convergence codes.

    The demo's codings are unreviewed auto-coding suggestions, so they are counted, and the display says so."""
    from tematik.cli.triangulate import DisplayFormat, show_display
    from tematik.project import Project

    _heading("5 · triangulation: themes beside factor scores")
    console.print("[bold yellow]The demo counts UNREVIEWED auto-coding suggestions (nobody has reviewed them); "
                  "in a real project review them first, and `tematik triangulate` counts accepted and manual "
                  "codings only.[/]")
    result = Project(store).triangulate(status=DEMO_STATUSES, quotes=1)  # warnings are logged
    show_display(result, DisplayFormat.table, None)


def step_report(store, source: Path, output: Path) -> None:
    """The findings report (HTML, Markdown, XLSX, DOCX) in output/report."""
    from tematik.project import Project

    _heading("6 · the findings report")
    written = Project(store).report(output / "report", status=DEMO_STATUSES, quotes=2)
    for kind, path in written.items():
        note(f"wrote {kind:5} {path}")


def step_tables(store, source: Path, output: Path) -> None:
    """Theme frequencies by source type and the frequency and co-occurrence charts (suggestions counted, and said)."""
    from tematik.cli.analysis import demo_tables
    from tematik.project import Project

    _heading("4 · theme frequencies and co-occurrence")
    demo_tables(Project(store), output, DEMO_STATUSES)
