"""Every disguise family against every rule-list word, through the shipped model's normaliser.

A disguised word must normalise to exactly what the plain word normalises to
(so rules and model see the same text), its rule hits must be the plain word's,
and their spans must point at the disguised word in the original text. Where a
family does not apply (no letter with a look-alike, no inner vowel, a mask that
fits two listed words, a split whose pieces are words) the case is left out,
and the test says how many cases each family had.
"""

from __future__ import annotations

import re

import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.normalize import _squeeze_options
from moderation.training.disguise import FAMILIES, SPLITTING, halves

PREFIX, SUFFIX = "well ", " then"


@pytest.fixture(scope="module")
def shipped(assessor: Assessor):
    return assessor.normalizer, assessor.rules


def _words(normalizer) -> list[str]:
    return sorted(w for w in normalizer.lexicon.words if w.isalpha() and len(w) >= 3)


def _applies(family: str, word: str, disguised: str | None, lexicon) -> bool:
    if disguised is None:
        return False
    if family in SPLITTING:
        return not any(lexicon.is_word(piece) for piece in halves(word))
    if family == "masked vowel":
        fits = re.compile(re.escape(disguised).replace(r"\*", "[a-z]"))
        return not any(fits.fullmatch(other) for other in lexicon.words if other != word)
    if family == "repeated letters":
        return re.search(r"(.)\1\1", word) is None and not any(
            option in lexicon.words and option != word for option in _squeeze_options(disguised)
        )
    return True


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_rule_word_survives_each_disguise(shipped, family):
    normalizer, rules = shipped
    disguise = FAMILIES[family]
    failures, cases = [], 0
    for word in _words(normalizer):
        disguised = disguise(word)
        if not _applies(family, word, disguised, normalizer.lexicon):
            continue
        cases += 1
        plain = normalizer.normalize(PREFIX + word + SUFFIX)
        hidden = normalizer.normalize(PREFIX + disguised + SUFFIX)
        if hidden.text != plain.text:
            failures.append((word, disguised, hidden.text))
            continue
        plain_hits = [(h.category, h.severity, h.rule) for h in rules.match(plain)]
        hidden_hits = rules.match(hidden)
        if [(h.category, h.severity, h.rule) for h in hidden_hits] != plain_hits:
            failures.append((word, disguised, "different rule hits"))
        for hit in hidden_hits:
            # The evidence is the disguised word in the original text, all of it and nothing else.
            if (hit.start, hit.end) != (len(PREFIX), len(PREFIX) + len(disguised)):
                failures.append((word, disguised, f"span {hit.start}-{hit.end}"))
    assert cases >= 300, f"{family}: only {cases} rule words to disguise"
    assert not failures, f"{family}: {len(failures)} of {cases} not recovered, e.g. {failures[:5]}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # characters that change nothing a reader sees
        ("fu\u0000cking", "fucking"),
        ("m\u0008oron", "moron"),
        ("id\u007fiot", "idiot"),
        ("id\u0085iot", "idiot"),  # NEL, a C1 control
        ("id\u009biot", "idiot"),
        ("id\ufe0fiot", "idiot"),  # variation selector
        ("id\U000e0041iot", "idiot"),  # tag character (Cf)
        ("i\u0307diot", "idiot"),  # combining dot above
        # a listed word split by a space or a line break
        ("mo ron", "moron"),
        ("mo\nron", "moron"),
        ("mo\r\nron", "moron"),
        ("bit ch please", "bitch please"),
        ("as shole", "asshole"),
        # an ordinary word of the model's vocabulary split into pieces that are not words
        ("utter gar bage", "utter garbage"),
        ("your igno rance", "your ignorance"),
        # spaced-out letters are read as the words they spell, not glued to a word before them
        ("what a j e r k", "what a jerk"),
        ("don't be a s o r e l o s e r", "don't be a sore loser"),
        ("s h u t u p", "shut up"),
        ("i d i o t", "idiot"),
        ("f.u.c.k off", "fuck off"),
    ],
)
def test_invisible_characters_and_split_words(shipped, raw, expected):
    normalizer, _ = shipped
    assert normalizer.normalize(raw).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "the pen is mightier than the sword",
        "a dumb ass move",
        "who re-elected him",
        "the rapist was convicted",
        "an ss officer",
        "fuck off",
        "mo money",
        "ron paul",
        "tap water",
        "wild west",
        "is hit",
        "cock tail",
        "the 2nd and 3rd floors, 10am, $5m, 4th",
        "the minister who resigned",
        "the person who rewires my house",
        "who repeats post after post",
        "as signed by the council",
        "to day",
        "a lot of the time",
    ],
)
def test_ordinary_words_are_not_joined(shipped, text):
    normalizer, _ = shipped
    assert normalizer.normalize(text).text == text


def test_spans_of_a_joined_word_point_at_the_original(shipped):
    normalizer, rules = shipped
    text = "you are a mo\nron and a bi\u200btch"
    hits = rules.match(normalizer.normalize(text))
    assert {text[h.start : h.end] for h in hits} >= {"bi\u200btch"}
    norm = normalizer.normalize(text)
    at = norm.text.index("moron")
    assert norm.span(at, at + 5) == (text.index("mo\nron"), text.index("mo\nron") + 6)


def test_spans_of_spaced_letters_read_as_words_point_at_the_original(shipped):
    normalizer, rules = shipped
    text = "you are a m o r o n!"
    norm = normalizer.normalize(text)
    assert norm.text == "you are a moron!"
    assert norm.span(norm.text.index("moron"), norm.text.index("moron") + 5) == (10, 19)
    assert [text[h.start : h.end] for h in rules.match(norm)] == ["you are a m o r o n"]
