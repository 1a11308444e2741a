"""Benchmark the comment classifier against two open-source profanity filters.

Everything runs on the held-out TEST split of the shared datasets, with the
same comments for every tool:

* quality: ROC AUC and F1 on three labelled rows (attack on the Impermium test
  file, offensive on held-out OLID, promotion on held-out YouTube videos) and
  the share flagged on healthy news comments (UCC);
* speed: single-comment latency (p50, p99) on ~300-character comments, bulk
  throughput on one core, and model load time and peak resident memory, each
  measured in fresh subprocesses.

The peers, alt-profanity-check and better-profanity, come from the ``bench``
extra (``pip install -e '.[bench]'``); a peer that is not installed is reported
as "n/a". Run from the project root:

    .venv/bin/python -m benchmarks.classifier           # full run (a few minutes)
    .venv/bin/python -m benchmarks.classifier --quick   # smoke run on samples

The tables are printed and written into the output file (default
docs/BENCHMARKS.md) between ``<!-- classifier:start -->`` and
``<!-- classifier:end -->``; the rest of that file is kept.
"""

# The thread limits must be set before NumPy is imported, so the imports follow them.
import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from benchmarks import harness
from benchmarks.harness import ROOT, percentile
from moderation.classifier.assessor import Assessor
from moderation.classifier.types import CATEGORIES
from moderation.classifier.verdicts import flagged_categories
from moderation.training.datasets import Example
from moderation.training.splits import TEST

SECTION = "classifier"
OURS = "ours"
OURS_NEWS = "ours, news comments only ³"
APC, BP = "alt-profanity-check", "better-profanity"

QUICK_ROWS, QUICK_LATENCY = 300, 200
LATENCY_COMMENTS, WARMUP = 1000, 50
BULK_RUNS, LOAD_RUNS = 3, 3
SHORT, LONG = 280, 320

# Fresh-process probes: each prints "<load seconds> <peak RSS MB>". The peak is the
# process's own VmHWM: ru_maxrss of a child carries over the parent's peak across
# fork and exec on Linux, so it would report this (larger) benchmark process.
PEAK = """
import resource

def peak_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
OURS_PROBE = """
import sys, time
from moderation.classifier.assessor import Assessor
start = time.perf_counter()
m = Assessor.load(sys.argv[1] or None, encoder=sys.argv[2] or None)
seconds = time.perf_counter() - start
m.assess("A short comment, scored once.")
print(seconds, peak_mb())
"""
APC_PROBE = """
import time
import joblib, numpy, scipy.sparse, sklearn
start = time.perf_counter()
import profanity_check
profanity_check.predict_prob(["x"])
seconds = time.perf_counter() - start
print(seconds, peak_mb())
"""
BP_PROBE = """
import time
start = time.perf_counter()
from better_profanity import profanity
profanity.load_censor_words()
seconds = time.perf_counter() - start
profanity.contains_profanity("A short comment, scored once.")
print(seconds, peak_mb())
"""


@dataclass
class Peer:
    """A peer filter: one profanity score per text, and its own yes/no decision."""

    name: str
    version: str
    score_many: Callable[[list[str]], np.ndarray]
    score_one: Callable[[str], object]
    decide_many: Callable[[list[str], np.ndarray], np.ndarray]
    bulk_runs: int
    probe: str


@dataclass
class Row:
    """A quality row: test-split positions, labels (None: one kind only) and our categories."""

    name: str
    index: np.ndarray
    labels: np.ndarray | None
    categories: tuple[str, ...]
    kind: str = "labelled"  # "labelled", "healthy" (share flagged, lower is better) or "toxic" (share flagged, higher)


@dataclass
class Speed:
    """Speed measurements of one tool (None where not measured)."""

    p50_us: float | None = None
    p99_us: float | None = None
    bulk_per_s: float | None = None
    load_s: float | None = None
    rss_mb: float | None = None


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pin_one_core() -> int:
    """Pin this process (and its children) to the first allowed CPU and return it."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def load_apc() -> Peer | None:
    """Return alt-profanity-check as a peer, or None when it is not installed."""
    try:
        import profanity_check
    except ImportError:
        return None
    return Peer(
        APC,
        metadata.version("alt-profanity-check"),
        lambda texts: np.asarray(profanity_check.predict_prob(texts), dtype=float),
        lambda text: profanity_check.predict_prob([text]),
        lambda texts, _scores: np.asarray(profanity_check.predict(texts)) == 1,
        BULK_RUNS,
        APC_PROBE,
    )


