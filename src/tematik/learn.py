"""Learned suggestions: a per-project model fitted on the researcher's own decisions (scikit-learn, imported lazily).

The training data are sentence units (:func:`tematik.nlp.units`) of the documents the researcher has reviewed:

- a unit is a **positive** for a code when an accepted or manual coding of that code covers it (overlap of at
  least half of the shorter of the two spans, so a phrase coded inside a sentence and a coding over several
  sentences both count);
- a **negative** when a suggestion of that code on it was rejected, or when nothing of that code is on it (the
  researcher read the document and did not code it there);
- **unknown** (left out for that code) while a suggestion of that code on it is still open;
- the codebook's definitions, inclusion criteria and typical examples are positives, its exclusion criteria and
  counter-examples negatives (seed data: a code nobody has coded yet still has a few examples).

Features of a unit: TF-IDF of its words (1-2 grams) and of its character 2-5 grams within words (which catch the
Indonesian affixed forms: *kepercayaan*, *mempercayai*, *dipercaya* share *perca*), TF-IDF of the words of the
interviewer question before it (a short answer, "Ya, sering.", is coded by its question), and which codes the
codebook's rules found in it. One logistic regression per code (one-vs-rest, balanced class weights, liblinear:
deterministic), with a threshold per code chosen on leave-one-document-out predictions.

The fitted model is plain numbers and words (vocabularies, idf weights, coefficients, intercepts, thresholds):
:meth:`Model.to_json` / :meth:`Model.from_json` store and rebuild it without pickle, so opening a project file
someone else sent never runs code from it. Prediction is a sparse matrix product done here, not by a stored
scikit-learn object, so a model stored with one scikit-learn version predicts the same under another.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError
from tematik.models import Codebook, Document, Suggestion

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
POSITIVE_STATUSES = ("accepted", "manual")
QUESTION_CHARS = 400
MIN_POSITIVES = 2  # a code with fewer positive units gets no model (its rules still run)
MAX_FOLDS = 10  # more reviewed documents than this: whole documents in this many folds (GroupKFold)
MUTED = 2.0  # the threshold of a code the model scores but does not suggest (no probability reaches it)
ESTIMATORS = ("logreg", "svm")
FEATURE_SETS = ("all", "words", "words+chars")

# Analyzer settings of each feature block; stored with the model so a reloaded model tokenizes the same way.
_BLOCKS = {
    "word": {"analyzer": "word", "ngram_range": (1, 2), "min_df": 1, "max_features": 20000, "weight": 1.0},
    "char": {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "max_features": 30000, "weight": 1.0},
    "question": {"analyzer": "word", "ngram_range": (1, 1), "min_df": 1, "max_features": 5000, "weight": 0.5},
}
_TOKEN_PATTERN = r"(?u)\b\w+\b"
RULE_WEIGHT = 1.0


@dataclass(frozen=True)
class Unit:
    """One sentence (or turn/paragraph) unit: where it is, its text, the question before it, the rules' codes."""

    document: str
    start: int
    end: int
    text: str
    question: str = ""
    rule_codes: frozenset[str] = frozenset()


def document_units(document: Document, rule_hits: Iterable[tuple[str, int, int]] = (), unit: str = "sentence",
                   include_interviewer: bool = False) -> list[Unit]:
    """The units of a document with their preceding interviewer question and the codes the rules found in them
    (``rule_hits``: (code, start, end) of rule suggestions)."""
    from tematik import nlp

    spans = nlp.units(document, unit, include_interviewer=include_interviewer)
    turns = sorted(document.turns, key=lambda t: t.start)
    starts = [t.start for t in turns]
    hits: dict[tuple[int, int], set[str]] = {}
    for code, s, e in rule_hits:
        hits.setdefault((s, e), set()).add(code)
    out = []
    for s, e in spans:
        question = ""
        i = bisect.bisect_right(starts, s) - 1
        if 0 <= i < len(turns) and not turns[i].is_interviewer:
            j = i - 1
            while j >= 0 and not turns[j].is_interviewer:
                j -= 1
            if j >= 0:
                question = document.text[turns[j].start:turns[j].end][-QUESTION_CHARS:]
        codes = {c for (hs, he), cs in hits.items() if hs < e and s < he for c in cs} if hits else set()
        out.append(Unit(document.name, s, e, document.text[s:e], question, frozenset(codes)))
    return out


