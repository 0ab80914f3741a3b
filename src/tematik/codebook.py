"""Codebooks: load, validate and write them (YAML in, YAML/Markdown/CSV out).

A codebook file is YAML::

    name: Knowledge sharing
    version: "1.0"
    languages: [id, en]
    factors: [reciprocity_norm, ...]      # optional: the questionnaire factor ids codes may link to
    codes:
      - id: trust                         # stable slug
        name: {id: Kepercayaan, en: Trust}
        labels: {id: [kepercayaan], en: [trust]}
        parent: null                      # optional id of another code
        colour: "#1f77b4"
        definition: {id: ..., en: ...}
        inclusion: {id: [...], en: [...]}
        exclusion: {id: [...], en: [...]}
        examples:
          - {text: ..., language: id, kind: typical|counter, note: ...}
        rules:
          id:
            match: lemma                  # default for terms of this language: lemma | lower
            terms: [percaya, {term: amanah, match: lower}]
            patterns:
              - {id: bisa-diandalkan, pattern: [{LOWER: {IN: [bisa, dapat]}}, {LOWER: diandalkan}]}
            exclude:
              - percaya diri                              # cancels an overlapping match
              - {term: agama, window: sentence}           # ... or one anywhere in the same sentence
              - {id: jam-buka, pattern: [...], window: 3} # ... or one within 3 tokens
        factors:
          - {factor: reciprocity_norm, direction: positive, rationale: ...}

A codebook without ``factors`` declares none: its codes' links are then checked against the project's
questionnaire instrument (when it has one; see :func:`check_factor_links`) rather than against a list here.

Every rule gets a stable id ``<code>/<language>/<kind>:<term or id>`` (``trust/id/term:percaya``) that autocode
stores as the coding's rule. Validation reports every problem as ``file:line: field: message``; YAML is composed
to nodes so that line numbers survive. This module does not import spaCy: token patterns are checked here for
shape only and compiled by :mod:`tematik.nlp`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tematik.errors import CodebookError
from tematik.models import (
    FACTOR_DIRECTIONS,
    LANGUAGES,
    MATCH_MODES,
    Code,
    Codebook,
    Example,
    FactorLink,
    MatchRule,
    Problem,
)

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
EXAMPLE_KINDS = ("typical", "counter")

# Token attributes a blank spaCy pipeline can match on (no tagger/parser: no POS, TAG, DEP, MORPH, ENT_TYPE).
TOKEN_KEYS = frozenset({
    "ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "LENGTH", "SHAPE", "PREFIX", "SUFFIX", "IS_ALPHA", "IS_ASCII",
    "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_STOP", "IS_SENT_START",
    "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "OP",
})
NEEDS_MODEL = frozenset({"POS", "TAG", "DEP", "MORPH", "ENT_TYPE", "ENT_IOB", "ENT_ID", "HEAD"})
PREDICATES = frozenset({"IN", "NOT_IN", "REGEX", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS", "FUZZY",
                        "==", "!=", ">=", "<=", ">", "<"})
OP_RE = re.compile(r"^(?:[!?+*]|\{\d+\}|\{\d*,\d*\})$")

TOP_KEYS = ("name", "version", "languages", "description", "factors", "codes")
CODE_KEYS = ("id", "name", "labels", "parent", "colour", "color", "definition", "inclusion", "exclusion",
             "examples", "rules", "factors")
LANG_RULE_KEYS = ("match", "terms", "patterns", "exclude")


def rule_id(code: str, language: str, kind: str, name: str) -> str:
    """The stable id of a rule, e.g. ``rule_id("trust", "id", "term", "percaya") == "trust/id/term:percaya"``."""
    return f"{code}/{language}/{kind}:{name}"


# --------------------------------------------------------------------------- YAML nodes with line numbers

def _yaml():
    import yaml  # pyyaml is light, but only codebook commands need it

    return yaml


class _Parser:
    """Walks composed YAML nodes, building the codebook and collecting every problem."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.problems: list[Problem] = []
        yaml = _yaml()
        self._constructor = yaml.constructor.SafeConstructor()
        self._nodes = yaml.nodes
        self._keys: dict[int, Any] = {}

    # ---- helpers
    def problem(self, node: Any, fld: str | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(message, self.path, line, fld))

    def value(self, node: Any) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - yaml raises many kinds for bad values
            self.problem(node, None, f"cannot read value: {exc}")
            return None

    def is_map(self, node: Any) -> bool:
        return isinstance(node, self._nodes.MappingNode)

    def is_seq(self, node: Any) -> bool:
        return isinstance(node, self._nodes.SequenceNode)

    def is_scalar(self, node: Any) -> bool:
        return isinstance(node, self._nodes.ScalarNode)

    def mapping(self, node: Any, fld: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        """``{key: value_node}`` of a mapping node; reports non-mappings, duplicate and unknown keys."""
        if not self.is_map(node):
            self.problem(node, fld, f"expected a mapping, got {self.kind(node)}")
            return None
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            key = self.value(knode) if self.is_scalar(knode) else None
            if not isinstance(key, str):
                self.problem(knode, fld, f"keys must be text, got {key!r}")
                continue
            if key in out:
                self.problem(knode, _join(fld, key), "duplicate key")
                continue
            if allowed is not None and key not in allowed:
                self.problem(knode, _join(fld, key), f"unknown field (expected one of: {', '.join(allowed)})")
                continue
            out[key] = vnode
            self._keys[id(vnode)] = knode
        return out

    def key_of(self, vnode: Any) -> Any:
        """The key node of a value returned by :meth:`mapping` (to report a problem on the key's line)."""
        return self._keys.get(id(vnode), vnode)

    def sequence(self, node: Any, fld: str) -> list[Any]:
        if self.is_seq(node):
            return list(node.value)
        self.problem(node, fld, f"expected a list, got {self.kind(node)}")
        return []

    def text(self, node: Any, fld: str, *, required: bool = True) -> str | None:
        if node is None:
            return None
        if not self.is_scalar(node):
            self.problem(node, fld, f"expected text, got {self.kind(node)}")
            return None
        v = self.value(node)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                self.problem(node, fld, "must not be empty")
            return None
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            self.problem(node, fld, f"expected text, got {v!r}")
            return None
        return str(v).strip()

    def texts(self, node: Any, fld: str) -> tuple[str, ...]:
        """A string or a list of strings."""
        if self.is_scalar(node):
            t = self.text(node, fld)
            return (t,) if t else ()
        out = []
        for i, item in enumerate(self.sequence(node, fld)):
            t = self.text(item, f"{fld}[{i}]")
            if t:
                out.append(t)
        return tuple(out)

    def kind(self, node: Any) -> str:
        if self.is_map(node):
            return "a mapping"
        if self.is_seq(node):
            return "a list"
        v = self.value(node) if node is not None else None
        return "nothing" if v is None else f"{type(v).__name__} {v!r}"

    # ---- the codebook
    def codebook(self, root: Any) -> Codebook | None:
        if root is None:
            self.problems.append(Problem("the file is empty", self.path, 1, None))
            return None
        top = self.mapping(root, None, TOP_KEYS)  # type: ignore[arg-type]
        if top is None:
            return None
        for key in ("name", "version", "languages", "codes"):
            if key not in top:
                self.problem(root, key, "missing (required)")
        name = self.text(top.get("name"), "name") or ""
        version = self.text(top.get("version"), "version") or ""
        description = self.text(top.get("description"), "description", required=False)
        languages: list[str] = []
        if "languages" in top:
            for i, item in enumerate(self.sequence(top["languages"], "languages")):
                lang = self.text(item, f"languages[{i}]")
                if lang is None:
                    continue
                if lang not in LANGUAGES:
                    self.problem(item, f"languages[{i}]", f"unsupported language {lang!r} "
                                 f"(supported: {', '.join(LANGUAGES)})")
                elif lang in languages:
                    self.problem(item, f"languages[{i}]", f"duplicate language {lang!r}")
                else:
                    languages.append(lang)
            if not languages and self.is_seq(top["languages"]):
                self.problem(top["languages"], "languages", "must list at least one language")
        self.languages = tuple(languages)
        factors: tuple[str, ...] = ()
        self.declared_factors = "factors" in top
        if "factors" in top:
            found = []
            for i, item in enumerate(self.sequence(top["factors"], "factors")):
                fid = self.text(item, f"factors[{i}]")
                if fid is None:
                    continue
                if not SLUG.match(fid):
                    self.problem(item, f"factors[{i}]", f"{fid!r} is not an id (lower-case letters, digits, _ -)")
                elif fid in found:
                    self.problem(item, f"factors[{i}]", f"duplicate factor {fid!r}")
                else:
                    found.append(fid)
            factors = tuple(found)
        self.factors = factors

        codes: list[Code] = []
        code_nodes: dict[str, Any] = {}
        parents: dict[str, tuple[str, Any]] = {}
        if "codes" in top:
            items = self.sequence(top["codes"], "codes")
            if not items and self.is_seq(top["codes"]):
                self.problem(top["codes"], "codes", "must list at least one code")
            for i, item in enumerate(items):
                code, cid, parent, parent_node = self.code(item, i)
                if cid is None:
                    continue
                if cid in code_nodes:
                    self.problem(item, f"{cid}.id", f"duplicate code id {cid!r} "
                                 f"(first at line {code_nodes[cid].start_mark.line + 1})")
                    continue
                code_nodes[cid] = item
                if code is not None:
                    codes.append(code)
                if parent is not None:
                    parents[cid] = (parent, parent_node)
        # hierarchy: parents exist, no cycles
        ids = set(code_nodes)
        for cid, (parent, node) in parents.items():
            if parent not in ids:
                self.problem(node, f"{cid}.parent", f"unknown code {parent!r}")
        for cid in parents:
            seen = [cid]
            cur = cid
            while cur in parents and parents[cur][0] in ids:
                cur = parents[cur][0]
                if cur == cid:
                    self.problem(parents[cid][1], f"{cid}.parent",
                                 "cycle in the hierarchy: " + " -> ".join([*seen, cid]))
                    break
                if cur in seen:
                    break  # a cycle not through cid: reported from its own members
                seen.append(cur)
        if self.problems:
            return None
        return Codebook(name=name, version=version, languages=self.languages, codes=tuple(codes),
                        description=description, factors=factors, path=self.path)

    def per_language(self, node: Any, fld: str, many: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        m = self.mapping(node, fld)
        if m is None:
            return out
        for lang, vnode in m.items():
            if lang not in self.languages:
                self.problem(self.key_of(vnode), _join(fld, lang), f"language {lang!r} is not in the codebook's "
                             f"languages ({', '.join(self.languages) or 'none'})")
                continue
            v = self.texts(vnode, _join(fld, lang)) if many else self.text(vnode, _join(fld, lang))
            if v:
                out[lang] = v
        return out

    def code(self, node: Any, index: int) -> tuple[Code | None, str | None, str | None, Any]:
        """The code (None if it has problems), its id and its parent (for checking the hierarchy either way)."""
        start = len(self.problems)
        m = self.mapping(node, f"codes[{index}]", CODE_KEYS)
        if m is None:
            return None, None, None, None
        cid = self.text(m.get("id"), f"codes[{index}].id") if "id" in m else None
        if "id" not in m:
            self.problem(node, f"codes[{index}].id", "missing (required)")
        if cid is not None and not SLUG.match(cid):
            self.problem(m["id"], f"codes[{index}].id",
                         f"{cid!r} is not a slug (lower-case letters and digits, joined by - or _)")
            cid = None
        where = cid or f"codes[{index}]"
        name: dict[str, str] = {}
        if "name" not in m:
            self.problem(node, f"{where}.name", "missing (required)")
        else:
            name = self.per_language(m["name"], f"{where}.name")
            if self.is_map(m["name"]):
                for lang in self.languages:
                    if lang not in name:
                        self.problem(m["name"], f"{where}.name.{lang}", "missing: give a name in every language")
        labels = self.per_language(m["labels"], f"{where}.labels", many=True) if "labels" in m else {}
        parent = None
        if m.get("parent") is not None and self.value(m["parent"]) is not None:
            parent = self.text(m["parent"], f"{where}.parent")
            if parent == cid:
                self.problem(m["parent"], f"{where}.parent", "a code cannot be its own parent")
                parent = None
        colour = None
        ckey = "colour" if "colour" in m else ("color" if "color" in m else None)
        if ckey:
            colour = self.text(m[ckey], f"{where}.{ckey}")
            if colour is not None and not COLOUR.match(colour):
                self.problem(m[ckey], f"{where}.{ckey}", f"{colour!r} is not a colour like #1f77b4")
                colour = None
            elif colour is not None:
                colour = colour.lower()
        definition = self.per_language(m["definition"], f"{where}.definition") if "definition" in m else {}
        inclusion = self.per_language(m["inclusion"], f"{where}.inclusion", many=True) if "inclusion" in m else {}
        exclusion = self.per_language(m["exclusion"], f"{where}.exclusion", many=True) if "exclusion" in m else {}
        examples = self.examples(m["examples"], f"{where}.examples") if "examples" in m else ()
        rules = self.rules(m["rules"], where, cid or "?") if "rules" in m else ()
        factors = self.factor_links(m["factors"], f"{where}.factors") if "factors" in m else ()
        parent_node = m.get("parent")
        if cid is None or len(self.problems) > start:
            return None, cid, parent, parent_node
        return (Code(id=cid, name=name, labels=labels, parent=parent, colour=colour, definition=definition,
                     inclusion=inclusion, exclusion=exclusion, examples=examples, rules=rules, factors=factors,
                     line=node.start_mark.line + 1), cid, parent, parent_node)

    def examples(self, node: Any, fld: str) -> tuple[Example, ...]:
        out = []
        for i, item in enumerate(self.sequence(node, fld)):
            f = f"{fld}[{i}]"
            m = self.mapping(item, f, ("text", "language", "kind", "note"))
            if m is None:
                continue
            text = self.text(m.get("text"), f"{f}.text") if "text" in m else None
            if "text" not in m:
                self.problem(item, f"{f}.text", "missing (required)")
            lang = self.text(m.get("language"), f"{f}.language") if "language" in m else None
            if "language" not in m:
                self.problem(item, f"{f}.language", "missing (required)")
            elif lang is not None and lang not in self.languages:
                self.problem(m["language"], f"{f}.language", f"language {lang!r} is not in the codebook's languages")
                lang = None
            kind = self.text(m["kind"], f"{f}.kind") if "kind" in m else "typical"
            if kind is not None and kind not in EXAMPLE_KINDS:
                self.problem(m["kind"], f"{f}.kind", f"must be one of: {', '.join(EXAMPLE_KINDS)}")
                kind = None
            note = self.text(m["note"], f"{f}.note", required=False) if "note" in m else None
            if text and lang and kind:
                out.append(Example(text=text, language=lang, kind=kind, note=note))
        return tuple(out)

    def factor_links(self, node: Any, fld: str) -> tuple[FactorLink, ...]:
        out: list[FactorLink] = []
        for i, item in enumerate(self.sequence(node, fld)):
            f = f"{fld}[{i}]"
            if self.is_scalar(item):
                m = {"factor": item}
            else:
                m = self.mapping(item, f, ("factor", "direction", "rationale"))
                if m is None:
                    continue
            if "factor" not in m:
                self.problem(item, f"{f}.factor", "missing (required)")
                continue
            fid = self.text(m["factor"], f"{f}.factor")
            if fid is None:
                continue
            if self.declared_factors and fid not in self.factors:
                self.problem(m["factor"], f"{f}.factor",
                             f"unknown factor {fid!r} (known: {', '.join(self.factors) or 'none'})")
                continue
            if not self.declared_factors and not SLUG.match(fid):
                self.problem(m["factor"], f"{f}.factor", f"{fid!r} is not an id (lower-case letters, digits, _ -)")
                continue
            if any(link.factor == fid for link in out):
                self.problem(m["factor"], f"{f}.factor", f"factor {fid!r} is linked twice")
                continue
            direction = self.text(m["direction"], f"{f}.direction") if "direction" in m else None
            if direction is not None and direction not in FACTOR_DIRECTIONS:
                self.problem(m["direction"], f"{f}.direction", f"must be one of: {', '.join(FACTOR_DIRECTIONS)}")
                continue
            rationale = self.text(m["rationale"], f"{f}.rationale", required=False) if "rationale" in m else None
            out.append(FactorLink(factor=fid, direction=direction, rationale=rationale,
                                  line=item.start_mark.line + 1))
        return tuple(out)

    # ---- matching rules
    def rules(self, node: Any, where: str, cid: str) -> tuple[MatchRule, ...]:
        out: list[MatchRule] = []
        seen: dict[str, int] = {}
        m = self.mapping(node, f"{where}.rules")
        if m is None:
            return ()
        for lang, lnode in m.items():
            f = f"{where}.rules.{lang}"
            if lang not in self.languages:
                self.problem(self.key_of(lnode), f, f"language {lang!r} is not in the codebook's languages "
                             f"({', '.join(self.languages) or 'none'})")
                continue
            lm = self.mapping(lnode, f, LANG_RULE_KEYS)
            if lm is None:
                continue
            default_match = "lemma"
            if "match" in lm:
                default_match = self.match_mode(lm["match"], f"{f}.match") or "lemma"
            for i, item in enumerate(self.sequence(lm["terms"], f"{f}.terms") if "terms" in lm else []):
                r = self.term(item, f"{f}.terms[{i}]", cid, lang, "term", default_match)
                if r:
                    self.add_rule(out, seen, r, item, f"{f}.terms[{i}]")
            for i, item in enumerate(self.sequence(lm["patterns"], f"{f}.patterns") if "patterns" in lm else []):
                r = self.pattern_rule(item, f"{f}.patterns[{i}]", cid, lang)
                if r:
                    self.add_rule(out, seen, r, item, f"{f}.patterns[{i}]")
            for i, item in enumerate(self.sequence(lm["exclude"], f"{f}.exclude") if "exclude" in lm else []):
                r = self.term(item, f"{f}.exclude[{i}]", cid, lang, "exclude", default_match)
                if r:
                    self.add_rule(out, seen, r, item, f"{f}.exclude[{i}]")
        return tuple(out)

    def add_rule(self, out: list[MatchRule], seen: dict[str, int], rule: MatchRule, node: Any, fld: str) -> None:
        if rule.id in seen:
            self.problem(node, fld, f"duplicate rule {rule.id!r} (first at line {seen[rule.id]})")
            return
        seen[rule.id] = node.start_mark.line + 1
        out.append(rule)

    def match_mode(self, node: Any, fld: str) -> str | None:
        mode = self.text(node, fld)
        if mode is not None and mode not in MATCH_MODES:
            self.problem(node, fld, f"must be one of: {', '.join(MATCH_MODES)}")
            return None
        return mode

    def term(self, node: Any, fld: str, cid: str, lang: str, kind: str, default_match: str) -> MatchRule | None:
        """A term (``terms``) or an exclusion (``exclude``): a string, or a mapping with term/pattern."""
        line = node.start_mark.line + 1
        if self.is_scalar(node):
            text = self.text(node, fld)
            if text is None:
                return None
            return MatchRule(id=rule_id(cid, lang, kind, text), code=cid, language=lang, kind=kind, text=text,
                             match=default_match, line=line)
        allowed = ("term", "match", "id") if kind == "term" else ("term", "match", "id", "pattern", "window")
        m = self.mapping(node, fld, allowed)
        if m is None:
            return None
        start = len(self.problems)
        text = self.text(m["term"], f"{fld}.term") if "term" in m else None
        pattern: tuple = ()
        if kind == "exclude" and "pattern" in m:
            if "term" in m:
                self.problem(node, fld, "give either term or pattern, not both")
            pattern = self.token_pattern(m["pattern"], f"{fld}.pattern")
        elif "term" not in m:
            self.problem(node, f"{fld}.term", "missing (required)" if kind == "term" else
                         "missing: give a term or a pattern")
        match = self.match_mode(m["match"], f"{fld}.match") if "match" in m else default_match
        if pattern:
            match = "lemma"  # unused by pattern rules: one value so that equal rules compare equal
        name = self.text(m["id"], f"{fld}.id") if "id" in m else text
        if "pattern" in m and "id" not in m:
            self.problem(node, f"{fld}.id", "missing: a pattern needs an id")
        window: int | None = 0
        if "window" in m:
            w = self.value(m["window"])
            if w == "sentence":
                window = None
            elif isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 50:
                window = w
            else:
                self.problem(m["window"], f"{fld}.window", "must be a number of tokens (0-50) or 'sentence'")
        if len(self.problems) > start or name is None or match is None:
            return None
        return MatchRule(id=rule_id(cid, lang, kind, name), code=cid, language=lang, kind=kind, text=text or "",
                         match=match, pattern=pattern, window=window if kind == "exclude" else 0, line=line)

    def pattern_rule(self, node: Any, fld: str, cid: str, lang: str) -> MatchRule | None:
        m = self.mapping(node, fld, ("id", "pattern"))
        if m is None:
            return None
        start = len(self.problems)
        if "id" not in m:
            self.problem(node, f"{fld}.id", "missing (required)")
        if "pattern" not in m:
            self.problem(node, f"{fld}.pattern", "missing (required)")
        name = self.text(m["id"], f"{fld}.id") if "id" in m else None
        pattern = self.token_pattern(m["pattern"], f"{fld}.pattern") if "pattern" in m else ()
        if len(self.problems) > start or name is None:
            return None
        return MatchRule(id=rule_id(cid, lang, "pattern", name), code=cid, language=lang, kind="pattern",
                         pattern=pattern, line=node.start_mark.line + 1)

    def token_pattern(self, node: Any, fld: str) -> tuple:
        start = len(self.problems)
        items = self.sequence(node, fld)
        if not items and self.is_seq(node):
            self.problem(node, fld, "must list at least one token")
        tokens = []
        for i, item in enumerate(items):
            f = f"{fld}[{i}]"
            m = self.mapping(item, f)
            if m is None:
                continue
            tok: dict[str, Any] = {}
            for key, vnode in m.items():
                ukey = key.upper()
                value = self.value(vnode)
                if ukey in NEEDS_MODEL:
                    self.problem(vnode, f"{f}.{key}", f"{ukey} needs a trained pipeline; tematik matches with "
                                 "blank pipelines (use LOWER, LEMMA, ORTH, ...)")
                    continue
                if ukey not in TOKEN_KEYS:
                    self.problem(vnode, f"{f}.{key}", f"unknown token attribute {key!r}")
                    continue
                if ukey == "OP":
                    if not (isinstance(value, str) and OP_RE.match(value)):
                        self.problem(vnode, f"{f}.{key}", "must be one of ! ? + * {n} {n,m}")
                        continue
                elif isinstance(value, dict):
                    bad = [k for k in value if k not in PREDICATES]
                    if bad:
                        self.problem(vnode, f"{f}.{key}", f"unknown predicate {bad[0]!r} "
                                     f"(expected one of: {', '.join(sorted(PREDICATES))})")
                        continue
                    for pk, pv in value.items():
                        if pk in ("IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS") and not (
                                isinstance(pv, list) and pv):
                            self.problem(vnode, f"{f}.{key}.{pk}", "must be a non-empty list")
                        if pk == "REGEX":
                            problem = regex_problem(pv, ukey)
                            if problem:
                                self.problem(vnode, f"{f}.{key}.REGEX", problem)
                elif ukey.startswith(("IS_", "LIKE_")) and not isinstance(value, bool):
                    self.problem(vnode, f"{f}.{key}", "must be true or false")
                    continue
                elif ukey == "LENGTH" and not (isinstance(value, int) and not isinstance(value, bool)):
                    self.problem(vnode, f"{f}.{key}", "must be a number")
                    continue
                elif not ukey.startswith(("IS_", "LIKE_")) and ukey != "LENGTH" and not isinstance(value, str):
                    self.problem(vnode, f"{f}.{key}", f"expected text or a predicate mapping, got {value!r}")
                    continue
                tok[ukey] = value
            tokens.append(tok)
        if len(self.problems) > start:
            return ()
        if tokens and all(t.get("OP") in ("?", "*", "!") or t.get("OP", "").startswith("{0") for t in tokens):
            self.problem(node, fld, "every token is optional or negated: the pattern would match nothing")
            return ()
        return tuple(tokens)


REGEX_ATTRS = frozenset({"ORTH", "TEXT", "LOWER", "NORM", "LEMMA", "SHAPE", "PREFIX", "SUFFIX"})


def regex_problem(pattern: Any, attr: str = "LOWER") -> str | None:
    """Why a token pattern's ``REGEX`` cannot be used, or None.

    It must be text on a text attribute, compile with the ``regex`` module (which auto-coding uses, with a
    timeout per word), and have no unbounded repeat inside another (``(a+)+``, ``(\\w*x)*``): such nesting can
    backtrack exponentially on a word that almost matches.
    """
    import regex

    if attr not in REGEX_ATTRS:
        return f"REGEX works on text attributes ({', '.join(sorted(REGEX_ATTRS))}), not {attr}"
    if not isinstance(pattern, str):
        return f"expected the regular expression as text, got {pattern!r}"
    try:
        regex.compile(pattern)
    except regex.error as exc:
        return f"bad regular expression: {exc}"
    nested = _nested_repeat(pattern)
    if nested:
        return (f"nested quantifier {nested!r} in {pattern!r} can take exponential time on a near-match; "
                "rewrite it without a repeat inside a repeat (e.g. ^a+$ instead of ^(a+)+$)")
    return None


def _nested_repeat(pattern: str) -> str | None:
    """The first repeat (``+``, ``*``, ``{n,}``) inside another, as text, found with Python's own regular
    expression parser; None if there is none or the parser does not know the syntax."""
    try:
        import re._parser as sre  # type: ignore[import-not-found]

        tree = sre.parse(pattern)
    except Exception:  # noqa: BLE001 - syntax only the regex module knows, or another Python
        return None
    repeats = {sre.MAX_REPEAT, sre.MIN_REPEAT}

    def body(items: Any) -> list:
        items = list(items)
        while len(items) == 1 and items[0][0] is sre.SUBPATTERN:
            items = list(items[0][1][-1])
        return items

    def ambiguous(items: Any) -> bool:
        # the repeated part is made only of repeats, one of variable length: (a+)+, (\w+\s?)*, (a{1,3})+
        items = body(items)
        return bool(items) and all(op in repeats for op, _ in items) and any(av[0] != av[1] for _, av in items)

    def walk(items: Any) -> bool:
        for op, av in items:
            if op in repeats:
                hi, sub = av[1], av[2]
                if (hi == sre.MAXREPEAT or hi > 100) and ambiguous(sub):
                    return True
                if walk(sub):
                    return True
            elif op is sre.SUBPATTERN:
                if walk(av[-1]):
                    return True
            elif op is sre.BRANCH:
                if any(walk(b) for b in av[1]):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                if walk(av[1]):
                    return True
        return False

    if not walk(tree):
        return None
    m = re.search(r"\([^()]*[+*}][^()]*\)[+*{]", pattern)
    return m.group(0) if m else pattern


def _join(fld: str | None, key: str) -> str:
    return f"{fld}.{key}" if fld else key


# --------------------------------------------------------------------------- public API

def parse_codebook(text: str, path: str | None = None) -> tuple[Codebook | None, list[Problem]]:
    """Parse and validate codebook YAML. Returns the codebook (``None`` if there are problems) and the problems."""
    yaml = _yaml()
    parser = _Parser(path)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        msg = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(f"not valid YAML: {msg}", path, mark.line + 1 if mark else None, None)]
    cb = parser.codebook(root)
    problems = sorted(parser.problems, key=lambda p: p.line or 0)  # stable: same-line problems keep their order
    return cb, problems


def _read(path: str | Path) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodebookError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"cannot read: {exc}", path=str(path)) from None


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem of a codebook file (empty when it is valid)."""
    try:
        text = _read(path)
    except CodebookError as exc:
        return [Problem(exc.message, str(path))]
    return parse_codebook(text, str(path))[1]


def load_codebook(path: str | Path) -> Codebook:
    """Load a codebook file; raise :class:`CodebookError` with the first problem when it does not validate."""
    cb, problems = parse_codebook(_read(path), str(path))
    if problems or cb is None:
        first = problems[0] if problems else Problem("not a codebook", str(path))
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
            if len(problems) > 1 else ""
        raise CodebookError(first.message + more, path=first.path, line=first.line, field=first.field)
    return cb


# --------------------------------------------------------------------------- writing

def _rule_entry(r: MatchRule, default_match: str = "lemma") -> Any:
    suffix = r.id.split(":", 1)[1]
    if r.kind == "pattern":
        return {"id": suffix, "pattern": [dict(t) for t in r.pattern]}
    entry: dict[str, Any] = {}
    if r.pattern:
        entry["id"] = suffix
        entry["pattern"] = [dict(t) for t in r.pattern]
    else:
        entry["term"] = r.text
        if suffix != r.text:
            entry["id"] = suffix
    if not r.pattern and r.match != default_match:
        entry["match"] = r.match
    if r.kind == "exclude" and r.window != 0:
        entry["window"] = "sentence" if r.window is None else r.window
    return r.text if list(entry) == ["term"] else entry


def codebook_data(cb: Codebook) -> dict[str, Any]:
    """The codebook as plain data in the file format (what ``dump_codebook(fmt="yaml")`` writes)."""
    codes = []
    for c in cb.codes:
        d: dict[str, Any] = {"id": c.id, "name": dict(c.name)}
        if c.labels:
            d["labels"] = {k: list(v) for k, v in c.labels.items()}
        if c.parent:
            d["parent"] = c.parent
        if c.colour:
            d["colour"] = c.colour
        for key in ("definition",):
            if getattr(c, key):
                d[key] = dict(getattr(c, key))
        for key in ("inclusion", "exclusion"):
            if getattr(c, key):
                d[key] = {k: list(v) for k, v in getattr(c, key).items()}
        if c.examples:
            d["examples"] = [{k: v for k, v in (("text", e.text), ("language", e.language), ("kind", e.kind),
                                                   ("note", e.note)) if v is not None} for e in c.examples]
        if c.rules:
            rules: dict[str, Any] = {}
            for r in c.rules:
                block = rules.setdefault(r.language, {})
                key = {"term": "terms", "pattern": "patterns", "exclude": "exclude"}[r.kind]
                block.setdefault(key, []).append(_rule_entry(r))
            d["rules"] = rules
        if c.factors:
            d["factors"] = [{k: v for k, v in (("factor", f.factor), ("direction", f.direction),
                                                 ("rationale", f.rationale)) if v is not None} for f in c.factors]
        codes.append(d)
    data: dict[str, Any] = {"name": cb.name, "version": cb.version, "languages": list(cb.languages)}
    if cb.description:
        data["description"] = cb.description
    if cb.factors:  # only what the codebook declared
        data["factors"] = list(cb.factors)
    data["codes"] = codes
    return data


def codebook_hash(cb: Codebook) -> str:
    """A sha256 hex digest of the codebook's content (not of its file layout): it changes when any code, text or
    rule changes, and not when the YAML is only reformatted or commented."""
    blob = json.dumps(codebook_data(cb), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def dump_codebook(cb: Codebook, fmt: str = "yaml") -> str:
    """Write a codebook as ``yaml`` (loads back to an equal codebook), ``md`` (a document for coders) or ``csv``
    (one row per code)."""
    if fmt == "yaml":
        yaml = _yaml()
        return yaml.safe_dump(codebook_data(cb), sort_keys=False, allow_unicode=True, width=110,
                              default_flow_style=None)
    if fmt == "md":
        return _markdown(cb)
    if fmt == "csv":
        return _csv(cb)
    raise CodebookError(f"unknown format {fmt!r} (expected yaml, md or csv)", field="format")


def _rule_text(r: MatchRule) -> str:
    if r.pattern:
        body = json.dumps(list(r.pattern), ensure_ascii=False)
    else:
        body = r.text + ("" if r.match == "lemma" else f" ({r.match})")
    if r.kind == "exclude":
        scope = "same sentence" if r.window is None else ("overlapping" if r.window == 0 else f"±{r.window} tokens")
        body += f" [{scope}]"
    return body


def _md_code(text: str) -> str:
    """``text`` as a Markdown code span (shown literally), fenced with more backticks than it holds."""
    from tematik.escape import strip_controls

    text = strip_controls(text).replace("\n", " ")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _markdown(cb: Codebook) -> str:
    from tematik.escape import md_text

    out = [f"# {md_text(cb.name)}", "", f"Version {md_text(cb.version)}; languages: {', '.join(cb.languages)}; "
           f"{len(cb.codes)} codes; hash `{codebook_hash(cb)[:12]}`.", ""]
    if cb.description:
        out += [md_text(cb.description), ""]

    def walk(parent: str | None, depth: int) -> None:
        for c in cb.children(parent):
            names = " / ".join(md_text(c.name[lang]) for lang in cb.languages if lang in c.name)
            out.append(f"{'#' * min(depth + 2, 6)} {names} ({_md_code(c.id)})")
            out.append("")
            meta = []
            if c.parent:
                meta.append(f"parent: {_md_code(c.parent)}")
            if c.colour:
                meta.append(f"colour: {c.colour}")
            for lang in cb.languages:
                if c.labels.get(lang):
                    meta.append(f"labels ({lang}): {', '.join(md_text(x) for x in c.labels[lang])}")
            if meta:
                out.extend(["; ".join(meta), ""])
            for lang in cb.languages:
                if lang in c.definition:
                    out.extend([f"**Definition ({lang}).** {md_text(c.definition[lang])}", ""])
            for key, title in (("inclusion", "Include when"), ("exclusion", "Exclude when")):
                for lang in cb.languages:
                    items = getattr(c, key).get(lang)
                    if items:
                        out.append(f"**{title} ({lang}):**")
                        out.extend([f"- {md_text(t)}" for t in items])
                        out.append("")
            if c.examples:
                out.append("**Examples:**")
                for e in c.examples:
                    mark = "✓" if e.kind == "typical" else "✗ (counter-example)"
                    note = f" — {md_text(e.note)}" if e.note else ""
                    out.append(f"- {mark} \\[{e.language}\\] “{md_text(e.text)}”{note}")
                out.append("")
            for lang in cb.languages:
                rules = c.rules_for(lang)
                if not rules:
                    continue
                out.append(f"**Rules ({lang}):**")
                for kind, title in (("term", "terms"), ("pattern", "patterns"), ("exclude", "exclude")):
                    rs = [r for r in rules if r.kind == kind]
                    if rs:
                        out.append(f"- {title}: " + "; ".join(_md_code(_rule_text(r)) for r in rs))
                out.append("")
            if c.factors:
                out.append("**Linked questionnaire factors:**")
                for f in c.factors:
                    d = f" ({f.direction})" if f.direction else ""
                    why = f": {md_text(f.rationale)}" if f.rationale else ""
                    out.append(f"- {_md_code(f.factor)}{md_text(d)}{why}")
                out.append("")
            walk(c.id, depth + 1)

    walk(None, 0)
    return "\n".join(out).rstrip() + "\n"


def _csv(cb: Codebook) -> str:
    langs = cb.languages
    header = ["id", "parent", "colour"]
    for lang in langs:
        header += [f"name_{lang}", f"labels_{lang}", f"definition_{lang}", f"inclusion_{lang}",
                   f"exclusion_{lang}", f"terms_{lang}", f"patterns_{lang}", f"exclude_{lang}"]
    header += ["factors"]
    from tematik.escape import csv_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for c in cb.codes:
        row = [c.id, c.parent or "", c.colour or ""]
        for lang in langs:
            rules = c.rules_for(lang)
            row += [c.name.get(lang, ""), "; ".join(c.labels.get(lang, ())), c.definition.get(lang, ""),
                    " | ".join(c.inclusion.get(lang, ())), " | ".join(c.exclusion.get(lang, ())),
                    "; ".join(_rule_text(r) for r in rules if r.kind == "term"),
                    "; ".join(r.id.split(":", 1)[1] for r in rules if r.kind == "pattern"),
                    "; ".join(_rule_text(r) for r in rules if r.kind == "exclude")]
        row.append("; ".join(f.factor + (f" ({f.direction})" if f.direction else "") for f in c.factors))
        w.writerow([csv_cell(x) for x in row])
    return buf.getvalue()


def check_factor_links(cb: Codebook, factors: Sequence[str], instrument: str = "the instrument") -> list[Problem]:
    """A problem for every code linking to a factor that ``factors`` (the questionnaire's factor ids) lacks."""
    known = set(factors)
    out = []
    for c in cb.codes:
        for link in c.factors:
            if link.factor not in known:
                out.append(Problem(f"{c.id} links to factor {link.factor!r}, which {instrument} does not have "
                                   f"(its factors: {', '.join(factors) or 'none'})", cb.path, link.line or c.line,
                                   f"codes.{c.id}.factors"))
    return out
