"""The pure parts of `moderation retrain`: which labels train, which are held out, the data it refuses to train
without, the publish rule and the report."""

from __future__ import annotations

import pytest

from moderation.training.datasets import FILES
from moderation.training.retrain import (
    MIN_HELD_OUT,
    MIN_VALIDATION_ROWS,
    SOURCE,
    Judgement,
    Refused,
    check_data,
    compare_files,
    format_report,
    gate,
    hold_out,
    label_examples,
)
from moderation.training.splits import TRAIN, split_of


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


def test_the_newest_labels_are_held_out_never_fewer_than_the_minimum():
    assert MIN_HELD_OUT == 50
    train, held = hold_out(label_examples(rows(2 * MIN_HELD_OUT - 1)), 0.2)  # too few: every label trains
    assert held == [] and len(train) == 2 * MIN_HELD_OUT - 1
    train, held = hold_out(label_examples(rows(2 * MIN_HELD_OUT)), 0.2)  # a fifth would be 20: the minimum instead
    assert [e.text for e in held] == [f"comment {i}" for i in range(50, 100)]
    assert len(train) == 50
    train, held = hold_out(label_examples(rows(400)), 0.2)  # past 250 labels the share holds out more
    assert len(held) == 80 and len(train) == 320
    assert [e.text for e in held] == [f"comment {i}" for i in range(320, 400)]
    train, held = hold_out(label_examples(rows(120)), 0.0)  # --holdout 0 still holds out the minimum
    assert len(held) == MIN_HELD_OUT


def test_publish_rule():
    active = Judgement(0.80, 0.70, {})
    ok = gate(Judgement(0.798, 0.75, {}), active, 0.005, 1000, 50)  # within the tolerance, closer to moderators
    assert ok.publish and ok.judged and "1,000 rows" in ok.why and "50 newest decisions" in ok.why
    published, judged, why = gate(Judgement(0.79, 0.90, {}), active, 0.005, 1000, 50)
    assert not published and judged and "worse on the fixed validation data (1,000 rows)" in why
    published, judged, why = gate(Judgement(0.85, 0.65, {}), active, 0.005, 1000, 50)
    assert not published and judged and "agrees less with the 50 held-out decisions" in why
    # too few labels to hold any out: judged on the fixed validation data alone, and said so
    assert gate(Judgement(0.80, None, {}), Judgement(0.80, None, {}), 0.005, 1000, 0) == (
        True,
        True,
        "not worse on the fixed validation data (1,000 rows); the moderators' labels were not compared (fewer than 100)",
    )


def test_force_publishes_a_candidate_that_lost_but_never_one_that_was_not_judged():
    active = Judgement(0.80, 0.70, {})
    forced = gate(Judgement(0.70, 0.70, {}), active, 0.005, 1000, 50, force=True)
    assert forced.publish and forced.why.startswith("published with --force although worse on the fixed validation")
    for rows_ in (0, MIN_VALIDATION_ROWS - 1):
        for force in (False, True):
            # a perfect score on no data is not "not worse"
            published, judged, why = gate(Judgement(1.0, 1.0, {}), active, 0.005, rows_, 50, force=force)
            assert (published, judged) == (False, False)
            assert why.startswith(f"not judged: the fixed validation data has {rows_} rows")
            assert ("--force does not change that" in why) is force
    # rows that cannot rank models (no category with both labels) score None: not judged either
    assert gate(Judgement(None, 1.0, {}), active, 0.005, 1000, 50, force=True)[:2] == (False, False)


def card(*files: tuple[str, str], version: str = "abc123abc123") -> dict:
    return {"version": version, "training": {"files": [{"file": f, "dataset": d, "sha256": "0" * 64} for f, d in files]}}


SHIPPED_LIKE = card(
    ("olid/olid-training-v1.0.tsv", "olid"),
    ("sms-spam/SMSSpamCollection", "sms-spam"),
    ("youtube-spam/Youtube01-Psy.csv", "youtube-spam"),
    ("youtube-spam/Youtube02-KatyPerry.csv", "youtube-spam"),
    ("/somewhere/extra.jsonl", "extra"),
    ("moderator labels (10 rows)", "moderator-labels"),
)
NO_DATASETS = card(("/somewhere/extra.jsonl", "extra"))


