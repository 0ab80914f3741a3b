"""`tematik learn` and the model in `autocode` / `review`, on a small second study written here (teachers of a
school talking about their work; three codes), with a real project file, the real CLI and spaCy's blank English
pipeline through tematik.nlp."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Cli

CODEBOOK = """\
name: Teachers at work
version: "1"
languages: [en]
codes:
  - id: workload
    name: {en: Workload}
    definition: {en: "Too much work: marking, paperwork, long evenings and weekends spent on school work."}
    inclusion: {en: ["Marking and lesson plans taking up evenings or weekends"]}
    examples:
      - {text: "I mark exercise books until midnight every day.", language: en}
      - {text: "The paperwork never ends.", language: en}
    rules:
      en:
        terms: [overtime, exhausted]
  - id: colleagues
    name: {en: Help from colleagues}
    definition: {en: "Teachers help each other, share materials and cover each other's classes."}
    exclusion: {en: ["Help from parents or pupils"]}
    rules:
      en:
        terms: [help each other]
  - id: training
    name: {en: Training}
    definition: {en: "Workshops, courses and in-service training the teachers attend."}
    rules:
      en:
        terms: [workshop]
"""

# Each school: interviewer questions and a teacher's answers. The reviewed schools (a, b) show what the
# researcher codes beyond the rules' words; the others say alike things in other words.
SCHOOLS = {
    "school_a": [
        ("Interviewer", "How is your week?"),
        ("Teacher", "I do overtime almost every day. Marking the exercise books takes my whole weekend. "
                    "The paperwork for the inspection piles up on my desk."),
        ("Interviewer", "Do the other teachers support you?"),
        ("Teacher", "Yes, we help each other a lot. Bu Rina covers my class when my child is sick. "
                    "We share our lesson plans in the staff room."),
        ("Interviewer", "Any courses this year?"),
        ("Teacher", "There was a workshop on the new curriculum. The course in Denpasar taught us group work. "
                    "The canteen food is good."),
    ],
    "school_b": [
        ("Interviewer", "Tell me about your evenings."),
        ("Teacher", "I am exhausted by Thursday. I correct homework until late at night. "
                    "Lesson plans for the inspection take all my Sunday."),
        ("Interviewer", "And your colleagues?"),
        ("Teacher", "My colleagues share their worksheets with me. Pak Budi covers my class when I go to "
                    "the clinic. Parents help us with the school garden."),
        ("Interviewer", "What about training?"),
        ("Teacher", "The district course on assessment was useful. A workshop on reading came last month. "
                    "The bus to school is slow."),
    ],
    "school_c": [
        ("Interviewer", "How is your week?"),
        ("Teacher", "Marking the exercise books takes my evenings and my weekend. The paperwork piles up again. "
                    "We help each other when someone is ill."),
        ("Interviewer", "Any courses this year?"),
        ("Teacher", "The course on the new curriculum was good. The canteen is noisy."),
    ],
    "school_d": [
        ("Interviewer", "Tell me about your evenings."),
        ("Teacher", "I correct homework until late at night and prepare lesson plans on Sunday. I am exhausted. "
                    "My colleagues share their worksheets and we help each other."),
        ("Interviewer", "What about training?"),
        ("Teacher", "A course on assessment in the district was useful. The bus is slow."),
    ],
}


def write_study(folder: Path) -> list[Path]:
    folder.mkdir()
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    paths = []
    for name, turns in SCHOOLS.items():
        path = folder / f"{name}.txt"
        path.write_text("\n".join(f"{who}: {what}" for who, what in turns) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def rows(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


def suggested(cli: Cli) -> list[dict]:
    return rows(cli, "--status", "suggested")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Four schools imported; the researcher reviewed schools a and b: rule suggestions accepted or rejected, and
    what the rules missed coded by hand."""
    home = tmp_path_factory.mktemp("teachers")
    paths = write_study(home / "study")
    cli = Cli(home / "teachers.db")
    cli("import", *paths, "--language", "en", "--interviewer", "Interviewer", "--speaker", "Teacher=T01")
    cli("codebook", "load", home / "study" / "codebook.yaml")
    cli("autocode")
    for r in suggested(cli):
        if r["document"] not in ("school_a", "school_b"):
            continue
        # the researcher's convention: parents helping is not "colleagues"; everything else the rules found is
        verdict = "reject" if "Parents" in r["text"] else "accept"
        cli("code", verdict, "--id", str(r["id"]), "--coder", "ana")
    manual = [("school_a", "workload", "Marking the exercise books"), ("school_a", "workload", "The paperwork"),
              ("school_a", "colleagues", "Bu Rina covers"), ("school_a", "colleagues", "We share our lesson"),
              ("school_a", "training", "The course in Denpasar"),
              ("school_b", "workload", "I correct homework"), ("school_b", "workload", "Lesson plans for"),
              ("school_b", "colleagues", "My colleagues share"), ("school_b", "colleagues", "Pak Budi covers"),
              ("school_b", "training", "The district course")]
    for doc, code, match in manual:
        cli("code", "add", doc, code, "--match", match, "--coder", "ana")
    return cli, home


