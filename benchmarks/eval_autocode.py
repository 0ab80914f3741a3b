"""Precision, recall and F1 of `autocode` per code against the hand-coded sentences of the demo corpus.

The reference is corpora/ks-library/gold/ks-gold.csv (753 sentences of 8 whole documents, coded by hand from the
codebook's definitions before the rules were tuned; see its README). A code counts as predicted in a sentence
when an auto-coding suggestion of that code overlaps it.

    python benchmarks/eval_autocode.py [--split tune|heldout|all] [--errors CODE] [--codebook FILE]
    python benchmarks/eval_autocode.py --curve [--ks 1,2,3,5] [--boot 1000] [--alternatives]

``--curve`` is the learning loop, measured on the held-out reference benchmarks/reference/reference.csv (10 documents
written and hand-coded after the rules were tuned; see its README): the researcher reviews the first k documents
(manifest order): the rules' suggestions there are accepted where the reference has the code and rejected where
not, and what the rules missed is coded by hand; then ``learn`` (tematik.project.coding.train, on a real temporary
project file) and auto-coding of the remaining documents is scored: rules alone, model alone, both (the same
tematik.learn.combine that ``autocode`` uses). Per-code and macro F1 with 95% bootstrap intervals (units of the
scored documents resampled, seeded). ``--alternatives`` also scores other learners (linear SVM, words only, no
codebook seeds) as the model alone.

The rules may be tuned by looking at the errors on the ``tune`` documents only; the ``heldout`` documents
(HELDOUT below) are there to show how far tuning carried over to text the tuner did not read.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from tematik import corpus
from tematik.agreement import read_reference_csv, score_against_reference
from tematik.codebook import codebook_hash, load_codebook
from tematik.store import Store
from tematik.store import corpus as store_corpus

HELDOUT = ("wawancara_P18_nyoman_adnyana", "wawancara_P23_ketut_supartha", "observasi_05_makan_siang")


def evaluate(codebook_path: Path, unit: str = "sentence", split: str = "all"):
    """(scores, reference rows, suggestion rows, documents by name, codebook hash) on a fresh temporary project."""
    from tematik import nlp

    source = corpus.demo_corpus()
    reference = read_reference_csv(source / "gold" / "ks-gold.csv")
    if split != "all":
        reference = [r for r in reference if (r["document"] in HELDOUT) == (split == "heldout")]
    wanted = {r["document"] for r in reference}
    cb = load_codebook(codebook_path)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "eval.db")
        docs = [d for path, meta in corpus.read_manifest(source / "manifest.csv").items()
                for d in corpus.read_path(path, meta).documents if d.name in wanted]
        store_corpus.apply_import(store, store_corpus.plan_import(store, docs))
        documents = store_corpus.load_documents(store)
        store.close()
    suggestions = [{"document": d.name, "code": s.code, "start": s.start, "end": s.end, "rule": s.rule,
                    "matched": s.matched}
                   for d, found in nlp.autocode(documents, cb, unit=unit) for s in found]
    scores = score_against_reference(reference, suggestions, [c.id for c in cb.codes])
    return scores, reference, suggestions, {d.name: d for d in documents}, codebook_hash(cb)


REFERENCE = Path(__file__).resolve().parent / "reference"


def _reference_project(tmp: Path, codebook_path: Path) -> Path:
    """A project file with the held-out reference's documents and the codebook, made through the real CLI."""
    from typer.testing import CliRunner

    from tematik.cli import app

    db = tmp / "reference.db"
    runner = CliRunner()
    for argv in (["import", str(REFERENCE), "--manifest", str(REFERENCE / "manifest.csv")],
                 ["codebook", "load", str(codebook_path)]):
        result = runner.invoke(app, [*argv, "--db", str(db)])
        if result.exit_code != 0:
            raise SystemExit(f"tematik {' '.join(argv)} failed: {result.output}")
    return db


def _review_like_the_reference(store, cb, digest, names, reference) -> None:
    """The researcher's review of documents ``names``: rule suggestions accepted where the reference has that code
    in the unit and rejected where not; reference codes no suggestion covered are coded by hand."""
    from tematik import nlp
    from tematik.corpus import sha256
    from tematik.models import Coding
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    ids = store_corpus.document_ids_by_name(store)
    documents = store_corpus.load_documents(store, [ids[n] for n in names])
    for document, found in nlp.autocode(documents, cb):
        store_coding.store_suggestions(store, ids[document.name], found, codebook_hash=digest, unit="sentence",
                                       text_sha256=sha256(document.text))
    rows = store_coding.query_codings(store, statuses=["suggested"], documents=[ids[n] for n in names])
    units = [u for u in reference if u["document"] in names]
    accept, reject, covered = [], [], set()
    for r in rows:
        hit = [u for u in units if u["document"] == r["document"] and u["start"] < r["end"] and r["start"] < u["end"]]
        if any(r["code"] in u["codes"] for u in hit):
            accept.append(r["id"])
            covered |= {(r["document"], u["start"], r["code"]) for u in hit}
        else:
            reject.append(r["id"])
    store_coding.set_status(store, accept, "accepted", who="researcher")
    store_coding.set_status(store, reject, "rejected", who="researcher")
    manual = [Coding(document=u["document"], code=c, start=u["start"], end=u["end"], status="manual",
                     coder="researcher") for u in units for c in u["codes"] if (u["document"], u["start"], c)
              not in covered]
    store_coding.add_codings(store, manual, audit=False)