def write(folder, rel: str) -> None:
    """A made-up file where a dataset file would be (its content is never read by the check)."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("ham\tmade up by the test\n", encoding="utf-8")


def refusal(*args, **kwargs) -> str:
    with pytest.raises(Refused) as caught:
        check_data(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message  # one line
    return message


def test_no_datasets_folder_is_refused_naming_the_datasets_and_data():
    message = refusal(SHIPPED_LIKE, None)
    assert message.startswith("no datasets folder (no --data, and no ../shared/datasets")
    assert "the active model abc123abc123 was trained on olid, sms-spam, youtube-spam" in message
    assert "give --data DIR" in message
    assert "extra" not in message.replace("--extra", "")
    # a model that never saw a dataset: --data or, said explicitly, --no-datasets
    message = refusal(NO_DATASETS, None)
    assert "no datasets folder" in message and "--data DIR" in message and "--no-datasets" in message


def test_a_folder_without_a_dataset_the_active_model_was_trained_on_is_refused(tmp_path):
    write(tmp_path, "sms-spam/SMSSpamCollection")
    write(tmp_path, "youtube-spam/Youtube01-Psy.csv")
    message = refusal(SHIPPED_LIKE, tmp_path)
    assert message == (
        f"{tmp_path} lacks datasets the active model abc123abc123 was trained on: olid, "
        "youtube-spam (youtube-spam/Youtube02-KatyPerry.csv); give --data DIR, the folder that holds them"
    )
    write(tmp_path, "olid/olid-training-v1.0.tsv")
    write(tmp_path, "youtube-spam/Youtube02-KatyPerry.csv")
    check_data(SHIPPED_LIKE, tmp_path)  # everything the card lists: no refusal
    assert set(FILES) >= {"olid/olid-training-v1.0.tsv", "sms-spam/SMSSpamCollection"}


def test_training_without_any_dataset_needs_no_datasets_and_a_model_that_never_had_them(tmp_path):
    extra = [tmp_path / "extra.jsonl"]
    message = refusal(NO_DATASETS, tmp_path, extra=extra)  # an empty folder: --extra-only in effect
    assert message.startswith(f"{tmp_path} holds none of the datasets") and "--no-datasets" in message
    check_data(NO_DATASETS, None, no_datasets=True, extra=extra)  # said explicitly: allowed
    message = refusal(NO_DATASETS, None, no_datasets=True)
    assert message.startswith("--no-datasets and no --extra file: nothing to validate on")
    message = refusal(SHIPPED_LIKE, None, no_datasets=True, extra=extra)
    assert message.startswith("--no-datasets, but the active model abc123abc123 was trained on olid, sms-spam, youtube-spam")
    assert "give --data DIR" in message


def test_the_files_are_compared_with_the_active_models_card():
    files = [
        {"file": "olid/olid-training-v1.0.tsv", "dataset": "olid", "sha256": "0" * 64},
        {"file": "sms-spam/SMSSpamCollection", "dataset": "sms-spam", "sha256": "1" * 64},
        {"file": "ucc/val.csv", "dataset": "ucc", "sha256": "2" * 64},
        {"file": "/x/extra.jsonl", "dataset": "extra", "sha256": "3" * 64},
    ]
    assert compare_files(SHIPPED_LIKE, files) == {
        "dataset_files": 3,
        "as_active": 1,
        "changed": ["sms-spam/SMSSpamCollection"],
        "new": ["ucc/val.csv"],
    }


def report(published: bool, held_out: int) -> dict:
    ran = held_out >= MIN_HELD_OUT
    agreement = (0.9, 0.7) if ran else (None, None)
    validation = {
        "on": "fixed validation data",
        "rows": 8561,
        "metric": "mean PR AUC over categories",
        "rule": "the candidate may lose at most 0.005",
        "ran": True,
        "passed": True,
    }
    labels = {
        "on": "moderators' newest labels, held out",
        "rows": held_out,
        "judgements": 3 * held_out,
        "metric": "agreement with the decisions",
        "rule": "at least the active model's",
        "ran": ran,
        "passed": True if ran else None,
    }
    return {
        "candidate": {"version": "c" * 12, "validation_pr_auc": 0.83, "decision_agreement": agreement[0], "decision_roc_auc": {}},
        "active": {"version": "a" * 12, "validation_pr_auc": 0.831, "decision_agreement": agreement[1], "decision_roc_auc": {}},
        "validation_rows": 8561,
        "labels": {"usable": 240 if ran else 20, "train": 190 if ran else 20, "held_out": held_out, "min_held_out": MIN_HELD_OUT},
        "comparisons": [validation, labels],
        "data": {"folder": "/d", "extra_files": 0, "dataset_files": 15, "as_active": 15, "changed": [], "new": []},
        "tolerance": 0.005,
        "decision": "published" if published else "kept the active model",
        "why": "because",
        "rollback": "moderation model --model-dir /m rollback aaaaaaaaaaaa" if published else None,
    }


def test_the_report_names_each_comparison_with_its_rows_and_ends_with_the_rollback_command():
    lines = format_report(report(True, 50)).splitlines()
    assert (
        "  fixed validation data: ran on 8,561 rows; mean PR AUC over categories, the candidate may lose at most 0.005: passed"
    ) in lines
    assert (
        "  moderators' newest labels, held out: ran on 50 decisions held out, 150 category judgements; "
        "agreement with the decisions, at least the active model's: passed"
    ) in lines
    assert "data: 15 dataset files from /d, 15 as the active model's card lists them; 0 --extra files" in lines
    assert lines[-2] == "published: because"
    assert lines[-1] == "to roll back: moderation model --model-dir /m rollback aaaaaaaaaaaa"
    lines = format_report(report(False, 0)).splitlines()
    assert "  moderators' newest labels: not run: 20 labels, fewer than 100 (50 held out and as many to train on)" in lines
    assert lines[-1] == "nothing published; the active model is still aaaaaaaaaaaa"
