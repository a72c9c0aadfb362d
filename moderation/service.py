"""The pre-publish HTTP service (`moderation serve`): a CMS asks, we answer in milliseconds.

One Starlette app, run under uvicorn, one model per worker process. It answers
in four dialects so a site can switch without rewriting its CMS glue:

- our own: ``POST /v1/check`` and ``POST /v1/check:batch`` (the verdict, with reasons);
- Perspective's: ``POST /v1alpha1/comments:analyze`` (same request and response
  shapes, so a Perspective client switches by changing its base URL);
  ``POST /v1alpha1/comments:suggestscore`` is accepted and stores nothing;
- Coral Talk's external moderation phase: ``POST /v1/coral``;
- WordPress's ``pre_comment_approved`` filter: ``POST /v1/wordpress/pre_comment_approved``;

plus ``GET /healthz`` and ``GET /version``. docs/service.md documents each.

Scoring is CPU-bound and takes about a millisecond, so it runs on the event
loop itself: a thread pool would only add GIL hand-offs. Parallelism comes
from worker processes (``--workers``). Every request is bounded: body size
(413), comment length (413), batch size (413), body read time (408), pending
requests per worker (503), and a scoring deadline, counted from when the body
has been read, checked between batch chunks (503). Before that, the request
line and headers must arrive within ``--timeout`` of the connection opening
(or of the first byte after a keep-alive pause), else the connection is closed
(`HeaderDeadlineProtocol`: uvicorn has no such deadline of its own).
Errors use Google's JSON error shape (``{"error": {"code", "message", "status"}}``),
which Perspective clients already parse.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import html
import json
import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any, Callable
from urllib.parse import unquote_plus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from moderation import __version__
from moderation.jsonerrors import TOO_DEEP, NumberTooLong, json_error, read_int
from moderation.policy import attach_evidence
from moderation.surrogates import fix_json, may_hold_surrogates

log = logging.getLogger("moderation.service")

#: Environment variable through which `moderation serve` hands its settings to worker processes.
SETTINGS_ENV = "MODERATION_SERVICE_SETTINGS"

#: HTTP status -> the Google API error status string Perspective clients expect.
ERROR_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
                408: "DEADLINE_EXCEEDED", 413: "INVALID_ARGUMENT", 415: "INVALID_ARGUMENT",
                500: "INTERNAL", 503: "UNAVAILABLE"}

CONTEXT_FIELDS = ("id", "author", "thread")

_timeout = getattr(asyncio, "timeout", None)

#: Most single-comment requests scored in one vectorised call (see Hook.check_soon).
MICRO_BATCH = 32


@dataclass
class ServiceSettings:
    """Limits and keys; every one is a `moderation serve` option (docs/service.md)."""

    max_body_bytes: int = 256 * 1024
    max_comment_chars: int = 20_000
    max_batch: int = 256
    max_pending: int = 64
    timeout: float = 5.0
    api_key: str | None = field(default=None, repr=False)
    coral_secret: str | None = field(default=None, repr=False)


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "status"}}``."""

    def __init__(self, code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers


def error_response(code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    status = ERROR_STATUS.get(code, "UNKNOWN")
    return JSONResponse({"error": {"code": code, "message": message, "status": status}}, status_code=code,
                        headers=headers)


class Hook:
    """What one worker holds: the model, its policy, the settings and the pending-request count."""

    def __init__(self, moderator: Any, settings: ServiceSettings):
        self.moderator = moderator
        self.policy = moderator.policy
        self.settings = settings
        self.pending = 0
        labels = set(moderator.labels)
        # Perspective attributes whose labels this model does not have are not served.
        self.attributes = {name: [lbl for lbl in lbls if lbl in labels]
                           for name, lbls in self.policy.perspective_attributes.items()}
        self.attributes = {name: lbls for name, lbls in self.attributes.items() if lbls}
        self._waiting: list[tuple[str, dict[str, Any] | None, asyncio.Future]] = []
        self._flush_scheduled = False

    # -- scoring ----------------------------------------------------------------

    async def check_soon(self, text: str, context: dict[str, Any] | None = None):
        """One comment -> Verdict, scored together with the others that arrived in the same loop turn.

        Under load many requests are ready at once; one vectorised `score` call
        over them costs about half the CPU per comment of one `check` each
        (0.28 -> 0.13 ms in batches of 8, thread CPU time), and adds no wait
        when a request is alone:
        the flush runs as soon as the handlers already runnable have queued.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((text, context, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        waiting, self._waiting = self._waiting[:MICRO_BATCH], self._waiting[MICRO_BATCH:]
        if self._waiting:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if len(waiting) == 1:
            verdicts = [self.check(waiting[0][0], waiting[0][1])]
        else:
            try:
                verdicts = [attach_evidence(v) for v in self.moderator.score([text for text, _, _ in waiting])]
            except Exception:  # one bad comment must not fail its neighbours: score them one by one
                verdicts = [self.check(text, context) for text, context, _ in waiting]
        for (_, _, future), verdict in zip(waiting, verdicts):
            if not future.done():  # the client may have gone away
                future.set_result(verdict)

    def check(self, text: str, context: dict[str, Any] | None = None):
        """One comment -> Verdict; if the model raises, the policy's fail mode answers."""
        try:
            verdict = self.moderator.check(text, context=context or None)
        except Exception as exc:
            log.exception("scoring failed; answering with the fail mode (%s)", self.policy.fail_mode)
            return self.policy.fail_verdict(exc, model_version=self.moderator.version, text=text)
        return attach_evidence(verdict)

    def score(self, texts: list[str], deadline: float) -> list:
        """Many comments, vectorised, in chunks so the deadline is checked between them."""
        verdicts: list = []
        chunk = 64
        for start in range(0, len(texts), chunk):
            if time.perf_counter() > deadline:
                raise ApiError(503, f"timed out after {len(verdicts)} of {len(texts)} comments "
                                    f"(--timeout {self.settings.timeout:g} s); send smaller batches")
            part = texts[start:start + chunk]
            try:
                verdicts += [attach_evidence(v) for v in self.moderator.score(part)]
            except Exception:  # rescore one by one: only the comments that make the model raise get the fail mode
                verdicts += [self.check(t) for t in part]
        return verdicts

    def card_summary(self) -> dict[str, Any]:
        card = dict(getattr(self.moderator, "card", {}) or {})
        keep = ("version", "created", "labels", "thresholds", "metrics", "training_data", "library_versions")
        return {k: card[k] for k in keep if k in card}


# --- request reading ------------------------------------------------------------


async def read_body(request: Request, hook: Hook) -> bytes:
    """The raw request body, within the size and time limits.

    A compressed body is refused by name (415): read as JSON it was reported
    as "not UTF-8", which sent the client looking at its text encoding.
    """
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise ApiError(415, f"Content-Encoding {encoding} is not supported; send the body uncompressed (identity)")
    limit = hook.settings.max_body_bytes
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > limit:
                raise ApiError(413, f"request body is {int(length)} bytes; the limit is {limit} (--max-body-bytes)")
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
    body = bytearray()

    async def receive_all() -> None:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise ApiError(413, f"request body is over the limit of {limit} bytes (--max-body-bytes)")

    try:
        if _timeout is not None:  # 3.11+: no extra task per request
            async with _timeout(hook.settings.timeout):
                await receive_all()
        else:
            await asyncio.wait_for(receive_all(), hook.settings.timeout)
    except asyncio.TimeoutError:
        raise ApiError(408, f"request body not received within {hook.settings.timeout:g} s") from None
    except ClientDisconnect:
        raise ApiError(400, "client disconnected before sending the whole body") from None
    return bytes(body)


def parse_json(body: bytes) -> Any:
    """The body as JSON; a leading UTF-8 BOM, which some Windows/.NET clients send, is ignored (RFC 8259 allows it).

    A lone surrogate escape (``"\\ud800"``) in any string, keys included, becomes U+FFFD, as in the
    dump readers: echoed back (an ``id``, a ``clientToken``) it could not be written as UTF-8.
    """
    body = body.removeprefix(b"\xef\xbb\xbf")
    if not body.strip():
        raise ApiError(400, "empty request body: send a JSON object")
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_not_json, parse_float=_finite_float,
                           parse_int=read_int)
        return fix_json(value) if may_hold_surrogates(body) else value
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"request body is not UTF-8 (byte {exc.start}: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {json_error(exc, f'at line {exc.lineno} column {exc.colno}')}") from None
    except RecursionError:
        raise ApiError(400, f"JSON body {TOO_DEEP}") from None
    except NumberTooLong as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from None


