"""Benchmark: does a flagged toxic comment stay flagged when its toxic words are disguised?

Takes the held-out ToxicSpans posts (the test split: never trained on) that
have annotated spans and that the classifier flags (review or reject), then,
for every disguise family in ``training/disguise.py``, rewrites each word
inside the annotators' majority spans with that family and assesses the
comment again. Reported per family:

* how many comments the family applied to (a family that does not apply to
  any toxic word of a comment, e.g. no letter with a look-alike, skips it);
* the share still flagged (target >= 0.98);
* whether the evidence still points at the disguised words: the share of the
  toxic words' characters covered by abuse/attack evidence spans, in the
  original comments and in the disguised ones (spans are offsets into the
  disguised text, as a site would receive them).

    .venv/bin/python -m benchmarks.evasion [--model PATH] [--out docs/BENCHMARKS.md] [--no-write]

Results go into the output file between ``<!-- evasion:start -->`` and
``<!-- evasion:end -->``.
"""

# The thread limits must be set before NumPy is imported, so the imports follow them.
import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks import harness
from moderation.classifier.assessor import Assessor
from moderation.training.datasets import default_data_dir
from moderation.training.disguise import FAMILIES, SPLITTING, halves
from moderation.training.splits import TEST

SECTION = "evasion"
TARGET = 0.98
_WORD = re.compile(r"[A-Za-z]{2,}")


def disguise(text: str, spans, family: str, lexicon) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """Return the text with every word inside ``spans`` disguised, the disguised words' new ranges and their old ones."""
    fn = FAMILIES[family]
    words = sorted({(m.start() + a, m.end() + a) for a, b, _ in spans for m in _WORD.finditer(text[a:b])})
    out, ranges, old, pos, shift = [], [], [], 0, 0
    for a, b in words:
        if a < pos:
            continue
        word = text[a:b].lower()
        if family in SPLITTING and any(lexicon.is_word(p) for p in halves(word)):
            continue  # the pieces are words: not a disguise a reader would take for the word
        new = fn(word)
        if new is None:
            continue
        out.append(text[pos:a])
        start = a + shift
        out.append(new)
        ranges.append((start, start + len(new)))
        old.append((a, b))
        shift += len(new) - (b - a)
        pos = b
    out.append(text[pos:])
    return "".join(out), ranges, old


def coverage(text: str, ranges: list[tuple[int, int]], spans) -> float:
    """Return the share of the non-space characters in ``ranges`` covered by abuse/attack evidence."""
    target = {i for a, b in ranges for i in range(a, b) if not text[i].isspace()}
    if not target:
        return float("nan")
    covered = {i for s in spans if s.category in ("abuse", "attack") for i in range(s.start, s.end)}
    return len(target & covered) / len(target)


def main(argv=None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets)")
    parser.add_argument("--encoder", choices=("off", "uncertain", "all"), help="second stage mode (default: the model's)")
    parser.add_argument("--sample", type=int, help="use at most this many posts (default: all; a smoke run)")
    args = parser.parse_args(argv)
    data = args.data or default_data_dir()
    if data is None:
        parser.error("no datasets folder")
    assessor = Assessor.load(args.model, encoder=args.encoder)
    lexicon = assessor.normalizer.lexicon
    posts = [e for e in harness.splits(data)[TEST] if e.source == "toxic-spans" and e.spans][: args.sample]
    first = assessor.assess_many([e.text for e in posts])
    flagged = [(e, r) for e, r in zip(posts, first) if r.verdict != "approve"]
    print(f"{len(flagged)} of {len(posts)} held-out annotated ToxicSpans posts flagged", file=sys.stderr)
    rows = []
    for family in FAMILIES:
        cases = []
        for example, before in flagged:
            text, ranges, original_ranges = disguise(example.text, example.spans, family, lexicon)
            if ranges:
                cases.append((example, before, text, ranges, original_ranges))
        after = assessor.assess_many([c[2] for c in cases])
        kept = np.mean([r.verdict != "approve" for r in after]) if cases else float("nan")
        cov_before = np.nanmean([coverage(e.text, orig, b.spans) for e, b, _, _, orig in cases]) if cases else float("nan")
        cov_after = np.nanmean([coverage(c[2], c[3], r.spans) for c, r in zip(cases, after)]) if cases else float("nan")
        rows.append((family, len(cases), kept, cov_before, cov_after))
        print(f"{family:20s} {len(cases):5d} {kept:.3f} {cov_before:.3f} {cov_after:.3f}", file=sys.stderr)
    lines = [
        "## Evasion",
        "",
        f"- Command: `{harness.command_line('evasion', argv)}`",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d')}; model `{assessor.version}`, encoder `{assessor.encoder_mode}`",
        (
            f"- Data: the {len(posts)} held-out ToxicSpans posts with annotated spans (test split), of which the "
            f"{len(flagged)} the classifier flags; every word inside the annotators' majority spans disguised"
        ),
        "",
        "| family | comments | still flagged | target | evidence covers the toxic words: plain | disguised |",
        "|---|---|---|---|---|---|",
    ]
    for family, n, kept, before, after in rows:
        ok = "met" if kept >= TARGET else "**not met**"
        lines.append(f"| {family} | {n} | {kept:.3f} | >= {TARGET} {ok} | {before:.3f} | {after:.3f} |")
    lines += [
        "",
        "Notes:",
        "",
        (
            "- Comments: the flagged posts where the family applies to at least one toxic word (a split needs pieces"
            " that are not words themselves; leetspeak and masks need a letter they can replace)."
        ),
        "- Still flagged: the disguised comment is still sent to review or rejected.",
        (
            "- Evidence: the share of the toxic words' characters (spaces left out) inside abuse or attack evidence"
            " spans, in the plain comment and in the disguised one (spans are offsets into the disguised text as the"
            " site sent it)."
        ),
        (
            "- The words come from `training/disguise.py`, the same families as the table test over every rule-list"
            " word (`tests/classifier/test_evasion.py`)."
        ),
    ]
    harness.publish(args, SECTION, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
