"""JSON through ``service.codec``: pydantic-core's encoder and parser, the standard library where they decline."""

from __future__ import annotations

import json

import pytest

from moderation.service import codec

from .conftest import auth


@pytest.mark.parametrize(
    "value",
    [
        {"text": "café ☕ 👍🏽", "n": 3, "x": 0.30000000000000004, "tiny": 1e-05, "big": 10**30, "none": None},
        [True, False, [], {}, ""],
        {"lone": "a\ud800b"},  # not UTF-8: written with \u escapes, as the json module does
    ],
)
def test_encode_round_trips_through_both_parsers(value):
    data = codec.encode(value)
    assert codec.loads(data) == value
    assert json.loads(data) == value
    assert codec.dumps(value) == data.decode("utf-8")


def test_output_is_compact_utf8_in_insertion_order():
    assert codec.encode({"b": 1, "a": ["é", 2]}) == '{"b":1,"a":["é",2]}'.encode()


def test_loads_reads_what_the_json_module_reads():
    assert codec.loads(b'{"a": "\\ud800", "b": "\\u00e9"}') == {"a": "\ud800", "b": "é"}
    assert codec.loads('{"a":1,"a":2}') == {"a": 2}


@pytest.mark.parametrize("bad", [b"", b"{", b'{"a":1} x', b"[1,]", b"{'a':1}", b"\xff"])
def test_loads_refuses_what_is_not_one_json_document(bad):
    with pytest.raises(ValueError):
        codec.loads(bad)


def test_loads_says_when_a_document_is_more_than_is_read():
    """Valid JSON nested too deep or with an integer too long for Python is refused with its own error."""
    assert codec.loads('{"a":' * 200 + "1" + "}" * 200)  # 200 levels are read
    for deep in ('{"a":' * 201 + "1" + "}" * 201, "[" * 5000 + "]" * 5000, '["\\ud800",' + "[" * 5000 + "]" * 5000 + "]"):
        with pytest.raises(codec.TooDeep) as raised:
            codec.loads(deep)
        assert codec.problem(raised.value) == "is nested too deep (more than 200 levels)"
    assert codec.loads("-" + "9" * 4300) == -int("9" * 4300)
    for long in ("9" * 4301, '{"a": [-' + "1" * 5000 + "]}"):
        with pytest.raises(codec.TooLong) as raised:
            codec.loads(long)
    assert codec.problem(raised.value) == "has a number of 5000 digits (at most 4300 are read)"
    assert codec.loads("1" * 5000 + ".5") == float("inf")  # a float that long is only large


def test_encode_refuses_what_json_cannot_write():
    with pytest.raises(TypeError):
        codec.encode({"a": object()})


def post(client, keys, raw: bytes):
    return client.post("/v1/comments", data=raw, content_type="application/json", headers=auth(keys["site"]))


def test_answers_are_utf8(client, keys):
    assert post(client, keys, b'{"id": "c1", "user_id": "u1", "text": "Merci \\u00e9 \\ud83d\\udc4d"}').status_code == 200
    stored = client.get("/v1/comments/c1", headers=auth(keys["admin"]))
    assert stored.status_code == 200
    assert '"text":"Merci é 👍"'.encode() in stored.get_data()  # UTF-8, not \u escapes


def test_a_lone_surrogate_escape_is_read_and_refused_by_its_field(client, keys):
    """JSON allows "\\ud800", the reader reads it, and the field that holds it is refused: nothing stores it."""
    response = post(client, keys, b'{"id": "c2", "user_id": "u1", "text": "a lone \\ud800 here"}')
    assert response.status_code == 422, response.get_data()
    assert response.get_json()["error"]["fields"] == [{"field": "text", "message": "must not contain unpaired surrogates"}]
    assert client.get("/v1/comments/c2", headers=auth(keys["admin"])).status_code == 404