def _not_json(name: str) -> Any:
    """Python's json reads NaN and Infinity; JSON has neither, and an answer echoing one could not be written."""
    raise ApiError(400, f"malformed JSON: {name} is not a JSON value")


def _finite_float(literal: str) -> float:
    """A JSON number with a fraction or exponent; one too large for a double (1e400) is refused, not read as inf."""
    value = float(literal)
    if not math.isfinite(value):
        raise ApiError(400, f"malformed JSON: the number {literal[:40]} is out of range")
    return value


async def read_json(request: Request, hook: Hook) -> Any:
    """The request body parsed as JSON (400 with the position when it is not)."""
    return parse_json(await read_body(request, hook))


def need_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(400, f"{where} must be a JSON object, not {type(value).__name__ if value is not None else 'null'}")
    return value


def comment_text(value: Any, where: str, hook: Hook) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{where} is required and must be a string")
    if not value.strip():
        raise ApiError(400, f"{where} is empty")
    if len(value) > hook.settings.max_comment_chars:
        raise ApiError(413, f"{where} is {len(value)} characters; comments up to "
                            f"{hook.settings.max_comment_chars} characters are scored whole (--max-comment-chars)")
    return value


def id_value(value: Any, name: str) -> str | int | float:
    """An id, author or thread as sent (a string or any JSON number), to echo back in its own type; else a 400."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ApiError(400, f"{name} must be a string or a number")
    return value


def context_of(obj: dict[str, Any], where: str) -> dict[str, str | int | float]:
    """`id`, `author`, `thread` as sent: a string or any JSON number, echoed back in the type it came in."""
    return {key: id_value(obj[key], f"{where}.{key}") for key in CONTEXT_FIELDS if obj.get(key) is not None}


# --- endpoints ------------------------------------------------------------------


def endpoint(fn: Callable) -> Callable:
    """Wrap a handler: the pending-request bound, the API key, and errors as JSON."""

    async def handler(request: Request) -> Response:
        hook: Hook = request.app.state.hook
        if hook.pending >= hook.settings.max_pending:
            return error_response(503, f"busy: {hook.pending} requests pending in this worker "
                                       f"(--max-pending {hook.settings.max_pending}); retry shortly",
                                  headers={"Retry-After": "1"})
        hook.pending += 1
        try:
            check_api_key(request, hook)
            return await fn(request, hook)
        except ApiError as exc:
            return error_response(exc.code, exc.message, exc.headers)
        finally:
            hook.pending -= 1

    handler.__name__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def check_api_key(request: Request, hook: Hook) -> None:
    """When a key is set: `X-API-Key: KEY`, `Authorization: Bearer KEY`, or `?key=KEY` (Perspective clients)."""
    expected = hook.settings.api_key
    if not expected:
        return
    given = request.headers.get("x-api-key")
    if given is None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
    if given is None:
        given = request.query_params.get("key")
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "missing or wrong API key: send it as the X-API-Key header, "
                            "Authorization: Bearer KEY, or ?key=KEY")


@endpoint
async def check(request: Request, hook: Hook) -> Response:
    """POST /v1/check {"text", "id"?, "author"?, "thread"?} -> the verdict."""
    body = need_object(await read_json(request, hook), "request body")
    text = comment_text(body.get("text"), "text", hook)
    context = context_of(body, "request body")
    verdict = await hook.check_soon(text, context)
    return JSONResponse({**context, **verdict.to_dict()}, headers={"X-Moderation-Decision": verdict.decision})


@endpoint
async def check_batch(request: Request, hook: Hook) -> Response:
    """POST /v1/check:batch {"comments": [{"text", "id"?, ...}, ...]} -> {"verdicts": [...]}, in order.

    Two budgets of --timeout each, one after the other: receiving the body
    (408), then scoring (503). The scoring deadline starts once the body is
    read, so a slow link does not turn into "send smaller batches".
    """
    body = need_object(await read_json(request, hook), "request body")
    deadline = time.perf_counter() + hook.settings.timeout
    comments = body.get("comments")
    if not isinstance(comments, list):
        raise ApiError(400, "\"comments\" is required and must be a list of {\"text\": ...} objects")
    if len(comments) > hook.settings.max_batch:
        raise ApiError(413, f"{len(comments)} comments in one batch; the limit is {hook.settings.max_batch} (--max-batch)")
    texts, contexts = [], []
    for i, item in enumerate(comments):
        item = need_object(item, f"comments[{i}]")
        texts.append(comment_text(item.get("text"), f"comments[{i}].text", hook))
        contexts.append(context_of(item, f"comments[{i}]"))
    verdicts = hook.score(texts, deadline) if texts else []
    return JSONResponse({"verdicts": [{**c, **v.to_dict()} for c, v in zip(contexts, verdicts)]})


_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(begin, end) of each sentence, trailing whitespace excluded, as Perspective's span annotations."""
    spans = []
    for m in _SENTENCE.finditer(text):
        begin, end = m.start(), m.end()
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if end > begin:
            spans.append((begin, end))
    return spans or [(0, len(text))]


