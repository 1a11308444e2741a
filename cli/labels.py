"""``moderation export-labels``: the moderators' labels as JSON Lines (the format of ``moderation train --extra``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from .common import offline_services


def export_labels(argv: list[str]) -> int:
    """Write the moderators' labels as JSON Lines for ``moderation train --extra``."""
    parser = argparse.ArgumentParser(prog="moderation export-labels", description="Export moderator labels.")
    parser.add_argument("--out", required=True, help="JSON Lines file to write, or - for stdout")
    parser.add_argument("--site", help="only this site (default: every site)")
    parser.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    from moderation.service.actions.labels import site_labels

    count = 0
    with offline_services(args.redis_url) as services, contextlib.ExitStack() as stack:
        sink = sys.stdout if args.out == "-" else stack.enter_context(open(args.out, "w", encoding="utf-8"))
        for site in [args.site] if args.site else services.store.apikeys.sites():
            for row in site_labels(services, site):
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    print(f"moderation export-labels: {count} labels", file=sys.stderr)
    return 0
