"""Rule lists: each category and severity, obfuscated variants, the allowlist, the list format."""

from __future__ import annotations

import pytest

from moderation.classifier.normalize import Normalizer
from moderation.classifier.rules import Allowlist, RuleError, RuleList, RuleSet, hit_counts, trie_regex


def hits_of(rules: RuleSet, normalizer: Normalizer, text: str, allowed=()):
    return [(h.category, h.severity) for h in rules.match(normalizer.normalize(text), allowed)]


# (comment, category, severity that must be among the hits)
FLAGGED = [
    # abuse
    ("what the fuck is this", "abuse", "block"),
    ("this is bullshit", "abuse", "block"),
    ("total cunt", "abuse", "block"),
    ("what a load of bollocks", "abuse", "review"),
    ("he is a bastard", "abuse", "review"),
    ("nice cock", "abuse", "review"),
    # abuse, obfuscated
    ("f.u.c.k that", "abuse", "block"),
    ("ｆｕｃｋ that", "abuse", "block"),
    ("sh1t happens", "abuse", "block"),
    ("s h i t", "abuse", "block"),
    ("fuuuuuck", "abuse", "block"),
    ("f*ck it", "abuse", "block"),
    ("fu\u200bck", "abuse", "block"),
    ("ѕhіt", "abuse", "block"),
    ("you a55hole", "abuse", "block"),
    # attack
    ("you idiot", "attack", "block"),
    ("You're an absolute moron", "attack", "block"),
    ("ur a f*cking m0r0n", "attack", "block"),
    ("you are so stupid", "attack", "block"),
    ("idiots like you", "attack", "block"),
    ("go kill yourself", "attack", "block"),
    ("k y s", "attack", "block"),
    ("fuck you", "attack", "block"),
    ("you clown", "attack", "review"),
    ("you are such a hypocrite", "attack", "review"),
    ("shut up", "attack", "review"),
    ("get a life", "attack", "review"),
    # promotion
    ("check out my channel!", "promotion", "review"),
    ("please subscribe to my channel", "promotion", "review"),
    ("sub4sub anyone?", "promotion", "review"),
    ("more at www.example.com/page", "promotion", "review"),
    ("cheap deals at shopnow.net", "promotion", "review"),
    ("click bit.ly/abc123", "promotion", "block"),
    ("join t.me/mygroup", "promotion", "block"),
    ("email me at jo.doe@gmail.com", "promotion", "review"),
    ("call +44 7935 454150", "promotion", "review"),
    ("whatsapp me +44 7935 454150", "promotion", "block"),
    ("I make $500 a day from home", "promotion", "block"),
    ("earn money online fast", "promotion", "block"),
    ("get free followers here", "promotion", "review"),
    ("buy buy buy buy buy buy buy", "promotion", "review"),  # flooding, a word
    ("!!!!!!!!!!!!!!!!!!!!!!!!!", "promotion", "review"),  # flooding, a character
]


@pytest.mark.parametrize(("text", "category", "severity"), FLAGGED)
def test_flagged(rules, normalizer, text, category, severity):
    assert (category, severity) in hits_of(rules, normalizer, text)


CLEAN = [
    "I think the council has a point about the new bypass.",
    "Thank you for the article, it was well researched.",
    "You are right, the numbers do not add up.",
    "Shut the door when you leave the meeting room.",  # "shut" without "up"
    "The class action was dismissed.",
    "In 2019-2020 the budget rose by 1,000,000 dollars.",
    "I was an idiot to believe the forecast.",  # self-deprecation has no target
    "Where can I subscribe to the print edition?",
    "look at this dot com bubble",
    "I agree.It is fine",
]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_comments_hit_nothing(rules, normalizer, text):
    assert hits_of(rules, normalizer, text) == []


ALLOWLIST_WORDS = [
    "Scunthorpe",
    "Penistone",
    "Essex",
    "Sussex",
    "Middlesex",
    "assassin",
    "bass",
    "class",
    "compass",
    "cocktail",
    "Dickens",
    "therapist",
    "analysis",
    "grape",
    "shiitake",
    "title",
    "button",
    "hello",
    "document",
    "Cockburn",
    "cockpit",
    "peacock",
    "Hitchcock",
    "sniggering",
    "retardant",
    "arsenal",
    "assessment",
    "passion",
    "massive",
    "cumulative",
    "Wankel",
    "Pissarro",
    "spice",
    "shitake",
]


@pytest.mark.parametrize("word", ALLOWLIST_WORDS)
def test_allowlist_words_never_match(rules, normalizer, word):
    for text in (word, f"I read about {word} today.", word.upper(), f"{word}s and more"):
        assert hits_of(rules, normalizer, text) == [], text


