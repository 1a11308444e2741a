"""Learn from the moderators' decisions: ``moderation retrain``.

It refuses rather than guesses:

0. before anything is trained, the data is checked against the active model's
   card, which lists the dataset files that trained it. No datasets folder (no
   ``--data`` and no ``../shared/datasets``), or one that lacks a dataset the
   active model was trained on: refused, naming what is missing and ``--data``.
   A folder that holds no dataset at all means training on the ``--extra`` files
   and the labels alone: refused unless ``--no-datasets`` says so, and that is
   refused in turn when the active model was trained on datasets (a candidate
   without them would be judged only on the ``--extra`` files' validation rows,
   where it has the advantage). To replace such a model on purpose, train a
   file with ``moderation train`` and publish it with ``moderation model publish``;
1. take the recorded labels (moderator decisions, feedback) and, once there
   are at least ``2 * MIN_HELD_OUT`` of them, hold out the newest slice for
   judging: ``--holdout`` of them (default a fifth), never fewer than
   ``MIN_HELD_OUT``. With fewer labels all of them train and the output says
   that the comparison on the moderators' labels did not run;
2. train a candidate on the datasets and ``--extra`` files plus the older
   labels (which all go to training: the fixed validation data stays the
   datasets' own, so candidates and models are compared on the same rows);
3. judge the candidate and the active model on the fixed validation data (mean
   PR AUC over categories, the ``moderation train`` gate) and on the held-out
   decisions (how often each model agrees with the moderators);
4. publish the candidate to the model directory, and make it active, only if
   it was judged on at least ``MIN_VALIDATION_ROWS`` fixed validation rows and
   is not worse: validation within ``--tolerance`` of the active model, and,
   when labels were held out, agreement at least as high. A candidate that
   could not be judged (too few validation rows: never "not worse" on nothing)
   is never published, not even with ``--force``; ``--force`` only overrides a
   comparison that ran and went against the candidate.

Either way a report says which comparisons ran, on how many rows, and why; a
published candidate's report ends with the exact command that rolls it back.
Exit codes: 0 published (or would be, ``--dry-run``), 2 refused before
training (bad or missing input: nothing trained, nothing published), 3 trained
and judged but not published (worse, or could not be judged).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from sklearn.metrics import roc_auc_score

from moderation.classifier import artifact as artifact_mod
from moderation.classifier.artifact import ArtifactError
from moderation.classifier.assessor import Assessor
from moderation.classifier.registry import ModelRegistry
from moderation.classifier.rules import RuleSet
from moderation.classifier.types import CATEGORIES

from .datasets import DATASETS, Example, dataset_files, default_data_dir, load_dir, load_jsonl
from .splits import VALIDATION, label_matrix
from .train import Progress, build, gate_score, training_files

#: The source name of moderator labels (see ``splits``: all of them train, none validate).
SOURCE = "moderators"

#: The fewest of the moderators' newest labels a candidate is judged on. Agreement is counted per decision and
#: category; at an agreement near 0.8, 50 decisions give it a standard error of about 0.05 and one decision moves it
#: by about 2 points (the earlier minimum of 5 moved it by 20: a coin toss). The comparison runs once there are
#: twice as many labels, so that the candidate learns from at least as many as it is judged on; below that every
#: label trains and only the fixed validation data judges.
MIN_HELD_OUT = 50

#: The fewest fixed validation rows (with both labels of at least one category) a candidate may be judged on; a
#: candidate judged on fewer is not published, whatever the flags.
MIN_VALIDATION_ROWS = 50

#: The dataset names a model card can list (the shared datasets folder's), as opposed to --extra files and labels.
DATASET_NAMES = {info.name for info in DATASETS.values()}


class Refused(ValueError):
    """Retraining would have to guess: what is missing and how to give it, in one line."""


@dataclass(frozen=True)
class Judgement:
    """How one model does on the fixed validation data and on the held-out decisions."""

    validation: float | None
    agreement: float | None
    auc: dict[str, float]
    judgements: int = 0  # (held-out decision, known category) pairs the agreement counts

    def to_dict(self) -> dict:
        return {
            "validation_pr_auc": None if self.validation is None else round(self.validation, 4),
            "decision_agreement": None if self.agreement is None else round(self.agreement, 4),
            "decision_roc_auc": {c: round(v, 4) for c, v in self.auc.items()},
        }


class Decision(NamedTuple):
    """What the gate says: publish or not, whether the candidate could be judged at all, and why."""

    publish: bool
    judged: bool
    why: str


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


def hold_out(
    labelled: list[tuple[float, Example]], share: float, minimum: int = MIN_HELD_OUT
) -> tuple[list[Example], list[Example]]:
    """Split labels into (train, held out): the newest ``share`` of them, never fewer than ``minimum``, once there
    are at least ``2 * minimum`` labels; with fewer, every label trains and none is held out."""
    if len(labelled) < 2 * minimum:
        return [e for _, e in labelled], []
    count = min(max(round(len(labelled) * share), minimum), len(labelled) - 1)
    return [e for _, e in labelled[:-count]], [e for _, e in labelled[-count:]]


def comparable(examples: list[Example]) -> bool:
    """Tell whether the rows can rank models: at least one category with both labels among them."""
    if not examples:
        return False
    Y = label_matrix(examples)
    return any(0 < int((Y[:, k] == 1).sum()) < int((Y[:, k] >= 0).sum()) for k in range(len(CATEGORIES)))


def judge(assessor: Assessor, validation: list[Example], held_out: list[Example]) -> Judgement:
    """Score a model on the fixed validation rows and on the held-out decisions."""
    value = gate_score(assessor, validation) if comparable(validation) else None
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
    return Judgement(value, right / total if total else None, auc, total)


def gate(
    candidate: Judgement,
    active: Judgement,
    tolerance: float,
    validation_rows: int,
    held_out_rows: int,
    force: bool = False,
) -> Decision:
    """Decide whether to publish the candidate.

    It must have been judged on at least ``MIN_VALIDATION_ROWS`` fixed validation rows that can rank models, and
    not be worse there (``tolerance``); when at least ``MIN_HELD_OUT`` decisions were held out it must agree with
    them at least as often as the active model. ``force`` publishes a candidate that lost a comparison, never one
    that could not be judged.
    """
    rows = f"{validation_rows:,} rows"
    if validation_rows < MIN_VALIDATION_ROWS or candidate.validation is None or active.validation is None:
        why = (
            f"not judged: the fixed validation data has {rows}, and a candidate is judged on at least "
            f"{MIN_VALIDATION_ROWS} with both labels of a category, never published on fewer"
        )
        if force:
            why += " (--force does not change that)"
        return Decision(False, False, why)
    lost = None
    if candidate.validation < active.validation - tolerance:
        lost = (
            f"worse on the fixed validation data ({rows}): PR AUC {candidate.validation:.4f} vs {active.validation:.4f} "
            f"(tolerance {tolerance:g})"
        )
    elif held_out_rows >= MIN_HELD_OUT:
        if candidate.agreement is None or active.agreement is None:
            return Decision(False, False, f"not judged: none of the {held_out_rows} held-out decisions has a known label")
        if candidate.agreement < active.agreement - 1e-9:
            lost = (
                f"agrees less with the {held_out_rows} held-out decisions: "
                f"{candidate.agreement:.4f} vs {active.agreement:.4f}"
            )
    if lost is not None:
        return Decision(True, True, f"published with --force although {lost}") if force else Decision(False, True, lost)
    if held_out_rows >= MIN_HELD_OUT:
        return Decision(
            True,
            True,
            f"not worse on the fixed validation data ({rows}), and at least as close to the moderators' "
            f"{held_out_rows} newest decisions (held out)",
        )
    return Decision(
        True,
        True,
        f"not worse on the fixed validation data ({rows}); the moderators' labels were not compared "
        f"(fewer than {2 * MIN_HELD_OUT})",
    )


def trained_on(card: dict) -> dict[str, list[dict]]:
    """Return the datasets a model card lists, each with its files (``--extra`` files and labels left out)."""
    out: dict[str, list[dict]] = {}
    for entry in card.get("training", {}).get("files", []):
        if entry.get("dataset") in DATASET_NAMES:
            out.setdefault(entry["dataset"], []).append(entry)
    return out


def check_data(card: dict, data_dir: Path | None, *, no_datasets: bool = False, extra: Sequence[Path] = ()) -> None:
    """Raise ``Refused`` unless the data can train a candidate comparable with the active model (``card``).

    ``data_dir`` None: no datasets folder was given or found.
    """
    version = card.get("version", "?")
    needed = trained_on(card)
    names = ", ".join(needed)
    give = "give --data DIR, the folder that holds them"
    if no_datasets:
        if needed:
            raise Refused(
                f"--no-datasets, but the active model {version} was trained on {names}, and a candidate without them "
                f"would be judged only on the --extra files' validation rows; {give} (to replace it regardless: "
                "moderation train, then moderation model publish)"
            )
        if not extra:
            raise Refused(
                "--no-datasets and no --extra file: nothing to validate on (moderators' labels never enter the "
                "fixed validation data); give --extra FILE or --data DIR"
            )
        return
    if data_dir is None:
        if needed:
            raise Refused(
                f"no datasets folder (no --data, and no ../shared/datasets next to the project or the current "
                f"folder); the active model {version} was trained on {names}: {give}"
            )
        raise Refused(
            "no datasets folder (no --data, and no ../shared/datasets next to the project or the current folder): "
            "give --data DIR, or --no-datasets to train on the --extra files and the labels alone"
        )
    present = {str(path.relative_to(data_dir)) for _, path in dataset_files(data_dir)}
    missing = []
    for name, files in needed.items():
        absent = [f["file"] for f in files if f["file"] not in present]
        if len(absent) == len(files):
            missing.append(name)
        elif absent:
            missing.append(f"{name} ({', '.join(absent)})")
    if missing:
        raise Refused(f"{data_dir} lacks datasets the active model {version} was trained on: {', '.join(missing)}; {give}")
    if not present:
        raise Refused(
            f"{data_dir} holds none of the datasets (see ../shared/datasets/README.md): give --data DIR, or "
            "--no-datasets to train on the --extra files and the labels alone"
        )


def compare_files(card: dict, files: list[dict]) -> dict:
    """Compare the dataset files that train the candidate with those the active model's card lists."""
    listed = {f["file"]: f.get("sha256") for entries in trained_on(card).values() for f in entries}
    used = [f for f in files if f.get("dataset") in DATASET_NAMES]
    return {
        "dataset_files": len(used),
        "as_active": sum(listed.get(f["file"]) == f["sha256"] for f in used),
        "changed": [f["file"] for f in used if f["file"] in listed and listed[f["file"]] != f["sha256"]],
        "new": [f["file"] for f in used if f["file"] not in listed],
    }


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


