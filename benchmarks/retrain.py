"""Benchmark ``moderation retrain`` on the shared datasets plus made-up moderator decisions, and its refusals.

One run, with the shipped model active in a temporary model directory:

1. refusals (nothing trained): ``--data`` an empty folder (it lacks the datasets the shipped model's card lists),
   and ``--no-datasets`` (the shipped model was trained on datasets); each must exit 2 with one line and leave
   the model directory as it was;
2. a retrain on the datasets (``--data``, default ``../shared/datasets``) plus ``--decisions`` made-up decisions
   (half rejections, as abuse, of comments with a word no dataset has, half approvals of ordinary comments; the
   newest fifth, never fewer than 50, held out): wall time, the time of each step (from its progress lines),
   peak resident memory, and its report: which comparisons ran on how many rows, the decision;
3. the rollback command the report ends with, run as printed (it must make the shipped model active again).

    .venv/bin/python -m benchmarks.retrain [--data DIR] [--decisions 240] [--no-write]

Results are printed and written into docs/BENCHMARKS.md between ``<!-- retrain:start -->`` and
``<!-- retrain:end -->``. No dataset row is written anywhere: the decisions are made up here.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import ROOT, cli_command
from moderation.classifier import artifact

SECTION = "retrain"
WORD = "zorblaxian"  # in no dataset: only the moderators' decisions can teach it
SUBJECTS = ["the council", "this article", "the new stadium", "the mayor's plan", "the bus service", "our school"]
ENDINGS = ["", " honestly", " as usual", " again", " today", " and everyone knows it"]
FINE = ["is on the agenda", "needs more funding", "was delayed again", "looks promising", "deserves a second look"]


def decisions(count: int) -> list[dict]:
    """Made-up decisions, oldest first, alternating: a rejection (abuse) of a comment with WORD, an approval."""
    rows = []
    for i in range(count // 2):
        subject = SUBJECTS[i % len(SUBJECTS)]
        at = 1_800_000_000.0 + 2 * i
        rows.append(
            {"text": f"{subject} is {WORD}{ENDINGS[i % len(ENDINGS)]} #{i}", "abuse": 1, "source": "news", "decided_at": at}
        )
        rows.append(
            {
                "text": f"{subject.capitalize()} {FINE[i % len(FINE)]}{ENDINGS[(i + 1) % len(ENDINGS)]} #{i}",
                "abuse": 0,
                "attack": 0,
                "promotion": 0,
                "source": "news",
                "decided_at": at + 1,
            }
        )
    return rows


def environment() -> dict[str, str]:
    """This process's environment without the service's settings (a local model registry, no Redis)."""
    return harness.service_env()


def state(models: Path) -> tuple:
    """What a refusal must leave alone: the active pointer, the published versions, the history."""
    files = ("active", "history.jsonl")
    versions = sorted(p.name for p in (models / "versions").glob("*.model")) if (models / "versions").is_dir() else []
    return tuple((models / f).read_bytes() if (models / f).exists() else None for f in files), tuple(versions)


def refusal(name: str, argv: list[str], models: Path) -> dict:
    before = state(models)
    t0 = time.perf_counter()
    done = subprocess.run([*cli_command(), "retrain", *argv], capture_output=True, text=True, env=environment(), check=False)
    seconds = time.perf_counter() - t0
    lines = done.stderr.splitlines()
    ok = done.returncode == 2 and len(lines) == 1 and done.stdout == "" and state(models) == before
    return {"name": name, "exit": done.returncode, "seconds": seconds, "line": done.stderr.strip(), "ok": ok}


STEP = re.compile(r"^\[\s*([0-9.]+)s\] (.*)$")
#: progress line prefix -> the step it starts (the sentence encoder's passes count as one step)
STEPS = [
    ("loading datasets", "loading the datasets"),
    ("normalising", "rules and normalisation"),
    ("fitting the n-gram", "n-gram vocabulary"),
    ("fitting the second stage", "sentence encoder (embedding, heads)"),
    ("embedding", "sentence encoder (embedding, heads)"),
    ("fitting", "logistic regressions"),
    ("calibrating", "calibration"),
    ("evaluating", "evaluation"),
    ("judging", "judging both models"),
    ("published", "publishing"),
]


def steps(stderr: str, total: float) -> list[tuple[str, float]]:
    """Return (step, seconds) from the progress lines, in order, consecutive lines of one step added up."""
    marks = [(float(m.group(1)), m.group(2)) for m in map(STEP.match, stderr.splitlines()) if m]
    out: list[tuple[str, float]] = []
    for (t, message), following in zip(marks, [*marks[1:], (total, "")]):
        name = next((step for prefix, step in STEPS if message.startswith(prefix)), "labels and split")
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + following[0] - t)
        else:
            out.append((name, following[0] - t))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--data", type=Path, help="datasets folder (default: ../shared/datasets)")
    parser.add_argument("--decisions", type=int, default=240, help="made-up decisions (default 240)")
    parser.add_argument("--date", default=datetime.now(UTC).strftime("%Y-%m-%d"), help="date written (default: today)")
    args = parser.parse_args(argv)
    data = args.data or ROOT.parent / "shared" / "datasets"
    if not data.is_dir():
        print(f"no datasets folder at {data}: give --data DIR", file=sys.stderr)
        return 2
    shipped = artifact.read_card(artifact.DEFAULT_MODEL)["version"]

    with tempfile.TemporaryDirectory(prefix="retrain-bench-") as tmp:
        tmp = Path(tmp)
        models = tmp / "models"
        labels = tmp / "labels.jsonl"
        labels.write_text("".join(json.dumps(r) + "\n" for r in decisions(args.decisions)), encoding="utf-8")
        subprocess.run([*cli_command(), "model", "--model-dir", str(models), "rollback", shipped], check=True, env=environment())
        (tmp / "empty").mkdir()
        common = ["--labels", str(labels), "--model-dir", str(models)]
        refusals = [
            refusal("`--data` an empty folder", ["--data", str(tmp / "empty"), *common], models),
            refusal("`--no-datasets`", ["--no-datasets", "--extra", str(labels), *common], models),
        ]

        command = [*cli_command(), "retrain", "--data", str(data), *common, "--report", str(tmp / "report.json")]
        print("retraining on the datasets plus the decisions (a few minutes)...", file=sys.stderr)
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=environment(), check=False)
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
        peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6  # kB on Linux; the largest child
        if done.returncode not in (0, 3):
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        result = json.loads((tmp / "report.json").read_text(encoding="utf-8"))
        output = done.stdout.rstrip("\n").splitlines()
        rolled_back = None
        if result["rollback"]:
            t1 = time.perf_counter()
            back = subprocess.run(
                [*cli_command(), *shlex.split(result["rollback"])[1:]], capture_output=True, env=environment(), check=False
            )
            rolled_back = (back.returncode, time.perf_counter() - t1, (models / "active").read_text().strip())

    c, a = result["candidate"], result["active"]
    held = result["labels"]["held_out"]
    f = lambda x: "-" if x is None else f"{x:.4f}"
    table = [
        "| | candidate | active (shipped) |",
        "|---|---|---|",
        f"| version | {c['version']} | {a['version']} |",
        (
            f"| validation PR AUC (mean over categories, {result['validation_rows']:,} rows) | "
            f"{f(c['validation_pr_auc'])} | {f(a['validation_pr_auc'])} |"
        ),
        (
            f"| agreement with the {held} newest decisions (held out) | "
            f"{f(c['decision_agreement'])} | {f(a['decision_agreement'])} |"
        ),
    ]
    for cat in sorted(set(c["decision_roc_auc"]) | set(a["decision_roc_auc"])):
        table.append(f"| held-out ROC AUC, {cat} | {f(c['decision_roc_auc'].get(cat))} | {f(a['decision_roc_auc'].get(cat))} |")
    timing = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps(done.stderr, wall) if seconds >= 0.05)
    machine = harness.machine()
    tail = output[next((i for i, line in enumerate(output) if line.startswith("data:")), 0) :]
    refused = [
        f"- {r['name']}: exit {r['exit']} in {r['seconds']:.1f} s, nothing trained, the model directory unchanged "
        f"({'as required' if r['ok'] else 'NOT as required'}): `{r['line'].replace(str(tmp), '/tmp/…')}`"
        for r in refusals
    ]
    if rolled_back is None:
        undo = "Not published, so nothing to roll back."
    else:
        code, seconds, active = rolled_back
        undo = (
            f"The printed rollback command, run as printed: exit {code} in {seconds:.1f} s, active version afterwards "
            f"{active} ({'the shipped model, as required' if active == shipped else 'NOT the shipped model'})."
        )
    section = "\n".join(
        [
            "## Retrain with moderator labels",
            "",
            (
                f"Command: `.venv/bin/python -m benchmarks.retrain` ({args.date}; {machine}): in a temporary model directory "
                f"whose active version is the shipped model, `moderation retrain --data ../shared/datasets --labels "
                f"labels.jsonl`, with {args.decisions} made-up decisions ({args.decisions // 2} rejections, as abuse, of "
                f"comments with a word no dataset has, {args.decisions // 2} approvals of ordinary comments)."
            ),
            "",
            *table,
            "",
            (
                f"Exit {done.returncode}, **{result['decision']}**: {result['why']}. Wall time {wall:.0f} s ({timing}); "
                f"peak resident memory {peak_gb:.1f} GB. The machine's 1-minute load average was {load_before:.1f} before "
                f"the retrain and {load_after:.1f} after it (other processes shared the {os.cpu_count()} cores)."
            ),
            "",
            "What it printed after the table (paths shortened):",
            "",
            "```",
            *(line.replace(str(tmp), "/tmp/…") for line in tail),
            "```",
            "",
            undo,
            "",
            "Refusals before training, with the same labels (one line on stderr each):",
            "",
            *refused,
        ]
    )
    harness.publish(args, SECTION, section)
    return 0 if all(r["ok"] for r in refusals) and (rolled_back is None or rolled_back[2] == shipped) else 1


if __name__ == "__main__":
    sys.exit(main())
