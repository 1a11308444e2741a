"""The learning loop: moderators' decisions -> `moderation retrain` -> a published version the workers switch to.

A small base model is trained on comments the tests write. Moderators keep
rejecting comments with a word the base model has never seen as abusive; after
a retrain the service, without a restart, scores that word as abuse. And
retrain refuses rather than guesses: without the datasets the active model was
trained on it trains nothing and publishes nothing (issue 21).
"""

from __future__ import annotations

import io
import shlex
import threading
import time
from contextlib import redirect_stderr, redirect_stdout

import pytest

from moderation.classifier import artifact
from moderation.classifier.registry import ModelRegistry
from moderation.cli.main import main as cli
from moderation.service import create_app
from moderation.training.retrain import MIN_HELD_OUT

from ..synthetic import SUBJECTS, rows, write_jsonl
from .conftest import auth

WORD = "zorblaxian"
ENDINGS = ["", " honestly", " as usual", " again", " today", " and everyone knows it"]
CLEAN_ENDINGS = ["", " in my view", " this year", " for everyone"]


def bad(i: int) -> str:
    return f"{SUBJECTS[i % len(SUBJECTS)]} is {WORD}{ENDINGS[i % len(ENDINGS)]} #{i}"


def fine(i: int) -> str:
    return f"{SUBJECTS[i % len(SUBJECTS)]} is on the agenda{CLEAN_ENDINGS[i % len(CLEAN_ENDINGS)]} #{i}"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A base model trained on the synthetic comments (no dataset text), and its training files."""
    d = tmp_path_factory.mktemp("retrain")
    (d / "datasets").mkdir()
    write_jsonl(d / "base.jsonl")
    assert (
        cli(["train", "--data", str(d / "datasets"), "--extra", str(d / "base.jsonl"), "--out", str(d / "base.model"), "--quiet"])
        == 0
    )
    return d


@pytest.fixture
def models(base, tmp_path):
    """A model directory whose active version is the base model."""
    registry = ModelRegistry(tmp_path / "models")
    registry.publish(base / "base.model")
    return registry


@pytest.fixture
def served(models, redis_url, redis_client, clock):
    """An app that follows the model directory (no injected model), polling it every 0.1 s."""
    app = create_app({"redis_url": redis_url, "model_dir": str(models.root), "model_poll_s": 0.1, "clock": clock})
    store = app.extensions["moderation"].store
    made = {role: store.apikeys.create("news", role, role, clock())[0] for role in ("site", "moderator", "admin")}
    return app, made


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run ``moderation ...`` in process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli(list(argv))
    return code, out.getvalue(), err.getvalue()


def retrain(base, models, redis_url, *more, data=None) -> tuple[int, str]:
    """Retrain on the base model's own training file and the labels (no dataset: the base model never saw one)."""
    code, out, err = run_cli(
        "retrain",
        *(["--data", str(data)] if data else ["--no-datasets", "--extra", str(base / "base.jsonl")]),
        "--model-dir",
        str(models.root),
        "--redis-url",
        redis_url,
        "--site",
        "news",
        "--quiet",
        *more,
    )
    return code, out + err


