"""Place and family names that contain a listed word (issue 22, item 5): the Scunthorpe problem on names.

``classifier/rules/places.txt`` (built by ``training/places_names.py`` from
GeoNames and the U.S. Census surname list) lets the rules leave real names
alone, without opening a hole: the listed word itself, disguised or not, and a
listed word glued to an allowed name are still caught.
"""

from __future__ import annotations

import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.normalize import Normalizer
from moderation.classifier.rules import RULES_DIR, Allowlist, RuleSet

SENTENCES = [
    "Flooding in Shitterton again",
    "The Penistone line reopens",
    "Scunthorpe United won 2-0 on Saturday.",
    "Cockburn Street is closed for repairs.",
    "A new edition of Dickens came out this week.",
    "Clitheroe Castle reopens after the works.",
    "The sexton rang the bell at noon.",
    "Middlesex and Essex both voted for the plan.",
    "Matt Hancock spoke to the committee.",
    "Mr Kinoshita and Ms Yamashita run the bakery.",
    "Takeshita Street in Harajuku was packed.",
    "Matsushita was Panasonic's old name.",
    "Bitchfield parish meeting is on Monday.",
    "Roads around Shittlehope were flooded.",
    "The walk past Shitlington Crags is lovely.",
    "Slutsk is a town in Belarus.",
    "Wankendorf lies north of Neumünster.",
    "Flats in Chorlton-cum-Hardy are expensive now.",
    "A tram to Chorlton cum Hardy every ten minutes.",
    "Coon Rapids city council met last night.",
    "Mong Kok was busy again this weekend.",
    "The Cock Bridge road was closed by snow.",
    "Titty Ho is part of Wellingborough.",
    "Prof. Lifshitz wrote the report.",
    "The train from Pilot Knob was late.",
    "Phuket airport reopens.",
    "Nipissing University announced the cuts.",
]

# Still caught, whatever the place names allow.
STILL_CAUGHT = [
    ("what a load of shit", "abuse", "block"),
    ("sh1t", "abuse", "block"),
    ("s h i t", "abuse", "block"),
    ("shittertonshit", "abuse", "block"),
    ("shitterton shit", "abuse", "block"),
    ("you cunt", "abuse", "block"),
    ("cum", "abuse", "block"),
    ("chorlton cum", "abuse", "block"),
    ("cum hardy", "abuse", "block"),
    ("nice cock", "abuse", "review"),
    ("titty", "abuse", "block"),
    ("knob", "abuse", "review"),
    ("slut", "abuse", "block"),
    ("wanker", "abuse", "block"),
    ("bitch", "abuse", "block"),
    ("scunthorpecunt", "abuse", "block"),
    ("cocktailfuck", "abuse", "block"),
    ("mong", "abuse", "review"),
]


@pytest.fixture(scope="module")
def norm(rules) -> Normalizer:
    return Normalizer(rules.lexicon())


def categories_hit(rules, norm, text):
    return [(h.category, h.severity) for h in rules.match(norm.normalize(text))]


@pytest.mark.parametrize("text", SENTENCES)
def test_names_in_ordinary_sentences_hit_no_rule(rules, norm, text):
    assert categories_hit(rules, norm, text) == [], text


@pytest.mark.parametrize("text", SENTENCES)
def test_names_are_left_alone_through_the_shipped_normaliser(assessor: Assessor, text):
    result = assessor.assess(text)
    assert not any(":rule:" in r for r in result.reasons), (text, result.reasons)
    assert not result.rule_hits, (text, result.rule_hits)


@pytest.mark.parametrize("text", ["Flooding in Shitterton again", "The Penistone line reopens"])
def test_the_issues_examples_are_not_rejected(assessor: Assessor, text):
    assert assessor.assess(text).verdict != "reject"


@pytest.mark.parametrize(("text", "category", "severity"), STILL_CAUGHT)
def test_listed_words_are_still_caught(rules, norm, text, category, severity):
    assert (category, severity) in categories_hit(rules, norm, text), text


def test_a_name_of_several_words_allows_its_listed_word_only_inside_it(rules, norm):
    for text in ("chorlton cum hardy", "Chorlton-cum-Hardy", "CHORLTON  CUM\nHARDY"):
        assert categories_hit(rules, norm, text) == [], text
    # the same words in another order, or the listed word next to the name, are caught
    assert ("abuse", "block") in categories_hit(rules, norm, "cum in chorlton, hardy")
    assert ("abuse", "block") in categories_hit(rules, norm, "chorlton cum hardy cum")


def test_the_places_file_is_loaded_and_counted(rules):
    assert "places" in rules.texts
    assert {"shitterton", "kinoshita", "hancock"} <= rules.allowlist.words
    assert ("chorlton", "cum", "hardy") in rules.allowlist.phrases
    # no entry of the file is a word of the lists themselves
    listed = rules.lexicon().words
    assert not (rules.allowlist.words & listed)


def test_rule_lists_without_places_keep_their_fingerprint():
    texts = {name: (RULES_DIR / f"{name}.txt").read_text() for name in ("abuse", "attack", "promotion", "allowlist")}
    without = RuleSet.from_texts(texts)
    assert "places" not in without.texts
    assert RuleSet.from_texts({**texts, "places": ""}).fingerprint == without.fingerprint
    assert RuleSet.from_texts({**texts, "places": "shitterton\n"}).fingerprint != without.fingerprint


def test_allowlist_names_file_format():
    allow = Allowlist("bass dickens*\n", "Shitterton  # a hamlet in Dorset\nChorlton-cum-Hardy\n\n# comment\nSaint-Louis-lès-Bitche\n")
    assert "shitterton" in allow and "bass" in allow and "dickensian" in allow
    assert "chorlton" not in allow and "cum" not in allow
    assert allow.phrases == (("chorlton", "cum", "hardy"), ("saint", "louis", "les", "bitche"))
    assert allow.phrase_spans("flats in chorlton-cum-hardy, near") == [(9, 27)]
    assert allow.stem_of("dickensian") == "dickens" and allow.stem_of("bass") is None


def test_cumming_is_held_not_removed(assessor: Assessor):
    # a family name and a town as well as a vulgar word: a review rule, so no strike for "Alan Cumming"
    result = assessor.assess("Alan Cumming hosted the show.")
    assert result.verdict != "reject" and "abuse:rule:block" not in result.reasons
