"""Text normalisation shared by the rules and the model.

``Normalizer.normalize(text)`` turns what a site sent into a canonical form that
defeats common obfuscation, and keeps, for every character of the result, the
span of the original text it came from, so that evidence found on the
normalised text can be reported as offsets into the original.

Stages, in order (each keeps the offset map):

1. fold characters: drop every character that does not change what a reader
   sees inside a word (C0 and C1 control characters such as NUL, backspace,
   DEL and NEL; all ``Cf`` format characters; variation selectors and other
   combining marks; Hangul and Braille fillers), NFKC compatibility forms
   (fullwidth, mathematical alphanumerics), casefold, Cyrillic/Greek/
   small-capital look-alikes to Latin; tabs and line breaks become spaces;
2. collapse runs of whitespace to one space, trim;
3. entities: URLs, e-mail addresses, phone numbers and @handles become the
   placeholder tokens in ``PLACEHOLDERS`` (their values are kept as entities);
4. join letters split by spaces, dots, dashes or asterisks ("f.u.c.k");
5. canonicalise word chunks: leetspeak, masked letters ("f*ck") and letter
   floods ("fuuuuck"), using a lexicon of words worth recovering to settle
   ambiguous cases (is "1" an "i" or an "l"?) and to leave the rest alone,
   then the vocabulary of ordinary words ("1gn0r4nt" is "ignorant");
6. bridge a listed word split in two or three pieces by a space or a line
   break ("mo ron", "as\nshole") when not every piece is an ordinary word, so
   "pen is" and "dumb ass" stay as they are.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

#: Placeholder tokens the model sees instead of contact details.
PLACEHOLDERS = {
    "url": "zurlz",
    "email": "zemailz",
    "phone": "zphonez",
    "handle": "zhandlez",
}

# Look-alike letters, written for this project. Upper-case forms are listed
# because casefolding loses the resemblance (Greek capital eta looks like "H",
# its lower case like "n").
_UPPER_LOOKALIKES = {
    # Cyrillic capitals
    "А": "a",
    "В": "b",
    "Е": "e",
    "К": "k",
    "М": "m",
    "Н": "h",
    "О": "o",
    "Р": "p",
    "С": "c",
    "Т": "t",
    "У": "y",
    "Х": "x",
    "Ѕ": "s",
    "І": "i",
    "Ј": "j",
    "Ү": "y",
    "Һ": "h",
    "Ԁ": "d",
    "Ԛ": "q",
    "Ԝ": "w",
    "Ӏ": "l",
    # Greek capitals
    "Α": "a",
    "Β": "b",
    "Ε": "e",
    "Ζ": "z",
    "Η": "h",
    "Ι": "i",
    "Κ": "k",
    "Μ": "m",
    "Ν": "n",
    "Ο": "o",
    "Ρ": "p",
    "Τ": "t",
    "Υ": "y",
    "Χ": "x",
}
_LOWER_LOOKALIKES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "п": "n",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ш": "w",
    "щ": "w",
    "ъ": "b",
    "ь": "b",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ү": "y",
    "һ": "h",
    "ӏ": "l",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "n",
    "θ": "o",
    "ι": "i",
    "κ": "k",
    "μ": "u",
    "ν": "v",
    "ο": "o",
    "π": "n",
    "ρ": "p",
    "σ": "o",
    "ς": "s",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    # Latin small capitals and other letter-like forms
    "ᴀ": "a",
    "ʙ": "b",
    "ᴄ": "c",
    "ᴅ": "d",
    "ᴇ": "e",
    "ꜰ": "f",
    "ғ": "f",
    "ɢ": "g",
    "ʜ": "h",
    "ɪ": "i",
    "ᴊ": "j",
    "ᴋ": "k",
    "ʟ": "l",
    "ᴍ": "m",
    "ɴ": "n",
    "ᴏ": "o",
    "ᴘ": "p",
    "ǫ": "q",
    "ʀ": "r",
    "ꜱ": "s",
    "ᴛ": "t",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ʏ": "y",
    "ᴢ": "z",
    "ɑ": "a",
    "ɡ": "g",
    "ı": "i",
    "ɩ": "i",
    "ɨ": "i",
    "ʉ": "u",
    "ƒ": "f",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "ŧ": "t",
    "ħ": "h",
    "¢": "c",
}
# Enclosed and squared letters that have no compatibility decomposition.
for _base in (0x1F130, 0x1F150, 0x1F170, 0x1F1E6):
    for _i in range(26):
        _LOWER_LOOKALIKES[chr(_base + _i)] = chr(ord("a") + _i)

# Invisible characters that are not in category Cf but are used to split words.
_INVISIBLE = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u180e", "\u2800"}
#: Categories of characters that show nothing: control (C0, DEL, C1: NUL, backspace, NEL) and format characters
#: (zero-width space, joiners, bidi controls, the BOM, word joiner, soft hyphen).
_INVISIBLE_CATEGORIES = ("Cc", "Cf")
# Variation selectors (combining marks, dropped as such): they only choose how the character before them looks.
_VARIATION_SELECTORS = ((0x180B, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


def invisible(ch: str) -> bool:
    """Tell whether a character shows nothing by itself (the normaliser drops it): a control or format character
    (NUL, zero-width space, bidi controls ...), a variation selector, or a filler such as U+3164."""
    if ch in _INVISIBLE or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
        return True
    code = ord(ch)
    return any(low <= code <= high for low, high in _VARIATION_SELECTORS)


def blank(text: str) -> bool:
    """Tell whether ``text`` shows nothing: empty, or only whitespace and ``invisible`` characters."""
    return all(ch.isspace() or invisible(ch) for ch in text)

# ASCII: upper case to lower, whitespace controls (tab, line breaks) to spaces
# (1:1, offsets kept). Other control characters are invisible and are dropped
# first (``_ASCII_CONTROL``): "fu<NUL>ck" and "m<BS>oron" read as one word.
_ASCII_TABLE = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_ASCII_TABLE.update({c: 32 for c in (9, 10, 11, 12, 13)})
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]+")

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_SPACES = re.compile(r"^ +| +$| {2,}")


def fold_char(ch: str) -> str:
    """Return the folded form of one non-ASCII character ('' to drop it)."""
    if ch in _UPPER_LOOKALIKES:
        return _UPPER_LOOKALIKES[ch]
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cs") or invisible(ch):
        return ""  # invisible (C1 controls too), combining, or a lone surrogate (not encodable text)
    if cat in ("Zs", "Zl", "Zp"):
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        if part in _UPPER_LOOKALIKES:
            out.append(_UPPER_LOOKALIKES[part])
            continue
        for low in part.casefold():
            out.append(_LOWER_LOOKALIKES.get(low, low))
    return unicodedata.normalize("NFKC", "".join(out)).lower()


class Entity(NamedTuple):
    """A contact detail found in the text, with its span in the original."""

    kind: str  # "url", "email", "phone" or "handle"
    value: str  # canonical value: host for URLs, address, digits, handle
    start: int
    end: int


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus, per character, the original span it came from."""

    original: str
    text: str
    starts: list[int]
    ends: list[int]
    entities: tuple[Entity, ...] = ()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised slice [start, end) to a slice of the original."""
        if not self.text or start >= end:
            return (0, 0)
        start = max(0, min(start, len(self.text) - 1))
        end = max(start + 1, min(end, len(self.text)))
        a, z = self.starts[start], self.ends[end - 1]
        # A span keeps the combining marks of its last letter (and variation selectors).
        original = self.original
        while z < len(original) and not original[z].isascii() and unicodedata.category(original[z]) in ("Mn", "Me"):
            z += 1
        return a, z

    def entity_at(self, start: int) -> Entity | None:
        """Return the entity whose placeholder starts at normalised ``start``."""
        for entity in self.entities:
            if entity.start == self.starts[start]:
                return entity
        return None


class _Builder:
    """Apply regex rewrites to a text while keeping the offset maps."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str, starts: list[int], ends: list[int]):
        self.text, self.starts, self.ends = text, starts, ends

    def rewrite(self, pattern: re.Pattern, repl: Callable[[re.Match], object]) -> None:
        """Replace each match of ``pattern`` by ``repl(match)`` (None keeps it)."""
        self.apply((m.start(), m.end(), r) for m in pattern.finditer(self.text) if (r := repl(m)) is not None)

    def apply(self, edits: Iterable[tuple[int, int, object]]) -> None:
        """Apply ``(start, end, replacement)`` edits, sorted and not overlapping.

        A replacement is a string, or a pair of (string, list of source indices
        within [start, end), one per output character). A string of the same
        length maps 1:1; otherwise every output character maps to the whole
        replaced span.
        """
        text, starts, ends = self.text, self.starts, self.ends
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        pos = 0
        for a, b, result in edits:
            pieces.append(text[pos:a])
            new_starts.extend(starts[pos:a])
            new_ends.extend(ends[pos:a])
            if isinstance(result, tuple):
                out, sources = result
                sub_starts, sub_ends = starts[a:b], ends[a:b]
                new_starts.extend([sub_starts[i] for i in sources])
                new_ends.extend([sub_ends[i] for i in sources])
            elif len(result) == b - a:
                out = result
                new_starts.extend(starts[a:b])
                new_ends.extend(ends[a:b])
            else:
                out = result
                new_starts.extend([starts[a]] * len(out))
                new_ends.extend([ends[b - 1]] * len(out))
            pieces.append(out)
            pos = b
        if not pieces:
            return
        pieces.append(text[pos:])
        new_starts.extend(starts[pos:])
        new_ends.extend(ends[pos:])
        self.text = "".join(pieces)
        self.starts, self.ends = new_starts, new_ends


