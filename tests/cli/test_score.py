"""`moderation score`: the output shape other tools depend on, and bad lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from moderation.cli.main import main as cli


def run_score(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moderation.cli", "score", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_score_output_shape_and_order():
    lines = [
        {"id": 1, "text": "Thanks for a thoughtful article."},
        {"id": "two", "text": "you absolute m0r0n"},
        {"text": "no id"},
    ]
    done = run_score("".join(json.dumps(x) + "\n" for x in lines))
    assert done.returncode == 0, done.stderr
    results = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r["id"] for r in results] == [1, "two", None]
    for r in results:
        assert list(r) == ["id", "verdict", "scores", "reasons", "spans", "model_version"]
        assert r["verdict"] in ("approve", "review", "reject")
        assert set(r["scores"]) == {"abuse", "attack", "promotion"}
        for span in r["spans"]:
            assert set(span) == {"start", "end", "category", "source"}
    text = lines[1]["text"]
    assert results[1]["verdict"] == "reject"
    assert any(text[s["start"] : s["end"]] == "m0r0n" for s in results[1]["spans"])


def test_bad_lines_are_reported_and_the_rest_scored():
    stdin = '{"id": 1, "text": "fine"}\nnot json\n{"id": 3}\n[1, 2]\n\n{"id": 5, "text": "also fine"}\n'
    done = run_score(stdin)
    assert done.returncode == 1
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == [1, 5]
    assert "line 2: not JSON" in done.stderr
    assert "line 3: no 'text' string" in done.stderr
    assert "line 4: expected a JSON object" in done.stderr


def test_files_in_and_out(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": "a", "text": "Check out my channel and subscribe!"}\n', encoding="utf-8")
    done = run_score("", "--input", str(src), "--output", str(dst))
    assert done.returncode == 0, done.stderr
    [result] = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert result["id"] == "a" and result["verdict"] in ("review", "reject")


def test_missing_input_file_and_model(tmp_path):
    assert run_score("", "--input", str(tmp_path / "nope.jsonl")).returncode == 2
    done = run_score("", "--model", str(tmp_path / "nope.model"))
    assert done.returncode == 2 and "no such model file" in done.stderr


def test_usage(capsys):
    assert cli([]) == 2
    assert cli(["--help"]) == 0
    assert "score" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli(["score", "--no-such-option"])
