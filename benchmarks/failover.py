"""Failover: a Redis Cluster primary dies under steady load through two instances.

    .venv/bin/python -m benchmarks.failover [--seconds 20] [--kill-at 6] [--modes kill,partition] [--waits 0,1] [--no-write]

Each run starts a fresh cluster (3 primaries, 1 replica each, node timeout
1 s; ``service.redis_cluster``) and two ``moderation serve`` instances on it
(1 worker, 2 threads each), sets the site's policy so that every rejection is a
strike (no ban ends the counting), and sends rejected comments for 300 users
spread over every slot from 6 threads, alternating the instances. At
``--kill-at`` seconds one primary goes:

- ``kill``: SIGKILL, its replica in sync (the common crash);
- ``partition, then kill``: its replica is stopped (SIGSTOP) for 1 s, its
  replication connection is then cut (``ss -K``: what it had not read is gone),
  the primary is killed and the replica resumed: the replica is promoted
  without that second's writes (a network partition, then a crash). Needs
  Linux's ``ss`` and root.

Three seconds after the promotion the killed node is started again; it rejoins
as the new primary's replica.

Reported per run: answers by status; answers whose ``store`` was
``unavailable`` (degraded verdicts) and when the last one came, counted from
the replica's promotion; latency before the kill; and, checked in Redis after
the run, how many **acknowledged** strikes (answered 200, ``store: ok``,
verdict reject) are missing. Each failover (``--modes``) is run without and with
``MODERATION_REDIS_WAIT_REPLICAS=1`` (``--waits``). The result goes to its section
of docs/SCALING.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import percentile

SECTION = "failover"
SITE = "bench"
USERS = [f"fo-user-{n}" for n in range(300)]
TEXT = "You are a pathetic idiot and everyone knows it."  # a block rule: rejected, one strike


KILL = "kill"
PARTITION = "partition, then kill"


def wait_until(check, deadline: float) -> float | None:
    """Poll ``check`` until it is true; return the monotonic time it was, or None at ``deadline``."""
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # a node still starting, or stopped, does not answer
            if check():
                return time.monotonic()
        time.sleep(0.02)
    return None


def run(mode: str, wait_replicas: int, seconds: float, kill_at: float, threads: int) -> dict:
    from moderation.service.redis_cluster import LocalCluster
    from moderation.service.store import Store, connect
    from moderation.service.store.keys import SiteKeys, UserKeys
    from tests.instances import Instance, http

    with tempfile.TemporaryDirectory(prefix="failover-", dir="/tmp") as folder:
        cluster = LocalCluster(Path(folder) / "cluster", node_timeout_ms=1000).start()
        try:
            client = connect(cluster.url, 5.0)
            store = Store(client)
            key = store.apikeys.create(SITE, "site", "failover", time.time())[0]
            client.set(SiteKeys(SITE).policy, '{"ban_steps": [[1000, 60]]}')  # every rejection is a strike
            settings = {"max_queued": 0, "max_wait_ms": 0, "redis_wait_replicas": wait_replicas}
            instances = [
                Instance(Path(folder) / name, workers=1, redis_url=cluster.url, **settings).start() for name in ("a", "b")
            ]
            try:
                victim = cluster.primary_of(UserKeys(SITE, USERS[0]).strikes)
                replica = cluster.replica_of(victim)
                records: list[tuple[float, float, int, str, str, str]] = []
                lock = threading.Lock()
                start = time.monotonic()
                stop = start + seconds

                def load(worker: int) -> None:
                    n = 0
                    while time.monotonic() < stop:
                        user = USERS[(worker * 7919 + n) % len(USERS)]
                        comment_id = f"w{worker}-{n}"
                        instance = instances[n % 2]
                        sent = time.monotonic()
                        try:
                            status, body, _ = http(
                                "POST",
                                instance.base + "/v1/comments",
                                {"id": comment_id, "user_id": user, "text": TEXT},
                                {"Authorization": f"Bearer {key}"},
                                timeout=10,
                            )
                            stored = (body or {}).get("store", "-") if status == 200 else "-"
                            verdict = (body or {}).get("verdict", "-") if status == 200 else "-"
                        except OSError:
                            status, stored, verdict = 0, "-", "-"
                        with lock:
                            records.append(
                                (sent - start, time.monotonic() - start, status, stored, verdict, f"{user}\n{comment_id}")
                            )
                        n += 1
                        time.sleep(0.01)

                workers = [threading.Thread(target=load, args=(w,)) for w in range(threads)]
                for w in workers:
                    w.start()
                time.sleep(kill_at)
                if mode == PARTITION:
                    os.kill(replica.process.pid, signal.SIGSTOP)
                    time.sleep(1.0)
                    # cut every connection to the primary (the replica's replication link among them)
                    subprocess.run(
                        ["ss", "-K", "dst", "127.0.0.1", "dport", "=", str(victim.port)], check=True, capture_output=True
                    )
                killed = time.monotonic() - start
                cluster.kill_node(victim)
                if mode == PARTITION:
                    os.kill(replica.process.pid, signal.SIGCONT)
                promoted = wait_until(lambda: replica.client(0.2).info("replication")["role"] == "master", stop + 10)
                rejoined = None
                if promoted is not None:
                    time.sleep(max(0.0, promoted + 3.0 - time.monotonic()))
                    cluster.restart_node(victim)
                    rejoined = wait_until(
                        lambda: victim.client(0.2).info("replication").get("master_link_status") == "up", stop + 10
                    )
                promoted = promoted and promoted - start
                rejoined = rejoined and rejoined - start
                for w in workers:
                    w.join()
                # acknowledged strikes that are not in Redis after the failover
                acknowledged = [r for r in records if r[2] == 200 and r[3] == "ok" and r[4] == "reject"]
                lost = 0
                check = connect(cluster.url, 5.0)
                for *_, who in acknowledged:
                    user, comment_id = who.split("\n")
                    if check.zscore(UserKeys(SITE, user).strikes, comment_id) is None:
                        lost += 1
            finally:
                for instance in instances:
                    instance.stop()
        finally:
            cluster.stop()
    statuses = Counter(r[2] for r in records)
    degraded = [r for r in records if r[2] == 200 and r[3] == "unavailable"]
    before = sorted((r[1] - r[0]) * 1000 for r in records if r[1] < killed - (1.0 if mode == PARTITION else 0))
    last_degraded = max((r[1] for r in degraded), default=None)
    return {
        "mode": mode,
        "wait": wait_replicas,
        "answers": len(records),
        "statuses": dict(sorted(statuses.items())),
        "degraded": len(degraded),
        "killed": killed,
        "promoted": promoted,
        "rejoined": rejoined,
        "last_degraded": last_degraded,
        "p50": percentile(before, 50),
        "p99": percentile(before, 99),
        "acknowledged": len(acknowledged),
        "lost": lost,
    }


def render(results: list[dict], args) -> str:
    rows = []
    for r in results:
        other_5xx = sum(n for status, n in r["statuses"].items() if status >= 500 and status != 503)
        statuses = ", ".join(f"{status or 'no answer'}: {n:,}" for status, n in r["statuses"].items())
        promotion = f"{r['promoted'] - r['killed']:.1f} s" if r["promoted"] is not None else "never"
        rejoin = f"{r['rejoined'] - r['promoted']:.1f} s" if r["rejoined"] is not None else "never"
        if r["last_degraded"] is None:
            normal = "none degraded"
        else:
            after = [f"{r['last_degraded'] - r['promoted']:+.1f} s from the promotion"] if r["promoted"] else []
            if r["rejoined"] is not None:
                after.append(f"{r['last_degraded'] - r['rejoined']:+.1f} s from the rejoin")
            normal = ", ".join(after) or "-"
        rows.append(
            f"| {r['mode']} | {r['wait']} | {r['answers']:,} ({statuses}) | {other_5xx} | {r['degraded']:,} | {promotion}"
            f" | {rejoin} | {normal} | {r['p50']:.1f} / {r['p99']:.1f} | {r['acknowledged']:,} | **{r['lost']}** |"
        )
    return "\n".join(
        [
            "### Measured",
            "",
            (
                f"Command: `.venv/bin/python -m benchmarks.failover --seconds {args.seconds:g} --kill-at {args.kill_at:g}`"
                f" ({time.strftime('%Y-%m-%d')}; {harness.machine()}; the cluster, both instances and the load on the same"
                " cores)."
            ),
            "",
            (
                "A fresh 3 x 2 cluster (node timeout 1 s) per run, two instances (1 worker, 2 threads each), 6 threads"
                " sending rejected comments (every one a strike) for 300 users, alternating the instances. `kill`:"
                " SIGKILL of one primary, its replica in sync. `partition, then kill`: the replica stopped for 1 s, its"
                " replication connection cut, then the primary killed: the replica is promoted without that second's"
                " writes. Three seconds after the promotion the killed node is started again and rejoins as a replica."
                " `wait`: `MODERATION_REDIS_WAIT_REPLICAS`. `last degraded answer`: when the last answer with"
                " `store: unavailable` came. Latency: before the failover."
            ),
            "",
            (
                "| failover | wait | answers (by status) | 5xx other than 503 | degraded answers | promotion after the kill |"
                " old primary back as a replica after the promotion | last degraded answer | p50 / p99 before (ms) |"
                " acknowledged strikes | acknowledged strikes lost |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, harness.SCALING)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--kill-at", type=float, default=6.0)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--modes", default="kill,partition", help="failovers to run: kill, partition (default both)")
    parser.add_argument("--waits", default="0,1", help="MODERATION_REDIS_WAIT_REPLICAS values (default 0,1)")
    args = parser.parse_args(argv)
    os.environ.pop("REDIS_URL", None)
    results = []
    modes = {"kill": KILL, "partition": PARTITION}
    for mode in (modes[m] for m in args.modes.split(",")):
        for wait in (int(w) for w in args.waits.split(",")):
            result = run(mode, wait, args.seconds, args.kill_at, args.threads)
            print(result, file=sys.stderr)
            results.append(result)
    harness.publish(args, SECTION, render(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
