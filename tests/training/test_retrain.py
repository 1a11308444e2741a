"""The pure parts of `moderation retrain`: which labels train, which are held out, and the publish rule."""

from __future__ import annotations

from training.retrain import SOURCE, Judgement, gate, hold_out, label_examples
from training.splits import TRAIN, split_of


def rows(n: int) -> list[dict]:
    return [{"text": f"comment {i}", "abuse": i % 2, "source": "news", "decided_at": 1000.0 + i} for i in range(n)]


def test_label_rows_become_examples_oldest_first_and_unusable_rows_are_skipped():
    labelled = label_examples(
        [
            {"text": "late", "attack": 1, "decided_at": 20.0, "source": "news"},
            {"text": "early", "abuse": 0, "attack": 0, "promotion": 0, "decided_at": 10.0, "source": "news"},
            {"text": "no label at all", "decided_at": 5.0},
            {"text": "   ", "abuse": 1},
            {"text": "bad value", "abuse": "yes"},
        ]
    )
    assert [(at, e.text) for at, e in labelled] == [(10.0, "early"), (20.0, "late")]
    late = labelled[1][1]
    assert late.labels == {"abuse": None, "attack": 1, "promotion": None}  # unknown, not negative
    assert late.source == SOURCE and late.group == f"{SOURCE}/news"
    assert split_of(late) == TRAIN  # moderator labels never enter the fixed validation split


def test_the_newest_share_is_held_out_when_there_are_enough():
    train, held = hold_out(label_examples(rows(50)), 0.2)
    assert [e.text for e in held] == [f"comment {i}" for i in range(40, 50)]
    assert len(train) == 40
    train, held = hold_out(label_examples(rows(10)), 0.2)  # 2 would be too few to judge by
    assert held == [] and len(train) == 10


def test_publish_rule():
    active = Judgement(0.80, 0.70, {})
    assert gate(Judgement(0.798, 0.75, {}), active, 0.005)[0] is True  # within the tolerance, closer to moderators
    published, why = gate(Judgement(0.79, 0.90, {}), active, 0.005)
    assert not published and "fixed validation" in why
    published, why = gate(Judgement(0.85, 0.65, {}), active, 0.005)
    assert not published and "held-out decisions" in why
    assert gate(Judgement(0.80, None, {}), Judgement(0.80, None, {}), 0.005) == (
        True,
        "not worse on the fixed validation data (too few decisions to hold any out)",
    )
