"""The Perspective API compatible endpoint, ``POST /v1alpha1/comments:analyze`` (docs/COMPATIBILITY.md).

Contract tests send requests built from Perspective's documentation and check
the exact answers: the response shape, the attribute mapping, scoreThreshold,
span offsets (UTF-16 code units), languages, clientToken, and Google's error
shape for every error case. The last test runs a client we did not write,
Google's generated Node.js client (npm ``googleapis``), against a live server
with nothing changed but its base URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server

from moderation.service import create_app
from moderation.service.compat.perspective import ATTRIBUTES
from moderation.service.store import connect
from moderation.service.store.errors import REDIS_ERRORS

from .conftest import auth
from .openapi_checks import break_redis

URL = "/v1alpha1/comments:analyze"
CLIENT_DIR = Path(__file__).resolve().parents[1] / "compat" / "perspective_client"

ABUSIVE = "You are a pathetic idiot and everyone knows it."  # attack, a block rule: rejected
REVIEW = "You clown, read the article first"  # attack, a review rule
PROMOTION = "Check out my channel! Subscribe for more videos"
CLEAN = "The council should publish the full traffic study before the vote."
# The request of Perspective's "AnalyzeComment example" (methods.md), with span annotations asked for.
DOC_TEXT = "What kind of idiot name is foo? Sorry, I like your name."
DOC_REQUEST = {
    "comment": {"text": DOC_TEXT},
    "languages": ["en"],
    "requestedAttributes": {"TOXICITY": {}, "UNSUBSTANTIAL": {}},
    "spanAnnotations": True,
}

# The attributes Perspective documents (production, experimental, New York Times, bridging).
DOCUMENTED = [
    "TOXICITY",
    "SEVERE_TOXICITY",
    "IDENTITY_ATTACK",
    "INSULT",
    "PROFANITY",
    "THREAT",
    "TOXICITY_EXPERIMENTAL",
    "SEVERE_TOXICITY_EXPERIMENTAL",
    "IDENTITY_ATTACK_EXPERIMENTAL",
    "INSULT_EXPERIMENTAL",
    "PROFANITY_EXPERIMENTAL",
    "THREAT_EXPERIMENTAL",
    "SEXUALLY_EXPLICIT",
    "FLIRTATION",
    "ATTACK_ON_AUTHOR",
    "ATTACK_ON_COMMENTER",
    "INCOHERENT",
    "INFLAMMATORY",
    "LIKELY_TO_REJECT",
    "OBSCENE",
    "SPAM",
    "UNSUBSTANTIAL",
    "AFFINITY_EXPERIMENTAL",
    "COMPASSION_EXPERIMENTAL",
    "CURIOSITY_EXPERIMENTAL",
    "NUANCE_EXPERIMENTAL",
    "PERSONAL_STORY_EXPERIMENTAL",
    "REASONING_EXPERIMENTAL",
    "RESPECT_EXPERIMENTAL",
]


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# The mapping table of docs/COMPATIBILITY.md, restated: (e, m, text) -> value, where ``e`` holds the category
# probabilities with a block rule's category counted as 1.0 and ``m`` the model's probabilities alone.
MAPPING = {
    "TOXICITY": lambda e, m, t: max(e["abuse"], e["attack"]),
    "SEVERE_TOXICITY": lambda e, m, t: max(m["abuse"], m["attack"]) ** 2,
    "IDENTITY_ATTACK": lambda e, m, t: e["abuse"],
    "INSULT": lambda e, m, t: e["attack"],
    "PROFANITY": lambda e, m, t: e["abuse"],
    "THREAT": lambda e, m, t: e["attack"],
    "SEXUALLY_EXPLICIT": lambda e, m, t: e["abuse"],
    "FLIRTATION": lambda e, m, t: 0.0,
    "ATTACK_ON_AUTHOR": lambda e, m, t: e["attack"],
    "ATTACK_ON_COMMENTER": lambda e, m, t: e["attack"],
    "INCOHERENT": lambda e, m, t: 0.0,
    "INFLAMMATORY": lambda e, m, t: max(e["abuse"], e["attack"]),
    "LIKELY_TO_REJECT": lambda e, m, t: max(e.values()),
    "OBSCENE": lambda e, m, t: e["abuse"],
    "SPAM": lambda e, m, t: e["promotion"],
    "UNSUBSTANTIAL": lambda e, m, t: min(1.0, max(0.0, (30 - _words(t)) / 27)),
    "AFFINITY_EXPERIMENTAL": lambda e, m, t: 0.0,
    "COMPASSION_EXPERIMENTAL": lambda e, m, t: 0.0,
    "CURIOSITY_EXPERIMENTAL": lambda e, m, t: 0.0,
    "NUANCE_EXPERIMENTAL": lambda e, m, t: 0.0,
    "PERSONAL_STORY_EXPERIMENTAL": lambda e, m, t: 0.0,
    "REASONING_EXPERIMENTAL": lambda e, m, t: 0.0,
    "RESPECT_EXPERIMENTAL": lambda e, m, t: 1.0 - max(e["abuse"], e["attack"]),
}
for _name in ("TOXICITY", "SEVERE_TOXICITY", "IDENTITY_ATTACK", "INSULT", "PROFANITY", "THREAT"):
    MAPPING[f"{_name}_EXPERIMENTAL"] = MAPPING[_name]


def probabilities(assessor, text: str) -> tuple[dict, dict]:
    """Return (evidence, model) category probabilities of ``text`` as the mapping uses them."""
    assessment = assessor.assess(text, allowed_domains=())
    model = dict(assessment.scores)
    evidence = dict(model)
    for hit in assessment.rule_hits:
        if hit.severity == "block":
            evidence[hit.category] = 1.0
    return evidence, model


def expected(assessor, name: str, text: str) -> float:
    e, m = probabilities(assessor, text)
    return round(MAPPING[name](e, m, text), 6)


def analyze(client, body, key: str | None = None, *, raw: bytes | None = None, headers: dict | None = None, query: str = ""):
    url = URL + (f"?key={key}" if key else "") + query
    data = raw if raw is not None else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers or {})


def utf16_slice(text: str, begin: int, end: int) -> str:
    """Return text[begin:end] in UTF-16 code units, as JavaScript's ``slice`` would."""
    return text.encode("utf-16-le", "surrogatepass")[2 * begin : 2 * end].decode("utf-16-le", "surrogatepass")


