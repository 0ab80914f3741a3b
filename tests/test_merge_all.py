"""merge and import-codings carry everything another copy of a project holds (issue 12, item 5): every coder's
codings of every status, the remembered rejections (also those whose coding is gone) and memos on the project,
codes, documents, codings and participants; they say what came in and never overwrite.

The study: a nursing-ward project (two English interviews, codes workload, teamwork, burnout), auto-coded, then
copied to two reviewers who decide the same suggestions differently.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

import tematik
from conftest import DATA, Cli, digest

WARD_A = """Interviewer: How is the workload on the ward these days?
Nurse Kim: The workload is heavy. We have twelve patients each on a night shift.
Nurse Kim: But the teamwork is good and we cover for each other.
Interviewer: Do you ever feel burnout?
Nurse Kim: Some weeks I am exhausted after a double shift. Teamwork keeps me going.
"""
WARD_B = """Interviewer: Tell me about a normal day shift.
Nurse Osei: We are understaffed, so the workload never stops.
Nurse Osei: I asked the team for help and nobody had time.
Interviewer: How do you cope?
Nurse Osei: Honestly I am close to burnout. I am exhausted most evenings.
"""
CODEBOOK = """name: Nursing ward
version: "1"
languages: [en]
codes:
  - id: workload
    name: {en: Workload}
    definition: {en: How much work a shift holds.}
    rules:
      en:
        terms: [workload, patients, understaffed, double shift]
  - id: teamwork
    name: {en: Teamwork}
    definition: {en: Nurses working together.}
    rules:
      en:
        terms: [teamwork, cover for each other, team]
  - id: burnout
    name: {en: Burnout}
    definition: {en: Exhaustion from the work.}
    rules:
      en:
        terms: [burnout, exhausted]
