"""`moderation keys`, `moderation export-labels` and `moderation serve` (gunicorn with an embedded Redis)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests import instances
from tests.instances import free_port

from .conftest import auth

ABUSIVE = "You are a pathetic idiot and everyone knows it."


def run_cli(*args, env=None, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "moderation.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_keys_create_prints_only_the_key(redis_url, redis_client):
    done = run_cli("keys", "create", "--site", "news", "--role", "moderator", "--redis-url", redis_url)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert done.stdout == key + "\n" and key.startswith("mk_")
    listed = run_cli("keys", "list", "--site", "news", "--redis-url", redis_url)
    assert "moderator" in listed.stdout and key not in listed.stdout
    bad = run_cli("keys", "create", "--site", "news", "--role", "root", "--redis-url", redis_url)
    assert bad.returncode == 2


def test_export_labels_writes_json_lines(client, keys, redis_url, tmp_path):
    client.post("/v1/comments", json={"id": "c1", "user_id": "bob", "text": ABUSIVE}, headers=auth(keys["site"]))
    client.post("/v1/comments/c1/decision", json={"decision": "approve", "moderator": "m"}, headers=auth(keys["moderator"]))
    out = tmp_path / "labels.jsonl"
    done = run_cli("export-labels", "--out", str(out), "--redis-url", redis_url)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"text": ABUSIVE, "abuse": 0, "attack": 0, "promotion": 0, "source": "news"}]
    # the export trains: it is the format of `moderation train --extra`
    from moderation.training.datasets import load_jsonl

    [example] = load_jsonl(out)
    assert example.labels == {"abuse": 0, "attack": 0, "promotion": 0}


def http(method, url, body=None, headers=None):
    return instances.http(method, url, body, headers)[:2]


def test_serve_runs_gunicorn_with_an_embedded_redis(tmp_path):
    data = tmp_path / "d"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MODERATION_REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env["MODERATION_DATA_DIR"] = str(data)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moderation.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if http("GET", base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the service did not become ready")
        key = subprocess.run(
            [sys.executable, "-m", "moderation.cli", "keys", "create", "--site", "s", "--role", "admin"],
            check=True,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        status, body = http("POST", base + "/v1/comments", {"id": "1", "user_id": "u", "text": ABUSIVE}, auth(key))
        assert status == 200 and body["verdict"] == "reject" and body["user"]["strikes"] == 1
        # every worker shares the state: ask a few times
        for _ in range(6):
            assert http("GET", base + "/v1/users/u", headers=auth(key))[1]["strikes"] == 1
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert "moderation_verdicts_total" in response.read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert "gunicorn" in output.lower() or "Booting worker" in output
    assert (data / "redis" / "appendonly.aof").exists()
    # the embedded Redis stopped with the service
    from moderation.service.redis_server import RedisServer

    assert not RedisServer(data / "redis").running()


def test_keys_carry_their_own_rate_limit(redis_url, redis_client):
    made = run_cli(
        "keys", "create", "--site", "news", "--role", "site", "--per-s", "2.5", "--burst", "10", "--redis-url", redis_url
    )
    assert made.returncode == 0, made.stderr
    key_id = made.stderr.split()[2]
    listed = run_cli("keys", "list", "--site", "news", "--redis-url", redis_url).stdout
    assert f"{key_id}  site       2.5/s burst 10" in listed
    assert run_cli("keys", "limit", "--site", "news", key_id, "--none", "--redis-url", redis_url).returncode == 0
    assert "site's limit" in run_cli("keys", "list", "--site", "news", "--redis-url", redis_url).stdout
    assert run_cli("keys", "limit", "--site", "news", key_id, "--per-s", "1", "--redis-url", redis_url).returncode == 2
    assert (
        run_cli("keys", "limit", "--site", "news", key_id, "--per-s", "0", "--burst", "1", "--redis-url", redis_url).returncode
        == 2
    )
    missing = run_cli("keys", "limit", "--site", "news", "0" * 16, "--none", "--redis-url", redis_url)
    assert missing.returncode == 1 and "no key" in missing.stderr