def test_learn_prints_cross_validated_scores_and_stores_a_versioned_model(study):
    cli, home = study
    out = cli("learn", "--format", "json")
    report = json.loads(out.stdout)
    assert report["version"] == 1 and report["documents"] == 2
    assert report["cv"].startswith("leave-one-document-out")
    by_code = {r["code"]: r for r in report["scores"]}
    assert set(by_code) == {"workload", "colleagues", "training"}
    assert by_code["workload"]["support"] >= 4  # 2 rule hits accepted + 4 coded by hand over two documents
    for r in by_code.values():
        for k in ("precision", "recall", "f1"):
            assert r[k] is None or 0.0 <= r[k] <= 1.0
    assert "model v1 stored in" in out.stderr
    with sqlite3.connect(cli.db) as conn:
        version, units, docs, coder = conn.execute("SELECT version, units, documents, coder FROM models").fetchone()
    assert (version, docs, coder) == (1, 2, None) and units == report["units"] > 10
    table = cli("learn", "--coder", "ana").stdout
    assert "Model v2" in table and "workload" in table
    cli.fails("learn", "--coder", "nobody")  # nothing decided by that person: one-line error, exit 2


def test_same_seed_same_model_and_the_stored_model_predicts_like_the_fitted_one(study, tmp_path):
    import shutil

    import numpy as np

    from tematik.project import Project
    from tematik.project import coding as learning
    from tematik.store import Store
    from tematik.store import corpus as store_corpus

    cli, _ = study
    copy = tmp_path / "copy.db"
    shutil.copy(cli.db, copy)
    with Store.open(copy) as store:
        cb, digest = Project(store)._codebook()
        first = learning.train(store, cb, digest, seed=7)
        second = learning.train(store, cb, digest, seed=7)
        other = learning.train(store, cb, digest, seed=7, estimator="svm")
        version, reloaded, row = learning.load_model(store)
        ids = list(store_corpus.document_ids_by_name(store).values())
        units = learning.training_units(store, cb, ids)
    assert second.version == first.version + 1 and first.fingerprint == second.fingerprint
    assert first.model.to_json() == second.model.to_json()
    assert other.model.to_json() != first.model.to_json()
    assert version == other.version
    p_fitted, p_stored = other.model.probabilities(units), reloaded.probabilities(units)
    assert p_fitted.shape == (len(units), len(reloaded.codes)) and np.array_equal(p_fitted, p_stored)
    assert reloaded.predict(units) == other.model.predict(units)
    assert row["scores"] == [vars(s) for s in other.model.scores]


