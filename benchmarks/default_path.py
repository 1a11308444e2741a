"""The default configuration's speed and memory, the encoder on (issue 22), and the sub-millisecond path for comparison.

    .venv/bin/python -m benchmarks.default_path [--encoder uncertain] [--requests 1000] [--seconds 20] [--no-write]

Against a real ``moderation serve`` (its defaults: a worker per core, 2 threads each, the embedded Redis, the
model's default encoder mode unless ``--encoder``), with the load generator on the same machine:

1. **one comment through HTTP**: ``POST /v1/comments`` sent one at a time on a kept connection, ``--requests``
   of them, latency from sending to the whole answer:
   - *news traffic*: the comments of the held-out news data as a site sends them, natural lengths (UCC's test
     split and C3's evaluation half: mostly healthy);
   - *the classifier benchmark's mix*: 280-320 characters joined from the whole test split
     (``benchmarks/classifier.latency_comments``: half of it toxic or borderline);
2. **throughput**: 16 connections, each sending its next news comment as soon as the last is answered, for
   ``--seconds``; requests answered 200 per second;
3. **memory**: each worker's resident set (``VmRSS``) after the runs;
4. **``moderation score``** on the news comments as JSON Lines (one process, the CLI as a user runs it):
   comments per second, and the model's load time (``Assessor.load``, median of 3 fresh processes).

Targets (issue 22, default configuration): one comment p50 <= 6 ms and p99 <= 30 ms on news traffic, p99 <= 40 ms
on the mix; ``moderation score`` >= 300 comments/s; >= 300 requests/s with 2 workers; <= 500 MB per worker;
model load <= 3 s. Written to its section of docs/BENCHMARKS.md, one section per encoder mode measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import HOST, ROOT, percentile

SITE = "bench"


def news_texts() -> list[str]:
    """The held-out news comments (UCC test split, C3 evaluation half), in a fixed order."""
    from moderation.training.splits import C3_EVALUATION, TEST

    parts = harness.splits()
    return [e.text for e in parts[TEST] if e.source == "ucc"] + [e.text for e in parts[C3_EVALUATION]]


def mix_texts(count: int) -> list[str]:
    """The classifier benchmark's latency mix."""
    from benchmarks.classifier import latency_comments
    from moderation.training.splits import TEST

    return latency_comments([e.text for e in harness.splits()[TEST]], count)


def one_at_a_time(port: int, key: str, texts: list[str], nonce: str) -> list[float]:
    """Send each text as a comment, one at a time on a kept connection; return the milliseconds of each."""
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    times = []
    for n, text in enumerate(texts):
        body = json.dumps({"id": f"{nonce}-{n}", "user_id": f"{nonce}-u{n % 500}", "text": text})
        started = time.perf_counter()
        connection.request("POST", "/v1/comments", body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"answer {response.status} to a comment")
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return times


async def closed_loop(port: int, key: str, texts: list[str], connections: int, seconds: float, nonce: str) -> tuple[int, int, float]:
    """Return (answered 200, other answers and cut connections, seconds) from ``connections`` connections sending
    the texts back to back (``harness.closed_loop``)."""

    def body(w: int, n: int, _rng) -> bytes:
        text = texts[(w * 7919 + n) % len(texts)]
        return json.dumps({"id": f"{nonce}-{w}-{n}", "user_id": f"{nonce}-u{(w * 31 + n) % 700}", "text": text}).encode()

    result = await harness.closed_loop(port, key, connections, seconds, nonce, body)
    ok = result.count(200)
    return ok, result.sent - ok + sum(result.errors.values()), result.seconds