def _covers(us: int, ue: int, cs: int, ce: int) -> bool:
    overlap = min(ue, ce) - max(us, cs)
    return overlap > 0 and overlap * 2 >= min(ue - us, ce - cs)


def label_units(units: Sequence[Unit], decisions: Iterable[dict[str, Any]], codes: Sequence[str]
                ) -> dict[str, list[int]]:
    """Per code, per unit: 1 (coded), 0 (not coded, or the suggestion was rejected), -1 (suggestion still open).

    ``decisions`` are codings (dicts with document, code, start, end, status)."""
    by_doc: dict[str, list[int]] = {}
    for i, u in enumerate(units):
        by_doc.setdefault(u.document, []).append(i)
    rank = {"suggested": 1, "rejected": 2, "accepted": 3, "manual": 3}
    best: dict[tuple[str, int], int] = {}
    for d in decisions:
        if d["code"] not in codes or d["status"] not in rank:
            continue
        for i in by_doc.get(d["document"], ()):
            u = units[i]
            if _covers(u.start, u.end, d["start"], d["end"]):
                key = (d["code"], i)
                best[key] = max(best.get(key, 0), rank[d["status"]])
    out = {c: [0] * len(units) for c in codes}
    for (code, i), r in best.items():
        out[code][i] = {1: -1, 2: 0, 3: 1}[r]
    return out


def seed_units(codebook: Codebook) -> tuple[list[Unit], dict[str, list[int]]]:
    """The codebook's own words as training units: definitions, inclusion criteria and typical examples of a code
    are positives for it; its exclusion criteria and counter-examples negatives; every one is a negative for the
    other codes (they describe something else), except for the code's ancestors and descendants."""
    units: list[Unit] = []
    owner: list[tuple[str, int]] = []
    for code in codebook.codes:
        texts = [(t, 1) for t in code.definition.values()]
        texts += [(t, 1) for ts in code.inclusion.values() for t in ts]
        texts += [(t, 0) for ts in code.exclusion.values() for t in ts]
        texts += [(e.text, 1 if e.kind == "typical" else 0) for e in code.examples]
        for text, label in texts:
            if text and text.strip():
                units.append(Unit("", 0, 0, text.strip()))
                owner.append((code.id, label))
    parents = {c.id: c.parent for c in codebook.codes}

    def lineage(cid: str) -> set[str]:
        up, seen = cid, set()
        while up is not None and up not in seen:
            seen.add(up)
            up = parents.get(up)
        return seen

    related = {c: lineage(c) | {d for d in parents if c in lineage(d)} for c in parents}
    labels = {c.id: [0] * len(units) for c in codebook.codes}
    for i, (cid, label) in enumerate(owner):
        for other in related[cid]:
            labels[other][i] = label if other == cid else (-1 if label == 1 else 0)
        labels[cid][i] = label
    return units, labels


# --------------------------------------------------------------------------- features

def _encode(array: np.ndarray) -> str:
    import numpy as np

    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def _decode(text: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    import numpy as np

    array = np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)
    return array.reshape(shape) if shape else array


