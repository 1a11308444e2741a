"""JSON in and out, one place: pydantic-core's encoder and parser, the standard library where they decline.

Flask's JSON (every ``jsonify`` answer and ``request.get_json``) and every JSON
value the store writes to or reads from Redis go through here (the Perspective
endpoint parses its bodies itself, to answer Google's error messages). ``pydantic_core.to_json`` and
``from_json`` (a dependency already, through pydantic) are several times
faster than the ``json`` module on the service's shapes (docs/BENCHMARKS.md,
"Submit path before and after issue 10"). They differ from it at two edges, both handled by falling back to
the standard library, so what is accepted and what is written stays as before:

- a string holding a lone surrogate (``"\\ud800"``) cannot be written as UTF-8;
  it is written with ``\\u`` escapes, as ``json`` does;
- such an escape in the input is refused by ``from_json``; ``json`` reads it.

Two limits make a document valid JSON that is still not read, each with its own
error (``TooDeep``, ``TooLong``: ``ValueError`` subclasses that say what is wrong, where
a body that is not JSON gets the ``json`` module's ``JSONDecodeError``):
nesting deeper than ``DEPTH_MAX`` (pydantic-core's own limit; the ``json``
module would run out of stack a little deeper) and an integer of more digits
than Python turns into a number (``sys.get_int_max_str_digits()``, 4300).
``problem(error)`` words any of them for an answer ("the request body ...").
Every JSON body of the service is read here, so each is refused the same way.

Output is compact UTF-8 (no ``\\u`` escapes for other characters), keys in
insertion order.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pydantic_core

_STD = json.JSONEncoder(separators=(",", ":"))


def encode(value: Any) -> bytes:
    """Return ``value`` as compact JSON bytes (UTF-8)."""
    try:
        return pydantic_core.to_json(value)
    except (pydantic_core.PydanticSerializationError, ValueError):
        return _STD.encode(value).encode("ascii")


def dumps(value: Any) -> str:
    """Return ``value`` as a compact JSON string."""
    return encode(value).decode("utf-8")


#: The deepest nesting read (objects and arrays inside each other): pydantic-core's limit.
DEPTH_MAX = 200


class Unreadable(ValueError):
    """Valid JSON, perhaps, but more than the service reads; ``str(error)`` says what, after "the request body"."""


class TooDeep(Unreadable):
    """Objects and arrays nested more than ``DEPTH_MAX`` deep."""

    def __init__(self) -> None:
        super().__init__(f"is nested too deep (more than {DEPTH_MAX} levels)")


class TooLong(Unreadable):
    """An integer of more digits than Python reads as a number."""

    def __init__(self, digits: int, most: int) -> None:
        super().__init__(f"has a number of {digits} digits (at most {most} are read)")
        self.digits = digits
        self.most = most


def _integer(text: str) -> int:
    most = sys.get_int_max_str_digits()
    digits = len(text) - text.startswith("-")
    if most and digits > most:
        raise TooLong(digits, most)
    return int(text)


def loads(data: str | bytes | bytearray) -> Any:
    """Return the value of one JSON document; ``ValueError`` when it is not one (``TooDeep`` or ``TooLong`` when it
    is more than is read, ``json.JSONDecodeError`` or ``UnicodeDecodeError`` when it is not JSON)."""
    try:
        return pydantic_core.from_json(data)
    except ValueError as error:
        if str(error).startswith("recursion limit exceeded"):
            raise TooDeep() from None
    try:
        # a lone surrogate escape, a number pydantic-core finds out of range, or the same error as a JSONDecodeError
        return json.loads(data, parse_int=_integer)
    except RecursionError:
        raise TooDeep() from None


def problem(error: ValueError) -> str:
    """Say what is wrong with a body that ``loads`` refused, as the rest of "the request body ..."."""
    if isinstance(error, Unreadable):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return "is not valid JSON: it is not UTF-8 text"
    if isinstance(error, json.JSONDecodeError):
        what = error.msg[:1].lower() + error.msg[1:]
        return f"is not valid JSON: {what} at line {error.lineno} column {error.colno}"
    return "is not valid JSON"
