"""The README's command examples, run: what they print is what the README shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README, re.DOTALL)


def test_the_score_example_prints_what_the_readme_shows():
    [command] = [b for b in blocks("sh") if "moderation score" in b]
    stdin = re.search(r"echo '([^']*)' \| \.venv/bin/moderation score", command).group(1)
    documented = next(json.loads(b) for b in blocks("json") if '"verdict"' in b and '"model_version"' in b)
    done = subprocess.run(
        [sys.executable, "-m", "moderation.cli", "score"],
        input=stdin + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("MODERATION_")},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == documented  # the shipped model's own answer, to the digit


def test_every_moderation_subcommand_the_readme_names_exists():
    named = set(re.findall(r"(?:`|bin/)moderation ([a-z][a-z-]+)", README))
    done = subprocess.run([sys.executable, "-m", "moderation.cli", "--help"], cwd=ROOT, capture_output=True, text=True, check=False)
    listed = done.stdout + done.stderr
    missing = sorted(n for n in named if n not in listed)
    assert missing == [], f"the README names commands that `moderation --help` does not list: {missing}"
