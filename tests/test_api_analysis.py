"""The analysis API (freq, cooccur, matrix, quotes, agree) gives what the commands print, on the same project.

For every command and a spread of its options: the command's ``--format json`` rows equal the rows of the
DataFrame the Project method returns (``as_rows``, written as the JSON writer writes them). Then what a notebook
user relies on: statuses as a Python list, errors as exceptions, charts drawn, nothing printed.
"""

from __future__ import annotations

import json
import logging

import pytest

import tematik
import test_agree_cli as agree_data
import test_analysis as analysis_data
from conftest import Cli
from tematik.errors import InputError, NotFound
from tematik.export.tables import as_rows, to_json
from tematik.models import Coding
from tematik.project.analysis import agree_table
from tematik.store import Store
from tematik.store import coding as store_coding
from tematik.store import corpus as store_corpus

COVERED_COMMANDS = {"freq", "cooccur", "matrix", "quotes", "agree"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Cli:
    """The hand-checked project of test_analysis: three documents, a roster, a four-code codebook."""
    tmp = tmp_path_factory.mktemp("analysis")
    cli = Cli(tmp / "project.db")
    for name, text in analysis_data.TEXTS.items():
        (tmp / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp / "manifest.csv").write_text(analysis_data.MANIFEST, encoding="utf-8")
    (tmp / "roster.csv").write_text(analysis_data.ROSTER, encoding="utf-8")
    cli("participants", "import", tmp / "roster.csv")
    cli("import", tmp / "a.txt", tmp / "b.txt", tmp / "c.txt", "--manifest", tmp / "manifest.csv")
    with Store.open(cli.db) as store:
        store_coding.save_codebook(store, name="test", version="1", digest="d1", source="-", fmt="yaml",
                                   codes=analysis_data.CODES)
        rows = []
        for doc, code, text, status, coder, polarity in analysis_data.CODINGS:
            start, end = analysis_data.span(doc, text, after="Kami saling" if text == "percaya. Kami terbuka"
                                            else None)
            rows.append(Coding(document=doc, code=code, start=start, end=end, status=status, coder=coder,
                               polarity=polarity))
        store_coding.add_codings(store, rows)
    return cli


@pytest.fixture(scope="module")
def coders(tmp_path_factory) -> Cli:
    """The two-coder project of test_agree_cli (sentences stored by hand, coders A, B and auto)."""
    tmp = tmp_path_factory.mktemp("agree")
    cli = Cli(tmp / "project.db")
    for name, sentences in (("doc1", agree_data.DOC1), ("doc2", agree_data.DOC2)):
        (tmp / f"{name}.txt").write_text(" ".join(sentences), encoding="utf-8")
        cli("import", tmp / f"{name}.txt", "--language", "id")
    with Store.open(cli.db) as store:
        store_coding.save_codebook(store, name="ks", version="1", digest="test", source="test", fmt="yaml",
                                   codes=[{"id": c, "name": c.title()} for c in agree_data.CODES])
        ids = store_corpus.document_ids_by_name(store)
        sp = {"doc1": agree_data.S1, "doc2": agree_data.S2}
        for name, spans in sp.items():
            store_corpus.save_segments(store, ids[name], "sentence", spans)
        store_coding.add_codings(store, [
            Coding(document=d, code=c, start=sp[d][first][0], end=sp[d][last][1], status=status, coder=who,
                   polarity=polarity)
            for d, c, first, last, who, status, polarity in agree_data.CODINGS])
    return cli


def same(cli: Cli, args: list[str], method: str, **kwargs) -> None:
    """The command's JSON rows (and columns) == the API's DataFrame, as the JSON writer writes it."""
    shown = json.loads(cli(*args, "--format", "json").stdout)
    with tematik.open(cli.db) as p:
        df = getattr(p, method)(**kwargs)
    columns, rows = as_rows(df)
    assert json.loads(to_json(columns, rows)) == shown, (args, kwargs)
    if shown:
        assert list(shown[0]) == columns
    assert df.attrs["title"]


FREQ = [
    ([], {}),
    (["--by", "source_type"], {"by": "source_type"}),
    (["--by", "years", "--value", "pct"], {"by": "years", "value": "pct"}),
    (["--by", "role", "--long", "--sort", "units"], {"by": "role", "long": True, "sort": "units"}),
    (["--by", "document", "--value", "words", "--rollup"], {"by": "document", "value": "words", "rollup": True}),
    (["--sort", "name", "--status", "all"], {"sort": "name", "status": "all"}),
    (["--status", "suggested", "--status", "manual", "--coder", "ana,auto"],
     {"status": ["suggested", "manual"], "coder": ["ana", "auto"]}),
    (["--include-interviewer", "--polarity", "positive", "--source-type", "interview"],
     {"include_interviewer": True, "polarity": "positive", "source_type": "interview"}),
    (["--doc", "a", "--doc", "c", "--language", "id"], {"doc": ["a", "c"], "language": "id"}),
]


@pytest.mark.parametrize(("args", "kwargs"), FREQ)
def test_freq_equals_the_command(project, args, kwargs):
    same(project, ["freq", *args], "freq", **kwargs)


COOCCUR = [
    ([], {}),
    (["--pairs"], {"pairs": True}),
    (["--show", "c", "--status", "all"], {"show": "c", "status": "all"}),
    (["--unit", "document", "--show", "jaccard", "--rollup"], {"unit": "document", "show": "jaccard", "rollup": True}),
    (["--unit", "turn", "--pairs", "--include-interviewer"], {"unit": "turn", "pairs": True,
                                                              "include_interviewer": True}),
]


@pytest.mark.parametrize(("args", "kwargs"), COOCCUR)
def test_cooccur_equals_the_command(project, args, kwargs):
    same(project, ["cooccur", *args], "cooccur", **kwargs)


MATRIX = [
    ([], {}),
    (["--rows", "participant", "--values", "count"], {"rows": "participant", "values": "count"}),
    (["--values", "words", "--rollup", "--status", "accepted,manual,suggested"],
     {"values": "words", "rollup": True, "status": "accepted,manual,suggested"}),
]


@pytest.mark.parametrize(("args", "kwargs"), MATRIX)
def test_matrix_equals_the_command(project, args, kwargs):
    same(project, ["matrix", *args], "matrix", **kwargs)


QUOTES = [
    (["--code", "trust"], {"code": "trust"}),
    (["--code", "Kepercayaan", "--children", "--limit", "2"], {"code": "Kepercayaan", "children": True, "limit": 2}),
    (["--code", "trust", "--code", "openness", "--by", "role"], {"code": ["trust", "openness"], "by": "role"}),
    (["--code", "openness,communication", "--by", "participant", "--status", "all"],
     {"code": "openness,communication", "by": "participant", "status": "all"}),
]


@pytest.mark.parametrize(("args", "kwargs"), QUOTES)
def test_quotes_equals_the_command(project, args, kwargs):
    same(project, ["quotes", *args], "quotes", **kwargs)


AGREE = [
    ([], {}),
    (["--coders", "A,B", "--status", "all"], {"coders": ["A", "B"], "status": "all"}),
    (["--coders", "A,B", "--code", "Kepercayaan"], {"coders": "A,B", "code": ["Kepercayaan"]}),
    (["--reference", "A"], {"reference": "A"}),
    (["--disagreements", "--coders", "A,B"], {"disagreements": True, "coders": "A,B"}),
    (["--unit", "char", "--disagreements"], {"unit": "char", "disagreements": True}),
    (["--unit", "document", "--status", "manual"], {"unit": "document", "status": "manual"}),
    (["--unit", "char", "--bootstrap", "50", "--seed", "7"], {"unit": "char", "bootstrap": 50, "seed": 7}),
]


@pytest.mark.parametrize(("args", "kwargs"), AGREE)
def test_agree_equals_the_command(coders, args, kwargs):
    kwargs = {"bootstrap": 100, **kwargs}
    if "--bootstrap" not in args:
        args = [*args, "--bootstrap", "100"]
    same(coders, ["agree", *args], "agree", **kwargs)


def test_agree_table_needs_no_project(coders, tmp_path):
    good = tmp_path / "codings.csv"
    good.write_text("unit,coder,code\n1,A,x\n1,B,x\n2,A,\n2,B,y\n3,A,y\n3,B,y\n", encoding="utf-8")
    missing = tmp_path / "nowhere.db"
    for args, kwargs in (([], {}), (["--reference", "A"], {"reference": "A"}),
                         (["--disagreements"], {"disagreements": True})):
        shown = json.loads(Cli(missing)("agree", "--table", good, *args, "--bootstrap", "20", "--format",
                                        "json").stdout)
        df = agree_table(good, bootstrap=20, **kwargs)
        assert json.loads(to_json(*as_rows(df))) == shown
        with tematik.open(coders.db) as p:  # the method reads the same file the same way
            assert json.loads(to_json(*as_rows(p.agree(table=good, bootstrap=20, **kwargs)))) == shown
    assert not missing.exists()
    with pytest.raises(InputError) as err:
        agree_table(good, unit="sentence")
    assert err.value.field == "--unit"


# --------------------------------------------------------------------------- as a library


@pytest.fixture
def quiet(monkeypatch):
    """The tematik logger as a notebook has it: no CLI handler (an earlier CLI run in this process installs
    one), messages passed to the root logger, where caplog sees them."""
    logger = logging.getLogger("tematik")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", True)
    return logger


def test_charts_are_drawn_and_said_without_printing(project, tmp_path, quiet, caplog, capsys):
    chart = tmp_path / "freq.png"
    heat = tmp_path / "co.svg"
    with caplog.at_level(logging.INFO, logger="tematik"), tematik.open(project.db) as p:
        df = p.freq(by="role", chart=chart)
        p.cooccur(status=["accepted", "manual", "suggested"], chart=heat)
    assert chart.stat().st_size > 1000 and heat.read_text(encoding="utf-8").startswith("<?xml")
    assert f"wrote {chart}" in caplog.text and f"wrote {heat}" in caplog.text
    assert capsys.readouterr() == ("", "")
    assert df.attrs["groups"] == [c for c in df.columns if c not in ("code", "name", "total", "statuses")]
    # the CLI draws the same chart
    cli_chart = tmp_path / "cli.png"
    project("freq", "--by", "role", "--chart", cli_chart)
    assert cli_chart.read_bytes() == chart.read_bytes()


def test_statuses_as_python_values_and_the_meaning_of_all(project, coders):
    with tematik.open(project.db) as p:
        listed = p.freq(status=["accepted", "suggested"])
        assert listed["statuses"].iloc[0] == "accepted,suggested"
        assert p.freq(status="all")["statuses"].iloc[0] == "suggested,accepted,manual"  # never rejected
        assert p.freq(status=("rejected",))["units"].sum() == 1
        assert "UNREVIEWED" in p.freq(status="suggested").attrs["caption"]
    with tematik.open(coders.db) as p:  # agree: all = every status, rejected included
        from tematik import agreement as ag

        every = {r["code"]: r for r in as_rows(p.agree(coders="A,B", status="all", bootstrap=0))[1]}
        # komunikasi: A's rejected coding of sentence 0 counts: both 2, A only 1, neither 7
        assert every["komunikasi"]["cohen_kappa"] == pytest.approx(ag.cohen_kappa_table([[2, 1], [0, 7]]).value)
        listed = {r["code"]: r for r in as_rows(p.agree(coders=["A", "B"], bootstrap=0,
                                                        status=["suggested", "accepted", "manual", "rejected"]))[1]}
        assert listed["komunikasi"]["cohen_kappa"] == every["komunikasi"]["cohen_kappa"]
        assert p.agree(reference="A", coders="B").attrs["mode"] == "reference"


def test_bad_options_raise_domain_errors(project, coders, tmp_path):
    with tematik.open(project.db) as p:
        for call, field in ((lambda: p.freq(status="maybe"), "--status"),
                            (lambda: p.freq(by="shoe_size"), "--by"),
                            (lambda: p.freq(value="median"), "--value"),
                            (lambda: p.freq(chart=tmp_path / "x.gif"), "--chart"),
                            (lambda: p.cooccur(unit="page"), "--unit"),
                            (lambda: p.matrix(rows="coder"), "--rows"),
                            (lambda: p.quotes("trust", limit=0), "--limit"),
                            (lambda: p.freq(polarity="neutral"), "--polarity")):
            with pytest.raises(InputError) as err:
                call()
            assert err.value.field == field
        with pytest.raises(NotFound):
            p.quotes("no-such-code")
        with pytest.raises(NotFound):
            p.freq(doc="no-such-document")
    with tematik.open(coders.db) as p:
        with pytest.raises(InputError):
            p.agree(reference="A", disagreements=True)
        with pytest.raises(InputError):
            p.agree(unit="page")
