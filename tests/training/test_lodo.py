"""Leave one dataset out, on comments the test writes: the held-out source is never trained on."""

from __future__ import annotations

import pytest

from moderation.classifier.rules import RuleSet
from moderation.classifier.types import CATEGORIES
from moderation.training.datasets import Example
from moderation.training.lodo import format_report, leave_one_out
from moderation.training.train import PARAMS, Progress, fit

from ..synthetic import clean_comments, rows


def _example(text: str, labels: dict, source: str) -> Example:
    return Example(text, {c: labels.get(c) for c in CATEGORIES}, source, source, key=text)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    out = [_example(r["text"], r, "extra") for r in rows()]
    # Toxic news comments (all rated toxic, like ToxicSpans) and healthy ones (like UCC), worded apart from the rest.
    for r in rows():
        if r.get("abuse") == 1 or r.get("attack") == 1:
            out.append(_example(f"{r['text']}, said a reader", r, "toxic-spans"))
    out += [_example(f"Reader: {t}", {c: 0 for c in CATEGORIES}, "ucc") for t in clean_comments()]
    return out


def test_a_dataset_left_out_is_scored_by_a_model_that_never_saw_it(examples):
    seen = []

    def spy(train_rows, *args):
        seen.append({e.source for e in train_rows})
        return fit(train_rows, *args)

    params = dict(PARAMS, encoder=False)
    report = leave_one_out(examples, RuleSet.load(), spy, params, only=("toxic-spans", "youtube-spam"), progress=Progress(True))
    assert seen == [{"extra", "ucc"}]  # no YouTube rows here: nothing to leave out, no model trained
    rows_ = report["toxic-spans"]
    assert set(rows_) == {"abuse", "attack", "toxic vs healthy news (max abuse, attack)"}
    news = rows_["toxic vs healthy news (max abuse, attack)"]
    held = sum(e.source == "toxic-spans" for e in examples)
    assert held < news["n"] < held + sum(e.source == "ucc" for e in examples)  # the healthy ones of the test split only
    assert news["positives"] == held
    assert news["roc_auc"] > 0.9
    assert news["toxic_flagged"] > 0.8
    assert news["healthy_flagged"] < 0.2
    assert "flagged: toxic" in format_report(report)