def error_body(code: int, status: str, message: str, details: list) -> dict:
    body = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = details
    return {"error": body}


def analyzer_error(message: str, error_type: str = "INVALID_REQUEST", **extra) -> dict:
    detail = {"@type": "type.googleapis.com/google.commentanalyzer.v1alpha1.Error", "errorType": error_type, **extra}
    return error_body(400, "INVALID_ARGUMENT", message, [detail])


def payload_error(message: str, field: str | None = None) -> dict:
    violation = {"field": field, "description": message} if field else {"description": message}
    return error_body(
        400, "INVALID_ARGUMENT", message, [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}]
    )


def key_error(code: int, status: str, message: str, reason: str) -> dict:
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "comment-moderation",
        "metadata": {"service": "commentanalyzer"},
    }
    return error_body(code, status, message, [info])


def assert_google_error(response) -> dict:
    """Check the answer is in Google's error shape (and nothing else); return its body."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "status", "details"} and {"code", "message", "status"} <= set(error), error
    assert error["code"] == response.status_code and isinstance(error["message"], str) and error["status"].isupper()
    for detail in error.get("details", []):
        assert detail["@type"].startswith("type.googleapis.com/")
    return body


# -- the documented example and the response shape -----------------------------------------------------------------


def test_documented_example_answers_in_perspective_shape(client, keys, assessor):
    response = analyze(client, DOC_REQUEST, keys["site"])
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    first, second = "What kind of idiot name is foo?", "Sorry, I like your name."

    def span(begin, end, text):
        return {"begin": begin, "end": end, "score": {"value": expected(assessor, "TOXICITY", text), "type": "PROBABILITY"}}

    assert response.get_json() == {
        "attributeScores": {
            "TOXICITY": {
                "spanScores": [span(0, 31, first), span(32, 56, second)],
                "summaryScore": {"value": expected(assessor, "TOXICITY", DOC_TEXT), "type": "PROBABILITY"},
            },
            "UNSUBSTANTIAL": {"summaryScore": {"value": expected(assessor, "UNSUBSTANTIAL", DOC_TEXT), "type": "PROBABILITY"}},
        },
        "languages": ["en"],
        "detectedLanguages": ["en"],
    }
    # The same spans as Perspective's documentation gives for this text: [0,31) and [32,56).
    assert [utf16_slice(DOC_TEXT, 0, 31), utf16_slice(DOC_TEXT, 32, 56)] == [first, second]
    # The key order of the documentation's answer.
    assert list(response.get_json()) == ["attributeScores", "languages", "detectedLanguages"]


def test_without_span_annotations_only_summary_scores(client, keys, assessor):
    body = {"comment": {"text": ABUSIVE, "type": "PLAIN_TEXT"}, "requestedAttributes": {"TOXICITY": {}, "SPAM": {}}}
    assert analyze(client, body, keys["site"]).get_json() == {
        "attributeScores": {
            "TOXICITY": {"summaryScore": {"value": 1.0, "type": "PROBABILITY"}},  # a block rule: certain
            "SPAM": {"summaryScore": {"value": expected(assessor, "SPAM", ABUSIVE), "type": "PROBABILITY"}},
        },
        "languages": ["en"],
        "detectedLanguages": ["en"],
    }


def test_every_documented_attribute_is_answered_by_the_documented_mapping(client, keys, assessor):
    assert sorted(ATTRIBUTES) == sorted(DOCUMENTED) == sorted(MAPPING)
    for text in (ABUSIVE, REVIEW, PROMOTION, CLEAN, "what the fuck is this", "Buy cheap viagra at http://bit.ly/x"):
        body = {"comment": {"text": text}, "requestedAttributes": {name: {} for name in DOCUMENTED}}
        response = analyze(client, body, keys["site"])
        assert response.status_code == 200
        scores = response.get_json()["attributeScores"]
        assert list(scores) == DOCUMENTED  # in the order requested
        for name in DOCUMENTED:
            assert scores[name] == {"summaryScore": {"value": expected(assessor, name, text), "type": "PROBABILITY"}}, name


def test_mapping_on_known_texts(client, keys):
    def scores(text):
        body = {"comment": {"text": text}, "requestedAttributes": {n: {} for n in DOCUMENTED}}
        return {
            k: v["summaryScore"]["value"] for k, v in analyze(client, body, keys["site"]).get_json()["attributeScores"].items()
        }

    abusive, clean, promo = scores(ABUSIVE), scores(CLEAN), scores(PROMOTION)
    assert abusive["TOXICITY"] == abusive["INSULT"] == abusive["THREAT"] == abusive["LIKELY_TO_REJECT"] == 1.0
    assert abusive["SEVERE_TOXICITY"] > 0.9 and abusive["PROFANITY"] < 0.1 and abusive["RESPECT_EXPERIMENTAL"] == 0.0
    assert max(clean[n] for n in ("TOXICITY", "INSULT", "PROFANITY", "SPAM", "LIKELY_TO_REJECT")) < 0.2
    assert clean["RESPECT_EXPERIMENTAL"] > 0.8
    assert promo["SPAM"] > 0.9 and promo["TOXICITY"] < 0.1
    assert scores("ok")["UNSUBSTANTIAL"] == 1.0 and clean["UNSUBSTANTIAL"] < 0.8
    assert 0.0 < scores(REVIEW)["INSULT"] < 1.0  # a review rule does not make it certain (a block rule would: 1.0)
    fuck = scores("what the fuck is this")
    # a block word makes profanity certain, not severity: that stays the model's (squared), below the insult's
    assert fuck["PROFANITY"] == fuck["OBSCENE"] == fuck["TOXICITY"] == 1.0
    assert fuck["SEVERE_TOXICITY"] < min(0.9, abusive["SEVERE_TOXICITY"])


def test_attribute_versions_are_answered_under_the_requested_name(client, keys, assessor):
    body = {"comment": {"text": REVIEW}, "requestedAttributes": {"TOXICITY@6": {}, "INSULT@2": {"scoreType": "PROBABILITY"}}}
    answer = analyze(client, body, keys["site"]).get_json()["attributeScores"]
    assert answer == {
        "TOXICITY@6": {"summaryScore": {"value": expected(assessor, "TOXICITY", REVIEW), "type": "PROBABILITY"}},
        "INSULT@2": {"summaryScore": {"value": expected(assessor, "INSULT", REVIEW), "type": "PROBABILITY"}},
    }


def test_proto_field_names_and_nulls_are_accepted(client, keys, assessor):
    """Google's JSON mapping takes the proto names (snake_case) too, and null means "not set"."""
    body = {
        "comment": {"text": CLEAN, "type": None},
        "requested_attributes": {"SPAM": {"score_type": "PROBABILITY", "score_threshold": None}},
        "client_token": "t-1",
        "span_annotations": False,
        "do_not_store": True,
        "session_id": "s",
        "community_id": "/forum/news",
        "context": {"entries": [{"text": "the article", "type": "PLAIN_TEXT"}]},
        "languages": None,
    }
    assert analyze(client, body, keys["site"]).get_json() == {
        "attributeScores": {"SPAM": {"summaryScore": {"value": expected(assessor, "SPAM", CLEAN), "type": "PROBABILITY"}}},
        "languages": ["en"],
        "detectedLanguages": ["en"],
        "clientToken": "t-1",
    }


