"""The shipped model, through the facade: obvious comments flagged, ordinary ones approved."""

from __future__ import annotations

import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.verdicts import flagged_categories

OBVIOUS = {
    "abuse": [
        "This is fucking ridiculous, what a shitshow.",
        "Holy shit this is the dumbest crap ever written",
        "what a load of bullshit from these assholes",
    ],
    "attack": [
        "You are a complete idiot and everyone here knows it.",
        "Shut up, you pathetic moron.",
        "Nobody cares what you think, you ignorant clown.",
    ],
    "promotion": [
        "Make $500 a day working from home!!! Visit www.easy-cash-now.biz",
        "Check out my channel and subscribe for daily videos http://bit.ly/3abcde",
        "Want cheap followers? Message me on WhatsApp +1 555 123 4567",
    ],
}

ORDINARY = [
    "I think the council should publish the full traffic study before voting.",
    "Great reporting, thank you. The figures on school funding were eye-opening.",
    "My grandmother lived in Scunthorpe for forty years and loved the market.",
    "The therapist in the article made a good point about waiting lists.",
    "Does anyone know when the bridge repairs are supposed to finish?",
    "I disagree with the author, but the argument about housing costs is worth reading.",
]


@pytest.mark.parametrize(("category", "text"), [(c, t) for c, texts in OBVIOUS.items() for t in texts])
def test_obvious_comments_are_flagged_in_their_category(assessor: Assessor, category, text):
    result = assessor.assess(text)
    assert result.verdict in ("review", "reject")
    assert category in flagged_categories(result.reasons)
    assert result.scores[category] >= 0.5 or any(r.startswith(f"{category}:rule") for r in result.reasons)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_comments_are_approved(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict == "approve", result.reasons
    assert result.spans == []
    assert max(result.scores.values()) < 0.5


def test_evidence_points_at_the_offending_words(assessor: Assessor):
    text = "Honestly, you are a complete moron."
    result = assessor.assess(text)
    model_spans = [s for s in result.spans if s.source == "model" and s.category == "attack"]
    assert model_spans, result.spans
    assert any("moron" in text[s.start : s.end] for s in model_spans)
    assert all(0 <= s.start < s.end <= len(text) for s in result.spans)


def test_evidence_maps_through_obfuscation(assessor: Assessor):
    text = "what the f.u.c.k is this s\u200bh\u200bi\u200bt"
    result = assessor.assess(text)
    pieces = {text[s.start : s.end] for s in result.spans if s.category == "abuse"}
    assert "f.u.c.k" in pieces
    assert "s\u200bh\u200bi\u200bt" in pieces


def test_scores_are_probabilities_and_the_version_is_set(assessor: Assessor):
    result = assessor.assess("just a comment")
    assert set(result.scores) == {"abuse", "attack", "promotion"}
    assert all(0.0 <= p <= 1.0 for p in result.scores.values())
    assert result.model_version == assessor.version


def test_site_domains_are_not_promotion(assessor: Assessor):
    text = "The full report is at https://www.example-news.com/reports/2026/budget"
    assert "promotion" in flagged_categories(assessor.assess(text).reasons)
    assert assessor.assess(text, allowed_domains=["example-news.com"]).verdict == "approve"


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\x01", "\ud800", "😀" * 50, "a" * 10000, "<script>alert(1)</script>", "مرحبا بالعالم", "\u202egnp.evil"],
)
def test_any_text_gets_an_assessment(assessor: Assessor, text):
    result = assessor.assess(text)
    assert result.verdict in ("approve", "review", "reject")
    assert all(0 <= s.start <= s.end <= len(text) for s in result.spans)


def test_a_site_threshold_past_the_models_other_side_wins(assessor: Assessor):
    text = "Thanks for the article, very clear."
    # Only "reject" given, below the model's review threshold: everything is rejected, nothing fails. (Abuse: a
    # promotion score never rejects a text with nothing promotional in it, tests/classifier/test_repetition.py.)
    strict = assessor.assess(text, thresholds={"abuse": {"reject": 0.0}})
    assert strict.verdict == "reject" and "abuse:model:reject" in strict.reasons
    # Only "review" given, above the model's reject threshold: the reject threshold moves up with it.
    lenient = assessor.assess("You are an idiot", thresholds={"attack": {"review": 1.0}})
    assert not any(r.startswith("attack:model:") for r in lenient.reasons)
