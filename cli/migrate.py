"""``moderation migrate``: move the comments stored before issue 24 to the compact format.

Each legacy comment (a claim key and one hash holding everything) becomes a claim in its site's claim hashes, a
lasting record in its user's records and, while its review period lasts, a full record. The service does the same
to each legacy comment it touches; this command does the rest. Safe while the service runs, and resumable: what is
moved is gone from the legacy keys, so a second run finds only what is left, and a comment is moved once.
"""

from __future__ import annotations

import argparse
import sys
import time

from .common import offline_services


def migrate(argv: list[str]) -> int:
    """Move every legacy comment; print progress on stderr and the total on stdout."""
    parser = argparse.ArgumentParser(prog="moderation migrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1000, help="keys read per SCAN step, and how often progress is shown")
    parser.add_argument("--redis-url", help="Redis to use (default: REDIS_URL, else the embedded one)")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be positive")
    started = time.monotonic()

    def progress(moved: int) -> None:
        rate = moved / max(time.monotonic() - started, 1e-9)
        print(f"moved {moved:,} comments ({rate:,.0f}/s)", file=sys.stderr, flush=True)

    with offline_services(args.redis_url) as services:
        moved = services.store.comments.migrate(args.batch, progress)
    print(f"{moved} comments moved; none of the legacy format is left")
    return 0
