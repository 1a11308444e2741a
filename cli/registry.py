"""``moderation retrain`` (learn from the moderators' labels) and ``moderation model`` (the model directory)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from .common import model_registry, offline_services


def rollback_command(registry, redis_url: str | None) -> Callable[[str], str]:
    """Return a function giving the exact ``moderation model ... rollback VERSION`` line for this registry: its model
    directory (absolute), the --redis-url given (password masked) and, for the shared registry, its setting."""
    from urllib.parse import urlsplit

    from moderation.service.registry import SharedRegistry

    words = ["moderation", "model", "--model-dir", str(Path(registry.root).resolve())]
    if redis_url:
        parts = urlsplit(redis_url)
        if parts.password:
            redis_url = redis_url.replace(f":{parts.password}@", ":PASSWORD@", 1)
        words += ["--redis-url", redis_url]
    prefix = "MODERATION_MODEL_REGISTRY=redis " if isinstance(registry, SharedRegistry) else ""
    return lambda version: prefix + shlex.join([*words, "rollback", version])


def retrain(argv: list[str]) -> int:
    """Train a candidate on the datasets plus the moderators' labels; publish it if it is not worse."""
    from moderation.training.retrain import MIN_HELD_OUT, MIN_VALIDATION_ROWS

    parser = argparse.ArgumentParser(
        prog="moderation retrain",
        description="Train a candidate on the datasets plus the recorded moderator labels, judge it against the active "
        "model on the fixed validation data and, once there are "
        f"{2 * MIN_HELD_OUT} labels, on the newest of them (at least {MIN_HELD_OUT}, held out), and publish it to the "
        "model directory only if it is not worse. Refused before training: no datasets folder, or one that lacks a "
        "dataset the active model's card lists (give --data), or no dataset at all without --no-datasets. Never "
        f"published: a candidate judged on fewer than {MIN_VALIDATION_ROWS} fixed validation rows, even with --force. "
        "A published candidate's report ends with the command that rolls it back. "
        "Exit 0: published (or would be, --dry-run); 2: refused before training (bad or missing input; nothing "
        "trained or published); 3: kept the active model (worse, or could not be judged).",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        type=Path,
        help="datasets folder; it must hold every dataset the active model was trained on "
        "(default: ../shared/datasets when it exists)",
    )
    source.add_argument(
        "--no-datasets",
        action="store_true",
        help="train on the --extra files and the labels alone; refused when the active model was trained on datasets",
    )
    parser.add_argument("--extra", type=Path, action="append", default=[], help="more JSON Lines training files")
    parser.add_argument("--labels", type=Path, help="read labels from this JSON Lines file instead of Redis")
    parser.add_argument("--site", help="only this site's labels (default: every site)")
    parser.add_argument(
        "--redis-url",
        help="Redis to read labels from, and the shared model registry's (default: REDIS_URL, else the embedded one)",
    )
    parser.add_argument("--model-dir", help="model directory (default: MODERATION_MODEL_DIR, else <data dir>/models)")
    parser.add_argument("--rules", type=Path, help="rule lists folder (default: the package's)")
    parser.add_argument(
        "--holdout",
        type=float,
        default=0.2,
        help=f"share of the newest labels held out, never fewer than {MIN_HELD_OUT} once there are "
        f"{2 * MIN_HELD_OUT} (default 0.2)",
    )
    parser.add_argument("--tolerance", type=float, default=0.005, help="validation PR AUC the candidate may lose (default 0.005)")
    parser.add_argument("--dry-run", action="store_true", help="judge, report, publish nothing")
    parser.add_argument(
        "--force",
        action="store_true",
        help="publish even if the candidate lost a comparison (never one that could not be judged)",
    )
    parser.add_argument("--report", type=Path, help="also write the report as JSON to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if not 0.0 <= args.holdout < 1.0:
        parser.error("--holdout must be in [0, 1)")
    from moderation.training.retrain import run as run_retrain

    if args.labels:
        from moderation.training.datasets import load_jsonl  # validates the file

        try:
            list(load_jsonl(args.labels))
            labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError) as exc:
            print(f"moderation retrain: {exc}", file=sys.stderr)
            return 2
    else:
        from moderation.service.actions.labels import stored_labels

        with offline_services(args.redis_url) as services:
            sites = [args.site] if args.site else services.store.apikeys.sites()
            labels = [row for site in sites for row in stored_labels(services, site)]
    with model_registry(args.model_dir, args.redis_url) as registry:
        return run_retrain(
            labels,
            registry,
            data_dir=args.data,
            extra=args.extra,
            no_datasets=args.no_datasets,
            rules_dir=args.rules,
            holdout=args.holdout,
            tolerance=args.tolerance,
            dry_run=args.dry_run,
            force=args.force,
            report_path=args.report,
            quiet=args.quiet,
            rollback_command=rollback_command(registry, args.redis_url),
        )


def model(argv: list[str]) -> int:
    """List model versions, roll back, set or stop a shadow, publish a file."""
    parser = argparse.ArgumentParser(
        prog="moderation model",
        description="Manage the model registry: the model directory, or with MODERATION_MODEL_REGISTRY=redis the "
        "registry every instance shares through Redis.",
    )
    parser.add_argument("--model-dir", help="model directory (default: MODERATION_MODEL_DIR, else <data dir>/models)")
    parser.add_argument("--redis-url", help="the shared registry's Redis (default: REDIS_URL, else the embedded one)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="published versions, newest first; * active, s shadow")
    rollback = sub.add_parser("rollback", help="make an earlier version active again")
    rollback.add_argument("version")
    rollback.add_argument("--reason", default="", help="why (kept in the directory's history)")
    shadow = sub.add_parser("shadow", help="let a version score live traffic beside the active one (or --off)")
    shadow.add_argument("version", nargs="?")
    shadow.add_argument("--off", action="store_true", help="stop shadowing")
    publish = sub.add_parser("publish", help="add a model file as a version (active unless --shadow or --inactive)")
    publish.add_argument("file", type=Path)
    publish.add_argument("--shadow", action="store_true", help="make it the shadow instead")
    publish.add_argument("--inactive", action="store_true", help="only add it")
    args = parser.parse_args(argv)
    from moderation.classifier.artifact import ArtifactError
    from moderation.classifier.registry import RegistryError
    from moderation.service.store import StoreUnavailable

    try:
        with model_registry(args.model_dir, args.redis_url) as registry:
            if args.action == "list":
                for row in registry.list():
                    mark = ("*" if row["active"] else " ") + ("s" if row["shadow"] else " ")
                    gate = "-" if row["gate"] is None else f"{row['gate']:.4f}"
                    where = "shipped/fallback" if row["fallback"] else ""
                    print(f"{mark} {row['version']}  {row['created_at'] or '-':25s}  gate {gate}  {where}".rstrip())
            elif args.action == "rollback":
                registry.activate(args.version, "rollback", args.reason)
                print(f"active: {args.version}", file=sys.stderr)
            elif args.action == "shadow":
                if args.off == bool(args.version):
                    parser.error("give a VERSION or --off")
                registry.set_shadow(None if args.off else args.version)
                print(f"shadow: {args.version or 'none'}", file=sys.stderr)
            else:
                version = registry.publish(
                    args.file, {"reason": "moderation model publish"}, activate=not (args.shadow or args.inactive)
                )
                if args.shadow:
                    registry.set_shadow(version)
                print(version)
    except (RegistryError, ArtifactError, OSError, StoreUnavailable) as exc:
        print(f"moderation model: {exc}", file=sys.stderr)
        return 1
    return 0