@pytest.mark.parametrize("word", ["Scunthorpe", "Dickens", "cocktail", "shiitake", "assassin", "therapist"])
def test_allowlist_holds_under_obfuscation(rules, normalizer, word):
    spaced = " ".join(word.lower())
    for text in (spaced, word.replace("o", "0").replace("i", "1"), "".join(c + "\u200b" for c in word)):
        assert hits_of(rules, normalizer, text) == [], text


def test_allowlist_is_whole_words_and_stems():
    allow = Allowlist("dickens*\nbass # comment\n")
    assert "dickensian" in allow
    assert "bass" in allow
    assert "bassoon" not in allow


def test_site_domains_are_allowed(rules, normalizer):
    assert ("promotion", "review") in hits_of(rules, normalizer, "read news.example.org/story")
    assert hits_of(rules, normalizer, "read news.example.org/story", allowed={"example.org"}) == []
    # a shortener stays blocked whatever the site allows
    assert ("promotion", "block") in hits_of(rules, normalizer, "see bit.ly/x", allowed={"example.org"})


def test_reference_hosts_are_not_promotion(rules, normalizer):
    for text in ("source: https://en.wikipedia.org/wiki/Bridge", "see www.statcan.gc.ca/table", "write to mp@parl.gc.ca"):
        assert hits_of(rules, normalizer, text) == [], text
    assert ("promotion", "review") in hits_of(rules, normalizer, "write to sales@shopnow.net")


def test_a_link_in_a_long_comment_is_a_citation_not_a_bare_link(rules, normalizer):
    link = "http://www.energy-routes.example/where-the-pipeline-goes"
    short = f"read this {link}"
    assert ("promotion", "review") in hits_of(rules, normalizer, short)
    words = " ".join(["the pipeline route matters more than the speeches, and the figures show it"] * 3)
    long = f"{words} (source: {link}), and the rest is politics."
    assert [h for h in rules.match(normalizer.normalize(long)) if h.rule == "{url}"] == []
    # Something promotional around the link is still held whatever the length.
    assert "(thanks|thank you|thx) (for sharing|for the info|for the information|for this post|for posting|for this article) (this|it)? {url}" in {
        h.rule for h in rules.match(normalizer.normalize(f"{words}. Thanks for sharing {link}"))
    }
    # Links, addresses and handles are not words: forty links are no prose.
    assert ("promotion", "review") in hits_of(rules, normalizer, " ".join(f"http://spam{i}.example.net" for i in range(40)))


def test_citation_length_is_set_by_the_list(normalizer):
    lists = {c: RuleList(c, "") for c in ("abuse", "attack")}

    def rules_with(text):
        return RuleSet({**lists, "promotion": RuleList("promotion", text)}, Allowlist())

    comment = "one two three four five http://shop.example.net"
    assert [h.rule for h in rules_with("review {url}").match(normalizer.normalize(comment))] == ["{url}"]
    assert [h.rule for h in rules_with("@citation words=6\nreview {url}").match(normalizer.normalize(comment))] == ["{url}"]
    assert rules_with("@citation words=5\nreview {url}").match(normalizer.normalize(comment)) == []
    # Only a link alone is a citation: a rule with words around the link still hits.
    assert [h.rule for h in rules_with("@citation words=1\nreview five {url}").match(normalizer.normalize(comment))] == ["five {url}"]
    for bad in ("@citation", "@citation words=0", "@citation words=x", "@citation length=5"):
        with pytest.raises(RuleError):
            RuleList("promotion", bad)


def test_hit_spans_point_into_the_original(rules, normalizer):
    text = "Well, you f.u.c.k.i.n.g m0r0n!!"
    hits = rules.match(normalizer.normalize(text))
    spans = {(h.category, text[h.start : h.end]) for h in hits}
    assert ("attack", "you f.u.c.k.i.n.g m0r0n") in spans
    assert ("abuse", "f.u.c.k.i.n.g") in spans


def test_hit_counts_are_model_features(rules, normalizer):
    hits = rules.match(normalizer.normalize("fuck you idiot, check out my channel"))
    counts = dict(
        zip(
            ["abuse/block", "abuse/review", "attack/block", "attack/review", "promotion/block", "promotion/review"],
            hit_counts(hits),
        )
    )
    assert counts["abuse/block"] >= 1
    assert counts["attack/block"] >= 1
    assert counts["promotion/review"] >= 1


def test_list_format_sets_alternatives_and_optional_words(normalizer):
    rule_list = RuleList("attack", "@set insult: idiot moron*\nblock (you|u) (silly|big)? <insult>\n")
    rules = RuleSet({"abuse": RuleList("abuse", ""), "attack": rule_list, "promotion": RuleList("promotion", "")}, Allowlist())
    assert [h.rule for h in rules.match(normalizer.normalize("u big moronic fool"))] == ["(you|u) (silly|big)? <insult>"]
    assert rules.match(normalizer.normalize("you idiot")) != []
    assert rules.match(normalizer.normalize("you are idiot")) == []


