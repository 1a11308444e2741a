"""Train, evaluate, gate and save a model: ``moderation train``.

    moderation train [--data DIR] [--extra FILE.jsonl ...] --out PATH [--force]

1. load every known dataset under DIR (default ``../shared/datasets``) and the
   extra JSON Lines files (moderator decisions);
2. split by source (whole videos and files held out, rows by text hash);
3. fit the pipeline on the training split with per-source balanced weights;
4. calibrate probabilities and choose thresholds on the validation split
   (``training/thresholds.py``: precision per category, then the operating
   point for news comments);
5. evaluate on validation and test through the facade;
6. refuse to replace an existing model at PATH that does better on the same
   validation data, unless ``--force``;
7. write one artifact (pipeline + model card).

Everything is deterministic: no random split, fixed solver seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.metrics import average_precision_score

from moderation.classifier import artifact as artifact_mod
from moderation.classifier.artifact import VERSION_SCHEME, Artifact, ArtifactError, model_version
from moderation.classifier.assessor import Assessor
from moderation.classifier.encoder import SecondStage
from moderation.classifier.model import build_pipeline
from moderation.classifier.rules import RuleSet
from moderation.classifier.types import CATEGORIES

from . import metrics as ev
from . import second_stage
from . import thresholds as th
from .datasets import DATASETS, FILES, Example, dataset_files, default_data_dir, load_dir, load_jsonl, sha256_file
from .splits import (
    C3_EVALUATION,
    C3_THRESHOLDS,
    TEST,
    TRAIN,
    VALIDATION,
    describe,
    evaluation_weights,
    healthy_news,
    label_matrix,
    news_traffic,
    offensive_labels,
    split,
    toxic_news,
    training_weights,
)

#: Hyperparameters of the shipped model, chosen on the validation split.
PARAMS = {
    "C": (1.0, 1.0, 1.0),
    "char_ngrams": (2, 5),
    "word_ngrams": (1, 2),
    "min_df": 2,
    "max_features": 150_000,
    "balance": 0.5,
    # the second stage (classifier/encoder.py): fitted unless False; its mode when MODERATION_ENCODER is unset
    "encoder": True,
    "encoder_C": 1.0,
    "encoder_default": "uncertain",
}


class Fitted(NamedTuple):
    """What ``fit`` returns."""

    pipeline: object
    parts: dict[str, list[Example]]
    thresholds: dict[str, dict[str, float]]
    second_stage: SecondStage | None
    second_stage_report: dict | None


class Progress:
    """Print timed steps to stderr."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:7.1f}s] {message}", file=sys.stderr, flush=True)


def gate_score(assessor: Assessor, examples: list[Example]) -> float:
    """Return the gate metric: mean over categories of validation PR AUC (sources weighted equally)."""
    scored = ev.score_examples(assessor, examples)
    Y, W = label_matrix(examples), evaluation_weights(examples)
    values = []
    for k in range(len(CATEGORIES)):
        rows = Y[:, k] >= 0
        if 0 < Y[rows, k].sum() < rows.sum():
            values.append(average_precision_score(Y[rows, k], scored.scores[rows, k], sample_weight=W[rows, k]))
    return float(np.mean(values)) if values else 0.0


def training_files(data_dir: Path | None, extras: list[Path]) -> list[dict]:
    """Describe every file that trained the model, for the card."""
    files = []
    if data_dir is not None:
        keys = {rel: key for rel, (key, _) in FILES.items()}
        for rel, path in dataset_files(data_dir):
            info = DATASETS[keys[rel]]
            files.append(
                {
                    "file": str(path.relative_to(data_dir)),
                    "sha256": sha256_file(path),
                    "dataset": info.name,
                    "citation": info.citation,
                    "licence": info.licence,
                    "categories": list(info.covers),
                }
            )
    for path in extras:
        files.append(
            {
                "file": str(path),
                "sha256": sha256_file(path),
                "dataset": "extra",
                "citation": "moderator decisions",
                "licence": "site data",
                "categories": list(CATEGORIES),
            }
        )
    return files


def _mean_one(W: np.ndarray) -> np.ndarray:
    """Scale weights to a mean of 1 over the weighted rows."""
    return W / W[W > 0].mean() if (W > 0).any() else W


