"""Rule lists: data files of patterns with a severity, matched on normalised text.

Each category has one list, ``classifier/rules/<category>.txt``; words that
must never be matched are in ``allowlist.txt``. A list line is either a rule,
``<block|review> <pattern>``, or a directive:

``@set NAME: word word* ...``
    a named word set, used in patterns as ``<NAME>`` (lines accumulate);
``@domains NAME: host host ...``
    a named set of hosts, used as ``{url:NAME}``;
``@flood SEVERITY repeats=N run=M``
    flag a word repeated N times in a row, or one character M times.

A pattern is a sequence of elements separated by spaces, matched as whole
words with any punctuation or spacing between them:

- ``word``, ``word*`` (any word starting with it), ``*word`` (ending with it),
  ``*word*`` (containing it); single-element patterns only for the last two;
- ``(one|two words|three)`` alternatives; ``<NAME>`` a word set;
- ``{url}`` a link to a host the site has not allowed and that is not in the
  list's ``reference`` domain set (encyclopaedias, governments, universities,
  news outlets), ``{url:NAME}`` a link to a host in a domain set, ``{email}``
  and ``{email:NAME}`` an address at such a host too, ``{phone}``, ``{handle}``,
  ``{number}``;
- a trailing ``?`` makes an element (not the first) optional.

Rules see the text after normalisation (lower case, obfuscation undone,
contact details replaced by placeholders), so lists are written in plain lower
case. Matching starts only at words that can begin a rule (one regex built as
a trie), which keeps a clean comment to a few microseconds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import PLACEHOLDERS, Lexicon, Normalized
from .types import CATEGORIES, SEVERITIES, RuleHit

RULES_DIR = Path(__file__).with_name("rules")

_W = "a-z0-9"
_GAP = rf"[^{_W}]+"
_START = rf"(?<![{_W}])"
_END = rf"(?![{_W}])"
_TOKEN = re.compile(rf"[{_W}]+")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NUMBER = r"\d+(?:[.,]\d+)*[km]?"
_ENTITY_KINDS = {"url", "email", "phone", "handle"}
_SIMPLE = re.compile(r"[a-z0-9]+\*?")


#: Above this many first words and stems, a rule set finds where rules can start by looking up each word of the
#: text rather than with one compiled regex (see ``RuleSet``).
LOOKUP_ABOVE = 2000


class RuleError(ValueError):
    """A rule list line that cannot be understood."""


def trie_regex(words: Iterable[str]) -> str:
    """Return a regex alternation of ``words`` built as a trie (fast to scan)."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if ends else body

    return build(root)


def _phrase_regex(phrase: str) -> str:
    """Compile words separated by spaces (an alternative or a set entry)."""
    return _GAP.join(_word_regex(w) for w in phrase.split())


def _word_regex(word: str) -> str:
    """Compile one pattern word (with optional leading/trailing ``*``) to a regex."""
    core = word.strip("*")
    if not core or not re.fullmatch(r"[a-z0-9'-]+", core):
        raise RuleError(f"bad word {word!r}: use lower-case letters, digits, ' and -")
    rx = re.escape(core).replace(r"\-", "-?")
    if word.startswith("*"):
        rx = f"[{_W}]*" + rx
    if word.endswith("*"):
        rx = rx + f"[{_W}]*"
    return rx


@dataclass
class _Element:
    regex: str
    heads: list[str] | None  # words that can start it; None: cannot be indexed
    optional: bool = False
    entities: list[tuple[str, str, str | None]] = field(default_factory=list)  # (group, kind, domain set)


@dataclass
class Rule:
    """One rule of a list; its regex is compiled the first time a comment's word can start it (a list of
    thousands of words, most of which no comment ever mentions, is ready in a fraction of a second)."""

    category: str
    severity: str
    text: str
    source: str  # the regex
    heads: list[str] | None
    entities: list[tuple[str, str, str | None]] = field(default_factory=list)  # (group, kind, domain set)
    _compiled: re.Pattern | None = field(default=None, repr=False, compare=False)

    @property
    def regex(self) -> re.Pattern:
        compiled = self._compiled
        if compiled is None:  # two threads may both compile it once: the same pattern either way
            compiled = self._compiled = re.compile(self.source)
        return compiled


