"""The HTTP service, through a real uvicorn server on a free 127.0.0.1 port: every endpoint, the limits, bad input."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn

from moderation.commands.serve import is_loopback
from moderation.service import (RedactApiKey, ServiceSettings, create_app, html_to_text, log_config, redact_query_key,
                                sentence_spans, utf16_spans)

BENIGN = "Thanks for this, a clear and fair piece on a hard subject."
SUSPECT = "They are subhumans, all of them."  # on the shipped suspect list: hold or worse
BANNED = "Go back where you came from, you raghead."  # on the shipped banned list: reject


class Server:
    """uvicorn running an app in a thread, on a free loopback port."""

    def __init__(self, app: Any, **config_options: Any):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # A long keep-alive: the module's servers are shared by tests, and a server that closes an idle
        # connection just as the client's pool reuses it answers nothing (a known race, encode/httpx#2983).
        # With 2 s, one test failed once, on a loaded machine, right after a test that takes about 2 s;
        # the race is the likely cause (not reproduced in 40 tries).
        options = {"log_level": "critical", "access_log": False, "timeout_keep_alive": 60, **config_options}
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def hook_moderator(moderator):
    """The session's model with the hook's default policy, on a copy so other tests keep theirs."""
    from moderation.policy import load_policy

    hooked = copy.copy(moderator)
    hooked.policy = load_policy(card=moderator.card)
    return hooked


@pytest.fixture(scope="module")
def server(hook_moderator):
    """The default service around the shipped model and the default policy."""
    srv = Server(create_app(hook_moderator, ServiceSettings(max_body_bytes=4096, max_comment_chars=1000, max_batch=5)))
    yield srv
    srv.stop()


class Flaky:
    """The shipped model, except that it raises on comments containing FAIL (for the fail mode)."""

    def __init__(self, moderator):
        self._m = moderator
        self.policy, self.version, self.labels, self.card = moderator.policy, moderator.version, moderator.labels, moderator.card

    def check(self, text, context=None):
        if "FAIL" in text:
            raise RuntimeError("model exploded")
        return self._m.check(text, context)

    def score(self, texts):
        if any("FAIL" in t for t in texts):
            raise RuntimeError("model exploded")
        return self._m.score(texts)


@pytest.fixture(scope="module")
def strict(hook_moderator):
    """API key and Coral secret set, one pending request per worker, a short timeout, a model that can fail."""
    settings = ServiceSettings(max_pending=1, timeout=0.5, api_key="s3cret", coral_secret="coral-signing")
    srv = Server(create_app(Flaky(hook_moderator), settings))
    yield srv
    srv.stop()


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "status"}
    assert body["error"]["code"] == response.status_code
    return body["error"]


# --- /v1/check and /v1/check:batch ------------------------------------------------


def test_check_benign_allows_with_reasons_and_echoes_context(server):
    r = server.client.post("/v1/check", json={"text": BENIGN, "id": "c1", "author": "ann", "thread": 12})
    assert r.status_code == 200
    v = r.json()
    assert (v["id"], v["author"], v["thread"]) == ("c1", "ann", 12)  # as sent
    assert v["decision"] == "allow" and r.headers["x-moderation-decision"] == "allow"
    assert set(v["scores"]) == set(server_labels(server))
    assert all(0.0 <= s <= 1.0 for s in v["scores"].values())
    assert v["reasons"] and v["reasons"][0]["kind"] == "clear"
    assert v["model_version"]


def server_labels(server) -> list[str]:
    return server.client.get("/version").json()["labels"]


def test_check_suspect_word_holds_with_its_span(server):
    v = server.client.post("/v1/check", json={"text": SUSPECT}).json()
    assert v["decision"] in ("hold", "reject")
    match = [r for r in v["reasons"] if r["kind"] == "suspect_word"][0]
    assert SUSPECT[match["start"]:match["end"]] == "subhumans" == match["text"]


def test_check_banned_word_rejects(server):
    v = server.client.post("/v1/check", json={"text": BANNED}).json()
    assert v["decision"] == "reject"
    assert any(r["kind"] == "banned_word" and r["text"] == "raghead" for r in v["reasons"])


def test_check_dehumanising_comment_has_evidence_in_its_reasons(server):
    text = "These orcs are not human, they are cockroaches to be exterminated."
    v = server.client.post("/v1/check", json={"text": text}).json()
    assert v["decision"] in ("hold", "reject")
    score_reasons = [r for r in v["reasons"] if r["kind"] == "score"]
    assert score_reasons, v
    for reason in score_reasons:
        assert "evidence" in reason
        for span in reason["evidence"]:
            assert text[span["start"]:span["end"]] == span["text"]


def test_batch_keeps_order_and_context(server):
    comments = [{"text": BENIGN, "id": "a"}, {"text": BANNED, "id": "b"}, {"text": SUSPECT}]
    r = server.client.post("/v1/check:batch", json={"comments": comments})
    assert r.status_code == 200
    verdicts = r.json()["verdicts"]
    assert [v.get("id") for v in verdicts] == ["a", "b", None]
    assert verdicts[0]["decision"] == "allow" and verdicts[1]["decision"] == "reject"
    single = server.client.post("/v1/check", json={"text": BANNED}).json()
    assert verdicts[1]["scores"] == single["scores"]


def test_batch_limits_and_item_errors(server):
    r = server.client.post("/v1/check:batch", json={"comments": [{"text": "x"}] * 6})
    assert r.status_code == 413 and "limit is 5" in error_of(r)["message"]
    r = server.client.post("/v1/check:batch", json={"comments": [{"text": "ok"}, {"txt": "no"}]})
    assert r.status_code == 400 and "comments[1].text" in error_of(r)["message"]
    r = server.client.post("/v1/check:batch", json={"items": []})
    assert r.status_code == 400 and "\"comments\" is required" in error_of(r)["message"]
    assert server.client.post("/v1/check:batch", json={"comments": []}).json() == {"verdicts": []}


@pytest.mark.parametrize("given, echoed", [
    ('"c42"', "c42"), ("42", 42), ("0", 0), ("4.5", 4.5), ("1e3", 1000.0), ("-7", -7),
    ("12345678901234567890123", 12345678901234567890123),
])
def test_an_id_is_echoed_in_the_json_type_it_came_in(server, given, echoed):
    """QA pass 7, finding 3: numbers came back as strings, and 4.5 or 1e3 were refused."""
    fields = f'"id": {given}, "author": {given}, "thread": {given}'
    r = server.client.post("/v1/check", content=f'{{"text": "{BENIGN}", {fields}}}'.encode())
    assert r.status_code == 200, r.text
    r2 = server.client.post("/v1/check:batch", content=f'{{"comments": [{{"text": "{BENIGN}", {fields}}}]}}'.encode())
    assert r2.status_code == 200, r2.text
    for verdict in (r.json(), r2.json()["verdicts"][0]):
        for key in ("id", "author", "thread"):
            assert verdict[key] == echoed and type(verdict[key]) is type(echoed)
    r = server.client.post("/v1/wordpress/pre_comment_approved",
                           content=f'{{"comment_content": "{BENIGN}", "comment_post_ID": {given}}}'.encode())
    assert r.status_code == 200, r.text
    if echoed != 0:  # WordPress's 0 means "none"
        assert r.json()["thread"] == echoed and type(r.json()["thread"]) is type(echoed)


@pytest.mark.parametrize("path, body", [
    ("/v1/check", '{"text": "hi", "id": NaN}'),
    ("/v1/check", '{"text": "hi", "id": 1e400}'),
    ("/v1alpha1/comments:suggestscore", '{"clientToken": NaN}'),  # a 500 before: echoed, it cannot be JSON
    ("/v1alpha1/comments:suggestscore", '{"clientToken": [-Infinity]}'),
    ("/v1alpha1/comments:analyze", '{"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, '
                                   '"clientToken": 1e999}'),
    ("/v1alpha1/comments:analyze", '{"comment": {"text": "hi"}, "requestedAttributes": '
                                   '{"TOXICITY": {"scoreThreshold": NaN}}}'),
])
def test_nan_infinity_and_numbers_out_of_range_are_malformed_json(server, path, body):
    r = server.client.post(path, content=body.encode())
    assert r.status_code == 400, r.text
    assert error_of(r)["message"].startswith("malformed JSON: ")


# --- bad input and limits ---------------------------------------------------------


@pytest.mark.parametrize("body, message", [
    (b"{\"text\": ", "malformed JSON"),
    (b"", "empty request body"),
    (b"[1, 2]", "request body must be a JSON object"),
    (b"{\"text\": 5}", "text is required and must be a string"),
    (b"{\"text\": \"   \"}", "text is empty"),
    (b"{\"text\": \"hi\", \"id\": {\"a\": 1}}", "id must be a string or a number"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{\"text\": " + b"[" * 1500 + b"]" * 1500 + b"}", "nested too deeply"),  # QA pass 5: a 500 before
])
def test_bad_input_is_400_with_a_clear_message(server, body, message):
    r = server.client.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert message in error_of(r)["message"]


def test_malformed_json_message_gives_the_position(server):
    r = server.client.post("/v1/check", content=b"{\n  \"text\": 'single quotes'\n}")
    assert error_of(r)["message"] == "malformed JSON: Expecting value at line 2 column 11"


def test_body_over_the_limit_is_413_by_header_and_by_stream(server):
    r = server.client.post("/v1/check", content=json.dumps({"text": "a " * 3000}))
    assert r.status_code == 413 and "--max-body-bytes" in error_of(r)["message"]

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(10):
            yield b" " * 1000

    r = server.client.post("/v1/check", content=chunks())
    assert r.status_code == 413


def test_comment_over_the_length_limit_is_413_and_under_it_scored_whole(server):
    r = server.client.post("/v1/check", json={"text": "word " * 201})  # 1005 characters, limit 1000
    assert r.status_code == 413 and "--max-comment-chars" in error_of(r)["message"]
    text = "fine words " * 89 + "subhumans"  # 988 characters, the match at the very end
    v = server.client.post("/v1/check", json={"text": text}).json()
    assert any(r["kind"] == "suspect_word" and r["start"] == len(text) - 9 for r in v["reasons"])


def test_unknown_path_and_wrong_method_are_json_errors(server):
    r = server.client.get("/v2/nothing")
    assert r.status_code == 404 and error_of(r)["status"] == "NOT_FOUND"
    r = server.client.get("/v1/check")
    assert r.status_code == 405


def test_trailing_slash_is_a_json_404_not_an_empty_redirect(server):
    r = server.client.post("/v1/check/", json={"text": BENIGN})
    assert r.status_code == 404 and "location" not in r.headers
    assert error_of(r)["message"].startswith("no endpoint POST /v1/check/")


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/v1/check", {"POST"}), ("OPTIONS", "/v1/check", {"POST"}), ("POST", "/healthz", {"GET", "HEAD"}),
])
def test_wrong_method_answers_405_with_the_allow_header(server, method, path, allowed):
    r = server.client.request(method, path)
    assert r.status_code == 405 and error_of(r)["status"] == "METHOD_NOT_ALLOWED"
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed  # RFC 9110 15.5.6


def test_a_leading_utf8_bom_is_ignored(server):
    """Some Windows/.NET clients start the body with a BOM; RFC 8259 lets a parser ignore it."""
    r = server.client.post("/v1/check", content=b"\xef\xbb\xbf" + json.dumps({"text": BANNED}).encode())
    assert r.status_code == 200 and r.json()["decision"] == "reject"
    r = server.client.post("/v1/coral", content=b"\xef\xbb\xbf" + json.dumps(coral_request(BANNED)).encode())
    assert r.status_code == 200 and r.json()["status"] == "REJECTED"
    r = server.client.post("/v1/check", content=b"\xef\xbb\xbf")
    assert r.status_code == 400 and "empty request body" in error_of(r)["message"]



# A lone UTF-16 surrogate (JSON "\ud800": half of an emoji pair a JavaScript truncation cut) cannot be
# written as UTF-8; QA pass 7: echoed back in `id`, `author` or `clientToken` it made a 500.
LONE = "\\ud800"  # the JSON escape, as sent


@pytest.mark.parametrize("field", ["id", "author", "thread"])
def test_a_lone_surrogate_in_an_echoed_field_becomes_U_FFFD(server, field):
    r = server.client.post("/v1/check", content=f'{{"text": "{BENIGN}", "{field}": "a{LONE}b"}}'.encode())
    assert r.status_code == 200, r.text
    assert r.json()[field] == "a\ufffdb"
    r = server.client.post("/v1/check:batch",
                           content=f'{{"comments": [{{"text": "{BENIGN}", "{field}": "c{LONE}"}}]}}'.encode())
    assert r.status_code == 200, r.text
    assert r.json()["verdicts"][0][field] == "c\ufffd"


def test_a_lone_surrogate_in_the_text_becomes_U_FFFD_one_for_one(server):
    # The surrogate is inside the banned word's match and the evidence span, both echoed as text.
    r = server.client.post("/v1/check", content=f'{{"text": "you ragheads{LONE} x"}}'.encode())
    assert r.status_code == 200, r.text
    verdict = r.json()
    banned = [reason for reason in verdict["reasons"] if reason["kind"] == "banned_word"]
    assert banned and banned[0]["text"].startswith("raghead")
    for span in verdict["evidence"]:  # offsets unchanged: one character for one
        assert "you ragheads\ufffd x"[span["start"]:span["end"]] == span["text"]


def test_a_lone_surrogate_in_perspective_and_wordpress_requests_is_not_a_500(server):
    analyze = (f'{{"comment": {{"text": "{BENIGN} {LONE}"}}, "requestedAttributes": {{"TOXICITY": {{}}}}, '
               f'"spanAnnotations": true, "clientToken": "t{LONE}"}}')
    r = server.client.post("/v1alpha1/comments:analyze", content=analyze.encode())
    assert r.status_code == 200 and r.json()["clientToken"] == "t\ufffd", r.text
    r = server.client.post("/v1alpha1/comments:analyze",
                           content=f'{{"comment": {{"text": "hi"}}, "clientToken": {{"k": ["{LONE}"]}}, '
                                   f'"requestedAttributes": {{"TOXICITY": {{}}}}}}'.encode())
    assert r.status_code == 200 and r.json()["clientToken"] == {"k": ["\ufffd"]}, r.text
    r = server.client.post("/v1alpha1/comments:suggestscore", content=f'{{"clientToken": "t{LONE}"}}'.encode())
    assert r.status_code == 200 and r.json() == {"clientToken": "t\ufffd"}, r.text
    # an attribute name is echoed in the error message
    r = server.client.post("/v1alpha1/comments:analyze",
                           content=f'{{"comment": {{"text": "hi"}}, "requestedAttributes": {{"T{LONE}": {{}}}}}}'.encode())
    assert r.status_code == 400 and "Unknown attribute: T\ufffd." in error_of(r)["message"], r.text
    r = server.client.post("/v1/wordpress/pre_comment_approved",
                           content=f'{{"comment_content": "{BENIGN}", "comment_ID": "c{LONE}", '
                                   f'"comment_author": "a{LONE}"}}'.encode())
    assert r.status_code == 200 and (r.json()["id"], r.json()["author"]) == ("c\ufffd", "a\ufffd"), r.text
    r = server.client.post("/v1/coral", content=json.dumps(coral_request(BENIGN)).replace(
        '"baf4e943"', f'"b{LONE}"').encode())
    assert r.status_code == 204, r.text


# --- Perspective ------------------------------------------------------------------


def test_perspective_documented_request_gets_the_documented_response_shape(server):
    # The request example of Perspective's documentation (AnalyzeComment).
    request = {"comment": {"text": "What kind of idiot name is foo?"}, "languages": ["en"],
               "requestedAttributes": {"TOXICITY": {}}}
    r = server.client.post("/v1alpha1/comments:analyze", json=request)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"attributeScores", "languages"}
    assert body["languages"] == ["en"]
    toxicity = body["attributeScores"]["TOXICITY"]
    assert set(toxicity) == {"spanScores", "summaryScore"}
    assert toxicity["summaryScore"]["type"] == "PROBABILITY"
    assert 0.0 <= toxicity["summaryScore"]["value"] <= 1.0
    assert toxicity["spanScores"] == [{"begin": 0, "end": 31, "score": toxicity["summaryScore"]}]


def test_perspective_without_languages_scores_as_english_and_claims_no_detection(server):
    """We detect no language: the answer says what we scored as, and has no detectedLanguages (QA pass 3)."""
    french = "Ferme ta gueule, espèce de connard, les immigrés sont des cafards."
    body = server.client.post("/v1alpha1/comments:analyze",
                              json={"comment": {"text": french}, "requestedAttributes": {"TOXICITY": {}}}).json()
    assert body["languages"] == ["en"] and "detectedLanguages" not in body
    assert "TOXICITY" in body["attributeScores"]


def test_perspective_attributes_map_to_our_labels(server):
    text = "They are vermin and cockroaches, subhuman orcs."
    ours = server.client.post("/v1/check", json={"text": text}).json()["scores"]
    request = {"comment": {"text": text}, "clientToken": "tok-1",
               "requestedAttributes": {"TOXICITY": {}, "IDENTITY_ATTACK": {}, "INSULT": {}, "DEHUMANISING": {}}}
    body = server.client.post("/v1alpha1/comments:analyze", json=request).json()
    scores = {k: v["summaryScore"]["value"] for k, v in body["attributeScores"].items()}
    assert scores["DEHUMANISING"] == pytest.approx(ours["dehumanising"], abs=1e-6)
    assert scores["IDENTITY_ATTACK"] == pytest.approx(ours["dehumanising"], abs=1e-6)
    assert scores["INSULT"] == pytest.approx(ours["abusive"], abs=1e-6)
    assert scores["TOXICITY"] == pytest.approx(max(ours.values()), abs=1e-6)
    assert body["clientToken"] == "tok-1"


def test_perspective_span_annotations_score_each_sentence(server):
    text = "Lovely weather in Kyiv today. They are cockroaches!"
    request = {"comment": {"text": text}, "requestedAttributes": {"DEHUMANISING": {}}, "spanAnnotations": True}
    spans = server.client.post("/v1alpha1/comments:analyze", json=request).json()["attributeScores"]["DEHUMANISING"]["spanScores"]
    assert [(s["begin"], s["end"]) for s in spans] == [(0, 29), (30, 51)]
    assert spans[1]["score"]["value"] > spans[0]["score"]["value"]


def test_perspective_span_offsets_are_utf16_code_units(server):
    """Perspective's SpanScore begin/end count UTF-16 units, so a JS client's slice finds the sentence (QA pass 3)."""
    text = "👍👍 Good point. Our MP is a lying moron."
    request = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotations": True}
    spans = server.client.post("/v1alpha1/comments:analyze", json=request).json()["attributeScores"]["TOXICITY"]["spanScores"]
    assert [(s["begin"], s["end"]) for s in spans] == [(0, 16), (17, 41)]
    units = text.encode("utf-16-le")
    assert [units[2 * s["begin"]:2 * s["end"]].decode("utf-16-le") for s in spans] == [
        "👍👍 Good point.", "Our MP is a lying moron."]
    whole = server.client.post("/v1alpha1/comments:analyze", json={**request, "spanAnnotations": False}).json()
    assert [(s["begin"], s["end"]) for s in whole["attributeScores"]["TOXICITY"]["spanScores"]] == [(0, 41)]
    # Our own verdicts keep Python str (code point) offsets.
    v = server.client.post("/v1/check", json={"text": "👍 They are subhumans."}).json()
    match = [r for r in v["reasons"] if r["kind"] == "suspect_word"][0]
    assert (match["start"], match["end"]) == (11, 20)  # 12, 21 in UTF-16 units


def test_utf16_spans_without_astral_characters_are_unchanged():
    assert utf16_spans("héllo wörld", [(0, 5), (6, 11)]) == [(0, 5), (6, 11)]
    assert utf16_spans("a😀b😀c", [(0, 1), (2, 3), (4, 5)]) == [(0, 1), (3, 4), (6, 7)]


def test_perspective_score_threshold_omits_low_attributes(server):
    request = {"comment": {"text": BENIGN}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.99}}}
    assert server.client.post("/v1alpha1/comments:analyze", json=request).json()["attributeScores"] == {}


def test_perspective_drop_unsupported_attributes_drops_instead_of_400(server):
    """dropUnsupportedAttributes: unscored attributes and languages beside "en" are dropped, not a 400 (QA pass 3)."""
    url = "/v1alpha1/comments:analyze"
    request = {"comment": {"text": "I will find you, you idiot."}, "requestedAttributes": {"TOXICITY": {}, "THREAT": {}},
               "dropUnsupportedAttributes": True}
    r = server.client.post(url, json=request)
    assert r.status_code == 200 and set(r.json()["attributeScores"]) == {"TOXICITY"}
    alone = server.client.post(url, json={**request, "requestedAttributes": {"TOXICITY": {}}}).json()
    assert r.json()["attributeScores"] == alone["attributeScores"]
    r = server.client.post(url, json={**request, "languages": ["en", "de"]})
    assert r.status_code == 200 and set(r.json()["attributeScores"]) == {"TOXICITY"}
    assert r.json()["languages"] == ["en"]  # what it was scored as
    r = server.client.post(url, json={**request, "requestedAttributes": {"THREAT": {}, "FLIRTATION": {}}})
    assert r.status_code == 400
    assert "None of the requested attributes is supported: THREAT, FLIRTATION" in error_of(r)["message"]
    r = server.client.post(url, json={**request, "languages": ["de"]})
    assert r.status_code == 400 and "in request languages de" in error_of(r)["message"]
    r = server.client.post(url, json={**request, "dropUnsupportedAttributes": False})
    assert r.status_code == 400 and "Unknown attribute: THREAT" in error_of(r)["message"]


def test_perspective_suggestscore_is_a_no_op_that_echoes_the_client_token(server, strict):
    """Coral's "send feedback" posts each moderation decision here and logs an error unless the token comes back."""
    # The body Coral sends (coralproject/talk, services/perspective).
    feedback = {"comment": {"text": "You are an idiot."}, "attributeScores": {"APPROVED": {"summaryScore": {"value": 1}}},
                "languages": ["en"], "communityId": "Coral:https://news.example", "clientToken": "comment:42",
                "context": {"entries": [{"text": "{\"Coral_comment_id\": \"42\"}"}]}}
    r = server.client.post("/v1alpha1/comments:suggestscore", json=feedback)
    assert r.status_code == 200 and r.json() == {"clientToken": "comment:42"}
    no_token = {k: v for k, v in feedback.items() if k != "clientToken"}
    assert server.client.post("/v1alpha1/comments:suggestscore", json=no_token).json() == {}
    r = server.client.post("/v1alpha1/comments:suggestscore", content=b"[1]")
    assert r.status_code == 400 and "request body must be a JSON object" in error_of(r)["message"]
    assert strict.client.post("/v1alpha1/comments:suggestscore", json=feedback).status_code == 401
    r = strict.client.post("/v1alpha1/comments:suggestscore?key=s3cret", json=feedback)
    assert r.status_code == 200 and r.json() == {"clientToken": "comment:42"}


