"""How soon a revoked API key stops working in another process that had it cached.

    .venv/bin/python -m benchmarks.revocation [--trials 20] [--no-write]

Two apps (``create_app``) on one private redis-server stand for two processes
(workers or instances): the key is checked on app B (so B caches it, for
``MODERATION_KEY_CACHE_S``, 30 s), revoked through app A's API, and app B is
asked again every 5 ms until it answers 401. Each app's change watcher polls
every ``MODERATION_CHANGE_POLL_S`` (0.25 s by default). The script also counts
the Redis commands the submit path sends with the watcher running, to show the
check adds none to it. The result goes to its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks import harness

SECTION = "revocation"
TEXT = "The council should publish the full traffic study before the vote."


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args(argv)
    from moderation.service.store import connect

    delays = []
    with harness.two_apps("revoke-") as (redis_url, a, b):
        ca, cb = a.test_client(), b.test_client()
        store = a.extensions["moderation"].store
        admin = store.apikeys.create("bench", "admin", "admin", 0)[0]
        poll_s = b.extensions["moderation"].settings.change_poll_s
        for trial in range(args.trials):
            key, key_id = store.apikeys.create("bench", "site", f"k{trial}", 0)
            headers = {"Authorization": f"Bearer {key}"}
            assert cb.post("/v1/score", json={"text": TEXT}, headers=headers).status_code == 200
            time.sleep((trial % 5) * poll_s / 5)  # revoke at different points of B's poll cycle
            answer = ca.delete(f"/v1/keys/{key_id}", headers={"Authorization": f"Bearer {admin}"})
            revoked = time.monotonic()
            assert answer.status_code == 200
            while cb.post("/v1/score", json={"text": TEXT}, headers=headers).status_code == 200:
                time.sleep(0.005)
            delays.append(time.monotonic() - revoked)
        # Redis commands of one submit, with the watcher running: INFO commandstats before and after 200 submits.
        client = connect(redis_url, 5.0)
        key = store.apikeys.create("bench", "site", "submit", 0)[0]
        headers = {"Authorization": f"Bearer {key}"}
        cb.post("/v1/comments", json={"id": "warm", "user_id": "u", "text": TEXT}, headers=headers)
        time.sleep(2 * poll_s)

        def submit() -> None:
            for n in range(200):
                cb.post("/v1/comments", json={"id": f"c{n}", "user_id": f"u{n}", "text": TEXT}, headers=headers)

        started = time.monotonic()
        commands = harness.commands_during(client, submit)
        elapsed = time.monotonic() - started
    polls = commands.get("hgetall", 0)
    delays.sort()
    section = "\n".join(
        [
            "## Key revocation across processes",
            "",
            (
                f"Command: `.venv/bin/python -m benchmarks.revocation --trials {args.trials}` ({time.strftime('%Y-%m-%d')};"
                f" {harness.machine()})."
            ),
            "",
            (
                "Two apps on one redis-server stand for two processes. The key is checked on B (cached there for 30 s),"
                " revoked through A's API, and B is asked every 5 ms until it answers 401. Each process's change watcher"
                f" (`service/watch.py`) polls one Redis hash every {poll_s:g} s on its own thread."
            ),
            "",
            "| trials | revoked key refused by B after: median | max | target |",
            "|---|---|---|---|",
            (
                f"| {len(delays)} | {statistics.median(delays) * 1000:.0f} ms | {delays[-1] * 1000:.0f} ms | within 1 s:"
                f" {'met' if delays[-1] < 1 else '**not met**'} |"
            ),
            "",
            (
                f"Redis commands during 200 `POST /v1/comments` on B ({elapsed:.2f} s, watchers of both apps running):"
                f" {', '.join(f'{name} {n:,}' for name, n in sorted(commands.items()))} (Redis counts the commands run"
                " inside a script too). The `evalsha` calls are the submit path's own three scripts per comment, as"
                f" before the watcher; the {polls} `hgetall` are the watchers' polls (about {1 / poll_s:g} a second each,"
                " whatever the request rate), not the requests'; `hello`, `client` and `ping` are a new connection's. The multi-process version"
                " (two instances of two workers each, revoked through the API and through the CLI) is a test:"
                " `tests/cli/test_revocation.py`."
            ),
        ]
    )
    harness.publish(args, SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