# -- scoreThreshold --------------------------------------------------------------------------------------------------


def test_score_threshold_leaves_out_lower_scores(client, keys, assessor):
    spam = expected(assessor, "SPAM", ABUSIVE)
    body = {
        "comment": {"text": ABUSIVE},
        "requestedAttributes": {
            "TOXICITY": {"scoreThreshold": 0.5},
            "SPAM": {"scoreThreshold": 0.5},  # far below: left out
            "INSULT": {"scoreThreshold": 1},  # equal: kept
            "PROFANITY": {"scoreThreshold": "0.9"},  # a numeric string, as Google's JSON mapping allows
            "OBSCENE": {"scoreThreshold": 0},
        },
    }
    answer = analyze(client, body, keys["site"]).get_json()
    assert spam < 0.5
    assert list(answer["attributeScores"]) == ["TOXICITY", "INSULT", "OBSCENE"]
    assert answer["attributeScores"]["OBSCENE"]["summaryScore"]["value"] == expected(assessor, "OBSCENE", ABUSIVE)


def test_when_every_score_is_below_its_threshold_attribute_scores_is_left_out(client, keys):
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.9}}, "clientToken": "c"}
    assert analyze(client, body, keys["site"]).get_json() == {
        "languages": ["en"],
        "detectedLanguages": ["en"],
        "clientToken": "c",
    }


def test_score_threshold_applies_to_span_scores(client, keys, assessor):
    text = f"{CLEAN} {ABUSIVE}"
    body = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.5}}, "spanAnnotations": True}
    begin = len(CLEAN) + 1
    assert analyze(client, body, keys["site"]).get_json()["attributeScores"] == {
        "TOXICITY": {
            "spanScores": [{"begin": begin, "end": len(text), "score": {"value": 1.0, "type": "PROBABILITY"}}],
            "summaryScore": {"value": 1.0, "type": "PROBABILITY"},
        }
    }
    body["requestedAttributes"] = {"TOXICITY": {}}
    spans = analyze(client, body, keys["site"]).get_json()["attributeScores"]["TOXICITY"]["spanScores"]
    assert [(s["begin"], s["end"]) for s in spans] == [(0, len(CLEAN)), (begin, len(text))]
    assert spans[0]["score"]["value"] == expected(assessor, "TOXICITY", CLEAN)


# -- spans, offsets, non-ASCII text ----------------------------------------------------------------------------------

EMOJI_TEXT = "  👋🏽 Héllo, naïve reader!  😀 You are a pathetic idiot and everyone knows it.\nGrüße aus Köln 🇩🇪…  Ça va? "