def worker_rss_mb(master: int) -> list[float]:
    """Resident memory of each gunicorn worker (children of the master that are not the redis-server)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == master and b"redis-server" not in command:
            status = (entry / "status").read_text()
            out.append(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024)
    return sorted(out)


def score_rate(texts: list[str], env: dict, tmp: Path) -> float:
    """``moderation score`` over the texts as JSON Lines: comments a second, the whole command timed."""
    path = tmp / "score.jsonl"
    path.write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(texts)), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "moderation.cli", "score", "--input", str(path), "--output", os.devnull], env=env, cwd=ROOT, check=True
    )
    return len(texts) / (time.perf_counter() - started)


def load_seconds(env: dict, runs: int) -> float:
    """Median of ``runs`` fresh processes: ``Assessor.load()`` after the imports."""
    code = (
        "import time; from moderation.classifier.assessor import Assessor; t = time.perf_counter(); a = Assessor.load();"
        " a.assess('warm'); print(time.perf_counter() - t)"
    )
    command = [sys.executable, "-c", code]
    times = [float(subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--encoder", choices=("off", "uncertain", "all"), help="MODERATION_ENCODER (default: the model's)")
    parser.add_argument("--requests", type=int, default=1000, help="comments sent one at a time, per traffic (default 1000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the throughput run (default 20)")
    parser.add_argument("--news", type=int, help="news comments used at most (default: all; smaller for a smoke run)")
    parser.add_argument("--load-runs", type=int, default=3, help="fresh processes timing the model's load (default 3)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for the server (experiments)")
    args = parser.parse_args(argv)

    from moderation.classifier.assessor import Assessor

    mode = args.encoder or Assessor.load().encoder_mode
    news, mix = news_texts()[: args.news], mix_texts(args.requests)
    tmp = Path(tempfile.mkdtemp(prefix="default-path-", dir="/tmp"))
    env = harness.service_env(tmp / "data", MODERATION_ENCODER=mode)
    for setting in args.set:  # experiments: --set MODERATION_X=value
        name, _, value = setting.partition("=")
        env[name] = value
    with harness.serving(env, tmp / "serve.log") as (server, port):
        key = harness.site_key(tmp / "data", SITE, "bench")
        nonce = f"{time.time():.0f}"
        one_at_a_time(port, key, news[:100], nonce + "w")  # warm-up
        single = {
            "news traffic": sorted(one_at_a_time(port, key, news[: args.requests], nonce + "n")),
            "the classifier benchmark's mix": sorted(one_at_a_time(port, key, mix, nonce + "m")),
        }
        ok, other, took = asyncio.run(closed_loop(port, key, news, 16, args.seconds, nonce + "t"))
        rss = worker_rss_mb(server.popen.pid)
    rate = score_rate(news, env, tmp)
    load = load_seconds(env, args.load_runs)
    throughput = ok / took
    p = {name: (percentile(v, 50), percentile(v, 99)) for name, v in single.items()}
    verdicts = {
        "one comment, news traffic: p50 <= 6 ms": p["news traffic"][0] <= 6,
        "one comment, news traffic: p99 <= 30 ms": p["news traffic"][1] <= 30,
        "one comment, the mix: p99 <= 40 ms": p["the classifier benchmark's mix"][1] <= 40,
        "moderation score >= 300 comments/s": rate >= 300,
        "2 workers: >= 300 requests/s": throughput >= 300 and other == 0,
        "resident memory <= 500 MB per worker": max(rss) <= 500,
        "model load <= 3 s": load <= 3,
    }
    section = "\n".join(
        [
            f"## The default path, encoder `{mode}`",
            "",
            (
                f"Command: `.venv/bin/python -m benchmarks.default_path --encoder {mode}` ({time.strftime('%Y-%m-%d %H:%M')};"
                f" {harness.machine()}). `moderation serve` with its defaults ({len(rss)} workers, 2 threads each, embedded"
                f" Redis), `MODERATION_ENCODER={mode}`; the load generator on the same machine."
            ),
            "",
            "| measure | value |",
            "|---|---|",
            *(
                f"| one comment through HTTP, {name} ({len(single[name]):,}): p50 / p99 / max | {a:.2f} / {b:.2f} / {single[name][-1]:.2f} ms |"
                for name, (a, b) in p.items()
            ),
            f"| 16 connections back to back, news traffic, {took:.0f} s | {throughput:,.0f} requests/s answered 200 ({other:,} others: refused or cut) |",
            f"| resident memory per worker after the runs | {', '.join(f'{m:.0f}' for m in rss)} MB |",
            f"| `moderation score`, {len(news):,} news comments | {rate:,.0f} comments/s (the whole command, load included) |",
            f"| model load (`Assessor.load()` and a first comment, median of {args.load_runs} processes) | {load:.2f} s |",
            "",
            "| target | met |",
            "|---|---|",
            *(f"| {k} | {'yes' if v else '**no**'} |" for k, v in verdicts.items()),
        ]
    )
    harness.publish(args, f"default-path-{mode}", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