# --- entities -----------------------------------------------------------------

# Top-level domains accepted for bare domains ("example.com"). Two-letter
# country codes that are also English words (it, me, to, us, is, in, ...) are
# left out: a missing space after a full stop must not look like a link.
_TLDS = (
    "com|net|org|edu|gov|mil|int|info|biz|xyz|online|site|website|club|shop|store|"
    "live|blog|app|dev|top|vip|win|bid|loan|click|link|news|media|tech|space|fun|"
    "io|co|uk|ca|de|fr|ru|cn|jp|au|nz|eu|tv|ly|gl|gg|cc|ws|tk|ml|ga|cf|gq|pw|"
    "nl|es|pl|br|mx|ch|se|dk|fi|ie|za|ua|kr|hk|sg|ph|pk|ng|ke|vn"
)
# Short link and messaging hosts whose top-level domain is left out above.
_LINK_HOSTS = r"(?:t|wa|m|fb|kik|signal|telegram)\.me|youtu\.be|is\.gd|v\.gd|discord\.gg"
# TLDs accepted when spelled with spaces or "dot" ("example . com").
_SPACED_TLDS = "com|net|org|info|biz|xyz|ru|tk"
_DOT = r"(?:\s?\.\s?|\s?[\(\[\{]\s?dot\s?[\)\]\}]\s?)"
_AT = r"(?:\s?[\(\[\{]\s?at\s?[\)\]\}]\s?|\sat\s)"
# Spelled-out e-mail addresses ("name at gmail dot com") only for mail providers:
# "look at this dot com bubble" is prose.
_MAIL_HOSTS = "gmail|googlemail|yahoo|hotmail|outlook|aol|icloud|protonmail|proton|gmx|yandex|mail|live|msn"
_MAIL_DOT = r"(?:\s?\.\s?|\s?[\(\[\{]\s?dot\s?[\)\]\}]\s?|\sdot\s)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# The rest of a link: anything but spaces, quotes and angle brackets, not ending in the punctuation of the sentence
# around it ("see www.example.biz, then" is a link to example.biz).
_URL_REST = r"(?:[^\s<>\"]*[^\s<>\".,;:!?)\]}'])"

