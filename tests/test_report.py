"""The findings report: every section in every format, self-contained HTML, and the report's tables against the
numbers the individual commands print (survey score, freq, triangulate, by-theme, agree)."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tematik.report import SECTION_KEYS
from test_triangulate import build_project


class ReportHTML(HTMLParser):
    """Sections (id -> h2 text), tables (data-table -> header texts and rows of cell texts), images, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, str] = {}
        self.tables: dict[str, dict] = {}
        self.images: list[str] = []
        self.external: list[str] = []
        self.stack: list[str] = []
        self._section: str | None = None
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._h2: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("br", "img", "meta", "link"):
            self.stack.append(tag)
        if tag == "section":
            self._section = a.get("id")
        elif tag == "h2":
            self._h2 = []
        elif tag == "table":
            self._table = {"section": self._section, "headers": [], "rows": []}
            self.tables[a.get("data-table")] = self._table
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("link", "script") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            raise AssertionError(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        if tag == "h2" and self._h2 is not None:
            self.sections[self._section] = "".join(self._h2)
            self._h2 = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if not self._table["headers"]:
                self._table["headers"] = self._row
            else:
                self._table["rows"].append(dict(zip(self._table["headers"], self._row, strict=True)))
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def parse(path: Path) -> ReportHTML:
    parser = ReportHTML()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.stack == ["html"] or parser.stack == [], parser.stack
    return parser


@pytest.fixture
def project(cli, tmp_path):
    build_project(cli, tmp_path / "files")
    return cli


@pytest.fixture
def written(project, tmp_path):
    out = tmp_path / "report"
    project("report", "--output", out)
    return project, out


def one_decimal(value) -> str:
    return "" if value is None else f"{value:.1f}"


def jrows(cli, *args):
    return json.loads(cli(*args, "--format", "json").stdout)


def test_report_writes_four_formats_and_charts(written):
    _, out = written
    for name in ("report.html", "report.md", "report.xlsx", "report.docx", "charts/theme_frequencies.png",
                 "charts/cooccurrence.png", "charts/factor_scores.png"):
        assert (out / name).stat().st_size > 0, name


def test_html_parses_holds_every_section_and_is_self_contained(written):
    _, out = written
    page = parse(out / "report.html")
    assert list(page.sections) == list(SECTION_KEYS)
    assert page.external == []
    assert len(page.images) == 3 and all(src.startswith("data:image/png;base64,") for src in page.images)
    for key in ("corpus", "codebook", "link_rationale", "frequencies", "cooccurrence", "factor_scores",
                "convergence_summary", "joint_display", "convergence_reasons", "link_judgements", "by_theme"):
        assert key in page.tables, key
        assert page.tables[key]["rows"], key
    assert "agreement" not in page.tables  # one coder only
    assert {t["section"] for k, t in page.tables.items() if k.startswith("quotes_")} == {"quotes"}


def test_report_tables_match_what_the_commands_print(written):
    cli, out = written
    page = parse(out / "report.html")

    scores = {r["factor"]: r for r in jrows(cli, "survey", "score")}
    shown = {r["factor"]: r for r in page.tables["factor_scores"]["rows"]}
    assert set(shown) == set(scores)
    for factor, r in scores.items():
        assert shown[factor]["percent"] == f"{r['percent']:.1f}"
        assert shown[factor]["category"] == r["category"]

    freq = {r["code"]: r for r in jrows(cli, "freq")}
    shown = {r["code"]: r for r in page.tables["frequencies"]["rows"]}
    for code, r in freq.items():
        assert shown[code]["coded units"] == str(r["units"])
        assert shown[code]["participants"] == str(r["participants"])
        assert shown[code]["could speak"] == str(r["eligible"])
        assert shown[code]["words"] == str(r["words"])

    joint = {r["name"]: r for r in jrows(cli, "triangulate")}
    shown = {r["theme / factor"]: r for r in page.tables["joint_display"]["rows"]}
    assert set(shown) == set(joint)
    for name, r in joint.items():
        assert shown[name]["computed code"] == r["computed"]
        if r["participants_pct"] is not None:
            assert shown[name]["voiced by (n/N, %)"] == (f"{r['participants']}/{r['participants_total']} "
                                                         f"({r['participants_pct']:.0f}%)")
    summary = {r["convergence"]: r for r in page.tables["convergence_summary"]["rows"]}
    for code in ("agreement", "partial agreement", "silence", "dissonance"):
        assert summary[code]["computed"] == str(sum(r["computed"] == code for r in joint.values()))

    by_theme = jrows(cli, "triangulate", "by-theme")
    shown = page.tables["by_theme"]["rows"]
    assert len(shown) == len(by_theme)
    for mine, theirs in zip(shown, by_theme, strict=True):
        assert (mine["theme"], mine["factor"]) == (theirs["theme"], theirs["factor"])
        assert mine["voiced: mean"] == one_decimal(theirs["voiced_mean"])
        assert mine["not voiced: mean"] == one_decimal(theirs["not_voiced_mean"])
        assert mine["difference"] == one_decimal(theirs["difference"])
        assert mine["voiced: median"] == one_decimal(theirs["voiced_median"])
        assert mine["note"] == theirs["note"]

    matrix = {r["code"]: r for r in jrows(cli, "cooccur")}
    pairs = page.tables["cooccurrence"]["rows"]
    assert len(pairs) == len(matrix) * (len(matrix) - 1) // 2
    for pair in pairs:
        assert pair["n ab"] == str(matrix[pair["code a"]][pair["code b"]])
        assert pair["n a"] == str(matrix[pair["code a"]][pair["code a"]])


def test_markdown_xlsx_and_docx_hold_the_same_tables(written):
    _, out = written
    from docx import Document
    from openpyxl import load_workbook

    page = parse(out / "report.html")
    md = (out / "report.md").read_text(encoding="utf-8")
    for title in page.sections.values():
        assert f"\n## {title}\n" in md
    for image in ("charts/theme_frequencies.png", "charts/cooccurrence.png", "charts/factor_scores.png"):
        assert f"]({image})" in md

    book = load_workbook(out / "report.xlsx", read_only=True)
    assert book.sheetnames[0] == "contents"
    assert set(page.tables) <= {name for name in book.sheetnames}
    sheet = book["joint_display"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [r["computed code"] for r in rows] == [r["computed code"] for r in page.tables["joint_display"]["rows"]]

    doc = Document(str(out / "report.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == list(page.sections.values())
    assert len(doc.tables) == len(page.tables)
    assert len(doc.inline_shapes) == 3


def test_report_says_plainly_when_it_counts_suggestions(written, tmp_path):
    cli, _ = written
    cli("autocode")
    out = tmp_path / "with-suggestions"
    r = cli("report", "--output", out, "--status", "suggested,accepted,manual")
    assert "UNREVIEWED" in r.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("INCLUDE UNREVIEWED SUGGESTIONS") >= 3  # about, frequencies, joint display ...
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "INCLUDE UNREVIEWED SUGGESTIONS" in md


def test_report_shows_overrides_and_meta_inferences(written, tmp_path):
    cli, _ = written
    cli("triangulate", "set", "openness", "--convergence", "dissonance", "--note", "climate talk is bitter",
        "--coder", "budi")
    cli("triangulate", "infer", "trust", "--text", "Trust carries the sharing.")
    out = tmp_path / "again"
    cli("report", "--output", out)
    page = parse(out / "report.html")
    row = next(r for r in page.tables["joint_display"]["rows"] if r["theme / factor"] == "Keterbukaan")
    assert (row["computed code"], row["researcher's code"]) == ("partial agreement", "dissonance")
    reason = next(r for r in page.tables["convergence_reasons"]["rows"] if r["theme / factor"] == "Keterbukaan")
    assert reason["override: who (date): why"].startswith("budi (") and "climate talk is bitter" in \
        reason["override: who (date): why"]
    trust = next(r for r in page.tables["joint_display"]["rows"] if r["theme / factor"] == "Kepercayaan")
    assert trust["meta-inference"] == "Trust carries the sharing."
    summary = {r["convergence"]: r for r in page.tables["convergence_summary"]["rows"]}
    assert summary["dissonance"]["after overrides"] == str(int(summary["dissonance"]["computed"]) + 1)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "overridden" in html and "superseded" in html  # the computed code is struck through, the override outlined


def test_agreement_section_with_two_coders_matches_agree(written, tmp_path):
    cli, _ = written
    cli("code", "add", "wawancara_P1", "trust", "--match", "Kami saling percaya di sini.", "--coder", "budi")
    cli("code", "add", "wawancara_P2", "openness", "--match", "Saya percaya rekan saya", "--coder", "budi")
    out = tmp_path / "two"
    cli("report", "--output", out)
    page = parse(out / "report.html")
    table = page.tables["agreement"]
    agree = {r["code"]: r for r in jrows(cli, "agree", "--status", "accepted,manual")}
    shown = {r["code"]: r for r in table["rows"]}
    assert set(agree) <= set(shown)
    for code, r in agree.items():
        if r["krippendorff_alpha"] is not None:
            assert shown[code]["krippendorff alpha"] == f"{r['krippendorff_alpha']:.3f}"


def test_report_without_a_questionnaire_is_still_written(cli, tmp_path):
    doc = tmp_path / "w.txt"
    doc.write_text("Pewawancara: Apa kabar?\nBu Ani: Kami saling percaya.\n", encoding="utf-8")
    cli("import", doc, "--participant", "P1", "--language", "id", "--speaker", "Pewawancara=interviewer")
    book = tmp_path / "cb.yaml"
    book.write_text("name: x\nversion: '1'\nlanguages: [id]\nfactors: [sharing]\ncodes:\n  - id: trust\n"
                    "    name: {id: Kepercayaan}\n    rules: {id: {terms: [percaya]}}\n"
                    "    factors: [{factor: sharing, direction: positive}]\n",
                    encoding="utf-8")
    cli("codebook", "load", book)
    cli("code", "add", "w", "trust", "--match", "saling percaya")
    out = tmp_path / "r"
    r = cli("report", "--output", out)
    assert "questionnaire side is silent" in r.stderr
    page = parse(out / "report.html")
    assert list(page.sections) == list(SECTION_KEYS)
    assert page.tables["joint_display"]["rows"][0]["computed code"] == "silence"


def test_triangulate_and_report_help_stay_light():
    code = ("import sys; from typer.testing import CliRunner; from tematik.cli import app; "
            "r1 = CliRunner().invoke(app, ['triangulate', '--help']); r2 = CliRunner().invoke(app, ['report', "
            "'--help']); print(r1.exit_code, r2.exit_code, [m for m in ('pandas', 'matplotlib', 'docx', 'openpyxl') "
            "if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0 0 []", done.stdout + done.stderr


def test_demo_prints_the_joint_display_and_writes_the_report(tmp_path):
    from typer.testing import CliRunner

    from tematik.cli import app

    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "triangulation" in result.output and "Why each code" in result.output
    assert "The demo counts UNREVIEWED auto-coding suggestions" in result.output
    page = parse(out / "report" / "report.html")
    assert list(page.sections) == list(SECTION_KEYS)
    themes = [r for r in page.tables["joint_display"]["rows"] if r["voiced by (n/N, %)"]]
    assert len(themes) == 6
    # the report's joint display is the one `tematik triangulate` prints for the same statuses
    shown = json.loads(CliRunner().invoke(app, ["triangulate", "--format", "json", "--status", "all", "--db",
                                                str(out / "tematik.db")]).stdout)
    assert [r["computed"] for r in shown] == [r["computed code"] for r in page.tables["joint_display"]["rows"]]
    md = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert "INCLUDE UNREVIEWED SUGGESTIONS" in md
    # the demo has the auto-coder's suggestions and no person's coding: no agreement, said plainly (issue 12)
    assert "agreement" not in page.tables
    assert "no person has codings" in md and "are not a second coder" in md
