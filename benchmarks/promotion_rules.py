"""Benchmark: the promotion rules alone, before and after a change of the lists (issue 22, item 6).

Runs the packaged rule lists of two versions over the same comments, through
the shipped model's normaliser, and counts the comments with a promotion rule
hit (``review`` or ``block``) and with a ``block`` hit:

* YouTube Spam Collection and SMS Spam Collection (``training/datasets.py``'s
  loaders): spam caught (recall) and ham flagged (false positives);
* healthy Unhealthy Comments Corpus comments (news comments, the ucc loader):
  flagged;
* Jigsaw Wikipedia talk comments not rated bad (``is_bad`` False), all and
  those with a link: flagged. Talk pages are full of links and headings and
  should not look like promotion.

The rules only; the model, which learns from the rule hits, is measured by
whoever retrains it. No comment text is printed unless ``--show N`` asks for
the false positives on the terminal (never into a file).

    .venv/bin/python -m benchmarks.promotion_rules [--before REV] [--data DIR] [--out docs/BENCHMARKS.md] [--show N] [--sample N]

``--before`` is a git revision (default ``HEAD``): its rule lists *and* its rules
engine (``classifier/*.py``, run from a temporary copy), so changes to how rules
match count too; "after" is the working tree. Both use the working tree's shipped
model file for the normaliser. With ``--out`` the table replaces the text between
``<!-- promotion-rules:start -->`` and ``<!-- promotion-rules:end -->``. ``--sample N``
takes at most N comments of each kind per corpus (a smoke run).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import ROOT

MODEL = ROOT / "classifier" / "models" / "default.model"
SECTION = "promotion-rules"


def checkout(revision: str, folder: Path) -> Path:
    """Write the classifier package of ``revision`` (code and rule lists, not the models) under ``folder``."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "classifier"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for path in listed:
        if path.endswith(".py") or path.startswith("classifier/rules/"):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, check=True).stdout)
    return folder


def measure(engine: Path, data: Path, sample: int | None) -> dict:
    """Run ``--engine`` in a fresh interpreter with ``engine``'s classifier package; return its per-comment flags.

    The interpreter runs in ``engine`` (first on its path, so its ``classifier`` package is the one imported), this
    project's root next (for ``benchmarks`` and ``training``)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(engine), str(ROOT)]))
    command = [sys.executable, "-m", "benchmarks.promotion_rules", "--engine", str(engine), "--data", str(data)]
    if sample:
        command += ["--sample", str(sample)]
    out = subprocess.run(command, cwd=engine, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def corpora(data: Path, sample: int | None = None) -> list[tuple[str, list[str], list[str]]]:
    """Return (name, positives, negatives) per corpus, at most ``sample`` of each; a corpus without spam has no
    positives."""
    from moderation.training.datasets import load_sms, load_ucc, load_youtube

    youtube = [e for path in sorted((data / "youtube-spam").glob("*.csv")) for e in load_youtube(path)]
    sms = list(load_sms(data / "sms-spam" / "SMSSpamCollection"))
    ucc = [e for e in load_ucc(data / "ucc" / "val.csv") if e.label("promotion") == 0]
    with open(data / "jigsaw-wikipedia" / "jigsaw_subsets.csv", encoding="utf-8", newline="") as f:
        wiki = [row["comment_text"] for row in csv.DictReader(f) if row["is_bad"].strip() == "False"]
    found = [
        ("youtube-spam", [e.text for e in youtube if e.label("promotion")], [e.text for e in youtube if not e.label("promotion")]),
        ("sms-spam", [e.text for e in sms if e.label("promotion")], [e.text for e in sms if not e.label("promotion")]),
        ("ucc healthy (news)", [], [e.text for e in ucc]),
        ("jigsaw-wikipedia, not bad", [], wiki),
    ]
    return [(name, positives[:sample], negatives[:sample]) for name, positives, negatives in found]


def engine_flags(data: Path, sample: int | None) -> dict:
    """In the ``--engine`` interpreter: per corpus, (any promotion hit, a block hit) per comment, and which negatives
    have a link (the normaliser's entities)."""
    from moderation.classifier import artifact
    from moderation.classifier.rules import RuleSet

    normalizer = artifact.load(MODEL).pipeline.named_steps["normalize"].normalizer
    rules = RuleSet.load()
    out = {"fingerprint": rules.fingerprint, "corpora": []}
    for name, positives, negatives in corpora(data, sample):
        flagged = {}
        for kind, texts in (("pos", positives), ("neg", negatives)):
            rows = []
            for text in texts:
                norm = normalizer.normalize(text)
                hits = [h for h in rules.match(norm) if h.category == "promotion"]
                link = any(e.kind == "url" for e in norm.entities)
                rows.append((bool(hits), any(h.severity == "block" for h in hits), link))
            flagged[kind] = rows
        out["corpora"].append({"name": name, **flagged})
    return out


def share(flagged: Iterable[bool], n: int) -> str:
    k = sum(flagged)
    return f"{k:,} / {n:,} ({100 * k / n:.1f}%)" if n else "-"


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, out=None)
    parser.add_argument("--before", default="HEAD", help="git revision of the 'before' lists and engine (default HEAD)")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--show", type=int, default=0, help="print up to N false positives of 'after' (terminal only)")
    parser.add_argument("--sample", type=int, help="at most N comments of each kind per corpus (default: all)")
    parser.add_argument("--engine", type=Path, help=argparse.SUPPRESS)  # internal: measure with this classifier package
    args = parser.parse_args(argv)
    if args.engine:
        json.dump(engine_flags(args.data, args.sample), sys.stdout)
        return 0
    from moderation.training.datasets import default_data_dir

    data = args.data or default_data_dir()
    if data is None or not data.is_dir():
        parser.error("no datasets folder: give --data")
    with tempfile.TemporaryDirectory() as tmp:
        before = measure(checkout(args.before, Path(tmp)), data, args.sample)
    after = measure(ROOT, data, args.sample)
    rows = []
    for b, a in zip(before["corpora"], after["corpora"]):
        linked = [i for i, row in enumerate(a["neg"]) if row[2]]
        for label, run in (("before", b), ("after", a)):
            pos, neg = run["pos"], run["neg"]
            row = [run["name"], label]
            row += [share((r[0] for r in pos), len(pos)), share((r[1] for r in pos), len(pos))]
            row += [share((r[0] for r in neg), len(neg)), share((r[1] for r in neg), len(neg))]
            row += [share((neg[i][0] for i in linked), len(linked))]
            rows.append(row)
    if args.show:
        for c in corpora(data, args.sample):
            run = next(r for r in after["corpora"] if r["name"] == c[0])
            for text in [t for t, r in zip(c[2], run["neg"]) if r[0]][: args.show]:
                print(f"  FP {c[0]}: {text[:160]!r}", file=sys.stderr)
    head = ["corpus", "lists", "spam flagged", "spam blocked", "not spam flagged", "not spam blocked", "not spam with a link, flagged"]
    table = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    print(f"before: {args.before} (rules {before['fingerprint']}), after: working tree (rules {after['fingerprint']})")
    harness.publish(args, SECTION, "\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
