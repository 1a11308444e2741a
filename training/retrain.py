"""Learn from the moderators' decisions: ``moderation retrain``.

1. take the recorded labels (moderator decisions, feedback) and hold out the
   newest slice of them (``--holdout``, default a fifth) for judging;
2. train a candidate on the datasets and ``--extra`` files plus the older
   labels (which all go to training: the fixed validation data stays the
   datasets' own, so candidates and models are compared on the same rows);
3. judge the candidate and the active model on the fixed validation data (mean
   PR AUC over categories, the ``moderation train`` gate) and on the held-out
   decisions (how often each model agrees with the moderators);
4. publish the candidate to the model directory, and make it active, only if
   it is not worse on both: validation within ``--tolerance`` of the active
   model, held-out agreement at least as high. Otherwise keep the active model.

Either way a report says what was compared and why. Exit codes: 0 published
(or ``--dry-run``), 3 kept the active model, 2 bad input.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier import artifact as artifact_mod
from classifier.artifact import ArtifactError
from classifier.assessor import Assessor
from classifier.registry import ModelRegistry
from classifier.rules import RuleSet
from classifier.types import CATEGORIES

from .datasets import Example, default_data_dir, load_dir, load_jsonl
from .splits import VALIDATION
from .train import Progress, build, gate_score, training_files

#: The source name of moderator labels (see ``splits``: all of them train, none validate).
SOURCE = "moderators"


@dataclass(frozen=True)
class Judgement:
    """How one model does on the fixed validation data and on the held-out decisions."""

    validation: float | None
    agreement: float | None
    auc: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "validation_pr_auc": None if self.validation is None else round(self.validation, 4),
            "decision_agreement": None if self.agreement is None else round(self.agreement, 4),
            "decision_roc_auc": {c: round(v, 4) for c, v in self.auc.items()},
        }


def label_examples(rows: Iterable[dict]) -> list[tuple[float, Example]]:
    """Return (decided_at, example) for each usable label row (text and at least one known category)."""
    out = []
    for row in rows:
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        labels = {c: row.get(c) if row.get(c) in (0, 1) else None for c in CATEGORIES}
        if all(v is None for v in labels.values()):
            continue
        site = str(row.get("source") or "site")
        at = row.get("decided_at")
        out.append(
            (float(at) if isinstance(at, int | float) else 0.0, Example(text, labels, SOURCE, f"{SOURCE}/{site}", key=text))
        )
    out.sort(key=lambda pair: pair[0])
    return out


def hold_out(labelled: list[tuple[float, Example]], share: float, minimum: int = 5) -> tuple[list[Example], list[Example]]:
    """Split labels into (train, held out): the newest ``share`` are held out, if that is at least ``minimum`` rows."""
    count = round(len(labelled) * share)
    if count < minimum:
        return [e for _, e in labelled], []
    return [e for _, e in labelled[:-count]], [e for _, e in labelled[-count:]]


def judge(assessor: Assessor, validation: list[Example], held_out: list[Example]) -> Judgement:
    """Score a model on the fixed validation rows and on the held-out decisions."""
    value = gate_score(assessor, validation) if validation else None
    if not held_out:
        return Judgement(value, None, {})
    results = assessor.assess_many([e.text for e in held_out])
    right, total, auc = 0, 0, {}
    for c in CATEGORIES:
        review = assessor.thresholds[c].review
        y, s = [], []
        for example, result in zip(held_out, results):
            label = example.labels.get(c)
            if label is None:
                continue
            score = result.scores[c]
            right += int((score >= review) == bool(label))
            total += 1
            y.append(label)
            s.append(score)
        if 0 < sum(y) < len(y):
            auc[c] = float(roc_auc_score(np.array(y), np.array(s)))
    return Judgement(value, right / total if total else None, auc)


def gate(candidate: Judgement, active: Judgement, tolerance: float) -> tuple[bool, str]:
    """Return (publish?, why)."""
    if (
        candidate.validation is not None
        and active.validation is not None
        and candidate.validation < active.validation - tolerance
    ):
        return False, (
            f"worse on the fixed validation data: PR AUC {candidate.validation:.4f} vs {active.validation:.4f} "
            f"(tolerance {tolerance:g})"
        )
    if candidate.agreement is not None and active.agreement is not None and candidate.agreement < active.agreement - 1e-9:
        return False, f"agrees less with the held-out decisions: {candidate.agreement:.4f} vs {active.agreement:.4f}"
    if candidate.agreement is None:
        return True, "not worse on the fixed validation data (too few decisions to hold any out)"
    return True, "not worse on the fixed validation data, and at least as close to the held-out decisions"


def _labels_file(rows: list[dict], directory: Path) -> dict:
    """Write the labels that train the candidate (for its card's SHA-256) and describe them."""
    path = directory / "moderator-labels.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    sites = sorted({str(r.get("source") or "site") for r in rows})
    return {
        "file": f"moderator labels ({len(rows)} rows)",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "dataset": "moderator-labels",
        "citation": f"moderator decisions and feedback of: {', '.join(sites) or '-'}",
        "licence": "site data",
        "categories": list(CATEGORIES),
    }


def retrain(
    labels: list[dict],
    registry: ModelRegistry,
    *,
    data_dir: Path | None,
    extra: list[Path] = (),
    rules_dir: Path | None = None,
    holdout: float = 0.2,
    tolerance: float = 0.005,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> dict:
    """Train, judge and (maybe) publish a candidate; return the report."""
    progress = progress or Progress(quiet=True)
    examples: list[Example] = []
    if data_dir is not None:
        progress(f"loading datasets from {data_dir}")
        examples.extend(load_dir(data_dir))
    for path in extra:
        examples.extend(load_jsonl(path))
    labelled = label_examples(labels)
    train_labels, held_out = hold_out(labelled, holdout)
    progress(f"{len(labelled)} moderator labels: {len(train_labels)} to train on, {len(held_out)} newest held out")
    if not examples and not train_labels:
        raise ValueError("no training data (datasets, --extra files or labels)")
    rules = RuleSet.load(rules_dir) if rules_dir else RuleSet.load()
    train_texts = {e.text for e in train_labels}
    used_rows = [r for r in labels if r.get("text") in train_texts]
    with tempfile.TemporaryDirectory() as tmp:
        files = [*training_files(data_dir, list(extra)), _labels_file(used_rows, Path(tmp))]
    candidate, assessor, parts = build([*examples, *train_labels], rules, files, progress)
    candidate.card["training"]["moderator_labels"] = {"train": len(train_labels), "held_out": len(held_out)}

    active_path = registry.active_path()
    try:
        active = Assessor(artifact_mod.load(active_path), rules)
    except ArtifactError as exc:
        raise ValueError(f"cannot load the active model {active_path}: {exc}") from None
    progress("judging the candidate and the active model")
    validation = parts[VALIDATION]
    mine, theirs = judge(assessor, validation, held_out), judge(active, validation, held_out)
    publish, why = gate(mine, theirs, tolerance)
    if force and not publish:
        publish, why = True, f"published with --force although {why}"
    report = {
        "candidate": {"version": candidate.version, **mine.to_dict()},
        "active": {"version": active.version, **theirs.to_dict()},
        "validation_rows": len(validation),
        "labels": {"train": len(train_labels), "held_out": len(held_out)},
        "tolerance": tolerance,
        "decision": "published" if publish and not dry_run else ("would publish" if publish else "kept the active model"),
        "why": why,
    }
    candidate.card["retrain"] = {k: v for k, v in report.items() if k != "decision"}
    if publish and not dry_run:
        registry.publish(candidate, report)
        progress(f"published {candidate.version}; it is now active")
    elif not publish:
        registry.record_refusal(candidate.version, report)
    return report


def format_report(report: dict) -> str:
    """Return the report as a short table."""

    def f(x):
        return "-" if x is None else f"{x:.4f}"

    c, a = report["candidate"], report["active"]
    lines = [
        f"{'':28s} {'candidate':>12s} {'active':>12s}",
        f"{'version':28s} {c['version']:>12s} {a['version']:>12s}",
        f"{'validation PR AUC':28s} {f(c['validation_pr_auc']):>12s} {f(a['validation_pr_auc']):>12s}",
        f"{'held-out decision agreement':28s} {f(c['decision_agreement']):>12s} {f(a['decision_agreement']):>12s}",
    ]
    for cat in CATEGORIES:
        if cat in c["decision_roc_auc"] or cat in a["decision_roc_auc"]:
            name = f"held-out ROC AUC {cat}"
            lines.append(f"{name:28s} {f(c['decision_roc_auc'].get(cat)):>12s} {f(a['decision_roc_auc'].get(cat)):>12s}")
    labels = report["labels"]
    lines.append(
        f"labels: {labels['train']} trained on, {labels['held_out']} newest held out; validation rows: {report['validation_rows']}"
    )
    lines.append(f"{report['decision']}: {report['why']}")
    return "\n".join(lines)


def run(
    labels: list[dict],
    registry: ModelRegistry,
    *,
    data_dir: Path | None = None,
    extra: Sequence[Path] = (),
    rules_dir: Path | None = None,
    holdout: float = 0.2,
    tolerance: float = 0.005,
    dry_run: bool = False,
    force: bool = False,
    report_path: Path | None = None,
    quiet: bool = False,
) -> int:
    """Run ``moderation retrain`` with the labels already read: print the report, return the exit code.

    ``data_dir`` None: the default datasets folder (../shared/datasets) when it exists. ``report_path``:
    also write the report there as JSON. Exit codes: 0 published (or would publish, ``dry_run``), 3 kept the
    active model, 2 bad input.
    """
    if data_dir is not None and not data_dir.is_dir():
        print(f"moderation retrain: {data_dir} is not a folder", file=sys.stderr)
        return 2
    try:
        report = retrain(
            labels,
            registry,
            data_dir=data_dir or default_data_dir(),
            extra=list(extra),
            rules_dir=rules_dir,
            holdout=holdout,
            tolerance=tolerance,
            dry_run=dry_run,
            force=force,
            progress=Progress(quiet),
        )
    except (OSError, ValueError) as exc:
        print(f"moderation retrain: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    if report_path is not None:
        Path(report_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["decision"] in ("published", "would publish") else 3
