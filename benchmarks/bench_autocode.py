"""Auto-coding throughput against tokenizing alone, and what building the Indonesian pipeline costs.

    python benchmarks/bench_autocode.py                 # 1,000,000 words in 1,000 interview documents
    python benchmarks/bench_autocode.py --words 200000  # quicker

The corpus is synthetic Indonesian-looking speech made here (words sampled with a Zipf-like skew from
spacy-lookups-data's Indonesian forms and lemmas, plus function words, a few abbreviations and, in ~6% of
sentences, phrases that the study codebook codes); every document is an interview with alternating interviewer
and participant turns. Figures (words = whitespace-separated words of the whole text):

- build: ``spacy.blank("id")``, tematik's ``nlp.pipeline("id")``, and loading a ``to_disk`` copy of
  ``spacy.blank("id")``, each in a fresh process after ``import spacy`` (each timed without the import);
- tokens: how many tokens of the corpus differ between ``spacy.blank("id")`` (given tematik's extra
  abbreviations) and ``nlp.pipeline("id")``;
- throughput in this process, each on a fresh pipeline (cold vocabulary, so new-word costs are included):
  tokenizer only (``spacy.blank("id").make_doc``; tematik's pipeline, which also computes each new word's
  lemma) and ``nlp.autocode`` with the study codebook over the same
  documents, interviewer turns included (same text as the tokenizer) and skipped (the default); and the whole
  ``tematik autocode`` path (``Project.autocode``) on a project file: segments and suggestions stored per document;
  then, after the first 100 documents' suggestions are accepted and ``learn`` has run, ``autocode --redo`` with
  the rules and the model.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tematik import nlp  # noqa: E402
from tematik.codebook import load_codebook  # noqa: E402
from tematik.models import Document, Turn  # noqa: E402

FUNCTION_WORDS = ("yang dan di itu ini dengan untuk tidak ada dari ke saya kami kita juga akan bisa sudah "
                  "jadi ya kalau karena atau pada seperti lebih harus masih saja tapi sama begitu memang "
                  "nggak gitu banget kan sih dong biasanya setiap semua apa bagaimana kapan siapa").split()
THEMED = ("saling percaya", "kebersamaan kami", "tidak percaya diri", "lewat grup WA", "seperti keluarga sendiri",
          "komunikasinya lancar", "saling membantu", "kurang terbuka", "rapat tiap Senin", "gotong royong",
          "sama dengan tahun lalu", "dipercaya pimpinan", "ngobrol santai", "kekompakan tim", "menyama braya",
          "tidak pelit ilmu", "buka jam delapan", "berdiskusi", "kepercayaan", "bekerja sama")
ABBREVIATIONS = ("dll.", "dsb.", "Bpk.", "S.Pd.", "No.", "hlm.", "Dr.")
SPEAKERS = ("Bu Made", "Pak Ketut", "Bu Komang", "Pak Nyoman", "Bu Ayu", "Pak Wayan")


def vocabulary(rng: random.Random) -> list[str]:
    table = nlp._lookup_table("id")
    forms = sorted(table)
    lemmas = sorted(set(table.values()) - set(table))
    words = rng.sample(forms, 15_000) + rng.sample(lemmas, min(3_000, len(lemmas)))
    rng.shuffle(words)
    return [w for w in words if " " not in w]


def corpus(n_words: int, n_docs: int, seed: int, themed: float = 0.06) -> list[Document]:
    """``n_docs`` interviews of ``n_words // n_docs`` words; ``themed``: share of sentences with a coded phrase."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    weights = [1 / (i + 10) for i in range(len(vocab))]  # Zipf-like
    per_doc = n_words // n_docs
    docs = []
    for d in range(n_docs):
        text, turns, words, interviewer = "", [], 0, True
        while words < per_doc:
            speaker = "Pewawancara" if interviewer else rng.choice(SPEAKERS)
            sentences = []
            for _ in range(1 if interviewer else rng.randint(1, 5)):
                n = rng.randint(5, 18)
                ws = [rng.choice(FUNCTION_WORDS) if rng.random() < 0.45 else w
                      for w in rng.choices(vocab, weights, k=n)]
                if rng.random() < themed:
                    ws.insert(rng.randrange(len(ws)), rng.choice(THEMED))
                if rng.random() < 0.03:
                    ws.insert(rng.randrange(1, len(ws)), rng.choice(ABBREVIATIONS))
                if rng.random() < 0.2:
                    ws[rng.randrange(len(ws))] += ","
                ws[0] = ws[0].capitalize()
                sentences.append(" ".join(ws) + ("?" if interviewer else "."))
            said = " ".join(sentences)
            text += f"{speaker}: "
            turns.append(Turn(start=len(text), end=len(text) + len(said), speaker=speaker,
                              is_interviewer=interviewer))
            text += said + "\n"
            words += len(said.split()) + len(speaker.split())
            interviewer = not interviewer
        docs.append(Document(name=f"w{d:04d}", text=text, language="id", turns=tuple(turns)))
    return docs


