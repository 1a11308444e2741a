"""The request validation made from the shapes of ``service.schemas``: every bad field, in the service's words."""

from __future__ import annotations

import pytest

from service import schemas
from service.errors import ApiError
from service.validation import field_errors, validate

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