@dataclass
class Block:
    """One TF-IDF feature block as plain data: analyzer settings, vocabulary (index order) and idf weights."""

    name: str
    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: list[str]
    idf: Any  # np.ndarray float32
    weight: float
    _counter: Any = field(default=None, repr=False, compare=False)  # the CountVectorizer, built once
    _words: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)  # char_wb, per word

    @classmethod
    def fit(cls, name: str, texts: Sequence[str]) -> Block:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        spec = _BLOCKS[name]
        vec = TfidfVectorizer(analyzer=spec["analyzer"], ngram_range=spec["ngram_range"], min_df=spec["min_df"],
                              max_features=spec["max_features"], sublinear_tf=True, lowercase=True,
                              token_pattern=_TOKEN_PATTERN if spec["analyzer"] == "word" else None)
        texts = [t for t in texts if t.strip()]
        try:
            vec.fit(texts)
        except ValueError:  # no words at all (e.g. no questions anywhere)
            return cls(name, spec["analyzer"], spec["ngram_range"], [], np.zeros(0, np.float32), spec["weight"])
        vocabulary = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        return cls(name, spec["analyzer"], spec["ngram_range"], vocabulary, vec.idf_.astype(np.float32),
                   spec["weight"])

    def transform(self, texts: Sequence[str]):
        import numpy as np
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import CountVectorizer
        if not self.vocabulary:
            return sp.csr_matrix((len(texts), 0), dtype=np.float64)
        if self.analyzer == "char_wb":
            counts = self._char_wb_counts(texts)
        else:
            if self._counter is None:
                self._counter = CountVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range, lowercase=True,
                                                vocabulary={w: i for i, w in enumerate(self.vocabulary)},
                                                token_pattern=_TOKEN_PATTERN)
            counts = self._counter.transform(texts).astype(np.float64)
        counts.data = 1.0 + np.log(counts.data)
        x = counts @ sp.diags(self.idf.astype(np.float64), format="csr")
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.diags(self.weight / norms, format="csr") @ x

    def _char_wb_counts(self, texts: Sequence[str]):
        """Counts of the character n-grams inside words (scikit-learn's ``char_wb`` analyzer: each lower-cased
        word padded with a space on both sides), computed once per distinct word: a unit's counts are the sum of
        its words', and a corpus repeats its words, so this is several times faster than analysing every text."""
        import numpy as np
        import scipy.sparse as sp

        if self._counter is None:
            self._counter = {g: i for i, g in enumerate(self.vocabulary)}
        index, cache = self._counter, self._words
        lo, hi = self.ngram_range
        word_ids: dict[str, int] = {}
        rows, cols = [], []
        for i, text in enumerate(texts):
            for word in text.lower().split():
                rows.append(i)
                cols.append(word_ids.setdefault(word, len(word_ids)))
        indptr, indices = [0], []
        for word in word_ids:
            features = cache.get(word)
            if features is None:
                w = f" {word} "
                grams = []
                for n in range(lo, hi + 1):
                    if len(w) <= n:  # a word not longer than n counts once, as a whole (as scikit-learn)
                        grams.append(w)
                        break
                    grams += [w[i:i + n] for i in range(len(w) - n + 1)]
                features = [index[g] for g in grams if g in index]
                if len(cache) < 500_000:
                    cache[word] = features
            indices += features
            indptr.append(len(indices))
        units_words = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), len(word_ids)))
        words_grams = sp.csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int64),
                                     np.array(indptr, dtype=np.int64)), shape=(len(word_ids), len(self.vocabulary)))
        words_grams.sum_duplicates()
        return (units_words @ words_grams).tocsr()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "analyzer": self.analyzer, "ngram_range": list(self.ngram_range),
                "vocabulary": self.vocabulary, "idf": _encode(self.idf), "weight": self.weight}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Block:
        return cls(d["name"], d["analyzer"], tuple(d["ngram_range"]), list(d["vocabulary"]), _decode(d["idf"]),
                   float(d["weight"]))


