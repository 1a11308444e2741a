"""The ``moderator`` command: train, evaluate and score (more subcommands join as the service grows)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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
    parser = argparse.ArgumentParser(prog="moderator score", description="Score comments from JSON Lines.")
    parser.add_argument("--input", default="-", help="JSON Lines file, or - for stdin (default)")
    parser.add_argument("--output", default="-", help="output file, or - for stdout (default)")
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument(
        "--encoder", choices=("off", "uncertain", "all"), help="second stage mode (default: MODERATION_ENCODER, else the model's)"
    )
    args = parser.parse_args(argv)

    from classifier.artifact import ArtifactError
    from classifier.encoder import EncoderError
    from classifier.moderator import Moderator

    try:
        moderator = Moderator.load(args.model, encoder=args.encoder or _settings().encoder)
    except (ArtifactError, EncoderError, ValueError) as exc:
        print(f"moderator score: {exc}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        try:
            source = sys.stdin if args.input == "-" else stack.enter_context(open(args.input, encoding="utf-8"))
            sink = sys.stdout if args.output == "-" else stack.enter_context(open(args.output, "w", encoding="utf-8"))
        except OSError as exc:
            print(f"moderator score: {exc}", file=sys.stderr)
            return 2
        return _score_stream(moderator, source, sink)


def _score_stream(moderator, source: IO[str], sink: IO[str]) -> int:
    """Score every line of ``source`` into ``sink``; return the exit code."""
    bad = 0
    pending: list[tuple[object, str]] = []

    def flush() -> None:
        results = moderator.assess_many([text for _, text in pending])
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
            print(f"moderator score: line {number}: {error}; skipped", file=sys.stderr)
            continue
        pending.append((ident, text))
        if len(pending) >= _BATCH:
            flush()
    flush()
    if bad:
        print(f"moderator score: {bad} bad line(s)", file=sys.stderr)
        return 1
    return 0


@contextlib.contextmanager
def _redis(redis_url: str | None):
    """Yield a client for REDIS_URL, or for the embedded Redis (started just for this command if it is not running)."""
    from .config import load_settings
    from .redis_server import RedisServer
    from .store import connect

    settings, _ = load_settings({"redis_url": redis_url} if redis_url else None)
    if settings.redis_url:
        yield connect(settings.redis_url, 5.0)
        return
    server = RedisServer(Path(settings.data_dir) / "redis")
    started = not server.running()
    if started:
        server.start()
    try:
        yield connect(server.url, 5.0)
    finally:
        if started:
            server.stop()


def keys(argv: list[str]) -> int:
    """Manage API keys: ``moderator keys create --site S --role R`` prints the new key."""
    parser = argparse.ArgumentParser(prog="moderator keys", description="Manage API keys.")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a key; prints it (and nothing else) on stdout, once")
    create.add_argument("--site", required=True)
    create.add_argument("--role", required=True, choices=["site", "moderator", "admin"])
    create.add_argument("--name", default="")
    listing = sub.add_parser("list", help="list a site's keys (ids and roles, never the keys)")
    listing.add_argument("--site", required=True)
    revoke = sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("--site", required=True)
    revoke.add_argument("id")
    for p in (create, listing, revoke):
        p.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    import re
    import time

    from .store.apikeys import ApiKeyStore

    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", args.site):
        parser.error("--site must be 1 to 100 letters, digits, '.', '_' or '-'")
    with _redis(args.redis_url) as client:
        store = ApiKeyStore(client)
        if args.action == "create":
            key, key_id = store.create(args.site, args.role, args.name, time.time())
            print(key)
            print(f"created key {key_id} ({args.role}) for site {args.site}", file=sys.stderr)
        elif args.action == "list":
            for k in store.list(args.site):
                print(f"{k['id']}  {k['role']:9s}  {k['name']}")
        elif not store.revoke(args.site, args.id):
            print(f"moderator keys: no key {args.id} on site {args.site}", file=sys.stderr)
            return 1
    return 0


def export_labels(argv: list[str]) -> int:
    """Write the moderators' labels as JSON Lines for ``moderator train --extra``."""
    parser = argparse.ArgumentParser(prog="moderator export-labels", description="Export moderator labels.")
    parser.add_argument("--out", required=True, help="JSON Lines file to write, or - for stdout")
    parser.add_argument("--site", help="only this site (default: every site)")
    parser.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    from .labels import label_row
    from .store.apikeys import ApiKeyStore
    from .store.queue import QueueStore

    count = 0
    with _redis(args.redis_url) as client, contextlib.ExitStack() as stack:
        sink = sys.stdout if args.out == "-" else stack.enter_context(open(args.out, "w", encoding="utf-8"))
        queue = QueueStore(client, {})
        for site in [args.site] if args.site else ApiKeyStore(client).sites():
            for stored in queue.labels(site):
                sink.write(json.dumps(label_row(stored), ensure_ascii=False) + "\n")
                count += 1
    print(f"moderator export-labels: {count} labels", file=sys.stderr)
    return 0


def _settings():
    from .config import load_settings

    return load_settings()[0]


def _registry(model_dir: str | None):
    from classifier.registry import ModelRegistry

    settings = _settings()
    return ModelRegistry(model_dir or settings.models_root, settings.model_path)


