"""The policy as a decision table: rule hits and scores in, verdict and reasons out."""

from __future__ import annotations

import pytest

from moderation.classifier.types import RuleHit
from moderation.classifier.verdicts import Thresholds, flagged_categories, parse_thresholds, verdict_for

T = {c: Thresholds(review=0.5, reject=0.9) for c in ("abuse", "attack", "promotion")}
LOW = {"abuse": 0.1, "attack": 0.1, "promotion": 0.1}


def hit(category, severity):
    return RuleHit(category, severity, "rule", 0, 1)


@pytest.mark.parametrize(
    ("hits", "scores", "verdict", "reasons"),
    [
        ([], LOW, "approve", []),
        ([], {**LOW, "abuse": 0.49}, "approve", []),
        ([], {**LOW, "abuse": 0.5}, "review", ["abuse:model:review"]),
        ([], {**LOW, "attack": 0.89}, "review", ["attack:model:review"]),
        ([], {**LOW, "attack": 0.9}, "reject", ["attack:model:reject"]),
        ([hit("promotion", "review")], LOW, "review", ["promotion:rule:review"]),
        ([hit("abuse", "block")], LOW, "reject", ["abuse:rule:block"]),
        # a block rule wins over a review rule of the same category
        ([hit("abuse", "review"), hit("abuse", "block")], LOW, "reject", ["abuse:rule:block"]),
        ([hit("abuse", "block"), hit("abuse", "review")], LOW, "reject", ["abuse:rule:block"]),
        # reject reasons first, then the review reasons that also apply
        ([hit("promotion", "review")], {**LOW, "attack": 0.95}, "reject", ["attack:model:reject", "promotion:rule:review"]),
        ([hit("attack", "block")], {**LOW, "attack": 0.95}, "reject", ["attack:rule:block", "attack:model:reject"]),
        (
            [],
            {"abuse": 0.6, "attack": 0.7, "promotion": 0.8},
            "review",
            ["abuse:model:review", "attack:model:review", "promotion:model:review"],
        ),
        ([hit("attack", "review")], {**LOW, "abuse": 0.99}, "reject", ["abuse:model:reject", "attack:rule:review"]),
    ],
)
def test_decision_table(hits, scores, verdict, reasons):
    assert verdict_for(hits, scores, T) == (verdict, reasons)


def test_thresholds_per_category():
    thresholds = {**T, "promotion": Thresholds(review=0.2, reject=0.3)}
    assert verdict_for([], {**LOW, "promotion": 0.25}, thresholds) == ("review", ["promotion:model:review"])
    assert verdict_for([], {**LOW, "promotion": 0.3}, thresholds) == ("reject", ["promotion:model:reject"])


@pytest.mark.parametrize(("review", "reject"), [(0.9, 0.5), (-0.1, 0.5), (0.5, 1.1)])
def test_inconsistent_thresholds_are_refused(review, reject):
    with pytest.raises(ValueError):
        Thresholds(review, reject)


def test_parse_thresholds_needs_every_category():
    with pytest.raises(ValueError, match="promotion"):
        parse_thresholds({"abuse": {"review": 0.5, "reject": 0.9}, "attack": {"review": 0.5, "reject": 0.9}})
    parsed = parse_thresholds({c: {"review": 0.4, "reject": 0.8} for c in ("abuse", "attack", "promotion")})
    assert parsed["attack"] == Thresholds(0.4, 0.8)


def test_flagged_categories():
    assert flagged_categories(["promotion:rule:review", "abuse:model:reject"]) == ["abuse", "promotion"]
    assert flagged_categories([]) == []