def _split_pattern(pattern: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in pattern:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == " " and depth == 0:
            if cur:
                parts.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise RuleError(f"unbalanced parentheses in {pattern!r}")
    if cur:
        parts.append(cur)
    return parts


def _heads(words: list[str]) -> list[str] | None:
    """Return the words that can start one of ``words``, or None if any starts with ``*``."""
    if any(w.startswith("*") for w in words):  # includes {number}
        return None
    return [w.split(" ")[0] for w in words]


class RuleList:
    """The rules of one category, parsed from its data file."""

    def __init__(self, category: str, text: str, source: str = "<string>"):
        self.category = category
        self.sets: dict[str, list[str]] = {}
        self.domains: dict[str, set[str]] = {}
        self.rules: list[Rule] = []
        self.flood: tuple[str, int, int] | None = None
        self._entity_count = 0
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                self._parse_line(line)
            except RuleError as exc:
                raise RuleError(f"{source}:{number}: {exc}") from None

    def _parse_line(self, line: str) -> None:
        if line.startswith(("@set ", "@domains ")):
            head, _, words = line.partition(":")
            kind, name = head.split(None, 1)
            name = name.strip()
            if not re.fullmatch(r"[a-z_]+", name):
                raise RuleError(f"bad set name {name!r}")
            target = self.sets.setdefault(name, []) if kind == "@set" else None
            if target is not None:
                target.extend(words.split())
            else:
                self.domains.setdefault(name, set()).update(w.lower() for w in words.split())
            return
        if line.startswith("@flood "):
            parts = line.split()
            options = dict(p.split("=", 1) for p in parts[2:])
            if parts[1] not in SEVERITIES or set(options) != {"repeats", "run"}:
                raise RuleError("expected: @flood <block|review> repeats=N run=M")
            self.flood = (parts[1], int(options["repeats"]), int(options["run"]))
            return
        severity, _, pattern = line.partition(" ")
        if severity not in SEVERITIES:
            raise RuleError(f"severity must be one of {SEVERITIES}, not {severity!r}")
        self.rules.append(self._compile(severity, " ".join(pattern.split())))

    def _element(self, token: str) -> _Element:
        optional = token.endswith("?")
        token = token[:-1] if optional else token
        if token.startswith("(") and token.endswith(")"):
            alts = token[1:-1].split("|")
        else:
            alts = [token]
        regexes, heads, entities = [], [], []
        for alt in alts:
            if alt.startswith("<") and alt.endswith(">"):
                rx, words = self._set(alt)
                regexes += rx
                heads += words
            elif alt.startswith("{") and alt.endswith("}"):
                rx, head, entity = self._entity(alt)
                regexes.append(rx)
                heads.append(head)
                if entity:
                    entities.append(entity)
            else:
                regexes.append(_phrase_regex(alt))
                heads.append(alt)
        return _Element("(?:" + "|".join(regexes) + ")", _heads(heads), optional, entities)

    def _entity(self, token: str) -> tuple[str, str, tuple[str, str, str | None] | None]:
        """Return (regex, head, (group, kind, domain set)) for ``{kind[:set]}``."""
        kind, _, domain_set = token[1:-1].partition(":")
        if kind == "number":
            return _NUMBER, "*", None
        if kind not in _ENTITY_KINDS or (domain_set and (kind not in ("url", "email") or domain_set not in self.domains)):
            raise RuleError(f"unknown entity {token}")
        group = f"e{self._entity_count}"
        self._entity_count += 1
        return f"(?P<{group}>{PLACEHOLDERS[kind]})", PLACEHOLDERS[kind], (group, kind, domain_set or None)

    def _set(self, ref: str) -> tuple[list[str], list[str]]:
        """Return (regexes, words) of a set reference ``<NAME>``."""
        if not (ref.startswith("<") and ref.endswith(">")) or not self.sets.get(ref[1:-1]):
            raise RuleError(f"unknown or empty set {ref}")
        words = self.sets[ref[1:-1]]
        exact = [w for w in words if "*" not in w]
        for w in exact:
            _word_regex(w)  # validates the spelling
        return ([trie_regex(exact)] if exact else []) + [_phrase_regex(w) for w in words if "*" in w], words

    def _compile(self, severity: str, pattern: str) -> Rule:
        if _SIMPLE.fullmatch(pattern):  # one plain word or stem (most of a long list): the general path's regex, sooner
            rx = pattern[:-1] + f"[{_W}]*" if pattern.endswith("*") else pattern
            return Rule(self.category, severity, pattern, f"{_START}(?:{rx}){_END}", [pattern], [])
        elements = [self._element(t) for t in _split_pattern(pattern)]
        if not elements:
            raise RuleError("empty pattern")
        if elements[0].optional:
            raise RuleError("the first element cannot be optional")
        if elements[0].heads is None and len(elements) > 1:
            raise RuleError("a pattern of several elements must start with words")
        parts = [_START + elements[0].regex + _END]
        for el in elements[1:]:
            piece = _GAP + el.regex + _END
            parts.append(f"(?:{piece})?" if el.optional else piece)
        entities = [e for el in elements for e in el.entities]
        heads = elements[0].heads
        if heads is not None:
            heads = [h.rstrip("*") + ("*" if h.endswith("*") else "") for h in heads]
        source = "".join(parts)
        if elements[0].heads is None:
            re.compile(source)  # a scanned rule is tried on most comments: compile it now
        return Rule(self.category, severity, pattern, source, heads, entities)

    def words(self) -> tuple[set[str], set[str]]:
        """Return (whole words, stems) this list mentions, for the normaliser's lexicon."""
        words: set[str] = set()
        stems: set[str] = set()
        texts = [r.text for r in self.rules] + [w for ws in self.sets.values() for w in ws]
        for text in texts:
            text = re.sub(r"<[^>]*>|\{[^}]*\}", " ", text)
            for w in re.findall(r"[a-z0-9'*-]+", text):
                core = w.strip("*").replace("-", "")
                if not re.fullmatch(r"[a-z0-9]{2,}", core) or core.isdigit():
                    continue
                if w.endswith("*"):
                    stems.add(core)  # "fuck*" and "*fuck*" both recover "fucking"
                if not w.endswith("*") or w.startswith("*"):
                    words.add(core)
        return words, stems


class Allowlist:
    """Words that no rule may match (place names, ordinary words)."""

    def __init__(self, text: str = ""):
        words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
        self.words = frozenset(w for w in words if not w.endswith("*"))
        self.stems = tuple(sorted(w[:-1] for w in words if w.endswith("*")))

    def __contains__(self, word: str) -> bool:
        return word in self.words or word.startswith(self.stems)


class RuleSet:
    """All rule lists plus the allowlist, matched together."""

    def __init__(self, lists: dict[str, RuleList], allowlist: Allowlist, fingerprint: str = ""):
        self.texts: dict[str, str] = {}
        self.lists = lists
        self.allowlist = allowlist
        self.fingerprint = fingerprint
        self._by_head: dict[str, list[Rule]] = {}
        self._by_stem: dict[str, list[Rule]] = {}
        self._scan: list[Rule] = []
        for rule_list in lists.values():
            for rule in rule_list.rules:
                if rule.heads is None:
                    self._scan.append(rule)
                    continue
                for head in rule.heads:
                    if head.endswith("*"):
                        self._by_stem.setdefault(head[:-1], []).append(rule)
                    else:
                        self._by_head.setdefault(head, []).append(rule)
        # Rules that match inside words ("*fuck*") are found by their cores.
        cores = set()
        for rule in self._scan:
            if len(_split_pattern(rule.text)) != 1:
                raise RuleError(f"{rule.text!r}: only one-word patterns may start with '*' or a number")
            cores |= {w.strip("*") for w in re.findall(r"[a-z0-9'*-]+", rule.text)}
        self._scan_trigger = re.compile(trie_regex(sorted(cores))) if cores else None
        self._stem_lengths = sorted({len(s) for s in self._by_stem})
        # A trigger is a word that is a rule's first word, or starts with a stem. Up to LOOKUP_ABOVE of them, one
        # regex (a trie) finds them; beyond, compiling that regex would take seconds (a site's list of thousands of
        # words must be ready at once), so each word of the text is looked up instead: the same positions.
        triggers = []
        self._lookup = len(self._by_head) + len(self._by_stem) > LOOKUP_ABOVE
        if self._by_head and not self._lookup:
            triggers.append("(?:" + trie_regex(sorted(self._by_head)) + ")" + _END)
        if self._by_stem and not self._lookup:
            triggers.append("(?:" + trie_regex(sorted(self._by_stem)) + ")")
        self._trigger = re.compile(_START + "(?:" + "|".join(triggers) + ")") if triggers else None
        floods = [(rl.category, rl.flood) for rl in lists.values() if rl.flood]
        self._flood = floods[0] if floods else None
        if self._flood:
            _, (_, repeats, run) = self._flood
            self._flood_words = re.compile(rf"{_START}([{_W}]+)(?:{_GAP}\1{_END}){{{repeats - 1},}}")
            self._flood_chars = re.compile(rf"(\S)\1{{{run - 1},}}")

    @classmethod
    def load(cls, directory: Path | str | None = None) -> RuleSet:
        """Load ``<category>.txt`` for every category and ``allowlist.txt``."""
        directory = Path(directory) if directory else RULES_DIR
        texts = {}
        for name in (*CATEGORIES, "allowlist"):
            path = directory / f"{name}.txt"
            texts[name] = path.read_text(encoding="utf-8") if path.exists() else ""
        return cls.from_texts(texts, str(directory))

    @classmethod
    def from_texts(cls, texts: dict[str, str], origin: str = "<rules>") -> RuleSet:
        """Build a rule set from list texts keyed by category and ``"allowlist"``."""
        digest = hashlib.sha256()
        for name in (*CATEGORIES, "allowlist"):
            digest.update(texts.get(name, "").encode() + b"\x00")
        lists = {c: RuleList(c, texts.get(c, ""), f"{origin}/{c}.txt") for c in CATEGORIES}
        rule_set = cls(lists, Allowlist(texts.get("allowlist", "")), digest.hexdigest()[:16])
        rule_set.texts = {name: texts.get(name, "") for name in (*CATEGORIES, "allowlist")}
        return rule_set

    def lexicon(self) -> Lexicon:
        """Return the words the normaliser should recover from obfuscation."""
        words: set[str] = set()
        stems: set[str] = set()
        for rule_list in self.lists.values():
            w, s = rule_list.words()
            words |= w
            stems |= s
        allowed = [*self.allowlist.words, *(f"{s}*" for s in self.allowlist.stems)]
        return Lexicon(words - set(self.allowlist.words), stems, allowed=allowed)

    def _candidates(self, text: str, pos: int) -> list[Rule]:
        token = _TOKEN.match(text, pos).group()
        found = list(self._by_head.get(token, ()))
        for n in self._stem_lengths:
            if n > len(token):
                break
            found.extend(self._by_stem.get(token[:n], ()))
        return found

    def match(self, norm: Normalized, allowed_domains: Iterable[str] = (), allow: Allowlist | None = None) -> list[RuleHit]:
        """Return every rule hit in ``norm``, with spans in the original text (none on a word of ``allow`` either:
        a site's allowed words)."""
        text = norm.text
        allowed = frozenset(d.lower() for d in allowed_domains)
        hits: dict[tuple, RuleHit] = {}
        matches: list[tuple[Rule, re.Match]] = []
        if self._trigger is not None or self._lookup:
            starts = (m.start() for m in (_TOKEN if self._lookup else self._trigger).finditer(text))
            for start in starts:
                for rule in self._candidates(text, start):
                    m = rule.regex.match(text, start)
                    if m:
                        matches.append((rule, m))
        if self._scan_trigger is not None:
            seen = set()
            for core in self._scan_trigger.finditer(text):
                start = core.start()
                while start > 0 and text[start - 1] in _WORD_CHARS:
                    start -= 1
                if start in seen:
                    continue
                seen.add(start)
                for rule in self._scan:
                    m = rule.regex.match(text, start)
                    if m:
                        matches.append((rule, m))
        for rule, m in matches:
            if not self._entities_ok(rule, m, norm, allowed) or self._allowlisted(text, m.start(), m.end(), allow):
                continue
            start, end = norm.span(m.start(), m.end())
            hit = RuleHit(rule.category, rule.severity, rule.text, start, end)
            hits.setdefault((hit.category, hit.severity, start, end), hit)
        if self._flood:
            for hit in self._flood_hits(norm):
                hits.setdefault((hit.category, hit.severity, hit.start, hit.end), hit)
        return sorted(hits.values(), key=lambda h: (h.start, h.end, h.category, h.severity))

    def _allowlisted(self, text: str, start: int, end: int, allow: Allowlist | None = None) -> bool:
        return any(
            tok.group() in self.allowlist or (allow is not None and tok.group() in allow)
            for tok in _TOKEN.finditer(text, start, end)
        )

    def _entities_ok(self, rule: Rule, m: re.Match, norm: Normalized, allowed: frozenset[str]) -> bool:
        """Check a match's contact details: a link or address at an allowed or reference host does not count."""
        domains = self.lists[rule.category].domains
        for group, kind, domain_set in rule.entities:
            if m.start(group) < 0:
                continue  # optional element not present
            entity = norm.entity_at(m.start(group))
            if entity is None:
                return False
            if kind not in ("url", "email"):
                continue
            host = entity.value.rpartition("@")[2] if kind == "email" else entity.value
            if domain_set is not None:
                if not _host_in(host, domains[domain_set]):
                    return False
            elif _host_in(host, allowed) or _host_in(host, domains.get("reference", ())):
                return False
        return True

    def _flood_hits(self, norm: Normalized) -> list[RuleHit]:
        category, (severity, repeats, run) = self._flood
        found = []
        for m in self._flood_words.finditer(norm.text):
            start, end = norm.span(m.start(), m.end())
            found.append(RuleHit(category, severity, f"flood:repeats={repeats}", start, end))
        # Character floods are squeezed away by normalisation: look at the original.
        for m in self._flood_chars.finditer(norm.original):
            found.append(RuleHit(category, severity, f"flood:run={run}", m.start(), m.end()))
        return found


#: The (category, severity) pairs counted by ``hit_counts``, in column order.
HIT_KINDS: tuple[tuple[str, str], ...] = tuple((c, s) for c in CATEGORIES for s in SEVERITIES)


def hit_counts(hits: Iterable[RuleHit]) -> list[int]:
    """Return how many hits of each ``HIT_KINDS`` kind there are (model features)."""
    counts = [0] * len(HIT_KINDS)
    for hit in hits:
        counts[HIT_KINDS.index((hit.category, hit.severity))] += 1
    return counts


def _host_in(host: str, hosts: Iterable[str]) -> bool:
    """Tell whether ``host`` is one of ``hosts`` or a subdomain of one."""
    return any(host == h or host.endswith("." + h) for h in hosts)
