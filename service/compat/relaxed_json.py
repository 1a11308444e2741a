"""The relaxed JSON that Google's API front end reads, as Perspective's own documentation sends it.

Perspective's documented ``curl`` example writes its body like a JavaScript
object literal: ``{comment: {text: "..."}, languages: ["en"], requestedAttributes:
{TOXICITY:{}}}``. Google's endpoint reads it (its JSON reader, protobuf's, takes
object keys without quotes and strings in single quotes), and much public code
copied the example. Strict JSON is tried first and stays the fast path; only a
body that is not JSON goes through ``to_strict``, which rewrites those two
liberties into JSON and nothing else (no comments, no trailing commas: they are
still errors).
"""

from __future__ import annotations

import json
import re

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_LITERALS = frozenset(("true", "false", "null"))


def to_strict(text: str) -> str:
    """Return ``text`` with unquoted object keys and single-quoted strings written as JSON strings.

    Raises ``ValueError`` where the text is not even relaxed JSON (an unterminated string)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "\"'":
            end, value = _string(text, i)
            out.append(json.dumps(value, ensure_ascii=False))
            i = end
            continue
        match = _IDENTIFIER.match(text, i) if (char.isalpha() or char in "_$") else None
        if match:
            word = match.group()
            rest = match.end()
            while rest < n and text[rest] in " \t\r\n":
                rest += 1
            is_key = rest < n and text[rest] == ":"
            out.append(json.dumps(word) if is_key or word not in _LITERALS else word)
            i = match.end()
            continue
        out.append(char)
        i += 1
    return "".join(out)


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _string(text: str, start: int) -> tuple[int, str]:
    """Return (the index after the string that starts at ``start``, its value)."""
    quote = text[start]
    i, n = start + 1, len(text)
    value: list[str] = []
    while i < n:
        char = text[i]
        if char == quote:
            return i + 1, "".join(value)
        if char == "\\":
            if i + 1 >= n:
                break
            code = text[i + 1]
            if code == "u":
                digits = text[i + 2 : i + 6]
                if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise ValueError(f"bad \\u escape at column {i + 1}")
                value.append(chr(int(digits, 16)))
                i += 6
                continue
            if code not in _ESCAPES:
                raise ValueError(f"bad escape at column {i + 1}")
            value.append(_ESCAPES[code])
            i += 2
            continue
        value.append(char)
        i += 1
    raise ValueError(f"unterminated string starting at column {start + 1}")