def test_span_offsets_are_utf16_code_units_into_the_original_text(client, keys, assessor):
    body = {"comment": {"text": EMOJI_TEXT}, "requestedAttributes": {"INSULT": {}, "SPAM": {}}, "spanAnnotations": True}
    answer = analyze(client, body, keys["site"]).get_json()["attributeScores"]
    sentences = [
        "👋🏽 Héllo, naïve reader!",
        "😀 You are a pathetic idiot and everyone knows it.",
        "Grüße aus Köln 🇩🇪…",
        "Ça va?",
    ]
    for name in ("INSULT", "SPAM"):
        spans = answer[name]["spanScores"]
        assert [utf16_slice(EMOJI_TEXT, s["begin"], s["end"]) for s in spans] == sentences
        assert [s["score"]["value"] for s in spans] == [expected(assessor, name, s) for s in sentences]
    first = answer["INSULT"]["spanScores"][0]
    assert (first["begin"], first["end"]) == (2, 2 + len("👋🏽 Héllo, naïve reader!".encode("utf-16-le")) // 2)
    assert answer["INSULT"]["spanScores"][1]["score"]["value"] == 1.0
    assert answer["INSULT"]["summaryScore"]["value"] == 1.0


def test_single_sentence_gets_one_span_over_the_text(client, keys, assessor):
    text = "you're stick in the mud"  # the single-sentence answer in Perspective's get-started example: [0, 23)
    body = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotations": True}
    value = expected(assessor, "TOXICITY", text)
    assert analyze(client, body, keys["site"]).get_json()["attributeScores"]["TOXICITY"] == {
        "spanScores": [{"begin": 0, "end": 23, "score": {"value": value, "type": "PROBABILITY"}}],
        "summaryScore": {"value": value, "type": "PROBABILITY"},
    }


def test_control_characters_are_scored_and_unpaired_surrogates_refused(client, keys):
    text = "bad \x07 text \x00 here. And 😀 more"
    raw = json.dumps({"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotations": True})
    response = analyze(client, None, keys["site"], raw=raw.encode())
    assert response.status_code == 200
    spans = response.get_json()["attributeScores"]["TOXICITY"]["spanScores"]
    assert [utf16_slice(text, s["begin"], s["end"]) for s in spans] == ["bad \x07 text \x00 here.", "And 😀 more"]
    # "\ud800" is valid JSON but no character: refused naming the field, as the service's own endpoints refuse it
    asked = {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}}
    for body, field, lone in (
        ({**asked, "comment": {"text": "bad \ud800 text"}}, "comment.text", "D800"),
        ({**asked, "clientToken": "\udc00"}, "client_token", "DC00"),
        ({**asked, "languages": ["en", "\ud83d"]}, "languages[1]", "D83D"),
    ):
        response = analyze(client, None, keys["site"], raw=json.dumps(body).encode())
        assert response.status_code == 400
        message = f"Invalid value at '{field}' (TYPE_STRING), unpaired surrogate U+{lone}"
        assert response.get_json() == payload_error(message, field)
    suggestion = {"comment": {"text": "you \ud800 idiot"}, "attributeScores": scores(INSULT=1)}
    response = suggest(client, keys["site"], suggestion)
    message = "Invalid value at 'comment.text' (TYPE_STRING), unpaired surrogate U+D800"
    assert response.get_json() == payload_error(message, "comment.text")
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data() == b""  # nothing kept


# -- clientToken, languages, doNotStore ------------------------------------------------------------------------------


def test_client_token_is_echoed(client, keys):
    for token in ("comment-53922", "ünïcødé 😀 token"):
        body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}, "clientToken": token}
        assert analyze(client, body, keys["site"]).get_json()["clientToken"] == token
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}, "clientToken": ""}
    assert "clientToken" not in analyze(client, body, keys["site"]).get_json()


def test_english_language_codes_are_echoed(client, keys):
    for languages in (["en"], ["en-US"], ["EN_gb"], ["en", "en-CA"]):
        body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}, "languages": languages}
        answer = analyze(client, body, keys["site"]).get_json()
        assert answer["languages"] == languages and answer["detectedLanguages"] == ["en"]
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}, "languages": []}
    assert analyze(client, body, keys["site"]).get_json()["languages"] == ["en"]


def test_unsupported_language_is_refused_as_perspective_does(client, keys):
    body = {"comment": {"text": "Du bist ein Idiot."}, "requestedAttributes": {"INSULT": {}, "TOXICITY": {}}, "languages": ["de"]}
    response = analyze(client, body, keys["site"])
    assert response.status_code == 400
    assert response.get_json() == analyzer_error(
        "Attribute INSULT does not support request languages: de",
        "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        languageNotSupportedByAttributeError={"requestedLanguages": ["de"], "attribute": "INSULT"},
    )
    body["languages"] = ["en", "de"]  # every language must be supported
    assert analyze(client, body, keys["site"]).get_json() == analyzer_error(
        "Attribute INSULT does not support request languages: en, de",
        "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
        languageNotSupportedByAttributeError={"requestedLanguages": ["en", "de"], "attribute": "INSULT"},
    )


def test_drop_unsupported_attributes_drops_instead_of_refusing(client, keys):
    body = {
        "comment": {"text": "Du bist ein Idiot."},
        "requestedAttributes": {"TOXICITY": {}},
        "languages": ["de"],
        "dropUnsupportedAttributes": True,
        "clientToken": "x",
    }
    response = analyze(client, body, keys["site"])
    assert response.status_code == 200
    assert response.get_json() == {"languages": ["de"], "detectedLanguages": ["en"], "clientToken": "x"}


def test_nothing_is_stored(client, keys, redis_client):
    def snapshot():
        return {key: redis_client.dump(key) for key in redis_client.scan_iter("*")}

    before = snapshot()
    for do_not_store in (False, True):
        body = {"comment": {"text": ABUSIVE}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": do_not_store}
        assert analyze(client, body, keys["site"]).status_code == 200
    assert snapshot() == before


# -- keys ------------------------------------------------------------------------------------------------------------


def test_every_role_and_every_way_of_sending_the_key(client, keys):
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}}
    for role in ("site", "moderator", "admin", "other"):
        assert analyze(client, body, keys[role]).status_code == 200
    for headers in (auth(keys["site"]), {"X-API-Key": keys["site"]}, {"X-Goog-Api-Key": keys["site"]}):
        assert analyze(client, body, headers=headers).status_code == 200


def test_missing_key(client):
    response = analyze(client, {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}})
    assert response.status_code == 403
    assert response.get_json() == key_error(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
        "API_KEY_MISSING",
    )


def test_wrong_key(client, keys):
    for key, headers in (("not-a-key", None), (None, auth("not-a-key"))):
        response = analyze(client, {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}}, key, headers=headers)
        assert response.status_code == 400
        assert response.get_json() == key_error(
            400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
        )