def load_bp() -> Peer | None:
    """Return better-profanity as a peer, or None when it is not installed."""
    try:
        from better_profanity import profanity
    except ImportError:
        return None
    profanity.load_censor_words()
    return Peer(
        BP,
        metadata.version("better-profanity"),
        lambda texts: np.array([profanity.contains_profanity(t) for t in texts], dtype=float),
        profanity.contains_profanity,
        lambda _texts, scores: scores == 1,
        1,  # a per-comment loop over every text takes minutes; one run
        BP_PROBE,
    )


def sample(index: np.ndarray, limit: int | None) -> np.ndarray:
    """Return at most ``limit`` evenly spaced entries of ``index``."""
    if limit is None or len(index) <= limit:
        return index
    return index[:: math.ceil(len(index) / limit)][:limit]


def quality_rows(examples: list[Example], limit: int | None) -> list[Row]:
    """Return the four quality rows over the test split."""
    groups = np.array([e.group for e in examples])
    sources = np.array([e.source for e in examples])
    labels = {c: np.array([-1 if e.labels[c] is None else e.labels[c] for e in examples]) for c in CATEGORIES}
    offensive = ((labels["abuse"] == 1) | (labels["attack"] == 1)).astype(int)
    unhealthy = np.array([e.source == "ucc" and all(e.labels[c] is None for c in CATEGORIES) for e in examples], dtype=int)
    picks = [
        ("attack, Impermium test", groups == "impermium/test_with_solutions", labels["attack"], ("attack",), "labelled"),
        ("offensive, held-out OLID", sources == "olid", offensive, ("abuse", "attack"), "labelled"),
        ("promotion, held-out YouTube videos", sources == "youtube-spam", labels["promotion"], ("promotion",), "labelled"),
        ("unhealthy vs healthy UCC news comments", sources == "ucc", unhealthy, ("abuse", "attack"), "labelled"),
        ("healthy UCC news comments", (sources == "ucc") & (labels["abuse"] == 0), None, CATEGORIES, "healthy"),
        ("toxic news comments, held-out ToxicSpans", sources == "toxic-spans", None, CATEGORIES, "toxic"),
    ]
    rows = []
    for name, mask, y, categories, kind in picks:
        index = sample(np.flatnonzero(mask & ((y >= 0) if y is not None else True)), limit)
        rows.append(Row(name, index, None if y is None else y[index], tuple(categories), kind))
    return rows


def latency_comments(texts: list[str], count: int) -> list[str]:
    """Return up to ``count`` comments of 280-320 characters joined from consecutive texts.

    The texts are taken in a fixed shuffled order so that every source contributes.
    """
    order = list(texts)
    random.Random(0).shuffle(order)
    out: list[str] = []
    buffer = ""
    for text in order:
        words = " ".join(text.split())
        if not words:
            continue
        buffer = f"{buffer} {words}" if buffer else words
        if len(buffer) >= SHORT:
            out.append(cut(buffer))
            buffer = ""
            if len(out) == count:
                break
    return out


def cut(text: str) -> str:
    """Cut ``text`` to at most 320 characters at a word boundary (hard cut at 300 if none)."""
    if len(text) <= LONG:
        return text
    space = text.rfind(" ", SHORT, LONG + 1)
    return text[:space] if space >= SHORT else text[:300]


def latency_us(score_one: Callable[[str], object], comments: list[str]) -> tuple[float, float]:
    """Return p50 and p99 microseconds of one call per comment, after a warm-up."""
    for text in comments[:WARMUP]:
        score_one(text)
    times = np.empty(len(comments))
    for i, text in enumerate(comments):
        start = time.perf_counter_ns()
        score_one(text)
        times[i] = time.perf_counter_ns() - start
    return float(percentile(times, 50)) / 1000, float(percentile(times, 99)) / 1000


