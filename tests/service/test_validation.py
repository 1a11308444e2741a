"""The request validation made from the shapes of ``service.schemas``: every bad field, in the service's words; the site
policy, the word lists and the console's forms validated the same way."""

from __future__ import annotations

import pytest

from moderation.service import schemas
from moderation.service.config import POLICY_KEYS, RateLimit, SitePolicy, policy_problems
from moderation.service.errors import ApiError
from moderation.service.schemas import form_body
from moderation.service.validation import field_errors, validate

from .conftest import auth

CLEAN = "The council should publish the full traffic study before the vote."
COMMENT_OK = {"id": "k1", "user_id": "u1", "text": CLEAN}

# -- (f) the validation made from the same shapes -----------------------------------------------------------------

S = "\ud800"  # an unpaired surrogate, as a JSON escape gives it
TIME_ERROR = "must be an ISO 8601 time or seconds since the epoch, from 1970 to 9998"


@pytest.mark.parametrize(
    ("schema", "body", "limits", "errors"),
    [
        # identifiers: length first, then unpaired surrogates, then control characters
        ("COMMENT", {**COMMENT_OK, "id": S}, None, [("id", "must not contain unpaired surrogates")]),
        ("COMMENT", {**COMMENT_OK, "id": "a\x00" + S}, None, [("id", "must not contain unpaired surrogates")]),
        ("COMMENT", {**COMMENT_OK, "user_id": "a\x00"}, None, [("user_id", "must not contain control characters")]),
        ("COMMENT", {**COMMENT_OK, "id": S * 201}, None, [("id", "must be 1 to 200 characters")]),
        ("COMMENT", {**COMMENT_OK, "id": "\x00" * 201}, None, [("id", "must be 1 to 200 characters")]),
        ("COMMENT", {**COMMENT_OK, "id": None}, None, [("id", "must not be null")]),
        ("CONSOLE_LOGIN", {"moderator": "m" * 101}, None, [("moderator", "must be 1 to 100 characters")]),
        # free text other than the comment: stored as it is, so no unpaired surrogates (with or without a limit)
        ("COMMENT", {**COMMENT_OK, "author_name": "\udc00"}, None, [("author_name", "must not contain unpaired surrogates")]),
        ("COMMENT", {**COMMENT_OK, "author_name": S * 201}, None, [("author_name", "must be at most 200 characters")]),
        ("CORAL_COMMENT", {"body": "a" + S}, None, [("body", "must not contain unpaired surrogates")]),
        # a choice: each check says its piece, as before
        (
            "DECISION",
            {"decision": S, "moderator": "m"},
            None,
            [("decision", "must not contain unpaired surrogates"), ("decision", "must be one of approve, reject")],
        ),
        ("KEY", {"role": 5}, None, [("role", "must be a string")]),
        # the comment itself: any Unicode but unpaired surrogates, something visible, the deployment's limit
        ("COMMENT", {**COMMENT_OK, "text": S + " hi"}, None, [("text", "must not contain unpaired surrogates")]),
        ("COMMENT", {**COMMENT_OK, "text": "\x1c\x1f "}, None, [("text", schemas.EMPTY_TEXT)]),
        ("COMMENT", {**COMMENT_OK, "text": "\u200b\x00"}, None, [("text", schemas.EMPTY_TEXT)]),
        ("COMMENT", {**COMMENT_OK, "text": "\u200b\x00!"}, None, []),
        ("SCORE", {"text": "t" * 21}, {"text": 20}, [("text", "must be at most 20 characters (got 21)")]),
        # integers: not booleans, not 1.0, any size
        ("CLAIM", {"moderator": "m", "limit": True}, None, [("limit", "must be an integer")]),
        ("CLAIM", {"moderator": "m", "limit": 1.0}, None, [("limit", "must be an integer")]),
        ("BAN", {"reason": "r", "duration_s": 10**400}, None, [("duration_s", "must be at most 315360000")]),
        ("BAN", {"reason": "r", "duration_s": -(10**400)}, None, [("duration_s", "must be at least 1")]),
        # lists: too long and the items are not looked at; otherwise each bad item by its index
        (
            "DECISION",
            {"decision": "reject", "moderator": "m", "categories": ["x"] * 4},
            None,
            [("categories", "must have at most 3 items")],
        ),
        (
            "DECISION",
            {"decision": "reject", "moderator": "m", "categories": [None, "abuse", 3]},
            None,
            [("categories[0]", "must not be null"), ("categories[2]", "must be a string")],
        ),
        ("BATCH", {"comments": [1, 2, 3]}, {"batch": 2}, [("comments", "must have at most 2 items")]),
        ("BATCH", {"comments": (1,)}, None, [("comments", "must be a list")]),
        # times
        ("COMMENT", {**COMMENT_OK, "created_at": 253_402_300_800}, None, [("created_at", TIME_ERROR)]),
        ("COMMENT", {**COMMENT_OK, "created_at": False}, None, [("created_at", TIME_ERROR)]),
        # not an object at all, and objects checked only for being one
        ("UNDO", "m", None, [("(body)", "must be a JSON object")]),
        ("CORAL_REQUEST", {"action": "NEW", "comment": [], "author": {}, "story": {}}, None, [("comment", "must be an object")]),
    ],
)
def test_validation_answers_in_the_services_words(schema, body, limits, errors):
    assert field_errors(body, getattr(schemas, schema), limits) == [{"field": f, "message": m} for f, m in errors]


