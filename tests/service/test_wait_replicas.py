"""MODERATION_REDIS_WAIT_REPLICAS: a strike is acknowledged only once a replica has it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from moderation.service import create_app
from moderation.service.store import Store, connect
from moderation.service.store.keys import UserKeys

from .conftest import auth, clear, single_redis_url

ABUSIVE = "You are a pathetic idiot and everyone knows it."


def app_on(url: str, assessor, **settings):
    """An app on ``url`` with a site key; the service's keys there are deleted first."""
    client = connect(url, 5.0)
    clear(client)
    key = Store(client).apikeys.create("news", "site", "waiting", time.time())[0]
    app = create_app({"redis_url": url, "assessor": assessor, "change_poll_s": 0, **settings})
    return app.test_client(), key


def submit(client, key, comment_id, user):
    body = {"id": comment_id, "user_id": user, "text": ABUSIVE}
    response = client.post("/v1/comments", json=body, headers=auth(key))
    assert response.status_code == 200
    return response.get_json()


def test_a_strike_is_acknowledged_once_a_replica_has_it(redis_cluster, assessor):
    if redis_cluster is None:
        pytest.skip("REDIS_URL names a cluster whose nodes this test cannot stop")
    client, key = app_on(redis_cluster.url, assessor, redis_wait_replicas=1, redis_wait_timeout_ms=200)
    answer = submit(client, key, "w1", "waiter")
    assert answer["store"] == "ok" and answer["user"]["strikes"] == 1

    primary = redis_cluster.primary_of(UserKeys("news", "waiter").strikes)
    replica = redis_cluster.replica_of(primary)
    os.kill(replica.process.pid, signal.SIGSTOP)  # the replica stops reading the replication stream
    try:
        started = time.monotonic()
        answer = submit(client, key, "w2", "waiter")
        waited = time.monotonic() - started
    finally:
        os.kill(replica.process.pid, signal.SIGCONT)
    # done on the primary, not confirmed by a replica: not acknowledged as stored
    assert answer["store"] == "unavailable" and answer["verdict"] == "reject"
    assert 0.2 <= waited < 2.0
    # once the replica is back, the same comment again: recorded once, acknowledged now
    again = submit(client, key, "w2", "waiter")
    assert again["store"] == "ok" and again["user"]["strikes"] == 2
    clear(connect(redis_cluster.url, 5.0))


def test_without_replicas_nothing_is_acknowledged(request, assessor):
    url = single_redis_url(request)
    client, key = app_on(url, assessor, redis_wait_replicas=1, redis_wait_timeout_ms=20)
    answer = submit(client, key, "w1", "alone")
    assert answer["store"] == "unavailable"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'moderation_redis_errors_total{operation="comments.submit"}' in metrics
    clear(connect(url, 5.0))