def utf16_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Code-point (Python str) offsets -> UTF-16 code-unit offsets, as Perspective's SpanScore begin/end are.

    JavaScript clients slice the comment with these offsets, and there each
    character outside the Basic Multilingual Plane (an emoji) is two units:
    code-point offsets would cut a span one unit early per emoji before it.
    """
    if not text or max(text) <= "\uffff":
        return spans
    before = [0]  # before[i]: UTF-16 units in text[:i]
    for ch in text:
        before.append(before[-1] + (2 if ch > "\uffff" else 1))
    return [(before[b], before[e]) for b, e in spans]


@endpoint
async def perspective_analyze(request: Request, hook: Hook) -> Response:
    """POST /v1alpha1/comments:analyze: Perspective's AnalyzeComment, same request and response shapes.

    With ``dropUnsupportedAttributes: true`` an attribute we do not score is
    left out of the answer instead of failing the request, as Perspective
    does, and a language other than English next to "en" is ignored (the
    comment is scored as English); if nothing is left to score, it is still
    a 400, since an answer with no scores would read as "nothing toxic".
    """
    body = need_object(await read_json(request, hook), "request body")
    comment = need_object(body.get("comment"), "comment")
    text = comment_text(comment.get("text"), "comment.text", hook)
    # The enums' *_UNSPECIFIED values are their defaults (clients generated from the discovery document send them).
    if comment.get("type") not in (None, "", "PLAIN_TEXT", "TEXT_TYPE_UNSPECIFIED"):
        raise ApiError(400, f"comment.type {comment.get('type')!r} is not supported; send PLAIN_TEXT")
    requested = body.get("requestedAttributes")
    if not isinstance(requested, dict) or not requested:
        raise ApiError(400, "requestedAttributes is required: an object such as {\"TOXICITY\": {}}")
    languages = body.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ApiError(400, "languages must be a list of language codes")
    drop_unsupported = body.get("dropUnsupportedAttributes") is True
    # A boolean, as in Perspective: bool("false") switched the spans on.
    span_annotations = body.get("spanAnnotations")
    if span_annotations is not None and not isinstance(span_annotations, bool):
        raise ApiError(400, f"spanAnnotations must be true or false, not {json.dumps(span_annotations)[:40]}")
    english = [lang for lang in languages if lang.lower().split("-")[0] == "en"]
    unsupported = [lang for lang in languages if lang not in english]
    if drop_unsupported and english:
        unsupported = []  # score as English; the answer's languages say so
    attributes: dict[str, tuple[list[str], float | None]] = {}
    dropped: list[str] = []
    for name, params in requested.items():
        # Perspective's attribute names are upper case, and its answer uses the name asked for: a
        # lower-case "toxicity" answered under "TOXICITY" was missed by the client; it is unknown, as there.
        key = name
        if key not in hook.attributes or unsupported:
            if drop_unsupported:
                dropped.append(name)
                continue
        if key not in hook.attributes:
            hint = f" (attribute names are upper case: {name.upper()})" if name.upper() in hook.attributes else ""
            raise ApiError(400, f"Unknown attribute: {name}{hint}. This server scores: "
                                f"{', '.join(sorted(hook.attributes))}")
        if unsupported:
            raise ApiError(400, f"Attribute {key} does not support request languages: {', '.join(unsupported)}")
        params = need_object(params if params is not None else {}, f"requestedAttributes.{name}")
        score_type = params.get("scoreType", "PROBABILITY")
        if score_type not in ("PROBABILITY", "SCORE_TYPE_UNSPECIFIED", "", None):
            raise ApiError(400, f"Attribute {key} does not support scoreType {score_type}; use PROBABILITY")
        threshold = params.get("scoreThreshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            raise ApiError(400, f"requestedAttributes.{name}.scoreThreshold must be a number")
        attributes[key] = (hook.attributes[key], threshold)
    if not attributes:
        why = f" in request languages {', '.join(unsupported)}" if unsupported else ""
        raise ApiError(400, f"None of the requested attributes is supported{why}: {', '.join(dropped)} "
                            f"(dropUnsupportedAttributes dropped them all). This server scores: "
                            f"{', '.join(sorted(hook.attributes))}, in English (en)")

    verdict = await hook.check_soon(text)
    span_annotations = bool(span_annotations)
    spans = sentence_spans(text) if span_annotations else [(0, len(text))]
    if span_annotations and len(spans) > 1:
        span_verdicts = hook.score([text[b:e] for b, e in spans], time.perf_counter() + hook.settings.timeout)
        span_scores = [v.scores for v in span_verdicts]
    else:
        span_scores = [verdict.scores] * len(spans)

    offsets = utf16_spans(text, spans)
    result: dict[str, Any] = {}
    for key, (labels, threshold) in attributes.items():
        if not verdict.scores:  # scoring failed: Perspective answers an error, not a made-up score
            raise ApiError(500, "scoring failed: " + verdict.reasons[0].get("error", "unknown error"))
        summary = max(float(verdict.scores[lbl]) for lbl in labels)
        if threshold is not None and summary < threshold:
            continue
        result[key] = {
            "spanScores": [{"begin": b, "end": e,
                            "score": {"value": round(max(float(s[lbl]) for lbl in labels), 6), "type": "PROBABILITY"}}
                           for (b, e), s in zip(offsets, span_scores)],
            "summaryScore": {"value": round(summary, 6), "type": "PROBABILITY"},
        }
    # `languages` is what we scored as (Perspective: "the languages used ... to choose which model").
    # No `detectedLanguages`: we detect nothing, and a comment sent without `languages` is scored as
    # English whatever it is written in (the model reads English only), so claiming ["en"] was false.
    answer: dict[str, Any] = {"attributeScores": result, "languages": english or ["en"]}
    if "clientToken" in body:
        answer["clientToken"] = body["clientToken"]
    return JSONResponse(answer)


@endpoint
async def perspective_suggest_score(request: Request, hook: Hook) -> Response:
    """POST /v1alpha1/comments:suggestscore: Perspective's SuggestCommentScore, accepted and dropped.

    Coral's Perspective integration, with "send feedback" on, posts every
    moderator's approve or reject here and logs an error unless the answer is
    OK and echoes `clientToken`. Nothing learns from it here and nothing is
    stored (comments never leave the building), so it answers at once.
    """
    body = need_object(await read_json(request, hook), "request body")
    answer = {"clientToken": body["clientToken"]} if "clientToken" in body else {}
    return JSONResponse(answer)


#: HTML element names (HTML5 and the older ones still pasted into comments). Only these mark a body as
#: HTML: Coral's plain-text format and hand-typed comments carry literal ``<...>`` that is not markup.
HTML_ELEMENTS = frozenset("""
    a abbr acronym address area article aside audio b bdi bdo big blink blockquote body br button canvas caption
    center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed fieldset
    figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img
    input ins kbd label legend li link main map mark marquee menu meta meter nav nobr noscript object ol optgroup
    option output p param picture pre progress q rp rt ruby s samp script section select small source span
    strike strong style sub summary sup table tbody td template textarea tfoot th thead time title tr track tt u
    ul var video wbr