"""
DECIDED = ("accepted", "rejected", "manual")


# --------------------------------------------------------------------------- helpers reading the project files

def copy_project(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


def codings(cli: Cli, *args: str) -> list[dict]:
    """Codings of every status (unless ``args`` name some)."""
    status = () if "--status" in args else ("--status", "all")
    return json.loads(cli("codings", "--format", "json", *status, *args).stdout)


def key(c: dict) -> tuple:
    return c["document"], c["code"], c["start"], c["end"], c["coder"]


def table(db: Path, sql: str) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def rejections(db: Path) -> set[tuple]:
    return {(r["sha256"], r["code_id"], r["start"], r["end"]) for r in table(db, "SELECT * FROM rejections")}


def memos(db: Path) -> list[dict]:
    """Every memo with its target named portably (a coding by document, code, span and coder)."""
    out = []
    for m in table(db, "SELECT * FROM memos ORDER BY id"):
        target = m["target_id"]
        if m["target_type"] == "coding":
            c = table(db, f"SELECT d.name, c.code_id, c.start, c.end, c.coder FROM codings c JOIN documents d "
                          f"ON d.id = c.document_id WHERE c.id = {int(target)}")
            target = tuple(c[0].values()) if c else None
        out.append({**m, "target_id": target})
    return out


def portable(db: Path) -> dict[str, object]:
    """What a merge may change, without ids: codings, memos, rejections, codes (for comparing two routes)."""
    cods = sorted((r["document"], r["code_id"], r["start"], r["end"], r["status"], r["coder"], r["rule"] or "",
                   r["polarity"], r["origin"] or "", r["confidence"] or 0.0, r["created"])
                  for r in table(db, "SELECT d.name AS document, c.* FROM codings c JOIN documents d "
                                     "ON d.id = c.document_id"))
    mem = sorted((m["target_type"], str(m["target_id"]), m["text"], m["author"], m["created"]) for m in memos(db))
    return {"codings": cods, "memos": mem, "rejections": sorted(rejections(db)),
            "codes": sorted(r["id"] for r in table(db, "SELECT id FROM codes"))}


def said(result) -> str:
    """What a command printed, its lines joined and spaces collapsed (a long path may wrap a line)."""
    return " ".join(result.stdout.split())


def sha(db: Path, name: str) -> str:
    return table(db, f"SELECT sha256 FROM documents WHERE name = '{name}'")[0]["sha256"]


# --------------------------------------------------------------------------- the study and the two reviewers

@pytest.fixture(scope="module")
def ward(tmp_path_factory) -> dict[str, Path]:
    """ana.db and budi.db: two copies of one auto-coded nursing-ward project, each reviewed differently; budi's
    copy also has a manual coding, a rejection whose coding was removed afterwards, and memos of every kind."""
    home = tmp_path_factory.mktemp("ward")
    (home / "ward_a.txt").write_text(WARD_A)
    (home / "ward_b.txt").write_text(WARD_B)
    (home / "nursing.yaml").write_text(CODEBOOK)
    base = Cli(home / "base.db")
    base("import", home / "ward_a.txt", "--participant", "N01", "--language", "en")
    base("import", home / "ward_b.txt", "--participant", "N02", "--language", "en")
    base("codebook", "load", home / "nursing.yaml")
    base("autocode")
    base("memo", "add", "project", "--text", "Ward study: first pass.", "--coder", "ana")
    base("memo", "add", "code", "burnout", "--text", "Includes exhaustion.", "--coder", "ana")
    s = [c["id"] for c in codings(base, "--status", "suggested")]
    assert len(s) == 10
    ana = Cli(copy_project(base.db, home / "ana.db"))
    budi = Cli(copy_project(base.db, home / "budi.db"))
    # ana, in her copy
    ana("code", "accept", "--id", s[0], "--id", s[1], "--id", s[6], "--coder", "ana")
    ana("code", "reject", "--id", s[2], "--coder", "ana")
    # budi, in his: other decisions on the same suggestions
    budi("code", "reject", "--id", s[0], "--id", s[3], "--id", s[7], "--coder", "budi")
    budi("code", "accept", "--id", s[1], "--id", s[2], "--coder", "budi")
    budi("code", "rm", s[7], "--coder", "budi")  # the rejection stays remembered, its coding row is gone
    # ana also worked on budi's machine once, and decided s[6] the other way: a conflict whoever decides
    budi("code", "reject", "--id", s[6], "--coder", "ana")
    budi("code", "add", "ward_a", "teamwork", "--match", "we cover for each other", "--coder", "budi",
         "--memo", "Covering = informal teamwork.")
    (home / "roster.csv").write_text("id,role,ward\nN09,nurse,night\n")
    budi("participants", "import", home / "roster.csv")  # a nurse only budi's copy knows
    budi("memo", "add", "project", "--text", "Second reviewer: budi.", "--coder", "budi")
    budi("memo", "add", "code", "workload", "--text", "Count patients per nurse too.", "--coder", "budi")
    budi("memo", "add", "document", "ward_b", "--text", "=4 nights in a row for Osei.\nShe asked for days off.",
         "--coder", "budi")
    budi("memo", "add", "coding", s[3], "--text", "Exhaustion is burnout, not workload.", "--coder", "budi")
    budi("memo", "add", "participant", "N02", "--text", "Agency nurse.", "--coder", "budi")
    budi("memo", "add", "participant", "N09", "--text", "Not interviewed yet.", "--coder", "budi")
    # the shared project memo, edited in budi's copy (same author and time, another text): memos can be edited
    conn = sqlite3.connect(budi.db)
    with conn:
        conn.execute("UPDATE memos SET text = 'Ward study: first pass, both wards.' "
                     "WHERE text = 'Ward study: first pass.'")
    conn.close()
    return {"ana": ana.db, "budi": budi.db, "home": home, "suggestions": s}


def expected(ana: list[dict], budi: list[dict], rejected_here: set[tuple], shas: dict[str, str]) -> dict:
    """What the rules say a merge of budi's codings into ana's does (the module docstring of store/exchange)."""
    out = {"added": 0, "present": 0, "conflicts": set(), "decided": 0, "by_status": {}}
    mine = {}
    for c in ana:
        mine.setdefault(key(c), set()).add(c["status"])
    spans = {key(c)[:4] for c in ana}
    for c in budi:
        here = mine.get(key(c), set())
        if c["status"] in here:
            out["present"] += 1
        elif c["status"] == "suggested" and (key(c)[:4] in spans or (shas[c["document"]], *key(c)[1:4])
                                             in rejected_here):
            out["decided"] += 1
        elif here:
            out["conflicts"].add(key(c))
        else:
            out["added"] += 1
            out["by_status"][c["status"]] = out["by_status"].get(c["status"], 0) + 1
    return out


# --------------------------------------------------------------------------- the reported scenario

def test_merging_the_second_reviewer_brings_every_decision_and_memo(ward, tmp_path):
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    budi_db = ward["budi"]
    budi = Cli(budi_db)
    before_ana, before_memos = codings(ana), memos(ana.db)
    before_rejections = rejections(ana.db)
    shas = {"ward_a": sha(ana.db, "ward_a"), "ward_b": sha(ana.db, "ward_b")}
    want = expected(before_ana, codings(budi), before_rejections, shas)

    r = ana("merge", budi_db)
    with tematik.open(tmp_path / "ana.db") as p:  # the same merge through the API, on the result: nothing new
        again = p.merge(budi_db)
    # ------------------------------------------------------------ codings
    out = said(r)
    assert out.startswith(f"merged {budi_db}: {want['added']} coding(s) added")
    assert f"{want['present']} already here, 1 could not be placed" in out
    after = codings(ana)
    by_key = {}
    for c in after:
        by_key.setdefault(key(c), set()).add(c["status"])
    # every decision budi's copy holds is here now, with its status, or listed as a conflict (ours kept)
    listed = {(c.split()[3], c.split()[4]) for c in r.stdout.splitlines() if c.strip().startswith("coding ")}
    for c in codings(budi, "--status", ",".join(DECIDED)):
        if c["status"] in by_key.get(key(c), set()):
            continue
        assert key(c) in want["conflicts"], c
        assert (c["code"], f"{c['start']}:{c['end']}") in listed
    # the same reviewer on two machines (ana accepted s[6] here, rejected it there) is a conflict whoever the
    # coder of a decision is; ours is kept and the output says how to change it
    s6 = next(c for c in before_ana if c["id"] == ward["suggestions"][6])
    assert key(s6) in want["conflicts"]
    assert f"coding {s6['id']}: ward_b workload {s6['start']}:{s6['end']} by {s6['coder']}: here accepted, " \
           "theirs rejected" in said(r)
    assert "this project's kept" in said(r)
    # budi's manual coding came in with its coder and its memo
    manual = [c for c in after if c["status"] == "manual"]
    assert [(c["coder"], c["text"]) for c in manual] == [("budi", "we cover for each other")]
    # nothing of ana's changed
    now_by_id = {c["id"]: c for c in after}
    for c in before_ana:
        assert {k: now_by_id[c["id"]][k] for k in c} == c
    assert memos(ana.db)[:len(before_memos)] == before_memos
    # ------------------------------------------------------------ rejections, also the one whose coding is gone
    budi_rejections = rejections(budi_db)
    s7 = (shas["ward_b"], "teamwork", 121, 167)
    assert s7 in budi_rejections and len(budi_rejections) == 4
    assert rejections(ana.db) == before_rejections | budi_rejections
    assert "rejections remembered (autocode will not suggest them): 4 added" in said(r)
    # ------------------------------------------------------------ memos of every kind
    assert "memos: 7 added (2 project, 1 code, 1 document, 2 coding, 1 participant; 1 an edited copy of a memo " \
           "here), 1 already here" in said(r)
    texts = {(m["target_type"], str(m["target_id"]), m["text"], m["author"]) for m in memos(ana.db)}
    assert ("project", "None", "Ward study: first pass.", "ana") in texts  # ours, unchanged
    assert ("project", "None", "Ward study: first pass, both wards.", "ana") in texts  # theirs, beside it
    assert ("code", "workload", "Count patients per nurse too.", "budi") in texts
    assert ("document", "ward_b", "=4 nights in a row for Osei.\nShe asked for days off.", "budi") in texts
    assert ("participant", "N02", "Agency nurse.", "budi") in texts
    on_codings = {m["target_id"]: m["text"] for m in memos(ana.db) if m["target_type"] == "coding"}
    assert on_codings[key(manual[0])] == "Covering = informal teamwork."
    s3 = next(c for c in codings(budi) if c["id"] == ward["suggestions"][3])
    assert on_codings[key(s3)] == "Exhaustion is burnout, not workload."
    # the participant only budi has is reported, with why, not invented
    assert "participant 'N09' is not in this project" in r.stderr
    assert r.stderr.count("warning:") == 1
    # ------------------------------------------------------------ merging again adds nothing
    assert (again.added, again.rejections_added, again.memos, again.memos_present) == (0, 0, 0, 8)
    assert {(c.document, c.code, c.start, c.end, c.coder) for c in again.conflicts} == want["conflicts"]
    assert len(codings(ana)) == len(after)
    # ------------------------------------------------------------ the audit log says what came in
    log = json.loads(ana("log", "--format", "json", "--limit", "0").stdout)
    merged = [e for e in log if e["action"] == "merge"]
    assert sum(e["entity"] == "memo" for e in merged) == 7
    assert sum(e["entity"] == "rejection" for e in merged) == 4
    assert sum(e["entity"] == "coding" for e in merged) == want["added"]
    summary = [json.loads(e["after"]) for e in merged if e["entity"] == "project"]  # the last first
    assert [s["memos_added"] for s in summary] == [{}, {"project": 2, "code": 1, "document": 1, "coding": 2,
                                                        "participant": 1}]
    # ------------------------------------------------------------ autocode here does not suggest budi's rejections
    ana("autocode", "--redo")
    open_keys = {(shas[c["document"]], c["code"], c["start"], c["end"])
                 for c in codings(ana, "--status", "suggested")}
    assert not open_keys & budi_rejections


def test_merge_result_counts_by_status_and_coder(ward, tmp_path):
    """The API's MergeResult: counts by status and coder agree with the rules, whoever a decision's coder is."""
    ana = copy_project(ward["ana"], tmp_path / "ana.db")
    a, b = Cli(ana), Cli(ward["budi"])
    shas = {"ward_a": sha(ana, "ward_a"), "ward_b": sha(ana, "ward_b")}
    want = expected(codings(a), codings(b), rejections(ana), shas)
    with tematik.open(ana) as p:
        result = p.merge(ward["budi"])
    assert result.added == want["added"] and result.present == want["present"]
    assert result.by_status == want["by_status"] and result.suggestions_decided == want["decided"]
    assert sum(result.by_coder.values()) == result.added and "budi" in result.by_coder
    assert {(c.document, c.code, c.start, c.end, c.coder) for c in result.conflicts} == want["conflicts"]
    assert all(c.here != c.theirs and c.where.startswith("budi.db:coding ") for c in result.conflicts)
    assert result.memos_added == {"project": 2, "code": 1, "document": 1, "coding": 2, "participant": 1}
    assert (result.memos_edited, result.memos_present, result.rejections_added) == (1, 1, 4)
    assert [why for _, why in result.unplaced] == ["participant 'N09' is not in this project"]
    assert result.rows == len(codings(b)) + 4 + 9


# --------------------------------------------------------------------------- export codings -> import-codings

def test_export_import_carries_the_same_as_merge(ward, tmp_path):
    """One CSV (a spreadsheet opens it) carries codings, rejections and memos: importing it into a copy of
    ana's project gives exactly what merging budi's project file gives."""
    out = tmp_path / "budi.csv"
    r = Cli(ward["budi"])("export", "codings", out)
    assert r.stdout.startswith(f"wrote {len(codings(Cli(ward['budi'])))} coding(s), 4 rejection(s) and 9 memo(s)")
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["record"] for row in rows} == {"coding", "rejection", "memo"}
    tired = next(row for row in rows if row["memo_on"] == "document")
    assert tired["memo"] == "'=4 nights in a row for Osei.\nShe asked for days off." and tired["document"] == "ward_b"
    by_merge = Cli(copy_project(ward["ana"], tmp_path / "merge.db"))
    by_csv = Cli(copy_project(ward["ana"], tmp_path / "csv.db"))
    m = by_merge("merge", ward["budi"])
    i = by_csv("import-codings", out)
    assert portable(by_merge.db) == portable(by_csv.db)
    assert m.stdout.splitlines()[1:4] == i.stdout.splitlines()[1:4]
    assert i.stderr.count("warning:") == 1 and "participant 'N09' is not in this project" in i.stderr
    assert f"{out}:" in i.stderr  # FILE:LINE
    again = by_csv("import-codings", out)
    assert " 0 coding(s) added" in again.stdout and "memos: 0 added, 8 already here" in again.stdout
    assert portable(by_merge.db) == portable(by_csv.db)


def test_export_filters_keep_memos_with_their_codings(ward, tmp_path):
    out = tmp_path / "manual.csv"
    budi = Cli(ward["budi"])
    r = budi("export", "codings", out, "--status", "manual", "--coder", "budi")
    # the manual coding, no rejections (status leaves them out), budi's memos but the one on a coding not written
    assert r.stdout.startswith("wrote 1 coding(s), 0 rejection(s) and 6 memo(s)")
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["memo"] for row in rows if row["memo_on"] == "coding"] == ["Covering = informal teamwork."]


def test_old_codings_only_csv_still_imports(ward, tmp_path):
    """A CSV written before rejections and memos travelled (no record column) holds codings; a rejected one is
    also remembered as a rejection."""
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    doc_sha = sha(ana.db, "ward_b")
    old = tmp_path / "old.csv"
    with old.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["document", "document_sha256", "code", "start", "end", "status", "coder", "rule", "polarity",
                    "created", "text"])
        w.writerow(["ward_b", doc_sha, "burnout", 210, 241, "accepted", "citra", "burnout/en/term:burnout",
                    "positive", "2026-11-30T10:00:00+00:00", "Honestly I am close to burnout."])
        w.writerow(["ward_b", doc_sha, "workload", 210, 241, "rejected", "citra", "", "positive",
                    "2026-11-30T10:01:00+00:00", "Honestly I am close to burnout."])
        w.writerow(["ward_b", doc_sha, "workload", 210, 241, "maybe", "citra", "", "", "", ""])
        # offsets as a spreadsheet may save them
        w.writerow(["ward_b", doc_sha, "teamwork", "121.0", "167.0", "accepted", "citra", "", "", "", ""])
    r = ana("import-codings", old)
    assert "3 coding(s) added by citra" in said(r) and "1 could not be placed" in said(r)
    assert "codings added: 2 accepted, 1 rejected (by coder: citra 3)" in said(r)
    assert f"{old}:4: unknown status 'maybe'" in r.stderr
    assert (doc_sha, "workload", 210, 241) in rejections(ana.db)
    citra = table(ana.db, "SELECT status, created FROM codings WHERE coder = 'citra' AND code_id != 'teamwork'")
    assert {(c["status"], c["created"]) for c in citra} == {("accepted", "2026-11-30T10:00:00+00:00"),
                                                           ("rejected", "2026-11-30T10:01:00+00:00")}


def test_csv_rows_that_cannot_be_placed_say_where_and_why(ward, tmp_path):
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    doc_sha = sha(ana.db, "ward_a")
    f = tmp_path / "mixed.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["record", "document_sha256", "code", "start", "end", "status", "coder", "created", "memo_on",
                    "memo_target", "memo", "author"])
        w.writerow(["memo", "", "", "", "", "", "", "2026-11-30T09:00:00+00:00", "code", "", "On a lost code.",
                    "citra"])
        w.writerow(["memo", doc_sha, "teamwork", 0, 5, "", "nobody", "2026-11-30T09:00:00+00:00", "coding", "",
                    "On no coding.", "citra"])
        w.writerow(["rejection", "abc", "teamwork", 0, 5, "", "", "", "", "", "", ""])
        w.writerow(["rejection", "f" * 64, "teamwork", 0, 5, "", "citra", "", "", "", "", ""])
        w.writerow(["note", doc_sha, "teamwork", 0, 5, "", "citra", "", "", "", "", ""])
        w.writerow(["memo", doc_sha, "", 0, 12, "", "", "2026-11-30T09:00:00+00:00", "document", "",
                    "A passage memo.", "citra"])
    r = ana("import-codings", f)
    assert f"{f}:2: code '' is not in this project's codebook" in r.stderr
    assert f"{f}:3: the coding it is on ('teamwork' at 0:5 of 'ward_a' by 'nobody') is not in this project" \
           in r.stderr
    assert f"{f}:4: document_sha256 is not a sha256" in r.stderr
    assert f"{f}:6: unknown record 'note'" in r.stderr
    # a rejection of a text this project lacks is kept (it applies if that text is imported)
    assert ("f" * 64, "teamwork", 0, 5) in rejections(ana.db)
    assert "1 added, 1 of them for texts not in this project" in said(r)
    assert any(m["text"] == "A passage memo." and m["target_id"] == "ward_a" for m in memos(ana.db))


def test_refused_commands_leave_the_project_unchanged(ward, tmp_path):
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    before = digest(ana.db)
    not_a_project = tmp_path / "notes.db"
    not_a_project.write_text("these are my notes\n")
    r = ana.fails("merge", not_a_project)
    assert "notes.db" in r.output
    ana.fails("merge", tmp_path / "missing.db")
    ana.fails("merge", ana.db)
    no_memo_columns = tmp_path / "memo.csv"
    no_memo_columns.write_text("record,document_sha256,code,start,end,coder\nmemo,,,,,\n")
    r = ana.fails("import-codings", no_memo_columns)
    assert "memo rows" in r.output and "memo_on" in r.output
    ana.fails("import-codings", DATA / "nothing-here.csv")
    assert digest(ana.db) == before


def test_json_summary_is_the_api_result(ward, tmp_path):
    by_cli = Cli(copy_project(ward["ana"], tmp_path / "cli.db"))
    by_api = copy_project(ward["ana"], tmp_path / "api.db")
    r = by_cli("merge", ward["budi"], "--format", "json")
    with tematik.open(by_api) as p:
        result = p.merge(ward["budi"])
    data = json.loads(r.stdout)
    assert data["source"] == str(ward["budi"]) and data["memos"] == result.memos == 7
    assert data["unplaced"] == [{"where": w, "why": y} for w, y in result.unplaced]
    assert [tuple(c.values()) for c in data["conflicts"]] == [tuple(vars(c).values()) for c in result.conflicts]
    for name in ("added", "present", "by_status", "by_coder", "rejections_added", "memos_added", "memos_edited",
                 "memos_present", "suggestions_decided", "codes_added", "rows"):
        assert data[name] == (list(getattr(result, name)) if isinstance(getattr(result, name), tuple)
                              else getattr(result, name)), name
    assert portable(by_cli.db) == portable(by_api)


def test_a_code_only_the_other_copy_has_comes_with_its_parent(ward, tmp_path):
    """budi's copy gained a sub-code (night_shift under a new group) and coded with it: both codes come in; a memo
    on a code this project lacks and no coding brings is reported, not invented."""
    budi = Cli(copy_project(ward["budi"], tmp_path / "budi.db"))
    book = tmp_path / "nursing2.yaml"
    book.write_text(CODEBOOK.replace('version: "1"', 'version: "2"') + """  - id: shifts
    name: {en: Shift patterns}
  - id: night_shift
    name: {en: Night shift}
    parent: shifts
  - id: rota
    name: {en: Rota}