@dataclass
class Featurizer:
    blocks: list[Block]
    rule_codes: list[str]  # one 0/1 column per code: the codebook's rules found that code in the unit

    @classmethod
    def fit(cls, units: Sequence[Unit], codes: Sequence[str], features: str = "all") -> Featurizer:
        blocks = [Block.fit("word", [u.text for u in units])]
        if features in ("all", "words+chars"):
            blocks.append(Block.fit("char", [u.text for u in units]))
        if features == "all":
            blocks.append(Block.fit("question", [u.question for u in units]))
        return cls(blocks, list(codes) if features == "all" else [])

    def transform(self, units: Sequence[Unit]):
        import numpy as np
        import scipy.sparse as sp

        parts = []
        for b in self.blocks:
            parts.append(b.transform([u.question if b.name == "question" else u.text for u in units]))
        if self.rule_codes:
            rules = np.array([[RULE_WEIGHT if c in u.rule_codes else 0.0 for c in self.rule_codes] for u in units],
                             dtype=np.float64).reshape(len(units), len(self.rule_codes))
            parts.append(sp.csr_matrix(rules))
        return sp.hstack(parts, format="csr") if parts else sp.csr_matrix((len(units), 0))

    @property
    def width(self) -> int:
        return sum(len(b.vocabulary) for b in self.blocks) + len(self.rule_codes)


# --------------------------------------------------------------------------- the model

@dataclass
class CodeScore:
    code: str
    support: int  # positive units among the researcher's decisions
    units: int  # units with a decision for this code
    precision: float | None
    recall: float | None
    f1: float | None
    threshold: float | None
    note: str = ""


@dataclass
class Model:
    """A fitted model: features, one linear scorer per code, thresholds; plain data throughout."""

    featurizer: Featurizer
    codes: list[str]  # codes with a scorer, in codebook order
    coef: Any  # np.ndarray float32 (codes x features)
    intercept: Any  # np.ndarray float32 (codes,)
    thresholds: dict[str, float]
    scores: list[CodeScore] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # training set size, seed, estimator, cv scheme, ...

    def probabilities(self, units: Sequence[Unit]):
        """A (units x codes) array of confidences in [0, 1] (the logistic of each code's linear score)."""
        import numpy as np

        if not units or not self.codes:
            return np.zeros((len(units), len(self.codes)))
        x = self.featurizer.transform(units)
        z = np.asarray(x @ self.coef.T.astype(np.float64)) + self.intercept.astype(np.float64)
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, units: Sequence[Unit]) -> list[list[tuple[str, float]]]:
        """Per unit, the (code, confidence) pairs at or above the code's threshold."""
        probs = self.probabilities(units)
        out = []
        for row in probs:
            out.append([(c, float(p)) for c, p in zip(self.codes, row, strict=True) if p >= self.thresholds[c]])
        return out

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "codes": self.codes, "rule_codes": self.featurizer.rule_codes,
            "blocks": [b.to_dict() for b in self.featurizer.blocks],
            "coef": _encode(self.coef), "intercept": _encode(self.intercept), "thresholds": self.thresholds,
            "scores": [vars(s) for s in self.scores], "info": self.info,
        }, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Model:
        try:
            d = json.loads(text)
            if d.get("format") != FORMAT:
                raise InputError(f"stored model has format {d.get('format')!r}; this tematik reads format "
                                 f"{FORMAT}: run `tematik learn` again", field="model")
            blocks = [Block.from_dict(b) for b in d["blocks"]]
            featurizer = Featurizer(blocks, list(d["rule_codes"]))
            codes = list(d["codes"])
            coef = _decode(d["coef"], (len(codes), featurizer.width)) if codes else _decode(d["coef"])
            return cls(featurizer, codes, coef, _decode(d["intercept"]),
                       {k: float(v) for k, v in d["thresholds"].items()},
                       [CodeScore(**s) for s in d.get("scores", [])], dict(d.get("info", {})))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"the stored model cannot be read ({exc}); run `tematik learn` again",
                             field="model") from None