def retrain(argv: list[str]) -> int:
    """Train a candidate on the datasets plus the moderators' labels; publish it if it is not worse."""
    parser = argparse.ArgumentParser(
        prog="moderator retrain",
        description="Train a candidate on the datasets plus the recorded moderator labels, judge it against the active "
        "model on the fixed validation data and on the newest decisions (held out), and publish it to the model "
        "directory only if it is not worse. Exit 0: published; 3: kept the active model; 2: bad input.",
    )
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets when it exists)")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="more JSON Lines training files")
    parser.add_argument("--labels", type=Path, help="read labels from this JSON Lines file instead of Redis")
    parser.add_argument("--site", help="only this site's labels (default: every site)")
    parser.add_argument("--redis-url", help="Redis to read labels from (default: REDIS_URL, else the embedded one)")
    parser.add_argument("--model-dir", help="model directory (default: MODERATION_MODEL_DIR, else <data dir>/models)")
    parser.add_argument("--rules", type=Path, help="rule lists folder (default: the package's)")
    parser.add_argument("--holdout", type=float, default=0.2, help="share of the newest decisions held out (default 0.2)")
    parser.add_argument("--tolerance", type=float, default=0.005, help="validation PR AUC the candidate may lose (default 0.005)")
    parser.add_argument("--dry-run", action="store_true", help="judge, report, publish nothing")
    parser.add_argument("--force", action="store_true", help="publish even if the candidate is worse")
    parser.add_argument("--report", help="also write the report as JSON to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if not 0.0 <= args.holdout < 1.0:
        parser.error("--holdout must be in [0, 1)")
    from training.retrain import run as run_retrain

    if args.labels:
        from training.datasets import load_jsonl  # validates the file

        try:
            list(load_jsonl(args.labels))
            labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError) as exc:
            print(f"moderator retrain: {exc}", file=sys.stderr)
            return 2
    else:
        from .store.apikeys import ApiKeyStore
        from .store.queue import QueueStore

        with _redis(args.redis_url) as client:
            queue = QueueStore(client, {})
            sites = [args.site] if args.site else ApiKeyStore(client).sites()
            labels = [dict(row, source=row.get("source", site)) for site in sites for row in queue.labels(site)]
    return run_retrain(
        labels,
        _registry(args.model_dir),
        data_dir=args.data,
        extra=args.extra,
        rules_dir=args.rules,
        holdout=args.holdout,
        tolerance=args.tolerance,
        dry_run=args.dry_run,
        force=args.force,
        report_path=Path(args.report) if args.report else None,
        quiet=args.quiet,
    )


def model(argv: list[str]) -> int:
    """List model versions, roll back, set or stop a shadow, publish a file."""
    parser = argparse.ArgumentParser(prog="moderator model", description="Manage the model directory.")
    parser.add_argument("--model-dir", help="model directory (default: MODERATION_MODEL_DIR, else <data dir>/models)")
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
    from classifier.artifact import ArtifactError
    from classifier.registry import RegistryError

    registry = _registry(args.model_dir)
    try:
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
                args.file, {"reason": "moderator model publish"}, activate=not (args.shadow or args.inactive)
            )
            if args.shadow:
                registry.set_shadow(version)
            print(version)
    except (RegistryError, ArtifactError, OSError) as exc:
        print(f"moderator model: {exc}", file=sys.stderr)
        return 1
    return 0


def serve(argv: list[str]) -> int:
    """Run the service under gunicorn (never the Flask development server)."""
    settings = _settings()
    parser = argparse.ArgumentParser(prog="moderator serve", description="Run the HTTP service under gunicorn.")
    parser.add_argument("--bind", default=settings.bind, help=f"HOST:PORT (default: MODERATION_BIND, else {settings.bind})")
    parser.add_argument("--workers", type=int, help="worker processes (default: MODERATION_WORKERS, else one per CPU)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: MODERATION_THREADS, else 2)")
    args = parser.parse_args(argv)
    from gunicorn.app.base import BaseApplication

    from . import gunicorn_conf  # sets PROMETHEUS_MULTIPROC_DIR and empties that folder, before the app is loaded
    from .redis_server import RedisServer

    app_config = {}
    embedded = None
    if not settings.redis_url:
        embedded = RedisServer(Path(settings.data_dir) / "redis").start()
        app_config["redis_url"] = embedded.url
        print(f"moderator serve: embedded Redis at {embedded.url} (append-only file in {embedded.data_dir})", file=sys.stderr)
    options = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    options["bind"] = args.bind
    if args.workers:
        options["workers"] = args.workers
    if args.threads:
        options["threads"] = args.threads

    class Application(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            from service import create_app

            return create_app(app_config)

    try:
        Application().run()
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``moderator <command> ...``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "serve": ("run the HTTP service (gunicorn; embedded Redis when REDIS_URL is unset)", None),
        "keys": ("create, list and revoke API keys", None),
        "export-labels": ("write moderator labels as JSON Lines for training", None),
        "train": ("train a model from the datasets and moderator labels", "training.train"),
        "retrain": ("train on the datasets plus moderator labels; publish if not worse", None),
        "model": ("list model versions, roll back, shadow, publish", None),
        "evaluate": ("print a model's metrics per dataset and category", "training.evaluate"),
        "score": ("score JSON Lines comments", None),
    }
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in commands:
        width = max(len(c) for c in commands)
        lines = ["usage: moderator <command> [options]", "", "commands:"]
        lines += [f"  {name:{width}s}  {help_}" for name, (help_, _) in commands.items()]
        print("\n".join(lines), file=sys.stdout if argv and argv[0] in ("-h", "--help") else sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    local = {"score": score, "serve": serve, "keys": keys, "export-labels": export_labels, "retrain": retrain, "model": model}
    if command in local:
        return local[command](rest)
    import importlib

    return importlib.import_module(commands[command][1]).main(rest)


if __name__ == "__main__":
    sys.exit(main())
