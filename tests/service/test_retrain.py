"""The learning loop: moderators' decisions -> `moderation retrain` -> a published version the workers switch to.

A small base model is trained on comments the tests write. Moderators keep
rejecting comments with a word the base model has never seen as abusive; after
a retrain the service, without a restart, scores that word as abuse.
"""

from __future__ import annotations

import io
import threading
import time
from contextlib import redirect_stdout

import pytest

from classifier import artifact
from classifier.registry import ModelRegistry
from cli.main import main as cli
from service import create_app

from ..synthetic import SUBJECTS, write_jsonl
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


def retrain(base, models, redis_url, *more) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli(
            [
                "retrain",
                "--data",
                str(base / "datasets"),
                "--extra",
                str(base / "base.jsonl"),
                "--model-dir",
                str(models.root),
                "--redis-url",
                redis_url,
                "--site",
                "news",
                "--quiet",
                *more,
            ]
        )
    return code, out.getvalue()


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

    moderate(client, keys)
    code, report = retrain(base, models, redis_url)
    assert code == 0, report
    assert "published" in report
    new_version = models.active_version()
    assert new_version != before["version"]
    card = artifact.read_card(models.active_path())
    assert card["training"]["moderator_labels"] == {"train": 64, "held_out": 16}
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

    # roll back: the workers follow again
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli(["model", "--model-dir", str(models.root), "list"]) == 0
    listed = out.getvalue()
    assert [line.split()[1] for line in listed.splitlines() if line.startswith("*")] == [new_version]
    assert before["version"] in listed
    assert cli(["model", "--model-dir", str(models.root), "rollback", before["version"], "--reason", "test"]) == 0
    wait_for_version(client, keys["site"], before["version"])


def test_a_candidate_worse_on_validation_is_not_published(base, models, served, redis_url):
    app, keys = served
    moderate(app.test_client(), keys, count=10)
    active = models.active_version()
    # a negative tolerance asks the candidate to beat the active model by a margin it cannot reach
    code, report = retrain(base, models, redis_url, "--tolerance", "-1")
    assert code == 3, report
    assert "kept the active model" in report and "worse on the fixed validation data" in report
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
        time.sleep(0.5)
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