def bulk(score_many: Callable[[list[str]], object], texts: list[str], runs: int) -> tuple[float, object]:
    """Return the best comments per second over ``runs`` runs, and the last run's output."""
    best, out = math.inf, None
    for _ in range(runs):
        start = time.perf_counter()
        out = score_many(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best, out


def probe(code: str, *args: str) -> tuple[float, float]:
    """Return the median load seconds and median peak RSS MB over fresh subprocesses."""
    loads, rss = [], []
    for _ in range(LOAD_RUNS):
        done = subprocess.run([sys.executable, "-c", PEAK + code, *args], check=False, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"probe failed:\n{done.stderr}")
        seconds, mb = (float(x) for x in done.stdout.split()[-2:])
        loads.append(seconds)
        rss.append(mb)
    return statistics.median(loads), statistics.median(rss)


def quality(y: np.ndarray | None, score: np.ndarray, positive: np.ndarray) -> dict:
    """Return ROC AUC and F1 for a labelled row, or the share flagged for a healthy row."""
    if y is None:
        return {"flagged": float(positive.mean()) if len(positive) else None}
    out = {"auc": None, "f1": None}
    if 0 < y.sum() < len(y):
        out["auc"] = float(roc_auc_score(y, score))
    if y.sum():
        out["f1"] = float(f1_score(y, positive, zero_division=0.0))
    return out


def our_quality(rows: list[Row], position: dict[int, int], assessments: list) -> dict[str, dict]:
    """Return our quality per row from the bulk run's assessments."""
    out = {}
    for row in rows:
        found = [assessments[position[i]] for i in row.index]
        score = np.array([max(a.scores[c] for c in row.categories) for a in found])
        positive = np.array([bool(set(row.categories) & set(flagged_categories(a.reasons))) for a in found])
        if row.labels is None:
            verdicts = np.array([a.verdict for a in found])
            out[row.name] = {"rejected": float(np.mean(verdicts == "reject")), "review": float(np.mean(verdicts == "review"))}
            out[row.name]["flagged"] = out[row.name]["rejected"] + out[row.name]["review"]
        else:
            out[row.name] = quality(row.labels, score, positive)
    return out


def peer_quality(rows: list[Row], position: dict[int, int], score: np.ndarray, positive: np.ndarray) -> dict[str, dict]:
    """Return a peer's quality per row from its bulk scores and decisions."""
    out = {}
    for row in rows:
        at = np.array([position[i] for i in row.index], dtype=int)
        out[row.name] = quality(row.labels, score[at], positive[at])
    return out


def machine(cpu: int) -> str:
    """Return a one-line description of the machine and libraries."""
    cores = f"{os.cpu_count()} CPUs (all timings pinned to CPU {cpu}, BLAS/OpenMP threads = 1)"
    return harness.machine(cores, ("scikit-learn", "NumPy"))


def rules_note(assessor: Assessor) -> str:
    """Return whether the rule lists in use are those the model was trained with."""
    trained = assessor.artifact.card.get("training", {}).get("rules_fingerprint")
    if not trained:
        return "rule lists: fingerprint not recorded in the model card"
    if trained == assessor.rules.fingerprint:
        return f"rule lists as trained (`{trained}`)"
    return f"rule lists differ from those the model was trained with (`{assessor.rules.fingerprint}` vs `{trained}`)"


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    """Format a number, or "n/a" for None."""
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def pct(value: float | None) -> str:
    """Format a share as a percentage."""
    return fmt(None if value is None else 100 * value, ".1f", "%")


def quality_cell(result: dict | None, tool: str) -> tuple[str, str]:
    """Return the (ROC AUC, F1 / flagged share) cells of one tool on one row."""
    if result is None:
        return "n/a", "n/a"
    if "rejected" in result:
        return "–", f"rejected {pct(result['rejected'])}, review {pct(result['review'])}, flagged {pct(result['flagged'])}"
    if "flagged" in result:
        return "–", f"flagged {pct(result['flagged'])}"
    auc = fmt(result["auc"], ".3f")
    return (auc + " ¹" if tool == BP and result["auc"] is not None else auc), fmt(result["f1"], ".3f")


def quality_table(rows: list[Row], tools: list[str], results: dict[str, dict | None]) -> str:
    """Return the quality table as markdown."""
    head = ["Row", "n (positives)"]
    for tool in tools:
        head += [f"{tool} ROC AUC", f"{tool} F1 / flagged"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        count = f"{len(row.index)}" if row.labels is None else f"{len(row.index)} ({int(row.labels.sum())})"
        cells = [row.name, count]
        for tool in tools:
            by_row = results.get(tool)
            cells += quality_cell(None if by_row is None else by_row[row.name], tool)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speed_table(tools: list[str], speeds: dict[str, Speed | None]) -> str:
    """Return the speed table as markdown."""
    lines = [
        "| Tool | single p50 (µs) | single p99 (µs) | bulk, one core (comments/s) | load (s) | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for tool in tools:
        s = speeds.get(tool) or Speed()
        cells = [
            tool,
            fmt(s.p50_us, ",.0f"),
            fmt(s.p99_us, ",.0f"),
            fmt(s.bulk_per_s, ",.0f"),
            fmt(s.load_s, ".2f"),
            fmt(s.rss_mb, ".0f"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def check(value: float | None, op: str, bound: float | None) -> str:
    """Return "met", "not met" or "n/a" for ``value op bound``."""
    if value is None or bound is None:
        return "n/a"
    ok = {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[op]
    return "met" if ok else "not met"


def targets_table(rows: list[Row], results: dict[str, dict | None], speeds: dict[str, Speed | None], encoder: str) -> str:
    """Return the project's targets next to the measured values, as markdown."""
    attack, offensive, promotion, unhealthy, healthy, toxic = (r.name for r in rows)
    ours = results[OURS]
    apc = results.get(APC)

    def get(by_row: dict | None, row: str, key: str) -> float | None:
        return None if by_row is None else by_row[row].get(key)

    s_ours, s_apc = speeds[OURS], speeds.get(APC) or Speed()
    # docs/MODEL.md: the n-gram model alone, or with the sentence encoder's second stage
    fast = encoder == "off"
    p50, p99, per_s, mb = (1000.0, 3000.0, 5000.0, 300.0) if fast else (2000.0, 30000.0, 1000.0, 500.0)
    items = [
        ("attack ROC AUC, Impermium test", ">= 0.85", get(ours, attack, "auc"), ">=", 0.85, ".3f"),
        ("offensive ROC AUC, held-out OLID", ">= 0.85", get(ours, offensive, "auc"), ">=", 0.85, ".3f"),
        ("promotion F1, held-out YouTube videos", ">= 0.92", get(ours, promotion, "f1"), ">=", 0.92, ".3f"),
        ("healthy UCC comments rejected", "<= 1%", ours[healthy]["rejected"], "<=", 0.01, "%"),
        ("healthy UCC comments sent to review", "<= 5%", ours[healthy]["review"], "<=", 0.05, "%"),
        ("held-out toxic news comments held or removed", ">= 75%", ours[toxic]["flagged"], ">=", 0.75, "%"),
    ]
    for row, key in ((attack, "auc"), (offensive, "auc"), (promotion, "f1"), (unhealthy, "auc")):
        items.append(
            (
                f"{row}: {key.replace('auc', 'ROC AUC')} vs alt-profanity-check",
                "higher",
                get(ours, row, key),
                ">",
                get(apc, row, key),
                ".3f",
            )
        )
    items += [
        (
            "healthy UCC removed (ours: rejected) vs alt-profanity-check",
            "lower",
            ours[healthy]["rejected"],
            "<",
            get(apc, healthy, "flagged"),
            "%",
        ),
        (
            "healthy UCC flagged (ours: rejected or review) vs alt-profanity-check ²",
            "lower",
            ours[healthy]["flagged"],
            "<",
            get(apc, healthy, "flagged"),
            "%",
        ),
        ("toxic news flagged vs alt-profanity-check", "higher", ours[toxic]["flagged"], ">", get(apc, toxic, "flagged"), "%"),
        ("single comment p50", f"<= {p50:,.0f} µs", s_ours.p50_us, "<=", p50, ",.0f"),
        ("single comment p99", f"<= {p99:,.0f} µs", s_ours.p99_us, "<=", p99, ",.0f"),
        ("bulk, one core (comments/s)", f">= {per_s:,.0f}", s_ours.bulk_per_s, ">=", per_s, ",.0f"),
        ("model load (s)", "<= 2", s_ours.load_s, "<=", 2.0, ".2f"),
        ("peak resident memory (MB)", f"<= {mb:.0f}", s_ours.rss_mb, "<=", mb, ".0f"),
        ("single comment p50 vs alt-profanity-check predict_prob", "lower", s_ours.p50_us, "<", s_apc.p50_us, ",.0f"),
    ]
    lines = ["| Target | Goal | Measured | alt-profanity-check | Result |", "|---|---|---|---|---|"]
    for name, goal, value, op, bound, spec in items:
        show = pct if spec == "%" else (lambda v, spec=spec: fmt(v, spec))
        versus = show(bound) if goal in ("higher", "lower") else ""
        lines.append(f"| {name} | {goal} | {show(value)} | {versus} | {check(value, op, bound)} |")
    return "\n".join(lines)


def notes(n_test: int, n_latency: int, n_bulk: int, quick: bool) -> str:
    """Return the footnotes of the section."""
    lines = [
        "Notes:",
        "",
        "- ¹ better-profanity only answers yes/no; its ROC AUC is that of the 0/1 answer (one operating point).",
        "- ² Ours counts a comment as flagged when it is rejected or sent to review.",
        (
            "- ³ The same model on the test split's news comments (UCC, Globe and Mail) as written, natural lengths, "
            "one call each for the latency and all in one call for the bulk rate: the traffic of a news site, "
            "mostly healthy. Load and memory as in the row above. The targets use the row above."
        ),
        (
            "- Unhealthy vs healthy UCC: every Globe and Mail comment of the test split, positive when its raters "
            "found any unhealthy attribute; our score max(abuse, attack). Toxic news comments: held-out ToxicSpans "
            "posts (all rated toxic by Civil Comments raters), the share each tool flags with its own decision."
        ),
        (
            "- The peers give one profanity score; the same score is used on every row. Offensive = OLID abuse or "
            "attack; our score there is max(abuse, attack), elsewhere the row's category."
        ),
        (
            "- F1 uses each tool's own decision: ours = the policy names the category in its reasons (rule or model, "
            "review or reject); alt-profanity-check = `predict` (0.5); better-profanity = `contains_profanity`."
        ),
        (
            f"- Single comment: {n_latency} comments of 280-320 characters joined from test-split texts (fixed "
            "shuffled order), one call each after a warm-up: ours `assess`, alt-profanity-check "
            "`predict_prob([text])`, better-profanity `contains_profanity`."
        ),
        (
            f"- Bulk: {n_bulk} test-split texts in one call (`assess_many`, `predict_prob`), best of {BULK_RUNS} "
            "runs; better-profanity has no batch call: one run of a per-comment loop."
        ),
        (
            f"- Load and memory: median of {LOAD_RUNS} fresh processes. Ours: `Assessor.load()` after imports. "
            "alt-profanity-check loads its model when imported: `import profanity_check` plus the first "
            '`predict_prob(["x"])`, after importing NumPy and scikit-learn. better-profanity: import plus '
            "`load_censor_words()`. Peak RSS after scoring one comment, interpreter and libraries included, read as "
            "the process's own `VmHWM` (`ru_maxrss` in a child process reports the parent's peak on Linux)."
        ),
    ]
    if quick:
        lines.append(
            f"- **Quick run** (`--quick`): at most {QUICK_ROWS} comments per quality row and {QUICK_LATENCY} latency "
            "samples; bulk over the sampled rows only. Not a full measurement."
        )
    lines.append(f"- Test split: {n_test} comments in all.")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = harness.parser(__doc__)
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets)")
    parser.add_argument("--encoder", choices=("off", "uncertain", "all"), help="second stage mode (default: the model's)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_ROWS} comments per row, {QUICK_LATENCY} samples")
    parser.add_argument("--no-peers", action="store_true", help="measure ours only (the peers' cells are n/a)")
    parser.add_argument("--runs", type=int, default=3, help="bulk runs and fresh processes timing the load (default 3)")
    return parser.parse_args(argv)


def load_test_split(data_dir: Path | None) -> list[Example]:
    """Return the test split, or exit with a message when there is no data."""
    examples = harness.splits(data_dir)[TEST]
    if not examples:
        sys.exit(f"{data_dir}: no known dataset files, or none in the test split")
    return examples


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the section and write it into the output file."""
    args = parse_args(argv)
    global BULK_RUNS, LOAD_RUNS  # the notes name them too
    BULK_RUNS = LOAD_RUNS = args.runs
    examples = load_test_split(args.data)
    cpu = pin_one_core()
    assessor = Assessor.load(args.model, encoder=args.encoder)
    peers = {name: None if args.no_peers else loader() for name, loader in ((APC, load_apc), (BP, load_bp))}
    tools = [OURS, *peers]
    for name, peer in peers.items():
        if peer is None and not args.no_peers:
            log(f"{name} is not installed: its cells are n/a")

    rows = quality_rows(examples, QUICK_ROWS if args.quick else None)
    bulk_index = np.unique(np.concatenate([r.index for r in rows])) if args.quick else np.arange(len(examples))
    position = {int(i): p for p, i in enumerate(bulk_index)}
    texts = [examples[i].text for i in bulk_index]
    comments = latency_comments([e.text for e in examples], QUICK_LATENCY if args.quick else LATENCY_COMMENTS)

    results: dict[str, dict | None] = {}
    speeds: dict[str, Speed | None] = {}
    log(f"ours: bulk over {len(texts)} texts")
    rate, assessments = bulk(assessor.assess_many, texts, BULK_RUNS)
    results[OURS] = our_quality(rows, position, assessments)
    log(f"ours: latency over {len(comments)} comments")
    p50, p99 = latency_us(assessor.assess, comments)
    log("ours: load and memory")
    load_s, rss = probe(OURS_PROBE, str(Path(args.model).resolve()) if args.model else "", args.encoder or "")
    speeds[OURS] = Speed(p50, p99, rate, load_s, rss)
    # The traffic a news site sends: its own comments as written, mostly healthy (what decides how often
    # the second stage runs in mode "uncertain").
    news = [e.text for e in examples if e.source == "ucc"][: QUICK_LATENCY if args.quick else None]
    if news:
        log(f"ours: {len(news)} news comments")
        rate, _ = bulk(assessor.assess_many, news, BULK_RUNS)
        p50, p99 = latency_us(assessor.assess, news)
        speeds[OURS_NEWS] = Speed(p50, p99, rate, load_s, rss)

    for name, peer in peers.items():
        if peer is None:
            results[name], speeds[name] = None, None
            continue
        log(f"{name}: bulk over {len(texts)} texts")
        rate, scores = bulk(peer.score_many, texts, peer.bulk_runs)
        results[name] = peer_quality(rows, position, scores, peer.decide_many(texts, scores))
        log(f"{name}: latency over {len(comments)} comments")
        p50, p99 = latency_us(peer.score_one, comments)
        log(f"{name}: load and memory")
        load_s, rss = probe(peer.probe)
        speeds[name] = Speed(p50, p99, rate, load_s, rss)

    peer_versions = ", ".join(f"{p.name} {p.version}" for p in peers.values() if p is not None) or "none installed"
    section = "\n".join(
        [
            "## Classifier",
            "",
            f"- Command: `{harness.command_line('classifier')}`" + (" (quick run)" if args.quick else ""),
            f"- Date (UTC): {datetime.now(UTC).isoformat(timespec='seconds')}",
            f"- Machine: {machine(cpu)}",
            f"- Model: `{assessor.version}`, encoder `{assessor.encoder_mode}`; {rules_note(assessor)}; peers: {peer_versions}",
            "- Data: held-out test split of the shared datasets (`training.splits`), the same comments for every tool.",
            "",
            "### Quality",
            "",
            quality_table(rows, tools, results),
            "",
            "### Speed",
            "",
            speed_table([OURS, *([OURS_NEWS] if OURS_NEWS in speeds else []), *peers], speeds),
            "",
            "### Targets",
            "",
            targets_table(rows, results, speeds, assessor.encoder_mode),
            "",
            notes(len(examples), len(comments), len(texts), args.quick),
        ]
    )
    harness.publish(args, SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
