"""`moderation check`: one comment in, a decision out, as an exit code a CMS can branch on.

Kept light on purpose: a CMS may start this command once per comment, so it
imports only click, json and the model (no pandas, no plotting).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import click

from moderation.jsonerrors import TOO_DEEP, NumberTooLong, json_error, read_int
from moderation.surrogates import fix_json, fix_text

#: Exit code per decision (docs/architecture.md); 1 is an error, 2 a usage error (click's own).
EXIT_CODES = {"allow": 0, "hold": 10, "reject": 11}
CONTEXT_FIELDS = ("id", "author", "thread")


class InputError(click.ClickException):
    """Input we cannot check (exit code 1, the message names what is wrong)."""

    exit_code = 1


def parse_input(raw: str, mode: str = "auto") -> tuple[str, dict[str, Any]]:
    """(text, context) from what the command read.

    `auto` reads a JSON object (``{"text": ..., "id"?, "author"?, "thread"?}``)
    when the input is one, and plain text otherwise; `json` insists on the
    object; `text` never looks for one (a comment may itself start with "{").
    A lone surrogate (JSON's ``"\\ud800"``, or an argument's byte that is not
    UTF-8) becomes U+FFFD, in the text and in the fields echoed back.
    """
    raw = fix_text(raw)
    stripped = raw.strip()
    if mode == "text" or (mode == "auto" and not (stripped.startswith("{") and stripped.endswith("}"))):
        return raw, {}
    try:
        obj = json.loads(stripped, parse_int=read_int)
    except json.JSONDecodeError as exc:
        if mode == "auto":
            return raw, {}
        raise InputError(f"input is not a JSON object: {json_error(exc, f'at line {exc.lineno} column {exc.colno}')}") from None
    except RecursionError:  # QA pass 5: a traceback before
        if mode == "auto":
            return raw, {}
        raise InputError(f"input is not a JSON object we can read: {TOO_DEEP}") from None
    except NumberTooLong as exc:  # QA pass 8: a traceback before; well-formed JSON, so not read as text in auto mode
        raise InputError(f"input JSON cannot be read: {exc}") from None
    if not isinstance(obj, dict):
        raise InputError("input JSON must be an object with a \"text\" field")
    obj = fix_json(obj)
    text = obj.get("text")
    if not isinstance(text, str):
        raise InputError("input JSON needs a \"text\" field holding the comment (a string)")
    context = {}
    for key in CONTEXT_FIELDS:  # echoed back as given: an integer id stays an integer
        value = obj.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (
                    isinstance(value, float) and not math.isfinite(value)):
                raise InputError(f"input JSON field \"{key}\" must be a string or a (finite) number")
            context[key] = value
    return text, context


def format_text(verdict_dict: dict[str, Any]) -> str:
    """A few lines a person reads at a terminal: decision, scores, then one line per reason."""
    scores = "  ".join(f"{label} {score:.3f}" for label, score in verdict_dict["scores"].items())
    head = verdict_dict["decision"].upper()
    if verdict_dict.get("id") not in (None, ""):  # an id 0 is shown too
        head += f"  [{verdict_dict['id']}]"
    lines = [f"{head}  {scores}".rstrip()]
    for reason in verdict_dict["reasons"]:
        lines.append("  - " + describe_reason(reason))
    if verdict_dict.get("model_version"):
        lines.append(f"  model {verdict_dict['model_version']}")
    return "\n".join(lines)


def describe_reason(reason: dict[str, Any]) -> str:
    kind = reason.get("kind")
    if kind in ("score", "quoted"):
        quoted = kind == "quoted"
        text = (f"{reason['action']}: {'read without its quotation marks, ' if quoted else ''}{reason['label']} "
                f"{reason['score']:.3f} >= {reason['action']} threshold {reason['threshold']}"
                f"{' (policy: hold_quoted)' if quoted else ''}")
        spans = reason.get("evidence") or []
        if spans:
            text += f"; {'quoted ' if quoted else ''}words: " + ", ".join(
                f"\"{e['text']}\" [{e['start']}:{e['end']}]" for e in spans)
        return text
    if kind in ("banned_word", "suspect_word"):
        what = "banned" if kind == "banned_word" else "suspect"
        return f"{reason['action']}: {what} word \"{reason['word']}\" matched \"{reason['text']}\" [{reason['start']}:{reason['end']}]"
    if kind == "implied":
        return f"{reason['action']}: {reason['label']}, because {reason['by']} is flagged (policy: implies)"
    if kind == "clear":
        if reason.get("label") is None:
            return "allow: no label has a threshold"
        return f"allow: highest against its threshold is {reason['label']} {reason['score']:.3f} < hold {reason['threshold']}"
    if kind == "error":
        return f"{reason['action']} (fail mode): scoring failed: {reason['error']}"
    return json.dumps(reason, ensure_ascii=False)


@click.command(name="check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("text", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for programs (the verdict, plus id/author/thread when given).")
@click.option("--input", "input_mode", type=click.Choice(["auto", "text", "json"]), default="auto", show_default=True,
              help="How to read TEXT or stdin: auto takes a JSON object with a \"text\" field when given one, "
                   "json insists on it, text never parses.")
# No exists=True: a missing or unreadable --policy/--model is an error (exit 1), as a broken one is, not click's usage error.
@click.option("--policy", "policy_path", type=click.Path(), metavar="FILE",
              help="Policy TOML (thresholds, word lists, fail mode; see docs/policy.md). Default: the model "
                   "card's thresholds and the shipped word lists.")
@click.option("--model", "model_path", type=click.Path(), metavar="PATH",
              help="Model file to use instead of the shipped one in models/.")
def check_command(text: str | None, fmt: str, input_mode: str, policy_path: str | None, model_path: str | None) -> None:
    """Check one comment before it is published; the exit code is the decision.

    TEXT is the comment; with no TEXT, or TEXT "-", the comment is read from
    standard input: plain text, or a JSON object
    {"text": ..., "id": ..., "author": ..., "thread": ...} (id, author and
    thread are optional, each a string or a number, and echoed back in
    --format json in the type they came in: "id": 42 comes back 42).

    \b
    Exit codes:
      0   allow: publish it
      10  hold: put it in front of a moderator
      11  reject: do not publish it
      1   error (unreadable input; a model or policy file missing,
          unreadable or refused)
      2   usage error
    If scoring itself fails, the policy's fail mode decides (hold by default)
    and the reason says so.

    \b
    Examples:
      moderation check "Those people are vermin"; echo $?
      echo '{"id": "c42", "text": "What a thoughtful piece"}' | moderation check --format json
      moderation check --policy strict.toml - < comment.txt
    """
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise click.UsageError("give the comment as TEXT, or pipe it on standard input")
        try:
            raw = sys.stdin.buffer.read().decode("utf-8-sig")  # a BOM is not part of the comment (QA pass 11)
        except UnicodeDecodeError as exc:
            raise InputError(f"standard input is not UTF-8 (byte {exc.start}: {exc.reason})") from None
    else:
        raw = text
    comment, context = parse_input(raw, input_mode)
    if not comment.strip():
        raise InputError("the comment is empty")

    moderator = _load(model_path, policy_path)
    try:
        verdict = moderator.check(comment, context=context or None)
    except Exception as exc:  # the fail mode: a CMS gets a decision, the reason names the error
        verdict = moderator.policy.fail_verdict(exc, model_version=getattr(moderator, "version", ""), text=comment)
    out = {**context, **verdict.to_dict()}
    click.echo(json.dumps(out, ensure_ascii=False) if fmt == "json" else format_text(out))
    sys.exit(EXIT_CODES[verdict.decision])


def _load(model_path: str | None, policy_path: str | None):
    """The model with the policy in force; a file we cannot trust or read is an error, exit 1.

    The policy is `--policy FILE` over the model card's thresholds, or the
    shipped default policy (card thresholds, word lists, fail mode hold).
    """
    from moderation.model import ModelError, load_model
    from moderation.policy import PolicyError, load_policy

    try:
        moderator = load_model(path=model_path)
        moderator.policy = load_policy(policy_path, card=moderator.card)
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    except (ModelError, OSError, ValueError) as exc:
        raise InputError(f"cannot load the model: {exc}") from None
    return moderator
