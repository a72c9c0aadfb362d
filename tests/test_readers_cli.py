"""The issue's "nothing lost, clear errors" cases, tried the way a user meets them: `moderation scan`.

Empty, binary, unknown-format and undecodable inputs each give one line on
stderr naming the file, the exit code says the run had errors, the other
inputs are still scored, and the summary reconciles. A 6,000-character
comment reaches the scorer whole.
"""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from moderation.cli import main


def _scan(*args):
    return CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)


def _summary(stderr: str) -> tuple[int, int, int]:
    match = re.search(r"records read ([\d,]+) = ([\d,]+) scored \+ ([\d,]+) errors", stderr)
    assert match, stderr
    return tuple(int(g.replace(",", "")) for g in match.groups())


def _good_csv(path):
    path.write_text("id,author,text\n1,Ann,The bus routes change next week.\n2,Bob,Thanks for the update.\n",
                    encoding="utf-8")
    return path


def test_each_bad_input_is_one_error_line_and_the_rest_is_scored(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "notes.xyz").write_text("a shopping list\nmilk\neggs\n", encoding="utf-8")
    (tmp_path / "undecodable.csv").write_bytes(b"id,text\n1,x\x81y\n2,fine\n")
    good = _good_csv(tmp_path / "good.csv")
    named = [tmp_path / n for n in ("empty.jsonl", "binary.csv", "notes.xyz", "undecodable.csv")]
    result = _scan(*map(str, named), str(good), "--format", "jsonl", "--all")
    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith(str(tmp_path))]
    assert error_lines == [
        f"{named[0]}: empty file",
        f"{named[1]}: binary file: not a comment dump this tool reads",
        next(line for line in error_lines if line.startswith(f"{named[2]}: unknown format")),
        f"{named[3]}:2: undecodable bytes: bytes b'\\x81' at byte 3 of the line do not decode as cp1252",
    ]
    scored = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted((r["source"], r["comment_id"]) for r in scored) == sorted([
        (str(named[3]), "2"), (str(good), "1"), (str(good), "2")])
    assert _summary(result.stderr) == (7, 3, 4)


def test_a_clean_run_exits_zero(tmp_path):
    result = _scan(str(_good_csv(tmp_path / "good.csv")), "--format", "jsonl", "--all")
    assert result.exit_code == 0 and _summary(result.stderr) == (2, 2, 0)


def test_malformed_xml_part_way_reconciles_from_the_cli(tmp_path):
    posts = "\n".join(
        f'<post dsq:id="{i}"><message>comment {i}{" & broken" if i == 5 else ""};</message><thread dsq:id="1"/></post>'
        for i in range(10))
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                    'xmlns:dsq="http://disqus.com/disqus-internals">\n' + posts + "\n</disqus>\n", encoding="utf-8")
    result = _scan(str(path), "--format", "jsonl", "--all")
    assert result.exit_code == 1
    assert f"{path}:8: malformed XML at line 8" in result.stderr
    ids = sorted(int(json.loads(line)["comment_id"]) for line in result.stdout.splitlines())
    assert ids == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert _summary(result.stderr) == (10, 9, 1)


def test_abuse_at_the_end_of_a_6000_character_comment_reaches_the_scorer(tmp_path):
    filler = ("The council met on Tuesday to discuss the new bus routes, the parking charges and the "
              "library opening hours, and residents asked about the costs. ") * 60
    text = filler[:5_950] + " Those people are vermin and should be exterminated."
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"id": "long", "text": text}) + "\n", encoding="utf-8")
    result = _scan(str(path), "--format", "jsonl", "--all")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["text"] == text and len(text) > 6_000
    assert record["decision"] != "allow"
    # What flags it points at the end of the comment, where the abuse is.
    spans = [r for r in record["reasons"] if r.get("start", 0) > 5_900 or any(
        e["start"] > 5_900 for e in r.get("evidence", []))]
    assert spans, record["reasons"]