# One pattern per kind, applied in this order (an e-mail address contains a
# domain, a URL may contain digits), each behind a cheap test that skips it for
# the many comments without any contact details.
_ENTITY_PATTERNS = (
    (
        "email",
        re.compile(
            rf"(?<![\w.@])[a-z0-9][a-z0-9._%+-]{{0,63}}@{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,}}\b"
            rf"|(?<![\w.@])[a-z0-9][a-z0-9._%+-]{{0,63}}{_AT}(?:{_MAIL_HOSTS}){_MAIL_DOT}(?:{_SPACED_TLDS}|co{_MAIL_DOT}uk)\b"
        ),
        None,  # see _email_hint
    ),
    (
        "url",
        re.compile(
            rf"(?:https?://|www\.){_URL_REST}"
            rf"|(?<![\w@.-])(?:{_LINK_HOSTS})\b(?:/{_URL_REST}?)?"
            rf"|(?<![\w@.-]){_LABEL}(?:\.{_LABEL})*\.(?:{_TLDS})\b(?![.-]?\w)(?:/{_URL_REST}?)?"
            rf"|(?<![\w@.-]){_LABEL}{_DOT}(?:{_SPACED_TLDS})\b(?:\s?/[^\s<>\"]*)?"
        ),
        re.compile(rf"://|www\.|\.\s?(?:{_TLDS})\b|[\(\[\{{]\s?dot|{_LINK_HOSTS}"),
    ),
    (
        "phone",
        re.compile(r"(?<![\w+(])(?:\+|00)?\(?\d(?:[\s().-]{0,2}\d){8,14}(?!\w)"),
        re.compile(r"\d[\d\s().-]{7,}\d"),
    ),
    (
        "handle",
        re.compile(r"(?<![\w@.])@[a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])"),
        re.compile("@"),
    ),
)
_MAIL_HOST_NAMES = tuple(_MAIL_HOSTS.split("|"))


