"""Precision, recall and F1 of `autocode` per code against the hand-coded sentences of the demo corpus.

The reference is corpora/ks-library/gold/ks-gold.csv (753 sentences of 8 whole documents, coded by hand from the
codebook's definitions before the rules were tuned; see its README). A code counts as predicted in a sentence
when an auto-coding suggestion of that code overlaps it.

    python benchmarks/eval_autocode.py [--split tune|heldout|all] [--errors CODE] [--codebook FILE]

The rules may be tuned by looking at the errors on the ``tune`` documents only; the ``heldout`` documents
(HELDOUT below) are there to show how far tuning carried over to text the tuner did not read.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codebook", type=Path, default=corpus.bundled_path("tematik.codebooks",
                                                                         "knowledge-sharing.yaml"))
    ap.add_argument("--split", choices=("tune", "heldout", "all"), default="all",
                    help="which reference documents to score (default: all)")
    ap.add_argument("--errors", metavar="CODE", help="list the false positives and false negatives of a code")
    args = ap.parse_args()
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