def test_key_is_checked_before_the_body(client):
    response = analyze(client, None, "not-a-key", raw=b"{nope")
    assert response.status_code == 400 and response.get_json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_store_down_answers_unavailable_in_google_shape(redis_url, assessor, clock, keys):
    own = connect(redis_url, 5.0)
    app = create_app({"redis_url": redis_url, "redis": own, "assessor": assessor, "clock": clock})
    client = app.test_client()
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}}
    assert analyze(client, body, keys["admin"]).status_code == 200  # cached from now on
    break_redis(own)
    with pytest.raises(REDIS_ERRORS):
        own.ping()
    response = analyze(client, body, keys["site"])  # never checked: cannot be now
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json() == error_body(
        503,
        "UNAVAILABLE",
        "The service is currently unavailable.",
        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "STORE_UNAVAILABLE", "domain": "comment-moderation"}],
    )
    assert analyze(client, body, keys["admin"]).status_code == 200  # a cached key still scores


# -- request errors --------------------------------------------------------------------------------------------------


def test_unknown_attribute(client, keys):
    body = {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}, "TOXICITY_FAST": {}}}
    response = analyze(client, body, keys["site"])
    assert response.status_code == 400
    assert response.get_json() == analyzer_error("Unknown requested attribute: TOXICITY_FAST")
    body["requestedAttributes"] = {"toxicity": {}}  # names are upper case
    assert analyze(client, body, keys["site"]).get_json() == analyzer_error("Unknown requested attribute: toxicity")


def test_malformed_json(client, keys):
    response = analyze(client, None, keys["site"], raw=b'{"comment": {"text": "hi"},')
    assert response.status_code == 400
    message = "Invalid JSON payload received. Expecting property name enclosed in double quotes at line 1 column 28."
    assert response.get_json() == payload_error(message)
    for raw in (b"", b"\xff\xfe{}", b"[" * 50_000, b"nul"):
        response = analyze(client, None, keys["site"], raw=raw)
        assert response.status_code == 400
        assert assert_google_error(response)["error"]["message"].startswith("Invalid JSON payload received.")


def test_json_that_is_more_than_is_read_says_what_is_wrong(client, keys):
    """Nested too deep or a number too long: what the service's other JSON endpoints say, in Google's shape."""
    start = b'{"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "x": '
    for raw in (start + b"[" * 5000 + b"]" * 5000 + b"}", b"{comment: {text: 'hi'}, x: " + b"[" * 5000 + b"]" * 5000 + b"}"):
        response = analyze(client, None, keys["site"], raw=raw)
        assert response.status_code == 400
        assert response.get_json() == payload_error("Invalid JSON payload received. Nesting too deep.")
    for raw in (start + b"1" * 5000 + b"}", b"{comment: {text: 'hi'}, x: " + b"1" * 5000 + b"}"):
        response = analyze(client, None, keys["site"], raw=raw)  # was a 500
        assert response.status_code == 400
        assert response.get_json() == payload_error("Invalid JSON payload received. Number too long: 5000 digits (at most 4300).")


def test_googles_documented_relaxed_json_is_read(client, keys):
    """Perspective's documented curl body has unquoted keys; Google's reader also takes single-quoted strings."""
    strict = analyze(
        client,
        {"comment": {"text": "You absolute idiot"}, "languages": ["en"], "requestedAttributes": {"TOXICITY": {}}},
        keys["site"],
    )
    documented = b'{comment: {text: "You absolute idiot"},\n languages: ["en"],\n requestedAttributes: {TOXICITY:{}} }'
    quoted = b"{'comment': {'text': 'You absolute idiot'}, 'languages': ['en'], requestedAttributes: {'TOXICITY': {}}}"
    for raw in (documented, quoted):
        response = analyze(client, None, keys["site"], raw=raw)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == strict.get_json()
    # what Google's reader refuses stays an error, with the strict parser's message
    for raw in (b"{comment: {text: 'hi'},}", b"{comment: {text: 'hi'} // note\n}", b"{comment: {text: 'unterminated}}"):
        response = analyze(client, None, keys["site"], raw=raw)
        assert response.status_code == 400
        assert assert_google_error(response)["error"]["message"].startswith("Invalid JSON payload received.")


def test_body_must_be_an_object(client, keys):
    for body in ([], "text", 3, None):
        response = analyze(client, body, keys["site"])
        assert response.status_code == 400
        assert response.get_json() == payload_error("Invalid JSON payload received. Root element must be a message.")


def test_missing_or_empty_comment_text(client, keys):
    expected_error = analyzer_error("Comment must be non-empty.", "COMMENT_EMPTY")
    for body in (
        {"requestedAttributes": {"TOXICITY": {}}},
        {"comment": {}, "requestedAttributes": {"TOXICITY": {}}},
        {"comment": {"type": "PLAIN_TEXT"}, "requestedAttributes": {"TOXICITY": {}}},
        {"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}},
        {"comment": {"text": " \n\t "}, "requestedAttributes": {"TOXICITY": {}}},
        # nothing a reader sees, as the service's own endpoints judge it (classifier.normalize.blank)
        {"comment": {"text": "\u200b\u200c\ufeff"}, "requestedAttributes": {"TOXICITY": {}}},
        {"comment": {"text": "\x00\x00 \x00"}, "requestedAttributes": {"TOXICITY": {}}},
    ):
        response = analyze(client, body, keys["site"])
        assert response.status_code == 400
        assert response.get_json() == expected_error, body


def test_text_too_long(client, keys, make_app):
    too_long = analyzer_error("Comment text too long.", "COMMENT_TOO_LONG")
    # Perspective's 20 KB: UTF-8 bytes, so 6,827 three-byte characters are too many.
    for text in ("€" * 6827, "a" * 20481):
        response = analyze(client, {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}}, keys["site"])
        assert response.status_code == 400 and response.get_json() == too_long
    # And the service's own max_text_chars.
    small = make_app(max_text_chars=50).test_client()
    body = {"comment": {"text": "a" * 51}, "requestedAttributes": {"TOXICITY": {}}}
    assert analyze(small, body, keys["site"]).get_json() == too_long
    body["comment"]["text"] = "a" * 50
    assert analyze(small, body, keys["site"]).status_code == 200


