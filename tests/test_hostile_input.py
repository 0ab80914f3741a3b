"""What tematik promises under hostile input (issue 16 items 3-7 and 11): long documents, catastrophic regular
expressions, control characters and terminal escapes in user data, formula/markup injection in every export
format. Each test reproduces the reported case with real files, the real CLI and real spaCy."""

from __future__ import annotations

import json

from conftest import DATA, digest

CODING = DATA / "coding"


def codings(cli, *args) -> list[dict]:
    return json.loads(cli("codings", "--format", "json", *args).stdout)


# --------------------------------------------------------------------------- item 3: over spaCy's max_length

def test_document_over_a_million_characters_is_autocoded_with_right_offsets(cli, tmp_path):
    filler = " ".join(["Kami bekerja biasa di perpustakaan setiap hari tanpa hal khusus yang terjadi."] * 12)
    target = "Kami saling percaya di perpustakaan."
    paragraphs = [filler] * 1_100
    text = "\n\n".join(paragraphs)
    cut = text.rfind("\n\n", 0, 1_000_000)  # the last paragraph break before spaCy's limit: the cut
    # codeable sentences just before the cut, just after it and at the very end
    text = text[:cut] + "\n\n" + target + "\n\n" + target + text[cut:] + "\n\n" + target + "\n"
    assert len(text) > 1_000_000
    path = tmp_path / "long.txt"
    path.write_text(text, encoding="utf-8")
    cli("import", path, "--language", "id")
    cli("codebook", "load", CODING / "mini.yaml")
    cli("autocode")
    rows = codings(cli)
    assert [r["text"] for r in rows] == [target] * 3
    expected = []
    pos = -1
    for _ in range(3):
        pos = text.index(target, pos + 1)
        expected.append((pos, pos + len(target)))
    assert [(r["start"], r["end"]) for r in rows] == expected
    assert rows[-1]["end"] == len(text) - 1


def test_long_text_is_cut_at_turns_then_paragraphs_then_sentences_then_words():
    from tematik.nlp import pieces

    text = "A: one two.\nB: three four. Five six.\n\nSeven eight nine ten eleven"
    def check(limit, turns=()):
        out = pieces(text, limit, turns)
        assert out[0][0] == 0 and out[-1][1] == len(text)
        assert all(a[1] == b[0] for a, b in zip(out, out[1:], strict=False))
        assert all(e - s <= limit for s, e in out)
        return [text[s:e] for s, e in out]

    assert check(len(text)) == [text]
    # a turn start within the limit wins over a later paragraph break
    assert check(40, turns=(3, 15)) == ["A: one two.\nB: ", "three four. Five six.\n\n",
                                        "Seven eight nine ten eleven"]
    # no turns: the paragraph break, then a sentence end, then a word
    assert check(40)[0] == "A: one two.\nB: three four. Five six.\n\n"
    assert check(30)[0] == "A: one two.\n"
    assert pieces("One two. Three four five", 14) == [(0, 9), (9, 20), (20, 24)]
    assert check(8)[0] == "A: one "
    assert pieces("x" * 10, 4) == [(0, 4), (4, 8), (8, 10)]  # no whitespace at all: cut at the limit


# --------------------------------------------------------------------------- item 6: catastrophic regexes

REGEX_CODEBOOK = """\
name: Regex
version: "1"
languages: [id]
codes:
  - id: stutter
    name: {{id: Gagap}}
    rules:
      id:
        terms: [percaya]
        patterns:
          - {{id: aaa, pattern: [{{LOWER: {{REGEX: '{regex}'}}}}]}}
"""


def test_nested_quantifier_is_refused_at_load_naming_file_line_and_rule(cli, db, tmp_path):
    cli("import", CODING / "doc1.txt", "--language", "id")
    before = digest(db)
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^(a+)+$"), encoding="utf-8")
    r = cli.fails("codebook", "load", path)
    message = r.stderr.strip()
    assert message.count("\n") == 0
    assert f"{path}:11:" in message and "patterns[0].pattern[0].LOWER.REGEX" in message
    assert "nested quantifier" in message
    assert digest(db) == before


def test_catastrophic_regex_cannot_hang_autocode_and_the_error_names_the_rule(cli, db, tmp_path):
    # (a|aa)+ passes the static check; on 'aaaa...ab' Python's re backtracks for hours: bounded by a timeout
    doc = tmp_path / "doc.txt"
    doc.write_text("Kami saling percaya.\n\n" + "a" * 60 + "b itu kata aneh.\n", encoding="utf-8")
    cli("import", doc, "--language", "id")
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^(a|aa)+$"), encoding="utf-8")
    cli("codebook", "load", path)
    before = digest(db)
    r = cli.fails("autocode")
    message = r.stderr.strip()
    assert message.count("\n") == 0
    assert ":11: stutter/id/pattern:aaa: regular expression '^(a|aa)+$' ran more than" in message
    assert digest(db) == before


def test_regex_rules_still_match(cli, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("Kata aaaa di sini. Kata lain di sana.\n", encoding="utf-8")
    cli("import", doc, "--language", "id")
    path = tmp_path / "regex.yaml"
    path.write_text(REGEX_CODEBOOK.format(regex="^a{2,}$"), encoding="utf-8")
    cli("codebook", "load", path)
    cli("autocode")
    assert [(r["text"], r["rule"]) for r in codings(cli)] == [("Kata aaaa di sini.", "stutter/id/pattern:aaa")]
