"""Promotion the way news comments see it: offers are held or removed, talk about money is not.

Both tables go through the shipped model and the package's rule lists (the
service's path); the first also names the rule family that must catch each
offer, so a change that leaves the catching to chance fails here.
"""

from __future__ import annotations

import pytest

from classifier.assessor import Assessor

# (comment, words of the rule that must hit)
OFFERS = [
    ("Earn $300/day working from home", "<earn>"),
    ("Great article! I make $300/day working from home, details on my profile", "<earn>"),
    ("DM me for cheap Rolex watches", "(dm|pm"),
    ("I make 85 an hour from home", "<earn>"),
    ("I started earning $8,000 a month online. Check my profile for details.", "<earn>"),
    ("My aunt makes $75 an hour working online from her laptop, see how", "<earn>"),
    ("Working from home I earn 5000 dollars a week", "(working|work|job|jobs) (from|at) home"),
    ("Thanks to Mr. Collins, the best crypto expert, I recovered my funds", "crypto"),
    ("Contact a legit hacker to recover your stolen bitcoin", "(legit|"),
    ("Need a loan? Instant approval, no questions", "(instant|"),
    ("Hot singles in your area are waiting", "hot singles"),
    ("We offer SEO services and cheap backlinks", "(seo|"),
    ("More details on my profile", "(details|"),
    ("Message me for details on this investment", "(message|text|contact"),
]

ORDINARY = [
    "I make 50k a year and still can't afford a house in this city.",
    "My son earns $15 an hour at the grocery store, that's not a living wage.",
    "Gas is $1.60 a litre now, up twenty cents since spring.",
    "Working from home has been great for our family.",
    "The bank offered me a loan at 7%, which seems high.",
    "Bitcoin fell 10% today, crypto investors should be careful.",
    "Teachers make about 80,000 a year in Ontario.",
    "The police escort arrived at noon.",
    "He made $300 a day as a contractor back in the 90s.",
    "Nurses working from home for the health line earn $30 an hour, the article says.",
    "Interest on student loans is a scandal.",
    "The minister's investment advisor resigned last week.",
    "Prices at the farmers market went up again, $6 for a dozen eggs.",
    "Minimum wage should be $20 an hour, full stop.",
]

# Wikipedia-style discussion: links to reference sites, quotes, headings and markup.
REFERENCE_TALK = [
    "== Sources ==\nThe figure comes from https://en.wikipedia.org/wiki/Gross_domestic_product and the census.",
    'See the report at https://www.statcan.gc.ca/en/start and the quote: "rents rose 8%".',
    "'''Note''': per [[Reliable sources]], the BBC piece (https://www.bbc.co.uk/news) is the better citation.",
    "=== Background ===\n* the 2019 study (doi.org/10.1000/xyz123)\n* the council minutes",
]


@pytest.mark.parametrize(("text", "rule"), OFFERS)
def test_offers_are_held_or_removed_by_a_promotion_rule(assessor: Assessor, text, rule):
    result = assessor.assess(text)
    assert result.verdict in ("review", "reject"), (text, result.reasons)
    assert any(h.category == "promotion" and rule in h.rule for h in result.rule_hits), [h.rule for h in result.rule_hits]
    assert any(s.category == "promotion" for s in result.spans), "the verdict names promotion, so it shows evidence"


@pytest.mark.parametrize("text", ORDINARY + REFERENCE_TALK)
def test_ordinary_talk_about_money_and_references_is_approved(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict == "approve", (text, result.reasons, result.scores)