def _email_hint(text: str) -> bool:
    """Tell cheaply whether ``text`` may hold an e-mail address."""
    return "@" in text or any(host in text for host in _MAIL_HOST_NAMES)


_NOT_DIGIT = re.compile(r"\D+")
_SPELLED = re.compile(r"\s*[\(\[\{]\s*(dot|at)\s*[\)\]\}]\s*|\s+(dot|at)\s+|\s+")
_DOTS = re.compile(r"\.{2,}")


def _unspell(raw: str) -> str:
    """Undo spelled-out separators: "name (at) mail dot com" -> "name@mail.com"."""

    def sub(m: re.Match) -> str:
        word = m.group(1) or m.group(2)
        return "@" if word == "at" else "." if word == "dot" else ""

    return _DOTS.sub(".", _SPELLED.sub(sub, raw)).strip(".")


def _entity_value(kind: str, raw: str) -> str:
    """Return the canonical value of an entity: digits, handle, address or host."""
    if kind == "phone":
        return _NOT_DIGIT.sub("", raw)
    if kind == "handle":
        return raw[1:]
    if kind == "email":
        return _unspell(raw)
    host = re.split(r"\s?/", raw.split("://", 1)[-1], maxsplit=1)[0]
    host = _unspell(host).split(":", 1)[0]
    return host.removeprefix("www.")


# --- word chunks ----------------------------------------------------------------

_LEET = {"4": "a", "@": "a", "3": "e", "0": "o", "$": "s", "5": "s", "7": "t", "!": "i"}
_LEET_AMBIGUOUS = {"1": "il", "|": "il"}
_MASKS = "*#"
# A word chunk: letters with leet, mask and flood characters.
_CHUNK_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$!|*#")
_CHUNK = re.compile(r"[a-z0-9@$!|*#]+")
_LEET_SPOT = re.compile(r"[0-9@$!|*#]+")
_FLOOD = re.compile(r"([a-z])\1\1")
# Numbers, money and numbers with a unit ("1st", "10am", "$12m") are not leetspeak.
_UNIT = re.compile(
    r"[$]?\d+(?:st|nd|rd|th|s|k|m|b|bn|x|d|h|am|pm|min|mins|mb|gb|tb|kb|kg|km|lb|lbs|ft|yr|yrs|hr|hrs|g|ml|mm|cm|mph|kph|mg|mp|p|v)?"
)
_HAS_LETTER = re.compile("[a-z]")
_RUN3 = re.compile(r"([a-z])\1{2,}")
# Letters (and leet characters) split by one repeated separator.
_SPLIT = re.compile(r"(?<![\w@$*])([a-z0-9@$])([ ._*~+-]{1,2})(?:[a-z0-9@$]\2){1,}[a-z0-9@$](?![\w@$])")
_INNER_LEET = re.compile(r"[a-z]+(?:[0-9@$!|]+[a-z]+)+")
_PUNCT_RUN = re.compile(r"([^\w\s])\1{3,}")
# Tokens for bridging split words: letters only, bounded by anything but word characters.
_TOKEN = re.compile(r"(?<![\w'@$*-])[a-z]+(?![\w'@$*-])")


#: One- and two-letter English words. Longer ordinary words come from the
#: vocabulary a model learns from its training comments (``Lexicon.vocabulary``).
SHORT_WORDS = frozenset(
    [
        "a",
        "i",
        "o",
        "ad",
        "ah",
        "am",
        "an",
        "as",
        "at",
        "aw",
        "ay",
        "be",
        "bs",
        "by",
        "do",
        "eh",
        "er",
        "ex",
        "go",
        "ha",
        "he",
        "hi",
        "hm",
        "if",
        "in",
        "is",
        "it",
        "la",
        "lo",
        "ma",
        "me",
        "mr",
        "ms",
        "my",
        "no",
        "of",
        "oh",
        "ok",
        "on",
        "or",
        "ow",
        "ox",
        "pa",
        "pc",
        "pm",
        "re",
        "so",
        "tv",
        "uh",
        "um",
        "up",
        "us",
        "vs",
        "we",
        "ya",
        "ye",
        "yo",
    ]
)
#: Endings a stem may take when split pieces are joined back into a listed word.
_INFLECTIONS = frozenset(
    [
        "",
        "s",
        "es",
        "ed",
        "d",
        "er",
        "ers",
        "ing",
        "in",
        "y",
        "ies",
        "ied",
        "ness",
        "head",
        "heads",
        "hole",
        "holes",
        "face",
        "tard",
        "tards",
        "wit",
        "wits",
    ]
)
#: Spaced-out letter runs longer than this are joined without looking for the words in them.
_MAX_SEGMENTED = 60
#: The longest word looked for inside a run of spaced-out letters.
_MAX_WORD = 24
#: Split pieces are bridged into an ordinary (unlisted) word of at least this many letters.
_MIN_BRIDGED = 4
#: How many answers of Lexicon.listed_form are kept before the cache starts again.
_LISTED_CACHE = 50_000
#: Recovered readings shorter than this are not taken from the vocabulary ("i7" is a processor).
_MIN_VOCABULARY_READING = 4


