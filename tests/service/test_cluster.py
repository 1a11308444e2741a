"""What is particular to a Redis Cluster: its URL, and readiness while one primary does not answer."""

from __future__ import annotations

import os
import signal

import pytest
import redis

from moderation.service import create_app
from moderation.service.store import connect, is_cluster_url


def test_cluster_urls_are_told_apart_and_read():
    assert is_cluster_url("redis+cluster://a:1,b:2") and is_cluster_url("REDISS+CLUSTER://a:1")
    assert not is_cluster_url("redis://a:1/0") and not is_cluster_url("unix:///tmp/r.sock")
    for bad in ("redis+cluster://", "redis+cluster://host", "redis+cluster://host:port"):
        with pytest.raises(ValueError, match="host:port"):
            connect(bad)


def test_credentials_and_every_node_of_the_url_reach_the_client(redis_cluster):
    if redis_cluster is None:
        pytest.skip("REDIS_URL names a cluster: its nodes are not known here")
    first, second = redis_cluster.nodes[:2]
    with pytest.raises(redis.exceptions.RedisClusterException, match="invalid username-password"):
        connect(f"redis+cluster://nobody%2Dhere:secret@127.0.0.1:{first.port}", 2.0)  # sent, and refused
    client = connect(f"redis+cluster://127.0.0.1:1,127.0.0.1:{first.port},127.0.0.1:{second.port}/", 2.0)
    assert isinstance(client, redis.RedisCluster) and client.ping()
    # the client found every node from the ones it was given, one of them not answering
    assert {n.port for n in client.get_nodes()} == {n.port for n in redis_cluster.nodes}


def test_ready_while_one_primary_does_not_answer(redis_cluster, assessor):
    if redis_cluster is None:
        pytest.skip("REDIS_URL names a cluster whose nodes this test cannot stop")
    # a short command timeout keeps the node stopped far less than the cluster's node timeout (1 s): no failover
    app = create_app({"redis_url": redis_cluster.url, "assessor": assessor, "change_poll_s": 0, "redis_timeout_s": 0.2})
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    first = app.extensions["moderation"].store.client.get_primaries()[0]
    [node] = [n for n in redis_cluster.nodes if n.port == first.port]
    os.kill(node.process.pid, signal.SIGSTOP)  # shorter than the node timeout (1 s): no failover
    try:
        answer = client.get("/readyz")
    finally:
        os.kill(node.process.pid, signal.SIGCONT)
    assert answer.status_code == 200 and answer.get_json()["redis"] == "ok"
