"""`tematik learn`: fit the project's model on the researcher's own decisions and show how far to trust it."""

from __future__ import annotations

from typing import Annotated

import typer

from tematik.cli.common import DbOption, FormatOption, TableFormat, console, emit, note, open_project, user, warn


def register(app: typer.Typer) -> None:
    app.command("learn")(learn)


def learn(
    coder: Annotated[str | None, typer.Option("--coder", help="Learn from this person's decisions only "
                                                            "(default: everyone's).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (the same seed and decisions give the same model).")] = 0,
    fmt: FormatOption = TableFormat.table,
    db: DbOption = None,
) -> None:
    """Fit a model from the reviewed codings (accepted and manual: positives; rejected and uncoded units of
    reviewed documents: negatives) and the codebook's definitions, criteria and examples; print its
    leave-one-document-out precision, recall and F1 per code; store it in the project as the next version.

    `tematik autocode` then adds the model's suggestions to the rules' (see --no-model / --model-only).
    """
    with open_project(db) as p:
        trained = p.learn(coder=coder, seed=seed)
        path = p.path
    model = trained.model
    rows = trained.score_rows()
    if fmt == TableFormat.json:
        import json

        console.print_json(json.dumps({"version": trained.version, "path": str(path), "coder": coder,
                                       "units": trained.units, "documents": trained.documents,
                                       "decisions": trained.decisions, "cv": model.info["cv"],
                                       "fingerprint": trained.fingerprint, "scores": rows}, ensure_ascii=False))
    else:
        frame = trained.to_frame()
        emit(list(frame.columns), rows, fmt, title=frame.attrs["title"], decimals=3)
    who = f" by {coder}" if coder else ""
    note(f"model v{trained.version} stored in {user(str(path))}: {trained.units} units of {trained.documents} "
         f"reviewed document(s), {trained.decisions} decision(s){who}, {model.info['seed_units']} codebook "
         f"example(s); `tematik autocode` now uses it")
    if trained.documents < 3:
        warn(f"only {trained.documents} reviewed document(s): the scores above are rough; review more and run "
             "`tematik learn` again")
    if trained.untrained:
        note("no model for " + ", ".join(trained.untrained) + " (too few coded units): their suggestions come from "
             "the rules only")