""".split())

_NAMES = "|".join(sorted(HTML_ELEMENTS, key=len, reverse=True))
# An attribute as sanitised HTML writes it: a name, `=`, and a value (quoted, or unquoted without spaces).
# A bare name (`<input disabled>`) is valid HTML, but neither Coral's sanitiser nor WordPress's kses ever
# writes one, and counting them would make `<i think you are all vermin>` an `i` tag with five attributes.
_ATTR = r"""[^\s"'<>/=]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'=<>`]+)"""
# `<p>`, `<p class="x">`, `<a href=x>`, `</p>`, `<br/>`: a known element, attributes shaped as above, closed by `>`.
_REAL_TAG = rf"(?:/(?:{_NAMES})\s*|(?:{_NAMES})(?:\s+{_ATTR})*\s*/?)>"
_TAG = re.compile("<" + _REAL_TAG, re.IGNORECASE)
# A `<` that opens no real tag is text (`<3`, `<you are vermin>`, `<i think you are all vermin>`, `<!-- ... -->`).
_NOT_MARKUP = re.compile(f"<(?!{_REAL_TAG})", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")


def looks_like_html(body: str) -> bool:
    """True when `body` has a real tag of a known HTML element, or an HTML entity.

    Coral's external moderation request carries no format flag: in its
    plain-text format the body is already entity-decoded, so a reader's typed
    ``<you are vermin>`` or ``<i think you are all vermin>`` arrives as literal
    angle brackets. Parsed as HTML it would be a tag and vanish, and the abuse
    inside it be allowed; so only a tag shaped as sanitised HTML writes tags
    (attributes as ``name="value"``, closed by ``>``) counts as markup.
    """
    return bool(_TAG.search(body) or _ENTITY.search(body))


class _TextOnly(HTMLParser):
    """Coral may send the comment as HTML, and WordPress always stores it so; we score the text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("br", "p", "div", "li", "blockquote"):
            self.parts.append("\n")


def html_to_text(body: str) -> str:
    """The text a reader sees: tags and attributes dropped, entities decoded.

    Scoring the markup instead lets empty tags split a word (``r<b></b>ats``)
    and lets a word that is only in a link's URL match the word lists.

    Only real markup is markup: a body with no real tag and no entity is
    returned as given (see `looks_like_html`), and in one that has them, a
    ``<`` that opens no real tag (``<3``, ``<you are vermin>``, ``<i think
    you are all vermin>``, an HTML comment) stays text. Coral and WordPress
    sanitise stored HTML down to known elements with ``name="value"``
    attributes and no comments, so such a ``<`` is one the reader typed and
    sees; text is only ever dropped when it is inside a real tag.
    """
    if not looks_like_html(body):
        return body
    if "<" not in body:
        return html.unescape(body)
    parser = _TextOnly()
    parser.feed(_NOT_MARKUP.sub("&lt;", body))
    parser.close()
    return "".join(parser.parts).strip()


@endpoint
async def coral(request: Request, hook: Hook) -> Response:
    """POST /v1/coral: a Coral Talk external moderation phase.

    allow -> 204 (Coral's own settings decide); hold -> SYSTEM_WITHHELD and a
    toxic flag (the comment waits in the moderation queue); reject -> REJECTED.
    A comment over the length limit, or one that fails to score, gets the
    policy's fail mode, since Coral publishes when a phase errors or times out.

    Coral's request does not say which format the phase sends, so the body
    counts as HTML only when it has real markup (`html_to_text`). A site that
    knows adds ``?format=text`` (score the body exactly as given: Coral has
    already stripped the markup) or ``?format=html`` to the phase URL.
    """
    body_format = request.query_params.get("format", "auto")
    if body_format not in ("auto", "text", "html"):
        raise ApiError(400, f"format={body_format!r} is not a format: use text or html, as the Coral phase is set")
    raw = await read_body(request, hook)
    if hook.settings.coral_secret and not coral_signature_ok(raw, request.headers.get("x-coral-signature"),
                                                             hook.settings.coral_secret):
        raise ApiError(401, "missing or wrong X-Coral-Signature (HMAC-SHA256 of the body with the signing secret)")
    body = need_object(parse_json(raw), "request body")
    comment = need_object(body.get("comment"), "comment")
    text_raw = comment.get("body")
    if not isinstance(text_raw, str):
        raise ApiError(400, "comment.body is required and must be a string")
    # Coral always sends objects here. Anything else only loses the context ids: the comment is still
    # scored, since Coral publishes a comment whose phase answered an error (a 400 would let it through).
    author = body["author"] if isinstance(body.get("author"), dict) else {}
    story = body["story"] if isinstance(body.get("story"), dict) else {}
    text = text_raw if body_format == "text" else html_to_text(text_raw)
    if len(text) > hook.settings.max_comment_chars:
        verdict = hook.policy.fail_verdict(f"comment is {len(text)} characters, over the limit of "
                                           f"{hook.settings.max_comment_chars}", model_version=hook.moderator.version,
                                           text=text)
    elif not text.strip():
        return Response(status_code=204, headers={"X-Moderation-Decision": "allow"})
    else:
        context = {"id": comment.get("id"), "author": author.get("id"), "thread": story.get("id")}
        verdict = await hook.check_soon(text, {k: str(v) for k, v in context.items() if v})
    headers = {"X-Moderation-Decision": verdict.decision}
    if verdict.decision == "allow":
        return Response(status_code=204, headers=headers)
    answer: dict[str, Any] = {"actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
                              "status": "REJECTED" if verdict.decision == "reject" else "SYSTEM_WITHHELD"}
    return JSONResponse(answer, headers=headers)


def coral_signature_ok(raw: bytes, header: str | None, secret: str) -> bool:
    """Coral signs the body: `X-Coral-Signature: sha256=HEX[,sha256=HEX...]` (HMAC-SHA256, one per active secret)."""
    if not header:
        return False
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "sha256" and hmac.compare_digest(value, expected):
            return True
    return False


def wordpress_id(body: dict[str, Any], name: str) -> str | int | float | None:
    """A $commentdata field echoed back, in the JSON type it came in; None when absent, "" or 0 ("none" to WordPress).

    As on /v1/check, anything but a string or a number is a 400: echoed as
    Python's ``str()`` it came back as ``True`` or ``{'a': 1}``, neither the
    value nor the type that was sent. WordPress itself never sends one.
    """
    value = body.get(name)
    if value is None:
        return None
    value = id_value(value, name)
    return None if value == "" or value == 0 else value


@endpoint
async def wordpress(request: Request, hook: Hook) -> Response:
    """POST /v1/wordpress/pre_comment_approved: WordPress's $commentdata in, the `approved` value out.

    comment_content is HTML (WordPress renders <b>, <i>, <a> ... in comments),
    so it is scored as the text a reader sees, as on /v1/coral; the evidence
    offsets refer to that text.

    The content is taken as sent, not unslashed: the filter's $commentdata is
    slashed (wp_slash), so the plugin snippet sends wp_unslash($commentdata);
    unslashing here too would eat a real backslash from a client that already
    sends plain text. The author falls back to the logged-in user's id, which
    WordPress names `user_ID` in $commentdata (and `user_id` after
    wp_new_comment copies it).
    """
    body = need_object(await read_json(request, hook), "request body")
    content = body.get("comment_content")
    if not isinstance(content, str):
        raise ApiError(400, "comment_content is required and must be a string")
    if not content.strip():
        raise ApiError(400, "comment_content is empty")
    text = html_to_text(content)
    given = {name: wordpress_id(body, name) for name in ("comment_ID", "comment_author", "user_id", "user_ID",
                                                           "comment_post_ID")}
    context = {"id": given["comment_ID"],
               "author": given["comment_author"] or given["user_id"] or given["user_ID"],
               "thread": given["comment_post_ID"]}
    context = {k: v for k, v in context.items() if v is not None}
    if len(text) > hook.settings.max_comment_chars:
        verdict = hook.policy.fail_verdict(f"comment is {len(text)} characters, over the limit of "
                                           f"{hook.settings.max_comment_chars}", model_version=hook.moderator.version,
                                           text=text)
    elif not text.strip():
        raise ApiError(400, "comment_content has no visible text (markup only)")
    else:
        verdict = await hook.check_soon(text, context)
    answer = {"approved": hook.policy.wordpress[verdict.decision], **context, **verdict.to_dict()}
    return JSONResponse(answer, headers={"X-Moderation-Decision": verdict.decision})


async def healthz(request: Request) -> Response:
    """GET /healthz: the worker is up and its model loaded (no API key needed, for load balancers)."""
    hook: Hook = request.app.state.hook
    return JSONResponse({"status": "ok", "model_version": hook.moderator.version, "pending": hook.pending})


@endpoint
async def version(request: Request, hook: Hook) -> Response:
    """GET /version: package and model versions, the model card summary and the policy in force."""
    return JSONResponse({
        "moderation": __version__,
        "model_version": hook.moderator.version,
        "labels": list(hook.moderator.labels),
        "card": hook.card_summary(),
        "policy": hook.policy.to_dict(),
        "perspective_attributes": hook.attributes,
        "limits": {k: v for k, v in asdict(hook.settings).items() if k not in ("api_key", "coral_secret")},
        "api_key_required": bool(hook.settings.api_key),
    })


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(404, f"no endpoint {request.method} {request.url.path}; see GET /version and docs/service.md")
    if exc.status_code == 405:  # Starlette's exception carries the Allow header RFC 9110 requires
        return error_response(405, f"{request.method} is not allowed on {request.url.path}", exc.headers)
    return error_response(exc.status_code, str(exc.detail))


class AnswerErrors:
    """ASGI middleware: an unhandled exception is logged once, with its traceback, and answered as a JSON 500.

    A Starlette `Exception` handler does not end the matter: its
    ServerErrorMiddleware sends the handler's answer and then re-raises, so
    uvicorn logged the same traceback a second time ("Exception in ASGI
    application"). Caught here, inside that middleware, it goes no further.
    Once an answer has started it cannot become a 500: then the exception
    goes on to uvicorn, which logs it (once) and closes the connection.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:
            if started:
                raise
            log.exception("unhandled error on %s", scope.get("path"), exc_info=exc)
            await error_response(500, f"internal error: {type(exc).__name__}")(scope, receive, send)


def create_app(moderator: Any, settings: ServiceSettings | None = None) -> Starlette:
    """The ASGI app around an already-loaded model (tests and embedding pass theirs in)."""
    settings = settings or ServiceSettings()
    app = Starlette(
        routes=[
            Route("/v1/check", check, methods=["POST"]),
            Route("/v1/check:batch", check_batch, methods=["POST"]),
            Route("/v1alpha1/comments:analyze", perspective_analyze, methods=["POST"]),
            Route("/v1alpha1/comments:suggestscore", perspective_suggest_score, methods=["POST"]),
            Route("/v1/coral", coral, methods=["POST"]),
            Route("/v1/wordpress/pre_comment_approved", wordpress, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/version", version, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
        middleware=[Middleware(AnswerErrors)],
    )
    # /v1/check/ is an unknown path, answered with a JSON 404 in the error shape like any other,
    # not with Starlette's empty 307 redirect to /v1/check.
    app.router.redirect_slashes = False
    app.state.hook = Hook(moderator, settings)
    return app


def _http_protocol_base() -> type[asyncio.Protocol]:
    """uvicorn's own choice of HTTP protocol class: httptools when installed, else h11."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return AutoHTTPProtocol


class HeaderDeadlineProtocol(_http_protocol_base()):  # type: ignore[misc]
    """uvicorn's HTTP protocol, closing a connection whose request line and headers do not arrive in time.

    uvicorn times out only the idle gap after a response (keep-alive), never a
    request whose headers are still coming (Kludex/uvicorn#160): a connection
    that sends nothing, or half its headers, is held for good. Each one counts
    towards uvicorn's ``limit_concurrency``, past which uvicorn answers every
    request, /healthz included, with its own 503; a few hundred silent sockets
    (or a pool that pre-opens them) took the service down. The deadline is
    uvicorn's keep-alive timeout (``--timeout``), counted from the connection
    opening or from the first byte of the next request on a kept-alive one;
    once the headers are in, the app's body timeout (408) takes over. The
    connection is closed without an answer, as an expired keep-alive one is.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and self._between_requests():
            self._arm_header_deadline()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._cancel_header_deadline()  # idle from here on is the keep-alive timeout's
        super().on_response_complete()

    def _between_requests(self) -> bool:
        """No request whose headers have been read is in progress on this connection."""
        return self.cycle is None or self.cycle.response_complete

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.timeout_keep_alive, self._header_deadline_passed)

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()


def redact_query_key(path: str) -> str:
    """`/v1/coral?key=s3cret&x=1` -> `/v1/coral?key=REDACTED&x=1`: the API key's value, however the name is encoded."""
    head, sep, query = path.partition("?")
    if not sep:
        return path
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, eq, value = part.partition("=")
        if eq and value and unquote_plus(name) == "key":
            parts[i] = f"{name}=REDACTED"
    return f"{head}?{'&'.join(parts)}"


class RedactApiKey(logging.Filter):
    """Keeps the API key out of uvicorn's access log (on by default), which often ends up in journald or syslog.

    Perspective clients and Coral phase URLs send the key as ``?key=``; uvicorn
    logs each request as ``args = (client_addr, method, path_with_query,
    http_version, status_code)``, so the path is rewritten in the record
    before any handler (or formatter) sees it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redact_query_key(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging config with RedactApiKey on the access logger.

    Passed as uvicorn's ``log_config``, it is applied in every worker process
    too (``--workers`` > 1), where a filter added to the parent's logger would not be.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_api_key"] = {"()": f"{__name__}.RedactApiKey"}
    access = config["loggers"]["uvicorn.access"]
    access["filters"] = [*access.get("filters", []), "redact_api_key"]
    return config


def load_moderator(model_path: str | None = None, policy_path: str | None = None) -> Any:
    """The model with the policy in force: `--policy FILE` over the card's thresholds, or the default policy."""
    from moderation.model import load_model
    from moderation.policy import load_policy

    moderator = load_model(path=model_path)
    moderator.policy = load_policy(policy_path, card=moderator.card)
    return moderator


def app_from_env() -> Starlette:
    """uvicorn's app factory in each worker process: settings from the environment, the model loaded once here."""
    config = json.loads(os.environ[SETTINGS_ENV])
    settings = ServiceSettings(**config["settings"])
    if config.get("api_key_env"):
        settings.api_key = os.environ.get(config["api_key_env"]) or None
    if config.get("coral_secret_env"):
        settings.coral_secret = os.environ.get(config["coral_secret_env"]) or None
    return create_app(load_moderator(config.get("model_path"), config.get("policy_path")), settings)
