"""Promotion the way news comments see it: offers are held or removed, talk about money is not.

Both tables go through the shipped model and the package's rule lists (the
service's path); the first also names the rule family that must catch each
offer, so a change that leaves the catching to chance fails here.
"""

from __future__ import annotations

import pytest

from moderation.classifier.assessor import Assessor

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
    # blog and news comment spam (issue 22, item 6)
    ("Nice post! Visit my site: http://www.cheap-shoes-outlet.biz", "(visit|check out|checkout|see|look at|have a look at"),
    ("Great article, thanks for sharing. Check out my blog at https://mybestdeals.blogspot.com", "(visit|check out"),
    ("Very informative post https://seo-rank-fast.net/offer", "(<praise>) (<praised>)"),
    ("Thank you for sharing this https://bestdeals.example.biz", "(thanks|thank you|thx) (for sharing"),
    ("Feel free to visit my web page about weight loss.", "(feel free to|"),
    ("Also visit my homepage for more tips", "(feel free to|"),
    ("I have bookmarked your site, very useful information.", "(bookmarked|bookmark)"),
    ("Your blog is very informative, keep it up!", "(your|this) (blog|site"),
    ('<a href="http://cheap-pills.example.biz">cheap pills</a>', "a href {url}"),
    ("[cheap sunglasses](http://shades.example.biz)", "(<commercial>) {word}? {url}"),
    ("Buy tramadol online without prescription, fast delivery", "(<drug>)"),
    ("Canadian pharmacy, no prescription needed", "(online pharmacy|canadian pharmacy"),
    ("Best online casino with no deposit bonus, sign up today", "(no deposit bonus"),
    ("Try the top online slots tonight", "(best|top|trusted) (online)? (casino"),
    ("Bad credit loans approved in minutes", "(bad credit|no credit check)"),
    ("Payday loans online today, no paperwork", "(payday|cash|quick"),
    ("We offer guest posting services on high authority sites", "(seo|backlink|backlinks|link building|guest post"),
    ("Work from home opportunity, be your own boss!", "(work|working) (from|at) home (job"),
    ("Earn $5 per survey, sign up now", "(earn|earning|make|making|get|paid) (up to)? {number}"),
    ("Get 50% off your first order with code SAVE50", "(up to|save|get|take|extra|flat) {number}"),
    ("Increase your website traffic and get on the first page of Google", "(increase|boost|improve)"),
]

# Removed outright (a block rule), not only held: unambiguous offers.
BLOCKED = [
    "Nice post! Visit my site: http://www.cheap-shoes-outlet.biz",
    "Check out my blog at https://mybestdeals.blogspot.com for more",
    '<a href="http://cheap-pills.example.biz">cheap pills</a>',
    "Buy tramadol online without prescription",
    "Best online casino with no deposit bonus",
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

# Civil news comments that cite a news article or a government page (issue 22, item 6).
CITING = [
    "The full report is here: https://www.ons.gov.uk/employmentandlabourmarket/peopleinwork/earningsandworkinghours",
    "According to the BBC (https://www.bbc.co.uk/news/uk-politics-12345678) the vote was delayed again.",
    "Here is the Statistics Canada table if anyone wants to check: https://www150.statcan.gc.ca/t1/tbl1/en/tv.action?pid=1410028701",
    "The Reuters story has the court filing: https://www.reuters.com/legal/some-story-2024-05-01/",
    "Good article. The CDC data is at https://www.cdc.gov/flu/weekly/index.htm if you want the numbers.",
    "Thanks for sharing this. The original study is https://www.nature.com/articles/s41586-020-2012-7",
    "The Guardian covered the same story last week: https://www.theguardian.com/environment/2024/jan/01/floods",
    "Great piece. The audit is public: https://www.oag-bvg.gc.ca/internet/English/parl_oag_202203_e.html",
    "Snopes looked into this claim already: https://www.snopes.com/fact-check/some-claim/",
    "The bill text is on the parliament site, https://bills.parliament.uk/bills/3000, clause 4 is the one that matters.",
    "My grandfather's generation paid off their loans in a few years; read https://www.federalreserve.gov/releases/g19/current/",
    "Online casinos are now legal in Ontario, https://www.cbc.ca/news/canada/toronto/online-gambling-1.6402331 explains how.",
    "Would you buy a house at these prices? https://www150.statcan.gc.ca/n1/daily-quotidien/ says they are up again.",
]

# Long civil comments that cite a page at a host no list knows (issue 22, item 5: comments of C3's and UCC's kind,
# written for this test): a link in a comment of 40 words or more is a citation.
CITING_UNLISTED = [
    "The pipeline argument keeps coming up, so here is the longer version of it that I read last year: "
    "http://www.energy-analysis-journal.example/pipeline-politics. It argues that the route through the region "
    "mattered more to the outside powers than any of the speeches, and whatever you think of that, the maps are worth a look.",
    "I checked the council's own figures before writing this, because the article leaves them out. Spending on road "
    "repairs fell by a third between 2015 and 2020 (www.ourtowncouncil-budget.example/roads/2020.pdf), while the "
    "consultants' fees went up every year. Someone at the next meeting should ask why, and what the money bought.",
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


@pytest.mark.parametrize("text", BLOCKED)
def test_unambiguous_offers_are_removed_by_a_block_rule(assessor: Assessor, text):
    result = assessor.assess(text)
    assert "promotion:rule:block" in result.reasons, (text, [h.rule for h in result.rule_hits])


@pytest.mark.parametrize("text", ORDINARY + REFERENCE_TALK + CITING + CITING_UNLISTED)
def test_ordinary_talk_about_money_and_references_is_approved(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict == "approve", (text, result.reasons, result.scores)
