"""Judge models on C3's evaluation half: Globe and Mail comments that no model here ever trained or chose a threshold on.

    .venv/bin/python -m benchmarks.c3 [--model PATH] [--against PATH --against-encoder DIR] [--sample N] [--no-write]

C3 (``training/datasets.load_c3``) may judge designs but not fit them (its licence note): its articles are split in
halves (``training/splits.py``), one to choose thresholds, this one to judge. For each model and encoder mode, and
for ``alt-profanity-check`` (the ``bench`` extra):

* ROC AUC of ``attack`` against the raters' personal-attack votes (two or more of about five: 1; none: 0; one: left
  out), of ``abuse`` and of max(abuse, attack) against their "abusive" votes (C3's raters called insults abusive as
  often as obscenity: our two categories together are what their word means, see docs/MODEL.md), and of
  max(abuse, attack) against the crowd's toxicity level (2 or more of 4 against 1, "not toxic" from every rater);
* with each tool's own decision: the share of healthy comments (level 1) rejected and held, and of toxic ones
  (level 2 or more) flagged.

``--against`` is the previous model (v2: ``git show <commit>:classifier/models/default.model``) with its own
encoder folder (``--against-encoder``), so that both are judged the same way. ``--sample N`` judges N comments
spread over the half instead of all (a smoke run). Written to its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks import harness


def rows_of(examples, scores_attack, scores_abuse, flagged, rejected) -> dict:
    from moderation.classifier.types import CATEGORIES
    from moderation.training.splits import healthy_news, label_matrix, toxic_news

    Y = label_matrix(examples)
    out = {}
    for name, k, s in (("attack", CATEGORIES.index("attack"), scores_attack), ("abuse", CATEGORIES.index("abuse"), scores_abuse)):
        known = Y[:, k] >= 0
        out[name] = roc_auc_score(Y[known, k], s[known])
    known = Y[:, CATEGORIES.index("abuse")] >= 0
    out["abusive (max)"] = roc_auc_score(Y[known, CATEGORIES.index("abuse")], np.maximum(scores_attack, scores_abuse)[known])
    healthy, toxic = healthy_news(examples), toxic_news(examples)
    both = healthy | toxic
    out["toxicity"] = roc_auc_score(toxic[both].astype(int), np.maximum(scores_attack, scores_abuse)[both])
    out["healthy rejected"] = float(np.mean(rejected[healthy]))
    out["healthy flagged"] = float(np.mean(flagged[healthy]))
    out["toxic flagged"] = float(np.mean(flagged[toxic]))
    return out


def ours(path: Path | None, mode: str, encoder_dir: str | None, examples) -> dict:
    from moderation.classifier import artifact
    from moderation.classifier.assessor import Assessor

    model = artifact.load(path) if path else artifact.load(artifact.DEFAULT_MODEL)
    assessor = Assessor(model, encoder=mode, encoder_dir=encoder_dir)
    results = assessor.assess_many([e.text for e in examples])
    attack = np.array([r.scores["attack"] for r in results])
    abuse = np.array([r.scores["abuse"] for r in results])
    verdicts = np.array([r.verdict for r in results])
    return {"version": assessor.version, **rows_of(examples, attack, abuse, verdicts != "approve", verdicts == "reject")}


def peer(examples) -> dict | None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    p = predict_prob([e.text for e in examples])
    return rows_of(examples, p, p, p >= 0.5, p >= 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--model", type=Path, help="model file (default: the shipped one)")
    parser.add_argument("--against", type=Path, help="the previous model file, judged the same way")
    parser.add_argument("--against-encoder", help="the previous model's encoder folder")
    parser.add_argument("--against-name", default="v2", help="what to call it (default v2)")
    parser.add_argument("--sample", type=int, help="judge this many comments, spread over the half (default: all)")
    args = parser.parse_args(argv)

    from moderation.training.splits import C3_EVALUATION

    examples = harness.splits()[C3_EVALUATION]
    if args.sample:
        examples = examples[:: max(1, len(examples) // args.sample)][: args.sample]
    table = []
    for name, path, encoder_dir in ((args.against_name, args.against, args.against_encoder), ("v3", args.model, None)):
        if name == args.against_name and not args.against:
            continue
        for mode in ("off", "uncertain", "all"):
            found = ours(path, mode, encoder_dir, examples)
            table.append((f"{name} `{found.pop('version')}`, encoder `{mode}`", found))
            print(table[-1], file=sys.stderr)
    other = peer(examples)
    if other:
        table.append(("alt-profanity-check (`predict` at 0.5)", other))
    lines = [
        "## C3: news comments never trained on",
        "",
        (
            f"Command: `.venv/bin/python -m benchmarks.c3{' --against ' + str(args.against) + ' --against-encoder ' + str(args.against_encoder) if args.against else ''}`"
            f" ({time.strftime('%Y-%m-%d %H:%M')}; {harness.machine()})."
        ),
        (
            f"C3's evaluation half: {len(examples):,} Globe and Mail comments of about 125 articles (no model here trained or"
            " chose a threshold on them; the other half chooses thresholds)."
        ),
        "",
        "| model | attack ROC AUC | abusive: abuse ROC AUC | abusive: max(abuse, attack) | toxicity ROC AUC (max of both) | healthy rejected | healthy flagged | toxic flagged |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['attack']:.3f} | {r['abuse']:.3f} | {r['abusive (max)']:.3f} | {r['toxicity']:.3f} | {100 * r['healthy rejected']:.1f}% |"
            f" {100 * r['healthy flagged']:.1f}% | {100 * r['toxic flagged']:.1f}% |"
            for name, r in table
        ),
    ]
    harness.publish(args, "c3", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
