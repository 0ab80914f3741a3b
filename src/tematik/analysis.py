"""Theme frequencies, co-occurrence, case x code matrices and quotes: pure functions over pandas DataFrames.

Nothing here reads the database, prints or parses options: ``tematik.store.analysis`` loads a
:class:`CodingData` bundle, the project API (:mod:`tematik.project.analysis`) calls these functions and the CLI
renders what it returns. Each command's function also goes by the command's name: :func:`freq`
(:func:`frequencies`), :func:`cooccur` (:func:`cooccurrence`), :func:`matrix` (:func:`case_matrix`),
:func:`quotes` (:func:`quote_table`). The work is done on numpy arrays
(sorting, ``searchsorted``, ``bincount``), never in a Python loop over codings.

Definitions (the CLI's captions repeat them):

* **Coded segment** ("coded unit" in the frequency table): one distinct span (document, start, end) coded with a
  code. The same span coded twice, by two coders or (with roll-up) as parent and child, counts once; two
  different spans count twice even when one is nested in the other.
* **A coding's speaker**: the turn the coding starts in (the turn with ``start <= coding.start < end``; a coding
  that starts outside every turn, e.g. on a speaker label, and runs into the next turn belongs to that turn). A
  coding in an interviewer turn is an *interviewer coding*: it is left out of every count unless
  ``include_interviewer`` is set, and even then it belongs to no participant (the interviewer is not a case).
  Any other coding belongs to its turn's participant, else to the document's participant (as
  ``store.coding.PARTICIPANT_SQL``), else nobody.
* **Participants who could have said it**: within the documents analysed, everyone who speaks in at least one
  non-interviewer turn or is a document's participant. The percentage of participants is taken over them (over
  those of the group with ``by``).
* **Words coded**: the words of the union of a code's coded spans in each document, so overlapping or nested
  codings are not counted twice. A word counts when any of its characters is coded; words are whitespace-separated
  as in ``Document.words`` (``len(text.split())``).
* **Co-occurrence units**: with sentence/turn/paragraph units a coding belongs to every unit it overlaps by at
  least one character; with document units to its document. A code is present in a unit once, however many of its
  codings (nested, overlapping, several coders) fall in the unit. Codings outside every unit (e.g. a speaker label
  between turns) belong to no unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

NONE = "(none)"  # group label of codings or cases without a value
INTERVIEWER = "(interviewer)"  # group label of interviewer codings when they are included
DOCUMENT_GROUPS = ("source_type", "language", "document")
PARTICIPANT_GROUPS = ("participant", "role")
FREQ_MEASURES = ("units", "documents", "participants", "participants_pct", "words", "negative")
MATRIX_VALUES = ("presence", "count", "words")
COOCCUR_VALUES = ("n_ab", "c", "jaccard")
FIVEFOLD = 5.0

_SHIFT = np.int64(32)  # (document id << 32) | character offset: one sortable int64 per position


@dataclass(frozen=True)
class CodingData:
    """What the analyses read, as DataFrames (``tematik.store.analysis.load`` builds it).

    * ``codings``: ``code`` (categorical over ``codes.id``), ``document_id``, ``start``, ``end``, ``negative``
      (bool); after :func:`prepare` also ``participant`` (object, None for nobody), ``interviewer`` (bool) and
      ``turn`` (1-based turn number, 0 outside every turn).
    * ``codes``: ``id``, ``name``, ``parent``, in codebook order.
    * ``documents``: ``id``, ``name``, ``source_type``, ``language``, ``participant_id`` (the documents analysed).
    * ``participants``: ``id``, ``role`` and one column per participant attribute (typed).
    * ``turns``: ``document_id``, ``seq``, ``start``, ``end``, ``participant_id``, ``is_interviewer``.
    * ``texts``: document id -> text, for words coded (None: words are not counted).
    """

    codings: pd.DataFrame
    codes: pd.DataFrame
    documents: pd.DataFrame
    participants: pd.DataFrame
    turns: pd.DataFrame
    texts: Mapping[int, str] | None = None
    include_interviewer: bool = False
    prepared: bool = False


# --------------------------------------------------------------------------- speakers and eligibility


def _keys(doc: np.ndarray, pos: np.ndarray) -> np.ndarray:
    return (np.asarray(doc, dtype=np.int64) << _SHIFT) | np.asarray(pos, dtype=np.int64)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (``np.sort`` and a comparison: much faster here than ``np.unique``'s hashing)."""
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _order(*columns: np.ndarray) -> np.ndarray:
    """Indices that sort the rows by the columns (first column first), stable.

    Non-negative integer columns are packed into one int64 when their bits fit, so one ``argsort`` does it, and
    fast: codings arrive from the store almost in order. Otherwise ``np.lexsort``.
    """
    widths = [int(c.max()).bit_length() if len(c) else 0 for c in columns]
    if not len(columns[0]) or sum(widths) > 63 or any(len(c) and c.min() < 0 for c in columns):
        return np.lexsort(columns[::-1])
    packed = np.zeros(len(columns[0]), dtype=np.int64)
    for column, width in zip(columns, widths, strict=True):
        packed <<= width
        packed |= column
    return np.argsort(packed, kind="stable")