""")
    budi("codebook", "load", book)
    budi("code", "add", "ward_a", "night_shift", "--match", "on a night shift", "--coder", "budi")
    budi("memo", "add", "code", "rota", "--text", "Ask about the rota next time.", "--coder", "budi")
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    r = ana("merge", budi.db)
    assert "codes added: shifts, night_shift" in " ".join(r.stdout.split())  # the parent first
    codes = {c["id"]: c for c in table(ana.db, "SELECT id, parent_id FROM codes")}
    assert codes["night_shift"]["parent_id"] == "shifts" and "rota" not in codes
    assert "code 'rota' is not in this project's codebook" in r.stderr


def test_memos_whose_target_is_gone_there_are_reported(ward, tmp_path):
    """A memo on a coding the other copy no longer has (left by an older tematik whose `autocode --redo` deleted
    the suggestion and kept its memo; tematik now moves such a memo to the passage) cannot be placed: it is
    reported with why, and the rest comes in."""
    budi = Cli(copy_project(ward["budi"], tmp_path / "budi.db"))
    pending = codings(budi, "--status", "suggested")[0]
    budi("memo", "add", "coding", pending["id"], "--text", "Check this one.", "--coder", "budi")
    con = sqlite3.connect(budi.db)
    with con:
        con.execute("DELETE FROM codings WHERE id = ?", (pending["id"],))
    con.close()
    assert pending["id"] not in {c["id"] for c in codings(budi)}
    ana = Cli(copy_project(ward["ana"], tmp_path / "ana.db"))
    r = ana("merge", budi.db)
    assert "no longer exists" in r.stderr and f"#{pending['id']} there" in r.stderr
    assert "memos: 7 added" in said(r)
