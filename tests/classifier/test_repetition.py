"""Repetition is never a strike on its own (issue 22, item 5).

A promotion score on a text with nothing promotional in it (no link, domain,
address, phone number, handle, contact invitation or offer) holds the comment
for review at most, and so does an abuse or attack score that only the
repetition made. Spam with a link or an offer is rejected as before.
"""

from __future__ import annotations

import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.normalize import Normalizer
from moderation.classifier.rules import RuleSet
from moderation.classifier.types import RuleHit
from moderation.classifier.verdicts import Thresholds, collapse_repeats, promotional, verdict_for

LIMITS = {c: Thresholds(0.3, 0.8) for c in ("abuse", "attack", "promotion")}

PROMOTIONAL = [
    "see https://shop.example.biz/deal",
    "read cheap-pills.net",
    "write to sales@example.net",
    "call 555 123 4567 today",
    "follow @bestdeals",
    "DM me",
    "message me for details",
    "only $20",
    "20% off everything",
    "buy now",
    "free iphone",
    "click here",
    "subscribe",
    "please subscribe to my channel",
    "follow me",
    "check out my page",
    "earn money fast",
    "visit my blog",
]

NOT_PROMOTIONAL = [
    "hello " * 50,
    "nice video " * 20,
    "vote yes " * 30,
    "I agree. " * 10,
    "The council should publish the full traffic study before the vote.",
    "no no no no no no no no",
    "lol " * 40,
]

REPEATED = [
    "hello " * 50,
    "hello " * 200,
    "nice video " * 20,
    "Vote Yes " * 30,
    "lol " * 40,
    "HELLO!!! " * 25,
    "no no no no no no no no",
]


@pytest.fixture(scope="module")
def norm():
    return Normalizer(RuleSet.load().lexicon())


@pytest.mark.parametrize("text", PROMOTIONAL)
def test_links_contacts_and_offers_are_promotional(rules, norm, text):
    n = norm.normalize(text)
    assert promotional(n, rules.match(n)), text


@pytest.mark.parametrize("text", NOT_PROMOTIONAL)
def test_repetition_and_ordinary_talk_are_not_promotional(rules, norm, text):
    n = norm.normalize(text)
    assert not promotional(n, rules.match(n)), text


def test_a_promotion_rule_hit_counts_but_flooding_does_not(norm):
    n = norm.normalize("word")
    flood = RuleHit("promotion", "review", "flood:repeats=6", 0, 4)
    offer = RuleHit("promotion", "review", "(promo|promotion|discount|coupon|referral|invite) code", 0, 4)
    abuse = RuleHit("abuse", "block", "*shit*", 0, 4)
    assert not promotional(n, [flood])
    assert not promotional(n, [abuse])
    assert promotional(n, [offer])


@pytest.mark.parametrize(
    ("text", "collapsed"),
    [
        ("hello hello hello", "hello"),
        ("hello " * 50, "hello "),
        ("vote yes! vote yes! vote yes!", "vote yes!"),
        ("i agree. i agree. i agree. really.", "i agree. really."),
        ("a b c a b c a b c d", "a b c d"),
        ("lol lol lol, that is funny", "lol, that is funny"),
        ("well: no no no no, never", "well: no, never"),
        ("the cat sat on the mat", None),
        ("very very good", None),  # twice is ordinary emphasis
        ("", None),
    ],
)
def test_collapse_repeats(text, collapsed):
    assert collapse_repeats(text) == collapsed


def test_a_capped_category_is_held_for_review_not_rejected():
    scores = {"abuse": 0.1, "attack": 0.1, "promotion": 0.99}
    assert verdict_for([], scores, LIMITS) == ("reject", ["promotion:model:reject"])
    assert verdict_for([], scores, LIMITS, capped={"promotion"}) == ("review", ["promotion:model:review"])
    # other categories keep their rejections; a block rule still rejects
    both = {"abuse": 0.95, "attack": 0.1, "promotion": 0.99}
    assert verdict_for([], both, LIMITS, capped={"promotion"}) == ("reject", ["abuse:model:reject", "promotion:model:review"])
    block = [RuleHit("promotion", "block", "{url:shortener}", 0, 5)]
    assert verdict_for(block, scores, LIMITS, capped={"promotion"})[0] == "reject"
    # below the review threshold the cap changes nothing
    calm = {"abuse": 0.1, "attack": 0.1, "promotion": 0.1}
    assert verdict_for([], calm, LIMITS, capped={"promotion"}) == ("approve", [])


@pytest.mark.parametrize("text", REPEATED)
def test_repeated_text_is_held_at_most_through_the_assessor(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict in ("approve", "review"), (text[:40], result.reasons, result.scores)
    assert not any(r.endswith((":reject", ":block")) for r in result.reasons), result.reasons


def test_hello_fifty_times_is_held_with_its_promotion_score(assessor: Assessor):
    result = assessor.assess("hello " * 50)
    # the model still reads it as promotion well past the reject threshold; the policy holds it instead
    assert result.scores["promotion"] >= assessor.thresholds["promotion"].reject
    assert result.verdict == "review"
    assert "promotion:model:review" in result.reasons
    assert any(s.category == "promotion" for s in result.spans), "the held comment shows its evidence"


@pytest.mark.parametrize(
    "text",
    [
        "Check out my new song on youtube http://www.youtube.com/watch?v=abc123 please subscribe",
        "subscribe to my channel " * 6,
        "Make $500 a day from home!!! Visit www.easy-cash-now.biz today",
        "hello " * 20 + " visit www.easy-cash-now.biz",
        "Check out my channel! Subscribe for more videos",
    ],
)
def test_spam_with_a_link_or_an_offer_is_still_rejected(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict == "reject", (text[:40], result.reasons)
    assert any(r.startswith("promotion:") and r.endswith((":reject", ":block")) for r in result.reasons)


def test_a_repeated_insult_is_still_rejected(assessor: Assessor):
    result = assessor.assess("you idiot " * 10)
    assert result.verdict == "reject" and "attack:rule:block" in result.reasons


def test_abuse_that_only_repetition_made_is_held(assessor: Assessor):
    text = "shame " * 40
    once = assessor.assess("shame")
    assert once.verdict == "approve"
    result = assessor.assess(text)
    # the repeated text's abuse and attack scores are the model's artefact of repetition: held, not rejected
    made = [c for c in ("abuse", "attack") if result.scores[c] >= assessor.thresholds[c].reject]
    assert made
    assert result.verdict == "review" and all(f"{c}:model:review" in result.reasons for c in made)


def test_batches_cap_each_comment_on_its_own(assessor: Assessor):
    texts = ["hello " * 50, "Check out my channel! Subscribe for more videos", "shame " * 40, "Thanks, good article."]
    many = assessor.assess_many(texts)
    assert [r.verdict for r in many] == [assessor.assess(t).verdict for t in texts]
    assert [r.verdict for r in many] == ["review", "reject", "review", "approve"]
