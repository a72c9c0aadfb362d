"""`moderation check`: input forms, output formats, exit codes, policy files, errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import main
from moderation.commands import check as check_module
from moderation.commands.check import parse_input

BENIGN = "Thanks for this, a clear and fair piece on a hard subject."
# "subhumans" is on the shipped suspect list: at least a hold whatever the model scores.
SUSPECT = "They are subhumans, all of them."
BANNED = "Go back where you came from, you raghead."


@pytest.fixture(scope="module")
def hook_moderator(moderator):
    """The session's model (no reload per test) with the hook's default policy, on a copy: others keep theirs."""
    from moderation.policy import load_policy

    hooked = copy.copy(moderator)
    hooked.policy = load_policy(card=moderator.card)
    return hooked


@pytest.fixture
def run(hook_moderator, monkeypatch):
    """Invoke the CLI in-process as `moderation check` would, with the model already loaded."""
    monkeypatch.setattr(check_module, "_load", lambda model_path, policy_path: hook_moderator)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(main, ["check", *args], input=input)

    return invoke


def test_benign_comment_is_allowed_with_exit_0(run):
    result = run(BENIGN)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ALLOW")


def test_suspect_word_holds_with_exit_10_and_names_the_span(run):
    result = run(SUSPECT, "--format", "json")
    assert result.exit_code in (10, 11), result.output
    verdict = json.loads(result.output)
    matches = [r for r in verdict["reasons"] if r["kind"] == "suspect_word"]
    assert matches == [{"kind": "suspect_word", "word": "subhuman*", "start": 9, "end": 18,
                        "text": "subhumans", "action": "hold"}]
    assert SUSPECT[9:18] == "subhumans"


def test_a_quotation_held_for_a_moderator_exits_10_and_says_why(run):
    result = run('"They breed like rats" indeed')
    assert result.exit_code == 10, result.output
    assert "read without its quotation marks" in result.output and '"breed like rats" [6:21]' in result.output


def test_banned_word_rejects_with_exit_11(run):
    result = run(BANNED)
    assert result.exit_code == 11, result.output
    assert result.output.startswith("REJECT")
    assert "banned word \"raghead*\" matched \"raghead\"" in result.output


def test_dehumanising_seed_comment_is_flagged(run):
    result = run("--format", "json", input="Those cockroaches should be swept out of Europe.")
    assert result.exit_code in (10, 11), result.output
    verdict = json.loads(result.output)
    assert verdict["decision"] in ("hold", "reject")
    assert verdict["reasons"]


def test_stdin_json_object_with_context_is_echoed(run):
    payload = json.dumps({"id": "c42", "author": "reader1", "thread": 7, "text": BENIGN})
    result = run("-", "--format", "json", input=payload)
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert (verdict["id"], verdict["author"], verdict["thread"]) == ("c42", "reader1", 7)
    assert set(verdict) >= {"scores", "labels", "decision", "evidence", "model_version", "reasons"}
    assert verdict["decision"] == "allow"
    assert set(verdict["scores"]) >= {"dehumanising", "abusive"}


def test_plain_stdin_is_read_as_text(run):
    result = run("--format", "json", input=SUSPECT + "\n")
    assert result.exit_code in (10, 11)
    assert "id" not in json.loads(result.output)


def test_input_json_mode_rejects_non_json_and_missing_text(run):
    result = run("--input", "json", input="not json at all")
    assert result.exit_code == 1
    assert "not a JSON object" in result.output
    result = run("--input", "json", input='{"body": "x"}')
    assert result.exit_code == 1
    assert "\"text\" field" in result.output


def test_json_nested_too_deeply_is_an_input_error_or_text(run):
    """QA pass 5: a RecursionError traceback before."""
    deep = '{"text": ' + "[" * 5000 + "]" * 5000 + "}"
    result = run("--input", "json", input=deep)
    assert result.exit_code == 1 and "nested too deeply" in result.output
    assert parse_input(deep, "auto") == (deep, {})  # auto: not an object we can read, so the text itself



@pytest.mark.parametrize("field", ["id", "author", "thread"])
def test_a_lone_surrogate_in_an_echoed_field_becomes_U_FFFD(run, field):
    """QA pass 7: JSON "\ud800" in the id printed a UnicodeEncodeError traceback."""
    payload = f'{{"text": "{BENIGN}", "{field}": "a\\ud800b"}}'
    result = run("--format", "json", input=payload)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[field] == "a\ufffdb"
    result = run(input=payload)  # --format text shows the id
    assert result.exit_code == 0, result.output


def test_a_lone_surrogate_in_the_text_becomes_U_FFFD_one_for_one(run):
    # inside the banned word's match and the evidence span, both echoed back
    result = run("--format", "json", input='{"text": "you ragheads\\ud800 x"}')
    assert result.exit_code == 11, result.output
    verdict = json.loads(result.output)
    for span in verdict["evidence"]:
        assert "you ragheads\ufffd x"[span["start"]:span["end"]] == span["text"]
    # an argument's byte that is not UTF-8 reaches Python as a lone surrogate too ("surrogateescape")
    assert parse_input('{"text": "hi", "id": "x\udcff"}') == ("hi", {"id": "x\ufffd"})
    assert parse_input("you raghead\udcff", "text") == ("you raghead\ufffd", {})


def test_input_text_mode_scores_braces_as_words(run):
    assert parse_input('{"text": "hi"}', "text") == ('{"text": "hi"}', {})
    assert parse_input('{not json}', "auto") == ('{not json}', {})
    assert parse_input('{"text": "hi", "id": 3}', "auto") == ("hi", {"id": 3})


@pytest.mark.parametrize("given, echoed", [
    ('"c42"', "c42"), ("42", 42), ("0", 0), ("4.5", 4.5), ("1e3", 1000.0), ("-7", -7),
    ("12345678901234567890123", 12345678901234567890123),
])
def test_an_id_is_echoed_in_the_json_type_it_came_in(run, given, echoed):
    """QA pass 7, finding 3: numbers came back as strings, and 4.5 or 1e3 were refused."""
    result = run("--format", "json", input=f'{{"text": "{BENIGN}", "id": {given}, "thread": {given}}}')
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["id"] == echoed and type(verdict["id"]) is type(echoed)
    assert verdict["thread"] == echoed and type(verdict["thread"]) is type(echoed)
    assert run(input=f'{{"text": "{BENIGN}", "id": {given}}}').output.startswith(f"ALLOW  [{echoed}]")


@pytest.mark.parametrize("given", ["true", "[1]", '{"a": 1}', "NaN", "Infinity", "1e400"])
def test_an_id_that_is_not_a_string_or_a_finite_number_is_an_input_error(run, given):
    result = run("--format", "json", input=f'{{"text": "{BENIGN}", "id": {given}}}')
    assert result.exit_code == 1 and "must be a string or a (finite) number" in result.output


def test_empty_comment_is_an_error(run):
    result = run("   ")
    assert result.exit_code == 1
    assert "empty" in result.output


def test_bad_option_is_a_usage_error_exit_2(run):
    result = run("--format", "yaml", BENIGN)
    assert result.exit_code == 2


def test_scoring_failure_follows_the_fail_mode(hook_moderator, monkeypatch):
    class Broken:
        policy, version, labels = hook_moderator.policy, hook_moderator.version, hook_moderator.labels

        def check(self, text, context=None):
            raise RuntimeError("vectoriser exploded")

    monkeypatch.setattr(check_module, "_load", lambda model_path, policy_path: Broken())
    result = CliRunner().invoke(main, ["check", "--format", "json", BENIGN])
    assert result.exit_code == 10  # fail mode "hold" in the default policy
    verdict = json.loads(result.output)
    assert verdict["reasons"][0] == {"kind": "error", "action": "hold", "error": "RuntimeError: vectoriser exploded"}


def test_help_documents_the_exit_codes():
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    for line in ("0   allow", "10  hold", "11  reject", "1   error", "2   usage error"):
        assert line in result.output


# --- through the real model loading (policy files, model paths) ---------------------


def test_policy_file_changes_the_decision(tmp_path):
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[thresholds.dehumanising]\nhold = 1.0\nreject = 1.0\n"
                       "[thresholds.abusive]\nhold = 1.0\nreject = 1.0\n[words]\nsuspect = [\"fair\"]\n")
    result = CliRunner().invoke(main, ["check", "--policy", str(lenient), "--format", "json", BENIGN])
    assert result.exit_code == 10, result.output
    verdict = json.loads(result.output)
    assert [r["kind"] for r in verdict["reasons"]] == ["suspect_word"]


def test_broken_policy_file_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("fail_mode = 'publish'\n")
    result = CliRunner().invoke(main, ["check", "--policy", str(bad), BENIGN])
    assert result.exit_code == 1
    assert str(bad) in result.output and "fail_mode" in result.output


COMMAND_ARGS = {"check": [BENIGN], "scan": [str(Path(__file__).resolve().parent.parent / "examples")],
                "serve": ["--port", "0"]}


@pytest.mark.parametrize("command", ["check", "scan", "serve"])
@pytest.mark.parametrize("option, given, message", [
    ("--policy", "missing.toml", "missing.toml: cannot read policy file: No such file or directory"),
    ("--policy", ".", ": cannot read policy file: Is a directory"),
    ("--model", "missing-model", "cannot load the model: "),
])
def test_a_missing_policy_or_model_path_is_an_error_exit_1_in_every_command(tmp_path, command, option, given, message):
    """QA pass 7, finding 4: click's exists=True made these usage errors (exit 2); the exit-code tables say 1."""
    path = tmp_path / given
    result = CliRunner().invoke(main, [command, option, str(path), *COMMAND_ARGS[command]])
    assert result.exit_code == 1, result.output
    assert message in result.output and "Usage:" not in result.output