def test_autocode_with_the_model_marks_origin_and_confidence_and_never_repeats_a_rejection(study):
    cli, home = study
    cli("learn")
    cli("autocode", "--redo")
    open_ = suggested(cli)
    assert all(r["origin"] and r["confidence"] is not None and 0 <= r["confidence"] <= 1 for r in open_)
    model_made = [r for r in open_ if "model:v" in r["origin"]]
    assert model_made, open_
    # the model finds what the rules have no word for, in documents nobody reviewed
    assert any(r["rule"].startswith("model:v") and r["document"] in ("school_c", "school_d") for r in model_made)
    # reject one suggestion of the model and one of the rules in an unreviewed document
    from_model = next(r for r in model_made if r["rule"].startswith("model:v"))
    from_rule = next(r for r in open_ if not r["rule"].startswith("model:v") and r["document"] == "school_c")
    cli("code", "reject", "--id", str(from_model["id"]), "--id", str(from_rule["id"]), "--coder", "ana")
    gone = {(r["document"], r["code"], r["start"], r["end"]) for r in (from_model, from_rule)}
    cli("learn")
    for args in (("--redo",), ("--redo", "--no-model"), ("--redo", "--model-only")):
        cli("autocode", *args)
        back = {(r["document"], r["code"], r["start"], r["end"]) for r in suggested(cli)}
        assert not back & gone, args
    assert {(r["document"], r["code"], r["start"], r["end"]) for r in rows(cli, "--status", "rejected")} >= gone
    # remembered by the text, not the document row: the same text imported under another name is not offered
    # what was rejected in school_c, while its other suggestions are
    twin = home / "study" / "school_c_twin.txt"
    twin.write_text((home / "study" / "school_c.txt").read_text(encoding="utf-8"), encoding="utf-8")
    cli("import", twin, "--language", "en", "--interviewer", "Interviewer", "--speaker", "Teacher=T01")
    cli("autocode")
    in_twin = {(r["code"], r["start"], r["end"]) for r in suggested(cli) if r["document"] == "school_c_twin"}
    in_c = {(r["code"], r["start"], r["end"]) for r in rows(cli, "--doc", "school_c")}
    assert in_twin and in_twin <= in_c
    assert not {(c, s, e) for d, c, s, e in gone if d == "school_c"} & in_twin


def test_no_model_and_model_only_choose_the_source(study):
    cli, _ = study
    cli("autocode", "--redo", "--no-model")
    rules_only = suggested(cli)
    assert rules_only and not any("model:" in r["origin"] for r in rules_only)
    assert all(r["origin"] == r["rule"] for r in rules_only)
    out = cli("autocode", "--redo", "--model-only")
    assert "alone" in out.stderr
    model_only = suggested(cli)
    assert model_only and all("model:v" in r["origin"] for r in model_only)
    cli.fails("autocode", "--no-model", "--model-only")


def test_model_only_without_a_model_is_a_one_line_error(tmp_path):
    from conftest import digest

    paths = write_study(tmp_path / "study")
    cli = Cli(tmp_path / "fresh.db")
    cli("import", *paths[:1], "--language", "en", "--interviewer", "Interviewer")
    cli("codebook", "load", tmp_path / "study" / "codebook.yaml")
    before = digest(cli.db)
    out = cli.fails("autocode", "--model-only")
    assert "tematik learn" in out.output and digest(cli.db) == before
    cli.fails("learn")  # nothing reviewed yet


def test_review_orders_by_confidence_and_by_uncertainty(study):
    from tematik.project import coding as learning
    from tematik.store import Store

    cli, _ = study
    cli("learn")
    cli("autocode", "--redo")
    n = len(suggested(cli))
    assert n >= 3

    def shown(order: str) -> list[float]:
        out = cli("review", "--order", order, input="s" * n + "q").stdout
        return [float(x.split()[0]) for x in out.split("confidence ")[1:]]

    conf = shown("confidence")
    assert len(conf) == n and conf == sorted(conf, reverse=True)
    with Store.open(cli.db) as store:
        thresholds = {c: t for c, t in learning.load_model(store)[1].thresholds.items() if t <= 1}  # muted: 0.5
    out = cli("review", "--order", "uncertain", input="s" * n + "q").stdout
    panels = out.split("confidence ")[1:]
    codes = [p.split("\n") for p in out.split("\n") if " · confidence " in p]
    assert len(panels) == len(codes) == n
    distance = []
    for line in [p for p in out.split("\n") if " · confidence " in p]:
        code = line.split()[0]
        value = float(line.split("confidence ")[1].split()[0])
        distance.append(round(abs(value - thresholds.get(code, 0.5)), 2))
    assert distance == sorted(distance)
    doc_order = cli("review", "--order", "document", input="s" * n + "q").stdout
    assert doc_order.index("school_a") < doc_order.index("school_d")


def test_import_tematik_does_not_import_scikit_learn():
    code = ("import sys, tematik, tematik.learn, tematik.project.coding, tematik.cli; "
            "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_threshold_and_scores_agree_with_scikit_learn():
    import numpy as np
    from sklearn.metrics import precision_recall_curve, precision_recall_fscore_support

    from tematik import learn

    rng = np.random.default_rng(3)
    for _ in range(30):
        y = rng.integers(0, 2, 40)
        p = np.round(rng.random(40), 1)  # many ties
        if not y.any():
            continue
        t = learn.best_threshold(p.tolist(), y.tolist())
        precision, recall, _ = precision_recall_curve(y, p)
        with np.errstate(invalid="ignore"):
            best = np.nanmax(np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0))
        ours = learn._prf((p >= t).astype(int).tolist(), y.tolist())
        assert abs(ours[2] - best) < 1e-12
        sk = precision_recall_fscore_support(y, p >= t, average="binary", zero_division=0)
        assert np.allclose(ours, sk[:3])


