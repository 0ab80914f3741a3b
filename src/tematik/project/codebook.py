"""The project API for codebooks: validate, load, show, export, versions.

``validate_codebook(path)`` needs no project; the rest are methods of :class:`tematik.project.Project`
(``p.load_codebook(path)``, ``p.show_codebook()``, ``p.export_codebook()``, ``p.codebook_versions()``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tematik.errors import CodebookError, InputError, NotFound
from tematik.project._base import ProjectBase, log

if TYPE_CHECKING:
    import pandas as pd

    from tematik.models import Codebook, Problem

#: The formats :meth:`CodebookMixin.export_codebook` writes (``codebook export --format``).
EXPORT_FORMATS = ("yaml", "md", "csv")
#: The columns of :meth:`CodebookMixin.show_codebook` (``codebook show --format json``).
SHOW_COLUMNS = ["id", "name", "parent", "active", "factors", "definition", "suggested", "accepted", "manual",
                "rejected"]
#: The columns of :meth:`CodebookMixin.codebook_versions` (``codebook versions --format json``).
VERSION_COLUMNS = ["id", "name", "version", "hash", "format", "loaded", "loaded_by"]


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CodebookValidation:
    """What ``validate_codebook(path)`` found: ``problems`` (each prints as ``file:line: field: message``),
    empty when the file is valid; ``ok`` says so. ``unchecked_factors``: the questionnaire factors the codes link
    to when the file has no ``factors`` list (they are checked when the codebook is loaded into a project that has
    an instrument); ``note`` says that in words (or is None)."""

    path: Path
    problems: tuple[Problem, ...] = ()
    unchecked_factors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def note(self) -> str | None:
        if not self.unchecked_factors:
            return None
        return (f"no factors list: the links to {', '.join(self.unchecked_factors)} are checked against the "
                "project's questionnaire instrument when the codebook is loaded into a project that has one")


@dataclass(frozen=True)
class CodebookFile:
    """A codebook file read and checked, ready to be stored: what :func:`read_codebook` returns and
    :meth:`CodebookMixin.load_codebook` takes (as well as a path). ``codes`` are the store's code dicts (id, name,
    parent, colour, definition, data); ``codebook`` is the parsed codebook of a YAML file (None for a .qdc)."""

    path: Path
    name: str
    version: str | None
    format: str  # "yaml" or "qdc"
    digest: str
    source: str
    codes: tuple[dict[str, Any], ...]
    codebook: Codebook | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CodebookLoad:
    """What ``load_codebook`` did: the codebook's ``name`` and ``version``, its number of ``codes``, and whether
    it ``changed`` the project (False: the same codebook was loaded already, nothing was stored)."""

    name: str
    version: str | None
    codes: int
    changed: bool
    format: str


# --------------------------------------------------------------------------- functions without a project

def validate_codebook(path: str | os.PathLike[str]) -> CodebookValidation:
    """Check a codebook file (``tematik codebook validate FILE``): every problem, with file, line and field.
    Never raises for a bad file: look at ``.ok`` and ``.problems``."""
    from tematik.codebook import load_codebook, validate_file

    path = Path(path)
    problems = validate_file(path)
    if problems:
        return CodebookValidation(path, tuple(problems))
    cb = load_codebook(path)
    linked = sorted({f.factor for c in cb.codes for f in c.factors})
    return CodebookValidation(path, (), tuple(linked) if linked and not cb.factors else ())


def code_rows(cb: Codebook) -> list[dict[str, Any]]:
    """The store's view of a codebook's codes: id, name, parent, colour, definition, data (everything)."""
    from tematik.codebook import codebook_data

    data = {c["id"]: c for c in codebook_data(cb).get("codes", [])}
    lang = cb.languages[0] if cb.languages else None
    return [{"id": c.id, "name": c.label(lang), "parent": c.parent, "colour": c.colour,
             "definition": c.definition.get(lang) if lang else next(iter(c.definition.values()), None),
             "data": data.get(c.id, {})} for c in cb.codes]


def read_codebook(path: str | os.PathLike[str]) -> CodebookFile:
    """Read and check a codebook file (.yaml/.yml, or a REFI-QDA .qdc) without storing it. Raises InputError for a
    missing file, CodebookError for a codebook that does not validate. What a .qdc file holds that tematik does
    not keep is logged as warnings; code names that differ only in case are noted (they stay separate codes)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=str(path))
    if path.suffix.lower() == ".qdc":
        from tematik import refi

        qdc_warnings: list[str] = []
        name, version, codes, source = refi.read_qdc(path, warnings=qdc_warnings)
        for w in qdc_warnings:
            log.warning(w)
        alike: dict[tuple[str | None, str], list[str]] = {}
        for c in codes:
            alike.setdefault((c.get("parent"), str(c["name"]).casefold()), []).append(str(c["name"]))
        for names in alike.values():
            if len(names) > 1:
                log.info(f"{path}: codes whose names differ only in case are kept as separate codes: "
                         + ", ".join(repr(n) for n in names))
        return CodebookFile(path, name, version, "qdc", refi.source_hash(source), source, tuple(codes))
    from tematik.codebook import codebook_hash, load_codebook

    cb = load_codebook(path)
    source = path.read_text(encoding="utf-8-sig")
    return CodebookFile(path, cb.name, cb.version, "yaml", codebook_hash(cb), source, tuple(code_rows(cb)), cb)


# --------------------------------------------------------------------------- the project's codebook