def _bits(units, suggestions, codes):
    import numpy as np

    by_doc: dict[str, list] = {}
    for s in suggestions:
        by_doc.setdefault(s["document"], []).append(s)
    pred = np.zeros((len(units), len(codes)), bool)
    truth = np.zeros((len(units), len(codes)), bool)
    for i, u in enumerate(units):
        for j, c in enumerate(codes):
            truth[i, j] = c in u["codes"]
            pred[i, j] = any(s["code"] == c and s["start"] < u["end"] and u["start"] < s["end"]
                             for s in by_doc.get(u["document"], ()))
    return pred, truth


def _f1(pred, truth):
    """F1 per code (columns) over the rows; NaN where a code has neither predictions nor reference."""
    import numpy as np

    tp = (pred & truth).sum(axis=0)
    denominator = pred.sum(axis=0) + truth.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def _boot(pred, truth, n: int, seed: int):
    """(per-code F1 intervals, macro F1 interval): 2.5 and 97.5 percentiles over ``n`` resamples of the units."""
    import numpy as np

    rng = np.random.default_rng(seed)
    per_code, macro = [], []
    for _ in range(n):
        idx = rng.integers(0, len(pred), len(pred))
        f = _f1(pred[idx], truth[idx])
        per_code.append(f)
        macro.append(np.nanmean(f) if np.isfinite(f).any() else np.nan)
    per_code, macro = np.array(per_code), np.array(macro)
    return (np.nanpercentile(per_code, [2.5, 97.5], axis=0), np.nanpercentile(macro, [2.5, 97.5]))


def learning_curve(codebook_path: Path, ks=(1, 2, 3, 5), boot: int = 1000, seed: int = 0,
                   alternatives: bool = False) -> list[dict]:
    """Rows (k, learner, mode, code, f1, lo, hi, precision, recall) of the learning loop on the reference."""
    import shutil
    import time

    from tematik import learn, nlp
    from tematik.agreement import score_against_reference
    from tematik.codebook import codebook_hash
    from tematik.project.coding import train
    from tematik.store import Store
    from tematik.store import corpus as store_corpus

    reference = read_reference_csv(REFERENCE / "reference.csv")
    cb = load_codebook(codebook_path)
    digest = codebook_hash(cb)
    codes = list(cb.ids)
    order = [Path(r["file"]).stem for r in _manifest_rows(REFERENCE / "manifest.csv")]
    learners = [("logreg", {})]
    if alternatives:
        learners += [("svm", {"estimator": "svm"}), ("logreg words only", {"features": "words"}),
                     ("logreg no rule/question", {"features": "words+chars"}),
                     ("logreg no codebook seeds", {"use_seeds": False})]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        base = _reference_project(Path(tmp), codebook_path)
        for k in ks:
            trained_on, scored = order[:k], order[k:]
            units = [u for u in reference if u["document"] in scored]
            db = Path(tmp) / f"k{k}.db"
            shutil.copy(base, db)
            with Store.open(db) as store:
                _review_like_the_reference(store, cb, digest, trained_on, reference)
                ids = store_corpus.document_ids_by_name(store)
                documents = store_corpus.load_documents(store, [ids[n] for n in scored])
                rules = dict(nlp.autocode(documents, cb))
                for learner, options in learners:
                    t0 = time.perf_counter()
                    trained = train(store, cb, digest, seed=seed, **options)
                    seconds = time.perf_counter() - t0
                    modes = ("rules", "model", "both") if learner == "logreg" else ("model",)
                    for mode in modes:
                        found = [{"document": d.name, "code": s.code, "start": s.start, "end": s.end}
                                 for d in documents
                                 for s in learn.combine(d, rules[d], mode=mode, model=trained.model,
                                                           version=trained.version)]
                        pred, truth = _bits(units, found, codes)
                        f1 = _f1(pred, truth)
                        check = score_against_reference(units, found, codes).set_index("code")
                        for j, c in enumerate(codes):  # the hand-written F1 agrees with tematik.agreement's
                            lib = check.loc[c, "f1"]
                            assert (np.isnan(f1[j]) and (lib is None or lib != lib)) or abs(f1[j] - lib) < 1e-9
                        (lo, hi), (mlo, mhi) = _boot(pred, truth, boot, seed)
                        for j, c in enumerate(codes):
                            out.append({"k": k, "learner": learner, "mode": mode, "code": c, "f1": f1[j],
                                        "lo": lo[j], "hi": hi[j], "precision": check.loc[c, "precision"],
                                        "recall": check.loc[c, "recall"], "support": int(truth[:, j].sum())})
                        out.append({"k": k, "learner": learner, "mode": mode, "code": "MACRO",
                                    "f1": float(np.nanmean(f1)), "lo": mlo, "hi": mhi,
                                    "precision": check.loc["MACRO", "precision"],
                                    "recall": check.loc["MACRO", "recall"], "support": len(units),
                                    "seconds": seconds, "train_units": trained.units,
                                    "scored_docs": len(scored)})
    return out


