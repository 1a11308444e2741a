"""Overload: a standing queue is refused at once, a busy moment is not, and what is accepted is served on time.

    .venv/bin/python -m benchmarks.overload [--seconds 60] [--factor 2.0] [--no-write] [--server-root DIR]

Against a real ``moderation serve`` (its default workers, threads and shedding
settings, its embedded Redis, a data folder of its own), three scenarios:

1. **A sequential client on a busy machine**: a CPU-bound process per core (at
   the server's priority) while one client sends ``--sequential`` (1,000)
   ``POST /v1/comments``, one at a time, every other one on a new connection
   (as ``curl`` does). Target (issue 21): no refusal.
2. **16 closed-loop connections** for 30 s, each sending its next request as
   soon as the last is answered: more requests in flight than the workers have
   threads, all the time, but no growing queue. Targets: at most 1% refused,
   p99 <= 80 ms.
3. **Twice the capacity, open loop**: capacity C is the 200 answers a second
   while offered ``--probe-rate`` (1,500 a second, far above what it serves)
   for ``--probe-seconds`` (20), which pays for that run's refusals (the goodput is also given
   against the closed loop's rate, which pays for none); then ``--half-seconds``
   (30) at 50% of C
   and ``--seconds`` at
   ``--factor`` x C. An open-loop generator (asyncio, one process) sends each
   request at its planned time on an idle keep-alive connection or a new one,
   whatever happened to the earlier ones; latency counts from the planned
   time, so waiting in the generator counts too. Targets: accepted p99 <= 50
   ms, goodput >= 0.8 x C, refusals (503 + ``Retry-After``) p99 <= 20 ms, every
   comment answered 200 stored once with its strike (a reject) or its queue
   entry (a review), no refused comment stored at all.

``--server-root`` runs the server from another checkout (a ``git worktree`` of
an earlier commit), so a before and after are measured with the same
generator. The comments and users are ``benchmarks/http_load.py``'s. The result goes
to its section of docs/BENCHMARKS.md (``--no-write``: printed only).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import HOST, ROOT, Client, Result, percentile
from benchmarks.http_load import make_body

SECTION = "overload"
SITE = "bench"
#: The server's niceness (the generator's is 0).
NICE = 10
#: Answers slower than this are kept with their time, to be lined up with the machine's pauses (and ``--slow-log``).
SLOW_MS = 15.0
#: Real-time priorities (SCHED_RR / SCHED_FIFO, where the system allows them) of the generator and of the pause probe.
GENERATOR_PRIORITY = 10
PROBE_PRIORITY = 20
#: A gap this long between the probe's 1 ms sleeps is a pause of the machine.
PAUSE_MS = 5.0

#: The pause probe: a separate process per CPU, pinned to it, at the highest priority here, sleeping 1 ms at a time
#: and writing down every gap over PAUSE_MS (its wall-clock start and end). Nothing this project runs can keep it
#: from its core, so a gap is that core's pause (the hypervisor's or the kernel's), not the server's or the
#: generator's; and whatever ran on that core was stopped as long.
PROBE = """
import os, sys, time
priority, limit, path, cpu = int(sys.argv[1]), float(sys.argv[2]) / 1000, sys.argv[3], int(sys.argv[4])
out = open(path, "w", buffering=1)
os.sched_setaffinity(0, {cpu})
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    out.write("realtime\\n")
except (OSError, AttributeError):
    out.write("normal\\n")
last = time.perf_counter()
while True:
    time.sleep(0.001)
    now = time.perf_counter()
    if now - last > limit:
        wall = time.time()
        out.write(f"{wall - (now - last) + 0.001:.6f} {wall:.6f}\\n")
    last = now
"""


def body_for(nonce: str, worker: int, n: int, rng: random.Random) -> bytes:
    """``benchmarks/http_load.py``'s body, with users of this run only (so its trolls get strikes, not earlier bans)."""
    return make_body(nonce, worker, n, rng).replace(b'"user_id": "user-', f'"user_id": "{nonce}-user-'.encode())


