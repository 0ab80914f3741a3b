"""Questionnaire instruments: response scale, factors, overall score and category scales; loaded from YAML.

An instrument file says which items make up which factor, which items are reverse-scored, how the overall
score is formed and which category scale labels a percent-of-maximum score. Example::

    id: ks-undiksha
    name: {id: Angket perilaku knowledge sharing, en: Knowledge-sharing behaviour questionnaire}
    scale:
      min: 1
      max: 5
      labels: {1: {id: sangat tidak setuju, en: strongly disagree}, 5: {id: sangat setuju, en: strongly agree}}
    categories: ks-undiksha          # a preset name, or a list of bands (see below)
    attributes: [role]               # respondent columns that are not items
    factors:
      - id: intrinsic_motivation
        name: {id: motivasi intrinsik, en: intrinsic motivation}
        group: driving
        items:
          - im1                      # an item id, or a mapping with wording:
          - {id: im2, text: {id: Saya senang ..., en: I enjoy ...}}
        reverse: [im2]
    overall:
      id: ks_behaviour
      name: {id: perilaku KS (keseluruhan), en: overall KS behaviour}
      items: all                     # or: factors: [intrinsic_motivation, ...]

Inline bands are half-open intervals ``[lower, next lower)``, lowest first, each with an optional *reading*
(``positive``, ``mixed`` -- or its synonym ``neutral`` -- or ``negative``) that says how a score in that band
reads when themes are triangulated with factors. A plain list is on the percent-of-maximum scale::

    categories:
      - {lower: 0, label: {id: rendah, en: low}, reading: negative}
      - {lower: 50, label: {id: tinggi, en: high}, reading: positive}

A mapping chooses the basis: ``percent`` (percent of maximum, the default), ``pomp`` (percent of maximum
possible, ``(mean - min) / (max - min) x 100``) or ``mean`` (the mean item score, on the answer scale)::

    categories:
      basis: mean
      bands:
        - {lower: 1, label: rendah}
        - {lower: 2.34, label: sedang}
        - {lower: 3.67, label: tinggi}

Give a reading to every band or to none. Bands without readings read by their order: the highest band
positive, the lowest negative, the rest mixed; every display that uses the readings says so. An instrument
without ``categories`` gets the neutral preset ``thirds`` (three equal bands of POMP: rendah / sedang / tinggi),
and the scores say so. ``group`` of a factor is optional (any label; without one every factor is in one group).

Everything here is standard library plus PyYAML (imported when a file is read): the CLI may import this module
at start-up to list presets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tematik.errors import InstrumentError
from tematik.models import LANGUAGES

Text = dict[str, str]
"""A text in several languages keyed by language, e.g. ``{"id": "positif", "en": "positive"}`` (as in a Code)."""

EPSILON = 1e-9  # percentages within this of a band's lower bound count as reaching it (floating-point noise)


def pick(text: Text, lang: str = "id") -> str:
    """The text in ``lang``, else in the first language it has, else ``""``."""
    return text.get(lang) or next(iter(text.values()), "")


# --------------------------------------------------------------------------- domain objects


READINGS = ("positive", "mixed", "negative")
READING_ALIASES = {"neutral": "mixed"}
BASES = ("percent", "pomp", "mean")
BASIS_NAMES = {
    "percent": "percent of maximum (score obtained / maximum possible x 100)",
    "pomp": "POMP, percent of maximum possible ((mean item score - scale min) / (scale max - scale min) x 100)",
    "mean": "mean item score",
}
DECLARED = "declared"
FROM_ORDER = "order"


def percent_of_max(mean: float, scale: ResponseScale) -> float:
    """The study's percent of maximum from a mean item score: ``mean / max x 100`` (floor ``min / max x 100``)."""
    return 100 * mean / scale.max


def pomp(mean: float, scale: ResponseScale) -> float:
    """POMP (percent of maximum possible; Cohen, Cohen, Aiken & West 1999): ``(mean - min) / (max - min) x 100``,
    0 at the lowest answer and 100 at the highest."""
    return 100 * (mean - scale.min) / (scale.max - scale.min)


