"""``moderation <command> ...``: dispatch to the command's module.

The command was called ``moderator`` before 0.2; that name still works (``old_name``) and says
once on stderr that it is now ``moderation``: "moderator" means a person here.
"""

from __future__ import annotations

import importlib
import sys

#: command -> (help line, "module:function" taking the remaining arguments and returning the exit code).
COMMANDS = {
    "serve": ("run the HTTP service (gunicorn; embedded Redis when REDIS_URL is unset)", "moderation.cli.serve:serve"),
    "keys": ("create, list and revoke API keys", "moderation.cli.keys:keys"),
    "webhooks": ("add, list, show, turn off and on, remove webhook endpoints; redeliver", "moderation.cli.webhooks:webhooks"),
    "migrate": ("move comments stored in the earlier one-hash format to the compact one (safe while serving)", "moderation.cli.migrate:migrate"),
    "export-labels": ("write moderator labels as JSON Lines for training", "moderation.cli.labels:export_labels"),
    "train": ("train a model from the datasets and moderator labels", "moderation.training.train:main"),
    "retrain": ("train on the datasets plus moderator labels; publish if not worse", "moderation.cli.registry:retrain"),
    "model": ("list model versions, roll back, shadow, publish", "moderation.cli.registry:model"),
    "evaluate": ("print a model's metrics per dataset and category", "moderation.training.evaluate:main"),
    "score": ("score JSON Lines comments", "moderation.cli.score:score"),
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``moderation <command> ...``; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        asked = bool(argv) and argv[0] in ("-h", "--help")
        width = max(len(c) for c in COMMANDS)
        lines = ["usage: moderation <command> [options]", "", "commands:"]
        lines += [f"  {name:{width}s}  {help_}" for name, (help_, _) in COMMANDS.items()]
        print("\n".join(lines), file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    module, function = COMMANDS[argv[0]][1].split(":")
    return getattr(importlib.import_module(module), function)(argv[1:])


def old_name() -> int:
    """The ``moderator`` command of earlier versions: a note on stderr, then ``main``."""
    print("moderator: this command is now called 'moderation' (the old name will go away)", file=sys.stderr)
    return main()


if __name__ == "__main__":
    sys.exit(main())
