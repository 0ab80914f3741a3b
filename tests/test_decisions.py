"""Review decisions mean what they say (issue 12, items 2 and 3), through the real CLI on a real project file.

A second study written here: nurses on two hospital wards talk about their work (codes workload, teamwork,
burnout; English; an interviewer and two nurses). The reviewer who accepts, rejects or recodes a suggestion becomes
its coder, where it came from stays in suggested_by / suggested_code / codebook_hash; a rejection, a changed code
and a removed suggestion are remembered by the text, span and code, so autocode never brings them back; coding
ids are never reused, autocode --redo keeps the id of a suggestion it makes again, and --id on a coding that is
gone or already decided is refused saying what became of it, with the database unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import Cli, digest
from tematik.corpus import sha256
from tematik.errors import Conflict, NotFound
from tematik.store import APPLICATION_ID, Store
from tematik.store.schema import SCHEMA_VERSION

CODEBOOK = """\
name: Ward work
version: "1"
languages: [en]
codes:
  - id: workload
    name: {en: Workload}
    definition: {en: "Too much work on the ward: understaffed shifts, overtime, too many patients per nurse."}
    rules:
      en:
        terms: [workload, understaffed, overtime]
  - id: teamwork
    name: {en: Teamwork}
    definition: {en: "Nurses help each other, cover for each other and work as a team."}
    rules:
      en:
        terms: [help each other, teamwork]
  - id: burnout
    name: {en: Burnout}
    definition: {en: "Exhaustion, sleeplessness and feeling burnt out from the work."}
    rules:
      en:
        terms: [exhausted, burnt out]