POMP_REFERENCE = (
    "Cohen, P., Cohen, J., Aiken, L. S., & West, S. G. (1999). The problem of units and the circumstance for POMP. "
    "Multivariate Behavioral Research, 34(3), 315-346."
)


@dataclass(frozen=True)
class Band:
    """One category: values ``>= lower`` and below the next band's lower bound; ``reading`` is how a score in
    the band reads (positive, mixed, negative) or None when not declared."""

    lower: float
    labels: Text = field(default_factory=dict, hash=False)
    reading: str | None = None

    def label(self, lang: str = "id") -> str:
        return pick(self.labels, lang)


@dataclass(frozen=True)
class CategoryScale:
    """Named bands, lowest first, on ``basis`` (``percent``, ``pomp`` or ``mean``). ``source`` says where the
    bands come from; ``readings`` whether the bands' readings were declared or derived from their order
    (:func:`with_readings`)."""

    name: str
    bands: tuple[Band, ...]
    source: str = ""
    basis: str = "percent"
    readings: str = DECLARED

    def band(self, value: float) -> Band:
        """The band ``value`` (on this scale's basis) falls in; values below the lowest bound fall in the lowest
        band."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise ValueError("no value to categorise")
        found = self.bands[0]
        for band in self.bands:
            if value >= band.lower - EPSILON:
                found = band
        return found

    def label(self, value: float, lang: str = "id") -> str:
        return self.band(value).label(lang)

    def value(self, *, percent: float | None = None, pomp: float | None = None, mean: float | None = None
              ) -> float | None:
        """Of the values given, the one on this scale's basis."""
        return {"percent": percent, "pomp": pomp, "mean": mean}[self.basis]

    def reading(self, label: str | None) -> str | None:
        """The reading of the band labelled ``label`` (any language, case-insensitive); None if unknown."""
        if not label:
            return None
        wanted = label.strip().lower()
        for band in self.bands:
            if wanted in {text.strip().lower() for text in band.labels.values()}:
                return band.reading
        return None

    def readings_note(self, lang: str = "id") -> str:
        """One sentence: how each category reads and whether that was declared or derived from the order."""
        groups: dict[str, list[str]] = {}
        for band in reversed(self.bands):
            groups.setdefault(band.reading or "unread", []).append(band.label(lang))
        parts = "; ".join(f"{', '.join(labels)} {reading}" for reading, labels in groups.items())
        if self.readings == FROM_ORDER:
            return (f"The categories of {self.name} declare no readings, so they read by their order (highest "
                    f"band positive, lowest negative, the rest mixed): {parts}.")
        return f"Category readings ({self.name}): {parts}."

    @property
    def basis_name(self) -> str:
        return BASIS_NAMES[self.basis]

    @property
    def bounds(self) -> tuple[float, ...]:
        """The lower bounds, ascending."""
        return tuple(b.lower for b in self.bands)

    def describe(self, lang: str = "id") -> str:
        """One line: ``sangat negatif < 40 <= negatif < 55 <= ...`` (with ``(mean item score)`` when the bands are
        not on the percent of maximum)."""
        parts = [self.bands[0].label(lang)]
        for band in self.bands[1:]:
            parts.append(f"< {band.lower:g} <= {band.label(lang)}")
        text = " ".join(parts)
        return text if self.basis == "percent" else f"{text} (on the {BASIS_NAMES[self.basis]})"


def with_readings(scale: CategoryScale) -> CategoryScale:
    """``scale`` with a reading for every band: as declared, or, when no band declares one, from the order (the
    highest band positive, the lowest negative, the rest mixed; a single band reads mixed)."""
    if all(b.reading for b in scale.bands):
        return scale if scale.readings == DECLARED else replace(scale, readings=DECLARED)
    n = len(scale.bands)
    bands = []
    for i, band in enumerate(scale.bands):
        reading = "mixed" if n == 1 else "negative" if i == 0 else "positive" if i == n - 1 else "mixed"
        bands.append(replace(band, reading=reading))
    return replace(scale, bands=tuple(bands), readings=FROM_ORDER)