def test_scan_takes_a_model_directory_as_check_and_serve_do(tmp_path):
    """scan's --model refused a directory (exit 2), the form the shipped model takes."""
    from moderation.model import DEFAULT_MODEL_DIR

    page = Path(__file__).resolve().parent.parent / "examples" / "001_f6e74c870da5195f.txt"
    result = CliRunner().invoke(main, ["scan", "--model", str(DEFAULT_MODEL_DIR), "--quiet", str(page)])
    assert result.exit_code == 0, result.output


def test_untrusted_model_file_is_an_error(tmp_path):
    fake = tmp_path / "model.joblib"
    fake.write_bytes(b"not a model")
    result = CliRunner().invoke(main, ["check", "--model", str(fake), BENIGN])
    assert result.exit_code == 1
    assert "Error" in result.output


def test_real_process_exit_code_and_light_imports():
    """As a CMS calls it: a new process, JSON on stdin, the decision in the exit code; no pandas loaded."""
    code = ("import sys\nfrom moderation.cli import main\n"
            "try:\n    main()\nfinally:\n"
            "    print('HEAVY', sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, "check", "--format", "json"],
                          input=json.dumps({"id": "x1", "text": BANNED}), capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert proc.returncode == 11, proc.stderr
    assert json.loads(proc.stdout)["id"] == "x1"
    assert "HEAVY []" in proc.stderr


def test_an_implied_label_is_explained_in_text_and_json(tmp_path):
    # abusive set out of reach: only the implies rule can flag it
    strict = tmp_path / "implied.toml"
    strict.write_text("[thresholds.dehumanising]\nhold = 0.3\nreject = 0.99\n"
                      "[thresholds.abusive]\nhold = 1.0\nreject = 1.0\n[words]\nbanned = []\nsuspect = []\n")
    text = "We will continue slaughtering the cockroaches until they go scurrying back."
    result = CliRunner().invoke(main, ["check", "--policy", str(strict), "--format", "json", text])
    verdict = json.loads(result.output)
    assert verdict["labels"] == ["dehumanising", "abusive"], result.output
    action = verdict["reasons"][0]["action"]  # the dehumanising score's: the implied label takes it
    assert verdict["reasons"][-1] == {"kind": "implied", "label": "abusive", "by": "dehumanising", "action": action}
    result = CliRunner().invoke(main, ["check", "--policy", str(strict), text])
    assert f"{action}: abusive, because dehumanising is flagged (policy: implies)" in result.output


def test_the_readme_check_examples_exit_as_their_comments_say(run):
    """A newcomer copies these lines; the exit code in the comment is what they will see."""
    import re
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"^moderation check (.+?); echo \$\?\s+# (\d+):", readme, flags=re.M)
    assert examples, "README has no `moderation check ...; echo $?  # CODE:` example"
    for args, code in examples:
        assert run(*shlex.split(args)).exit_code == int(code), args


def test_an_integer_too_long_to_convert_is_an_input_error_not_a_traceback(run):
    """QA pass 8, finding 4: json.loads raised a bare ValueError past Python's 4300-digit limit."""
    result = run("--format", "json", input=f'{{"text": "{BENIGN}", "id": {"1" * 5000}}}')
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "Error: input JSON cannot be read: the number 111111111111... is too long (5000 digits" in result.output
    result = run("--format", "json", input=f'{{"text": "{BENIGN}", "id": {"1" * 4300}}}')
    assert result.exit_code == 0 and json.loads(result.output)["id"] == int("1" * 4300)


def test_standard_input_saved_with_a_bom_is_read_without_it(run):
    # QA pass 11, finding 8: a BOM made JSON input "Unexpected UTF-8 BOM" (exit 1) and shifted
    # every span of text input by one.
    bom = "\ufeff"
    result = run("-", "--input", "json", "--format", "json", input=bom + json.dumps({"text": SUSPECT}))
    assert result.exit_code in (10, 11), result.output
    result = run("-", "--format", "json", input=bom + SUSPECT)
    matches = [r for r in json.loads(result.output)["reasons"] if r["kind"] == "suspect_word"]
    assert (matches[0]["start"], matches[0]["end"]) == (9, 18)