"""

WARDS = {
    "ward_a": [
        ("Interviewer", "How is the workload on your ward?"),
        ("Nurse A", "The workload is heavy every night. We are understaffed on weekends. "
                    "I did overtime three times last week."),
        ("Interviewer", "Do your colleagues support you?"),
        ("Nurse A", "We help each other when a patient falls. Teamwork is what keeps us going. "
                    "I am exhausted after a double shift."),
        ("Interviewer", "How do you sleep?"),
        ("Nurse A", "Some weeks I feel burnt out. The canteen closes early."),
    ],
    "ward_b": [
        ("Interviewer", "Tell me about the last month."),
        ("Nurse B", "Overtime is normal here. The teamwork on the surgical side is weak. I feel exhausted most days."),
        ("Interviewer", "Who helps you?"),
        ("Nurse B", "The senior nurses help each other with the heavy patients. We are understaffed again."),
    ],
}


def transcript(turns: list[tuple[str, str]]) -> str:
    return "\n".join(f"{who}: {what}" for who, what in turns) + "\n"


def write_study(folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    (folder / "ward.yaml").write_text(CODEBOOK, encoding="utf-8")
    paths = []
    for name, turns in WARDS.items():
        path = folder / f"{name}.txt"
        path.write_text(transcript(turns), encoding="utf-8")
        paths.append(path)
    return paths


def rows(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


def table(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def find(cli: Cli, code: str, text: str, *, doc: str = "ward_a", status: str = "all") -> dict:
    """The one coding of ``code`` in ``doc`` whose text contains ``text``."""
    hits = [r for r in rows(cli, "--status", status, "--doc", doc) if r["code"] == code and text in r["text"]]
    assert len(hits) == 1, (code, text, hits)
    return hits[0]


def open_keys(cli: Cli, doc: str | None = None) -> set[tuple[str, str, int, int]]:
    extra = ("--doc", doc) if doc else ()
    return {(r["document"], r["code"], r["start"], r["end"]) for r in rows(cli, "--status", "suggested", *extra)}


@pytest.fixture
def ward(tmp_path, monkeypatch) -> Cli:
    """Both wards imported (Interviewer is the interviewer), the codebook loaded, auto-coded."""
    monkeypatch.delenv("TEMATIK_CODER", raising=False)
    paths = write_study(tmp_path / "study")
    cli = Cli(tmp_path / "ward.db")
    cli("import", *paths, "--language", "en", "--interviewer", "Interviewer")
    cli("codebook", "load", tmp_path / "study" / "ward.yaml")
    cli("autocode")
    return cli


# --------------------------------------------------------------------------- the reviewer becomes the coder

def test_accepting_and_rejecting_make_the_reviewer_the_coder_and_keep_where_it_came_from(ward, monkeypatch):
    suggested = rows(ward, "--status", "suggested")
    assert {r["coder"] for r in suggested} == {"auto"} and {r["suggested_by"] for r in suggested} == {"auto"}
    heavy = find(ward, "workload", "The workload is heavy")
    canteen_free = find(ward, "burnout", "burnt out")
    ward("code", "accept", "--id", heavy["id"], "--coder", "sari")
    ward("code", "reject", "--id", canteen_free["id"], "--coder", "budi")
    monkeypatch.setenv("TEMATIK_CODER", "wayan")
    out = ward("code", "accept", "--code", "teamwork", "--doc", "ward_b")
    assert out.stdout == "accepted 2 suggestion(s)\n"
    by_id = {r["id"]: r for r in rows(ward)}
    assert (by_id[heavy["id"]]["status"], by_id[heavy["id"]]["coder"], by_id[heavy["id"]]["suggested_by"]) == \
        ("accepted", "sari", "auto")
    assert (by_id[canteen_free["id"]]["status"], by_id[canteen_free["id"]]["coder"]) == ("rejected", "budi")
    team_b = [r for r in by_id.values() if r["code"] == "teamwork" and r["document"] == "ward_b"]
    assert {(r["status"], r["coder"], r["suggested_by"]) for r in team_b} == {("accepted", "wayan", "auto")}
    # provenance in its own fields: the rule, the code suggested and the codebook version are kept
    version = table(ward.db, "SELECT hash FROM codebooks ORDER BY id DESC LIMIT 1")[0][0]
    for cid in (heavy["id"], canteen_free["id"]):
        rule, origin, code, suggested_code, cb = table(
            ward.db, "SELECT rule, origin, code_id, suggested_code, codebook_hash FROM codings WHERE id = ?",
            (cid,))[0]
        assert rule == origin and rule.startswith(f"{code}/en/") and suggested_code == code
        assert cb == version
    # "who rejected" is on the remembered rejection and in the log too
    assert table(ward.db, "SELECT code_id, who, reason FROM rejections") == [("burnout", "budi", "rejected")]
    log = json.loads(ward("log", "--entity", "coding", "--format", "json").stdout)
    assert {(e["action"], e["who"]) for e in log} >= {("accepted", "sari"), ("rejected", "budi"),
                                                     ("accepted", "wayan")}
    # open suggestions are still the auto-coder's: the summary and `codings --coder auto` find exactly them
    still_open = rows(ward, "--status", "suggested")
    with tematik.open(ward.db) as p:
        summary = p.suggestion_summary()
    assert int(summary["suggestions"].sum()) == len(still_open) == len(suggested) - 4
    assert {r["id"] for r in rows(ward, "--coder", "auto")} == {r["id"] for r in still_open}
    # a manual coding has no suggested_by
    ward("code", "add", "ward_a", "burnout", "--match", "I am exhausted after a double shift.", "--coder", "sari")
    manual = [r for r in rows(ward, "--status", "manual")]
    assert [(r["coder"], r["suggested_by"]) for r in manual] == [("sari", None)]


def test_learn_counts_the_reviewers_decisions_as_theirs(ward):
    ward("code", "accept", "--doc", "ward_a", "--coder", "sari")
    ward("code", "reject", "--doc", "ward_b", "--code", "burnout", "--coder", "budi")
    out = json.loads(ward("learn", "--coder", "sari", "--format", "json").stdout)
    assert out["documents"] == 1 and out["coder"] == "sari"  # ward_a: sari's decisions, not "auto"'s
    out = json.loads(ward("learn", "--coder", "budi", "--format", "json").stdout)
    assert out["documents"] == 1


# --------------------------------------------------------------------------- decisions are remembered

def test_rejected_recoded_and_removed_suggestions_never_come_back(ward, tmp_path):
    rejected = find(ward, "workload", "understaffed on weekends")
    recoded = find(ward, "workload", "overtime three times")
    removed = find(ward, "teamwork", "Teamwork is what keeps")
    removed_open = find(ward, "burnout", "exhausted after")
    ward("code", "reject", "--id", rejected["id"], "--coder", "sari")
    with tematik.open(ward.db) as p:
        decision = p.review_recode(recoded["id"], "burnout", coder="sari")
    assert decision.code_before == "workload" and decision.coder_before == "auto"
    ward("code", "accept", "--id", removed["id"], "--coder", "sari")
    out = ward("code", "rm", removed["id"], "--coder", "sari")
    assert "autocode will not suggest teamwork on that text again" in out.stderr
    ward("code", "rm", removed_open["id"], "--coder", "sari")  # an open suggestion removed: a decision too
    after_recode = {r["id"]: r for r in rows(ward)}[recoded["id"]]
    assert (after_recode["code"], after_recode["status"], after_recode["coder"], after_recode["suggested_by"]) == \
        ("burnout", "accepted", "sari", "auto")
    assert sorted(table(ward.db, "SELECT code_id, start, end, reason, who FROM rejections")) == sorted([
        ("workload", rejected["start"], rejected["end"], "rejected", "sari"),
        ("workload", recoded["start"], recoded["end"], "recoded", "sari"),
        ("teamwork", removed["start"], removed["end"], "removed", "sari"),
        ("burnout", removed_open["start"], removed_open["end"], "removed", "sari")])
    turned_down = {("ward_a", r["code"], r["start"], r["end"]) for r in (rejected, recoded, removed, removed_open)}
    # the rule whose suggestion got another code was wrong: the model's record of rules counts it as rejected
    from tematik.store import learn as store_learn

    with Store.open(ward.db) as store:
        assert store_learn.rule_record(store)[recoded["rule"]] == (0, 1)

    def assert_never_back():
        everything = {(r["document"], r["code"], r["start"], r["end"]): r for r in rows(ward)}
        back = [k for k in turned_down if k in everything and everything[k]["status"] == "suggested"]
        assert back == []
        assert not [r for r in everything.values() if r["status"] == "suggested"
                    and (r["code"], r["start"], r["end"]) in {k[1:] for k in turned_down}]

    ward("autocode", "--redo")
    assert_never_back()
    # a new codebook version (rules widened) does not bring them back either
    (tmp_path / "v2.yaml").write_text(CODEBOOK.replace('version: "1"', 'version: "2"')
                                      .replace("[workload, understaffed, overtime]",
                                               "[workload, understaffed, overtime, weekends, three times]")
                                      .replace("[help each other, teamwork]", "[help each other, teamwork, going]"),
                                      encoding="utf-8")
    ward("codebook", "load", tmp_path / "v2.yaml")
    ward("autocode")
    assert_never_back()
    ward("autocode", "--redo", "--unit", "sentence")
    assert_never_back()
    # the same text imported again (under another name) comes without them too
    copy = tmp_path / "ward_a_again.txt"
    copy.write_text(transcript(WARDS["ward_a"]), encoding="utf-8")
    ward("import", copy, "--language", "en", "--interviewer", "Interviewer")
    ward("autocode")
    again = {(r["code"], r["start"], r["end"]) for r in rows(ward, "--status", "suggested", "--doc", "ward_a_again")}
    assert again, "the copy got suggestions"
    assert again.isdisjoint({k[1:] for k in turned_down})
    # ... while the suggestions nobody decided are made there as in the original
    assert any(code == "burnout" for code, _, _ in again)


def test_undoing_a_recode_forgets_its_rejection_unless_another_decision_holds_it(ward, tmp_path):
    copy = tmp_path / "ward_b_again.txt"
    copy.write_text(transcript(WARDS["ward_b"]), encoding="utf-8")
    ward("import", copy, "--language", "en", "--interviewer", "Interviewer")
    ward("autocode")
    first = find(ward, "teamwork", "surgical side", doc="ward_b", status="suggested")
    second = find(ward, "teamwork", "surgical side", doc="ward_b_again", status="suggested")
    assert (first["start"], first["end"]) == (second["start"], second["end"])
    key = ("teamwork", first["start"], first["end"])
    with tematik.open(ward.db) as p:
        one = p.review_recode(first["id"], "workload", coder="sari")
        two = p.review_recode(second["id"], "workload", coder="budi")
    remembered = table(ward.db, "SELECT code_id, start, end FROM rejections")
    assert remembered == [key]
    with tematik.open(ward.db) as p:
        p.review_undo(one, coder="sari")
    assert table(ward.db, "SELECT code_id, start, end FROM rejections") == [key]  # budi's recode still holds it
    back = {r["id"]: r for r in rows(ward)}[first["id"]]
    assert (back["status"], back["code"], back["coder"]) == ("suggested", "teamwork", "auto")
    with tematik.open(ward.db) as p:
        p.review_undo(two, coder="budi")
    assert table(ward.db, "SELECT code_id, start, end FROM rejections") == []
    ward("autocode", "--redo")
    # both are open suggestions again, with the ids they had
    now = {r["id"]: r for r in rows(ward, "--status", "suggested")}
    assert now[first["id"]]["code"] == now[second["id"]]["code"] == "teamwork"
    # undoing a rejection forgets it too; undoing an accept gives the suggestion back to the auto-coder
    with tematik.open(ward.db) as p:
        p.review_undo(p.review_reject(first["id"], coder="sari"), coder="sari")
        p.review_undo(p.review_accept(second["id"], coder="budi"), coder="budi")
    assert table(ward.db, "SELECT count(*) FROM rejections") == [(0,)]
    assert table(ward.db, "SELECT coder, status FROM codings WHERE id IN (?, ?)", (first["id"], second["id"])) == \
        [("auto", "suggested")] * 2


# --------------------------------------------------------------------------- stable ids

def test_autocode_redo_keeps_the_ids_of_suggestions_it_makes_again_and_never_reuses_one(ward, tmp_path):
    before = {(r["document"], r["code"], r["start"], r["end"]): r["id"] for r in rows(ward, "--status", "suggested")}
    ward("autocode", "--redo")
    after = {(r["document"], r["code"], r["start"], r["end"]): r["id"] for r in rows(ward, "--status", "suggested")}
    assert after == before
    # a codebook that no longer has the word "overtime": those suggestions go, the others keep their ids
    (tmp_path / "v2.yaml").write_text(CODEBOOK.replace('version: "1"', 'version: "2"')
                                      .replace("[workload, understaffed, overtime]", "[workload, understaffed, shift]"),
                                      encoding="utf-8")
    ward("codebook", "load", tmp_path / "v2.yaml")
    ward("autocode", "--redo")
    newer = {(r["document"], r["code"], r["start"], r["end"]): r["id"] for r in rows(ward, "--status", "suggested")}
    gone = {k: v for k, v in before.items() if k not in newer}
    kept = {k: v for k, v in before.items() if k in newer}
    added = {k: v for k, v in newer.items() if k not in before}
    assert gone and kept and added  # "overtime" went; "double shift" came
    assert all(newer[k] == v for k, v in kept.items())
    assert min(added.values()) > max(before.values())  # a new id, never one that was used
    version = table(ward.db, "SELECT hash FROM codebooks ORDER BY id DESC LIMIT 1")[0][0]
    assert {r[0] for r in table(ward.db, "SELECT codebook_hash FROM codings WHERE status = 'suggested'")} == \
        {version}  # the kept ones too: they were made again under the new version
    # accepting a removed one refuses, saying what became of it; nothing changes
    old_id = next(iter(gone.values()))
    snapshot = digest(ward.db)
    r = ward.fails("code", "accept", "--id", old_id)
    message = r.stderr.strip()
    assert "\n" not in message and f"coding {old_id} no longer exists" in message
    assert "open suggestion" in message and "autocode" in message and "removed at 20" in message
    assert digest(ward.db) == snapshot
    # an id never used at all
    r = ward.fails("code", "reject", "--id", "99999")
    assert "no coding 99999" in r.stderr and "highest coding id" in r.stderr
    # ids stay unused after code rm: the next coding gets a new one
    top = max(newer.values())
    ward("code", "rm", top)
    added = ward("code", "add", "ward_b", "teamwork", "--match", "The senior nurses", "--coder", "sari")
    assert int(added.stdout.split()[1].rstrip(":")) > top
    r = ward.fails("code", "accept", "--id", top)
    assert f"coding {top} no longer exists" in r.stderr and "removed by" in r.stderr


def test_an_id_that_is_no_longer_an_open_suggestion_is_refused_and_nothing_changes(ward, monkeypatch):
    open_ = rows(ward, "--status", "suggested")
    a, b, c = open_[0], open_[1], open_[2]
    ward("code", "accept", "--id", a["id"], "--coder", "sari")
    ward("code", "reject", "--id", b["id"], "--coder", "budi")
    snapshot = digest(ward.db)
    r = ward.fails("code", "accept", "--id", c["id"], "--id", a["id"], "--coder", "wayan")  # c is fine, a is not
    assert f"coding {a['id']} is no longer an open suggestion: it is accepted by sari" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert digest(ward.db) == snapshot  # c was not accepted either: all or nothing
    r = ward.fails("code", "reject", "--id", b["id"])
    assert "it is rejected by budi" in r.stderr
    added = ward("code", "add", "ward_a", "burnout", "--match", "Some weeks", "--coder", "sari").stdout
    manual_id = int(added.split()[1].rstrip(":"))
    r = ward.fails("code", "accept", "--id", manual_id)
    assert "a manual coding by sari" in r.stderr
    out = ward("code", "rm", manual_id, "--coder", "sari")
    assert "autocode will not suggest" not in out.stderr  # not a suggestion: nothing to remember
    assert table(ward.db, "SELECT count(*) FROM rejections WHERE reason = 'removed'") == [(0,)]
    snapshot = digest(ward.db)
    with tematik.open(ward.db) as p:
        with pytest.raises(Conflict, match="accepted by sari"):
            p.accept(id=[c["id"], a["id"]])
        with pytest.raises(Conflict, match="rejected by budi"):
            p.review_accept(b["id"])
        with pytest.raises(Conflict, match="accepted by sari"):
            p.review_recode(a["id"], "teamwork")
        with pytest.raises(NotFound, match="no coding 99999"):
            p.reject(id=99999)
    assert digest(ward.db) == snapshot
    # a recoded suggestion says so
    with tematik.open(ward.db) as p:
        p.review_recode(c["id"], "teamwork" if c["code"] != "teamwork" else "burnout", coder="wayan")
    r = ward.fails("code", "reject", "--id", c["id"])
    assert f"recoded from {c['code']} to" in r.stderr and "by wayan" in r.stderr
    # filters without --id keep working: they select the open suggestions only
    left = len(rows(ward, "--status", "suggested"))
    out = ward("code", "accept", "--all", "--coder", "sari").stdout
    assert out == f"accepted {left} suggestion(s)\n"


# --------------------------------------------------------------------------- migration from schema 5

def _project_at_schema_5(path: Path) -> None:
    """A project as tematik wrote it at schema version 5 (migrations 1-5 run with Store's own mechanism), with
    decisions made the old way: accepted and rejected suggestions keeping coder 'auto', who decided only in the
    audit log; a recode; an accepted suggestion removed with `code rm` (its id 40 the highest ever used)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.row_factory = sqlite3.Row
    s = Store(path, conn, timeout=0)  # not Store.open: that would migrate to the newest version
    import tematik.store as store_module
    import tematik.store.schema as schema_module

    saved = (store_module.SCHEMA_VERSION, store_module.MIGRATIONS)
    store_module.SCHEMA_VERSION, store_module.MIGRATIONS = 5, schema_module.MIGRATIONS[:5]
    try:
        s._migrate(0)
    finally:
        store_module.SCHEMA_VERSION, store_module.MIGRATIONS = saved
    assert s.schema_version == 5
    text = transcript(WARDS["ward_a"])
    t = "2026-11-01T10:00:00+00:00"
    later = "2026-11-02T10:00:00+00:00"
    conn.execute("INSERT INTO documents (id, name, source_type, language, text, sha256, words, chars, imported) "
                 "VALUES (1, 'ward_a', 'interview', 'en', ?, ?, 50, ?, ?)", (text, sha256(text), len(text), t))
    conn.execute("INSERT INTO codebooks (id, name, version, hash, source, loaded) VALUES "
                 "(1, 'Ward work', '1', 'hash-v1', 'ward.yaml', ?)", (t,))
    for code in ("workload", "teamwork", "burnout"):
        conn.execute("INSERT INTO codes (id, name, codebook_id) VALUES (?, ?, 1)", (code, code.title()))
    codings = [  # id, code, start, end, status, coder, rule
        (3, "workload", 40, 70, "accepted", "auto", "workload/en/term:workload"),   # accepted by sari
        (5, "workload", 71, 100, "rejected", "auto", "workload/en/term:understaffed"),  # rejected by budi
        (7, "burnout", 101, 140, "accepted", "auto", "workload/en/term:overtime"),  # recoded by sari
        (9, "teamwork", 200, 240, "accepted", "auto", "teamwork/en/term:teamwork"),  # no audit entry
        (11, "burnout", 250, 280, "manual", "sari", None),
        (12, "teamwork", 150, 190, "suggested", "auto", "teamwork/en/term:help each other"),
        (13, "workload", 101, 140, "suggested", "auto", "workload/en/term:overtime"),  # back after 7's recode
    ]
    for cid, code, start, end, status, coder, rule in codings:
        conn.execute("INSERT INTO codings (id, document_id, code_id, start, end, status, coder, rule, created, origin)"
                     " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)", (cid, code, start, end, status, coder, rule, t, rule))
    conn.execute("INSERT INTO rejections (sha256, code_id, start, end, origin, who, at) VALUES "
                 "(?, 'workload', 71, 100, 'workload/en/term:understaffed', 'auto', ?)", (sha256(text), later))
    audit = [
        ("2026-10-01T09:00:00+00:00", "old", "accepted", "3", None, None),  # before coding 3 existed: another one
        (later, "sari", "accepted", "3", {"status": "suggested"}, {"status": "accepted"}),
        (later, "budi", "rejected", "5", {"status": "suggested"}, {"status": "rejected"}),
        (later, "sari", "recode", "7", {"code": "workload"}, {"code": "burnout"}),
        (later, "sari", "accepted", "7", {"status": "suggested"}, {"status": "accepted"}),
        (later, "sari", "delete", "40", {"document": "ward_a", "code": "teamwork", "start": 300, "end": 330,
                                         "status": "accepted", "coder": "auto"}, None),
    ]
    for at, who, action, entity_id, before, after in audit:
        conn.execute("INSERT INTO audit_log (at, who, action, entity, entity_id, before, after) VALUES "
                     "(?, ?, ?, 'coding', ?, ?, ?)", (at, who, action, entity_id,
                                                      json.dumps(before) if before else None,
                                                      json.dumps(after) if after else None))
    conn.close()


def test_a_project_from_schema_5_is_carried_forward(tmp_path):
    cli = Cli(tmp_path / "old.db")
    _project_at_schema_5(cli.db)
    listed = {r["id"]: r for r in rows(cli)}  # opening migrates
    assert {i: (r["status"], r["coder"], r["suggested_by"]) for i, r in listed.items()} == {
        3: ("accepted", "sari", "auto"), 5: ("rejected", "budi", "auto"), 7: ("accepted", "sari", "auto"),
        9: ("accepted", "auto", "auto"),  # nobody in the log: left as it was
        11: ("manual", "sari", None), 12: ("suggested", "auto", "auto")}
    assert table(cli.db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert table(cli.db, "SELECT id, suggested_code, codebook_hash FROM codings ORDER BY id") == [
        (3, "workload", "hash-v1"), (5, "workload", "hash-v1"), (7, "workload", "hash-v1"),
        (9, "teamwork", "hash-v1"), (11, None, None), (12, "teamwork", "hash-v1")]
    # the old recode and the removed accepted suggestion are remembered now; the rejection says who
    assert sorted(table(cli.db, "SELECT code_id, start, end, who, reason FROM rejections")) == [
        ("teamwork", 300, 330, "sari", "removed"), ("workload", 71, 100, "budi", "rejected"),
        ("workload", 101, 140, "sari", "recoded")]
    # AUTOINCREMENT, indexes made again, the sequence past every id ever used (40, in the log only)
    sql = table(cli.db, "SELECT sql FROM sqlite_master WHERE name = 'codings'")[0][0]
    assert "AUTOINCREMENT" in sql.upper()
    assert {r[0] for r in table(cli.db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                                        "'codings'")} >= {"codings_doc", "codings_status", "codings_analysis"}
    assert table(cli.db, "SELECT seq FROM sqlite_sequence WHERE name = 'codings'") == [(40,)]
    # the suggestion the old autocode made again after its recode is withdrawn, and the log says so
    r = cli.fails("code", "accept", "--id", "13")
    assert "coding 13 no longer exists" in r.stderr and "withdrawn" in r.stderr and "migration 6" in r.stderr
    assert table(cli.db, "PRAGMA foreign_key_check") == []
    out = cli("code", "add", "ward_a", "burnout", "--span", "0:11", "--coder", "sari").stdout
    assert out.startswith("coding 41:")
    # the open suggestion is still open, and still the auto-coder's; the removed one is refused with its story
    r = cli.fails("code", "accept", "--id", "40")
    assert "coding 40 no longer exists" in r.stderr and "removed by sari" in r.stderr
    r = cli.fails("code", "reject", "--id", "9")
    assert "coding 9 is no longer an open suggestion: it is accepted (who decided was not recorded)" in r.stderr
    cli("code", "accept", "--id", "12", "--coder", "budi")
    assert {r["id"]: r["coder"] for r in rows(cli)}[12] == "budi"


def test_a_suggestion_of_another_coder_keeps_who_suggested_it_when_decided(ward, tmp_path):
    """A suggestion brought in from elsewhere (import-codings, coder bo, no suggested_by yet) that sari recodes:
    bo stays as who suggested it, with the code bo suggested, and that code is remembered as turned down."""
    heavy = find(ward, "workload", "The workload is heavy")
    sha = table(ward.db, "SELECT sha256 FROM documents WHERE name = 'ward_a'")[0][0]
    csv = tmp_path / "bo.csv"
    csv.write_text("document,document_sha256,code,start,end,status,coder\n"
                   f"ward_a,{sha},teamwork,{heavy['start']},{heavy['end']},suggested,bo\n", encoding="utf-8")
    ward("import-codings", csv)
    bo = [r for r in rows(ward, "--coder", "bo")]
    assert [(r["status"], r["suggested_by"]) for r in bo] == [("suggested", None)]
    with tematik.open(ward.db) as p:
        p.review_recode(bo[0]["id"], "burnout", coder="sari")
    row = {r["id"]: r for r in rows(ward)}[bo[0]["id"]]
    assert (row["code"], row["status"], row["coder"], row["suggested_by"]) == ("burnout", "accepted", "sari", "bo")
    assert table(ward.db, "SELECT code_id, reason FROM rejections") == [("teamwork", "recoded")]


def test_a_memo_on_a_suggestion_autocode_no_longer_makes_moves_to_its_passage(ward, tmp_path):
    """A new codebook version drops the term behind a suggestion that has a memo: `autocode --redo` removes the
    suggestion but not the researcher's note, which becomes a memo on the passage it was about (audit-logged)."""
    target = find(ward, "workload", "overtime three times", status="suggested")
    ward("memo", "add", "coding", str(target["id"]), "--text", "Overtime or understaffing?", "--coder", "sari")
    changed = tmp_path / "study" / "ward.yaml"
    changed.write_text(CODEBOOK.replace("[workload, understaffed, overtime]", "[workload, understaffed]")
                       .replace('version: "1"', 'version: "2"'), encoding="utf-8")
    ward("codebook", "load", changed)
    ward("autocode", "--redo")
    assert target["id"] not in {r["id"] for r in rows(ward)}
    memo = [m for m in json.loads(ward("memo", "list", "--format", "json").stdout)
            if m["text"] == "Overtime or understaffing?"]
    assert len(memo) == 1
    assert (memo[0]["target_type"], memo[0]["target_id"], memo[0]["start"], memo[0]["end"]) == (
        "document", "ward_a", target["start"], target["end"])
    moves = table(ward.db, "SELECT after FROM audit_log WHERE entity = 'memo' AND action = 'move'")
    assert len(moves) == 1 and "no longer made" in moves[0][0]
