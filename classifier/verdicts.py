"""Verdict rules: a pure function from rule hits, scores and thresholds to a verdict (``verdict_for``).

    reject  if a ``block`` rule hits, or a category's score reaches its reject threshold;
    review  if a ``review`` rule hits, or a score reaches its review threshold;
    approve otherwise.

Reasons name what decided, as typed values (``classifier.types.Reason``) written
``<category>:<rule|site|model>:<block|review|reject>`` (``rule``: the packaged lists;
``site``: the site's own lists), strongest first, so a client can show them or act on them.

Capped categories: the model alone never rejects a comment for a category the caller
names in ``capped``; a score at or above the reject threshold holds it for review
instead, with the reason ``<category>:model:review`` (a rule's block still rejects).
The assessor caps ``promotion`` when the text has nothing promotional in it
(``promotional``: no link, domain, address, phone number, handle, contact invitation
or offer), and ``abuse`` or ``attack`` when only repetition made the score
(``collapse_repeats``): "hello hello hello ..." is held at most, never a strike.

(Not to be confused with a site's policy, ``service.config.SitePolicy``: its
strike weights, bans and own thresholds.)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .normalize import Normalized
from .types import CATEGORIES, Reason, RuleHit


@dataclass(frozen=True)
class Thresholds:
    """Score thresholds of one category: review at ``review``, reject at ``reject``."""

    review: float
    reject: float

    def __post_init__(self):
        if not (0.0 <= self.review <= self.reject <= 1.0):
            raise ValueError(f"thresholds must satisfy 0 <= review <= reject <= 1, got {self.review}, {self.reject}")

    def to_dict(self) -> dict:
        """Return the JSON form."""
        return {"review": self.review, "reject": self.reject}


def parse_thresholds(raw: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    """Return thresholds for every category from ``{"abuse": {"review": .., "reject": ..}, ...}``."""
    missing = [c for c in CATEGORIES if c not in raw]
    if missing:
        raise ValueError(f"thresholds missing for {missing}")
    return {c: Thresholds(float(raw[c]["review"]), float(raw[c]["reject"])) for c in CATEGORIES}


def verdict_for(
    hits: Iterable[RuleHit],
    scores: Mapping[str, float],
    thresholds: Mapping[str, Thresholds],
    capped: Collection[str] = (),
) -> tuple[str, list[Reason]]:
    """Return (verdict, reasons) for one comment; the model's score holds a ``capped`` category at review at most."""
    rejects: list[Reason] = []
    reviews: list[Reason] = []
    levels: dict[tuple[str, str], str] = {}  # (category, "rule" or "site") -> the strongest severity
    for hit in hits:
        key = (hit.category, "site" if hit.site else "rule")
        if hit.severity == "block" or levels.get(key) != "block":
            levels[key] = hit.severity
    for category in CATEGORIES:
        for origin in ("rule", "site"):  # the packaged lists' hits, then the site's own ("abuse:site:block")
            level = levels.get((category, origin))
            if level == "block":
                rejects.append(Reason(category, origin, "block"))
            elif level == "review":
                reviews.append(Reason(category, origin, "review"))
        score = scores[category]
        cuts = thresholds[category]
        if score >= cuts.reject and category not in capped:
            rejects.append(Reason(category, "model", "reject"))
        elif score >= cuts.review:
            reviews.append(Reason(category, "model", "review"))
    if rejects:
        return "reject", rejects + reviews
    if reviews:
        return "review", reviews
    return "approve", []


def flagged_categories(reasons: Iterable[str]) -> list[str]:
    """Return the categories named in ``reasons`` (``Reason`` values or their written form), in category order."""
    named = {r.category for r in Reason.parse_all(reasons)}
    return [c for c in CATEGORIES if c in named]


# --- what makes a text promotional ----------------------------------------------------------------------------------