def rollback_command_for(registry: ModelRegistry) -> Callable[[str], str]:
    """Return a function giving the command that makes ``version`` active again in this model directory."""
    root = str(Path(registry.root).resolve())
    return lambda version: shlex.join(["moderation", "model", "--model-dir", root, "rollback", version])


def retrain(
    labels: list[dict],
    registry: ModelRegistry,
    *,
    data_dir: Path | None,
    extra: Sequence[Path] = (),
    no_datasets: bool = False,
    rules_dir: Path | None = None,
    holdout: float = 0.2,
    tolerance: float = 0.005,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    rollback_command: Callable[[str], str] | None = None,
) -> dict:
    """Check the data, train, judge and (maybe) publish a candidate; return the report.

    ``data_dir`` None: there is no datasets folder. Raises ``Refused`` (nothing trained) when the data cannot make a
    candidate comparable with the active model (see ``check_data``).
    """
    progress = progress or Progress(quiet=True)
    extra = list(extra)
    active_path = registry.active_path()
    try:
        active_card = artifact_mod.read_card(active_path)
    except ArtifactError as exc:
        raise ValueError(f"cannot load the active model {active_path}: {exc}") from None
    if no_datasets:
        data_dir = None
    check_data(active_card, data_dir, no_datasets=no_datasets, extra=extra)

    examples: list[Example] = []
    if data_dir is not None:
        progress(f"loading datasets from {data_dir}")
        examples.extend(load_dir(data_dir))
    for path in extra:
        examples.extend(load_jsonl(path))
    if not examples:
        raise Refused(
            "the datasets and --extra files hold no rows: nothing to validate on (moderators' labels never enter "
            "the fixed validation data)"
        )
    labelled = label_examples(labels)
    train_labels, held_out = hold_out(labelled, holdout)
    progress(f"{len(labelled)} moderator labels: {len(train_labels)} to train on, {len(held_out)} newest held out")
    rules = RuleSet.load(rules_dir) if rules_dir else RuleSet.load()
    train_texts = {e.text for e in train_labels}
    used_rows = [r for r in labels if r.get("text") in train_texts]
    with tempfile.TemporaryDirectory() as tmp:
        files = [*training_files(data_dir, extra), _labels_file(used_rows, Path(tmp))]
    candidate, assessor, parts = build([*examples, *train_labels], rules, files, progress)
    candidate.card["training"]["moderator_labels"] = {"train": len(train_labels), "held_out": len(held_out)}

    try:
        active = Assessor(artifact_mod.load(active_path), rules)
    except ArtifactError as exc:
        raise ValueError(f"cannot load the active model {active_path}: {exc}") from None
    progress("judging the candidate and the active model")
    validation = parts[VALIDATION]
    mine, theirs = judge(assessor, validation, held_out), judge(active, validation, held_out)
    decision = gate(mine, theirs, tolerance, len(validation), len(held_out), force)
    validation_ran = len(validation) >= MIN_VALIDATION_ROWS and mine.validation is not None and theirs.validation is not None
    held_ran = len(held_out) >= MIN_HELD_OUT and mine.agreement is not None and theirs.agreement is not None
    comparisons = [
        {
            "on": "fixed validation data",
            "rows": len(validation),
            "metric": "mean PR AUC over categories",
            "rule": f"the candidate may lose at most {tolerance:g}",
            "ran": validation_ran,
            "passed": bool(mine.validation >= theirs.validation - tolerance) if validation_ran else None,
        },
        {
            "on": "moderators' newest labels, held out",
            "rows": len(held_out),
            "judgements": mine.judgements,
            "metric": "agreement with the decisions",
            "rule": "at least the active model's",
            "ran": held_ran,
            "passed": bool(mine.agreement >= theirs.agreement - 1e-9) if held_ran else None,
        },
    ]
    publish = decision.publish
    report = {
        "candidate": {"version": candidate.version, **mine.to_dict()},
        "active": {"version": active.version, **theirs.to_dict()},
        "validation_rows": len(validation),
        "labels": {
            "usable": len(labelled),
            "train": len(train_labels),
            "held_out": len(held_out),
            "min_held_out": MIN_HELD_OUT,
        },
        "comparisons": comparisons,
        "data": {
            "folder": None if data_dir is None else str(data_dir),
            "extra_files": len(extra),
            **compare_files(active_card, files),
        },
        "tolerance": tolerance,
        "decision": "published" if publish and not dry_run else ("would publish" if publish else "kept the active model"),
        "why": decision.why,
        "rollback": None,
    }
    candidate.card["retrain"] = {k: v for k, v in report.items() if k not in ("decision", "rollback")}
    if publish and not dry_run:
        registry.publish(candidate, report)
        report["rollback"] = (rollback_command or rollback_command_for(registry))(active.version)
        progress(f"published {candidate.version}; it is now active")
    elif not publish:
        registry.record_refusal(candidate.version, report)
    return report


