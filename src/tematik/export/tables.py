"""Tables as text and files: csv, json, md, xlsx. Rows are dicts (or a pandas DataFrame), columns ordered.

CSV and XLSX cells that begin with ``= + - @`` (or a tab / carriage return) are prefixed with ``'`` so that a
spreadsheet shows them as text instead of running them as formulas (OWASP "CSV injection"). Numbers are not
touched, so a negative number stays a number. XLSX cells also lose control characters (openpyxl refuses them)
and Markdown cells are escaped: the helpers are :mod:`tematik.escape`'s, one per format.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tematik.escape import FORMULA_PREFIXES, csv_cell, md_cell, xlsx_cell
from tematik.fileio import atomic_open

__all__ = ["FORMULA_PREFIXES", "as_rows", "neutralise", "plain", "render", "to_csv", "to_json", "to_markdown",
           "write_xlsx"]
TEXT_FORMATS = ("csv", "json", "md")
FILE_FORMATS = ("xlsx",)


def as_rows(data: Any, columns: Sequence[str] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows) from a list of dicts or a DataFrame."""
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        cols = [str(c) for c in data.columns]
        rows = [{str(k): plain(v) for k, v in r.items()} for r in data.to_dict(orient="records")]
        return list(columns or cols), rows
    rows = [dict(r) for r in data]
    if columns is None:
        columns = list(rows[0].keys()) if rows else []
    return list(columns), rows


def plain(v: Any) -> Any:
    """numpy/pandas scalars -> Python; NaN, NA and NaT -> None."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    try:  # pandas NA / NaT compare unequal to themselves (or refuse to compare)
        if v is not None and not isinstance(v, (str, bytes, list, tuple, dict)) and v != v:
            return None
    except (TypeError, ValueError):
        pass
    return v


neutralise = csv_cell  # the name writers used before tematik.escape


def to_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(c) for c in columns])
    for r in rows:
        w.writerow(["" if r.get(c) is None else neutralise(_text(r.get(c))) for c in columns])
    return buf.getvalue()


def to_json(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps([{c: plain(r.get(c)) for c in columns} for r in rows], ensure_ascii=False, indent=2,
                      default=str) + "\n"


def to_markdown(columns: Sequence[str], rows: Sequence[dict[str, Any]], *, decimals: int = 1) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.{decimals}f}"
        if isinstance(v, (int, bool)):
            return str(v)
        return md_cell(_text(v))

    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) and rows for c in columns]
    out = ["| " + " | ".join(md_cell(c) for c in columns) + " |",
           "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    out += ["| " + " | ".join(cell(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(out) + "\n"


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[str], Sequence[dict[str, Any]]]]) -> None:
    """One sheet per table; header bold and frozen; formula-like text neutralised."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(_sheet_name(name, wb.sheetnames))
        ws.append([xlsx_cell(c) for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([xlsx_cell(_xlsx_value(r.get(c))) for c in columns])
        ws.freeze_panes = "A2"
        for i, c in enumerate(columns, start=1):
            width = max([len(str(c))] + [min(len(str(r.get(c) or "")), 60) for r in rows[:200]])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width + 2
    with atomic_open(path, "wb") as fh:  # whole or not at all
        wb.save(fh)


def _sheet_name(name: str, taken: list[str]) -> str:
    base = "".join(ch for ch in xlsx_cell(name) if ch not in "[]:*?/\\'")[:31].strip() or "Sheet"
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base[:28]}_{n}"
        n += 1
    return candidate


def _xlsx_value(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v


def _text(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    return v


def render(fmt: str, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """Text formats: csv, json, md."""
    if fmt == "csv":
        return to_csv(columns, rows)
    if fmt == "json":
        return to_json(columns, rows)
    if fmt == "md":
        return to_markdown(columns, rows)
    raise ValueError(f"not a text format: {fmt}")
