"""`moderation train` end to end on comments the test writes, then `moderation score` with the result."""

from __future__ import annotations

import io
import json
import random
from contextlib import redirect_stdout

import pytest

from moderation.classifier import artifact
from moderation.cli.main import main as cli
from moderation.training.datasets import Example
from moderation.training.splits import TRAIN, split_of

from ..synthetic import rows, write_jsonl


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    (d / "empty-datasets").mkdir()
    write_jsonl(d / "good.jsonl")
    # The same comments with the training rows' labels shuffled and the
    # validation rows intact: a worse model, judged on the same validation.
    good = rows()
    training = [r for r in good if split_of(Example(r["text"], {}, "extra", "extra/x", key=r["text"])) == TRAIN]
    labels = [{k: v for k, v in r.items() if k != "text"} for r in training]
    random.Random(7).shuffle(labels)
    shuffled = {r["text"]: lab for r, lab in zip(training, labels)}
    write_jsonl(
        d / "noise.jsonl",
        [{"text": r["text"], **shuffled.get(r["text"], {k: v for k, v in r.items() if k != "text"})} for r in good],
    )
    return d


def train(workdir, out, extra="good.jsonl", *more):
    return cli(
        ["train", "--data", str(workdir / "empty-datasets"), "--extra", str(workdir / extra), "--out", str(out), "--quiet", *more]
    )


def test_train_writes_an_artifact_with_a_card(workdir):
    out = workdir / "a.model"
    assert train(workdir, out) == 0
    card = artifact.read_card(out)
    assert set(card["thresholds"]) == {"abuse", "attack", "promotion"}
    assert card["training"]["files"][0]["dataset"] == "extra"
    assert len(card["training"]["files"][0]["sha256"]) == 64
    assert "validation" in card["metrics"]
    assert card["libraries"]["scikit-learn"]
    artifact.load(out)


def test_training_is_deterministic(workdir):
    assert train(workdir, workdir / "b1.model") == 0
    assert train(workdir, workdir / "b2.model") == 0
    assert artifact.read_card(workdir / "b1.model")["version"] == artifact.read_card(workdir / "b2.model")["version"]


def test_a_worse_candidate_does_not_replace_the_model(workdir, capsys):
    out = workdir / "gate.model"
    assert train(workdir, out) == 0
    version = artifact.read_card(out)["version"]
    assert train(workdir, out, "noise.jsonl") == 3
    assert "does worse" in capsys.readouterr().err
    assert artifact.read_card(out)["version"] == version
    assert train(workdir, out, "noise.jsonl", "--force") == 0
    assert artifact.read_card(out)["version"] != version


def test_score_with_the_trained_model(workdir, monkeypatch):
    out = workdir / "score.model"
    assert train(workdir, out) == 0
    lines = [
        {"id": 1, "text": "You are a clown and the bridge proves it"},
        {"id": "b", "text": "The budget looks promising this year.", "extra": True},
        {"id": None, "text": "earn cash daily, see cheapdeals.com"},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(x) + "\n" for x in lines)))
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert cli(["score", "--model", str(out)]) == 0
    results = [json.loads(x) for x in buffer.getvalue().splitlines()]
    assert [r["id"] for r in results] == [1, "b", None]
    assert set(results[0]) == {"id", "verdict", "scores", "reasons", "spans", "model_version"}
    assert results[0]["scores"]["attack"] > results[1]["scores"]["attack"]
    assert results[2]["scores"]["promotion"] > results[1]["scores"]["promotion"]
    assert results[1]["verdict"] == "approve"
    assert "promotion" in {r.split(":")[0] for r in results[2]["reasons"]}
    assert all(r["model_version"] == artifact.read_card(out)["version"] for r in results)


def test_train_reports_bad_input(workdir, capsys):
    bad = workdir / "bad.jsonl"
    bad.write_text('{"text": "x", "abuse": "yes"}\n', encoding="utf-8")
    assert train(workdir, workdir / "x.model", "bad.jsonl") == 2
    assert "bad.jsonl:1" in capsys.readouterr().err
    only_clean = workdir / "clean.jsonl"
    write_jsonl(only_clean, [{"text": f"fine comment {i}", "abuse": 0, "attack": 0, "promotion": 0} for i in range(50)])
    assert train(workdir, workdir / "y.model", "clean.jsonl") == 2
    assert "needs positive and negative" in capsys.readouterr().err


def test_c3_chooses_thresholds_and_fits_nothing():
    """C3's licence allows choosing thresholds and judging, never fitting (issue 22): with C3 rows added, every fitted
    parameter (vocabulary, n-gram weights, calibration, encoder heads and blends) is the same to the bit; only the
    thresholds may move."""
    from moderation.classifier.model import digest
    from moderation.classifier.rules import RuleSet
    from moderation.training.train import PARAMS, Progress, fit

    base = [Example(r["text"], {c: r.get(c) for c in ("abuse", "attack", "promotion")}, "extra", "extra/x", key=r["text"]) for r in rows()]
    c3 = [
        Example(f"{text} said the reader {n}", {"abuse": None, "attack": label, "promotion": None}, "c3", f"c3/{n % 40}", level=level)
        for n, (text, label, level) in enumerate(
            [("You clown, nobody asked", 1, 2.6), ("A fair point about the bridge", 0, 1.0)] * 60
        )
    ]
    rules = RuleSet.load()
    without = fit(base, rules, PARAMS, Progress(quiet=True))
    with_c3 = fit(base + c3, rules, PARAMS, Progress(quiet=True))
    assert with_c3.parts["c3-thresholds"] and with_c3.parts["c3-evaluation"]
    assert not [e for name in ("train", "validation", "test") for e in with_c3.parts[name] if e.source == "c3"]
    assert digest(with_c3.pipeline) == digest(without.pipeline)
    assert with_c3.second_stage.heads == without.second_stage.heads