async def open_loop(port: int, key: str, rate: float, seconds: float, nonce: str) -> Result:
    """Send ``rate`` requests a second for ``seconds``, each at its planned time; return what came back.

    The generator's garbage collector is off meanwhile: a full collection over the answers kept here would pause
    the generator for tenths of a second, and that pause would count as the server's latency."""
    gc.collect()
    gc.disable()
    try:
        return await _open_loop(port, key, rate, seconds, nonce)
    finally:
        gc.enable()


async def _open_loop(port: int, key: str, rate: float, seconds: float, nonce: str) -> Result:
    result = Result(rate, seconds)
    client = Client(port, key, result)
    rng = random.Random(nonce)
    loop = asyncio.get_running_loop()
    # The requests in flight only: gathering every task of the run at its end (over 100,000) held the event loop for
    # a quarter of a second, and the last answers were read that much late (docs/BENCHMARKS.md, "Overload").
    pending: set[asyncio.Future] = set()

    async def one(n: int, planned: float) -> None:
        body = body_for(nonce, 0, n, rng)
        comment = json.loads(body)
        started = loop.time()
        try:
            status, answer = await asyncio.wait_for(client.send(body), 10.0)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            result.errors[type(error).__name__] += 1
            return
        latency = (loop.time() - planned) * 1000
        result.latencies[status].append(latency)
        result.lag.append((started - planned) * 1000)
        if latency > SLOW_MS:
            result.slow.append((planned - loop.time() + time.time(), status, latency, (started - planned) * 1000))
        if status == 200:
            result.accepted.append((comment["id"], comment["user_id"], answer))
        elif status in (429, 503):
            result.refused.append((comment["id"], comment["user_id"]))

    start = loop.time() + 0.05
    times = os.times()
    cpu_before = times.user + times.system
    total = int(rate * seconds)
    for n in range(total):
        planned = start + n / rate
        delay = planned - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.ensure_future(one(n, planned))
        pending.add(task)
        task.add_done_callback(pending.discard)
        result.sent += 1
    await asyncio.gather(*pending)
    client.close()
    used = os.times()
    result.generator_cores = (used.user + used.system - cpu_before) / (loop.time() - start)
    return result


async def closed_loop(port: int, key: str, connections: int, seconds: float, nonce: str) -> Result:
    """Return what ``connections`` connections saw, each sending its next request as soon as the last was answered
    (latency from the request's start): ``harness.closed_loop`` with this benchmark's bodies."""
    return await harness.closed_loop(
        port, key, connections, seconds, nonce, lambda w, n, rng: body_for(nonce, w, n, rng)
    )