def _estimator(kind: str, seed: int, c: float):
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(solver="liblinear", dual=True, C=c, class_weight="balanced", random_state=seed,
                                  max_iter=1000)
    if kind == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=c / 10, class_weight="balanced", random_state=seed)
    raise InputError(f"unknown estimator {kind!r} (expected one of: {', '.join(ESTIMATORS)})", field="estimator")


def _fit_scorers(x, labels: dict[str, Any], codes: Sequence[str], kind: str, seed: int, c: float):
    """(codes with a scorer, coef rows, intercepts) for the labelled rows of ``x``."""
    import numpy as np

    fitted, coef, intercept = [], [], []
    for code in codes:
        y = labels[code]
        mask = y >= 0
        positives = int((y[mask] == 1).sum())
        if positives < 1 or positives == int(mask.sum()):
            continue
        est = _estimator(kind, seed, c).fit(x[mask], y[mask])
        fitted.append(code)
        coef.append(np.asarray(est.coef_[0], dtype=np.float32))
        intercept.append(np.float32(np.ravel(est.intercept_)[0]))
    width = x.shape[1]
    return (fitted, np.vstack(coef) if coef else np.zeros((0, width), np.float32),
            np.array(intercept, dtype=np.float32))


def best_threshold(probs: Sequence[float], truth: Sequence[int]) -> float | None:
    """The threshold that maximises F1 of ``p >= t`` (ties: the highest threshold); None without a positive."""
    pairs = sorted(zip(probs, truth, strict=True), key=lambda pt: -pt[0])
    total = sum(truth)
    if total == 0:
        return None
    best, best_f1, tp = None, -1.0, 0
    for k, (p, t) in enumerate(pairs, start=1):
        tp += t
        if k < len(pairs) and pairs[k][0] == p:
            continue  # the threshold p takes every unit of that score
        f1 = 2 * tp / (k + total)
        if f1 > best_f1 + 1e-12:
            best, best_f1 = p, f1
    return float(best) if best is not None else None


def _prf(pred: Sequence[int], truth: Sequence[int]) -> tuple[float | None, float | None, float | None]:
    tp = sum(1 for p, t in zip(pred, truth, strict=True) if p and t)
    fp = sum(1 for p, t in zip(pred, truth, strict=True) if p and not t)
    fn = sum(1 for p, t in zip(pred, truth, strict=True) if t and not p)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return precision, recall, f1