def test_perspective_unspecified_enum_values_are_the_defaults(server):
    """TEXT_TYPE_UNSPECIFIED and SCORE_TYPE_UNSPECIFIED mean unset in Perspective's enums (QA pass 3)."""
    url = "/v1alpha1/comments:analyze"
    plain = server.client.post(url, json={"comment": {"text": "You are an idiot."},
                                          "requestedAttributes": {"TOXICITY": {}}}).json()
    r = server.client.post(url, json={"comment": {"text": "You are an idiot.", "type": "TEXT_TYPE_UNSPECIFIED"},
                                      "requestedAttributes": {"TOXICITY": {"scoreType": "SCORE_TYPE_UNSPECIFIED"}}})
    assert r.status_code == 200 and r.json()["attributeScores"] == plain["attributeScores"]
    assert r.json()["attributeScores"]["TOXICITY"]["summaryScore"]["type"] == "PROBABILITY"
    r = server.client.post(url, json={"comment": {"text": "hi", "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}})
    assert r.status_code == 400 and "send PLAIN_TEXT" in error_of(r)["message"]


@pytest.mark.parametrize("request_body, message", [
    ({"comment": {"text": "hi"}, "requestedAttributes": {"THREAT": {}}}, "Unknown attribute: THREAT"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"FLIRTATION": {}}}, "Unknown attribute: FLIRTATION"),
    ({"comment": {"text": "hi"}, "languages": ["de"], "requestedAttributes": {"TOXICITY": {}}},
     "Attribute TOXICITY does not support request languages: de"),
    ({"comment": {"text": "hi"}}, "requestedAttributes is required"),
    ({"comment": {}, "requestedAttributes": {"TOXICITY": {}}}, "comment.text is required"),
    ({"requestedAttributes": {"TOXICITY": {}}}, "comment must be a JSON object"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreType": "STD_DEV_SCORE"}}}, "scoreType"),
    # QA pass 8, finding 11: "false" switched spans on; "toxicity" was answered under TOXICITY, where no client looked.
    ({"comment": {"text": "Hi. You idiot."}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotations": "false"},
     'spanAnnotations must be true or false, not "false"'),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"toxicity": {}}},
     "Unknown attribute: toxicity (attribute names are upper case: TOXICITY)"),
])
def test_perspective_errors_are_400_like_perspective(server, request_body, message):
    r = server.client.post("/v1alpha1/comments:analyze", json=request_body)
    assert r.status_code == 400
    error = error_of(r)
    assert message in error["message"] and error["status"] == "INVALID_ARGUMENT"