#: Contact invitations and offers, matched as whole words on the normalised text (contact details themselves are
#: entities: ``promotional``). Broad on purpose: a word here only keeps the promotion model's rejection as it is.
_OFFER_WORDS = (
    # contact invitations
    r"(?:dm|pm|inbox|message|text|call|email|e-mail|mail|contact|write to|reach|add|whatsapp|telegram) (?:me|us)",
    (
        r"hmu|hit me up|get in touch|contact (?:details|info)|my (?:number|email|whatsapp|telegram|profile|bio|page|"
        r"site|website|blog|channel|shop|store|link)"
    ),
    r"(?:link|details|info) in (?:my|the) (?:bio|profile|description)",
    # calls to action
    (
        r"click\w*|subscrib\w*|sub4sub|follow (?:me|us|my|our|back)|check (?:out|it out)|checkout|visit\w*|sign up|"
        r"register|join (?:now|today|us|here)|download\w*|order\w*|shop now|buy\w*|sell\w*|purchas\w*"
    ),
    # offers and money
    (
        r"free|freebies?|giveaways?|win|winner|prizes?|bonus\w*|offers?|deals?|discount\w*|coupons?|promo\w*|sale|"
        r"cheap\w*|price\w*|pric(?:es|ing)|earn\w*|income|profits?|cash|money|paid|payment|invest\w*|loans?|"
        r"crypto\w*|bitcoin|btc|forex|casino|betting|viagra|cialis|pharmacy|pills|seo|backlinks?|followers|"
        r"dollars?|bucks|usd|pounds|gbp|euros?|eur"
    ),
)
_OFFER = re.compile(r"(?<![a-z0-9])(?:" + "|".join(_OFFER_WORDS) + r")(?![a-z0-9])")
_MONEY = re.compile(r"[$£€¥₹]\s?\d|\d\s?(?:[$£€¥₹%]|k\b)")


def promotional(norm: Normalized, hits: Iterable[RuleHit] = ()) -> bool:
    """Tell whether a comment has anything promotional in it: a link or domain, an e-mail address, a phone number or
    a handle (the normaliser's entities), a contact invitation or an offer (money, prices, discounts, "buy", "free",
    "click", "subscribe", "follow me"), or a hit of a promotion rule other than flooding.

    Without any of these, a promotion score is the model's reading of the register alone (repetition, "nice
    video"), and the assessor holds such a comment for review at most (``verdict_for``'s ``capped``).
    """
    if norm.entities:
        return True
    if any(h.category == "promotion" and not h.rule.startswith("flood:") for h in hits):
        return True
    return bool(_OFFER.search(norm.text) or _MONEY.search(norm.original))


_WORD = re.compile(r"[a-z0-9]+")


def collapse_repeats(text: str, min_repeats: int = 3, max_unit: int = 8) -> str | None:
    """Return the normalised ``text`` with every run of a word or phrase (up to ``max_unit`` words) repeated ``min_repeats`` times
    or more in a row cut to its first occurrence, or None when there is no such run.

    "hello hello hello hello" is "hello", "vote yes! vote yes! vote yes!" is "vote yes!"; the text between words
    (spaces, punctuation) is kept as it was after each word that stays.
    """
    words = list(_WORD.finditer(text))
    tokens = [m.group() for m in words]
    n = len(tokens)
    if n < min_repeats:
        return None
    pieces = [text[: words[0].start()]]
    changed = False
    i = 0
    while i < n:
        best_k, best_r = 0, 0
        for k in range(1, min(max_unit, (n - i) // min_repeats) + 1):
            unit = tokens[i : i + k]
            r = 1
            while tokens[i + r * k : i + (r + 1) * k] == unit:
                r += 1
            if r >= min_repeats and r * k > best_k * best_r:
                best_k, best_r = k, r
        step = best_k * best_r or 1
        end = words[i + step].start() if i + step < n else len(text)
        if best_k:
            # the first occurrence, then the gap that follows the whole run
            changed = True
            pieces.append(text[words[i].start() : words[i + best_k - 1].end()] + text[words[i + step - 1].end() : end])
        else:
            pieces.append(text[words[i].start() : end])
        i += step
    return "".join(pieces) if changed else None