def _by_document(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in (document_id, start) order (a no-op when they already are, as the store returns them)."""
    key = _keys(frame["document_id"].to_numpy(np.int64), frame["start"].to_numpy(np.int64))
    if len(key) < 2 or bool(np.all(key[1:] >= key[:-1])):
        return frame
    return frame.iloc[np.argsort(key, kind="stable")]


def assign_speakers(codings: pd.DataFrame, turns: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """``codings`` with ``turn``, ``interviewer`` and ``participant`` added (see the module's definitions).

    ``participant`` is categorical over the participant ids of ``turns`` and ``documents`` (missing: nobody).
    Turns of one document must not overlap (the importer never makes overlapping turns).
    """
    out = codings.copy()
    doc = out["document_id"].to_numpy(np.int64)
    key = _keys(doc, out["start"].to_numpy(np.int64))
    t = _by_document(turns)
    d = documents.sort_values("id", kind="stable")
    people = sorted(str(x) for x in pd.unique(np.concatenate([t["participant_id"].dropna().to_numpy(object),
                                                               d["participant_id"].dropna().to_numpy(object)])))
    who = pd.Index(people)

    # the turn a coding starts in (the last turn starting at or before it, if the coding starts before its end)
    t_start = _keys(t["document_id"].to_numpy(), t["start"].to_numpy())
    t_end = _keys(t["document_id"].to_numpy(), t["end"].to_numpy())
    t_person = np.append(who.get_indexer(t["participant_id"].to_numpy(object)), -1)  # [-1]: no turn
    t_interviewer = np.append(t["is_interviewer"].to_numpy(bool), False)
    t_seq = np.append(t["seq"].to_numpy(np.int64) + 1, 0)
    idx = np.searchsorted(t_start, key, side="right") - 1
    inside = (idx >= 0) & (key < t_end[np.maximum(idx, 0)] if len(t) else np.zeros(len(key), bool))
    # a coding that starts before a turn's text (on the speaker's label) and runs into it belongs to that turn
    nxt = np.minimum(idx + 1, max(len(t) - 1, 0))
    end_key = _keys(doc, out["end"].to_numpy(np.int64))
    into_next = ~inside & (idx + 1 < len(t)) & (t_start[nxt] < end_key) if len(t) else np.zeros(len(key), bool)
    idx = np.where(inside, idx, np.where(into_next, nxt, len(t)))  # len(t): the appended "no turn" slot

    d_ids = d["id"].to_numpy(np.int64)
    d_person = np.append(who.get_indexer(d["participant_id"].to_numpy(object)), -1)
    d_pos = np.searchsorted(d_ids, doc)
    d_pos = np.where((d_pos < len(d_ids)) & (d_ids[np.minimum(d_pos, max(len(d_ids) - 1, 0))] == doc)
                     if len(d_ids) else np.zeros(len(doc), bool), d_pos, len(d_ids))

    interviewer = t_interviewer[idx]
    person = np.where(t_person[idx] >= 0, t_person[idx], d_person[d_pos])
    person = np.where(interviewer, -1, person)
    out["turn"] = t_seq[idx]
    out["interviewer"] = interviewer
    out["participant"] = pd.Categorical.from_codes(person, categories=people)
    return out


def _person_codes(codings: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Participant of each coding as an integer (-1: nobody) and the participant ids they index."""
    cat = codings["participant"]
    if not isinstance(cat.dtype, pd.CategoricalDtype):
        cat = cat.astype("category")
    return np.asarray(cat.cat.codes, dtype=np.int64), [str(c) for c in cat.cat.categories]


def prepare(data: CodingData, *, include_interviewer: bool = False) -> CodingData:
    """Assign speakers and drop interviewer codings (unless ``include_interviewer``). Idempotent."""
    if data.prepared:
        return data
    codings = assign_speakers(data.codings, data.turns, data.documents)
    if not include_interviewer:
        codings = codings[~codings["interviewer"].to_numpy(bool)].reset_index(drop=True)
    return replace(data, codings=codings, include_interviewer=include_interviewer, prepared=True)


def eligible_participants(data: CodingData) -> pd.DataFrame:
    """(``document_id``, ``participant``) pairs: who could have said something in each analysed document."""
    docs = data.documents
    t = data.turns[~data.turns["is_interviewer"].astype(bool) & data.turns["participant_id"].notna()]
    t = t[t["document_id"].isin(docs["id"])]
    pairs = pd.concat([
        pd.DataFrame({"document_id": t["document_id"].to_numpy(), "participant": t["participant_id"].to_numpy()}),
        pd.DataFrame({"document_id": docs["id"].to_numpy(), "participant": docs["participant_id"].to_numpy()}),
    ], ignore_index=True)
    pairs = pairs[pairs["participant"].notna()].drop_duplicates()
    return pairs.astype({"document_id": np.int64, "participant": object}).reset_index(drop=True)


# --------------------------------------------------------------------------- codes and roll-up


def code_roots(codes: pd.DataFrame) -> dict[str, str]:
    """Each code's top-level ancestor (itself for a top-level code; a parent cycle stops where it repeats)."""
    parent = {str(k): (None if pd.isna(p) else str(p)) for k, p in zip(codes["id"], codes["parent"], strict=True)}
    roots = {}
    for code in parent:
        seen, cur = {code}, code
        while parent.get(cur) in parent and parent[cur] not in seen:
            cur = parent[cur]
            seen.add(cur)
        roots[code] = cur
    return roots


def _recode(codes: pd.Series, mapping: Mapping[str, str], categories: Sequence[str]) -> pd.Categorical:
    """Map a categorical column of codes through ``mapping`` onto ``categories`` (unmapped: missing), working on
    the categories rather than on every row."""
    cat = codes if isinstance(codes.dtype, pd.CategoricalDtype) else codes.astype("category")
    where = {c: i for i, c in enumerate(categories)}
    lookup = np.array([where.get(mapping.get(str(c), ""), -1) for c in cat.cat.categories] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(lookup[np.asarray(cat.cat.codes, dtype=np.int64)], categories=list(categories))


def rollup(data: CodingData) -> CodingData:
    """Every coding of a child code counted for its top-level code; ``codes`` keeps the top-level codes."""
    roots = code_roots(data.codes)
    top = data.codes[[roots[str(c)] == str(c) for c in data.codes["id"]]].reset_index(drop=True)
    codings = data.codings.assign(code=_recode(data.codings["code"], roots, [str(c) for c in top["id"]]))
    return replace(data, codings=codings, codes=top)


def _code_index(data: CodingData) -> tuple[np.ndarray, list[str]]:
    """Integer code of each coding: its position in ``data.codes`` (-1 for a code not there)."""
    ids = [str(c) for c in data.codes["id"]]
    column = data.codings["code"]
    if isinstance(column.dtype, pd.CategoricalDtype) and [str(c) for c in column.cat.categories] == ids:
        return np.asarray(column.cat.codes, dtype=np.int64), ids
    return np.asarray(_recode(column, {c: c for c in ids}, ids).codes, dtype=np.int64), ids


# --------------------------------------------------------------------------- words


_SPACE_TABLE: np.ndarray | None = None
_CHUNK = 1 << 20  # characters per numpy pass when counting words


def _space_table() -> np.ndarray:
    """``str.isspace`` for every code point up to U+3000 (the last whitespace character); index 0x3001: others."""
    global _SPACE_TABLE
    if _SPACE_TABLE is None:
        table = np.zeros(0x3002, dtype=bool)
        table[[c for c in range(0x3001) if chr(c).isspace()]] = True
        _SPACE_TABLE = table
    return _SPACE_TABLE


def word_ranges(texts: Mapping[int, str], doc: np.ndarray, start: np.ndarray, end: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """For each span (document, start, end): the half-open range of word numbers it touches.

    Words are maximal runs of non-whitespace (as ``str.split()``), numbered across the documents in id order, so
    two spans touch the same word exactly when their ranges overlap. A span of a document not in ``texts``, or
    with no word, gets an empty range. The texts are scanned in chunks of about a million characters through
    reused buffers; the word positions are never all held at once.
    """
    doc = np.asarray(doc, dtype=np.int64)
    first = np.zeros(len(doc), dtype=np.int64)
    stop = np.zeros(len(doc), dtype=np.int64)
    wanted = _distinct(doc)
    doc_ids = np.array([d for d in wanted if d in texts], dtype=np.int64)
    if not len(doc_ids) or not len(doc):
        return first, stop
    lengths = np.array([len(texts[d]) for d in doc_ids], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    pos = np.searchsorted(doc_ids, doc)
    known = (pos < len(doc_ids)) & (doc_ids[np.minimum(pos, len(doc_ids) - 1)] == doc)
    lo = np.where(known, offsets[np.minimum(pos, len(doc_ids) - 1)] + start, -1)
    hi = np.where(known, offsets[np.minimum(pos, len(doc_ids) - 1)] + end, -1)
    order = np.argsort(lo, kind="stable")
    lo_sorted = lo[order]

    table = _space_table()
    size = int(max(_CHUNK, lengths.max() + 1)) + 2
    space = np.empty(size, dtype=bool)  # True for whitespace, the chunk padded with a space on each side
    step = np.empty(size, dtype=np.int8)  # -1 where a word starts (space -> word), +1 where it ends
    mark = np.empty(size, dtype=bool)
    words_before = 0
    i = 0
    while i < len(doc_ids):
        j, used = i, 0
        while j < len(doc_ids) and (j == i or used + lengths[j] + 1 <= _CHUNK):
            used += int(lengths[j]) + 1
            j += 1
        chunk = " ".join(texts[d] for d in doc_ids[i:j])
        if chunk.isascii():
            points = np.frombuffer(chunk.encode("ascii"), dtype=np.uint8)
        else:
            points = np.minimum(np.frombuffer(chunk.encode("utf-32-le"), dtype=np.uint32), 0x3001)
        n = len(points)
        space[0] = space[n + 1] = True
        np.take(table, points, out=space[1:n + 1])
        flags = space[:n + 2].view(np.int8)
        np.subtract(flags[1:], flags[:-1], out=step[:n + 1])
        np.equal(step[:n + 1], -1, out=mark[:n + 1])
        word_starts = np.flatnonzero(mark[:n + 1])
        np.equal(step[:n + 1], 1, out=mark[:n + 1])
        word_ends = np.flatnonzero(mark[:n + 1])
        base = offsets[i]
        a, b = np.searchsorted(lo_sorted, [base, base + n + 1])
        rows = order[a:b]
        f = words_before + np.searchsorted(word_ends, lo[rows] - base, side="right")
        first[rows] = f
        stop[rows] = np.maximum(words_before + np.searchsorted(word_starts, hi[rows] - base, side="left"), f)
        words_before += len(word_starts)
        i = j
    return first, stop


def span_words(text: str, start: int, end: int) -> int:
    """Words touched by one span, the slow way (``str.split`` of the span widened to whole words)."""
    s = start
    while 0 < s < len(text) and not text[s - 1].isspace() and not text[s].isspace():
        s -= 1
    return len(text[s:end].split())


def _union_sizes(group: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_groups: int, *, presorted: bool = False
                 ) -> np.ndarray:
    """Size of the union of [lo, hi) ranges per group (group ids 0..n_groups-1)."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    span = np.int64(hi.max()) + 1
    lo2 = group.astype(np.int64) * span + lo
    hi2 = group.astype(np.int64) * span + hi
    if not presorted:
        order = np.argsort(lo2, kind="stable")
        lo2, hi2, group = lo2[order], hi2[order], group[order]
    before = np.empty_like(hi2)
    before[0] = np.iinfo(np.int64).min
    np.maximum.accumulate(hi2[:-1], out=before[1:])
    covered = np.maximum(hi2 - np.maximum(lo2, before), 0)
    return np.bincount(group, weights=covered, minlength=n_groups).round().astype(np.int64)


def _merge(group: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge [lo, hi) ranges that overlap or touch within each group, the rows sorted by (group, lo).

    Returns the row of each merged range's first member and the merged range's end.
    """
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64), hi
    span = np.int64(hi.max()) + 1
    lo2 = group.astype(np.int64) * span + lo
    hi2 = group.astype(np.int64) * span + hi
    before = np.empty_like(hi2)
    before[0] = np.iinfo(np.int64).min
    np.maximum.accumulate(hi2[:-1], out=before[1:])
    first = np.flatnonzero(lo2 > before)
    return first, np.maximum.reduceat(hi2, first) - group[first].astype(np.int64) * span


def words_coded(texts: Mapping[int, str], key: np.ndarray, doc: np.ndarray, start: np.ndarray, end: np.ndarray,
                n_keys: int, *, presorted: bool = False) -> np.ndarray:
    """Per key (0..n_keys-1): the words touched by the union of its spans, each word once however many spans
    touch it. ``presorted``: the rows are already sorted by key, document and start."""
    if not presorted:
        order = _order(key, doc, start)
        key, doc, start, end = key[order], doc[order], start[order], end[order]
    # merge overlapping spans within each (key, document) first: far fewer spans to look words up for
    block = np.ones(len(key), dtype=bool)
    block[1:] = (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])
    first, merged_end = _merge(np.cumsum(block) - 1, start, end)
    key, doc, start = key[first], doc[first], start[first]
    w_lo, w_hi = word_ranges(texts, doc, start, merged_end)
    return _union_sizes(key, w_lo, w_hi, n_keys, presorted=True)


# --------------------------------------------------------------------------- grouping


def group_choices(data: CodingData) -> list[str]:
    """What ``by`` accepts: document fields, participant, role, every participant attribute and every document
    attribute (a participant attribute of the same name wins)."""
    attrs = [c for c in data.participants.columns if c not in ("id", "role")]
    return [*DOCUMENT_GROUPS, *PARTICIPANT_GROUPS, *attrs, *document_attributes(data)]


def document_attributes(data: CodingData) -> list[str]:
    """Document attribute columns of ``data.documents`` (beyond the document's own fields), not shadowed by a
    participant attribute."""
    own = {"id", "name", "source_type", "language", "participant_id", "words", *DOCUMENT_GROUPS,
           *PARTICIPANT_GROUPS, *data.participants.columns}
    return [c for c in data.documents.columns if c not in own]


def _label(values: Any) -> np.ndarray:
    """Group labels as strings (missing -> NONE); for small arrays (one value per document or participant).
    Missing is ``None``, NaN, and pandas' NA / NaT (an integer attribute is an ``Int64`` column: its missing
    values are ``pd.NA``, which must not become a group of its own named ``<NA>``)."""
    return np.array([NONE if _missing(v) else _text(v) for v in values], dtype=object)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # a list or array: not a missing scalar
        return False


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class Groups:
    """The groups of ``by``: their labels in order, each coding's group and each eligible participant's group."""

    labels: list[str]
    coding: np.ndarray  # group number of each coding
    eligible: pd.DataFrame  # group (number), participant (id)


def group_codings(data: CodingData, by: str) -> Groups:
    """Group each coding by a document field (its document's) or a participant field (its participant's).

    Codings of nobody fall in NONE; included interviewer codings in INTERVIEWER. The groups are those of the
    analysed documents (document fields) or of the eligible participants (participant fields), plus any that only
    codings have, sorted (numbers numerically) with NONE and INTERVIEWER last.
    """
    if by not in group_choices(data):
        raise ValueError(by)
    codings = data.codings
    eligible = eligible_participants(data)
    by_document = by in DOCUMENT_GROUPS or by in document_attributes(data)
    if by_document:
        docs = data.documents
        index = pd.Index(docs["id"].astype(np.int64))
        key_labels = _label(docs["name" if by == "document" else by].to_numpy(object))
        pos = index.get_indexer(codings["document_id"].to_numpy(np.int64))
        elig_labels = np.append(key_labels, NONE)[index.get_indexer(eligible["document_id"].to_numpy(np.int64))]
        universe = set(key_labels)
    else:
        people = data.participants
        values = people["id"].astype(str) if by == "participant" else people[by]
        label_of = dict(zip(people["id"].astype(str), _label(values.to_numpy(object)), strict=True))
        pos, categories = _person_codes(codings)
        key_labels = np.array([label_of.get(c, NONE) for c in categories], dtype=object)
        elig_labels = np.array([label_of.get(str(p), NONE) for p in eligible["participant"]], dtype=object)
        universe = set(elig_labels)
    key_labels_ext = np.append(key_labels, NONE)  # position -1: NONE
    universe |= set(key_labels_ext[_distinct(pos)])
    interviewer = np.zeros(len(codings), bool)
    if not by_document and "interviewer" in codings:
        interviewer = codings["interviewer"].to_numpy(bool)
    if interviewer.any():
        universe.add(INTERVIEWER)
    labels = _ordered_groups(sorted(universe))
    number = {g: i for i, g in enumerate(labels)}
    key_group = np.array([number.get(x, -1) for x in key_labels_ext], dtype=np.int64)  # -1: unused
    coding_group = key_group[pos]
    if interviewer.any():
        coding_group = np.where(interviewer, number[INTERVIEWER], coding_group)
    elig = pd.DataFrame({"group": np.array([number[x] for x in elig_labels], dtype=np.int64),
                         "participant": eligible["participant"].to_numpy(object)})
    return Groups(labels, coding_group, elig.drop_duplicates().reset_index(drop=True))


def _ordered_groups(labels: Sequence[str]) -> list[str]:
    """Distinct labels sorted (numbers numerically), NONE and INTERVIEWER last."""
    distinct = set(labels)
    special = [x for x in (NONE, INTERVIEWER) if x in distinct]
    rest = sorted(distinct - {NONE, INTERVIEWER}, key=_sort_key)
    return rest + special


def _participant_order(v: str) -> tuple:
    """P2 before P10: digits compared as numbers."""
    import re

    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", str(v)) if part)


def _sort_key(v: str) -> tuple:
    try:
        return (0, float(v), "")
    except ValueError:
        return (1, 0.0, v.lower())


# --------------------------------------------------------------------------- frequencies


def frequencies(data: CodingData, *, by: str | None = None, rollup_codes: bool = False) -> pd.DataFrame:
    """The theme frequency table: one row per code (per group and code with ``by``).

    Columns: [``group``], ``code``, ``name``, ``units`` (coded segments), ``documents``, ``participants``,
    ``eligible`` (participants who could have said it), ``participants_pct``, ``words`` (None without texts),
    ``negative`` (coded segments with a negative-polarity coding).
    """
    data = prepare(data, include_interviewer=data.include_interviewer)
    if rollup_codes:
        data = rollup(data)
    code_i, ids = _code_index(data)
    keep = code_i >= 0
    codings = data.codings[keep]
    code_i = code_i[keep]
    if by is None:
        elig = eligible_participants(data)
        groups = Groups(["all"], np.zeros(len(codings), np.int64),
                        pd.DataFrame({"group": 0, "participant": elig["participant"].unique()}))
    else:
        groups = group_codings(replace(data, codings=codings), by)
    n_codes, n_groups = len(ids), len(groups.labels)
    n_keys = n_codes * n_groups
    key = groups.coding * n_codes + code_i

    doc = codings["document_id"].to_numpy(np.int64)
    start = codings["start"].to_numpy(np.int64)
    end = codings["end"].to_numpy(np.int64)
    order = _order(key, doc, start, end)
    key_s, doc_s, start_s, end_s = key[order], doc[order], start[order], end[order]
    neg_s = codings["negative"].to_numpy(bool)[order]

    new_doc = np.ones(len(order), dtype=bool)
    new_doc[1:] = (key_s[1:] != key_s[:-1]) | (doc_s[1:] != doc_s[:-1])
    new_span = new_doc.copy()
    new_span[1:] |= (start_s[1:] != start_s[:-1]) | (end_s[1:] != end_s[:-1])
    units = np.bincount(key_s[new_span], minlength=n_keys)
    documents = np.bincount(key_s[new_doc], minlength=n_keys)
    span_negative = np.bincount(np.cumsum(new_span) - 1, weights=neg_s, minlength=int(new_span.sum())) > 0
    negatives = np.bincount(key_s[new_span][span_negative], minlength=n_keys)

    person, _ = _person_codes(codings)
    said = person >= 0
    n_people = int(person.max()) + 1 if said.any() else 1
    pairs = _distinct(key[said] * n_people + person[said])
    participants = np.bincount(pairs // n_people, minlength=n_keys)

    words: np.ndarray | None = None
    if data.texts is not None:
        words = words_coded(data.texts, key_s, doc_s, start_s, end_s, n_keys, presorted=True)

    eligible = groups.eligible.groupby("group")["participant"].nunique()
    eligible = eligible.reindex(range(n_groups), fill_value=0).to_numpy(np.int64)
    names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
    out = pd.DataFrame({
        "group": np.repeat(np.array(groups.labels, dtype=object), n_codes),
        "code": np.tile(np.array(ids, dtype=object), n_groups),
    })
    out["name"] = out["code"].map(names)
    out["units"] = units
    out["documents"] = documents
    out["participants"] = participants
    out["eligible"] = np.repeat(eligible, n_codes)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["participants_pct"] = np.where(out["eligible"] > 0, 100.0 * participants / out["eligible"], np.nan)
    out["words"] = words if words is not None else None
    out["negative"] = negatives
    if by is None:
        out = out.drop(columns="group")
    return out


def crosstab(freq: pd.DataFrame, value: str, *, total: pd.DataFrame | None = None) -> pd.DataFrame:
    """Codes down, groups across: one measure of a :func:`frequencies` table made ``by`` a group.

    ``total`` (the same table without ``by``) adds a ``total`` column (documents and participants do not add up
    across groups, so the total is counted, not summed).
    """
    if value not in FREQ_MEASURES:
        raise ValueError(value)
    groups = list(dict.fromkeys(freq["group"]))
    wide = freq.pivot(index="code", columns="group", values=value)
    codes = list(dict.fromkeys(freq["code"]))
    wide = wide.reindex(index=codes, columns=groups)
    wide.columns = [str(c) for c in wide.columns]
    names = dict(zip(freq["code"], freq["name"], strict=False))
    wide.insert(0, "name", [names[c] for c in wide.index])
    if total is not None:
        wide["total"] = total.set_index("code")[value].reindex(wide.index)
    wide = wide.reset_index()
    return wide


def sort_table(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Sort by ``codebook`` (as is), ``code``/``name`` (A-Z) or a measure (largest first, ties in codebook order)."""
    if key == "codebook":
        return table.reset_index(drop=True)
    if key in ("code", "name"):
        return table.sort_values(key, key=lambda s: s.astype(str).str.lower(), kind="stable").reset_index(drop=True)
    return table.sort_values(key, ascending=False, kind="stable", na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------- co-occurrence


def unit_membership(codings: pd.DataFrame, units: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """(coding row, unit number) pairs: each coding in every unit it overlaps (``units`` None: its document).

    ``units`` has ``document_id``, ``start``, ``end``; the units of a document must not overlap.
    """
    doc = codings["document_id"].to_numpy(np.int64)
    if units is None:
        return np.arange(len(codings)), doc
    u = _by_document(units)
    u_start = _keys(u["document_id"].to_numpy(), u["start"].to_numpy())
    u_end = _keys(u["document_id"].to_numpy(), u["end"].to_numpy())
    first = np.searchsorted(u_end, _keys(doc, codings["start"].to_numpy()), side="right")
    stop = np.searchsorted(u_start, _keys(doc, codings["end"].to_numpy()), side="left")
    count = np.maximum(stop - first, 0)
    rows = np.repeat(np.arange(len(codings)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return rows, np.repeat(first, count) + offsets


def presence(codings: pd.DataFrame, code_i: np.ndarray, units: pd.DataFrame | None, n_codes: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (unit, code) pairs, sorted by unit then code."""
    rows, unit = unit_membership(codings, units)
    code = code_i[rows]
    ok = code >= 0
    pair = _distinct(unit[ok].astype(np.int64) * n_codes + code[ok])
    return pair // n_codes, pair % n_codes


def cooccurrence(data: CodingData, units: pd.DataFrame | None = None, *, rollup_codes: bool = False
                 ) -> pd.DataFrame:
    """Every pair of codes: units holding each (``n_a``, ``n_b``), both (``n_ab``), ATLAS.ti's c-coefficient,
    the Jaccard index and the fivefold-frequency flag.

    c = n_ab / (n_a + n_b - n_ab) with the counts in units. Because a code is present in a unit at most once and
    units do not overlap, this is also the Jaccard index of the two codes' sets of units, so the two columns agree
    (ATLAS.ti counts overlapping quotations instead, where c can leave [0, 1]). ``overlap`` = n_ab / min(n_a, n_b)
    (how often the rarer code comes with the other), ``ratio`` = max(n_a, n_b) / min(n_a, n_b), and ``fivefold``
    flags pairs that co-occur and whose frequencies differ more than fivefold, where c understates the link.
    """
    data = prepare(data, include_interviewer=data.include_interviewer)
    if rollup_codes:
        data = rollup(data)
    code_i, ids = _code_index(data)
    k = len(ids)
    unit, code = presence(data.codings, code_i, units, k)
    n = np.bincount(code, minlength=k)
    # pairs of codes within each unit: (unit, code) rows are sorted, so a unit's codes are consecutive
    boundaries = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]]) if len(unit) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[boundaries, len(unit)])
    pos_in_group = np.arange(len(unit)) - np.repeat(boundaries, sizes)
    after = np.repeat(sizes, sizes) - pos_in_group - 1  # codes after this one in its unit
    left = np.repeat(np.arange(len(unit)), after)
    step = np.arange(after.sum()) - np.repeat(np.cumsum(after) - after, after) + 1
    right = left + step
    joint = np.bincount(code[left] * k + code[right], minlength=k * k).reshape(k, k)
    joint = joint + joint.T

    a, b = np.triu_indices(k, 1)
    n_a, n_b, n_ab = n[a], n[b], joint[a, b]
    union = n_a + n_b - n_ab
    lo, hi = np.minimum(n_a, n_b), np.maximum(n_a, n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(union > 0, n_ab / np.where(union > 0, union, 1), np.nan)
        overlap = np.where(lo > 0, n_ab / np.where(lo > 0, lo, 1), np.nan)
        ratio = np.where(lo > 0, hi / np.where(lo > 0, lo, 1), np.nan)
    names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
    ids_arr = np.array(ids, dtype=object)
    out = pd.DataFrame({"code_a": ids_arr[a], "code_b": ids_arr[b], "n_a": n_a, "n_b": n_b, "n_ab": n_ab,
                        "c": c, "jaccard": c.copy(), "overlap": overlap, "ratio": ratio,
                        "fivefold": (n_ab > 0) & (hi > FIVEFOLD * lo)})
    out.insert(1, "name_a", out["code_a"].map(names))
    out.insert(3, "name_b", out["code_b"].map(names))
    out.attrs["units_per_code"] = dict(zip(ids, n.tolist(), strict=True))
    out.attrs["units"] = int(len(_distinct(unit)))
    return out


def cooccurrence_matrix(pairs: pd.DataFrame, value: str = "n_ab") -> pd.DataFrame:
    """The symmetric code x code matrix of one column of :func:`cooccurrence` (diagonal: units of the code for
    counts, empty for coefficients)."""
    if value not in COOCCUR_VALUES:
        raise ValueError(value)
    per_code = pairs.attrs.get("units_per_code") or dict.fromkeys([*pairs["code_a"], *pairs["code_b"]])
    ids = list(per_code)
    where = {c: i for i, c in enumerate(ids)}
    cells = np.full((len(ids), len(ids)), np.nan)
    a = pairs["code_a"].map(where).to_numpy(np.int64)
    b = pairs["code_b"].map(where).to_numpy(np.int64)
    cells[a, b] = cells[b, a] = pairs[value].to_numpy(float)
    if value == "n_ab":
        np.fill_diagonal(cells, [np.nan if per_code[c] is None else per_code[c] for c in ids])
        return pd.DataFrame(cells, index=ids, columns=ids).astype("Int64")
    return pd.DataFrame(cells, index=ids, columns=ids)


# --------------------------------------------------------------------------- case x code matrix


def case_matrix(data: CodingData, *, rows: str = "document", values: str = "presence",
                rollup_codes: bool = False) -> pd.DataFrame:
    """The quantitized case x code matrix: one row per document or participant, one column per code.

    ``presence`` is 1/0, ``count`` coded segments, ``words`` words coded (union of spans). Document rows carry
    ``source_type``, ``language``, ``participant``, ``role`` and the participant's attributes; participant rows
    ``role`` and the attributes. Participant rows are the participants who could have said something; codings
    that belong to nobody do not appear in them.
    """
    if rows not in ("document", "participant") or values not in MATRIX_VALUES:
        raise ValueError((rows, values))
    data = prepare(data, include_interviewer=data.include_interviewer)
    if rollup_codes:
        data = rollup(data)
    code_i, ids = _code_index(data)
    codings = data.codings
    keep = code_i >= 0
    p = data.participants.set_index(data.participants["id"].astype(str))
    attr_cols = [c for c in p.columns if c not in ("id", "role")]
    if rows == "document":
        docs = data.documents.sort_values("name", kind="stable")
        case_ids = docs["id"].to_numpy(np.int64)
        case_of = codings["document_id"].to_numpy(np.int64)
        frame = pd.DataFrame({"document": docs["name"].to_numpy(object),
                              "source_type": docs["source_type"].to_numpy(object),
                              "language": docs["language"].to_numpy(object),
                              "participant": docs["participant_id"].to_numpy(object),
                              **{c: docs[c].to_numpy(object) for c in document_attributes(data)}})
        people = frame["participant"]
    else:
        elig = eligible_participants(data)["participant"].unique()
        case_ids = np.array(sorted(elig, key=_participant_order), dtype=object)
        person, categories = _person_codes(codings)
        case_of = np.append(pd.Index(case_ids).get_indexer(categories), -1)[person]
        frame = pd.DataFrame({"participant": case_ids})
        people = frame["participant"]
    frame["role"] = people.map(p["role"]).to_numpy(object) if "role" in p else None
    for col in attr_cols:
        frame[col] = people.map(p[col]).to_numpy(object)

    if rows == "document":
        case_i = pd.Index(case_ids).get_indexer(case_of)
    else:
        case_i = case_of
    keep &= case_i >= 0
    n_cases, k = len(case_ids), len(ids)
    key = case_i[keep].astype(np.int64) * k + code_i[keep]
    doc = codings["document_id"].to_numpy(np.int64)[keep]
    start = codings["start"].to_numpy(np.int64)[keep]
    end = codings["end"].to_numpy(np.int64)[keep]
    if values == "words":
        if data.texts is None:
            raise ValueError("words need texts")
        counts = words_coded(data.texts, key, doc, start, end, n_cases * k)
    else:
        order = _order(key, doc, start, end)
        ks, ds, ss, es = key[order], doc[order], start[order], end[order]
        first = np.ones(len(order), dtype=bool)
        if len(order):
            first[1:] = (ks[1:] != ks[:-1]) | (ds[1:] != ds[:-1]) | (ss[1:] != ss[:-1]) | (es[1:] != es[:-1])
        counts = np.bincount(ks[first], minlength=n_cases * k)
        if values == "presence":
            counts = (counts > 0).astype(np.int64)
    matrix = pd.DataFrame(counts.reshape(n_cases, k), columns=ids)
    return pd.concat([frame.reset_index(drop=True), matrix], axis=1)


# --------------------------------------------------------------------------- quotes


def descendants(codes: pd.DataFrame, wanted: Sequence[str]) -> dict[str, str]:
    """Each code under (or equal to) one of ``wanted``, mapped to the nearest wanted ancestor."""
    parent = {str(k): (None if pd.isna(p) else str(p)) for k, p in zip(codes["id"], codes["parent"], strict=True)}
    chosen = set(wanted)
    out = {}
    for code in parent:
        seen, cur = set(), code
        while cur is not None and cur not in chosen and cur not in seen:
            seen.add(cur)
            cur = parent.get(cur)
        if cur in chosen:
            out[code] = cur
    return out


def quote_table(data: CodingData, quotes: pd.DataFrame, *, codes: Sequence[str], by: str | None = None,
                limit: int | None = None, include_children: bool = False) -> pd.DataFrame:
    """Coded text with its participant, role, document and location: one row per coded segment, in code then
    document order.

    ``quotes`` (``store.analysis.quotes``) has ``code``, ``document_id``, ``document``, ``start``, ``end``,
    ``line``, ``text``, ``statuses``, ``coders``, ``negative``. Interviewer codings are dropped unless the data
    includes them. With ``include_children`` a child code's segments are quoted under the code asked for.
    ``limit`` keeps the first N segments of each code (of each code and group with ``by``).
    """
    mapping = descendants(data.codes, codes) if include_children else {c: c for c in codes}
    q = quotes.assign(code=quotes["code"].map(mapping), negative=quotes["negative"].astype(bool))
    q = q[q["code"].notna()]
    # a span coded with a child and its parent (or twice) is one quote
    q = (q.groupby(["code", "document_id", "start", "end"], sort=False, as_index=False)
          .agg(document=("document", "first"), line=("line", "first"), text=("text", "first"),
               statuses=("statuses", _join_distinct), coders=("coders", _join_distinct),
               negative=("negative", "max")))
    q = assign_speakers(q, data.turns, data.documents)
    if not data.include_interviewer:
        q = q[~q["interviewer"].to_numpy(bool)].reset_index(drop=True)
    people = data.participants.set_index(data.participants["id"].astype(str))
    participant = q["participant"].astype(object).where(q["participant"].notna(), None)
    role = participant.map(people["role"]) if "role" in people else pd.Series(None, index=q.index)
    role = role.astype(object).where(role.notna(), None)
    role[q["interviewer"].to_numpy(bool)] = "interviewer"
    names = dict(zip(data.codes["id"].astype(str), data.codes["name"], strict=True))
    q = q.assign(participant=participant, role=role, name=q["code"].map(names))
    cols = ["code", "name", "participant", "role", "document", "line", "turn", "start", "end", "text",
            "statuses", "coders", "negative"]
    if by is not None:
        groups = group_codings(replace(data, codings=q), by)
        q = q.assign(group=np.array(groups.labels, dtype=object)[groups.coding])
        cols.insert(0, "group")
    rank = {c: i for i, c in enumerate(codes)}
    q = q.assign(_rank=q["code"].map(rank)).sort_values(["_rank", "document", "start", "end"], kind="stable")
    if limit is not None:
        q = q.groupby(["code", "group"] if by is not None else ["code"], sort=False).head(limit)
    q = q[cols].reset_index(drop=True)
    q["turn"] = q["turn"].astype(object).where(q["turn"] > 0, None)
    if by is not None:
        q.attrs["groups"] = groups.labels  # every group, also those without a quote
    return q


def _join_distinct(values: pd.Series) -> str:
    return ",".join(sorted({v for x in values for v in str(x).split(",") if v}))


def quote_matrix(table: pd.DataFrame, codes: Sequence[str], groups: Sequence[str] | None = None) -> pd.DataFrame:
    """MAXQDA-style quote matrix from a :func:`quote_table` made ``by`` a group: groups down, codes across, each
    cell the group's quotes of that code, each followed by (participant, document:line)."""
    label = table["text"].map(lambda t: " ".join(str(t).split()))
    where = [f"{p + ', ' if p else ''}{d}:{n}" for p, d, n in
             zip(table["participant"], table["document"], table["line"], strict=True)]
    quoted = "\u201c" + label + "\u201d (" + pd.Series(where, index=table.index, dtype=object) + ")"
    cells = quoted.groupby([table["group"], table["code"]], sort=False).agg("\n\n".join)
    order = list(groups) if groups is not None else _ordered_groups(list(table["group"]))
    rows = [{"group": g, **{c: cells.get((g, c), "") for c in codes}} for g in order]
    return pd.DataFrame(rows, columns=["group", *codes])


# The commands' names for the same functions: command `cooccur` -> Project.cooccur -> analysis.cooccur.
freq = frequencies
cooccur = cooccurrence
matrix = case_matrix
quotes = quote_table

__all__ = [
    "CodingData", "Groups", "assign_speakers", "case_matrix", "code_roots", "cooccurrence",
    "cooccurrence_matrix", "crosstab", "descendants", "eligible_participants", "frequencies", "group_choices",
    "group_codings", "prepare", "presence", "quote_matrix", "quote_table", "rollup", "sort_table", "span_words",
    "unit_membership", "word_ranges", "words_coded", "freq", "cooccur", "matrix", "quotes",
]