def sequential(port: int, key: str, count: int, nonce: str, burners: int) -> Result:
    """Send ``count`` requests one at a time (every other one on a new connection) while ``burners`` CPU-bound
    processes, at the server's priority, keep the cores busy; return what came back (latency from each start)."""
    import http.client

    result = Result(0, 0)
    rng = random.Random(nonce)
    spin = [
        subprocess.Popen(["nice", "-n", str(NICE), sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(burners)
    ]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    kept = http.client.HTTPConnection(HOST, port, timeout=10)
    began = time.monotonic()
    try:
        time.sleep(1.0)  # the burners are running
        for n in range(count):
            connection = kept if n % 2 else http.client.HTTPConnection(HOST, port, timeout=10)
            started = time.monotonic()
            try:
                connection.request("POST", "/v1/comments", body_for(nonce, 0, n, rng), headers)
                response = connection.getresponse()
                response.read()
            except OSError as error:
                result.errors[type(error).__name__] += 1
                connection.close()
                continue
            result.latencies[response.status].append((time.monotonic() - started) * 1000)
            result.sent += 1
            if connection is not kept:
                connection.close()
    finally:
        kept.close()
        for process in spin:
            process.kill()
            process.wait()
    result.seconds = time.monotonic() - began
    return result


def realtime(priority: int) -> bool:
    """Run this process at a real-time priority (round robin) if the system allows it; its children start normal."""
    try:
        os.sched_setscheduler(0, os.SCHED_RR | os.SCHED_RESET_ON_FORK, os.sched_param(priority))
    except (OSError, AttributeError):
        return False
    return True


class PauseProbe:
    """The ``PROBE`` processes for the length of a run, one per CPU: ``pauses`` are the spans (wall clock) in which
    one core or more was paused, ``per_cpu`` how many pauses each core had."""

    def __init__(self, folder: Path):
        self.paths = {cpu: folder / f"pauses-{cpu}.txt" for cpu in sorted(os.sched_getaffinity(0))}
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-c", PROBE, str(PROBE_PRIORITY), str(PAUSE_MS), str(path), str(cpu)],
                stdin=subprocess.DEVNULL,
            )
            for cpu, path in self.paths.items()
        ]
        self.pauses: list[tuple[float, float]] = []
        self.per_cpu: dict[int, int] = {}
        self.longest = 0.0
        self.realtime = False

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(5)
        spans, modes = [], set()
        for cpu, path in self.paths.items():
            lines = path.read_text().splitlines() if path.exists() else []
            modes.add(lines[0] if lines else "")
            found = [(float(a), float(b)) for a, b in (line.split() for line in lines[1:] if len(line.split()) == 2)]
            self.per_cpu[cpu] = len(found)
            spans += found
        self.realtime = modes == {"realtime"}
        self.longest = max((b - a for a, b in spans), default=0.0)
        for a, b in sorted(spans):  # one span where the cores' pauses overlap
            if self.pauses and a <= self.pauses[-1][1]:
                self.pauses[-1] = (self.pauses[-1][0], max(b, self.pauses[-1][1]))
            else:
                self.pauses.append((a, b))


def less_pauses(result: Result, pauses: list[tuple[float, float]], statuses: tuple[int, ...]) -> float:
    """The slowest answer with one of ``statuses``, less the time the machine was paused while it was under way."""
    worst = max((v for s in statuses for v in result.latencies[s] if v <= SLOW_MS), default=0.0)  # not in ``slow``
    for began, status, ms, _ in result.slow:
        if status in statuses:
            ended = began + ms / 1000
            paused = sum(max(0.0, min(ended, b) - max(began, a)) for a, b in pauses)
            worst = max(worst, ms - paused * 1000)
    return worst


def check_store(redis_url: str, result: Result) -> dict[str, int]:
    """Count, in Redis, accepted comments stored once with their strike or queue entry, and refused ones stored."""
    from moderation.service.store import connect
    from moderation.service.store.keys import SiteKeys, UserKeys

    client = connect(redis_url, 10.0)
    site = SiteKeys(SITE)
    found = collections.Counter()
    pipe = client.pipeline(transaction=False)
    for cid, user, _ in result.accepted:
        keys = UserKeys(SITE, user)
        pipe.exists(keys.comment(cid))
        pipe.hget(keys.comment(cid), "struck")
        pipe.zscore(keys.strikes, cid)
        pipe.zscore(site.queue, cid)
    answers = pipe.execute()
    for i, (_, _, raw) in enumerate(result.accepted):
        exists, struck, strike, queued = answers[4 * i : 4 * i + 4]
        verdict = json.loads(raw)["verdict"]
        found["accepted"] += 1
        found[f"verdict {verdict}"] += 1
        found["stored"] += bool(exists)
        if verdict == "reject" and struck == "1":  # a banned user's comments are rejected without a strike
            found["strikes"] += 1
            found["strikes present"] += strike is not None
        elif verdict == "review":
            found["reviews"] += 1
            found["reviews queued"] += queued is not None
    pipe = client.pipeline(transaction=False)
    for cid, user in result.refused:
        pipe.exists(UserKeys(SITE, user).comment(cid))
        pipe.exists(site.claim(cid))
    refused = pipe.execute()
    found["refused"] = len(result.refused)
    found["refused but stored"] = sum(1 for x in refused if x)
    # A sorted set holds a member once, and each comment's key is its id: "exactly once" is exists + the set member.
    return dict(found)