@dataclass(frozen=True)
class ResponseScale:
    """The answer options of every item: whole numbers ``min..max`` with optional labels."""

    min: int = 1
    max: int = 5
    labels: dict[int, Text] = field(default_factory=dict, hash=False, compare=False)

    def reverse(self, value: float) -> float:
        """The reverse-scored value: ``min + max - value`` (5 -> 1 on a 1-5 scale)."""
        return self.min + self.max - value

    @property
    def floor_percent(self) -> float:
        """The lowest reachable percent of maximum: ``min / max x 100`` (20 on a 1-5 scale)."""
        return self.min * 100 / self.max

    def label(self, value: int, lang: str = "id") -> str:
        return pick(self.labels.get(value, {}), lang)


@dataclass(frozen=True)
class Item:
    id: str
    text: Text = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Factor:
    """A set of items scored together. ``composed_of`` names the factors an overall score pools."""

    id: str
    names: Text = field(hash=False)
    group: str | None
    items: tuple[Item, ...]
    reverse: tuple[str, ...] = ()
    composed_of: tuple[str, ...] = ()

    def name(self, lang: str = "id") -> str:
        return pick(self.names, lang) or self.id

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its response scale, factors, the optional overall score and the category scale."""

    id: str
    names: Text = field(hash=False)
    scale: ResponseScale
    categories: CategoryScale
    factors: tuple[Factor, ...]
    overall: Factor | None = None
    attributes: tuple[str, ...] = ()
    path: str | None = None

    def name(self, lang: str = "id") -> str:
        return pick(self.names, lang) or self.id

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for factor in self.factors for item in factor.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def reverse_items(self) -> frozenset[str]:
        return frozenset(i for factor in self.factors for i in factor.reverse)

    @property
    def scored(self) -> tuple[Factor, ...]:
        """Every score the instrument reports: the factors, then the overall score if there is one."""
        return self.factors + ((self.overall,) if self.overall else ())

    def factor(self, factor_id: str) -> Factor:
        for factor in self.scored:
            if factor.id == factor_id:
                return factor
        raise KeyError(factor_id)

    def overall_method(self) -> str:
        """How the overall score is formed, in words (for method notes)."""
        if not self.overall:
            return "no overall score"
        if set(self.overall.composed_of) == {f.id for f in self.factors}:
            how = f"all {len(self.overall.items)} items"
        else:
            how = f"the {len(self.overall.items)} items of {', '.join(self.overall.composed_of)}"
        return f"{how} pooled: score obtained / maximum possible x 100 (not the mean of the factor percentages)"


# --------------------------------------------------------------------------- category scale presets

_LABELS_5: tuple[Text, ...] = (
    {"id": "sangat negatif", "en": "very negative"},
    {"id": "negatif", "en": "negative"},
    {"id": "cukup positif", "en": "quite positive"},
    {"id": "positif", "en": "positive"},
    {"id": "sangat positif", "en": "very positive"},
)
# The study reads its upper three categories (cukup positif and above) as positive.
_READINGS_5 = ("negative", "negative", "positive", "positive", "positive")

_LABELS_3: tuple[Text, ...] = (
    {"id": "rendah", "en": "low"},
    {"id": "sedang", "en": "medium"},
    {"id": "tinggi", "en": "high"},
)
_READINGS_3 = ("negative", "mixed", "positive")


def _bands(lowers: list[float]) -> tuple[Band, ...]:
    return tuple(Band(lower, dict(labels), reading)
                 for lower, labels, reading in zip(lowers, _LABELS_5, _READINGS_5, strict=True))


def _thirds(scale: ResponseScale) -> tuple[Band, ...]:
    return tuple(Band(lower, dict(labels), reading)
                 for lower, labels, reading in zip((0.0, 100 / 3, 200 / 3), _LABELS_3, _READINGS_3, strict=True))


def _ks_undiksha(scale: ResponseScale) -> tuple[Band, ...]:
    return _bands([0, 40, 55, 70, 85])


def _equal_20(scale: ResponseScale) -> tuple[Band, ...]:
    return _bands([0, 20, 40, 60, 80])


def _sugiyono_range(scale: ResponseScale) -> tuple[Band, ...]:
    floor = scale.floor_percent
    width = (100 - floor) / len(_LABELS_5)
    return _bands([floor + i * width for i in range(len(_LABELS_5))])


@dataclass(frozen=True)
class _Preset:
    build: Callable[[ResponseScale], tuple[Band, ...]]
    source: str
    basis: str = "percent"


PRESETS: dict[str, _Preset] = {
    "ks-undiksha": _Preset(
        _ks_undiksha,
        "Bands implied by the published results of 'Perilaku Knowledge Sharing Antarstaf Pustakawan' (Media "
        "Pustakawan; library of Universitas Pendidikan Ganesha): sangat positif >= 85, positif >= 70, cukup "
        "positif >= 55, negatif >= 40, else sangat negatif. The article names its five categories but prints no "
        "bounds; these are the bounds consistent with all 14 published percentages and categories.",
    ),
    "equal-20": _Preset(
        _equal_20,
        "Five equal 20-point bands of the percent of maximum (0-19.99, 20-39.99, 40-59.99, 60-79.99, 80-100), "
        "the common 'interpretasi skor' / 'index %' convention of Indonesian Likert analyses, usually cited from "
        "Riduwan, Skala Pengukuran Variabel-variabel Penelitian (Bandung: Alfabeta), whose labels run from "
        "'sangat lemah' to 'sangat kuat'; here they carry the study's five labels.",
    ),
    "sugiyono-range": _Preset(
        _sugiyono_range,
        "Class interval of Likert scores as taught after Sugiyono, Metode Penelitian Kuantitatif, Kualitatif "
        "dan R&D (Bandung: Alfabeta): interval = (highest - lowest possible score) / number of classes. On the "
        "percent-of-maximum scale the lowest possible value is min/max x 100, so a 1-5 scale gives five "
        "16-point bands starting at 20, 36, 52, 68 and 84.",
    ),
    "thirds": _Preset(
        _thirds,
        "Three equal bands of the POMP score (percent of maximum possible, 0 = every answer at the scale minimum, "
        "100 = every answer at the maximum): rendah (low) below 33.3, sedang (medium) below 66.7, tinggi (high); "
        "read negative, mixed and positive. A neutral default for instruments that declare no categories.",
        basis="pomp",
    ),
}
DEFAULT_PRESET = "thirds"  # for an instrument that declares no categories; the study's file names ks-undiksha


def preset_names() -> tuple[str, ...]:
    return tuple(PRESETS)


def category_scale(name: str, scale: ResponseScale | None = None) -> CategoryScale:
    """The preset ``name`` for a response scale (1-5 if none is given). Raises InstrumentError if unknown."""
    preset = PRESETS.get(name)
    if preset is None:
        raise InstrumentError(f"unknown category scale '{name}' (known: {', '.join(PRESETS)})", field="scale")
    return CategoryScale(name, preset.build(scale or ResponseScale()), preset.source, preset.basis)


def presets(scale: ResponseScale | None = None) -> list[CategoryScale]:
    """Every preset, built for ``scale`` (1-5 if none is given)."""
    return [category_scale(name, scale) for name in PRESETS]


# --------------------------------------------------------------------------- loading and validation


class _Checker:
    """Walks a composed YAML node tree, collecting problems with their line numbers."""

    def __init__(self, path: str) -> None:
        import yaml

        self.path = path
        self.problems: list[InstrumentError] = []
        self._constructor = yaml.SafeLoader("")
        self._yaml = yaml

    def problem(self, node: Any, field: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(InstrumentError(message, path=self.path, line=line, field=field or None))

    def value(self, node: Any) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def mapping(self, node: Any, field: str, allowed: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        if not isinstance(node, self._yaml.MappingNode):
            self.problem(node, field, "must be a mapping of keys to values")
            return None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(self.value(key_node))
            where = f"{field}.{key}" if field else key
            if key in out:
                self.problem(key_node, where, "appears twice")
            elif allowed is not None and key not in allowed:
                self.problem(key_node, where, f"unknown key (allowed: {', '.join(allowed)})")
            else:
                out[key] = value_node
        return out

    def sequence(self, node: Any, field: str) -> list[Any] | None:
        if not isinstance(node, self._yaml.SequenceNode):
            self.problem(node, field, "must be a list")
            return None
        return list(node.value)

    def scalar(self, node: Any, field: str, kind: type | tuple[type, ...] = str) -> Any:
        if not isinstance(node, self._yaml.ScalarNode):
            self.problem(node, field, "must be a single value")
            return None
        value = self.value(node)
        if kind is str:
            if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
                self.problem(node, field, "must not be empty")
                return None
            return str(value).strip()
        if isinstance(value, bool) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(node, field, f"must be a number ({names}), not {value!r}")
            return None
        return value

    def text(self, node: Any, field: str) -> Text:
        """A plain string (every language) or a mapping ``{id: ..., en: ...}``."""
        if isinstance(node, self._yaml.ScalarNode):
            value = self.scalar(node, field)
            return dict.fromkeys(LANGUAGES, value) if value else {}
        mapping = self.mapping(node, field, LANGUAGES)
        if mapping is None:
            return {}
        if not mapping:
            self.problem(node, field, f"needs a text in at least one language ({', '.join(LANGUAGES)})")
        out = {}
        for lang, value_node in mapping.items():
            value = self.scalar(value_node, f"{field}.{lang}")
            if value:
                out[lang] = value
        return out


_TOP_KEYS = ("id", "name", "description", "scale", "categories", "attributes", "factors", "overall")
_FACTOR_KEYS = ("id", "name", "group", "items", "reverse", "description")
_OVERALL_KEYS = ("id", "name", "group", "items", "factors")


def _identifier(c: _Checker, node: Any, field: str) -> str | None:
    value = c.scalar(node, field)
    if value is not None and (any(ch.isspace() for ch in value) or "," in value):
        c.problem(node, field, f"'{value}' must not contain spaces or commas")
        return None
    return value


def _response_scale(c: _Checker, node: Any) -> ResponseScale | None:
    mapping = c.mapping(node, "scale", ("min", "max", "labels"))
    if mapping is None:
        return None
    values = {}
    for key in ("min", "max"):
        if key not in mapping:
            c.problem(node, f"scale.{key}", "is required")
            continue
        values[key] = c.scalar(mapping[key], f"scale.{key}", int)
    lo, hi = values.get("min"), values.get("max")
    if lo is None or hi is None:
        return None
    if lo < 0 or hi <= lo:
        c.problem(mapping["max"], "scale", f"needs 0 <= min < max (got min {lo}, max {hi})")
        return None
    labels: dict[int, Text] = {}
    if "labels" in mapping:
        label_map = c.mapping(mapping["labels"], "scale.labels")
        for key, value_node in (label_map or {}).items():
            try:
                value = int(key)
            except ValueError:
                value = None
            if value is None or not lo <= value <= hi:
                c.problem(value_node, f"scale.labels.{key}", f"is not a value of the scale {lo}-{hi}")
                continue
            labels[value] = c.text(value_node, f"scale.labels.{key}")
    return ResponseScale(lo, hi, dict(sorted(labels.items())))


def _reading(c: _Checker, node: Any, field: str) -> str | None:
    value = c.scalar(node, field)
    if value is None:
        return None
    value = READING_ALIASES.get(value.lower(), value.lower())
    if value not in READINGS:
        c.problem(node, field, f"unknown reading '{value}' (use {', '.join(READINGS)}, or neutral for mixed)")
        return None
    return value


def _inline_bands(c: _Checker, node: Any, name: str, scale: ResponseScale | None) -> CategoryScale | None:
    basis = "percent"
    if isinstance(node, c._yaml.MappingNode):
        mapping = c.mapping(node, "categories", ("basis", "bands"))
        if mapping is None:
            return None
        if "basis" in mapping:
            basis = c.scalar(mapping["basis"], "categories.basis") or "percent"
            if basis not in BASES:
                c.problem(mapping["basis"], "categories.basis", f"unknown basis '{basis}' (use {', '.join(BASES)})")
                return None
        if "bands" not in mapping:
            c.problem(node, "categories.bands", "is required (a list of bands, lowest first)")
            return None
        node = mapping["bands"]
        prefix = "categories.bands"
    else:
        prefix = "categories"
    entries = c.sequence(node, prefix)
    if entries is None:
        return None
    if basis == "mean":
        low, high, unit = (scale.min, scale.max, "a mean item score on the answer scale") if scale else \
            (-math.inf, math.inf, "a mean item score")
    else:
        low, high, unit = 0, 100, "a percentage between 0 and 100"
    bands = []
    read_nodes = []
    for i, entry in enumerate(entries):
        where = f"{prefix}[{i + 1}]"
        mapping = c.mapping(entry, where, ("lower", "label", "reading"))
        if mapping is None:
            continue
        if "lower" not in mapping or "label" not in mapping:
            c.problem(entry, where, f"needs 'lower' ({'mean item score' if basis == 'mean' else 'percent'}) "
                                    "and 'label'")
            continue
        lower = c.scalar(mapping["lower"], f"{where}.lower", (int, float))
        label = c.text(mapping["label"], f"{where}.label")
        reading = _reading(c, mapping["reading"], f"{where}.reading") if "reading" in mapping else None
        if "reading" in mapping:
            read_nodes.append(entry)
        if lower is None or not label:
            continue
        if not low <= lower <= high:
            c.problem(mapping["lower"], f"{where}.lower", f"{lower} is not {unit}"
                      + (f" ({low:g}-{high:g})" if basis == "mean" and scale else ""))
            continue
        if any(b.lower == lower for b in bands):
            c.problem(mapping["lower"], f"{where}.lower", f"two bands start at {lower:g}")
            continue
        bands.append(Band(float(lower), label, reading))
    if read_nodes and len(read_nodes) != len(entries):
        c.problem(node, prefix, f"{len(read_nodes)} of {len(entries)} bands have a reading: give every band a "
                                "reading (positive, mixed, negative) or none (then they read by their order)")
        return None
    if not bands:
        if entries == []:
            c.problem(node, prefix, "needs at least one band")
        return None
    return with_readings(CategoryScale(name, tuple(sorted(bands, key=lambda b: b.lower)),
                                       f"bands defined in {c.path}", basis))


def _items(c: _Checker, node: Any, where: str, seen: dict[str, str]) -> list[Item]:
    entries = c.sequence(node, f"{where}.items")
    out: list[Item] = []
    if entries is None:
        return out
    if not entries:
        c.problem(node, f"{where}.items", "needs at least one item")
    for i, entry in enumerate(entries):
        field = f"{where}.items[{i + 1}]"
        text: Text = {}
        if isinstance(entry, c._yaml.MappingNode):
            mapping = c.mapping(entry, field, ("id", "text"))
            if mapping is None or "id" not in mapping:
                if mapping is not None:
                    c.problem(entry, field, "needs an 'id'")
                continue
            item_id = _identifier(c, mapping["id"], f"{field}.id")
            if "text" in mapping:
                text = c.text(mapping["text"], f"{field}.text")
        else:
            item_id = _identifier(c, entry, field)
        if item_id is None:
            continue
        if item_id in seen:
            c.problem(entry, field, f"item '{item_id}' is already listed under {seen[item_id]}")
            continue
        seen[item_id] = where
        out.append(Item(item_id, text))
    return out


def _factor(c: _Checker, node: Any, index: int, seen_items: dict[str, str]) -> Factor | None:
    where = f"factors[{index}]"
    mapping = c.mapping(node, where, _FACTOR_KEYS)
    if mapping is None:
        return None
    factor_id = _identifier(c, mapping["id"], f"{where}.id") if "id" in mapping else None
    if "id" not in mapping:
        c.problem(node, f"{where}.id", "is required")
    if factor_id:
        where = f"factors.{factor_id}"
    names = c.text(mapping["name"], f"{where}.name") if "name" in mapping else {}
    group = c.scalar(mapping["group"], f"{where}.group") if "group" in mapping else None
    if "items" not in mapping:
        c.problem(node, f"{where}.items", "is required")
        items: list[Item] = []
    else:
        items = _items(c, mapping["items"], where, seen_items)
    reverse: list[str] = []
    if "reverse" in mapping:
        for i, entry in enumerate(c.sequence(mapping["reverse"], f"{where}.reverse") or []):
            item_id = c.scalar(entry, f"{where}.reverse[{i + 1}]")
            if item_id is None:
                continue
            if item_id not in {item.id for item in items}:
                c.problem(entry, f"{where}.reverse", f"'{item_id}' is not an item of this factor")
            elif item_id in reverse:
                c.problem(entry, f"{where}.reverse", f"'{item_id}' is listed twice")
            else:
                reverse.append(item_id)
    if not factor_id or ("group" in mapping and group is None) or not items:
        return None
    return Factor(factor_id, names, group, tuple(items), tuple(reverse))


def _overall(c: _Checker, node: Any, factors: list[Factor], factor_nodes: dict[str, Any]) -> Factor | None:
    mapping = c.mapping(node, "overall", _OVERALL_KEYS)
    if mapping is None:
        return None
    overall_id = _identifier(c, mapping["id"], "overall.id") if "id" in mapping else "overall"
    if overall_id in factor_nodes:
        c.problem(mapping["id"], "overall.id", f"'{overall_id}' is already a factor id")
        return None
    names = c.text(mapping["name"], "overall.name") if "name" in mapping else {}
    group = c.scalar(mapping["group"], "overall.group") if "group" in mapping else "overall"
    if ("items" in mapping) == ("factors" in mapping):
        c.problem(node, "overall", "needs either 'items: all' or 'factors: [factor ids]'")
        return None
    if "items" in mapping:
        if c.scalar(mapping["items"], "overall.items") != "all":
            c.problem(mapping["items"], "overall.items", "must be 'all' (or use 'factors: [...]')")
            return None
        chosen = list(factors)
    else:
        chosen = []
        by_id = {f.id: f for f in factors}
        entries = c.sequence(mapping["factors"], "overall.factors")
        if entries == []:
            c.problem(mapping["factors"], "overall.factors", "needs at least one factor")
        for i, entry in enumerate(entries or []):
            factor_id = c.scalar(entry, f"overall.factors[{i + 1}]")
            if factor_id is None:
                continue
            if factor_id not in factor_nodes:
                c.problem(entry, "overall.factors", f"'{factor_id}' is not a factor of this instrument")
            elif factor_id in by_id and by_id[factor_id] not in chosen:
                chosen.append(by_id[factor_id])
        if not chosen:
            return None
    if overall_id is None or group is None:
        return None
    return Factor(
        overall_id,
        names,
        group,
        tuple(item for f in chosen for item in f.items),
        tuple(i for f in chosen for i in f.reverse),
        composed_of=tuple(f.id for f in chosen),
    )


def _parse(text: str, path: str) -> tuple[Instrument | None, list[InstrumentError]]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        return None, [InstrumentError(f"not valid YAML: {reason}", path=path, line=line)]
    if root is None:
        return None, [InstrumentError("the file is empty", path=path, line=1)]
    c = _Checker(path)
    top = c.mapping(root, "", _TOP_KEYS)
    if top is None:
        return None, c.problems
    for key in ("id", "scale", "factors"):
        if key not in top:
            c.problem(root, key, "is required")
    instrument_id = _identifier(c, top["id"], "id") if "id" in top else None
    names = c.text(top["name"], "name") if "name" in top else {}
    scale = _response_scale(c, top["scale"]) if "scale" in top else None

    categories: CategoryScale | None = None
    if "categories" not in top:
        default = category_scale(DEFAULT_PRESET, scale)
        categories = replace(default, source=f"{path} declares no categories, so the neutral default preset "
                                             f"'{DEFAULT_PRESET}' is used: {default.source}")
    elif isinstance(top["categories"], yaml.ScalarNode):
        preset = c.scalar(top["categories"], "categories")
        if preset is not None and preset not in PRESETS:
            c.problem(top["categories"], "categories", f"unknown preset '{preset}' (known: {', '.join(PRESETS)})")
        elif preset is not None:
            categories = category_scale(preset, scale)
    else:
        categories = _inline_bands(c, top["categories"], f"{instrument_id or 'instrument'}-bands", scale)

    attributes: list[str] = []
    if "attributes" in top:
        for i, entry in enumerate(c.sequence(top["attributes"], "attributes") or []):
            name = c.scalar(entry, f"attributes[{i + 1}]")
            if name in attributes:
                c.problem(entry, "attributes", f"'{name}' is listed twice")
            elif name is not None:
                attributes.append(name)

    factors: list[Factor] = []
    factor_nodes: dict[str, Any] = {}
    seen_items: dict[str, str] = {}
    if "factors" in top:
        entries = c.sequence(top["factors"], "factors") or []
        if not entries and isinstance(top["factors"], yaml.SequenceNode):
            c.problem(top["factors"], "factors", "needs at least one factor")
        for i, entry in enumerate(entries):
            factor = _factor(c, entry, i + 1, seen_items)
            if factor is None:
                continue
            if factor.id in factor_nodes:
                c.problem(entry, f"factors.{factor.id}", "this factor id is used twice")
                continue
            factor_nodes[factor.id] = entry
            factors.append(factor)
    for name in attributes:
        if name in seen_items:
            c.problem(top["attributes"], "attributes", f"'{name}' is also an item id")

    overall = _overall(c, top["overall"], factors, factor_nodes) if "overall" in top else None

    if c.problems or instrument_id is None or scale is None or categories is None:
        return None, c.problems
    instrument = Instrument(
        id=instrument_id,
        names=names,
        scale=scale,
        categories=categories,
        factors=tuple(factors),
        overall=overall,
        attributes=tuple(attributes),
        path=path,
    )
    return instrument, []


def _read(path: str | Path) -> tuple[str | None, list[InstrumentError]]:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig"), []
    except FileNotFoundError:
        return None, [InstrumentError("file not found", path=str(path))]
    except IsADirectoryError:
        return None, [InstrumentError("is a directory, not an instrument file", path=str(path))]
    except UnicodeDecodeError as exc:
        return None, [InstrumentError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path))]
    except OSError as exc:
        return None, [InstrumentError(f"cannot be read: {exc.strerror}", path=str(path))]


def check_instrument(path: str | Path) -> list[InstrumentError]:
    """Every problem of an instrument file, in file order; an empty list means it is valid."""
    text, problems = _read(path)
    if text is None:
        return problems
    return _parse(text, str(path))[1]


def parse_instrument(text: str, path: str = "<instrument>") -> Instrument:
    """An instrument from YAML text (e.g. as stored in a project). Raises InstrumentError on the first problem."""
    instrument, problems = _parse(text, path)
    if problems:
        raise problems_error(problems)
    assert instrument is not None
    return instrument


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate an instrument file. Raises InstrumentError naming the first problem (``.problems`` has
    them all)."""
    text, problems = _read(path)
    if text is None:
        raise problems_error(problems)
    return parse_instrument(text, str(path))


def problems_error(problems: list[InstrumentError]) -> InstrumentError:
    """One InstrumentError for a list of problems: the first one's location and message, a count of the rest,
    and ``.problems`` holding them all."""
    first = problems[0]
    if len(problems) > 1:
        first = InstrumentError(
            f"{first.message} (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})",
            path=first.path,
            line=first.line,
            field=first.field,
        )
    first.problems = problems  # type: ignore[attr-defined]
    return first