def fit(units: Sequence[Unit], labels: dict[str, list[int]], codebook: Codebook, *, seed: int = 0,
        estimator: str = "logreg", features: str = "all", c: float = 4.0, use_seeds: bool = True,
        cv: bool = True) -> Model:
    """Fit the model on the researcher's units (``labels`` from :func:`label_units`) plus the codebook's seed data,
    and score it by leave-one-document-out cross-validation (more than :data:`MAX_FOLDS` documents: that many
    folds of whole documents; a single document: 3 folds over its units).

    Reported scores are honest about the threshold: the units of each held-out document are cut at the
    threshold that was best on the other documents' held-out predictions. The stored threshold is the best on
    all held-out predictions. A code with fewer than :data:`MIN_POSITIVES` positive units gets no scorer.
    """
    import numpy as np

    if features not in FEATURE_SETS:
        raise InputError(f"unknown feature set {features!r} (expected one of: {', '.join(FEATURE_SETS)})",
                         field="features")
    codes = list(codebook.ids)
    unknown = sorted(set(labels) - set(codes))
    if unknown:
        raise InputError(f"labels for codes not in the codebook: {', '.join(unknown)}", field="labels")
    seeds, seed_labels = seed_units(codebook) if use_seeds else ([], {c_: [] for c_ in codes})
    all_units = list(units) + seeds
    y_all = {code: np.array(list(labels.get(code, [0] * len(units))) + seed_labels[code], dtype=np.int8)
             for code in codes}
    n_real = len(units)
    docs = sorted({u.document for u in units})
    if len(docs) > MAX_FOLDS:
        from sklearn.model_selection import GroupKFold

        group_of = np.zeros(n_real, dtype=int)
        names = [u.document for u in units]
        for fold, (_, test) in enumerate(GroupKFold(n_splits=MAX_FOLDS).split(np.zeros(n_real), groups=names)):
            group_of[test] = fold
        scheme = f"{MAX_FOLDS} folds of whole documents over {len(docs)} documents"
    elif len(docs) >= 2:
        position = {d: i for i, d in enumerate(docs)}
        group_of = np.array([position[u.document] for u in units])
        scheme = f"leave-one-document-out over {len(docs)} documents"
    else:
        rng = np.random.RandomState(seed)
        group_of = rng.permutation(n_real) % 3 if n_real else np.zeros(0, int)
        scheme = "3 folds over the units of the only reviewed document (optimistic: same document)"
    n_groups = int(group_of.max()) + 1 if n_real else 0
    positives = {code: int((y_all[code][:n_real] == 1).sum()) for code in codes}
    trainable = [code for code in codes if positives[code] >= MIN_POSITIVES]

    oof = {code: np.full(n_real, np.nan) for code in trainable}
    if cv and n_groups >= 2:
        for g in range(n_groups):
            test = np.where(group_of == g)[0]
            train = np.concatenate([np.where(group_of != g)[0], np.arange(n_real, len(all_units))])
            train_units = [all_units[i] for i in train]
            feat = Featurizer.fit(train_units, codes, features)
            x_train = feat.transform(train_units)
            fitted, coef, intercept = _fit_scorers(x_train, {k: y_all[k][train] for k in trainable}, trainable,
                                                   estimator, seed, c)
            if not fitted:
                continue
            z = np.asarray(feat.transform([all_units[i] for i in test]) @ coef.T.astype(np.float64)) + intercept
            for j, code in enumerate(fitted):
                oof[code][test] = 1.0 / (1.0 + np.exp(-z[:, j]))

    scores, thresholds = [], {}
    for code in codes:
        y = y_all[code][:n_real]
        labelled = int((y >= 0).sum())
        if code not in trainable:
            scores.append(CodeScore(code, positives[code], labelled, None, None, None, None,
                                    f"fewer than {MIN_POSITIVES} coded units: no model, rules only"))
            continue
        have = (y >= 0) & ~np.isnan(oof[code])
        if not have.any():
            thresholds[code] = 0.5
            scores.append(CodeScore(code, positives[code], labelled, None, None, None, 0.5, "not cross-validated"))
            continue
        preds, truth = [], []
        for g in range(n_groups):
            inside = have & (group_of == g)
            outside = have & (group_of != g)
            t = best_threshold(oof[code][outside].tolist(), (y[outside] == 1).astype(int).tolist())
            t = 0.5 if t is None else t
            preds += (oof[code][inside] >= t).astype(int).tolist()
            truth += (y[inside] == 1).astype(int).tolist()
        precision, recall, f1 = _prf(preds, truth)
        t_all = best_threshold(oof[code][have].tolist(), (y[have] == 1).astype(int).tolist())
        t_all = 0.5 if t_all is None else t_all
        flagged = float((oof[code][have] >= t_all).mean())
        prevalence = float((y[have] == 1).mean())
        if not f1 or flagged > max(0.5, 2 * prevalence):
            # not one held-out unit right, or a threshold that codes most units: what the decisions say about this
            # code does not carry from one document to another
            thresholds[code] = MUTED
            scores.append(CodeScore(code, positives[code], labelled, precision, recall, f1, None,
                                    "held out, the model " + ("found none of these" if not f1 else
                                                              f"would code {flagged:.0%} of the units") +
                                    ": it gives confidences only, no suggestions"))
            continue
        thresholds[code] = t_all
        scores.append(CodeScore(code, positives[code], labelled, precision, recall, f1, thresholds[code]))

    feat = Featurizer.fit(all_units, codes, features)
    fitted, coef, intercept = _fit_scorers(feat.transform(all_units), {k: y_all[k] for k in trainable},
                                           trainable, estimator, seed, c)
    for code in fitted:
        thresholds.setdefault(code, 0.5)
    info = {"units": n_real, "documents": len(docs), "seed_units": len(seeds), "seed": seed, "estimator": estimator,
            "features": features, "C": c, "cv": scheme if cv else "none", "positives": positives}
    return Model(feat, fitted, coef, intercept, {k: thresholds[k] for k in fitted}, scores, info)


