"""The news operating point and its curve, on scores the test makes up (so the right answer is known)."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.classifier.types import CATEGORIES
from moderation.training.thresholds import REJECT, REVIEW, operating_curve, operating_point, rates, verdict_levels

A, T, P = (CATEGORIES.index(c) for c in ("abuse", "attack", "promotion"))
BASE = {c: {"review": 0.9, "reject": 0.95} for c in CATEGORIES}


def news(n_healthy: int = 1000, n_toxic: int = 1000, seed: int = 0) -> dict:
    """Healthy comments score low, toxic ones high on attack (a few only on abuse); no rules, no promotion."""
    rng = np.random.default_rng(seed)
    healthy = rng.beta(1.5, 12, size=(n_healthy, 3))
    toxic = rng.beta(1.5, 12, size=(n_toxic, 3))
    toxic[:, T] = rng.beta(5, 3, size=n_toxic)
    toxic[: n_toxic // 10, A] = rng.beta(6, 2, size=n_toxic // 10)
    scores = np.vstack([healthy, toxic])
    is_healthy = np.r_[np.ones(n_healthy, bool), np.zeros(n_toxic, bool)]
    return {"scores": scores, "rules": np.zeros(len(scores), np.int8), "healthy": is_healthy, "toxic": ~is_healthy}


@pytest.mark.parametrize("review", [0.02, 0.05, 0.10])
def test_the_operating_point_keeps_the_budget_and_flags_more_than_the_base(review):
    data = news()
    chosen = operating_point(
        data["scores"], data["rules"], BASE, data["healthy"], data["toxic"], budget={"review": review, "reject": 0.01}
    )
    got = rates(data["scores"], data["rules"], chosen, data["healthy"], data["toxic"])
    base = rates(data["scores"], data["rules"], BASE, data["healthy"], data["toxic"])
    assert got["healthy_reviewed"] <= review
    assert got["toxic_flagged"] > base["toxic_flagged"]
    assert chosen["promotion"] == BASE["promotion"]  # only the abuse and attack review thresholds move
    assert {c: chosen[c]["reject"] for c in CATEGORIES} == {c: BASE[c]["reject"] for c in CATEGORIES}


def test_a_larger_budget_never_flags_fewer_toxic_comments():
    data = news()
    flagged = []
    for review in (0.01, 0.03, 0.05, 0.10, 0.20):
        chosen = operating_point(data["scores"], data["rules"], BASE, data["healthy"], data["toxic"], budget={"review": review})
        flagged.append(rates(data["scores"], data["rules"], chosen, data["healthy"], data["toxic"])["toxic_flagged"])
    assert flagged == sorted(flagged)
    assert flagged[-1] > flagged[0]


def test_rules_count_against_the_budget():
    data = news()
    rules = data["rules"].copy()
    rules[np.flatnonzero(data["healthy"])[:40]] = REVIEW  # a review rule holds 4% of the healthy comments
    chosen = operating_point(data["scores"], rules, BASE, data["healthy"], data["toxic"], budget={"review": 0.05})
    assert rates(data["scores"], rules, chosen, data["healthy"], data["toxic"])["healthy_reviewed"] <= 0.05
    # below what the rules alone hold, no thresholds keep the budget
    assert (
        operating_point(data["scores"], rules, BASE, data["healthy"], data["toxic"], budget={"review": 0.03}, strict=True) is None
    )
    unstrict = operating_point(data["scores"], rules, BASE, data["healthy"], data["toxic"], budget={"review": 0.03})
    assert unstrict == BASE


def test_the_curve_starts_at_its_floor_and_is_measured_on_the_other_split():
    validation, test = news(seed=1), news(seed=2)
    validation["rules"][np.flatnonzero(validation["healthy"])[:35]] = REVIEW  # the floor: 3.5% reviewed
    curve = operating_curve(validation, test, BASE)
    assert curve[0]["review_budget"] is None
    assert curve[0]["thresholds"] == {"abuse": BASE["abuse"]["reject"], "attack": BASE["attack"]["reject"]}
    budgets = [point["review_budget"] for point in curve[1:]]
    assert budgets and min(budgets) >= 0.04  # 3% is below the floor: left out
    for point in curve[1:]:
        assert point["validation"]["healthy_reviewed"] <= point["review_budget"]
        chosen = {**BASE, **{c: {"review": t, "reject": BASE[c]["reject"]} for c, t in point["thresholds"].items()}}
        assert point["test"] == rates(test["scores"], test["rules"], chosen, test["healthy"], test["toxic"])


def test_verdict_levels_follow_the_policy():
    scores = np.array([[0.1, 0.1, 0.1], [0.1, 0.92, 0.1], [0.1, 0.1, 0.97], [0.1, 0.1, 0.1]])
    rules = np.array([0, 0, 0, REJECT], np.int8)
    assert verdict_levels(scores, rules, BASE).tolist() == [0, REVIEW, REJECT, REJECT]
