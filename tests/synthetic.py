"""Small labelled comments written for the tests (no dataset text), in the JSON Lines format."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

SUBJECTS = [
    "the council",
    "this article",
    "the new stadium",
    "the mayor's plan",
    "the bus service",
    "our school",
    "the budget",
    "the bridge",
]
OPINIONS = [
    "makes a fair point",
    "needs more funding",
    "was delayed again",
    "looks promising",
    "is too expensive",
    "deserves a second look",
]
ENDINGS = ["", " in my view.", " honestly.", " this year.", " for everyone.", " as far as I can tell."]

ABUSE = [
    "what a load of crap {s} is",
    "{s} is utter garbage and crap",
    "bloody hell, {s} is crap",
    "crap crap {s}",
    "{s} is total crap",
]
ATTACK = [
    "you are a clown and {s} proves it",
    "shut your mouth, clown",
    "only a clown like you thinks {s} works",
    "you clown, read about {s}",
    "what a clown you are",
]
PROMOTION = [
    "visit cheapdeals.com for {s} offers",
    "earn cash daily, see cheapdeals.com",
    "subscribe to my channel about {s}",
    "cheapdeals.com has {s} discounts",
    "win prizes at cheapdeals.com now",
]


def clean_comments() -> list[str]:
    """Return ordinary comments."""
    return [f"{s.capitalize()} {o}{e}" for s, o, e in itertools.product(SUBJECTS, OPINIONS, ENDINGS)]


def rows() -> list[dict]:
    """Return labelled rows: clean comments negative for everything, each category's templates positive."""
    out = [{"text": t, "abuse": 0, "attack": 0, "promotion": 0} for t in clean_comments()]
    for s in SUBJECTS + [o for o in OPINIONS]:
        for template in ABUSE:
            out.append({"text": template.format(s=s), "abuse": 1, "attack": 0, "promotion": 0})
        for template in ATTACK:
            out.append({"text": template.format(s=s), "abuse": 0, "attack": 1, "promotion": 0})
        for template in PROMOTION:
            out.append({"text": template.format(s=s), "promotion": 1})  # abuse/attack unknown
    return out


def write_jsonl(path: Path, items: list[dict] | None = None) -> Path:
    """Write rows as JSON Lines and return the path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in (rows() if items is None else items)), encoding="utf-8")
    return path
