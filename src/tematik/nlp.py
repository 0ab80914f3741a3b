"""spaCy-assisted matching of codebook rules. The only module of tematik that imports spaCy (lazily).

Pieces, in the order ``autocode`` uses them:

- :func:`pipeline` — a blank spaCy pipeline per language, built once per process. Indonesian does not pay
  ``spacy.blank("id")``'s ~1.3-2.4 s: its ~15,600 hyphenated tokenizer exceptions (``anak-anak``) are kept
  whole by a ``token_match`` set lookup instead of being compiled one by one as special cases (the tokens are
  the same; see :func:`_build`).
- :func:`lemma` — the normaliser. Indonesian: lower-cased lookup in spacy-lookups-data, then clitics stripped
  (-nya, -lah, -kah, -pun, -ku, -mu), then the Sastrawi stemmer; English: lower-cased lookup. The result is
  written into each lexeme's ``NORM`` when spaCy first sees a word, so it is computed once per word type per
  process and matched in C by ``PhraseMatcher(attr="NORM")``. In token patterns ``LEMMA`` means this lemma.
- :func:`units` — sentence, turn or paragraph offsets; a unit never crosses a speaker turn.
- :class:`CodebookMatcher` — terms, token patterns and exclusions of a codebook for one language; matches are
  kept as overlapping spans in ``doc.spans["tematik"]`` (cancelled ones in ``doc.spans["tematik_excluded"]``).
- :func:`autocode` — documents in, ``(document, suggestions)`` out, one document at a time.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from tematik.errors import InputError, NotFound
from tematik.models import UNITS, Codebook, Document, MatchRule, Suggestion

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

SPANS_KEY = "tematik"
EXCLUDED_KEY = "tematik_excluded"

# --------------------------------------------------------------------------- language data

CLITICS = ("nya", "lah", "kah", "pun", "ku", "mu")

NEGATORS = {
    "id": frozenset({"tidak", "tak", "tdk", "belum", "blm", "kurang", "bukan", "bkn", "jarang", "enggak", "engga",
                     "nggak", "ngga", "ga", "gak", "nda", "ndak", "tanpa", "tiada", "jangan"}),
    "en": frozenset({"not", "n't", "never", "no", "hardly", "rarely", "seldom", "without", "nobody", "nothing",
                     "cannot", "lack", "lacks", "lacked", "nor"}),
}
# "tidak hanya X" / "not only X" does not negate X; "kurang lebih" means "more or less".
NOT_NEGATING_NEXT = frozenset({"hanya", "cuma", "sekadar", "sekedar", "saja", "only", "just", "merely"})
NOT_NEGATING_PAIRS = frozenset({("kurang", "lebih"), ("kurang", "dari"), ("no", "doubt"), ("not", "until")})
# Words that start a new clause: a negation before them does not reach a match after them.
CLAUSE_WORDS = {
    "id": frozenset({"tetapi", "tapi", "namun", "sedangkan", "padahal", "melainkan", "walaupun", "meskipun",
                     "karena", "soalnya", "sehingga", "dan", "atau", "yang"}),
    "en": frozenset({"but", "however", "although", "though", "because", "whereas", "and", "or", "which",
                     "who", "that"}),
}
NEGATION_WINDOW = 3  # tokens before the match, within the same clause

# After a match, within the same clause: a negator or a negative predicate right after the matched word, with at
# most a few copulas, particles or adverbs between ("komunikasinya kurang lancar", "kebersamaannya tidak ada",
# "keterbukaan masih kurang", "trust is lacking"). Any other word ends the look-ahead, so that a negation in a
# complement ("saya percaya teman-teman tidak akan ...") does not negate the match.
NEGATION_AFTER_WINDOW = 4  # tokens after the match (fillers and the negator), within the same clause
# "tanpa" / "without" / "jangan" after a match modify something else ("kerja sama tanpa pembagian tugas").
NOT_NEGATING_AFTER = frozenset({"tanpa", "without", "jangan", "nor"})
NEGATIVE_AFTER = {
    "id": frozenset({"hilang", "lemah", "buruk", "jelek", "minim", "rendah", "macet", "tersendat", "terhambat",
                     "mandek", "luntur", "memudar", "pudar", "menurun", "berkurang", "kendor", "renggang", "retak",
                     "rusak", "sulit", "susah", "payah", "hambar"}),
    "en": frozenset({"lacking", "missing", "weak", "weaker", "poor", "poorer", "low", "gone", "absent", "broken",
                     "lost", "eroded", "declining", "fading", "strained"}),
}
AFTER_FILLERS = {
    "id": frozenset({"itu", "ini", "nya", "masih", "sudah", "udah", "juga", "memang", "sih", "pun", "agak",
                     "sedikit", "sangat", "terlalu", "jadi", "menjadi", "terasa", "rasanya", "kadang",
                     "kadang-kadang", "sering", "selalu", "lagi", "di", "sini", "sana", "kok", "ya", "kayaknya",
                     "sepertinya", "tampaknya", "makin", "semakin", "cenderung"}),
    "en": frozenset({"is", "are", "was", "were", "be", "been", "being", "'s", "'re", "has", "have", "had", "does",
                     "do", "did", "still", "also", "really", "quite", "rather", "often", "always", "sometimes",
                     "seems", "seemed", "feels", "felt", "here", "there", "somewhat", "a", "bit", "little", "very",
                     "so", "too", "just", "getting", "got", "becoming", "became", "pretty"}),
}

# Abbreviations that never end a sentence (a title or a reference is followed by a name or a number) ...
ABBREV_NEVER = frozenset({
    "bpk.", "bp.", "sdr.", "sdri.", "yth.", "dr.", "drs.", "dra.", "prof.", "ir.", "hj.", "kh.", "h.", "ust.",
    "mr.", "mrs.", "ms.", "st.", "jl.", "jln.", "kab.", "kec.", "kel.", "prov.", "rp.", "tgl.", "hlm.", "vs.",
    "cf.", "vol.", "pp.", "fig.", "approx.", "dept.", "univ.", "jr.", "sr.", "mis.", "spt.", "yg.", "dgn.",
    "utk.", "no.", "nomor.",
})
# ... and abbreviations that end one when the next word starts with a capital letter ("..., dll. Kami ...").
ABBREV_FINAL = frozenset({"dll.", "dsb.", "dst.", "dkk.", "tsb.", "sbb.", "etc.", "hal."})
# Always kept inside a token by our tokenizers (they are not all among spaCy's exceptions).
EXTRA_SPECIALS = ("Bpk.", "Bp.", "Sdr.", "Sdri.", "Yth.", "yth.", "Rp.", "Tgl.", "tgl.", "Jl.", "Jln.", "Kab.",
                  "Kec.", "Kel.", "Prov.", "tsb.", "Tsb.", "dkk.", "dll.", "Dll.", "dsb.", "Dsb.", "dst.",
                  "hlm.", "Hlm.", "No.", "no.", "S.Pd.", "S.Kom.", "S.IP.", "S.Hum.", "M.Hum.", "M.Pd.",
                  "S.Sos.", "A.Md.", "S.E.", "S.H.", "S.T.", "S.Si.", "M.Si.", "M.Kom.", "M.A.", "e.g.", "i.e.",
                  "E.g.", "I.e.")

_INITIALS = re.compile(r"^(?:[A-Za-z]{1,4}\.){2,}$|^[A-Z]\.$")
_SENT_END = re.compile(r"""(\.{2,}|…|[.!?]+)(["'”’)\]]*)(?=\s|$)""")
_WORD_BEFORE = re.compile(r"""[(\["'“‘]*(\S*)$""")
_NEXT_CHAR = re.compile(r"""\s*["'“‘(\[]*(\S)""")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LIST_ITEM = re.compile(r"\n[ \t]*(?=(?:[-*•]|\d{1,3}[.)])\s)")
_WORDISH = re.compile(r"\w")


# --------------------------------------------------------------------------- lemmatizer

@cache
def _lookup_table(language: str) -> dict[str, str]:
    import spacy_lookups_data
    from spacy.util import load_language_data

    # the package names its tables per language; Indonesian is ``id_`` (``id`` is a Python builtin)
    data = getattr(spacy_lookups_data, language, None) or getattr(spacy_lookups_data, language + "_", None)
    if not data or "lemma_lookup" not in data:
        return {}
    return dict(load_language_data(data["lemma_lookup"]))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


_STEMMABLE = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


@lru_cache(maxsize=200_000)
def lemma(word: str, language: str = "id") -> str:
    """The normalised lemma tematik matches on: lower-cased, looked up, clitic-stripped, stemmed (Indonesian).

    ``lemma("Kebersamaan") == "sama"``, ``lemma("komunikasinya") == "komunikasi"``,
    ``lemma("mempercayai") == "percaya"``, ``lemma("trusted", "en") == "trust"``. Words that are not letters
    (numbers, punctuation, ``S.Pd.``) are only lower-cased.
    """
    w = word.lower()
    table = _lookup_table(language)
    hit = table.get(w)
    if hit is not None:
        return hit.lower()
    if language != "id" or not _STEMMABLE.match(w):
        return w
    for clitic in CLITICS:
        if w.endswith(clitic) and len(w) - len(clitic) >= 3:
            base = w[: -len(clitic)].rstrip("-")
            hit = table.get(base)
            if hit is not None:
                return hit.lower()
    if len(w) <= 3:
        return w
    stem = _stemmer().stem(w)
    return stem or w


# --------------------------------------------------------------------------- pipelines

_PIPELINES: dict[str, Language] = {}
_WORD = re.compile(r"^[^\W_]+(?:-[^\W_]+)*$")


def pipeline(language: str) -> Language:
    """The blank pipeline for ``language`` (``id`` or ``en``), built once per process, with tematik's lemma in
    each lexeme's NORM."""
    nlp = _PIPELINES.get(language)
    if nlp is None:
        nlp = _build(language)
        _PIPELINES[language] = nlp
    return nlp


def _build(language: str) -> Language:
    """Build a blank pipeline.

    For Indonesian, ``spacy.blank("id")`` spends ~95% of its 1.3-2.4 s build compiling ~15,600 hyphenated words
    (``anak-anak``, ``Bapak-bapak``, each in up to 7 capitalisations) as tokenizer special cases; loading a copy
    saved with ``to_disk`` (or unpickling one) compiles them again and is slower still. Here the one-token
    exceptions made of letters, digits and hyphens (and the whitespace ones) are a ``token_match`` set lookup
    instead: a chunk that is one of them stays one token, as a special case would; the ~400 others (``dll.``,
    ``S.Pd.``, emoticons, ``Jum'at``) stay special cases, because a special case is also tried after a prefix is
    split off (``(Dr.``), which ``token_match`` is not. The tokens are spaCy's (``benchmarks/bench_autocode.py``
    counts differences on its corpus: none), except that spaCy also merges a listed word found inside a longer
    hyphenated chunk (``x-anak-anak`` -> ``x``, ``-``, ``anak-anak``) and we split such a chunk at every hyphen.

    A side effect makes tokenizing faster: spaCy stops caching a doc's chunks once any special case has been used
    in it, and ``\n`` is one (so in a transcript, after the first line break); ``\n`` is no longer one here.
    """
    from spacy.attrs import NORM
    from spacy.symbols import ORTH
    from spacy.util import get_lang_class

    base = get_lang_class(language)
    exceptions = base.Defaults.tokenizer_exceptions
    # one-token exceptions made of letters, digits and hyphens (anak-anak) or whitespace (\n): kept whole by a
    # set lookup instead of compiled special cases; the others (dll., S.Pd., don't, emoticons) stay special
    whole = frozenset(k for k, v in exceptions.items()
                      if v == [{ORTH: k}] and (_WORD.match(k) or k in ("\n", "\t", " ")))
    rules = {k: v for k, v in exceptions.items() if k not in whole}
    for abbr in EXTRA_SPECIALS:
        rules.setdefault(abbr, [{ORTH: abbr}])
    token_match = whole.__contains__
    if base.Defaults.token_match is not None:  # a language's own token_match still applies
        own = base.Defaults.token_match

        def token_match(text: str) -> bool:
            return text in whole or bool(own(text))

    defaults = type(f"_{base.__name__}Defaults", (base.Defaults,),
                    {"tokenizer_exceptions": rules, "token_match": token_match})
    nlp = type(f"_{base.__name__}", (base,), {"Defaults": defaults})()

    def norm(text: str, _language: str = language) -> str:
        return lemma(text, _language)

    nlp.vocab.lex_attr_getters[NORM] = norm
    for lex in list(nlp.vocab):  # lexemes made while building (tokenizer exceptions) get our lemma too
        lex.norm_ = norm(lex.orth_)
    return nlp


# --------------------------------------------------------------------------- units

def _regions(doc: Document, include_interviewer: bool = True) -> list[tuple[int, int]]:
    """Spans of text a unit may not cross: the turns, or the whole text of a document without turns.

    The importer makes every stretch of text a turn (narrative text becomes a turn without a speaker), so what
    lies between turns is speaker labels ("Pewawancara:"), which are no unit of anything.
    """
    n = len(doc.text)
    if not doc.turns:
        return [(0, n)]
    out: list[tuple[int, int]] = []
    pos = 0
    for t in sorted(doc.turns, key=lambda t: t.start):
        if include_interviewer or not t.is_interviewer:
            out.append((max(t.start, pos), t.end))
        pos = max(pos, t.end)
    return [(s, e) for s, e in out if e > s]


def _trim(text: str, s: int, e: int) -> tuple[int, int] | None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if s < e and _WORDISH.search(text, s, e):
        return (s, e)
    return None


def _split(text: str, s: int, e: int, boundaries: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    pos = s
    for m in boundaries.finditer(text, s, e):
        yield (pos, m.start())
        pos = m.end()
    yield (pos, e)


def _is_sentence_end(text: str, m: re.Match[str], region_start: int, region_end: int) -> bool:
    punct = m.group(1)
    if "?" in punct or "!" in punct:
        return True
    nxt = _NEXT_CHAR.match(text, m.end(), region_end)
    next_upper = bool(nxt) and (nxt.group(1).isupper() or nxt.group(1).isdigit() and punct != ".")
    if punct != ".":  # an ellipsis is a pause unless a new sentence visibly starts
        return next_upper
    w = _WORD_BEFORE.search(text, max(region_start, m.start() - 40), m.start())
    word = (w.group(1) if w else "") + "."
    low = word.lower()
    if low in ABBREV_NEVER or _INITIALS.match(word):
        return False
    if low in ABBREV_FINAL:
        return bool(nxt) and nxt.group(1).isupper()
    if word[:-1].isdigit() and len(word) <= 4:  # "1." opening a list item
        line_start = text.rfind("\n", region_start, m.start()) + 1 or region_start
        if not text[max(line_start, region_start):m.start() - len(word) + 1].strip():
            return False
    return True


def _sentences(text: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    pos = s
    for m in _SENT_END.finditer(text, s, e):
        if m.end() <= pos:
            continue
        if _is_sentence_end(text, m, s, e):
            yield (pos, m.end())
            pos = m.end()
    yield (pos, e)


def units(doc: Document, unit: str = "sentence", *, include_interviewer: bool = True) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` into ``doc.text`` of the document's units, in order, whitespace-trimmed.

    No unit crosses a speaker turn. ``turn``: each turn (for a document without turns: each paragraph).
    ``paragraph``: text between blank lines. ``sentence``: ends at ``.``, ``?``, ``!`` (and ``...`` or ``dll.``
    only before a capital letter), never after an abbreviation (``Bpk.``, ``Dr.``, ``S.Pd.``, ``e.g.``, ...),
    and at every paragraph break and list item; a single line break does not end a sentence. Units without any
    letter or digit are left out. With ``include_interviewer=False`` the interviewer's turns give no units.
    """
    if unit not in UNITS:
        raise InputError(f"unknown unit {unit!r} (expected one of: {', '.join(UNITS)})", field="unit")
    text = doc.text
    out: list[tuple[int, int]] = []
    for rs, re_ in _regions(doc, include_interviewer):
        if unit == "turn" and doc.turns:
            pieces: Iterable[tuple[int, int]] = [(rs, re_)]
        else:
            pieces = _split(text, rs, re_, _BLANK_LINE)
            if unit == "sentence":
                pieces = (x for ps, pe in pieces for ls, le in _split(text, ps, pe, _LIST_ITEM)
                          for x in _sentences(text, ls, le))
        for ps, pe in pieces:
            t = _trim(text, ps, pe)
            if t:
                out.append(t)
    return out


# --------------------------------------------------------------------------- matching

@dataclass(frozen=True)
class Match:
    """One rule firing in a spaCy Doc: token offsets ``start``/``end``, character offsets
    ``start_char``/``end_char``."""

    rule: MatchRule
    start: int
    end: int
    start_char: int
    end_char: int
    polarity: str = "positive"


def _lemma_value(value: Any, language: str) -> Any:
    if isinstance(value, str):
        return lemma(value, language)
    if isinstance(value, dict):
        return {k: ([lemma(x, language) if isinstance(x, str) else x for x in v]
                    if k in ("IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS") and isinstance(v, list)
                    else v) for k, v in value.items()}
    return value


# A regular expression of a rule gets this long on one word before auto-coding stops with an error naming the
# rule (the ``regex`` module checks the timeout while it backtracks; Python's ``re``, which spaCy's REGEX uses,
# cannot be interrupted).
REGEX_TIMEOUT = 0.25
_TEXT_ATTRS = {"ORTH": "orth_", "TEXT": "orth_", "LOWER": "lower_", "NORM": "norm_", "LEMMA": "norm_",
               "SHAPE": "shape_", "PREFIX": "prefix_", "SUFFIX": "suffix_"}


class RegexTimeout(Exception):
    """A rule's regular expression ran longer than :data:`REGEX_TIMEOUT` on one word."""

    def __init__(self, rule_id: str, pattern: str, word: str) -> None:
        self.rule_id, self.pattern, self.word = rule_id, pattern, word
        super().__init__(rule_id)


def _regex_extension(rule_id: str, attr: str, pattern: str) -> str:
    """A token extension (``token._.<name>``) true when ``pattern`` is found in the token's ``attr``, searched
    with the ``regex`` module under :data:`REGEX_TIMEOUT`, once per distinct word; its name for a pattern."""
    import hashlib

    import regex
    from spacy.tokens import Token

    name = "tematik_rx_" + hashlib.sha1(f"{rule_id}\0{attr}\0{pattern}".encode()).hexdigest()[:16]
    if Token.has_extension(name):
        return name
    compiled_rx = regex.compile(pattern)
    seen: dict[str, bool] = {}
    field = _TEXT_ATTRS[attr]

    def getter(token: Any) -> bool:
        value = getattr(token, field)
        hit = seen.get(value)
        if hit is None:
            try:
                hit = compiled_rx.search(value, timeout=REGEX_TIMEOUT) is not None
            except TimeoutError:
                raise RegexTimeout(rule_id, pattern, value) from None
            if len(seen) < 1_000_000:
                seen[value] = hit
        return hit

    Token.set_extension(name, getter=getter)
    return name


def spacy_pattern(rule: MatchRule) -> list[dict[str, Any]]:
    """The rule's token pattern as spaCy Matcher data: ``LEMMA`` and ``NORM`` become ``NORM`` compared with
    tematik's lemma of the given values (so ``{"LEMMA": "kepercayaan"}`` matches ``dipercaya``). A ``REGEX``
    predicate becomes a token extension searched with the ``regex`` module under a timeout (spaCy's own REGEX
    uses ``re``, which a catastrophic pattern can hang for hours)."""
    out = []
    for tok in rule.pattern:
        t: dict[str, Any] = {}
        for key, value in tok.items():
            if isinstance(value, dict) and "REGEX" in value and key in _TEXT_ATTRS:
                value = dict(value)
                name = _regex_extension(rule.id, key, str(value.pop("REGEX")))
                t.setdefault("_", {})[name] = True
                if not value:
                    continue
            if key in ("LEMMA", "NORM"):
                t["NORM"] = _lemma_value(value, rule.language)
            else:
                t[key] = value
        out.append(t)
    return out


_ANCHOR_ATTRS = {"LOWER": "LOWER", "NORM": "NORM", "LEMMA": "NORM", "ORTH": "ORTH", "TEXT": "ORTH"}
_UNBOUNDED = 10_000


def _anchor(pattern: tuple, stop_words: frozenset[str] | set[str] = frozenset()
            ) -> tuple[int, str, list[str], int] | None:
    """For a token pattern: a token every match must contain, as (index, attr, values), and the pattern's
    maximum length in tokens; None when no token qualifies (only LOWER/LEMMA/NORM/ORTH/TEXT with a string or an
    IN list, required at least once) or the length is unbounded.

    Of the qualifying tokens the one with the fewest values is taken, but one without any of ``stop_words``
    (``yang``, ``ada``, ``saja``, ``the``) first: a stop word occurs everywhere, so anchoring on it would run the
    Matcher on windows around most tokens of a doc."""
    length = 0
    best: tuple[int, str, list[str]] | None = None
    best_key: tuple[bool, int] | None = None
    for i, tok in enumerate(pattern):
        op = tok.get("OP")
        if op in ("*", "+") or (op and op.startswith("{") and op.endswith(",}")):
            return None
        if op and op.startswith("{"):
            length += int(op.strip("{}").split(",")[-1] or 0)
        else:
            length += 1
        required = op is None or op == "+" or (op.startswith("{") and not op.startswith(("{0", "{,")))
        keys = [k for k in tok if k != "OP"]
        if not required or len(keys) != 1 or keys[0] not in _ANCHOR_ATTRS:
            continue
        value = tok[keys[0]]
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, dict) and list(value) == ["IN"] and all(isinstance(v, str) for v in value["IN"]):
            values = list(value["IN"])
        else:
            continue
        key = (any(v.lower() in stop_words for v in values), len(values))
        if best_key is None or key < best_key:
            best, best_key = (i, _ANCHOR_ATTRS[keys[0]], values), key
    if best is None:
        return None
    return (*best, length)


class _PatternSet:
    """Token patterns, matched only around their anchors.

    spaCy's Matcher walks every token of a doc in Python-level state updates; on long transcripts it costs more
    than tokenizing. Most patterns have a required token with a closed set of words (``{LEMMA: {IN: [bantu,
    tolong]}}``): a PhraseMatcher (C speed) finds those tokens, and the Matcher runs only on windows of the
    anchored pattern's maximum length around them, merged where they overlap. Every match contains an anchor token, so
    it lies inside one merged window: the matches are those of the Matcher on the whole doc. Patterns without an
    anchor, or of unbounded length (``+``, ``*``), are matched on the whole doc.
    """

    def __init__(self, nlp: Language) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.vocab = nlp.vocab
        self.stop_words = frozenset(nlp.Defaults.stop_words)
        self.windowed = Matcher(nlp.vocab, validate=True)
        self.whole = Matcher(nlp.vocab, validate=True)
        self.anchors = {attr: PhraseMatcher(nlp.vocab, attr=attr) for attr in ("LOWER", "NORM", "ORTH")}
        self.lengths: dict[int, int] = {}  # a rule's key (string hash) -> the pattern's maximum length
        self.n_whole = 0

    def add(self, rule: MatchRule) -> None:
        from spacy.tokens import Doc

        pattern = spacy_pattern(rule)
        anchor = _anchor(rule.pattern, self.stop_words)
        if anchor is None:
            self.whole.add(rule.id, [pattern])
            self.n_whole += 1
            return
        _, attr, values, length = anchor
        self.windowed.add(rule.id, [pattern])
        self.anchors[attr].add(rule.id, [Doc(self.vocab, words=[v]) for v in values])
        self.lengths[self.vocab.strings.add(rule.id)] = length

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        out = list(self.whole(doc)) if self.n_whole else []
        lengths = self.lengths
        # an anchor of a rule: the rule's matches lie within its pattern's length on either side
        n = len(doc)
        spans = sorted({(max(0, s - lengths[key] + 1), min(n, s + lengths[key]))
                        for m in self.anchors.values() for key, s, _ in m(doc)})
        if not spans:
            return out
        windows: list[list[int]] = []
        for a, b in spans:
            if windows and a <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], b)
            else:
                windows.append([a, b])
        for a, b in windows:
            out.extend((key, a + s, a + e) for key, s, e in self.windowed(doc[a:b]))
        return out


class CodebookMatcher:
    """The rules of a codebook for one language, compiled to spaCy matchers. Call it on a Doc of
    ``pipeline(language)`` to get its matches (overlapping ones kept, in ``doc.spans["tematik"]``)."""

    def __init__(self, codebook: Codebook, language: str, codes: set[str] | None = None) -> None:
        from spacy.matcher import PhraseMatcher

        from tematik.errors import CodebookError

        self.language = language
        self.path = codebook.path
        self.nlp = nlp = pipeline(language)
        vocab = nlp.vocab
        self.rules: dict[str, MatchRule] = {}
        self.matchers: list[Any] = []
        self.excluders: list[Any] = []
        self.exclusions: dict[str, list[MatchRule]] = {}
        groups: dict[tuple[bool, str], Any] = {}
        for code in codebook.codes:
            if codes is not None and code.id not in codes:
                continue
            for rule in code.rules_for(language):
                self.rules[rule.id] = rule
                exclude = rule.kind == "exclude"
                if exclude:
                    self.exclusions.setdefault(rule.code, []).append(rule)
                if rule.pattern:
                    key = (exclude, "pattern")
                    if key not in groups:
                        groups[key] = _PatternSet(nlp)
                    try:
                        groups[key].add(rule)
                    except Exception as exc:  # noqa: BLE001 - spaCy raises ValueError/MatchPatternError
                        raise CodebookError(f"token pattern rejected by spaCy: {str(exc).strip()}",
                                            path=codebook.path, line=rule.line, field=rule.id) from None
                else:
                    attr = "NORM" if rule.match == "lemma" else "LOWER"
                    key = (exclude, attr)
                    if key not in groups:
                        groups[key] = PhraseMatcher(vocab, attr=attr)
                    groups[key].add(rule.id, [nlp.make_doc(rule.text)])
        for (exclude, _), m in groups.items():
            (self.excluders if exclude else self.matchers).append(m)
        self.has_term_rules = bool(self.matchers)
        self._strings = vocab.strings

    def _run(self, doc: Doc, matchers: list[Any]) -> list[tuple[MatchRule, int, int]]:
        from tematik.errors import CodebookError

        strings = self._strings
        out = []
        for m in matchers:
            try:
                found = m(doc)
            except RegexTimeout as exc:
                rule = self.rules.get(exc.rule_id)
                raise CodebookError(
                    f"regular expression {exc.pattern!r} ran more than {REGEX_TIMEOUT:g} s on the word "
                    f"{exc.word[:40]!r} (catastrophic backtracking); simplify it, e.g. no repeat inside a repeat",
                    path=self.path, line=rule.line if rule else None, field=exc.rule_id) from None
            for key, s, e in found:
                out.append((self.rules[strings[key]], s, e))
        return out

    def __call__(self, doc: Doc, sentences: list[tuple[int, int]] | None = None) -> list[Match]:
        """Matches in ``doc`` after exclusions, with polarity. ``sentences`` (character offsets) bound the
        negation window and ``window: sentence`` exclusions; by default the whole doc is one sentence."""
        from spacy.tokens import Span

        found = self._run(doc, self.matchers)
        if not found:
            doc.spans[SPANS_KEY] = []
            return []
        found.sort(key=lambda x: (x[1], -x[2], x[0].id))
        excluded: list[tuple[MatchRule, int, int]] = []
        if self.exclusions and any(r.code in self.exclusions for r, _, _ in found):
            ex = self._run(doc, self.excluders)
            if ex:
                kept = []
                for item in found:
                    if self._is_excluded(doc, item, ex, sentences):
                        excluded.append(item)
                    else:
                        kept.append(item)
                found = kept
        matches = []
        # the text's length from the last token: ``doc.text`` joins every token again at each access, so reading
        # it once per match made matching quadratic in document length
        n_chars = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
        for rule, s, e in found:
            sc = doc[s].idx
            ec = doc[e - 1].idx + len(doc[e - 1].text)
            neg = (self._negated(doc, s, _sentence_start(sentences, sc))
                   or self._negated_after(doc, e, _sentence_end(sentences, sc, n_chars)))
            matches.append(Match(rule, s, e, sc, ec, "negative" if neg else "positive"))
        doc.spans[SPANS_KEY] = [Span(doc, m.start, m.end, label=m.rule.code, span_id=m.rule.id) for m in matches]
        if excluded:
            doc.spans[EXCLUDED_KEY] = [Span(doc, s, e, label=r.code, span_id=r.id) for r, s, e in excluded]
        return matches

    def _is_excluded(self, doc: Doc, item: tuple[MatchRule, int, int], ex: list[tuple[MatchRule, int, int]],
                     sentences: list[tuple[int, int]] | None) -> bool:
        rule, s, e = item
        here = _sentence_of(sentences, doc[s].idx) if sentences else None
        for xr, xs, xe in ex:
            if xr.code != rule.code:
                continue
            if xr.window is not None and not (xs < e + xr.window and xe > s - xr.window):
                continue
            # every exclusion stays within the match's sentence (a window does not reach into the next one)
            if sentences is None or xr.window == 0 or _sentence_of(sentences, doc[xs].idx) == here:
                return True
        return False

    def _negated(self, doc: Doc, start: int, sentence_start: int) -> bool:
        neg = NEGATORS.get(self.language, frozenset())
        clause = CLAUSE_WORDS.get(self.language, frozenset())
        i = start - 1
        steps = 0
        while i >= 0 and steps < NEGATION_WINDOW:
            tok = doc[i]
            if tok.idx < sentence_start:
                break
            if tok.is_space:
                i -= 1
                continue
            low = tok.lower_
            if tok.is_punct or low in clause:
                break
            if low in neg or (self.language == "en" and tok.norm_ == "not"):
                nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
                if nxt not in NOT_NEGATING_NEXT and (low, nxt) not in NOT_NEGATING_PAIRS:
                    return True
            steps += 1
            i -= 1
        return False


    def _negated_after(self, doc: Doc, end: int, sentence_end: int) -> bool:
        """A negator or negative predicate right after the match (token ``end`` on), with only fillers between."""
        neg = NEGATORS.get(self.language, frozenset())
        negative = NEGATIVE_AFTER.get(self.language, frozenset())
        fillers = AFTER_FILLERS.get(self.language, frozenset())
        clause = CLAUSE_WORDS.get(self.language, frozenset())
        i = end
        steps = 0
        while i < len(doc) and steps < NEGATION_AFTER_WINDOW:
            tok = doc[i]
            if tok.idx >= sentence_end:
                break
            if tok.is_space:
                i += 1
                continue
            low = tok.lower_
            if tok.is_punct or low in clause:
                break
            if (low in neg and low not in NOT_NEGATING_AFTER) or low in negative or (
                    self.language == "en" and tok.norm_ == "not"):
                nxt = doc[i + 1].lower_ if i + 1 < len(doc) else ""
                return nxt not in NOT_NEGATING_NEXT and (low, nxt) not in NOT_NEGATING_PAIRS
            if low not in fillers:
                break
            steps += 1
            i += 1
        return False


def _sentence_of(sentences: list[tuple[int, int]], char: int) -> int | None:
    i = bisect.bisect_right(sentences, (char, float("inf"))) - 1
    if i >= 0 and sentences[i][0] <= char < sentences[i][1]:
        return i
    return None


def _sentence_start(sentences: list[tuple[int, int]] | None, char: int) -> int:
    if not sentences:
        return 0
    i = _sentence_of(sentences, char)
    return sentences[i][0] if i is not None else char


def _sentence_end(sentences: list[tuple[int, int]] | None, char: int, default: int) -> int:
    if not sentences:
        return default
    i = _sentence_of(sentences, char)
    return sentences[i][1] if i is not None else default


_COMPILED: dict[tuple[str, str, frozenset[str] | None], CodebookMatcher] = {}


def compiled(codebook: Codebook, language: str, codes: set[str] | None = None) -> CodebookMatcher:
    """A cached :class:`CodebookMatcher` (one per codebook content, language and code selection per process)."""
    from tematik.codebook import codebook_hash

    key = (codebook_hash(codebook), language, frozenset(codes) if codes is not None else None)
    m = _COMPILED.get(key)
    if m is None:
        m = _COMPILED[key] = CodebookMatcher(codebook, language, codes)
    return m


# --------------------------------------------------------------------------- autocode

def _masked(doc: Document, include_interviewer: bool) -> str:
    """The text with the turns that are not coded blanked out (same length, so offsets stay valid)."""
    text = doc.text
    if include_interviewer or not any(t.is_interviewer for t in doc.turns):
        return text
    parts = []
    pos = 0
    for t in sorted((t for t in doc.turns if t.is_interviewer), key=lambda t: t.start):
        s, e = max(t.start, pos), t.end
        if e <= s:
            continue
        parts.append(text[pos:s])
        parts.append(re.sub(r"\S", " ", text[s:e]))
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


_PARAGRAPH_CUT = re.compile(r"\n[ \t\r\f\v]*\n\s*(?=\S)")
_LINE_CUT = re.compile(r"\n\s*(?=\S)")
_SENTENCE_CUT = re.compile(r"""[.!?…]+["'”’)\]]*\s+(?=\S)""")
_SPACE_CUT = re.compile(r"\s+(?=\S)")


def pieces(text: str, limit: int, turn_starts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Cut ``text`` into consecutive ``(start, end)`` pieces of at most ``limit`` characters that cover it whole.

    Each cut is made as late as possible within the limit, preferring, in order: the start of a turn, the start
    of a paragraph (after a blank line), of a line, of a sentence, of a word; a text with no whitespace at all
    in ``limit`` characters is cut at the limit. Cuts at the start of a word never split a token, so the
    pieces' tokens are the text's tokens.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    starts = sorted(set(turn_starts))
    out: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    while n - pos > limit:
        hi = pos + limit
        cut = None
        i = bisect.bisect_right(starts, hi) - 1
        if i >= 0 and starts[i] > pos:
            cut = starts[i]
        for pattern in (_PARAGRAPH_CUT, _LINE_CUT, _SENTENCE_CUT, _SPACE_CUT):
            if cut is not None:
                break
            last = None
            for m in pattern.finditer(text, pos + 1, hi):
                last = m
            if last is not None and last.end() > pos:
                cut = last.end()
        if cut is None:
            cut = hi
        out.append((pos, cut))
        pos = cut
    out.append((pos, n))
    return out


def make_doc(nlp: Language, text: str, document: Document | None = None) -> Doc:
    """``nlp.make_doc(text)``, also for a text longer than ``nlp.max_length`` (spaCy refuses those with E088):
    such a text is tokenized in :func:`pieces` cut at turn or paragraph boundaries (else at a line, sentence or
    word) and the pieces joined into one Doc whose text and character offsets are the whole text's."""
    limit = nlp.max_length
    if len(text) <= limit:
        return nlp.make_doc(text)
    from spacy.tokens import Doc

    turn_starts = [t.start for t in document.turns] if document is not None else []
    words: list[str] = []
    spaces: list[bool] = []
    for s, e in pieces(text, limit, turn_starts):
        for tok in nlp.make_doc(text[s:e]):  # (Doc.from_docs does the same, but ~50x slower)
            words.append(tok.text)
            spaces.append(bool(tok.whitespace_))
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    if len(doc) and doc[-1].idx + len(doc[-1].text_with_ws) != len(text):  # pragma: no cover - a spaCy change
        raise AssertionError("pieces of a long document did not join to its text")
    return doc


def _document_language(doc: Document, codebook: Codebook) -> str:
    return doc.language or codebook.languages[0]


def suggestions_for(document: Document, doc: Doc, matcher: CodebookMatcher, unit: str = "sentence",
                    include_interviewer: bool = False) -> list[Suggestion]:
    """Turn the matches in ``doc`` (the spaCy Doc of ``document``) into one suggestion per (unit, code)."""
    sentences = units(document, "sentence", include_interviewer=include_interviewer)
    found = matcher(doc, sentences)
    if not found:
        return []
    spans = sentences if unit == "sentence" else units(document, unit, include_interviewer=include_interviewer)
    starts = [s for s, _ in spans]
    grouped: dict[tuple[int, str], list[Match]] = {}
    for m in found:
        i = bisect.bisect_right(starts, m.start_char) - 1
        if i < 0 or m.end_char > spans[i][1]:
            continue  # outside every unit (e.g. an interviewer turn) or across a unit boundary
        grouped.setdefault((i, m.rule.code), []).append(m)
    order = {c: n for n, c in enumerate(matcher.rules[r].code for r in matcher.rules)}
    out = []
    text = document.text
    for (i, code), ms in sorted(grouped.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 0))):
        first = min(ms, key=lambda m: (m.start_char, -m.end_char, m.rule.id))
        polarity = "negative" if all(m.polarity == "negative" for m in ms) else "positive"
        out.append(Suggestion(code=code, start=spans[i][0], end=spans[i][1], match_start=first.start_char,
                              match_end=first.end_char, matched=text[first.start_char:first.end_char],
                              rule=first.rule.id, polarity=polarity, unit=unit))
    return out


def autocode(documents: Iterable[Document], codebook: Codebook, unit: str = "sentence",
             codes: set[str] | None = None, include_interviewer: bool = False,
             batch_size: int = 64) -> Iterator[tuple[Document, list[Suggestion]]]:
    """Apply the codebook's rules to each document, yielding ``(document, suggestions)`` as soon as a document is
    done (in input order), so a caller can commit document by document and resume after an interruption.

    - One :class:`Suggestion` per (unit, code): when several matches of one code fall in one unit, the
      suggestion keeps the first match (leftmost; the longest at the same start) — its offsets, text and rule
      id — so ``rule`` is always a single stable rule id.
    - ``polarity`` is ``"negative"`` only when every match of the code in the unit is negated: one affirmative
      mention is evidence of the theme, and the coder sees the negation of a lone negated mention.
    - A document's language (``id``/``en``; ``None``: the codebook's first language) picks the pipeline and
      rules; a document in a language without rules yields no suggestions.
    - Interviewer turns are skipped (not even tokenized) unless ``include_interviewer``.
    - ``codes`` restricts the codes applied (exact ids; unknown ids raise :class:`NotFound`).
    - A document longer than the pipeline's ``max_length`` is tokenized in pieces (:func:`make_doc`); offsets
      are the document's own.
    - A token pattern's ``REGEX`` that runs longer than :data:`REGEX_TIMEOUT` on a word raises
      :class:`~tematik.errors.CodebookError` naming the codebook, line and rule.
    - ``batch_size`` is unused (documents are tokenized one by one; a blank pipeline has nothing to batch) and
      kept for callers.
    """
    if unit not in UNITS:
        raise InputError(f"unknown unit {unit!r} (expected one of: {', '.join(UNITS)})", field="unit")
    if codes is not None:
        unknown = sorted(set(codes) - set(codebook.ids))
        if unknown:
            raise NotFound(f"unknown code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                           f"(codebook has: {', '.join(codebook.ids)})", field="codes")
    return _autocode(documents, codebook, unit, codes, include_interviewer, batch_size)


def _autocode(documents: Iterable[Document], codebook: Codebook, unit: str, codes: set[str] | None,
              include_interviewer: bool, batch_size: int) -> Iterator[tuple[Document, list[Suggestion]]]:
    import itertools

    rule_languages = {r.language for r in codebook.rules() if codes is None or r.code in codes}
    for language, group in itertools.groupby(documents, key=lambda d: _document_language(d, codebook)):
        if language not in rule_languages:
            for document in group:
                yield document, []
            continue
        matcher = compiled(codebook, language, codes)
        if not matcher.has_term_rules:
            for document in group:
                yield document, []
            continue
        for document in group:
            doc = make_doc(matcher.nlp, _masked(document, include_interviewer), document)
            yield document, suggestions_for(document, doc, matcher, unit, include_interviewer)


def match_text(text: str, codebook: Codebook, language: str = "id", codes: set[str] | None = None
               ) -> list[Match]:
    """Matches of the codebook's rules in a piece of text (one sentence unit per sentence); for trying rules."""
    doc_ = Document(name="<text>", text=unicodedata.normalize("NFC", text), language=language)
    matcher = compiled(codebook, language, codes)
    doc = make_doc(matcher.nlp, doc_.text)
    return matcher(doc, units(doc_, "sentence"))