def test_a_code_the_held_out_documents_contradict_gives_no_suggestions():
    from tematik import learn
    from tematik.models import Code, Codebook

    cb = Codebook(name="t", version="1", languages=("en",),
                  codes=(Code(id="x", name={"en": "X"}), Code(id="y", name={"en": "Y"})))
    units, x, y = [], [], []
    words = ("alpha", "beta", "gamma", "delta")
    for doc, coded in (("a", "alpha"), ("b", "beta")):  # each document codes x on another word
        for i in range(12):
            word = words[i % 4]
            units.append(learn.Unit(doc, i * 20, i * 20 + 19, f"the {word} sentence number {i}"))
            x.append(int(word == coded))
            y.append(int(word == "gamma"))
    model = learn.fit(units, {"x": x, "y": y}, cb, seed=0)
    score = {s.code: s for s in model.scores}
    assert "no suggestions" in score["x"].note and score["x"].threshold is None
    assert score["y"].f1 == 1.0 and score["y"].note == ""  # a code the documents agree on is learnt
    assert "x" in model.codes and not any(c == "x" for row in model.predict(units) for c, _ in row)
    assert sum(c == "y" for row in model.predict(units) for c, _ in row) == 6


def test_character_ngrams_counted_per_word_equal_scikit_learns_char_wb():
    from sklearn.feature_extraction.text import CountVectorizer

    from tematik import learn

    texts = ["Kami saling membantu, saling percaya!", "kepercayaan  dan\tkebersamaan di-perpustakaan",
             "a I  é Ñandú x", "", "Mempercayai teman-teman; dipercaya."]
    block = learn.Block.fit("char", texts * 2)  # min_df=2: every n-gram of these texts is in the vocabulary
    ours = block._char_wb_counts(texts + ["percaya percaya Percaya"])
    theirs = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True,
                             vocabulary={g: i for i, g in enumerate(block.vocabulary)}
                             ).transform(texts + ["percaya percaya Percaya"])
    assert ours.shape == theirs.shape and (ours != theirs).nnz == 0


def test_feature_blocks_equal_scikit_learns_tfidf():
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from tematik import learn

    texts = ["Kami saling membantu, saling percaya!", "kepercayaan dan kebersamaan di perpustakaan",
             "Ya, sering.", "Mempercayai teman teman; dipercaya dan percaya."] * 2
    for name, analyzer, ngrams in (("word", "word", (1, 2)), ("char", "char_wb", (2, 5))):
        block = learn.Block.fit(name, texts)
        vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True,
                              vocabulary={g: i for i, g in enumerate(block.vocabulary)},
                              token_pattern=r"(?u)\b\w+\b" if analyzer == "word" else None).fit(texts)
        assert np.allclose(block.transform(texts).toarray(), vec.transform(texts).toarray() * block.weight,
                           atol=1e-6)


def test_a_project_from_before_migration_5_keeps_its_rejections(tmp_path):
    paths = write_study(tmp_path / "study")
    cli = Cli(tmp_path / "old.db")
    cli("import", *paths[:1], "--language", "en", "--interviewer", "Interviewer")
    cli("codebook", "load", tmp_path / "study" / "codebook.yaml")
    cli("autocode")
    first = suggested(cli)[0]
    cli("code", "reject", "--id", str(first["id"]))
    with sqlite3.connect(cli.db) as conn:  # back to the schema of version 4
        conn.executescript("DROP TABLE rejections; DROP TABLE models; ALTER TABLE codings DROP COLUMN origin; "
                           "ALTER TABLE codings DROP COLUMN confidence; PRAGMA user_version = 4;")
    cli("autocode", "--redo")
    with sqlite3.connect(cli.db) as conn:
        remembered = conn.execute("SELECT code_id, start, end FROM rejections").fetchall()
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 5
    assert remembered == [(first["code"], first["start"], first["end"])]
    again = [r for r in suggested(cli) if (r["code"], r["start"], r["end"]) == tuple(remembered[0])]
    assert again == []
