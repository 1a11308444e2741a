"""A site's own word lists: ``block``, ``review`` and ``allow`` entries, matched like the packaged lists.

An entry is a word or a phrase written with the packaged lists' conventions
(``classifier/rules.py``): lower-case words of letters, digits, ``'`` and
``-``; ``word*`` any word starting with it, ``*word`` ending with it,
``*word*`` containing it (the last two alone); words of a phrase match with any
spacing or punctuation between them. An entry with a dot and no spaces
(``spam-shop.biz``) is a domain: ``block``/``review`` flag links and
addresses at it or its subdomains, ``allow`` lets them through as the site
policy's allowed domains do. ``allow`` entries are single words (or stems, or
domains): no rule, the packaged ones or the site's, matches a word the site
allows.

``SiteWordLists`` compiles a site's entries once (a ``RuleSet`` of their own,
given entry by entry with no rule-file text in between, looked up word by
word however many there are) and gives the normaliser
that also recovers the site's words from their disguises
(``normalizer_for``). Matching goes through the same normalised text as the
packaged lists, at word boundaries; a hit is a ``RuleHit`` with ``site=True``
(evidence source ``rule:site``). Site hits never become model features: they
are a separate input to the verdict (``classifier/verdicts.py``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .normalize import Normalized, Normalizer
from .rules import Allowlist, RuleError, RuleList, RuleSet, _word_regex
from .types import CATEGORIES, RuleHit

SEVERITIES = ("block", "review", "allow")
#: The longest entry accepted, in characters.
MAX_ENTRY = 200
#: Category of a word entry with none given, and of a domain entry.
DEFAULT_CATEGORY = "abuse"
DOMAIN_CATEGORY = "promotion"

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
_WORD = re.compile(r"\*?[a-z0-9'-]+\*?")


@dataclass(frozen=True)
class SiteEntry:
    """One entry of a site's lists (``pattern`` as ``canonical`` writes it)."""

    pattern: str
    severity: str
    category: str = DEFAULT_CATEGORY

    @property
    def is_domain(self) -> bool:
        return is_domain(self.pattern)


def canonical(raw: str) -> str:
    """Return an entry as it is kept: lower case, accents dropped, one space between words."""
    folded = unicodedata.normalize("NFKD", raw.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(folded.split())


def is_domain(pattern: str) -> bool:
    """Tell whether a canonical entry names a domain (``host.tld``)."""
    return "." in pattern and " " not in pattern and "*" not in pattern


def check(raw: object, severity: str) -> tuple[str, str | None]:
    """Return (the canonical entry, the reason it cannot be used or None)."""
    if not isinstance(raw, str):
        return "", "must be text"
    if len(raw) > MAX_ENTRY:
        return "", f"is longer than {MAX_ENTRY} characters"
    pattern = canonical(raw)
    if not pattern:
        return pattern, "is empty"
    if not any(ch.isalnum() for ch in pattern):
        return pattern, "has no letter or digit"
    if "." in pattern and " " not in pattern and "*" not in pattern:
        if not _DOMAIN.fullmatch(pattern):
            return pattern, "is not a domain name (letters, digits and -, dot-separated)"
        return pattern, None
    words = pattern.split(" ")
    for word in words:
        if "*" in word.strip("*") or word.startswith("**") or word.endswith("**"):
            return pattern, "has an unbalanced wildcard: * goes only at the start or the end of a word"
        if word.strip("*") == "" or not _WORD.fullmatch(word):
            return pattern, "may only hold letters, digits, ' and - (with * at the start or end of a word)"
        try:
            _word_regex(word)
        except RuleError as exc:
            return pattern, str(exc)
    if len(words) > 1 and any(w.startswith("*") for w in words):
        return pattern, "has a word of a phrase starting with *: only a single word can"
    if severity == "allow" and len(words) > 1:
        return pattern, "is more than one word: an allow entry is one word (or word*, or a domain), which no rule then matches"
    return pattern, None


class SiteWordLists:
    """A site's entries, compiled: its rules, its allowed words and domains, the words its normaliser recovers."""

    def __init__(self, entries: Iterable[SiteEntry]):
        self.entries = tuple(entries)
        lists = {c: RuleList(c) for c in CATEGORIES}
        domains: dict[tuple[str, str], list[str]] = {}
        allow_words: list[str] = []
        allowed_domains: set[str] = set()
        for entry in self.entries:
            if entry.severity == "allow":
                if entry.is_domain:
                    allowed_domains.add(entry.pattern)
                else:
                    allow_words.append(entry.pattern)
            elif entry.is_domain:
                domains.setdefault((entry.category or DOMAIN_CATEGORY, entry.severity), []).append(entry.pattern)
            else:
                lists[entry.category or DEFAULT_CATEGORY].add(entry.severity, entry.pattern)
        for (category, severity), hosts in domains.items():  # after the words, as a list file would have them
            name = f"site_{severity}"
            lists[category].add_domains(name, hosts)
            lists[category].add(severity, f"{{url:{name}}}")
            lists[category].add(severity, f"{{email:{name}}}")
        self.rules = RuleSet(lists, Allowlist())
        self.allow = Allowlist(entries=allow_words)
        self.allowed_domains = frozenset(allowed_domains)
        self._words, self._stems = self.rules.words()
        self._normalizers: tuple[int, Normalizer] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def normalizer_for(self, base: Normalizer) -> Normalizer:
        """The normaliser of ``base`` (the model's) that also recovers this site's words and keeps its allowed ones."""
        made = self._normalizers
        if made is not None and made[0] == id(base.lexicon):
            return made[1]
        with self._lock:
            site_lexicon = base.lexicon.with_entries(self._words, self._stems, self.allow.words, self.allow.stems)
            normalizer = Normalizer(site_lexicon)
            self._normalizers = (id(base.lexicon), normalizer)
            return normalizer

    def match(self, norm: Normalized, allowed_domains: Iterable[str] = ()) -> list[RuleHit]:
        """The site's block and review hits in ``norm`` (``site=True``); its allowed words match nothing."""
        return [replace(hit, site=True) for hit in self.rules.match(norm, allowed_domains, allow=self.allow)]