def format_report(report: dict) -> str:
    """Return the report as a short table, the comparisons that ran, the decision and, if published, how to undo it."""

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
    data, labels = report["data"], report["labels"]
    if data["folder"] is None:
        datasets = "no datasets (--no-datasets)"
    else:
        datasets = (
            f"{data['dataset_files']} dataset files from {data['folder']}, "
            f"{data['as_active']} as the active model's card lists them"
        )
        if data["changed"]:
            datasets += f"; changed since: {', '.join(data['changed'])}"
        if data["new"]:
            datasets += f"; new: {', '.join(data['new'])}"
    lines.append(f"data: {datasets}; {data['extra_files']} --extra files")
    lines.append(
        f"labels: {labels['usable']} usable, {labels['train']} trained on, {labels['held_out']} newest held out "
        f"(at least {labels['min_held_out']}, once there are {2 * labels['min_held_out']})"
    )
    lines.append("comparisons:")
    for comparison in report["comparisons"]:
        if comparison["on"] == "fixed validation data":
            size = f"{comparison['rows']:,} rows"
            if not comparison["ran"]:
                lines.append(
                    f"  fixed validation data: not run: {size}; it needs at least {MIN_VALIDATION_ROWS}, "
                    "with both labels of a category"
                )
                continue
        else:
            if not comparison["ran"]:
                lines.append(
                    f"  moderators' newest labels: not run: {labels['usable']} labels, fewer than "
                    f"{2 * labels['min_held_out']} ({labels['min_held_out']} held out and as many to train on)"
                )
                continue
            size = f"{comparison['rows']} decisions held out, {comparison['judgements']} category judgements"
        outcome = "passed" if comparison["passed"] else "failed"
        lines.append(f"  {comparison['on']}: ran on {size}; {comparison['metric']}, {comparison['rule']}: {outcome}")
    lines.append(f"{report['decision']}: {report['why']}")
    if report["rollback"]:
        lines.append(f"to roll back: {report['rollback']}")
    elif report["decision"] == "would publish":
        lines.append("nothing published (--dry-run)")
    else:
        lines.append(f"nothing published; the active model is still {a['version']}")
    return "\n".join(lines)