def progress(label: str, r: Result) -> None:
    """Print a run's row and the generator's own figures (its lag and the cores it used) on stderr."""
    print(
        row(label, r), dict(r.errors), "lag p99", percentile(sorted(r.lag), 99), "gen cores", r.generator_cores, file=sys.stderr
    )


def row(label: str, r: Result) -> str:
    ok, refused = (200,), (429, 503)
    other = sum(len(v) for s, v in r.latencies.items() if s not in ok + refused) + sum(r.errors.values())
    answered = r.count(*ok, *refused)
    return (
        f"| {label} | {r.rate:,.0f} | {r.sent:,} | {r.count(200):,} ({r.count(200) / r.seconds:,.0f}/s) | "
        f"{r.pct(ok, 50):.1f} / {r.pct(ok, 99):.1f} / {r.worst(ok):.1f} | {r.count(*refused):,} | "
        f"{r.pct(refused, 50):.1f} / {r.pct(refused, 99):.1f} / {r.worst(refused):.1f} | {r.within(refused, 20):.2%} | {other} | "
        f"{r.connections_opened:,} | {answered:,} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the overloaded run (default 60)")
    parser.add_argument("--factor", type=float, default=2.0, help="offered load as a multiple of C (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="connections of the warm-up (default 8)")
    parser.add_argument("--closed", type=int, default=16, help="connections of the closed-loop run (default 16)")
    parser.add_argument("--closed-seconds", type=float, default=30.0, help="length of the closed-loop run (default 30)")
    parser.add_argument("--warmup-seconds", type=float, default=5.0, help="length of the warm-up (default 5)")
    parser.add_argument("--half-seconds", type=float, default=30.0, help="length of the run at 0.5 x C (default 30)")
    parser.add_argument("--probe-seconds", type=float, default=20.0, help="length of the capacity run (default 20)")
    parser.add_argument("--sequential", type=int, default=1000, help="requests of the sequential run (default 1000)")
    parser.add_argument("--burners", type=int, default=1, help="CPU-bound processes per core in the sequential run (1)")
    parser.add_argument("--probe-rate", type=float, default=1500.0, help="arrivals a second of the capacity run (1500)")
    parser.add_argument("--capacity", type=float, help="skip the capacity run and use this C")
    parser.add_argument("--max-queued", type=int, help="MODERATION_MAX_QUEUED for the server (default: its default)")
    parser.add_argument("--max-wait-ms", type=float, help="MODERATION_MAX_WAIT_MS for the server (default: its default)")
    parser.add_argument("--redis-url", help="a Redis for the server (default: its embedded one, with its AOF)")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="run the server from this checkout (default: this one)")
    parser.add_argument("--slow-log", type=Path, help=f"write the overloaded run's answers slower than {SLOW_MS:g} ms here")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="overload-", dir="/tmp"))
    env = harness.service_env(tmp / "data")
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if args.max_queued is not None:
        env["MODERATION_MAX_QUEUED"] = str(args.max_queued)
    if args.max_wait_ms is not None:
        env["MODERATION_MAX_WAIT_MS"] = str(args.max_wait_ms)
    cores = len(os.sched_getaffinity(0))
    # The server runs at a lower priority (nice 10) than this generator: on a machine with as few cores as this one,
    # a starved generator would send late and read late, and its own delay would count as the server's (clients
    # are on other machines in production). With nice 5 instead, 0.3% of refusals still took over 20 ms.
    with harness.serving(env, tmp / "serve.log", nice=NICE, root=args.server_root.resolve()) as (_, port):
        from moderation.service.redis_server import RedisServer
        from moderation.service.store import Store, connect

        redis_url = args.redis_url or RedisServer(tmp / "data" / "redis").url
        key = Store(connect(redis_url, 5.0)).apikeys.create(SITE, "site", "overload", time.time())[0]
        nonce = f"{time.time():.0f}"
        generator_realtime = realtime(GENERATOR_PRIORITY)
        print("warming up ...", file=sys.stderr)
        asyncio.run(closed_loop(port, key, args.connections, args.warmup_seconds, nonce + "w"))
        print("sequential, every core busy ...", file=sys.stderr)
        alone = sequential(port, key, args.sequential, nonce + "s", args.burners * cores)
        progress("sequential", alone)
        print(f"{args.closed} closed-loop connections ...", file=sys.stderr)
        closed = asyncio.run(closed_loop(port, key, args.closed, args.closed_seconds, nonce + "l"))
        progress("closed", closed)
        closed_rate = closed.count(200) / closed.seconds
        probe_rate = None
        if args.capacity:
            capacity = args.capacity
        else:  # what it serves while offered far more than that (paying for its refusals), as the targets were set
            probe = asyncio.run(open_loop(port, key, args.probe_rate, args.probe_seconds, nonce + "c"))
            probe_rate = probe.count(200) / probe.seconds
            capacity = probe_rate
        print(f"capacity C = {capacity:,.0f} requests/s", file=sys.stderr)
        pauses = PauseProbe(tmp)
        try:
            half = asyncio.run(open_loop(port, key, capacity * 0.5, args.half_seconds, nonce + "h"))
            progress("0.5 x C", half)
            over = asyncio.run(open_loop(port, key, capacity * args.factor, args.seconds, nonce + "o"))
            progress("over", over)
        finally:
            pauses.stop()
        if args.slow_log:
            args.slow_log.write_text("".join(f"{t:.4f} {s} {ms:.1f} lag={lag:.1f}\n" for t, s, ms, lag in sorted(over.slow)))
        time.sleep(1.0)
        found = check_store(redis_url, over)
        found_half = check_store(redis_url, half)
    ok = (200,)
    refused = (429, 503)

    def others(r: Result) -> int:
        return sum(len(v) for s, v in r.latencies.items() if s not in ok + refused) + sum(r.errors.values())

    goodput = over.count(200) / over.seconds
    verdicts = {
        f"sequential client, every core busy: no refusal in {alone.sent:,}": alone.count(*refused) == 0 and others(alone) == 0,
        f"{args.closed} closed-loop connections: <= 1% refused": closed.count(*refused) <= 0.01 * closed.sent
        and others(closed) == 0,
        f"{args.closed} closed-loop connections: p99 <= 80 ms": closed.pct(ok, 99) <= 80,
        f"{args.factor:g} x C: accepted p99 <= 50 ms": over.pct(ok, 99) <= 50,
        f"{args.factor:g} x C: goodput >= 0.8 x C": goodput >= 0.8 * capacity,
        f"{args.factor:g} x C: goodput >= 0.8 x the closed-loop rate (stricter)": goodput >= 0.8 * closed_rate,
        f"{args.factor:g} x C: refusals p99 <= 20 ms": over.pct(refused, 99) <= 20,
        f"{args.factor:g} x C: no other error": others(over) == 0,
        "every accepted comment stored once with its strike or queue entry": found["stored"] == found["accepted"]
        and found.get("strikes present", 0) == found.get("strikes", 0)
        and found.get("reviews queued", 0) == found.get("reviews", 0)
        and found_half["stored"] == found_half["accepted"],
        "no refused comment stored": found["refused but stored"] == 0,
    }
    code = "" if args.server_root.resolve() == ROOT else f" (server from `{args.server_root}`)"
    section = "\n".join(
        [
            "## Overload: load shedding",
            "",
            (
                f"Command: `.venv/bin/python -m benchmarks.overload --seconds {args.seconds:g} --factor {args.factor:g}`{code}"
                f" ({time.strftime('%Y-%m-%d %H:%M')}; {harness.machine()})."
            ),
            "",
            (
                "`moderation serve` (nice 10) with its defaults (workers: one per core, 2 threads each, load shedding"
                " as `MODERATION_MAX_QUEUED`, `MODERATION_MAX_WAIT_MS` and `MODERATION_SHED_INTERVAL_MS` default to)"
                + (" and the Redis at `--redis-url`" if args.redis_url else " and its embedded Redis (AOF on)")
                + "; `POST /v1/comments` with `benchmarks/http_load.py`'s comments. The generator"
                " (one process on the same cores, "
                + (f"at real-time priority {GENERATOR_PRIORITY}" if generator_realtime else "at normal priority")
                + ", so the server cannot keep it from a core: clients are on other machines in production)."
            ),
            "",
            "| scenario | sent | answered 200 | 200: p50 / p99 / max (ms) | refused (429/503) | refused: p50 / p99 / max (ms) | other errors |",
            "|---|---|---|---|---|---|---|",
            scenario_row(
                f"sequential, {args.burners * cores} CPU-bound processes at the server's priority on {cores} cores", alone
            ),
            scenario_row(f"{args.closed} closed-loop connections, {args.closed_seconds:g} s", closed),
            "",
            (
                "The open loop: each request is sent at its planned time on an idle keep-alive connection or a new one;"
                " latency counts from the planned time. The machine's own pauses: a probe process on each core"
                f" ({'real-time priority ' + str(PROBE_PRIORITY) if pauses.realtime else 'normal priority: its gaps include waiting for a core'})"
                f" sleeps 1 ms at a time during both runs; they saw gaps over {PAUSE_MS:g} ms"
                f" ({', '.join(f'core {cpu}: {n}' for cpu, n in pauses.per_cpu.items())}; longest {pauses.longest * 1000:.1f} ms,"
                f" {sum(b - a for a, b in pauses.pauses) * 1000:.0f} ms with a core paused in all). Slowest refusal at {args.factor:g} x C less"
                f" the pauses it overlapped: {less_pauses(over, pauses.pauses, refused):.1f} ms;"
                f" slowest accepted request, the same: {less_pauses(over, pauses.pauses, ok):.1f} ms."
            ),
            "",
            (
                f"Capacity C: **{capacity:,.0f} requests/s** answered 200"
                + (
                    f", what it serves while offered {args.probe_rate:,.0f} a second for {args.probe_seconds:g} s"
                    if probe_rate
                    else " (given)"
                )
                + " (the definition the targets were set with; it pays for the refusals of that run). Without"
                f" refusals, kept busy by the {args.closed} closed-loop connections, it served **{closed_rate:,.0f} a"
                f" second**. Goodput at {args.factor:g} x C: **{goodput:,.0f} a second, {goodput / capacity:.2f} x C,"
                f" {goodput / closed_rate:.2f} x the closed-loop rate**."
            ),
            "",
            (
                "| offered | rate (/s) | sent | accepted (200) | accepted p50 / p99 / max (ms) | refused (429/503) |"
                " refused p50 / p99 / max (ms) | refused within 20 ms | other errors | connections opened | answered |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|---|",
            row(f"0.5 x C, {args.half_seconds:g} s", half),
            row(f"{args.factor:g} x C, {args.seconds:g} s", over),
            "",
            "Checked in Redis afterwards (the overloaded run): "
            + ", ".join(f"{k} {v:,}" for k, v in found.items())
            + f"; at 0.5 x C: {found_half['accepted']:,} accepted, {found_half['stored']:,} stored.",
            "",
            "| target | met |",
            "|---|---|",
            *(f"| {k} | {'yes' if v else '**no**'} |" for k, v in verdicts.items()),
        ]
    )
    harness.publish(args, SECTION, section)
    return 0


def scenario_row(label: str, r: Result) -> str:
    ok, refused = (200,), (429, 503)
    other = sum(len(v) for s, v in r.latencies.items() if s not in ok + refused) + sum(r.errors.values())
    return (
        f"| {label} | {r.sent + sum(r.errors.values()):,} | {r.count(200):,} | {r.pct(ok, 50):.1f} / {r.pct(ok, 99):.1f} /"
        f" {r.worst(ok):.1f} | {r.count(*refused):,} ({r.count(*refused) / max(1, r.sent):.2%}) |"
        f" {r.pct(refused, 50):.1f} / {r.pct(refused, 99):.1f} / {r.worst(refused):.1f} | {other} |"
    )


if __name__ == "__main__":
    sys.exit(main())
