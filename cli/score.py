"""``moderation score``: score JSON Lines comments with a model file, one JSON line out per good line in."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import IO

from .common import settings

_BATCH = 256


def _score_lines(stream: IO[str]) -> Iterator[tuple[int, object, str | None, str | None]]:
    """Yield (line number, id, text, error) for every non-blank input line."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, None, f"not JSON ({exc.msg})"
            continue
        if not isinstance(row, dict):
            yield number, None, None, "expected a JSON object"
        elif not isinstance(row.get("text"), str):
            yield number, row.get("id"), None, "no 'text' string"
        else:
            yield number, row.get("id"), row["text"], None


def score(argv: list[str]) -> int:
    """Score JSON Lines ``{"id", "text"}``; one JSON line out per good line in, in order."""
    parser = argparse.ArgumentParser(prog="moderation score", description="Score comments from JSON Lines.")
    parser.add_argument("--input", default="-", help="JSON Lines file, or - for stdin (default)")
    parser.add_argument("--output", default="-", help="output file, or - for stdout (default)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument(
        "--encoder", choices=("off", "uncertain", "all"), help="second stage mode (default: MODERATION_ENCODER, else the model's)"
    )
    args = parser.parse_args(argv)

    from moderation.classifier.artifact import ArtifactError
    from moderation.classifier.assessor import Assessor
    from moderation.classifier.encoder import EncoderError

    try:
        # alone on the machine: the encoder may use every core this process may run on
        assessor = Assessor.load(
            args.model, encoder=args.encoder or settings().encoder, encoder_threads=len(os.sched_getaffinity(0))
        )
    except (ArtifactError, EncoderError, ValueError) as exc:
        print(f"moderation score: {exc}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        try:
            source = sys.stdin if args.input == "-" else stack.enter_context(open(args.input, encoding="utf-8"))
            sink = sys.stdout if args.output == "-" else stack.enter_context(open(args.output, "w", encoding="utf-8"))
        except OSError as exc:
            print(f"moderation score: {exc}", file=sys.stderr)
            return 2
        return _score_stream(assessor, source, sink)


def _score_stream(assessor, source: IO[str], sink: IO[str]) -> int:
    """Score every line of ``source`` into ``sink``; return the exit code."""
    bad = 0
    pending: list[tuple[object, str]] = []

    def flush() -> None:
        results = assessor.assess_many([text for _, text in pending])
        for (ident, _), result in zip(pending, results):
            out = {
                "id": ident,
                "verdict": result.verdict,
                "scores": {c: round(p, 6) for c, p in result.scores.items()},
                "reasons": result.reasons,
                "spans": [s.to_dict() for s in result.spans],
                "model_version": result.model_version,
            }
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
        pending.clear()

    for number, ident, text, error in _score_lines(source):
        if error:
            bad += 1
            print(f"moderation score: line {number}: {error}; skipped", file=sys.stderr)
            continue
        pending.append((ident, text))
        if len(pending) >= _BATCH:
            flush()
    flush()
    if bad:
        print(f"moderation score: {bad} bad line(s)", file=sys.stderr)
        return 1
    return 0
