"""Request validation: every bad field is reported at once (422), nothing half-checked gets through.

The shapes are declared in ``service.schemas``; ``validate(body, schema)`` runs
the pydantic validator made from one and answers its errors in the service's
words (``{"field", "message"}`` per bad field, in pydantic's order): each
message comes from the error's pydantic type and context (``MESSAGES``), or
from the ``Words`` declared beside the field where it words an error its own way.
Those words are made in ``service.schemas.kinds`` (``field_errors``, with no
web framework: the actions and the settings check values with them too); this
module adds the request: its JSON body, its query arguments, the 422.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import request
from pydantic import ValidationError

from . import codec
from .errors import ApiError, invalid
from .schemas import MESSAGES, TIME_MAX, Schema, field_errors, fields_of, messages

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


def validate(body: Any, schema: Schema, sizes: Mapping[str, int] | None = None) -> dict:
    """Return the cleaned fields of ``body`` (those it has), or raise 422 listing every bad field.

    ``sizes`` are the deployment's: ``text`` (max_text_chars) and ``batch`` (batch_max).
    """
    try:
        return schema.adapter.validate_python(body, strict=schema.strict, context=sizes)
    except ValidationError as error:
        raise invalid(fields_of(error, schema)) from None


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
