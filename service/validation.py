"""Request validation: every bad field is reported at once (422), nothing half-checked gets through.

The shapes are declared in ``service.schemas``; ``validate(body, schema)`` runs
the pydantic validator made from one and answers its errors in the service's
words (``{"field", "message"}`` per bad field, in pydantic's order): each
message comes from the error's pydantic type and context (``MESSAGES``), or
from the ``Words`` declared beside the field where it words an error its own way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import request
from pydantic import ValidationError

from . import codec
from .errors import ApiError, invalid
from .schemas import FIELD_ERROR, NO_WORDS, TIME_MAX, Schema, Words, words_at

__all__ = ["MESSAGES", "TIME_MAX", "Schema", "field_errors", "json_body", "messages", "query_choice", "query_int", "validate"]


def json_body() -> Any:
    """Return the request's JSON body; 400 saying what is wrong when it is not JSON, or more than is read (nested too
    deep, a number too long: ``service.codec``)."""
    data = request.get_data(cache=True)
    expected = request.content_length
    if expected is not None and len(data) < expected:  # the client went, or was too slow (request_timeout_s)
        raise ApiError(400, f"the request body ended after {len(data)} of its {expected} bytes", "bad_json")
    if not data:
        raise ApiError(400, "the request body must be JSON", "bad_json")
    try:
        return codec.loads(data)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, or more than is read
        raise ApiError(400, f"the request body {codec.problem(error)}", "bad_json") from None


def validate(body: Any, schema: Schema, limits: Mapping[str, int] | None = None) -> dict:
    """Return the cleaned fields of ``body`` (those it has), or raise 422 listing every bad field.

    ``limits`` are the deployment's: ``text`` (max_text_chars) and ``batch`` (batch_max).
    """
    try:
        return schema.adapter.validate_python(body, strict=schema.strict, context=limits)
    except ValidationError as error:
        raise invalid(_fields(error, schema)) from None


def field_errors(body: Any, schema: Schema, limits: Mapping[str, int] | None = None, prefix: str = "") -> list[dict]:
    """Return the ``{"field", "message"}`` of every bad field of ``body`` (empty: valid); ``prefix``: the path of
    ``body`` in what holds it (``rate_limit``), put before each field's name."""
    try:
        schema.adapter.validate_python(body, strict=schema.strict, context=limits)
    except ValidationError as error:
        return _fields(error, schema, prefix)
    return []


#: The service's words for pydantic's error types, ``{name}`` taking the error's context (and the field's ``Words``).
MESSAGES = {
    "missing": "is required",
    "null": "must not be null",
    "string_type": "must be a string",
    "string_unicode": "must not contain unpaired surrogates",
    "string_too_long": "must be at most {max_length} characters",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "list_type": "must be a list",
    "too_long": "must have at most {max_length} items",
    "literal_error": "must be one of {choices}",
    "dict_type": "must be an object",
    "extra_forbidden": "is not a field of this request",
}
#: What a body that is no object is told, unless its shape words it otherwise.
_BODY = Words({"*": "must be a JSON object"})
_NAME = re.compile(r"\{(\w+)\}")


def _fields(error: ValidationError, schema: Schema, prefix: str = "") -> list[dict]:
    """Return pydantic's errors as the service's: the field (``name``, ``name[index]``, ``name.key``) and its message."""
    out = []
    for found in error.errors(include_url=False):
        location = found["loc"]
        name = prefix
        for part in location:
            name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
        words = words_at(schema.shape, location)
        if not location:  # the body itself, in its shape's words if it has some
            name, words = name or "(body)", words if words is not NO_WORDS else _BODY
        out.extend({"field": name, "message": message} for message in messages(found, words))
    return out


def messages(found: Mapping[str, Any], words: Words = NO_WORDS) -> list[str]:
    """Return what to answer for one of pydantic's errors, in the words of its field (``words``) or else the service's
    (``MESSAGES``). A null is told "must not be null" (but as an unknown field); a check of the service's own
    (``FIELD_ERROR``) says its message; a choice given something else than a string is told to be a string."""
    kind, value = found["type"], found.get("input")
    context = {**words.ctx, **found.get("ctx", {})}
    if kind == FIELD_ERROR:
        return [found["msg"]]
    if value is None and kind not in ("missing", "extra_forbidden"):
        kind = "null"
    elif kind == "literal_error" and not isinstance(value, str):
        kind = "string_type"
    elif kind == "string_unicode":
        # pydantic-core refuses a string with an unpaired surrogate before measuring it: a string too long is told
        # so first, as any other; a choice is told its choices too.
        most = context.get("max_length")
        if most is not None and isinstance(value, str) and len(value) > most:
            return [_worded("string_too_long", words, context, found)]
        out = [_worded(kind, words, context, found)]
        if "choices" in context:
            out.append(_worded("literal_error", words, context, found))
        return out
    return [_worded(kind, words, context, found)]


def _worded(kind: str, words: Words, context: Mapping[str, Any], found: Mapping[str, Any]) -> str:
    own = words.messages
    template = own.get(kind) or (own.get("*") if kind != "missing" else None) or MESSAGES.get(kind) or found["msg"]
    return _NAME.sub(lambda m: str(context[m.group(1)]) if m.group(1) in context else m.group(0), template)


def query_choice(name: str, choices: tuple[str, ...], errors: list) -> str | None:
    """Return the query argument ``name`` (None when absent or empty) if it is one of ``choices``; problems go to ``errors``."""
    value = request.args.get(name) or None
    if value is not None and value not in choices:
        errors.append({"field": name, "message": f"must be one of {', '.join(choices)}"})
        return None
    return value


_INTEGER = re.compile(r"-?[0-9]+")


def query_int(name: str, default: int, low: int, high: int, errors: list) -> int:
    """Return the query argument ``name`` as an integer in [low, high]; problems go to ``errors``: "must be an integer"
    for what is not one (``5.0``, ``1e3``, ``٣``), "must be between" for an integer out of range, however long."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        errors.append({"field": name, "message": "must be an integer"})
        return default
    digits = raw.lstrip("-").lstrip("0")
    value = int(raw) if len(digits) <= 18 else None  # longer is out of any range here (and may be too long for int())
    if value is None or not low <= value <= high:
        errors.append({"field": name, "message": f"must be between {low} and {high}"})
        return default
    return value