def _manifest_rows(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def print_curve(rows: list[dict]) -> None:
    def f(v):
        return "  -  " if v is None or v != v else f"{v:.2f}"

    macro = [r for r in rows if r["code"] == "MACRO"]
    print("Macro F1 on the documents not reviewed (95% bootstrap interval over units):")
    print(f"{'k':>2} {'learner':26} {'mode':6} {'macro F1':>8} {'interval':>12} {'P':>5} {'R':>5} "
          f"{'units':>5} {'learn s':>7}")
    for r in macro:
        print(f"{r['k']:>2} {r['learner']:26} {r['mode']:6} {f(r['f1']):>8} {f(r['lo']) + '-' + f(r['hi']):>12} "
              f"{f(r['precision']):>5} {f(r['recall']):>5} {r['support']:>5} {r['seconds']:>7.1f}")
    print()
    print("Per code, logreg (F1 [interval]):")
    codes = [r["code"] for r in rows if r["k"] == rows[0]["k"] and r["learner"] == "logreg" and r["mode"] == "rules"
             and r["code"] != "MACRO"]
    print(f"{'k':>2} {'mode':6} " + " ".join(f"{c[:13]:>17}" for c in codes))
    for k in sorted({r["k"] for r in rows}):
        for mode in ("rules", "model", "both"):
            cells = {r["code"]: r for r in rows if r["k"] == k and r["learner"] == "logreg" and r["mode"] == mode}
            print(f"{k:>2} {mode:6} " + " ".join(
                f"{f(cells[c]['f1']) + ' [' + f(cells[c]['lo']) + '-' + f(cells[c]['hi']) + ']':>17}"
                for c in codes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codebook", type=Path, default=corpus.bundled_path("tematik.codebooks",
                                                                         "knowledge-sharing.yaml"))
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="all",
                    help="which reference documents to score (default: all)")
    ap.add_argument("--errors", metavar="CODE", help="list the false positives and false negatives of a code")
    ap.add_argument("--curve", action="store_true", help="the learning curve on benchmarks/reference (see above)")
    ap.add_argument("--ks", default="1,2,3,5", help="numbers of reviewed documents for --curve")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples for --curve")
    ap.add_argument("--alternatives", action="store_true", help="also score other learners in --curve")
    args = ap.parse_args()
    if args.curve:
        print_curve(learning_curve(args.codebook, tuple(int(k) for k in args.ks.split(",")), args.boot,
                                   alternatives=args.alternatives))
        return
    scores, reference, suggestions, docs, digest = evaluate(args.codebook, split=args.split)
    print(f"[{args.split}] codebook {args.codebook.name} ({digest[:12]}), {len(reference)} reference sentences, "
          f"{len(suggestions)} suggestions in their documents")
    print(f"{'code':14} {'ref':>4} {'pred':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} "
          f"{'F1':>6}")
    for r in scores.to_dict(orient="records"):
        def f(v):
            return "   -" if v is None or v != v else f"{v:.3f}"

        counts = "" if r["code"] == "MACRO" else (f"{int(r['reference']):4d} {int(r['predicted']):4d} "
                                                    f"{int(r['tp']):4d} {int(r['fp']):4d} {int(r['fn']):4d}")
        print(f"{r['code']:14} {counts:>29} {f(r['precision']):>9} {f(r['recall']):>7} {f(r['f1']):>6}")
    if args.errors:
        code = args.errors
        for u in reference:
            hits = [s for s in suggestions if s["code"] == code and s["document"] == u["document"]
                    and s["start"] < u["end"] and u["start"] < s["end"]]
            text = docs[u["document"]].text[u["start"]:u["end"]].replace("\n", " ")
            if hits and code not in u["codes"]:
                print(f"FP {u['document']}:{u['start']} [{hits[0]['rule']} '{hits[0]['matched']}'] {text}")
            elif not hits and code in u["codes"]:
                print(f"FN {u['document']}:{u['start']} {text}")


if __name__ == "__main__":
    main()