BUILD_SNIPPETS = {
    "spacy.blank('id')": "import spacy, time; t = time.perf_counter(); spacy.blank('id'); "
                         "print(time.perf_counter() - t)",
    "nlp.pipeline('id')": "import spacy, time; from tematik import nlp; t = time.perf_counter(); "
                          "nlp.pipeline('id'); print(time.perf_counter() - t)",
    "spacy.load(to_disk copy)": "import spacy, time; t = time.perf_counter(); spacy.load({path!r}); "
                                "print(time.perf_counter() - t)",
    "import spacy": "import time; t = time.perf_counter(); import spacy; print(time.perf_counter() - t)",
}


def build_times(repeat: int) -> dict[str, float]:
    import spacy

    saved = Path(tempfile.mkdtemp()) / "blank-id"
    spacy.blank("id").to_disk(saved)
    env_path = str(ROOT / "src")
    out = {}
    for name, code in BUILD_SNIPPETS.items():
        runs = []
        for _ in range(repeat):
            res = subprocess.run([sys.executable, "-c", code.format(path=str(saved))], capture_output=True,
                                 text=True, check=True, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
            runs.append(float(res.stdout.strip()))
        out[name] = min(runs)
    return out


def length_scaling(total_words: int, seed: int, lengths: tuple[int, ...] = (200, 1_000, 5_000, 20_000)
                   ) -> dict[str, dict[str, float]]:
    """The same number of words as documents of each length, dense (80% of sentences carry a coded phrase) and
    sparse (6%): ``nlp.autocode`` time per word should not grow with document length. Timed warm (every word's
    lemma already computed), so that only the length differs between runs."""
    cb = load_codebook(ROOT / "codebooks" / "knowledge-sharing.yaml")
    out: dict[str, dict[str, float]] = {}
    print(f"document length ({total_words:,} words each run; microseconds per word, interviewer turns included):")
    for label, themed in (("dense", 0.8), ("sparse", 0.06)):
        row = {}
        sets = {length: corpus(total_words, max(1, total_words // length), seed, themed=themed)
                for length in lengths}
        for docs in sets.values():  # warm: the pipeline built and every word's lemma computed, for all lengths
            list(nlp.autocode(docs, cb, include_interviewer=True))
        for length, docs in sets.items():
            words = sum(d.words for d in docs)
            t = time.perf_counter()
            n = sum(len(s) for _, s in nlp.autocode(docs, cb, include_interviewer=True))
            secs = time.perf_counter() - t
            row[str(length)] = round(secs / words * 1e6, 2)
            print(f"  {label:6s} {length:>6,}-word documents: {secs:6.2f} s  {row[str(length)]:6.2f} us/word  "
                  f"({n:,} suggestions)")
        out[label] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--docs", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per build timing (best kept)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--length-words", type=int, default=200_000,
                    help="words per run of the document-length comparison (0: skip it)")
    ap.add_argument("--only-length", action="store_true", help="run only the document-length comparison")
    args = ap.parse_args()

    import spacy

    figures: dict[str, object] = {"spacy": spacy.__version__}
    if args.length_words:
        figures["us_per_word_by_document_length"] = length_scaling(args.length_words, args.seed)
        if args.only_length:
            if args.json:
                print(json.dumps(figures, indent=2))
            return
    builds = build_times(args.repeat)
    figures["build_s"] = builds
    print("build (fresh process, best of", args.repeat, "):")
    for name, secs in builds.items():
        print(f"  {name:28s} {secs:6.3f} s")

    t = time.perf_counter()
    docs = corpus(args.words, args.docs, args.seed)
    words = sum(d.words for d in docs)
    print(f"corpus: {len(docs):,} documents, {words:,} words, {sum(len(d.turns) for d in docs):,} turns "
          f"(made in {time.perf_counter() - t:.1f} s)")
    cb = load_codebook(ROOT / "codebooks" / "knowledge-sharing.yaml")

    # tokenizer only: the stock blank pipeline, cold vocabulary
    ref = spacy.blank("id")
    t = time.perf_counter()
    for d in docs:
        ref.make_doc(d.text)
    tok_s = time.perf_counter() - t

    # tematik's pipeline, tokenizer only, cold vocabulary (the lemma of every new word is computed here)
    fast = nlp._build("id")
    t = time.perf_counter()
    for d in docs:
        fast.make_doc(d.text)
    own_tok_s = time.perf_counter() - t

    # tokens compared with spaCy's (tematik adds a few abbreviations, e.g. Bpk.: the reference gets them too)
    for abbr in nlp.EXTRA_SPECIALS:
        if abbr not in ref.tokenizer.rules:
            ref.tokenizer.add_special_case(abbr, [{65: abbr}])
    ref_tokens = [ref.make_doc(d.text) for d in docs]
    differ = total = 0
    for d, rd in zip(docs, ref_tokens, strict=True):
        a = [(x.idx, len(x)) for x in fast.make_doc(d.text)]
        b = [(x.idx, len(x)) for x in rd]
        total += len(b)
        if a != b:
            differ += len(set(a) ^ set(b))
    del ref_tokens

    results = {}
    for label, include in (("autocode (interviewer turns included)", True),
                           ("autocode (interviewer turns skipped)", False)):
        nlp._PIPELINES.clear()  # a cold pipeline and vocabulary for each run: new-word costs count
        nlp._COMPILED.clear()
        nlp.lemma.cache_clear()
        nlp._stemmer.cache_clear()
        t = time.perf_counter()
        n_sugg = 0
        negative = 0
        for _, suggestions in nlp.autocode(docs, cb, include_interviewer=include):
            n_sugg += len(suggestions)
            negative += sum(s.polarity == "negative" for s in suggestions)
        results[label] = (time.perf_counter() - t, n_sugg, negative)

    # the whole `tematik autocode` path: project file, segments and suggestions stored document by document
    from tematik.codebook import codebook_hash
    from tematik.project import Project
    from tematik.project.codebook import code_rows
    from tematik.project.coding import train
    from tematik.store import Store
    from tematik.store import coding as store_coding
    from tematik.store import corpus as store_corpus

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "bench.db")
        store_corpus.apply_import(store, store_corpus.plan_import(store, docs))
        digest = codebook_hash(cb)
        store_coding.save_codebook(store, name=cb.name, version=cb.version, digest=digest, source="", fmt="yaml",
                                   codes=code_rows(cb))
        nlp._PIPELINES.clear()
        nlp._COMPILED.clear()
        nlp.lemma.cache_clear()
        nlp._stemmer.cache_clear()
        t = time.perf_counter()
        stored = vars(Project(store)._autocode(cb, digest))  # the codebook is stored without its source
        negative = store.scalar("SELECT count(*) FROM codings WHERE polarity = 'negative'")
        results["autocode + store (tematik autocode)"] = (time.perf_counter() - t, stored["stored"], negative)
        # with a learned model: the suggestions of the first 100 documents accepted, `learn`, then `autocode --redo`
        first = [store_corpus.document_id(store, d.name) for d in docs[:100]]
        rows = store_coding.query_codings(store, statuses=["suggested"], documents=first)
        store_coding.set_status(store, [r["id"] for r in rows], "accepted", who="bench")
        t = time.perf_counter()
        trained = train(store, cb, digest)
        learn_s = time.perf_counter() - t
        figures["learn"] = {"seconds": round(learn_s, 3), "units": trained.units, "documents": trained.documents,
                            "codes_with_a_model": len(trained.model.codes)}
        print(f"learn on {trained.documents} documents ({trained.units} units, {len(trained.model.codes)} codes "
              f"with a model): {learn_s:.2f} s")
        t = time.perf_counter()
        stored = vars(Project(store)._autocode(cb, digest, redo=True))
        negative = store.scalar("SELECT count(*) FROM codings WHERE polarity = 'negative'")
        results["autocode --redo with the model"] = (time.perf_counter() - t, stored["stored"], negative)
        store.close()

    tok_rate = words / tok_s
    figures.update({"documents": len(docs), "words": words, "tokens": total, "tokens_differing": differ,
                    "tokenizer_only_words_per_s": round(tok_rate)})
    print(f"tokens: {total:,}; differing from spacy.blank('id'): {differ}")
    print(f"{'tokenizer only (spacy.blank)':40s} {tok_s:6.2f} s {tok_rate:12,.0f} words/s")
    own = words / own_tok_s
    print(f"{'tokenizer only (nlp.pipeline, + lemmas)':40s} {own_tok_s:6.2f} s {own:12,.0f} words/s  "
          f"ratio {own / tok_rate:5.2f}")
    figures["tematik_tokenizer_words_per_s"] = round(own)
    for label, (secs, n_sugg, negative) in results.items():
        rate = words / secs
        print(f"{label:40s} {secs:6.2f} s {rate:12,.0f} words/s  ratio {rate / tok_rate:5.2f}  "
              f"({n_sugg:,} suggestions, {negative:,} negative)")
        figures[label] = {"seconds": round(secs, 3), "words_per_s": round(rate), "ratio": round(rate / tok_rate, 3),
                          "suggestions": n_sugg}
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