def test_request_body_over_the_limit(client, keys):
    raw = json.dumps({"comment": {"text": "\u0001" * 12_000}, "requestedAttributes": {"TOXICITY": {}}}).encode()
    assert len(raw) > 64 * 1024
    response = analyze(client, None, keys["site"], raw=raw)
    assert response.status_code == 400
    assert response.get_json() == payload_error("Request payload size exceeds the limit: 65536 bytes.")


def test_other_request_errors(client, keys):
    text = {"text": CLEAN}
    cases = [
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {}}, "foo": 1},
            payload_error('Invalid JSON payload received. Unknown name "foo": Cannot find field.'),
        ),
        (
            {"comment": {"text": CLEAN, "lang": "en"}, "requestedAttributes": {"TOXICITY": {}}},
            payload_error("Invalid JSON payload received. Unknown name \"lang\" at 'comment': Cannot find field.", "comment"),
        ),
        (
            {"comment": "hi", "requestedAttributes": {"TOXICITY": {}}},
            payload_error(
                "Invalid value at 'comment' (type.googleapis.com/google.commentanalyzer.v1alpha1.TextEntry), \"hi\"", "comment"
            ),
        ),
        (
            {"comment": {"text": 5}, "requestedAttributes": {"TOXICITY": {}}},
            payload_error("Invalid value at 'comment.text' (TYPE_STRING), 5", "comment.text"),
        ),
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": "yes"},
            payload_error("Invalid value at 'do_not_store' (TYPE_BOOL), \"yes\"", "do_not_store"),
        ),
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {"scoreThreshold": "high"}}},
            payload_error(
                "Invalid value at 'requested_attributes[TOXICITY].value.score_threshold' (TYPE_FLOAT), \"high\"",
                "requested_attributes[TOXICITY].value.score_threshold",
            ),
        ),
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {"scoreType": "Z"}}},
            payload_error(
                "Invalid value at 'requested_attributes[TOXICITY].value.score_type' "
                '(type.googleapis.com/google.commentanalyzer.v1alpha1.AttributeParameters.ScoreType), "Z"',
                "requested_attributes[TOXICITY].value.score_type",
            ),
        ),
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {"scoreType": "STD_DEV_SCORE"}}},
            analyzer_error("Requested score type STD_DEV_SCORE is not supported by attribute TOXICITY"),
        ),
        (
            {"comment": {"text": "<b>hi</b>", "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}},
            analyzer_error("Currently, only 'PLAIN_TEXT' comments are supported"),
        ),
        ({"comment": text}, analyzer_error("Missing requested_attributes", "NO_REQUESTED_ATTRIBUTES")),
        ({"comment": text, "requestedAttributes": {}}, analyzer_error("Missing requested_attributes", "NO_REQUESTED_ATTRIBUTES")),
        (
            {
                "comment": text,
                "requestedAttributes": {"TOXICITY": {}},
                "context": {"entries": [{"text": "a"}], "articleAndParentComment": {"article": {"text": "b"}}},
            },
            analyzer_error("Context can have either entries or article_and_parent_comment, but both fields were populated."),
        ),
        (
            {"comment": text, "requestedAttributes": {"TOXICITY": {}}, "languages": "en"},
            payload_error("Invalid value at 'languages' (TYPE_STRING), \"en\"", "languages"),
        ),
    ]
    for body, answer in cases:
        response = analyze(client, body, keys["site"])
        assert response.status_code == 400, body
        assert response.get_json() == answer, body


def test_wrong_method(client, keys):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = client.open(f"{URL}?key={keys['site']}", method=method)
        assert response.status_code == 404
        assert response.headers["Allow"] == "POST"
        assert response.get_json() == error_body(404, "NOT_FOUND", "Method not found.", [])


def test_unexpected_failure_is_answered_in_google_shape(app, client, keys, monkeypatch):
    services = app.extensions["moderation"]

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.assessor, "assess", broken)
    response = analyze(client, {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}}}, keys["site"])
    assert response.status_code == 500
    assert response.get_json() == error_body(500, "INTERNAL", "Internal error encountered.", [])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["comment", "requestedAttributes", "languages", "spanAnnotations", "clientToken", "context", "doNotStore", "x"]
)
ATTRIBUTE_MAPS = st.dictionaries(
    st.sampled_from([*DOCUMENTED[:4], "NOPE", "TOXICITY@2"]),
    st.none() | st.fixed_dictionaries({}, optional={"scoreThreshold": JSON, "scoreType": JSON}),
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(FIELDS, JSON, max_size=5)
    | st.fixed_dictionaries(
        {"comment": st.fixed_dictionaries({"text": st.text(max_size=80)}), "requestedAttributes": ATTRIBUTE_MAPS},
        optional={"spanAnnotations": st.booleans(), "languages": st.lists(st.sampled_from(["en", "de", "", "en-US"]))},
    )
)
def test_any_body_gets_a_score_or_a_google_error_never_a_500(client, keys, body):
    response = analyze(client, body, keys["site"])
    assert response.status_code in (200, 400), (body, response.get_json())
    if response.status_code == 400:
        assert_google_error(response)
        return
    answer = response.get_json()
    assert set(answer) <= {"attributeScores", "languages", "detectedLanguages", "clientToken"}
    text = body["comment"]["text"]
    for scores in answer.get("attributeScores", {}).values():
        assert 0.0 <= scores["summaryScore"]["value"] <= 1.0
        for span in scores.get("spanScores", []):
            assert utf16_slice(text, span["begin"], span["end"]).strip() == utf16_slice(text, span["begin"], span["end"])
            assert 0.0 <= span["score"]["value"] <= 1.0