def run(
    labels: list[dict],
    registry: ModelRegistry,
    *,
    data_dir: Path | None = None,
    extra: Sequence[Path] = (),
    no_datasets: bool = False,
    rules_dir: Path | None = None,
    holdout: float = 0.2,
    tolerance: float = 0.005,
    dry_run: bool = False,
    force: bool = False,
    report_path: Path | None = None,
    quiet: bool = False,
    rollback_command: Callable[[str], str] | None = None,
) -> int:
    """Run ``moderation retrain`` with the labels already read: print the report, return the exit code.

    ``data_dir`` None: the default datasets folder (../shared/datasets) when it exists, else none (refused unless
    ``no_datasets``). ``report_path``: also write the report there as JSON. ``rollback_command``: the command line
    that makes a version active again (default: ``moderation model --model-dir <registry> rollback VERSION``).
    Exit codes: 0 published (or would publish, ``dry_run``), 2 refused before training (bad or missing input), 3
    kept the active model (worse, or could not be judged).
    """
    if data_dir is not None and no_datasets:
        print("moderation retrain: refused: --data and --no-datasets contradict each other; give one", file=sys.stderr)
        return 2
    if data_dir is not None and not data_dir.is_dir():
        print(f"moderation retrain: refused: --data {data_dir} is not a folder", file=sys.stderr)
        return 2
    try:
        report = retrain(
            labels,
            registry,
            data_dir=None if no_datasets else (data_dir or default_data_dir()),
            extra=list(extra),
            no_datasets=no_datasets,
            rules_dir=rules_dir,
            holdout=holdout,
            tolerance=tolerance,
            dry_run=dry_run,
            force=force,
            progress=Progress(quiet),
            rollback_command=rollback_command,
        )
    except Refused as exc:
        print(f"moderation retrain: refused: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"moderation retrain: {exc}", file=sys.stderr)
        return 2
    print(format_report(report))
    if report_path is not None:
        Path(report_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["decision"] in ("published", "would publish") else 3
