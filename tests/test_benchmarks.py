"""Every benchmark runs, briefly, so that none rots unnoticed: ``python -m benchmarks.<name>`` with tiny parameters
and ``--no-write`` (nothing goes into docs/), each for a few seconds, several at a time.

What they measure is not checked here (the figures of a run this short, on a busy machine, mean nothing): only that
each one runs to its end and prints its section. A benchmark that needs what this environment lacks is skipped with
the reason: the shared datasets (../shared/datasets), git, root (``ss -K``). ``benchmarks.retrain`` trains a model
on the full datasets (minutes): only its command line is checked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets"
#: Benchmarks run at the same time: most of a short run is waiting for a server to start or a poll to come round.
PARALLEL = 4
TIMEOUT_S = 150

#: name -> (arguments, what it needs), the longest first. Each runs a few seconds (the sentence encoder off where a
#: benchmark can do without it: it is most of the CPU); the defaults are the real measurements.
RUNS: dict[str, tuple[list[str], set[str]]] = {
    "model_switch": (["--warmup", "1", "--settle", "1", "--threads", "1", "--pause", "0.01", "--workers", "1"], set()),
    "scale": (
        ["--seconds", "0.5", "--warmup-seconds", "0.5", "--comments", "1000", "--app-comments", "100", "--layouts", "single:1:1"],
        set(),
    ),
    "default_path": (
        ["--requests", "20", "--seconds", "1", "--news", "100", "--load-runs", "1", "--encoder", "off"]
        + ["--set", "MODERATION_WORKERS=1"],
        {"datasets"},
    ),
    "classifier": (["--quick", "--no-peers", "--runs", "1", "--encoder", "off"], {"datasets"}),
    "failover": (["--modes", "kill", "--waits", "0", "--seconds", "4", "--kill-at", "1", "--threads", "2"], set()),
    "http_load": (["--duration", "0.5", "--warmup", "0.2", "--tool", "python", "--workers", "1"], set()),
    "overload": (
        ["--seconds", "1", "--closed-seconds", "1", "--warmup-seconds", "0.5", "--sequential", "10", "--capacity", "40"]
        + ["--half-seconds", "1", "--burners", "0"],
        set(),
    ),
    "c3": (["--sample", "100"], {"datasets"}),
    "revocation": (["--trials", "1"], set()),
    "site_words": (["--entries", "200", "--rounds", "1", "--trials", "1"], set()),
    "submit_path": (["--requests", "20", "--rounds", "1"], set()),
    "evasion": (["--sample", "40", "--encoder", "off"], {"datasets"}),
    "events": (["--decisions", "5", "--backlog", "5", "--rounds", "3", "--comments", "6"], set()),
    "encoder_options": (["--count", "10", "--judged", "10"], {"datasets"}),
    "promotion_rules": (["--sample", "20"], {"datasets", "git"}),
    "validation": (["--quick", "--calls", "200"], set()),
    "busy": (["--per-core", "1", "--", sys.executable, "-c", "pass"], set()),
}
#: The heading each prints (its section's first line; submit_path and promotion_rules print a table only).
HEADINGS = {
    "busy": "",
    "submit_path": "| code |",
    "promotion_rules": "| corpus | lists |",
    "scale": "### Throughput",
    "failover": "### Measured",
}


def missing(needs: set[str]) -> str | None:
    """Return why this environment cannot run a benchmark that needs ``needs``, or None."""
    if "datasets" in needs and not DATA.is_dir():
        return f"needs the shared datasets ({DATA})"
    if "git" in needs and (shutil.which("git") is None or not (ROOT / ".git").exists()):
        return "needs a git checkout"
    return None


def second_model(folder: Path) -> Path:
    """Write the shipped model with its review thresholds a little lower: another version, made in a second."""
    from moderation.classifier import artifact

    shipped = artifact.load()
    card = {k: v for k, v in shipped.card.items() if k not in ("pipeline_sha256", "libraries")}
    card["thresholds"] = {c: {**t, "review": round(t["review"] * 0.99, 4)} for c, t in card["thresholds"].items()}
    card["version"] = artifact.model_version(shipped.pipeline, card, card.get("version_scheme", 1))
    return artifact.Artifact(shipped.pipeline, card).save(folder / "second.model")


def run(name: str, args: list[str], out: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run benchmark ``name`` with ``args`` and ``--no-write`` where it publishes; return its process and seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATION_") and k != "REDIS_URL"}
    publishes = name not in ("busy", "submit_path", "promotion_rules")
    command = [sys.executable, "-m", f"benchmarks.{name}", *args, *(["--no-write", "--out", str(out)] if publishes else [])]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as error:
        done = subprocess.CompletedProcess(command, -1, error.stdout or "", f"timed out after {TIMEOUT_S} s")
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """Every benchmark this environment can run, run once, several at a time: name -> (process, seconds)."""
    folder = tmp_path_factory.mktemp("benchmarks")
    runs = {name: list(args) for name, (args, needs) in RUNS.items() if missing(needs) is None}
    runs["model_switch"] += ["--model", str(second_model(folder))]
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {name: pool.submit(run, name, args, folder / f"{name}.md") for name, args in runs.items()}
        found = {name: future.result() for name, future in futures.items()}
    assert not list(folder.glob("*.md")), "--no-write wrote a file"
    return found


@pytest.mark.parametrize("name", sorted(RUNS))
def test_benchmark_runs_and_prints_its_section(name, results):
    reason = missing(RUNS[name][1])
    if reason:
        pytest.skip(reason)
    done, seconds = results[name]
    # model_switch and retrain answer 1 when a target is not met: a short run on a busy machine may miss one
    assert done.returncode in ((0, 1) if name == "model_switch" else (0,)), f"{name}: {done.stderr[-3000:]}"
    heading = HEADINGS.get(name, "## ")
    assert heading in done.stdout, f"{name} printed no section:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "written to" not in done.stderr
    print(f"{name}: {seconds:.1f} s")


def test_every_benchmark_has_a_smoke_run():
    """A new benchmark module gets a run here (or a reason not to)."""
    modules = {p.stem for p in (ROOT / "benchmarks").glob("*.py")} - {"__init__", "harness"}
    assert modules == set(RUNS) | {"retrain"}


def test_retrain_command_line():
    """benchmarks.retrain trains on the full datasets (minutes): its imports and command line only."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.retrain", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and "--no-write" in done.stdout, done.stderr


def test_docs_name_the_new_commands():
    """The commands written in the docs run the benchmarks as modules, never as files (``benchmarks/x.py``). The
    results files (docs/BENCHMARKS.md, docs/SCALING.md) keep the commands their figures were measured with."""
    results = {"BENCHMARKS.md", "SCALING.md"}
    docs = [p for p in sorted((ROOT / "docs").glob("*.md")) if p.name not in results]
    for path in (ROOT / "README.md", ROOT / "Makefile", *docs):
        text = path.read_text(encoding="utf-8")
        assert "python benchmarks/" not in text, f"{path.name} still runs a benchmark as a file"