# -- a client we did not write ---------------------------------------------------------------------------------------


@pytest.fixture
def live(redis_url, redis_client, assessor):
    """The app on a real HTTP port."""
    app = create_app({"redis_url": redis_url, "assessor": assessor})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    key = app.extensions["moderation"].store.apikeys.create("news", "site", "perspective client", time.time())[0]
    yield {"url": f"http://127.0.0.1:{server.server_port}/", "key": key}
    server.shutdown()
    thread.join(5)


def node_client() -> Path:
    """Return the client's folder with its packages installed (``npm ci`` from the committed lock file)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail("the Perspective client test needs Node.js and npm (Debian: apt-get install nodejs npm)")
    installed = CLIENT_DIR / "node_modules" / "googleapis" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != "50.0.0":
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], check=False, cwd=CLIENT_DIR, capture_output=True, text=True, timeout=240
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci failed in {CLIENT_DIR}:\n{result.stdout}\n{result.stderr}")
    return CLIENT_DIR


def run_node_client(live, requests: list) -> list:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run(
        ["node", "analyze.js"],
        check=False,
        cwd=node_client(),
        input=json.dumps({"rootUrl": live["url"], "key": live["key"], "requests": requests}),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_googles_own_node_client_suggests_scores(live):
    good = {"comment": {"text": "You clown"}, "attributeScores": {"INSULT": {"summaryScore": {"value": 1}}}, "clientToken": "s-1"}
    bad = {"comment": {"text": "You clown"}, "attributeScores": {}}
    first, second = run_node_client(live, [{"suggest": good}, {"suggest": bad}])
    assert first == {
        "status": 200,
        "url": f"{live['url']}v1alpha1/comments:suggestscore?key={live['key']}",
        "data": {"detectedLanguages": ["en"], "clientToken": "s-1"},
    }
    assert second["status"] == 400 and second["message"] == "attribute_scores must not be empty."


def test_googles_own_node_client_works_by_changing_the_base_url_only(live, assessor):
    requests = [
        {**DOC_REQUEST, "clientToken": "comment-53922", "doNotStore": True},
        {
            "comment": {"text": "😀 " + ABUSIVE},
            "requestedAttributes": {"INSULT": {"scoreThreshold": 0.5}, "SPAM": {"scoreThreshold": 0.5}},
        },
        {"comment": {"text": CLEAN}, "requestedAttributes": {"TOXICITY": {}, "NOT_AN_ATTRIBUTE": {}}},
    ]
    first, second, third = run_node_client(live, requests)

    assert first["status"] == 200
    assert first["url"] == f"{live['url']}v1alpha1/comments:analyze?key={live['key']}"
    toxicity = first["data"]["attributeScores"]["TOXICITY"]
    assert [(s["begin"], s["end"]) for s in toxicity["spanScores"]] == [(0, 31), (32, 56)]
    assert toxicity["summaryScore"] == {"value": expected(assessor, "TOXICITY", DOC_TEXT), "type": "PROBABILITY"}
    assert first["data"]["clientToken"] == "comment-53922" and first["data"]["languages"] == ["en"]

    assert second == {
        "status": 200,
        "url": first["url"],
        "data": {
            "attributeScores": {"INSULT": {"summaryScore": {"value": 1.0, "type": "PROBABILITY"}}},
            "languages": ["en"],
            "detectedLanguages": ["en"],
        },
    }

    assert third["status"] == 400
    assert third["data"] == analyzer_error("Unknown requested attribute: NOT_AN_ATTRIBUTE")
    assert third["message"] == "Unknown requested attribute: NOT_AN_ATTRIBUTE"  # the client reads Google's error shape


def python_client(live, monkeypatch):
    """Perspective's own Python sample, with only the discovery URL's host changed to the service's."""
    from googleapiclient import discovery

    for name in [n for n in os.environ if "proxy" in n.lower()]:
        monkeypatch.delenv(name)
    return discovery.build(
        "commentanalyzer",
        "v1alpha1",
        developerKey=live["key"],
        discoveryServiceUrl=f"{live['url']}$discovery/rest?version=v1alpha1",
        static_discovery=False,
        cache_discovery=False,
    )


def test_googles_python_client_works_by_changing_the_base_url_only(live, assessor, monkeypatch):
    from googleapiclient.errors import HttpError

    comments = python_client(live, monkeypatch).comments()
    request = comments.analyze(body={**DOC_REQUEST, "clientToken": "py-1"})
    assert request.uri == f"{live['url']}v1alpha1/comments:analyze?key={live['key']}&alt=json"
    answer = request.execute()
    toxicity = answer["attributeScores"]["TOXICITY"]
    assert toxicity["summaryScore"] == {"value": expected(assessor, "TOXICITY", DOC_TEXT), "type": "PROBABILITY"}
    assert [(s["begin"], s["end"]) for s in toxicity["spanScores"]] == [(0, 31), (32, 56)]
    assert answer["clientToken"] == "py-1" and answer["detectedLanguages"] == ["en"]

    with pytest.raises(HttpError) as refused:
        comments.analyze(body={"comment": {"text": CLEAN}, "requestedAttributes": {"NOT_AN_ATTRIBUTE": {}}}).execute()
    assert refused.value.status_code == 400
    assert refused.value.reason == "Unknown requested attribute: NOT_AN_ATTRIBUTE"  # read from Google's error shape