# --- Coral and WordPress ----------------------------------------------------------


def coral_request(body: str) -> dict:
    # The shape of Coral's documented External Moderation Request.
    return {"action": "NEW", "comment": {"body": body, "parentID": None},
            "author": {"id": "baf4e943", "role": "COMMENTER"}, "story": {"id": "245b3856", "url": "http://localhost/a/"},
            "site": {"id": "a4bede88"}, "tenantID": "19ba5794", "tenantDomain": "localhost"}


def test_coral_allow_is_204_hold_is_withheld_reject_is_rejected(server):
    r = server.client.post("/v1/coral", json=coral_request(BENIGN))
    assert r.status_code == 204 and r.content == b""
    r = server.client.post("/v1/coral", json=coral_request("<p>They are <b>subhumans</b>, all of them.</p>"))
    assert r.status_code == 200
    assert r.json()["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    assert r.json()["status"] in ("SYSTEM_WITHHELD", "REJECTED")
    r = server.client.post("/v1/coral", json=coral_request(BANNED))
    assert r.json() == {"actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}], "status": "REJECTED"}


def test_coral_too_long_comment_gets_the_fail_mode_not_an_error(server):
    r = server.client.post("/v1/coral", json=coral_request("word " * 300))
    assert r.status_code == 200 and r.json()["status"] == "SYSTEM_WITHHELD"
    r = server.client.post("/v1/coral", json={"action": "NEW"})
    assert r.status_code == 400 and "comment must be a JSON object" in error_of(r)["message"]


def test_html_to_text_keeps_what_a_reader_sees():
    assert html_to_text("<p>You <b>orcs</b> &amp; co</p>") == "You orcs & co"
    assert html_to_text("plain &lt;3") == "plain <3"
    assert html_to_text("no markup") == "no markup"


def test_html_to_text_keeps_angle_brackets_that_are_not_markup():
    """Coral's plain-text body is entity-decoded: a typed `<...>` arrives literally and must be scored (QA pass 3)."""
    typed = "Great article <you are subhuman vermin, go back where you came from>"
    assert html_to_text(typed) == typed
    assert html_to_text("I <3 this, and a < b > c") == "I <3 this, and a < b > c"
    # In real HTML (a known tag or an entity), a `<` that opens no known element is still the reader's text.
    assert html_to_text("<p>I <3 this, and a < b > c</p>") == "I <3 this, and a < b > c"
    assert html_to_text("<b>Great</b> article <you are vermin>") == "Great article <you are vermin>"
    assert html_to_text("Tom &amp; Jerry <you are vermin>") == "Tom & Jerry <you are vermin>"
    assert html_to_text("<P CLASS=x>One</P><BR/>two") == "One\ntwo"


def test_coral_scores_a_plain_text_body_with_angle_brackets(server):
    typed = "Great article <you are subhuman vermin, go back where you came from>"
    r = server.client.post("/v1/coral", json=coral_request(typed))
    assert r.status_code == 200 and r.json()["status"] in ("SYSTEM_WITHHELD", "REJECTED")


def test_html_to_text_keeps_a_tag_shaped_text_that_is_not_a_real_tag():
    """`<i think you are all vermin>` is an `i` tag only to a lax parser: words are never attributes (QA pass 8, 1)."""
    for typed in ("<i think you are all vermin>", "<b careful, they breed like rats>",
                  "Honestly <a pack of vermin> the lot of them", "<u subhuman scum>", "<p lol>"):
        assert html_to_text(typed) == typed
    # An HTML comment is not markup a sanitiser would keep: it is the reader's text, never dropped.
    assert html_to_text("<p>Agreed.</p> <!-- they are all vermin -->") == "Agreed. <!-- they are all vermin -->"
    # Real tags, as Coral's sanitiser and WordPress's kses write them, are still markup.
    assert html_to_text('<a href="https://x.org/vermin" rel="nofollow ugc">Pest</a> ok') == "Pest ok"
    assert html_to_text("<a href=https://x.org/>y</a> <i>z</i>") == "y z"
    assert html_to_text("<i>ok</i> and <i think you are vermin>") == "ok and <i think you are vermin>"


@pytest.mark.parametrize("typed", ["<i think you are all vermin>", "<b careful, they breed like rats>",
                                   "Honestly <a pack of subhumans> the lot of them",
                                   "<p>Agreed.</p> <!-- they are all subhumans and should be gassed -->"])
def test_coral_scores_words_typed_inside_tag_shaped_brackets(server, typed):
    r = server.client.post("/v1/coral", json=coral_request(typed))
    assert r.status_code == 200 and r.json()["status"] in ("SYSTEM_WITHHELD", "REJECTED"), typed
    v = server.client.post("/v1/check", json={"text": typed}).json()
    assert r.headers["x-moderation-decision"] == v["decision"]


def test_coral_format_query_switch(server):
    """`?format=text` scores the body exactly as given; `?format=html` reduces it; anything else is a 400."""
    r = server.client.post("/v1/coral?format=text", json=coral_request('<a title="they are subhumans">x</a>'))
    assert r.status_code == 200 and r.json()["status"] in ("SYSTEM_WITHHELD", "REJECTED")
    r = server.client.post("/v1/coral?format=html", json=coral_request('<a title="they are subhumans">x</a>'))
    assert r.status_code == 204
    r = server.client.post("/v1/coral?format=markdown", json=coral_request(BENIGN))
    assert r.status_code == 400 and "format" in error_of(r)["message"]


def test_wordpress_scores_words_typed_inside_tag_shaped_brackets(server):
    """kses normally strips such a "tag" first; a body that reaches us unsanitised must not lose the words."""
    r = server.client.post("/v1/wordpress/pre_comment_approved",
                           json={"comment_content": "Fine piece. <b careful, they are subhumans>"})
    assert r.status_code == 200 and r.json()["decision"] != "allow"


def test_wordpress_answers_pre_comment_approved_values(server):
    base = {"comment_post_ID": 42, "comment_author": "Ann", "comment_author_email": "a@example.org", "comment_parent": 0}
    r = server.client.post("/v1/wordpress/pre_comment_approved", json={**base, "comment_content": BENIGN})
    assert r.status_code == 200 and r.json()["approved"] == 1 and r.json()["thread"] == 42
    r = server.client.post("/v1/wordpress/pre_comment_approved", json={**base, "comment_content": BANNED})
    assert r.json()["approved"] == "trash" and r.json()["decision"] == "reject"
    held = server.client.post("/v1/wordpress/pre_comment_approved", json={**base, "comment_content": SUSPECT}).json()
    assert held["approved"] in (0, "trash")
    r = server.client.post("/v1/wordpress/pre_comment_approved", json=base)
    assert r.status_code == 400 and "comment_content" in error_of(r)["message"]


def test_wordpress_author_falls_back_to_user_ID_or_user_id(server):
    """WordPress's $commentdata names the logged-in user `user_ID`; wp_new_comment adds `user_id` (QA pass 3)."""
    url = "/v1/wordpress/pre_comment_approved"
    assert server.client.post(url, json={"comment_content": BENIGN, "user_ID": 7}).json()["author"] == 7
    assert server.client.post(url, json={"comment_content": BENIGN, "user_id": 8}).json()["author"] == 8
    both = {"comment_content": BENIGN, "comment_author": "Ann", "user_ID": 7}
    assert server.client.post(url, json=both).json()["author"] == "Ann"
    assert "author" not in server.client.post(url, json={"comment_content": BENIGN, "user_ID": 0}).json()


def test_wordpress_content_is_not_unslashed(server):
    """The plugin sends wp_unslash($commentdata); a backslash that reaches the endpoint is the reader's own."""
    text = "C:\\Users\\me is where I keep them, they are subhumans."
    v = server.client.post("/v1/wordpress/pre_comment_approved", json={"comment_content": text}).json()
    match = [r for r in v["reasons"] if r["kind"] == "suspect_word"][0]
    assert text[match["start"]:match["end"]] == "subhumans"


def test_wordpress_scores_the_text_a_reader_sees_not_the_markup(server):
    """comment_content is HTML: empty tags must not hide a word, and a word only in an href must not hold."""
    url = "/v1/wordpress/pre_comment_approved"
    hidden = "They b<i></i>reed like r<b></b>ats, those ver<b></b>min"  # a reader sees "They breed like rats, those vermin"
    v = server.client.post(url, json={"comment_content": hidden}).json()
    assert v["decision"] != "allow" and v["approved"] != 1
    visible = html_to_text(hidden)
    assert visible == "They breed like rats, those vermin"
    for reason in v["reasons"]:  # offsets refer to the visible text
        if "start" in reason:
            assert visible[reason["start"]:reason["end"]] == reason["text"]
    link = '<a href="https://example.com/vermin-control">Pest control story</a> Nice article, thanks.'
    v = server.client.post(url, json={"comment_content": link}).json()
    assert v["decision"] == "allow" and v["approved"] == 1, v["reasons"]
    r = server.client.post(url, json={"comment_content": "<b></b> <i> </i>"})
    assert r.status_code == 400 and "no visible text" in error_of(r)["message"]
    v = server.client.post(url, json={"comment_content": "<p>I <3 this, a < b > c. They are <b>subhumans</b>.</p>"}).json()
    visible = "I <3 this, a < b > c. They are subhumans."
    match = [r for r in v["reasons"] if r["kind"] == "suspect_word"][0]
    assert visible[match["start"]:match["end"]] == "subhumans"


# --- healthz and version ------------------------------------------------------------


def test_healthz_and_version(server, moderator):
    assert server.client.get("/healthz").json()["status"] == "ok"
    v = server.client.get("/version").json()
    assert v["model_version"] == moderator.version
    assert v["labels"] == list(moderator.labels)
    assert v["card"]["thresholds"] == moderator.card["thresholds"]
    assert v["policy"]["fail_mode"] == "hold" and v["policy"]["banned_words"] > 0
    assert v["limits"]["max_comment_chars"] == 1000
    assert v["api_key_required"] is False
    assert "DEHUMANISING" in v["perspective_attributes"]


# --- the strict server: API key, Coral signature, pending bound, timeout, fail mode ---


def test_api_key_is_required_when_set(strict):
    c = strict.client
    assert c.get("/healthz").status_code == 200  # load balancers need no key
    r = c.post("/v1/check", json={"text": BENIGN})
    assert r.status_code == 401 and error_of(r)["status"] == "UNAUTHENTICATED"
    assert c.post("/v1/check", json={"text": BENIGN}, headers={"X-API-Key": "wrong"}).status_code == 401
    assert c.post("/v1/check", json={"text": BENIGN}, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert c.post("/v1/check", json={"text": BENIGN}, headers={"Authorization": "Bearer s3cret"}).status_code == 200
    perspective = {"comment": {"text": BENIGN}, "requestedAttributes": {"TOXICITY": {}}}
    assert c.post("/v1alpha1/comments:analyze?key=s3cret", json=perspective).status_code == 200
    assert c.get("/version", headers={"X-API-Key": "s3cret"}).json()["api_key_required"] is True


def test_access_log_redacts_the_api_key_sent_as_a_query_parameter(hook_moderator):
    """uvicorn logs the path with its query: ?key=s3cret must reach no handler (the access log is on by default)."""
    import logging

    srv = Server(create_app(hook_moderator, ServiceSettings(api_key="s3cret")), log_level="info", access_log=True,
                 log_config=log_config())
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        perspective = {"comment": {"text": BENIGN}, "requestedAttributes": {"TOXICITY": {}}}
        assert srv.client.post("/v1alpha1/comments:analyze?doNotStore=1&key=s3cret", json=perspective).status_code == 200
        assert srv.client.post("/v1/check?%6Bey=s3cret", json={"text": BENIGN}).status_code == 200
    finally:
        access.removeHandler(handler)
        srv.stop()
    lines = [r.getMessage() for r in records]
    assert len(lines) == 2, lines
    assert not any("s3cret" in line for line in lines), lines
    assert "/v1alpha1/comments:analyze?doNotStore=1&key=REDACTED" in lines[0]
    assert "/v1/check?%6Bey=REDACTED" in lines[1]


def test_redact_api_key_filter_on_a_record_shaped_like_uvicorns():
    import logging

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5555", "POST", "/v1/coral?key=s3cret&x=key%3Dy", "1.1", 204), None)
    assert RedactApiKey().filter(record)
    assert record.getMessage() == '127.0.0.1:5555 - "POST /v1/coral?key=REDACTED&x=key%3Dy HTTP/1.1" 204'
    assert redact_query_key("/v1/check") == "/v1/check"
    assert redact_query_key("/v1/check?key=&monkey=1") == "/v1/check?key=&monkey=1"
    other = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "plain message", None, None)
    assert RedactApiKey().filter(other) and other.getMessage() == "plain message"


def test_coral_signature_is_checked_when_a_secret_is_set(strict):
    body = json.dumps(coral_request(BANNED)).encode()
    signature = hmac.new(b"coral-signing", body, hashlib.sha256).hexdigest()
    headers = {"X-API-Key": "s3cret", "content-type": "application/json"}
    r = strict.client.post("/v1/coral", content=body, headers={**headers, "X-Coral-Signature": f"sha256=bad,sha256={signature}"})
    assert r.status_code == 200 and r.json()["status"] == "REJECTED"
    r = strict.client.post("/v1/coral", content=body, headers={**headers, "X-Coral-Signature": "sha256=" + "0" * 64})
    assert r.status_code == 401
    assert strict.client.post("/v1/coral", content=body, headers=headers).status_code == 401


def test_scoring_failure_answers_with_the_fail_mode(strict):
    headers = {"X-API-Key": "s3cret"}
    v = strict.client.post("/v1/check", json={"text": "FAIL on purpose"}, headers=headers).json()
    assert v["decision"] == "hold" and v["scores"] == {}
    assert v["reasons"][0] == {"kind": "error", "action": "hold", "error": "RuntimeError: model exploded"}
    verdicts = strict.client.post("/v1/check:batch", json={"comments": [{"text": "FAIL"}, {"text": BANNED}]},
                                  headers=headers).json()["verdicts"]
    assert [v["decision"] for v in verdicts] == ["hold", "reject"]  # banned words apply without the model
    r = strict.client.post("/v1alpha1/comments:analyze", json={"comment": {"text": "FAIL"}, "requestedAttributes": {"TOXICITY": {}}},
                           headers=headers)
    assert r.status_code == 500 and "scoring failed" in error_of(r)["message"]


def test_slow_body_times_out_408_and_holds_the_only_pending_slot_503(strict):
    """A client that sends half its body occupies the one pending slot: the next request gets 503, it gets 408."""
    with socket.create_connection(("127.0.0.1", strict.port)) as slow:
        slow.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nX-API-Key: s3cret\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"text\": ")
        time.sleep(0.1)
        r = strict.client.post("/v1/check", json={"text": BENIGN}, headers={"X-API-Key": "s3cret"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert "busy" in error_of(r)["message"]
        slow.settimeout(5)
        answer = slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer
    time.sleep(0.05)
    assert strict.client.post("/v1/check", json={"text": BENIGN}, headers={"X-API-Key": "s3cret"}).status_code == 200


# --- helpers --------------------------------------------------------------------------


def test_sentence_spans_cover_sentences_without_spaces():
    text = "One. Two!  Three?\nFour"
    assert [text[b:e] for b, e in sentence_spans(text)] == ["One.", "Two!", "Three?", "Four"]
    assert sentence_spans("   ") == [(0, 3)]


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")


def test_serve_refuses_a_public_address_without_an_api_key(monkeypatch):
    from click.testing import CliRunner

    from moderation.cli import main

    monkeypatch.delenv("MODERATION_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert "needs an API key" in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_on_a_port_in_use_is_a_one_line_error_before_the_banner(monkeypatch, workers):
    """Another process listens on the port: exit 1 at once, naming host:port; no banner, no model loaded."""
    from click.testing import CliRunner

    import moderation.service
    from moderation.cli import main

    def must_not_load(*args, **kwargs):
        raise AssertionError("the model was loaded although the port is taken")

    monkeypatch.setattr(moderation.service, "load_moderator", must_not_load)
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--workers", str(workers)])
    assert result.exit_code == 1, result.output
    assert time.perf_counter() - started < 10
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in result.output
    assert "moderation serve:" not in result.output  # the banner


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_serve_banner_puts_an_ipv6_host_in_brackets(monkeypatch, hook_moderator):
    from click.testing import CliRunner

    import moderation.service
    from moderation.cli import main

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
    except OSError:
        pytest.skip("::1 is not available")
    ran: dict = {}
    monkeypatch.setattr(moderation.service, "load_moderator", lambda *a: hook_moderator)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    result = CliRunner().invoke(main, ["serve", "--host", "::1", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"http://[::1]:{port}," in result.output
    assert ran["host"] == "::1" and ran["port"] == port
    from moderation.commands.serve import host_port

    assert host_port("::1", 8093) == "[::1]:8093" and host_port("127.0.0.1", 8093) == "127.0.0.1:8093"
    assert host_port("localhost", 80) == "localhost:80"


def test_moderation_serve_command_with_two_workers_answers(tmp_path):
    """The real command line in a subprocess: two worker processes, a policy file, the API key from the environment."""
    import os
    import subprocess
    import sys

    policy = tmp_path / "policy.toml"
    policy.write_text('fail_mode = "reject"\n[words]\nbanned = ["kumquat*"]\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, TEST_KEY="k3y")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from moderation.cli import main; main()", "serve", "--port", str(port), "--workers", "2",
         "--policy", str(policy), "--api-key-env", "TEST_KEY", "--log-level", "info"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "moderation serve did not start"
            time.sleep(0.1)
        headers = {"X-API-Key": "k3y"}
        assert httpx.post(base + "/v1/check", json={"text": "hi"}).status_code == 401
        v = httpx.post(base + "/v1/check", json={"text": "Kumquats, all of them"}, headers=headers).json()
        assert v["decision"] == "reject" and any(r.get("word") == "kumquat*" for r in v["reasons"])
        assert httpx.get(base + "/version", headers=headers).json()["policy"]["fail_mode"] == "reject"
        assert httpx.post(base + "/v1/check?key=k3y", json={"text": "hi"}).status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    log = out.decode() + err.decode()
    assert "/v1/check?key=REDACTED" in log, log  # the access log of a worker process
    assert "k3y" not in log


def test_concurrent_requests_are_micro_batched_and_each_gets_its_own_verdict(server):
    """32 requests at once: scored together, but each answer is its own comment's, equal to a lone check."""
    import asyncio

    texts = [BENIGN, SUSPECT, BANNED, "They are cockroaches and should be treated as such."] * 8

    async def all_at_once():
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            return await asyncio.gather(*(client.post("/v1/check", json={"text": t, "id": i}) for i, t in enumerate(texts)))

    answers = [r.json() for r in asyncio.run(all_at_once())]
    assert [a["id"] for a in answers] == list(range(len(texts)))
    for text in set(texts):
        alone = server.client.post("/v1/check", json={"text": text}).json()
        for answer, sent in zip(answers, texts):
            if sent == text:
                assert answer["scores"] == alone["scores"] and answer["decision"] == alone["decision"]
                assert answer["reasons"] == alone["reasons"]


def test_a_failing_comment_in_a_micro_batch_fails_alone(hook_moderator):
    import asyncio

    from moderation.service import Hook

    hook = Hook(Flaky(hook_moderator), ServiceSettings())

    async def together():
        return await asyncio.gather(*(hook.check_soon(t) for t in (BENIGN, "FAIL here", BANNED)))

    verdicts = asyncio.run(together())
    assert [v.decision for v in verdicts] == ["allow", "hold", "reject"]
    assert verdicts[1].reasons[0]["kind"] == "error" and verdicts[0].scores


@pytest.mark.parametrize("path, body", [
    ("/v1/check", '{"text": "hi there", "id": %s}'),
    ("/v1/check:batch", '{"comments": [{"text": "hi there", "id": %s}]}'),
    ("/v1alpha1/comments:analyze", '{"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "clientToken": %s}'),
    ("/v1alpha1/comments:suggestscore", '{"clientToken": %s}'),
    ("/v1/coral", '{"comment": {"body": "hi there"}, "ignored": %s}'),
    ("/v1/wordpress/pre_comment_approved", '{"comment_content": "hi there", "comment_ID": %s}'),
])
def test_an_integer_too_long_to_convert_is_malformed_json_not_a_500(hook_moderator, path, body):
    """Python converts at most 4300 digits to an int; json.loads then raised a bare ValueError (QA pass 8, 4)."""
    srv = Server(create_app(hook_moderator))  # the default --max-body-bytes: 5000 digits fit
    try:
        r = srv.client.post(path, content=body % ("1" * 5000))
        assert r.status_code == 400, r.text
        assert error_of(r)["message"].startswith("malformed JSON: the number 111111111111... is too long (5000 digits")
        assert srv.client.post(path, content=body % ("-" + "1" * 4300)).status_code in (200, 204)
    finally:
        srv.stop()


@pytest.mark.parametrize("extra", [{"author": "u1"}, {"story": ["s1"]}, {"author": 7}, {"story": True}, {"author": None}])
def test_coral_author_or_story_that_is_not_an_object_still_has_its_comment_scored(server, extra):
    """`(body.get("author") or {}).get("id")` raised AttributeError: a 500 (QA pass 8, finding 5), and Coral
    publishes a comment whose phase failed, so a malformed context must not let the comment through."""
    r = server.client.post("/v1/coral", json={"comment": {"body": "They are subhumans."}, **extra})
    assert r.status_code == 200 and r.headers["X-Moderation-Decision"] in ("hold", "reject"), r.text
    assert server.client.post("/v1/coral", json={"comment": {"body": "Lovely day."}, **extra}).status_code == 204


class SlowChunks(Flaky):
    """The shipped model, taking `delay` seconds (blocking, like real scoring) per `score` call."""

    delay = 0.5

    def score(self, texts):
        time.sleep(self.delay)
        return super().score(texts)


def test_batch_scoring_deadline_starts_after_the_body_is_read(hook_moderator):
    """An upload that used most of --timeout left the batch no time to score: 503 "send smaller batches" (QA pass 8, 3).

    --timeout 1: the body takes 0.75 s, each 64-comment chunk 0.5 s. The second chunk starts 1.25 s after the
    request began but 0.5 s after the body was read, so it is within the scoring budget.
    """
    srv = Server(create_app(SlowChunks(hook_moderator), ServiceSettings(timeout=1.0)))
    try:
        body = json.dumps({"comments": [{"text": BENIGN, "id": i} for i in range(65)]}).encode()
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall(b"POST /v1/check:batch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body))
            half = len(body) // 2
            sock.sendall(body[:half])
            time.sleep(0.75)
            sock.sendall(body[half:])
            sock.settimeout(10)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert len(json.loads(answer.split(b"\r\n\r\n", 1)[1])["verdicts"]) == 65
    finally:
        srv.stop()


@pytest.mark.parametrize("field, value", [("comment_ID", [1, 2]), ("comment_author", {"a": 1}),
                                          ("comment_post_ID", True), ("user_ID", False), ("user_id", [])])
def test_wordpress_id_fields_that_are_not_strings_or_numbers_are_400_as_on_check(server, field, value):
    """They came back as Python's str(): "True", "{'a': 1}" (QA pass 8, finding 6)."""
    r = server.client.post("/v1/wordpress/pre_comment_approved", json={"comment_content": BENIGN, field: value})
    assert r.status_code == 400 and error_of(r)["message"] == f"{field} must be a string or a number"
    r = server.client.post("/v1/wordpress/pre_comment_approved",
                           json={"comment_content": BENIGN, "comment_ID": 4.5, "comment_post_ID": 0.0})
    assert r.status_code == 200 and r.json()["id"] == 4.5 and "thread" not in r.json()


def test_connections_that_never_finish_their_headers_are_closed_and_free_their_slot(hook_moderator):
    """uvicorn held a silent or half-sent connection for good; 4 x --max-pending of them made it answer every
    request, /healthz included, with its own 503 (QA pass 8, finding 2). Now each is closed after --timeout."""
    from moderation.commands.serve import connection_options

    options = connection_options(timeout=1.0, max_pending=1)  # limit_concurrency 4
    srv = Server(create_app(hook_moderator, ServiceSettings(timeout=1.0, max_pending=1)), **options)
    socks = []
    try:
        socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(2)]
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        time.sleep(0.2)
        assert httpx.get(srv.url + "/healthz").status_code == 503  # uvicorn's own limit, reached
        time.sleep(1.3)
        for s in socks:  # closed by the server, without an answer
            s.settimeout(2)
            assert s.recv(100) == b""
        assert httpx.get(srv.url + "/healthz").status_code == 200
        # A kept-alive connection that starts a request and stalls in its headers is closed too...
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.settimeout(3)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(0.5)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            started = time.perf_counter()
            assert s.recv(4096) == b""
            assert 0.8 < time.perf_counter() - started < 2
        # ...while a request whose headers are in gets the app's body timeout (408), not a silent close.
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.settimeout(3)
            s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
            assert s.recv(4096).startswith(b"HTTP/1.1 408")
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_the_keep_alive_timeout_is_timeout_to_the_fraction(hook_moderator):
    """It was int(--timeout), at least 1 s: --timeout 0.5 kept idle connections for 1 s (QA pass 8, finding 8)."""
    from moderation.commands.serve import connection_options

    assert connection_options(timeout=2.9, max_pending=64)["timeout_keep_alive"] == 2.9
    srv = Server(create_app(hook_moderator, ServiceSettings(timeout=0.5)), **connection_options(0.5, 64))
    try:
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.settimeout(3)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(0.8)
            s.settimeout(0.1)
            assert s.recv(100) == b""  # closed at 0.5 s; still open (a socket.timeout here) with 1 s
    finally:
        srv.stop()


def test_a_500_logs_its_traceback_once_and_answers_json(hook_moderator):
    """Starlette's error middleware re-raised after our handler, so uvicorn logged it again (QA pass 8, finding 10)."""
    import logging

    from starlette.routing import Route

    async def boom(request):
        raise RuntimeError("bug on purpose")

    app = create_app(hook_moderator)
    app.router.routes.append(Route("/boom", boom))
    srv = Server(app, log_level="error")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.ERROR)
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "moderation.service")]
    for logger in loggers:
        logger.addHandler(keep)
    try:
        r = srv.client.get("/boom")
        assert r.status_code == 500 and error_of(r)["message"] == "internal error: RuntimeError"
        time.sleep(0.2)
        assert len([rec for rec in records if rec.exc_info]) == 1, [rec.getMessage() for rec in records]
    finally:
        for logger in loggers:
            logger.removeHandler(keep)
        srv.stop()


@pytest.mark.parametrize("path", ["/v1/check", "/v1/coral", "/v1alpha1/comments:analyze"])
def test_a_compressed_body_is_415_by_name_not_not_utf8(server, path):
    """QA pass 8, finding 12: a gzip body was reported as 'request body is not UTF-8 (byte 1 ...)'."""
    import gzip

    r = server.client.post(path, content=gzip.compress(b'{"text": "They are vermin."}'),
                           headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert r.status_code == 415
    assert error_of(r)["message"] == "Content-Encoding gzip is not supported; send the body uncompressed (identity)"
    r = server.client.post("/v1/check", json={"text": BENIGN}, headers={"Content-Encoding": "identity"})
    assert r.status_code == 200


def test_the_documented_check_example_is_what_the_default_policy_answers(server):
    """docs/service.md showed labels the default policy cannot give (QA pass 8, finding 9): compare all but numbers."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "service.md").read_text(encoding="utf-8")
    section = doc[doc.index("### `POST /v1/check`"):]
    request = json.loads(re.search(r"-d '(\{.*?\})'", section).group(1))
    documented = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    answer = server.client.post("/v1/check", json=request).json()

    def shape(value: Any) -> Any:  # scores, weights, thresholds and the model version change with the model
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items() if k != "model_version"}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return "<number>" if isinstance(value, float) else value

    assert shape(answer) == shape(documented)


def test_uvicorns_own_errors_are_plain_text_as_documented(server):
    """docs/service.md says which errors are uvicorn's, in text/plain, not the JSON shape (QA pass 8, finding 7)."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(3)
        s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}")
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400") and b"text/plain" in answer and b"Invalid HTTP request received." in answer