class Lexicon:
    """Words the normaliser should recover from obfuscation, and ordinary words.

    ``words`` are whole words worth recovering (the rule lists' words);
    ``stems`` match any word that starts with them. ``vocabulary`` holds
    ordinary words (a model's training vocabulary): an obfuscated word whose
    only reading is one of them is recovered too ("1gn0r4nt"), and a word
    split into pieces that are all ordinary words is never joined. ``allowed``
    are the allowlist's words (``stem*`` for a stem, as a model file keeps them;
    or the stems apart, ``allowed_stems``): ordinary words that contain a listed
    one ("assassin"), kept whole wherever they are recovered.
    """

    def __init__(
        self,
        words: Iterable[str] = (),
        stems: Iterable[str] = (),
        vocabulary: Iterable[str] = (),
        allowed: Iterable[str] = (),
        allowed_stems: Iterable[str] = (),
    ):
        self.words = frozenset(words)
        allowed = frozenset(allowed)
        self.allowed = frozenset(w for w in allowed if not w.endswith("*"))
        self.allowed_stems = tuple(sorted({w[:-1] for w in allowed if w.endswith("*")} | set(allowed_stems)))
        self.stems = tuple(sorted(set(stems)))
        self.vocabulary = frozenset(vocabulary)
        self._known = SHORT_WORDS | self.vocabulary | self.words | self.allowed
        self._listed: dict[str, bool] = {}  # listed_form's answers (a bounded cache; races only recompute)
        self._stem_lengths = sorted({len(s) for s in self.stems})
        self._stem_set = frozenset(self.stems)
        self._by_length: dict[int, list[str]] = {}
        for w in self.words:
            self._by_length.setdefault(len(w), []).append(w)
        self._vocabulary_by_length: dict[int, list[str]] = {}

    def with_entries(
        self, words: Iterable[str] = (), stems: Iterable[str] = (), allowed: Iterable[str] = (), allowed_stems: Iterable[str] = ()
    ) -> Lexicon:
        """Return this lexicon with more words and stems to recover and more allowed words and stems (a site's own
        entries, ``SiteWordLists.normalizer_for``); a word allowed here is no longer recovered."""
        allowed = frozenset(allowed)
        return Lexicon(
            (self.words | frozenset(words)) - allowed,
            (*self.stems, *stems),
            self.vocabulary,
            allowed=self.allowed | allowed,
            allowed_stems=(*self.allowed_stems, *allowed_stems),
        )

    def __contains__(self, word: str) -> bool:
        if word in self.words:
            return True
        return any(word[:n] in self._stem_set for n in self._stem_lengths if n <= len(word))

    def listed_form(self, word: str) -> bool:
        """Tell whether ``word`` is a listed word, or a stem plus an inflection ("fuckers", not "whoresigned")."""
        found = self._listed.get(word)
        if found is None:
            if len(self._listed) > _LISTED_CACHE:
                self._listed.clear()
            found = self._listed[word] = self._listed_form(word)
        return found

    def _listed_form(self, word: str) -> bool:
        if word in self.words:
            return True
        return any(word[:n] in self._stem_set and word[n:] in _INFLECTIONS for n in self._stem_lengths if n <= len(word))

    def is_word(self, piece: str) -> bool:
        """Tell whether ``piece`` is a word by itself (ordinary, short or listed)."""
        return piece in self._known or (bool(self.allowed_stems) and piece.startswith(self.allowed_stems))

    def ordinary(self, reading: str) -> bool:
        """Tell whether ``reading`` is an ordinary word long enough to recover."""
        return len(reading) >= _MIN_VOCABULARY_READING and reading in self.vocabulary

    def fill_ordinary(self, masked: str) -> str | None:
        """Return the one vocabulary word that ``masked`` (one or two * or #) can be, or None."""
        if len(masked) < _MIN_VOCABULARY_READING or sum(c in _MASKS for c in masked) > 2:
            return None
        if not self._vocabulary_by_length and self.vocabulary:
            for w in self.vocabulary:
                self._vocabulary_by_length.setdefault(len(w), []).append(w)
        whole = re.compile("".join("[a-z]" if c in _MASKS else re.escape(c) for c in masked))
        found = [w for w in self._vocabulary_by_length.get(len(masked), ()) if whole.fullmatch(w)]
        return found[0] if len(found) == 1 else None

    def fill(self, masked: str) -> str | None:
        """Return the one lexicon word that ``masked`` (with * or #) can be, or None."""

        def pattern(part: str) -> re.Pattern:
            return re.compile("".join("[a-z]" if c in _MASKS else re.escape(c) for c in part))

        whole = pattern(masked)
        found = {w for w in self._by_length.get(len(masked), ()) if whole.fullmatch(w)}
        if len(found) == 1:
            return found.pop()  # "c*ntact" is "contact", not the stem "cunt" plus "act"
        by_stem = set()
        for stem in self.stems:
            # "f*cking" against the stem "fuck": the stem explains the masked head.
            n = len(stem)
            tail = masked[n:]
            if n <= len(masked) and not any(c in _MASKS for c in tail) and pattern(masked[:n]).fullmatch(stem):
                by_stem.add(stem + tail)
        # Stems are the canonical spellings where several listed words fit ("sh*t": shit, shyt).
        return by_stem.pop() if len(by_stem) == 1 else None

    def allowlist(self) -> tuple[str, ...]:
        """Return ``allowed`` as given: words, and stems marked ``stem*``."""
        return tuple(sorted(self.allowed)) + tuple(f"{w}*" for w in self.allowed_stems)

    def fingerprint(self) -> str:
        """Return a stable description used in the model card."""
        import hashlib

        data = "\n".join(sorted(self.words)) + "\n--\n" + "\n".join(self.stems)
        if self.vocabulary:
            data += "\n--\n" + "\n".join(sorted(self.vocabulary))
        if self.allowed or self.allowed_stems:
            data += "\n--allowed\n" + "\n".join(self.allowlist())
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def _squeeze_options(word: str) -> list[str]:
    """Spellings of ``word`` with each flood (3+ same letters) read as 2 or 1 letters.

    The first option, two letters for every flood, is the default reading.
    """
    parts = _RUN3.split(word)
    if len(parts) == 1:
        return [word]
    # split() with one group alternates text and the flooded letter.
    choices = [((p * 2, p) if i % 2 else (p,)) for i, p in enumerate(parts)]
    return ["".join(c) for c in itertools.islice(itertools.product(*choices), 32)]


