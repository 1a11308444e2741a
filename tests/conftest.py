"""Shared fixtures: the shipped model and rule lists, loaded once per test session."""

from __future__ import annotations

import pytest

from moderation.classifier.assessor import Assessor
from moderation.classifier.rules import RuleSet


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The package's rule lists."""
    return RuleSet.load()


@pytest.fixture(scope="session")
def normalizer(rules):
    """A normaliser with the lexicon of the package's rule lists."""
    from moderation.classifier.normalize import Normalizer

    return Normalizer(rules.lexicon())


@pytest.fixture(scope="session")
def assessor() -> Assessor:
    """The facade over the shipped default model."""
    return Assessor.load()


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory):
    """A small model trained on comments the tests write (fast, no datasets needed)."""
    from moderation.classifier.artifact import VERSION_SCHEME, Artifact, model_version
    from moderation.training.datasets import load_jsonl
    from moderation.training.train import PARAMS, Progress, fit

    from .synthetic import write_jsonl

    path = write_jsonl(tmp_path_factory.mktemp("tiny") / "rows.jsonl")
    rules = RuleSet.load()
    params = dict(PARAMS, max_features=20_000, encoder=False)
    pipeline, _, thresholds, _, _ = fit(list(load_jsonl(path)), rules, params, Progress(quiet=True))
    card = {"version_scheme": VERSION_SCHEME, "thresholds": thresholds, "training": {}}
    return Artifact(pipeline, dict(card, version=model_version(pipeline, card)))