def test_validation_keeps_what_the_body_has():
    """Unknown fields are dropped, fields left out stay out, times become seconds."""
    body = {**COMMENT_OK, "article_id": None, "created_at": "2027-01-15T10:00:00+02:00", "extra": {"x": 1}}
    assert validate(body, schemas.COMMENT) == {**COMMENT_OK, "article_id": None, "created_at": 1_800_000_000.0}
    with pytest.raises(ApiError) as raised:
        validate({}, schemas.COMMENT)
    assert raised.value.status == 422 and raised.value.message == "invalid fields: id, user_id, text"


# -- one rule at both front doors: a ban says why ------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_ban_without_a_reason_is_refused_by_the_api_as_by_the_console(client, keys, reason):
    """The console's ban form is validated with the API's BanInput: a reason that shows nothing is refused at both."""
    assert field_errors({"reason": reason}, schemas.BAN) == [{"field": "reason", "message": "must not be empty"}]
    assert schemas.CONSOLE_BAN is schemas.BAN and schemas.CONSOLE_USER_ACTION is schemas.USER_ACTION
    answer = client.post("/v1/users/u1/ban", json={"reason": reason}, headers=auth(keys["moderator"]))
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == [{"field": "reason", "message": "must not be empty"}]
    assert client.get("/v1/users/u1", headers=auth(keys["moderator"])).get_json()["banned"] is False


def test_a_ban_form_is_read_as_the_api_body():
    form = {"reason": "spam", "duration_s": "3600", "moderator": "someone else", "csrf": "t"}
    assert form_body(form, schemas.BAN) == {"reason": "spam", "duration_s": 3600}  # the moderator is the signed-in one
    assert form_body({"reason": "spam", "duration_s": ""}, schemas.BAN) == {"reason": "spam"}  # for good
    assert field_errors(form_body({"reason": "x", "duration_s": "soon"}, schemas.BAN), schemas.BAN) == [
        {"field": "duration_s", "message": "must be an integer"}
    ]
    assert field_errors(form_body({"reason": "x", "duration_s": "0"}, schemas.BAN), schemas.BAN) == [
        {"field": "duration_s", "message": "must be at least 1"}
    ]


# -- the site policy and the word lists: shapes validated as request bodies are ---------------------------------------


def test_a_policy_is_checked_with_its_shape_in_the_policys_words():
    problems = policy_problems(
        {
            "weights": {"abuse": 10**7, "spam": 1},
            "ban_steps": [[2, 60], [2, 60], [3]],
            "thresholds": {"attack": {}, "abuse": {"review": 0.9, "reject": 0.5}},
            "rate_limit": {"per_s": 0},
            "verdict_events": None,
            "terms_url": "ftp://example.org",
            "colour": "red",
        }
    )
    assert problems == [
        {"field": "colour", "message": f"is not a policy key ({', '.join(POLICY_KEYS)})"},
        {"field": "weights.abuse", "message": "must be an integer from 0 to 1000000"},
        {"field": "weights.spam", "message": "is not a category (abuse, attack, promotion)"},
        {"field": "ban_steps[2]", "message": "must be a [strikes, seconds] pair"},
        {"field": "thresholds.abuse.review", "message": "must not be above reject"},
        {"field": "thresholds.attack", "message": 'must be {"review": p, "reject": p} (either may be left out)'},
        {"field": "rate_limit.per_s", "message": "must be a number above 0 and at most 1000000"},
        {"field": "rate_limit.burst", "message": "is required"},
        {"field": "verdict_events", "message": "must be true or false"},
        {"field": "terms_url", "message": "must be an http(s) URL"},
    ]
    assert policy_problems({"ban_steps": [[2, 60], [2, 60]]}) == [
        {"field": "ban_steps[1][0]", "message": "must be more strikes than the step before"}
    ]
    assert policy_problems(SitePolicy().to_dict()) == []
    assert RateLimit.problems([], "keys.rate_limit") == [
        {"field": "keys.rate_limit", "message": 'must be {"per_s": number, "burst": integer} or null'}
    ]


def test_a_word_list_entry_is_checked_with_its_shape():
    entry = {"pattern": "two words", "severity": "allow", "note": "a\x01", "zz": 1}
    assert field_errors(entry, schemas.WORD_ENTRY) == [
        {"field": "note", "message": "must not contain control characters"},
        {"field": "zz", "message": "is not a field of an entry"},
        {
            "field": "pattern",
            "message": "is more than one word: an allow entry is one word (or word*, or a domain), which no rule then matches",
        },
    ]
    assert field_errors({"severity": "block"}, schemas.WORD_ENTRY) == [{"field": "pattern", "message": "must be text"}]
    assert field_errors(5, schemas.WORD_ENTRY, prefix="entries[3]") == [
        {"field": "entries[3]", "message": "must be an object with pattern and severity"}
    ]
    assert field_errors({"remove": ["", "ok"]}, schemas.WORDS_REMOVED) == [
        {"field": "remove[0]", "message": "must be an entry's pattern"}
    ]


def test_a_field_summary_is_read_from_its_declaration():
    assert schemas.DECISION["categories"] == schemas.Summary(
        "list", required=False, nullable=True, max_length=3, items=schemas.Summary("string", choices=("abuse", "attack", "promotion"))
    )
    assert schemas.COMMENT["id"].kind == "id" and schemas.COMMENT["text"].kind == "text"
