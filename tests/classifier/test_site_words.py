"""A site's own lists: entries checked, matched through the same normalisation, every disguise family, allow."""

from __future__ import annotations

import pytest

from moderation.classifier.site_words import SiteEntry, SiteWordLists, canonical, check
from moderation.training.disguise import FAMILIES, SPLITTING, halves

from .test_evasion import _applies

#: Words no packaged list has: a local troll's nicknames, a word innocent elsewhere.
TROLL = "grimbleshank"
STEM = "wobbleton"


@pytest.mark.parametrize(
    ("raw", "severity", "reason"),
    [
        ("", "block", "is empty"),
        ("   ", "block", "is empty"),
        ("!!! ...", "block", "no letter or digit"),
        ("x" * 201, "block", "longer than 200"),
        ("wo*rd", "block", "unbalanced wildcard"),
        ("**word", "block", "unbalanced wildcard"),
        ("*", "block", "no letter or digit"),
        ("bad % sign", "block", "may only hold"),
        ("two *words", "review", "has a word of a phrase starting with *"),
        ("two words", "allow", "one word"),
        ("bad..domain", "block", "not a domain"),
        (42, "block", "must be text"),
    ],
)
def test_bad_entries_say_why(raw, severity, reason):
    _, problem = check(raw, severity)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Scunthorpe", "scunthorpe"),
        ("  Troll*  ", "troll*"),
        ("*spam*", "*spam*"),
        ("Bad   Phrase here", "bad phrase here"),
        ("Spam-Shop.BIZ", "spam-shop.biz"),
        ("Crème brûlée", "creme brulee"),
        ("o'reilly", "o'reilly"),
    ],
)
def test_good_entries_are_kept_canonical(raw, kept):
    assert check(raw, "block") == (kept, None)
    assert canonical(raw) == kept


def site(*entries: tuple[str, str, str]) -> SiteWordLists:
    return SiteWordLists(SiteEntry(p, s, c) for p, s, c in entries)


def test_a_site_word_blocks_with_its_own_reason_and_evidence(assessor):
    rules = site((TROLL, "block", "attack"), (STEM + "*", "review", "abuse"))
    text = f"Ask {TROLL.title()} and the {STEM}ers about it."
    result = assessor.assess(text, site=rules)
    assert result.verdict == "reject"
    assert "attack:site:block" in result.reasons and "abuse:site:review" in result.reasons
    site_spans = [(text[s.start : s.end], s.category) for s in result.spans if s.source == "rule:site"]
    assert site_spans == [(TROLL.title(), "attack"), (f"{STEM}ers", "abuse")]
    # another site (no lists) is not affected
    plain = assessor.assess(text)
    assert plain.verdict == "approve" and not any(s.source == "rule:site" for s in plain.spans)


def test_site_hits_are_not_model_features(assessor):
    text = f"Ask {TROLL} about it."
    with_site = assessor.assess(text, site=site((TROLL, "block", "abuse")))
    without = assessor.assess(text)
    assert with_site.scores == without.scores


def test_a_phrase_matches_across_punctuation_at_word_boundaries(assessor):
    rules = site(("cheese weasel", "review", "attack"))
    assert assessor.assess("What a cheese... weasel!", site=rules).verdict == "review"
    assert assessor.assess("cheeseweasel and cheese weasels", site=rules).verdict == "approve"


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_disguise_family_reveals_a_site_word(assessor, family):
    """What the packaged lists are robust to (tests/classifier/test_evasion.py), a site's words are too."""
    rules = site((TROLL, "block", "attack"), ("snorkelface", "block", "attack"), ("plonker", "review", "attack"))
    normalizer = rules.normalizer_for(assessor.normalizer)
    cases = 0
    for word in (TROLL, "snorkelface", "plonker"):
        disguised = FAMILIES[family](word)
        if not _applies(family, word, disguised, normalizer.lexicon):
            continue
        if family in SPLITTING and any(normalizer.lexicon.is_word(p) for p in halves(word)):
            continue
        cases += 1
        text = f"well {disguised} then"
        result = assessor.assess(text, site=rules)
        hits = [h for h in result.rule_hits if h.site]
        assert [h.rule for h in hits] == [word], (family, disguised, result.normalized)
        assert (hits[0].start, hits[0].end) == (5, 5 + len(disguised)), (family, disguised)
    assert cases >= 1, family


def test_allow_silences_a_packaged_rule_and_a_domain_for_this_site_only(assessor):
    text = "You are a pathetic idiot and everyone knows it."
    assert assessor.assess(text).verdict == "reject"
    allowing = site(("idiot", "allow", ""), ("pathetic", "allow", ""))
    result = assessor.assess(text, site=allowing)
    assert not result.rule_hits  # no packaged rule matches an allowed word
    spam = "Cheap watches at www.great-watches-shop.biz, order now!"
    flagged = assessor.assess(spam)
    assert any(h.rule.startswith("{url") for h in flagged.rule_hits)
    allowed = assessor.assess(spam, site=site(("great-watches-shop.biz", "allow", "")))
    assert not any(h.rule.startswith("{url") for h in allowed.rule_hits)


def test_a_blocked_domain_flags_links_and_addresses_at_it_and_its_subdomains(assessor):
    rules = site(("spam-shop.biz", "block", "promotion"))
    for text in ("see https://www.spam-shop.biz/deal now", "write to sales@spam-shop.biz", "spam-shop.biz/x"):
        result = assessor.assess(text, site=rules)
        assert "promotion:site:block" in result.reasons, text
    assert "promotion:site:block" not in assessor.assess("see https://not-spam-shop.biz now", site=rules).reasons


def test_twenty_thousand_entries_compile_quickly_and_match(assessor):
    import time

    words = [f"zq{n:05d}troll" for n in range(20_000)]
    started = time.process_time()  # this process's CPU time: what other processes do does not count
    rules = SiteWordLists(SiteEntry(w, "block", "attack") for w in words)
    assert time.process_time() - started < 3.0  # measured in docs/BENCHMARKS.md: well under a second
    result = assessor.assess(f"hello {words[12_345]} and {words[7]}", site=rules)
    assert sorted(h.rule for h in result.rule_hits if h.site) == sorted([words[12_345], words[7]])
