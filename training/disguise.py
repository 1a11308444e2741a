"""Ways people disguise a word from a filter, one function per family.

Each family takes a plain lower-case word and returns the disguised spelling,
or ``None`` where the family does not apply to that word (no letter has a
look-alike, no inner vowel to mask, ...). The evasion test
(``tests/classifier/test_evasion.py``) runs every family over every rule-list
word; ``benchmarks/evasion.py`` runs them over the words annotators marked as
toxic in held-out ToxicSpans posts.
"""

from __future__ import annotations

from collections.abc import Callable

# Look-alikes a reader takes for the Latin letter (Cyrillic first, else Greek).
LOOKALIKE = {
    "a": "а",
    "b": "Ь",
    "c": "с",
    "e": "е",
    "h": "һ",
    "i": "і",
    "j": "ј",
    "k": "κ",
    "n": "η",
    "o": "о",
    "p": "р",
    "s": "ѕ",
    "t": "τ",
    "u": "υ",
    "v": "ν",
    "w": "ԝ",
    "x": "х",
    "y": "у",
}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
CONTROLS = ("\x00", "\x1b", "\x7f", "\x85")
VOWELS = "aeiou"


def _between(word: str, separators: Callable[[int], str]) -> str:
    """Put ``separators(i)`` between letters i and i+1."""
    return "".join(ch + (separators(i) if i < len(word) - 1 else "") for i, ch in enumerate(word))


def zero_width(word: str) -> str:
    """A zero-width space between every two letters."""
    return _between(word, lambda _i: "\u200b")


def soft_hyphen(word: str) -> str:
    """A soft hyphen in the middle."""
    mid = len(word) // 2
    return word[:mid] + "\u00ad" + word[mid:]


def control(word: str) -> str:
    """C0 and C1 control characters (NUL, ESC, DEL, NEL) between the letters."""
    return _between(word, lambda i: CONTROLS[i % len(CONTROLS)])


def backspace(word: str) -> str:
    """A backspace after the first letter."""
    return word[0] + "\b" + word[1:]


def lookalike(word: str) -> str | None:
    """Every letter that has a Cyrillic or Greek look-alike replaced by it."""
    out = "".join(LOOKALIKE.get(c, c) for c in word)
    return out if out != word else None


def fullwidth(word: str) -> str:
    """Fullwidth forms of every letter."""
    return "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in word)


def leetspeak(word: str) -> str | None:
    """Digits and symbols for letters (a 4, e 3, i 1, o 0, s 5, t 7), leaving the first letter when it is the only one."""
    out = "".join(LEET.get(c, c) for c in word)
    if not any(c.isalpha() for c in out):
        out = word[0] + out[1:]  # "ass" -> "a55", not a number
    return out if out != word else None


def spaced(word: str) -> str:
    """Letters split by spaces."""
    return " ".join(word)


def dotted(word: str) -> str:
    """Letters split by full stops."""
    return ".".join(word)


def repeated(word: str) -> str:
    """The last vowel (else the last letter) written five times."""
    at = max((i for i, c in enumerate(word) if c in VOWELS), default=len(word) - 1)
    return word[:at] + word[at] * 5 + word[at + 1 :]


def masked_vowel(word: str) -> str | None:
    """The first vowel inside the word (not its first or last letter) replaced by ``*``."""
    at = next((i for i, c in enumerate(word) if 0 < i < len(word) - 1 and c in VOWELS), None)
    return None if at is None else word[:at] + "*" + word[at + 1 :]


def combining(word: str) -> str:
    """A combining mark on every letter (acute, diaeresis, strikethrough)."""
    marks = ("\u0301", "\u0308", "\u0336")
    return "".join(c + marks[i % len(marks)] for i, c in enumerate(word))


def alternating_case(word: str) -> str:
    """Upper and lower case alternating."""
    return "".join(c.upper() if i % 2 == 0 else c for i, c in enumerate(word))


def line_break(word: str) -> str:
    """The word split in two by a line break."""
    mid = len(word) // 2
    return word[:mid] + "\n" + word[mid:]


def space_split(word: str) -> str:
    """The word split in two by a space."""
    mid = len(word) // 2
    return word[:mid] + " " + word[mid:]


#: Every family, in report order.
FAMILIES: dict[str, Callable[[str], str | None]] = {
    "zero-width": zero_width,
    "soft hyphen": soft_hyphen,
    "control character": control,
    "backspace": backspace,
    "look-alikes": lookalike,
    "fullwidth": fullwidth,
    "leetspeak": leetspeak,
    "spaced letters": spaced,
    "dotted letters": dotted,
    "repeated letters": repeated,
    "masked vowel": masked_vowel,
    "combining marks": combining,
    "alternating case": alternating_case,
    "line break": line_break,
    "split by a space": space_split,
}

#: Families that split a word in two; they apply only where the pieces are not both words.
SPLITTING = ("line break", "split by a space")


def halves(word: str) -> tuple[str, str]:
    """Return the two pieces ``line_break`` and ``space_split`` make."""
    mid = len(word) // 2
    return word[:mid], word[mid:]