@pytest.mark.parametrize(
    "line",
    [
        "forbid fuck",  # unknown severity
        "block (you|u",  # unbalanced
        "block <nowhere>",  # unknown set
        "block {fax}",  # unknown entity
        "block hello? world",
        "block Fuck",  # upper case
        "@flood block repeats=3",
    ],
)
def test_bad_list_lines_are_reported_with_their_line_number(line):
    with pytest.raises(RuleError, match=r"abuse.txt:2:"):
        RuleList("abuse", "# comment\n" + line, "abuse.txt")


def test_trie_regex_matches_exactly_its_words():
    import re

    rx = re.compile(f"(?:{trie_regex(['cat', 'car', 'ca', 'dog'])})$")
    assert all(rx.match(w) for w in ["cat", "car", "ca", "dog"])
    assert not any(rx.match(w) for w in ["c", "cats", "do", "doge"])


def test_lexicon_feeds_the_normaliser(rules):
    lexicon = rules.lexicon()
    assert "fucking" in lexicon  # from the stem of *fuck*
    assert "idiot" in lexicon
    assert "scunthorpe" not in lexicon


def test_a_large_rule_set_finds_the_same_hits_by_looking_words_up(monkeypatch, normalizer):
    """Past LOOKUP_ABOVE first words a rule set looks each word up instead of compiling one trigger regex."""
    import moderation.classifier.rules as rules_module

    texts = [
        "You are a pathetic idiot and everyone knows it.",
        "f.u.c.k you, m0r0n",
        "Buy cheap pills at www.pills-now.biz, call 555 123 4567",
        "idiot idiot idiot idiot idiot",
        "The council should publish the full traffic study.",
    ]
    regex_set = RuleSet.load()
    monkeypatch.setattr(rules_module, "LOOKUP_ABOVE", 0)
    lookup_set = RuleSet.load()
    assert lookup_set._lookup and not regex_set._lookup
    for text in texts:
        norm = normalizer.normalize(text)
        assert lookup_set.match(norm) == regex_set.match(norm), text


def test_a_plain_word_or_stem_compiles_to_the_general_paths_regex(monkeypatch):
    import re

    import moderation.classifier.rules as rules_module

    text = "block idiot\nreview moron*\nblock x9\nreview ab1*\nblock two words"
    fast = RuleList("abuse", text)
    monkeypatch.setattr(rules_module, "_SIMPLE", re.compile(r"(?!)"))  # nothing takes the short path
    general = RuleList("abuse", text)
    assert [(r.source, r.heads, r.entities) for r in fast.rules] == [(r.source, r.heads, r.entities) for r in general.rules]


def test_an_ip_address_is_no_phone_number(rules, normalizer):
    # Wikipedia signs anonymous edits with the editor's IP address
    for text in ("-- 71.231.107.102 (talk) 19:04, 3 May 2008", "reverted 192.168.0.1 again"):
        assert hits_of(rules, normalizer, text) == [], text
    for text in ("call 555 123 4567", "text 07700.900.123 now", "+44 20 7946 0958"):
        assert ("promotion", "review") in hits_of(rules, normalizer, text), text


def test_lines_drawn_with_punctuation_are_no_flood(rules, normalizer):
    for text in ("=" * 30, "-" * 40 + "\nSources", "_" * 25, "." * 30, "~" * 24, "*" * 30):
        assert hits_of(rules, normalizer, text) == [], text
    for text in ("a" * 25, "!" * 25, "\U0001f600" * 25, "buy " * 6):
        assert ("promotion", "review") in hits_of(rules, normalizer, text), text


def test_a_word_element_stands_for_any_one_word(normalizer):
    rules = RuleSet.from_texts({"promotion": "review cheap {word}? {url}\n"})
    assert hits_of(rules, normalizer, "cheap shoes http://shoes.example.biz") == [("promotion", "review")]
    assert hits_of(rules, normalizer, "cheap http://shoes.example.biz") == [("promotion", "review")]
    assert hits_of(rules, normalizer, "cheap red shoes http://shoes.example.biz") == []
    with pytest.raises(RuleError):
        RuleSet.from_texts({"promotion": "review {word} cheap\n"})


def test_an_allowlist_stem_does_not_hide_a_listed_word_glued_after_it(rules, normalizer):
    for word in ("cocktails", "assassination", "Scunthorpe's", "documents"):
        assert hits_of(rules, normalizer, word) == [], word
    for word in ("cocktailfuck", "assassinshit", "scunthorpecunt", "hellocunt"):
        assert ("abuse", "block") in hits_of(rules, normalizer, word), word
