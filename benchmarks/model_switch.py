"""Benchmark a model switch under load: how long until every worker serves the new version, and what fails.

One run:

1. a second model version is trained (``moderation train`` on the shared
   datasets plus a few made-up labelled comments, so its version differs from
   the shipped model; about a minute), unless ``--model FILE`` gives one;
2. ``moderation serve`` starts (gunicorn, 2 workers by default, private
   embedded Redis, a temporary data and model directory whose active version
   is the shipped model) and a ``site`` key is made;
3. load threads POST ``/v1/score`` continuously, each request on a new
   connection so the kernel spreads them over the workers (``reuse_port``);
4. after a warm-up, ``moderation model publish`` makes the second version
   active; later ``moderation model rollback`` makes the first active again;
5. for each switch: the time from the publish until the last answer from the
   old version (the slowest worker's switch), answers that were not 200,
   and latency percentiles before and during the switch.

    .venv/bin/python -m benchmarks.model_switch [--workers 2] [--model FILE] [--warmup 5] [--pause 0] [--no-write]

Results are printed and written into docs/BENCHMARKS.md between
``<!-- switch:start -->`` and ``<!-- switch:end -->``.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import percentile
from moderation.classifier import artifact

SECTION = "switch"
TEXTS = [
    "The council should publish the full traffic study before the vote.",
    "You clown, read the article first",
    "Great reporting, thanks for covering the school budget.",
    "Check out my channel for more videos like this",
]
EXTRA = [
    {"text": f"the {thing} report was {word}", "abuse": label, "attack": 0, "promotion": 0}
    for thing in ("bus", "budget", "bridge", "school", "stadium", "hospital")
    for word, label in (("thorough", 0), ("useful", 0), ("bollocks", 1))
]


def call(port: int, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


class Load:
    """Threads POSTing /v1/score; every answer recorded as (time, status, version, seconds)."""

    def __init__(self, port: int, key: str, threads: int, pause: float = 0.0):
        self.port, self.key, self.pause = port, key, pause
        self.records: list[tuple[float, int, str | None, float]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def run(self, index: int) -> None:
        n = index
        while not self.stop.is_set():
            n += 1
            started = time.time()  # wall clock: comparable with the pointer file's modification time
            try:
                status, body = call(self.port, "POST", "/v1/score", {"text": TEXTS[n % len(TEXTS)]}, self.key)
                version = body.get("model_version") if status == 200 else None
            except (OSError, http.client.HTTPException, ValueError):
                status, version = 0, None
            with self.lock:
                self.records.append((started, status, version, time.time() - started))
            if self.pause:
                self.stop.wait(self.pause)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


def switch(load: Load, command: list[str], pointer: Path, old: str, new: str, settle_s: float) -> dict:
    """Run ``command`` (publish or rollback) under load; return what happened."""
    with load.lock:
        before = [r for r in load.records if r[0] > time.time() - 3]
    t0 = time.time()
    subprocess.run(command, check=True, capture_output=True, text=True)
    command_s = time.time() - t0
    t1 = pointer.stat().st_mtime  # when the active pointer changed
    time.sleep(settle_s)
    with load.lock:
        during = [r for r in load.records if r[0] >= t0]
    last_old = max((r[0] + r[3] for r in during if r[2] == old), default=t1)
    first_new = min((r[0] + r[3] for r in during if r[2] == new), default=float("nan"))
    tail = [r for r in during if r[0] > last_old]
    # The command checks that the file loads, then renames the pointer at its very end: times count from then.
    return {
        "command_s": command_s,
        "first_new_s": first_new - t1,
        "last_old_s": last_old - t1,
        "answers": len(during),
        "failed": sum(1 for r in during if r[1] != 200),
        "after_all_new": bool(tail) and all(r[2] == new for r in tail),
        "p50_before_ms": percentile((r[3] for r in before), 50) * 1000,
        "p99_before_ms": percentile((r[3] for r in before), 99) * 1000,
        "p99_during_ms": percentile((r[3] for r in during if r[0] <= t1 + 5), 99) * 1000,
        "max_during_ms": max((r[3] for r in during if r[0] <= t1 + 5), default=0) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="load threads")
    parser.add_argument("--model", type=Path, help="the second version (default: train one, about a minute)")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds of load after each switch")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before the first switch (default 5)")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds each load thread waits between requests (default 0)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="switch-bench-") as tmp:
        tmp = Path(tmp)
        second = args.model
        if second is None:
            extra = tmp / "extra.jsonl"
            extra.write_text("".join(json.dumps(r) + "\n" for r in EXTRA), encoding="utf-8")
            second = tmp / "second.model"
            print("training a second version (about a minute)...", file=sys.stderr)
            subprocess.run([*harness.cli_command(), "train", "--extra", str(extra), "--out", str(second), "--quiet"], check=True)
        old = artifact.read_card(artifact.DEFAULT_MODEL)["version"]
        new = artifact.read_card(second)["version"]
        if old == new:
            print("the second model has the shipped model's version; give another --model", file=sys.stderr)
            return 2
        env = harness.service_env(tmp / "var")
        cli = harness.cli_command()
        models = ["--model-dir", str(tmp / "var" / "models")]
        pointer = tmp / "var" / "models" / "active"
        subprocess.run([*cli, "model", *models, "rollback", old], check=True, env=env, capture_output=True)
        with harness.serving(env, tmp / "serve.log", ["--workers", str(args.workers)]) as (_, port):
            key = subprocess.run(
                [*cli, "keys", "create", "--site", "bench", "--role", "site"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            with Load(port, key, args.threads, args.pause) as load:
                time.sleep(args.warmup)
                forward = switch(load, [*cli, "model", *models, "publish", str(second)], pointer, old, new, args.settle)
                back = switch(load, [*cli, "model", *models, "rollback", old], pointer, new, old, args.settle)
                total = len(load.records)

    poll = 2.0
    rows = [("publish (shipped -> second)", forward), ("rollback (second -> shipped)", back)]
    lines = [
        "## Model switch under load",
        "",
        (
            f"Command: `.venv/bin/python -m benchmarks.model_switch --workers {args.workers}"
            f"{' --model ' + str(args.model) if args.model else ''}` "
            f"({datetime.now(UTC).strftime('%Y-%m-%d')}; {harness.machine()})."
        ),
        "",
        (
            f"`moderation serve` with {args.workers} workers (2 threads each) and its embedded Redis; {args.threads} load "
            f"threads POST `/v1/score` on new connections (spread over the workers); {total:,} requests in all. "
            "The second version was trained by `moderation train` on the shared datasets plus the script's few made-up rows. "
            f"Each worker looks at the model directory at most every {poll:g} s (`MODERATION_MODEL_POLL_S`) and loads a "
            "new version on a background thread."
        ),
        "",
        (
            "| switch | command | first answer from the new version | last answer from the old version "
            "| answers during the switch | failed | p50 / p99 before (ms) | p99 / max during (ms) |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['command_s']:.2f} s | {r['first_new_s']:.2f} s | {r['last_old_s']:.2f} s | {r['answers']:,} | {r['failed']} "
            f"| {r['p50_before_ms']:.1f} / {r['p99_before_ms']:.1f} | {r['p99_during_ms']:.1f} / {r['max_during_ms']:.1f} |"
        )
    ok = all(r["failed"] == 0 and r["after_all_new"] and r["last_old_s"] <= poll + 3 for _, r in rows)
    lines += [
        "",
        (
            "`command` is how long `moderation model publish/rollback` ran (Python start-up, copying the file, checking "
            "that it loads, on a machine busy with the load); the other times count from the moment it renamed the "
            "`active` pointer (the file's modification time). Target: every worker on the new version within a few seconds (at most the poll "
            f"interval plus 3 s) and no failed request: **{'met' if ok else 'not met'}**. Loading a version costs each worker a few tenths of a second "
            "of CPU on its background thread; requests go on meanwhile, slower for that moment (the max column)."
        ),
    ]
    harness.publish(args, SECTION, "\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