def macro_f1(scores: Sequence[CodeScore]) -> float | None:
    values = [s.f1 for s in scores if s.f1 is not None]
    return sum(values) / len(values) if values else None


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# --------------------------------------------------------------------------- the model in auto-coding
# (moved from tematik.learning: the pure steps; reading decisions and storing models is tematik.project.coding's)

MODES = ("both", "rules", "model")


def fingerprint(rows: Sequence[dict[str, Any]], digest: str, seed: int, unit: str, coder: str | None) -> str:
    """A hash of what a model was fitted on: the decisions (by text hash, code, span, status), the codebook hash,
    the seed, the unit and the coder. The same fingerprint means the same training data."""
    data = sorted((r["sha256"], r["code"], r["start"], r["end"], r["status"]) for r in rows)
    blob = json.dumps({"decisions": data, "codebook": digest, "seed": seed, "unit": unit, "coder": coder})
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def rule_confidence(record: dict[str, tuple[int, int]], rule: str) -> float:
    """How often the researcher accepted this rule's suggestions (Laplace-smoothed: 0.5 before any decision)."""
    accepted, rejected = record.get(rule, (0, 0))
    return (accepted + 1) / (accepted + rejected + 2)


def combine(document: Document, rule_suggestions: Sequence[Suggestion], *, mode: str = "both",
            model: Model | None = None, version: int | None = None, unit: str = "sentence",
            include_interviewer: bool = False, rule_record: dict[str, tuple[int, int]] | None = None
            ) -> list[Suggestion]:
    """One document's suggestions from the rules, the model, or both (``mode``: both, rules, model).

    Every suggestion carries an origin (the rule id, ``model:vN``, or ``<rule id>+model:vN`` when both found it)
    and a confidence: the model's probability for that code and unit when the model has the code (the rule hit is
    one of its features), else how often the researcher accepted that rule before. With ``both``, a rule's
    suggestion is kept even when the model scores it under its threshold (it then ranks as uncertain)."""
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (expected one of: {', '.join(MODES)})", field="mode")
    record = rule_record or {}
    by_key = {(s.code, s.start, s.end): s for s in rule_suggestions}
    out: dict[tuple[str, int, int], Suggestion] = {}
    if mode != "model":
        for key, s in by_key.items():
            out[key] = replace(s, origin=s.rule, confidence=rule_confidence(record, s.rule))
    if model is None or not model.codes:
        return list(out.values()) if mode != "model" else []
    tag = f"model:v{version}"
    units = document_units(document, [(s.code, s.start, s.end) for s in rule_suggestions], unit,
                           include_interviewer)
    probs = model.probabilities(units)
    for u, row in zip(units, probs, strict=True):
        for code, p in zip(model.codes, row, strict=True):
            key = (code, u.start, u.end)
            rule = by_key.get(key)
            above = p >= model.thresholds[code]
            if rule is not None and (mode == "both" or above):
                out[key] = replace(rule, origin=f"{rule.rule}+{tag}" if above else rule.rule, confidence=float(p))
            elif rule is None and above and mode != "rules":
                out[key] = Suggestion(code=code, start=u.start, end=u.end, match_start=u.start, match_end=u.end,
                                      matched=u.text[:80], rule=tag, unit=unit, origin=tag, confidence=float(p))
    return sorted(out.values(), key=lambda s: (s.start, s.code))