class CodebookMixin(ProjectBase):
    """The project's codebook and its versions."""

    def load_codebook(self, file: str | os.PathLike[str] | CodebookFile) -> CodebookLoad:
        """Store a codebook in the project (``tematik codebook load FILE``): a YAML codebook or a REFI-QDA .qdc
        file (or what :func:`read_codebook` returned). Code ids stay stable; a changed file is recorded as a new
        version, an unchanged one changes nothing. A YAML codebook's links to questionnaire factors must name
        factors of the project's instrument(s), if it has any (CodebookError otherwise, and nothing is stored)."""
        from tematik.store import coding as store_coding

        read = file if isinstance(file, CodebookFile) else read_codebook(file)
        codes = list(read.codes)
        if read.codebook is not None:
            self._check_links_against_instruments(read.codebook)
        if read.format == "qdc":
            codes = store_coding.reuse_code_ids(self.store, codes)
        _, changed = store_coding.save_codebook(self.store, name=read.name, version=read.version, digest=read.digest,
                                                source=read.source, fmt=read.format, codes=codes)
        return CodebookLoad(read.name, read.version, len(codes), changed, read.format)

    def _check_links_against_instruments(self, cb: Codebook) -> None:
        """A codebook's factor links must name factors of the project's questionnaire instrument(s), if any."""
        from tematik.codebook import check_factor_links
        from tematik.instrument import parse_instrument
        from tematik.store import survey as store_survey

        rows = store_survey.instruments(self.store)
        if not rows:
            return
        factors: list[str] = []
        for row in rows:
            source = store_survey.instrument_row(self.store, row["name"])["source"]
            instrument = parse_instrument(source, f"<instrument {row['name']}>")
            factors += [f.id for f in instrument.scored if f.id not in factors]
        names = ", ".join(repr(r["name"]) for r in rows)
        problems = check_factor_links(cb, factors, f"the project's instrument {names}")
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise CodebookError(first.message + more, path=first.path, line=first.line, field=first.field)

    def show_codebook(self) -> pd.DataFrame:
        """The code tree (``tematik codebook show``): one row per code, parents before their children.

        Columns: ``id``, ``name``, ``parent`` (the parent code's id or None), ``active`` (False for codes a later
        codebook version dropped; their codings are kept), ``factors`` (the questionnaire factors the code links
        to, comma-separated), ``definition``, and the number of codings by status: ``suggested``, ``accepted``,
        ``manual``, ``rejected``. ``attrs["title"]`` names the codebook and its version. Raises NotFound when
        the project has no codes."""
        import pandas as pd

        from tematik.store import coding as store_coding

        codes = store_coding.list_codes(self.store)
        latest = store_coding.latest_codebook(self.store)
        if not codes:
            raise NotFound("no codes in this project; load a codebook with `tematik codebook load FILE`")
        rows = [{"id": c["id"], "name": c["name"], "parent": c["parent"], "active": bool(c["active"]),
                 "factors": ", ".join(f.get("factor", "") for f in c["data"].get("factors", []) or []),
                 "definition": c["definition"], "suggested": c["suggested"], "accepted": c["accepted"],
                 "manual": c["manual"], "rejected": c["rejected"]} for c in _tree_order(codes)]
        frame = pd.DataFrame(rows, columns=SHOW_COLUMNS, dtype=object)
        for column in ("suggested", "accepted", "manual", "rejected"):
            frame[column] = frame[column].astype("int64")
        frame["active"] = frame["active"].astype(bool)
        frame.attrs["title"] = f"Codebook {latest['name']} (version {latest['version']})" if latest else "Codes"
        return frame

    def export_codebook(self, output: str | os.PathLike[str] | None = None, *, format: str = "yaml") -> str:  # noqa: A002
        """The project's codebook as text (``tematik codebook export``): ``format`` yaml (loadable again), md or
        csv. With ``output`` the text is also written to that file (whole or not at all). Returns the text.
        Raises NotFound without a codebook, CodebookError for one loaded from a .qdc file (no rules to write)."""
        from tematik.codebook import dump_codebook

        fmt = str(getattr(format, "value", format))
        if fmt not in EXPORT_FORMATS:
            raise InputError(f"unknown format {fmt!r}; expected {', '.join(EXPORT_FORMATS)}", field="--format")
        cb, _ = self._codebook()
        text = dump_codebook(cb, fmt)
        if output is not None:
            from tematik.fileio import write_text

            write_text(Path(output), text)
            log.info(f"wrote {output}")
        return text

    def codebook_versions(self) -> pd.DataFrame:
        """Every codebook version loaded into the project, oldest first (``tematik codebook versions``).

        Columns: ``id``, ``name``, ``version``, ``hash`` (of the codebook's content), ``format`` (yaml or qdc),
        ``loaded`` (when, UTC ISO time), ``loaded_by``."""
        import pandas as pd

        from tematik.store import coding as store_coding

        rows = store_coding.codebook_versions(self.store)
        frame = pd.DataFrame(rows, columns=VERSION_COLUMNS, dtype=object)
        if rows:
            frame["id"] = frame["id"].astype("int64")
        frame.attrs["title"] = "Codebook versions"
        return frame


def _tree_order(codes: list[dict]) -> list[dict]:
    kids: dict[str | None, list[dict]] = {}
    for c in codes:
        kids.setdefault(c["parent"], []).append(c)
    out: list[dict] = []

    def walk(p: str | None) -> None:
        for c in kids.get(p, []):
            out.append(c)
            walk(c["id"])

    walk(None)
    return out + [c for c in codes if c not in out]


__all__ = ["EXPORT_FORMATS", "CodebookFile", "CodebookLoad", "CodebookMixin", "CodebookValidation", "code_rows",
           "read_codebook", "validate_codebook"]
