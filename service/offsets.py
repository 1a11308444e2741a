"""Offsets into a text in both units: Python's code points and JavaScript's UTF-16 code units.

Native spans (``start``/``end``) count code points, as Python slices do; a
JavaScript front end (``String.prototype.slice``, the DOM) counts UTF-16 code
units, where a character outside the Basic Multilingual Plane (most emoji)
takes two. Every native span also carries ``start16``/``end16``; Perspective's
span scores are UTF-16 only (``begin``/``end``), as Google's are.
"""

from __future__ import annotations


def utf16_offsets(text: str) -> list[int]:
    """Return, for each Python index 0..len(text), the UTF-16 code unit offset (astral characters count twice)."""
    offsets = [0] * (len(text) + 1)
    units = 0
    for i, char in enumerate(text):
        offsets[i] = units
        units += 2 if ord(char) > 0xFFFF else 1
    offsets[len(text)] = units
    return offsets


def with_utf16(spans: list[dict], text: str | None) -> list[dict]:
    """Return ``spans`` with ``start16``/``end16`` (UTF-16 code units into ``text``) added to each."""
    if not spans or text is None:
        return spans
    if text.isascii():  # the common case: both units are the same
        return [{**s, "start16": s["start"], "end16": s["end"]} for s in spans]
    offsets = utf16_offsets(text)
    last = len(text)
    return [{**s, "start16": offsets[min(s["start"], last)], "end16": offsets[min(s["end"], last)]} for s in spans]