def test_googles_python_client_suggests_scores(live, monkeypatch, client, keys):
    comments = python_client(live, monkeypatch).comments()
    body = {
        "comment": {"text": "You clown"},
        "attributeScores": {"INSULT": {"summaryScore": {"value": 0.9}}},
        "clientToken": "p-2",
    }
    assert comments.suggestscore(body=body).execute() == {"detectedLanguages": ["en"], "clientToken": "p-2"}
    labels = client.get("/v1/labels", headers=auth(keys["admin"])).get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in labels] == [{"text": "You clown", "attack": 1, "source": "news"}]


def test_discovery_document_names_this_service_and_one_version(client):
    document = client.get("/$discovery/rest?version=v1alpha1", base_url="https://moderation.example.org").get_json()
    assert document["rootUrl"] == "https://moderation.example.org/"
    methods = document["resources"]["comments"]["methods"]
    assert {name: m["path"] for name, m in methods.items()} == {
        "analyze": "v1alpha1/comments:analyze",
        "suggestscore": "v1alpha1/comments:suggestscore",
    }
    missing = {ref["$ref"] for m in methods.values() for ref in (m["request"], m["response"])} - set(document["schemas"])
    assert not missing
    other = client.get("/$discovery/rest?version=v1")
    assert other.status_code == 404 and other.get_json()["error"]["status"] == "NOT_FOUND"


SUGGEST_URL = "/v1alpha1/comments:suggestscore"


def suggest(client, key, body):
    return client.post(f"{SUGGEST_URL}?key={key}", json=body)


def scores(**values):
    return {name: {"summaryScore": {"value": v, "type": "PROBABILITY"}} for name, v in values.items()}


def test_suggested_scores_become_training_labels(client, keys):
    body = {"comment": {"text": "You are a clown"}, "attributeScores": scores(INSULT=0.9, SPAM=0.1), "communityId": "sports"}
    response = suggest(client, keys["site"], {**body, "clientToken": "abc", "languages": ["en"]})
    assert response.status_code == 200
    assert response.get_json() == {"detectedLanguages": ["en"], "requestedLanguages": ["en"], "clientToken": "abc"}
    name = response.headers["X-Moderation-Label"]
    assert name.startswith("perspective:")
    # the same text again replaces the label: a low TOXICITY says neither abuse nor attack
    again = suggest(client, keys["site"], {"comment": {"text": "You are a clown"}, "attributeScores": scores(TOXICITY=0.2)})
    assert again.headers["X-Moderation-Label"] == name
    labels = client.get("/v1/labels", headers=auth(keys["admin"])).get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in labels] == [{"text": "You are a clown", "abuse": 0, "attack": 0, "source": "news"}]


@pytest.mark.parametrize(
    ("suggested", "labels"),
    [
        ({"INSULT": 0.9, "SPAM": 0.1}, {"attack": 1, "promotion": 0}),
        ({"TOXICITY": 0.95}, {}),  # toxic, but abuse or attack? nothing is labelled
        ({"TOXICITY": 0.1}, {"abuse": 0, "attack": 0}),
        ({"TOXICITY": 0.9, "PROFANITY": 0.8, "THREAT": 0.2}, {"abuse": 1, "attack": 0}),
        ({"FLIRTATION": 1.0}, {}),
    ],
)
def test_the_mapping_from_attributes_to_labels(suggested, labels):
    from moderation.service.compat.perspective import suggested_labels

    assert suggested_labels(suggested) == labels


def test_a_suggestion_without_our_categories_stores_nothing(client, keys):
    response = suggest(client, keys["site"], {"comment": {"text": "hello"}, "attributeScores": scores(TOXICITY=0.99)})
    assert response.status_code == 200 and response.headers["X-Moderation-Label"] == "none"
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data() == b""


def test_span_scores_stand_for_the_comment_when_there_is_no_summary(client, keys):
    spans = [{"begin": 0, "end": 3, "score": {"value": 0.1}}, {"begin": 4, "end": 9, "score": {"value": 0.8}}]
    body = {"comment": {"text": "you idiot"}, "attribute_scores": {"INSULT": {"span_scores": spans}}}
    assert suggest(client, keys["site"], body).status_code == 200
    [row] = client.get("/v1/labels", headers=auth(keys["admin"])).get_data(as_text=True).splitlines()
    assert json.loads(row)["attack"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"comment": {"text": "hi"}}, "attribute_scores must not be empty."),
        ({"comment": {"text": " "}, "attributeScores": scores(INSULT=1)}, "Comment must be non-empty."),
        ({"comment": {"text": "\u200b\x00"}, "attributeScores": scores(INSULT=1)}, "Comment must be non-empty."),
        ({"comment": {"text": "hi"}, "attributeScores": {"INSULT": {}}}, "The AttributeScores of INSULT must not be empty."),
        ({"comment": {"text": "hi"}, "attributeScores": scores(NOPE=1)}, "Unknown attribute: NOPE"),
        (
            {"comment": {"text": "hi"}, "attributeScores": {"INSULT": {"summaryScore": {}}}},
            "All Score objects must be explicitly set",
        ),
        ({"comment": {"text": "hi"}, "attributeScores": scores(INSULT=1.5)}, "A PROBABILITY score must be from 0 to 1"),
        (
            {"comment": {"text": "hi"}, "attributeScores": {"INSULT": {"spanScores": [{"score": {"value": 1}}]}}},
            "All SpanScore objects must have begin, end and score set",
        ),
    ],
)
def test_bad_suggestions_are_refused_as_google_refuses_them(client, keys, body, message):
    response = suggest(client, keys["site"], body)
    assert response.status_code == 400
    error = assert_google_error(response)["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["message"].startswith(message)
    assert client.get("/v1/labels", headers=auth(keys["admin"])).get_data() == b""