def fit(examples: list[Example], rules: RuleSet, params: dict, progress: Progress) -> Fitted:
    """Fit and calibrate a pipeline and, if ``params["encoder"]``, the second stage on top of it."""
    parts = split(examples)
    progress(f"split: {', '.join(f'{k} {len(v)}' for k, v in parts.items())}")
    pipeline = build_pipeline(
        rules,
        C=params["C"],
        char_ngrams=params["char_ngrams"],
        word_ngrams=params["word_ngrams"],
        min_df=params["min_df"],
        max_features=params["max_features"],
    )
    normalize, features, model = (pipeline.named_steps[n] for n in ("normalize", "features", "model"))
    train, valid = parts[TRAIN], parts[VALIDATION]
    progress(f"normalising and matching rules on {len(train) + len(valid)} comments")
    norm_train = normalize.fit([e.text for e in train]).transform([e.text for e in train])
    norm_valid = normalize.transform([e.text for e in valid])
    hits_train = [rules.match(n) for n in norm_train]
    hits_valid = [rules.match(n) for n in norm_valid]
    progress("fitting the n-gram vocabulary")
    features.fit(norm_train)
    X_train = features.transform(norm_train, hits_train)
    X_valid = features.transform(norm_valid, hits_valid)
    progress(f"fitting {len(CATEGORIES)} logistic regressions on {X_train.shape[0]} x {X_train.shape[1]}")
    Y_train = label_matrix(train)
    offensive = offensive_labels(train)
    model.fit(
        X_train,
        Y_train,
        training_weights(train, balance=params["balance"]),
        shared=offensive,
        shared_weight=training_weights(train, balance=params["balance"], Y=offensive)[:, 0],
    )
    progress("calibrating on the validation split")
    Y_valid = label_matrix(valid)
    W_valid = _mean_one(evaluation_weights(valid))
    model.calibrate(model.decision_function(X_valid), Y_valid, W_valid)
    # Thresholds are chosen on the validation split and on C3's threshold half (never fitted on: see splits.C3_SPLITS).
    c3 = parts.get(C3_THRESHOLDS, [])
    norm_c3 = normalize.transform([e.text for e in c3])
    hits_c3 = [rules.match(n) for n in norm_c3]
    X_c3 = features.transform(norm_c3, hits_c3) if c3 else X_valid[:0]
    chosen_on = valid + c3
    Y_sel, W_sel = label_matrix(chosen_on), _mean_one(evaluation_weights(chosen_on))
    logits_sel = np.vstack([model.decision_function(X_valid), model.decision_function(X_c3)])
    probabilities = np.vstack([model.predict_proba(X_valid), model.predict_proba(X_c3)])
    healthy, toxic = healthy_news(chosen_on), toxic_news(chosen_on)
    levels = th.rule_levels(hits_valid + hits_c3)
    thresholds = (
        th.choose(probabilities, Y_sel, W_sel, healthy, toxic, levels)
        if len(valid)
        else {c: dict(th.FALLBACK) for c in CATEGORIES}
    )
    stage = report = None
    if params.get("encoder", True) and len(valid):
        progress("fitting the second stage (sentence encoder heads)")
        stage, report = second_stage.fit(
            [n.text for n in norm_train],
            [n.text for n in norm_valid] + [n.text for n in norm_c3],
            Y_train,
            training_weights(train, balance=params["balance"]),
            Y_sel,
            W_sel,
            probabilities,
            logits_sel,
            levels,
            healthy,
            toxic,
            news_traffic(chosen_on),
            C=params.get("encoder_C", 1.0),
            row_weight=np.array([e.weight for e in chosen_on]),
            progress=progress,
            fit_rows=len(valid),
            W_fit=W_valid,
            encoder_dir=params.get("encoder_dir"),
        )
        stage.default_mode = params.get("encoder_default", "uncertain")
    return Fitted(pipeline, parts, thresholds, stage, report)