def wait_for_version(client, key, version, timeout=5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/v1/model", headers=auth(key)).get_json()["version"] == version:
            return
        time.sleep(0.05)
    pytest.fail(f"the app did not switch to {version} within {timeout} s")


def moderate(client, keys, count=40):
    """Moderators reject comments with WORD as abuse and approve ordinary ones."""
    for i in range(count):
        for prefix, text, decision in (("b", bad(i), "reject"), ("f", fine(i), "approve")):
            comment_id = f"{prefix}{i}"
            answer = client.post(
                "/v1/comments", json={"id": comment_id, "user_id": f"{prefix}u{i}", "text": text}, headers=auth(keys["site"])
            )
            assert answer.status_code == 200, answer.get_json()
            body = {"decision": decision, "moderator": "ann"}
            if decision == "reject":
                body["categories"] = ["abuse"]
            result = client.post(f"/v1/comments/{comment_id}/decision", json=body, headers=auth(keys["moderator"]))
            assert result.status_code == 200, result.get_json()


def test_a_word_moderators_keep_rejecting_is_learned_after_a_retrain(base, models, served, redis_url):
    app, keys = served
    client = app.test_client()
    before = client.get("/v1/model", headers=auth(keys["site"])).get_json()
    assert before["version"] == models.active_version()
    probe = f"the new stadium is {WORD} for sure"
    old = client.post("/v1/score", json={"text": probe}, headers=auth(keys["site"])).get_json()
    assert old["verdict"] == "approve" and old["scores"]["abuse"] < 0.3

    moderate(client, keys, count=60)  # 120 labels: the newest 50 (the minimum; a fifth would be 24) are held out
    code, report = retrain(base, models, redis_url)
    assert code == 0, report
    lines = report.splitlines()
    new_version = models.active_version()
    assert new_version != before["version"]
    assert lines[-2].startswith("published: not worse on the fixed validation data (")
    assert "at least as close to the moderators' 50 newest decisions (held out)" in lines[-2]
    # each comparison that ran, with its rows
    validation_rows = artifact.read_card(models.active_path())["retrain"]["validation_rows"]
    assert validation_rows >= 50
    assert any(line.startswith(f"  fixed validation data: ran on {validation_rows:,} rows;") for line in lines)
    assert any(
        line.startswith("  moderators' newest labels, held out: ran on 50 decisions held out, ") and line.endswith(": passed")
        for line in lines
    )
    assert "labels: 120 usable, 70 trained on, 50 newest held out (at least 50, once there are 100)" in lines
    assert "data: no datasets (--no-datasets); 1 --extra files" in lines
    # the output ends with the exact command that rolls the new version back
    assert lines[-1] == "to roll back: " + shlex.join(
        ["moderation", "model", "--model-dir", str(models.root.resolve()), "--redis-url", redis_url]
        + ["rollback", before["version"]]
    )
    card = artifact.read_card(models.active_path())
    assert card["training"]["moderator_labels"] == {"train": 70, "held_out": MIN_HELD_OUT}
    assert any(f["dataset"] == "moderator-labels" and len(f["sha256"]) == 64 for f in card["training"]["files"])
    assert card["retrain"]["candidate"]["decision_agreement"] > card["retrain"]["active"]["decision_agreement"]

    wait_for_version(client, keys["site"], new_version)  # no restart
    new = client.post("/v1/score", json={"text": probe}, headers=auth(keys["site"])).get_json()
    assert new["model_version"] == new_version
    assert new["scores"]["abuse"] > 0.5 > old["scores"]["abuse"]
    assert new["verdict"] in ("review", "reject")
    assert any(s["category"] == "abuse" and probe[s["start"] : s["end"]] == WORD for s in new["spans"])
    # ordinary comments stay approved
    assert client.post("/v1/score", json={"text": fine(999)}, headers=auth(keys["site"])).get_json()["verdict"] == "approve"

    # roll back with the printed command: the workers follow again
    code, listed, _ = run_cli("model", "--model-dir", str(models.root), "list")
    assert code == 0
    assert [line.split()[1] for line in listed.splitlines() if line.startswith("*")] == [new_version]
    assert before["version"] in listed
    command = shlex.split(lines[-1].removeprefix("to roll back: "))
    assert command[:2] == ["moderation", "model"]
    assert run_cli(*command[1:])[0] == 0
    assert models.active_version() == before["version"]
    wait_for_version(client, keys["site"], before["version"])


def test_a_candidate_worse_on_validation_is_not_published(base, models, served, redis_url):
    app, keys = served
    moderate(app.test_client(), keys, count=10)
    active = models.active_version()
    # a negative tolerance asks the candidate to beat the active model by a margin it cannot reach
    code, report = retrain(base, models, redis_url, "--tolerance", "-1")
    assert code == 3, report
    lines = report.splitlines()
    assert lines[-2].startswith("kept the active model: worse on the fixed validation data (")
    # 20 labels: too few to hold any out, and the output says that comparison did not run
    assert "  moderators' newest labels: not run: 20 labels, fewer than 100 (50 held out and as many to train on)" in lines
    assert lines[-1] == f"nothing published; the active model is still {active}"
    assert models.active_version() == active
    assert models.history()[-1]["event"] == "refused"
    # --dry-run judges and publishes nothing
    code, report = retrain(base, models, redis_url, "--dry-run")
    assert code == 0 and "would publish" in report and models.active_version() == active


def test_no_request_fails_while_the_workers_switch(base, models, served):
    app, keys = served
    failures, answers = [], []
    stop = threading.Event()

    def hammer():
        client = app.test_client()
        while not stop.is_set():
            response = client.post("/v1/score", json={"text": "You clown, read the article"}, headers=auth(keys["site"]))
            if response.status_code != 200:
                failures.append(response.status_code)
            else:
                answers.append(response.get_json()["model_version"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        first = models.active_version()
        second = models.publish(artifact.DEFAULT_MODEL)  # another version: the shipped model
        deadline = time.monotonic() + 5
        while second not in answers[-4:] and time.monotonic() < deadline:
            time.sleep(0.05)
        models.activate(first)
        deadline = time.monotonic() + 5  # requests already running on the second model may still answer with it
        while not (len(answers) >= 4 and set(answers[-4:]) == {first}) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert first in answers and second in answers
    assert answers[-1] == first


def test_a_bad_model_file_is_skipped_and_the_worker_keeps_serving(models, served):
    app, keys = served
    client = app.test_client()
    active = models.active_version()
    bogus = "deadbeef0000"
    (models.versions_dir / f"{bogus}.model").write_bytes(b"not a model")
    (models.root / "active").write_text(bogus + "\n")  # as if written by hand
    time.sleep(0.3)
    for _ in range(5):
        response = client.post("/v1/score", json={"text": "hello"}, headers=auth(keys["site"]))
        assert response.status_code == 200
        assert response.get_json()["model_version"] == active
        time.sleep(0.1)


def test_shadow_scores_beside_the_active_model_without_changing_verdicts(base, models, served, redis_url):
    app, keys = served
    client = app.test_client()
    shadow_version = models.publish(artifact.DEFAULT_MODEL, activate=False)
    assert cli(["model", "--model-dir", str(models.root), "shadow", shadow_version]) == 0
    deadline = time.monotonic() + 5
    while client.get("/v1/model", headers=auth(keys["site"])).get_json()["shadow"] is None:
        assert time.monotonic() < deadline, "the shadow was not loaded"
        time.sleep(0.05)
    active = models.active_version()
    texts = ["You are a pathetic idiot and everyone knows it.", "The council should publish the study.", "Get a life"]
    answers = []
    for i, text in enumerate(texts):
        answer = client.post("/v1/comments", json={"id": f"s{i}", "user_id": f"su{i}", "text": text}, headers=auth(keys["site"]))
        answers.append(answer.get_json())
    # a repeat is not compared twice
    client.post("/v1/comments", json={"id": "s0", "user_id": "su0", "text": texts[0]}, headers=auth(keys["site"]))
    assert app.extensions["moderation"].shadow.drain()
    assert all(a["model_version"] == active for a in answers)  # verdicts come from the active model only

    shadow = client.get("/v1/shadow", headers=auth(keys["moderator"])).get_json()
    assert shadow["active"] == active and shadow["shadow"] == shadow_version
    counts = shadow["versions"][shadow_version]
    assert counts["compared"] == 3
    expected = app.extensions["moderation"].models.shadow.assessor
    agree = sum(expected.assess(t).verdict == a["verdict"] for t, a in zip(texts, answers))
    assert counts["agreed"] == agree and len(shadow["disagreements"]) == 3 - agree
    for d in shadow["disagreements"]:
        assert d["active"]["version"] == active and d["shadow"]["version"] == shadow_version
        assert d["active"]["verdict"] != d["shadow"]["verdict"]
    metrics = client.get("/metrics").get_data(as_text=True)
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("moderation_shadow_comparisons_total{") and f'shadow_version="{shadow_version}"' in line
    ]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in counted) == 3

    assert cli(["model", "--model-dir", str(models.root), "shadow", "--off"]) == 0
    deadline = time.monotonic() + 5
    while client.get("/v1/model", headers=auth(keys["site"])).get_json()["shadow"] is not None:
        assert time.monotonic() < deadline, "the shadow was not dropped"
        time.sleep(0.05)


def test_a_broken_active_version_at_start_serves_the_fallback(models, redis_url, clock):
    bogus = "deadbeef0001"
    (models.versions_dir / f"{bogus}.model").write_bytes(b"not a model")
    (models.root / "active").write_text(bogus + "\n")
    app = create_app({"redis_url": redis_url, "model_dir": str(models.root), "clock": clock})
    assert app.extensions["moderation"].assessor.version == artifact.read_card(artifact.DEFAULT_MODEL)["version"]


# --- refusals (issue 21: "Retrain refuses rather than guesses") --------------------------------------------------


@pytest.fixture
def shipped(tmp_path):
    """A model directory whose active version is the shipped model, trained on the shared datasets."""
    registry = ModelRegistry(tmp_path / "shipped-models")
    registry.publish(artifact.DEFAULT_MODEL)
    return registry


def shipped_datasets() -> list[str]:
    return list(dict.fromkeys(f["dataset"] for f in artifact.read_card(artifact.DEFAULT_MODEL)["training"]["files"]))


def test_the_junk_model_scenario_is_refused_and_nothing_is_published(shipped, redis_url, redis_client, clock, monkeypatch):
    """Issue 21 as seen: a clone without ../shared/datasets, 10 moderator decisions, `moderation retrain` (no --data).

    It used to fit a model on the 10 labels alone, call it "not worse" on 0 validation rows, publish it and make it
    active, and then "The weather is nice today" came back `review`. Now: one line saying what is missing, exit 2,
    the active model unchanged."""
    monkeypatch.setattr("moderation.training.retrain.default_data_dir", lambda: None)  # as in a clone without ../shared/datasets
    app = create_app({"redis_url": redis_url, "model_dir": str(shipped.root), "model_poll_s": 0.1, "clock": clock})
    store = app.extensions["moderation"].store
    keys = {role: store.apikeys.create("news", role, role, clock())[0] for role in ("site", "moderator", "admin")}
    client = app.test_client()
    active, history = shipped.active_version(), shipped.history()
    weather = client.post("/v1/score", json={"text": "The weather is nice today"}, headers=auth(keys["site"])).get_json()
    assert weather["verdict"] == "approve" and weather["model_version"] == active

    moderate(client, keys, count=5)  # 10 decisions
    code, out, err = run_cli("retrain", "--model-dir", str(shipped.root), "--redis-url", redis_url, "--site", "news")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("moderation retrain: refused: no datasets folder (no --data, and no ")
    assert f"the active model {active} was trained on {', '.join(shipped_datasets())}: give --data DIR" in err
    assert "fitting" not in err  # nothing trained
    assert shipped.active_version() == active and shipped.history() == history  # nothing published, nothing logged
    assert sorted(p.name for p in shipped.versions_dir.iterdir()) == [f"{active}.model"]
    time.sleep(0.3)  # past the app's poll interval: it still serves the same model, which still approves
    again = client.post("/v1/score", json={"text": "The weather is nice today"}, headers=auth(keys["site"])).get_json()
    assert again["verdict"] == "approve" and again["model_version"] == active


def test_a_datasets_folder_without_a_dataset_the_active_model_was_trained_on_is_refused(shipped, tmp_path):
    folder = tmp_path / "datasets"
    (folder / "sms-spam").mkdir(parents=True)
    (folder / "sms-spam" / "SMSSpamCollection").write_text("ham\tmade up by the test\n", encoding="utf-8")
    labels = write_jsonl(tmp_path / "labels.jsonl", [{"text": f"made up {i}", "abuse": i % 2} for i in range(10)])
    active = shipped.active_version()
    code, out, err = run_cli("retrain", "--data", str(folder), "--labels", str(labels), "--model-dir", str(shipped.root))
    assert code == 2 and out == ""
    missing = [d for d in shipped_datasets() if d != "sms-spam"]
    assert err == (
        f"moderation retrain: refused: {folder} lacks datasets the active model {active} was trained on: "
        f"{', '.join(missing)}; give --data DIR, the folder that holds them\n"
    )
    assert shipped.active_version() == active and [e["event"] for e in shipped.history()] == ["publish"]
    # --no-datasets does not get round it: the active model was trained on datasets
    code, out, err = run_cli(
        "retrain", "--no-datasets", "--extra", str(labels), "--labels", str(labels), "--model-dir", str(shipped.root)
    )
    assert code == 2 and out == ""
    assert err.startswith(f"moderation retrain: refused: --no-datasets, but the active model {active} was trained on ")
    assert shipped.active_version() == active and [e["event"] for e in shipped.history()] == ["publish"]


def test_training_on_extra_files_alone_needs_no_datasets(base, models, served, redis_url, tmp_path):
    app, keys = served
    moderate(app.test_client(), keys, count=5)
    empty = tmp_path / "empty"
    empty.mkdir()
    active, history = models.active_version(), models.history()
    code, report = retrain(base, models, redis_url, "--extra", str(base / "base.jsonl"), data=empty)
    assert code == 2
    assert report == (
        f"moderation retrain: refused: {empty} holds none of the datasets (see ../shared/datasets/README.md): "
        "give --data DIR, or --no-datasets to train on the --extra files and the labels alone\n"
    )
    assert models.active_version() == active and models.history() == history
    # --no-datasets without any --extra file: moderators' labels alone have no validation rows
    code, _, err = run_cli("retrain", "--no-datasets", "--model-dir", str(models.root), "--redis-url", redis_url, "--quiet")
    assert code == 2 and err.startswith("moderation retrain: refused: --no-datasets and no --extra file: nothing to validate on")
    assert models.active_version() == active and models.history() == history


def test_a_candidate_judged_on_too_few_validation_rows_is_never_published_even_with_force(
    base, models, served, redis_url, tmp_path
):
    """Past the data checks, the gate itself: a tiny --extra file gives a handful of validation rows."""
    app, keys = served
    moderate(app.test_client(), keys, count=5)
    clean, flagged = rows()[:288], rows()[288:]  # 288 clean comments, then each category's templates
    tiny = write_jsonl(tmp_path / "tiny.jsonl", clean[::4] + flagged)  # 282 rows, of which 35 validate
    active = models.active_version()
    for flags in ((), ("--force",)):
        code, out, err = run_cli(
            "retrain",
            "--no-datasets",
            "--extra",
            str(tiny),
            "--model-dir",
            str(models.root),
            "--redis-url",
            redis_url,
            "--site",
            "news",
            "--quiet",
            *flags,
        )
        assert code == 3, out + err
        lines = out.splitlines()
        assert "  fixed validation data: not run: 35 rows; it needs at least 50, with both labels of a category" in lines
        assert lines[-2].startswith("kept the active model: not judged: the fixed validation data has ")
        assert ("--force does not change that" in lines[-2]) is bool(flags)
        assert lines[-1] == f"nothing published; the active model is still {active}"
        assert models.active_version() == active
        assert models.history()[-1]["event"] == "refused"
    assert [e["event"] for e in models.history()].count("publish") == 1
