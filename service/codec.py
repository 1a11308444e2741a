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

Output is compact UTF-8 (no ``\\u`` escapes for other characters), keys in
insertion order.
"""

from __future__ import annotations

import json
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


def loads(data: str | bytes | bytearray) -> Any:
    """Return the value of one JSON document; ``ValueError`` when it is not one."""
    try:
        return pydantic_core.from_json(data)
    except ValueError:
        return json.loads(data)  # a lone surrogate escape, or the same ValueError (JSONDecodeError)