def build(
    examples: list[Example], rules: RuleSet, files: list[dict], progress: Progress, params: dict | None = None
) -> tuple[Artifact, Assessor, dict[str, list[Example]]]:
    """Fit, calibrate and evaluate a candidate; return (artifact with its card, facade, splits).

    ``files`` describes the training files for the card (see ``training_files``).
    """
    params = dict(params or PARAMS)
    pipeline, parts, thresholds, stage, stage_report = fit(examples, rules, params, progress)
    card = {
        "name": "comment-moderation",
        "version_scheme": VERSION_SCHEME,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "categories": list(CATEGORIES),
        "thresholds": thresholds,
        "threshold_policy": {
            "precision": th.PRECISION_POLICY,
            "healthy_budget": th.HEALTHY_BUDGET,
            "min_review_precision": th.MIN_REVIEW_PRECISION,
        },
        "training": {
            "files": files,
            "splits": describe(parts),
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "rules_fingerprint": rules.fingerprint,
            "features": pipeline.named_steps["features"].n_tfidf,
            "second_stage": stage_report,
            "shared_offensive_weight": dict(zip(CATEGORIES, np.round(pipeline.named_steps["model"].shared_beta_, 4).tolist())),
        },
    }
    if stage is not None:
        card["second_stage"] = stage.to_card()
    card["version"] = model_version(pipeline, card)
    candidate = Artifact(pipeline, card)
    assessor = Assessor(candidate, rules)
    # Judge the model as it serves by default: the encoder mode's own thresholds.
    thresholds = {c: t.to_dict() for c, t in assessor.thresholds.items()}
    progress(f"evaluating on the validation and test splits (encoder {assessor.encoder_mode})")
    metrics = {}
    for name in (VALIDATION, TEST):
        if parts[name]:
            scored = ev.score_examples(assessor, parts[name])
            metrics[name] = ev.metrics_by_group(scored, thresholds)
            card.setdefault("evidence", {})[name] = ev.evidence_f1(scored)
            card.setdefault("news_comments", {})[name] = ev.news_rates(scored, thresholds)
            if name == TEST:
                c3 = ev.score_examples(assessor, parts[C3_EVALUATION]) if parts.get(C3_EVALUATION) else None
                card["c3_evaluation"] = ev.c3_metrics(c3) if c3 is not None else None
                card["targets"] = ev.check_targets(ev.target_values(scored, c3))
    card["metrics"] = metrics
    card["gate"] = {
        "metric": "mean validation PR AUC over categories",
        "value": round(gate_score(assessor, parts[VALIDATION]), 4) if parts[VALIDATION] else None,
    }
    return candidate, assessor, parts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse ``moderation train`` arguments."""
    parser = argparse.ArgumentParser(prog="moderation train", description="Train a model from the datasets and moderator labels.")
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets when it exists)")
    parser.add_argument(
        "--extra", type=Path, action="append", default=[], help="JSON Lines file of labelled comments (repeatable)"
    )
    parser.add_argument("--out", type=Path, required=True, help="where to write the model file")
    parser.add_argument("--rules", type=Path, help="rule lists folder (default: the package's)")
    parser.add_argument("--force", action="store_true", help="replace --out even if the existing model does better")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``moderation train``; returns the exit code."""
    args = parse_args(argv)
    progress = Progress(args.quiet)
    data_dir = args.data or default_data_dir()
    if args.data is not None and not args.data.is_dir():
        print(f"moderation train: {args.data} is not a folder", file=sys.stderr)
        return 2
    examples: list[Example] = []
    if data_dir is not None:
        progress(f"loading datasets from {data_dir}")
        examples.extend(load_dir(data_dir))
    for path in args.extra:
        try:
            examples.extend(load_jsonl(path))
        except (OSError, ValueError) as exc:
            print(f"moderation train: {exc}", file=sys.stderr)
            return 2
    if not examples:
        print("moderation train: no training data (give --data or --extra)", file=sys.stderr)
        return 2
    progress(f"{len(examples)} labelled comments")
    rules = RuleSet.load(args.rules) if args.rules else RuleSet.load()
    try:
        candidate, _, parts = build(examples, rules, training_files(data_dir, args.extra), progress)
    except ValueError as exc:
        print(f"moderation train: {exc}", file=sys.stderr)
        return 2
    card, metrics = candidate.card, candidate.card["metrics"]
    version = candidate.version

    if args.out.exists() and not args.force:
        try:
            current = Assessor(artifact_mod.load(args.out), rules)
        except ArtifactError as exc:
            print(
                f"moderation train: cannot compare with the existing {args.out} ({exc}); use --force to replace it",
                file=sys.stderr,
            )
            return 3
        mine, theirs = card["gate"]["value"] or 0.0, gate_score(current, parts[VALIDATION])
        progress(f"gate: candidate {mine:.4f} vs existing {theirs:.4f} ({card['gate']['metric']})")
        if mine < theirs - 1e-9:
            print(
                f"moderation train: the candidate ({mine:.4f}) does worse than the existing model at {args.out} "
                f"({theirs:.4f}) on the same validation data; not replaced (use --force to replace it)",
                file=sys.stderr,
            )
            return 3
    candidate.save(args.out)
    progress(f"wrote {args.out} (version {version}, {args.out.stat().st_size / 1e6:.1f} MB)")
    if not args.quiet:
        for name, table in metrics.items():
            print(ev.format_metrics(name, table), file=sys.stderr)
        if "targets" in card:
            print(ev.format_targets(card["targets"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
