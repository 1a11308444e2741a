"""The pipeline: the fast scorer equals scikit-learn's path; unknown labels are left out of training."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.model import UNKNOWN, CategoryModel, FastScorer, rule_features
from moderation.classifier.types import CATEGORIES

TEXTS = [
    "You are a clown and the budget proves it",
    "The bridge looks promising this year.",
    "visit cheapdeals.com for bargains",
    "what a load of crap",
    "",
    "ｆｕｃｋ this, you idiot!!! www.spam.example.com",
]


def test_fast_scorer_equals_the_pipeline(tiny_artifact):
    pipeline = tiny_artifact.pipeline
    assessor = Assessor(tiny_artifact)
    fast = np.array([[a.scores[c] for c in CATEGORIES] for a in assessor.assess_many(TEXTS)])
    assert np.allclose(fast, pipeline.predict_proba(TEXTS), atol=1e-6)


def test_assess_many_equals_assess(tiny_artifact):
    assessor = Assessor(tiny_artifact)
    many = assessor.assess_many(TEXTS * 40)  # several chunks
    for text, result in zip(TEXTS * 40, many):
        assert assessor.assess(text) == result


def test_fast_scorer_logits_are_linear_in_features(tiny_artifact):
    pipeline = tiny_artifact.pipeline
    norm = pipeline.named_steps["normalize"].transform(TEXTS)
    rules = pipeline.named_steps["features"].rules
    hits = [rules.match(n) for n in norm]
    X = pipeline.named_steps["features"].transform(norm, hits)
    scores = FastScorer(pipeline).score([n.text for n in norm], rule_features(hits))
    assert np.allclose(scores.logits, pipeline.named_steps["model"].decision_function(X), atol=1e-5)


def test_unknown_labels_are_not_negatives():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    y = (X[:, 0] > 0.5).astype(int)
    Y = np.column_stack([y, y, np.full(40, UNKNOWN)])
    Y[:20, 2] = y[:20]
    with_unknown = CategoryModel().fit(X, Y)
    only_known = CategoryModel().fit(X[:20], np.column_stack([y[:20], y[:20], y[:20]]))
    assert np.allclose(with_unknown.coef_[:, 2], only_known.coef_[:, 2], atol=1e-6)


def test_a_category_without_both_labels_is_an_error():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match="promotion"):
        CategoryModel().fit(X, np.array([[0, 0, 1], [1, 1, 1], [0, 1, UNKNOWN], [1, 0, UNKNOWN]]))


def test_calibration_is_monotonic(tiny_artifact):
    model = tiny_artifact.pipeline.named_steps["model"]
    z = np.linspace(-10, 10, 50)[:, None].repeat(len(CATEGORIES), axis=1)
    p = model.probabilities(z)
    assert (np.diff(p, axis=0) >= 0).all()
    assert (p >= 0).all() and (p <= 1).all()
