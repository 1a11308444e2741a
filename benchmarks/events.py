"""The event log (issue 23): Redis memory per event, how soon a long poll hears of a decision, and how fast the relay
publishes a backlog that stopped processes left behind.

    .venv/bin/python -m benchmarks.events [--decisions 2000] [--backlog 10000] [--rounds 200] [--comments 1000] [--no-write]

One app in this process on a redis-server of its own (started here), the shipped model, the Flask test client (no
HTTP: the figures are the service's own work and Redis's, not a network's):

* **memory**: ``--decisions`` held comments of different users decided by a moderator; ``MEMORY USAGE`` of the
  site's event log (exact, ``SAMPLES 0``) divided by its events (the outboxes are empty again; the published marks
  are one small hash field per user);
* **latency**: ``--rounds`` (200) times, a reader long-polls the feed (``wait=30``) on a thread while a moderator decides; the
  time from the decision's answer to the reader's answer (p50, p99, max);
* **backlog**: ``--backlog`` decisions whose process "stopped" before publishing (their events are in the users'
  outboxes, their marks left), then one relay sweep: events published a second;
* **webhooks**, to the tests' receiver (``tests/service/webhook_receiver.py``, a process of its own that verifies
  every delivery with the ``standardwebhooks`` library): the time from a decision's answer to the receiver's
  having the event (``--rounds`` decisions, the app's own delivery thread); that backlog of events, waiting while the
  endpoint was off, delivered once it is on again (events a second); and one comment's answer (``--comments``,
  every verdict an event) with no endpoint and with an endpoint whose receiver holds every delivery until it
  times out (p50, p99).

Written to its section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import ROOT, percentile

HELD = "Write to me at someone@example.net"  # held by a promotion rule


def webhooks(app, client, store, raw, site, moderator, held, args, tmp: str) -> dict:
    """The webhook measures (see the module's docstring)."""
    import json
    import subprocess

    backlog, rounds = args.backlog, args.rounds
    folder = Path(tmp)
    port = harness.free_port()
    log, mode, secret = folder / "deliveries.jsonl", folder / "mode", folder / "secret"
    mode.write_text("ok")
    receiver = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "service" / "webhook_receiver.py"), str(port), str(secret), str(log), str(mode)],
        stdout=subprocess.PIPE,
        text=True,
    )
    admin = {"Authorization": f"Bearer {store.apikeys.create('news', 'admin', 'bench', time.time())[0]}"}
    try:
        assert receiver.stdout.readline().strip() == "ready"
        made = client.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hooks"}, headers=admin).get_json()
        secret.write_text(made["secret"])

        def got() -> list[dict]:
            # only whole lines: the receiver may be writing one now
            return [json.loads(line) for line in log.read_text().split("\n")[:-1] if line] if log.exists() else []

        # latency: the app's own delivery thread, woken by the decision's publishing
        held("w", rounds)
        delays = []
        for i in range(rounds):
            before = len(got())
            client.post(f"/v1/comments/w{i}/decision", json={"decision": "approve", "moderator": "mia"}, headers=moderator)
            answered = time.time()
            deadline = time.monotonic() + 30
            while len(got()) == before:
                assert time.monotonic() < deadline, "no delivery"
                time.sleep(0.001)
            entry = got()[-1]
            assert entry["verified"] and entry["event"]["data"]["comment_id"] == f"w{i}"
            delays.append((entry["at"] - answered) * 1000)
        # backlog: the endpoint off while the events come, then on
        client.patch(f"/v1/webhooks/{made['id']}", json={"enabled": False}, headers=admin)
        held("d", backlog)
        for i in range(backlog):
            client.post(f"/v1/comments/d{i}/decision", json={"decision": "approve", "moderator": "mia"}, headers=moderator)
        before = len(got())
        started = time.perf_counter()
        client.patch(f"/v1/webhooks/{made['id']}", json={"enabled": True}, headers=admin)
        deadline = time.monotonic() + 600
        while len(got()) < before + backlog:
            assert time.monotonic() < deadline, "the backlog was not delivered"
            time.sleep(0.05)
        drained = time.perf_counter() - started
        ids = [d["id"] for d in got()[before:]]
        assert len(ids) == backlog == len(set(ids)), "each event once"
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))), "in the log's order"

        # the verdict path, with no endpoint, then with a receiver that never answers in time
        client.put("/v1/policy", json={"verdict_events": True}, headers=admin)
        texts = ["The council should publish the full study before the vote.", "You are a pathetic idiot.", HELD]

        def verdicts(prefix: str) -> list[float]:
            out = []
            for i in range(args.comments):
                body = {"id": f"{prefix}{i}", "user_id": f"{prefix}u{i % 50}", "text": texts[i % 3]}
                started = time.perf_counter()
                client.post("/v1/comments", json=body, headers=site)
                out.append((time.perf_counter() - started) * 1000)
            return out

        client.delete(f"/v1/webhooks/{made['id']}", headers=admin)
        calm = verdicts("q")
        mode.write_text("slow 30")
        stuck = client.post("/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/hooks"}, headers=admin).get_json()
        secret.write_text(stuck["secret"])
        down = verdicts("s")
    finally:
        receiver.kill()
        receiver.wait(10)
        app.extensions["moderation_webhooks"].stop()
    return {
        "latency": f"{percentile(delays, 50):.1f} / {percentile(delays, 99):.1f} / {max(delays):.1f} ms",
        "drain": f"{backlog / drained:,.0f} events/s ({drained:.1f} s), each once, in order",
        "verdicts": f"{percentile(calm, 50):.2f}, {percentile(calm, 99):.2f} ms / {percentile(down, 50):.2f}, {percentile(down, 99):.2f} ms",
    }


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--decisions", type=int, default=2000, help="decisions for the memory figure (default 2000)")
    parser.add_argument("--backlog", type=int, default=10000, help="events left to the relay (default 10000)")
    parser.add_argument("--rounds", type=int, default=200, help="long polls and webhook deliveries timed (default 200)")
    parser.add_argument("--comments", type=int, default=1000, help="comments timed with and without an endpoint (default 1000)")
    args = parser.parse_args(argv)

    from moderation.classifier.assessor import Assessor
    from moderation.service import create_app
    from moderation.service.actions import events as event_actions
    from moderation.service.store import connect
    from moderation.service.store.keys import SiteKeys

    assessor = Assessor.load()
    with harness.private_redis("events-") as (url, tmp):
        app = create_app(
            {
                "redis_url": url,
                "assessor": assessor,
                "event_relay_s": 0,
                "change_poll_s": 0,
                "webhook_allow_private": True,
                "webhook_poll_s": 0.25,
                "webhook_timeout_s": 2.0,
            }
        )
        services = app.extensions["moderation"]
        store = services.store
        client = app.test_client()
        now = time.time()
        site_key = store.apikeys.create("news", "site", "bench", now)[0]
        moderator = {"Authorization": f"Bearer {store.apikeys.create('news', 'moderator', 'bench', now)[0]}"}
        site = {"Authorization": f"Bearer {site_key}"}
        raw = connect(url, 5.0)

        def held(prefix: str, n: int) -> None:
            for i in range(n):
                body = {"id": f"{prefix}{i}", "user_id": f"{prefix}u{i}", "text": HELD}
                answer = client.post("/v1/comments", json=body, headers=site).get_json()
                assert answer["verdict"] == "review", answer

        # memory
        held("m", args.decisions)
        for i in range(args.decisions):
            client.post(f"/v1/comments/m{i}/decision", json={"decision": "reject", "moderator": "mia"}, headers=moderator)
        events_key = SiteKeys("news").events
        count = raw.xlen(events_key)
        log_bytes = raw.memory_usage(events_key, samples=0)
        per_event = log_bytes / count
        # the decisions also wrote audit entries, labels and the comments' new state: the log's share is above

        # latency
        held("l", args.rounds)
        waits = []
        for i in range(args.rounds):
            cursor = client.get("/v1/events", query_string={"limit": 1000}, headers=site).get_json()["cursor"]
            while True:
                page = client.get("/v1/events", query_string={"after": cursor, "limit": 1000}, headers=site).get_json()
                if not page["events"]:
                    break
                cursor = page["cursor"]
            got: dict = {}

            def reader(cursor: str = cursor, got: dict = got) -> None:
                answer = app.test_client().get("/v1/events", query_string={"after": cursor, "wait": 30}, headers=site)
                got["at"] = time.perf_counter()
                got["events"] = answer.get_json()["events"]

            thread = threading.Thread(target=reader)
            thread.start()
            time.sleep(0.02)
            client.post(f"/v1/comments/l{i}/decision", json={"decision": "approve", "moderator": "mia"}, headers=moderator)
            decided = time.perf_counter()
            thread.join(35)
            assert got["events"] and got["events"][0]["comment_id"] == f"l{i}"
            waits.append((got["at"] - decided) * 1000)

        # backlog
        held("b", args.backlog)
        original = event_actions.settle_quietly
        event_actions.settle_quietly = lambda *a, **k: None  # the process "stops" before publishing
        try:
            for i in range(args.backlog):
                client.post(f"/v1/comments/b{i}/decision", json={"decision": "reject", "moderator": "mia"}, headers=moderator)
        finally:
            event_actions.settle_quietly = original
        waiting = raw.xlen(events_key)
        relay = app.extensions["moderation_events"]
        started = time.perf_counter()
        settled = relay.sweep(grace_s=0)
        took = time.perf_counter() - started
        published = raw.xlen(events_key) - waiting
        assert published == args.backlog and settled == args.backlog, (published, settled)

        hooks = webhooks(app, client, store, raw, site, moderator, held, args, tmp)

    stamp = time.strftime("%Y-%m-%d %H:%M")
    machine = harness.machine()
    command = (
        ".venv/bin/python -m benchmarks.events"
        + (f" --decisions {args.decisions}" if args.decisions != 2000 else "")
        + (f" --backlog {args.backlog}" if args.backlog != 10000 else "")
        + (f" --rounds {args.rounds}" if args.rounds != 200 else "")
        + (f" --comments {args.comments}" if args.comments != 1000 else "")
    )
    lines = [
        "## Events",
        "",
        f"Command: `{command}` ({stamp}; {machine}). One app in the benchmark's process (Flask's test client, no HTTP)",
        "on a redis-server of its own; the shipped model; held comments decided by a moderator (docs/EVENTS.md).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| Redis memory per event (`comment.decided` with its statement of reasons; `MEMORY USAGE` of the log / {count:,} events) | {per_event:,.0f} bytes |",
        f"| a long poll's answer after the decision's, {args.rounds} decisions: p50 / p99 / max | {percentile(waits, 50):.1f} / {percentile(waits, 99):.1f} / {max(waits):.1f} ms |",
        f"| the relay publishing {args.backlog:,} events left by a stopped process (one sweep) | {published / took:,.0f} events/s ({took:.1f} s) |",
        f"| webhooks: the receiver has the event after the decision's answer, {args.rounds} decisions: p50 / p99 / max | {hooks['latency']} |",
        f"| webhooks: {args.backlog:,} events waiting while the endpoint was off, delivered once it is on | {hooks['drain']} |",
        f"| one comment's answer ({args.comments:,}, every verdict an event): no endpoint / an endpoint whose receiver never answers in time: p50, p99 | {hooks['verdicts']} |",
        "",
        (
            "At the default retention (14 days) a site with 10,000 decisions and bans a day keeps 140,000 events: about "
            f"{per_event * 140000 / 2**20:,.0f} MiB."
        ),
    ]
    harness.publish(args, "events", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