@dataclass
class Normalizer:
    """Normalise comment text for rules and model, keeping an offset map."""

    lexicon: Lexicon = field(default_factory=Lexicon)
    _bridge_prefixes: frozenset[str] = field(init=False, repr=False, default=frozenset())

    def __post_init__(self):
        lex = self.lexicon
        # A split word is only looked at when its first letters begin a listed word.
        self._bridge_prefixes = frozenset(w[:3] for w in (*lex.words, *lex.stems) if len(w) >= 3)

    def normalize(self, text: str) -> Normalized:
        """Return the normalised form of ``text`` with its offset map."""
        n = len(text)
        b = _Builder(text, list(range(n)), list(range(1, n + 1)))
        if not text.isascii():
            cache = _FOLD_CACHE
            b.rewrite(_NON_ASCII, lambda m: _fold_run(m.group(), cache))
        if _ASCII_CONTROL.search(b.text):
            b.rewrite(_ASCII_CONTROL, lambda m: "")
        b.text = b.text.translate(_ASCII_TABLE)
        t = b.text
        if "  " in t or t[:1] == " " or t[-1:] == " ":
            b.rewrite(_SPACES, lambda m: "" if (m.start() == 0 or m.end() == len(m.string)) else " ")
        entities: list[Entity] = []
        for kind, pattern, hint in _ENTITY_PATTERNS:
            if hint.search(b.text) if hint else _email_hint(b.text):
                b.rewrite(pattern, lambda m, kind=kind: self._entity(kind, m, b, entities))
        if _SPLIT.search(b.text):
            b.rewrite(_SPLIT, self._join)
        spots = [m.start() for m in _LEET_SPOT.finditer(b.text)]
        spots += [m.start() for m in _FLOOD.finditer(b.text)]
        if spots:
            b.apply(self._chunk_edits(b.text, sorted(spots)))
        if " " in b.text and (self._bridge_prefixes or self.lexicon.vocabulary):
            b.apply(self._bridges(b.text))
        if _PUNCT_RUN.search(b.text):
            b.rewrite(_PUNCT_RUN, lambda m: m.group(1) * 3)
        return Normalized(text, b.text, b.starts, b.ends, tuple(entities))

    def normalize_many(self, texts: Iterable[str]) -> list[Normalized]:
        """Normalise several texts."""
        return [self.normalize(t) for t in texts]

    # -- stages ----------------------------------------------------------------

    def _entity(self, kind: str, m: re.Match, b: _Builder, found: list[Entity]) -> str | None:
        raw = m.group()
        if kind == "handle" and self._decode(raw) in self.lexicon:
            return None  # "@ss" is leetspeak, not a handle
        a, z = m.span()
        found.append(Entity(kind, _entity_value(kind, raw), b.starts[a], b.ends[z - 1]))
        return PLACEHOLDERS[kind]

    def _join(self, m: re.Match) -> tuple[str, list[int]] | None:
        group = m.group()
        sep_len = len(m.group(2))
        units = group[:: sep_len + 1]
        if sum(c.isalpha() for c in units) < 2:
            return None
        joined = self._canonical(units) if (_LEET_SPOT.search(units) or _FLOOD.search(units)) else units
        if len(joined) != len(units):
            return joined
        sources = list(range(0, len(group), sep_len + 1))
        words = self._segment(joined)
        if len(words) == 1:
            return joined, sources
        # "a m o r o n" is "a moron": each space takes the place of the separator before the next word.
        out, spots, i = [], [], 0
        for n, word in enumerate(words):
            if n:
                out.append(" ")
                spots.append(sources[i] - 1)
            out.append(word)
            spots.extend(sources[i : i + len(word)])
            i += len(word)
        return "".join(out), spots

    def _segment(self, letters: str) -> list[str]:
        """Split a run of spaced-out letters into words ("asoreloser": a sore loser), or keep it whole.

        A run that is a word by itself, or that no sequence of words covers,
        stays one word. Otherwise the reading with the fewest words wins,
        listed words counting as better and one-letter words as worse than
        others ("amoron" is "a moron", not "amor on").
        """
        lex = self.lexicon
        if len(letters) < 3 or len(letters) > _MAX_SEGMENTED or lex.listed_form(letters) or lex.is_word(letters):
            return [letters]
        n = len(letters)
        best: list[tuple[float, int] | None] = [None] * (n + 1)
        best[0] = (0.0, 0)
        for end in range(1, n + 1):
            for start in range(max(0, end - _MAX_WORD), end):
                if best[start] is None:
                    continue
                piece = letters[start:end]
                if lex.listed_form(piece):
                    cost = 0.5
                elif lex.is_word(piece) and (len(piece) > 1 or piece in ("a", "i")):
                    cost = 1.5 if len(piece) == 1 else 1.0
                else:
                    continue
                total = best[start][0] + cost
                if best[end] is None or total < best[end][0]:
                    best[end] = (total, start)
        if best[n] is None:
            return [letters]
        words, end = [], n
        while end:
            start = best[end][1]
            words.append(letters[start:end])
            end = start
        return words[::-1]

    def _bridges(self, text: str) -> Iterator[tuple[int, int, tuple[str, list[int]]]]:
        """Yield edits joining a word split by single spaces into 2 or 3 pieces ("mo ron", "gar bage").

        Pieces are joined into a listed word (or a listed stem with an
        inflection: "fu ckers", never "who resigned") when the pieces
        before the last are not already a listed word, not every piece is a
        word by itself, a joined word shorter than 4 letters has no word among
        its pieces, and a one-letter word ("a", "i") only starts a word of 5
        letters or more: "pen is", "dumb ass", "fuck off" and "a ss" stay apart.
        Pieces are joined into an ordinary word of the vocabulary (4 letters or
        more) only when none of them is a word: "si lly", but not "to day".
        """
        lex, prefixes = self.lexicon, self._bridge_prefixes
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        # Most tokens are words, and a window of words is never joined: look only around the others.
        is_word = [lex.is_word(text[a:b]) for a, b in tokens]
        n = len(tokens)
        starts = sorted({i for j, w in enumerate(is_word) if not w for i in (j - 2, j - 1, j) if 0 <= i < n - 1})
        if not starts:
            return
        # next_to[j]: token j + 1 follows token j after exactly one space or line break
        next_to = [tokens[j + 1][0] == tokens[j][1] + 1 for j in range(n - 1)]
        done = 0  # tokens before this one are part of a joined word
        for i in starts:
            if i < done:
                continue
            for k in (3, 2):
                if i + k > n or all(is_word[i : i + k]) or not all(next_to[i : i + k - 1]):
                    continue
                window = tokens[i : i + k]
                pieces = [text[a:b] for a, b in window]
                words = is_word[i : i + k]
                joined = "".join(pieces)
                if not (joined[:3] in prefixes and lex.listed_form(joined)):
                    # An ordinary word ("gar bage", "igno rance") only from pieces that are none of them words.
                    if any(words) or len(joined) < _MIN_BRIDGED or joined not in lex.vocabulary:
                        continue
                elif any(words) and len(joined) < 4:
                    continue
                if "".join(pieces[:-1]) in lex:
                    continue  # "fuck off", "assholes then": the listed word is already whole
                if any(len(p) == 1 and w and (j > 0 or len(joined) < 5) for j, (p, w) in enumerate(zip(pieces, words))):
                    continue
                start, end = window[0][0], window[-1][1]
                sources = [a - start + x for a, b in window for x in range(b - a)]
                yield start, end, (joined, sources)
                done = i + k
                break

    def _chunk_edits(self, text: str, spots: list[int]) -> Iterator[tuple[int, int, str]]:
        """Yield edits for the word chunks around ``spots`` (leet, mask or flood characters)."""
        done = 0
        for a in spots:
            if a < done:
                continue
            while a > 0 and text[a - 1] in _CHUNK_CHARS:
                a -= 1
            m = _CHUNK.match(text, a)
            done = m.end()
            new = self._chunk(m.group())
            if new is not None:
                yield a, done, new

    def _chunk(self, chunk: str) -> str | None:
        """Return the canonical form of one word chunk, or None to keep it."""
        # Edge punctuation is punctuation: "hello!", "*sigh*", "#tag".
        lead = len(chunk) - len(chunk.lstrip("!|*#"))
        core = chunk[lead:].rstrip("!|*#")
        if not core or not _HAS_LETTER.search(core):
            return None
        if _UNIT.fullmatch(core):
            # "2nd", "10am" and "$5m" are numbers, unless a listed word reads there ("574b" is "stab").
            new = self._listed_reading(core)
            return None if new is None else chunk[:lead] + new + chunk[lead + len(core) :]
        new = self._canonical(core)
        if new == core:
            return None
        return chunk[:lead] + new + chunk[lead + len(core) :]

    def _listed_reading(self, word: str) -> str | None:
        """Return the one listed word (3 letters or more) that ``word``'s leetspeak reads as, or None."""
        options = [_LEET.get(c) or _LEET_AMBIGUOUS.get(c) or c for c in word]
        found = {r for r in ("".join(p) for p in itertools.islice(itertools.product(*options), 16)) if r in self.lexicon.words}
        return found.pop() if len(found) == 1 and len(word) >= 3 else None

    def _decode(self, word: str) -> str:
        """Decode leetspeak with the default reading of ambiguous characters."""
        return "".join(_LEET.get(c) or _LEET_AMBIGUOUS.get(c, c)[0] for c in word)

    def _canonical(self, word: str) -> str:
        """Return the canonical spelling of one obfuscated word.

        A reading the lexicon knows wins. Otherwise leetspeak is decoded only
        when every leet character sits between letters ("sh1t", "g00d"), so
        "covid19" or "mp3" stay as they are; floods become two letters.
        """
        lex = self.lexicon
        if word in lex.words:
            return word  # listed as written ("sub4sub")
        options = [_LEET.get(c) or _LEET_AMBIGUOUS.get(c) or c for c in word]
        readings = ["".join(p) for p in itertools.islice(itertools.product(*options), 16)]
        masked = any(c in _MASKS for c in word)
        for reading in readings:
            options = _squeeze_options(reading)
            if masked:
                for spelled in options:
                    filled = lex.fill(spelled)
                    if filled:
                        return filled
                continue
            # A listed word as written beats a stem's reading; of a stem's
            # readings the shortest ("fuuuucking": "fucking", not "fuucking").
            exact = [o for o in options if o in lex.words]
            if exact:
                return exact[0]
            stemmed = [o for o in options if o in lex]
            if stemmed:
                return min(stemmed, key=len)
        if lex.vocabulary:
            for reading in readings:
                for spelled in _squeeze_options(reading):
                    if masked:
                        filled = lex.fill_ordinary(spelled)
                        if filled:
                            return filled
                    elif lex.ordinary(spelled):
                        return spelled
        if not masked and _INNER_LEET.fullmatch(word):
            return _squeeze_options(readings[0])[0]
        return _squeeze_options(word)[0]


_FOLD_CACHE: dict[str, str] = {}


def _fold_run(run: str, cache: dict[str, str]) -> tuple[str, list[int]] | str:
    out: list[str] = []
    sources: list[int] = []
    for i, ch in enumerate(run):
        folded = cache.get(ch)
        if folded is None:
            folded = cache[ch] = fold_char(ch)
        out.append(folded)
        sources.extend([i] * len(folded))
    return "".join(out), sources
